//! Groth16 verification, `no_std`, generic over the pairing so that the runtime runs it on
//! [`crate::host::HostBn254`] (arithmetic through host functions) and tests and the node on
//! plain `ark_bn254::Bn254`.
//!
//! Formats (arkworks' canonical serialization):
//! - a verifying key as a model owner registers it: compressed, validated on decoding;
//! - a *prepared* key as the registry stores it ([`prepare_verifying_key`]): the key
//!   uncompressed, then `e(alpha, beta)`, so verification skips the square roots, the
//!   subgroup checks and one pairing, all paid once at registration;
//! - a proof: uncompressed (`A`, `B`, `C`: [`PROOF_LEN`] bytes), validated on decoding (points
//!   on the curve; `B` in G2's prime-order subgroup, G1's cofactor being one), with no trailing
//!   bytes. The checks are the curve backend's ([`Backend`]): `ark-bn254-ext` would run a full
//!   254-bit scalar multiplication in wasm for the subgroup check, so the runtime's backend
//!   asks the host.

use alloc::vec::Vec;
use ark_ec::{pairing::Pairing, AffineRepr, VariableBaseMSM};
use ark_groth16::{Groth16, PreparedVerifyingKey, Proof, VerifyingKey};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use codec::{Decode, DecodeWithMemTracking, Encode};
use scale_info::TypeInfo;

/// Length of an uncompressed BN254 Groth16 proof: two G1 points of 64 bytes and one G2 point
/// of 128.
pub const PROOF_LEN: usize = 256;

/// A pairing engine the verifier runs on, with its checks of a proof's points.
pub trait Backend: Pairing {
	/// Whether a decoded G1 point is on the curve (G1's cofactor is one: that is all).
	fn valid_g1(point: &Self::G1Affine) -> bool;

	/// Whether a decoded G2 point is on the curve and in G2's prime-order subgroup.
	fn valid_g2(point: &Self::G2Affine) -> bool;
}

impl Backend for ark_bn254::Bn254 {
	fn valid_g1(point: &Self::G1Affine) -> bool {
		point.is_on_curve()
	}

	fn valid_g2(point: &Self::G2Affine) -> bool {
		use ark_ec::short_weierstrass::SWCurveConfig;
		// BN254's own subgroup check: the endomorphism test of eprint 2022/352, section 4.3.
		point.is_on_curve()
			&& ark_bn254::g2::Config::is_in_correct_subgroup_assuming_on_curve(point)
	}
}

/// Why a key or a proof was refused.
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub enum ZkError {
	/// The verifying key does not decode: truncated, trailing bytes, or a point off the curve
	/// or outside the prime-order subgroup.
	MalformedVerifyingKey,
	/// The verifying key has a different number of public inputs than the model's tensors
	/// pack into.
	PublicInputCount,
	/// The proof does not decode: wrong length or a point off the curve or the subgroup.
	MalformedProof,
	/// The proof does not verify for this key and these public inputs.
	InvalidProof,
	/// A tensor value is outside its declared integer type, or not an integer.
	ValueOutOfRange,
	/// The model's schema cannot be proved: a tensor that is not an integer tensor, or a
	/// dynamic dimension.
	SchemaNotProvable,
	/// The verifying key is degenerate: a point at infinity (a public input its proofs would
	/// not bind, or no secret at all), `gamma` equal to `delta` (a prover moves its public
	/// inputs' part into `C` and proves any inputs), or `delta` the generator (a `delta` of one,
	/// known to everyone). Setups that skip their randomness produce such keys.
	DegenerateVerifyingKey,
	/// An initial key (the start of a ceremony: `gamma` and `delta` the generator) whose
	/// `alpha` or `beta` are not the pinned phase 1's: a key made from secrets of its own.
	NotFromPhase1,
	/// An initial key where the chain pins no phase 1 yet: governance pins the public
	/// ceremony's file first.
	NoPhase1,
}

/// The phase-1 elements a chain pins, uncompressed: `[alpha]₁` (64 bytes) and `[beta]₂`
/// (128 bytes) of the powers-of-tau file whose hash it pins.
pub struct Phase1Elements<'a> {
	/// `[alpha]₁`.
	pub alpha_g1: &'a [u8],
	/// `[beta]₂`.
	pub beta_g2: &'a [u8],
}

/// A verifying key a model owner registers, as the registry takes it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum RegisteredKey {
	/// The initial key of a ceremony: phase 1's `alpha` and `beta`, `gamma` and `delta` the
	/// generator. Not usable until the ceremony moves `delta` ([`finish_key`]).
	Initial,
	/// A key whose `delta` is already random (a one-party setup): prepared, for a chain that
	/// accepts such keys (a dev chain only).
	Finished(Vec<u8>),
}

