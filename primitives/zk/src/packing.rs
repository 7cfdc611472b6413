//! How tensor values become a proof's public inputs.
//!
//! Every value has an integer type; its value plus the type's offset (`2^(bits-1)` for signed
//! types, 0 for unsigned) is a non-negative number below `2^bits`. The values of all input
//! tensors, then all output tensors, in the order the model declares them and row-major within
//! a tensor, are laid side by side from the least significant bit, [`PACK_BITS`] bits to a
//! field element; a value never straddles two elements. 248 bits stay below BN254's 254-bit
//! scalar field, so a packed element is the integer itself and the packing is injective for
//! values within their types' ranges, which the runtime checks before packing and the circuit
//! proves for the inputs.
//!
//! The runtime (from a job's tensors and the model's schema) and the circuit compiler (from the
//! ONNX graph) both place values with [`Layout`], so they agree by construction.

use alloc::vec::Vec;
use ark_ff::PrimeField;
use opg_primitives::{
	inference::{Tensor, TensorValues},
	model::TensorDtype,
};

/// Bits packed into one public field element.
pub const PACK_BITS: u32 = 248;

/// The integer element types a circuit reads and writes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum IntType {
	/// Signed 8-bit.
	I8,
	/// Unsigned 8-bit.
	U8,
	/// Signed 16-bit.
	I16,
	/// Unsigned 16-bit.
	U16,
	/// Signed 32-bit.
	I32,
	/// Unsigned 32-bit.
	U32,
	/// Signed 64-bit.
	I64,
	/// Unsigned 64-bit.
	U64,
}

impl IntType {
	/// The width in bits.
	pub const fn bits(self) -> u32 {
		match self {
			IntType::I8 | IntType::U8 => 8,
			IntType::I16 | IntType::U16 => 16,
			IntType::I32 | IntType::U32 => 32,
			IntType::I64 | IntType::U64 => 64,
		}
	}

	/// Whether it is two's-complement signed.
	pub const fn signed(self) -> bool {
		matches!(self, IntType::I8 | IntType::I16 | IntType::I32 | IntType::I64)
	}

	/// What is added to a value to make it non-negative: `2^(bits-1)` when signed.
	pub const fn offset(self) -> i128 {
		match self {
			IntType::I8 => 1 << 7,
			IntType::I16 => 1 << 15,
			IntType::I32 => 1 << 31,
			IntType::I64 => 1 << 63,
			IntType::U8 | IntType::U16 | IntType::U32 | IntType::U64 => 0,
		}
	}

	/// The smallest value.
	pub const fn min(self) -> i128 {
		match self {
			IntType::I8 => i8::MIN as i128,
			IntType::I16 => i16::MIN as i128,
			IntType::I32 => i32::MIN as i128,
			IntType::I64 => i64::MIN as i128,
			IntType::U8 | IntType::U16 | IntType::U32 | IntType::U64 => 0,
		}
	}

	/// The largest value.
	pub const fn max(self) -> i128 {
		match self {
			IntType::I8 => i8::MAX as i128,
			IntType::U8 => u8::MAX as i128,
			IntType::I16 => i16::MAX as i128,
			IntType::U16 => u16::MAX as i128,
			IntType::I32 => i32::MAX as i128,
			IntType::U32 => u32::MAX as i128,
			IntType::I64 => i64::MAX as i128,
			IntType::U64 => u64::MAX as i128,
		}
	}

	/// Whether `value` is in range.
	pub const fn contains(self, value: i128) -> bool {
		self.min() <= value && value <= self.max()
	}

	/// The ONNX `TensorProto.DataType` code, which is also what ONNX Runtime reports.
	pub const fn onnx_code(self) -> i32 {
		match self {
			IntType::U8 => 2,
			IntType::I8 => 3,
			IntType::U16 => 4,
			IntType::I16 => 5,
			IntType::I32 => 6,
			IntType::I64 => 7,
			IntType::U32 => 12,
			IntType::U64 => 13,
		}
	}

	/// The type of an ONNX `TensorProto.DataType` code, if it is an integer type here.
	pub const fn from_onnx_code(code: i32) -> Option<Self> {
		Some(match code {
			2 => IntType::U8,
			3 => IntType::I8,
			4 => IntType::U16,
			5 => IntType::I16,
			6 => IntType::I32,
			7 => IntType::I64,
			12 => IntType::U32,
			13 => IntType::U64,
			_ => return None,
		})
	}

