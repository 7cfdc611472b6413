"""Model bytes, content ids and schemas as the model registry defines them.

The content id, version 2 (see `primitives/src/model/content.rs`): split the bytes into chunks
of `chunk_size` bytes (the registry's `ChunkSize` constant, 64 KiB on the OPG runtime; the last
chunk is shorter), hash each with blake2-256, then

    content_id = blake2_256(b"opg:model:v2" ++ u32_le(chunk_size) ++ u64_le(byte_size)
                            ++ h_0 ++ ... ++ h_{n-1})

The chunk size is part of the preimage, so one content id never names two chunk layouts.
`scripts/tests/test_models_unit.py` checks the same known-answer vector as the Rust tests.

The limits below mirror the bounded types of `primitives/src/model/`: the node refuses to
decode a call that exceeds them, so the tools check them before submitting anything.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

CONTENT_ID_DOMAIN = b"opg:model:v2"
MODEL_CHUNK_KEY_PREFIX = b"opg/model/chunk/"

# Bounds of the registry's call arguments (primitives/src/model/record.rs and schema.rs).
MAX_NAME_LEN = 64
MAX_DESCRIPTION_LEN = 1024
MAX_CHUNKS = 4096
MAX_TENSORS = 16
MAX_TENSOR_NAME_LEN = 64
MAX_RANK = 8
MAX_DIM = 1 << 20
MAX_TENSOR_ELEMENTS = 1 << 24
U128_MAX = 2**128 - 1


def blake2_256(data: bytes) -> bytes:
    """The blake2b hash with a 32-byte digest, as `sp_io::hashing::blake2_256`."""
    return hashlib.blake2b(data, digest_size=32).digest()


def chunks(data: bytes, chunk_size: int) -> list[bytes]:
    """`data` split into chunks of `chunk_size` bytes, the last one shorter."""
    if chunk_size <= 0:
        raise ValueError("the chunk size must be positive")
    return [data[i:i + chunk_size] for i in range(0, len(data), chunk_size)]


def chunk_count(byte_size: int, chunk_size: int) -> int:
    """How many chunks of `chunk_size` bytes hold `byte_size` bytes."""
    return -(-byte_size // chunk_size)


def chunk_hashes(data: bytes, chunk_size: int) -> list[bytes]:
    """The blake2-256 hash of each chunk of `data`."""
    return [blake2_256(chunk) for chunk in chunks(data, chunk_size)]


def content_id_from_hashes(chunk_size: int, byte_size: int, hashes: list[bytes],
                           domain: bytes = CONTENT_ID_DOMAIN) -> bytes:
    """The content id (v2) of a model of `byte_size` bytes whose chunks hash to `hashes` (of
    other content under its own `domain`: a ZK key state's, `b"opg:zk-key:v1"`)."""
    preimage = domain + struct.pack("<IQ", chunk_size, byte_size) + b"".join(hashes)
    return blake2_256(preimage)


def content_id(data: bytes, chunk_size: int) -> bytes:
    """The content id (v2) of `data` uploaded in chunks of `chunk_size` bytes."""
    return content_id_from_hashes(chunk_size, len(data), chunk_hashes(data, chunk_size))


def chunk_storage_key(content: bytes, index: int) -> bytes:
    """Where a chunk lives in a node's off-chain database."""
    return MODEL_CHUNK_KEY_PREFIX + content + struct.pack(">I", index)


class SchemaError(Exception):
    """The model's I/O schema cannot be expressed in, or exceeds the bounds of, the registry."""


class LimitError(Exception):
    """A call argument exceeds a bound of the registry; the message names it and the limit."""


# ONNX element types the registry knows, by their TensorProto number.
_ONNX_DTYPES = {1: "Float32", 11: "Float64", 3: "Int8", 5: "Int16", 6: "Int32", 7: "Int64",
                2: "UInt8", 9: "Bool", 8: "String"}


def load_onnx(data: bytes):
    """Parses ONNX bytes; raises SchemaError when they are not an ONNX model."""
    import onnx
    from google.protobuf.message import Error as ProtobufError

    if not data:
        raise SchemaError("the file is empty")
    try:
        model = onnx.load_model_from_string(data)
    except (ProtobufError, ValueError, RuntimeError) as error:
        raise SchemaError(f"not a readable ONNX model ({error})") from error
    if not model.HasField("graph") or not model.graph.output:
        # Protobuf parses some byte strings as a near-empty message; an ONNX model has a graph
        # with outputs.
        raise SchemaError("not a readable ONNX model (it has no graph with outputs)")
    return model


def schema_from_onnx(data: bytes) -> dict:
    """The registry I/O schema of an ONNX model: its graph inputs (not initializers) and
    outputs, with dtypes and shapes; a symbolic or unknown first dimension is the dynamic batch."""
    model = load_onnx(data)
    initializers = {init.name for init in model.graph.initializer}

    def spec(value) -> dict:
        tensor = value.type.tensor_type
        dtype = _ONNX_DTYPES.get(tensor.elem_type)
        if dtype is None:
            raise SchemaError(f"tensor {value.name!r} has ONNX element type {tensor.elem_type}, "
                              "which the registry does not support")
        shape: list = []
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

    schema = {
        "inputs": [spec(v) for v in model.graph.input if v.name not in initializers],
        "outputs": [spec(v) for v in model.graph.output],
    }
    check_schema(schema)
    return schema


def check_schema(schema: dict) -> None:
    """Raises SchemaError when the registry would refuse `schema`: no tensors on a side, more
    than it holds, empty or repeated names, or shapes beyond its bounds."""
    for side in ("inputs", "outputs"):
        tensors = schema[side]
        if not tensors:
            raise SchemaError(f"the model has no {side}; the registry needs at least one")
        names = [tensor["name"] for tensor in tensors]
        if "" in names or len(set(names)) != len(names):
            raise SchemaError(f"the model's {side} need distinct, non-empty names: {names}")
        if len(tensors) > MAX_TENSORS:
            raise SchemaError(f"the model has {len(tensors)} {side}; the registry allows at most "
                              f"{MAX_TENSORS}")
        for tensor in tensors:
            name = tensor["name"]
            if len(name.encode()) > MAX_TENSOR_NAME_LEN:
                raise SchemaError(f"tensor name {name!r} is {len(name.encode())} bytes; the "
                                  f"registry allows at most {MAX_TENSOR_NAME_LEN}")
            shape = tensor["shape"]
            if len(shape) > MAX_RANK:
                raise SchemaError(f"tensor {name!r} has rank {len(shape)}; the registry allows "
                                  f"at most {MAX_RANK}")
            elements = 1
            for dim in shape:
                size = dim["Fixed"] if isinstance(dim, dict) else 1
                if size > MAX_DIM:
                    raise SchemaError(f"tensor {name!r} has a dimension of {size}; the registry "
                                      f"allows at most {MAX_DIM}")
                elements *= size
            if elements > MAX_TENSOR_ELEMENTS:
                raise SchemaError(f"tensor {name!r} has {elements} elements per item; the "
                                  f"registry allows at most {MAX_TENSOR_ELEMENTS}")


@dataclass(frozen=True)
class Metadata:
    """A model's name and description, checked against the registry's bounds."""

    name: bytes
    description: bytes

    @classmethod
    def of(cls, name: str, description: str) -> "Metadata":
        encoded_name, encoded_description = name.encode(), description.encode()
        if not encoded_name:
            raise LimitError("the model name is empty: pass --name")
        if len(encoded_name) > MAX_NAME_LEN:
            raise LimitError(f"the name is {len(encoded_name)} bytes; the registry allows at most "
                             f"{MAX_NAME_LEN} (UTF-8)")
        if len(encoded_description) > MAX_DESCRIPTION_LEN:
            raise LimitError(f"the description is {len(encoded_description)} bytes; the registry "
                             f"allows at most {MAX_DESCRIPTION_LEN} (UTF-8)")
        return cls(encoded_name, encoded_description)


def check_chunk_count(byte_size: int, chunk_size: int, max_chunks: int = MAX_CHUNKS) -> int:
    """The chunk count of a model of `byte_size` bytes; LimitError when the registry cannot
    hold that many chunks (or the model is empty)."""
    if byte_size == 0:
        raise LimitError("the model is empty")
    count = chunk_count(byte_size, chunk_size)
    if count > max_chunks:
        raise LimitError(f"the model is {byte_size} bytes, {count} chunks of {chunk_size} bytes; "
                         f"the registry holds at most {max_chunks} chunks "
                         f"({max_chunks * chunk_size} bytes)")
    return count
