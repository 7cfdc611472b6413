"""Connecting to a node, signing, submitting, and reporting failures clearly."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from substrateinterface import Keypair, SubstrateInterface
from substrateinterface.exceptions import SubstrateRequestException

OPG = 10**18


class ChainError(Exception):
    """A transaction or RPC call failed; the message says why and, where it can, what to do."""


def connect(url: str) -> SubstrateInterface:
    try:
        return SubstrateInterface(url=url)
    except (ConnectionError, OSError) as error:
        raise ChainError(f"cannot reach a node at {url}: {error}. Is opg-node running there?") from error


def keypair(suri: str) -> Keypair:
    """A keypair from a secret URI: a dev account such as //Alice, or a mnemonic."""
    try:
        return Keypair.create_from_uri(suri)
    except Exception as error:  # the library raises plain ValueError/TypeError for bad URIs
        raise ChainError(f"not a valid secret URI or mnemonic: {error}") from error


@dataclass
class Included:
    """A transaction that made it into a block and succeeded."""

    block_hash: str
    fee: int
    events: list


def submit(substrate: SubstrateInterface, signer: Keypair, module: str, function: str,
           params: dict, nonce: int | None = None, wait: bool = True):
    """Signs and submits a call; with `wait`, returns its inclusion or raises ChainError with the
    pallet error's name and documentation."""
    call = substrate.compose_call(call_module=module, call_function=function, call_params=params)
    extrinsic = substrate.create_signed_extrinsic(call=call, keypair=signer, nonce=nonce)
    try:
        receipt = substrate.submit_extrinsic(extrinsic, wait_for_inclusion=wait)
    except SubstrateRequestException as error:
        raise ChainError(f"{module}.{function} was refused by the node: {error}") from error
    if not wait:
        return receipt
    if not receipt.is_success:
        message = receipt.error_message or {}
        raise ChainError(
            f"{module}.{function} failed: {message.get('name', message)}"
            f" ({message.get('docs', ['no documentation'])[0] if message.get('docs') else ''})"
        )
    return Included(receipt.block_hash, receipt.total_fee_amount, receipt.triggered_events)


def find_event(events, module: str, name: str) -> dict | None:
    """The attributes of the first `module.name` event in `events`."""
    for record in events:
        event = record.value["event"]
        if event["module_id"] == module and event["event_id"] == name:
            return event["attributes"]
    return None


def fail(error: Exception) -> None:
    print(f"error: {error}", file=sys.stderr)
    sys.exit(1)
