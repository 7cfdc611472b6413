//! Fuzz target: tensors as the runtime decodes them from requests and results (untrusted SCALE
//! bytes), then holds them against a schema ([`check_tensors`]) and compares them
//! ([`Tolerance::agrees`]). Arbitrary bytes, mutated encodings of arbitrary tensors, and
//! arbitrary tensors against arbitrary schemas: nothing panics, whatever decodes encodes back to
//! the same tensors, and `check_tensors` accepts exactly the tensors that fit the schema (checked
//! against a plain restatement of the rules below).

// Tests may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::*;
use crate::{
	fuzzing::{fuzz_cases, mutate},
	model::{Dim, TensorDtype, TensorSpec, MAX_DIM, MAX_RANK},
};
use codec::{Decode, Encode};
use proptest::prelude::*;

const DTYPES: [TensorDtype; 9] = [
	TensorDtype::Float32,
	TensorDtype::Float64,
	TensorDtype::Int8,
	TensorDtype::Int16,
	TensorDtype::Int32,
	TensorDtype::Int64,
	TensorDtype::UInt8,
	TensorDtype::Bool,
	TensorDtype::String,
];

fn number() -> impl Strategy<Value = FixedPoint> {
	let value = prop_oneof![
		-300i128..300,
		any::<i64>().prop_map(i128::from),
		any::<i128>(),
		Just(i128::MIN),
		Just(i128::MAX),
	];
	let decimals = prop_oneof![Just(0u8), 0u8..=40, any::<u8>()];
	(value, decimals).prop_map(|(value, decimals)| FixedPoint { value, decimals })
}

fn name() -> impl Strategy<Value = BoundedVec<u8, ConstU32<MAX_TENSOR_NAME_LEN>>> {
	prop_oneof![Just(b"x".to_vec()), Just(b"y".to_vec()), prop::collection::vec(any::<u8>(), 0..4)]
		.prop_map(BoundedVec::truncate_from)
}

fn size() -> impl Strategy<Value = u32> {
	prop_oneof![0u32..5, Just(MAX_DIM), Just(MAX_DIM + 1), any::<u32>()]
}

fn tensor() -> impl Strategy<Value = Tensor> {
	let values = prop_oneof![
		prop::collection::vec(number(), 0..24)
			.prop_map(|n| TensorValues::Numbers(BoundedVec::truncate_from(n))),
		prop::collection::vec(prop::collection::vec(any::<u8>(), 0..6), 0..8).prop_map(|s| {
			TensorValues::Strings(BoundedVec::truncate_from(
				s.into_iter().map(TensorString::truncate_from).collect(),
			))
		}),
	];
	(name(), prop::collection::vec(size(), 0..=MAX_RANK as usize), values).prop_map(
		|(name, shape, values)| Tensor { name, shape: BoundedVec::truncate_from(shape), values },
	)
}

fn tensors() -> impl Strategy<Value = Vec<Tensor>> {
	prop::collection::vec(tensor(), 0..4)
}

fn spec() -> impl Strategy<Value = TensorSpec> {
	let dim = prop_oneof![Just(Dim::Dynamic), size().prop_map(Dim::Fixed)];
	(name(), prop::sample::select(&DTYPES[..]), prop::collection::vec(dim, 0..=MAX_RANK as usize))
		.prop_map(|(name, dtype, shape)| TensorSpec {
			name,
			dtype,
			shape: BoundedVec::truncate_from(shape),
		})
}

/// A schema that `tensors` may well fit: their own names and shapes (some dimensions made
/// dynamic), with `dtypes`.
fn own_schema(tensors: &[Tensor], dtypes: &[TensorDtype], dynamic: &[bool]) -> Vec<TensorSpec> {
	tensors
		.iter()
		.enumerate()
		.map(|(i, tensor)| TensorSpec {
			name: tensor.name.clone(),
			dtype: match &tensor.values {
				TensorValues::Strings(_) => TensorDtype::String,
				TensorValues::Numbers(_) => dtypes[i % dtypes.len()],
			},
			shape: BoundedVec::truncate_from(
				tensor
					.shape
					.iter()
					.enumerate()
					.map(|(j, size)| {
						if dynamic[(i + j) % dynamic.len()] {
							Dim::Dynamic
						} else {
							Dim::Fixed(*size)
						}
					})
					.collect::<Vec<_>>(),
			),
		})
		.collect()
}

