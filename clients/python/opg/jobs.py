"""Inference jobs: quote a fee, request inference in any mode, follow a job to its verified
result (or refund), and read its outputs as numpy arrays.

A job moves Queued -> Assigned -> (Accepted | Verifying) -> Final, or ends Refunded; `wait`
follows its record, `follow` and `history` read what the chain said about it block by block
(who ran it, who verified it, what was paid).

A request does not name its node: the block that includes it emits only `JobRequested` and the
job is `Queued`. At the start of the next block the chain draws a node from that block's
randomness (`JobAssigned`, one block after the request); a block that finds no eligible node
leaves the job queued for the next one, until the block `until` of its status, after which it
is refunded (`NoNodeAvailable`). Being queued is the normal first state of every job, not an
error. `scripts/infer.sh` is the command line over this module;
`opg.Client.infer` puts it together in one call.

What a request costs (`fee_quote`): the model's price, the mode's protocol fee, and
`output_byte_fee` for each byte of the largest answer the model's declared outputs allow at the
request's batch (`output_bound`: answers are fee-free transactions, so the request pays for the
block space its answer takes). That total is held until the job is final (paid out) or refunded.
Beside it, `output_byte_deposit` a byte of the same bound is held until the job is pruned
(`Inference.ActiveParameters.retention` blocks after it ended): the state the answer takes, paid
for while it is kept and then handed back.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
from scalecodec.base import ScaleBytes

from . import chain, tensors
from .errors import InvalidInput

MODES = ("vanilla", "attested", "zk", "tee")
# The protocol fee parameter of each mode: a TEE job is one node's execution, as a vanilla one.
FEE_PARAMETER = {"vanilla": "vanilla_fee", "attested": "attested_fee", "zk": "zk_fee",
                 "tee": "vanilla_fee"}
# The most bytes an answer may take encoded where the runtime does not say
# (`Inference.MaxOutputBytes`).
DEFAULT_MAX_OUTPUT_BYTES = 65536
# Job states in the order a job moves through them; Final and Refunded end it.
STATES = ("Queued", "Assigned", "Accepted", "Verifying", "Final", "Refunded")
# Blocks a queued job is tried for (one draw a block) where the runtime does not say
# (`Inference.AssignmentWait`).
DEFAULT_ASSIGNMENT_WAIT = 10


def variant(value) -> tuple[str, dict]:
    """(name, fields) of an enum value as substrate-interface decodes it."""
    if isinstance(value, str):
        return value, {}
    name, fields = next(iter(value.items()))
    return name, fields if isinstance(fields, dict) else {"value": fields}


def runnable_version(substrate, model: int) -> tuple[int, dict, int]:
    """(version, its schema, the model's price) of the version `model` runs now."""
    info = chain.registry(substrate, "Models", [model])
    if info is None:
        raise chain.ChainError(f"model {model} does not exist")
    if info["active_version"] is None or info["suspended"] or variant(info["status"])[0] != "Active":
        raise chain.ChainError(f"model {model} accepts no requests now (suspended, deprecated "
                               "or without an approved complete version)")
    version = int(info["active_version"])
    record = chain.registry(substrate, "Versions", [model, version])
    return version, record["schema"], int(info["price"])


def build_input(schema: dict, data: dict) -> list[dict]:
    """The request's tensors, in the schema's order, from `data` (name -> values)."""
    names = [spec["name"] for spec in schema["inputs"]]
    unknown = set(data) - set(names)
    missing = [name for name in names if name not in data]
    if unknown or missing:
        raise InvalidInput(f"the model takes inputs {names}; missing {missing}, unknown "
                           f"{sorted(unknown)}")
    try:
        return [tensors.to_chain(spec, data[spec["name"]]) for spec in schema["inputs"]]
    except tensors.TensorError as error:
        raise InvalidInput(str(error)) from error


def call_tensors(items: list[dict]) -> tuple:
    """Tensors as a call argument for substrate-interface (BoundedVecs wrapped)."""
    def one(t: dict) -> dict:
        values = t["values"]
        if "Numbers" in values:
            values = {"Numbers": chain.bounded(values["Numbers"])}
        else:
            values = {"Strings": chain.bounded("0x" + s.hex() for s in values["Strings"])}
        return {"name": t["name"], "shape": chain.bounded(t["shape"]), "values": values}
    return chain.bounded(one(t) for t in items)


# The widths `largest_encoded` counts, as primitives/src/inference/tensor.rs does: a compact
# length takes at most 5 bytes for any u32, a number 17 (an i128 and its decimals). The runtime
# computes in u64: a bound beyond it is no bound.
COMPACT = 5
NUMBER = 17
U64_MAX = 2**64 - 1


def batch_of(items: list[dict], specs: list[dict]) -> int:
    """The batch of a request: the largest first dimension among its tensors `items` whose spec
    (in `specs`, the schema's inputs, in the same order) has a dynamic first dimension; 1 when
    none has. An answer's dynamic dimensions may be as large as this, so it sizes the answer a
    request pays for (the runtime's `batch_of`)."""
    sizes = [int(item["shape"][0]) for item, spec in zip(items, specs)
             if spec["shape"] and tensors._dynamic(spec["shape"][0]) and item["shape"]]
    return max(sizes, default=1)


def largest_encoded(specs: list[dict], batch: int) -> int | None:
    """The most bytes a SCALE-encoded tensor set fitting `specs` (a schema's outputs) can take
    when each dynamic dimension is `batch`, exactly as the runtime's `largest_encoded` counts
    them; None when a string tensor makes it unbounded (strings have no size limit of their
    own), or when it overflows the runtime's u64."""
    total = COMPACT
    for spec in specs:
        if tensors.spec_dtype(spec) == "String":
            return None
        elements = 1
        for dim in spec["shape"]:
            elements *= batch if tensors._dynamic(dim) else tensors._fixed(dim)
            if elements > U64_MAX:
                return None
        if elements * NUMBER > U64_MAX:
            return None
        name = COMPACT + name_length(spec["name"])
        shape = COMPACT + 4 * len(spec["shape"])
        values = 1 + COMPACT + elements * NUMBER
        total = min(U64_MAX, total + name + shape + values)  # the runtime's adds saturate
    return total


def name_length(name) -> int:
    """The bytes of a tensor name as the chain holds it. substrate-interface decodes a name as
    text when it is UTF-8 and as `0x` hex when not; a schema built here holds text."""
    if isinstance(name, (bytes, bytearray, list)):
        return len(bytes(name))
    if name.startswith("0x"):
        try:
            raw = bytes.fromhex(name[2:])
            raw.decode()
        except UnicodeDecodeError:
            return len(raw)
        except ValueError:
            pass
    return len(name.encode())


def output_bound(schema: dict, items: list[dict] | None, most: int) -> int:
    """The most bytes the answer to a request of `items` (the chain tensors `build_input`
    makes; None: a request of batch 1) may take encoded: what the request pays for, as the
    runtime computes it. `most` is `Inference.MaxOutputBytes` (`max_output_bytes`), the bound
    of a model whose outputs do not bound their answer (strings)."""
    batch = batch_of(items, schema["inputs"]) if items is not None else 1
    largest = largest_encoded(schema["outputs"], batch)
    return most if largest is None else min(largest, most)


def max_output_bytes(substrate) -> int:
    """The most bytes any answer may take encoded (`Inference.MaxOutputBytes`)."""
    value = substrate.get_constant("Inference", "MaxOutputBytes")
    return int(value.value) if value is not None else DEFAULT_MAX_OUTPUT_BYTES


@dataclass(frozen=True)
class FeeQuote:
    """What a request holds, in planck, as the chain's `FeeQuote` of its job says: `total`
    (`price` + `protocol_fee`) is held until the job is final (paid out) or refunded;
    `output_deposit` is held beside it until the job is pruned, then handed back (paid to
    nobody). `protocol_fee` is the mode's fee plus `output_byte_fee` for each of the
    `output_bound` bytes the answer may take; the deposit is `output_byte_deposit` for each.
    The requester needs `total + output_deposit` free; a request's `max_fee` bounds `total`
    only."""

    price: int
    protocol_fee: int
    total: int
    output_deposit: int
    output_bound: int


def fees(parameters: dict, mode: str, price: int, bound: int) -> FeeQuote:
    """The quote of a request in `mode` for a model priced `price` whose answer may take
    `bound` bytes (`output_bound`), under `parameters` (`Inference.ActiveParameters`)."""
    if mode not in MODES:
        raise InvalidInput(f"unknown mode {mode!r}: use one of {', '.join(MODES)}")
    # A runtime from before output fees has neither parameter: its requests pay nothing a byte.
    byte_fee = int(parameters.get("output_byte_fee", 0))
    byte_deposit = int(parameters.get("output_byte_deposit", 0))
    protocol_fee = int(parameters[FEE_PARAMETER[mode]]) + byte_fee * bound
    return FeeQuote(price=price, protocol_fee=protocol_fee, total=price + protocol_fee,
                    output_deposit=byte_deposit * bound, output_bound=bound)


def fee_quote(substrate, mode: str, price: int, schema: dict,
              items: list[dict] | None = None) -> FeeQuote:
    """What a request in `mode` of a model priced `price` with `schema` holds now, for the
    request's tensors `items` (`build_input`'s; None quotes a request of batch 1: a larger
    batch may pay more, for its larger answer)."""
    parameters = substrate.query("Inference", "ActiveParameters").value
    return fees(parameters, mode, price, output_bound(schema, items, max_output_bytes(substrate)))


def quote(substrate, mode: str, price: int, schema: dict, items: list[dict] | None = None) -> int:
    """The fee a request in `mode` holds until its job ends: the model's price plus the
    protocol fee (the mode's, and the output byte fee of its largest answer), the `total` of
    `fee_quote`, which also says the output deposit held beside it."""
    return fee_quote(substrate, mode, price, schema, items).total


def request(substrate, signer, model: int, data: dict, mode: str,
            max_fee: int | None = None,
            runnable: tuple[int, dict, int] | None = None) -> tuple[int, int, chain.Included]:
    """Sends the request; returns (job id, fee held, inclusion). `max_fee` defaults to the
    fee quoted now for this input, just before sending (it bounds the fee only: the output
    deposit is held beside it, see `fee_quote`); `runnable` is `runnable_version`'s answer
    when the caller read it already (so the version requested is the one whose schema it
    holds)."""
    if mode not in MODES:
        raise InvalidInput(f"unknown mode {mode!r}: use one of {', '.join(MODES)}")
    version, schema, price = runnable if runnable is not None else runnable_version(substrate, model)
    items = build_input(schema, data)
    if max_fee is None:
        max_fee = quote(substrate, mode, price, schema, items)
    included = chain.submit(substrate, signer, "Inference", "request", {
        "model": model, "version": version, "input": call_tensors(items),
        "mode": mode.capitalize(), "max_fee": max_fee})
    requested = chain.find_event(included.events, "Inference", "JobRequested")
    return int(requested["job"]), int(requested["fee"]), included


def job(substrate, job_id: int, block_hash: str | None = None) -> dict | None:
    """The job's record (None once pruned), at the best block or at `block_hash`."""
    return substrate.query("Inference", "Jobs", [job_id], block_hash=block_hash).value


def queued_until(substrate, job_id: int, block_hash: str) -> int | None:
    """The last block in which a node is drawn for `job_id`, as its record says in the block
    `block_hash` that includes its request (where every job is queued); None if the record
    says otherwise."""
    record = job(substrate, job_id, block_hash)
    if record is None:
        return None
    name, fields = variant(record["status"])
    return int(fields["until"]) if name == "Queued" else None


def assignment_wait(substrate) -> int:
    """How many blocks a queued job is tried for before it is refunded (`NoNodeAvailable`)."""
    value = substrate.get_constant("Inference", "AssignmentWait")
    return int(value.value) if value is not None else DEFAULT_ASSIGNMENT_WAIT


def describe(record: dict) -> str:
    """One line for a job's state."""
    name, fields = variant(record["status"])
    node = fields.get("node")
    short = f"{node[:8]}…" if isinstance(node, str) else ""
    if name == "Queued":
        return (f"queued: its node is drawn at the start of the next block (tried until "
                f"block #{fields.get('until')}; refunded if none is free by then)")
    if name == "Assigned":
        return (f"assigned to {short}, answer due by block #{fields.get('deadline')}"
                + (" (reassigned)" if fields.get("reassigned") else ""))
    if name == "Accepted":
        return f"result from {short} accepted against its bond; final when the challenge window closes"
    if name == "Verifying":
        return f"result from {short}; verifiers re-executing it"
    if name == "Final":
        return f"final at block #{fields.get('at')}: verified and paid"
    if name == "Refunded":
        return f"refunded at block #{fields.get('at')}: {refund_reason(fields.get('reason'))}"
    return name


def refund_reason(reason) -> str:
    name, fields = variant(reason)
    if name == "EngineFailed":
        message = fields.get("value", "")
        if isinstance(message, str) and message.startswith("0x"):
            message = bytes.fromhex(message[2:]).decode(errors="replace")
        return f"ONNX Runtime cannot run the model on this input: {message}"
    return {"TimedOut": "no node answered in time", "Rejected": "verifiers rejected the result",
            "Undecided": "verifiers reached no quorum",
            "VerificationUnavailable": "no verifier round could be opened; the node is not "
                                       "blamed",
            "InvalidProofs": "the nodes' ZK proofs did not verify",
            "NoNodeAvailable": "no eligible inference node could be drawn for the job while it "
                               "was queued (every node of its mode stale, chilled or gone); "
                               "it never ran"}.get(name, name)


def rank(state: str) -> int:
    """The position of `state` in STATES (a state this SDK does not know counts as the
    first, so waiting goes on)."""
    return STATES.index(state) if state in STATES else 0


def wait(substrate, job_id: int, until: str = "Final", timeout: float = 300.0,
         on_change=None) -> dict:
    """Polls the job each second until it ends (or reaches `until`); returns its record. A
    queued job is waited for like any other: its node is drawn in a later block.
    `on_change(record)` is called whenever the state changes (Queued first, usually)."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        record = job(substrate, job_id)
        if record is None:
            raise chain.ChainError(f"job {job_id} does not exist (or was pruned)")
        state = variant(record["status"])[0]
        if state != last and on_change:
            on_change(record)
        last = state
        if state in ("Final", "Refunded") or rank(state) >= rank(until):
            return record
        if time.monotonic() > deadline:
            still = ("still queued (no node drawn for it yet)" if state == "Queued"
                     else f"still {state}")
            raise chain.NotIncluded(f"job {job_id} is {still} after {timeout:.0f}s")
        time.sleep(1.0)


def tensors_type(substrate) -> str:
    """The type string of `Tensors` in this runtime's metadata (the request call's input)."""
    call = substrate.get_metadata_call_function("Inference", "request")
    return next(arg.type for arg in call.args if arg.name == "input")


def output(substrate, job_id: int) -> list[dict]:
    """The job's output tensors as the chain holds them."""
    raw = substrate.query("Inference", "Outputs", [job_id]).value
    if raw is None:
        raise chain.ChainError(f"job {job_id} has no output")
    data = bytes.fromhex(raw[2:]) if isinstance(raw, str) else bytes(raw)
    decoded = substrate.runtime_config.create_scale_object(
        tensors_type(substrate), data=ScaleBytes(data)).decode()
    return decoded


