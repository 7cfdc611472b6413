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
	Keys::from_proving_key(&pk)
}

/// The initial key of a circuit's phase 2, computed from phase 1 alone: no secret of anyone's
/// goes into it, so anyone with the circuit (the ONNX bytes) and the pinned ptau file computes
/// the same bytes, and its hash ([`proving_key_hash`]) is the ceremony's `init_hash`.
///
/// It is the key arkworks' setup would make with phase 1's `tau`, `alpha` and `beta` and
/// `gamma = delta = 1`, in the form [`prove`] takes (the libsnark reduction's `H` query,
/// `[tauⁱ·Z(tau)]₁ = [tau^(i+n)]₁ − [tauⁱ]₁` over the domain of size `n`), built from the
/// points alone: the domain's Lagrange basis in each group by an inverse FFT of the powers,
/// then each variable's `A`, `B` and `beta·A + alpha·B + C` as sums of basis points weighted
/// by its matrix entries. `delta = 1` is what the ceremony's contributions move away from
/// (`gamma` stays 1, so the public inputs' points are fixed by phase 1 and the circuit).
// Rows index the domain (constraints and inputs fit it, checked first), variables the
// assignment, powers the ptau (its power covers the domain, checked first).
#[allow(clippy::indexing_slicing)]
pub fn initial_key(
	circuit: &Synthesis,
	phase1: &crate::ptau::Phase1,
) -> Result<ProvingKey<Bn254>, ProverError> {
	use ark_bn254::{G1Affine, G1Projective, G2Affine, G2Projective};
	use ark_ec::{AffineRepr, CurveGroup};
	use ark_poly::{EvaluationDomain, GeneralEvaluationDomain};
	use rayon::prelude::*;

	let inputs = circuit.public_inputs + 1;
	let constraints = circuit.constraints();
	let domain = GeneralEvaluationDomain::<Fr>::new(constraints + inputs)
		.ok_or_else(|| ProverError("the circuit is too large for BN254's FFT domains".into()))?;
	let n = domain.size();
	if n > (1usize << phase1.power) {
		return Err(ProverError(format!(
			"the circuit's QAP domain has {n} elements: it needs a ptau file of power {} or \
			 more, this one has power {}",
			n.trailing_zeros(),
			phase1.power
		)));
	}
	let lagrange = |powers: &[G1Affine]| {
		let mut points: Vec<G1Projective> = powers[..n].iter().map(|p| (*p).into()).collect();
		domain.ifft_in_place(&mut points);
		points
	};
	let tau = lagrange(&phase1.tau_g1);
	let alpha_tau = lagrange(&phase1.alpha_tau_g1);
	let beta_tau = lagrange(&phase1.beta_tau_g1);
	let mut tau_g2: Vec<G2Projective> = phase1.tau_g2[..n].iter().map(|p| (*p).into()).collect();
	domain.ifft_in_place(&mut tau_g2);

	// The matrices by column: for each variable, its (constraint, coefficient) entries.
	let variables = circuit.assignment.len();
	let mut columns: [Vec<Vec<(usize, Fr)>>; 3] = Default::default();
	for (matrix, by_column) in circuit.matrices.iter().zip(columns.iter_mut()) {
		*by_column = vec![Vec::new(); variables];
		for (row, terms) in matrix.iter().enumerate() {
			for (coefficient, variable) in terms {
				by_column
					.get_mut(*variable)
					.ok_or_else(|| ProverError("a constraint names no variable".into()))?
					.push((row, *coefficient));
			}
		}
	}
	let [a_columns, b_columns, c_columns] = &columns;
	let queries: Vec<_> = (0..variables)
		.into_par_iter()
		.map(|variable| {
			let sum_g1 = |entries: &[(usize, Fr)], basis: &[G1Projective]| {
				entries.iter().map(|(row, c)| times(&basis[*row], c)).sum::<G1Projective>()
			};
			// The libsnark reduction puts each public input (the one included) in the A
			// polynomial of a row of its own after the constraints.
			let input_row = (variable < inputs).then_some(constraints + variable);
			let (a_entries, b_entries) = (&a_columns[variable], &b_columns[variable]);
			let mut a = sum_g1(a_entries, &tau);
			let mut combined = sum_g1(a_entries, &beta_tau)
				+ sum_g1(b_entries, &alpha_tau)
				+ sum_g1(&c_columns[variable], &tau);
			if let Some(row) = input_row {
				a += tau[row];
				combined += beta_tau[row];
			}
			let b_g2 =
				b_entries.iter().map(|(row, c)| times(&tau_g2[*row], c)).sum::<G2Projective>();
			(a, sum_g1(b_entries, &tau), b_g2, combined)
		})
		.collect();
	let g1s =
		|pick: fn(&(G1Projective, G1Projective, G2Projective, G1Projective)) -> G1Projective| {
			G1Projective::normalize_batch(&queries.iter().map(pick).collect::<Vec<_>>())
		};
	let a_query = g1s(|q| q.0);
	let b_g1_query = g1s(|q| q.1);
	let b_g2_query =
		G2Projective::normalize_batch(&queries.iter().map(|q| q.2).collect::<Vec<_>>());
	let mut combined = g1s(|q| q.3);
	let l_query = combined.split_off(inputs);
	let h_query = G1Projective::normalize_batch(
		&(0..n - 1)
			.into_par_iter()
			.map(|i| phase1.tau_g1[i + n].into_group() - phase1.tau_g1[i])
			.collect::<Vec<_>>(),
	);
	let (g1, g2) = (G1Affine::generator(), G2Affine::generator());
	Ok(ProvingKey {
		vk: ark_groth16::VerifyingKey {
			alpha_g1: phase1.alpha_tau_g1[0],
			beta_g2: phase1.beta_g2,
			gamma_g2: g2,
			delta_g2: g2,
			gamma_abc_g1: combined,
		},
		beta_g1: phase1.beta_tau_g1[0],
		delta_g1: g1,
		a_query,
		b_g1_query,
		b_g2_query,
		h_query,
		l_query,
	})
}

