#!/usr/bin/env bash
# Builds the OPG runtime one spec_version up (the `upgrade-test` feature: the same code, the
# version the next release would carry) and prints the path of its wasm, for the end-to-end test
# that upgrades a running chain by referendum (scripts/e2e/test_governance.py).
#
# The wasm is kept in ~/.cache/opg-chain/upgrade/ under a hash of the runtime's sources and the
# compiler's version, so a second run with unchanged sources builds nothing. The build writes
# the runtime's wasm files in the shared target dir; the script puts the node's own back
# afterwards with their times (also when it fails or is stopped), so the next
# `cargo build -p opg-node` neither rebuilds the runtime nor embeds this one.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$OPG_ROOT"
# The wasm is the point of the build.
unset SKIP_WASM_BUILD

cache=${OPG_UPGRADE_CACHE:-$HOME/.cache/opg-chain/upgrade}
sources=$({
	find runtime pallets primitives -type f -not -path '*/target/*' -print0 | sort -z |
		xargs -0 sha256sum
	sha256sum Cargo.lock Cargo.toml
	rustc --version
} | sha256sum | cut -c1-16)
out="$cache/opg_runtime_upgrade-$sources.compact.compressed.wasm"
if [ -s "$out" ]; then
	echo "$out"
	exit 0
fi

wbuild="$CARGO_TARGET_DIR/release/wbuild/opg-runtime"
saved=$(mktemp -d "${TMPDIR:-/tmp}/opg-wasm.XXXXXX")
restore() {
	if compgen -G "$saved/*.wasm" >/dev/null; then
		cp -p "$saved"/*.wasm "$wbuild/"
	fi
	rm -rf "$saved"
}
trap restore EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if [ -d "$wbuild" ]; then
	find "$wbuild" -maxdepth 1 -name '*.wasm' -exec cp -p {} "$saved/" \;
fi

log "building the runtime with the next spec_version (the upgrade-test feature)"
# A release build, like the node's, so only opg-runtime itself compiles again (natively and for
# wasm): every dependency is the node build's. (`cargo check` would compile none natively, but
# all ~400 of the runtime's dependencies again in check mode.) A new FORCE_WASM_BUILD value
# makes the runtime's build script run even when cargo thinks it ran for these sources already
# (its wasm files were put back afterwards).
FORCE_WASM_BUILD="upgrade-$(date +%s%N)" opg_cargo build --release --locked -p opg-runtime \
	--features upgrade-test >&2
mkdir -p "$cache"
cp "$wbuild/opg_runtime.compact.compressed.wasm" "$out.partial"
mv "$out.partial" "$out"
# Builds of older sources are of no further use.
find "$cache" -name 'opg_runtime_upgrade-*' ! -path "$out" -delete
echo "$out"
