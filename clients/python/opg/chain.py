"""Connecting to a node, signing, submitting, and reporting failures clearly.

Every call has a time limit: the websocket connects and waits for each message at most
`timeout` seconds (default 30, or $OPG_RPC_TIMEOUT), and a transaction's inclusion is awaited
at most `inclusion_timeout` seconds (default 120, or $OPG_INCLUSION_TIMEOUT). Failures are
raised as ChainError with a message for a person: `Pallet.Error: documentation` for a failed
dispatch, what the node said for a refused transaction, and what to check for an unreachable
node. `run_cli` turns them into one line on stderr and an exit code, never a traceback.
"""

from __future__ import annotations

import hashlib
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from substrateinterface import Keypair, SubstrateInterface
from substrateinterface.exceptions import SubstrateRequestException
from websocket import WebSocketException, WebSocketTimeoutException

from .errors import (ChainError, DispatchFailed, InvalidInput, JobRefunded,  # noqa: F401
                     NodeUnreachable, NotIncluded, Refused, dispatch_failed)

OPG = 10**18

DEFAULT_TIMEOUT = float(os.environ.get("OPG_RPC_TIMEOUT", "30"))
DEFAULT_INCLUSION_TIMEOUT = float(os.environ.get("OPG_INCLUSION_TIMEOUT", "120"))

# What a lost, refused or silent connection raises below substrate-interface.
NETWORK_ERRORS: tuple[type[BaseException], ...] = (OSError, WebSocketException)


# -------------------------------------------------------------------------------------------
# Connecting

def registry(substrate: SubstrateInterface, storage: str, params: list) -> Any:
    """The decoded value of a ModelRegistry storage entry (None when absent)."""
    return substrate.query("ModelRegistry", storage, params).value


def registry_constant(substrate: SubstrateInterface, name: str, default: int) -> int:
    """A ModelRegistry constant, or `default` where the runtime does not expose it."""
    value = substrate.get_constant("ModelRegistry", name)
    return int(value.value) if value is not None else default

def seconds_per_block(substrate: SubstrateInterface) -> float:
    """The chain's slot duration in seconds: its target block time (BABE's expected block
    time), chosen in its chain spec (6 s on public chains and `--dev`, 2 s on the tests' `test`
    chain)."""
    slot = substrate.get_constant("Babe", "ExpectedBlockTime")
    return int(slot.value) / 1000 if slot is not None else 6.0


def bounded(items: list) -> tuple:
    """A `BoundedVec<T, N>` call argument (T not a byte) as py-substrate-interface encodes it.

    The runtime's metadata describes a BoundedVec as a composite with one unnamed `Vec<T>`
    field; this library encodes such a composite as a one-element tuple, so the list goes
    inside one. (Byte vectors given as hex strings, and clients such as polkadot.js, need no
    wrapping.)"""
    return (list(items),)

def _websocket_url(url: str) -> str:
    """A websocket URL for `url`: a Substrate node serves HTTP and websocket JSON-RPC on one
    port, and only the websocket client of substrate-interface bounds every call in time."""
    for plain, socket in (("http://", "ws://"), ("https://", "wss://")):
        if url.startswith(plain):
            return socket + url[len(plain):]
    if url.startswith(("ws://", "wss://")):
        return url
    raise ChainError(f"{url!r} is not a node RPC URL: write it as ws://HOST:PORT (or http://, "
                     "wss://, https://), e.g. ws://127.0.0.1:9944")


def connect(url: str, timeout: float = DEFAULT_TIMEOUT) -> SubstrateInterface:
    """A client for the node at `url` whose every call waits at most `timeout` seconds."""
    ws_url = _websocket_url(url)
    try:
        return SubstrateInterface(url=ws_url, ws_options={"timeout": timeout})
    except NETWORK_ERRORS as error:
        raise unreachable(url, error) from error
    except SubstrateRequestException as error:
        raise ChainError(f"the node at {url} answered with an error while connecting: "
                         f"{rpc_message(error)}") from error


