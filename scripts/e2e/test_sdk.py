"""The Python SDK (`opg`, clients/python) against a running dev node: a dApp publishes a real
ONNX model with `Client.upload_model`, quotes (for the request's input: the answer's bytes are
paid for), requests inference in vanilla and attested mode and gets numpy arrays equal to Python
onnxruntime's bit for bit, with the fee, its split, the output deposit held until the job is
pruned and what verified it; reads its jobs and their histories; a failed call raises the
pallet's typed exception with the runtime's documentation of the error; an operator registers
and bonds a node; a token holder votes. The examples of docs/clients/python.md run here too."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from harness import python_ort, same_bits

import opg
from opg import chain, governance, jobs, nodes
from opg_tools import testmodels

ROOT = Path(__file__).resolve().parents[2]
DAPP = "//opg-e2e-sdk-dapp"
PRICE = opg.to_planck("0.02")


@pytest.fixture(scope="module")
def client(node):
    """A client signing as a dApp account that Alice funded and that takes part in nothing
    else."""
    alice = opg.connect(node.url, signer="//Alice")
    dapp = chain.keypair(DAPP)
    chain.submit(alice.substrate, alice.signer, "Balances", "transfer_keep_alive",
                 {"dest": dapp.ss58_address, "value": 10_000 * opg.OPG})
    alice.close()
    with opg.connect(node.url, signer=dapp) as dapp_client:
        yield dapp_client


def infer_once_more_if_refunded(client, *args, **kwargs):
    """`client.infer`, sent again once if the job was refunded because an answer or a verifier
    round never reached a block (a known flake of the node's offchain transactions under load,
    see issue 20's note); a second refund fails the test."""
    try:
        return client.infer(*args, **kwargs)
    except opg.JobRefunded as refund:
        if refund.reason not in ("TimedOut", "Undecided"):
            raise
        print(f"retrying once: {refund}")
        return client.infer(*args, **kwargs)


@pytest.fixture(scope="module")
def published(client, tmp_path_factory):
    """A model only this module publishes: (model id, its bytes)."""
    data = testmodels.mlp(inputs=8, hidden=16, outputs=3, seed=2026)
    path = tmp_path_factory.mktemp("sdk") / "sdk-mlp.onnx"
    path.write_bytes(data)
    uploaded = client.upload_model(path, name="sdk-mlp", description="SDK end-to-end test",
                                   price=PRICE)
    assert (uploaded.version, uploaded.already_uploaded) == (1, False)
    assert uploaded.content_id == "0x" + opg.models.content_id(data, 64 * 1024).hex()
    # The same bytes again: found on chain, nothing sent.
    again = client.upload_model(data, name="sdk-mlp", price=PRICE, quiet=True)
    assert (again.model_id, again.already_uploaded) == (uploaded.model_id, True)
    return uploaded.model_id, data


@pytest.fixture(scope="module")
def vanilla_job(node, client, published):
    """A vanilla request another dApp sends before the attested test starts, so its challenge
    window runs out while that test runs: (its client, the request, its input)."""
    other = chain.keypair(DAPP + "-2")
    chain.submit(client.substrate, client.signer, "Balances", "transfer_keep_alive",
                 {"dest": other.ss58_address, "value": 100 * opg.OPG})
    x = np.linspace(-1, 1, 8, dtype=np.float32).reshape(1, 8)
    with opg.connect(node.url, signer=other) as second:
        yield second, second.request(published[0], "vanilla", {"input": x.tolist()}), x


def test_a_dapp_gets_an_attested_result_as_numpy_equal_to_onnxruntime(client, published,
                                                                       vanilla_job,
                                                                       docs_examples):
    model, data = published
    x = np.random.default_rng(1).normal(size=(1, 8)).astype(np.float32)
    parameters = client.substrate.query("Inference", "ActiveParameters").value
    # The quote for this input: the price, the attested fee and the output byte fee for each
    # byte of the largest answer the model's outputs allow at its batch (one item: the quote
    # without an input is the same); the output deposit is held beside it.
    schema = client.schema(model)
    items = jobs.build_input(schema, {"input": x})
    bound = jobs.output_bound(schema, items, jobs.max_output_bytes(client.substrate))
    fee = client.quote(model, "attested", {"input": x})
    assert fee == PRICE + int(parameters["attested_fee"]) + int(parameters["output_byte_fee"]) * bound
    assert client.quote(model, "attested") == fee
    quote = client.fee_quote(model, "attested", {"input": x})
    assert quote == jobs.FeeQuote(price=PRICE, protocol_fee=fee - PRICE, total=fee,
                                  output_deposit=int(parameters["output_byte_deposit"]) * bound,
                                  output_bound=bound)
    at = client.substrate.get_chain_head()
    before = int(client.substrate.query("System", "Account", [client.address()], block_hash=at)
                 .value["data"]["free"])
    deposits_before = jobs.output_deposits(client.substrate, client.address(), at)
    seen = []
    result = infer_once_more_if_refunded(client, model, "attested", {"input": x},
                                         on_event=lambda e: seen.append(e.name))

    expected = python_ort(data, {"input": x})
    assert set(result.outputs) == set(expected)
    for name, array in expected.items():
        assert result.outputs[name].dtype == np.float32
        assert same_bits(result.outputs[name], array), (name, result.outputs[name], array)
    assert (result.mode, result.model, result.version) == ("attested", model, 1)
    assert result.fee == fee and sum(result.payouts.values()) == fee
    assert result.payouts["owner_paid"] >= PRICE
    assert result.verification.kind == "attested"
    assert len(result.verification.verifiers) >= 1
    assert result.verification.node not in result.verification.verifiers
    names = [event.name for event in result.history]
    assert names[:2] == ["JobRequested", "JobAssigned"] and names[-1] == "JobFinal"
    # The request's block names no node: there the job is queued, and its node is drawn at the
    # start of a later block (the next one, while a node is free).
    requested, assigned = result.history[:2]
    assert requested.block_number == result.requested_at
    assert assigned.block_number > requested.block_number, (requested, assigned)
    at_request = jobs.job(client.substrate, result.job, requested.block_hash)
    state, fields = jobs.variant(at_request["status"])
    assert state == "Queued" and int(fields["until"]) > result.requested_at, at_request["status"]
    assert jobs.stage_of(result.history[:1]) == "queued"
    assert {"ResultSubmitted", "ResultVerified"} <= set(names)
    assert seen[-len(names):] == names  # on_event saw each as it landed
    # The fee, the request's transaction fee and the output deposit left the dApp's balance,
    # and the owner's share came back (the dApp published the model; so it also earns from the
    # other dApp's vanilla job if that ended meanwhile: read at one block, both); of what the
    # job held only its output deposit stays held, until the job is pruned (a request sent
    # again after a refund holds one more, and a job pruned meanwhile hands its own back: the
    # deposits held at each block count them).
    at = client.substrate.get_chain_head()
    number = client.substrate.get_block_number(at)
    free = int(client.substrate.query("System", "Account", [client.address()], block_hash=at)
               .value["data"]["free"])
    _, vanilla = vanilla_job[:2]
    assert vanilla.queued_until is not None and vanilla.queued_until > vanilla.block_number
    earned = sum(int(e.fields["owner_paid"]) for e in
                 client.job_history(vanilla.job, vanilla.block_number, number) if e.name == "JobFinal")
    spent = before - free + earned
    deposits = jobs.output_deposits(client.substrate, client.address(), at)
    net = fee - result.payouts["owner_paid"] + deposits - deposits_before
    assert net < spent < net + opg.to_planck("0.1")
    record = jobs.job(client.substrate, result.job, at)
    assert record["output_bound"] == bound
    assert record["fee"] == {"price": PRICE, "protocol_fee": fee - PRICE, "total": fee,
                             "output_deposit": quote.output_deposit}
    # The dApp's jobs not yet pruned are this test's (two when a refunded one was sent
    # again), each holding the deposit quoted for this input.
    mine = jobs.jobs_of(client.substrate, client.address(), at)
    assert result.job in mine and len(mine) in (1, 2), mine
    assert deposits == quote.output_deposit * len(mine)
    holds = client.substrate.query("Balances", "Holds", [client.address()], block_hash=at).value
    # (the model deposit stays too)
    assert [hold for hold in holds if "Inference" in hold["id"]] == [
        {"id": {"Inference": "OutputDeposit"}, "amount": deposits}]

    # Its history reads the same later, and the job's record says final.
    assert [e.name for e in client.job_history(result.job, result.requested_at,
                                               result.final_at)] == names
    assert jobs.variant(client.job(result.job)["status"])[0] == "Final"
    assert client.job_status(result.job).startswith("final at block")
    assert result.job in client.jobs()


def test_vanilla_results_come_back_accepted_against_the_bond(published, vanilla_job):
    model, data = published
    second, requested, x = vanilla_job
    try:
        result = second.wait(requested)
    except opg.JobRefunded as refund:  # see infer_once_more_if_refunded
        if refund.reason not in ("TimedOut", "Undecided"):
            raise
        result = second.infer(model, "vanilla", {"input": x.tolist()})
    expected = python_ort(data, {"input": x})
    for name, array in expected.items():
        assert same_bits(result.outputs[name], array)
    assert result.verification.kind == "vanilla" and result.verification.verifiers == []
    assert result.payouts["verifiers_paid"] == 0


def test_failures_are_typed_and_carry_the_pallets_documentation(client, published):
    model, _ = published
    x = np.zeros((1, 8), np.float32)
    with pytest.raises(opg.InferenceError) as failure:
        client.infer(model, "attested", {"input": x}, max_fee=1)
    error = failure.value
    assert (error.pallet, error.error, error.name) == ("Inference", "FeeAboveMax",
                                                       "Inference.FeeAboveMax")
    assert error.docs == "The fee is higher than the `max_fee` the request allows."
    assert isinstance(error, opg.DispatchFailed) and error.fee > 0  # the transaction fee
    # Refused before anything is sent: wrong shape, unknown input, unknown mode.
    for inputs, mode, phrase in (({"input": np.zeros((1, 7))}, "vanilla", "shape"),
                                 ({"x": x}, "vanilla", "missing"),
                                 ({"input": x}, "fast", "unknown mode")):
        with pytest.raises(opg.InvalidInput, match=phrase):
            client.infer(model, mode, inputs)
    # Errors the chain finds: a model that does not exist, a price set by another account.
    with pytest.raises(opg.InferenceError) as failure:
        chain.submit(client.substrate, client.signer, "Inference", "request", {
            "model": 10_000, "version": 1, "input": chain.bounded([]), "mode": "Vanilla",
            "max_fee": 10**18})
    assert failure.value.error == "ModelNotRunnable"
    with pytest.raises(opg.ModelRegistryError) as failure:
        chain.submit(client.substrate, chain.keypair("//Bob"), "ModelRegistry", "set_price",
                     {"model_id": model, "price": 1})
    assert failure.value.error == "NotOwner"
    assert "owner" in failure.value.docs.lower()


def test_an_operator_registers_and_bonds_a_node(client, node):
    operator = chain.keypair("//opg-e2e-sdk-operator")
    chain.submit(client.substrate, client.signer, "Balances", "transfer_keep_alive",
                 {"dest": operator.ss58_address, "value": 5_000 * opg.OPG})
    with opg.connect(node.url, signer=operator) as own:
        bond = nodes.required_bond(own.substrate, ["verifier"])
        own.register_node("//opg-e2e-sdk-operator//role", ["verifier"], bond)
        record = own.node()
        assert int(record["bonded"]) == bond and record["roles"] == nodes.ROLE_BITS["verifier"]
        own.bond(opg.OPG)
        assert int(own.node()["bonded"]) == bond + opg.OPG
        own.unbond(opg.OPG)
        record = own.node()
        assert int(record["bonded"]) == bond
        assert [int(chunk["amount"]) for chunk in record["unlocking"]] == [opg.OPG]
        with pytest.raises(opg.NodesError) as failure:
            own.register_node("//opg-e2e-sdk-operator//role", ["verifier"], bond)
        assert failure.value.error == "AlreadyRegistered"
        with pytest.raises(opg.InvalidInput, match="roles"):
            own.register_node("//x", ["miner"], bond)
        # A verifier no node runs would sit in committees: it leaves.
        own.leave()
        assert own.node()["status"] == "Leaving"


def test_a_token_holder_votes_on_a_referendum(client):
    index = governance.propose(client.substrate, client.signer, governance.ROOT, "System",
                               "remark", {"remark": "0x" + b"sdk vote".hex()})
    client.vote(index, aye=True, balance=100 * opg.OPG, conviction="Locked1x")
    tally = client.referendum(index)["Ongoing"]["tally"]
    assert int(tally["ayes"]) >= 100 * opg.OPG
    with pytest.raises(opg.InvalidInput, match="conviction"):
        client.vote(index, aye=False, balance=1, conviction="Locked9x")


def test_the_package_installs_with_pip(tmp_path):
    """`pip install clients/python` builds a wheel (flit) holding the typed package."""
    target = tmp_path / "site"
    run = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
         "--no-build-isolation", "--target", str(target), str(ROOT / "clients" / "python")],
        capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert (target / "opg" / "py.typed").exists()
    check = subprocess.run(
        [sys.executable, "-c",
         "import opg, importlib.metadata as m; print(opg.__file__); "
         "print(m.version('opg-sdk')); print(m.requires('opg-sdk'))"],
        cwd=tmp_path, env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stderr
    where, version, requires = check.stdout.splitlines()
    assert where.startswith(str(target)) and version == opg.__version__
    assert "substrate-interface" in requires and "numpy" in requires


def doc_blocks(path: Path) -> list[tuple[str, str]]:
    """The fenced code blocks of a Markdown file: (language, code)."""
    return re.findall(r"```(\w+)\n(.*?)```", path.read_text(), re.S)


DOC_PAGES = ["clients/python.md", "vanilla.md", "attested.md"]


@pytest.fixture(scope="module")
def docs_examples(node, client, tmp_path_factory):
    """Every `python` block of each page, in order, as one program per page, started against
    this node (its URL put for the dev chain's) while the tests above run: the pages sign as
    //Alice, //Dave and //Eve, whom those tests do not use once `client` is funded. The demo
    models the pages upload are made first, as the pages say. Yields page -> process."""
    subprocess.run([str(ROOT / "scripts" / "make-test-model.sh"), "--demo", "/tmp/opg-demo"],
                   check=True, capture_output=True, timeout=120)
    folder = tmp_path_factory.mktemp("docs")
    running = {}
    for page in DOC_PAGES:
        blocks = [code for lang, code in doc_blocks(ROOT / "docs" / page) if lang == "python"]
        assert blocks, f"{page} has no python example"
        program = folder / (page.replace("/", "-") + ".py")
        program.write_text("\n".join(blocks).replace("ws://127.0.0.1:9944", node.url))
        running[page] = subprocess.Popen(
            [sys.executable, str(program)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, env={**os.environ, "PYTHONPATH": str(ROOT / "clients" / "python")})
    yield running
    for process in running.values():
        process.kill()


@pytest.mark.timeout(600)
def test_the_python_docs_examples_run(docs_examples):
    """The programs `docs_examples` started all end well."""
    failures = {}
    for page, process in docs_examples.items():
        output, _ = process.communicate(timeout=540)
        if process.returncode != 0:
            failures[page] = output[-3000:]
    assert not failures, failures
