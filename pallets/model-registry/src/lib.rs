//! # Model registry
//!
//! The catalogue of ONNX models that OPG chain runs, and the data layer that puts every model's
//! bytes on every node.
//!
//! A model owner registers a model (name, description, price per call) together with its first
//! version: the I/O schema (named tensors with dtype and shape, an optional dynamic batch
//! dimension first), the verification modes it supports (vanilla, attested, ZK; ZK versions carry
//! a Groth16 verifying key and the hash of the proving key), and the content id, size and chunk
//! hashes of its ONNX bytes. The owner then uploads the bytes chunk by chunk. The runtime checks
//! each chunk against its committed hash and writes it to every node's off-chain database with
//! offchain indexing, so state holds metadata and hashes only. When the last chunk arrives the
//! version is complete; it becomes the model's active version at once, or once governance
//! approves it where [`ApprovalRequired`] is set. A ZK version always waits for governance's
//! approval (and for its key ceremony): its key alone decides which results are final.
//!
//! The content id is defined in [`opg_primitives::model::content`]: a blake2-256 over the chunk
//! size, the byte size and the chunk hashes, so it can be checked chunk by chunk, from the bytes
//! alone.
//!
//! ## Calls
//!
//! Owners: [`Pallet::register_model`], [`Pallet::add_version`], [`Pallet::upload_chunk`],
//! [`Pallet::set_price`], [`Pallet::deprecate_model`], [`Pallet::retire_model`].
//! Governance ([`Config::GovernanceOrigin`]): [`Pallet::approve_version`],
//! [`Pallet::suspend_model`], [`Pallet::resume_model`], [`Pallet::set_approval_required`],
//! [`Pallet::force_remove_model`].
//!
//! Call arguments are bounded types: a name, schema, key, hash list or chunk beyond its bound
//! fails to decode, before the runtime does any work for it.
//!
//! ## Storage layout
//!
//! A version lives in separate items by how often each part changes: [`Versions`] (metadata,
//! written at registration, once at completion and once more if governance approves it),
//! [`Uploads`] (the upload's progress, rewritten by each chunk, present only while uploading),
//! [`VerifyingKeys`] (ZK artifacts, up to 64 KiB, written once) and [`ChunkHashes`] (the committed
//! hash list, up to 128 KiB, of which an upload reads only the 32 bytes it needs).
//!
//! ## Deposits and expiry
//!
//! Registering a model and each version holds a deposit from the owner
//! ([`HoldReason::ModelDeposit`]): [`Config::DepositBase`] plus [`Config::DepositPerByte`] for
//! each byte the record keeps in state. A version whose upload is not complete within
//! [`Config::UploadTimeout`] blocks expires: [`Config::ExpiredUploadForfeit`] of its deposit
//! goes to [`Config::OnForfeit`] (the treasury) and the rest is released, so registering bytes
//! one never uploads costs real money. When that was the model's first version, the model goes
//! too and its own deposit is released in full.
//!
//! Expiries wait in a first-in-first-out queue ([`ExpiryQueue`]); `on_initialize` looks at no
//! more than [`Config::MaxExpiriesPerBlock`] entries per block and leaves the rest to the next
//! block, so no number of registrations in one block can make a registration fail or a block
//! overweight. An entry whose upload completed meanwhile is dropped when it reaches the head.
//! With a backlog an upload may expire some blocks after `expires_at` (and may still complete
//! until then); if `UploadTimeout` is lowered, later entries wait behind earlier ones.
//!
//! ## Duplicates
//!
//! One owner cannot register the same bytes twice ([`ContentByOwner`]). Different owners may:
//! a pending registration reserves nothing, so nobody can squat on bytes another owner is
//! about to upload. Nodes keep one copy of the bytes per content id; [`ContentRefs`] counts the
//! versions that use it. When the last such version expires or is removed, the content id
//! joins [`StaleContent`] and `on_idle` clears its chunks from every node's off-chain database
//! with the spare weight of later blocks (so do the key states a ZK ceremony no longer needs,
//! `CeremonyKeys::discard_state`), so removing a model of thousands of chunks never
//! makes a block heavy. (Off-chain writes follow the blocks a node imports, forks included: a
//! node that imported a removal on a fork that lost fetches the bytes back with
//! `scripts/fetch-model.sh`.)
//!
//! ## ZK keys
//!
//! A ZK version's key must not be its owner's (whoever made a Groth16 key alone can prove any
//! output). The version registers its *initial key*, computed by anyone from its ONNX bytes
//! and the powers-of-tau file the chain pins ([`Phase1`], set by governance:
//! [`Pallet::set_phase1`]); the registry checks its `alpha` and `beta` against the pin and,
//! when the bytes are complete, starts the version's ceremony ([`Config::Ceremony`]). The
//! version runs no job until the ceremony hands back its last `delta`: the registry then makes
//! the version's key from the initial key and that `delta` (`CeremonyKeys::finish`), prepares
//! it and activates the version. [`ZkKeyOrigins`] records each key's provenance. Keys made by
//! one party (a seed setup) register only where [`InsecureZkSetup`] is set, a dev chain's
//! switch, as [`ZkKeyOrigin::InsecureTestSetup`].
//!
//! ## Removal
//!
//! An owner deprecates a model, waits [`Config::RetirementDelay`] blocks (at least a job's life and
//! dispute window) and then retires it, releasing every deposit; [`Config::ModelUsage`] (the
//! inference pallet, once it lands) vetoes while jobs on the model are open. A model cannot be
//! retired with an upload in progress. A suspended model takes no uploads, its uploads do not
//! expire (their clock restarts when they come due) and it cannot be retired; governance resumes it
//! or removes it with [`Pallet::force_remove_model`], forfeiting its deposits if it chooses.
//!
//! ## Invariants (checked by `try_state`)
//!
//! - Each account's held [`HoldReason::ModelDeposit`] equals the sum of the deposits of the
//!   models and versions it owns; an account that owns nothing holds nothing.
//! - Every version belongs to a stored model and has its chunk hashes, whose count is its chunk
//!   count and which define its content id; no chunk hashes, upload or key without a version.
//! - A model has at most one uploading version, the one its `uploading` field names; every
//!   upload is in the expiry queue; every model keeps its version 1.
//! - [`ContentRefs`] counts the versions of each content id, and [`ContentByOwner`] maps each
//!   owner's content ids to their versions and back.
//! - A model's active version exists, is complete and approved; no stored version is above its
//!   latest version number.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod migrations;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

use alloc::vec::Vec;
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{BalancedHold, Credit, Inspect, MutateHold},
		tokens::Precision,
		OnUnbalanced,
	},
};
use frame_system::pallet_prelude::*;
use opg_primitives::inference::Tolerance;
use opg_primitives::model::{
	chunk_count, chunk_hash, chunk_len, chunk_storage_key, content_id_from_chunk_hashes, ContentId,
	IoSchema, ModeSet, ModelCatalog, ModelDescription, ModelId, ModelInfo, ModelName, ModelPage,
	ModelStatus, ModelUsage, PreparedKey, RunnableModel, SchemaError, TensorDtype, UploadProgress,
	VersionInfo, VersionNumber, ZkArtifacts, ZkKey,
};
use opg_primitives::model::{CeremonyKeys, KeyCeremony, Phase1Pin, VerifyingKey, ZkKeyOrigin};
use sp_core::H256;
use sp_runtime::{
	traits::{Saturating, Zero},
	Perbill, SaturatedConversion,
};

/// The balance type of the currency deposits are held in.
pub type BalanceOf<T> =
	<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// Funds taken from a deposit, on their way to [`Config::OnForfeit`].
pub type CreditOf<T> = Credit<<T as frame_system::Config>::AccountId, <T as Config>::Currency>;

/// A model record as this runtime stores it.
pub type ModelInfoOf<T> =
	ModelInfo<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;

/// A version record as this runtime stores it.
pub type VersionInfoOf<T> = VersionInfo<BlockNumberFor<T>, BalanceOf<T>>;

/// The chunk hashes of one version.
pub type ChunkHashesOf<T> = BoundedVec<H256, <T as Config>::MaxChunks>;

/// A version as its owner describes it in [`Pallet::register_model`] and
/// [`Pallet::add_version`].
#[derive(
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	frame_support::DebugNoBound,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
)]
#[scale_info(skip_type_params(MaxChunks))]
pub struct VersionSpec<MaxChunks: Get<u32>> {
	/// Input and output tensors.
	pub schema: IoSchema,
	/// Supported verification modes.
	pub modes: ModeSet,
	/// How far verifiers' outputs may differ from a claimed output and still agree with it;
	/// exact for a version without float outputs.
	pub tolerance: Tolerance,
	/// Groth16 artifacts: required with ZK mode, refused without it.
	pub zk: Option<ZkArtifacts>,
	/// Content id of the ONNX bytes.
	pub content_id: ContentId,
	/// Size of the ONNX bytes.
	pub byte_size: u64,
	/// Blake2-256 of each chunk of `ChunkSize` bytes, in order.
	pub chunk_hashes: BoundedVec<H256, MaxChunks>,
}

