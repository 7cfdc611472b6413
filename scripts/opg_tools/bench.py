"""The measurements of scripts/bench.sh, written to docs/benchmarks.md (see that script)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from opg import chain, jobs, models, tensors
from . import testmodels, zkbench

SCRIPTS = Path(__file__).resolve().parents[1]


def attested_capacity(runtime: dict) -> list[str]:
    """The row of attested jobs a block holds when every participant reveals the largest
    output allowed (absent from reports made before full reveals)."""
    if "attested_jobs_by_weight" not in runtime:
        return []
    return [
        f"| attested jobs per block with full reveals at the largest output "
        f"({runtime['attested_output_bytes']:,} bytes, committee {runtime['attested_committee']}: "
        f"{runtime['attested_job_us']} µs, {runtime['attested_job_len']:,} bytes a job) by weight "
        f"/ by length | {runtime['attested_jobs_by_weight']} / "
        f"{runtime['attested_jobs_by_length']} | | | |"]


def engine_vs_python(node_bin: str, runs: int, folder: Path) -> dict:
    """Median microseconds of one inference: the node's engine and Python onnxruntime."""
    import onnxruntime
    data = testmodels.mlp(inputs=16, hidden=32, outputs=4, seed=3)
    path = folder / "mlp.onnx"
    path.write_bytes(data)
    spec = models.schema_from_onnx(data)["inputs"][0]
    x = np.random.default_rng(1).standard_normal((1, 16)).astype(np.float32)
    (folder / "in.json").write_text(json.dumps([tensors.to_chain(spec, x)]))
    run = subprocess.run([node_bin, "run-model", str(path), "--input", str(folder / "in.json"),
                          "--repeat", str(runs)], capture_output=True, text=True, check=True)
    ours = json.loads(run.stderr.strip().splitlines()[-1])
    session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    feeds = {"input": x}
    for _ in range(1000):
        session.run(None, feeds)
    times = []
    for _ in range(runs):
        started = time.perf_counter_ns()
        session.run(None, feeds)
        times.append(time.perf_counter_ns() - started)
    python_us = statistics.median(times) / 1e3
    return {"engine_us": ours["median_us"], "python_us": python_us,
            "ratio": ours["median_us"] / python_us}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def block_of(substrate, block_hash: str) -> int:
    return substrate.get_block_number(block_hash)


def first_block(substrate, job: int, since: int, states: tuple[str, ...]) -> int:
    """The first block from `since` in whose state the job is in one of `states`."""
    head = substrate.get_block_number(substrate.get_chain_head())
    for number in range(since, head + 1):
        record = substrate.query("Inference", "Jobs", [job],
                                 block_hash=substrate.get_block_hash(number)).value
        if record and jobs.variant(record["status"])[0] in states:
            return number
    raise RuntimeError(f"job {job} never reached {states}")