def wait_for_node(url: str, timeout: float = 120.0) -> None:
    """Waits until a node starting at `url` answers; raises NodeUnreachable after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            connect(url, 5).close()
            return
        except ChainError as error:
            if time.monotonic() > deadline:
                raise NodeUnreachable(f"no node answered at {url} within {timeout:.0f}s: "
                                      f"{error}") from error
            time.sleep(1)


def unreachable(url: str, error: BaseException) -> NodeUnreachable:
    if isinstance(error, (TimeoutError, WebSocketTimeoutException)):
        reason = "it did not answer in time"
    elif isinstance(error, ConnectionRefusedError):
        reason = "connection refused"
    elif "403" in str(error):
        return NodeUnreachable(
            f"the node at {url} refused the connection (HTTP 403): a node accepts RPC "
            "connections from other hosts only with --rpc-external and --rpc-cors all "
            "(serve models from a non-validator node: it then offers safe methods only)")
    else:
        reason = str(error) or type(error).__name__
    return NodeUnreachable(f"cannot reach a node at {url} ({reason}). Is opg-node running there, "
                           "with its RPC port open to you?")


def keypair(suri: str) -> Keypair:
    """A keypair from a secret URI: a dev account such as //Alice, or a mnemonic."""
    if not suri.strip():
        raise ChainError("the secret URI is empty: give --suri a dev account such as //Alice, "
                         "or a mnemonic")
    try:
        return Keypair.create_from_uri(suri)
    except Exception as error:  # the library raises plain ValueError/TypeError for bad URIs
        raise ChainError(f"not a valid secret URI or mnemonic: {error}") from error


def rpc_message(error: SubstrateRequestException) -> str:
    """The message of a JSON-RPC error, with its data where the node gave some."""
    detail = error.args[0] if error.args else error
    if isinstance(detail, dict):
        message = str(detail.get("message", detail))
        if detail.get("data"):
            message += f": {detail['data']}"
        return message
    return str(detail)


def rpc(substrate: SubstrateInterface, method: str, params: list) -> Any:
    """The result of a JSON-RPC call; ChainError with the node's message when it fails."""
    raise_if_interrupted()
    try:
        response = substrate.rpc_request(method, params)
    except SubstrateRequestException as error:
        raise ChainError(f"{method} failed: {rpc_message(error)}") from error
    return response["result"]


# -------------------------------------------------------------------------------------------
# Dispatch errors

# Documentation of sp_runtime's dispatch errors that are not pallet errors (the metadata does
# not carry it).
_DISPATCH_DOCS = {
    "Other": "Some error occurred.",
    "CannotLookup": "Failed to lookup some data.",
    "BadOrigin": "A bad origin.",
    "ConsumerRemaining": "At least one consumer is remaining so the account cannot be destroyed.",
    "NoProviders": "There are no providers so the account cannot be created.",
    "TooManyConsumers": "There are too many consumers so the account cannot be created.",
    "Exhausted": "Resources exhausted, e.g. attempt to read/write data which is too large to "
                 "manipulate.",
    "Corruption": "The state is corrupt; this is generally not going to fix itself.",
    "Unavailable": "Some resource (e.g. a preimage) is unavailable right now. This might fix "
                   "itself later.",
    "RootNotAllowed": "Root origin is not allowed.",
}
_NESTED_DOCS = {
    "Token": {
        "FundsUnavailable": "Funds are unavailable.",
        "OnlyProvider": "Some part of the balance gives the only provider reference to the "
                        "account and thus cannot be (re)moved.",
        "BelowMinimum": "Account cannot exist with the funds that would be given.",
        "CannotCreate": "Account cannot be created.",
        "UnknownAsset": "The asset in question is unknown.",
        "Frozen": "Funds exist but are frozen.",
        "Unsupported": "Operation is not supported by the asset.",
        "CannotCreateHold": "Account cannot be created for a held balance.",
        "NotExpendable": "Withdrawal would cause unwanted loss of account.",
        "Blocked": "Account cannot receive the assets.",
    },
    "Arithmetic": {
        "Underflow": "An underflow would occur.",
        "Overflow": "An overflow would occur.",
        "DivisionByZero": "Division by zero.",
    },
    "Transactional": {
        "LimitReached": "Too many transactional layers have been spawned.",
        "NoLayer": "A transactional layer was expected, but does not exist.",
    },
}


