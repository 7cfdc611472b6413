//! The part of the [`wasm-opt`](https://crates.io/crates/wasm-opt) crate's API that
//! `substrate-wasm-builder` uses, carried out by the `wasm-opt` program of the system's Binaryen
//! (Debian's `binaryen` package, which `scripts/setup.sh` installs).
//!
//! Why: the `wasm-opt` crate compiles Binaryen's C++ sources in its build script. On the
//! project's 2-core machines that took 603 s of one core, on the critical path of every cold
//! build, since the runtime's wasm build waits for it (`docs/development.md`). The wasm builder
//! only asks Binaryen for three things on the runtime it built: keep the module MVP-only, strip
//! DWARF, and lower sign-extension instructions; the program does the same with the same
//! passes.
//!
//! Binaryen releases before 110 (Debian 12 ships 108) lack the `signext-lowering` pass. The
//! runtime is built for `wasm32v1-none`, which never emits sign-extension instructions, so
//! there the pass has nothing to do; instead of lowering, the run then validates the module
//! against the MVP feature set, which rejects any sign-extension instruction. A module that
//! would need lowering fails the build with Binaryen's message instead of passing through
//! unchanged.

use std::{
	fmt,
	path::Path,
	process::{Command, Output},
};

/// The program run: `$OPG_WASM_OPT` if set, else `wasm-opt` from `PATH`.
fn program() -> String {
	std::env::var("OPG_WASM_OPT").unwrap_or_else(|_| "wasm-opt".into())
}

/// A Binaryen pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
	/// Lowers sign-extension instructions to MVP instructions.
	SignextLowering,
	/// Removes DWARF debug information.
	StripDwarf,
}

impl Pass {
	/// The pass's name in Binaryen.
	pub fn name(&self) -> &'static str {
		match self {
			Pass::SignextLowering => "signext-lowering",
			Pass::StripDwarf => "strip-dwarf",
		}
	}
}

/// What went wrong running Binaryen.
#[derive(Debug)]
pub enum OptimizationError {
	/// The program could not be started.
	Start { program: String, source: std::io::Error },
	/// Binaryen failed: it printed why.
	Failed { command: String, output: String },
}

impl fmt::Display for OptimizationError {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			OptimizationError::Start { program, source } => write!(
				f,
				"could not run `{program}` ({source}): install Binaryen (Debian: apt-get install \
				 binaryen; scripts/setup.sh does) or point OPG_WASM_OPT at its wasm-opt"
			),
			OptimizationError::Failed { command, output } => {
				write!(f, "`{command}` failed:\n{output}")
			}
		}
	}
}

impl std::error::Error for OptimizationError {}

/// Options of one Binaryen run, built as with the `wasm-opt` crate.
#[derive(Clone, Debug, Default)]
pub struct OptimizationOptions {
	mvp_features_only: bool,
	debug_info: bool,
	passes: Vec<Pass>,
}

impl OptimizationOptions {
	/// Binaryen's `-O0`: no optimization beyond the passes added.
	pub fn new_opt_level_0() -> Self {
		Self::default()
	}

	/// Disables every feature beyond the WebAssembly MVP: the input must not use them.
	pub fn mvp_features_only(&mut self) -> &mut Self {
		self.mvp_features_only = true;
		self
	}

	/// Keeps the names section (and DWARF unless a pass strips it).
	pub fn debug_info(&mut self, value: bool) -> &mut Self {
		self.debug_info = value;
		self
	}

	/// Adds a pass, run after `-O0`'s in the order added.
	pub fn add_pass(&mut self, pass: Pass) -> &mut Self {
		self.passes.push(pass);
		self
	}

	/// Reads `infile`, validates it, runs the passes, validates the result and writes it to
	/// `outfile` (which may be `infile`).
	pub fn run(
		&self,
		infile: impl AsRef<Path>,
		outfile: impl AsRef<Path>,
	) -> Result<(), OptimizationError> {
		let program = program();
		let lowering_supported = self.passes.contains(&Pass::SignextLowering)
			&& supports_pass(&program, Pass::SignextLowering)?;
		let mut command = Command::new(&program);
		command.arg(infile.as_ref()).arg("-o").arg(outfile.as_ref()).arg("-O0");
		if self.mvp_features_only
			|| (self.passes.contains(&Pass::SignextLowering) && !lowering_supported)
		{
			command.arg("--mvp-features");
		}
		if self.debug_info {
			command.arg("--debuginfo");
		}
		for pass in &self.passes {
			if *pass != Pass::SignextLowering || lowering_supported {
				command.arg(format!("--{}", pass.name()));
			}
		}
		let output = run(&program, &mut command)?;
		if output.status.success() {
			Ok(())
		} else {
			Err(OptimizationError::Failed {
				command: format!("{command:?}"),
				output: String::from_utf8_lossy(&[output.stdout, output.stderr].concat()).into(),
			})
		}
	}
}

