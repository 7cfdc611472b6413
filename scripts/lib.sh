# Shared settings of the OPG scripts. Sourced, not run.

# The repository root.
OPG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export OPG_ROOT

# The Rust version the project is built and tested with (scripts/setup.sh checks it). There is
# no rust-toolchain file on purpose: a machine without network access to the Rust servers could
# not download the toolchain it names.
export OPG_RUST_VERSION=1.95.0
# The oldest Python the tools run on (Debian 12 ships 3.11).
export OPG_PYTHON_MIN=3.11

# Build outside the work tree so that every clone on this machine shares one warm target dir.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/opg-chain/target}
# The Python environment with the chain client (substrate-interface), onnx, onnxruntime (the
# test model check) and pytest, every package pinned with its hash (scripts/requirements.txt).
export OPG_VENV=${OPG_VENV:-$HOME/.cache/opg-chain/venv}
export OPG_PYTHON="$OPG_VENV/bin/python"
# Where the tools' Python code lives: the SDK (clients/python, package `opg`) and the tools
# built on it (scripts/opg_tools). Each clone uses its own, whatever the shared venv holds.
export OPG_PYTHONPATH="$OPG_ROOT/clients/python:$OPG_ROOT/scripts"
# The node binary the scripts build and run.
export OPG_NODE_BIN=${OPG_NODE_BIN:-$CARGO_TARGET_DIR/release/opg-node}

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
warn() { printf '\033[1;33mwarning:\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }
