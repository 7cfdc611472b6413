"""scripts/infer.sh (opg_tools.infer) against a stand-in for the node: it shows the job queued
until a node is drawn for it (a block after the request at the earliest), then assigned and
final; a job no node could be drawn for ends refunded (exit 2) with the reason said."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from opg import chain, jobs
from opg_tools import infer

ALICE = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
SCHEMA = {"inputs": [{"name": "x", "dtype": "Float32", "shape": [{"Fixed": 1}]}],
          "outputs": [{"name": "y", "dtype": "Float32", "shape": [{"Fixed": 1}]}]}


class FakeNode:
    """The job's record at the request's block (queued) and at each later read (`statuses`,
    the last one repeating)."""

    def __init__(self, statuses: list):
        self.statuses, self.reads = statuses, 0

    def query(self, module, storage, params=None, block_hash=None):
        assert (module, storage) == ("Inference", "Jobs")
        if block_hash is not None:
            return SimpleNamespace(value={"status": {"Queued": {"until": 19}}})
        status = self.statuses[min(self.reads, len(self.statuses) - 1)]
        self.reads += 1
        return SimpleNamespace(value={"status": status})


@pytest.fixture
def node(monkeypatch):
    def install(statuses: list) -> FakeNode:
        fake = FakeNode(statuses)
        monkeypatch.setattr(infer.chain, "connect", lambda _url: fake)
        monkeypatch.setattr(jobs, "runnable_version", lambda _s, _m: (1, SCHEMA, 0))
        monkeypatch.setattr(jobs, "request", lambda *_args: (
            7, 10**16, chain.Included("0x" + "ab" * 32, 1, [], "0x")))
        monkeypatch.setattr(jobs.time, "sleep", lambda _seconds: None)
        monkeypatch.setattr(infer, "output_arrays",
                            lambda _s, _job, _schema: {"y": np.array([2.5], np.float32)})
        return fake
    return install


def test_the_job_is_shown_queued_then_assigned_then_final(node, capsys):
    node([{"Queued": {"until": 19}},
          {"Assigned": {"node": ALICE, "deadline": 15, "reassigned": False}},
          {"Final": {"node": ALICE, "at": 20}}])
    assert infer.main(["--model", "0", "--input", '{"x": [1.0]}']) == 0
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert lines[0].startswith("job 7 requested in block 0xabababab…, 0.01 OPG held")
    assert lines[0].endswith("queued for a node until block #19")
    assert lines[1] == ("job 7: queued: its node is drawn at the start of the next block (tried "
                        "until block #19; refunded if none is free by then)")
    assert lines[2] == "job 7: assigned to 5GrwvaEF…, answer due by block #15"
    assert lines[3] == "job 7: final at block #20: verified and paid"
    assert "fee: 0.01 OPG (final)" in captured.out


def test_accepted_is_awaited_through_the_queued_state(node, capsys):
    node([{"Queued": {"until": 19}}, {"Queued": {"until": 19}}, {"Accepted": {"node": ALICE}}])
    assert infer.main(["--model", "0", "--input", '{"x": [1.0]}', "--until", "accepted",
                       "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["state"] == "Accepted" and printed["output"] == {"y": [2.5]}


def test_a_job_no_node_could_be_drawn_for_is_refunded_with_its_reason(node, capsys):
    node([{"Queued": {"until": 19}},
          {"Refunded": {"reason": "NoNodeAvailable", "at": 19}}])
    assert infer.main(["--model", "0", "--input", '{"x": [1.0]}', "--json"]) == 2
    captured = capsys.readouterr()
    printed = json.loads(captured.out)
    assert printed["reason"] == "NoNodeAvailable"
    assert "no eligible inference node" in printed["refunded"]
    assert "job 7: refunded at block #19: no eligible inference node" in captured.err
