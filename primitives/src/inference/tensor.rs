//! Tensors as the chain carries them: named, shaped, their numbers in fixed point.
//!
//! Following OpenGradient's API, a number is a pair `(value, decimals)` meaning
//! `value · 10^-decimals`, so the runtime never touches a float and every node encodes a result
//! the same way. The node converts between these and ONNX Runtime's dtypes (see
//! `node/src/inference`): a float becomes its shortest decimal form that reads back to the same
//! float, so the conversion is exact both ways; an integer or boolean is a number with no
//! decimals. Strings are UTF-8 bytes.
//!
//! [`check_tensors`] holds a tensor set against the tensors a model version declares, and
//! [`Tolerance::agrees`] decides, from the numbers alone, whether two executions' outputs agree
//! within the tolerance the version declares.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{traits::ConstU32, BoundedVec};
use scale_info::TypeInfo;
use sp_runtime::Perbill;

use crate::model::{
	Dim, TensorDtype, TensorSpec, MAX_DIM, MAX_RANK, MAX_TENSORS, MAX_TENSOR_NAME_LEN,
};

/// Most values one tensor of a request or result holds (the pallet's byte limits are tighter).
pub const MAX_TENSOR_VALUES: u32 = 1 << 16;
/// Longest string element in bytes.
pub const MAX_STRING_LEN: u32 = 1024;
/// Most decimals a fixed-point number may have: `10^38` is the largest power of ten an `i128`
/// holds, so two numbers can always be brought to a common scale.
pub const MAX_DECIMALS: u8 = 38;

/// A fixed-point number: `value · 10^-decimals`.
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
	serde::Serialize,
	serde::Deserialize,
)]
pub struct FixedPoint {
	/// The digits, as an integer.
	pub value: i128,
	/// How many of the digits are after the decimal point.
	pub decimals: u8,
}

/// One string element of a tensor.
pub type TensorString = BoundedVec<u8, ConstU32<MAX_STRING_LEN>>;

/// The elements of a tensor, row-major.
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
pub enum TensorValues {
	/// Numbers: floats in fixed point, integers and booleans with no decimals.
	Numbers(BoundedVec<FixedPoint, ConstU32<MAX_TENSOR_VALUES>>),
	/// UTF-8 strings.
	Strings(BoundedVec<TensorString, ConstU32<MAX_TENSOR_VALUES>>),
}

impl TensorValues {
	/// How many elements there are.
	pub fn len(&self) -> usize {
		match self {
			TensorValues::Numbers(values) => values.len(),
			TensorValues::Strings(values) => values.len(),
		}
	}

	/// Whether there are none.
	pub fn is_empty(&self) -> bool {
		self.len() == 0
	}
}

/// A named tensor with its shape and values.
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
pub struct Tensor {
	/// The tensor's name in the ONNX graph.
	pub name: BoundedVec<u8, ConstU32<MAX_TENSOR_NAME_LEN>>,
	/// Its dimensions, outermost first; the product is the number of values.
	pub shape: BoundedVec<u32, ConstU32<MAX_RANK>>,
	/// Its values, row-major.
	pub values: TensorValues,
}

/// The inputs of a request or the outputs of a result, in the order the model declares them.
pub type Tensors = BoundedVec<Tensor, ConstU32<MAX_TENSORS>>;

/// Why a tensor set does not fit a model's declared tensors.
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
pub enum TensorError {
	/// Not as many tensors as the model declares.
	Count,
	/// A tensor's name is not the one the model declares at its position.
	Name,
	/// A tensor's rank, or a fixed dimension, differs from the declaration, or a dimension is
	/// zero or too large.
	Shape,
	/// The number of values is not the product of the shape.
	ValueCount,
	/// Numbers given for a string tensor or strings for a numeric one.
	Kind,
	/// An integer or boolean given with decimals, or a number with more than [`MAX_DECIMALS`].
	Decimals,
	/// An integer outside its dtype's range (a boolean other than 0 or 1).
	Range,
}

