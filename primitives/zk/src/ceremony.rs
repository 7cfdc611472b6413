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

/// Chunk size of a key state in the data layer: 64 KiB, as models' chunks are. It is part of
/// every key's content id ([`state_id`]), so it is a constant of the format, not a runtime
/// parameter.
pub const KEY_CHUNK_SIZE: u32 = 64 * 1024;

/// Domain separator of key states' content ids: never a model's content id, so the model
/// registry's clearing of a model's chunks can never reach a key's.
pub const KEY_STATE_DOMAIN: &[u8] = b"opg:zk-key:v1";

/// The content id of a key state (a proving key file) of `byte_size` bytes from its
/// [`KEY_CHUNK_SIZE`] chunks' blake2-256 hashes: the model content id's formula under its own
/// domain ([`KEY_STATE_DOMAIN`]; `opg_primitives::model::content_id_in_domain`). It is what
/// the chain calls a key's hash (a ceremony's head, a version's `proving_key_hash`), so a node
/// checks a key it reads from the data layer chunk by chunk and a key file in one pass,
/// against the same value.
pub fn state_id(
	byte_size: u64,
	chunk_hashes: &[opg_primitives::model::ContentId],
) -> opg_primitives::model::ContentId {
	opg_primitives::model::content_id_in_domain(
		KEY_STATE_DOMAIN,
		KEY_CHUNK_SIZE,
		byte_size,
		chunk_hashes,
	)
}

/// Where the parts of a key state lie in its file, arkworks' uncompressed `ProvingKey`: the
/// lengths of its vectors, from which every offset follows. The file is
///
/// ```text
/// alpha₁ beta₂ gamma₂ delta₂ | u64 n, IC[n] | beta₁ delta₁ | u64 v, A[v] | u64 v, B₁[v]
///   | u64 v, B₂[v] | u64 h, H[h] | u64 l, L[l]
/// ```
///
/// with G1 points of 64 bytes and G2 points of 128. Every offset is a multiple of 8 and a chunk
/// holds 65,536 bytes, so a length prefix never straddles two chunks; a point may.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	codec::MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct StateLayout {
	/// Points of the public inputs' query (`gamma_abc_g1`: the public inputs and one).
	pub inputs: u32,
	/// Points of each of the A, B (G1) and B (G2) queries: one per variable.
	pub variables: u32,
	/// Points of the H query.
	pub h: u32,
	/// Points of the L query: one per witness.
	pub l: u32,
}

/// Where `delta` in G2 starts in a key file (after `alpha₁`, `beta₂` and `gamma₂`).
const DELTA_G2_AT: usize = G1_LEN + 2 * G2_LEN;

/// A byte of a key state, by the part of the key it belongs to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum StatePart {
	/// A byte phase 2 leaves alone (`alpha`, `beta`, `gamma`, the public inputs' points, the A
	/// and B queries, every length): the same in every state of a ceremony.
	Fixed,
	/// Byte `at` of `delta` in G1: the contribution's own.
	DeltaG1 {
		/// Its index in the point's encoding.
		at: usize,
	},
	/// Byte `at` of `delta` in G2: the contribution's own.
	DeltaG2 {
		/// Its index in the point's encoding.
		at: usize,
	},
	/// A point of the H or L query, which a contribution divides by its secret: the point that
	/// starts at `start`.
	Divided {
		/// The point's first byte.
		start: u64,
	},
}

impl StateLayout {
	/// The offsets of its parts: (delta₂, IC's length, delta₁, A's length, B₁'s length,
	/// B₂'s length, H's length, L's length, the end).
	fn offsets(&self) -> Option<[u64; 9]> {
		const DELTA_G2: u64 = DELTA_G2_AT as u64;
		const INPUTS: u64 = DELTA_G2 + G2_LEN as u64;
		let g1 = |count: u32| u64::from(count).checked_mul(G1_LEN as u64);
		let g2 = |count: u32| u64::from(count).checked_mul(G2_LEN as u64);
		let (delta_g2, inputs) = (DELTA_G2, INPUTS);
		let delta_g1 = inputs.checked_add(8)?.checked_add(g1(self.inputs)?)?.checked_add(64)?;
		let a = delta_g1.checked_add(G1_LEN as u64)?;
		let b_g1 = a.checked_add(8)?.checked_add(g1(self.variables)?)?;
		let b_g2 = b_g1.checked_add(8)?.checked_add(g1(self.variables)?)?;
		let h = b_g2.checked_add(8)?.checked_add(g2(self.variables)?)?;
		let l = h.checked_add(8)?.checked_add(g1(self.h)?)?;
		let end = l.checked_add(8)?.checked_add(g1(self.l)?)?;
		Some([delta_g2, inputs, delta_g1, a, b_g1, b_g2, h, l, end])
	}

