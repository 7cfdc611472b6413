//! The parts of ONNX's protobuf messages the circuit compiler reads, declared by hand with
//! `prost`'s derive (field numbers from `onnx.proto`), so no `protoc` is needed. Fields not
//! declared here are skipped when decoding.

use prost::Message;

/// `ModelProto`.
#[derive(Clone, PartialEq, Message)]
pub struct ModelProto {
	/// The IR version.
	#[prost(int64, tag = "1")]
	pub ir_version: i64,
	/// The graph.
	#[prost(message, optional, tag = "7")]
	pub graph: Option<GraphProto>,
	/// Operator sets the graph uses.
	#[prost(message, repeated, tag = "8")]
	pub opset_import: Vec<OperatorSetIdProto>,
}

/// `OperatorSetIdProto`.
#[derive(Clone, PartialEq, Message)]
pub struct OperatorSetIdProto {
	/// The domain; empty for the default `ai.onnx`.
	#[prost(string, tag = "1")]
	pub domain: String,
	/// The opset version.
	#[prost(int64, tag = "2")]
	pub version: i64,
}

/// `GraphProto`.
#[derive(Clone, PartialEq, Message)]
pub struct GraphProto {
	/// Nodes, topologically sorted.
	#[prost(message, repeated, tag = "1")]
	pub node: Vec<NodeProto>,
	/// Constant tensors (weights).
	#[prost(message, repeated, tag = "5")]
	pub initializer: Vec<TensorProto>,
	/// Graph inputs (initializers may be listed here too).
	#[prost(message, repeated, tag = "11")]
	pub input: Vec<ValueInfoProto>,
	/// Graph outputs.
	#[prost(message, repeated, tag = "12")]
	pub output: Vec<ValueInfoProto>,
}

/// `NodeProto`.
#[derive(Clone, PartialEq, Message)]
pub struct NodeProto {
	/// Input tensor names; an empty name is an omitted optional input.
	#[prost(string, repeated, tag = "1")]
	pub input: Vec<String>,
	/// Output tensor names.
	#[prost(string, repeated, tag = "2")]
	pub output: Vec<String>,
	/// The node's name, used in error messages.
	#[prost(string, tag = "3")]
	pub name: String,
	/// The operator.
	#[prost(string, tag = "4")]
	pub op_type: String,
	/// Attributes.
	#[prost(message, repeated, tag = "5")]
	pub attribute: Vec<AttributeProto>,
	/// The operator's domain; empty for `ai.onnx`.
	#[prost(string, tag = "7")]
	pub domain: String,
}

/// `AttributeProto`.
#[derive(Clone, PartialEq, Message)]
pub struct AttributeProto {
	/// The attribute's name.
	#[prost(string, tag = "1")]
	pub name: String,
	/// A float value.
	#[prost(float, tag = "2")]
	pub f: f32,
	/// An integer value.
	#[prost(int64, tag = "3")]
	pub i: i64,
	/// A tensor value.
	#[prost(message, optional, tag = "5")]
	pub t: Option<TensorProto>,
	/// Integer list values.
	#[prost(int64, repeated, tag = "8")]
	pub ints: Vec<i64>,
}

/// `TensorProto`.
#[derive(Clone, PartialEq, Message)]
pub struct TensorProto {
	/// Dimensions.
	#[prost(int64, repeated, tag = "1")]
	pub dims: Vec<i64>,
	/// Element type (`TensorProto.DataType`).
	#[prost(int32, tag = "2")]
	pub data_type: i32,
	/// Values of types stored as int32 (int8, uint8, int16, uint16, int32, bool).
	#[prost(int32, repeated, tag = "5")]
	pub int32_data: Vec<i32>,
	/// Values of int64 tensors.
	#[prost(int64, repeated, tag = "7")]
	pub int64_data: Vec<i64>,
	/// The tensor's name.
	#[prost(string, tag = "8")]
	pub name: String,
	/// Values as little-endian bytes.
	#[prost(bytes = "vec", tag = "9")]
	pub raw_data: Vec<u8>,
	/// Values of uint32 and uint64 tensors.
	#[prost(uint64, repeated, tag = "11")]
	pub uint64_data: Vec<u64>,
	/// 1 when the values live in an external file, which a model on the chain cannot use.
	#[prost(int32, tag = "14")]
	pub data_location: i32,
}

/// `ValueInfoProto`.
#[derive(Clone, PartialEq, Message)]
pub struct ValueInfoProto {
	/// The tensor's name.
	#[prost(string, tag = "1")]
	pub name: String,
	/// Its type.
	#[prost(message, optional, tag = "2")]
	pub r#type: Option<TypeProto>,
}

/// `TypeProto`: only tensor types are read.
#[derive(Clone, PartialEq, Message)]
pub struct TypeProto {
	/// A tensor type.
	#[prost(message, optional, tag = "1")]
	pub tensor_type: Option<TensorTypeProto>,
}

/// `TypeProto.Tensor`.
#[derive(Clone, PartialEq, Message)]
pub struct TensorTypeProto {
	/// Element type (`TensorProto.DataType`).
	#[prost(int32, tag = "1")]
	pub elem_type: i32,
	/// Shape.
	#[prost(message, optional, tag = "2")]
	pub shape: Option<TensorShapeProto>,
}

/// `TensorShapeProto`.
#[derive(Clone, PartialEq, Message)]
pub struct TensorShapeProto {
	/// Dimensions.
	#[prost(message, repeated, tag = "1")]
	pub dim: Vec<DimensionProto>,
}

/// `TensorShapeProto.Dimension`: a value or a symbolic parameter.
#[derive(Clone, PartialEq, Message)]
pub struct DimensionProto {
	/// A fixed size.
	#[prost(int64, optional, tag = "1")]
	pub dim_value: Option<i64>,
	/// A symbolic size.
	#[prost(string, optional, tag = "2")]
	pub dim_param: Option<String>,
}

/// Decodes an ONNX model.
pub fn decode_model(bytes: &[u8]) -> Result<ModelProto, prost::DecodeError> {
	ModelProto::decode(bytes)
}

/// Writing small integer ONNX models, with the same messages: for tests, benchmarks and the
/// fixture.
pub mod build {
	#![allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
	use super::*;
	use crate::IntType;

	/// Builds a graph node by node.
	pub struct ModelBuilder {
		graph: GraphProto,
		counter: usize,
	}

	/// A graph input's or output's declaration.
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
		/// A graph with these inputs.
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
		pub fn node(
			&mut self,
			op: &str,
			inputs: &[&str],
			attributes: Vec<AttributeProto>,
		) -> String {
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
			if let Some(node) = self.graph.node.last_mut() {
				node.output = vec![name.into()];
			}
		}

		/// The encoded model, with these outputs.
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

	/// An integer attribute.
	pub fn int_attribute(name: &str, value: i64) -> AttributeProto {
		AttributeProto { name: name.into(), i: value, ..Default::default() }
	}

	/// A two-layer integer MLP `in -> hidden -> out` with int8 input, weights from `seed`:
	/// Cast to int32, MatMul, Add bias, Div by 2^8, Clip to [0, 127], MatMul, Add bias.
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
}
