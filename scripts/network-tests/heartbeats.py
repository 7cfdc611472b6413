"""Thousands of registered nodes that heartbeat, for the load test: their keys, their
registration in the `local` chain's genesis, and a sender that does for all of them what each
node's offchain worker does for its own: one heartbeat a period, from the node's own block of
the period's first half (`Nodes::beat_from`), as a bare transaction signed with its role key.

The nodes are data nodes at the least bond the chain asks, the cheapest role an attacker could
register thousands of; their endpoint is a real data node's, so a node that picks one to fetch a
model from is served. The first few may be inference nodes instead: the load test's attacker's
silent nodes, which heartbeat (so they are drawn for jobs) and never answer."""

from __future__ import annotations

import hashlib
import time
from fractions import Fraction

from substrateinterface import Keypair

from opg import chain

# The role of the load nodes (`NodeRole::Data`'s bit), and of the attacker's silent ones
# (`NodeRole::Inference`'s).
DATA_ROLE = 4
INFERENCE_ROLE = 1


def keys(count: int) -> list[Keypair]:
    """The load nodes' keys, one sr25519 key per node serving as its account and its role key:
    derived from fixed seeds, so every process makes the same ones."""
    return [Keypair.create_from_seed(hashlib.blake2b(b"opg-load-node" + i.to_bytes(4, "little"),
                                                     digest_size=32).hexdigest())
            for i in range(count)]


def genesis_patch(count: int, endpoint: str, period: int, inference: int = 0,
                  inference_bond: Fraction = Fraction(1), inference_funds: int = 2):
    """A patch of the `local` genesis (see `LocalNetwork`) that endows and registers `count`
    data nodes at the least data bond, serving at `endpoint`, and sets the heartbeat period to
    `period` blocks. The first `inference` of them are inference nodes instead, bonding
    `inference_bond` times the least inference bond and endowed with `inference_funds` times
    their bond (what is not bonded pays for bonding more)."""
    def patch(genesis: dict) -> None:
        nodes = keys(count)
        parameters = genesis["nodes"]["parameters"]
        bond = int(parameters["minDataBond"])
        silent_bond = int(inference_bond * int(parameters["minInferenceBond"]))
        genesis["balances"]["balances"] += [[key.ss58_address, inference_funds * silent_bond]
                                            for key in nodes[:inference]]
        genesis["balances"]["balances"] += [[key.ss58_address, 2 * bond] for key in nodes[inference:]]
        genesis["nodes"]["nodes"] += [[key.ss58_address, INFERENCE_ROLE, key.ss58_address, None,
                                       silent_bond] for key in nodes[:inference]]
        genesis["nodes"]["nodes"] += [[key.ss58_address, DATA_ROLE, key.ss58_address,
                                       list(endpoint.encode()), bond] for key in nodes[inference:]]
        parameters["heartbeatPeriod"] = period
    return patch


def beat_offset(account_id: bytes, period: int) -> int:
    """`Nodes::beat_from`'s offset of a node in its period: a hash of its account in the
    period's first half."""
    digest = hashlib.blake2b(b"opg:heartbeat-offset" + account_id, digest_size=32).digest()
    return int.from_bytes(digest[:4], "little") % max(period // 2, 1)


def send_heartbeats(url: str, count: int, seconds: float, results) -> None:
    """For `seconds`: at every new block, the heartbeat of each load node whose offset it is,
    signed and sent as an offchain worker sends it (a bare transaction). Puts what it sent and
    what the pool refused on `results`."""
    substrate = chain.connect(url, 60)
    nodes = keys(count)
    period = int(substrate.query("Nodes", "ActiveParameters").value["heartbeat_period"])
    genesis = bytes.fromhex(substrate.get_block_hash(0)[2:])
    by_offset: dict[int, list[Keypair]] = {}
    for key in nodes:
        by_offset.setdefault(beat_offset(key.public_key, period), []).append(key)

    # The bare transaction py-substrate-interface makes of one heartbeat: every heartbeat's
    # call has its length, so each one starts as it does (the length, the format byte and the
    # call's index bytes), then has its own heartbeat and signature.
    sample = nodes[0]
    call = substrate.compose_call("Nodes", "heartbeat", {
        "heartbeat": {"node": sample.ss58_address, "period_start": 0}, "signature": "0x" + "00" * 64})
    call_bytes = bytes(call.data.data)
    made = bytes(substrate.create_unsigned_extrinsic(call).data.data)
    start = made[:len(made) - len(call_bytes) + 2]

    def extrinsic(key: Keypair, period_start: int) -> bytes:
        # SignedStatement::Heartbeat (variant 0) of Heartbeat { node, period_start }.
        heartbeat = key.public_key + period_start.to_bytes(4, "little")
        signature = key.sign(b"opg:attest:" + genesis + bytes([0]) + heartbeat)
        return start + heartbeat + signature

    assert extrinsic(sample, 0)[:-64] == made[:-64]

    sent = refused = 0
    refusals: list[str] = []
    last = None
    stop_at = time.monotonic() + seconds
    while time.monotonic() < stop_at:
        head = int(substrate.rpc_request("chain_getHeader", [])["result"]["number"], 16)
        if last is not None and head <= last:
            time.sleep(0.2)
            continue
        blocks = [head] if last is None else range(last + 1, head + 1)
        last = head
        for block in blocks:
            offset = block % period
            for key in by_offset.get(offset, []):
                try:
                    substrate.rpc_request("author_submitExtrinsic",
                                          ["0x" + extrinsic(key, block - offset).hex()])
                    sent += 1
                except Exception as error:  # noqa: BLE001 - counted and reported
                    refused += 1
                    if len(refusals) < 3:
                        refusals.append(str(error))
    results.put({"heartbeats_sent": sent, "heartbeats_refused": refused,
                 "heartbeat_refusals": refusals, "period": period})
    substrate.close()
