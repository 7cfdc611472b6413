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
