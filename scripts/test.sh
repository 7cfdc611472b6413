#!/usr/bin/env bash
# Runs every test of OPG chain: the Python tools' unit tests, formatting, clippy (warnings
# denied), the unit, runtime and benchmark tests, and the end-to-end tests against real opg-node
# processes with a real client. Sets up the machine first (scripts/setup.sh).
#
# Ends with one line `summary: N passed, M failed` on every path: a failed set-up, fmt, clippy
# or build counts as one failure, and so do Ctrl-C and the overall time limit. Exits non-zero
# if anything failed. Every process it starts runs in a process group of its own and is stopped
# when the script exits, however it exits. The overall limit is OPG_TEST_TIMEOUT seconds
# (default 4800, 80 minutes: CI allows 90). Node logs of failed end-to-end tests are kept under
# ~/.cache/opg-chain/e2e-logs/ and their paths printed.
set -uo pipefail # not -e: every step's status is collected
source "$(dirname "$0")/lib.sh"
cd "$OPG_ROOT"

limit=${OPG_TEST_TIMEOUT:-4800}
# End-to-end test processes at once: they mostly wait for blocks, so more than the cores.
e2e_workers=${OPG_E2E_WORKERS:-4}
started=$(date +%s)
logs=$(mktemp -d "${TMPDIR:-/tmp}/opg-test.XXXXXX")
export OPG_E2E_LOG_DIR=${OPG_E2E_LOG_DIR:-$HOME/.cache/opg-chain/e2e-logs/$(date +%Y%m%d-%H%M%S)}
passed=0
failed=0
counts=()  # per runner, for the closing report
job=""     # the process group of the step that is running
watchdog=""

# Job control: each background job (every step below) gets its own process group, which the
# traps stop as a whole (cargo with its rustc children, pytest with its nodes).
set -m

elapsed() { echo "$(($(date +%s) - started))s"; }
step() { log "$1 ($(elapsed) elapsed)"; }

# Runs a command as a job in its own process group, its output shown and appended to LOG;
# returns its exit status. A trapped signal interrupts the wait at once.
run() {
	local log=$1
	shift
	{ "$@" 2>&1 | tee -a "$log"; } </dev/null &
	job=$!
	wait "$job"
	local code=$?
	job=""
	return "$code"
}

stop_group() {
	local group=$1
	[ -n "$group" ] || return 0
	disown "$group" 2>/dev/null # no job notice
	kill -TERM -- "-$group" 2>/dev/null || return 0
	for _ in $(seq 50); do
		kill -0 -- "-$group" 2>/dev/null || return 0
		sleep 0.2
	done
	kill -KILL -- "-$group" 2>/dev/null || true
}

# Adds what a cargo test run counted; a run that failed without counting a failure (it did not
# compile) counts as one failure.
count_cargo() {
	local name=$1 log=$2 code=$3 p f
	read -r p f < <(grep -h '^test result:' "$log" |
		awk '{for (i = 1; i <= NF; i++) { if ($i ~ /^passed;?$/) p += $(i - 1); if ($i ~ /^failed;?$/) f += $(i - 1) }} END { print p + 0, f + 0 }')
	((code != 0 && f == 0)) && f=1
	passed=$((passed + p))
	failed=$((failed + f))
	counts+=("$name: $p passed, $f failed")
}

# Adds what a pytest run counted from its closing line; errors count as failures, and a run
# that ended without a closing line (or failed without counting) as one failure.
count_pytest() {
	local name=$1 log=$2 code=$3 line p f
	line=$(grep -E '^=+ .*(passed|failed|error|no tests ran).* in [0-9.]+s' "$log" | tail -n 1)
	p=$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+' || echo 0)
	f=$(($(grep -oE '[0-9]+ (failed|errors?)' <<<"$line" | grep -oE '[0-9]+' | paste -sd+ - || true) + 0))
	((code != 0 && f == 0)) && f=1
	passed=$((passed + p))
	failed=$((failed + f))
	counts+=("$name: $p passed, $f failed")
}

# A step that has no test count of its own (set-up, fmt, clippy, build): one failure if it failed.
count_step() {
	local name=$1 code=$2
	if ((code != 0)); then
		failed=$((failed + 1))
		counts+=("$name: failed")
	fi
}

