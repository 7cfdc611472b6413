#!/usr/bin/env bash
# Installs everything OPG chain needs to build, run and test. Needs: Debian 12 (bookworm),
# Rust $OPG_RUST_VERSION or newer from rustup, Python 3.11 or newer, about 10 GB of free disk
# for the build cache, and root or sudo for the Debian packages (only when some are missing).
# Safe to run again: each step checks first and does nothing when already done.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# --- The system --------------------------------------------------------------------------
if [ -r /etc/os-release ]; then
	# shellcheck disable=SC1091
	. /etc/os-release
	[ "${ID:-}" = debian ] && [ "${VERSION_ID:-}" = 12 ] ||
		warn "this is ${PRETTY_NAME:-an unknown system}; OPG chain is tested on Debian 12 (bookworm)"
fi

# Debian packages: a C toolchain, protoc (libp2p's build), clang (wasm builds of C code),
# OpenSSL's headers (litep2p links the system's OpenSSL instead of compiling its own) and
# Binaryen (the runtime's wasm build runs its wasm-opt instead of compiling it), rsync (the
# builds' copy of the sources, scripts/lib.sh), Python venv support for the clients, Node.js and
# npm (the TypeScript client and the web page's build), Chromium (the web page's end-to-end
# test). docs/development.md says what each saves.
apt_packages=(build-essential clang pkg-config protobuf-compiler libssl-dev binaryen rsync python3-venv python3-pip git curl nodejs npm chromium)
missing=()
for package in "${apt_packages[@]}"; do
	# A Node.js installed another way (NodeSource's nodejs bundles npm and conflicts with
	# Debian's npm package) is fine: what counts is the commands.
	case $package in
	nodejs) command -v node >/dev/null && continue ;;
	npm) command -v npm >/dev/null && continue ;;
	esac
	dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
	command -v apt-get >/dev/null ||
		die "missing packages ${missing[*]} and no apt-get: install them with your system's package manager"
	if [ "$(id -u)" -eq 0 ]; then
		as_root=()
	elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
		as_root=(sudo)
	elif command -v sudo >/dev/null && [ -t 0 ]; then
		log "sudo will ask for your password to install: ${missing[*]}"
		as_root=(sudo)
	elif command -v sudo >/dev/null; then
		die "Debian packages are missing (${missing[*]}) and sudo needs a password, which cannot be
       asked for here (no terminal: scripts/test.sh runs the set-up without one).
       Run scripts/setup.sh once in a terminal, then run this again."
	else
		die "Debian packages are missing (${missing[*]}) and this user is neither root nor allowed to use sudo.
       Ask an administrator to run:  apt-get install -y ${missing[*]}
       then run this script again."
	fi
	log "installing Debian packages: ${missing[*]}"
	"${as_root[@]}" apt-get update -qq
	DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Disk: a cold build cache takes about 10 GB.
mkdir -p "$CARGO_TARGET_DIR"
free_kb=$(df -Pk "$CARGO_TARGET_DIR" | awk 'NR == 2 { print $4 }')
if [ ! -e "$OPG_NODE_BIN" ] && [ "${free_kb:-0}" -lt $((10 * 1024 * 1024)) ]; then
	warn "only $((free_kb / 1024 / 1024)) GB free at $CARGO_TARGET_DIR; a cold build needs about 10 GB (set CARGO_TARGET_DIR to build elsewhere)"
fi

# --- Rust ----------------------------------------------------------------------------------
command -v cargo >/dev/null && command -v rustc >/dev/null ||
	die "Rust not found: install Rust $OPG_RUST_VERSION or newer with rustup (https://rustup.rs), then run this again"
command -v rustup >/dev/null || die "rustup not found: the wasm runtime build needs rustup-managed targets (https://rustup.rs)"
rust_version=$(rustc --version | awk '{ print $2 }')
older_than_tested() { [ "$(printf '%s\n%s\n' "$OPG_RUST_VERSION" "$1" | sort -V | head -n 1)" != "$OPG_RUST_VERSION" ]; }
if older_than_tested "$rust_version"; then
	if [ -n "${OPG_ALLOW_OLD_RUST:-}" ]; then
		warn "Rust $rust_version is older than $OPG_RUST_VERSION; going on because OPG_ALLOW_OLD_RUST is set"
	else
		die "Rust $rust_version is older than $OPG_RUST_VERSION, the version OPG chain is built and tested with
       (older compilers fail on its dependencies). Update it with:  rustup update stable
       That needs access to static.rust-lang.org; on a machine without it, install Rust $OPG_RUST_VERSION
       or newer the way your machines get software, then run this again.
       To try the older compiler anyway: OPG_ALLOW_OLD_RUST=1 $0"
	fi
elif [ "$rust_version" != "$OPG_RUST_VERSION" ]; then
	log "Rust $rust_version (the project is tested with $OPG_RUST_VERSION)"
fi

