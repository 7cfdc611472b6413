"""Inference jobs end to end on a running dev node, with real clients: a real ONNX model is
uploaded, a dApp requests vanilla and attested inference with the SDK's `opg.jobs` (the library
behind scripts/infer.sh), the job waits queued in its request's block and gets its node drawn in
a later one, the node's offchain worker runs ONNX Runtime and answers, the dev
verifier committee re-executes the attested job, and the result on chain equals Python
onnxruntime's on the same input. The fee (the model's price, the mode's protocol fee and the
output byte fee of the largest answer the model's outputs allow at the request's batch) is what
the SDK quotes for that input, and moves to the model owner, the node, the verifiers and the
treasury as the parameters say; a job whose node cannot answer is refunded in full after its
deadline; the output deposit stays held after either until the job is pruned; total issuance
does not change.

The engine itself (`opg-node run-model`) is checked against Python onnxruntime bit for bit on
the demo models and random inputs."""

from __future__ import annotations

import json
import subprocess
from decimal import Decimal
from pathlib import Path

import numpy as np
import onnxruntime
import pytest
from substrateinterface import Keypair

from harness import NODE_BIN, python_ort, same_bits
from opg import chain, jobs, models, tensors
from opg_tools import testmodels

SCRIPTS = Path(__file__).resolve().parents[1]
OWNER = "//Ferdie"
PRICE = Decimal("0.5")


