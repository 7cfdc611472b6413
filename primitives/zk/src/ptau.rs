//! Phase 1 of the setup: a powers-of-tau file, as snarkjs writes it.
//!
//! A Groth16 key is sound only if nobody knows the secrets it was made from. Phase 1's secrets
//! (`tau`, `alpha`, `beta`) are the same for every circuit, so they come from the public
//! multi-party ceremony for BN254 (the perpetual powers of tau, whose per-power files snarkjs
//! publishes as `powersOfTau28_hez_final_<power>.ptau`): nobody knows them unless every one of
//! its contributors colluded. Phase 2 (`delta`, [`crate::ceremony`]) is per circuit.
//!
//! The chain pins the blake2-256 hash of each ptau file it accepts ([`file_hash`]); nodes and
//! tools [`load`] a file an operator fetched and refuse it when its hash is not the pinned one,
//! so a file's contents are trusted once its hash matches (its points are still checked to be
//! on the curve, in the right subgroup, with the standard generators first).
//!
//! # The file format
//!
//! `ptau`, a version (`u32`, 1) and a section count (`u32`), then sections, each a type
//! (`u32`), a byte length (`u64`) and its data; integers little-endian. Field elements are 32
//! bytes, little-endian, in Montgomery form (`x·2²⁵⁶ mod q`); a G1 point is `x, y`, a G2 point
//! `x.c0, x.c1, y.c0, y.c1`, the point at infinity all zeros. The sections read here:
//!
//! | type | holds |
//! |---|---|
//! | 1 | the header: field element size (32), the base field's modulus, the file's power `p`, the ceremony's power |
//! | 2 | `[tauⁱ]₁` for `i < 2^(p+1) − 1` |
//! | 3 | `[tauⁱ]₂` for `i < 2^p` |
//! | 4 | `[alpha·tauⁱ]₁` for `i < 2^p` |
//! | 5 | `[beta·tauⁱ]₁` for `i < 2^p` |
//! | 6 | `[beta]₂` |
//!
//! Others (the contribution history, 7; snarkjs' Lagrange forms, 12 to 15) are skipped: the
//! initial key ([`crate::groth16::initial_key`]) computes the Lagrange forms it needs itself.
// Sizes are bounded by the header's power; indices by the section lengths checked on reading.
#![allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use ark_bn254::{Fq, Fq2, G1Affine, G2Affine};
use ark_ec::{scalar_mul::BatchMulPreprocessing, AffineRepr, CurveGroup};
use ark_ff::{BigInt, BigInteger, Field, PrimeField, UniformRand};
use rand::SeedableRng;
use std::{collections::BTreeMap, fmt, path::Path};

/// The largest power a file may have here: 2^24 constraints is four times the chain's limit
/// on a circuit, and a power-24 file is already 4.8 GB.
pub const MAX_POWER: u32 = 24;

/// Why a ptau file was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PtauError {
	/// The file could not be read.
	Io(String),
	/// Its blake2-256 hash is not the pinned one: the wrong file, or a corrupted one.
	HashMismatch {
		/// The pinned hash.
		expected: [u8; 32],
		/// The file's.
		found: [u8; 32],
	},
	/// Not a ptau file, or one cut short.
	Malformed(String),
	/// A ptau file for another curve.
	WrongCurve,
	/// A point is not on the curve or not in the prime-order subgroup.
	InvalidPoint(&'static str),
	/// The powers do not start from the standard generators.
	NotStandardGenerators,
}

impl fmt::Display for PtauError {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			Self::Io(e) => write!(f, "cannot read the ptau file: {e}"),
			Self::HashMismatch { expected, found } => write!(
				f,
				"the ptau file's blake2-256 hash is 0x{} where the chain pins 0x{}: fetch the \
				 file the chain names (docs/zk.md, phase 1)",
				hex(found),
				hex(expected)
			),
			Self::Malformed(why) => write!(f, "not a ptau file: {why}"),
			Self::WrongCurve => f.write_str("a ptau file for another curve than BN254"),
			Self::InvalidPoint(section) => write!(f, "an invalid point in the ptau's {section}"),
			Self::NotStandardGenerators => {
				f.write_str("the ptau's powers do not start from the standard generators")
			}
		}
	}
}

