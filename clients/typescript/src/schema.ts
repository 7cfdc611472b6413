/**
 * Model I/O schemas as the model registry defines them (primitives/src/model/schema.rs), in
 * the same JSON form the Python tools use: `{"name", "dtype": "Float32", "shape": [{"Fixed":
 * 16}, "Dynamic"]}`. Only the first dimension may be dynamic (the batch).
 */

import { InvalidInput } from "./errors.js";

/** The chain's element types (`TensorDtype`). */
export type Dtype = "Float32" | "Float64" | "Int8" | "Int16" | "Int32" | "Int64" | "UInt8" | "Bool" | "String";

export const DTYPES: readonly Dtype[] = ["Float32", "Float64", "Int8", "Int16", "Int32", "Int64", "UInt8", "Bool", "String"];

/** One dimension: a fixed size, or the dynamic batch (first dimension only). */
export type Dim = { Fixed: number } | "Dynamic";

/** A named tensor with its element type and shape. */
export interface TensorSpec {
  name: string;
  dtype: Dtype;
  shape: Dim[];
}

/** The inputs and outputs of a model version, in the order its graph declares them. */
export interface IoSchema {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

// Bounds of the registry (primitives/src/model/record.rs and schema.rs): the node refuses to
// decode a call that exceeds them, so the client checks them before submitting anything.
export const MAX_NAME_LEN = 64;
export const MAX_DESCRIPTION_LEN = 1024;
export const MAX_TENSORS = 16;
export const MAX_TENSOR_NAME_LEN = 64;
export const MAX_RANK = 8;
export const MAX_DIM = 1 << 20;
export const MAX_TENSOR_ELEMENTS = 1 << 24;

/** The model's I/O schema cannot be expressed in, or exceeds the bounds of, the registry. */
export class SchemaError extends InvalidInput {}

export function isDynamic(dim: Dim): boolean {
  return dim === "Dynamic";
}

/** The size of a fixed dimension (1 for the dynamic batch, as the registry counts it). */
export function fixedSize(dim: Dim): number {
  return dim === "Dynamic" ? 1 : dim.Fixed;
}

/** A shape for people: `[batch, 16]`. */
export function describeShape(shape: Dim[]): string {
  return `[${shape.map((dim) => (dim === "Dynamic" ? "batch" : String(dim.Fixed))).join(", ")}]`;
}

const utf8Length = (text: string): number => new TextEncoder().encode(text).length;

/** Throws SchemaError when the registry would refuse `schema`: no tensors on a side, more than
 * it holds, empty or repeated names, unknown dtypes, or shapes beyond its bounds. */
export function checkSchema(schema: IoSchema): void {
  for (const side of ["inputs", "outputs"] as const) {
    const tensors = schema[side];
    if (!Array.isArray(tensors) || tensors.length === 0) {
      throw new SchemaError(`the model has no ${side}; the registry needs at least one`);
    }
    const names = tensors.map((tensor) => tensor.name);
    if (names.includes("") || new Set(names).size !== names.length) {
      throw new SchemaError(`the model's ${side} need distinct, non-empty names: ${JSON.stringify(names)}`);
    }
    if (tensors.length > MAX_TENSORS) {
      throw new SchemaError(`the model has ${tensors.length} ${side}; the registry allows at most ${MAX_TENSORS}`);
    }
    for (const tensor of tensors) {
      const { name, dtype, shape } = tensor;
      if (!DTYPES.includes(dtype)) {
        throw new SchemaError(`tensor ${JSON.stringify(name)} has dtype ${JSON.stringify(dtype)}; use one of ${DTYPES.join(", ")}`);
      }
      if (utf8Length(name) > MAX_TENSOR_NAME_LEN) {
        throw new SchemaError(`tensor name ${JSON.stringify(name)} is ${utf8Length(name)} bytes; the registry allows at most ${MAX_TENSOR_NAME_LEN}`);
      }
      if (shape.length > MAX_RANK) {
        throw new SchemaError(`tensor ${JSON.stringify(name)} has rank ${shape.length}; the registry allows at most ${MAX_RANK}`);
      }
      let elements = 1;
      shape.forEach((dim, position) => {
        if (dim === "Dynamic") {
          if (position !== 0) {
            throw new SchemaError(`tensor ${JSON.stringify(name)} has a dynamic dimension at position ${position}; only the first (batch) dimension may be dynamic`);
          }
          return;
        }
        if (!Number.isInteger(dim?.Fixed) || dim.Fixed < 1) {
          throw new SchemaError(`tensor ${JSON.stringify(name)} has dimension ${JSON.stringify(dim)}; use {"Fixed": n} with n >= 1, or "Dynamic" first`);
        }
        if (dim.Fixed > MAX_DIM) {
          throw new SchemaError(`tensor ${JSON.stringify(name)} has a dimension of ${dim.Fixed}; the registry allows at most ${MAX_DIM}`);
        }
        elements *= dim.Fixed;
      });
      if (elements > MAX_TENSOR_ELEMENTS) {
        throw new SchemaError(`tensor ${JSON.stringify(name)} has ${elements} elements per item; the registry allows at most ${MAX_TENSOR_ELEMENTS}`);
      }
    }
  }
}
