#!/usr/bin/env bash
# Runs opg_tools.fetch in the Python environment that scripts/setup.sh installs (--help for usage).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[ -x "$OPG_PYTHON" ] || die "no Python environment at $OPG_VENV: run scripts/setup.sh first"
PYTHONPATH="$OPG_PYTHONPATH${PYTHONPATH:+:$PYTHONPATH}" exec "$OPG_PYTHON" -m opg_tools.fetch "$@"