/// The most bytes a SCALE-encoded tensor set that fits `specs` can take when each dynamic
/// dimension is at most `batch`: what an answer of that shape may store, so a request can pay
/// for it up front. `None` when a string tensor makes it unbounded (strings have no size limit
/// of their own).
pub fn largest_encoded(specs: &[TensorSpec], batch: u32) -> Option<u64> {
	// A compact length takes at most 5 bytes for any u32; a number 17 (i128 and its decimals).
	const COMPACT: u64 = 5;
	const NUMBER: u64 = 17;
	specs.iter().try_fold(COMPACT, |total, spec| {
		if spec.dtype == TensorDtype::String {
			return None;
		}
		let elements = spec.shape.iter().try_fold(1u64, |acc, dim| {
			acc.checked_mul(u64::from(match dim {
				Dim::Fixed(size) => *size,
				Dim::Dynamic => batch,
			}))
		})?;
		let name = COMPACT.saturating_add(spec.name.len() as u64);
		let shape = COMPACT.saturating_add(4u64.saturating_mul(spec.shape.len() as u64));
		// The values: the variant's byte, the count, the numbers.
		let values = 1u64.saturating_add(COMPACT).saturating_add(elements.checked_mul(NUMBER)?);
		Some(total.saturating_add(name).saturating_add(shape).saturating_add(values))
	})
}

/// The batch of a request: the largest size its tensors give a dynamic first dimension of
/// `specs` (1 when none is dynamic), which an answer's dynamic dimensions may not exceed.
pub fn batch_of(tensors: &[Tensor], specs: &[TensorSpec]) -> u32 {
	tensors
		.iter()
		.zip(specs)
		.filter(|(_, spec)| spec.shape.first() == Some(&Dim::Dynamic))
		.filter_map(|(tensor, _)| tensor.shape.first().copied())
		.max()
		.unwrap_or(1)
}

/// Checks `tensors` against the `specs` a model version declares: the same tensors in the same
/// order, shapes that fit (a dynamic first dimension takes any size), as many values as the
/// shape holds, and values of the declared kind and range.
pub fn check_tensors(tensors: &[Tensor], specs: &[TensorSpec]) -> Result<(), TensorError> {
	if tensors.len() != specs.len() {
		return Err(TensorError::Count);
	}
	for (tensor, spec) in tensors.iter().zip(specs) {
		if tensor.name != spec.name {
			return Err(TensorError::Name);
		}
		check_shape(&tensor.shape, &spec.shape)?;
		let elements = tensor
			.shape
			.iter()
			.try_fold(1u64, |acc, dim| acc.checked_mul(u64::from(*dim)))
			.ok_or(TensorError::ValueCount)?;
		if elements != tensor.values.len() as u64 {
			return Err(TensorError::ValueCount);
		}
		check_values(&tensor.values, spec.dtype)?;
	}
	Ok(())
}

fn check_shape(shape: &[u32], declared: &[Dim]) -> Result<(), TensorError> {
	if shape.len() != declared.len() {
		return Err(TensorError::Shape);
	}
	for (size, dim) in shape.iter().zip(declared) {
		let fits = match dim {
			Dim::Fixed(fixed) => size == fixed,
			Dim::Dynamic => *size > 0 && *size <= MAX_DIM,
		};
		if !fits {
			return Err(TensorError::Shape);
		}
	}
	Ok(())
}

/// The range of an integer dtype, `None` for floats and strings.
fn integer_range(dtype: TensorDtype) -> Option<(i128, i128)> {
	Some(match dtype {
		TensorDtype::Bool => (0, 1),
		TensorDtype::Int8 => (i8::MIN.into(), i8::MAX.into()),
		TensorDtype::UInt8 => (0, u8::MAX.into()),
		TensorDtype::Int16 => (i16::MIN.into(), i16::MAX.into()),
		TensorDtype::Int32 => (i32::MIN.into(), i32::MAX.into()),
		TensorDtype::Int64 => (i64::MIN.into(), i64::MAX.into()),
		TensorDtype::Float32 | TensorDtype::Float64 | TensorDtype::String => return None,
	})
}

