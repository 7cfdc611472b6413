"""What a request costs, as the SDK quotes it: the model's price, the mode's protocol fee and
`output_byte_fee` for each byte of the largest answer the model's declared outputs allow at the
request's batch, with `output_byte_deposit` a byte held beside it until the job is pruned. The
bound is the runtime's `largest_encoded` (primitives/src/inference/tensor.rs), counted here by
hand; the end-to-end tests check the quotes against what a real node holds."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from opg import chain, jobs
from opg.client import Client
from opg.errors import InvalidInput

MAX_OUTPUT_BYTES = 65536
# The dev and production parameters: 0.01 OPG for a vanilla (or TEE) job, 0.02 attested,
# 0.05 ZK; 0.000001 OPG a byte of fee and 0.0001 OPG a byte of deposit.
PARAMETERS = {"vanilla_fee": 10**16, "attested_fee": 2 * 10**16, "zk_fee": 5 * 10**16,
              "output_byte_fee": 10**12, "output_byte_deposit": 10**14}
PRICE = 10**17


def spec(name: str, dtype: str, shape: list) -> dict:
    return {"name": name, "dtype": dtype, "shape": shape}


# The iris classifier's schema: a batch of rows of four features in, a batch of three
# probabilities and a batch of labels out.
IRIS = {
    "inputs": [spec("X", "Float32", ["Dynamic", {"Fixed": 4}])],
    "outputs": [spec("probabilities", "Float32", ["Dynamic", {"Fixed": 3}]),
                spec("label", "Int64", ["Dynamic"])],
}


def iris_bound(batch: int) -> int:
    """The iris outputs' bound counted by hand: the tensor count's compact length (5), then per
    tensor its name (5 + its bytes), its shape (5 + 4 a dimension) and its values (the variant's
    byte, a compact count, 17 bytes a number)."""
    probabilities = (5 + len("probabilities")) + (5 + 4 * 2) + (1 + 5 + 17 * 3 * batch)
    label = (5 + len("label")) + (5 + 4 * 1) + (1 + 5 + 17 * batch)
    return 5 + probabilities + label


def test_the_hand_count_is_the_runtimes_formula():
    assert iris_bound(1) == 135
    assert iris_bound(7) == 543


@pytest.mark.parametrize("batch", [1, 7, 100])
def test_the_bound_of_dynamic_outputs_grows_with_the_batch(batch):
    assert jobs.largest_encoded(IRIS["outputs"], batch) == iris_bound(batch)


def test_the_batch_is_the_largest_dynamic_first_dimension_of_the_input():
    rows = jobs.build_input(IRIS, {"X": np.zeros((7, 4), np.float32)})
    assert jobs.batch_of(rows, IRIS["inputs"]) == 7
    # One item without its batch dimension is a batch of one.
    one = jobs.build_input(IRIS, {"X": [5.1, 3.5, 1.4, 0.2]})
    assert one[0]["shape"] == [1, 4] and jobs.batch_of(one, IRIS["inputs"]) == 1
    # Only inputs whose first dimension is dynamic count, the largest of them.
    mixed = [spec("a", "Int8", [{"Fixed": 9}]), spec("b", "Int8", ["Dynamic", {"Fixed": 2}]),
             spec("c", "Int8", ["Dynamic"])]
    items = [{"shape": [9]}, {"shape": [3, 2]}, {"shape": [5]}]
    assert jobs.batch_of(items, mixed) == 5
    assert jobs.batch_of([{"shape": [9]}], mixed[:1]) == 1
    assert jobs.batch_of([], []) == 1


def test_the_bound_of_a_request_follows_its_input():
    seven = jobs.build_input(IRIS, {"X": np.ones((7, 4), np.float32)})
    assert jobs.output_bound(IRIS, seven, MAX_OUTPUT_BYTES) == 543
    # Without an input: a request of batch 1.
    assert jobs.output_bound(IRIS, None, MAX_OUTPUT_BYTES) == 135
    # No answer is bounded above the chain's most.
    assert jobs.output_bound(IRIS, seven, 500) == 500


def test_fixed_outputs_ignore_the_batch():
    schema = {"inputs": IRIS["inputs"],
              "outputs": [spec("y", "Int32", [{"Fixed": 2}, {"Fixed": 3}])]}
    # 5 + (5 + 1) + (5 + 8) + (1 + 5 + 17 * 6)
    assert jobs.largest_encoded(schema["outputs"], 1) == 132
    assert jobs.largest_encoded(schema["outputs"], 1000) == 132
    many = jobs.build_input(schema, {"X": np.ones((50, 4), np.float32)})
    assert jobs.output_bound(schema, many, MAX_OUTPUT_BYTES) == 132


def test_a_string_output_is_bounded_by_the_chains_most():
    schema = {"inputs": IRIS["inputs"],
              "outputs": [spec("label", "Int64", ["Dynamic"]),
                          spec("text", "String", [{"Fixed": 1}])]}
    assert jobs.largest_encoded(schema["outputs"], 1) is None
    assert jobs.output_bound(schema, None, MAX_OUTPUT_BYTES) == MAX_OUTPUT_BYTES


def test_a_bound_beyond_the_runtimes_u64_is_no_bound():
    huge = [spec("t", "Float32", [{"Fixed": 2**20}] * 8)]
    assert jobs.largest_encoded(huge, 1) is None
    # 2**60 elements fit a u64, their 17 bytes each do not.
    assert jobs.largest_encoded([spec("t", "Int8", [{"Fixed": 2**30}, {"Fixed": 2**30}])], 1) is None
    assert jobs.output_bound({"inputs": [], "outputs": huge}, [], 65536) == 65536


def test_names_count_in_bytes():
    # "é" is two bytes in UTF-8; a name that is not UTF-8 comes as hex from substrate-interface.
    assert jobs.name_length("é") == 2
    assert jobs.name_length("0xff00") == 2
    assert jobs.name_length("0x41") == 4  # valid UTF-8 is decoded as text: this name is "0x41"
    assert jobs.name_length(b"\xff") == 1
    accented = [spec("é", "Bool", [{"Fixed": 1}])]
    assert jobs.largest_encoded(accented, 1) == 5 + (5 + 2) + (5 + 4) + (1 + 5 + 17)


@pytest.mark.parametrize("mode, mode_fee", [("vanilla", 10**16), ("tee", 10**16),
                                            ("attested", 2 * 10**16), ("zk", 5 * 10**16)])
def test_the_fee_pays_for_the_answers_bytes_and_the_deposit_for_its_state(mode, mode_fee):
    quote = jobs.fees(PARAMETERS, mode, PRICE, 543)
    assert quote.protocol_fee == mode_fee + 543 * 10**12
    assert quote.total == PRICE + mode_fee + 543 * 10**12
    assert quote.output_deposit == 543 * 10**14
    assert (quote.price, quote.output_bound) == (PRICE, 543)


def test_an_unknown_mode_is_refused():
    with pytest.raises(InvalidInput, match="unknown mode"):
        jobs.fees(PARAMETERS, "fast", PRICE, 1)


class FakeChain:
    """Answers the reads of a quote and a request: the model (price PRICE, the iris schema),
    the parameters in force and `Inference.MaxOutputBytes`."""

    def __init__(self, schema: dict = IRIS):
        self.schema = schema

    def query(self, module, storage, params=None, block_hash=None):
        answers = {
            ("ModelRegistry", "Models"): {"active_version": 1, "suspended": False,
                                          "status": "Active", "price": PRICE},
            ("ModelRegistry", "Versions"): {"schema": self.schema},
            ("Inference", "ActiveParameters"): PARAMETERS,
        }
        return SimpleNamespace(value=answers[(module, storage)])

    def get_constant(self, pallet, name):
        assert (pallet, name) == ("Inference", "MaxOutputBytes")
        return SimpleNamespace(value=MAX_OUTPUT_BYTES)


def test_the_client_quotes_for_the_actual_input():
    client = Client(FakeChain())
    assert client.quote(1, "attested") == PRICE + 2 * 10**16 + 135 * 10**12
    seven = {"X": np.ones((7, 4), np.float32)}
    assert client.quote(1, "attested", seven) == PRICE + 2 * 10**16 + 543 * 10**12
    quote = client.fee_quote(1, "vanilla", seven)
    assert (quote.total, quote.output_deposit, quote.output_bound) == (
        PRICE + 10**16 + 543 * 10**12, 543 * 10**14, 543)
    with pytest.raises(InvalidInput, match="unknown mode"):
        client.quote(1, "fast")


def test_a_request_bounds_its_fee_by_the_quote_for_its_input(monkeypatch):
    node = FakeChain()
    sent = []

    def submit(_substrate, _signer, pallet, call, arguments):
        sent.append(arguments)
        event = SimpleNamespace(value={"event": {"module_id": "Inference",
                                                 "event_id": "JobRequested",
                                                 "attributes": {"job": 4, "fee": 1}}})
        return chain.Included("0x9", 1, [event], "0x")

    monkeypatch.setattr(chain, "submit", submit)
    assert jobs.request(node, object(), 1, {"X": np.ones((7, 4), np.float32)}, "zk")[:2] == (4, 1)
    assert sent[-1]["max_fee"] == PRICE + 5 * 10**16 + 543 * 10**12
    # A max fee given is sent as it is.
    jobs.request(node, object(), 1, {"X": np.ones((7, 4), np.float32)}, "zk", max_fee=3)
    assert sent[-1]["max_fee"] == 3
