/**
 * Tensors as the chain carries them, and their exact conversion to and from typed arrays: the
 * rules of the Python tools (`opg_tools.tensors`), the runtime's `check_tensors` and the node's
 * engine (node/src/inference.rs).
 *
 * A number is `{value, decimals}`, meaning value · 10^-decimals. A float becomes its shortest
 * decimal that reads back to the same float (of the tensor's dtype: float32's shortest decimal,
 * not float64's), so float32 → chain → float32 is the identity, bit for bit; integers and
 * booleans carry no decimals; strings are UTF-8. Outputs are read back correctly rounded to the
 * declared dtype.
 */

import type { Codec } from "@polkadot/types-codec/types";
import { stringToU8a, u8aToString } from "@polkadot/util";

import { InvalidInput } from "./errors.js";
import { FLOAT32, FLOAT64, type FixedPoint, fixedToFloat, floatToFixed, formatFloat } from "./numbers.js";
import { describeShape, type Dim, type Dtype, isDynamic, type TensorSpec } from "./schema.js";

/** A tensor's elements, row-major, in the typed array of its dtype (booleans as 0/1 bytes). */
export type TensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | string[];

/** A tensor read from the chain: its dtype, shape and elements. */
export interface Tensor {
  dtype: Dtype;
  shape: number[];
  data: TensorData;
}

/** A tensor as the chain encodes it (`opg_primitives::inference::Tensor`). */
export interface ChainTensor {
  name: string;
  shape: number[];
  values: { Numbers: FixedPoint[] } | { Strings: Uint8Array[] };
}

/** One element of an input: a number, a bigint (64-bit integers), a boolean, or a string. */
export type Scalar = number | bigint | boolean | string;
/** Nested arrays of scalars, as JSON gives them: `[[5.1, 3.5, 1.4, 0.2]]`. */
export type NestedArray = Scalar | NestedArray[];
/** Flat elements in a typed array. */
export type TypedArray = Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | BigInt64Array | Uint8Array;
/** An input tensor: nested arrays (or one scalar), a typed array (one row), or a shape with flat
 * row-major data (a `Tensor` read from the chain fits). */
export type TensorInput = NestedArray | TypedArray | { shape: number[]; data: ArrayLike<Scalar> | TypedArray };

/** Raised for an input that cannot become the tensor the model declares; the message says why. */
export class TensorError extends InvalidInput {}

const INTEGER_RANGES: Partial<Record<Dtype, [bigint, bigint]>> = {
  Int8: [-(1n << 7n), (1n << 7n) - 1n],
  Int16: [-(1n << 15n), (1n << 15n) - 1n],
  Int32: [-(1n << 31n), (1n << 31n) - 1n],
  Int64: [-(1n << 63n), (1n << 63n) - 1n],
  UInt8: [0n, 255n],
};

/** `value`'s elements, row-major, and its shape: nested arrays must be rectangular. */
function flatten(name: string, value: TensorInput): { shape: number[]; elements: ArrayLike<Scalar> } {
  if (value !== null && typeof value === "object" && !Array.isArray(value) && "shape" in value) {
    const { shape, data } = value;
    const count = shape.reduce((product, dim) => product * dim, 1);
    if (!shape.every((dim) => Number.isInteger(dim) && dim >= 0) || count !== data.length) {
      throw new TensorError(`input ${JSON.stringify(name)}: shape ${JSON.stringify(shape)} does not hold ${data.length} elements`);
    }
    return { shape: [...shape], elements: data as ArrayLike<Scalar> };
  }
  if (ArrayBuffer.isView(value)) {
    const flat = value as unknown as ArrayLike<Scalar>; // a typed array: one row
    return { shape: [flat.length], elements: flat };
  }
  const shape: number[] = [];
  for (let level: unknown = value; Array.isArray(level); level = level[0]) {
    shape.push(level.length);
    if (level.length === 0) break;
  }
  const elements: Scalar[] = [];
  const walk = (item: unknown, depth: number): void => {
    if (depth === shape.length) {
      if (Array.isArray(item)) throw new TensorError(`input ${JSON.stringify(name)} is a ragged array (nested deeper than its first elements)`);
      elements.push(item as Scalar);
      return;
    }
    if (!Array.isArray(item) || item.length !== shape[depth]) {
      throw new TensorError(`input ${JSON.stringify(name)} is a ragged array: every row at depth ${depth} needs ${shape[depth]} elements`);
    }
    for (const child of item) walk(child, depth + 1);
  };
  walk(value, 0);
  return { shape, elements };
}

function describe(element: unknown): string {
  return typeof element === "bigint" ? `${element}n` : JSON.stringify(element) ?? String(element);
}

