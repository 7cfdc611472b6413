#!/usr/bin/env bash
# Builds the OPG runtime one spec_version up (the `upgrade-test` feature: the same code, the
# version the next release would carry) and prints the path of its wasm, for the end-to-end test
# that upgrades a running chain by referendum (scripts/e2e/test_governance.py).
#
# The wasm is kept in ~/.cache/opg-chain/upgrade/ under a hash of the runtime's sources, so a
# second run with unchanged sources builds nothing. The build writes the runtime's wasm files in
# the shared target dir; the script puts the node's own back afterwards (with their times), so
# the next `cargo build -p opg-node` does not rebuild the runtime.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$OPG_ROOT"

cache=${OPG_UPGRADE_CACHE:-$HOME/.cache/opg-chain/upgrade}
sources=$(find runtime pallets primitives -type f \( -name '*.rs' -o -name Cargo.toml \) -print0 |
	sort -z | xargs -0 sha256sum | cat - Cargo.lock Cargo.toml | sha256sum | cut -c1-16)
out="$cache/opg_runtime_upgrade-$sources.compact.compressed.wasm"
if [ -s "$out" ]; then
	echo "$out"
	exit 0
fi

wbuild="$CARGO_TARGET_DIR/release/wbuild/opg-runtime"
saved=$(mktemp -d "${TMPDIR:-/tmp}/opg-wasm.XXXXXX")
trap 'rm -rf "$saved"' EXIT
[ -d "$wbuild" ] && find "$wbuild" -maxdepth 1 -name '*.wasm' -exec cp -p {} "$saved/" \;

log "building the runtime with the next spec_version (the upgrade-test feature)"
# `check` builds the wasm (in the runtime's build script) without compiling the native runtime.
cargo check --release --locked -p opg-runtime --features upgrade-test >&2
mkdir -p "$cache"
cp "$wbuild/opg_runtime.compact.compressed.wasm" "$out.partial"
mv "$out.partial" "$out"
# Older builds of other sources are of no further use.
find "$cache" -name 'opg_runtime_upgrade-*.wasm' ! -path "$out" -delete

# The node's wasm back, so its build stays warm.
if compgen -G "$saved/*.wasm" >/dev/null; then
	cp -p "$saved"/*.wasm "$wbuild/"
fi
echo "$out"