	/// The type of a schema's tensor element type, if it is an integer type here.
	pub fn from_dtype(dtype: TensorDtype) -> Option<Self> {
		Some(match dtype {
			TensorDtype::Int8 => IntType::I8,
			TensorDtype::UInt8 => IntType::U8,
			TensorDtype::Int16 => IntType::I16,
			TensorDtype::Int32 => IntType::I32,
			TensorDtype::Int64 => IntType::I64,
			_ => return None,
		})
	}
}

/// Where one value goes: public input `element` (0-based, the constant one not counted), at
/// bit `shift`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Slot {
	/// Which packed element.
	pub element: usize,
	/// The value's lowest bit within it.
	pub shift: u32,
}

/// Places values of the given types one after another.
#[derive(Default, Clone, Debug)]
pub struct Layout {
	elements: usize,
	used: u32,
}

impl Layout {
	/// Where the next value of type `ty` goes.
	pub fn place(&mut self, ty: IntType) -> Slot {
		if self.elements == 0 || self.used.saturating_add(ty.bits()) > PACK_BITS {
			self.elements = self.elements.saturating_add(1);
			self.used = 0;
		}
		let slot = Slot { element: self.elements.saturating_sub(1), shift: self.used };
		self.used = self.used.saturating_add(ty.bits());
		slot
	}

	/// How many public field elements the values placed so far take.
	pub fn elements(&self) -> usize {
		self.elements
	}
}

/// Why values cannot be packed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PackError {
	/// A value is outside its type's range (or not an integer).
	OutOfRange,
	/// A tensor's element type is not an integer type, or its values are strings.
	NotInteger,
}

/// Packs `(type, value)` pairs into public inputs.
#[allow(clippy::arithmetic_side_effects)] // Field arithmetic is modular.
pub fn pack<F: PrimeField>(
	values: impl IntoIterator<Item = (IntType, i128)>,
) -> Result<Vec<F>, PackError> {
	let mut layout = Layout::default();
	let mut packed: Vec<F> = Vec::new();
	for (ty, value) in values {
		if !ty.contains(value) {
			return Err(PackError::OutOfRange);
		}
		let slot = layout.place(ty);
		if packed.len() < layout.elements() {
			packed.push(F::zero());
		}
		// In range, so the offset value is in [0, 2^64) and the shift below 248 bits.
		let offset = value.saturating_add(ty.offset()) as u128;
		let term = F::from(offset) * F::from(2u8).pow([u64::from(slot.shift)]);
		if let Some(element) = packed.last_mut() {
			*element += term;
		}
	}
	Ok(packed)
}

/// How many public inputs (not counting the constant one) a circuit over tensors of these
/// types and sizes has: the packed values, then the job binding.
pub fn public_input_count(tensors: impl IntoIterator<Item = (IntType, usize)>) -> usize {
	let mut layout = Layout::default();
	for (ty, count) in tensors {
		for _ in 0..count {
			layout.place(ty);
		}
	}
	layout.elements().saturating_add(1)
}

/// The domain tag of [`job_binding`].
const BINDING_TAG: &[u8] = b"opg:zk:job-binding:v1";

/// What ties a proof to one job and one node: blake2-256 of a domain tag, the chain's genesis
/// hash, the job id (little-endian) and the node's SCALE-encoded account. Its first
/// [`PACK_BITS`] bits are the circuit's last public input, so a proof from chain history
/// verifies for its own job only: another job with the same input and output, or the same job
/// reassigned to another node, has another binding and needs a proof of its own.
pub fn job_binding(genesis: &[u8], job: u64, node: &[u8]) -> [u8; 32] {
	let mut preimage = Vec::with_capacity(
		BINDING_TAG
			.len()
			.saturating_add(genesis.len())
			.saturating_add(8)
			.saturating_add(node.len()),
	);
	preimage.extend_from_slice(BINDING_TAG);
	preimage.extend_from_slice(genesis);
	preimage.extend_from_slice(&job.to_le_bytes());
	preimage.extend_from_slice(node);
	sp_crypto_hashing::blake2_256(&preimage)
}

/// A binding as the field element the circuit takes: its first 31 bytes, little-endian (248
/// bits, below the field's modulus, so distinct bindings stay distinct).
pub fn binding_element<F: PrimeField>(binding: &[u8; 32]) -> F {
	F::from_le_bytes_mod_order(binding.get(..31).unwrap_or_default())
}

