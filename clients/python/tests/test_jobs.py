"""How the SDK follows a job, against a stand-in for the node's answers: a job starts queued
(its node is drawn at the start of a later block, never in the request's own), waiting for it
is no error, and a job no node could be drawn for is refunded with `NoNodeAvailable`. The
end-to-end tests (scripts/e2e/test_sdk.py, test_inference.py) do the same against a real node."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

import opg
from opg import chain, jobs
from opg.client import Client

ALICE = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
DAPP = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"


def status_record(status) -> dict:
    return {"requester": DAPP, "model": 0, "mode": "Vanilla", "status": status}


def event_record(name: str, attributes: dict) -> SimpleNamespace:
    return SimpleNamespace(value={"event": {"module_id": "Inference", "event_id": name,
                                            "attributes": attributes}})


class FakeChain:
    """Answers the storage, constant and event reads of `opg.jobs`: `statuses` are the job's
    record at each successive read of `Inference.Jobs` (the last one repeats), `at_block` its
    record at a given block hash, `blocks` the inference events of each block number."""

    def __init__(self, statuses=(), blocks=None, constants=None, at_block=None):
        self.statuses = list(statuses)
        self.blocks = blocks or {}
        self.constants = constants or {}
        self.at_block = at_block or {}
        self.reads = 0

    def query(self, module, storage, params=None, block_hash=None):
        if (module, storage) == ("Inference", "Jobs"):
            if block_hash is not None:
                return SimpleNamespace(value=self.at_block.get(block_hash))
            record = self.statuses[min(self.reads, len(self.statuses) - 1)]
            self.reads += 1
            return SimpleNamespace(value=record)
        if (module, storage) == ("Inference", "ActiveParameters"):
            return SimpleNamespace(value={"response_period": 5})
        if (module, storage) == ("Attestations", "ActiveParameters"):
            return SimpleNamespace(value={"commit_period": 4, "reveal_period": 4,
                                          "challenge_window": 10})
        raise AssertionError(f"unexpected read of {module}.{storage}")

    def get_constant(self, pallet, name):
        value = self.constants.get((pallet, name))
        return None if value is None else SimpleNamespace(value=value)

    def get_block_number(self, block_hash):
        return max(self.blocks) if block_hash is None else int(block_hash[2:], 16)

    def get_block_hash(self, number):
        return f"0x{number:x}"

    def get_events(self, block_hash):
        return self.blocks.get(int(block_hash[2:], 16), [])


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    monkeypatch.setattr(jobs.time, "sleep", lambda _seconds: None)


# -- states ----------------------------------------------------------------------------------

def test_a_queued_job_says_until_which_block_a_node_is_drawn():
    text = jobs.describe(status_record({"Queued": {"until": 17}}))
    assert text.startswith("queued:")
    assert "next block" in text and "#17" in text and "refunded" in text
    assert jobs.describe(status_record(
        {"Assigned": {"node": ALICE, "deadline": 9, "reassigned": False}})) == \
        "assigned to 5GrwvaEF…, answer due by block #9"


def test_queued_is_the_first_state_and_unknown_states_do_not_stop_waiting():
    assert jobs.STATES[0] == "Queued"
    assert jobs.rank("Queued") < jobs.rank("Assigned") < jobs.rank("Accepted")
    assert jobs.rank("SomethingNewer") == 0


def test_the_no_node_available_refund_is_explained():
    explanation = jobs.refund_reason("NoNodeAvailable")
    assert "no eligible inference node" in explanation and "queued" in explanation
    assert "never ran" in explanation
    # The other reasons read as before.
    assert jobs.refund_reason("TimedOut") == "no node answered in time"
    assert jobs.refund_reason({"EngineFailed": "0x" + b"bad input".hex()}).endswith("bad input")
    refunded = status_record({"Refunded": {"reason": "NoNodeAvailable", "at": 14}})
    assert jobs.describe(refunded) == f"refunded at block #14: {explanation}"


# -- waiting on the record ---------------------------------------------------------------------

def test_waiting_goes_through_the_queued_state_without_error():
    node = FakeChain([
        status_record({"Queued": {"until": 14}}),
        status_record({"Queued": {"until": 14}}),
        status_record({"Assigned": {"node": ALICE, "deadline": 10, "reassigned": False}}),
        status_record({"Accepted": {"node": ALICE}}),
        status_record({"Final": {"node": ALICE, "at": 20}}),
    ])
    seen = []
    record = jobs.wait(node, 3, until="Accepted", timeout=60,
                       on_change=lambda r: seen.append(jobs.variant(r["status"])[0]))
    assert jobs.variant(record["status"])[0] == "Accepted"
    assert seen == ["Queued", "Assigned", "Accepted"]
    record = jobs.wait(node, 3, timeout=60)
    assert jobs.variant(record["status"])[0] == "Final"


def test_a_job_no_node_was_drawn_for_ends_refunded():
    node = FakeChain([
        status_record({"Queued": {"until": 14}}),
        status_record({"Refunded": {"reason": "NoNodeAvailable", "at": 14}}),
    ])
    record = jobs.wait(node, 3, until="Accepted", timeout=60)
    name, fields = jobs.variant(record["status"])
    assert name == "Refunded" and jobs.variant(fields["reason"])[0] == "NoNodeAvailable"


def test_a_job_still_queued_at_the_timeout_says_so():
    node = FakeChain([status_record({"Queued": {"until": 14}})])
    with pytest.raises(chain.NotIncluded, match="job 3 is still queued"):
        jobs.wait(node, 3, timeout=0)


# -- following the events ----------------------------------------------------------------------

def requested(job: int = 3) -> SimpleNamespace:
    return event_record("JobRequested", {"job": job, "requester": DAPP, "model": 0,
                                         "version": 1, "mode": "Vanilla", "fee": 100})


def assigned(job: int = 3) -> SimpleNamespace:
    return event_record("JobAssigned", {"job": job, "node": ALICE, "deadline": 12})


OUTPUT = [{"name": "y", "shape": [1], "values": {"Numbers": [{"value": 25, "decimals": 1}]}}]
SCHEMA = {"inputs": [], "outputs": [{"name": "y", "dtype": "Float32", "shape": [{"Fixed": 1}]}]}


def answered_chain() -> FakeChain:
    """Requested in block 5; block 6 finds no node (the job stays queued); drawn in block 7,
    answered in 8, final in 12."""
    return FakeChain(blocks={
        5: [requested(), requested(job=4)],
        6: [],
        7: [assigned(), assigned(job=4)],
        8: [event_record("ResultSubmitted", {"job": 3, "node": ALICE, "output": OUTPUT,
                                             "output_hash": "0x" + "11" * 32})],
        12: [event_record("JobFinal", {"job": 3, "node": ALICE, "owner_paid": 70,
                                       "node_paid": 15, "verifiers_paid": 0,
                                       "treasury_paid": 15})],
    })


def test_the_stages_start_queued_and_follow_the_events():
    node = answered_chain()
    stages = []
    events: list[jobs.JobEvent] = []

    def on_event(event):
        events.append(event)
        stages.append(jobs.stage_of(events))

    history = jobs.follow(node, 3, since=5, timeout=60, on_event=on_event)
    assert [(e.block_number, e.name) for e in history] == [
        (5, "JobRequested"), (7, "JobAssigned"), (8, "ResultSubmitted"), (12, "JobFinal")]
    assert stages == ["queued", "assigned", "submitted", "final"]
    assert jobs.stage_of([]) == "queued"
    assert jobs.stage_of(history[:1]) == "queued"


def test_a_dapp_gets_the_result_of_a_job_assigned_blocks_after_its_request():
    node = answered_chain()
    client = Client(node)
    request = opg.RequestedJob(3, 0, 1, "vanilla", 100, 5, "0x5", SCHEMA, queued_until=14)
    result = client.wait(request, timeout=60)
    assert result.outputs["y"].dtype == np.float32 and result.outputs["y"][0] == np.float32(2.5)
    assert (result.requested_at, result.final_at) == (5, 12)
    assert [e.name for e in result.history][:2] == ["JobRequested", "JobAssigned"]
    assert result.verification.node == ALICE


def test_a_dapp_is_told_when_no_node_could_be_drawn():
    node = FakeChain(blocks={
        5: [requested()], 6: [], 7: [],
        8: [event_record("JobRefunded", {"job": 3, "requester": DAPP, "amount": 100,
                                         "reason": "NoNodeAvailable"})],
    })
    request = opg.RequestedJob(3, 0, 1, "vanilla", 100, 5, "0x5", SCHEMA, queued_until=8)
    with pytest.raises(opg.JobRefunded) as refunded:
        Client(node).wait(request, timeout=60)
    assert refunded.value.reason == "NoNodeAvailable" and refunded.value.amount == 100
    assert refunded.value.explanation == jobs.refund_reason("NoNodeAvailable")
    assert "no eligible inference node" in str(refunded.value)


def test_following_a_job_still_queued_at_the_timeout_says_so():
    node = FakeChain(blocks={5: [requested()], 6: []})
    with pytest.raises(chain.NotIncluded, match="last seen: JobRequested; the job is still queued"):
        jobs.follow(node, 3, since=5, timeout=0)


# -- the request and the patience --------------------------------------------------------------

def test_a_request_records_until_when_its_job_is_queued(monkeypatch):
    node = FakeChain(at_block={"0x9": status_record({"Queued": {"until": 19}})})
    monkeypatch.setattr(jobs, "runnable_version", lambda _s, _m: (1, SCHEMA, 50))
    monkeypatch.setattr(jobs, "request", lambda *args: (3, 100, chain.Included("0x9", 1, [], "0x")))
    requested_job = Client(node, signer=object()).request(0, "vanilla", {})
    assert (requested_job.job, requested_job.block_number, requested_job.queued_until) == (3, 9, 19)
    # A record that is not queued (a chain without the queue) leaves it unknown.
    node.at_block["0x9"] = status_record({"Assigned": {"node": ALICE, "deadline": 14,
                                                       "reassigned": False}})
    assert Client(node, signer=object()).request(0, "vanilla", {}).queued_until is None


def test_patience_allows_for_the_wait_for_a_node():
    # The chain's block time is not given: 6 s. Vanilla: the wait for a node, two answer
    # periods and two blocks, then the challenge window.
    with_wait = jobs.patience(FakeChain(constants={("Inference", "AssignmentWait"): 3}), "vanilla")
    assert with_wait == (3 + 2 * 5 + 2 + 10) * 6.0 * 1.5 + 60
    default = jobs.patience(FakeChain(), "vanilla")
    assert default == (jobs.DEFAULT_ASSIGNMENT_WAIT + 2 * 5 + 2 + 10) * 6.0 * 1.5 + 60
