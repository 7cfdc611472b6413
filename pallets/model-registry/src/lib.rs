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
//! approves it where [`ApprovalRequired`] is set.
//!
//! The content id is defined in [`opg_primitives::model`]: a blake2-256 over the size and the
//! chunk hashes, so it can be checked chunk by chunk, from the bytes alone.
//!
//! ## Calls
//!
//! Owners: [`Pallet::register_model`], [`Pallet::add_version`], [`Pallet::upload_chunk`],
//! [`Pallet::set_price`], [`Pallet::deprecate_model`], [`Pallet::retire_model`].
//! Governance ([`Config::GovernanceOrigin`]): [`Pallet::approve_version`],
//! [`Pallet::suspend_model`], [`Pallet::resume_model`], [`Pallet::set_approval_required`].
//!
//! ## Deposits
//!
//! Registering a model and each version holds a deposit from the owner
//! ([`HoldReason::ModelDeposit`]): [`Config::DepositBase`] plus [`Config::DepositPerByte`] for
//! each byte the record keeps in state. A version whose upload is not complete within
//! [`Config::UploadTimeout`] blocks expires and its deposit is released (with the model's, if it
//! was the model's only version). Retiring a model releases everything.
//!
//! ## Invariants (checked by `try_state`)
//!
//! - Each owner's held [`HoldReason::ModelDeposit`] equals the sum of the deposits of the
//!   owner's models and their versions.
//! - Every uploading version has its chunk hashes stored and is queued to expire; every content
//!   id maps to the version that holds it and back.
//! - A model's active version exists, is complete and approved; its latest version is the
//!   highest stored.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

use alloc::vec::Vec;
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{Inspect, MutateHold},
		tokens::Precision,
	},
};
use frame_system::pallet_prelude::*;
use opg_primitives::model::{
	chunk_count, chunk_storage_key, content_id_from_chunk_hashes, ContentId, IoSchemaInput,
	ModeSet, ModelCatalog, ModelId, ModelInfo, ModelStatus, ModelVersion, RunnableModel,
	SchemaError, UploadState, VersionNumber, ZkArtifacts, ZkArtifactsInput,
};
use sp_core::H256;
use sp_runtime::{
	traits::{Saturating, Zero},
	SaturatedConversion,
};

/// The balance type of the currency deposits are held in.
pub type BalanceOf<T> =
	<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// A model record as this runtime stores it.
pub type ModelInfoOf<T> = ModelInfo<<T as frame_system::Config>::AccountId, BalanceOf<T>>;

/// A version record as this runtime stores it.
pub type ModelVersionOf<T> = ModelVersion<BlockNumberFor<T>, BalanceOf<T>>;

/// The chunk hashes of one version.
pub type ChunkHashesOf<T> = BoundedVec<H256, <T as Config>::MaxChunks>;

