//! Phase 2 of a Groth16 setup: the per-circuit ceremony that makes a key nobody can forge
//! proofs with, as long as one contributor forgot its secret (issue 35).
//!
//! A Groth16 key's soundness rests on `delta`: whoever knows it (and the phase-1 secrets) can
//! make a proof of anything. Phase 2 lets contributors take turns multiplying `delta` by a
//! secret `s` of their own: `delta` becomes `s·delta` in G1 and G2, and the two queries that are
//! divided by `delta` (`L`, one point per witness, and `H`, one per power of the QAP domain) are
//! multiplied by `s⁻¹`. Every other part of the key is unchanged. After any one honest
//! contribution nobody knows the final `delta`.
//!
//! What each side checks:
//! - A **contribution** ([`Contribution`]: the new `delta` in both groups and a Schnorr proof
//!   that its author knows `s` with `delta₁' = s·delta₁`) is small and checked on chain by
//!   [`verify_contribution`]: `delta` is not the identity, the same scalar in both groups
//!   (`e(delta₁', g₂) = e(g₁, delta₂')`), and the proof of knowledge holds under a context that
//!   names the chain, the model version, the contribution's index, its author and the head it
//!   builds on, so no contribution replays into another ceremony or slot. Without the proof of
//!   knowledge a contributor could pick its `delta` as a combination of earlier ones and cancel
//!   them. (Same scalar: `e(delta₁', delta₂) = e(delta₁, delta₂')` against the delta before,
//!   since a key's generators need not be the canonical ones.)
//! - A **state** (the full proving key after a contribution; megabytes, so it lives in the data
//!   layer, off chain) is checked against the state before it by [`verify_transition`]: the
//!   parts phase 2 must not touch are unchanged, and `L` and `H` moved by the inverse of what
//!   `delta` moved by: for a random linear combination `ρ`,
//!   `e(Σρᵢ·Lᵢ', delta₂') = e(Σρᵢ·Lᵢ, delta₂)` (two multi-scalar multiplications and a pairing
//!   per query instead of one pairing per point).

use crate::verifier::Backend;
use alloc::vec::Vec;
use ark_ec::{pairing::Pairing, AffineRepr};
use ark_ff::{PrimeField, Zero};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use codec::{Decode, DecodeWithMemTracking, Encode};
use scale_info::TypeInfo;

/// Why a contribution or a state transition was refused.
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub enum CeremonyError {
	/// The new `delta` is the identity in G1 or G2.
	IdentityDelta,
	/// The new `delta` is not the same scalar in G1 and G2.
	InconsistentDelta,
	/// The proof of knowledge of the contribution's secret does not verify (a wrong response,
	/// or a proof made for another context: another chain, version, slot, author or head).
	BadProofOfKnowledge,
	/// A part of the key that phase 2 must leave alone changed (`alpha`, `beta`, `gamma`, the
	/// public inputs' points, the `A` and `B` queries), or the queries changed length.
	ChangedFixedPart,
	/// `L` or `H` did not move by the inverse of `delta`'s change.
	QueryRatio,
	/// The contribution's bytes do not decode: wrong length, or a point off the curve or
	/// outside the prime-order subgroup.
	Malformed,
}

/// Length of an encoded contribution ([`encode_contribution`]): `delta` in G1 (64 bytes) and
/// G2 (128), the proof's commitment (64) and response (32), uncompressed, so the runtime
/// decodes it without square roots.
pub const CONTRIBUTION_LEN: usize = 64 + 128 + 64 + 32;

/// Length of an uncompressed G1 point.
pub const G1_LEN: usize = 64;

/// Length of an uncompressed G2 point.
pub const G2_LEN: usize = 128;

/// What a contribution's proof of knowledge is bound to: the chain (its genesis hash), the
/// model version, the contribution's index in the transcript, its author (the encoded account)
/// and the head it builds on. A proof made for one of these verifies for no other, so a
/// contribution cannot be replayed into another chain, ceremony, slot or author's name.
pub fn contribution_context(
	genesis: &[u8; 32],
	model: u32,
	version: u32,
	index: u32,
	author: &[u8],
	head: &[u8; 32],
) -> Vec<u8> {
	(b"opg:zk-ceremony", genesis, model, version, index, author, head).encode()
}