def _docs_text(docs: Any) -> str:
    """Documentation as one line, whether the library gave a list of lines or a string."""
    if isinstance(docs, (list, tuple)):
        docs = " ".join(str(line).strip() for line in docs)
    text = " ".join(str(docs or "").split())
    return text or "no documentation"


def _module_error(metadata: Any, module: Any) -> tuple[str, str, str]:
    """(pallet, error, docs) of a `Module` dispatch error, looked up in the metadata."""
    if isinstance(module, (tuple, list)):
        pallet_index, error_index = module[0], module[1]
    else:
        pallet_index, error_index = module["index"], module["error"]
    if isinstance(error_index, str):  # [u8; 4] as hex: the error index is the first byte
        error_index = int(error_index[2:4], 16)
    elif isinstance(error_index, (bytes, list, tuple)):
        error_index = error_index[0]
    try:
        pallet = metadata.get_pallet_by_index(pallet_index)
        variant = metadata.get_module_error(module_index=pallet_index, error_index=error_index)
        value = variant.value if hasattr(variant, "value") else variant
        return str(pallet.name), str(value["name"]), _docs_text(value.get("docs"))
    except (ValueError, IndexError, KeyError, TypeError, AttributeError):
        return f"Pallet{pallet_index}", f"Error{error_index}", "an error this client's metadata " \
                                                               "does not describe"


def describe_dispatch_error(metadata: Any, error: Any) -> tuple[str, str, str]:
    """(pallet, error, docs) for a decoded `DispatchError`: a pallet's error from the metadata,
    `Token`/`Arithmetic`/`Transactional` errors under those names, and the other variants as
    `System` errors (`System.BadOrigin`). Never None."""
    if isinstance(error, str):
        return "System", error, _DISPATCH_DOCS.get(error, "no documentation")
    if isinstance(error, dict) and len(error) == 1:
        kind, detail = next(iter(error.items()))
        if kind == "Module":
            return _module_error(metadata, detail)
        if kind in _NESTED_DOCS or isinstance(detail, str):
            name = detail if isinstance(detail, str) else str(next(iter(detail), detail))
            return kind, name, _NESTED_DOCS.get(kind, {}).get(name, "no documentation")
        return "System", kind, _DISPATCH_DOCS.get(kind, "no documentation")
    return "System", "Unknown", f"an undecodable dispatch error: {error!r}"


# -------------------------------------------------------------------------------------------
# Transactions

@dataclass
class Included:
    """A transaction that made it into a block and succeeded."""

    block_hash: str
    fee: int
    events: list = field(default_factory=list)
    extrinsic_hash: str = ""


def event_attributes(record: Any) -> tuple[str, str, Any]:
    """(pallet, event, attributes) of an event record as substrate-interface decodes it."""
    event = record.value["event"]
    return event["module_id"], event["event_id"], event["attributes"]


def find_event(events: list, module: str, name: str) -> dict | None:
    """The attributes of the first `module.name` event in `events`."""
    for record in events:
        pallet, event, attributes = event_attributes(record)
        if pallet == module and event == name:
            return attributes
    return None


def paid_fee(events: list) -> int:
    """The fee and tip a transaction paid, from its TransactionFeePaid event (0 without one)."""
    paid = find_event(events, "TransactionPayment", "TransactionFeePaid")
    return int(paid["actual_fee"]) + int(paid["tip"]) if paid else 0