/// A version spec as this runtime's calls take it.
pub type VersionSpecOf<T> = VersionSpec<<T as Config>::MaxChunks>;

/// The most model ids a paginated runtime API call returns or looks at.
pub const MAX_PAGE: u32 = 256;

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	/// Version 3: ZK versions record how their keys were made (`ZkKeyOrigins`; see
	/// [`crate::migrations::v3`]). Version 2: versions declare their output tolerance. Version 1: versions split into
	/// metadata, upload progress and verifying key; a FIFO expiry queue; content id v2. Only
	/// development chains, which start from genesis, ran versions 0 and 1, so there is nothing
	/// to migrate.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(3);

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// Deposit for a model's or a version's state.
		ModelDeposit,
	}

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The currency deposits are held in.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ BalancedHold<Self::AccountId>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// Who may approve versions, suspend, resume and force-remove models, and say whether
		/// approval is required.
		type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Where forfeited deposits go (the treasury).
		type OnForfeit: OnUnbalanced<CreditOf<Self>>;

		/// Whether a model has open work, which vetoes its retirement or removal.
		type ModelUsage: ModelUsage;

		/// Size of every upload chunk but the last, in bytes. Part of the content id: a version
		/// keeps the chunk size it was registered with.
		#[pallet::constant]
		type ChunkSize: Get<u32>;

		/// Most chunks in one version: with `ChunkSize` this bounds a model's size.
		#[pallet::constant]
		type MaxChunks: Get<u32>;

		/// Most versions one model may register over its life (expired ones count: numbers are
		/// never reused).
		#[pallet::constant]
		type MaxVersions: Get<u32>;

		/// Blocks an upload may take before it expires.
		#[pallet::constant]
		type UploadTimeout: Get<BlockNumberFor<Self>>;

		/// The ZK key ceremony a version with an initial key goes through (`()` on a chain that
		/// takes no initial keys).
		type Ceremony: KeyCeremony<Self::AccountId>;

		/// The largest circuit a ZK version may declare, in R1CS constraints: what the node
		/// class proves within a job's response period (the compiler's feasibility report
		/// refuses larger models before they get here).
		#[pallet::constant]
		type MaxZkConstraints: Get<u32>;

		/// Most expiry-queue entries `on_initialize` looks at in one block; the rest wait for
		/// the next block.
		#[pallet::constant]
		type MaxExpiriesPerBlock: Get<u32>;

		/// Share of an expired upload's deposit that is forfeited to [`Config::OnForfeit`].
		#[pallet::constant]
		type ExpiredUploadForfeit: Get<Perbill>;

		/// Blocks between deprecating a model and retiring it: at least a job's life plus its
		/// dispute window, so no job outlives its model.
		#[pallet::constant]
		type RetirementDelay: Get<BlockNumberFor<Self>>;

		/// Deposit for each model or version record.
		#[pallet::constant]
		type DepositBase: Get<BalanceOf<Self>>;

		/// Deposit for each byte a model or version keeps in state.
		#[pallet::constant]
		type DepositPerByte: Get<BalanceOf<Self>>;

		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
	}

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// The id the next registered model gets.
	#[pallet::storage]
	pub type NextModelId<T> = StorageValue<_, ModelId, ValueQuery>;

	/// Models by id.
	#[pallet::storage]
	pub type Models<T: Config> = StorageMap<_, Blake2_128Concat, ModelId, ModelInfoOf<T>>;

	/// Version metadata by model id and version number.
	#[pallet::storage]
	pub type Versions<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		ModelId,
		Twox64Concat,
		VersionNumber,
		VersionInfoOf<T>,
	>;

	/// Progress of each upload; present exactly while the version is uploading.
	#[pallet::storage]
	pub type Uploads<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		ModelId,
		Twox64Concat,
		VersionNumber,
		UploadProgress<BlockNumberFor<T>>,
	>;

	/// Groth16 artifacts of the ZK-capable versions.
	#[pallet::storage]
	pub type VerifyingKeys<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, ModelId, Twox64Concat, VersionNumber, ZkArtifacts>;

	/// The ZK versions' verifying keys prepared for verification (decoded and checked once,
	/// stored uncompressed with `e(alpha, beta)`): what every proof is verified against.
	#[pallet::storage]
	pub type PreparedKeys<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, ModelId, Twox64Concat, VersionNumber, PreparedKey>;

	/// The chunk hashes each version committed to: what uploads are checked against, and what a
	/// node fetching a model from a peer verifies each chunk with.
	#[pallet::storage]
	pub type ChunkHashes<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		ModelId,
		Twox64Concat,
		VersionNumber,
		ChunkHashesOf<T>,
	>;

	/// The version that holds each of an owner's content ids: one owner registers the same
	/// bytes once.
	#[pallet::storage]
	pub type ContentByOwner<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Identity,
		ContentId,
		(ModelId, VersionNumber),
	>;

	/// How many versions, of any owner, use each content id; its bytes leave the nodes'
	/// off-chain databases when this reaches zero.
	#[pallet::storage]
	pub type ContentRefs<T> = StorageMap<_, Identity, ContentId, u32, ValueQuery>;

	/// Content ids whose bytes no version uses any more (model bytes, or a ZK ceremony's key
	/// states), with the number of chunks still to clear from every node's off-chain database;
	/// `on_idle` clears them with the block's spare weight.
	#[pallet::storage]
	pub type StaleContent<T> = StorageMap<_, Identity, ContentId, u32>;

	/// Models by owner, for listing an owner's catalogue.
	#[pallet::storage]
	pub type ModelsByOwner<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Twox64Concat, ModelId, ()>;

	/// Uploads waiting to expire, in registration order, by queue position.
	#[pallet::storage]
	pub type ExpiryQueue<T> = StorageMap<_, Twox64Concat, u64, (ModelId, VersionNumber)>;

	/// The expiry queue's occupied positions: `head..tail`.
	#[pallet::storage]
	pub type ExpiryQueueBounds<T> = StorageValue<_, (u64, u64), ValueQuery>;

	/// Whether a complete version needs governance approval before it runs.
	#[pallet::storage]
	pub type ApprovalRequired<T> = StorageValue<_, bool, ValueQuery>;

	/// How each ZK version's key was made: its provenance, and whether its ceremony still runs.
	#[pallet::storage]
	pub type ZkKeyOrigins<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, ModelId, Twox64Concat, VersionNumber, ZkKeyOrigin>;

	/// The phase 1 (powers of tau) initial keys must come from: its `[alpha]₁` and `[beta]₂`
	/// and the hash of each ptau file nodes may compute initial keys from. `None`: no initial
	/// key registers.
	#[pallet::storage]
	pub type Phase1<T> = StorageValue<_, Phase1Pin>;

	/// Whether keys made by one party (a seed setup) register, with
	/// [`ZkKeyOrigin::InsecureTestSetup`]: a dev chain's switch, never a production one's
	/// (whoever made such a key can prove any output).
	#[pallet::storage]
	pub type InsecureZkSetup<T> = StorageValue<_, bool, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Whether versions need governance approval.
		pub approval_required: bool,
		/// The pinned phase 1.
		pub phase1: Option<Phase1Pin>,
		/// Whether one-party keys register (dev chains only).
		pub insecure_zk_setup: bool,
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			ApprovalRequired::<T>::put(self.approval_required);
			Phase1::<T>::set(self.phase1.clone());
			InsecureZkSetup::<T>::put(self.insecure_zk_setup);
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A model was registered with its first version, whose upload can start.
		ModelRegistered {
			model_id: ModelId,
			owner: T::AccountId,
			version: VersionNumber,
			content_id: ContentId,
			byte_size: u64,
			chunk_count: u32,
		},
		/// A new version was registered; its upload can start.
		VersionAdded {
			model_id: ModelId,
			version: VersionNumber,
			content_id: ContentId,
			byte_size: u64,
			chunk_count: u32,
		},
		/// A chunk arrived, matched its hash and was indexed off-chain.
		ChunkUploaded { model_id: ModelId, version: VersionNumber, index: u32, remaining: u32 },
		/// Every chunk of a version arrived.
		UploadCompleted { model_id: ModelId, version: VersionNumber, content_id: ContentId },
		/// Governance approved a version.
		VersionApproved { model_id: ModelId, version: VersionNumber },
		/// A version became the one new requests run.
		VersionActivated { model_id: ModelId, version: VersionNumber },
		/// An upload did not complete in time: the version is gone, part of its deposit was
		/// forfeited and the rest released.
		UploadExpired {
			model_id: ModelId,
			version: VersionNumber,
			deposit_released: BalanceOf<T>,
			deposit_forfeited: BalanceOf<T>,
		},
		/// A model whose first version expired was removed; the model record's own deposit is
		/// released (the version's is reported by `UploadExpired`).
		ModelRemoved { model_id: ModelId, deposit_released: BalanceOf<T> },
		/// The owner set a new price.
		PriceSet { model_id: ModelId, price: BalanceOf<T> },
		/// The owner deprecated a model: no new requests or versions; it can be retired from
		/// block `retirable_at`.
		ModelDeprecated { model_id: ModelId, retirable_at: BlockNumberFor<T> },
		/// The owner retired a deprecated model; it is gone and all its deposits are released.
		ModelRetired { model_id: ModelId, deposit_released: BalanceOf<T> },
		/// Governance suspended a model.
		ModelSuspended { model_id: ModelId },
		/// Governance lifted a suspension.
		ModelResumed { model_id: ModelId },
		/// Governance changed whether versions need approval.
		ApprovalRequirementSet { required: bool },
		/// A ZK version's key is settled: made by its ceremony (the version now runs).
		ZkKeySettled { model_id: ModelId, version: VersionNumber, origin: ZkKeyOrigin },
		/// A version whose ZK key ceremony failed was removed; its deposit is released.
		VersionDropped { model_id: ModelId, version: VersionNumber, deposit_released: BalanceOf<T> },
		/// Governance pinned another phase 1 (or none).
		Phase1Pinned { pin: Option<Phase1Pin> },
		/// Governance removed a model; its deposits were released or forfeited.
		ModelForceRemoved {
			model_id: ModelId,
			deposit_released: BalanceOf<T>,
			deposit_forfeited: BalanceOf<T>,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The model name is empty.
		EmptyName,
		/// The schema has no input or no output tensor.
		NoTensors,
		/// A tensor name is empty, or two tensors on one side share a name.
		BadTensorName,
		/// A tensor has no dimensions; write a scalar as shape `[1]`.
		EmptyShape,
		/// A dimension is zero or larger than `MAX_DIM`.
		BadDimension,
		/// A dynamic dimension stands anywhere but first (the batch dimension).
		MisplacedDynamicDim,
		/// A tensor holds more than `MAX_TENSOR_ELEMENTS` elements.
		TooManyElements,
		/// The version supports no mode at all.
		NoModes,
		/// ZK mode needs Groth16 artifacts, and artifacts need ZK mode.
		ZkArtifactsMismatch,
		/// The verifying key does not decode as a compressed BN254 Groth16 key: truncated,
		/// trailing bytes, or a point off the curve or outside its subgroup.
		BadVerifyingKey,
		/// A ZK version's tensors must all be integer tensors of fixed shape.
		ZkSchemaNotProvable,
		/// The verifying key's public-input count is not what the version's tensors pack into.
		ZkPublicInputCount,
		/// The verifying key is degenerate: a point at infinity, `gamma` equal to `delta`, or
		/// `delta` the generator. Whoever made it could prove false results: set the key up with
		/// fresh randomness.
		DegenerateZkKey,
		/// The verifying key was made by one party (its `delta` is already random) and this
		/// chain takes only keys from its ceremony: register the initial key
		/// (`opg-node zk-init`) and let the ceremony run.
		ZkKeyNeedsCeremony,
		/// The initial key's `alpha` or `beta` are not the pinned phase 1's: compute it from the
		/// ptau file whose hash the chain pins.
		ZkKeyNotFromPhase1,
		/// The chain pins no phase 1 yet, so no initial key registers.
		NoPhase1Pinned,
		/// A phase-1 pin whose `[alpha]₁` or `[beta]₂` is not a point of its group
		/// (uncompressed: 64 and 128 bytes).
		InvalidPhase1,
		/// The circuit has more constraints than `MaxZkConstraints`: serve the model in
		/// attested (or TEE) mode instead.
		ZkCircuitTooLarge,
		/// The model has no bytes.
		EmptyModel,
		/// The model is larger than `ChunkSize * MaxChunks` bytes.
		ModelTooLarge,
		/// The number of chunk hashes is not the number of `ChunkSize` chunks the size needs.
		ChunkCountMismatch,
		/// The content id is not the one the chunk size, byte size and chunk hashes define.
		ContentIdMismatch,
		/// You registered these bytes already: `ContentByOwner` names the model and version
		/// (resume its upload, or add a version with different bytes).
		DuplicateModel,
		/// No model has this id.
		ModelNotFound,
		/// The model has no version with this number.
		VersionNotFound,
		/// Only the model's owner may do this.
		NotOwner,
		/// The model has registered `MaxVersions` versions already.
		TooManyVersions,
		/// The model's previous version is still uploading.
		UploadInProgress,
		/// This version's upload is complete (or expired).
		UploadNotInProgress,
		/// A chunk was skipped: chunks are uploaded in order, and this index is ahead.
		ChunkOutOfOrder,
		/// This chunk was uploaded already.
		ChunkAlreadyUploaded,
		/// The chunk's size is not what its index calls for (`ChunkSize`, or the remainder last).
		WrongChunkSize,
		/// The chunk's blake2-256 is not the hash committed for its index.
		WrongChunkHash,
		/// The account cannot pay the deposit.
		InsufficientDeposit,
		/// The model is deprecated: it takes no new versions and is deprecated already.
		ModelDeprecated,
		/// The model must be deprecated before it is retired.
		NotDeprecated,
		/// The retirement delay since deprecation has not passed yet (see `ModelDeprecated`'s
		/// `retirable_at`).
		RetirementTooEarly,
		/// Jobs on the model are still open; try again when they have ended.
		ModelInUse,
		/// The model is suspended by governance: no uploads, versions or retirement.
		ModelSuspended,
		/// The model is not suspended.
		NotSuspended,
		/// The version's upload is not complete.
		VersionIncomplete,
		/// The version is approved already.
		AlreadyApproved,
		/// No model id is left.
		ModelIdsExhausted,
		/// No expiry-queue position is left.
		ExpiryQueueExhausted,
		/// A tolerance was declared for a version without float outputs: integer, boolean and
		/// string outputs are exact, so their versions must declare a zero tolerance.
		ToleranceWithoutFloats,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let examined = Self::expire_uploads(now);
			T::WeightInfo::on_initialize(examined)
		}

		fn on_idle(_now: BlockNumberFor<T>, remaining: Weight) -> Weight {
			let Some(base) = remaining.checked_sub(&Self::clear_weight(0)) else {
				return Weight::zero();
			};
			let per_chunk = Self::clear_weight(1).saturating_sub(Self::clear_weight(0));
			let fitting = base
				.ref_time()
				.checked_div(per_chunk.ref_time())
				.unwrap_or(u64::MAX)
				.min(u64::from(T::MaxChunks::get()));
			let cleared = Self::clear_stale_chunks(fitting.saturated_into());
			Self::clear_weight(cleared)
		}

		fn integrity_test() {
			assert!(T::ChunkSize::get() > 0, "ChunkSize must be positive");
			assert!(T::MaxChunks::get() > 0, "MaxChunks must be positive");
			assert!(T::MaxVersions::get() > 0, "MaxVersions must be positive");
			assert!(!T::UploadTimeout::get().is_zero(), "UploadTimeout must be positive");
			assert!(T::MaxExpiriesPerBlock::get() > 0, "MaxExpiriesPerBlock must be positive");
			assert!(
				T::RetirementDelay::get() > T::UploadTimeout::get(),
				"RetirementDelay must exceed UploadTimeout, so that an upload started before \
				 deprecation has ended before retirement"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Registers a model with its first version and holds the deposit for both. The upload
		/// of the version's bytes starts next, with [`Pallet::upload_chunk`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register_model(
			version.chunk_hashes.len() as u32,
			version.zk.as_ref().map_or(0, |zk| zk.verifying_key.len() as u32),
		))]
		pub fn register_model(
			origin: OriginFor<T>,
			name: ModelName,
			description: ModelDescription,
			price: BalanceOf<T>,
			version: VersionSpecOf<T>,
		) -> DispatchResult {
			let owner = ensure_signed(origin)?;
			ensure!(!name.is_empty(), Error::<T>::EmptyName);
			let checked = Self::check_version(&owner, version)?;

			let model_id = NextModelId::<T>::get();
			let next_id = model_id.checked_add(1).ok_or(Error::<T>::ModelIdsExhausted)?;
			// Calls run in a storage transaction: if holding the version's deposit fails below,
			// this hold is rolled back with everything else.
			let deposit = Self::deposit_for(name.len().saturating_add(description.len()));
			Self::hold(&owner, deposit)?;
			let mut model = ModelInfo {
				owner: owner.clone(),
				name,
				description,
				price,
				status: ModelStatus::Active,
				suspended: false,
				active_version: None,
				latest_version: 0,
				uploading: None,
				deposit,
			};
			let registered = Self::insert_version(&mut model, model_id, checked)?;
			Models::<T>::insert(model_id, model);
			ModelsByOwner::<T>::insert(&owner, model_id, ());
			NextModelId::<T>::put(next_id);

			Self::deposit_event(Event::ModelRegistered {
				model_id,
				owner,
				version: registered.version,
				content_id: registered.content_id,
				byte_size: registered.byte_size,
				chunk_count: registered.chunk_count,
			});
			Ok(())
		}

		/// Uploads chunk `index` of a version. Chunks go in order; each must match the hash
		/// committed at registration. The bytes go to every node's off-chain database, not state.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::upload_chunk(data.len() as u32)
			.saturating_add(T::DbWeight::get().writes(1))
			// The last chunk of a version with an initial key starts its ceremony.
			.saturating_add(T::Ceremony::begin_weight())
			.saturating_add(T::DbWeight::get().reads(2)))]
		pub fn upload_chunk(
			origin: OriginFor<T>,
			model_id: ModelId,
			version: VersionNumber,
			index: u32,
			data: BoundedVec<u8, T::ChunkSize>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut model = Models::<T>::get(model_id).ok_or(Error::<T>::ModelNotFound)?;
			ensure!(model.owner == who, Error::<T>::NotOwner);
			ensure!(!model.suspended, Error::<T>::ModelSuspended);
			let Some(mut progress) = Uploads::<T>::get(model_id, version) else {
				ensure!(
					Versions::<T>::contains_key(model_id, version),
					Error::<T>::VersionNotFound
				);
				return Err(Error::<T>::UploadNotInProgress.into());
			};
			ensure!(index >= progress.next_chunk, Error::<T>::ChunkAlreadyUploaded);
			ensure!(index == progress.next_chunk, Error::<T>::ChunkOutOfOrder);
			let mut record =
				Versions::<T>::get(model_id, version).ok_or(Error::<T>::VersionNotFound)?;
			ensure!(
				data.len() as u64 == chunk_len(record.byte_size, record.chunk_size, index),
				Error::<T>::WrongChunkSize
			);
			ensure!(
				Self::stored_chunk_hash(model_id, version, record.chunk_count, index)
					== Some(chunk_hash(&data)),
				Error::<T>::WrongChunkHash
			);

			sp_io::offchain_index::set(&chunk_storage_key(&record.content_id, index), &data);

			progress.next_chunk = index.saturating_add(1);
			let remaining = record.chunk_count.saturating_sub(progress.next_chunk);
			Self::deposit_event(Event::ChunkUploaded { model_id, version, index, remaining });
			if remaining > 0 {
				Uploads::<T>::insert(model_id, version, progress);
				return Ok(());
			}

			// The last chunk: the version is complete. Its expiry-queue entry stays and is
			// dropped when it reaches the head of the queue. A version with an initial key
			// starts its ceremony now that anyone can compute the key from the bytes.
			if ZkKeyOrigins::<T>::get(model_id, version) == Some(ZkKeyOrigin::CeremonyRunning) {
				let zk = VerifyingKeys::<T>::get(model_id, version)
					.ok_or(Error::<T>::VersionNotFound)?;
				T::Ceremony::begin(
					model_id,
					version,
					&model.owner,
					zk.proving_key_hash,
					H256(sp_io::hashing::blake2_256(&zk.verifying_key)),
				)?;
			}
			Uploads::<T>::remove(model_id, version);
			model.uploading = None;
			record.completed_at = Some(frame_system::Pallet::<T>::block_number());
			// A ZK version waits for governance whatever the flag says: its key decides alone
			// what results the chain accepts, with no challenge window behind it.
			record.approved = !ApprovalRequired::<T>::get() && !record.modes.zk;
			let (content_id, approved) = (record.content_id, record.approved);
			Versions::<T>::insert(model_id, version, record);
			Self::deposit_event(Event::UploadCompleted { model_id, version, content_id });
			if approved && Self::key_settled(model_id, version) {
				Self::activate(model_id, &mut model, version);
			}
			Models::<T>::insert(model_id, model);
			Ok(())
		}

		/// Registers a new version of a model and holds its deposit. The model keeps running
		/// its active version until the new one is complete (and approved, where required).
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::add_version(
			version.chunk_hashes.len() as u32,
			version.zk.as_ref().map_or(0, |zk| zk.verifying_key.len() as u32),
		))]
		pub fn add_version(
			origin: OriginFor<T>,
			model_id: ModelId,
			version: VersionSpecOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut model = Models::<T>::get(model_id).ok_or(Error::<T>::ModelNotFound)?;
			ensure!(model.owner == who, Error::<T>::NotOwner);
			ensure!(model.status == ModelStatus::Active, Error::<T>::ModelDeprecated);
			ensure!(!model.suspended, Error::<T>::ModelSuspended);
			ensure!(model.uploading.is_none(), Error::<T>::UploadInProgress);
			ensure!(model.latest_version < T::MaxVersions::get(), Error::<T>::TooManyVersions);
			let checked = Self::check_version(&who, version)?;

			let registered = Self::insert_version(&mut model, model_id, checked)?;
			Models::<T>::insert(model_id, model);
			Self::deposit_event(Event::VersionAdded {
				model_id,
				version: registered.version,
				content_id: registered.content_id,
				byte_size: registered.byte_size,
				chunk_count: registered.chunk_count,
			});
			Ok(())
		}

		/// Sets the price of one call to the model.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::set_price())]
		pub fn set_price(
			origin: OriginFor<T>,
			model_id: ModelId,
			price: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Models::<T>::try_mutate(model_id, |model| {
				let model = model.as_mut().ok_or(Error::<T>::ModelNotFound)?;
				ensure!(model.owner == who, Error::<T>::NotOwner);
				model.price = price;
				Ok::<_, DispatchError>(())
			})?;
			Self::deposit_event(Event::PriceSet { model_id, price });
			Ok(())
		}

		/// Deprecates a model: it takes no new requests or versions, and may be retired once
		/// [`Config::RetirementDelay`] blocks have passed.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::deprecate_model())]
		pub fn deprecate_model(origin: OriginFor<T>, model_id: ModelId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let now = frame_system::Pallet::<T>::block_number();
			Models::<T>::try_mutate(model_id, |model| {
				let model = model.as_mut().ok_or(Error::<T>::ModelNotFound)?;
				ensure!(model.owner == who, Error::<T>::NotOwner);
				ensure!(model.status == ModelStatus::Active, Error::<T>::ModelDeprecated);
				model.status = ModelStatus::Deprecated { since: now };
				Ok::<_, DispatchError>(())
			})?;
			let retirable_at = now.saturating_add(T::RetirementDelay::get());
			Self::deposit_event(Event::ModelDeprecated { model_id, retirable_at });
			Ok(())
		}

		/// Retires a deprecated model once the retirement delay has passed and no job uses it:
		/// removes it and all its versions (and their bytes from the nodes) and releases every
		/// deposit. The model id is never reused.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::retire_model(T::MaxVersions::get())
			.saturating_add(Pallet::<T>::forget_keys_weight(T::MaxVersions::get())))]
		pub fn retire_model(origin: OriginFor<T>, model_id: ModelId) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let model = Models::<T>::get(model_id).ok_or(Error::<T>::ModelNotFound)?;
			ensure!(model.owner == who, Error::<T>::NotOwner);
			let ModelStatus::Deprecated { since } = model.status else {
				return Err(Error::<T>::NotDeprecated.into());
			};
			ensure!(!model.suspended, Error::<T>::ModelSuspended);
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(
				now >= since.saturating_add(T::RetirementDelay::get()),
				Error::<T>::RetirementTooEarly
			);
			ensure!(model.uploading.is_none(), Error::<T>::UploadInProgress);
			ensure!(!T::ModelUsage::in_use(model_id), Error::<T>::ModelInUse);
			let versions = model.latest_version;
			let owner = model.owner.clone();
			let deposit = Self::remove_model(model_id, model);
			let deposit_released = Self::release(&owner, deposit);
			Self::deposit_event(Event::ModelRetired { model_id, deposit_released });
			Ok(Some(
				T::WeightInfo::retire_model(versions)
					.saturating_add(Self::forget_keys_weight(versions)),
			)
			.into())
		}

		/// Approves a complete version; it becomes the active one if it is newer than the
		/// current active version.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::approve_version())]
		pub fn approve_version(
			origin: OriginFor<T>,
			model_id: ModelId,
			version: VersionNumber,
		) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			let mut model = Models::<T>::get(model_id).ok_or(Error::<T>::ModelNotFound)?;
			let mut record =
				Versions::<T>::get(model_id, version).ok_or(Error::<T>::VersionNotFound)?;
			ensure!(record.is_complete(), Error::<T>::VersionIncomplete);
			ensure!(!record.approved, Error::<T>::AlreadyApproved);
			record.approved = true;
			Versions::<T>::insert(model_id, version, record);
			Self::deposit_event(Event::VersionApproved { model_id, version });
			if Self::key_settled(model_id, version) {
				Self::activate(model_id, &mut model, version);
			}
			Models::<T>::insert(model_id, model);
			Ok(())
		}

		/// Suspends a model: it takes no new requests, versions or chunks, and cannot be
		/// retired, until resumed.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::suspend_model())]
		pub fn suspend_model(origin: OriginFor<T>, model_id: ModelId) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::set_suspended(model_id, true)?;
			Self::deposit_event(Event::ModelSuspended { model_id });
			Ok(())
		}

		/// Lifts a suspension.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::resume_model())]
		pub fn resume_model(origin: OriginFor<T>, model_id: ModelId) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::set_suspended(model_id, false)?;
			Self::deposit_event(Event::ModelResumed { model_id });
			Ok(())
		}

		/// Sets whether versions need governance approval before they run. Versions completed
		/// earlier keep their approval state.
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::set_approval_required())]
		pub fn set_approval_required(origin: OriginFor<T>, required: bool) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			ApprovalRequired::<T>::put(required);
			Self::deposit_event(Event::ApprovalRequirementSet { required });
			Ok(())
		}

		/// Pins the phase 1 initial keys must come from (or none): `[alpha]₁` and `[beta]₂` of
		/// the public powers-of-tau ceremony and the hashes of its files (`docs/zk.md` shows how
		/// to compute them from a file). Ceremonies already running keep their initial keys.
		#[pallet::call_index(11)]
		#[pallet::weight(T::WeightInfo::set_approval_required())]
		pub fn set_phase1(origin: OriginFor<T>, pin: Option<Phase1Pin>) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			if let Some(pin) = &pin {
				let elements =
					opg_zk::Phase1Elements { alpha_g1: &pin.alpha_g1, beta_g2: &pin.beta_g2 };
				ensure!(opg_zk::phase1_elements_valid(elements), Error::<T>::InvalidPhase1);
			}
			Phase1::<T>::set(pin.clone());
			Self::deposit_event(Event::Phase1Pinned { pin });
			Ok(())
		}

		/// Removes a model and all its versions (and their bytes from the nodes) whatever its
		/// status, once no job uses it. With `forfeit_deposit` every deposit goes to
		/// [`Config::OnForfeit`]; otherwise it is released to the owner.
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::force_remove_model(T::MaxVersions::get())
			.saturating_add(Pallet::<T>::forget_keys_weight(T::MaxVersions::get())))]
		pub fn force_remove_model(
			origin: OriginFor<T>,
			model_id: ModelId,
			forfeit_deposit: bool,
		) -> DispatchResultWithPostInfo {
			T::GovernanceOrigin::ensure_origin(origin)?;
			let model = Models::<T>::get(model_id).ok_or(Error::<T>::ModelNotFound)?;
			ensure!(!T::ModelUsage::in_use(model_id), Error::<T>::ModelInUse);
			let versions = model.latest_version;
			let owner = model.owner.clone();
			let deposit = Self::remove_model(model_id, model);
			let (deposit_released, deposit_forfeited) = if forfeit_deposit {
				(Zero::zero(), Self::forfeit(&owner, deposit))
			} else {
				(Self::release(&owner, deposit), Zero::zero())
			};
			Self::deposit_event(Event::ModelForceRemoved {
				model_id,
				deposit_released,
				deposit_forfeited,
			});
			Ok(Some(
				T::WeightInfo::force_remove_model(versions)
					.saturating_add(Self::forget_keys_weight(versions)),
			)
			.into())
		}
	}
}