/// `delta` of every initial key, as the chain stores it: the generators of G1 and G2.
pub fn initial_delta<E: Pairing>() -> (Vec<u8>, Vec<u8>) {
	(encode_point(&E::G1Affine::generator()), encode_point(&E::G2Affine::generator()))
}

/// The encoding the chain takes a contribution in ([`CONTRIBUTION_LEN`] bytes).
pub fn encode_contribution<E: Pairing>(contribution: &Contribution<E>) -> Vec<u8> {
	let mut bytes = Vec::with_capacity(CONTRIBUTION_LEN);
	// Writing into a Vec cannot fail.
	let _ = (
		contribution.delta_g1,
		contribution.delta_g2,
		contribution.proof.commitment,
		contribution.proof.response,
	)
		.serialize_uncompressed(&mut bytes);
	bytes
}

/// Decodes an uncompressed point and checks it with the backend's own checks.
fn decode_point<T: CanonicalDeserialize>(
	bytes: &[u8],
	valid: impl Fn(&T) -> bool,
) -> Result<T, CeremonyError> {
	let point = T::deserialize_with_mode(bytes, Compress::No, Validate::No)
		.map_err(|_| CeremonyError::Malformed)?;
	valid(&point).then_some(point).ok_or(CeremonyError::Malformed)
}

/// Decodes a G1 point the chain stores (uncompressed), checking it.
pub fn decode_g1<E: Backend>(bytes: &[u8]) -> Result<E::G1Affine, CeremonyError> {
	decode_point(bytes, E::valid_g1)
}

/// Decodes a G2 point the chain stores (uncompressed), checking it.
pub fn decode_g2<E: Backend>(bytes: &[u8]) -> Result<E::G2Affine, CeremonyError> {
	decode_point(bytes, E::valid_g2)
}

/// Decodes a contribution in the chain's encoding, checking its points.
pub fn decode_contribution<E: Backend>(bytes: &[u8]) -> Result<Contribution<E>, CeremonyError> {
	if bytes.len() != CONTRIBUTION_LEN {
		return Err(CeremonyError::Malformed);
	}
	let (delta_g1, rest) = bytes.split_at(G1_LEN);
	let (delta_g2, rest) = rest.split_at(G2_LEN);
	let (commitment, response) = rest.split_at(G1_LEN);
	Ok(Contribution {
		delta_g1: decode_g1::<E>(delta_g1)?,
		delta_g2: decode_g2::<E>(delta_g2)?,
		proof: KnowledgeProof {
			commitment: decode_g1::<E>(commitment)?,
			response: E::ScalarField::deserialize_with_mode(response, Compress::No, Validate::Yes)
				.map_err(|_| CeremonyError::Malformed)?,
		},
	})
}

/// The uncompressed encoding of a point, as the chain stores a ceremony's `delta`.
pub fn encode_point<P: CanonicalSerialize>(point: &P) -> Vec<u8> {
	let mut bytes = Vec::with_capacity(point.uncompressed_size());
	// Writing into a Vec cannot fail.
	let _ = point.serialize_uncompressed(&mut bytes);
	bytes
}

/// What the chain checks of an encoded contribution on a key whose `delta` is the encoded
/// `previous_g1` and `previous_g2`: it decodes and [`verify_contribution`] holds under
/// `context`. Returns the new `delta`, encoded as the chain stores it.
pub fn verify_encoded<E: Backend>(
	context: &[u8],
	previous_g1: &[u8],
	previous_g2: &[u8],
	contribution: &[u8],
) -> Result<(Vec<u8>, Vec<u8>), CeremonyError> {
	let contribution = decode_contribution::<E>(contribution)?;
	// The chain wrote the previous delta after checking it.
	let previous_g1 = decode_g1::<E>(previous_g1)?;
	let previous_g2 = decode_g2::<E>(previous_g2)?;
	verify_contribution(context, &previous_g1, &previous_g2, &contribution)?;
	Ok((encode_point(&contribution.delta_g1), encode_point(&contribution.delta_g2)))
}

