#!/usr/bin/env bash
# Starts a local OPG network of the `local` chain on loopback and keeps it running until Ctrl-C:
# four validators (alice, bob, charlie, dave; alice also runs inference), a separate inference
# node, a verifier node and two data nodes, each with its own base path, keys, log and ports,
# all printed once the network finalizes. Sets up the machine and builds opg-node first (both
# are quick when already done). Options: scripts/network.sh --help; arguments after `--` go to
# every opg-node. Operator documentation: docs/operators.md.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$OPG_ROOT"

case " $* " in
*" --help "* | *" -h "*) ;;
*)
	bash scripts/setup.sh
	log "building opg-node (quick when it is built already)"
	opg_cargo build --release --locked -p opg-node
	;;
esac
PYTHONPATH="$OPG_PYTHONPATH${PYTHONPATH:+:$PYTHONPATH}" exec "$OPG_PYTHON" -m opg_tools.network "$@"