/// A version that passed [`Pallet::check_version`], ready to store.
struct CheckedVersion<T: Config> {
	record: VersionInfoOf<T>,
	chunk_hashes: ChunkHashesOf<T>,
	/// The artifacts with the key prepared from them (`None` for an initial key, which its
	/// ceremony finishes), and how the key was made.
	zk: Option<(ZkArtifacts, Option<PreparedKey>, ZkKeyOrigin)>,
}

/// What [`Pallet::insert_version`] stored, for the caller's event.
struct RegisteredVersion {
	version: VersionNumber,
	content_id: ContentId,
	byte_size: u64,
	chunk_count: u32,
}

impl<T: Config> Pallet<T> {
	/// Checks a ZK version's artifacts against its schema: an initial key (a ceremony's start)
	/// against the pinned phase 1, or a one-party key where this chain takes one, prepared
	/// (decoding and checking every point, computing `e(alpha, beta)`), once, here.
	fn check_zk_key(
		schema: &IoSchema,
		zk: &ZkArtifacts,
	) -> Result<(Option<PreparedKey>, ZkKeyOrigin), Error<T>> {
		ensure!(zk.constraints <= T::MaxZkConstraints::get(), Error::<T>::ZkCircuitTooLarge);
		let pin = Phase1::<T>::get();
		let phase1 = pin
			.as_ref()
			.map(|pin| opg_zk::Phase1Elements { alpha_g1: &pin.alpha_g1, beta_g2: &pin.beta_g2 });
		let registered =
			opg_zk::register_key_for(schema, &zk.verifying_key, phase1).map_err(Self::zk_error)?;
		match registered {
			opg_zk::RegisteredKey::Initial => Ok((None, ZkKeyOrigin::CeremonyRunning)),
			opg_zk::RegisteredKey::Finished(prepared) => {
				ensure!(InsecureZkSetup::<T>::get(), Error::<T>::ZkKeyNeedsCeremony);
				let prepared =
					PreparedKey::try_from(prepared).map_err(|_| Error::<T>::BadVerifyingKey)?;
				Ok((Some(prepared), ZkKeyOrigin::InsecureTestSetup))
			}
		}
	}

