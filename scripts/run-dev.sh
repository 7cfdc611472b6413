#!/usr/bin/env bash
# Sets up the machine, builds opg-node and runs a development chain (Alice validating alone,
# fresh state each run) with RPC on ws://127.0.0.1:9944. Extra arguments go to opg-node.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$OPG_ROOT"

bash scripts/setup.sh
log "building opg-node (a cold build takes about 25 minutes on 2 cores)"
cargo build --release --locked -p opg-node
log "starting a dev chain: RPC ws://127.0.0.1:9944, Prometheus http://127.0.0.1:9615/metrics"
log "upload a model: scripts/make-test-model.sh /tmp/mlp.onnx && scripts/upload-model.sh /tmp/mlp.onnx"
exec "$OPG_NODE_BIN" --dev "$@"
