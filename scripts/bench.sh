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
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$OPG_ROOT"

runs=20000
while (($#)); do
	case "$1" in
	--runs) runs=$2; shift 2 ;;
	*) die "unknown argument $1 (use --runs N)" ;;
	esac
done

bash scripts/setup.sh
log "building opg-node"
cargo build --release --locked -p opg-node
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

log "runtime reports: block capacity and offchain worker cost"
SKIP_WASM_BUILD=1 cargo test --release --locked -p opg-runtime -- --ignored --nocapture \
	block_capacity_report offchain_worker_cost_report 2>/dev/null | sed -n 's/^OPG-BENCH //p' >"$work/runtime.jsonl"

log "engine against Python onnxruntime ($runs runs each), and blocks per state on a dev node"
PYTHONPATH="$OPG_ROOT/scripts" "$OPG_PYTHON" -m opg_tools.bench --runs "$runs" \
	--node "$OPG_NODE_BIN" --runtime-reports "$work/runtime.jsonl" --out docs/benchmarks.md
log "wrote docs/benchmarks.md"