	/// The registry's error for why a key was refused.
	fn zk_error(error: opg_zk::ZkError) -> Error<T> {
		use opg_zk::ZkError as E;
		match error {
			E::SchemaNotProvable => Error::<T>::ZkSchemaNotProvable,
			E::PublicInputCount => Error::<T>::ZkPublicInputCount,
			E::DegenerateVerifyingKey => Error::<T>::DegenerateZkKey,
			E::NotFromPhase1 => Error::<T>::ZkKeyNotFromPhase1,
			E::NoPhase1 => Error::<T>::NoPhase1Pinned,
			E::MalformedVerifyingKey | E::MalformedProof | E::InvalidProof | E::ValueOutOfRange => {
				Error::<T>::BadVerifyingKey
			}
		}
	}

	/// Whether a version may run: not a ZK version whose ceremony has yet to make its key.
	fn key_settled(model_id: ModelId, version: VersionNumber) -> bool {
		ZkKeyOrigins::<T>::get(model_id, version) != Some(ZkKeyOrigin::CeremonyRunning)
	}

	/// Checks a version as `owner` described it and builds the records to store (its deposit
	/// not yet held).
	fn check_version(
		owner: &T::AccountId,
		spec: VersionSpecOf<T>,
	) -> Result<CheckedVersion<T>, DispatchError> {
		spec.schema.validate().map_err(Self::schema_error)?;
		ensure!(!spec.modes.is_empty(), Error::<T>::NoModes);
		let has_float_output = spec
			.schema
			.outputs
			.iter()
			.any(|output| matches!(output.dtype, TensorDtype::Float32 | TensorDtype::Float64));
		ensure!(spec.tolerance.is_exact() || has_float_output, Error::<T>::ToleranceWithoutFloats);
		ensure!(spec.modes.zk == spec.zk.is_some(), Error::<T>::ZkArtifactsMismatch);
		let key = match &spec.zk {
			Some(zk) => Some(Self::check_zk_key(&spec.schema, zk)?),
			None => None,
		};

		ensure!(spec.byte_size > 0, Error::<T>::EmptyModel);
		let chunk_size = T::ChunkSize::get();
		let max_size = u64::from(chunk_size).saturating_mul(u64::from(T::MaxChunks::get()));
		ensure!(spec.byte_size <= max_size, Error::<T>::ModelTooLarge);
		let chunks = chunk_count(spec.byte_size, chunk_size).ok_or(Error::<T>::ModelTooLarge)?;
		ensure!(spec.chunk_hashes.len() == chunks as usize, Error::<T>::ChunkCountMismatch);
		ensure!(
			content_id_from_chunk_hashes(chunk_size, spec.byte_size, &spec.chunk_hashes)
				== spec.content_id,
			Error::<T>::ContentIdMismatch
		);
		ensure!(
			!ContentByOwner::<T>::contains_key(owner, spec.content_id),
			Error::<T>::DuplicateModel
		);

		let stored_bytes = spec
			.schema
			.encoded_size()
			.saturating_add(spec.zk.encoded_size())
			.saturating_add(spec.chunk_hashes.encoded_size());
		let record = VersionInfo {
			content_id: spec.content_id,
			byte_size: spec.byte_size,
			chunk_count: chunks,
			chunk_size,
			schema: spec.schema,
			modes: spec.modes,
			tolerance: spec.tolerance,
			approved: false,
			deposit: Self::deposit_for(stored_bytes),
			registered_at: frame_system::Pallet::<T>::block_number(),
			completed_at: None,
		};
		let zk = spec.zk.zip(key).map(|(zk, (prepared, origin))| (zk, prepared, origin));
		Ok(CheckedVersion { record, chunk_hashes: spec.chunk_hashes, zk })
	}

