//! The model registry's storage records: a model, the immutable metadata of each version, the
//! progress of an upload, and a ZK version's Groth16 artifacts.
//!
//! A version is split across records by how often each part changes, so that the frequent
//! write (a chunk arriving) touches a few bytes: [`VersionInfo`] is written at registration and
//! once more when the upload completes or governance approves it; [`UploadProgress`] is
//! rewritten by every chunk and removed when the upload ends; [`ZkArtifacts`] (up to 64 KiB) is
//! written once and read only by ZK verification.

use crate::inference::Tolerance;

use super::{
	content::ContentId,
	schema::{IoSchema, ModeSet},
};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{traits::ConstU32, BoundedVec};
use scale_info::TypeInfo;
use sp_core::H256;

/// Identifies a model; assigned by the registry, never reused.
pub type ModelId = u32;

/// A model's version number, starting at 1, never reused within a model.
pub type VersionNumber = u32;

/// Longest model name in bytes.
pub const MAX_NAME_LEN: u32 = 64;
/// Longest model description in bytes.
pub const MAX_DESCRIPTION_LEN: u32 = 1024;
/// Largest Groth16 verifying key in bytes (compressed BN254 encoding: room for about 2,000
/// public inputs).
pub const MAX_VERIFYING_KEY_LEN: u32 = 64 * 1024;

/// A model's human-readable name.
pub type ModelName = BoundedVec<u8, ConstU32<MAX_NAME_LEN>>;
/// A model's description.
pub type ModelDescription = BoundedVec<u8, ConstU32<MAX_DESCRIPTION_LEN>>;
/// A serialized Groth16 verifying key.
pub type VerifyingKey = BoundedVec<u8, ConstU32<MAX_VERIFYING_KEY_LEN>>;

/// Whether a model accepts new work, as its owner says.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum ModelStatus<BlockNumber> {
	/// Accepts requests and new versions.
	Active,
	/// Accepts neither: the owner is winding it down and may retire it once the registry's
	/// retirement delay has passed since `since`.
	Deprecated {
		/// Block in which the owner deprecated the model.
		since: BlockNumber,
	},
}

/// A model in the catalogue.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct ModelInfo<AccountId, Balance, BlockNumber> {
	/// Who registered the model, may add versions, set its price and retire it.
	pub owner: AccountId,
	/// Human-readable name.
	pub name: ModelName,
	/// What the model does.
	pub description: ModelDescription,
	/// Price of one call, in the smallest OPG unit.
	pub price: Balance,
	/// Owner-side status.
	pub status: ModelStatus<BlockNumber>,
	/// Whether governance suspended the model: no new requests, uploads or retirement while set.
	pub suspended: bool,
	/// The version new requests run: the newest complete and approved one.
	pub active_version: Option<VersionNumber>,
	/// The highest version number ever registered; it never goes down, so a number is never
	/// given to two versions, even after one expired.
	pub latest_version: VersionNumber,
	/// The version whose upload is in progress, if any (at most one at a time).
	pub uploading: Option<VersionNumber>,
	/// Deposit held from the owner for this record (versions hold their own).
	pub deposit: Balance,
}

/// The metadata of one version of a model: fixed at registration but for `approved` and
/// `completed_at`, each set once.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct VersionInfo<BlockNumber, Balance> {
	/// Content id of the ONNX bytes.
	pub content_id: ContentId,
	/// Size of the ONNX bytes.
	pub byte_size: u64,
	/// Number of chunks the bytes are uploaded in.
	pub chunk_count: u32,
	/// Chunk size the content id was computed with.
	pub chunk_size: u32,
	/// Input and output tensors.
	pub schema: IoSchema,
	/// Supported modes; ZK versions keep their verifying key in a record of its own.
	pub modes: ModeSet,
	/// How far verifiers' outputs may differ from a claimed output and still agree with it.
	pub tolerance: Tolerance,
	/// Whether governance approved the version (set on completion where no approval is
	/// required; never for a ZK version, which always waits for governance).
	pub approved: bool,
	/// Deposit held from the owner for this version.
	pub deposit: Balance,
	/// Block in which the version was registered.
	pub registered_at: BlockNumber,
	/// Block in which its last chunk arrived; `None` while uploading.
	pub completed_at: Option<BlockNumber>,
}

impl<BlockNumber, Balance> VersionInfo<BlockNumber, Balance> {
	/// Whether every chunk arrived.
	pub fn is_complete(&self) -> bool {
		self.completed_at.is_some()
	}
}

/// Where an incomplete upload stands. Exists exactly while a version is uploading.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct UploadProgress<BlockNumber> {
	/// Index of the next chunk expected; chunks `0..next_chunk` are in.
	pub next_chunk: u32,
	/// Block from which the upload expires if still incomplete.
	pub expires_at: BlockNumber,
}

/// Groth16 artifacts of a ZK-capable version.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct ZkArtifacts {
	/// The verifying key, checked by the runtime against every proof.
	pub verifying_key: VerifyingKey,
	/// Blake2-256 of the proving key, which provers hold off-chain.
	pub proving_key_hash: H256,
	/// The circuit's R1CS constraint count, from the compiler's feasibility report: what
	/// proving costs a node.
	pub constraints: u32,
}

/// Largest prepared verifying key: the key uncompressed (about twice its compressed size) and
/// the pairing `e(alpha, beta)` (384 bytes).
pub const MAX_PREPARED_KEY_LEN: u32 = 2 * MAX_VERIFYING_KEY_LEN + 1024;

/// A verifying key as the registry stores it for verification: decoded and checked once at
/// registration, uncompressed, with `e(alpha, beta)` computed (`opg_zk::verifier`).
pub type PreparedKey = BoundedVec<u8, ConstU32<MAX_PREPARED_KEY_LEN>>;

/// What a ZK job needs of its model version: the prepared key to verify proofs with, and the
/// hash of the proving key the node must prove with.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct ZkKey {
	/// The prepared verifying key.
	pub prepared: PreparedKey,
	/// Blake2-256 of the proving key.
	pub proving_key_hash: H256,
	/// The circuit's constraint count.
	pub constraints: u32,
}

/// The phase 1 of the chain's ZK keys (issue 35): initial keys must carry its `[alpha]₁` and
/// `[beta]₂`, and nodes compute initial keys only from a powers-of-tau file whose hash it pins.
/// The public ceremony's on a production chain; a locally generated, **insecure** one on a dev
/// chain (`opg_zk::ptau::Phase1::insecure_for_tests`).
#[derive(
	Clone,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	serde::Serialize,
	serde::Deserialize,
)]
pub struct Phase1Pin {
	/// `[alpha]₁`, uncompressed (64 bytes).
	pub alpha_g1: BoundedVec<u8, ConstU32<64>>,
	/// `[beta]₂`, uncompressed (128 bytes).
	pub beta_g2: BoundedVec<u8, ConstU32<128>>,
	/// The blake2-256 hash of each accepted ptau file, by its power (the file of power `p`
	/// serves circuits of up to `2^p` constraints and public inputs).
	pub files: BoundedVec<(u8, H256), ConstU32<32>>,
}
