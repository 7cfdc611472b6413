//! The model catalogue's vocabulary: ids, I/O schemas, verification modes, content ids, and the
//! trait through which other pallets read a model without depending on the registry pallet.
//!
//! ## Content id
//!
//! A model's bytes are uploaded in chunks of a fixed size `C` (the registry's `ChunkSize`
//! constant; the last chunk holds the remainder). With `h_i = blake2_256(chunk_i)` and `n`
//! chunks, the content id is
//!
//! ```text
//! content_id = blake2_256( b"opg:model:v1" ++ SCALE(byte_size as u64) ++ h_0 ++ ... ++ h_{n-1} )
//! ```
//!
//! so the runtime can check every chunk on arrival against the chunk hash list that the owner
//! commits to at registration (itself checked against the content id), and a node that fetches a
//! model from elsewhere can verify it chunk by chunk before use, from the bytes alone.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{traits::ConstU32, BoundedVec};
use scale_info::TypeInfo;
use sp_core::H256;

/// Identifies a model; assigned by the registry, never reused.
pub type ModelId = u32;

/// A model's version number, starting at 1.
pub type VersionNumber = u32;

/// Blake2-256 content id of a model's bytes (see the module docs for its definition).
pub type ContentId = H256;

/// Domain separator of the content id, so a content id is never mistaken for another hash.
pub const CONTENT_ID_DOMAIN: &[u8] = b"opg:model:v1";

/// Most tensors a model may declare as inputs, and as outputs.
pub const MAX_TENSORS: u32 = 16;
/// Longest tensor name in bytes.
pub const MAX_TENSOR_NAME_LEN: u32 = 64;
/// Highest tensor rank.
pub const MAX_RANK: u32 = 8;
/// Largest single dimension.
pub const MAX_DIM: u32 = 1 << 20;
/// Most elements in one tensor (fixed dimensions multiplied, a dynamic batch counted as one).
pub const MAX_TENSOR_ELEMENTS: u64 = 1 << 24;

/// Element type of a tensor, as ONNX names them.
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
pub enum TensorDtype {
	/// 32-bit float.
	Float32,
	/// 64-bit float.
	Float64,
	/// Signed 8-bit integer (quantized models).
	Int8,
	/// Signed 16-bit integer.
	Int16,
	/// Signed 32-bit integer.
	Int32,
	/// Signed 64-bit integer.
	Int64,
	/// Unsigned 8-bit integer.
	UInt8,
	/// Boolean.
	Bool,
	/// UTF-8 string.
	String,
}

/// One dimension of a tensor shape.
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
pub enum Dim {
	/// A dimension of this exact size.
	Fixed(u32),
	/// A dimension chosen per request; only allowed first, as the batch dimension.
	Dynamic,
}

/// A named tensor with its element type and shape.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct TensorSpec {
	/// The tensor's name in the ONNX graph.
	pub name: BoundedVec<u8, ConstU32<MAX_TENSOR_NAME_LEN>>,
	/// Element type.
	pub dtype: TensorDtype,
	/// Shape, outermost dimension first.
	pub shape: BoundedVec<Dim, ConstU32<MAX_RANK>>,
}

/// The inputs and outputs of a model.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct IoSchema {
	/// Input tensors, in the order the graph declares them.
	pub inputs: BoundedVec<TensorSpec, ConstU32<MAX_TENSORS>>,
	/// Output tensors, in the order the graph declares them.
	pub outputs: BoundedVec<TensorSpec, ConstU32<MAX_TENSORS>>,
}

/// Why a schema was refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SchemaError {
	/// No input or no output tensor.
	NoTensors,
	/// A tensor has an empty name or two tensors on the same side share a name.
	BadName,
	/// A tensor has no dimensions (scalars are shaped `[1]`).
	EmptyShape,
	/// A dimension is zero or larger than [`MAX_DIM`].
	BadDimension,
	/// A dynamic dimension stands anywhere but first.
	MisplacedDynamicDim,
	/// A tensor holds more than [`MAX_TENSOR_ELEMENTS`] elements.
	TooManyElements,
	/// More than [`MAX_TENSORS`] inputs or outputs.
	TooManyTensors,
	/// A tensor name is longer than [`MAX_TENSOR_NAME_LEN`].
	NameTooLong,
	/// A tensor has more than [`MAX_RANK`] dimensions.
	RankTooHigh,
}

impl TensorSpec {
	/// Elements in one batch item of this tensor: the product of its fixed dimensions.
	pub fn elements_per_item(&self) -> u64 {
		self.shape.iter().fold(1u64, |acc, dim| match dim {
			Dim::Fixed(size) => acc.saturating_mul(u64::from(*size)),
			Dim::Dynamic => acc,
		})
	}