finish() {
	local code=$?
	trap - EXIT INT TERM USR1
	trap '' INT TERM
	stop_group "$job"
	stop_group "$watchdog"
	((failed > 0 && code == 0)) && code=1
	((failed == 0 && code != 0)) && failed=1
	[ -d "$OPG_E2E_LOG_DIR" ] && log "node logs of failed end-to-end tests: $OPG_E2E_LOG_DIR"
	local report
	report=$(printf '%s; ' "${counts[@]}")
	log "${report:-nothing ran; }$(elapsed)"
	echo "summary: $passed passed, $failed failed"
	rm -rf "$logs"
	exit "$code"
}

abort() {
	log "stopping: $1"
	counts+=("stopped: $1")
	failed=$((failed + 1))
	exit "$2"
}

trap finish EXIT
trap 'abort "interrupted" 130' INT
trap 'abort "terminated" 143' TERM
trap 'abort "the overall time limit of ${limit}s was reached" 124' USR1
# The watchdog: its own process group too, stopped on exit.
{ sleep "$limit" && kill -USR1 $$; } </dev/null >/dev/null 2>&1 &
watchdog=$!
disown "$watchdog" # no job notice when it is stopped

step "set-up"
run "$logs/setup.log" bash scripts/setup.sh
code=$?
count_step "set-up" "$code"
((code == 0)) || exit 1

step "Python unit tests: the SDK and the tools (no node)"
run "$logs/unit.log" "$OPG_PYTHON" -m pytest -c scripts/pytest.ini scripts/tests clients/python/tests -v
count_pytest "python unit" "$logs/unit.log" $?

step "cargo fmt --check"
run "$logs/fmt.log" cargo fmt --all -- --check
code=$?
((code == 0)) || log "formatting differs: run \`cargo fmt --all\`"
count_step "cargo fmt" "$code"

# One profile (release) for everything, so the ~1,000 dependencies compile once; clippy is the
# compiler of the workspace's crates (scripts/lib.sh, opg_cargo), so building is linting.
step "build opg-node (clippy lints each workspace crate as it compiles, warnings denied)"
run "$logs/build.log" opg_cargo build --release --locked -p opg-node
code=$?
count_step "build and clippy" "$code"
((code == 0)) || exit 1

# Every target of every workspace crate: what `cargo clippy --workspace --all-targets` linted
# (the workspace has no benches), plus the doctests.
step "cargo test (workspace, linted)"
run "$logs/cargo.log" opg_cargo test --release --locked --workspace
count_cargo "cargo test" "$logs/cargo.log" $?

# The benchmark tests and the runtime's governance, TEE and fuzz tests with `try-runtime` (every
# pallet's try_state after each block), and the upgrade's migrations checked as `try-runtime
# on-runtime-upgrade --checks all` checks them (tests::migrations), in one feature set so its crates compile once. Same
# target dir: only the crates whose features differ compile again, and the node stays built.
step "cargo test (pallet benchmarks, governance with try-runtime; linted)"
SKIP_WASM_BUILD=1 run "$logs/bench.log" opg_cargo test --release --locked \
	-p pallet-model-registry -p pallet-nodes -p pallet-attestations -p pallet-tee -p pallet-inference \
	-p pallet-zk-ceremony \
	-p opg-runtime \
	--features runtime-benchmarks,try-runtime -- benchmarking governance tests::tee:: tests::fuzz:: \
	tests::migrations::
count_cargo "benchmark and try-runtime tests" "$logs/bench.log" $?

# The runtime one spec_version up, which the end-to-end governance test enacts by referendum.
step "build the upgrade-test runtime"
run "$logs/upgrade.log" bash scripts/build-upgrade-runtime.sh
code=$?
count_step "upgrade-test runtime" "$code"
((code == 0)) && OPG_UPGRADE_WASM=$(tail -n 1 "$logs/upgrade.log") && export OPG_UPGRADE_WASM

# In parallel: OPG_E2E_WORKERS test processes (pytest-xdist), each module on one of them with
# that process's own dev node (scripts/e2e/conftest.py), the longest modules first.
step "end-to-end tests ($e2e_workers in parallel)"
OPG_NODE_BIN="$OPG_NODE_BIN" run "$logs/e2e.log" "$OPG_PYTHON" -m pytest -c scripts/pytest.ini scripts/e2e -v \
	-n "$e2e_workers" --dist load --no-loadscope-reorder --durations=20
count_pytest "end-to-end" "$logs/e2e.log" $?

exit 0
