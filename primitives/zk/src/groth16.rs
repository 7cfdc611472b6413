//! Groth16 over BN254 for compiled models: the trusted setup, proving, key files and the
//! feasibility report.
//!
//! # The setup is a trust assumption
//!
//! [`setup`] draws the toxic waste (`alpha`, `beta`, `gamma`, `delta`, `tau`) from a ChaCha20
//! generator seeded with the given 32 bytes, so anyone can reproduce a model's keys from its
//! ONNX bytes and the seed and check them against the registry. Whoever knows the seed (or
//! the waste) can forge proofs for that model: a key set up this way is only as trustworthy
//! as the person who chose the seed and forgot it. What removes the assumption is a multi-party
//! ceremony (powers of tau, then a per-circuit phase 2, as Zcash and Semaphore ran): the key
//! is sound if any one participant destroyed their share. The registry's model-curation track
//! decides which keys it accepts.
#![allow(clippy::arithmetic_side_effects)] // Field arithmetic is modular.

use crate::{circuit::Synthesis, verifier::PROOF_LEN, Fr};
use ark_bn254::Bn254;
use ark_groth16::{r1cs_to_qap::LibsnarkReduction, Groth16, ProvingKey};
use ark_relations::gr1cs::{
	ConstraintSynthesizer, ConstraintSystemRef, LinearCombination, SynthesisError, Variable,
};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use rand::{RngCore, SeedableRng};

/// Replays a synthesized circuit's constraints into arkworks' constraint system (setup only:
/// proving uses the matrices directly).
struct Replay<'a>(&'a Synthesis);

impl ConstraintSynthesizer<Fr> for Replay<'_> {
	fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
		let synthesis = self.0;
		let mut variables = Vec::with_capacity(synthesis.assignment.len());
		variables.push(Variable::one());
		for (index, value) in synthesis.assignment.iter().enumerate().skip(1) {
			let variable = if index <= synthesis.public_inputs {
				cs.new_input_variable(|| Ok(*value))?
			} else {
				cs.new_witness_variable(|| Ok(*value))?
			};
			variables.push(variable);
		}
		let lc = |terms: &Vec<(Fr, usize)>| {
			LinearCombination(
				terms
					.iter()
					.filter_map(|(c, v)| variables.get(*v).map(|variable| (*c, *variable)))
					.collect(),
			)
		};
		let [a, b, c] = &synthesis.matrices;
		for ((a, b), c) in a.iter().zip(b).zip(c) {
			cs.enforce_r1cs_constraint(|| lc(a), || lc(b), || lc(c))?;
		}
		Ok(())
	}
}

/// A model's keys, serialized.
pub struct Keys {
	/// The proving key, uncompressed (the node loads it often and trusts its own file, which it
	/// checks by hash).
	pub proving_key: Vec<u8>,
	/// The verifying key, compressed, as the registry takes it.
	pub verifying_key: Vec<u8>,
}

/// Why setup or proving failed.
#[derive(Debug)]
pub struct ProverError(pub String);

impl core::fmt::Display for ProverError {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		f.write_str(&self.0)
	}
}

impl std::error::Error for ProverError {}

fn error(what: &str, e: impl core::fmt::Display) -> ProverError {
	ProverError(format!("{what}: {e}"))
}

/// Runs the Groth16 setup for a compiled circuit with toxic waste drawn from `seed`.
pub fn setup(circuit: &Synthesis, seed: [u8; 32]) -> Result<Keys, ProverError> {
	let mut rng = rand_chacha::ChaCha20Rng::from_seed(seed);
	let pk = Groth16::<Bn254, LibsnarkReduction>::generate_random_parameters_with_reduction(
		Replay(circuit),
		&mut rng,
	)
	.map_err(|e| error("setup", e))?;
	let mut proving_key = Vec::new();
	pk.serialize_uncompressed(&mut proving_key).map_err(|e| error("proving key", e))?;
	let mut verifying_key = Vec::new();
	pk.vk.serialize_compressed(&mut verifying_key).map_err(|e| error("verifying key", e))?;
	Ok(Keys { proving_key, verifying_key })
}

