"""Governance from a client: note a proposal's preimage, submit it as a referendum on the track
of the origin it should run as, place the decision deposit, vote with conviction, and follow
the referendum to its enactment (see docs/governance.md)."""

from __future__ import annotations

import hashlib
import time
from typing import Any

from substrateinterface import Keypair, SubstrateInterface

from . import chain

# Conviction multipliers by name, as `pallet_conviction_voting::Conviction` orders them.
CONVICTIONS = ["None", "Locked1x", "Locked2x", "Locked3x", "Locked4x", "Locked5x", "Locked6x"]

# The origins a proposal may run as, by track (docs/governance.md).
ROOT = {"system": "Root"}
MODEL_CURATOR = {"Origins": "ModelCurator"}
NODE_ADMIN = {"Origins": "NodeAdmin"}
FEE_ADMIN = {"Origins": "FeeAdmin"}
TREASURER = {"Origins": "Treasurer"}


def blake2_256(data: bytes) -> str:
    return "0x" + hashlib.blake2b(data, digest_size=32).hexdigest()


def propose(substrate: SubstrateInterface, proposer: Keypair, origin: dict, module: str,
            function: str, params: dict, after: int = 0) -> int:
    """Notes the call `module.function(params)` as a preimage and submits it as a referendum to
    run as `origin`, enacted `after` blocks after approval at the earliest (the track's minimum
    applies). Returns the referendum's index."""
    call = substrate.compose_call(call_module=module, call_function=function, call_params=params)
    encoded = bytes(call.data.data)
    chain.submit(substrate, proposer, "Preimage", "note_preimage", {"bytes": "0x" + encoded.hex()})
    included = chain.submit(substrate, proposer, "Referenda", "submit", {
        "proposal_origin": origin,
        "proposal": {"Lookup": {"hash": blake2_256(encoded), "len": len(encoded)}},
        "enactment_moment": {"After": after},
    })
    return int(chain.find_event(included.events, "Referenda", "Submitted")["index"])


def place_decision_deposit(substrate: SubstrateInterface, who: Keypair, index: int) -> chain.Included:
    return chain.submit(substrate, who, "Referenda", "place_decision_deposit", {"index": index})


def vote_value(aye: bool, conviction: str) -> int:
    """The vote byte: the aye bit and the conviction's index."""
    return (0x80 if aye else 0) | CONVICTIONS.index(conviction)


def vote(substrate: SubstrateInterface, voter: Keypair, index: int, aye: bool, balance: int,
         conviction: str = "None", wait: bool = True) -> chain.Included | str:
    """Votes `balance` (in planck) aye or nay on referendum `index` with `conviction`."""
    return chain.submit(substrate, voter, "ConvictionVoting", "vote", {
        "poll_index": index,
        "vote": {"Standard": {"vote": vote_value(aye, conviction), "balance": balance}},
    }, wait=wait)


def referendum(substrate: SubstrateInterface, index: int) -> dict:
    """The referendum's record: `{"Ongoing": {...}}`, `{"Approved": [...]}`, `{"Rejected": ...}`."""
    info = substrate.query("Referenda", "ReferendumInfoFor", [index]).value
    if info is None:
        raise chain.ChainError(f"no referendum {index}")
    return info


def wait_until_decided(substrate: SubstrateInterface, index: int, timeout: float = 300.0) -> str:
    """Waits until referendum `index` is decided; returns how ("Approved", "Rejected", ...)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = next(iter(referendum(substrate, index)))
        if state != "Ongoing":
            return state
        time.sleep(2)
    raise chain.ChainError(f"referendum {index} undecided after {timeout:.0f}s")


def wait_for(condition: Any, what: str, timeout: float = 120.0, every: float = 2.0) -> Any:
    """Polls `condition()` until it returns something true; returns it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise chain.ChainError(f"{what}: not seen in {timeout:.0f}s")