/// A version as its owner describes it in [`Pallet::register_model`] and
/// [`Pallet::add_version`].
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub struct VersionSpec {
	/// Input and output tensors.
	pub schema: IoSchemaInput,
	/// Supported verification modes.
	pub modes: ModeSet,
	/// Groth16 artifacts: required with ZK mode, refused without it.
	pub zk: Option<ZkArtifactsInput>,
	/// Content id of the ONNX bytes.
	pub content_id: ContentId,
	/// Size of the ONNX bytes.
	pub byte_size: u64,
	/// Blake2-256 of each chunk of `ChunkSize` bytes, in order.
	pub chunk_hashes: Vec<H256>,
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// Deposit for a model's or a version's state.
		ModelDeposit,
	}

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The currency deposits are held in.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// Who may approve versions, suspend and resume models, and say whether approval is
		/// required.
		type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Size of every upload chunk but the last, in bytes. Part of the content id's definition:
		/// changing it changes the content id of every model uploaded afterwards.
		#[pallet::constant]
		type ChunkSize: Get<u32>;

		/// Most chunks in one version: with `ChunkSize` this bounds a model's size.
		#[pallet::constant]
		type MaxChunks: Get<u32>;

		/// Most versions one model may have.
		#[pallet::constant]
		type MaxVersions: Get<u32>;

		/// Blocks an upload may take before it expires and its deposit is returned.
		#[pallet::constant]
		type UploadTimeout: Get<BlockNumberFor<Self>>;

		/// Most uploads that may expire in one block.
		#[pallet::constant]
		type MaxExpiriesPerBlock: Get<u32>;

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
	pub struct Pallet<T>(_);

	/// The id the next registered model gets.
	#[pallet::storage]
	pub type NextModelId<T> = StorageValue<_, ModelId, ValueQuery>;

	/// Models by id.
	#[pallet::storage]
	pub type Models<T: Config> = StorageMap<_, Blake2_128Concat, ModelId, ModelInfoOf<T>>;

	/// Versions by model id and version number.
	#[pallet::storage]
	pub type Versions<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		ModelId,
		Twox64Concat,
		VersionNumber,
		ModelVersionOf<T>,
	>;

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

	/// The model and version that hold each content id: the same bytes are registered once.
	#[pallet::storage]
	pub type ContentIndex<T> =
		StorageMap<_, Identity, ContentId, (ModelId, VersionNumber), OptionQuery>;

	/// Models by owner, for listing an owner's catalogue.
	#[pallet::storage]
	pub type ModelsByOwner<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Twox64Concat, ModelId, ()>;

	/// Uploads that expire at a block, if still incomplete then.
	#[pallet::storage]
	pub type UploadExpiries<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<(ModelId, VersionNumber), T::MaxExpiriesPerBlock>,
		ValueQuery,
	>;

	/// Whether a complete version needs governance approval before it runs.
	#[pallet::storage]
	pub type ApprovalRequired<T> = StorageValue<_, bool, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Whether versions need governance approval.
		pub approval_required: bool,
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			ApprovalRequired::<T>::put(self.approval_required);
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
		/// An upload did not complete in time; the version is gone and its deposit released.
		UploadExpired { model_id: ModelId, version: VersionNumber, deposit_released: BalanceOf<T> },
		/// A model whose only version expired was removed; its deposit is released.
		ModelRemoved { model_id: ModelId, deposit_released: BalanceOf<T> },
		/// The owner set a new price.
		PriceSet { model_id: ModelId, price: BalanceOf<T> },
		/// The owner deprecated a model: no new requests or versions.
		ModelDeprecated { model_id: ModelId },
		/// The owner retired a deprecated model; it is gone and all its deposits are released.
		ModelRetired { model_id: ModelId, deposit_released: BalanceOf<T> },
		/// Governance suspended a model.
		ModelSuspended { model_id: ModelId },
		/// Governance lifted a suspension.
		ModelResumed { model_id: ModelId },
		/// Governance changed whether versions need approval.
		ApprovalRequirementSet { required: bool },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The model name is empty.
		EmptyName,
		/// The model name is longer than `MAX_NAME_LEN` bytes.
		NameTooLong,
		/// The description is longer than `MAX_DESCRIPTION_LEN` bytes.
		DescriptionTooLong,
		/// The schema has no input or no output tensor.
		NoTensors,
		/// The schema has more than `MAX_TENSORS` inputs or outputs.
		TooManyTensors,
		/// A tensor name is empty, or two tensors on one side share a name.
		BadTensorName,
		/// A tensor name is longer than `MAX_TENSOR_NAME_LEN` bytes.
		TensorNameTooLong,
		/// A tensor has no dimensions; write a scalar as shape `[1]`.
		EmptyShape,
		/// A tensor has more than `MAX_RANK` dimensions.
		RankTooHigh,
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
		/// The verifying key is empty or longer than `MAX_VERIFYING_KEY_LEN` bytes.
		BadVerifyingKey,
		/// The model has no bytes.
		EmptyModel,
		/// The model is larger than `ChunkSize * MaxChunks` bytes.
		ModelTooLarge,
		/// The number of chunk hashes is not the number of `ChunkSize` chunks the size needs.
		ChunkCountMismatch,
		/// The content id is not the one the size and chunk hashes define.
		ContentIdMismatch,
		/// These bytes are already registered, as the model and version in `ContentIndex`.
		DuplicateModel,
		/// No model has this id.
		ModelNotFound,
		/// The model has no version with this number.
		VersionNotFound,
		/// Only the model's owner may do this.
		NotOwner,
		/// The model already has `MaxVersions` versions.
		TooManyVersions,
		/// The model's previous version is still uploading.
		UploadInProgress,
		/// This version's upload is complete (or expired).
		UploadNotInProgress,
		/// A chunk was skipped: chunks are uploaded in order, and this index is ahead.
		ChunkOutOfOrder,
		/// This chunk was uploaded already.
		ChunkAlreadyUploaded,
		/// The chunk is larger than `ChunkSize` bytes.
		ChunkTooLarge,
		/// The chunk's size is not what its index calls for (`ChunkSize`, or the remainder last).
		WrongChunkSize,
		/// The chunk's blake2-256 is not the hash committed for its index.
		WrongChunkHash,
		/// Too many uploads expire in the block this one would: try again in the next block.
		ExpiryQueueFull,
		/// The account cannot pay the deposit.
		InsufficientDeposit,
		/// The model is deprecated: it takes no new versions and is deprecated already.
		ModelDeprecated,
		/// The model must be deprecated before it is retired.
		NotDeprecated,
		/// The model is suspended by governance.
		ModelSuspended,
		/// The model is not suspended.
		NotSuspended,
		/// The version's upload is not complete.
		VersionIncomplete,
		/// The version is approved already.
		AlreadyApproved,
		/// No model id is left.
		ModelIdsExhausted,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let expiring = UploadExpiries::<T>::take(now);
			let count = expiring.len() as u32;
			for (model_id, version) in expiring {
				Self::expire_upload(model_id, version);
			}
			T::WeightInfo::on_initialize(count)
		}

		fn integrity_test() {
			assert!(T::ChunkSize::get() > 0, "ChunkSize must be positive");
			assert!(T::MaxChunks::get() > 0, "MaxChunks must be positive");
			assert!(T::MaxVersions::get() > 0, "MaxVersions must be positive");
			assert!(!T::UploadTimeout::get().is_zero(), "UploadTimeout must be positive");
			assert!(T::MaxExpiriesPerBlock::get() > 0, "MaxExpiriesPerBlock must be positive");
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
			name: Vec<u8>,
			description: Vec<u8>,
			price: BalanceOf<T>,
			version: VersionSpec,
		) -> DispatchResult {
			let owner = ensure_signed(origin)?;
			ensure!(!name.is_empty(), Error::<T>::EmptyName);
			let name: opg_primitives::model::ModelName =
				name.try_into().map_err(|_| Error::<T>::NameTooLong)?;
			let description: opg_primitives::model::ModelDescription =
				description.try_into().map_err(|_| Error::<T>::DescriptionTooLong)?;
			let (record, chunk_hashes) = Self::check_version(version)?;

			// Calls run in a storage transaction: if holding the version's deposit fails below,
			// this hold is rolled back with everything else.
			let model_id = NextModelId::<T>::get();
			let next_id = model_id.checked_add(1).ok_or(Error::<T>::ModelIdsExhausted)?;
			let deposit = Self::deposit_for(name.len().saturating_add(description.len()));
			Self::hold(&owner, deposit)?;

			let model = ModelInfo {
				owner: owner.clone(),
				name,
				description,
				price,
				status: ModelStatus::Active,
				suspended: false,
				active_version: None,
				latest_version: 1,
				deposit,
			};
			let (content_id, byte_size, chunk_count) =
				(record.content_id, record.byte_size, record.chunk_count);
			Self::insert_version(&owner, model_id, 1, record, chunk_hashes)?;
			Models::<T>::insert(model_id, model);
			ModelsByOwner::<T>::insert(&owner, model_id, ());
			NextModelId::<T>::put(next_id);

			Self::deposit_event(Event::ModelRegistered {
				model_id,
				owner,
				version: 1,
				content_id,
				byte_size,
				chunk_count,
			});
			Ok(())
		}

		/// Uploads chunk `index` of a version. Chunks go in order; each must match the hash
		/// committed at registration. The bytes go to every node's off-chain database, not state.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::upload_chunk(data.len() as u32))]
		pub fn upload_chunk(
			origin: OriginFor<T>,
			model_id: ModelId,
			version: VersionNumber,
			index: u32,
			data: Vec<u8>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let model = Models::<T>::get(model_id).ok_or(Error::<T>::ModelNotFound)?;
			ensure!(model.owner == who, Error::<T>::NotOwner);
			let mut record =
				Versions::<T>::get(model_id, version).ok_or(Error::<T>::VersionNotFound)?;
			let UploadState::Uploading { next_chunk, expires_at } = record.upload else {
				return Err(Error::<T>::UploadNotInProgress.into());
			};
			ensure!(index >= next_chunk, Error::<T>::ChunkAlreadyUploaded);
			ensure!(index == next_chunk, Error::<T>::ChunkOutOfOrder);
			let chunk_size = T::ChunkSize::get();
			ensure!(data.len() <= chunk_size as usize, Error::<T>::ChunkTooLarge);
			ensure!(
				data.len() as u64 == Self::expected_chunk_len(record.byte_size, index),
				Error::<T>::WrongChunkSize
			);
			let hashes =
				ChunkHashes::<T>::get(model_id, version).ok_or(Error::<T>::VersionNotFound)?;
			ensure!(
				hashes.get(index as usize) == Some(&H256(sp_io::hashing::blake2_256(&data))),
				Error::<T>::WrongChunkHash
			);

			sp_io::offchain_index::set(&chunk_storage_key(&record.content_id, index), &data);

			let uploaded = index.saturating_add(1);
			let remaining = record.chunk_count.saturating_sub(uploaded);
			Self::deposit_event(Event::ChunkUploaded { model_id, version, index, remaining });
			if remaining > 0 {
				if let UploadState::Uploading { next_chunk, .. } = &mut record.upload {
					*next_chunk = uploaded;
				}
				Versions::<T>::insert(model_id, version, record);
				return Ok(());
			}

			let now = frame_system::Pallet::<T>::block_number();
			record.upload = UploadState::Complete { at: now };
			Self::unqueue_expiry(expires_at, model_id, version);
			let content_id = record.content_id;
			let approved = !ApprovalRequired::<T>::get();
			record.approved = approved;
			Versions::<T>::insert(model_id, version, record);
			Self::deposit_event(Event::UploadCompleted { model_id, version, content_id });
			if approved {
				Self::activate(model_id, model, version);
			}
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
			version: VersionSpec,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut model = Models::<T>::get(model_id).ok_or(Error::<T>::ModelNotFound)?;
			ensure!(model.owner == who, Error::<T>::NotOwner);
			ensure!(model.status == ModelStatus::Active, Error::<T>::ModelDeprecated);
			ensure!(!model.suspended, Error::<T>::ModelSuspended);
			ensure!(model.latest_version < T::MaxVersions::get(), Error::<T>::TooManyVersions);
			let previous = Versions::<T>::get(model_id, model.latest_version)
				.ok_or(Error::<T>::VersionNotFound)?;
			ensure!(
				matches!(previous.upload, UploadState::Complete { .. }),
				Error::<T>::UploadInProgress
			);
			let (record, chunk_hashes) = Self::check_version(version)?;

			let number = model.latest_version.saturating_add(1);
			let (content_id, byte_size, chunk_count) =
				(record.content_id, record.byte_size, record.chunk_count);
			Self::insert_version(&who, model_id, number, record, chunk_hashes)?;
			model.latest_version = number;
			Models::<T>::insert(model_id, model);

			Self::deposit_event(Event::VersionAdded {
				model_id,
				version: number,
				content_id,
				byte_size,
				chunk_count,
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

		/// Deprecates a model: it takes no new requests or versions, and may then be retired.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::deprecate_model())]
		pub fn deprecate_model(origin: OriginFor<T>, model_id: ModelId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Models::<T>::try_mutate(model_id, |model| {
				let model = model.as_mut().ok_or(Error::<T>::ModelNotFound)?;
				ensure!(model.owner == who, Error::<T>::NotOwner);
				ensure!(model.status == ModelStatus::Active, Error::<T>::ModelDeprecated);
				model.status = ModelStatus::Deprecated;
				Ok::<_, DispatchError>(())
			})?;
			Self::deposit_event(Event::ModelDeprecated { model_id });
			Ok(())
		}

		/// Retires a deprecated model: removes it and all its versions from state and releases
		/// every deposit. The model id is never reused.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::retire_model(T::MaxVersions::get()))]
		pub fn retire_model(origin: OriginFor<T>, model_id: ModelId) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let model = Models::<T>::get(model_id).ok_or(Error::<T>::ModelNotFound)?;
			ensure!(model.owner == who, Error::<T>::NotOwner);
			ensure!(model.status == ModelStatus::Deprecated, Error::<T>::NotDeprecated);
			let versions = model.latest_version;
			let deposit_released = Self::remove_model(model_id, model);
			Self::deposit_event(Event::ModelRetired { model_id, deposit_released });
			Ok(Some(T::WeightInfo::retire_model(versions)).into())
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
			let model = Models::<T>::get(model_id).ok_or(Error::<T>::ModelNotFound)?;
			let mut record =
				Versions::<T>::get(model_id, version).ok_or(Error::<T>::VersionNotFound)?;
			ensure!(
				matches!(record.upload, UploadState::Complete { .. }),
				Error::<T>::VersionIncomplete
			);
			ensure!(!record.approved, Error::<T>::AlreadyApproved);
			record.approved = true;
			Versions::<T>::insert(model_id, version, record);
			Self::deposit_event(Event::VersionApproved { model_id, version });
			Self::activate(model_id, model, version);
			Ok(())
		}

		/// Suspends a model: it takes no new requests or versions until resumed.
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
	}
}