	/// Holds a checked version's deposit from the model's owner, stores it as the model's next
	/// version and queues its expiry. Updates `model` (the caller stores it).
	fn insert_version(
		model: &mut ModelInfoOf<T>,
		model_id: ModelId,
		checked: CheckedVersion<T>,
	) -> Result<RegisteredVersion, DispatchError> {
		let CheckedVersion { record, chunk_hashes, zk } = checked;
		let number = model.latest_version.saturating_add(1);
		let (head, tail) = ExpiryQueueBounds::<T>::get();
		let next_tail = tail.checked_add(1).ok_or(Error::<T>::ExpiryQueueExhausted)?;
		Self::hold(&model.owner, record.deposit)?;

		ExpiryQueue::<T>::insert(tail, (model_id, number));
		ExpiryQueueBounds::<T>::put((head, next_tail));
		let expires_at = record.registered_at.saturating_add(T::UploadTimeout::get());
		Uploads::<T>::insert(model_id, number, UploadProgress { next_chunk: 0, expires_at });
		ContentByOwner::<T>::insert(&model.owner, record.content_id, (model_id, number));
		ContentRefs::<T>::mutate(record.content_id, |refs| *refs = refs.saturating_add(1));
		// Bytes waiting to be cleared are wanted again: what is left of them stays.
		StaleContent::<T>::remove(record.content_id);
		ChunkHashes::<T>::insert(model_id, number, chunk_hashes);
		if let Some((zk, prepared, origin)) = zk {
			VerifyingKeys::<T>::insert(model_id, number, zk);
			if let Some(prepared) = prepared {
				PreparedKeys::<T>::insert(model_id, number, prepared);
			}
			ZkKeyOrigins::<T>::insert(model_id, number, origin);
		}
		let registered = RegisteredVersion {
			version: number,
			content_id: record.content_id,
			byte_size: record.byte_size,
			chunk_count: record.chunk_count,
		};
		Versions::<T>::insert(model_id, number, record);
		model.latest_version = number;
		model.uploading = Some(number);
		Ok(registered)
	}

