"""ZK mode end to end, with real clients and a running dev node.

- Every operator of the subset: the circuit's output (`opg-node zk-prove`, which also runs the
  node's ONNX Runtime and refuses when the two differ) equals Python onnxruntime's on random
  inputs, overflowing ones included.
- A model outside the subset is refused before anyone pays, naming the operator and the modes
  to use instead.
- A ZK job: scikit-learn's MLP on the digits data, quantized by `scripts/zk-prepare.sh`, set up
  with `opg-node zk-setup`, uploaded with its verifying key, requested in ZK mode by a dApp
  with the SDK's `opg.jobs`; the node proves it, the runtime verifies the Groth16 proof through
  the BN254 host functions, and the job is final and its fee settled in the block that
  includes the proof. The output equals Python onnxruntime's on the same input.
"""

from __future__ import annotations

import json
import subprocess
from decimal import Decimal
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import TensorProto, helper, numpy_helper
from substrateinterface import Keypair

from harness import NODE_BIN
from opg import Client, chain, jobs
from opg_tools import zk

SCRIPTS = Path(__file__).resolve().parents[1]
OWNER = "//Ferdie"
PRICE = Decimal("0.25")


def one_node_model(op: str, inputs: list, constants: dict, out_type: int, out_shape: list,
                   in_type: int = TensorProto.INT32, in_shape=(1, 6), **attributes) -> bytes:
    initializers = [numpy_helper.from_array(value, name) for name, value in constants.items()]
    node = helper.make_node(op, ["x", *constants], ["y"], **attributes)
    graph = helper.make_graph([node], "op", [helper.make_tensor_value_info("x", in_type, list(in_shape))],
                              [helper.make_tensor_value_info("y", out_type, out_shape)], initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model.SerializeToString()


def operator_models(rng) -> list[tuple[str, bytes, np.dtype]]:
    """(name, model, input dtype) for every operator of the subset."""
    i32 = lambda v: np.array(v, dtype=np.int32)  # noqa: E731
    weights = rng.integers(-2**31, 2**31, size=(6, 3), dtype=np.int64).astype(np.int32)
    return [
        ("Add", one_node_model("Add", [], {"c": i32(rng.integers(-2**31, 2**31))}, TensorProto.INT32, [1, 6]), np.int32),
        ("Sub", one_node_model("Sub", [], {"c": i32([5, -7, 2**30, 0, 1, -1])}, TensorProto.INT32, [1, 6]), np.int32),
        ("Mul", one_node_model("Mul", [], {"c": i32(-77_777)}, TensorProto.INT32, [1, 6]), np.int32),
        ("Div", one_node_model("Div", [], {"c": i32(1 << 7)}, TensorProto.INT32, [1, 6]), np.int32),
        ("Relu", one_node_model("Relu", [], {}, TensorProto.INT32, [1, 6]), np.int32),
        ("Clip", one_node_model("Clip", [], {"lo": i32(-1000), "hi": i32(70_000)}, TensorProto.INT32, [1, 6]), np.int32),
        ("Cast", one_node_model("Cast", [], {}, TensorProto.INT8, [1, 6], to=TensorProto.INT8), np.int32),
        ("MatMul", one_node_model("MatMul", [], {"w": weights}, TensorProto.INT32, [1, 3]), np.int32),
        ("MatMulInteger", one_node_model("MatMulInteger", [], {"w": rng.integers(-128, 128, size=(6, 4)).astype(np.int8)},
                                         TensorProto.INT32, [1, 4], in_type=TensorProto.INT8), np.int8),
        ("Reshape", one_node_model("Reshape", [], {"s": np.array([3, 2], dtype=np.int64)}, TensorProto.INT32, [3, 2]), np.int32),
        ("Flatten", one_node_model("Flatten", [], {}, TensorProto.INT32, [1, 6], axis=1), np.int32),
    ]


def circuit_output(model_path: Path, values: np.ndarray, tmp_path: Path) -> list:
    feed = [{"name": "x", "shape": list(values.shape),
             "values": {"Numbers": [{"value": int(v), "decimals": 0} for v in values.flatten()]}}]
    (tmp_path / "in.json").write_text(json.dumps(feed))
    run = subprocess.run([NODE_BIN, "zk-prove", str(model_path), "--input", str(tmp_path / "in.json")],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])["output"][0]


def test_every_operator_matches_onnxruntime_on_random_inputs(tmp_path):
    rng = np.random.default_rng(17)
    for name, data, dtype in operator_models(rng):
        path = tmp_path / f"{name}.onnx"
        path.write_bytes(data)
        session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
        info = np.iinfo(dtype)
        for trial in range(4):
            # Small values, and values across the whole type (overflow, wrap, saturation).
            low, high = (-300, 300) if trial % 2 == 0 else (info.min, info.max)
            x = rng.integers(low, high, size=(1, 6), endpoint=True).astype(dtype)
            expected = session.run(None, {"x": x})[0]
            assert circuit_output(path, x, tmp_path) == expected.flatten().tolist(), (name, x)


def test_a_model_outside_the_subset_is_refused_before_anyone_pays(tmp_path):
    path = tmp_path / "softmax.onnx"
    path.write_bytes(one_node_model("Softmax", [], {}, TensorProto.FLOAT, [1, 6], in_type=TensorProto.FLOAT))
    run = subprocess.run([NODE_BIN, "zk-report", str(path)], capture_output=True, text=True, timeout=60)
    assert run.returncode != 0
    assert "float" in run.stderr.lower() or "integer" in run.stderr.lower(), run.stderr
    path = tmp_path / "topk.onnx"
    data = one_node_model("Neg", [], {}, TensorProto.INT32, [1, 6])
    path.write_bytes(data)
    run = subprocess.run([NODE_BIN, "zk-report", str(path)], capture_output=True, text=True, timeout=60)
    assert run.returncode != 0 and "Neg" in run.stderr and "ATTESTED" in run.stderr, run.stderr