impl std::error::Error for PtauError {}

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Phase 1's elements, as a powers-of-tau file of power `p` holds them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phase1 {
	/// The file's power: it serves QAP domains of up to `2^power` elements.
	pub power: u32,
	/// `[tauⁱ]₁` for `i < 2^(power+1) − 1`.
	pub tau_g1: Vec<G1Affine>,
	/// `[tauⁱ]₂` for `i < 2^power`.
	pub tau_g2: Vec<G2Affine>,
	/// `[alpha·tauⁱ]₁` for `i < 2^power`.
	pub alpha_tau_g1: Vec<G1Affine>,
	/// `[beta·tauⁱ]₁` for `i < 2^power`.
	pub beta_tau_g1: Vec<G1Affine>,
	/// `[beta]₂`.
	pub beta_g2: G2Affine,
}

/// The blake2-256 hash of a ptau file: what the chain pins.
pub fn file_hash(bytes: &[u8]) -> [u8; 32] {
	sp_crypto_hashing::blake2_256(bytes)
}

/// Reads the ptau file at `path` and checks its hash against the pinned `expected`.
pub fn load(path: &Path, expected: &[u8; 32]) -> Result<Phase1, PtauError> {
	let bytes =
		std::fs::read(path).map_err(|e| PtauError::Io(format!("{}: {e}", path.display())))?;
	let found = file_hash(&bytes);
	if &found != expected {
		return Err(PtauError::HashMismatch { expected: *expected, found });
	}
	Phase1::from_bytes(&bytes)
}

const MAGIC: &[u8; 4] = b"ptau";
const FIELD_BYTES: usize = 32;
const G1_BYTES: usize = 2 * FIELD_BYTES;
const G2_BYTES: usize = 4 * FIELD_BYTES;

/// The section types this module reads and writes.
mod section {
	pub const HEADER: u32 = 1;
	pub const TAU_G1: u32 = 2;
	pub const TAU_G2: u32 = 3;
	pub const ALPHA_TAU_G1: u32 = 4;
	pub const BETA_TAU_G1: u32 = 5;
	pub const BETA_G2: u32 = 6;
	pub const CONTRIBUTIONS: u32 = 7;
}

/// A field element from 32 little-endian bytes in Montgomery form.
fn read_fq(bytes: &[u8]) -> Option<Fq> {
	let mut limbs = [0u64; 4];
	for (limb, chunk) in limbs.iter_mut().zip(bytes.chunks_exact(8)) {
		*limb = u64::from_le_bytes(chunk.try_into().ok()?);
	}
	let montgomery = BigInt::new(limbs);
	(montgomery < Fq::MODULUS).then(|| Fq::new_unchecked(montgomery))
}

fn write_fq(out: &mut Vec<u8>, value: &Fq) {
	// `.0` is the Montgomery form.
	out.extend_from_slice(&value.0.to_bytes_le());
}

fn read_g1(bytes: &[u8], what: &'static str) -> Result<G1Affine, PtauError> {
	if bytes.iter().all(|b| *b == 0) {
		return Ok(G1Affine::zero());
	}
	let invalid = PtauError::InvalidPoint(what);
	let (x, y) = bytes.split_at(FIELD_BYTES);
	let point = G1Affine::new_unchecked(
		read_fq(x).ok_or(invalid.clone())?,
		read_fq(y).ok_or(invalid.clone())?,
	);
	// G1 has cofactor 1: on the curve is in the subgroup.
	point.is_on_curve().then_some(point).ok_or(invalid)
}

fn read_g2(bytes: &[u8], what: &'static str) -> Result<G2Affine, PtauError> {
	if bytes.iter().all(|b| *b == 0) {
		return Ok(G2Affine::zero());
	}
	let invalid = PtauError::InvalidPoint(what);
	let element = |i: usize| read_fq(&bytes[i * FIELD_BYTES..(i + 1) * FIELD_BYTES]);
	let (Some(x0), Some(x1), Some(y0), Some(y1)) = (element(0), element(1), element(2), element(3))
	else {
		return Err(invalid);
	};
	let point = G2Affine::new_unchecked(Fq2::new(x0, x1), Fq2::new(y0, y1));
	(point.is_on_curve() && point.is_in_correct_subgroup_assuming_on_curve())
		.then_some(point)
		.ok_or(invalid)
}