fn check_values(values: &TensorValues, dtype: TensorDtype) -> Result<(), TensorError> {
	match (values, dtype) {
		(TensorValues::Strings(_), TensorDtype::String) => Ok(()),
		(TensorValues::Strings(_), _) | (TensorValues::Numbers(_), TensorDtype::String) => {
			Err(TensorError::Kind)
		}
		(TensorValues::Numbers(numbers), dtype) => {
			let range = integer_range(dtype);
			for number in numbers.iter() {
				match range {
					Some(_) if number.decimals != 0 => return Err(TensorError::Decimals),
					Some((min, max)) if number.value < min || number.value > max => {
						return Err(TensorError::Range)
					}
					None if number.decimals > MAX_DECIMALS => return Err(TensorError::Decimals),
					_ => {}
				}
			}
			Ok(())
		}
	}
}

/// How far two honest executions of a model version may differ and still agree: numbers `a`
/// (a verifier's) and `b` (the claim's) agree when `|a - b| <= absolute + relative · |b|`;
/// strings, shapes and names must be equal. ONNX Runtime's float kernels differ across CPU
/// instruction sets in the last bits, so float models declare a small tolerance; integer
/// models are exact and must declare zero.
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
	serde::Serialize,
	serde::Deserialize,
)]
pub struct Tolerance {
	/// Absolute difference allowed, in units of `10^-9`.
	pub absolute_e9: u32,
	/// Difference allowed relative to the claimed value.
	pub relative: Perbill,
}

impl Tolerance {
	/// Exact agreement only.
	pub const EXACT: Tolerance = Tolerance { absolute_e9: 0, relative: Perbill::zero() };

	/// Whether this tolerance allows any difference.
	pub fn is_exact(&self) -> bool {
		*self == Self::EXACT
	}

	/// Whether `ours` agrees with `claimed` within this tolerance.
	pub fn agrees(&self, ours: &[Tensor], claimed: &[Tensor]) -> bool {
		ours.len() == claimed.len()
			&& ours.iter().zip(claimed).all(|(a, b)| {
				a.name == b.name
					&& a.shape == b.shape
					&& match (&a.values, &b.values) {
						(TensorValues::Strings(x), TensorValues::Strings(y)) => x == y,
						(TensorValues::Numbers(x), TensorValues::Numbers(y)) => {
							x.len() == y.len()
								&& x.iter().zip(y.iter()).all(|(x, y)| self.numbers_agree(*x, *y))
						}
						_ => false,
					}
			})
	}

	/// Whether number `a` agrees with the claimed number `b`. Both are brought to a common
	/// scale of at least nine decimals; numbers too large to scale agree only when equal.
	pub fn numbers_agree(&self, a: FixedPoint, b: FixedPoint) -> bool {
		if a == b {
			return true;
		}
		let scale = a.decimals.max(b.decimals).max(9);
		let (Some(a), Some(b), Some(absolute)) = (
			rescale(a.value, a.decimals, scale),
			rescale(b.value, b.decimals, scale),
			rescale(i128::from(self.absolute_e9), 9, scale),
		) else {
			return false;
		};
		let Some(difference) = a.checked_sub(b).map(i128::unsigned_abs) else { return false };
		let relative = self.relative.mul_floor(b.unsigned_abs());
		difference <= absolute.unsigned_abs().saturating_add(relative)
	}
}

/// `value · 10^-decimals` as an integer count of `10^-scale` (`scale >= decimals`), if it fits.
fn rescale(value: i128, decimals: u8, scale: u8) -> Option<i128> {
	let power = u32::from(scale.checked_sub(decimals)?);
	10i128.checked_pow(power).and_then(|factor| value.checked_mul(factor))
}

