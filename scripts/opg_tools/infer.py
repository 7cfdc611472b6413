"""Request verified inference and wait for the result: `scripts/infer.sh`.

    scripts/infer.sh --model 0 --input '{"input": [[0.1, 0.2, ...]]}' --mode attested

The input is JSON: an object from input name to a number, a (nested) list or, for string
inputs, strings; a file path works too. The command quotes the fee, sends the request (holding
the fee), shows the job's state on one live line (requested; queued until a node is drawn for
it at the start of the next block, or a later one; assigned; accepted or verifying; final; or
refunded and why) and prints the output tensors and the fee paid. Exit status 0 when final, 2
when refunded (also when no node could be drawn while the job was queued), 1 on any other
error. The work is the SDK's (`opg.jobs`); this is its command line.
"""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal
from pathlib import Path

from opg import chain, jobs
from opg.jobs import MODES, describe, format_opg, output_arrays, refund_reason, variant

def parse_input(text: str) -> dict:
    """The input JSON, from the text or the file it names."""
    source = text
    if not text.lstrip().startswith(("{", "[")) and Path(text).is_file():
        source = Path(text).read_text()
    try:
        data = json.loads(source)
    except json.JSONDecodeError as error:
        raise chain.InvalidInput(f"--input is not JSON ({error}): give an object such as "
                               '{"input": [[1.0, 2.0]]} or a file holding one') from None
    if not isinstance(data, dict):
        raise chain.InvalidInput("--input must be a JSON object from input name to values")
    return data


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
    _, schema, _ = jobs.runnable_version(substrate, args.model)
    job_id, fee, included = jobs.request(substrate, signer, args.model, data, args.mode, max_fee)
    live = sys.stderr.isatty() and not args.json

    def show(record: dict) -> None:
        line = f"job {job_id}: {describe(record)}"
        print(f"\r\033[K{line}" if live else line, end="" if live else "\n", file=sys.stderr,
              flush=True)

    until = jobs.queued_until(substrate, job_id, included.block_hash)
    queued = (f"; queued for a node until block #{until}" if until is not None else "")
    print(f"job {job_id} requested in block {included.block_hash[:10]}…, {format_opg(fee)} held"
          f"{queued}", file=sys.stderr)
    record = jobs.wait(substrate, job_id, "Accepted" if args.until == "accepted" else "Final",
                  args.timeout, show)
    if live:
        print(file=sys.stderr)
    state, fields = variant(record["status"])
    if state == "Refunded":
        if args.json:
            print(json.dumps({"job": job_id, "refunded": refund_reason(fields["reason"]),
                              "reason": variant(fields["reason"])[0]}))
        return 2
    outputs = output_arrays(substrate, job_id, schema)
    if args.json:
        print(json.dumps({"job": job_id, "state": state, "fee": fee,
                          "output": {k: v.tolist() for k, v in outputs.items()}}))
    else:
        for name, array in outputs.items():
            print(f"{name} {list(array.shape)} {array.dtype}:\n{array}")
        print(f"fee: {format_opg(fee)} ({state.lower()})")
    return 0


if __name__ == "__main__":
    sys.exit(chain.run_cli(main))
