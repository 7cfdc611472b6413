#!/usr/bin/env bash
# Measures OPG chain's speed targets, each beside its anchor measured in the same run, and
# writes the table to docs/benchmarks.md. Usage: scripts/bench.sh [--runs N]
#
#  1. One inference through the node's engine (opg-node run-model: the chain's encoding and
#     decoding of input and output included) against Python onnxruntime's sess.run, on the
#     16-32-4 demo MLP and the same input.
#  2. Blocks from a request to its vanilla acceptance and to an attested final result, on a
#     running dev node.
#  3. Requests and answers that fit in one block, by weight (the generated weights) and length.
#  4. The inference offchain worker's time with 10 own jobs, alone and among 10,000 open jobs.
#  5. ZK mode: setup, proving, verification, sizes and peak memory for three MLP sizes, beside
#     EZKL proving the same float models; the fixture proof verified in the wasm runtime
#     (the `verify_proof` benchmark, BN254 in host functions) beside native verification; ZK
#     answers per block by weight. Pass --no-ezkl to skip EZKL (minutes per model).
#  6. TEE mode: the registration and the collateral refresh with dcap-qvl's real TDX sample in
#     the wasm runtime (benchmarks, the host call included) beside native verification, their
#     weights as a share of a block beside OpenGradient's and Automata's gas. `--only tee`
#     measures this section alone and replaces it in docs/benchmarks.md.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$OPG_ROOT"

runs=20000
ezkl=()
only=
while (($#)); do
	case "$1" in
	--runs) runs=$2; shift 2 ;;
	--no-ezkl) ezkl=(--no-ezkl); shift ;;
	--only) [[ ${2:-} == tee ]] || die "--only takes: tee"; only=$2; shift 2 ;;
	*) die "unknown argument $1 (use --runs N, --no-ezkl, --only tee)" ;;
	esac
done

bash scripts/setup.sh
log "building opg-node"
opg_cargo build --release --locked -p opg-node
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

tee_reports() {
	log "TEE: native dcap-qvl verification, and registration in the wasm runtime"
	SKIP_WASM_BUILD=1 opg_cargo test --release --locked -p opg-primitives -- --ignored --nocapture \
		dcap_native_report 2>/dev/null | sed -n 's/^OPG-BENCH //p' >>"$work/runtime.jsonl"
	"$OPG_BENCH_NODE_BIN" benchmark pallet --chain dev --pallet pallet_tee \
		--extrinsic register_tee,refresh_collateral --steps 2 --repeat 50 --wasm-execution compiled \
		--json-file "$work/tee.json" >/dev/null
	"$OPG_PYTHON" -c 'import json, statistics, sys
out = {}
for bench in json.load(open(sys.argv[1])):
    times = [r["extrinsic_time"] for r in bench["time_results"]]
    out[bench["benchmark"] + "_wasm_us"] = statistics.median(times) / 1e3
print(json.dumps(out))' "$work/tee.json" >>"$work/runtime.jsonl"
}

if [[ $only == tee ]]; then
	SKIP_WASM_BUILD=1 opg_cargo test --release --locked -p opg-runtime -- --ignored --nocapture \
		block_capacity_report 2>/dev/null | sed -n 's/^OPG-BENCH //p' >"$work/runtime.jsonl"
	CARGO_TARGET_DIR="$OPG_BENCH_TARGET_DIR" opg_cargo build --release --locked -p opg-node --features runtime-benchmarks
	tee_reports
	PYTHONPATH="$OPG_PYTHONPATH" "$OPG_PYTHON" -m opg_tools.bench --only tee --node "$OPG_NODE_BIN" \
		--runtime-reports "$work/runtime.jsonl" --out docs/benchmarks.md
	log "wrote the TEE section of docs/benchmarks.md"
	exit 0
fi

log "runtime reports: block capacity and offchain worker cost"
SKIP_WASM_BUILD=1 opg_cargo test --release --locked -p opg-runtime -- --ignored --nocapture \
	block_capacity_report offchain_worker_cost_report 2>/dev/null | sed -n 's/^OPG-BENCH //p' >"$work/runtime.jsonl"

log "ZK verification: native arkworks, and in the wasm runtime (runtime-benchmarks build)"
opg_cargo test --release --locked -p opg-zk --features prover --test fixture -- --ignored --nocapture \
	native_verify_report 2>/dev/null | sed -n 's/^OPG-BENCH //p' >>"$work/runtime.jsonl"
CARGO_TARGET_DIR="$OPG_BENCH_TARGET_DIR" opg_cargo build --release --locked -p opg-node --features runtime-benchmarks
tee_reports
# One extrinsic's median time in the wasm runtime, in µs, as the JSON line `{"KEY": µs}`.
wasm_median() {
	local pallet=$1 extrinsic=$2 repeat=$3 key=$4
	"$OPG_BENCH_NODE_BIN" benchmark pallet --chain dev --pallet "$pallet" \
		--extrinsic "$extrinsic" --steps 2 --repeat "$repeat" --wasm-execution compiled \
		"${@:5}" --json-file "$work/$extrinsic.json" >/dev/null
	"$OPG_PYTHON" -c 'import json, statistics, sys
times = [r["extrinsic_time"] for b in json.load(open(sys.argv[1])) for r in b["time_results"]]
print(json.dumps({sys.argv[2]: statistics.median(times) / 1e3}))' "$work/$extrinsic.json" "$key"
}
wasm_median pallet_inference verify_proof 200 verify_wasm_us >>"$work/runtime.jsonl"
# A ZK key ceremony's contribution checked on chain, beside verify_proof (target: no more),
# committing to a key state of 47 chunks: MNIST's 3.0 MB.
wasm_median pallet_zk_ceremony contribute 50 contribute_wasm_us --low 47 --high 47 \
	>>"$work/runtime.jsonl"

log "engine against Python onnxruntime ($runs runs each), blocks per state on a dev node, ZK mode"
PYTHONPATH="$OPG_PYTHONPATH" "$OPG_PYTHON" -m opg_tools.bench --runs "$runs" "${ezkl[@]}" \
	--node "$OPG_NODE_BIN" --runtime-reports "$work/runtime.jsonl" --out docs/benchmarks.md
log "wrote docs/benchmarks.md"
