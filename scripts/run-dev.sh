#!/usr/bin/env bash
# Sets up the machine, builds opg-node, puts it on PATH (a link in ~/.local/bin) and runs a
# development chain (Alice validating alone, fresh state each run) with RPC on
# ws://127.0.0.1:9944, then uploads the demo models and says how to request inference. Extra
# arguments go to opg-node.
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
"$OPG_NODE_BIN" --dev "$@" &
node_pid=$!
trap 'kill "$node_pid" 2>/dev/null; wait "$node_pid" 2>/dev/null' EXIT
trap 'exit 130' INT TERM

# The demo: two real ONNX models the repo builds, uploaded through the data layer. The dev
# chain's preset nodes (Alice: inference; Bob, Charlie, Dave, Eve: verifiers) run in this one
# node, whose keystore holds their role keys, so requests are answered and verified at once.
PYTHONPATH="$OPG_ROOT/scripts" "$OPG_PYTHON" -c \
	'from opg_tools import chain; chain.wait_for_node("ws://127.0.0.1:9944")' ||
	die "the dev node did not start: see its log above"
demo_dir="$HOME/.cache/opg-chain/demo-models"
PYTHONPATH="$OPG_ROOT/scripts" "$OPG_PYTHON" -m opg_tools.testmodels --demo "$demo_dir" >/dev/null
for model in mlp-16-32-4 iris-logistic; do
	scripts/upload-model.sh "$demo_dir/$model.onnx" --name "$model" --price 0.01 --quiet \
		--description "OPG demo model" >/dev/null || die "uploading the demo model $model failed"
done
log "demo models uploaded: 0 = mlp-16-32-4 (input: 16 floats), 1 = iris-logistic (X: 4 floats)"
log "request a verified inference (in another terminal):"
log "  scripts/infer.sh --model 1 --mode attested --input '{\"X\": [[5.1, 3.5, 1.4, 0.2]]}'"
log "upload your own: scripts/upload-model.sh MODEL.onnx  (scripts/upload-model.sh --help)"
wait "$node_pid"
