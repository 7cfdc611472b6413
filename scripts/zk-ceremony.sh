#!/usr/bin/env bash
# Runs opg_tools.ceremony in the Python environment that scripts/setup.sh installs (--help for
# usage): a ZK version's key ceremony as a contributor or a drawn attester sees it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[ -x "$OPG_PYTHON" ] || die "no Python environment at $OPG_VENV: run scripts/setup.sh first"
PYTHONPATH="$OPG_PYTHONPATH${PYTHONPATH:+:$PYTHONPATH}" exec "$OPG_PYTHON" -m opg_tools.ceremony "$@"