def sign(substrate: SubstrateInterface, signer: Keypair, module: str, function: str,
         params: dict, nonce: int | None = None):
    """The signed extrinsic of a call (for fee queries before submission, or `submit_signed`).
    Without a `nonce`, the signer's next one counting its transactions still in the node's pool
    (`system_accountNextIndex`), so a transaction sent while another waits does not replace it."""
    try:
        if nonce is None:
            nonce = int(rpc(substrate, "system_accountNextIndex", [signer.ss58_address]))
        call = substrate.compose_call(call_module=module, call_function=function, call_params=params)
        return substrate.create_signed_extrinsic(call=call, keypair=signer, nonce=nonce)
    except NETWORK_ERRORS as error:
        raise unreachable(substrate.url, error) from error


def submit(substrate: SubstrateInterface, signer: Keypair, module: str, function: str,
           params: dict, nonce: int | None = None, wait: bool = True,
           inclusion_timeout: float = DEFAULT_INCLUSION_TIMEOUT) -> Included | str:
    """Signs and submits a call. With `wait`, returns its inclusion or raises DispatchFailed
    (included, failed), Refused (never included) or ChainError (not included in time); without,
    returns the transaction hash once the node accepted it into its pool."""
    extrinsic = sign(substrate, signer, module, function, params, nonce)
    return submit_signed(substrate, extrinsic, f"{module}.{function}", wait, inclusion_timeout)


def submit_signed(substrate: SubstrateInterface, extrinsic: Any, label: str, wait: bool = True,
                  inclusion_timeout: float = DEFAULT_INCLUSION_TIMEOUT) -> Included | str:
    """Submits a signed extrinsic; see `submit`."""
    raise_if_interrupted()
    try:
        if not wait:
            try:
                return substrate.rpc_request("author_submitExtrinsic", [str(extrinsic.data)])["result"]
            except SubstrateRequestException as error:
                raise Refused(f"the node refused {label}: {rpc_message(error)}") from error
        block_hash = _watch_until_in_block(substrate, extrinsic, label, inclusion_timeout)
        events = extrinsic_events(substrate, block_hash, "0x" + extrinsic.extrinsic_hash.hex())
    except NETWORK_ERRORS as error:
        raise unreachable(substrate.url, error) from error
    return _outcome(substrate, label, block_hash, events, extrinsic)


def extrinsic_events(substrate: SubstrateInterface, block_hash: str, extrinsic_hash: str) -> list:
    """The events of one extrinsic of a block. The extrinsic is found by hashing the block's raw
    extrinsics, not by decoding them: substrate-interface cannot decode general transactions
    (extrinsic format version 5) and its own receipt lookup fails on any block that holds one.
    OPG nodes send their fee-free transactions bare (format 4), which it reads, but the chain
    also accepts them as general transactions from other senders."""
    block = substrate.rpc_request("chain_getBlock", [block_hash])["result"]["block"]
    for index, raw in enumerate(block["extrinsics"]):
        digest = "0x" + hashlib.blake2b(bytes.fromhex(raw[2:]), digest_size=32).hexdigest()
        if digest == extrinsic_hash.lower():
            return [event for event in substrate.get_events(block_hash)
                    if event.extrinsic_idx == index]
    raise ChainError(f"transaction {extrinsic_hash} is not in block {block_hash}")


