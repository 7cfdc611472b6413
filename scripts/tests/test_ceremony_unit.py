"""The ceremony tool's reading of the chain, without a node: `follow` reports each step of a
ZK version's key ceremony once, returns the key's origin when it settles, and fails with a
reason when the ceremony failed (the version is gone)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from opg import models
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


# The known-answer vector the Rust side tests too (opg_primitives::model::content, opg-zk's
# `a_key_reads_from_the_data_layer_only_whole_and_matching_its_content_id`): 150,000 bytes
# `(i * 31 + 7) mod 251` in 64 KiB chunks.
STATE = bytes((i * 31 + 7) % 251 for i in range(150_000))
STATE_ID = "0xf2b3a1ef177406e387c53dae3b38255517ef0c53bde6dcb2b18075bd324da77b"
MODEL_ID = "0x6280369964097c216322a0e933f213bbbc623784199e39d89b7cb9c4f8cae9bf"


class DataLayer:
    """A node whose data layer holds `chunks` of the state `STATE_ID` (None: missing), with
    the chain's committed hashes of `STATE`."""

    def __init__(self, chunks: list):
        self.chunks, self.reads = chunks, 0

    def query(self, module, storage, params=None, block_hash=None):
        assert (module, storage, params) == ("ZkCeremony", "StateChunks", [[7, 1], STATE_ID])
        return SimpleNamespace(value=ceremony.commitment(STATE)["chunk_hashes"][0])

    def rpc_request(self, method, params):
        assert method == "offchain_localStorageGet" and params[0] == "PERSISTENT"
        key = bytes.fromhex(params[1][2:])
        index = int.from_bytes(key[-4:], "big")
        assert key[:-4] == b"opg/model/chunk/" + bytes.fromhex(STATE_ID[2:])
        self.reads += 1
        chunk = self.chunks[index]
        return {"result": None if chunk is None else "0x" + chunk.hex()}


def test_a_key_state_is_named_and_committed_as_the_chain_computes_it():
    assert ceremony.state_id(STATE) == STATE_ID
    # Under its own domain: never the content id of a model with the same bytes.
    assert "0x" + models.content_id(STATE, 65536).hex() == MODEL_ID
    committed = ceremony.commitment(STATE)
    assert committed["state_size"] == 150_000 and len(committed["chunk_hashes"][0]) == 3


def test_a_key_state_is_read_from_the_nodes_data_layer_each_chunk_checked(tmp_path):
    parts = [STATE[i:i + 65536] for i in range(0, len(STATE), 65536)]
    path = ceremony.fetch_state(DataLayer(list(parts)), 7, 1, STATE_ID, tmp_path)
    assert path.name == STATE_ID[2:] + ".pk" and path.read_bytes() == STATE
    # A file already there and right is used as it is.
    node = DataLayer(list(parts))
    assert ceremony.fetch_state(node, 7, 1, STATE_ID, tmp_path) == path and node.reads == 0
    # A chunk the node lacks, or holds other bytes of: refused, nothing written.
    for broken in ([parts[0], None, parts[2]], [parts[0], parts[1], b"x" + parts[2][1:]]):
        folder = tmp_path / f"other-{broken[1] is None}"
        with pytest.raises(ceremony.CeremonyError, match="does not hold chunk"):
            ceremony.fetch_state(DataLayer(broken), 7, 1, STATE_ID, folder)
        assert not folder.exists()


def key_file(inputs: int, variables: int, h: int, l_count: int) -> bytes:
    """A file laid out as arkworks writes a proving key, its points zeros."""
    header = bytes(64 + 3 * 128) + inputs.to_bytes(8, "little") + bytes(64 * inputs + 128)
    vector = lambda count, size: count.to_bytes(8, "little") + bytes(size * count)  # noqa: E731
    return (header + vector(variables, 64) + vector(variables, 64) + vector(variables, 128)
            + vector(h, 64) + vector(l_count, 64))


def test_a_key_files_layout_is_read_from_its_own_length_prefixes():
    data = key_file(3, 20, 31, 12)
    assert ceremony.layout(data) == {"inputs": 3, "variables": 20, "h": 31, "l": 12}
    # The Rust side's size formula: 624 bytes of header and prefixes, 64 per G1 point.
    assert len(key_file(0, 0, 0, 2_333)) == 624 + 64 * 2_333
    for broken in (data[:-1], data + b"\0", data[:100]):
        with pytest.raises(ceremony.CeremonyError, match="not a proving key file"):
            ceremony.layout(broken)
