#!/usr/bin/env bash
# Sets up the machine, builds opg-node, puts it on PATH (a link in ~/.local/bin) and runs a
# development chain (Alice validating alone, fresh state each run) with RPC on
# ws://127.0.0.1:9944. Extra arguments go to opg-node.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$OPG_ROOT"

bash scripts/setup.sh
log "building opg-node (a cold build takes about 25 minutes on 2 cores)"
cargo build --release --locked -p opg-node

# `opg-node` as the README writes it: a link to the build, so a rebuild needs no reinstall.
bin_dir=${OPG_BIN_DIR:-$HOME/.local/bin}
mkdir -p "$bin_dir"
if [ -e "$bin_dir/opg-node" ] && [ ! -L "$bin_dir/opg-node" ]; then
	warn "$bin_dir/opg-node exists and is not a link to the build: left as it is; the build is $OPG_NODE_BIN"
else
	ln -sfn "$OPG_NODE_BIN" "$bin_dir/opg-node"
	case ":$PATH:" in
	*":$bin_dir:"*) log "opg-node is on your PATH ($bin_dir/opg-node -> $OPG_NODE_BIN)" ;;
	*) warn "$bin_dir is not on your PATH: add it (export PATH=\"$bin_dir:\$PATH\") to type \`opg-node\`, or run $OPG_NODE_BIN" ;;
	esac
fi

log "starting a dev chain: RPC ws://127.0.0.1:9944, Prometheus http://127.0.0.1:9615/metrics"
log "upload a model: scripts/make-test-model.sh /tmp/mlp.onnx && scripts/upload-model.sh /tmp/mlp.onnx"
exec "$OPG_NODE_BIN" --dev "$@"