def output_arrays(substrate, job_id: int, schema: dict) -> dict[str, np.ndarray]:
    """The job's outputs as numpy arrays, by name, in each output's declared dtype."""
    dtypes = {spec["name"]: tensors.spec_dtype(spec) for spec in schema["outputs"]}
    result = {}
    for tensor in output(substrate, job_id):
        name = tensors.name_of(tensor)
        result[name] = tensors.from_chain(tensor, dtypes.get(name))
    return result


def jobs_of(substrate, requester: str, block_hash: str | None = None) -> dict[int, dict]:
    """The jobs of `requester` (an SS58 address) the chain still holds, by id: open ones and
    ended ones not yet pruned (at the best block, or at `block_hash`). Each holds its output
    deposit (`record["fee"]["output_deposit"]`) until it is pruned."""
    found = {}
    for key, record in substrate.query_map("Inference", "Jobs", page_size=200,
                                           block_hash=block_hash):
        value = record.value
        if value["requester"] == requester:
            found[int(key.value)] = value
    return dict(sorted(found.items()))


def output_deposits(substrate, requester: str, block_hash: str | None = None) -> int:
    """The output deposits the chain holds from `requester` (planck, its `Inference`
    `OutputDeposit` hold): those of its jobs not yet pruned, at the best block or at
    `block_hash`."""
    return sum(int(record["fee"]["output_deposit"])
               for record in jobs_of(substrate, requester, block_hash).values())