/// A Schnorr proof of knowledge of `s` with `next = s·base`, in G1.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct KnowledgeProof<E: Pairing> {
	/// `r·base` for the prover's random `r`.
	pub commitment: E::G1Affine,
	/// `r + c·s`, `c` the challenge hashed from the context and the points.
	pub response: E::ScalarField,
}

/// One contributor's step: the new `delta` in both groups, and its proof of knowledge.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Contribution<E: Pairing> {
	/// `s·delta₁` of the key before.
	pub delta_g1: E::G1Affine,
	/// `s·delta₂` of the key before.
	pub delta_g2: E::G2Affine,
	/// That its author knows `s`.
	pub proof: KnowledgeProof<E>,
}

/// The Schnorr challenge: blake2-256 of a domain tag, the context and the three points,
/// reduced into the scalar field.
fn challenge<E: Pairing>(
	context: &[u8],
	base: &E::G1Affine,
	next: &E::G1Affine,
	commitment: &E::G1Affine,
) -> E::ScalarField {
	let mut bytes = Vec::from(&b"opg:zk-phase2-pok:"[..]);
	bytes.extend_from_slice(&(context.len() as u64).to_le_bytes());
	bytes.extend_from_slice(context);
	for point in [base, next, commitment] {
		// Writing into a Vec cannot fail.
		let _ = point.serialize_compressed(&mut bytes);
	}
	E::ScalarField::from_le_bytes_mod_order(&sp_crypto_hashing::blake2_256(&bytes))
}

/// Checks `contribution` to a key whose `delta` was `previous_delta_g1` and
/// `previous_delta_g2`, under `context` (what it must be bound to: the chain, the model version,
/// the slot, the author, the head it builds on). What the chain checks before it accepts a
/// contribution.
#[allow(clippy::arithmetic_side_effects)] // Group arithmetic is modular.
pub fn verify_contribution<E: Pairing>(
	context: &[u8],
	previous_delta_g1: &E::G1Affine,
	previous_delta_g2: &E::G2Affine,
	contribution: &Contribution<E>,
) -> Result<(), CeremonyError> {
	if contribution.delta_g1.is_zero() || contribution.delta_g2.is_zero() {
		return Err(CeremonyError::IdentityDelta);
	}
	// e(delta₁', delta₂) = e(delta₁, delta₂'), as one two-pair product (one final
	// exponentiation).
	if !E::multi_pairing(
		[contribution.delta_g1, (-previous_delta_g1.into_group()).into()],
		[*previous_delta_g2, contribution.delta_g2],
	)
	.is_zero()
	{
		return Err(CeremonyError::InconsistentDelta);
	}
	let proof = &contribution.proof;
	let c = challenge::<E>(context, previous_delta_g1, &contribution.delta_g1, &proof.commitment);
	let lhs = *previous_delta_g1 * proof.response;
	let rhs = proof.commitment.into_group() + contribution.delta_g1 * c;
	if lhs != rhs {
		return Err(CeremonyError::BadProofOfKnowledge);
	}
	Ok(())
}

/// The contribution that multiplies `delta` (`previous_g1`, `previous_g2`) by `secret`, with
/// its proof of knowledge under `context` from the proof's `nonce`. Whoever contributes draws
/// both from its own randomness ([`contribute`]); benchmarks build real contributions with it
/// in the runtime.
#[allow(clippy::arithmetic_side_effects)] // Group and field arithmetic is modular.
pub fn contribution_from<E: Pairing>(
	context: &[u8],
	previous_g1: &E::G1Affine,
	previous_g2: &E::G2Affine,
	secret: E::ScalarField,
	nonce: E::ScalarField,
) -> Contribution<E> {
	use ark_ec::CurveGroup;
	let delta_g1 = (*previous_g1 * secret).into_affine();
	let commitment = (*previous_g1 * nonce).into_affine();
	let c = challenge::<E>(context, previous_g1, &delta_g1, &commitment);
	Contribution {
		delta_g1,
		delta_g2: (*previous_g2 * secret).into_affine(),
		proof: KnowledgeProof { commitment, response: nonce + c * secret },
	}
}