	/// The file's size in bytes (`None` if it would not fit a `u64`).
	pub fn size(&self) -> Option<u64> {
		self.offsets().map(|offsets| offsets[8])
	}

	/// Where each vector's length prefix lies, and the length it must hold (little-endian
	/// `u64`): what the chain checks as the initial key's chunks arrive, so that the layout it
	/// judges later challenges by is the file's own.
	pub fn length_prefixes(&self) -> Option<[(u64, u64); 6]> {
		let [_, inputs, _, a, b_g1, b_g2, h, l, _] = self.offsets()?;
		let variables = u64::from(self.variables);
		Some([
			(inputs, u64::from(self.inputs)),
			(a, variables),
			(b_g1, variables),
			(b_g2, variables),
			(h, u64::from(self.h)),
			(l, u64::from(self.l)),
		])
	}

	/// The layout a key file's own length prefixes describe, if they describe a file of its
	/// size with B queries as long as A (what arkworks writes and the chain takes).
	pub fn of_file(bytes: &[u8]) -> Option<StateLayout> {
		let read = |at: u64| -> Option<u32> {
			let at = usize::try_from(at).ok()?;
			let prefix: [u8; 8] = bytes.get(at..at.checked_add(8)?)?.try_into().ok()?;
			u32::try_from(u64::from_le_bytes(prefix)).ok()
		};
		// Each prefix's offset depends only on the lengths before it.
		let mut layout = StateLayout { inputs: 0, variables: 0, h: 0, l: 0 };
		layout.inputs = read(layout.offsets()?[1])?;
		layout.variables = read(layout.offsets()?[3])?;
		layout.h = read(layout.offsets()?[6])?;
		layout.l = read(layout.offsets()?[7])?;
		let prefixes_hold = layout
			.length_prefixes()?
			.iter()
			.all(|(at, length)| read(*at).map(u64::from) == Some(*length));
		(prefixes_hold && layout.size()? == bytes.len() as u64).then_some(layout)
	}

	/// The part of the key byte `offset` belongs to (`None` past the end).
	pub fn part(&self, offset: u64) -> Option<StatePart> {
		let [delta_g2, _, delta_g1, _, _, _, h, l, end] = self.offsets()?;
		let within = |start: u64, len: usize| {
			offset.checked_sub(start).filter(|at| *at < len as u64).map(|at| at as usize)
		};
		let point = |start: u64, count: u32| {
			let first = start.checked_add(8)?;
			let index = offset.checked_sub(first)?.checked_div(G1_LEN as u64)?;
			if index >= u64::from(count) {
				return None;
			}
			first.checked_add(index.checked_mul(G1_LEN as u64)?)
		};
		if offset >= end {
			return None;
		}
		Some(if let Some(at) = within(delta_g2, G2_LEN) {
			StatePart::DeltaG2 { at }
		} else if let Some(at) = within(delta_g1, G1_LEN) {
			StatePart::DeltaG1 { at }
		} else if let Some(start) = point(h, self.h).or_else(|| point(l, self.l)) {
			StatePart::Divided { start }
		} else {
			StatePart::Fixed
		})
	}
}

