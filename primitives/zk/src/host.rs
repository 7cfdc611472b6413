//! BN254 host functions: the runtime's pairings and multi-scalar multiplications run natively.
//!
//! Modelled on `sp-crypto-ec-utils`' BLS12-381 module, which has no BN254 counterpart:
//! [`HostHooks`] implements `ark-bn254-ext`'s `CurveHooks` by calling the `opg_bn_254` host
//! functions, so [`HostBn254`] is BN254 whose expensive operations leave the wasm runtime.
//! The node registers [`opg_bn_254::HostFunctions`] in `service::HostFunctions`.
//!
//! This is consensus code: each function is a pure function of its arguments. Points and
//! scalars cross the boundary in arkworks' uncompressed encoding without re-validation (the
//! runtime validated them when it decoded the key and the proof); a `None` answer means the
//! runtime broke that contract, and the hook panics, as `sp-crypto-ec-utils`' hooks do.
//! Changing any answer needs a new interface version.

use alloc::vec::Vec;
use ark_bn254_ext::CurveHooks;
use ark_ec::{pairing::Pairing, CurveGroup};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use sp_runtime_interface::{
	pass_by::{AllocateAndReturnByCodec, PassFatPointerAndRead},
	runtime_interface,
};

/// BN254 with its arithmetic in host functions: what the runtime verifies with.
pub type HostBn254 = ark_bn254_ext::Bn254<HostHooks>;

type G1Affine = ark_bn254_ext::g1::G1Affine<HostHooks>;
type G2Affine = ark_bn254_ext::g2::G2Affine<HostHooks>;
type G1Projective = ark_bn254_ext::g1::G1Projective<HostHooks>;
type G2Projective = ark_bn254_ext::g2::G2Projective<HostHooks>;
type TargetField = <HostBn254 as Pairing>::TargetField;
type ScalarField = <HostBn254 as Pairing>::ScalarField;

const CONTRACT: &str = "BN254 host call refused arguments the runtime validated; qed";

fn encode<T: CanonicalSerialize>(value: T) -> Vec<u8> {
	let mut out = Vec::with_capacity(value.uncompressed_size());
	// Writing into a Vec cannot fail.
	let _ = value.serialize_uncompressed(&mut out);
	out
}

fn decode<T: CanonicalDeserialize>(bytes: &[u8]) -> Option<T> {
	T::deserialize_with_mode(bytes, Compress::No, Validate::No).ok()
}

impl crate::verifier::Backend for HostBn254 {
	fn valid_g1(point: &G1Affine) -> bool {
		point.is_on_curve()
	}

	fn valid_g2(point: &G2Affine) -> bool {
		// On the curve here (cheap); the subgroup natively (a scalar multiplication in wasm).
		point.is_on_curve() && opg_bn_254::g2_in_subgroup(&encode(*point))
	}
}

/// Curve hooks that jump into the [`opg_bn_254`] host functions.
#[derive(Clone, Copy)]
pub struct HostHooks;

impl CurveHooks for HostHooks {
	fn multi_miller_loop(
		g1: impl Iterator<Item = <HostBn254 as Pairing>::G1Prepared>,
		g2: impl Iterator<Item = <HostBn254 as Pairing>::G2Prepared>,
	) -> TargetField {
		let g1: Vec<G1Affine> = g1.map(|p| p.0).collect();
		let g2: Vec<G2Affine> = g2.map(|p| p.0).collect();
		opg_bn_254::multi_miller_loop(&encode(g1), &encode(g2))
			.and_then(|out| decode(&out))
			.expect(CONTRACT)
	}

	fn final_exponentiation(target: TargetField) -> TargetField {
		opg_bn_254::final_exponentiation(&encode(target))
			.and_then(|out| decode(&out))
			.expect(CONTRACT)
	}

	fn msm_g1(bases: &[G1Affine], scalars: &[ScalarField]) -> G1Projective {
		opg_bn_254::msm_g1(&encode(bases), &encode(scalars))
			.and_then(|out| decode::<G1Affine>(&out))
			.expect(CONTRACT)
			.into()
	}

	fn msm_g2(bases: &[G2Affine], scalars: &[ScalarField]) -> G2Projective {
		opg_bn_254::msm_g2(&encode(bases), &encode(scalars))
			.and_then(|out| decode::<G2Affine>(&out))
			.expect(CONTRACT)
			.into()
	}

	fn mul_projective_g1(base: &G1Projective, scalar: &[u64]) -> G1Projective {
		opg_bn_254::mul_g1(&encode(base.into_affine()), &encode(scalar))
			.and_then(|out| decode::<G1Affine>(&out))
			.expect(CONTRACT)
			.into()
	}

	fn mul_projective_g2(base: &G2Projective, scalar: &[u64]) -> G2Projective {
		opg_bn_254::mul_g2(&encode(base.into_affine()), &encode(scalar))
			.and_then(|out| decode::<G2Affine>(&out))
			.expect(CONTRACT)
			.into()
	}
}

