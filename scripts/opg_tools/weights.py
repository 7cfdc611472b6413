"""The generated weights at their worst case, and how they changed.

Reads the `WeightInfo` implementations that frame-benchmarking-cli wrote (the OPG pallets'
`pallets/NAME/src/weights.rs`, the governance pallets' `runtime/src/weights/*.rs`) and evaluates
each weight function with every component at the top of its benchmarked range, the database
reads and writes at the runtime's ParityDB weights, as the runtime charges it.

    python3 -m opg_tools.weights table            # every function's worst case now
    python3 -m opg_tools.weights compare REV      # old (at git revision REV) beside new

The table is what a closing note or `docs/benchmarks.md` shows of a regeneration.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# frame_support::weights::constants::ParityDbWeight, in picoseconds.
READ_PS = 8_000_000
WRITE_PS = 50_000_000

FUNCTION = re.compile(
    r"((?:\t///[^\n]*\n)*)\tfn (\w+)\(([^)]*)\) -> Weight \{\n(.*?)\n\t\}", re.S
)
RANGE = re.compile(r"The range of component `(\w+)` is `\[(\d+), (\d+)\]`")
TERM = re.compile(r"\.saturating_add\((.*)\)\s*$")
PARTS = re.compile(r"Weight::from_parts\(([\d_]+),\s*([\d_]+)\)")
DB = re.compile(r"DbWeight::get\(\)\.(reads|writes)\((.*)\)$")
MUL = re.compile(r"\.saturating_mul\((\w+)\.into\(\)\)")


@dataclass
class Worst:
    """A weight function at its worst case: picoseconds and proof bytes."""

    ref_time: int
    proof: int


def _int(text: str) -> int:
    return int(text.replace("_", ""))


def _term(expression: str, components: dict[str, int]) -> Worst:
    """One term of a generated weight: a constant, a database access or either times a
    component."""
    factor = 1
    for name in MUL.findall(expression):
        factor *= components[name]
    expression = MUL.sub("", expression)
    parts = PARTS.search(expression)
    db = DB.search(expression.replace("T::", "").replace("ParityDbWeight::get()", "DbWeight::get()"))
    if db:
        count = _int(re.search(r"(\d[\d_]*?)(?:_u64)?\b", db.group(2)).group(1))
        per = READ_PS if db.group(1) == "reads" else WRITE_PS
        return Worst(count * per * factor, 0)
    if parts:
        return Worst(_int(parts.group(1)) * factor, _int(parts.group(2)) * factor)
    raise ValueError(f"cannot read weight term: {expression}")


def worst_cases(source: str) -> dict[str, Worst]:
    """The worst case of every function of the measured implementation in `source` (the
    first `impl ... WeightInfo for`, which is the one the runtime uses)."""
    start = source.find("WeightInfo for")
    end = source.find("WeightInfo for ()", start + 1)
    body = source[start : end if end > 0 else len(source)]
    result = {}
    for docs, name, _, code in FUNCTION.findall(body):
        components = {c: int(hi) for c, _, hi in RANGE.findall(docs)}
        lines = [line.strip() for line in code.splitlines() if line.strip() and not line.strip().startswith("//")]
        total = Worst(0, 0)
        first = lines[0]
        head = PARTS.search(first)
        if head:
            total = Worst(_int(head.group(1)), _int(head.group(2)))
        joined = " ".join(lines[1:])
        for term in re.findall(r"\.saturating_add\(((?:[^()]|\((?:[^()]|\((?:[^()]|\([^()]*\))*\))*\))*)\)", joined):
            value = _term(term, components)
            total = Worst(total.ref_time + value.ref_time, total.proof + value.proof)
        result[name] = total
    return result


def weight_files(root: Path) -> list[Path]:
    """Every generated `WeightInfo` implementation (not the base weights of
    `benchmark overhead`, which are constants)."""
    files = sorted(root.glob("pallets/*/src/weights.rs")) + sorted(root.glob("runtime/src/weights/*.rs"))
    return [path for path in files if "WeightInfo for" in path.read_text()]


def pallet_of(path: Path) -> str:
    return path.parent.parent.name if path.name == "weights.rs" else path.stem


def at_revision(revision: str, path: Path) -> str | None:
    relative = path.relative_to(ROOT)
    shown = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{revision}:{relative}"],
        capture_output=True,
        text=True,
    )
    return shown.stdout if shown.returncode == 0 else None


def ms(ps: int) -> str:
    return f"{ps / 1e9:,.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("table", help="every weight function's worst case now")
    compare = sub.add_parser("compare", help="old (at a git revision) beside new")
    compare.add_argument("revision")
    args = parser.parse_args(argv)

    if args.command == "table":
        print("| pallet | function | ms | proof KiB |")
        print("|---|---|---:|---:|")
    else:
        print(f"| pallet | function | old ms ({args.revision}) | new ms | new/old | old proof KiB | new proof KiB |")
        print("|---|---|---:|---:|---:|---:|---:|")
    for path in weight_files(ROOT):
        new = worst_cases(path.read_text())
        old_source = at_revision(args.revision, path) if args.command == "compare" else None
        old = worst_cases(old_source) if old_source else {}
        for name, weight in new.items():
            if args.command == "table":
                print(f"| {pallet_of(path)} | `{name}` | {ms(weight.ref_time)} | {weight.proof / 1024:,.1f} |")
                continue
            before = old.get(name)
            if before is None:
                print(f"| {pallet_of(path)} | `{name}` | (new) | {ms(weight.ref_time)} | | | {weight.proof / 1024:,.1f} |")
            else:
                ratio = weight.ref_time / before.ref_time if before.ref_time else float("inf")
                print(
                    f"| {pallet_of(path)} | `{name}` | {ms(before.ref_time)} | {ms(weight.ref_time)} | "
                    f"{ratio:.2f} | {before.proof / 1024:,.1f} | {weight.proof / 1024:,.1f} |"
                )
        for name in old.keys() - new.keys():
            print(f"| {pallet_of(path)} | `{name}` | {ms(old[name].ref_time)} | (gone) | | | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