/// Decodes a proving key file (trusted: the caller checked its hash against the registry).
pub fn decode_proving_key(bytes: &[u8]) -> Result<ProvingKey<Bn254>, ProverError> {
	ProvingKey::deserialize_with_mode(bytes, Compress::No, Validate::No)
		.map_err(|e| error("proving key", e))
}

/// Proves a synthesized circuit (matrices and full assignment) with fresh randomness; answers
/// the uncompressed proof ([`PROOF_LEN`] bytes).
pub fn prove(pk: &ProvingKey<Bn254>, circuit: &Synthesis) -> Result<Vec<u8>, ProverError> {
	if pk.vk.gamma_abc_g1.len() != circuit.public_inputs + 1 {
		return Err(ProverError("the proving key is for another circuit".into()));
	}
	let mut rng = rand::rngs::OsRng;
	let random = |rng: &mut rand::rngs::OsRng| {
		let mut bytes = [0u8; 64];
		rng.fill_bytes(&mut bytes);
		<Fr as ark_ff::PrimeField>::from_le_bytes_mod_order(&bytes)
	};
	let (r, s) = (random(&mut rng), random(&mut rng));
	let proof = Groth16::<Bn254, LibsnarkReduction>::create_proof_with_reduction_and_matrices(
		pk,
		r,
		s,
		&circuit.matrices,
		circuit.public_inputs + 1,
		circuit.constraints(),
		&circuit.assignment,
	)
	.map_err(|e| error("prove", e))?;
	let mut bytes = Vec::with_capacity(PROOF_LEN);
	proof.serialize_uncompressed(&mut bytes).map_err(|e| error("proof", e))?;
	Ok(bytes)
}

/// Blake2-256 of a proving key file: what the registry records and the node checks.
pub fn proving_key_hash(proving_key: &[u8]) -> [u8; 32] {
	sp_crypto_hashing::blake2_256(proving_key)
}

/// What a model costs in ZK mode, known before anyone pays.
#[derive(Clone, Debug, PartialEq)]
pub struct Feasibility {
	/// R1CS constraints.
	pub constraints: usize,
	/// Witness variables.
	pub witnesses: usize,
	/// Public inputs (packed tensor values).
	pub public_inputs: usize,
	/// Non-zero matrix entries.
	pub non_zeros: usize,
	/// The QAP domain: constraints plus public inputs, rounded up to a power of two.
	pub domain: usize,
	/// Size of the uncompressed proving key, in bytes.
	pub proving_key_bytes: usize,
	/// Estimated proving time on the reference hardware class, in milliseconds.
	pub estimated_prove_ms: u64,
	/// Estimated peak prover memory, in bytes.
	pub estimated_memory_bytes: usize,
}

/// Throughput of the reference node class (2 cores, measured by `scripts/bench.sh` on the
/// demo models): constraints proved per second, all cores.
pub const REFERENCE_CONSTRAINTS_PER_SECOND: usize = 60_000;

/// The feasibility report of a compiled circuit.
pub fn feasibility(circuit: &Synthesis) -> Feasibility {
	let constraints = circuit.constraints();
	let variables = circuit.assignment.len();
	let domain = (constraints + circuit.public_inputs + 1).next_power_of_two();
	// A, B-in-G1 and L queries: 64-byte G1 points per variable; B in G2: 128 bytes; H: one G1
	// point per domain element.
	let proving_key_bytes = variables * (64 * 3 + 128) + domain * 64;
	Feasibility {
		constraints,
		witnesses: circuit.witnesses(),
		public_inputs: circuit.public_inputs,
		non_zeros: circuit.non_zeros(),
		domain,
		proving_key_bytes,
		estimated_prove_ms: (constraints.max(1) * 1000 / REFERENCE_CONSTRAINTS_PER_SECOND) as u64,
		// The key in memory, the matrices (48 bytes a term) and seven domain-sized vectors.
		estimated_memory_bytes: proving_key_bytes + circuit.non_zeros() * 48 + domain * 32 * 7,
	}
}