fn write_g1(out: &mut Vec<u8>, point: &G1Affine) {
	match point.xy() {
		Some((x, y)) => [x, y].iter().for_each(|v| write_fq(out, v)),
		None => out.extend_from_slice(&[0; G1_BYTES]),
	}
}

fn write_g2(out: &mut Vec<u8>, point: &G2Affine) {
	match point.xy() {
		Some((x, y)) => [x.c0, x.c1, y.c0, y.c1].iter().for_each(|v| write_fq(out, v)),
		None => out.extend_from_slice(&[0; G2_BYTES]),
	}
}

/// Reads `count` points of `size` bytes each from a section's data.
fn points<P: Send>(
	data: &[u8],
	count: usize,
	size: usize,
	what: &'static str,
	read: impl Fn(&[u8], &'static str) -> Result<P, PtauError> + Sync,
) -> Result<Vec<P>, PtauError> {
	if data.len() != count * size {
		return Err(PtauError::Malformed(format!(
			"its {what} holds {} bytes, not {count} points",
			data.len()
		)));
	}
	use rayon::prelude::*;
	data.par_chunks_exact(size).map(|chunk| read(chunk, what)).collect()
}

/// A ptau file's sections by type (the data after each section's header).
pub fn sections(bytes: &[u8]) -> Result<BTreeMap<u32, &[u8]>, PtauError> {
	let cut = || PtauError::Malformed("cut short".into());
	if bytes.get(..4) != Some(MAGIC.as_slice()) {
		return Err(PtauError::Malformed("no `ptau` magic".into()));
	}
	let u32_at = |at: usize| {
		bytes.get(at..at + 4).map(|b| u32::from_le_bytes(b.try_into().unwrap_or_default()))
	};
	let count = u32_at(8).ok_or_else(cut)?;
	let mut sections = BTreeMap::new();
	let mut at = 12usize;
	for _ in 0..count {
		let kind = u32_at(at).ok_or_else(cut)?;
		let len = bytes
			.get(at + 4..at + 12)
			.map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default()))
			.ok_or_else(cut)?;
		let start = at + 12;
		let end = usize::try_from(len).ok().and_then(|len| start.checked_add(len));
		let data = end.and_then(|end| bytes.get(start..end)).ok_or_else(cut)?;
		if sections.insert(kind, data).is_some() {
			return Err(PtauError::Malformed(format!("section {kind} appears twice")));
		}
		at = start + data.len();
	}
	Ok(sections)
}

/// G1 points in the file's encoding, `data.len() / 64` of them (for a section this module does
/// not read, such as snarkjs' Lagrange forms).
pub fn g1_points(data: &[u8]) -> Result<Vec<G1Affine>, PtauError> {
	points(data, data.len() / G1_BYTES, G1_BYTES, "G1 points", read_g1)
}

impl Phase1 {
	/// Parses a ptau file (see the module docs); checks every point and the generators.
	pub fn from_bytes(bytes: &[u8]) -> Result<Self, PtauError> {
		let cut = || PtauError::Malformed("cut short".into());
		let sections = sections(bytes)?;
		let get = |kind: u32| {
			sections
				.get(&kind)
				.copied()
				.ok_or_else(|| PtauError::Malformed(format!("no section {kind}")))
		};

		let header = get(section::HEADER)?;
		let header_u32 = |at: usize| {
			header.get(at..at + 4).map(|b| u32::from_le_bytes(b.try_into().unwrap_or_default()))
		};
		if header_u32(0) != Some(FIELD_BYTES as u32)
			|| header.get(4..4 + FIELD_BYTES) != Some(Fq::MODULUS.to_bytes_le().as_slice())
		{
			return Err(PtauError::WrongCurve);
		}
		let power = header_u32(4 + FIELD_BYTES).ok_or_else(cut)?;
		if power > MAX_POWER {
			return Err(PtauError::Malformed(format!("power {power} over {MAX_POWER}")));
		}
		let n = 1usize << power;
		let phase1 = Phase1 {
			power,
			tau_g1: points(get(section::TAU_G1)?, 2 * n - 1, G1_BYTES, "tau G1", read_g1)?,
			tau_g2: points(get(section::TAU_G2)?, n, G2_BYTES, "tau G2", read_g2)?,
			alpha_tau_g1: points(get(section::ALPHA_TAU_G1)?, n, G1_BYTES, "alpha G1", read_g1)?,
			beta_tau_g1: points(get(section::BETA_TAU_G1)?, n, G1_BYTES, "beta G1", read_g1)?,
			beta_g2: points(get(section::BETA_G2)?, 1, G2_BYTES, "beta G2", read_g2)?
				.pop()
				.ok_or_else(cut)?,
		};
		if phase1.tau_g1.first() != Some(&G1Affine::generator())
			|| phase1.tau_g2.first() != Some(&G2Affine::generator())
		{
			return Err(PtauError::NotStandardGenerators);
		}
		Ok(phase1)
	}