/// A ZK job's public inputs: its input tensors and a result's output tensors packed, typed by
/// the model's schema (`input_types` and `output_types` in declaration order), then the job's
/// `binding` ([`job_binding`]).
pub fn public_inputs<F: PrimeField>(
	input_types: &[TensorDtype],
	inputs: &[Tensor],
	output_types: &[TensorDtype],
	outputs: &[Tensor],
	binding: &[u8; 32],
) -> Result<Vec<F>, PackError> {
	let mut public = pack_tensors(input_types, inputs, output_types, outputs)?;
	public.push(binding_element(binding));
	Ok(public)
}

/// Packs a job's input tensors and a result's output tensors, typed by the model's schema
/// (`input_types` and `output_types` in declaration order).
fn pack_tensors<F: PrimeField>(
	input_types: &[TensorDtype],
	inputs: &[Tensor],
	output_types: &[TensorDtype],
	outputs: &[Tensor],
) -> Result<Vec<F>, PackError> {
	if input_types.len() != inputs.len() || output_types.len() != outputs.len() {
		return Err(PackError::NotInteger);
	}
	let mut values = Vec::new();
	for (dtype, tensor) in input_types.iter().zip(inputs).chain(output_types.iter().zip(outputs)) {
		let ty = IntType::from_dtype(*dtype).ok_or(PackError::NotInteger)?;
		let TensorValues::Numbers(numbers) = &tensor.values else {
			return Err(PackError::NotInteger);
		};
		for number in numbers.iter() {
			if number.decimals != 0 {
				return Err(PackError::OutOfRange);
			}
			values.push((ty, number.value));
		}
	}
	pack(values)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
	use super::*;
	use crate::Fr;
	use ark_ff::{BigInteger, PrimeField};

	#[test]
	fn values_fill_248_bits_then_start_a_new_element() {
		// The counts below are the packed elements and the job binding after them.
		// 31 int8 values fill one element; the 32nd starts the next.
		assert_eq!(public_input_count([(IntType::I8, 31)]), 1 + 1);
		assert_eq!(public_input_count([(IntType::I8, 32)]), 2 + 1);
		// 784 values: 25 full elements and 72 bits; five int32 fill the 26th, five the 27th.
		assert_eq!(public_input_count([(IntType::I8, 784), (IntType::I32, 10)]), 27 + 1);
		// A 64-bit value never straddles: three fit in 248 bits (192), the fourth moves on.
		assert_eq!(public_input_count([(IntType::I64, 4)]), 2 + 1);
	}

	#[test]
	fn packing_is_the_offset_values_side_by_side() {
		let packed: Vec<Fr> =
			pack([(IntType::I8, -128), (IntType::I8, 127), (IntType::U8, 5)]).unwrap();
		assert_eq!(packed.len(), 1);
		let expected = (255u128 << 8) | (5u128 << 16); // -128 + 128 = 0 in the lowest byte
		assert_eq!(packed[0], Fr::from(expected));
		let bytes = packed[0].into_bigint().to_bytes_le();
		assert_eq!(&bytes[..3], &[0, 255, 5]);
	}

	#[test]
	fn bindings_differ_by_genesis_job_and_node_and_fit_the_field() {
		let base = job_binding(&[1; 32], 7, &[2; 32]);
		for other in [
			job_binding(&[9; 32], 7, &[2; 32]),
			job_binding(&[1; 32], 8, &[2; 32]),
			job_binding(&[1; 32], 7, &[3; 32]),
		] {
			assert_ne!(other, base);
			assert_ne!(binding_element::<Fr>(&other), binding_element::<Fr>(&base));
		}
		// All ones in 248 bits is still itself in the field: no reduction merges two bindings.
		let top = binding_element::<Fr>(&[0xff; 32]);
		assert_eq!(top.into_bigint().to_bytes_le()[..31], [0xff; 31]);
		assert_eq!(top.into_bigint().to_bytes_le()[31], 0);
	}

	#[test]
	fn out_of_range_values_are_refused() {
		assert_eq!(pack::<Fr>([(IntType::I8, 128)]), Err(PackError::OutOfRange));
		assert_eq!(pack::<Fr>([(IntType::U8, -1)]), Err(PackError::OutOfRange));
		assert!(pack::<Fr>([(IntType::U64, u64::MAX as i128)]).is_ok());
	}
}