/// `coefficient · point`, cheap for the small coefficients circuits are made of (weights,
/// powers of two, ±1): multiplies by the coefficient or its negation, whichever is shorter.
fn times<G: ark_ec::CurveGroup<ScalarField = Fr>>(point: &G, coefficient: &Fr) -> G {
	use ark_ff::{BigInteger, PrimeField};
	let (positive, negative) = ((*coefficient).into_bigint(), (-*coefficient).into_bigint());
	if negative.num_bits() < positive.num_bits() {
		-point.mul_bigint(negative)
	} else {
		point.mul_bigint(positive)
	}
}

impl Keys {
	/// Serializes a proving key and its verifying key as the node and the registry take them.
	pub fn from_proving_key(pk: &ProvingKey<Bn254>) -> Result<Self, ProverError> {
		let mut proving_key = Vec::new();
		pk.serialize_uncompressed(&mut proving_key).map_err(|e| error("proving key", e))?;
		let mut verifying_key = Vec::new();
		pk.vk.serialize_compressed(&mut verifying_key).map_err(|e| error("verifying key", e))?;
		Ok(Keys { proving_key, verifying_key })
	}
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

/// The content id of a proving key file in [`crate::ceremony::KEY_CHUNK_SIZE`] chunks
/// ([`crate::ceremony::state_id`]): what the registry records and the node checks.
pub fn proving_key_hash(proving_key: &[u8]) -> [u8; 32] {
	let hashes: Vec<_> = proving_key
		.chunks(crate::ceremony::KEY_CHUNK_SIZE as usize)
		.map(opg_primitives::model::chunk_hash)
		.collect();
	crate::ceremony::state_id(proving_key.len() as u64, &hashes).0
}

/// The proving key with content id `hash` from the data layer, where `read_chunk(i)` answers
/// its chunk `i` (the node's off-chain database, where a ceremony's uploads put it): its
/// chunks in order up to the first short or missing one, kept only if they make that content
/// id, so a key missing a chunk, or holding other bytes, reads as absent.
pub fn read_key(
	hash: [u8; 32],
	mut read_chunk: impl FnMut(u32) -> Option<Vec<u8>>,
) -> Option<Vec<u8>> {
	use crate::ceremony::{state_id, KEY_CHUNK_SIZE};
	let mut bytes = Vec::new();
	let mut hashes = Vec::new();
	while let Some(chunk) = read_chunk(hashes.len() as u32) {
		// Every chunk but the last is full: a short one ends the key.
		let last = chunk.len() < KEY_CHUNK_SIZE as usize;
		hashes.push(opg_primitives::model::chunk_hash(&chunk));
		bytes.extend_from_slice(&chunk);
		if last {
			break;
		}
	}
	(!hashes.is_empty() && state_id(bytes.len() as u64, &hashes).0 == hash).then_some(bytes)
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
	use super::*;
	use crate::{circuit::Graph, onnx::build::mlp, ptau::Phase1};
	use ark_ec::AffineRepr;
	use ark_ff::{One, UniformRand};

	/// The initial key is exactly the key arkworks' own setup makes from phase 1's secrets
	/// (known here, since the test ptau's come from a seed) with `gamma = delta = 1`: same
	/// queries, point for point, so it is a Groth16 key of this circuit and nothing else.
	#[test]
	fn the_initial_key_is_arkworks_key_for_phase_1_secrets() {
		let graph = Graph::from_onnx(&mlp(16, 12, 4, 3)).unwrap();
		let circuit = graph.compile().unwrap();
		let power = (circuit.constraints() + circuit.public_inputs + 1)
			.next_power_of_two()
			.trailing_zeros();
		let seed = [11; 32];
		let phase1 = Phase1::insecure_for_tests(power, seed);
		// The secrets in the order `insecure_for_tests` draws them; arkworks draws its `tau`
		// first from the generator it is given, so the same seed gives it the same `tau`.
		let mut secrets = rand_chacha::ChaCha20Rng::from_seed(seed);
		let (_tau, alpha, beta) =
			(Fr::rand(&mut secrets), Fr::rand(&mut secrets), Fr::rand(&mut secrets));
		let expected = Groth16::<Bn254, LibsnarkReduction>::generate_parameters_with_qap(
			Replay(&circuit),
			alpha,
			beta,
			Fr::one(),
			Fr::one(),
			ark_bn254::G1Affine::generator().into_group(),
			ark_bn254::G2Affine::generator().into_group(),
			&mut rand_chacha::ChaCha20Rng::from_seed(seed),
		)
		.unwrap();
		assert_eq!(initial_key(&circuit, &phase1).unwrap(), expected);
	}
}
