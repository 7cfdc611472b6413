"""The ceremony tool's reading of the chain, without a node: `follow` reports each step of a
ZK version's key ceremony once, returns the key's origin when it settles, and fails with a
reason when the ceremony failed (the version is gone)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from opg_tools import ceremony

HEAD = "0x" + "ab" * 32


def running(phase: str, **fields) -> dict:
    record = {"phase": phase, "due": 120, "head": HEAD, "contributions": 1, "drawn": [], "turn": 0,
              "attesters": []}
    record.update(fields)
    return record


class FakeChain:
    """Each read of `ZkCeremony.Ceremonies` answers the next of `ceremonies` (the last one
    repeating); `ModelRegistry.ZkKeyOrigins` answers `origin`."""

    def __init__(self, ceremonies: list, origin):
        self.ceremonies, self.origin, self.reads = ceremonies, origin, 0

    def query(self, module, storage, params=None, block_hash=None):
        if (module, storage) == ("ZkCeremony", "Ceremonies"):
            assert params == [[7, 1]]
            value = self.ceremonies[min(self.reads, len(self.ceremonies) - 1)]
            self.reads += 1
            return SimpleNamespace(value=value)
        assert (module, storage, params) == ("ModelRegistry", "ZkKeyOrigins", [7, 1])
        return SimpleNamespace(value=self.origin)


def test_follow_reports_each_step_once_and_returns_the_settled_origin():
    steps = [
        running("Open"), running("Open"),
        running("Drawn", drawn=["5Bob", "5Dave"], turn=0), running("Drawn", drawn=["5Bob", "5Dave"], turn=1),
        running("Attesting", attesters=[["5Alice", False]]), running("Attesting", attesters=[["5Alice", True]]),
        None,
    ]
    origin = {"Ceremony": {"contributions": 3, "drawn": 2}}
    lines: list[str] = []
    assert ceremony.follow(FakeChain(steps, origin), 7, 1, lines.append, sleep=lambda _: None) == origin
    assert len(lines) == 6, lines  # five distinct steps, then the settled key
    assert "open to any contributor until block 120" in lines[0]
    assert "5Bob's turn" in lines[1] and "5Dave's turn" in lines[2]
    assert "5Alice (waiting)" in lines[3] and "5Alice (approved)" in lines[4]
    assert lines[5].endswith('key settled, {"Ceremony": {"contributions": 3, "drawn": 2}}')


def test_a_failed_ceremony_ends_the_follow_with_its_reason():
    with pytest.raises(ceremony.CeremonyError, match="failed: the version is removed"):
        ceremony.follow(FakeChain([running("Open"), None], None), 7, 1, lambda _: None,
                        sleep=lambda _: None)


def test_a_ceremony_that_does_not_end_in_time_is_reported():
    with pytest.raises(ceremony.CeremonyError, match="did not end within 12s"):
        ceremony.follow(FakeChain([running("Open")], "CeremonyRunning"), 7, 1, lambda _: None,
                        every=6, timeout=12, sleep=lambda _: None)