impl<T: Config> Pallet<T> {
	/// Checks a version as its owner described it and builds the record to store (its deposit
	/// not yet held) together with its bounded chunk hashes.
	fn check_version(
		spec: VersionSpec,
	) -> Result<(ModelVersionOf<T>, ChunkHashesOf<T>), DispatchError> {
		let schema = spec.schema.into_schema().map_err(Self::schema_error)?;
		ensure!(!spec.modes.is_empty(), Error::<T>::NoModes);
		ensure!(spec.modes.zk == spec.zk.is_some(), Error::<T>::ZkArtifactsMismatch);
		let zk = spec
			.zk
			.map(|zk| {
				ensure!(!zk.verifying_key.is_empty(), Error::<T>::BadVerifyingKey);
				Ok::<_, Error<T>>(ZkArtifacts {
					verifying_key: zk
						.verifying_key
						.try_into()
						.map_err(|_| Error::<T>::BadVerifyingKey)?,
					proving_key_hash: zk.proving_key_hash,
				})
			})
			.transpose()?;

		ensure!(spec.byte_size > 0, Error::<T>::EmptyModel);
		let chunk_size = T::ChunkSize::get();
		let max_size = u64::from(chunk_size).saturating_mul(u64::from(T::MaxChunks::get()));
		ensure!(spec.byte_size <= max_size, Error::<T>::ModelTooLarge);
		let chunks = chunk_count(spec.byte_size, chunk_size).ok_or(Error::<T>::ModelTooLarge)?;
		ensure!(spec.chunk_hashes.len() == chunks as usize, Error::<T>::ChunkCountMismatch);
		ensure!(
			content_id_from_chunk_hashes(spec.byte_size, &spec.chunk_hashes) == spec.content_id,
			Error::<T>::ContentIdMismatch
		);
		ensure!(!ContentIndex::<T>::contains_key(spec.content_id), Error::<T>::DuplicateModel);
		let chunk_hashes: ChunkHashesOf<T> =
			spec.chunk_hashes.try_into().map_err(|_| Error::<T>::ModelTooLarge)?;

		let stored_bytes = schema
			.encoded_size()
			.saturating_add(zk.as_ref().map_or(0, |zk| zk.encoded_size()))
			.saturating_add(chunk_hashes.encoded_size());
		let now = frame_system::Pallet::<T>::block_number();
		let record = ModelVersion {
			content_id: spec.content_id,
			byte_size: spec.byte_size,
			chunk_count: chunks,
			schema,
			modes: spec.modes,
			zk,
			upload: UploadState::Uploading {
				next_chunk: 0,
				expires_at: now.saturating_add(T::UploadTimeout::get()),
			},
			approved: false,
			deposit: Self::deposit_for(stored_bytes),
			registered_at: now,
		};
		Ok((record, chunk_hashes))
	}

