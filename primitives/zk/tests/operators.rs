//! Every operator of the subset: the circuit's outputs equal ONNX Runtime's integer semantics
//! (written out here as the reference), and the witness satisfies the constraints, on random
//! inputs. (`scripts/e2e/test_zk.py` checks the same models against ONNX Runtime itself.)
#![allow(
	clippy::unwrap_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects,
	clippy::identity_op
)]

mod common;

use common::{int_attribute, ModelBuilder};
use opg_zk::{circuit::Graph, IntType};
use proptest::prelude::*;

const N: usize = 6;

/// A model applying one node to an int32 input of shape [1, N].
fn unary(
	op: &str,
	constants: &[(IntType, &[usize], &[i64])],
	attrs: Vec<opg_zk::onnx::AttributeProto>,
	out_ty: IntType,
	out_shape: &[usize],
) -> Vec<u8> {
	let mut m = ModelBuilder::new(&[("x", IntType::I32, &[1, N])]);
	let mut inputs = vec!["x".to_string()];
	for (ty, shape, values) in constants {
		inputs.push(m.constant(*ty, shape, values));
	}
	let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
	m.node(op, &refs, attrs);
	m.rename_last_output("y");
	m.finish(&[("y", out_ty, out_shape)])
}

fn run(model: &[u8], input: &[i128]) -> Vec<i128> {
	let graph = Graph::from_onnx(model).unwrap();
	let circuit = graph.synthesize(&[input.to_vec()]).unwrap();
	assert!(circuit.is_satisfied(), "witness does not satisfy the circuit");
	circuit.outputs[0].clone()
}

fn wrap_i32(v: i128) -> i128 {
	v as i32 as i128
}

fn values() -> impl Strategy<Value = Vec<i128>> {
	prop::collection::vec(prop_oneof![-300i128..300, any::<i32>().prop_map(i128::from)], N)
}

proptest! {
	#![proptest_config(ProptestConfig::with_cases(24))]

	#[test]
	fn add_sub_mul_wrap_like_int32(x in values(), c in any::<i32>()) {
		for (op, f) in [("Add", (|a: i128, b: i128| a + b) as fn(i128, i128) -> i128), ("Sub", |a, b| a - b), ("Mul", |a, b| a * b)] {
			let model = unary(op, &[(IntType::I32, &[], &[c as i64])], vec![], IntType::I32, &[1, N]);
			let expected: Vec<i128> = x.iter().map(|v| wrap_i32(f(*v, c as i128))).collect();
			prop_assert_eq!(run(&model, &x), expected, "{}", op);
		}
	}

	#[test]
	fn div_truncates_toward_zero(x in values(), k in 0u32..12) {
		let model = unary("Div", &[(IntType::I32, &[], &[1i64 << k])], vec![], IntType::I32, &[1, N]);
		let expected: Vec<i128> = x.iter().map(|v| v / (1i128 << k)).collect();
		prop_assert_eq!(run(&model, &x), expected);
	}

	#[test]
	fn relu_and_clip_saturate(x in values(), a in -1000i64..1000, width in 0i64..2000) {
		let model = unary("Relu", &[], vec![], IntType::I32, &[1, N]);
		prop_assert_eq!(run(&model, &x), x.iter().map(|v| (*v).max(0)).collect::<Vec<_>>());
		let (lo, hi) = (a, a + width);
		let model = unary("Clip", &[(IntType::I32, &[], &[lo]), (IntType::I32, &[], &[hi])], vec![], IntType::I32, &[1, N]);
		let expected: Vec<i128> = x.iter().map(|v| (*v).clamp(lo as i128, hi as i128)).collect();
		prop_assert_eq!(run(&model, &x), expected);
	}

	#[test]
	fn cast_wraps_to_the_narrower_type(x in values()) {
		let model = unary("Cast", &[], vec![int_attribute("to", 3)], IntType::I8, &[1, N]);
		prop_assert_eq!(run(&model, &x), x.iter().map(|v| *v as i8 as i128).collect::<Vec<_>>());
		let model = unary("Cast", &[], vec![int_attribute("to", 2)], IntType::U8, &[1, N]);
		prop_assert_eq!(run(&model, &x), x.iter().map(|v| *v as u8 as i128).collect::<Vec<_>>());
		let model = unary("Cast", &[], vec![int_attribute("to", 7)], IntType::I64, &[1, N]);
		prop_assert_eq!(run(&model, &x), x.clone());
	}

	#[test]
	fn matmul_sums_and_wraps(x in values(), w in prop::collection::vec(any::<i32>(), N * 3)) {
		let weights: Vec<i64> = w.iter().map(|v| *v as i64).collect();
		let model = unary("MatMul", &[(IntType::I32, &[N, 3], &weights)], vec![], IntType::I32, &[1, 3]);
		let expected: Vec<i128> = (0..3)
			.map(|j| wrap_i32((0..N).map(|i| x[i] * w[i * 3 + j] as i128).sum()))
			.collect();
		prop_assert_eq!(run(&model, &x), expected);
	}
}

