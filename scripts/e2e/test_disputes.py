"""A lying inference node, end to end (issue 34): a vanilla claim with a corrupted output,
challenged by its own requester with the Python SDK, is overturned by a dispute committee of the
dev chain's verifiers (their offchain workers re-run the model with ONNX Runtime); the node is
slashed, the requester refunded and paid from the slash as the winning challenger, and every
hold but the output deposit (kept until the job is pruned) released.

The liar is a node of our own whose role key lives only in this test: no node's offchain worker
answers for it, so the test sends its heartbeats and its corrupted answer itself, as the same
fee-free bare transactions an offchain worker sends, signed with the role key. Its bond is nine times the dev inference node's, so most jobs are drawn for it; a job drawn
for Alice is answered honestly and the test asks again."""

from __future__ import annotations

import hashlib
import threading

import numpy as np
import pytest
from harness import python_ort
from substrateinterface import Keypair

import opg
from opg import chain, disputes, governance, jobs, nodes, tensors
from opg_tools import testmodels

LIAR = "//OpgE2eLiar"
LIAR_ROLE_KEY = "//OpgE2eLiar//role"
DAPP = "//opg-e2e-disputes-dapp"
LIAR_BOND = 90_000 * opg.OPG
def send_authorized(substrate, module: str, function: str, params: dict) -> str:
    """Sends `module.function` as an offchain worker sends it: a bare (unsigned) transaction
    that pays no fee, let in by the call's own `authorize` (the role-key signature in its
    arguments); returns its hash. Built by py-substrate-interface itself: bare transactions are
    the fee-free form every client reads."""
    call = substrate.compose_call(call_module=module, call_function=function, call_params=params)
    extrinsic = substrate.create_unsigned_extrinsic(call)
    return chain.rpc(substrate, "author_submitExtrinsic", [str(extrinsic.data)])


class Impostor:
    """A registered inference node whose role key only this test holds: it heartbeats every
    period from a thread, and answers what the test tells it to."""

    def __init__(self, url: str, account: Keypair, role_key: Keypair):
        self.url, self.account, self.role_key = url, account, role_key
        self.stop = threading.Event()
        # Set once the thread's connection read the runtime's metadata. py-scalecodec's
        # decoder classes are shared between connections (each lookup points them at its
        # caller's type registry), so a connection that decodes while another is still
        # loading its metadata can find an empty registry ("Decoder class for Compact<u32>
        # not found"): the test opens its own connections only once this one is ready.
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._heartbeats, daemon=True)

    def account_id(self, substrate) -> bytes:
        return bytes.fromhex(substrate.ss58_decode(self.account.ss58_address))

    def _heartbeats(self) -> None:
        substrate = chain.connect(self.url)
        try:
            genesis = bytes.fromhex(substrate.get_block_hash(0)[2:])
            period = int(substrate.query("Nodes", "ActiveParameters").value["heartbeat_period"])
            self.ready.set()
            while not self.stop.is_set():
                try:
                    self._heartbeat(substrate, genesis, period)
                except NotImplementedError:
                    pass  # the decoding race above, met by a later connection: try again
                self.stop.wait(1.0)
        finally:
            substrate.close()

    def _heartbeat(self, substrate, genesis: bytes, period: int) -> None:
        """Sends this period's heartbeat unless the chain has it."""
        number = int(substrate.get_block_number(None))
        start = number - number % period
        record = nodes.node(substrate, self.account.ss58_address)
        if record is not None and record["last_heartbeat"] != start:
            # SignedStatement::Heartbeat (variant 0) of Heartbeat { node, period_start }.
            statement = bytes([0]) + self.account_id(substrate) + start.to_bytes(4, "little")
            signature = self.role_key.sign(b"opg:attest:" + genesis + statement)
            try:
                send_authorized(substrate, "Nodes", "heartbeat", {
                    "heartbeat": {"node": self.account.ss58_address, "period_start": start},
                    "signature": "0x" + signature.hex()})
            except chain.ChainError:
                pass  # at a period's edge, or already in the pool: the next try lands

    def answer(self, substrate, job: int, output: list[dict]) -> None:
        """Answers vanilla `job` with `output` (chain tensors), signed with the role key over
        the job statement, exactly as an offchain worker signs the true output."""
        record = jobs.job(substrate, job)
        node_id = self.account_id(substrate)
        params = {"job": job, "node": self.account.ss58_address,
                  "output": jobs.call_tensors(output), "signature": "0x" + "00" * 64}
        # The output's SCALE bytes, as the call carries them between the node and the signature.
        call = substrate.compose_call(call_module="Inference", call_function="submit_result",
                                      call_params=params)
        encoded = bytes(call.data.data)[2 + 8 + 32:-64]
        output_hash = blake2_256(b"opg:output:" + encoded)
        genesis = bytes.fromhex(substrate.get_block_hash(0)[2:])
        input_hash = bytes.fromhex(record["input_hash"][2:])
        # JobStatement::Result (variant 0) { job, node, output }.
        statement = bytes([0]) + job.to_bytes(8, "little") + node_id + output_hash
        signature = self.role_key.sign(b"opg:infer:" + genesis + input_hash + statement)
        send_authorized(substrate, "Inference", "submit_result",
                        {**params, "signature": "0x" + signature.hex()})


def blake2_256(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=32).digest()


def held(substrate, who: str, reason: str) -> int:
    """What `who` holds for `reason` (e.g. `ChallengeBond`, `JobFee`, `OutputDeposit`)."""
    holds = substrate.query("Balances", "Holds", [who]).value
    return sum(int(hold["amount"]) for hold in holds
               if reason in str(hold["id"]))