	/// Holds the version's deposit from the owner, stores the version and queues its expiry.
	fn insert_version(
		owner: &T::AccountId,
		model_id: ModelId,
		number: VersionNumber,
		record: ModelVersionOf<T>,
		chunk_hashes: ChunkHashesOf<T>,
	) -> DispatchResult {
		let UploadState::Uploading { expires_at, .. } = record.upload else {
			return Err(Error::<T>::UploadNotInProgress.into());
		};
		UploadExpiries::<T>::try_mutate(expires_at, |queue| {
			queue.try_push((model_id, number)).map_err(|_| Error::<T>::ExpiryQueueFull)
		})?;
		Self::hold(owner, record.deposit)?;
		ContentIndex::<T>::insert(record.content_id, (model_id, number));
		ChunkHashes::<T>::insert(model_id, number, chunk_hashes);
		Versions::<T>::insert(model_id, number, record);
		Ok(())
	}

	/// Makes `version` the model's active version if it is newer than the current one.
	fn activate(model_id: ModelId, mut model: ModelInfoOf<T>, version: VersionNumber) {
		if model.active_version.is_some_and(|active| active >= version) {
			return;
		}
		model.active_version = Some(version);
		Models::<T>::insert(model_id, model);
		Self::deposit_event(Event::VersionActivated { model_id, version });
	}