	fn validate(&self) -> Result<(), SchemaError> {
		if self.name.is_empty() {
			return Err(SchemaError::BadName);
		}
		if self.shape.is_empty() {
			return Err(SchemaError::EmptyShape);
		}
		for (position, dim) in self.shape.iter().enumerate() {
			match dim {
				Dim::Fixed(size) if *size == 0 || *size > MAX_DIM => {
					return Err(SchemaError::BadDimension)
				}
				Dim::Dynamic if position != 0 => return Err(SchemaError::MisplacedDynamicDim),
				_ => {}
			}
		}
		if self.elements_per_item() > MAX_TENSOR_ELEMENTS {
			return Err(SchemaError::TooManyElements);
		}
		Ok(())
	}
}

impl IoSchema {
	/// Checks that the schema describes a model that can be run: at least one input and one
	/// output, unique non-empty names, and sane shapes.
	pub fn validate(&self) -> Result<(), SchemaError> {
		for side in [&self.inputs, &self.outputs] {
			if side.is_empty() {
				return Err(SchemaError::NoTensors);
			}
			for (i, spec) in side.iter().enumerate() {
				spec.validate()?;
				if side.iter().skip(i.saturating_add(1)).any(|other| other.name == spec.name) {
					return Err(SchemaError::BadName);
				}
			}
		}
		Ok(())
	}
}

/// How a result is verified before the chain accepts it.
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
pub enum InferenceMode {
	/// Accepted at once against the node's bond, final after a challenge window.
	Vanilla,
	/// Final once a quorum of verifier nodes re-executed it and agreed.
	Attested,
	/// Final once its Groth16 proof verifies on-chain.
	Zk,
}

/// The set of modes a model version supports.
#[derive(
	Clone,
	Copy,
	Default,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct ModeSet {
	/// Vanilla mode allowed.
	pub vanilla: bool,
	/// Attested mode allowed.
	pub attested: bool,
	/// ZK mode allowed (needs a verifying key).
	pub zk: bool,
}

impl ModeSet {
	/// Whether `mode` is in the set.
	pub fn contains(&self, mode: InferenceMode) -> bool {
		match mode {
			InferenceMode::Vanilla => self.vanilla,
			InferenceMode::Attested => self.attested,
			InferenceMode::Zk => self.zk,
		}
	}

	/// Whether no mode at all is allowed.
	pub fn is_empty(&self) -> bool {
		!(self.vanilla || self.attested || self.zk)
	}
}

/// Computes the content id of `bytes` split into chunks of `chunk_size` bytes.
///
/// Returns `None` when `chunk_size` is zero.
pub fn content_id(bytes: &[u8], chunk_size: u32) -> Option<ContentId> {
	let chunk_hashes: Vec<H256> = bytes
		.chunks(usize::try_from(chunk_size).ok().filter(|size| *size > 0)?)
		.map(|chunk| H256(sp_io::hashing::blake2_256(chunk)))
		.collect();
	Some(content_id_from_chunk_hashes(bytes.len() as u64, &chunk_hashes))
}

/// Computes the content id of a model of `byte_size` bytes from its chunk hashes.
pub fn content_id_from_chunk_hashes(byte_size: u64, chunk_hashes: &[H256]) -> ContentId {
	let mut preimage = Vec::with_capacity(
		CONTENT_ID_DOMAIN
			.len()
			.saturating_add(8)
			.saturating_add(chunk_hashes.len().saturating_mul(32)),
	);
	preimage.extend_from_slice(CONTENT_ID_DOMAIN);
	preimage.extend_from_slice(&byte_size.encode());
	for hash in chunk_hashes {
		preimage.extend_from_slice(hash.as_bytes());
	}
	H256(sp_io::hashing::blake2_256(&preimage))
}

/// Number of chunks of `chunk_size` bytes that hold `byte_size` bytes (`None` for a zero chunk
/// size or a count that does not fit `u32`).
pub fn chunk_count(byte_size: u64, chunk_size: u32) -> Option<u32> {
	let chunk_size = u64::from(chunk_size);
	if chunk_size == 0 {
		return None;
	}
	u32::try_from(byte_size.div_ceil(chunk_size)).ok()
}

/// The off-chain database key of chunk `index` of the model with `content_id`: where offchain
/// indexing puts the bytes during upload and where nodes and the RPC read them.
pub fn chunk_storage_key(content_id: &ContentId, index: u32) -> Vec<u8> {
	let mut key = Vec::with_capacity(MODEL_CHUNK_KEY_PREFIX.len().saturating_add(36));
	key.extend_from_slice(MODEL_CHUNK_KEY_PREFIX);
	key.extend_from_slice(content_id.as_bytes());
	key.extend_from_slice(&index.to_be_bytes());
	key
}

/// Prefix of every model chunk key in the off-chain database.
pub const MODEL_CHUNK_KEY_PREFIX: &[u8] = b"opg/model/chunk/";

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

/// A tensor as a model owner writes it in a call: unbounded, checked by the runtime, which turns
/// it into a [`TensorSpec`] or says what is wrong.
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub struct TensorSpecInput {
	/// The tensor's name in the ONNX graph.
	pub name: Vec<u8>,
	/// Element type.
	pub dtype: TensorDtype,
	/// Shape, outermost dimension first.
	pub shape: Vec<Dim>,
}

