#!/usr/bin/env bash
# Sets up the machine, builds opg-node, puts it on PATH (a link in ~/.local/bin) and runs a
# development chain (Alice validating alone, fresh state each run) with RPC on
# ws://127.0.0.1:9944, then uploads the demo models and says how to request inference. Extra
# arguments go to opg-node (`--rpc-port N` moves the RPC, and the printed commands follow it).
# Ctrl-C stops the node. scripts/e2e/test_run_dev.py runs this script as the README writes it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$OPG_ROOT"

# The node's RPC port, from the arguments (opg-node's default otherwise).
rpc_port=9944
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
	case ${args[i]} in
	--rpc-port) rpc_port=${args[i + 1]:-$rpc_port} ;;
	--rpc-port=*) rpc_port=${args[i]#*=} ;;
	esac
done
url="ws://127.0.0.1:$rpc_port"
# What the printed commands add to reach the node: nothing on the default port.
url_arg=""
[ "$rpc_port" = 9944 ] || url_arg=" --url $url"

bash scripts/setup.sh
log "building opg-node (a cold build takes about 25 minutes on 2 cores)"
opg_cargo build --release --locked -p opg-node

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

# The ZK demo: scikit-learn's MLP on the digits data, quantized into the integer subset, and
# its Groth16 keys. The seed is fixed so every dev run has the same keys: INSECURE, a one-party
# key only a dev chain accepts (recorded as `InsecureTestSetup`); a production chain takes keys
# from its on-chain ceremony only (docs/zk.md, "Where a key comes from").
demo_dir="$HOME/.cache/opg-chain/demo-models"
zk_dir="$HOME/.cache/opg-chain/demo-zk"
mkdir -p "$demo_dir"
scripts/zk-prepare.sh quantize "$demo_dir/digits-mlp.onnx" --digits \
	--out "$demo_dir/digits-mlp-zk.onnx" >/dev/null || die "preparing the ZK demo model failed"
scripts/zk-prepare.sh setup "$demo_dir/digits-mlp-zk.onnx" --out "$zk_dir" \
	--seed 6f70672d6465762d7a6b2d64656d6f2d6e6f742d612d7365637265742d2d2d21 >/dev/null ||
	die "the ZK demo model's setup failed"

log "starting a dev chain: RPC $url"
"$OPG_NODE_BIN" --dev --zk-keys "$zk_dir" "$@" &
node_pid=$!
trap 'kill "$node_pid" 2>/dev/null; wait "$node_pid" 2>/dev/null' EXIT
# Ctrl-C reaches the node too (one process group), which may stop before this script hears
# it: whichever comes first, the script ends as an interrupted one (130).
interrupted=
trap 'interrupted=1; exit 130' INT TERM

# The demo: two real ONNX models the repo builds, uploaded through the data layer. The dev
# chain's preset nodes (Alice: inference; Bob, Charlie, Dave, Eve: verifiers) run in this one
# node, whose keystore holds their role keys, so requests are answered and verified at once.
PYTHONPATH="$OPG_PYTHONPATH" "$OPG_PYTHON" -c \
	'import sys; from opg import chain; chain.wait_for_node(sys.argv[1])' "$url" ||
	die "the dev node did not start: see its log above"
PYTHONPATH="$OPG_PYTHONPATH" "$OPG_PYTHON" -m opg_tools.testmodels --demo "$demo_dir" >/dev/null
for model in mlp-16-32-4 iris-logistic; do
	scripts/upload-model.sh "$demo_dir/$model.onnx" --url "$url" --name "$model" --price 0.01 --quiet \
		--description "OPG demo model" >/dev/null || die "uploading the demo model $model failed"
done
scripts/upload-model.sh "$demo_dir/digits-mlp-zk.onnx" --url "$url" --name digits-mlp-zk --price 0.01 --quiet \
	--modes zk --zk "$zk_dir" --description "OPG ZK demo: digits MLP, int8 in, logits out" \
	--sudo-approve //Alice >/dev/null || die "uploading the ZK demo model failed"
log "demo models uploaded: 0 = mlp-16-32-4 (input: 16 floats), 1 = iris-logistic (X: 4 floats),"
log "  2 = digits-mlp-zk (X: 64 int8 pixels, ZK mode: a Groth16 proof verified on chain)"
log "request a verified inference (in another terminal):"
log "  scripts/infer.sh$url_arg --model 1 --mode attested --input '{\"X\": [[5.1, 3.5, 1.4, 0.2]]}'"
log "  scripts/infer.sh$url_arg --model 2 --mode zk --input '{\"X\": [[0,0,80,127,100,10,0,0,0,30,127,60,90,100,0,0,0,40,90,0,60,90,0,0,0,0,0,0,100,60,0,0,0,0,0,40,110,0,0,0,0,0,20,110,20,0,0,0,0,0,100,127,127,110,20,0,0,0,90,127,100,60,20,0]]}'"
log "upload your own: scripts/upload-model.sh$url_arg MODEL.onnx  (scripts/upload-model.sh --help)"
log "the dev chain runs until Ctrl-C"
status=0
wait "$node_pid" || status=$?
# A pending Ctrl-C runs its trap here, once `wait` has returned.
[[ -z $interrupted ]] || exit 130
die "the dev node stopped on its own (status $status): see its log above"
