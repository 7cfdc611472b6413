#!/usr/bin/env bash
# Builds opg-node with runtime benchmarks and regenerates weights with frame-benchmarking-cli:
# OPG's pallets into pallets/NAME/src/weights.rs, the governance pallets from polkadot-sdk into
# runtime/src/weights/ (measured on this runtime, with its database and its track lookups), each
# file's header recording the command that wrote it; then docs/weights.md, every weight function
# at its worst case.
# Usage: scripts/benchmark.sh [--steps N] [--repeat N] [--pallet NAME]...
# (NAME: model-registry, nodes, attestations, tee, inference, zk-ceremony, one of the governance pallets:
# utility, preimage, scheduler, referenda, conviction-voting, treasury, or the runtime's own costs:
# system-extensions (the transaction extensions' weights) and overhead (the block's and each
# extrinsic's base weight); all of them by default; repeat --pallet for several, all measured
# with one build of the node)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$OPG_ROOT"

# 20 steps of each component, 10 repeats of each step: the fewest the weights are generated with.
steps=20
repeat=10
pallets=(model-registry nodes attestations tee inference zk-ceremony)
governance=(utility preimage scheduler referenda conviction-voting treasury)
pallets+=("${governance[@]}" system-extensions overhead)
chosen=()
while (($#)); do
	case "$1" in
	--steps) steps=$2; shift 2 ;;
	--repeat) repeat=$2; shift 2 ;;
	--pallet) chosen+=("$2"); shift 2 ;;
	*) die "unknown argument $1 (use --steps N, --repeat N, --pallet NAME)" ;;
	esac
done
((${#chosen[@]} == 0)) || pallets=("${chosen[@]}")

bash scripts/setup.sh
log "building opg-node with --features runtime-benchmarks (in $OPG_BENCH_TARGET_DIR)"
CARGO_TARGET_DIR=$OPG_BENCH_TARGET_DIR opg_cargo build --release --locked -p opg-node \
	--features runtime-benchmarks

for pallet in "${pallets[@]}"; do
	name="pallet_${pallet//-/_}"
	if [[ $pallet == overhead ]]; then
		# An empty block's execution and one no-op extrinsic's: the base weights every block
		# and every transaction is charged (runtime/src/weights/{block,extrinsic}_weights.rs).
		log "benchmarking the block and extrinsic base weights"
		"$OPG_BENCH_NODE_BIN" benchmark overhead --chain dev --wasm-execution compiled \
			--weight-path runtime/src/weights --header scripts/weights-header.txt
		continue
	elif [[ $pallet == system-extensions ]]; then
		# frame_system's transaction extensions (nonce, mortality, genesis, version, weight).
		name=frame_system_extensions
		output=(--chain local --output "runtime/src/weights/$name.rs" --header scripts/weights-header.txt)
	elif [[ -d pallets/$pallet ]]; then
		# Our pallets: their own WeightInfo trait and implementation.
		output=(--chain dev --template scripts/weight-template.hbs --output "pallets/$pallet/src/weights.rs")
	elif [[ " ${governance[*]} " == *" $pallet "* ]]; then
		# Upstream pallets: the default template implements their WeightInfo for this runtime.
		# The local chain runs the tracks on production periods (pallet_referenda's benchmarks
		# assume a prepare period longer than the dev chain's one block).
		output=(--chain local --output "runtime/src/weights/$name.rs" --header scripts/weights-header.txt)
	else
		die "no pallet $pallet: use one under pallets/, one of: ${governance[*]}, system-extensions or overhead"
	fi
	log "benchmarking $name ($steps steps, $repeat repeats)"
	"$OPG_BENCH_NODE_BIN" benchmark pallet --pallet "$name" --extrinsic '*' \
		--steps "$steps" --repeat "$repeat" --wasm-execution compiled "${output[@]}"
done

# Every weight function at its worst case, as the runtime charges it (docs/weights.md).
{
	echo "# Weights at their worst case"
	echo
	echo "Written by \`scripts/benchmark.sh\` on $(date -u '+%Y-%m-%d'): every weight function of the generated"
	echo "weights with each component at the top of its benchmarked range and the database accesses at"
	echo "ParityDB's weights, as the runtime charges it (\`python3 -m opg_tools.weights table\`, from"
	echo "\`scripts/\`). A block has 2,000 ms; normal transactions 1,500 ms."
	echo
	(cd scripts && "$OPG_PYTHON" -m opg_tools.weights table)
} > docs/weights.md
log "wrote docs/weights.md"
