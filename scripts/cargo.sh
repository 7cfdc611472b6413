#!/usr/bin/env bash
# `cargo ARGS...` as the scripts run it (scripts/lib.sh, opg_cargo): in the build copy of the
# sources, with clippy as the compiler of the workspace's crates (warnings denied) and the
# scripts' warm target dir. For quick checks while developing, reusing what scripts/test.sh
# built, for example:
#   scripts/cargo.sh test --release --workspace -- pallet_inference
#   SKIP_WASM_BUILD=1 scripts/cargo.sh test --release -p pallet-inference
# (selecting packages with -p resolves their dependencies' features on their own: the first
# such run compiles some dependencies again.)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
opg_cargo "$@"
