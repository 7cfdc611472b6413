//! Embeds the version, with the git commit of the sources it was built from, in the node's
//! version string.
//!
//! The scripts build in a copy of the sources (`scripts/lib.sh`, `opg_cargo`) that has no git
//! directory; they pass the commit as `SUBSTRATE_CLI_GIT_COMMIT_HASH`: the last commit that
//! changed what cargo compiles, so a commit of documents or Python alone rebuilds nothing. A
//! plain `cargo build` in a checkout reads it from git.

use substrate_build_script_utils::{generate_cargo_keys, rerun_if_git_head_changed};

fn main() {
	println!("cargo:rerun-if-env-changed=SUBSTRATE_CLI_GIT_COMMIT_HASH");
	if std::env::var_os("SUBSTRATE_CLI_GIT_COMMIT_HASH").is_none() {
		rerun_if_git_head_changed();
	}
	generate_cargo_keys();
}
