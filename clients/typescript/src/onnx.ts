/**
 * The registry I/O schema of an ONNX model, read straight from its protobuf bytes.
 *
 * Only the few fields the schema needs are decoded (ModelProto.graph; GraphProto.input,
 * output, initializer; ValueInfoProto.name and type; TypeProto.tensor_type with elem_type and
 * shape), so the client needs no protobuf or ONNX library, in Node or in a browser. The rules
 * are those of the Python tools' `schema_from_onnx`: graph inputs that are not initializers,
 * every output, a symbolic or unknown first dimension is the dynamic batch, a scalar is
 * `[1]`.
 */

import { checkSchema, type Dim, type Dtype, type IoSchema, SchemaError, type TensorSpec } from "./schema.js";

// ONNX element types the registry knows, by their TensorProto.DataType number.
const ONNX_DTYPES: Record<number, Dtype> = { 1: "Float32", 11: "Float64", 3: "Int8", 5: "Int16", 6: "Int32", 7: "Int64", 2: "UInt8", 9: "Bool", 8: "String" };

/** One field of a protobuf message: its number, wire type and payload. */
interface Field {
  number: number;
  wire: number;
  varint?: bigint;
  bytes?: Uint8Array;
}

/** The fields of one protobuf message, in order. Throws on malformed bytes. */
function fields(message: Uint8Array): Field[] {
  const found: Field[] = [];
  let at = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (at >= message.length || shift > 63n) throw new Error("truncated or overlong varint");
      const byte = message[at++];
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return result;
    }
  };
  while (at < message.length) {
    const key = varint();
    const number = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (number === 0) throw new Error("field number 0");
    switch (wire) {
      case 0:
        found.push({ number, wire, varint: varint() });
        break;
      case 1:
      case 5: {
        const size = wire === 1 ? 8 : 4;
        if (at + size > message.length) throw new Error("truncated fixed-width field");
        at += size;
        found.push({ number, wire });
        break;
      }
      case 2: {
        const length = Number(varint());
        if (at + length > message.length) throw new Error("truncated length-delimited field");
        found.push({ number, wire, bytes: message.subarray(at, at + length) });
        at += length;
        break;
      }
      default:
        throw new Error(`unsupported wire type ${wire}`);
    }
  }
  return found;
}

const submessages = (message: Field[], number: number): Uint8Array[] =>
  message.filter((field) => field.number === number && field.wire === 2).map((field) => field.bytes as Uint8Array);
const lastSubmessage = (message: Field[], number: number): Uint8Array | undefined => submessages(message, number).pop();
const text = (bytes: Uint8Array | undefined): string => (bytes ? new TextDecoder().decode(bytes) : "");
const lastVarint = (message: Field[], number: number): bigint | undefined =>
  message.filter((field) => field.number === number && field.wire === 0).pop()?.varint;

/** The registry schema tensor of one graph input or output (a ValueInfoProto). */
function tensorSpec(valueInfo: Uint8Array): TensorSpec {
  const info = fields(valueInfo);
  const name = text(lastSubmessage(info, 1));
  const type = fields(lastSubmessage(info, 2) ?? new Uint8Array());
  const tensorType = fields(lastSubmessage(type, 1) ?? new Uint8Array());
  const elementType = Number(lastVarint(tensorType, 1) ?? 0n);
  const dtype = ONNX_DTYPES[elementType];
  if (dtype === undefined) {
    throw new SchemaError(`tensor ${JSON.stringify(name)} has ONNX element type ${elementType}, which the registry does not support`);
  }
  const shapeMessage = lastSubmessage(tensorType, 2);
  const dims = shapeMessage ? submessages(fields(shapeMessage), 1) : [];
  const shape: Dim[] = dims.map((dim, position) => {
    const value = lastVarint(fields(dim), 1); // dim_value; dim_param (2) is symbolic
    // int64 on the wire: a negative value is a 10-byte two's complement varint, never > 0 here.
    if (value !== undefined && value > 0n && value < 1n << 63n) return { Fixed: Number(value) };
    if (position === 0) return "Dynamic";
    throw new SchemaError(`tensor ${JSON.stringify(name)} has a symbolic dimension at position ${position}; only the first (batch) dimension may be dynamic`);
  });
  return { name, dtype, shape: shape.length ? shape : [{ Fixed: 1 }] };
}

/**
 * The registry I/O schema of an ONNX model (its bytes). Throws SchemaError when the bytes are
 * not an ONNX model, or the model has tensors the registry cannot describe.
 */
export function schemaFromOnnx(data: Uint8Array): IoSchema {
  if (data.length === 0) throw new SchemaError("the file is empty");
  let graph: Field[];
  try {
    const graphBytes = lastSubmessage(fields(data), 7);
    graph = graphBytes ? fields(graphBytes) : [];
  } catch (error) {
    throw new SchemaError(`not a readable ONNX model (${(error as Error).message})`);
  }
  // Protobuf reads some byte strings as a near-empty message; an ONNX model has a graph with
  // outputs.
  if (submessages(graph, 12).length === 0) throw new SchemaError("not a readable ONNX model (it has no graph with outputs)");
  let schema: IoSchema;
  try {
    const initializers = new Set(submessages(graph, 5).map((tensor) => text(lastSubmessage(fields(tensor), 8))));
    schema = {
      inputs: submessages(graph, 11)
        .filter((input) => !initializers.has(text(lastSubmessage(fields(input), 1))))
        .map(tensorSpec),
      outputs: submessages(graph, 12).map(tensorSpec),
    };
  } catch (error) {
    if (error instanceof SchemaError) throw error;
    throw new SchemaError(`not a readable ONNX model (${(error as Error).message})`);
  }
  checkSchema(schema);
  return schema;
}