/** One element as the chain's fixed point, for a tensor of `dtype`. */
function numberOf(name: string, dtype: Dtype, element: unknown): FixedPoint {
  const kind = typeof element;
  if (kind !== "number" && kind !== "bigint" && kind !== "boolean") {
    throw new TensorError(`input ${JSON.stringify(name)} is ${dtype}: ${describe(element)} is not a number`);
  }
  const scalar = element as number | bigint | boolean;
  if (dtype === "Float32" || dtype === "Float64") {
    const format = dtype === "Float32" ? FLOAT32 : FLOAT64;
    // A bigint is rounded once, straight to the dtype (as numpy's int64 → float32 cast).
    const x = typeof scalar === "bigint" ? fixedToFloat(scalar, 0, format) : dtype === "Float32" ? Math.fround(Number(scalar)) : Number(scalar);
    if (!Number.isFinite(x)) throw new TensorError(`input ${JSON.stringify(name)}: ${describe(element)} is not a finite number`);
    try {
      return floatToFixed(x, format);
    } catch (error) {
      throw new TensorError(`input ${JSON.stringify(name)}: ${(error as Error).message}`);
    }
  }
  if (dtype === "Bool") {
    const truthy = typeof scalar === "bigint" ? scalar !== 0n : Boolean(scalar) || Number.isNaN(scalar as number);
    return { value: truthy ? 1n : 0n, decimals: 0 };
  }
  let integer: bigint;
  if (typeof scalar === "bigint") integer = scalar;
  else if (typeof scalar === "boolean") integer = scalar ? 1n : 0n;
  else if (Number.isInteger(scalar)) integer = BigInt(scalar);
  else throw new TensorError(`input ${JSON.stringify(name)} is ${dtype}: give whole numbers (not ${describe(element)})`);
  const [low, high] = INTEGER_RANGES[dtype] as [bigint, bigint];
  // The Python tools' numpy cast would wrap around silently; the runtime refuses such inputs
  // (Inference.InputRange), so say so before paying a transaction fee.
  if (integer < low || integer > high) {
    throw new TensorError(`input ${JSON.stringify(name)} is ${dtype}: ${integer} is outside ${low}..${high}`);
  }
  return { value: integer, decimals: 0 };
}

/**
 * The chain tensor for `value` as the schema tensor `spec` declares it (name, dtype, shape; a
 * dynamic first dimension takes any size, and one item without the batch dimension is taken
 * as a batch of one). Mirrors `opg_tools.tensors.to_chain`.
 */
export function toChain(spec: TensorSpec, value: TensorInput): ChainTensor {
  const { name, dtype } = spec;
  const flat = flatten(name, value);
  let shape = flat.shape.length ? flat.shape : [1];
  const declared: Dim[] = spec.shape;
  if (declared.length === shape.length + 1 && isDynamic(declared[0])) shape = [1, ...shape]; // one item of a batched model
  if (declared.length !== shape.length || declared.some((dim, i) => !isDynamic(dim) && (dim as { Fixed: number }).Fixed !== shape[i])) {
    throw new TensorError(`input ${JSON.stringify(name)} has shape ${JSON.stringify(shape)}; the model declares ${describeShape(declared)}`);
  }
  const elements = Array.from(flat.elements as ArrayLike<Scalar>);
  if (dtype === "String") {
    const strings = elements.map((element) => {
      if (typeof element !== "string") throw new TensorError(`input ${JSON.stringify(name)} is String: ${describe(element)} is not a string`);
      return stringToU8a(element);
    });
    return { name, shape, values: { Strings: strings } };
  }
  return { name, shape, values: { Numbers: elements.map((element) => numberOf(name, dtype, element)) } };
}

function count(shape: number[]): number {
  return shape.reduce((product, dim) => product * dim, 1);
}

/**
 * A chain tensor as a typed `Tensor` in `dtype` (the output's declared dtype): floats
 * correctly rounded to it, integers range-checked, strings decoded. Without a dtype, numbers
 * without decimals are Int64 and others Float32, as the Python tools read them.
 */
