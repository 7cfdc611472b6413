//! Fuzz targets: the ONNX-to-circuit compiler and the Groth16 verifier, on untrusted bytes.
//!
//! A ZK model's bytes come from its owner, and every prover node compiles them
//! ([`Graph::from_onnx`], then [`Graph::synthesize_within`] with the constraint count the
//! registry holds); verifying keys and proofs come in extrinsics. Fed arbitrary bytes, mutated
//! encodings of valid models, and random graphs over the operator subset (some nodes valid,
//! some not), the compiler gives a graph and a circuit or a clear error, never a panic, within a
//! few seconds; a circuit it builds is satisfied by its own witness and has the same shape for
//! every input. Fed mutated keys and proofs of the fixture, the verifier refuses every one that
//! is not the original.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]

mod common;

use opg_primitives::{
	fuzzing::{fuzz_cases, mutate},
	inference::{FixedPoint, Tensor, TensorValues},
	model::{Dim, IoSchema, TensorDtype, TensorSpec},
};
use opg_zk::{
	circuit::{Graph, Synthesis},
	onnx::{
		build::value_info, DimensionProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto,
		TensorProto,
	},
	IntType,
};
use proptest::prelude::*;
use prost::Message;
use std::time::{Duration, Instant};

/// The constraint budget the targets synthesize within: a small prover's.
const BUDGET: usize = 1 << 16;

/// The longest a case may take: far above what any case needs, so that only a runaway fails.
const PATIENCE: Duration = Duration::from_secs(20);

const TYPES: [IntType; 8] = [
	IntType::I8,
	IntType::U8,
	IntType::I16,
	IntType::U16,
	IntType::I32,
	IntType::U32,
	IntType::I64,
	IntType::U64,
];

/// `count` values of `ty` from `seed`: its bounds, zero, and values spread over its range.
fn values_of(ty: IntType, count: usize, seed: u64) -> Vec<i128> {
	let mut state = seed | 1;
	(0..count)
		.map(|_| {
			state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
			let pick = state >> 33;
			match pick % 8 {
				0 => ty.min(),
				1 => ty.max(),
				2 => 0,
				3 => ((pick as i128 % 7) - 3).clamp(ty.min(), ty.max()),
				_ => {
					let span = (ty.max() - ty.min()) as u128 + 1;
					ty.min() + ((u128::from(state) * 0x9e37_79b9) % span) as i128
				}
			}
		})
		.collect()
}

/// Compiles `bytes` as a prover does, and checks what it builds.
fn compile(bytes: &[u8], seed: u64) -> Result<(), TestCaseError> {
	let started = Instant::now();
	let graph = match Graph::from_onnx(bytes) {
		Ok(graph) => graph,
		Err(error) => {
			prop_assert!(!error.to_string().is_empty());
			return Ok(());
		}
	};
	let values: usize = graph.inputs.iter().map(|info| info.len()).sum();
	if values > BUDGET {
		// Too large for the budget: refused before anything is built for it.
		let zeros: Vec<Vec<i128>> = graph.inputs.iter().map(|_| Vec::new()).collect();
		prop_assert!(graph.synthesize_within(&zeros, BUDGET).is_err());
		return Ok(());
	}
	let zeros: Vec<Vec<i128>> = graph.inputs.iter().map(|info| vec![0; info.len()]).collect();
	let circuit = match graph.synthesize_within(&zeros, BUDGET) {
		Ok(circuit) => circuit,
		Err(error) => {
			prop_assert!(!error.to_string().is_empty());
			prop_assert!(started.elapsed() < PATIENCE, "took {:?}", started.elapsed());
			return Ok(());
		}
	};
	check_circuit(&graph, &circuit)?;
	// What the tools compile with the default budget is the same circuit.
	let compiled = graph.compile().unwrap();
	prop_assert_eq!(compiled.constraints(), circuit.constraints());
	// Any input in range gives a circuit of the same shape, satisfied by its witness.
	let inputs: Vec<Vec<i128>> = graph
		.inputs
		.iter()
		.enumerate()
		.map(|(i, info)| values_of(info.ty, info.len(), seed.wrapping_add(i as u64)))
		.collect();
	let proved = graph.synthesize_within(&inputs, circuit.constraints()).unwrap();
	check_circuit(&graph, &proved)?;
	prop_assert!(proved.matrices == circuit.matrices, "the circuit depends on the input");
	prop_assert!(started.elapsed() < PATIENCE, "took {:?}", started.elapsed());
	Ok(())
}