	/// Chunk hash `index` of a version with `chunk_count` chunks, read alone
	/// ([`opg_primitives::model::stored_chunk_hash`]).
	fn stored_chunk_hash(
		model_id: ModelId,
		version: VersionNumber,
		chunk_count: u32,
		index: u32,
	) -> Option<H256> {
		opg_primitives::model::stored_chunk_hash(
			&ChunkHashes::<T>::hashed_key_for(model_id, version),
			chunk_count,
			index,
		)
	}

	/// Makes `version` the model's active version if it is newer than the current one.
	fn activate(model_id: ModelId, model: &mut ModelInfoOf<T>, version: VersionNumber) {
		if model.active_version.is_some_and(|active| active >= version) {
			return;
		}
		model.active_version = Some(version);
		Self::deposit_event(Event::VersionActivated { model_id, version });
	}

	/// Expires the uploads at the head of the expiry queue whose time has come, looking at no
	/// more than `MaxExpiriesPerBlock` entries; returns how many it looked at. The upload clock
	/// stops while a model is suspended (its owner cannot upload then): a due upload of a
	/// suspended model goes back to the queue with a full timeout.
	fn expire_uploads(now: BlockNumberFor<T>) -> u32 {
		let (mut head, mut tail) = ExpiryQueueBounds::<T>::get();
		let mut examined = 0u32;
		while head < tail && examined < T::MaxExpiriesPerBlock::get() {
			if let Some((model_id, version)) = ExpiryQueue::<T>::get(head) {
				match Uploads::<T>::get(model_id, version) {
					// Entries are in registration order, so the rest are due later too.
					Some(progress) if progress.expires_at > now => break,
					Some(mut progress) => match Models::<T>::get(model_id) {
						Some(model) if model.suspended => {
							progress.expires_at = now.saturating_add(T::UploadTimeout::get());
							Uploads::<T>::insert(model_id, version, progress);
							ExpiryQueue::<T>::insert(tail, (model_id, version));
							tail = tail.saturating_add(1);
						}
						Some(model) => Self::expire_upload(model_id, version, model),
						None => {}
					},
					// Completed, or removed with its model: nothing to do.
					None => {}
				}
				ExpiryQueue::<T>::remove(head);
			}
			head = head.saturating_add(1);
			examined = examined.saturating_add(1);
		}
		if examined > 0 {
			ExpiryQueueBounds::<T>::put((head, tail));
		}
		examined
	}

	/// Drops a version whose upload did not complete in time: forfeits part of its deposit and
	/// releases the rest; drops the model too when this was its first version.
	fn expire_upload(model_id: ModelId, version: VersionNumber, mut model: ModelInfoOf<T>) {
		let Some(record) = Versions::<T>::get(model_id, version) else { return };
		Self::remove_version(model_id, version, &record, &model.owner);
		let forfeit = T::ExpiredUploadForfeit::get().mul_floor(record.deposit);
		let deposit_forfeited = Self::forfeit(&model.owner, forfeit);
		let deposit_released =
			Self::release(&model.owner, record.deposit.saturating_sub(deposit_forfeited));
		Self::deposit_event(Event::UploadExpired {
			model_id,
			version,
			deposit_released,
			deposit_forfeited,
		});
		model.uploading = None;
		// Versions are added only after the previous one completed and complete versions stay
		// until the model goes, so an expiring version 1 is the model's only version.
		if version == 1 {
			let deposit_released = Self::release(&model.owner, model.deposit);
			Self::remove_model_record(model_id, &model.owner);
			Self::deposit_event(Event::ModelRemoved { model_id, deposit_released });
		} else {
			Models::<T>::insert(model_id, model);
		}
	}

	/// Removes a model and all its versions; returns the deposits they held (still held).
	fn remove_model(model_id: ModelId, model: ModelInfoOf<T>) -> BalanceOf<T> {
		let mut deposit = model.deposit;
		for number in 1..=model.latest_version {
			if let Some(record) = Versions::<T>::get(model_id, number) {
				deposit = deposit.saturating_add(record.deposit);
				Self::remove_version(model_id, number, &record, &model.owner);
			}
		}
		Self::remove_model_record(model_id, &model.owner);
		deposit
	}

	/// Removes the model's own record and its place in the owner's catalogue.
	fn remove_model_record(model_id: ModelId, owner: &T::AccountId) {
		Models::<T>::remove(model_id);
		ModelsByOwner::<T>::remove(owner, model_id);
	}

	/// Removes a version's records and, when no other version uses its bytes, queues them to be
	/// cleared from every node's off-chain database. Its deposit stays held for the caller to
	/// settle.
	fn remove_version(
		model_id: ModelId,
		number: VersionNumber,
		record: &VersionInfoOf<T>,
		owner: &T::AccountId,
	) {
		Versions::<T>::remove(model_id, number);
		Uploads::<T>::remove(model_id, number);
		ChunkHashes::<T>::remove(model_id, number);
		VerifyingKeys::<T>::remove(model_id, number);
		PreparedKeys::<T>::remove(model_id, number);
		if let Some(ZkKeyOrigin::Ceremony { .. }) = ZkKeyOrigins::<T>::take(model_id, number) {
			// Its key's provenance and bytes go with it.
			T::Ceremony::forget(model_id, number);
		}
		ContentByOwner::<T>::remove(owner, record.content_id);
		let unused = ContentRefs::<T>::mutate_exists(record.content_id, |refs| {
			let remaining = refs.unwrap_or(0).saturating_sub(1);
			*refs = (remaining > 0).then_some(remaining);
			remaining == 0
		});
		if unused {
			// Every chunk, not only those this version uploaded: another owner's version of the
			// same bytes may have written the rest before it went.
			StaleContent::<T>::insert(record.content_id, record.chunk_count);
		}
	}

	/// The most weight removing `versions` versions adds in the ceremony pallet, which forgets
	/// each finished ceremony's transcript and key.
	fn forget_keys_weight(versions: u32) -> Weight {
		T::Ceremony::forget_weight().saturating_mul(versions.into())
	}

	/// The weight of clearing `chunks` stale chunks: the hook's measured work plus the
	/// off-chain database writes, which a benchmark does not see.
	fn clear_weight(chunks: u32) -> Weight {
		T::WeightInfo::clear_stale_chunks(chunks)
			.saturating_add(T::DbWeight::get().writes(chunks.into()))
	}

