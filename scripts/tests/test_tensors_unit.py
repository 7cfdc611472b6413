"""The tensor conversion and the infer command's input handling, without a node."""

from __future__ import annotations

import numpy as np
import pytest

from opg import chain, jobs, tensors
from opg_tools import infer

SPEC = {"name": "x", "dtype": "Float32", "shape": ["Dynamic", {"Fixed": 3}]}


def test_float32_round_trips_bit_for_bit():
    values = np.random.default_rng(3).standard_normal(5000).astype(np.float32) * 1e3
    values = np.concatenate([values, np.float32([0.0, -0.0, 1e-38, 3.4e38, 0.1, 1 / 3])])
    back = np.array([tensors.to_float(tensors.fixed_point(v)) for v in values], dtype=np.float32)
    assert np.array_equal(back.view(np.uint32)[values != 0], values.view(np.uint32)[values != 0])


def test_fixed_point_is_the_shortest_decimal():
    assert tensors.fixed_point(np.float32(0.1)) == {"value": 1, "decimals": 1}
    assert tensors.fixed_point(np.float32(-2.5)) == {"value": -25, "decimals": 1}
    assert tensors.fixed_point(7) == {"value": 7, "decimals": 0}
    assert tensors.fixed_point(True) == {"value": 1, "decimals": 0}
    with pytest.raises(tensors.TensorError):
        tensors.fixed_point(np.float32("nan"))


def test_inputs_take_the_declared_shape_with_a_batch_of_one_added():
    one = tensors.to_chain(SPEC, [1.0, 2.0, 3.0])
    assert one["shape"] == [1, 3] and len(one["values"]["Numbers"]) == 3
    two = tensors.to_chain(SPEC, [[1, 2, 3], [4, 5, 6]])
    assert two["shape"] == [2, 3]
    with pytest.raises(tensors.TensorError, match="shape"):
        tensors.to_chain(SPEC, [1.0, 2.0])


def test_integer_inputs_refuse_fractions():
    spec = {"name": "n", "dtype": "Int64", "shape": [{"Fixed": 2}]}
    assert tensors.to_chain(spec, [1, 2])["values"]["Numbers"][1] == {"value": 2, "decimals": 0}
    with pytest.raises(tensors.TensorError, match="whole numbers"):
        tensors.to_chain(spec, [1.5, 2])


def test_from_chain_reads_numbers_and_strings():
    tensor = {"name": "y", "shape": [1, 2],
              "values": {"Numbers": [{"value": 15, "decimals": 1}, {"value": -2, "decimals": 0}]}}
    assert tensors.from_chain(tensor, "Float32").tolist() == [[1.5, -2.0]]
    labels = {"name": "0x6c", "shape": [2], "values": {"Numbers": [{"value": 1, "decimals": 0}] * 2}}
    assert tensors.from_chain(labels, "Int64").dtype == np.int64
    assert tensors.name_of(labels) == "l"
    words = {"name": "w", "shape": [1], "values": {"Strings": ["0x6869"]}}
    assert tensors.from_chain(words).tolist() == ["hi"]


def test_the_input_must_name_exactly_the_models_inputs():
    schema = {"inputs": [SPEC], "outputs": []}
    with pytest.raises(chain.ChainError, match="missing"):
        jobs.build_input(schema, {"y": [1, 2, 3]})
    assert jobs.build_input(schema, {"x": [1, 2, 3]})[0]["shape"] == [1, 3]
    with pytest.raises(chain.ChainError, match="not JSON"):
        infer.parse_input("{not json")


def test_states_and_refunds_read_as_sentences():
    assert "no node answered" in jobs.describe(
        {"status": {"Refunded": {"reason": "TimedOut", "at": 9}}})
    assert "Foo" in jobs.refund_reason({"EngineFailed": "0x" + b"Foo".hex()})
    assert "verifiers re-executing" in jobs.describe({"status": {"Verifying": {"node": "5Grw"}}})


def test_the_upload_tolerance_is_exact_for_integer_outputs():
    from opg import upload
    floats = {"inputs": [SPEC], "outputs": [SPEC]}
    ints = {"inputs": [SPEC], "outputs": [{**SPEC, "dtype": "Int64"}]}
    assert upload.parse_tolerance(None, floats) == {"absolute_e9": 10_000, "relative": 0}
    assert upload.parse_tolerance(None, ints) == {"absolute_e9": 0, "relative": 0}
    assert upload.parse_tolerance("1e-6", floats)["absolute_e9"] == 1000
    with pytest.raises(chain.ChainError, match="must be 0"):
        upload.parse_tolerance("1e-6", ints)
    with pytest.raises(chain.ChainError, match="multiple of 1e-9"):
        upload.parse_tolerance("1e-12", floats)
