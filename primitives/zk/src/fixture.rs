//! A real proof for tests and benchmarks that cannot prove (the runtime's benchmarks run in
//! wasm): the 16-12-4 integer MLP of `onnx::build::mlp(16, 12, 4, 1)`, its keys from seed
//! `[1; 32]`, one input, its output and a proof. `tests/fixture.rs` checks the file against
//! the compiler (and rewrites it with `OPG_WRITE_FIXTURE=1` when the circuit format changes).

use alloc::vec::Vec;
use codec::{Decode, Encode};

/// The fixture's encoded bytes.
pub const MLP_16_12_4: &[u8] = include_bytes!("../fixtures/mlp-16-12-4.scale");

/// The setup seed of the fixture's keys.
pub const SEED: [u8; 32] = [1; 32];

/// A model's verifying key with one input, output and proof.
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
	/// The uncompressed proof.
	pub proof: Vec<u8>,
}

/// The 16-12-4 MLP fixture, when the file decodes.
pub fn mlp() -> Option<Fixture> {
	Fixture::decode(&mut &MLP_16_12_4[..]).ok()
}