	/// The file: sections 1 to 7 (with an empty contribution history), as snarkjs lays them
	/// out.
	pub fn to_bytes(&self) -> Vec<u8> {
		let mut out = Vec::from(MAGIC.as_slice());
		out.extend_from_slice(&1u32.to_le_bytes());
		out.extend_from_slice(&7u32.to_le_bytes());
		let mut put = |kind: u32, data: Vec<u8>| {
			out.extend_from_slice(&kind.to_le_bytes());
			out.extend_from_slice(&(data.len() as u64).to_le_bytes());
			out.extend_from_slice(&data);
		};
		let mut header = Vec::new();
		header.extend_from_slice(&(FIELD_BYTES as u32).to_le_bytes());
		header.extend_from_slice(&Fq::MODULUS.to_bytes_le());
		header.extend_from_slice(&self.power.to_le_bytes());
		header.extend_from_slice(&self.power.to_le_bytes());
		put(section::HEADER, header);
		let g1s = |points: &[G1Affine]| {
			let mut data = Vec::with_capacity(points.len() * G1_BYTES);
			points.iter().for_each(|p| write_g1(&mut data, p));
			data
		};
		put(section::TAU_G1, g1s(&self.tau_g1));
		let mut tau_g2 = Vec::with_capacity(self.tau_g2.len() * G2_BYTES);
		self.tau_g2.iter().for_each(|p| write_g2(&mut tau_g2, p));
		put(section::TAU_G2, tau_g2);
		put(section::ALPHA_TAU_G1, g1s(&self.alpha_tau_g1));
		put(section::BETA_TAU_G1, g1s(&self.beta_tau_g1));
		let mut beta_g2 = Vec::new();
		write_g2(&mut beta_g2, &self.beta_g2);
		put(section::BETA_G2, beta_g2);
		put(section::CONTRIBUTIONS, 0u32.to_le_bytes().to_vec());
		out
	}

	/// **INSECURE: for tests and the dev chain only.** A phase 1 whose secrets come from a
	/// public `seed`, so anyone who knows the seed can forge proofs under every key made from
	/// it. What the dev preset pins (as it trusts the dev enclave); a production chain pins a
	/// file of the public ceremony.
	pub fn insecure_for_tests(power: u32, seed: [u8; 32]) -> Self {
		let mut rng = rand_chacha::ChaCha20Rng::from_seed(seed);
		let (tau, alpha, beta) = (
			ark_bn254::Fr::rand(&mut rng),
			ark_bn254::Fr::rand(&mut rng),
			ark_bn254::Fr::rand(&mut rng),
		);
		let n = 1usize << power.min(MAX_POWER);
		let powers: Vec<ark_bn254::Fr> =
			core::iter::successors(Some(ark_bn254::Fr::ONE), |p| Some(*p * tau))
				.take(2 * n - 1)
				.collect();
		let scaled = |by: ark_bn254::Fr| powers[..n].iter().map(|p| *p * by).collect::<Vec<_>>();
		let g1 =
			BatchMulPreprocessing::new(ark_bn254::G1Projective::from(G1Affine::generator()), 3 * n);
		let g2 =
			BatchMulPreprocessing::new(ark_bn254::G2Projective::from(G2Affine::generator()), n);
		Phase1 {
			power,
			tau_g1: g1.batch_mul(&powers),
			tau_g2: g2.batch_mul(&powers[..n]),
			alpha_tau_g1: g1.batch_mul(&scaled(alpha)),
			beta_tau_g1: g1.batch_mul(&scaled(beta)),
			beta_g2: (G2Affine::generator() * beta).into_affine(),
		}
	}
}