	/// Clears up to `max` chunks of one stale content id from the nodes' off-chain databases
	/// (last chunk first); returns how many it cleared.
	fn clear_stale_chunks(max: u32) -> u32 {
		let Some((content_id, left)) = StaleContent::<T>::iter().next() else { return 0 };
		let cleared = left.min(max);
		let remaining = left.saturating_sub(cleared);
		for index in remaining..left {
			sp_io::offchain_index::clear(&chunk_storage_key(&content_id, index));
		}
		if remaining == 0 {
			StaleContent::<T>::remove(content_id);
		} else {
			StaleContent::<T>::insert(content_id, remaining);
		}
		cleared
	}

	fn set_suspended(model_id: ModelId, suspended: bool) -> DispatchResult {
		Models::<T>::try_mutate(model_id, |model| {
			let model = model.as_mut().ok_or(Error::<T>::ModelNotFound)?;
			if suspended {
				ensure!(!model.suspended, Error::<T>::ModelSuspended);
			} else {
				ensure!(model.suspended, Error::<T>::NotSuspended);
			}
			model.suspended = suspended;
			Ok(())
		})
	}

	/// The deposit for a record keeping `bytes` bytes in state.
	fn deposit_for(bytes: usize) -> BalanceOf<T> {
		T::DepositBase::get()
			.saturating_add(T::DepositPerByte::get().saturating_mul(bytes.saturated_into()))
	}

	fn hold(who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		T::Currency::hold(&HoldReason::ModelDeposit.into(), who, amount)
			.map_err(|_| Error::<T>::InsufficientDeposit.into())
	}

	/// Releases up to `amount` of `who`'s deposit; returns what was released.
	fn release(who: &T::AccountId, amount: BalanceOf<T>) -> BalanceOf<T> {
		if amount.is_zero() {
			return amount;
		}
		T::Currency::release(&HoldReason::ModelDeposit.into(), who, amount, Precision::BestEffort)
			.unwrap_or_else(|_| Zero::zero())
	}

	/// Takes up to `amount` of `who`'s deposit to [`Config::OnForfeit`]; returns what was taken.
	fn forfeit(who: &T::AccountId, amount: BalanceOf<T>) -> BalanceOf<T> {
		if amount.is_zero() {
			return amount;
		}
		let (credit, _missing) =
			<T::Currency as BalancedHold<_>>::slash(&HoldReason::ModelDeposit.into(), who, amount);
		let taken = frame_support::traits::Imbalance::peek(&credit);
		T::OnForfeit::on_unbalanced(credit);
		taken
	}

	fn schema_error(error: SchemaError) -> DispatchError {
		match error {
			SchemaError::NoTensors => Error::<T>::NoTensors,
			SchemaError::BadName => Error::<T>::BadTensorName,
			SchemaError::EmptyShape => Error::<T>::EmptyShape,
			SchemaError::BadDimension => Error::<T>::BadDimension,
			SchemaError::MisplacedDynamicDim => Error::<T>::MisplacedDynamicDim,
			SchemaError::TooManyElements => Error::<T>::TooManyElements,
		}
		.into()
	}

	/// A model record, for the runtime API.
	pub fn model(model_id: ModelId) -> Option<ModelInfoOf<T>> {
		Models::<T>::get(model_id)
	}

	/// One version's metadata, for the runtime API.
	pub fn version(model_id: ModelId, version: VersionNumber) -> Option<VersionInfoOf<T>> {
		Versions::<T>::get(model_id, version)
	}

	/// An upload's progress, for the runtime API.
	pub fn upload_progress(
		model_id: ModelId,
		version: VersionNumber,
	) -> Option<UploadProgress<BlockNumberFor<T>>> {
		Uploads::<T>::get(model_id, version)
	}

	/// A ZK version's Groth16 artifacts, for the runtime API.
	pub fn verifying_key(model_id: ModelId, version: VersionNumber) -> Option<ZkArtifacts> {
		VerifyingKeys::<T>::get(model_id, version)
	}

	/// The chunk hashes of one version, for the runtime API and nodes fetching a whole model.
	pub fn chunk_hashes(model_id: ModelId, version: VersionNumber) -> Option<Vec<H256>> {
		ChunkHashes::<T>::get(model_id, version).map(BoundedVec::into_inner)
	}

	/// The hash of one chunk, for nodes checking a single chunk.
	pub fn chunk_hash(model_id: ModelId, version: VersionNumber, index: u32) -> Option<H256> {
		let record = Versions::<T>::get(model_id, version)?;
		Self::stored_chunk_hash(model_id, version, record.chunk_count, index)
	}

	/// Up to `limit` (1 to [`MAX_PAGE`]) of `owner`'s model ids, in storage order, after the
	/// model `after` (from the first when `None`).
	pub fn models_by_owner(owner: &T::AccountId, after: Option<ModelId>, limit: u32) -> ModelPage {
		let limit = limit.clamp(1, MAX_PAGE) as usize;
		let models: Vec<ModelId> = match after {
			Some(after) => ModelsByOwner::<T>::iter_key_prefix_from(
				owner,
				ModelsByOwner::<T>::hashed_key_for(owner, after),
			)
			.take(limit)
			.collect(),
			None => ModelsByOwner::<T>::iter_key_prefix(owner).take(limit).collect(),
		};
		let next = if models.len() == limit { models.last().copied() } else { None };
		ModelPage { models, next }
	}

	/// The ids of the models that accept requests now among ids `start..start + limit`
	/// (`limit` from 1 to [`MAX_PAGE`]); `next` is where the following page starts.
	pub fn active_models(start: ModelId, limit: u32) -> ModelPage {
		let next_id = NextModelId::<T>::get();
		let end = start.saturating_add(limit.clamp(1, MAX_PAGE)).min(next_id);
		let models = (start..end)
			.filter(|model_id| Models::<T>::get(model_id).is_some_and(|m| Self::is_runnable(&m)))
			.collect();
		ModelPage { models, next: (end < next_id).then_some(end) }
	}

	fn is_runnable(model: &ModelInfoOf<T>) -> bool {
		model.status == ModelStatus::Active && !model.suspended && model.active_version.is_some()
	}

	/// Checks the invariants listed in the crate docs.
	#[cfg(any(test, feature = "try-runtime"))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::{btree_map::BTreeMap, btree_set::BTreeSet};
		use frame_support::traits::fungible::InspectHold;
		opg_primitives::check_storage_version::<Self>()?;

		let mut deposits: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let mut content_refs: BTreeMap<ContentId, u32> = BTreeMap::new();
		let (head, tail) = ExpiryQueueBounds::<T>::get();
		ensure!(head <= tail, "expiry queue head past its tail");
		let queued: BTreeSet<(ModelId, VersionNumber)> =
			(head..tail).filter_map(ExpiryQueue::<T>::get).collect();
		ensure!(
			ExpiryQueue::<T>::iter_keys().all(|position| (head..tail).contains(&position)),
			"expiry queue entry outside head..tail"
		);

		for (model_id, model) in Models::<T>::iter() {
			ensure!(model_id < NextModelId::<T>::get(), "model id not below NextModelId");
			ensure!(
				ModelsByOwner::<T>::contains_key(&model.owner, model_id),
				"model missing from ModelsByOwner"
			);
			ensure!(Versions::<T>::contains_key(model_id, 1), "model without its version 1");
			let owed = deposits.entry(model.owner.clone()).or_default();
			*owed = owed.saturating_add(model.deposit);
			let mut uploading = Vec::new();
			for (number, record) in Versions::<T>::iter_prefix(model_id) {
				ensure!(number <= model.latest_version, "version above latest_version");
				*owed = owed.saturating_add(record.deposit);
				let refs = content_refs.entry(record.content_id).or_default();
				*refs = refs.saturating_add(1);
				ensure!(
					ContentByOwner::<T>::get(&model.owner, record.content_id)
						== Some((model_id, number)),
					"version missing from ContentByOwner"
				);
				let hashes =
					ChunkHashes::<T>::get(model_id, number).ok_or("chunk hashes missing")?;
				ensure!(hashes.len() == record.chunk_count as usize, "chunk hash count differs");
				ensure!(
					chunk_count(record.byte_size, record.chunk_size) == Some(record.chunk_count),
					"chunk count does not fit the byte size"
				);
				ensure!(
					content_id_from_chunk_hashes(record.chunk_size, record.byte_size, &hashes)
						== record.content_id,
					"chunk hashes do not define the content id"
				);
				ensure!(
					VerifyingKeys::<T>::contains_key(model_id, number) == record.modes.zk,
					"verifying key present exactly for ZK versions"
				);
				ensure!(
					ZkKeyOrigins::<T>::contains_key(model_id, number) == record.modes.zk,
					"key origin present exactly for ZK versions"
				);
				ensure!(
					PreparedKeys::<T>::contains_key(model_id, number)
						== (record.modes.zk && Self::key_settled(model_id, number)),
					"prepared key present exactly for ZK versions whose key is settled"
				);
				match Uploads::<T>::get(model_id, number) {
					Some(progress) => {
						ensure!(!record.is_complete(), "complete version still uploading");
						ensure!(
							progress.next_chunk < record.chunk_count,
							"upload past its last chunk"
						);
						ensure!(
							queued.contains(&(model_id, number)),
							"uploading version not queued to expire"
						);
						uploading.push(number);
					}
					None => ensure!(record.is_complete(), "incomplete version not uploading"),
				}
			}
			ensure!(uploading.len() <= 1, "more than one uploading version");
			ensure!(
				model.uploading.is_none() || model.uploading == Some(model.latest_version),
				"the uploading version is not the latest"
			);
			ensure!(uploading.first().copied() == model.uploading, "model.uploading differs");
			if let Some(active) = model.active_version {
				let record =
					Versions::<T>::get(model_id, active).ok_or("active version missing")?;
				ensure!(
					record.approved && record.is_complete(),
					"active version not complete and approved"
				);
				ensure!(
					Self::key_settled(model_id, active),
					"active version whose ZK key is not settled"
				);
			}
		}