#[cfg(feature = "prover")]
pub use state::{contribute, verify_transition};

#[cfg(feature = "prover")]
mod state {
	//! The proving key's side: contributing to it, and checking one state against the one
	//! before it (nodes do this off chain before they attest a ceremony's result).
	#![allow(clippy::arithmetic_side_effects)] // Group and field arithmetic is modular.

	use super::*;
	use ark_ec::{CurveGroup, VariableBaseMSM};
	use ark_ff::{Field, UniformRand, Zero};
	use ark_groth16::ProvingKey;
	use rand::RngCore;

	/// Contributes to `key` with a fresh secret from `rng` (the caller's own randomness, never
	/// a seed someone else could know): multiplies `delta` by it and divides `L` and `H`, and
	/// returns the contribution with its proof of knowledge under `context`. The secret is
	/// dropped when this returns.
	pub fn contribute<E: Pairing, R: RngCore>(
		key: &mut ProvingKey<E>,
		context: &[u8],
		rng: &mut R,
	) -> Contribution<E> {
		let secret = loop {
			let candidate = E::ScalarField::rand(rng);
			if !candidate.is_zero() {
				break candidate;
			}
		};
		// Nonzero, so invertible.
		let inverse = secret.inverse().unwrap_or_default();
		let nonce = E::ScalarField::rand(rng);
		let contribution =
			contribution_from(context, &key.delta_g1, &key.vk.delta_g2, secret, nonce);
		key.delta_g1 = contribution.delta_g1;
		key.vk.delta_g2 = contribution.delta_g2;
		let scale = |points: &[E::G1Affine]| {
			use rayon::prelude::*;
			let scaled: Vec<E::G1> = points.par_iter().map(|point| *point * inverse).collect();
			E::G1::normalize_batch(&scaled)
		};
		key.l_query = scale(&key.l_query);
		key.h_query = scale(&key.h_query);
		contribution
	}

	/// Checks that `next` is `previous` after one phase-2 step: everything but `delta`, `L` and
	/// `H` unchanged, `delta` the same scalar in both groups, and `L` and `H` moved by the
	/// inverse of `delta`'s change (a random linear combination from `rng`: a state that passes
	/// with a fresh `rng` is right except with probability 1/r).
	pub fn verify_transition<E: Pairing, R: RngCore>(
		previous: &ProvingKey<E>,
		next: &ProvingKey<E>,
		rng: &mut R,
	) -> Result<(), CeremonyError> {
		let fixed = |key: &ProvingKey<E>| {
			(
				key.vk.alpha_g1,
				key.vk.beta_g2,
				key.vk.gamma_g2,
				key.beta_g1,
				key.vk.gamma_abc_g1.clone(),
				key.a_query.clone(),
				key.b_g1_query.clone(),
				key.b_g2_query.clone(),
			)
		};
		if fixed(previous) != fixed(next)
			|| previous.l_query.len() != next.l_query.len()
			|| previous.h_query.len() != next.h_query.len()
		{
			return Err(CeremonyError::ChangedFixedPart);
		}
		if next.delta_g1.is_zero() || next.vk.delta_g2.is_zero() {
			return Err(CeremonyError::IdentityDelta);
		}
		if E::pairing(next.delta_g1, previous.vk.delta_g2)
			!= E::pairing(previous.delta_g1, next.vk.delta_g2)
		{
			return Err(CeremonyError::InconsistentDelta);
		}
		for (before, after) in
			[(&previous.l_query, &next.l_query), (&previous.h_query, &next.h_query)]
		{
			let weights: Vec<E::ScalarField> =
				(0..before.len()).map(|_| E::ScalarField::rand(rng)).collect();
			let combine =
				|points: &[E::G1Affine]| E::G1::msm(points, &weights).map(|sum| sum.into_affine());
			let (Ok(before), Ok(after)) = (combine(before), combine(after)) else {
				return Err(CeremonyError::QueryRatio);
			};
			if E::pairing(after, next.vk.delta_g2) != E::pairing(before, previous.vk.delta_g2) {
				return Err(CeremonyError::QueryRatio);
			}
		}
		Ok(())
	}
}