# -------------------------------------------------------------------------------------------
# A job's history, from the chain's events

@dataclass
class JobEvent:
    """One event the chain emitted about a job: the block it is in, its name (`JobRequested`,
    `JobAssigned` (a block after the request, or later), `AnswerCommitted` (attested),
    `ResultSubmitted`, `ResultVerified`,
    `ProofVerified`, `TeeResultAccepted`, `JobFinal`, `JobReassigned`, `JobRefunded`, ...) and
    its fields as decoded."""

    block_number: int
    block_hash: str
    name: str
    fields: dict


def block_events(substrate, job_id: int, block_number: int) -> tuple[str, list[JobEvent]]:
    """(block hash, the inference events about `job_id`) of one block of the best chain."""
    block_hash = substrate.get_block_hash(block_number)
    found = []
    for record in substrate.get_events(block_hash):
        pallet, name, attributes = chain.event_attributes(record)
        if pallet == "Inference" and isinstance(attributes, dict) and \
                attributes.get("job") == job_id:
            found.append(JobEvent(block_number, block_hash, name, attributes))
    return block_hash, found


# A job's progress as a person follows it, in order (what `stage_of` answers; the web page
# shows the same stages): its request is in a block and it waits for a node to be drawn
# (queued), a node must answer (assigned), it answered (submitted), the answer was verified
# the mode's way (verified), it is paid out (final); or it ended without a result (refunded).
STAGES = ("queued", "assigned", "submitted", "verified", "final", "refunded")