@pytest.fixture(scope="module")
def digits(tmp_path_factory, node) -> dict:
    """The digits demo, quantized, set up into the dev node's key folder, and uploaded."""
    folder = tmp_path_factory.mktemp("zk")
    data, samples, _ = zk.digits_mlp()
    mlp = zk.read_mlp(data)
    quantized = zk.quantize(mlp, samples)
    report = zk.drift(mlp, quantized, samples)
    assert report["top1_agreement"] > 0.95, report
    model = folder / "digits-mlp-zk.onnx"
    model.write_bytes(quantized.model)
    keys = Path(node.base_path) / "zk-keys"
    setup = zk.setup(str(model), str(keys), "ab" * 32)
    assert Path(setup["proving_key_file"]).exists()
    run = subprocess.run(
        [str(SCRIPTS / "upload-model.sh"), str(model), "--url", node.url, "--json", "--quiet",
         "--suri", OWNER, "--name", "digits-mlp-zk", "--price", str(PRICE), "--modes", "zk",
         "--zk", str(keys), "--sudo-approve", "//Alice"],
        capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    # A ZK version waits for governance whatever the chain's approval flag (the dev chain's is
    # off); the sudo key approved it, as a curation referendum would.
    assert result["approved"] is True
    model_id = int(result["model_id"])
    return {"id": model_id, "quantized": quantized, "samples": samples, "setup": setup}


def test_a_zk_job_is_final_and_settled_in_the_block_that_verifies_its_proof(node, digits):
    substrate = node.substrate()
    dapp = Keypair.create_from_uri("//opg-e2e-zk-dapp")
    chain.submit(substrate, chain.keypair("//Alice"), "Balances", "transfer_keep_alive",
                 {"dest": dapp.ss58_address, "value": 10 * chain.OPG})
    quantized = digits["quantized"]
    x = quantized.quantize_input(digits["samples"][:1])
    owner = chain.keypair(OWNER).ss58_address
    owner_before = int(substrate.query("System", "Account", [owner]).value["data"]["free"])
    free_before = int(substrate.query("System", "Account", [dapp.ss58_address]).value["data"]["free"])

    job, fee, included = jobs.request(substrate, dapp, digits["id"], {"X": x.tolist()}, "zk")
    # The fee is the SDK's quote for this input: the price, the ZK protocol fee and the output
    # byte fee for the largest answer; the output deposit is held beside it.
    parameters = substrate.query("Inference", "ActiveParameters").value
    _, schema, price = jobs.runnable_version(substrate, digits["id"])
    assert price == int(Decimal(PRICE) * chain.OPG)
    items = jobs.build_input(schema, {"X": x.tolist()})
    bound = jobs.output_bound(schema, items, jobs.max_output_bytes(substrate))
    assert fee == jobs.quote(substrate, "zk", price, schema, items)
    assert fee == price + int(parameters["zk_fee"]) + int(parameters["output_byte_fee"]) * bound
    deposit = int(parameters["output_byte_deposit"]) * bound
    record = jobs.wait(substrate, job, timeout=120)
    name, fields = jobs.variant(record["status"])
    assert name == "Final", record
    assert record["output_bound"] == bound
    assert record["fee"] == {"price": price, "protocol_fee": fee - price, "total": fee,
                             "output_deposit": deposit}

    # The block that made it final holds the proof's verification and the settlement, and no
    # verifier round was opened: ZK jobs are final where their proof lands.
    block_hash = substrate.get_block_hash(int(fields["at"]))
    events = {}
    for event in substrate.get_events(block_hash):
        pallet, event_name, attributes = chain.event_attributes(event)
        events.setdefault((pallet, event_name), attributes)
    assert ("Inference", "ResultSubmitted") in events
    assert ("Inference", "ProofVerified") in events
    final = events[("Inference", "JobFinal")]
    assert int(final["job"]) == job
    assert ("Attestations", "RoundOpened") not in events
    paid = sum(int(final[k]) for k in ("owner_paid", "node_paid", "verifiers_paid", "treasury_paid"))
    assert paid == fee and int(final["verifiers_paid"]) == 0

    # The fee left the dApp (held, then paid out) and reached the owner; the output deposit
    # left its free balance too, and is all it holds until the job is pruned.
    at = substrate.get_chain_head()
    assert jobs.job(substrate, job, at) is not None, "the job is not pruned yet"
    account = substrate.query("System", "Account", [dapp.ss58_address], block_hash=at).value["data"]
    assert int(account["reserved"]) == deposit
    assert substrate.query("Balances", "Holds", [dapp.ss58_address], block_hash=at).value == [
        {"id": {"Inference": "OutputDeposit"}, "amount": deposit}]
    assert free_before - int(account["free"]) == fee + chain.paid_fee(included.events) + deposit
    owner_after = int(substrate.query("System", "Account", [owner], block_hash=at).value["data"]["free"])
    assert owner_after - owner_before == int(final["owner_paid"])

    # The key's provenance, as the SDK reads it: the dev chain's one-party key, named insecure.
    assert Client(substrate).zk_key_origin(digits["id"]) == "InsecureTestSetup"

    # The verified output is the integer model's output, as Python onnxruntime computes it.
    session = onnxruntime.InferenceSession(quantized.model, providers=["CPUExecutionProvider"])
    expected = session.run(None, {"X": x})[0]
    arrays = jobs.output_arrays(substrate, job, jobs.runnable_version(substrate, digits["id"])[1])
    assert np.array_equal(arrays["logits"].astype(np.int64), expected.astype(np.int64))
    substrate.close()