#[cfg(test)]
mod tests {
	#![allow(clippy::unwrap_used)]
	use super::*;
	use crate::model::TensorSpec;

	fn number(value: i128, decimals: u8) -> FixedPoint {
		FixedPoint { value, decimals }
	}

	fn tensor(name: &str, shape: &[u32], values: TensorValues) -> Tensor {
		Tensor {
			name: name.as_bytes().to_vec().try_into().unwrap(),
			shape: shape.to_vec().try_into().unwrap(),
			values,
		}
	}

	fn numbers(values: &[(i128, u8)]) -> TensorValues {
		TensorValues::Numbers(
			values.iter().map(|(v, d)| number(*v, *d)).collect::<Vec<_>>().try_into().unwrap(),
		)
	}

	fn spec(name: &str, dtype: TensorDtype, shape: &[Dim]) -> TensorSpec {
		TensorSpec {
			name: name.as_bytes().to_vec().try_into().unwrap(),
			dtype,
			shape: shape.to_vec().try_into().unwrap(),
		}
	}

	#[test]
	fn tensors_are_held_against_the_schema() {
		let specs = [spec("x", TensorDtype::Float32, &[Dim::Dynamic, Dim::Fixed(2)])];
		let good = tensor("x", &[1, 2], numbers(&[(15, 1), (-3, 0)]));
		assert_eq!(check_tensors(core::slice::from_ref(&good), &specs), Ok(()));
		assert_eq!(
			check_tensors(&[tensor("x", &[3, 2], numbers(&[(1, 0); 6]))], &specs),
			Ok(()),
			"a dynamic batch takes any size"
		);
		assert_eq!(check_tensors(&[], &specs), Err(TensorError::Count));
		assert_eq!(
			check_tensors(&[tensor("y", &[1, 2], numbers(&[(1, 0); 2]))], &specs),
			Err(TensorError::Name)
		);
		assert_eq!(
			check_tensors(&[tensor("x", &[1, 3], numbers(&[(1, 0); 3]))], &specs),
			Err(TensorError::Shape)
		);
		assert_eq!(
			check_tensors(&[tensor("x", &[0, 2], numbers(&[]))], &specs),
			Err(TensorError::Shape)
		);
		assert_eq!(
			check_tensors(&[tensor("x", &[1, 2], numbers(&[(1, 0); 3]))], &specs),
			Err(TensorError::ValueCount)
		);
		let strings = TensorValues::Strings(
			vec![TensorString::try_from(b"a".to_vec()).unwrap(); 2].try_into().unwrap(),
		);
		assert_eq!(
			check_tensors(&[tensor("x", &[1, 2], strings.clone())], &specs),
			Err(TensorError::Kind)
		);
		assert_eq!(
			check_tensors(
				&[tensor("x", &[2], strings)],
				&[spec("x", TensorDtype::String, &[Dim::Fixed(2)])]
			),
			Ok(())
		);
		assert_eq!(
			check_tensors(&[tensor("x", &[1, 2], numbers(&[(1, 39), (1, 0)]))], &specs),
			Err(TensorError::Decimals)
		);
	}