def stage_of(events: list[JobEvent]) -> str:
    """The stage (one of STAGES) a job's history so far, from its request on, shows: `queued`
    until a `JobAssigned` (which comes a block after the request at the earliest)."""
    stage = "queued"
    for event in events:
        if event.name in ("JobAssigned", "JobReassigned"):
            stage = "assigned"
        elif event.name in ("AnswerCommitted", "ResultSubmitted"):
            # An attested node answers by commitment; its output is public once verified.
            stage = "submitted"
        elif event.name in ("ResultVerified", "ProofVerified", "TeeResultAccepted"):
            stage = "verified"
        elif event.name == "JobFinal":
            stage = "final"
        elif event.name == "JobRefunded":
            stage = "refunded"
    return stage


def history(substrate, job_id: int, since: int, until: int | None = None) -> list[JobEvent]:
    """What the chain said about `job_id` in blocks `since`..`until` (default: the best block),
    oldest first. `since` is the block that holds the request (a `JobRequested` event)."""
    last = until if until is not None else substrate.get_block_number(None)
    events = []
    for number in range(since, last + 1):
        events.extend(block_events(substrate, job_id, number)[1])
    return events


def patience(substrate, mode: str) -> float:
    """Seconds a job in `mode` may take on this chain before something is wrong, from the
    governed parameters in force: the wait for a node (`Inference.AssignmentWait` blocks at
    most; one block when a node is free), two answer periods (one reassignment), then the
    verifier round (attested), the challenge window (vanilla) or two more proving periods
    (ZK), at the chain's block time, with half as much again and a minute to spare. (A fixed
    timeout would give up on every vanilla job of a production chain, whose window is an
    hour.)"""
    inference = substrate.query("Inference", "ActiveParameters").value
    # The verifier round's periods and the challenge window are the attestations pallet's (the
    # bonds and heartbeats are the nodes pallet's).
    attestations = substrate.query("Attestations", "ActiveParameters").value
    blocks = assignment_wait(substrate) + 2 * int(inference["response_period"]) + 2
    if mode == "attested":
        blocks += int(attestations["commit_period"]) + int(attestations["reveal_period"]) + 2
    elif mode == "vanilla":
        blocks += int(attestations["challenge_window"])
    elif mode == "zk":
        blocks += 2 * int(inference["response_period"])
    return blocks * chain.seconds_per_block(substrate) * 1.5 + 60


