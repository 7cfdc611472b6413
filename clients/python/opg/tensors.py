"""Tensors as the chain carries them, and their exact conversion to and from numpy.

A number is `{"value": int, "decimals": int}`, meaning value * 10**-decimals (OpenGradient's
fixed-point form). A float becomes its shortest decimal that reads back to the same float
(numpy's `format_float_positional(unique=True)`, the same digits as the node's Rust `Display`),
so float32 -> chain -> float32 is the identity, bit for bit; integers and booleans carry no
decimals; strings are UTF-8. The runtime's `check_tensors` and the node's engine
(node/src/inference.rs) implement the same rules.
"""

from __future__ import annotations

import numpy as np

# The chain's dtype names (TensorDtype) and their numpy types.
NUMPY_DTYPES = {
    "Float32": np.float32, "Float64": np.float64, "Int8": np.int8, "Int16": np.int16,
    "Int32": np.int32, "Int64": np.int64, "UInt8": np.uint8, "Bool": np.bool_,
}
MAX_DECIMALS = 38


class TensorError(Exception):
    """An input that cannot become the tensor the model declares; the message says why."""


def fixed_point(x) -> dict:
    """The chain's fixed-point form of one number (float, int or bool)."""
    if isinstance(x, (bool, np.bool_)):
        return {"value": int(x), "decimals": 0}
    if isinstance(x, (int, np.integer)):
        return {"value": int(x), "decimals": 0}
    if not np.isfinite(x):
        raise TensorError(f"{x} is not a finite number")
    text = np.format_float_positional(x, unique=True, trim="-")
    negative = text.startswith("-")
    whole, _, fraction = text.lstrip("-").partition(".")
    round_up = False
    if len(fraction) > MAX_DECIMALS:
        round_up = fraction[MAX_DECIMALS] >= "5"
        fraction = fraction[:MAX_DECIMALS]
    value = int(whole + fraction) + int(round_up)
    return {"value": -value if negative else value, "decimals": len(fraction)}


def to_float(number: dict, dtype=np.float32):
    """The float a fixed-point number denotes, correctly rounded to `dtype`."""
    return dtype(f"{int(number['value'])}e-{int(number['decimals'])}")


def spec_dtype(spec: dict) -> str:
    """The dtype name of a schema tensor as py-substrate-interface decodes it."""
    dtype = spec["dtype"]
    return dtype if isinstance(dtype, str) else next(iter(dtype))


def to_chain(spec: dict, value) -> dict:
    """The chain tensor for `value` (an array, nested lists or a scalar) as the schema tensor
    `spec` declares it (name, dtype, shape; a dynamic first dimension takes any size)."""
    name, dtype = spec["name"], spec_dtype(spec)
    if dtype == "String":
        array = np.asarray(value, dtype=object)
        values = {"Strings": [str(s).encode() for s in array.ravel()]}
    else:
        array = np.asarray(value)
        if array.dtype.kind in "fc" and dtype not in ("Float32", "Float64"):
            if not np.all(np.equal(np.mod(array, 1), 0)):
                raise TensorError(f"input {name!r} is {dtype}: give whole numbers")
        if dtype not in ("Float32", "Float64", "Bool") and array.size:
            info = np.iinfo(NUMPY_DTYPES[dtype])
            if np.min(array) < info.min or np.max(array) > info.max:
                raise TensorError(f"input {name!r} is {dtype}: its values must lie in "
                                  f"{info.min}..{info.max}")
        try:
            array = array.astype(NUMPY_DTYPES[dtype], casting="unsafe")
        except (TypeError, ValueError) as error:
            raise TensorError(f"input {name!r} is not numeric: {error}") from None
        values = {"Numbers": [fixed_point(x) for x in array.ravel()]}
    shape = list(array.shape) or [1]
    declared = spec["shape"]
    if len(declared) == len(shape) + 1 and _dynamic(declared[0]):
        shape = [1] + shape  # one item of a batched model
    if len(declared) != len(shape) or any(
            not _dynamic(d) and _fixed(d) != s for d, s in zip(declared, shape)):
        raise TensorError(f"input {name!r} has shape {shape}; the model declares "
                          f"{[('batch' if _dynamic(d) else _fixed(d)) for d in declared]}")
    return {"name": name, "shape": shape, "values": values}


def _dynamic(dim) -> bool:
    return dim == "Dynamic" or (isinstance(dim, dict) and "Dynamic" in dim)


def _fixed(dim) -> int:
    return int(dim["Fixed"]) if isinstance(dim, dict) else int(dim)


def from_chain(tensor: dict, dtype: str | None = None) -> np.ndarray:
    """A chain tensor (as decoded from an event, storage or the node's JSON) as a numpy array:
    floats correctly rounded to `dtype` (default float32), integers and booleans in `dtype`
    (int64 when it is not given), strings as str. TensorError when the values do not fill the
    shape."""
    values = tensor["values"]
    shape = [int(d) for d in tensor["shape"]]
    items = values["Strings"] if "Strings" in values else values["Numbers"]
    if len(items) != int(np.prod(shape)):
        raise TensorError(f"tensor {name_of(tensor)!r} holds {len(items)} values for shape {shape}")
    if "Strings" in values:
        strings = [_text(s) for s in values["Strings"]]
        return np.array(strings, dtype=object).reshape(shape)
    numbers = values["Numbers"]
    if all(int(n["decimals"]) == 0 for n in numbers) and dtype not in ("Float32", "Float64"):
        integers = np.array([int(n["value"]) for n in numbers], dtype=np.int64).reshape(shape)
        return integers.astype(NUMPY_DTYPES.get(dtype, np.int64)) if dtype else integers
    target = np.float64 if dtype == "Float64" else np.float32
    return np.array([to_float(n, target) for n in numbers], dtype=target).reshape(shape)


def _text(value) -> str:
    """Bytes as text, whether a client decoded them as text, as `0x` hex or as a byte list."""
    if isinstance(value, (bytes, list)):
        return bytes(value).decode(errors="replace")
    if value.startswith("0x"):
        try:
            return bytes.fromhex(value[2:]).decode()
        except ValueError:
            return value
    return value


def name_of(tensor: dict) -> str:
    """A tensor's name, whether decoded as text or as hex bytes."""
    return _text(tensor["name"])