	/// Drops a version whose upload did not complete in time and releases its deposit; drops
	/// the model too when that was its only version.
	fn expire_upload(model_id: ModelId, version: VersionNumber) {
		let Some(model) = Models::<T>::get(model_id) else { return };
		let Some(record) = Versions::<T>::get(model_id, version) else { return };
		if !matches!(record.upload, UploadState::Uploading { .. }) {
			return;
		}
		if version == 1 {
			let deposit_released = Self::remove_model(model_id, model);
			Self::deposit_event(Event::UploadExpired {
				model_id,
				version,
				deposit_released: record.deposit,
			});
			Self::deposit_event(Event::ModelRemoved { model_id, deposit_released });
			return;
		}
		Self::remove_version(model_id, version, &record);
		let released = Self::release(&model.owner, record.deposit);
		let mut model = model;
		// Versions are added one at a time after the previous completes, so the expiring one is
		// the latest.
		model.latest_version = version.saturating_sub(1);
		Models::<T>::insert(model_id, model);
		Self::deposit_event(Event::UploadExpired { model_id, version, deposit_released: released });
	}

	/// Removes a model and all its versions, releasing every deposit; returns the total released.
	fn remove_model(model_id: ModelId, model: ModelInfoOf<T>) -> BalanceOf<T> {
		let mut to_release = model.deposit;
		for number in 1..=model.latest_version {
			if let Some(record) = Versions::<T>::get(model_id, number) {
				to_release = to_release.saturating_add(record.deposit);
				Self::remove_version(model_id, number, &record);
			}
		}
		Models::<T>::remove(model_id);
		ModelsByOwner::<T>::remove(&model.owner, model_id);
		Self::release(&model.owner, to_release)
	}