def blocks_per_state(node_bin: str, folder: Path) -> dict:
    """Blocks from request to assignment (the node is drawn at the start of the next block),
    to vanilla acceptance (the draw block, then the block with the answer), vanilla final and
    attested final, on a dev node started for the purpose."""
    port = free_port()
    log = open(folder / "node.log", "wb")
    process = subprocess.Popen(
        [node_bin, "--dev", "--base-path", str(folder / "chain"), "--rpc-port", str(port),
         "--port", str(free_port()), "--prometheus-port", str(free_port()), "--no-mdns"],
        stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"ws://127.0.0.1:{port}"
        chain.wait_for_node(url)
        model_file = folder / "mlp.onnx"
        upload = subprocess.run([str(SCRIPTS / "upload-model.sh"), str(model_file), "--url", url,
                                 "--quiet", "--json", "--price", "0.01"],
                                capture_output=True, text=True, check=True)
        model = int(json.loads(upload.stdout.strip().splitlines()[-1])["model_id"])
        substrate = chain.connect(url)
        alice = chain.keypair("//Alice")
        data = {"input": np.zeros((1, 16), dtype=np.float32).tolist()}
        result = {}
        for mode in ("vanilla", "attested"):
            job, _, included = jobs.request(substrate, alice, model, data, mode)
            requested = block_of(substrate, included.block_hash)
            jobs.wait(substrate, job, timeout=300)
            assigned = first_block(substrate, job, requested,
                                   ("Assigned", "Accepted", "Verifying", "Final"))
            answered = first_block(substrate, job, requested, ("Accepted", "Verifying", "Final"))
            final = first_block(substrate, job, requested, ("Final",))
            result[mode] = {"assigned": assigned - requested, "answered": answered - requested,
                            "final": final - requested}
        substrate.close()
        return result
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def write(out: Path, engine: dict, blocks: dict, runtime: dict, runs: int,
          zk_results: list[dict]) -> None:
    cpu = platform.processor() or platform.machine()
    cores = os.cpu_count()
    lines = [
        "# Benchmarks",
        "",
        f"Written by `scripts/bench.sh` on {time.strftime('%Y-%m-%d')} ({cpu}, {cores} cores). "
        "Each figure stands beside its anchor, measured in the same run.",
        "",
        "| what | measured | anchor | ratio | target |",
        "|---|---|---|---|---|",
        f"| one inference, 16-32-4 MLP, batch 1 (median of {runs}): `opg-node run-model`, the "
        f"chain's tensor encoding and decoding included | {engine['engine_us']:.2f} µs | Python "
        f"onnxruntime `sess.run`: {engine['python_us']:.2f} µs | {engine['ratio']:.2f}x | 0.6x or "
        "better |",
        f"| blocks from request to assignment (the node drawn from the next block's randomness) "
        f"| {blocks['vanilla']['assigned']} | the next block: 1 | | 1 |",
        f"| blocks from request to vanilla acceptance | {blocks['vanilla']['answered']} | the "
        "draw block and the answer block: 2 | | 2 |",
        f"| blocks from request to vanilla final (dev challenge window 10) | "
        f"{blocks['vanilla']['final']} | | | |",
        f"| blocks from request to attested final (dev committee 3) | "
        f"{blocks['attested']['final']} | | | |",
        f"| requests per block by weight, 128 inference nodes (the request "
        f"{runtime['request_own_us']} µs + the next block's draw {runtime['hook_per_job_128_us']} "
        f"µs per job, {runtime['normal_ref_time_ms']} ms normal budget) | "
        f"{runtime['requests_by_weight_128']} | | | 1,000 per 6 s block |",
        f"| requests per block by weight, 10,000 nodes (the request {runtime['request_own_us']} µs "
        f"+ the draw {runtime['hook_per_job_10k_us']} µs per job) | "
        f"{runtime['requests_by_weight']} | | | 1,000 per 6 s block |",
        f"| the assignment hook's cost per job, full block of "
        f"{runtime.get('assignments_per_block', 1024)} jobs: 128 / 10,000 nodes | "
        f"{runtime['hook_per_job_128_us']} / {runtime['hook_per_job_10k_us']} µs | | | |",
        f"| requests per block by length ({runtime['request_len']} bytes each) | "
        f"{runtime['requests_by_length']} | | | |",
        f"| answers per block by weight ({runtime['answer_weight_us']} µs each) / by length "
        f"({runtime['answer_len']} bytes) | {runtime['answers_by_weight']} / "
        f"{runtime['answers_by_length']} | | | |",
        *attested_capacity(runtime),
        f"| offchain worker, 10 own jobs among 10,010 open | {runtime['ocw_ms_10_of_10010_jobs']:.2f} "
        f"ms | 10 own jobs alone: {runtime['ocw_ms_10_jobs']:.2f} ms | "
        f"{runtime['ocw_ms_10_of_10010_jobs'] / runtime['ocw_ms_10_jobs']:.2f}x | independent of "
        "the 10,000 (1x) |",
        "",
        "Notes: the engine runs ONNX Runtime with deterministic settings (one thread, sequential, "
        "graph optimizations off); Python uses onnxruntime's defaults. The weights are "
        "`pallets/inference/src/weights.rs`, generated by `scripts/benchmark.sh`. The offchain "
        "worker figure is native code in a test externalities with an engine that answers at "
        "once, so it measures the worker's own cost.",
        "",
    ]
    verify = {}
    if "verify_wasm_us" in runtime and "verify_native_us" in runtime:
        verify = {"wasm_us": runtime["verify_wasm_us"], "native_us": runtime["verify_native_us"],
                  "submit_proof_us": runtime["submit_proof_us"],
                  "normal_ms": runtime["normal_ref_time_ms"],
                  "zk_answers_by_weight": runtime["zk_answers_by_weight"],
                  "contribute_us": runtime.get("contribute_wasm_us")}
    lines += zkbench.table(zk_results, verify)
    lines += tee_section(runtime)
    out.write_text("\n".join(lines))


# Gas per on-chain DCAP or TEE attestation check on EVM chains, and the block gas limit they are
# measured against (Ethereum's 30M): the anchors of the TEE registration's cost.
OPENGRADIENT_GAS = 500_000
AUTOMATA_GAS = (4_000_000, 5_000_000)
EVM_BLOCK_GAS = 30_000_000

TEE_HEADING = "## TEE mode"


def tee_section(runtime: dict) -> list[str]:
    """The TEE rows: registration and refresh with the real samples (host call included), in the
    wasm runtime and as weights, beside native verification and EVM chains' gas."""
    if "register_tee_us" not in runtime:
        return []
    normal_us = runtime["normal_ref_time_ms"] * 1000
    share = runtime["register_tee_us"] / normal_us
    og_share = OPENGRADIENT_GAS / EVM_BLOCK_GAS
    automata = tuple(g / EVM_BLOCK_GAS for g in AUTOMATA_GAS)
    native = runtime.get("dcap_native_tdx_us")
    wasm = runtime.get("register_tee_wasm_us")
    lines = [
        TEE_HEADING,
        "",
        "A node registers once, with an Intel DCAP quote verified in the runtime by the `opg_dcap` "
        "host function (`dcap-qvl` 0.7.1, native); the figures use the real TDX sample (5 KiB "
        "quote, 16 KiB of collateral) that `dcap-qvl` ships. Cost is compared as a share of a "
        "block: ours of the 6 s block's normal budget, the EVM figures of a 30M-gas block.",
        "",
        "| what | measured | anchor | ratio | target |",
        "|---|---|---|---|---|",
    ]
    if wasm and native:
        lines.append(
            f"| `register_tee` executed in the wasm runtime (benchmark, median), quote verified "
            f"through the host function | {wasm:.0f} µs | native `dcap-qvl` verification of the "
            f"same quote: {native:.0f} µs | {wasm / native:.2f}x | |")
    if runtime.get("refresh_collateral_wasm_us") and native:
        lines.append(
            f"| `refresh_collateral` executed in the wasm runtime (benchmark, median) | "
            f"{runtime['refresh_collateral_wasm_us']:.0f} µs | native verification: {native:.0f} "
            f"µs | {runtime['refresh_collateral_wasm_us'] / native:.2f}x | |")
    lines += [
        f"| `register_tee` weight (generated, {runtime['register_tee_proof_kb']} KiB proof size) "
        f"| {runtime['register_tee_us']} µs, {share:.2%} of a block | OpenGradient's TEE "
        f"attestation: {OPENGRADIENT_GAS:,} gas, {og_share:.2%} of a block | "
        f"{share / og_share:.2f}x | below OpenGradient's share |",
        f"| the same | {share:.2%} of a block | Automata's on-chain DCAP verification: "
        f"{AUTOMATA_GAS[0] / 1e6:.0f}-{AUTOMATA_GAS[1] / 1e6:.0f}M gas, {automata[0]:.1%}-"
        f"{automata[1]:.1%} of a block | {share / automata[1]:.3f}x-{share / automata[0]:.3f}x | |",
        f"| `refresh_collateral` weight ({runtime['refresh_collateral_proof_kb']} KiB proof size) "
        f"| {runtime['refresh_collateral_us']} µs | | | |",
        f"| registrations per block by weight | {runtime['registrations_by_weight']} | | | |",
        f"| TEE answers per block by weight (`submit_tee_result` + authorization: "
        f"{runtime['tee_answer_us']} µs) | {runtime['tee_answers_by_weight']} | | | |",
    ]
    if native:
        lines.append(
            f"| native verification of the SGX sample (4.5 KiB quote, 14 KiB collateral) | "
            f"{runtime['dcap_native_sgx_us']:.0f} µs | | | |")
    lines += [
        "",
        "The weights are `pallets/tee/src/weights.rs` and `pallets/inference/src/"
        "weights.rs`, generated by `scripts/benchmark.sh`; the registration's includes a "
        "previous registration replaced and pools as deep as 10,000 nodes.",
        "",
    ]
    return lines


def replace_tee_section(out: Path, runtime: dict) -> None:
    """Rewrites only the TEE section of an existing `docs/benchmarks.md`."""
    text = out.read_text() if out.exists() else "# Benchmarks\n"
    head = text.split(TEE_HEADING)[0].rstrip("\n")
    out.write_text(head + "\n\n" + "\n".join(tee_section(runtime)))


def main() -> int:
    parse = argparse.ArgumentParser()
    parse.add_argument("--runs", type=int, default=20000)
    parse.add_argument("--node", required=True)
    parse.add_argument("--runtime-reports", required=True)
    parse.add_argument("--out", required=True)
    parse.add_argument("--no-ezkl", action="store_true", help="skip EZKL's figures")
    parse.add_argument("--only", choices=["tee"], help="measure one section and replace it")
    args = parse.parse_args()
    runtime = {}
    for line in Path(args.runtime_reports).read_text().splitlines():
        runtime.update(json.loads(line))
    if args.only == "tee":
        replace_tee_section(Path(args.out), runtime)
        print("\n".join(tee_section(runtime)))
        return 0
    with tempfile.TemporaryDirectory(prefix="opg-bench-") as folder:
        engine = engine_vs_python(args.node, args.runs, Path(folder))
        blocks = blocks_per_state(args.node, Path(folder))
    zk_results = zkbench.measure(args.node, with_ezkl=not args.no_ezkl)
    write(Path(args.out), engine, blocks, runtime, args.runs, zk_results)
    print(Path(args.out).read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