/// Whether a contribution's state breaks phase 2 at one place, given the bytes there: `part`
/// of the child state (`child`: one byte, or the point for [`StatePart::Divided`]), the same
/// bytes of its parent (`parent`), and both states' `delta` as the chain stores them. A fixed
/// byte must equal the parent's, a byte of `delta` the contribution's, and a divided point
/// `P'` the parent's `P` divided by the contribution's secret: `e(P', delta₂') = e(P, delta₂)`.
/// A child point that does not decode breaks it too; a parent point that does not is the
/// parent's fault (`false`: challenge the parent).
pub fn breaks_transition<E: Backend>(
	part: StatePart,
	parent: &[u8],
	child: &[u8],
	parent_delta_g2: &[u8],
	child_delta: (&[u8], &[u8]),
) -> bool {
	match part {
		StatePart::Fixed => parent.first() != child.first(),
		StatePart::DeltaG1 { at } => child_delta.0.get(at) != child.first(),
		StatePart::DeltaG2 { at } => child_delta.1.get(at) != child.first(),
		StatePart::Divided { .. } => {
			let (Ok(before), Ok(delta_before), Ok(delta_after)) = (
				decode_g1::<E>(parent),
				decode_g2::<E>(parent_delta_g2),
				decode_g2::<E>(child_delta.1),
			) else {
				return false;
			};
			let Ok(after) = decode_g1::<E>(child) else { return true };
			// e(P', delta₂') · e(-P, delta₂) = 1 for a right point.
			#[allow(clippy::arithmetic_side_effects)] // Group negation is modular.
			let product = E::multi_pairing(
				[after, (-before.into_group()).into()],
				[delta_after, delta_before],
			);
			!product.is_zero()
		}
	}
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
pub use state::{contribute, contribute_to_state, contributed_file, find_fault, verify_transition};

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

	/// A contribution to the key state file `parent`, built on the `delta` the chain holds for
	/// it (`chain_delta`: G1, G2, uncompressed) whatever the file spells, since the chain checks
	/// the proof of knowledge against that: a parent whose author wrote another `delta` into
	/// its file cannot make the contribution fail (its own state stays what a challenge
	/// shows). Returns the contribution and the new state's file, written over the parent's
	/// bytes ([`contributed_file`]).
	pub fn contribute_to_state<R: RngCore>(
		parent: &[u8],
		chain_delta: (&[u8], &[u8]),
		context: &[u8],
		rng: &mut R,
	) -> Result<(Contribution<ark_bn254::Bn254>, Vec<u8>), CeremonyError> {
		let mut key =
			crate::groth16::decode_proving_key(parent).map_err(|_| CeremonyError::Malformed)?;
		key.delta_g1 = decode_g1::<ark_bn254::Bn254>(chain_delta.0)?;
		key.vk.delta_g2 = decode_g2::<ark_bn254::Bn254>(chain_delta.1)?;
		let contribution = contribute(&mut key, context, rng);
		Ok((contribution, contributed_file(parent, &key)?))
	}

	/// The key file of `key` (the key of the file `parent` after a contribution) written over
	/// the parent's own bytes: only `delta` and the H and L points change, so every byte phase
	/// 2 leaves alone stays exactly the parent's. A parent that spells a point unusually (a
	/// flag bit arkworks ignores when it reads) is copied as it is, so no challenge of a fixed
	/// byte can frame the contributor for its parent's spelling.
	pub fn contributed_file<E: Pairing>(
		parent: &[u8],
		key: &ProvingKey<E>,
	) -> Result<Vec<u8>, CeremonyError> {
		let layout = StateLayout::of_file(parent).ok_or(CeremonyError::Malformed)?;
		let [delta_g2, _, delta_g1, _, _, _, h, l, _] =
			layout.offsets().ok_or(CeremonyError::Malformed)?;
		if key.h_query.len() != layout.h as usize || key.l_query.len() != layout.l as usize {
			return Err(CeremonyError::ChangedFixedPart);
		}
		let mut bytes = parent.to_vec();
		let mut write = |at: u64, encoded: Vec<u8>| {
			let at = at as usize;
			match bytes.get_mut(at..at + encoded.len()) {
				Some(place) => {
					place.copy_from_slice(&encoded);
					Ok(())
				}
				None => Err(CeremonyError::Malformed),
			}
		};
		write(delta_g2, encode_point(&key.vk.delta_g2))?;
		write(delta_g1, encode_point(&key.delta_g1))?;
		for (prefix, points) in [(h, &key.h_query), (l, &key.l_query)] {
			for (index, point) in points.iter().enumerate() {
				write(prefix + 8 + (index * G1_LEN) as u64, encode_point(point))?;
			}
		}
		Ok(bytes)
	}

	/// Where the key file `child` breaks phase 2 against its parent file `parent`, for a
	/// contribution whose `delta` the chain holds as `child_delta` (G1, G2; uncompressed): the
	/// byte offset a challenge names ([`breaks_transition`] holds there), or `None` when the
	/// transition holds (except with probability about `log₂(n)/r` over `rng`). Fixed bytes and
	/// `delta` are compared byte by byte; H and L by random linear combinations, halving the
	/// range that fails until one point is left.
	pub fn find_fault<R: RngCore>(
		parent: &[u8],
		child: &[u8],
		child_delta: (&[u8], &[u8]),
		rng: &mut R,
	) -> Result<Option<u64>, CeremonyError> {
		type E = ark_bn254::Bn254;
		let layout = StateLayout::of_file(parent).ok_or(CeremonyError::Malformed)?;
		if child.len() != parent.len() {
			return Err(CeremonyError::ChangedFixedPart);
		}
		let parent_delta_g2 =
			parent.get(DELTA_G2_AT..DELTA_G2_AT + G2_LEN).ok_or(CeremonyError::Malformed)?;
		// Bytes that must equal the parent's or the contribution's delta.
		for (offset, (before, after)) in parent.iter().zip(child).enumerate() {
			let broken = match layout.part(offset as u64) {
				Some(StatePart::Fixed) => before != after,
				Some(StatePart::DeltaG1 { at }) => child_delta.0.get(at) != Some(after),
				Some(StatePart::DeltaG2 { at }) => child_delta.1.get(at) != Some(after),
				_ => false,
			};
			if broken {
				return Ok(Some(offset as u64));
			}
		}
		let delta_before = decode_g2::<E>(parent_delta_g2)?;
		let delta_after = decode_g2::<E>(child_delta.1)?;
		let [.., h, l, _] = layout.offsets().ok_or(CeremonyError::Malformed)?;
		for (prefix, count) in [(h, layout.h), (l, layout.l)] {
			let first = prefix as usize + 8;
			fn point(bytes: &[u8], first: usize, index: usize) -> Result<&[u8], CeremonyError> {
				let start = first + index * G1_LEN;
				bytes.get(start..start + G1_LEN).ok_or(CeremonyError::Malformed)
			}
			let mut before = Vec::with_capacity(count as usize);
			let mut after = Vec::with_capacity(count as usize);
			for index in 0..count as usize {
				// A parent point that does not decode is the parent's fault.
				before.push(decode_g1::<E>(point(parent, first, index)?)?);
				match decode_g1::<E>(point(child, first, index)?) {
					Ok(decoded) => after.push(decoded),
					Err(_) => return Ok(Some((first + index * G1_LEN) as u64)),
				}
			}
			// The range [low, high) fails; halve it until one point is left.
			let holds = |low: usize, high: usize, rng: &mut R| {
				let weights: Vec<_> =
					(low..high).map(|_| <E as Pairing>::ScalarField::rand(rng)).collect();
				let combine = |points: &[<E as Pairing>::G1Affine]| {
					<E as Pairing>::G1::msm(points, &weights).map(|sum| sum.into_affine())
				};
				let (Some(before), Some(after)) = (before.get(low..high), after.get(low..high))
				else {
					return false;
				};
				match (combine(before), combine(after)) {
					(Ok(b), Ok(a)) => E::pairing(a, delta_after) == E::pairing(b, delta_before),
					_ => false,
				}
			};
			let (mut low, mut high) = (0, count as usize);
			if high == 0 || holds(low, high, rng) {
				continue;
			}
			while high - low > 1 {
				let middle = low + (high - low) / 2;
				if holds(low, middle, rng) {
					low = middle;
				} else {
					high = middle;
				}
			}
			return Ok(Some((first + low * G1_LEN) as u64));
		}
		Ok(None)
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
