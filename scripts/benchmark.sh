#!/usr/bin/env bash
# Builds opg-node with runtime benchmarks and regenerates the weights of OPG's pallets with
# frame-benchmarking-cli. Usage: scripts/benchmark.sh [--steps N] [--repeat N] [--pallet NAME]
# (NAME: model-registry, attestations or inference; all of them by default)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$OPG_ROOT"

steps=50
repeat=20
pallets=(model-registry attestations inference)
while (($#)); do
	case "$1" in
	--steps) steps=$2; shift 2 ;;
	--repeat) repeat=$2; shift 2 ;;
	--pallet) pallets=("$2"); shift 2 ;;
	*) die "unknown argument $1 (use --steps N, --repeat N, --pallet NAME)" ;;
	esac
done

bash scripts/setup.sh
log "building opg-node with --features runtime-benchmarks"
cargo build --release --locked -p opg-node --features runtime-benchmarks

for pallet in "${pallets[@]}"; do
	[[ -d pallets/$pallet ]] || die "no pallet $pallet under pallets/"
	name="pallet_${pallet//-/_}"
	log "benchmarking $name ($steps steps, $repeat repeats)"
	"$OPG_NODE_BIN" benchmark pallet --chain dev --pallet "$name" --extrinsic '*' \
		--steps "$steps" --repeat "$repeat" --wasm-execution compiled \
		--template scripts/weight-template.hbs --output "pallets/$pallet/src/weights.rs"
done