	/// The bound a request pays for covers the largest answer its schema allows at its batch,
	/// and is not far above it (only the compact lengths are counted at their widest).
	#[test]
	fn the_largest_answer_fits_its_bound() {
		let specs = [
			spec("probabilities", TensorDtype::Float32, &[Dim::Dynamic, Dim::Fixed(3)]),
			spec("label", TensorDtype::Int64, &[Dim::Dynamic]),
		];
		for batch in [1u32, 7, 100] {
			let rows = batch as usize;
			// Every number encodes in 17 bytes whatever its value, so these are the largest.
			let largest = [
				tensor("probabilities", &[batch, 3], numbers(&vec![(123_456, 6); rows * 3])),
				tensor("label", &[batch], numbers(&vec![(-7, 0); rows])),
			];
			assert_eq!(check_tensors(&largest, &specs), Ok(()));
			let bound = largest_encoded(&specs, batch).unwrap();
			let size = largest.encode().len() as u64;
			assert!(size <= bound && bound - size <= 40, "{size} vs {bound}");
		}
		assert_eq!(batch_of(&[tensor("x", &[7, 4], numbers(&[]))], &specs[..1]), 7);
		assert_eq!(
			batch_of(
				&[tensor("x", &[7], numbers(&[]))],
				&[spec("x", TensorDtype::Int8, &[Dim::Fixed(7)])]
			),
			1
		);
		// Strings have no size of their own: unbounded (the chain's `MaxOutputBytes` applies).
		assert_eq!(largest_encoded(&[spec("s", TensorDtype::String, &[Dim::Fixed(1)])], 1), None);
	}

	#[test]
	fn integers_need_no_decimals_and_their_range() {
		let specs = [spec("n", TensorDtype::Int8, &[Dim::Fixed(1)])];
		assert_eq!(check_tensors(&[tensor("n", &[1], numbers(&[(-128, 0)]))], &specs), Ok(()));
		assert_eq!(
			check_tensors(&[tensor("n", &[1], numbers(&[(128, 0)]))], &specs),
			Err(TensorError::Range)
		);
		assert_eq!(
			check_tensors(&[tensor("n", &[1], numbers(&[(10, 1)]))], &specs),
			Err(TensorError::Decimals)
		);
		let flags = [spec("b", TensorDtype::Bool, &[Dim::Fixed(1)])];
		assert_eq!(
			check_tensors(&[tensor("b", &[1], numbers(&[(2, 0)]))], &flags),
			Err(TensorError::Range)
		);
	}

	#[test]
	fn tolerance_compares_across_scales() {
		let tolerance = Tolerance { absolute_e9: 1_000, relative: Perbill::zero() }; // 1e-6
		assert!(tolerance.numbers_agree(number(1_000_000, 6), number(1, 0)));
		assert!(tolerance.numbers_agree(number(1_000_001, 6), number(1, 0)));
		assert!(!tolerance.numbers_agree(number(1_000_002, 6), number(1, 0)));
		assert!(tolerance.numbers_agree(number(-15, 1), number(-150_000_009, 8)));
		let relative = Tolerance { absolute_e9: 0, relative: Perbill::from_percent(1) };
		assert!(relative.numbers_agree(number(101, 0), number(100, 0)));
		assert!(!relative.numbers_agree(number(102, 0), number(100, 0)));
		// The same number at two scales is equal, hence agrees even exactly.
		assert!(Tolerance::EXACT.numbers_agree(number(10, 1), number(1, 0)));
		// Numbers too large to rescale agree only when identical.
		assert!(!tolerance.numbers_agree(number(i128::MAX, 0), number(i128::MAX - 1, 0)));
		assert!(tolerance.numbers_agree(number(i128::MAX, 0), number(i128::MAX, 0)));
	}

	#[test]
	fn tensors_agree_only_with_equal_names_shapes_and_strings() {
		let tolerance = Tolerance { absolute_e9: 10, relative: Perbill::zero() };
		let a = [tensor("y", &[2], numbers(&[(100, 9), (0, 0)]))];
		let b = [tensor("y", &[2], numbers(&[(95, 9), (5, 9)]))];
		assert!(tolerance.agrees(&a, &b));
		assert!(!Tolerance::EXACT.agrees(&a, &b));
		assert!(!tolerance.agrees(&a, &[tensor("z", &[2], numbers(&[(100, 9), (0, 0)]))]));
		assert!(!tolerance.agrees(&a, &[tensor("y", &[1, 2], numbers(&[(100, 9), (0, 0)]))]));
		assert!(!tolerance.agrees(&a, &[]));
	}
}

#[cfg(test)]
mod fuzz;
