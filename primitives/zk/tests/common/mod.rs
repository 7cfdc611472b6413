//! Builds small integer ONNX models for the tests, with the same protobuf messages the
//! compiler decodes.
#![allow(dead_code, clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use opg_zk::{
	onnx::{
		AttributeProto, DimensionProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto,
		TensorProto, TensorShapeProto, TensorTypeProto, TypeProto, ValueInfoProto,
	},
	IntType,
};
use prost::Message;

pub struct ModelBuilder {
	graph: GraphProto,
	counter: usize,
}

pub fn value_info(name: &str, ty: IntType, shape: &[usize]) -> ValueInfoProto {
	ValueInfoProto {
		name: name.into(),
		r#type: Some(TypeProto {
			tensor_type: Some(TensorTypeProto {
				elem_type: ty.onnx_code(),
				shape: Some(TensorShapeProto {
					dim: shape
						.iter()
						.map(|d| DimensionProto { dim_value: Some(*d as i64), dim_param: None })
						.collect(),
				}),
			}),
		}),
	}
}

impl ModelBuilder {
	pub fn new(inputs: &[(&str, IntType, &[usize])]) -> Self {
		let graph = GraphProto {
			input: inputs.iter().map(|(n, t, s)| value_info(n, *t, s)).collect(),
			..Default::default()
		};
		ModelBuilder { graph, counter: 0 }
	}

	/// A constant tensor (stored as int32_data or int64_data); answers its name.
	pub fn constant(&mut self, ty: IntType, shape: &[usize], values: &[i64]) -> String {
		self.counter += 1;
		let name = format!("c{}", self.counter);
		let mut tensor = TensorProto {
			name: name.clone(),
			data_type: ty.onnx_code(),
			dims: shape.iter().map(|d| *d as i64).collect(),
			..Default::default()
		};
		match ty {
			IntType::I64 => tensor.int64_data = values.to_vec(),
			_ => tensor.int32_data = values.iter().map(|v| *v as i32).collect(),
		}
		self.graph.initializer.push(tensor);
		name
	}

	/// A node; answers its output's name.
	pub fn node(&mut self, op: &str, inputs: &[&str], attributes: Vec<AttributeProto>) -> String {
		self.counter += 1;
		let output = format!("t{}", self.counter);
		self.graph.node.push(NodeProto {
			input: inputs.iter().map(|s| s.to_string()).collect(),
			output: vec![output.clone()],
			name: format!("{op}_{}", self.counter),
			op_type: op.into(),
			attribute: attributes,
			domain: String::new(),
		});
		output
	}

	/// Renames the last node's output (to match a declared graph output).
	pub fn rename_last_output(&mut self, name: &str) {
		self.graph.node.last_mut().unwrap().output = vec![name.into()];
	}

	pub fn finish(mut self, outputs: &[(&str, IntType, &[usize])]) -> Vec<u8> {
		self.graph.output = outputs.iter().map(|(n, t, s)| value_info(n, *t, s)).collect();
		ModelProto {
			ir_version: 8,
			graph: Some(self.graph),
			opset_import: vec![OperatorSetIdProto { domain: String::new(), version: 17 }],
		}
		.encode_to_vec()
	}
}

pub fn int_attribute(name: &str, value: i64) -> AttributeProto {
	AttributeProto { name: name.into(), i: value, ..Default::default() }
}

/// A two-layer integer MLP `in -> hidden -> out` with int8 input, weights from `seed`:
/// Cast to int32, MatMul, Add bias, Div by 2^shift, Clip to int8's range, MatMul, Add bias.
pub fn mlp(inputs: usize, hidden: usize, outputs: usize, seed: i64) -> Vec<u8> {
	let weight = |i: usize| ((i as i64 * 7919 + seed * 104729) % 255) - 127;
	let mut m = ModelBuilder::new(&[("x", IntType::I8, &[1, inputs])]);
	let x32 = m.node("Cast", &["x"], vec![int_attribute("to", 6)]);
	let w1: Vec<i64> = (0..inputs * hidden).map(weight).collect();
	let w1 = m.constant(IntType::I32, &[inputs, hidden], &w1);
	let b1: Vec<i64> = (0..hidden).map(|i| weight(i + 3) * 16).collect();
	let b1 = m.constant(IntType::I32, &[hidden], &b1);
	let h = m.node("MatMul", &[&x32, &w1], vec![]);
	let h = m.node("Add", &[&h, &b1], vec![]);
	let shift = m.constant(IntType::I32, &[], &[256]);
	let h = m.node("Div", &[&h, &shift], vec![]);
	let lo = m.constant(IntType::I32, &[], &[0]);
	let hi = m.constant(IntType::I32, &[], &[127]);
	let h = m.node("Clip", &[&h, &lo, &hi], vec![]);
	let w2: Vec<i64> = (0..hidden * outputs).map(|i| weight(i + 11)).collect();
	let w2 = m.constant(IntType::I32, &[hidden, outputs], &w2);
	let b2: Vec<i64> = (0..outputs).map(|i| weight(i + 5)).collect();
	let b2 = m.constant(IntType::I32, &[outputs], &b2);
	let y = m.node("MatMul", &[&h, &w2], vec![]);
	m.node("Add", &[&y, &b2], vec![]);
	m.rename_last_output("y");
	m.finish(&[("y", IntType::I32, &[1, outputs])])
}
