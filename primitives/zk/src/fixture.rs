//! A real proof for tests and benchmarks that cannot prove (the runtime's benchmarks run in
//! wasm): the 16-12-4 integer MLP of `onnx::build::mlp(16, 12, 4, 1)`, its keys from seed
//! `[1; 32]`, one input, its output and proofs of them bound to the jobs and nodes tests and
//! benchmarks use ([`BINDINGS`]). `tests/fixture.rs` checks the file against the compiler (and
//! rewrites it with `OPG_WRITE_FIXTURE=1` when the circuit format changes).

use alloc::vec::Vec;
use codec::{Decode, Encode};

/// The fixture's encoded bytes.
pub const MLP_16_12_4: &[u8] = include_bytes!("../fixtures/mlp-16-12-4.scale");

/// The setup seed of the fixture's keys.
pub const SEED: [u8; 32] = [1; 32];

/// The genesis hash of a test or benchmark chain: `frame_system`'s genesis block hash
/// (`hash69`), which nothing replaces before block 1 is initialized.
pub const GENESIS: [u8; 32] = [69; 32];

/// Who the fixture's proofs are for: job 0 on a [`GENESIS`] chain, for each node a test or
/// benchmark gives it to.
#[derive(Clone, Copy, Debug)]
pub enum BoundNode {
	/// A `u64` account: `pallet-inference`'s mock (nodes 10 and 11, benchmark nodes 30, 31).
	Mock(u64),
	/// The runtime benchmarks' inference node `index`: `frame_benchmarking::account`
	/// (`"inference-node"`, index, 0) as an `AccountId32`.
	Benchmark(u32),
}

impl BoundNode {
	/// The node's SCALE-encoded account, as [`crate::packing::job_binding`] takes it.
	pub fn encoded(self) -> Vec<u8> {
		match self {
			BoundNode::Mock(account) => account.encode(),
			// What `frame_benchmarking::account` decodes an `AccountId32` from.
			BoundNode::Benchmark(index) => {
				sp_crypto_hashing::blake2_256(&("inference-node", index, 0u32).encode()).to_vec()
			}
		}
	}
}

/// The nodes job 0's proofs are bound to.
pub const BINDINGS: [BoundNode; 6] = [
	BoundNode::Mock(10),
	BoundNode::Mock(11),
	BoundNode::Mock(30),
	BoundNode::Mock(31),
	BoundNode::Benchmark(0),
	BoundNode::Benchmark(1),
];

/// A proof of the fixture's statement made for one job and node.
#[derive(Clone, PartialEq, Eq, Encode, Decode, Debug)]
pub struct BoundProof {
	/// The chain's genesis hash.
	pub genesis: [u8; 32],
	/// The job.
	pub job: u64,
	/// The node's SCALE-encoded account.
	pub node: Vec<u8>,
	/// The uncompressed proof.
	pub proof: Vec<u8>,
}

impl BoundProof {
	/// The binding the proof was made with.
	pub fn binding(&self) -> [u8; 32] {
		crate::packing::job_binding(&self.genesis, self.job, &self.node)
	}
}

/// A model's verifying key with one input, its output and proofs of them.
#[derive(Clone, PartialEq, Eq, Encode, Decode, Debug)]
pub struct Fixture {
	/// The compressed verifying key.
	pub verifying_key: Vec<u8>,
	/// Blake2-256 of the proving key.
	pub proving_key_hash: [u8; 32],
	/// The circuit's constraint count.
	pub constraints: u32,
	/// The int8 input, shape `[1, 16]`, named `x`.
	pub input: Vec<i64>,
	/// The int32 output, shape `[1, 4]`, named `y`.
	pub output: Vec<i64>,
	/// Proofs, one for each of [`BINDINGS`].
	pub proofs: Vec<BoundProof>,
}

impl Fixture {
	/// The proof made for `job` and the node whose encoded account is `node` on the chain
	/// with genesis hash `genesis`, if the fixture has one.
	pub fn proof_for(&self, genesis: &[u8], job: u64, node: &[u8]) -> Option<Vec<u8>> {
		self.proofs
			.iter()
			.find(|bound| bound.genesis == genesis && bound.job == job && bound.node == node)
			.map(|bound| bound.proof.clone())
	}

	/// Any one of the proofs (they differ only in their binding).
	pub fn first_proof(&self) -> Option<&BoundProof> {
		self.proofs.first()
	}
}

/// The 16-12-4 MLP fixture, when the file decodes.
pub fn mlp() -> Option<Fixture> {
	Fixture::decode(&mut &MLP_16_12_4[..]).ok()
}
