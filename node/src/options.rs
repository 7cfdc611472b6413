//! Options and argument parsers that more than one command shares: how the node runs inference
//! (the node itself, `run-model`, `zk-prove`), and hex parsing (`zk-setup`, `tee`). Nothing here
//! depends on another module of the node, so every command can depend on it.

/// How the node runs inference for its offchain workers (inference and verifier nodes).
#[derive(Debug, Clone, clap::Args)]
pub struct InferenceOptions {
	/// The ONNX Runtime shared library (`libonnxruntime.so.1.x`, in the `onnxruntime` wheel's
	/// `capi/` folder). Default: `$OPG_ONNXRUNTIME`, else the wheel that `scripts/setup.sh`
	/// installs into `~/.cache/opg-chain/venv`.
	#[arg(long, value_name = "PATH")]
	pub onnxruntime: Option<std::path::PathBuf>,

	/// Run without an inference engine: this node's offchain workers answer no job and verify
	/// none (a validator or data node that is not an inference or verifier node).
	#[arg(long, conflicts_with = "onnxruntime")]
	pub no_inference: bool,

	/// Memory for cached ONNX Runtime sessions, in MiB of model bytes; the least recently used
	/// sessions are dropped beyond it.
	#[arg(long, value_name = "MIB", default_value_t = 512)]
	pub inference_cache_mb: usize,

	/// Where this node keeps the Groth16 proving keys of the ZK models it proves, each named
	/// `<blake2-256 hash>.pk` as `zk-setup` writes it. Default: `<base-path>/zk-keys`.
	#[arg(long, value_name = "DIR")]
	pub zk_keys: Option<std::path::PathBuf>,

	/// A powers-of-tau file the chain pins (`ModelRegistry.Phase1`; repeat for several): an
	/// inference node drawn to attest a ZK key ceremony recomputes the version's initial key
	/// from it. A chain that pins the insecure dev ptau needs none (the node makes it).
	#[arg(long, value_name = "FILE")]
	pub zk_ptau: Vec<std::path::PathBuf>,
}

/// 32 bytes written as 64 hex digits, with or without `0x`.
pub fn hex_32(text: &str) -> Option<[u8; 32]> {
	sp_core::bytes::from_hex(text).ok().and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
}