# The wasm targets the runtime builds for, rust-src for the wasm builder, rustfmt and clippy.
installed_targets=$(rustup target list --installed)
for target in wasm32-unknown-unknown wasm32v1-none; do
	grep -qx "$target" <<<"$installed_targets" && continue
	log "adding rust target $target"
	rustup target add "$target" || die "could not add the Rust target $target (rustup downloads it: this needs access to static.rust-lang.org)"
done
installed_components=$(rustup component list --installed)
for component in rust-src rustfmt clippy; do
	grep -q "^$component" <<<"$installed_components" && continue
	log "adding rust component $component"
	rustup component add "$component" || die "could not add the Rust component $component (rustup downloads it: this needs access to static.rust-lang.org)"
done

# --- Python ----------------------------------------------------------------------------------
command -v python3 >/dev/null || die "python3 not found: install Python $OPG_PYTHON_MIN or newer (Debian 12: apt-get install python3)"
python3 -c "import sys; sys.exit(sys.version_info < tuple(map(int, '$OPG_PYTHON_MIN'.split('.'))))" ||
	die "$(python3 --version 2>&1) is too old: the tools need Python $OPG_PYTHON_MIN or newer (Debian 12 has 3.11)"

# The chain client, ONNX tooling and test runner: every package, transitive ones included, pinned
# with its hashes (regenerate with the command in scripts/requirements.txt). The environment is
# rebuilt from scratch whenever the pins or the Python change, so it holds exactly the pins.
requirements="$OPG_ROOT/scripts/requirements.txt"
stamp="$OPG_VENV/.requirements.sha256"
want="$(sha256sum "$requirements" | cut -d' ' -f1) $(python3 --version 2>&1)"
if [ ! -x "$OPG_PYTHON" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
	log "installing the Python environment in $OPG_VENV (pinned, hash-checked)"
	rm -f "$stamp"
	python3 -m venv --clear "$OPG_VENV" ||
		die "could not create a Python environment: install python3-venv (Debian: apt-get install python3-venv)"
	"$OPG_PYTHON" -m pip install -q --disable-pip-version-check --require-hashes --only-binary :all: \
		--no-deps -r "$requirements" ||
		die "could not install the pinned Python packages (PyPI must be reachable); run this script again to retry"
	echo "$want" >"$stamp"
fi

# The ONNX Runtime library opg-node's inference engine loads: the one in the onnxruntime wheel
# just installed (the wheel names it libonnxruntime.so.<version>; opg-node finds it there, or
# takes --onnxruntime PATH / $OPG_ONNXRUNTIME).
ort_library=$(ls "$OPG_VENV"/lib/python3*/site-packages/onnxruntime/capi/libonnxruntime.so.* 2>/dev/null | sort -V | tail -n 1)
[ -n "$ort_library" ] || die "the onnxruntime wheel in $OPG_VENV has no capi/libonnxruntime.so.*: remove $OPG_VENV and run this script again"

# --- The TypeScript client and the web page ---------------------------------------------------
# clients/typescript (npm @opg/client) with every package pinned by package-lock.json: `npm ci`
# installs exactly the lock whenever it (or Node.js) changed, then `npm run build` compiles the
# package and its example to dist/ and bundles the web page (clients/web/dist/opg.js) whenever
# their sources changed. The stamps live inside what they describe, so deleting node_modules or
# dist redoes the step.
command -v node >/dev/null && command -v npm >/dev/null ||
	die "node and npm not found: install Node.js 18 or newer with npm (Debian 12: apt-get install nodejs npm)"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) < 18 ? 1 : 0)' ||
	die "Node.js $(node --version) is too old: the TypeScript client needs Node.js 18 or newer (Debian 12's nodejs)"
typescript="$OPG_ROOT/clients/typescript"
stamp="$typescript/node_modules/.opg-lock.sha256"
want="$(sha256sum "$typescript/package-lock.json" | cut -d' ' -f1) node $(node --version)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
	log "installing the TypeScript client's packages (npm ci, pinned by clients/typescript/package-lock.json)"
	(cd "$typescript" && npm ci --no-audit --no-fund --loglevel=error) ||
		die "npm ci failed in $typescript (the npm registry must be reachable); run this script again to retry"
	echo "$want" >"$stamp"
fi
build_stamp="$typescript/dist/.opg-build.sha256"
build_want=$(cd "$OPG_ROOT/clients" && find typescript/src typescript/examples typescript/scripts web/src \
	typescript/package.json typescript/package-lock.json typescript/tsconfig.json web/tsconfig.json \
	-type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
if [ "$(cat "$build_stamp" 2>/dev/null)" != "$build_want" ] || [ ! -f "$OPG_ROOT/clients/web/dist/opg.js" ]; then
	log "building the TypeScript client and the web page (npm run build)"
	(cd "$typescript" && npm run --silent build) ||
		die "npm run build failed in $typescript: see the compiler's messages above"
	echo "$build_want" >"$build_stamp"
fi

log "set-up complete (Rust $rust_version, $("$OPG_PYTHON" --version), ONNX Runtime $ort_library, Node.js $(node --version))"
