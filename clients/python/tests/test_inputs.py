"""What the SDK refuses before sending and how it reads outputs back, without a node."""

from __future__ import annotations

import numpy as np
import pytest

import opg
from opg import tensors

UINT8 = {"name": "x", "dtype": "UInt8", "shape": [{"Fixed": 2}]}


def test_integers_outside_the_dtype_are_refused_not_wrapped():
    with pytest.raises(tensors.TensorError, match="0..255"):
        tensors.to_chain(UINT8, [300, 1])
    with pytest.raises(tensors.TensorError, match="Int32"):
        tensors.to_chain({**UINT8, "dtype": "Int32"}, [1e10, 0])
    assert tensors.to_chain(UINT8, [255, 0])["values"]["Numbers"][0] == {"value": 255, "decimals": 0}


@pytest.mark.parametrize("price", ["1e-999999999", "1e-19", "0.0000000000000000001"])
def test_prices_finer_than_a_planck_are_refused_at_once(price):
    with pytest.raises(opg.InvalidInput, match="smallest unit"):
        opg.to_planck(price)


def test_exact_prices_with_trailing_zeros_are_fine():
    assert opg.to_planck("1.000000000000000000000") == opg.OPG
    assert opg.to_planck("0") == 0


def test_outputs_come_back_in_their_declared_dtype():
    chain_tensor = {"name": "y", "shape": [2], "values": {"Numbers": [
        {"value": 1, "decimals": 0}, {"value": 0, "decimals": 0}]}}
    assert tensors.from_chain(chain_tensor, "Bool").dtype == np.bool_
    assert tensors.from_chain(chain_tensor, "Int32").dtype == np.int32
    assert tensors.from_chain(chain_tensor, None).dtype == np.int64
    with pytest.raises(tensors.TensorError, match="2 values for shape"):
        tensors.from_chain({**chain_tensor, "shape": [3]}, "Int32")