fn check_circuit(graph: &Graph, circuit: &Synthesis) -> Result<(), TestCaseError> {
	prop_assert!(circuit.is_satisfied(), "the witness does not satisfy the circuit");
	prop_assert_eq!(circuit.outputs.len(), graph.outputs.len());
	for (values, info) in circuit.outputs.iter().zip(&graph.outputs) {
		prop_assert_eq!(values.len(), info.len());
		prop_assert!(values.iter().all(|v| info.ty.contains(*v)), "an output outside its type");
	}
	Ok(())
}

/// Valid models to mutate: the MLPs and one model per operator of the subset.
fn models() -> Vec<Vec<u8>> {
	use common::*;
	let mut models = vec![mlp(16, 12, 4, 1), mlp(4, 3, 2, 7)];
	let x = ("x", IntType::I32, &[1usize, 4][..]);
	let unary = |op: &str, constants: &[(IntType, &[usize], &[i64])], attributes, out: IntType| {
		let mut m = ModelBuilder::new(&[x]);
		let mut inputs = vec!["x".to_string()];
		for (ty, shape, values) in constants {
			inputs.push(m.constant(*ty, shape, values));
		}
		let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
		m.node(op, &refs, attributes);
		m.rename_last_output("y");
		m.finish(&[("y", out, &[1, 4])])
	};
	let scalar = |v: i64| (IntType::I32, &[][..], vec![v]);
	for (op, constant) in [("Add", 5), ("Sub", -3), ("Mul", 7), ("Div", 8)] {
		let (ty, shape, values) = scalar(constant);
		models.push(unary(op, &[(ty, shape, &values)], vec![], IntType::I32));
	}
	models.push(unary("Relu", &[], vec![], IntType::I32));
	models.push(unary(
		"Clip",
		&[(IntType::I32, &[], &[-5]), (IntType::I32, &[], &[9])],
		vec![],
		IntType::I32,
	));
	models.push(unary("Cast", &[], vec![int_attribute("to", 3)], IntType::I8));
	models.push(unary("Identity", &[], vec![], IntType::I32));
	models.push(unary("Reshape", &[(IntType::I64, &[2], &[-1, 4])], vec![], IntType::I32));
	models.push(unary("Flatten", &[], vec![int_attribute("axis", 1)], IntType::I32));
	let mut m = ModelBuilder::new(&[("x", IntType::I8, &[2, 3])]);
	let w = m.constant(IntType::I8, &[3, 2], &[1, -2, 3, -4, 5, -6]);
	let zero_point = m.constant(IntType::I8, &[], &[2]);
	m.node("MatMulInteger", &["x", &w, &zero_point], vec![]);
	m.rename_last_output("y");
	models.push(m.finish(&[("y", IntType::I32, &[2, 2])]));
	models
}

/// One node of a random graph: the operator, which earlier tensors it reads, and the constant
/// and attribute it may take. Most nodes are valid; `chaos` below [`CHAOS`] makes any choice.
#[derive(Clone, Debug)]
struct NodeRecipe {
	op: u8,
	first: u8,
	second: u8,
	chaos: u8,
	ty: u8,
	dims: Vec<u8>,
	seed: u64,
	attribute: i64,
}

/// One node in this many (of 256) is built with random choices rather than valid ones.
const CHAOS: u8 = 24;

fn node_recipe() -> impl Strategy<Value = NodeRecipe> {
	(
		any::<u8>(),
		any::<u8>(),
		any::<u8>(),
		any::<u8>(),
		0u8..8,
		prop::collection::vec(0u8..6, 0..4),
		any::<u64>(),
		prop_oneof![-3i64..16, any::<i64>()],
	)
		.prop_map(|(op, first, second, chaos, ty, dims, seed, attribute)| NodeRecipe {
			op,
			first,
			second,
			chaos,
			ty,
			dims,
			seed,
			attribute,
		})
}