		for (model_id, _, _) in Versions::<T>::iter() {
			ensure!(Models::<T>::contains_key(model_id), "orphaned version");
		}
		for (model_id, number) in ChunkHashes::<T>::iter_keys() {
			ensure!(Versions::<T>::contains_key(model_id, number), "orphaned chunk hashes");
		}
		for (model_id, number) in Uploads::<T>::iter_keys() {
			ensure!(Versions::<T>::contains_key(model_id, number), "orphaned upload");
		}
		for (model_id, number) in VerifyingKeys::<T>::iter_keys() {
			ensure!(Versions::<T>::contains_key(model_id, number), "orphaned verifying key");
		}
		for (owner, content_id, (model_id, number)) in ContentByOwner::<T>::iter() {
			ensure!(
				Models::<T>::get(model_id).is_some_and(|model| model.owner == owner)
					&& Versions::<T>::get(model_id, number)
						.is_some_and(|record| record.content_id == content_id),
				"ContentByOwner points at a missing version"
			);
		}
		ensure!(
			ContentRefs::<T>::iter().collect::<BTreeMap<_, _>>() == content_refs,
			"ContentRefs differs from the versions' content ids"
		);
		for content_id in StaleContent::<T>::iter_keys() {
			ensure!(!content_refs.contains_key(&content_id), "bytes in use queued to be cleared");
		}
		for (owner, model_id, ()) in ModelsByOwner::<T>::iter() {
			ensure!(
				Models::<T>::get(model_id).is_some_and(|model| model.owner == owner),
				"ModelsByOwner entry without its model"
			);
		}
		for account in frame_system::Account::<T>::iter_keys() {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::ModelDeposit.into(), &account)
					== deposits.get(&account).copied().unwrap_or_default(),
				"held deposit differs from the registry's deposits"
			);
		}
		Ok(())
	}
}

impl<T: Config> ModelCatalog<T::AccountId, BalanceOf<T>> for Pallet<T> {
	fn runnable(model_id: ModelId) -> Option<RunnableModel<T::AccountId, BalanceOf<T>>> {
		let model = Models::<T>::get(model_id).filter(Self::is_runnable)?;
		Self::model_version(model_id, model.active_version?)
	}

	fn chunk_hash(model_id: ModelId, version: VersionNumber, index: u32) -> Option<H256> {
		Pallet::<T>::chunk_hash(model_id, version, index)
	}

	fn zk_key(model_id: ModelId, version: VersionNumber) -> Option<ZkKey> {
		let artifacts = VerifyingKeys::<T>::get(model_id, version)?;
		Some(ZkKey {
			prepared: PreparedKeys::<T>::get(model_id, version)?,
			proving_key_hash: artifacts.proving_key_hash,
			constraints: artifacts.constraints,
		})
	}

	fn has_zk_key(model_id: ModelId, version: VersionNumber) -> bool {
		VerifyingKeys::<T>::contains_key(model_id, version)
			&& PreparedKeys::<T>::contains_key(model_id, version)
	}

	fn zk_key_chunk_hash(model_id: ModelId, version: VersionNumber, index: u32) -> Option<H256> {
		// Only a key the ceremony made (and prepared) passed through the data layer.
		PreparedKeys::<T>::contains_key(model_id, version).then_some(())?;
		let key = VerifyingKeys::<T>::get(model_id, version)?.proving_key_hash;
		T::Ceremony::state_chunk_hash(model_id, version, key, index)
	}

	fn model_version(
		model_id: ModelId,
		version: VersionNumber,
	) -> Option<RunnableModel<T::AccountId, BalanceOf<T>>> {
		let model = Models::<T>::get(model_id)?;
		let record = Versions::<T>::get(model_id, version).filter(|v| v.is_complete())?;
		Some(RunnableModel {
			owner: model.owner,
			version,
			content_id: record.content_id,
			byte_size: record.byte_size,
			schema: record.schema,
			modes: record.modes,
			tolerance: record.tolerance,
			chunk_size: record.chunk_size,
			price: model.price,
		})
	}
}

impl<T: Config> CeremonyKeys for Pallet<T> {
	fn exists(model_id: ModelId, version: VersionNumber) -> bool {
		Versions::<T>::contains_key(model_id, version)
	}

	fn finish(
		model_id: ModelId,
		version: VersionNumber,
		delta_g2: &[u8],
		head: H256,
		origin: ZkKeyOrigin,
	) -> DispatchResult {
		let record = Versions::<T>::get(model_id, version).ok_or(Error::<T>::VersionNotFound)?;
		let artifacts =
			VerifyingKeys::<T>::get(model_id, version).ok_or(Error::<T>::VersionNotFound)?;
		let (verifying_key, prepared) =
			opg_zk::finish_key_for(&record.schema, &artifacts.verifying_key, delta_g2)
				.map_err(Self::zk_error)?;
		let verifying_key =
			VerifyingKey::try_from(verifying_key).map_err(|_| Error::<T>::BadVerifyingKey)?;
		let prepared = PreparedKey::try_from(prepared).map_err(|_| Error::<T>::BadVerifyingKey)?;
		// The same key but for `delta`: same length, so the version's deposit still covers it.
		VerifyingKeys::<T>::insert(
			model_id,
			version,
			ZkArtifacts {
				verifying_key,
				proving_key_hash: head,
				constraints: artifacts.constraints,
			},
		);
		PreparedKeys::<T>::insert(model_id, version, prepared);
		ZkKeyOrigins::<T>::insert(model_id, version, origin);
		Self::deposit_event(Event::ZkKeySettled { model_id, version, origin });
		if record.is_complete() && record.approved {
			if let Some(mut model) = Models::<T>::get(model_id) {
				Self::activate(model_id, &mut model, version);
				Models::<T>::insert(model_id, model);
			}
		}
		Ok(())
	}

	fn finish_weight() -> Weight {
		// Decoding the initial key (a square root per point, its largest size) and preparing the
		// final one: what registering a version with the largest key measures, which bounds it.
		T::WeightInfo::add_version(0, opg_primitives::model::MAX_VERIFYING_KEY_LEN)
	}

	fn discard_state(state: H256, chunks: u32) {
		if chunks > 0 {
			StaleContent::<T>::insert(state, chunks);
		}
	}

	fn keep_state(state: H256) {
		StaleContent::<T>::remove(state);
	}

	fn key_check_inputs(
		model_id: ModelId,
		version: VersionNumber,
	) -> Option<opg_primitives::model::KeyCheckInputs> {
		let record = Versions::<T>::get(model_id, version)?;
		let artifacts = VerifyingKeys::<T>::get(model_id, version)?;
		let pin = Phase1::<T>::get()?;
		Some(opg_primitives::model::KeyCheckInputs {
			model: opg_primitives::inference::ModelRef {
				content_id: record.content_id,
				byte_size: record.byte_size,
				chunk_size: record.chunk_size,
			},
			ptau_hashes: pin.files.iter().map(|(_, hash)| hash.0).collect(),
			constraints: artifacts.constraints,
		})
	}

	fn fail(model_id: ModelId, version: VersionNumber) {
		// A version whose key never came never ran and never will: it goes, its deposit is
		// released, and its owner may register the bytes again. A failed version 1 takes its
		// model along (a model keeps its version 1), as an expired first upload does.
		let (Some(model), Some(record)) =
			(Models::<T>::get(model_id), Versions::<T>::get(model_id, version))
		else {
			return;
		};
		Self::remove_version(model_id, version, &record, &model.owner);
		let deposit_released = Self::release(&model.owner, record.deposit);
		Self::deposit_event(Event::VersionDropped { model_id, version, deposit_released });
		if version == 1 {
			let deposit_released = Self::release(&model.owner, model.deposit);
			Self::remove_model_record(model_id, &model.owner);
			Self::deposit_event(Event::ModelRemoved { model_id, deposit_released });
		}
	}
}