#[test]
fn reshape_and_flatten_relabel() {
	let x: Vec<i128> = (0..N as i128).map(|v| v * 3 - 7).collect();
	let model = unary("Reshape", &[(IntType::I64, &[2], &[3, -1])], vec![], IntType::I32, &[3, 2]);
	assert_eq!(run(&model, &x), x);
	let model = unary("Flatten", &[], vec![int_attribute("axis", 0)], IntType::I32, &[1, N]);
	assert_eq!(run(&model, &x), x);
}

#[test]
fn matmul_integer_subtracts_zero_points() {
	let mut m = ModelBuilder::new(&[("x", IntType::I8, &[1, 3])]);
	let w = m.constant(IntType::I8, &[3, 2], &[1, -2, 3, 4, -5, 6]);
	let azp = m.constant(IntType::I8, &[], &[2]);
	m.node("MatMulInteger", &["x", &w, &azp], vec![]);
	m.rename_last_output("y");
	let model = m.finish(&[("y", IntType::I32, &[1, 2])]);
	let x = [10i128, -20, 30];
	let expected = [
		(10 - 2) * 1 + (-20 - 2) * 3 + (30 - 2) * -5,
		(10 - 2) * -2 + (-20 - 2) * 4 + (30 - 2) * 6,
	];
	assert_eq!(run(&model, &x), expected);
}

#[test]
fn a_tampered_witness_breaks_the_circuit() {
	let model = common::mlp(8, 6, 3, 4);
	let graph = Graph::from_onnx(&model).unwrap();
	let circuit = graph.synthesize(&[(0..8).map(|v| v * 11 - 40).collect()]).unwrap();
	assert!(circuit.is_satisfied());
	// Every witness matters: changing any one of a sample breaks a constraint.
	for index in (circuit.public_inputs + 1..circuit.assignment.len()).step_by(7) {
		let mut tampered = circuit.clone();
		tampered.assignment[index] += opg_zk::Fr::from(1u8);
		assert!(!tampered.is_satisfied(), "witness {index} is unconstrained");
	}
}

#[test]
fn operators_outside_the_subset_are_named() {
	let model = unary("Softmax", &[], vec![], IntType::I32, &[1, N]);
	let error = Graph::from_onnx(&model).unwrap().compile().unwrap_err().to_string();
	assert!(error.contains("Softmax") && error.contains("ATTESTED"), "{error}");
	let model = unary("Div", &[(IntType::I32, &[], &[3])], vec![], IntType::I32, &[1, N]);
	let error = Graph::from_onnx(&model).unwrap().compile().unwrap_err().to_string();
	assert!(error.contains("power-of-two"), "{error}");
	assert!(Graph::from_onnx(b"not a model").is_err());
}

#[test]
fn crafted_graphs_cannot_exhaust_a_provers_memory() {
	// An output declared far larger than any tensor may be.
	let mut m = ModelBuilder::new(&[("x", IntType::I32, &[1, N])]);
	m.node("Identity", &["x"], vec![]);
	m.rename_last_output("y");
	let model = m.finish(&[("y", IntType::I32, &[1, 1 << 36])]);
	let error = Graph::from_onnx(&model).unwrap_err().to_string();
	assert!(error.contains("too large"), "{error}");
	// A broadcast that multiplies 2048 values into 2048 x 2048 stops at the circuit's budget.
	let mut m = ModelBuilder::new(&[("x", IntType::I32, &[1, 2048])]);
	let zeros = m.constant(IntType::I32, &[2048, 1], &[0; 2048]);
	let t = m.node("Add", &["x", &zeros], vec![]);
	m.node("Mul", &[&t, &t], vec![]);
	m.rename_last_output("y");
	let model = m.finish(&[("y", IntType::I32, &[2048, 2048])]);
	let graph = Graph::from_onnx(&model).unwrap();
	let error = graph.synthesize_within(&[vec![0; 2048]], 100_000).unwrap_err().to_string();
	assert!(error.contains("over 100000 constraints"), "{error}");
	// An honest circuit fits the budget of exactly its own size, and not one less.
	let model = common::mlp(8, 6, 3, 4);
	let graph = Graph::from_onnx(&model).unwrap();
	let size = graph.compile().unwrap().constraints();
	assert!(graph.synthesize_within(&[vec![1; 8]], size).is_ok());
}

