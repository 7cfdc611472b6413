#!/usr/bin/env bash
# Runs every fuzz target of OPG chain with many cases: the property tests named `fuzz_*` that
# feed untrusted bytes to the decoders (extrinsic arguments of the OPG pallets, tensors and the
# engine's tensor conversion, the ONNX-to-circuit compiler and the Groth16 verifier, the DCAP
# quote parser). docs/fuzzing.md says what each one feeds and what it has found.
#
# Usage: scripts/fuzz.sh [--cases N] [FILTER]
#
# Each target runs PROPTEST_CASES cases (default 20000; --cases N sets it), alone, so that its
# time is its own; FILTER keeps the targets whose name contains it. Prints each target's time
# and the total, and exits non-zero if any target failed: a panic, or a property that did not
# hold. proptest then prints the smallest failing input it found; make it a named regression
# test beside the target (see docs/fuzzing.md).
#
# The primitives and the compiler run with overflow checks on in their own code, so that an
# arithmetic overflow is a crash here rather than a wrong number in a release build. The
# runtime target runs with `try-runtime` (every pallet's invariants after each block) in the
# target dir of the benchmark tests, as scripts/test.sh runs the runtime's try-runtime tests.
set -uo pipefail # not -e: every target runs, and the failures are counted
source "$(dirname "$0")/lib.sh"
cd "$OPG_ROOT"

cases=${PROPTEST_CASES:-20000}
filter=""
while (($#)); do
	case "$1" in
	--cases) cases=${2:?--cases takes a number}; shift 2 ;;
	--cases=*) cases=${1#*=}; shift ;;
	-h | --help) sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	-*) die "unknown option $1 (use --cases N, and optionally a filter)" ;;
	*) filter=$1; shift ;;
	esac
done
[[ $cases =~ ^[0-9]+$ ]] && ((cases > 0)) || die "--cases takes a positive number, not $cases"

overflow_checks=(
	--config 'profile.release.package.opg-primitives.overflow-checks=true'
	--config 'profile.release.package.opg-zk.overflow-checks=true'
)

# Builds test binaries and prints the path of target NAME's: `build TARGET_DIR NAME CARGO_ARGS...`.
build() {
	local target_dir=$1 name=$2
	shift 2
	CARGO_TARGET_DIR=$target_dir opg_cargo test --release --locked --no-run --message-format=json-render-diagnostics "$@" |
		grep -F "\"name\":\"$name\"" | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n 1
}

log "building the fuzz targets"
binaries=(
	"$(SKIP_WASM_BUILD=1 build "$CARGO_TARGET_DIR" opg_primitives "${overflow_checks[@]}" \
		-p opg-primitives --lib)"
	"$(SKIP_WASM_BUILD=1 build "$CARGO_TARGET_DIR" fuzz "${overflow_checks[@]}" -p opg-zk --test fuzz)"
	# The same crates and features as scripts/test.sh's try-runtime step, so that its build is
	# reused.
	"$(SKIP_WASM_BUILD=1 build "$CARGO_TARGET_DIR" opg_runtime -p pallet-model-registry \
		-p pallet-nodes -p pallet-attestations -p pallet-tee -p pallet-inference -p opg-runtime \
		--features runtime-benchmarks,try-runtime)"
	# The node is built with its runtime's wasm (SKIP_WASM_BUILD would force a rebuild of the
	# runtime without it). Its tests load the ONNX Runtime library that scripts/setup.sh
	# installs (or OPG_ONNXRUNTIME).
	"$(unset SKIP_WASM_BUILD; build "$CARGO_TARGET_DIR" opg-node -p opg-node --bin opg-node)"
)
for binary in "${binaries[@]}"; do
	[ -n "$binary" ] && [ -x "$binary" ] || die "a fuzz target does not build (see above)"
done

passed=0
failed=0
total_ms=0
failures=()
log "running each target for $cases cases"
for binary in "${binaries[@]}"; do
	mapfile -t targets < <("$binary" --list --format terse 2>/dev/null |
		sed -n 's/: test$//p' | grep -E '(^|::)fuzz_' | grep -F -- "$filter")
	for target in "${targets[@]}"; do
		output=$(mktemp)
		started=$(date +%s%N)
		PROPTEST_CASES=$cases "$binary" "$target" --exact --test-threads 1 >"$output" 2>&1
		code=$?
		ms=$((($(date +%s%N) - started) / 1000000))
		total_ms=$((total_ms + ms))
		if ((code == 0)); then
			passed=$((passed + 1))
			printf '%-58s %8.1f s  ok\n' "$target" "$(bc <<<"scale=1; $ms / 1000")"
		else
			failed=$((failed + 1))
			failures+=("$target")
			printf '%-58s %8.1f s  FAILED\n' "$target" "$(bc <<<"scale=1; $ms / 1000")"
			grep -v '^ *[0-9]*: \|^ *at \|^note: ' "$output" | tail -n 60 >&2
		fi
		rm -f "$output"
	done
done

printf '%-58s %8.1f s  (%d targets, %d cases each)\n' total "$(bc <<<"scale=1; $total_ms / 1000")" \
	$((passed + failed)) "$cases"
((passed + failed > 0)) || die "no fuzz target matches '$filter'"
if ((failed > 0)); then
	warn "failed: ${failures[*]}"
	exit 1
fi
