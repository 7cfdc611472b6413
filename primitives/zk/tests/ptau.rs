//! Phase 1 (issue 35): powers-of-tau files as snarkjs writes them, and the initial key every
//! party computes from one. Each test would fail if the reading, a check or the key broke.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]

mod common;

use ark_bn254::{Bn254, G1Affine, G1Projective, G2Affine};
use ark_ec::{pairing::Pairing, AffineRepr, CurveGroup};
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use ark_serialize::CanonicalSerialize;
use opg_zk::{
	ceremony::contribute,
	circuit::{Graph, Synthesis},
	groth16::{initial_key, prove, proving_key_hash, Keys},
	ptau::{self, Phase1, PtauError},
	verifier::{prepare_verifying_key, verify},
	ZkError,
};
use rand::{rngs::StdRng, SeedableRng};

/// A power-4 file made by snarkjs 0.7.6 (`powersoftau new bn128 4`, one `contribute`, a
/// `beacon`, `prepare phase2`): an independent implementation's bytes, Lagrange sections
/// included.
const SNARKJS: &[u8] = include_bytes!("../fixtures/snarkjs-power4.ptau");

/// `e(a[i+1], g2) = e(a[i], [tau]₂)` for every consecutive pair: the points are powers.
fn are_powers(points: &[G1Affine], tau_g2: &G2Affine) -> bool {
	points.windows(2).all(|pair| {
		Bn254::pairing(pair[1], G2Affine::generator()) == Bn254::pairing(pair[0], *tau_g2)
	})
}

#[test]
fn a_snarkjs_file_reads_as_powers_of_one_tau() {
	let phase1 = Phase1::from_bytes(SNARKJS).unwrap();
	assert_eq!(phase1.power, 4);
	assert_eq!(phase1.tau_g1.len(), 31);
	assert_eq!(phase1.tau_g2.len(), 16);
	let tau = phase1.tau_g2[1];
	assert!(are_powers(&phase1.tau_g1, &tau));
	assert!(are_powers(&phase1.alpha_tau_g1, &tau));
	assert!(are_powers(&phase1.beta_tau_g1, &tau));
	// The G2 powers and beta in G2 belong to the same tau and beta.
	for i in 0..15 {
		assert_eq!(
			Bn254::pairing(phase1.tau_g1[i + 1], G2Affine::generator()),
			Bn254::pairing(G1Affine::generator(), phase1.tau_g2[i + 1])
		);
	}
	assert_eq!(
		Bn254::pairing(phase1.beta_tau_g1[0], G2Affine::generator()),
		Bn254::pairing(G1Affine::generator(), phase1.beta_g2)
	);
}

#[test]
fn our_lagrange_basis_is_snarkjs_own() {
	// snarkjs' section 12 holds the Lagrange basis of every domain size 2^0, 2^1, ... in
	// turn; the size-16 basis starts after 1 + 2 + 4 + 8 points. The initial key computes its
	// basis by an inverse FFT of the powers over arkworks' domain: equal points mean the same
	// encoding and the same roots of unity as the ceremony's own tools.
	let phase1 = Phase1::from_bytes(SNARKJS).unwrap();
	let sections = ptau::sections(SNARKJS).unwrap();
	let theirs = ptau::g1_points(sections[&12]).unwrap();
	let mut ours: Vec<G1Projective> = phase1.tau_g1[..16].iter().map(|p| (*p).into()).collect();
	Radix2EvaluationDomain::<ark_bn254::Fr>::new(16).unwrap().ifft_in_place(&mut ours);
	assert_eq!(G1Projective::normalize_batch(&ours), theirs[15..31].to_vec());
}