fn run(program: &str, command: &mut Command) -> Result<Output, OptimizationError> {
	command.output().map_err(|source| OptimizationError::Start { program: program.into(), source })
}

/// Whether this Binaryen knows `pass` (its `--help` lists every pass).
fn supports_pass(program: &str, pass: Pass) -> Result<bool, OptimizationError> {
	let help = run(program, Command::new(program).arg("--help"))?;
	let flag = format!("--{} ", pass.name());
	Ok(String::from_utf8_lossy(&help.stdout).contains(&flag))
}

#[cfg(test)]
mod tests {
	use super::*;

	/// `(module (func (export "f") (param i32) (result i32) local.get 0 i32.extend8_s))`.
	const SIGN_EXTENDING: &[u8] = &[
		0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
		0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f, // type: (i32) -> i32
		0x03, 0x02, 0x01, 0x00, // func 0 of type 0
		0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00, // export "f"
		0x0a, 0x07, 0x01, 0x05, 0x00, 0x20, 0x00, 0xc0, 0x0b, // local.get 0; i32.extend8_s
	];

	/// The same function without the sign extension.
	const MVP: &[u8] = &[
		0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01,
		0x7f, 0x03, 0x02, 0x01, 0x00, 0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00, 0x0a, 0x06, 0x01,
		0x04, 0x00, 0x20, 0x00, 0x0b,
	];

	/// A scratch directory of this test process.
	fn scratch(name: &str) -> std::path::PathBuf {
		let dir = std::env::temp_dir().join(format!("opg-wasm-opt-{}-{name}", std::process::id()));
		std::fs::create_dir_all(&dir).expect("a scratch directory");
		dir
	}

	/// Runs what substrate-wasm-builder runs when it compacts a runtime.
	fn compact(input: &[u8], name: &str) -> Result<Vec<u8>, OptimizationError> {
		let dir = scratch(name);
		let (infile, outfile) = (dir.join("in.wasm"), dir.join("out.wasm"));
		std::fs::write(&infile, input).expect("the input written");
		let result = OptimizationOptions::new_opt_level_0()
			.mvp_features_only()
			.debug_info(true)
			.add_pass(Pass::StripDwarf)
			.add_pass(Pass::SignextLowering)
			.run(&infile, &outfile)
			.map(|()| std::fs::read(&outfile).expect("the output written"));
		let _ = std::fs::remove_dir_all(&dir);
		result
	}

	/// Whether Binaryen accepts `module` as MVP-only: no sign-extension instruction in it.
	fn is_mvp(module: &[u8], name: &str) -> bool {
		let dir = scratch(name);
		let file = dir.join("check.wasm");
		std::fs::write(&file, module).expect("the module written");
		let program = program();
		let checked = Command::new(&program)
			.arg(&file)
			.arg("--mvp-features")
			.output()
			.expect("Binaryen runs");
		let _ = std::fs::remove_dir_all(&dir);
		checked.status.success()
	}

	#[test]
	fn an_mvp_module_comes_out_as_a_valid_mvp_module() {
		let output = compact(MVP, "mvp").expect("Binaryen compacts an MVP module");
		assert!(output.starts_with(b"\0asm"));
		assert!(is_mvp(&output, "mvp-check"));
	}

	#[test]
	fn a_sign_extending_module_is_lowered_or_refused_never_passed_through() {
		assert!(!is_mvp(SIGN_EXTENDING, "input-check"), "the input needs lowering");
		match compact(SIGN_EXTENDING, "signext") {
			// Binaryen 110 and later lower it: the output is MVP-only.
			Ok(output) => assert!(is_mvp(&output, "signext-check")),
			// Older ones refuse it, saying why.
			Err(error) => {
				assert!(matches!(error, OptimizationError::Failed { .. }), "{error}")
			}
		}
	}
}