/// The rules of [`check_tensors`], restated plainly.
fn fits(tensors: &[Tensor], specs: &[TensorSpec]) -> bool {
	let number_fits = |n: &FixedPoint, dtype: TensorDtype| match dtype {
		TensorDtype::Float32 | TensorDtype::Float64 => n.decimals <= MAX_DECIMALS,
		TensorDtype::Bool => n.decimals == 0 && (0..=1).contains(&n.value),
		TensorDtype::Int8 => n.decimals == 0 && i8::try_from(n.value).is_ok(),
		TensorDtype::UInt8 => n.decimals == 0 && u8::try_from(n.value).is_ok(),
		TensorDtype::Int16 => n.decimals == 0 && i16::try_from(n.value).is_ok(),
		TensorDtype::Int32 => n.decimals == 0 && i32::try_from(n.value).is_ok(),
		TensorDtype::Int64 => n.decimals == 0 && i64::try_from(n.value).is_ok(),
		TensorDtype::String => false,
	};
	tensors.len() == specs.len()
		&& tensors.iter().zip(specs).all(|(tensor, spec)| {
			// The number of values the shape holds, multiplied out in a `u64`: a shape whose
			// partial products overflow is refused even when a later dimension is zero.
			let count =
				tensor.shape.iter().try_fold(1u64, |count, size| count.checked_mul((*size).into()));
			tensor.name == spec.name
				&& tensor.shape.len() == spec.shape.len()
				&& tensor.shape.iter().zip(spec.shape.iter()).all(|(size, dim)| match dim {
					Dim::Fixed(fixed) => size == fixed,
					Dim::Dynamic => (1..=MAX_DIM).contains(size),
				}) && count == Some(tensor.values.len() as u64)
				&& match &tensor.values {
					TensorValues::Strings(_) => spec.dtype == TensorDtype::String,
					TensorValues::Numbers(numbers) => {
						spec.dtype != TensorDtype::String
							&& numbers.iter().all(|n| number_fits(n, spec.dtype))
					}
				}
		})
}

/// Everything the runtime does with tensors it decoded, on `tensors`.
fn exercise(
	tensors: &[Tensor],
	specs: &[TensorSpec],
	tolerance: Tolerance,
) -> Result<(), TestCaseError> {
	let encoded = tensors.encode();
	let decoded = Vec::<Tensor>::decode(&mut &encoded[..]);
	prop_assert_eq!(decoded.as_deref(), Ok(tensors));
	prop_assert_eq!(check_tensors(tensors, specs).is_ok(), fits(tensors, specs));
	prop_assert!(tolerance.agrees(tensors, tensors), "a tensor set agrees with itself");
	if let Some((first, rest)) = tensors.split_first() {
		let _ = tolerance.agrees(rest, &tensors[..rest.len()]);
		let _ = tolerance.agrees(core::slice::from_ref(first), &tensors[tensors.len() - 1..]);
	}
	Ok(())
}

fn tolerance() -> impl Strategy<Value = Tolerance> {
	(any::<u32>(), any::<u32>()).prop_map(|(absolute_e9, parts)| Tolerance {
		absolute_e9,
		relative: Perbill::from_parts(parts),
	})
}

fn edits() -> impl Strategy<Value = Vec<(u8, u32, u8)>> {
	prop::collection::vec(any::<(u8, u32, u8)>(), 1..8)
}

proptest! {
	#![proptest_config(ProptestConfig { cases: fuzz_cases(2_000), ..ProptestConfig::default() })]

	/// Arbitrary bytes as a request's or a result's tensors.
	#[test]
	fn fuzz_tensor_bytes(
		bytes in prop::collection::vec(any::<u8>(), 0..512),
		specs in prop::collection::vec(spec(), 0..4),
		tolerance in tolerance(),
	) {
		if let Ok(tensors) = Tensors::decode(&mut &bytes[..]) {
			exercise(&tensors, &specs, tolerance)?;
		}
	}

	/// Mutated encodings of arbitrary tensors, against a schema that fits the originals more
	/// often than not.
	#[test]
	fn fuzz_mutated_tensor_encodings(
		original in tensors(),
		edits in edits(),
		dtypes in prop::collection::vec(prop::sample::select(&DTYPES[..8]), 1..4),
		dynamic in prop::collection::vec(any::<bool>(), 1..4),
		tolerance in tolerance(),
	) {
		let specs = own_schema(&original, &dtypes, &dynamic);
		let mut bytes = original.encode();
		mutate(&mut bytes, &edits);
		if let Ok(tensors) = Tensors::decode(&mut &bytes[..]) {
			exercise(&tensors, &specs, tolerance)?;
		}
	}

	/// Arbitrary tensors against their own schema and against arbitrary ones.
	#[test]
	fn fuzz_tensors_against_schemas(
		tensors in tensors(),
		specs in prop::collection::vec(spec(), 0..4),
		dtypes in prop::collection::vec(prop::sample::select(&DTYPES[..8]), 1..4),
		dynamic in prop::collection::vec(any::<bool>(), 1..4),
		tolerance in tolerance(),
	) {
		exercise(&tensors, &specs, tolerance)?;
		exercise(&tensors, &own_schema(&tensors, &dtypes, &dynamic), tolerance)?;
	}
}
