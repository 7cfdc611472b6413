"""ZK-mode benchmarks for `scripts/bench.sh`: our Groth16 prover against EZKL on the same models,
on this machine, in the same run.

For each model size a two-layer float MLP with random weights (`zk.dense_mlp`) is quantized by
`zk.quantize` (calibrated on normal samples); `opg-node zk-setup` runs the setup and
`opg-node zk-prove` proves one input (after checking ONNX Runtime's output against the
circuit's) and verifies natively. EZKL 23.0.5 proves the float model itself with its default
settings, public input and output and fixed weights (`ezkl_bench`). Peak memory is each
command's maximum resident set, from GNU time.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from . import zk

# (name, inputs, hidden, outputs): the three sizes, MNIST's among them.
SIZES = (
    ("mlp-16-32-4", 16, 32, 4),
    ("mlp-64-128-10", 64, 128, 10),
    ("mlp-784-56-10", 784, 56, 10),
)
SEED = "5a" * 32


def timed(command: list[str]) -> tuple[dict, int]:
    """Runs an opg-node command that prints one JSON line; returns it and the peak RSS in bytes."""
    run = subprocess.run(["/usr/bin/time", "-f", "OPG-PEAK-KB %M", *command],
                         capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:2])} failed: {run.stderr.strip()[-400:]}")
    peak = next(int(line.split()[1]) for line in run.stderr.splitlines()
                if line.startswith("OPG-PEAK-KB"))
    return json.loads(run.stdout.strip().splitlines()[-1]), peak * 1024


def ours(node_bin: str, name: str, inputs: int, hidden: int, outputs: int, folder: Path,
         repeat: int) -> dict:
    rng = np.random.default_rng(inputs * 1000 + hidden)
    float_model = zk.dense_mlp(inputs, hidden, outputs, seed=hidden)
    (folder / f"{name}.onnx").write_bytes(float_model)
    samples = rng.standard_normal((64, inputs))
    quantized = zk.quantize(zk.read_mlp(float_model), samples, output_name="logits")
    model = folder / f"{name}-zk.onnx"
    model.write_bytes(quantized.model)
    keys = folder / f"{name}-keys"
    # A public seed: these keys only measure.
    setup, setup_peak = timed([node_bin, "zk-setup", str(model), "--seed", SEED, "--out", str(keys)])
    x = quantized.quantize_input(samples[:1])
    feed = [{"name": "input", "shape": [1, inputs],
             "values": {"Numbers": [{"value": int(v), "decimals": 0} for v in x.flatten()]}}]
    (folder / f"{name}-in.json").write_text(json.dumps(feed))
    proved, prove_peak = timed([node_bin, "zk-prove", str(model), "--input", str(folder / f"{name}-in.json"),
                                "--proving-key", setup["proving_key_file"],
                                "--verifying-key", setup["verifying_key_file"], "--repeat", str(repeat)])
    return {
        "constraints": setup["constraints"],
        "public_inputs": setup["public_inputs"],
        "setup_s": setup["setup_ms"] / 1e3,
        "prove_s": proved["prove_ms_min"] / 1e3,
        "prove_mean_s": proved["prove_ms_mean"] / 1e3,
        "verify_native_ms": proved["verify_native_ms_min"],
        "proof_bytes": proved["proof_bytes"],
        "pk_bytes": setup["proving_key_bytes"],
        "vk_bytes": setup["verifying_key_bytes"],
        "peak_bytes": max(setup_peak, prove_peak),
        "sample": samples[0].tolist(),
        "float_model": str(folder / f"{name}.onnx"),
    }


# The ceremony's cost by circuit size (issue 35): MNIST's (about 10k constraints) and about
# 100k constraints (a 10,000-input layer: its input bits dominate).
CEREMONY_SIZES = (
    ("mlp-784-56-10", 784, 56, 10),
    ("mlp-10000-64-10", 10000, 64, 10),
)


def ceremony(node_bin: str, folder: Path) -> list[dict]:
    """A contribution's time and key-state size, and the check of a final key against its
    initial key, at each size of `CEREMONY_SIZES`; the initial key's computation from the dev
    ptau at the sizes it covers. The keys contributed to come from a seed setup: a contribution
    costs the same whatever made the key."""
    ptau = folder / "dev.ptau"
    timed([node_bin, "zk-dev-ptau", "--out", str(ptau)])
    rows = []
    for name, inputs, hidden, outputs in CEREMONY_SIZES:
        float_model = zk.dense_mlp(inputs, hidden, outputs, seed=hidden)
        samples = np.random.default_rng(inputs).standard_normal((16, inputs))
        quantized = zk.quantize(zk.read_mlp(float_model), samples, output_name="logits")
        model = folder / f"{name}-ceremony.onnx"
        model.write_bytes(quantized.model)
        keys = folder / f"{name}-ceremony-keys"
        setup, _ = timed([node_bin, "zk-setup", str(model), "--seed", SEED, "--out", str(keys)])
        contributed, peak = timed([node_bin, "zk-contribute", "--key", setup["proving_key_file"],
                                   "--genesis", "00" * 32, "--model", "0", "--version", "1",
                                   "--index", "0", "--author", "00" * 32, "--out", str(keys)])
        checked, _ = timed([node_bin, "zk-verify-key", "--initial", setup["proving_key_file"],
                            "--key", contributed["key_file"]])
        row = {"name": name, "constraints": setup["constraints"], "domain": setup["domain"],
               "contribute_s": contributed["contribute_ms"] / 1e3,
               "state_bytes": contributed["state_bytes"], "contribute_peak_bytes": peak,
               "verify_key_s": checked["verify_ms"] / 1e3}
        if setup["domain"] <= 1 << 14:
            initial, _ = timed([node_bin, "zk-init", str(model), "--ptau", str(ptau),
                                "--out", str(folder / f"{name}-init")])
            row["init_s"] = initial["init_ms"] / 1e3
        rows.append(row)
    return rows


def ezkl(float_model: str, sample: list, folder: Path) -> dict:
    """EZKL on the same float model and input, or why it could not run."""
    try:
        from . import ezkl_bench
    except ImportError as error:  # the package is missing: say so in the table
        return {"error": f"ezkl not installed ({error})"}
    try:
        return ezkl_bench.measure(float_model, [sample], str(folder))
    except Exception as error:  # noqa: BLE001 - the table says what failed instead of stopping
        return {"error": str(error)[:200]}


def measure(node_bin: str, repeat: int = 5, with_ezkl: bool = True) -> list[dict]:
    """Every size: our figures and EZKL's; then the ceremony's (a row named `ceremony`)."""
    results = []
    with tempfile.TemporaryDirectory(prefix="opg-zkbench-") as tmp:
        folder = Path(tmp)
        results.append({"name": "ceremony", "rows": ceremony(node_bin, folder)})
        for name, inputs, hidden, outputs in SIZES:
            row = {"name": name, "ours": ours(node_bin, name, inputs, hidden, outputs, folder, repeat)}
            if with_ezkl:
                work = folder / f"{name}-ezkl"
                work.mkdir()
                row["ezkl"] = ezkl(row["ours"]["float_model"], row["ours"]["sample"], work)
            results.append(row)
    return results


def mb(n: float) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.1f} KB"


def table(results: list[dict], verify: dict) -> list[str]:
    """The ZK section of docs/benchmarks.md."""
    cores = os.cpu_count() or 1
    lines = [
        "## ZK mode",
        "",
        "Ours: `opg-node zk-setup` and `zk-prove` (Groth16 on BN254, arkworks 0.6, all cores); "
        "EZKL 23.0.5 (halo2/KZG, its default settings, public input and output, fixed weights, "
        "local `gen_srs`) on the same float model and input. Proving time is the best of the "
        "runs; peak memory is the command's maximum resident set.",
        "",
        "| model | constraints | setup | prove | verify (native) | proof | proving key | peak memory "
        "| EZKL setup | EZKL prove | EZKL proving key | EZKL proof | EZKL peak | prove ratio (EZKL / ours) "
        "| constraints/s/core |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    ceremony_rows = next((r["rows"] for r in results if r["name"] == "ceremony"), [])
    for row in (r for r in results if r["name"] != "ceremony"):
        o, e = row["ours"], row.get("ezkl", {"error": "not run"})
        rate = o["constraints"] / o["prove_s"] / cores
        if "error" in e:
            ez = [f"({e['error']})"] + [""] * 4
            ratio = ""
        else:
            proof = mb(e.get("proof_raw_bytes") or e["proof_bytes"])
            ez = [f"{e['setup_s']:.2f} s", f"{e['prove_s']:.2f} s", mb(e["pk_bytes"]),
                  f"{proof} (proof.json {mb(e['proof_bytes'])})", mb(e["peak_rss_bytes"])]
            ratio = f"{e['prove_s'] / o['prove_s']:.0f}x"
        lines.append(
            f"| {row['name']} | {o['constraints']:,} | {o['setup_s']:.2f} s | "
            f"{o['prove_s'] * 1e3:.0f} ms | {o['verify_native_ms']:.2f} ms | {o['proof_bytes']} B | "
            f"{mb(o['pk_bytes'])} | {mb(o['peak_bytes'])} | " + " | ".join(ez)
            + f" | {ratio} | {rate:,.0f} |")
    lines.append("")
    if verify:
        lines += [
            "| verification of the fixture proof (16-12-4 MLP) | measured | anchor | ratio | target |",
            "|---|---|---|---|---|",
            f"| in the wasm runtime, BN254 through the host functions (`verify_proof` "
            f"benchmark) | {verify['wasm_us']:.0f} µs | native arkworks: {verify['native_us']:.0f} µs "
            f"| {verify['wasm_us'] / verify['native_us']:.2f}x | 1.2x or better |",
            f"| ZK answers per 6 s block by weight (`submit_proof`: {verify['submit_proof_us']:.0f} µs, "
            f"{verify['normal_ms']} ms normal budget) | {verify['zk_answers_by_weight']} | | | "
            "300 |",
            "",
        ]
    if ceremony_rows:
        lines += [
            "### The key ceremony",
            "",
            "A contribution off chain (`opg-node zk-contribute`: `delta` and the `L` and `H` "
            "queries scaled, all cores), the key state it publishes (the proving key), an "
            "attester's check of a final key against the initial key (`zk-verify-key`), and the "
            "initial key from the dev ptau (`zk-init`, where the dev ptau's power covers the "
            "circuit).",
            "",
            "| model | constraints | QAP domain | contribution | key state | contribution peak "
            "memory | key check | initial key |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for c in ceremony_rows:
            init = f"{c['init_s']:.1f} s" if "init_s" in c else "(over the dev ptau's power)"
            lines.append(
                f"| {c['name']} | {c['constraints']:,} | {c['domain']:,} | {c['contribute_s']:.2f} s "
                f"| {mb(c['state_bytes'])} | {mb(c['contribute_peak_bytes'])} | "
                f"{c['verify_key_s']:.2f} s | {init} |")
        lines.append("")
        if verify.get("contribute_us"):
            lines += [
                "| on chain, in the wasm runtime | measured | anchor | ratio | target |",
                "|---|---|---|---|---|",
                f"| `ZkCeremony.contribute` (a real contribution checked through the host "
                f"functions, committing to MNIST's 47-chunk key state; `contribute` benchmark) "
                f"| {verify['contribute_us']:.0f} µs | "
                f"`verify_proof`: {verify['wasm_us']:.0f} µs | "
                f"{verify['contribute_us'] / verify['wasm_us']:.2f}x | 1x or less |",
                "",
            ]
    lines += [
        "Targets: proving at least 200x faster than EZKL on the same model; at least 30,000 "
        "constraints per second per core; verification in wasm within 1.2x of native.",
        "",
    ]
    return lines


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description="ZK benchmarks (prints JSON)")
    parser.add_argument("--node", required=True)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-ezkl", action="store_true")
    args = parser.parse_args()
    print(json.dumps(measure(args.node, args.repeat, not args.no_ezkl), indent=2))


if __name__ == "__main__":
    main()