@pytest.fixture(scope="module")
def impostor(node):
    """The liar, registered with its bond and heartbeating; it leaves when the module ends, so
    no later test's job is drawn for a node that never answers."""
    substrate = node.substrate()
    alice = chain.keypair("//Alice")
    liar, role_key = chain.keypair(LIAR), Keypair.create_from_uri(LIAR_ROLE_KEY)
    chain.submit(substrate, alice, "Balances", "transfer_keep_alive",
                 {"dest": liar.ss58_address, "value": LIAR_BOND + 100 * opg.OPG})
    nodes.register(substrate, liar, role_key, ["inference"], LIAR_BOND)
    running = Impostor(node.url, liar, role_key)
    running.thread.start()
    assert running.ready.wait(60), "the impostor's connection did not start"
    try:
        yield running
    finally:
        running.stop.set()
        running.thread.join(timeout=10)
        try:
            nodes.leave(substrate, liar)
        except chain.DispatchFailed as error:
            # Open work left by a failed test: it times out and is slashed, and no new job
            # is drawn for a node that stopped heartbeating.
            print(f"the liar could not leave: {error}")
        substrate.close()


def test_a_corrupted_vanilla_claim_challenged_by_its_requester_is_overturned(node, impostor,
                                                                          tmp_path):
    alice = opg.connect(node.url, signer="//Alice")
    dapp = chain.keypair(DAPP)
    chain.submit(alice.substrate, alice.signer, "Balances", "transfer_keep_alive",
                 {"dest": dapp.ss58_address, "value": 1_000 * opg.OPG})
    alice.close()
    data = testmodels.mlp(inputs=4, hidden=8, outputs=3, seed=34)
    path = tmp_path / "dispute-mlp.onnx"
    path.write_bytes(data)
    x = np.linspace(-1, 1, 4, dtype=np.float32).reshape(1, 4)
    with opg.connect(node.url, signer=dapp) as client:
        substrate = client.substrate
        model = client.upload_model(path, name="dispute-mlp", price=opg.to_planck("0.01"),
                                    quiet=True).model_id
        liar = impostor.account.ss58_address
        # Ask until a job is drawn for the liar (nine in ten are); Alice answers the others.
        for _ in range(8):
            requested = client.request(model, "vanilla", {"input": x.tolist()})
            record = governance.wait_for(
                lambda: (r := jobs.job(substrate, requested.job))
                and jobs.variant(r["status"])[0] != "Queued" and r,
                "the job's node draw", timeout=60)
            name, fields = jobs.variant(record["status"])
            if name == "Assigned" and substrate.ss58_decode(fields["node"]) == substrate.ss58_decode(liar):
                break
            client.wait(requested)
        else:
            pytest.fail("no job was drawn for the liar in eight requests")
        job = requested.job

        # The truth, as onnxruntime computes it; the liar claims it with one value changed.
        schema = client.schema(model)
        truth = python_ort(data, {"input": x})
        corrupted = {name: np.array(values, copy=True) for name, values in truth.items()}
        first = next(iter(corrupted))
        corrupted[first].flat[0] += 0.5
        output = [tensors.to_chain(spec, corrupted[spec["name"]]) for spec in schema["outputs"]]
        impostor.answer(substrate, job, output)
        governance.wait_for(lambda: disputes.claim(substrate, job), "the liar's claim",
                            timeout=60)
        assert jobs.variant(jobs.job(substrate, job)["status"])[0] == "Accepted"

        # The requester challenges its own job.
        parameters = disputes.parameters(substrate)
        bond, dispute_fee = int(parameters["challenge_bond"]), int(parameters["dispute_fee"])
        liar_bond = int(nodes.node(substrate, liar)["bonded"])
        fee = int(jobs.job(substrate, job)["fee"]["total"])
        before = client.balance(dapp.ss58_address)
        assert "claim" in client.dispute(job)
        challenged = client.challenge(job)
        assert "round" in client.dispute(job)
        assert held(substrate, dapp.ss58_address, "ChallengeBond") == bond

        # The committee re-runs the model and rejects the claim; after the appeal window the
        # verdict settles: the job is refunded as rejected.
        record = governance.wait_for(
            lambda: (r := jobs.job(substrate, job))
            and jobs.variant(r["status"])[0] == "Refunded" and r,
            "the dispute's settlement", timeout=180)
        assert jobs.variant(jobs.variant(record["status"])[1]["reason"])[0] == "Rejected"
        assert disputes.dispute(substrate, job) is None

        # The liar lost `false_claim_slash` of its bond; the challenger got its bond back less
        # the dispute fee, `reward_share` of the slash, and the job's fee back.
        slash = int(parameters["false_claim_slash"]) * liar_bond // 10**9
        assert int(nodes.node(substrate, liar)["bonded"]) == liar_bond - slash
        reward = int(parameters["reward_share"]) * slash // 10**9
        gained = client.balance(dapp.ss58_address) - before
        assert gained == fee - dispute_fee + reward - challenged.fee, (gained, fee, reward)
        # Nothing stays held but the output deposits of the requester's jobs (this one, and any
        # drawn for Alice before it), each released when its job is pruned.
        for reason in ("ChallengeBond", "AppealBond", "JobFee"):
            assert held(substrate, dapp.ss58_address, reason) == 0, reason
        deposit = int(record["fee"]["output_deposit"])
        assert deposit > 0
        assert held(substrate, dapp.ss58_address, "OutputDeposit") == jobs.output_deposits(
            substrate, dapp.ss58_address)
