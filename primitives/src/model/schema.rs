//! Tensor schemas: the inputs and outputs a model version declares (names, element types,
//! shapes), the bounds the chain puts on them, and the verification modes a version supports.
//!
//! Every type here is bounded, so a call argument that exceeds a bound fails to decode before
//! the runtime spends any work on it; [`IoSchema::validate`] then checks what bounds cannot
//! express (unique names, non-zero dimensions, a dynamic dimension only first).

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{traits::ConstU32, BoundedVec};
use scale_info::TypeInfo;

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
	/// Final once a signature by an attested enclave's key verifies: run inside an Intel SGX
	/// or TDX enclave whose quote the chain verified at the node's registration.
	Tee,
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
			// An enclave runs a model as a single vanilla node does, its hardware standing where
			// the bond did: whatever version one node may run alone, an enclave may run.
			InferenceMode::Tee => self.vanilla || self.attested,
		}
	}

	/// Whether no mode at all is allowed.
	pub fn is_empty(&self) -> bool {
		!(self.vanilla || self.attested || self.zk)
	}
}