	/// Takes a version off the expiry queue of block `expires_at`.
	fn unqueue_expiry(expires_at: BlockNumberFor<T>, model_id: ModelId, number: VersionNumber) {
		UploadExpiries::<T>::mutate_exists(expires_at, |queue| {
			if let Some(entries) = queue {
				entries.retain(|entry| *entry != (model_id, number));
				if entries.is_empty() {
					*queue = None;
				}
			}
		});
	}

	fn remove_version(model_id: ModelId, number: VersionNumber, record: &ModelVersionOf<T>) {
		if let UploadState::Uploading { expires_at, .. } = record.upload {
			Self::unqueue_expiry(expires_at, model_id, number);
		}
		Versions::<T>::remove(model_id, number);
		ChunkHashes::<T>::remove(model_id, number);
		ContentIndex::<T>::remove(record.content_id);
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
		T::Currency::release(&HoldReason::ModelDeposit.into(), who, amount, Precision::BestEffort)
			.unwrap_or_else(|_| Zero::zero())
	}

	/// The size chunk `index` of a model of `byte_size` bytes must have.
	fn expected_chunk_len(byte_size: u64, index: u32) -> u64 {
		let chunk_size = u64::from(T::ChunkSize::get());
		let start = u64::from(index).saturating_mul(chunk_size);
		byte_size.saturating_sub(start).min(chunk_size)
	}

	fn schema_error(error: SchemaError) -> DispatchError {
		match error {
			SchemaError::NoTensors => Error::<T>::NoTensors,
			SchemaError::BadName => Error::<T>::BadTensorName,
			SchemaError::EmptyShape => Error::<T>::EmptyShape,
			SchemaError::BadDimension => Error::<T>::BadDimension,
			SchemaError::MisplacedDynamicDim => Error::<T>::MisplacedDynamicDim,
			SchemaError::TooManyElements => Error::<T>::TooManyElements,
			SchemaError::TooManyTensors => Error::<T>::TooManyTensors,
			SchemaError::NameTooLong => Error::<T>::TensorNameTooLong,
			SchemaError::RankTooHigh => Error::<T>::RankTooHigh,
		}
		.into()
	}

	/// A model record, for the runtime API.
	pub fn model(model_id: ModelId) -> Option<ModelInfoOf<T>> {
		Models::<T>::get(model_id)
	}