fn decode_key<E: Pairing>(
	verifying_key: &[u8],
	public_inputs: usize,
) -> Result<VerifyingKey<E>, ZkError> {
	let mut reader = verifying_key;
	let key = VerifyingKey::<E>::deserialize_with_mode(&mut reader, Compress::Yes, Validate::Yes)
		.map_err(|_| ZkError::MalformedVerifyingKey)?;
	if !reader.is_empty() {
		return Err(ZkError::MalformedVerifyingKey);
	}
	if key.gamma_abc_g1.len() != public_inputs.saturating_add(1) {
		return Err(ZkError::PublicInputCount);
	}
	Ok(key)
}

fn prepare<E: Pairing>(key: VerifyingKey<E>) -> Result<Vec<u8>, ZkError> {
	check_nondegenerate(&key)?;
	let alpha_beta = E::pairing(key.alpha_g1, key.beta_g2).0;
	let mut prepared = Vec::new();
	(key, alpha_beta)
		.serialize_uncompressed(&mut prepared)
		.map_err(|_| ZkError::MalformedVerifyingKey)?;
	Ok(prepared)
}

/// Decodes a compressed verifying key and tells an initial key (checked against the pinned
/// `phase1`: [`ZkError::NotFromPhase1`], [`ZkError::NoPhase1`]) from a finished one (checked
/// and prepared as [`prepare_verifying_key`] does).
pub fn register_key<E: Backend>(
	verifying_key: &[u8],
	public_inputs: usize,
	phase1: Option<Phase1Elements<'_>>,
) -> Result<RegisteredKey, ZkError> {
	let key = decode_key::<E>(verifying_key, public_inputs)?;
	let generator = E::G2Affine::generator();
	if key.gamma_g2 != generator || key.delta_g2 != generator {
		return prepare(key).map(RegisteredKey::Finished);
	}
	let phase1 = phase1.ok_or(ZkError::NoPhase1)?;
	let pinned_alpha = crate::ceremony::decode_g1::<E>(phase1.alpha_g1);
	let pinned_beta = crate::ceremony::decode_g2::<E>(phase1.beta_g2);
	if pinned_alpha != Ok(key.alpha_g1) || pinned_beta != Ok(key.beta_g2) {
		return Err(ZkError::NotFromPhase1);
	}
	if key.gamma_abc_g1.iter().any(|p| p.is_zero()) {
		return Err(ZkError::DegenerateVerifyingKey);
	}
	Ok(RegisteredKey::Initial)
}

/// The key a ceremony finished with: the registered initial key with `delta` moved to the
/// ceremony's last `delta_g2` (uncompressed, as the chain stores it; the chain checked each
/// contribution). Returns it compressed (as the registry publishes keys) and prepared.
pub fn finish_key<E: Backend>(
	initial_key: &[u8],
	public_inputs: usize,
	delta_g2: &[u8],
) -> Result<(Vec<u8>, Vec<u8>), ZkError> {
	let mut key = decode_key::<E>(initial_key, public_inputs)?;
	key.delta_g2 =
		crate::ceremony::decode_g2::<E>(delta_g2).map_err(|_| ZkError::MalformedVerifyingKey)?;
	let mut compressed = Vec::new();
	key.serialize_compressed(&mut compressed).map_err(|_| ZkError::MalformedVerifyingKey)?;
	Ok((compressed, prepare(key)?))
}

/// Decodes a compressed verifying key with `public_inputs` public inputs (the constant one not
/// counted), checks every point, and returns its prepared form.
pub fn prepare_verifying_key<E: Pairing>(
	verifying_key: &[u8],
	public_inputs: usize,
) -> Result<Vec<u8>, ZkError> {
	prepare(decode_key::<E>(verifying_key, public_inputs)?)
}

/// Refuses a degenerate verifying key ([`ZkError::DegenerateVerifyingKey`]).
fn check_nondegenerate<E: Pairing>(key: &VerifyingKey<E>) -> Result<(), ZkError> {
	let identity_g1 = core::iter::once(&key.alpha_g1).chain(&key.gamma_abc_g1).any(|p| p.is_zero());
	let identity_g2 = [&key.beta_g2, &key.gamma_g2, &key.delta_g2].iter().any(|p| p.is_zero());
	if identity_g1
		|| identity_g2
		|| key.gamma_g2 == key.delta_g2
		|| key.delta_g2 == E::G2Affine::generator()
	{
		return Err(ZkError::DegenerateVerifyingKey);
	}
	Ok(())
}

/// How many public inputs a prepared key takes (the constant one not counted).
pub fn prepared_public_inputs<E: Pairing>(prepared: &[u8]) -> Result<usize, ZkError> {
	let (key, _) = decode_prepared::<E>(prepared)?;
	Ok(key.gamma_abc_g1.len().saturating_sub(1))
}

fn decode_prepared<E: Pairing>(
	prepared: &[u8],
) -> Result<(VerifyingKey<E>, E::TargetField), ZkError> {
	// Validated when it was prepared; stored by the runtime only.
	<(VerifyingKey<E>, E::TargetField)>::deserialize_with_mode(prepared, Compress::No, Validate::No)
		.map_err(|_| ZkError::MalformedVerifyingKey)
}

