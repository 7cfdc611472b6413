#!/usr/bin/env bash
# Installs everything OPG chain needs to build, run and test, on Debian with Rust (rustup).
# Safe to run again: each step checks first and does nothing when already done.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

command -v cargo >/dev/null || die "cargo not found: install Rust with rustup first (https://rustup.rs)"
command -v rustup >/dev/null || die "rustup not found: the wasm runtime build needs rustup-managed targets"

# Debian packages: a C toolchain, protoc (libp2p's build), clang (wasm builds of C code),
# Python venv support for the clients.
apt_packages=(build-essential clang pkg-config protobuf-compiler python3-venv python3-pip git curl)
missing=()
for package in "${apt_packages[@]}"; do
	dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
	log "installing Debian packages: ${missing[*]}"
	sudo_cmd=""
	[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
	$sudo_cmd apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Rust: the wasm targets the runtime builds for, and rust-src for the wasm builder.
installed_targets=$(rustup target list --installed)
for target in wasm32-unknown-unknown wasm32v1-none; do
	grep -qx "$target" <<<"$installed_targets" || { log "adding rust target $target"; rustup target add "$target"; }
done
rustup component list --installed | grep -q '^rust-src' || { log "adding rust-src"; rustup component add rust-src; }
rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
rustup component list --installed | grep -q '^clippy' || rustup component add clippy

# Python: chain clients, ONNX tooling and ONNX Runtime (whose shared library the node's
# inference engine loads), pinned.
requirements="$OPG_ROOT/scripts/requirements.txt"
stamp="$OPG_VENV/.requirements.sha256"
want=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ ! -x "$OPG_PYTHON" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
	log "installing the Python environment in $OPG_VENV"
	python3 -m venv "$OPG_VENV"
	"$OPG_PYTHON" -m pip install -q --upgrade pip
	"$OPG_PYTHON" -m pip install -q -r "$requirements"
	echo "$want" >"$stamp"
fi

# The ONNX Runtime shared library from the wheel (ort loads it by full path).
ort_lib=$("$OPG_PYTHON" - <<'PY'
import glob, os, onnxruntime
libs = sorted(glob.glob(os.path.join(os.path.dirname(onnxruntime.__file__), "capi", "libonnxruntime.so*")))
print(libs[-1] if libs else "")
PY
)
[ -n "$ort_lib" ] || die "the onnxruntime wheel has no libonnxruntime.so: reinstall it with $OPG_PYTHON -m pip install --force-reinstall onnxruntime"
mkdir -p "$HOME/.cache/opg-chain"
echo "$ort_lib" >"$HOME/.cache/opg-chain/onnxruntime-path"
log "set-up complete (ONNX Runtime: $ort_lib)"