#[cfg(feature = "std")]
mod native {
	use super::{decode, encode};
	use alloc::vec::Vec;
	use ark_bn254::{g1, g2, Bn254, Fr};
	use ark_ec::{
		pairing::{MillerLoopOutput, Pairing},
		short_weierstrass::{Affine, Projective, SWCurveConfig},
		CurveGroup, VariableBaseMSM,
	};

	pub fn multi_miller_loop(a: &[u8], b: &[u8]) -> Option<Vec<u8>> {
		let a: Vec<g1::G1Affine> = decode(a)?;
		let b: Vec<g2::G2Affine> = decode(b)?;
		if a.len() != b.len() {
			return None;
		}
		Some(encode(Bn254::multi_miller_loop(a, b).0))
	}

	pub fn final_exponentiation(target: &[u8]) -> Option<Vec<u8>> {
		let target = decode(target)?;
		Bn254::final_exponentiation(MillerLoopOutput(target)).map(|out| encode(out.0))
	}

	pub fn msm<C: SWCurveConfig<ScalarField = Fr>>(
		bases: &[u8],
		scalars: &[u8],
	) -> Option<Vec<u8>> {
		let bases: Vec<Affine<C>> = decode(bases)?;
		let scalars: Vec<Fr> = decode(scalars)?;
		let sum = Projective::<C>::msm(&bases, &scalars).ok()?;
		Some(encode(sum.into_affine()))
	}

	pub fn g2_in_subgroup(point: &[u8]) -> bool {
		use ark_ec::short_weierstrass::SWCurveConfig;
		let Some(point) = decode::<g2::G2Affine>(point) else { return false };
		point.is_on_curve() && g2::Config::is_in_correct_subgroup_assuming_on_curve(&point)
	}

	pub fn mul<C: SWCurveConfig>(base: &[u8], scalar: &[u8]) -> Option<Vec<u8>> {
		let base: Affine<C> = decode(base)?;
		let scalar: Vec<u64> = decode(scalar)?;
		Some(encode(C::mul_affine(&base, &scalar).into_affine()))
	}
}

/// BN254 arithmetic for the runtime, run natively.
#[runtime_interface]
pub trait OpgBn254 {
	/// The Miller loop of `Σ e(a_i, b_i)`: `a` an encoded `Vec<G1Affine>`, `b` an encoded
	/// `Vec<G2Affine>` of the same length. Answers the encoded target-field element.
	fn multi_miller_loop(
		a: PassFatPointerAndRead<&[u8]>,
		b: PassFatPointerAndRead<&[u8]>,
	) -> AllocateAndReturnByCodec<Option<Vec<u8>>> {
		native::multi_miller_loop(a, b)
	}

	/// The final exponentiation of an encoded target-field element.
	fn final_exponentiation(
		target: PassFatPointerAndRead<&[u8]>,
	) -> AllocateAndReturnByCodec<Option<Vec<u8>>> {
		native::final_exponentiation(target)
	}

	/// `Σ scalars_i · bases_i` on G1: encoded `Vec<G1Affine>` and `Vec<Fr>` of one length.
	fn msm_g1(
		bases: PassFatPointerAndRead<&[u8]>,
		scalars: PassFatPointerAndRead<&[u8]>,
	) -> AllocateAndReturnByCodec<Option<Vec<u8>>> {
		native::msm::<ark_bn254::g1::Config>(bases, scalars)
	}

	/// `Σ scalars_i · bases_i` on G2.
	fn msm_g2(
		bases: PassFatPointerAndRead<&[u8]>,
		scalars: PassFatPointerAndRead<&[u8]>,
	) -> AllocateAndReturnByCodec<Option<Vec<u8>>> {
		native::msm::<ark_bn254::g2::Config>(bases, scalars)
	}

	/// `scalar · base` on G1, the scalar as encoded `Vec<u64>` limbs.
	fn mul_g1(
		base: PassFatPointerAndRead<&[u8]>,
		scalar: PassFatPointerAndRead<&[u8]>,
	) -> AllocateAndReturnByCodec<Option<Vec<u8>>> {
		native::mul::<ark_bn254::g1::Config>(base, scalar)
	}

	/// Whether an encoded G2 point is on the curve and in the prime-order subgroup (BN254's
	/// endomorphism test): what a proof's `B` must pass.
	fn g2_in_subgroup(point: PassFatPointerAndRead<&[u8]>) -> bool {
		native::g2_in_subgroup(point)
	}

	/// `scalar · base` on G2.
	fn mul_g2(
		base: PassFatPointerAndRead<&[u8]>,
		scalar: PassFatPointerAndRead<&[u8]>,
	) -> AllocateAndReturnByCodec<Option<Vec<u8>>> {
		native::mul::<ark_bn254::g2::Config>(base, scalar)
	}
}
