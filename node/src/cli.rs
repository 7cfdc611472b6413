//! Command-line interface: assembles the node itself (`RunCmd`), the shared options
//! ([`crate::options`]), the standard Substrate subcommands and OPG's own (whose argument
//! structs live with the code that runs them).

use sc_cli::RunCmd;

use crate::options::InferenceOptions;

/// `opg-node` arguments.
#[derive(Debug, clap::Parser)]
pub struct Cli {
	/// A subcommand; without one, the node runs.
	#[command(subcommand)]
	pub subcommand: Option<Subcommand>,

	/// Options of the running node.
	#[clap(flatten)]
	pub run: RunCmd,

	/// The inference engine's options.
	#[clap(flatten)]
	pub inference: InferenceOptions,
}

/// `opg-node` subcommands.
#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Subcommand {
	/// Key management: generate, inspect and insert keys.
	#[command(subcommand)]
	Key(sc_cli::KeySubcommand),

	/// Build a chain specification (use `export-chain-spec` on new tooling).
	BuildSpec(sc_cli::BuildSpecCmd),

	/// Export the chain specification of `--chain`.
	ExportChainSpec(sc_cli::ExportChainSpecCmd),

	/// Validate blocks.
	CheckBlock(sc_cli::CheckBlockCmd),

	/// Export blocks.
	ExportBlocks(sc_cli::ExportBlocksCmd),

	/// Export the state of a given block into a chain spec.
	ExportState(sc_cli::ExportStateCmd),

	/// Import blocks.
	ImportBlocks(sc_cli::ImportBlocksCmd),

	/// Remove the whole chain.
	PurgeChain(sc_cli::PurgeChainCmd),

	/// Revert the chain to a previous state.
	Revert(sc_cli::RevertCmd),

	/// Benchmark the runtime's pallets, blocks, storage and this machine.
	#[cfg(feature = "runtime-benchmarks")]
	#[command(subcommand)]
	Benchmark(frame_benchmarking_cli::BenchmarkCmd),

	/// Benchmark the runtime's pallets, blocks, storage and this machine (needs a node built
	/// with `--features runtime-benchmarks`: `scripts/benchmark.sh` builds one).
	#[cfg(not(feature = "runtime-benchmarks"))]
	Benchmark(BenchmarksNotBuilt),

	/// Database meta columns information.
	ChainInfo(sc_cli::ChainInfoCmd),

	/// Run an ONNX model with the node's inference engine on a JSON input, outside any chain:
	/// what an inference node's offchain worker computes, for checking a model before upload.
	RunModel(crate::inference::RunModelCmd),

	/// ZK feasibility of an integer ONNX model: constraints, estimated proving time and memory,
	/// proving-key size and verification weight; fails when the chain would refuse it.
	ZkReport(crate::prover::ZkReportCmd),

	/// The Groth16 setup of an integer ONNX model from a seed: writes its proving and verifying
	/// keys.
	ZkSetup(crate::prover::ZkSetupCmd),

	/// **INSECURE, dev chains only.** Write the dev ptau the dev and test presets pin (its
	/// secrets come from a public seed).
	ZkDevPtau(crate::ceremony::ZkDevPtauCmd),

	/// A ZK version's initial key from its integer ONNX model and the pinned powers-of-tau
	/// file: what the version registers, and its ceremony's first head.
	ZkInit(crate::ceremony::ZkInitCmd),

	/// Contribute to a ZK key ceremony with this machine's own randomness: writes the new key
	/// and prints the `ZkCeremony.contribute` arguments.
	ZkContribute(crate::ceremony::ZkContributeCmd),

	/// Check a ceremony's key against the initial key it claims to come from (what a prover
	/// checks before it attests).
	ZkVerifyKey(crate::ceremony::ZkVerifyKeyCmd),

	/// Find where a ceremony contribution's key state breaks phase 2 against its parent state:
	/// the byte offset `ZkCeremony.challenge_state` takes.
	ZkFindFault(crate::ceremony::ZkFindFaultCmd),

	/// Prove one input as a ZK job would (ONNX Runtime, circuit, bit-for-bit check, proof) and
	/// verify the proof natively, outside any chain.
	ZkProve(crate::prover::ZkProveCmd),

	/// TEE inference nodes: obtain a quote from this machine's TEE (configfs-tsm or Gramine)
	/// binding the enclave key, a recent block and the registering account, and print it with the
	/// measurement to allow-list.
	#[command(subcommand)]
	Tee(crate::tee::TeeCmd),
}

/// `opg-node benchmark ...` in a build without the benchmarking CLI: takes any arguments and
/// says how to get a node that has it.
#[cfg(not(feature = "runtime-benchmarks"))]
#[derive(Debug, clap::Args)]
pub struct BenchmarksNotBuilt {
	/// The benchmark's arguments, as a node built with benchmarks takes them.
	#[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
	pub args: Vec<String>,
}

#[cfg(not(feature = "runtime-benchmarks"))]
impl BenchmarksNotBuilt {
	/// The error that says what to do.
	pub fn error(&self) -> String {
		"this opg-node was built without the benchmark commands (they add a fifth to its build \
		 time): build one with `cargo build --release -p opg-node --features runtime-benchmarks` \
		 (scripts/benchmark.sh does) and run its `benchmark` subcommand"
			.into()
	}
}