export function fromChain(tensor: ChainTensor, dtype?: Dtype): Tensor {
  const { shape } = tensor;
  const size = count(shape);
  if ("Strings" in tensor.values) {
    const strings = tensor.values.Strings.map((bytes) => u8aToString(bytes));
    if (strings.length !== size) throw new TensorError(`output ${JSON.stringify(tensor.name)} holds ${strings.length} strings for shape ${JSON.stringify(shape)}`);
    return { dtype: "String", shape, data: strings };
  }
  const numbers = tensor.values.Numbers;
  if (numbers.length !== size) throw new TensorError(`output ${JSON.stringify(tensor.name)} holds ${numbers.length} numbers for shape ${JSON.stringify(shape)}`);
  const chosen: Dtype = dtype ?? (numbers.every((n) => n.decimals === 0) ? "Int64" : "Float32");
  switch (chosen) {
    case "Float32":
      return { dtype: chosen, shape, data: Float32Array.from(numbers, (n) => fixedToFloat(n.value, n.decimals, FLOAT32)) };
    case "Float64":
      return { dtype: chosen, shape, data: Float64Array.from(numbers, (n) => fixedToFloat(n.value, n.decimals, FLOAT64)) };
    case "String":
      throw new TensorError(`output ${JSON.stringify(tensor.name)} is declared String but holds numbers`);
    default: {
      const integers = numbers.map((n) => {
        if (n.decimals !== 0) throw new TensorError(`output ${JSON.stringify(tensor.name)} is ${chosen} but holds ${n.value}e-${n.decimals}`);
        const range = chosen === "Bool" ? [0n, 1n] : (INTEGER_RANGES[chosen] as [bigint, bigint]);
        if (n.value < range[0] || n.value > range[1]) throw new TensorError(`output ${JSON.stringify(tensor.name)} is ${chosen} but holds ${n.value}`);
        return n.value;
      });
      const data =
        chosen === "Int64" ? BigInt64Array.from(integers)
        : chosen === "Int32" ? Int32Array.from(integers, Number)
        : chosen === "Int16" ? Int16Array.from(integers, Number)
        : chosen === "Int8" ? Int8Array.from(integers, Number)
        : Uint8Array.from(integers, Number); // UInt8 and Bool
      return { dtype: chosen, shape, data };
    }
  }
}

/** The chain tensors of `Tensors` as polkadot.js decodes them (an event field, or
 * `Inference.Outputs` decoded as `Vec<OpgPrimitivesInferenceTensor>`). */
export function decodeTensors(codec: Codec): ChainTensor[] {
  // The runtime's types are not augmented into polkadot.js here: read the fields by name with
  // `get` (a struct is a Map, so `tensor.values` would be Map.prototype.values).
  type Struct = Codec & { get(name: string): Codec | undefined };
  type Values = Codec & { isNumbers: boolean; asNumbers: Struct[]; asStrings: Codec[] };
  return Array.from(codec as unknown as Struct[], (tensor) => {
    const values = tensor.get("values") as Values;
    return {
      name: u8aToString((tensor.get("name") as Codec).toU8a(true)),
      shape: Array.from(tensor.get("shape") as unknown as { toNumber(): number }[], (dim) => dim.toNumber()),
      values: values.isNumbers
        ? {
            Numbers: values.asNumbers.map((n) => ({
              value: (n.get("value") as unknown as { toBigInt(): bigint }).toBigInt(),
              decimals: (n.get("decimals") as unknown as { toNumber(): number }).toNumber(),
            })),
          }
        : { Strings: values.asStrings.map((s) => s.toU8a(true)) },
    };
  });
}

/** A JSON-friendly element: numbers as numbers (a float32 value as the double equal to it),
 * 64-bit integers as numbers when exact and as decimal strings beyond 2^53. */
function jsonElement(element: number | bigint | string): number | string {
  if (typeof element !== "bigint") return element;
  return element >= BigInt(Number.MIN_SAFE_INTEGER) && element <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(element) : element.toString();
}

/** The tensor as plain JSON: `{dtype, shape, data}` with `data` flat and row-major. Floats
 * are written as the doubles equal to them, so reading them back (any JSON parser) and
 * rounding to the dtype gives the same bits. */
export function tensorToJSON(tensor: Tensor): { dtype: Dtype; shape: number[]; data: (number | string)[] } {
  return { dtype: tensor.dtype, shape: tensor.shape, data: Array.from(tensor.data as ArrayLike<number | bigint | string>, jsonElement) };
}

/** The tensor as nested arrays of its shape (for display or JSON), elements as `tensorToJSON`
 * writes them. */
export function tensorToNested(tensor: Tensor): unknown {
  const flat = tensorToJSON(tensor).data;
  const build = (depth: number, offset: number): unknown => {
    if (depth === tensor.shape.length) return flat[offset];
    const stride = count(tensor.shape.slice(depth + 1));
    return Array.from({ length: tensor.shape[depth] }, (_, i) => build(depth + 1, offset + i * stride));
  };
  return tensor.shape.length ? build(0, 0) : flat[0];
}

/** One element as a person should read it: floats as their shortest decimal in the tensor's
 * dtype (`0.1`, not float32's `0.10000000149011612`). */
export function formatElement(tensor: Tensor, element: number | bigint | string): string {
  if (typeof element === "number" && (tensor.dtype === "Float32" || tensor.dtype === "Float64")) {
    return formatFloat(element, tensor.dtype === "Float32" ? FLOAT32 : FLOAT64);
  }
  return typeof element === "string" ? JSON.stringify(element) : String(element);
}
