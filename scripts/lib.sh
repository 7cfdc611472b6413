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
# Where the node with `--features runtime-benchmarks` (the `benchmark` subcommands) is built:
# a target dir of its own, so that it does not replace $OPG_NODE_BIN.
export OPG_BENCH_TARGET_DIR=${OPG_BENCH_TARGET_DIR:-$CARGO_TARGET_DIR-benchmarks}
export OPG_BENCH_NODE_BIN="$OPG_BENCH_TARGET_DIR/release/opg-node"

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
warn() { printf '\033[1;33mwarning:\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# --- Builds -------------------------------------------------------------------------------
# Every script builds through `opg_cargo`, so that they all build the same artifacts:
#
# - In a copy of the Rust sources at $OPG_BUILD_DIR, synced by content (rsync --checksum): a
#   file whose bytes did not change keeps its old time and path, so cargo reuses what it built,
#   also for a fresh clone beside a warm cache (in the clone itself every file is new to cargo,
#   and the runtime's wasm build records absolute paths). Messages name the clone's files.
# - With clippy as the compiler of the workspace's own crates (RUSTC_WORKSPACE_WRAPPER), its
#   warnings denied: the build is the lint, and the ~1,000 dependencies compile once, not once
#   for `cargo build` and again for `cargo clippy`'s check mode.
# - With SUBSTRATE_CLI_GIT_COMMIT_HASH, the last commit that changed the Rust sources, for the
#   node's version string (the copy has no git directory).
# See docs/development.md for what each of these saves.
export OPG_BUILD_DIR=${OPG_BUILD_DIR:-$HOME/.cache/opg-chain/build}
# What cargo reads: the workspace.
OPG_RUST_SOURCES=(Cargo.toml Cargo.lock rustfmt.toml .cargo node runtime pallets primitives)
# clippy's arguments, as `cargo clippy -- -D warnings` passes them to clippy-driver.
OPG_CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"

# Brings $OPG_BUILD_DIR to the clone's Rust sources (tracked and untracked, not ignored).
opg_sync_sources() {
	local sources=() source
	for source in "${OPG_RUST_SOURCES[@]}"; do
		[ -e "$OPG_ROOT/$source" ] && sources+=("$source")
	done
	mkdir -p "$OPG_BUILD_DIR"
	(cd "$OPG_ROOT" && rsync -rlc --delete --delete-excluded --filter=':- .gitignore' \
		--exclude=/target "${sources[@]}" "$OPG_BUILD_DIR/") ||
		die "could not copy the sources to $OPG_BUILD_DIR (is rsync installed? scripts/setup.sh installs it)"
}

# The last commit that changed the Rust sources (with `-modified` when they differ from it).
opg_source_commit() {
	local commit
	commit=$(git -C "$OPG_ROOT" log -1 --format=%h --abbrev=11 -- "${OPG_RUST_SOURCES[@]}" 2>/dev/null) ||
		return 0
	if [ -n "$(git -C "$OPG_ROOT" status --porcelain -- "${OPG_RUST_SOURCES[@]}" 2>/dev/null)" ]; then
		commit="$commit-modified"
	fi
	echo "$commit"
}

# `cargo ARGS...` in the synced copy, linted by clippy; one at a time per machine. With
# OPG_CARGO_TIMINGS set, build and test commands write cargo's timing report
# ($CARGO_TARGET_DIR/cargo-timings/, docs/development.md).
opg_cargo() {
	local clippy_driver commit timings=()
	clippy_driver=$(command -v clippy-driver) ||
		die "clippy-driver not found: run scripts/setup.sh (it adds the clippy component)"
	commit=$(opg_source_commit)
	case "${OPG_CARGO_TIMINGS:+timed} ${1:-}" in
	"timed build" | "timed test" | "timed check") timings=(--timings) ;;
	esac
	mkdir -p "$(dirname "$OPG_BUILD_DIR")"
	(
		flock 9
		opg_sync_sources
		cd "$OPG_BUILD_DIR" || exit 1
		# Compiler messages name files relative to the workspace; the few absolute ones (on
		# stderr) are rewritten to the clone's paths. Stdout stays as cargo writes it (fd 3).
		{
			RUSTC_WORKSPACE_WRAPPER=$clippy_driver CLIPPY_ARGS=$OPG_CLIPPY_ARGS \
				SUBSTRATE_CLI_GIT_COMMIT_HASH=${commit:-unknown} \
				cargo "$1" "${timings[@]}" "${@:2}" 2>&1 1>&3 3>&- | sed -u "s|$OPG_BUILD_DIR/|$OPG_ROOT/|g" >&2
			exit "${PIPESTATUS[0]}"
		} 3>&1
	) 9>"$OPG_BUILD_DIR.lock"
}