def follow(substrate, job_id: int, since: int, timeout: float = 300.0,
           until: tuple[str, ...] = ("JobFinal", "JobRefunded"),
           on_event=None) -> list[JobEvent]:
    """Reads each new block from `since` on, collecting the events about `job_id`, until one of
    `until` appears; returns the history so far. `on_event(event)` is called for each as it is
    seen. Raises NotIncluded after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    events: list[JobEvent] = []
    next_block = since
    while True:
        chain.raise_if_interrupted()
        head = substrate.get_block_number(None)
        while next_block <= head:
            for event in block_events(substrate, job_id, next_block)[1]:
                events.append(event)
                if on_event:
                    on_event(event)
                if event.name in until:
                    return events
            next_block += 1
        if time.monotonic() > deadline:
            seen = events[-1].name if events else "JobRequested"
            if stage_of(events) == "queued":
                seen += "; the job is still queued: no node drawn for it yet"
            raise chain.NotIncluded(f"job {job_id}: no {' or '.join(until)} within "
                                    f"{timeout:.0f}s (last seen: {seen})")
        time.sleep(0.5)


@dataclass
class Verification:
    """What made the chain accept a result.

    `kind` is the job's mode: `vanilla` (accepted against `node`'s bond, final once the
    challenge window closed unchallenged), `attested` (`verifiers` re-executed it and agreed),
    `zk` (`node`'s Groth16 proof verified on chain in `block_number`), `tee` (signed by
    `enclave_key`, the key of an enclave whose attestation the chain verified; `insecure` for
    the dev chain's software enclave)."""

    kind: str
    node: str
    block_number: int
    verifiers: list[str] = field(default_factory=list)
    enclave_key: str | None = None
    insecure: bool = False


def verification_of(mode: str, events: list[JobEvent]) -> Verification:
    """The verification of a final job from its history."""
    final = next(e for e in events if e.name == "JobFinal")
    node = final.fields["node"]
    by_name = {e.name: e for e in events}
    if mode == "attested" and "ResultVerified" in by_name:
        verified = by_name["ResultVerified"]
        return Verification("attested", node, verified.block_number,
                            verifiers=list(verified.fields["verifiers"]))
    if mode == "zk" and "ProofVerified" in by_name:
        return Verification("zk", node, by_name["ProofVerified"].block_number)
    if mode == "tee" and "TeeResultAccepted" in by_name:
        accepted = by_name["TeeResultAccepted"]
        return Verification("tee", node, accepted.block_number,
                            enclave_key=accepted.fields["enclave_key"],
                            insecure=bool(accepted.fields["insecure"]))
    return Verification(mode, node, final.block_number)


def outputs_of(events: list[JobEvent], schema: dict) -> dict[str, np.ndarray]:
    """The accepted output, by name, as numpy arrays in each output's declared dtype: the
    last `ResultSubmitted` of the history (a reassigned job's earlier answers never count)."""
    submitted = [e for e in events if e.name == "ResultSubmitted"]
    if not submitted:
        raise chain.ChainError("the job's history holds no result")
    dtypes = {spec["name"]: tensors.spec_dtype(spec) for spec in schema["outputs"]}
    return {tensors.name_of(t): tensors.from_chain(t, dtypes.get(tensors.name_of(t)))
            for t in submitted[-1].fields["output"]}


def format_opg(amount: int) -> str:
    """An amount in planck as OPG for a person: `0.06 OPG`."""
    return f"{Decimal(amount) / chain.OPG:f} OPG"
