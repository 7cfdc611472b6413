#!/usr/bin/env bash
# Runs every test of OPG chain: formatting, clippy (warnings denied), the unit, runtime and
# benchmark tests, and the end-to-end tests against a real opg-node with a real client.
# Sets up the machine first (scripts/setup.sh). Ends with one summary line; exits non-zero if
# anything failed.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$OPG_ROOT"

started=$(date +%s)
step() { log "$1 ($(($(date +%s) - started))s elapsed)"; }

step "set-up"
bash scripts/setup.sh

step "cargo fmt --check"
cargo fmt --all -- --check || die "formatting differs: run \`cargo fmt --all\`"

# One profile (release) for everything, so the ~1,000 dependencies compile once.
step "cargo clippy (warnings denied)"
SKIP_WASM_BUILD=1 cargo clippy --release --workspace --all-targets --locked -- -D warnings

step "build opg-node"
cargo build --release --locked -p opg-node

logs=$(mktemp -d)
status=0

step "cargo test (workspace)"
cargo test --release --locked --workspace 2>&1 | tee "$logs/cargo.log" || status=1

step "cargo test (model registry benchmarks)"
SKIP_WASM_BUILD=1 cargo test --release --locked -p pallet-model-registry --features runtime-benchmarks \
	benchmarking 2>&1 | tee "$logs/bench.log" || status=1

step "end-to-end tests"
OPG_NODE_BIN="$OPG_NODE_BIN" PYTHONPATH="$OPG_ROOT/scripts" "$OPG_PYTHON" -m pytest -p no:cacheprovider \
	"$OPG_ROOT/scripts/e2e" -v 2>&1 | tee "$logs/e2e.log" || status=1

# Add up what the runners counted.
read -r cargo_passed cargo_failed < <(grep -h '^test result:' "$logs/cargo.log" "$logs/bench.log" |
	awk '{for (i = 1; i <= NF; i++) { if ($i ~ /^passed;?$/) p += $(i - 1); if ($i ~ /^failed;?$/) f += $(i - 1) }} END { print p + 0, f + 0 }')
e2e_line=$(grep -E '^=+ .*(passed|failed|error).* in ' "$logs/e2e.log" | tail -n 1 || true)
e2e_passed=$(grep -oE '[0-9]+ passed' <<<"$e2e_line" | grep -oE '[0-9]+' || echo 0)
e2e_failed=$(($(grep -oE '[0-9]+ (failed|error)' <<<"$e2e_line" | grep -oE '[0-9]+' | paste -sd+ - || echo 0) + 0))
[ -n "$e2e_line" ] || { e2e_failed=$((e2e_failed + 1)); status=1; }
rm -rf "$logs"

log "cargo: $cargo_passed passed, $cargo_failed failed; end-to-end: $e2e_passed passed, $e2e_failed failed; $(($(date +%s) - started))s"
echo "summary: $((cargo_passed + e2e_passed)) passed, $((cargo_failed + e2e_failed)) failed"
exit "$status"