/// The operator subset, then operators outside it.
const OPS: [&str; 14] = [
	"Add",
	"Sub",
	"Mul",
	"Div",
	"Relu",
	"Clip",
	"Cast",
	"Reshape",
	"Flatten",
	"Identity",
	"MatMul",
	"MatMulInteger",
	"Gemm",
	"Softmax",
];

fn constant(name: &str, ty: IntType, shape: &[usize], values: &[i128], raw: bool) -> TensorProto {
	let mut tensor = TensorProto {
		name: name.into(),
		data_type: ty.onnx_code(),
		dims: shape.iter().map(|d| *d as i64).collect(),
		..Default::default()
	};
	if raw {
		let width = (ty.bits() / 8) as usize;
		tensor.raw_data =
			values.iter().flat_map(|v| (*v as u64).to_le_bytes()[..width].to_vec()).collect();
	} else {
		match ty {
			IntType::I64 => tensor.int64_data = values.iter().map(|v| *v as i64).collect(),
			IntType::U32 | IntType::U64 => {
				tensor.uint64_data = values.iter().map(|v| *v as u64).collect()
			}
			_ => tensor.int32_data = values.iter().map(|v| *v as i32).collect(),
		}
	}
	tensor
}

/// Numpy broadcasting, as the compiler does it.
fn broadcast(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
	let rank = a.len().max(b.len());
	let dim = |s: &[usize], i: usize| if i < rank - s.len() { 1 } else { s[i - (rank - s.len())] };
	(0..rank)
		.map(|i| match (dim(a, i), dim(b, i)) {
			(x, y) if x == y => Some(x),
			(1, y) => Some(y),
			(x, 1) => Some(x),
			_ => None,
		})
		.collect()
}

/// The type and shape of `a · b` as the compiler computes them, if it takes them.
fn matmul_shape(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
	let (mut rows, k) = match a {
		[] => return None,
		[k] => (vec![], *k),
		[rows @ .., k] => (rows.to_vec(), *k),
	};
	match b {
		[n] if *n == k => Some(rows),
		[m, n] if *m == k => {
			rows.push(*n);
			Some(rows)
		}
		_ => None,
	}
}

type Info = Option<(IntType, Vec<usize>)>;

