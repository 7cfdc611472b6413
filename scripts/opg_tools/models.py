"""Model bytes and schemas as the model registry defines them.

The content id (see `primitives/src/model.rs`): split the bytes into chunks of the registry's
`ChunkSize`, hash each with blake2-256, then

    content_id = blake2_256(b"opg:model:v1" ++ u64_le(byte_size) ++ h_0 ++ ... ++ h_{n-1})
"""

from __future__ import annotations

import hashlib
import struct

CONTENT_ID_DOMAIN = b"opg:model:v1"
MODEL_CHUNK_KEY_PREFIX = b"opg/model/chunk/"


def blake2_256(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=32).digest()


def chunks(data: bytes, chunk_size: int) -> list[bytes]:
    return [data[i:i + chunk_size] for i in range(0, len(data), chunk_size)]


def chunk_hashes(data: bytes, chunk_size: int) -> list[bytes]:
    return [blake2_256(chunk) for chunk in chunks(data, chunk_size)]


def content_id_from_hashes(byte_size: int, hashes: list[bytes]) -> bytes:
    return blake2_256(CONTENT_ID_DOMAIN + struct.pack("<Q", byte_size) + b"".join(hashes))


def content_id(data: bytes, chunk_size: int) -> bytes:
    return content_id_from_hashes(len(data), chunk_hashes(data, chunk_size))


def chunk_storage_key(content: bytes, index: int) -> bytes:
    """Where a chunk lives in a node's off-chain database."""
    return MODEL_CHUNK_KEY_PREFIX + content + struct.pack(">I", index)


# ONNX element types the registry knows, by their TensorProto number.
_ONNX_DTYPES = {1: "Float32", 11: "Float64", 3: "Int8", 5: "Int16", 6: "Int32", 7: "Int64",
                2: "UInt8", 9: "Bool", 8: "String"}


class SchemaError(Exception):
    pass


def schema_from_onnx(data: bytes) -> dict:
    """The registry I/O schema of an ONNX model: its graph inputs (not initializers) and
    outputs, with dtypes and shapes; a symbolic or unknown first dimension is the dynamic batch."""
    import onnx

    model = onnx.load_model_from_string(data)
    initializers = {init.name for init in model.graph.initializer}

    def spec(value) -> dict:
        tensor = value.type.tensor_type
        dtype = _ONNX_DTYPES.get(tensor.elem_type)
        if dtype is None:
            raise SchemaError(f"tensor {value.name!r} has ONNX element type {tensor.elem_type}, "
                              "which the registry does not support")
        shape = []
        for position, dim in enumerate(tensor.shape.dim):
            if dim.HasField("dim_value") and dim.dim_value > 0:
                shape.append({"Fixed": dim.dim_value})
            elif position == 0:
                shape.append("Dynamic")
            else:
                raise SchemaError(f"tensor {value.name!r} has a symbolic dimension at position "
                                  f"{position}; only the first (batch) dimension may be dynamic")
        if not shape:
            shape = [{"Fixed": 1}]
        return {"name": value.name, "dtype": dtype, "shape": shape}

    return {
        "inputs": [spec(v) for v in model.graph.input if v.name not in initializers],
        "outputs": [spec(v) for v in model.graph.output],
    }