	/// One version of a model, for the runtime API.
	pub fn version(model_id: ModelId, version: VersionNumber) -> Option<ModelVersionOf<T>> {
		Versions::<T>::get(model_id, version)
	}

	/// The chunk hashes of one version, for the runtime API and nodes fetching a model.
	pub fn chunk_hashes(model_id: ModelId, version: VersionNumber) -> Option<Vec<H256>> {
		ChunkHashes::<T>::get(model_id, version).map(BoundedVec::into_inner)
	}

	/// The ids of `owner`'s models.
	pub fn models_by_owner(owner: &T::AccountId) -> Vec<ModelId> {
		ModelsByOwner::<T>::iter_key_prefix(owner).collect()
	}

	/// The ids of the models that accept requests now.
	pub fn active_models() -> Vec<ModelId> {
		Models::<T>::iter()
			.filter(|(_, model)| Self::is_runnable(model))
			.map(|(model_id, _)| model_id)
			.collect()
	}

	fn is_runnable(model: &ModelInfoOf<T>) -> bool {
		model.status == ModelStatus::Active && !model.suspended && model.active_version.is_some()
	}

	/// Checks the invariants listed in the crate docs.
	#[cfg(any(test, feature = "try-runtime"))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::btree_map::BTreeMap;
		use frame_support::traits::fungible::InspectHold;
		let mut deposits: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		for (model_id, model) in Models::<T>::iter() {
			ensure!(model_id < NextModelId::<T>::get(), "model id not below NextModelId");
			ensure!(
				ModelsByOwner::<T>::contains_key(&model.owner, model_id),
				"model missing from ModelsByOwner"
			);
			let owed = deposits.entry(model.owner.clone()).or_default();
			*owed = owed.saturating_add(model.deposit);
			let mut highest = 0;
			for (number, record) in Versions::<T>::iter_prefix(model_id) {
				highest = highest.max(number);
				*owed = owed.saturating_add(record.deposit);
				ensure!(
					ContentIndex::<T>::get(record.content_id) == Some((model_id, number)),
					"version missing from ContentIndex"
				);
				let hashes =
					ChunkHashes::<T>::get(model_id, number).ok_or("chunk hashes missing")?;
				ensure!(hashes.len() == record.chunk_count as usize, "chunk hash count differs");
				if let UploadState::Uploading { expires_at, .. } = record.upload {
					ensure!(
						UploadExpiries::<T>::get(expires_at).contains(&(model_id, number)),
						"uploading version not queued to expire"
					);
				}
			}
			ensure!(highest == model.latest_version, "latest_version is not the highest version");
			if let Some(active) = model.active_version {
				let record =
					Versions::<T>::get(model_id, active).ok_or("active version missing")?;
				ensure!(
					record.approved && matches!(record.upload, UploadState::Complete { .. }),
					"active version not complete and approved"
				);
			}
		}
		for (content_id, (model_id, number)) in ContentIndex::<T>::iter() {
			ensure!(
				Versions::<T>::get(model_id, number).map(|record| record.content_id)
					== Some(content_id),
				"ContentIndex points at a missing version"
			);
		}
		for (_, queue) in UploadExpiries::<T>::iter() {
			for (model_id, number) in queue {
				ensure!(
					Versions::<T>::get(model_id, number).is_some_and(|record| matches!(
						record.upload,
						UploadState::Uploading { .. }
					)),
					"expiry queued for a version that is not uploading"
				);
			}
		}
		for (owner, model_id, ()) in ModelsByOwner::<T>::iter() {
			ensure!(
				Models::<T>::get(model_id).is_some_and(|model| model.owner == owner),
				"ModelsByOwner entry without its model"
			);
		}
		for (owner, owed) in deposits {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::ModelDeposit.into(), &owner) == owed,
				"held deposit differs from the registry's deposits"
			);
		}
		Ok(())
	}
}

impl<T: Config> ModelCatalog<T::AccountId, BalanceOf<T>> for Pallet<T> {
	fn runnable(model_id: ModelId) -> Option<RunnableModel<T::AccountId, BalanceOf<T>>> {
		let model = Models::<T>::get(model_id).filter(Self::is_runnable)?;
		let version = model.active_version?;
		let record = Versions::<T>::get(model_id, version)?;
		Some(RunnableModel {
			owner: model.owner,
			version,
			content_id: record.content_id,
			byte_size: record.byte_size,
			schema: record.schema,
			modes: record.modes,
			price: model.price,
		})
	}
}