/// An I/O schema as a model owner writes it in a call.
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub struct IoSchemaInput {
	/// Input tensors.
	pub inputs: Vec<TensorSpecInput>,
	/// Output tensors.
	pub outputs: Vec<TensorSpecInput>,
}

impl IoSchemaInput {
	/// Bounds and validates the schema.
	pub fn into_schema(self) -> Result<IoSchema, SchemaError> {
		fn side(
			specs: Vec<TensorSpecInput>,
		) -> Result<BoundedVec<TensorSpec, ConstU32<MAX_TENSORS>>, SchemaError> {
			let specs = specs
				.into_iter()
				.map(|spec| {
					Ok(TensorSpec {
						name: spec.name.try_into().map_err(|_| SchemaError::NameTooLong)?,
						dtype: spec.dtype,
						shape: spec.shape.try_into().map_err(|_| SchemaError::RankTooHigh)?,
					})
				})
				.collect::<Result<Vec<_>, SchemaError>>()?;
			specs.try_into().map_err(|_| SchemaError::TooManyTensors)
		}
		let schema = IoSchema { inputs: side(self.inputs)?, outputs: side(self.outputs)? };
		schema.validate()?;
		Ok(schema)
	}
}

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
pub enum ModelStatus {
	/// Accepts requests and new versions.
	Active,
	/// Accepts neither: the owner is winding it down and may retire it.
	Deprecated,
}

/// A model in the catalogue.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct ModelInfo<AccountId, Balance> {
	/// Who registered the model, may add versions, set its price and retire it.
	pub owner: AccountId,
	/// Human-readable name.
	pub name: ModelName,
	/// What the model does.
	pub description: ModelDescription,
	/// Price of one call, in the smallest OPG unit.
	pub price: Balance,
	/// Owner-side status.
	pub status: ModelStatus,
	/// Whether governance suspended the model: no new requests while set.
	pub suspended: bool,
	/// The version new requests run: the newest complete and approved one.
	pub active_version: Option<VersionNumber>,
	/// The highest version number registered so far.
	pub latest_version: VersionNumber,
	/// Deposit held from the owner for this record (versions hold their own).
	pub deposit: Balance,
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
}

/// Groth16 artifacts as a model owner writes them in a call.
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub struct ZkArtifactsInput {
	/// The serialized verifying key.
	pub verifying_key: Vec<u8>,
	/// Blake2-256 of the proving key.
	pub proving_key_hash: H256,
}

/// Where a version's upload stands.
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
pub enum UploadState<BlockNumber> {
	/// Chunks `0..next_chunk` are in; the upload is dropped at `expires_at` if still incomplete.
	Uploading {
		/// Index of the next chunk expected.
		next_chunk: u32,
		/// Block at which an incomplete upload expires.
		expires_at: BlockNumber,
	},
	/// Every chunk arrived and matched.
	Complete {
		/// Block in which the last chunk arrived.
		at: BlockNumber,
	},
}

/// One version of a model: its bytes, schema and modes.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct ModelVersion<BlockNumber, Balance> {
	/// Content id of the ONNX bytes.
	pub content_id: ContentId,
	/// Size of the ONNX bytes.
	pub byte_size: u64,
	/// Number of chunks the bytes are uploaded in.
	pub chunk_count: u32,
	/// Input and output tensors.
	pub schema: IoSchema,
	/// Supported modes.
	pub modes: ModeSet,
	/// Groth16 artifacts, present exactly when ZK mode is supported.
	pub zk: Option<ZkArtifacts>,
	/// Upload progress.
	pub upload: UploadState<BlockNumber>,
	/// Whether governance approved the version (set at once where no approval is required).
	pub approved: bool,
	/// Deposit held from the owner for this version.
	pub deposit: Balance,
	/// Block in which the version was registered.
	pub registered_at: BlockNumber,
}

/// What the inference and attestation pallets need to know about a model to run it.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct RunnableModel<AccountId, Balance> {
	/// The model's owner, who is paid the model's share of fees.
	pub owner: AccountId,
	/// The version that new requests run.
	pub version: VersionNumber,
	/// Content id of that version's ONNX bytes.
	pub content_id: ContentId,
	/// Size of those bytes.
	pub byte_size: u64,
	/// The version's input and output tensors.
	pub schema: IoSchema,
	/// The modes the version supports.
	pub modes: ModeSet,
	/// Price of one call, in the smallest OPG unit.
	pub price: Balance,
}

/// Read access to the model catalogue for other pallets.
pub trait ModelCatalog<AccountId, Balance> {
	/// The model's current version if the model accepts new requests (active, approved, not
	/// deprecated or suspended), else `None`.
	fn runnable(model: ModelId) -> Option<RunnableModel<AccountId, Balance>>;
}