/// A random graph over the operator subset (and a little outside it): its inputs, nodes that
/// mostly fit the tensors they read, and the type and shape its last node computes, as far as
/// this reckons them, declared as its output.
fn random_model(inputs: &[(u8, Vec<u8>)], nodes: &[NodeRecipe], raw: bool) -> Vec<u8> {
	let mut graph = GraphProto::default();
	// Every tensor so far: its name, and its type and shape when known.
	let mut tensors: Vec<(String, Info)> = Vec::new();
	for (i, (ty, dims)) in inputs.iter().enumerate() {
		let ty = TYPES[*ty as usize % TYPES.len()];
		let shape: Vec<usize> = dims.iter().map(|d| *d as usize % 4 + 1).collect();
		let name = format!("x{i}");
		graph.input.push(value_info(&name, ty, &shape));
		tensors.push((name, Some((ty, shape))));
	}
	for (index, recipe) in nodes.iter().enumerate() {
		let chaos = recipe.chaos < CHAOS;
		let op = if chaos {
			OPS[recipe.op as usize % OPS.len()]
		} else {
			OPS[recipe.op as usize % (OPS.len() - 2)]
		};
		let pick = |which: u8| tensors[which as usize % tensors.len()].clone();
		let (first, first_info) = pick(recipe.first);
		let (first_ty, first_shape) = first_info.clone().unwrap_or((IntType::I32, vec![1]));
		let ty = TYPES[recipe.ty as usize % TYPES.len()];
		let dims: Vec<usize> = recipe.dims.iter().map(|d| *d as usize).collect();
		// Small values mostly, so that chains of products stay within the compiler's bound.
		let values = |ty: IntType, count: usize| -> Vec<i128> {
			values_of(ty, count, recipe.seed)
				.into_iter()
				.map(|v| if recipe.seed % 4 == 0 { v } else { v % 16 })
				.map(|v| v.clamp(ty.min(), ty.max()))
				.collect()
		};
		let mut constants = 0;
		let mut add_constant =
			|graph: &mut GraphProto, ty: IntType, shape: &[usize], values: &[i128]| {
				constants += 1;
				let name = format!("c{index}_{constants}");
				graph.initializer.push(constant(&name, ty, shape, values, raw));
				name
			};
		let random_shape = |first: &[usize]| -> Vec<usize> {
			match recipe.second % 4 {
				0 => first.to_vec(),
				1 => vec![],
				2 => dims.clone(),
				_ => first.iter().skip(1).copied().collect(),
			}
		};
		let mut attribute = Vec::new();
		let (operands, info): (Vec<String>, Info) = match op {
			"Add" | "Sub" | "Mul" | "Div" => {
				let (second, second_info) = if chaos && recipe.second % 2 == 1 {
					pick(recipe.second / 2)
				} else {
					let shape = if chaos {
						random_shape(&first_shape)
					} else {
						match recipe.second % 3 {
							0 => first_shape.clone(),
							1 => vec![],
							_ => first_shape.iter().skip(1).copied().collect(),
						}
					};
					let count = shape.iter().product();
					let ty = if chaos { ty } else { first_ty };
					let values = if op == "Div" && !(chaos && recipe.seed % 2 == 0) {
						vec![1i128 << recipe.attribute.rem_euclid(ty.bits() as i64 - 1); count]
					} else {
						values(ty, count)
					};
					(add_constant(&mut graph, ty, &shape, &values), Some((ty, shape)))
				};
				let info = match (&first_info, &second_info) {
					(Some((a_ty, a)), Some((_, b))) => broadcast(a, b).map(|s| (*a_ty, s)),
					_ => None,
				};
				(vec![first, second], info)
			}
			"MatMul" | "MatMulInteger" | "Gemm" => {
				let integer = op == "MatMulInteger";
				let out_ty = |a_ty: IntType| if integer { IntType::I32 } else { a_ty };
				if chaos && recipe.second % 2 == 1 {
					let (second, second_info) = pick(recipe.second / 2);
					let info = match (&first_info, &second_info) {
						(Some((a_ty, a)), Some((_, b))) => {
							matmul_shape(a, b).map(|s| (out_ty(*a_ty), s))
						}
						_ => None,
					};
					(vec![first, second], info)
				} else if recipe.second % 4 == 0 && first_shape.len() <= 2 {
					// A weight times the computed tensor, whose first dimension it sums over.
					let k = first_shape.first().copied().unwrap_or(1);
					let shape = vec![dims.first().copied().unwrap_or(2), k];
					let weight_ty = if integer { first_ty } else { ty };
					let weight = add_constant(
						&mut graph,
						weight_ty,
						&shape,
						&values(weight_ty, shape.iter().product()),
					);
					let info = matmul_shape(&shape, &first_shape).map(|s| (out_ty(weight_ty), s));
					(vec![weight, first], info)
				} else {
					let k = first_shape.last().copied().unwrap_or(1);
					let shape = match (chaos, recipe.second % 3) {
						(true, _) => random_shape(&first_shape),
						(false, 0) => vec![k],
						_ => vec![k, dims.first().copied().unwrap_or(2)],
					};
					let weight_ty = if integer { first_ty } else { ty };
					let weight = add_constant(
						&mut graph,
						weight_ty,
						&shape,
						&values(weight_ty, shape.iter().product()),
					);
					let mut operands = vec![first, weight];
					if integer && recipe.seed % 3 == 0 {
						let zero_point = values(first_ty, 1);
						operands.push(add_constant(&mut graph, first_ty, &[], &zero_point));
					}
					let info = matmul_shape(&first_shape, &shape).map(|s| (out_ty(first_ty), s));
					(operands, info.filter(|_| first_info.is_some()))
				}
			}
			"Clip" => {
				let ty = if chaos { ty } else { first_ty };
				let bounds = values(ty, 2);
				let lo = add_constant(&mut graph, ty, &[], &bounds[..1]);
				let hi = add_constant(&mut graph, ty, &[], &bounds[1..]);
				let operands = match recipe.second % 4 {
					0 => vec![first, lo, hi],
					1 => vec![first, lo],
					2 => vec![first, String::new(), hi],
					_ => vec![first],
				};
				(operands, first_info)
			}
			"Cast" => {
				let to = if chaos { recipe.attribute } else { ty.onnx_code().into() };
				attribute.push(common::int_attribute("to", to));
				(vec![first], first_info.map(|(_, s)| (ty, s)))
			}
			"Reshape" => {
				let count: usize = first_shape.iter().product();
				let target: Vec<i128> = if chaos {
					recipe
						.dims
						.iter()
						.map(|d| match d {
							0 => -1,
							1 => 0,
							d => i128::from(*d) - 1,
						})
						.collect()
				} else {
					match recipe.second % 4 {
						0 => vec![-1],
						1 => vec![count as i128],
						2 => vec![1, -1],
						_ => first_shape.iter().rev().map(|d| *d as i128).collect(),
					}
				};
				let name = add_constant(&mut graph, IntType::I64, &[target.len()], &target);
				let mut shape: Vec<usize> = target
					.iter()
					.enumerate()
					.map(|(i, d)| match d {
						-1 => 1,
						0 => first_shape.get(i).copied().unwrap_or(0),
						d => *d as usize,
					})
					.collect();
				let known: usize = shape.iter().product();
				if let (Some(i), Some(size)) =
					(target.iter().position(|d| *d == -1), count.checked_div(known))
				{
					shape[i] = size;
				}
				let info = first_info
					.filter(|_| shape.iter().product::<usize>() == count)
					.map(|(t, _)| (t, shape));
				(vec![first, name], info)
			}
			"Flatten" => {
				let rank = first_shape.len() as i64;
				let axis = if chaos {
					recipe.attribute
				} else {
					recipe.attribute.rem_euclid(2 * rank + 1) - rank
				};
				attribute.push(common::int_attribute("axis", axis));
				let axis = if axis < 0 { axis.saturating_add(rank) } else { axis };
				let info = first_info.filter(|_| (0..=rank).contains(&axis)).map(|(t, s)| {
					let (head, tail) = s.split_at(axis as usize);
					(t, vec![head.iter().product(), tail.iter().product()])
				});
				(vec![first], info)
			}
			_ => (vec![first], if op == "Softmax" { None } else { first_info }),
		};
		let output = format!("t{index}");
		graph.node.push(NodeProto {
			input: operands,
			output: vec![output.clone()],
			name: if recipe.seed % 3 == 0 { String::new() } else { format!("{op}_{index}") },
			op_type: op.into(),
			attribute,
			domain: if chaos && recipe.seed % 5 == 0 {
				"com.microsoft".into()
			} else {
				String::new()
			},
		});
		tensors.push((output, info));
	}
	if let Some((name, info)) = tensors.last() {
		let (ty, shape) = info.clone().unwrap_or((IntType::I32, vec![1]));
		graph.output.push(value_info(name, ty, &shape));
	}
	ModelProto {
		ir_version: 8,
		graph: Some(graph),
		opset_import: vec![OperatorSetIdProto { domain: String::new(), version: 17 }],
	}
	.encode_to_vec()
}