def upload(node, path: Path, name: str) -> int:
    run = subprocess.run(
        [str(SCRIPTS / "upload-model.sh"), str(path), "--url", node.url, "--json", "--quiet",
         "--suri", OWNER, "--name", name, "--price", str(PRICE)],
        capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    return int(json.loads(run.stdout.strip().splitlines()[-1])["model_id"])


@pytest.fixture(scope="module")
def demo(tmp_path_factory, node) -> dict:
    """The demo models, uploaded: name -> (model id, bytes)."""
    folder = tmp_path_factory.mktemp("demo")
    uploaded = {}
    for file_name, _, build in testmodels.DEMO_MODELS:
        data = build()
        (folder / file_name).write_bytes(data)
        uploaded[file_name] = (upload(node, folder / file_name, file_name[:-5]), data)
    return uploaded


@pytest.fixture(scope="module")
def dapp(node) -> Keypair:
    """A dApp account funded by Alice, which takes part in nothing else."""
    dapp = Keypair.create_from_uri("//opg-e2e-inference-dapp")
    substrate = node.substrate()
    chain.submit(substrate, chain.keypair("//Alice"), "Balances", "transfer_keep_alive",
                 {"dest": dapp.ss58_address, "value": 100 * chain.OPG})
    substrate.close()
    return dapp


def free(substrate, who: str, at: str | None = None) -> int:
    return int(substrate.query("System", "Account", [who], block_hash=at).value["data"]["free"])


def issuance(substrate, at: str | None = None) -> int:
    return int(substrate.query("Balances", "TotalIssuance", block_hash=at).value)


def holds(substrate, who: str, at: str) -> list:
    return substrate.query("Balances", "Holds", [who], block_hash=at).value


def deposits_held(substrate, who: str, at: str) -> list:
    """The holds of a requester whose jobs all ended (and who holds nothing else): no fee, only
    the output deposits of its jobs not yet pruned, in one hold."""
    deposits = jobs.output_deposits(substrate, who, at)
    return [{"id": {"Inference": "OutputDeposit"}, "amount": deposits}] if deposits else []


def released(earlier: dict, later: dict) -> int:
    """The output deposits handed back between two reads of a requester's jobs (`jobs_of`):
    those of the jobs pruned in between (an earlier test's, whose retention ran out)."""
    return sum(int(record["fee"]["output_deposit"]) for job, record in earlier.items()
               if job not in later)


def check_fee(substrate, record: dict, fee: int, mode: str, model_id: int, data: dict) -> int:
    """Checks that the job held what the SDK quotes for its input: the model's price, the
    mode's protocol fee and the output byte fee for each byte of the largest answer the model's
    outputs allow at the request's batch, with the output byte deposit for each held beside
    it; returns that deposit."""
    parameters = substrate.query("Inference", "ActiveParameters").value
    _, schema, price = jobs.runnable_version(substrate, model_id)
    assert price == int(PRICE * chain.OPG)
    items = jobs.build_input(schema, data)
    bound = jobs.output_bound(schema, items, jobs.max_output_bytes(substrate))
    mode_fee = int(parameters[jobs.FEE_PARAMETER[mode]])
    assert record["output_bound"] == bound
    assert fee == jobs.quote(substrate, mode, price, schema, items)
    assert fee == price + mode_fee + int(parameters["output_byte_fee"]) * bound
    deposit = int(parameters["output_byte_deposit"]) * bound
    assert record["fee"] == {"price": price, "protocol_fee": fee - price, "total": fee,
                             "output_deposit": deposit}
    return deposit


def job_events(substrate, record: dict) -> dict:
    """The inference events of the block in which the job ended, by name."""
    _, fields = jobs.variant(record["status"])
    block_hash = substrate.get_block_hash(int(fields["at"]))
    found = {}
    for event in substrate.get_events(block_hash):
        pallet, name, attributes = chain.event_attributes(event)
        if pallet == "Inference":
            found[name] = attributes
    return found


def request_and_wait(substrate, dapp, model_id: int, feeds: dict, mode: str):
    """Requests `mode` inference on `feeds`, holding the fee the SDK quotes for that input, and
    waits for the job to end: (job, fee held, inclusion, its record once ended)."""
    data = {k: v.tolist() for k, v in feeds.items()}
    job, fee, included = jobs.request(substrate, dapp, model_id, data, mode)
    record = jobs.wait(substrate, job, timeout=240)
    return job, fee, included, record


def test_the_engine_equals_python_onnxruntime_bit_for_bit(tmp_path):
    rng = np.random.default_rng(2026)
    for file_name, _, build in testmodels.DEMO_MODELS:
        data = build()
        path = tmp_path / file_name
        path.write_bytes(data)
        schema = models.schema_from_onnx(data)
        spec = schema["inputs"][0]
        width = spec["shape"][1]["Fixed"]
        for batch in (1, 3, 16):
            x = (rng.standard_normal((batch, width)) * 4).astype(np.float32)
            request = [tensors.to_chain(spec, x)]
            (tmp_path / "in.json").write_text(json.dumps(request))
            run = subprocess.run([NODE_BIN, "run-model", str(path), "--input", str(tmp_path / "in.json")],
                                 capture_output=True, text=True, timeout=60)
            assert run.returncode == 0, run.stderr
            ours = {t["name"]: tensors.from_chain(t) for t in json.loads(run.stdout)}
            theirs = python_ort(data, {spec["name"]: x})
            assert list(ours) == list(theirs)
            for name, expected in theirs.items():
                assert same_bits(ours[name], expected), (file_name, batch, name)


def test_a_vanilla_request_is_answered_by_the_engine_and_pays_as_designed(node, demo, dapp):
    model_id, data = demo["mlp-16-32-4.onnx"]
    substrate = node.substrate()
    parameters = substrate.query("Inference", "ActiveParameters").value
    owner = Keypair.create_from_uri(OWNER).ss58_address
    # Balances before and after, each read at one block (a job of an earlier test pruned in
    # between hands its output deposit back: `released`).
    at = substrate.get_chain_head()
    before = {"owner": free(substrate, owner, at), "dapp": free(substrate, dapp.ss58_address, at),
              "issuance": issuance(substrate, at),
              "jobs": jobs.jobs_of(substrate, dapp.ss58_address, at)}
    x = np.random.default_rng(7).standard_normal((1, 16)).astype(np.float32)
    job, fee, included, record = request_and_wait(substrate, dapp, model_id, {"input": x}, "vanilla")

    assert jobs.variant(record["status"])[0] == "Final", jobs.describe(record)
    # The request's block emitted only JobRequested and left the job queued; its node was drawn
    # at the start of a later block (the next, while a node is free), before its last try.
    requested_at = substrate.get_block_number(included.block_hash)
    state, fields = jobs.variant(jobs.job(substrate, job, included.block_hash)["status"])
    assert state == "Queued" and int(fields["until"]) > requested_at, (state, fields)
    history = jobs.history(substrate, job, requested_at, int(jobs.variant(record["status"])[1]["at"]))
    assert [e.name for e in history if e.block_number == requested_at] == ["JobRequested"]
    assigned = next(e for e in history if e.name == "JobAssigned")
    assert requested_at < assigned.block_number <= int(fields["until"]), history
    expected = python_ort(data, {"input": x})["logits"]
    _, schema, _ = jobs.runnable_version(substrate, model_id)
    ours = jobs.output_arrays(substrate, job, schema)["logits"]
    assert same_bits(ours, expected)

    # The fee: the model's price plus the vanilla protocol fee and the output byte fee (the
    # SDK's quote for this input), split by the shares; with no verifiers, their share goes to
    # the treasury.
    deposit = check_fee(substrate, record, fee, "vanilla", model_id, {"input": x.tolist()})
    events = job_events(substrate, record)
    final = events["JobFinal"]
    shares = parameters["shares"]
    assert int(final["owner_paid"]) == fee * int(shares["owner"]) // 10**9
    assert int(final["node_paid"]) == fee * int(shares["node"]) // 10**9
    assert int(final["verifiers_paid"]) == 0
    assert int(final["owner_paid"]) + int(final["node_paid"]) + int(final["treasury_paid"]) == fee
    # The fee is paid out: of the dApp's holds only the output deposits of its jobs not yet
    # pruned stay (this one's among them), and its free balance paid the fee, the transaction
    # fee and this job's deposit.
    at = substrate.get_chain_head()
    after = jobs.jobs_of(substrate, dapp.ss58_address, at)
    assert job in after, "the job is not pruned yet"
    assert free(substrate, owner, at) - before["owner"] == int(final["owner_paid"])
    assert before["dapp"] - free(substrate, dapp.ss58_address, at) == (
        fee + included.fee + deposit - released(before["jobs"], after))
    assert holds(substrate, dapp.ss58_address, at) == deposits_held(substrate, dapp.ss58_address, at)
    assert jobs.output_deposits(substrate, dapp.ss58_address, at) == sum(
        int(record["fee"]["output_deposit"]) for record in after.values())
    assert issuance(substrate, at) == before["issuance"]
    substrate.close()


def test_an_attested_request_is_final_once_the_committee_agrees(node, demo, dapp):
    model_id, data = demo["iris-logistic.onnx"]
    substrate = node.substrate()
    before = issuance(substrate)
    x = np.array([[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]], dtype=np.float32)
    job, fee, _, record = request_and_wait(substrate, dapp, model_id, {"X": x}, "attested")

    assert jobs.variant(record["status"])[0] == "Final", jobs.describe(record)
    # A batch of two pays for an answer of two rows: more than one row's.
    check_fee(substrate, record, fee, "attested", model_id, {"X": x.tolist()})
    _, schema, _ = jobs.runnable_version(substrate, model_id)
    assert jobs.batch_of(jobs.build_input(schema, {"X": x.tolist()}), schema["inputs"]) == 2
    assert record["output_bound"] > jobs.output_bound(schema, None, jobs.max_output_bytes(substrate))
    expected = python_ort(data, {"X": x})
    ours = jobs.output_arrays(substrate, job, schema)
    assert list(ours) == ["label", "probabilities"]
    assert same_bits(ours["label"], expected["label"])
    assert same_bits(ours["probabilities"], expected["probabilities"])

    events = job_events(substrate, record)
    # A quorum of the dev committee (2 of 3) upheld the result and only they were paid. (All
    # three agree in most runs; in about one round in eight here one member's commitment never
    # reaches a block, which the closing note of issue 16 records for investigation.)
    verifiers = events["ResultVerified"]["verifiers"]
    assert 2 <= len(verifiers) <= 3, verifiers
    final = events["JobFinal"]
    paid = int(final["verifiers_paid"])
    assert paid > 0 and paid % len(verifiers) == 0
    assert sum(int(final[k]) for k in ("owner_paid", "node_paid", "verifiers_paid", "treasury_paid")) == fee
    assert issuance(substrate) == before
    substrate.close()


def test_a_job_whose_node_cannot_answer_is_refunded_after_its_deadline(node, dapp, tmp_path):
    # A model whose bytes this node holds corrupted: its engine refuses to run them (they do
    # not match the content id), so the job's node never answers.
    data = testmodels.mlp(inputs=16, hidden=8, outputs=2, seed=11)
    path = tmp_path / "broken.onnx"
    path.write_bytes(data)
    model_id = upload(node, path, "never-answered")
    substrate = node.substrate()
    content = bytes.fromhex(chain.registry(substrate, "Versions", [model_id, 1])["content_id"][2:])
    key = "0x" + models.chunk_storage_key(content, 0).hex()
    substrate.rpc_request("offchain_localStorageSet", ["PERSISTENT", key, "0x00"])

    at = substrate.get_chain_head()
    before = {"dapp": free(substrate, dapp.ss58_address, at), "issuance": issuance(substrate, at),
              "jobs": jobs.jobs_of(substrate, dapp.ss58_address, at)}
    x = np.zeros((1, 16), dtype=np.float32)
    job, fee, included, record = request_and_wait(substrate, dapp, model_id, {"input": x}, "vanilla")
    state, fields = jobs.variant(record["status"])
    assert state == "Refunded" and jobs.variant(fields["reason"])[0] == "TimedOut", jobs.describe(record)
    deposit = check_fee(substrate, record, fee, "vanilla", model_id, {"input": x.tolist()})
    # The fee came back; the output deposit stays held until the job is pruned.
    at = substrate.get_chain_head()
    after = jobs.jobs_of(substrate, dapp.ss58_address, at)
    assert job in after, "the job is not pruned yet"
    assert before["dapp"] - free(substrate, dapp.ss58_address, at) == (
        included.fee + deposit - released(before["jobs"], after))
    assert holds(substrate, dapp.ss58_address, at) == deposits_held(substrate, dapp.ss58_address, at)
    refunded = job_events(substrate, record)["JobRefunded"]
    assert int(refunded["amount"]) == fee
    assert issuance(substrate, at) == before["issuance"]
    substrate.close()