#[test]
fn a_written_file_reads_back_and_its_hash_is_checked() {
	let phase1 = Phase1::insecure_for_tests(3, [7; 32]);
	let bytes = phase1.to_bytes();
	assert_eq!(Phase1::from_bytes(&bytes).unwrap(), phase1);
	// The same seed makes the same file, so a dev preset can pin its hash.
	assert_eq!(Phase1::insecure_for_tests(3, [7; 32]).to_bytes(), bytes);

	let dir = std::env::temp_dir().join(format!("opg-ptau-{}", std::process::id()));
	std::fs::create_dir_all(&dir).unwrap();
	let path = dir.join("dev.ptau");
	std::fs::write(&path, &bytes).unwrap();
	assert_eq!(ptau::load(&path, &ptau::file_hash(&bytes)).unwrap(), phase1);
	let other = ptau::file_hash(SNARKJS);
	assert!(matches!(ptau::load(&path, &other), Err(PtauError::HashMismatch { .. })));
	std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_damaged_or_foreign_file_is_refused() {
	let bytes = Phase1::insecure_for_tests(2, [7; 32]).to_bytes();
	// Cut short.
	assert!(matches!(Phase1::from_bytes(&bytes[..bytes.len() - 1]), Err(PtauError::Malformed(_))));
	// Not a ptau file.
	assert!(matches!(Phase1::from_bytes(b"zkey\x01\0\0\0"), Err(PtauError::Malformed(_))));
	// Another curve's modulus in the header (section 1's data starts at byte 24; the modulus
	// follows the 4-byte element size).
	let mut foreign = bytes.clone();
	foreign[30] ^= 1;
	assert_eq!(Phase1::from_bytes(&foreign), Err(PtauError::WrongCurve));
	// A point moved off the curve: section 2 (tau G1) starts after the header section
	// (12 + 12 + 44 bytes) and its own header (12); its second point's y is 96 bytes in.
	let mut moved = bytes.clone();
	moved[24 + 44 + 12 + 96] ^= 1;
	assert_eq!(Phase1::from_bytes(&moved), Err(PtauError::InvalidPoint("tau G1")));
	// Powers that do not start from the generator: tau's first power swapped for its second.
	let mut phase1 = Phase1::insecure_for_tests(2, [7; 32]);
	phase1.tau_g1.swap(0, 1);
	assert_eq!(Phase1::from_bytes(&phase1.to_bytes()), Err(PtauError::NotStandardGenerators));
}

fn circuit() -> Synthesis {
	let graph = Graph::from_onnx(&common::mlp(16, 12, 4, 3)).unwrap();
	let input: Vec<i128> = (0..16).map(|i| (i * 37 % 256) - 128).collect();
	graph.synthesize(&[input]).unwrap()
}

/// The smallest power whose domain holds the circuit.
fn power_for(synthesis: &Synthesis) -> u32 {
	(synthesis.constraints() + synthesis.public_inputs + 1).next_power_of_two().trailing_zeros()
}

#[test]
fn the_initial_key_is_the_same_for_everyone_and_proves() {
	let synthesis = circuit();
	let phase1 = Phase1::insecure_for_tests(power_for(&synthesis), [5; 32]);
	let key = initial_key(&synthesis, &phase1).unwrap();
	let keys = Keys::from_proving_key(&key).unwrap();
	let again = Keys::from_proving_key(&initial_key(&synthesis, &phase1).unwrap()).unwrap();
	assert_eq!(proving_key_hash(&keys.proving_key), proving_key_hash(&again.proving_key));
	// Phase 1's elements, and gamma = delta = the generator until the ceremony moves delta.
	assert_eq!(key.vk.alpha_g1, phase1.alpha_tau_g1[0]);
	assert_eq!(key.beta_g1, phase1.beta_tau_g1[0]);
	assert_eq!(key.vk.beta_g2, phase1.beta_g2);
	assert_eq!(key.vk.gamma_g2, G2Affine::generator());
	assert_eq!(key.vk.delta_g2, G2Affine::generator());
	// With delta still the generator the chain refuses it as it stands (anyone could forge
	// under it); after one contribution it proves, and its proofs verify for this output only.
	assert_eq!(
		prepare_verifying_key::<Bn254>(&keys.verifying_key, synthesis.public_inputs),
		Err(ZkError::DegenerateVerifyingKey)
	);
	let mut key = key;
	contribute(&mut key, b"context", &mut StdRng::seed_from_u64(1));
	let contributed = Keys::from_proving_key(&key).unwrap();
	let prepared =
		prepare_verifying_key::<Bn254>(&contributed.verifying_key, synthesis.public_inputs)
			.unwrap();
	let proof = prove(&key, &synthesis).unwrap();
	assert_eq!(verify::<Bn254>(&prepared, &proof, synthesis.public()), Ok(()));
	let mut other = synthesis.public().to_vec();
	*other.last_mut().unwrap() += ark_bn254::Fr::from(1u8);
	assert!(verify::<Bn254>(&prepared, &proof, &other).is_err());
	// Another phase 1 gives another key.
	let other =
		initial_key(&synthesis, &Phase1::insecure_for_tests(phase1.power, [6; 32])).unwrap();
	let mut bytes = Vec::new();
	other.serialize_uncompressed(&mut bytes).unwrap();
	assert_ne!(proving_key_hash(&bytes), proving_key_hash(&keys.proving_key));
}

#[test]
fn a_ptau_too_small_for_the_circuit_is_refused() {
	let synthesis = circuit();
	let small = Phase1::insecure_for_tests(power_for(&synthesis) - 1, [5; 32]);
	let error = initial_key(&synthesis, &small).unwrap_err().to_string();
	assert!(error.contains("needs a ptau file of power"), "{error}");
}

/// The dev chain pins the dev ptau by constants (`opg_zk::dev`): they must be the file's.
#[test]
fn the_dev_constants_are_the_dev_ptau_s() {
	let phase1 = Phase1::insecure_for_tests(opg_zk::dev::POWER.into(), opg_zk::dev::SEED);
	let alpha = opg_zk::ceremony::encode_point(&phase1.alpha_tau_g1[0]);
	let beta = opg_zk::ceremony::encode_point(&phase1.beta_g2);
	let hash = ptau::file_hash(&phase1.to_bytes());
	let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("0x{b:02x}, ")).collect::<String>();
	assert_eq!(
		(alpha.as_slice(), beta.as_slice(), hash),
		(opg_zk::dev::ALPHA_G1.as_slice(), opg_zk::dev::BETA_G2.as_slice(), opg_zk::dev::FILE_HASH),
		"opg_zk::dev is stale: ALPHA_G1 = [{}]; BETA_G2 = [{}]; FILE_HASH = [{}]",
		hex(&alpha),
		hex(&beta),
		hex(&hash)
	);
}