/// Edits a decoded model field by field, as a structure-aware fuzzer does, so that most
/// mutants still decode: `(what, which, value)`.
fn edit_model(model: &mut ModelProto, edits: &[(u8, u32, i64)]) {
	let Some(graph) = model.graph.as_mut() else { return };
	let mut names: Vec<String> = graph.input.iter().map(|i| i.name.clone()).collect();
	names.extend(graph.initializer.iter().map(|t| t.name.clone()));
	names.extend(graph.node.iter().flat_map(|n| n.output.clone()));
	names.push(String::new());
	let small = |value: i64| if value.unsigned_abs().is_multiple_of(3) { value } else { value % 8 };
	for (what, which, value) in edits.iter().copied() {
		let which = which as usize;
		let nodes = graph.node.len().max(1);
		let tensors = graph.initializer.len().max(1);
		match what % 12 {
			0 => {
				if let Some(node) = graph.node.get_mut(which % nodes) {
					node.op_type = OPS[value.unsigned_abs() as usize % OPS.len()].into();
				}
			}
			1 => {
				if let Some(node) = graph.node.get_mut(which % nodes) {
					let slot = (value.unsigned_abs() as usize) % (node.input.len() + 1);
					let name = names[which % names.len()].clone();
					if slot == node.input.len() {
						node.input.push(name)
					} else {
						node.input[slot] = name
					}
				}
			}
			2 => {
				if let Some(tensor) = graph.initializer.get_mut(which % tensors) {
					let slot = (value.unsigned_abs() as usize) % (tensor.dims.len() + 1);
					if slot == tensor.dims.len() {
						tensor.dims.push(small(value))
					} else {
						tensor.dims[slot] = small(value)
					}
				}
			}
			3 => {
				if let Some(tensor) = graph.initializer.get_mut(which % tensors) {
					tensor.data_type = (value % 16) as i32;
				}
			}
			4 => {
				if let Some(tensor) = graph.initializer.get_mut(which % tensors) {
					let count = tensor.int32_data.len().max(tensor.int64_data.len()).max(1);
					if let Some(v) = tensor.int32_data.get_mut(which % count) {
						*v = value as i32
					}
					if let Some(v) = tensor.int64_data.get_mut(which % count) {
						*v = value
					}
					if value % 5 == 0 {
						tensor.int32_data.push(value as i32)
					}
				}
			}
			5 => {
				if let Some(tensor) = graph.initializer.get_mut(which % tensors) {
					tensor.raw_data = value.to_le_bytes()[..(which % 9)].to_vec();
					tensor.data_location = (value % 3 == 0) as i32;
				}
			}
			6 | 7 => {
				let infos = if what % 12 == 6 { &mut graph.input } else { &mut graph.output };
				let count = infos.len().max(1);
				if let Some(shape) = infos
					.get_mut(which % count)
					.and_then(|i| i.r#type.as_mut())
					.and_then(|t| t.tensor_type.as_mut())
				{
					match value % 3 {
						0 => shape.elem_type = (value % 16) as i32,
						1 => shape.shape = None,
						_ => {
							if let Some(dims) = shape.shape.as_mut() {
								let slot = which % (dims.dim.len() + 1);
								let dim = DimensionProto {
									dim_value: Some(small(value / 3)),
									dim_param: None,
								};
								if slot == dims.dim.len() {
									dims.dim.push(dim)
								} else {
									dims.dim[slot] = dim
								}
							}
						}
					}
				}
			}
			8 => {
				if let Some(node) = graph.node.get_mut(which % nodes) {
					let name = ["to", "axis"][value.unsigned_abs() as usize % 2];
					node.attribute.retain(|a| a.name != name);
					node.attribute.push(common::int_attribute(name, small(value / 2)));
				}
			}
			9 => {
				if !graph.node.is_empty() {
					let node = graph.node.remove(which % nodes);
					if value % 2 == 0 {
						graph.node.insert(value.unsigned_abs() as usize % nodes, node)
					}
				}
			}
			10 => {
				if let Some(node) = graph.node.get(which % nodes).cloned() {
					graph.node.insert(value.unsigned_abs() as usize % (nodes + 1), node);
				}
			}
			_ => {
				if let Some(node) = graph.node.get_mut(which % nodes) {
					node.output = vec![names[value.unsigned_abs() as usize % names.len()].clone()];
				}
			}
		}
	}
}

/// The fixture's schema: `x`, int8 `[1, 16]`, to `y`, int32 `[1, 4]`.
fn fixture_schema() -> IoSchema {
	let spec = |name: &[u8], dtype, width| TensorSpec {
		name: name.to_vec().try_into().unwrap(),
		dtype,
		shape: vec![Dim::Fixed(1), Dim::Fixed(width)].try_into().unwrap(),
	};
	IoSchema {
		inputs: vec![spec(b"x", TensorDtype::Int8, 16)].try_into().unwrap(),
		outputs: vec![spec(b"y", TensorDtype::Int32, 4)].try_into().unwrap(),
	}
}

fn ints(name: &[u8], values: &[i64]) -> Vec<Tensor> {
	vec![Tensor {
		name: name.to_vec().try_into().unwrap(),
		shape: vec![1, values.len() as u32].try_into().unwrap(),
		values: TensorValues::Numbers(
			values
				.iter()
				.map(|v| FixedPoint { value: i128::from(*v), decimals: 0 })
				.collect::<Vec<_>>()
				.try_into()
				.unwrap(),
		),
	}]
}

proptest! {
	#![proptest_config(ProptestConfig { cases: fuzz_cases(1_000), ..ProptestConfig::default() })]

	/// Arbitrary bytes as a model, alone or after the start of a valid one.
	#[test]
	fn fuzz_onnx_bytes(
		prefix in 0usize..400,
		bytes in prop::collection::vec(any::<u8>(), 0..1024),
		seed in any::<u64>(),
	) {
		let mut model = common::mlp(4, 3, 2, 7);
		model.truncate(prefix);
		model.extend(bytes);
		compile(&model, seed)?;
	}

	/// Mutated encodings of valid models: edited field by field (so that they still decode),
	/// then byte by byte (so that they often do not).
	#[test]
	fn fuzz_mutated_models(
		which in any::<prop::sample::Index>(),
		fields in prop::collection::vec(any::<(u8, u32, i64)>(), 0..6),
		bytes in prop::collection::vec(any::<(u8, u32, u8)>(), 0..3),
		seed in any::<u64>(),
	) {
		let models = models();
		let mut model = ModelProto::decode(&models[which.index(models.len())][..]).unwrap();
		edit_model(&mut model, &fields);
		let mut model = model.encode_to_vec();
		mutate(&mut model, &bytes);
		compile(&model, seed)?;
	}

	/// Random graphs over the operator subset and a few operators outside it.
	#[test]
	fn fuzz_random_graphs(
		inputs in prop::collection::vec((0u8..8, prop::collection::vec(any::<u8>(), 0..3)), 1..3),
		nodes in prop::collection::vec(node_recipe(), 1..8),
		raw in any::<bool>(),
		seed in any::<u64>(),
	) {
		compile(&random_model(&inputs, &nodes, raw), seed)?;
	}
}

proptest! {
	#![proptest_config(ProptestConfig { cases: fuzz_cases(100), ..ProptestConfig::default() })]

	/// Mutated verifying keys, proofs and claimed tensors of the fixture, as `register_model`
	/// and `submit_proof` receive them: only the original verifies.
	#[test]
	fn fuzz_verifier(
		key_edits in prop::collection::vec(any::<(u8, u32, u8)>(), 0..4),
		proof_edits in prop::collection::vec(any::<(u8, u32, u8)>(), 0..4),
		output_edit in prop::option::of((0usize..4, any::<i32>())),
		garbage in prop::collection::vec(any::<u8>(), 0..300),
	) {
		let fixture = opg_zk::fixture::mlp().unwrap();
		let schema = fixture_schema();
		let original = opg_zk::prepare_key_for(&schema, &fixture.verifying_key).unwrap();
		let (input, output) = (ints(b"x", &fixture.input), ints(b"y", &fixture.output));
		let mut key = fixture.verifying_key.clone();
		mutate(&mut key, &key_edits);
		let prepared = opg_zk::prepare_key_for(&schema, &key);
		let bound = fixture.first_proof().unwrap();
		let binding = bound.binding();
		let mut proof = bound.proof.clone();
		mutate(&mut proof, &proof_edits);
		let mut claimed = fixture.output.clone();
		if let Some((index, value)) = output_edit {
			claimed[index] = i64::from(value);
		}
		let claimed = ints(b"y", &claimed);
		if let Ok(prepared) = &prepared {
			let verified =
				opg_zk::verify_job(&schema, prepared, &input, &claimed, &binding, &proof);
			let same_proof = opg_zk::verifier::decode_proof::<ark_bn254::Bn254>(&proof).ok()
				== opg_zk::verifier::decode_proof::<ark_bn254::Bn254>(&bound.proof).ok();
			prop_assert_eq!(
				verified.is_ok(),
				*prepared == original && same_proof && claimed == output,
				"{:?}", verified
			);
		}
		prop_assert!(opg_zk::prepare_key_for(&schema, &garbage).is_err());
		prop_assert!(
			opg_zk::verify_job(&schema, &original, &input, &output, &binding, &garbage).is_err()
		);
	}
}

/// Found while writing these targets (mutated shapes are what they feed most): an input of
/// 2^20 int64 values was range-checked (65 constraints a value, 68 million in all, gigabytes)
/// before the budget was first checked, after the first node. Now the inputs' and outputs' cost is checked before
/// anything is built for them.
#[test]
fn inputs_over_the_budget_are_refused_before_they_are_built() {
	let mut m = common::ModelBuilder::new(&[("x", IntType::I64, &[1, 1 << 20])]);
	m.node("Identity", &["x"], vec![]);
	m.rename_last_output("y");
	let model = m.finish(&[("y", IntType::I64, &[1, 1 << 20])]);
	let graph = Graph::from_onnx(&model).unwrap();
	let started = Instant::now();
	let error = graph.synthesize_within(&[vec![0; 1 << 20]], 100_000).unwrap_err().to_string();
	assert!(error.contains("over 100000 constraints"), "{error}");
	let error = graph.compile().unwrap_err().to_string();
	assert!(error.contains("constraints"), "{error}");
	assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
	// Inputs and outputs of more values than any tensor may hold, together, are refused with
	// the graph.
	let mut m = common::ModelBuilder::new(&[
		("a", IntType::I8, &[1 << 12, 1 << 12]),
		("b", IntType::I8, &[1 << 12, 1 << 12]),
	]);
	m.node("Identity", &["a"], vec![]);
	m.rename_last_output("y");
	let model = m.finish(&[("y", IntType::I8, &[1 << 12, 1 << 12])]);
	let error = Graph::from_onnx(&model).unwrap_err().to_string();
	assert!(error.contains("inputs and outputs"), "{error}");
}

/// Found the same way: copies (`Identity`, `Reshape`, `Flatten`) and arithmetic on weights
/// build values but no constraint, so a chain of them grew without bound within any
/// constraint budget (a thousand copies of 16,384 weights: 16 million values, gigabytes), and
/// so did a `Cast` of many weights, whose constraints were counted only after the whole node.
/// Now every term built counts against a budget of its own, and every value against the
/// constraint budget as it is built.
#[test]
fn copies_and_casts_of_weights_are_bounded() {
	let mut m = common::ModelBuilder::new(&[("x", IntType::I8, &[1, 4])]);
	let w = m.constant(IntType::I8, &[1 << 14], &vec![3; 1 << 14]);
	let mut t = w;
	for _ in 0..1_000 {
		t = m.node("Identity", &[&t], vec![]);
	}
	m.rename_last_output("y");
	let model = m.finish(&[("y", IntType::I8, &[1 << 14])]);
	let started = Instant::now();
	let error = Graph::from_onnx(&model).unwrap().synthesize_within(&[vec![0; 4]], 10_000);
	let error = error.unwrap_err().to_string();
	assert!(error.contains("terms"), "{error}");
	assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());

	let mut m = common::ModelBuilder::new(&[("x", IntType::I8, &[1, 4])]);
	let w = m.constant(IntType::I64, &[1 << 16], &vec![1_000; 1 << 16]);
	m.node("Cast", &[&w], vec![common::int_attribute("to", 3)]);
	m.rename_last_output("y");
	let model = m.finish(&[("y", IntType::I8, &[1 << 16])]);
	let graph = Graph::from_onnx(&model).unwrap();
	let error = graph.synthesize_within(&[vec![0; 4]], 10_000).unwrap_err().to_string();
	assert!(error.contains("over 10000 constraints"), "{error}");
}

/// Found the same way: an empty tensor whose other dimensions multiply past `usize`
/// (`[0, 2^40, 2^40]`) passed the shape check (the product is zero), and `Flatten` then
/// multiplied its tail out: an overflow (a panic with overflow checks, a wrong shape without).
/// Every part of a shape must now stay within the bound.
#[test]
fn empty_tensors_of_huge_shapes_are_refused() {
	let mut m = common::ModelBuilder::new(&[("x", IntType::I8, &[1, 4])]);
	let w = m.constant(IntType::I8, &[0, 1 << 40, 1 << 40], &[]);
	m.node("Flatten", &[&w], vec![common::int_attribute("axis", 1)]);
	m.rename_last_output("y");
	let model = m.finish(&[("y", IntType::I8, &[1, 1])]);
	let error = Graph::from_onnx(&model).unwrap_err().to_string();
	assert!(error.contains("too large"), "{error}");
}
