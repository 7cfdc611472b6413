"""Request verified inference and wait for the result: `scripts/infer.sh`.

    scripts/infer.sh --model 0 --input '{"input": [[0.1, 0.2, ...]]}' --mode attested

The input is JSON: an object from input name to a number, a (nested) list or, for string
inputs, strings; a file path works too. The command quotes the fee, sends the request (holding
the fee), shows the job's state on one live line (requested, assigned, result submitted,
verified, final; or refunded and why) and prints the output tensors and the fee paid. Exit
status 0 when final, 2 when refunded, 1 on any other error.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from decimal import Decimal
from pathlib import Path

import numpy as np
from scalecodec.base import ScaleBytes

from . import chain, tensors

MODES = ("vanilla", "attested", "zk", "tee")
# The protocol fee parameter of each mode: a TEE job is one node's execution, as a vanilla one.
FEE_PARAMETER = {"vanilla": "vanilla_fee", "attested": "attested_fee", "zk": "zk_fee",
                 "tee": "vanilla_fee"}
# Job states in the order a job moves through them; Final and Refunded end it.
STATES = ("Assigned", "Accepted", "Verifying", "Final", "Refunded")


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


def parse_input(text: str) -> dict:
    """The input JSON, from the text or the file it names."""
    source = text
    if not text.lstrip().startswith(("{", "[")) and Path(text).is_file():
        source = Path(text).read_text()
    try:
        data = json.loads(source)
    except json.JSONDecodeError as error:
        raise chain.ChainError(f"--input is not JSON ({error}): give an object such as "
                               '{"input": [[1.0, 2.0]]} or a file holding one') from None
    if not isinstance(data, dict):
        raise chain.ChainError("--input must be a JSON object from input name to values")
    return data


def build_input(schema: dict, data: dict) -> list[dict]:
    """The request's tensors, in the schema's order, from `data` (name -> values)."""
    names = [spec["name"] for spec in schema["inputs"]]
    unknown = set(data) - set(names)
    missing = [name for name in names if name not in data]
    if unknown or missing:
        raise chain.ChainError(f"the model takes inputs {names}; missing {missing}, unknown "
                               f"{sorted(unknown)}")
    try:
        return [tensors.to_chain(spec, data[spec["name"]]) for spec in schema["inputs"]]
    except tensors.TensorError as error:
        raise chain.ChainError(str(error)) from error


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


def quote(substrate, mode: str, price: int) -> int:
    """The fee a request in `mode` holds: the model's price plus the protocol fee."""
    parameters = substrate.query("Inference", "ActiveParameters").value
    return price + int(parameters[FEE_PARAMETER[mode]])


def request(substrate, signer, model: int, data: dict, mode: str,
            max_fee: int | None = None) -> tuple[int, int, chain.Included]:
    """Sends the request; returns (job id, fee held, inclusion)."""
    if mode not in MODES:
        raise chain.ChainError(f"unknown mode {mode!r}: use one of {', '.join(MODES)}")
    version, schema, price = runnable_version(substrate, model)
    fee = quote(substrate, mode, price)
    items = build_input(schema, data)
    included = chain.submit(substrate, signer, "Inference", "request", {
        "model": model, "version": version, "input": call_tensors(items),
        "mode": mode.capitalize(), "max_fee": fee if max_fee is None else max_fee})
    requested = chain.find_event(included.events, "Inference", "JobRequested")
    return int(requested["job"]), int(requested["fee"]), included


def job(substrate, job_id: int) -> dict | None:
    """The job's record (None once pruned)."""
    return substrate.query("Inference", "Jobs", [job_id]).value


def describe(record: dict) -> str:
    """One line for a job's state."""
    name, fields = variant(record["status"])
    node = fields.get("node")
    short = f"{node[:8]}…" if isinstance(node, str) else ""
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
            "InvalidProofs": "the nodes' ZK proofs did not verify"}.get(name, name)


def wait(substrate, job_id: int, until: str = "Final", timeout: float = 300.0,
         on_change=None) -> dict:
    """Polls the job each second until it ends (or reaches `until`); returns its record."""
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
        if state in ("Final", "Refunded") or STATES.index(state) >= STATES.index(until):
            return record
        if time.monotonic() > deadline:
            raise chain.NotIncluded(f"job {job_id} is still {state} after {timeout:.0f}s")
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


def opg(amount: int) -> str:
    return f"{Decimal(amount) / chain.OPG:f} OPG"


def parser() -> argparse.ArgumentParser:
    parse = argparse.ArgumentParser(prog="infer.sh", description=__doc__,
                                    formatter_class=argparse.RawDescriptionHelpFormatter)
    parse.add_argument("--model", type=int, required=True, help="the model id")
    parse.add_argument("--input", required=True, help="JSON object name -> values, or a file")
    parse.add_argument("--mode", default="vanilla", choices=MODES)
    parse.add_argument("--max-fee", help="most OPG to pay (default: the quoted fee)")
    parse.add_argument("--url", default="ws://127.0.0.1:9944", help="node RPC endpoint")
    parse.add_argument("--suri", default="//Alice", help="secret URI or mnemonic of the payer")
    parse.add_argument("--until", default="final", choices=("accepted", "final"),
                       help="wait until the result is accepted (vanilla, against the node's "
                            "bond) or final (default)")
    parse.add_argument("--timeout", type=float, default=300.0, help="longest wait in seconds")
    parse.add_argument("--json", action="store_true", help="print the result as JSON")
    return parse


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    data = parse_input(args.input)
    signer = chain.keypair(args.suri)
    max_fee = None if args.max_fee is None else int(Decimal(args.max_fee) * chain.OPG)
    substrate = chain.connect(args.url)
    _, schema, _ = runnable_version(substrate, args.model)
    job_id, fee, included = request(substrate, signer, args.model, data, args.mode, max_fee)
    live = sys.stderr.isatty() and not args.json

    def show(record: dict) -> None:
        line = f"job {job_id}: {describe(record)}"
        print(f"\r\033[K{line}" if live else line, end="" if live else "\n", file=sys.stderr,
              flush=True)

    print(f"job {job_id} requested in block {included.block_hash[:10]}…, {opg(fee)} held",
          file=sys.stderr)
    record = wait(substrate, job_id, "Accepted" if args.until == "accepted" else "Final",
                  args.timeout, show)
    if live:
        print(file=sys.stderr)
    state, fields = variant(record["status"])
    if state == "Refunded":
        if args.json:
            print(json.dumps({"job": job_id, "refunded": refund_reason(fields["reason"])}))
        return 2
    outputs = output_arrays(substrate, job_id, schema)
    if args.json:
        print(json.dumps({"job": job_id, "state": state, "fee": fee,
                          "output": {k: v.tolist() for k, v in outputs.items()}}))
    else:
        for name, array in outputs.items():
            print(f"{name} {list(array.shape)} {array.dtype}:\n{array}")
        print(f"fee: {opg(fee)} ({state.lower()})")
    return 0


if __name__ == "__main__":
    sys.exit(chain.run_cli(main))