/// `Clip(Div(x, 2^k), 0, 2^j - 1)`, the requantization the preparation tool writes after each
/// hidden layer: fused when the division's only reader is the clip right after it, kept apart
/// when another node sits between (`Identity`). Both give ONNX Runtime's values.
fn rescale(k: u32, j: u32, fused: bool) -> Vec<u8> {
	let mut m = ModelBuilder::new(&[("x", IntType::I32, &[1, N])]);
	let divisor = m.constant(IntType::I32, &[], &[1 << k]);
	let quotient = m.node("Div", &["x", &divisor], vec![]);
	let quotient = if fused { quotient } else { m.node("Identity", &[&quotient], vec![]) };
	let lo = m.constant(IntType::I32, &[], &[0]);
	let hi = m.constant(IntType::I32, &[], &[(1 << j) - 1]);
	m.node("Clip", &[&quotient, &lo, &hi], vec![]);
	m.rename_last_output("y");
	m.finish(&[("y", IntType::I32, &[1, N])])
}

proptest! {
	#![proptest_config(ProptestConfig::with_cases(48))]

	#[test]
	fn a_fused_rescale_is_the_division_then_the_clip(
		x in values(),
		k in 1u32..12,
		j in 1u32..16,
		edge in prop::sample::select(vec![-1i128, 0, 1]),
	) {
		// Values at the edges: multiples of 2^k around zero and around the clip's bound.
		let mut x = x;
		x[0] = edge << k;
		x[1] = ((1i128 << j) << k) + edge;
		x[2] = -(1i128 << k) + edge;
		let expected: Vec<i128> =
			x.iter().map(|v| (v / (1i128 << k)).clamp(0, (1i128 << j) - 1)).collect();
		let apart = Graph::from_onnx(&rescale(k, j, false)).unwrap().synthesize(&[x.clone()]).unwrap();
		let fused = Graph::from_onnx(&rescale(k, j, true)).unwrap().synthesize(&[x.clone()]).unwrap();
		prop_assert!(apart.is_satisfied() && fused.is_satisfied());
		prop_assert_eq!(&apart.outputs[0], &expected);
		prop_assert_eq!(&fused.outputs[0], &expected);
		prop_assert!(fused.constraints() < apart.constraints(), "{} >= {}", fused.constraints(), apart.constraints());
	}
}

#[test]
fn every_witness_of_a_fused_rescale_is_fixed_by_its_constraints() {
	// Moving any witness by one breaks a constraint, whatever the input's sign and whether the
	// quotient overflows the bound. The inverses of the "is not zero" checks are the exception
	// by design (the inverse of a zero is any value); they appear in `B` only, and are skipped.
	let graph = Graph::from_onnx(&rescale(3, 4, true)).unwrap();
	for input in [[-100, -8, -1, 0, 7, 8], [9, 64, 127, 128, 129, 1 << 20]] {
		let circuit = graph.synthesize(&[input.to_vec()]).unwrap();
		assert!(circuit.is_satisfied());
		let [a, _, c] = &circuit.matrices;
		let bound: std::collections::HashSet<usize> =
			a.iter().chain(c).flatten().map(|(_, variable)| *variable).collect();
		for index in
			(circuit.public_inputs + 1..circuit.assignment.len()).filter(|v| bound.contains(v))
		{
			let mut tampered = circuit.clone();
			tampered.assignment[index] += opg_zk::Fr::from(1u8);
			assert!(!tampered.is_satisfied(), "witness {index} of input {input:?} is free");
		}
	}
}

/// A node proves within the constraint count the registry holds (what setup compiled): the
/// term budget that bounds a crafted graph's memory leaves room for an honest MNIST-sized MLP,
/// whose inputs' bit sums reach every first-layer product.
#[test]
fn an_mnist_sized_mlp_synthesizes_within_its_own_constraint_count() {
	let graph = Graph::from_onnx(&common::mlp(784, 56, 10, 5)).unwrap();
	let compiled = graph.compile().unwrap();
	assert!(compiled.constraints() + compiled.public_inputs < 8_192, "{}", compiled.constraints());
	let input: Vec<i128> = (0..784).map(|i| (i * 37 % 256) - 128).collect();
	let proved = graph.synthesize_within(&[input], compiled.constraints()).unwrap();
	assert!(proved.is_satisfied());
	assert_eq!(proved.constraints(), compiled.constraints());
}