/// Decodes an uncompressed proof, checking its points.
pub fn decode_proof<E: Backend>(proof: &[u8]) -> Result<Proof<E>, ZkError> {
	let mut reader = proof;
	let decoded = Proof::<E>::deserialize_with_mode(&mut reader, Compress::No, Validate::No)
		.map_err(|_| ZkError::MalformedProof)?;
	if !reader.is_empty()
		|| !E::valid_g1(&decoded.a)
		|| !E::valid_g1(&decoded.c)
		|| !E::valid_g2(&decoded.b)
	{
		return Err(ZkError::MalformedProof);
	}
	Ok(decoded)
}

/// Verifies `proof` against a prepared key and the public inputs.
///
/// The input count is checked first: `ark-groth16`'s own `verify_proof` zips inputs with the
/// key and would silently ignore missing or extra ones.
#[allow(clippy::arithmetic_side_effects)] // Group arithmetic cannot overflow.
pub fn verify<E: Backend>(
	prepared: &[u8],
	proof: &[u8],
	public_inputs: &[E::ScalarField],
) -> Result<(), ZkError> {
	let (key, alpha_g1_beta_g2) = decode_prepared::<E>(prepared)?;
	let Some((first, rest)) = key.gamma_abc_g1.split_first() else {
		return Err(ZkError::MalformedVerifyingKey);
	};
	if rest.len() != public_inputs.len() {
		return Err(ZkError::PublicInputCount);
	}
	let proof = decode_proof::<E>(proof)?;
	// `msm` (not `msm_unchecked`) is what `ark-bn254-ext` hooks: on `HostBn254` it runs natively.
	let sum = E::G1::msm(rest, public_inputs).map_err(|_| ZkError::PublicInputCount)?;
	let prepared_inputs = first.into_group() + sum;
	let key = PreparedVerifyingKey {
		gamma_g2_neg_pc: (-key.gamma_g2).into(),
		delta_g2_neg_pc: (-key.delta_g2).into(),
		alpha_g1_beta_g2,
		vk: key,
	};
	match Groth16::<E>::verify_proof_with_prepared_inputs(&key, &proof, &prepared_inputs) {
		Ok(true) => Ok(()),
		_ => Err(ZkError::InvalidProof),
	}
}

/// A well-formed, non-degenerate compressed verifying key with `public_inputs` public inputs
/// and no known circuit (small multiples of the generators, so every point is distinct and none
/// is the generator where that is refused): for benchmarks and tests of key handling, which
/// cost the same for any valid key of that size.
#[allow(clippy::arithmetic_side_effects)] // Group arithmetic is modular.
pub fn placeholder_verifying_key(public_inputs: usize) -> Vec<u8> {
	use ark_ec::{AffineRepr, CurveGroup};
	let g1 = ark_bn254::G1Affine::generator();
	let g2 = ark_bn254::G2Affine::generator();
	let g1_times = |k: u64| (g1 * ark_bn254::Fr::from(k)).into_affine();
	let g2_times = |k: u64| (g2 * ark_bn254::Fr::from(k)).into_affine();
	let key = VerifyingKey::<ark_bn254::Bn254> {
		alpha_g1: g1_times(2),
		beta_g2: g2_times(3),
		gamma_g2: g2_times(5),
		delta_g2: g2_times(7),
		gamma_abc_g1: (0..=public_inputs as u64).map(|i| g1_times(i.saturating_add(11))).collect(),
	};
	let mut bytes = Vec::new();
	// Writing into a Vec cannot fail.
	let _ = key.serialize_compressed(&mut bytes);
	bytes
}

/// An initial key (a ceremony's start: `gamma` and `delta` the generator) with
/// `public_inputs` public inputs and no known circuit, compressed, and the phase-1 pin it was
/// made from (`[alpha]₁` and `[beta]₂`, uncompressed): for tests and benchmarks of the
/// registry's handling of initial keys.
#[allow(clippy::arithmetic_side_effects)] // Group arithmetic is modular.
pub fn placeholder_initial_key(public_inputs: usize) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
	use ark_ec::{AffineRepr, CurveGroup};
	let g1 = ark_bn254::G1Affine::generator();
	let g2 = ark_bn254::G2Affine::generator();
	let g1_times = |k: u64| (g1 * ark_bn254::Fr::from(k)).into_affine();
	let key = VerifyingKey::<ark_bn254::Bn254> {
		alpha_g1: g1_times(2),
		beta_g2: (g2 * ark_bn254::Fr::from(3u64)).into_affine(),
		gamma_g2: g2,
		delta_g2: g2,
		gamma_abc_g1: (0..=public_inputs as u64).map(|i| g1_times(i.saturating_add(11))).collect(),
	};
	let mut bytes = Vec::new();
	// Writing into a Vec cannot fail.
	let _ = key.serialize_compressed(&mut bytes);
	(
		bytes,
		crate::ceremony::encode_point(&key.alpha_g1),
		crate::ceremony::encode_point(&key.beta_g2),
	)
}