def _watch_until_in_block(substrate: SubstrateInterface, extrinsic: Any, label: str,
                          timeout: float) -> str:
    """Submits and watches a transaction until it is in a block; returns that block's hash.
    Each wait for a status update is limited to what is left of `timeout`."""
    deadline = time.monotonic() + timeout
    socket = substrate.websocket
    previous = socket.gettimeout() if socket else None

    def on_status(message: dict, _update: int, subscription: str) -> str | None:
        status = message["params"]["result"]
        if isinstance(status, dict):
            status = {key.lower(): value for key, value in status.items()}
            if "inblock" in status or "finalized" in status:
                substrate.rpc_request("author_unwatchExtrinsic", [subscription])
                return status.get("inblock") or status.get("finalized")
            if "usurped" in status:
                raise Refused(f"{label} was replaced in the pool by another transaction with "
                              "the same nonce")
            if "finalitytimeout" in status:
                raise NotIncluded(f"{label}: its block was not finalized in time")
        elif status in ("dropped", "invalid"):
            raise Refused(f"the node dropped {label} from its pool ({status})")
        left = deadline - time.monotonic()
        if left <= 0:
            raise NotIncluded(f"{label} was not included within {timeout:.0f}s (it may still be "
                              "in the node's pool)")
        if socket:
            socket.settimeout(left)
        return None

    try:
        if socket:
            socket.settimeout(timeout)
        try:
            return substrate.rpc_request("author_submitAndWatchExtrinsic",
                                         [str(extrinsic.data)], result_handler=on_status)
        except SubstrateRequestException as error:
            raise Refused(f"the node refused {label}: {rpc_message(error)}") from error
        except WebSocketTimeoutException as error:
            raise NotIncluded(f"{label} was not included within {timeout:.0f}s (it may still be "
                              "in the node's pool)") from error
    finally:
        if socket:
            socket.settimeout(previous)


def _outcome(substrate: SubstrateInterface, label: str, block_hash: str, events: list,
             extrinsic: Any) -> Included:
    """Included for a successful dispatch; raises DispatchFailed for a failed one."""
    fee = paid_fee(events)
    failed = find_event(events, "System", "ExtrinsicFailed")
    if failed is not None:
        error = failed["dispatch_error"] if isinstance(failed, dict) else failed[0]
        pallet, name, docs = describe_dispatch_error(substrate.metadata, error)
        raise dispatch_failed(label, pallet, name, docs, block_hash, fee, events)
    return Included(block_hash, fee, events, "0x" + extrinsic.extrinsic_hash.hex())


# -------------------------------------------------------------------------------------------
# Command-line entry points

def fail(error: BaseException, code: int = 1) -> None:
    """Prints `error: ...` on stderr and exits with `code`."""
    print(f"error: {error}", file=sys.stderr)
    sys.exit(code)


_interrupted = False


def _on_sigint(_signal: int, _frame: Any) -> None:
    global _interrupted
    _interrupted = True
    raise KeyboardInterrupt


def raise_if_interrupted() -> None:
    """Raises KeyboardInterrupt when Ctrl-C was pressed: websocket-client swallows the one
    raised while it closes a connection (`except: pass`), so the tools check again before every
    call to the node."""
    if _interrupted:
        raise KeyboardInterrupt


def run_cli(main: Callable[[], int], on_interrupt: Callable[[], str] | None = None) -> int:
    """Runs a command-line tool so that no traceback reaches its user: ChainError and lost
    connections print one line and exit 1, Ctrl-C exits 130 (with `on_interrupt()`'s hint),
    anything unexpected prints its type and message (the traceback with OPG_DEBUG=1)."""
    signal.signal(signal.SIGINT, _on_sigint)
    try:
        return main()
    except KeyboardInterrupt:
        hint = on_interrupt() if on_interrupt else ""
        print(f"\ninterrupted{': ' + hint if hint else ''}", file=sys.stderr)
        return 130
    except ChainError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except NETWORK_ERRORS as error:
        print(f"error: lost the connection to the node ({error or type(error).__name__})",
              file=sys.stderr)
        return 1
    except Exception as error:  # noqa: BLE001 - the last line of defence for a user
        if os.environ.get("OPG_DEBUG"):
            raise
        print(f"error: unexpected {type(error).__name__}: {error} (set OPG_DEBUG=1 for the "
              "traceback)", file=sys.stderr)
        return 1
