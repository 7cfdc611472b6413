//! Soundness of the proofs: each test would fail if verification were weakened.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]

mod common;

use ark_bn254::Bn254;
use opg_zk::{
	circuit::Graph,
	groth16::{decode_proving_key, prove, setup},
	packing::{binding_element, job_binding, pack, IntType},
	verifier::{prepare_verifying_key, verify, PROOF_LEN},
	Fr, ZkError,
};

struct Fixture {
	graph: Graph,
	prepared: Vec<u8>,
	proving_key: Vec<u8>,
}

fn fixture(seed: i64) -> Fixture {
	let graph = Graph::from_onnx(&common::mlp(16, 12, 4, seed)).unwrap();
	let circuit = graph.compile().unwrap();
	let keys = setup(&circuit, [7; 32]).unwrap();
	let prepared =
		prepare_verifying_key::<Bn254>(&keys.verifying_key, circuit.public_inputs).unwrap();
	Fixture { graph, prepared, proving_key: keys.proving_key }
}

fn input() -> Vec<i128> {
	(0..16).map(|i| (i * 37 % 256) - 128).collect()
}

/// Public inputs as the runtime computes them from claimed tensors, for a synthesis no job
/// was bound to (binding zero).
fn public(input: &[i128], output: &[i128]) -> Vec<Fr> {
	let mut public: Vec<Fr> = pack(
		input.iter().map(|v| (IntType::I8, *v)).chain(output.iter().map(|v| (IntType::I32, *v))),
	)
	.unwrap();
	public.push(Fr::from(0u8));
	public
}

fn proof_for(f: &Fixture, input: &[i128]) -> (Vec<u8>, Vec<i128>) {
	let circuit = f.graph.synthesize(&[input.to_vec()]).unwrap();
	assert!(circuit.is_satisfied());
	let pk = decode_proving_key(&f.proving_key).unwrap();
	let proof = prove(&pk, &circuit).unwrap();
	assert_eq!(proof.len(), PROOF_LEN);
	assert_eq!(circuit.public(), public(input, &circuit.outputs[0]).as_slice());
	(proof, circuit.outputs[0].clone())
}

#[test]
fn the_same_model_and_input_always_verify() {
	let f = fixture(1);
	let (first, output) = proof_for(&f, &input());
	let (second, again) = proof_for(&f, &input());
	assert_eq!(output, again);
	assert_ne!(first, second, "proofs are randomized");
	for proof in [first, second] {
		verify::<Bn254>(&f.prepared, &proof, &public(&input(), &output)).unwrap();
	}
}

#[test]
fn a_changed_output_or_input_is_rejected() {
	let f = fixture(1);
	let (proof, output) = proof_for(&f, &input());
	let mut wrong_output = output.clone();
	wrong_output[2] += 1;
	assert_eq!(
		verify::<Bn254>(&f.prepared, &proof, &public(&input(), &wrong_output)),
		Err(ZkError::InvalidProof)
	);
	let mut wrong_input = input();
	wrong_input[0] += 1;
	assert_eq!(
		verify::<Bn254>(&f.prepared, &proof, &public(&wrong_input, &output)),
		Err(ZkError::InvalidProof)
	);
}

#[test]
fn a_proof_under_another_models_key_is_rejected() {
	let f = fixture(1);
	let other = fixture(2);
	let (proof, output) = proof_for(&f, &input());
	// The other model has the same shapes, so only the weights (the key) differ.
	assert_eq!(
		verify::<Bn254>(&other.prepared, &proof, &public(&input(), &output)),
		Err(ZkError::InvalidProof)
	);
	// And its own honest output differs from this one's.
	let (_, other_output) = proof_for(&other, &input());
	assert_ne!(output, other_output);
}

#[test]
fn a_corrupted_or_truncated_proof_is_rejected() {
	let f = fixture(1);
	let (proof, output) = proof_for(&f, &input());
	let public = public(&input(), &output);
	for position in [0, 40, 70, 100, 150, 200, 255] {
		let mut corrupted = proof.clone();
		corrupted[position] ^= 0x01;
		let result = verify::<Bn254>(&f.prepared, &corrupted, &public);
		assert!(
			matches!(result, Err(ZkError::MalformedProof | ZkError::InvalidProof)),
			"byte {position}: {result:?}"
		);
	}
	assert_eq!(
		verify::<Bn254>(&f.prepared, &proof[..PROOF_LEN - 1], &public),
		Err(ZkError::MalformedProof)
	);
	let mut longer = proof.clone();
	longer.push(0);
	assert_eq!(verify::<Bn254>(&f.prepared, &longer, &public), Err(ZkError::MalformedProof));
}

#[test]
fn a_proof_verifies_for_the_job_and_node_it_was_made_for_only() {
	let f = fixture(1);
	let genesis = [3; 32];
	let made_for = job_binding(&genesis, 5, &[10; 32]);
	let mut circuit = f.graph.synthesize(&[input()]).unwrap();
	circuit.bind(&made_for);
	assert!(circuit.is_satisfied());
	let proof = prove(&decode_proving_key(&f.proving_key).unwrap(), &circuit).unwrap();
	let with = |binding: [u8; 32]| {
		let mut public = public(&input(), &circuit.outputs[0]);
		*public.last_mut().unwrap() = binding_element(&binding);
		verify::<Bn254>(&f.prepared, &proof, &public)
	};
	assert_eq!(with(made_for), Ok(()));
	// Copied from chain history onto another job with the same input and output, taken by
	// the job's next node after a reassignment, or replayed on another chain: refused.
	assert_eq!(with(job_binding(&genesis, 6, &[10; 32])), Err(ZkError::InvalidProof));
	assert_eq!(with(job_binding(&genesis, 5, &[11; 32])), Err(ZkError::InvalidProof));
	assert_eq!(with(job_binding(&[4; 32], 5, &[10; 32])), Err(ZkError::InvalidProof));
	assert_eq!(with([0; 32]), Err(ZkError::InvalidProof));
}

#[test]
fn a_wrong_public_input_count_is_rejected() {
	let f = fixture(1);
	let (proof, output) = proof_for(&f, &input());
	let mut public = public(&input(), &output);
	public.push(Fr::from(0u8));
	assert_eq!(verify::<Bn254>(&f.prepared, &proof, &public), Err(ZkError::PublicInputCount));
	public.truncate(public.len() - 2);
	assert_eq!(verify::<Bn254>(&f.prepared, &proof, &public), Err(ZkError::PublicInputCount));
}

#[test]
fn malformed_verifying_keys_are_refused() {
	let graph = Graph::from_onnx(&common::mlp(16, 12, 4, 1)).unwrap();
	let circuit = graph.compile().unwrap();
	let keys = setup(&circuit, [7; 32]).unwrap();
	let n = circuit.public_inputs;
	assert_eq!(
		prepare_verifying_key::<Bn254>(&keys.verifying_key[..keys.verifying_key.len() - 1], n),
		Err(ZkError::MalformedVerifyingKey)
	);
	let mut corrupted = keys.verifying_key.clone();
	corrupted[10] ^= 0xff;
	assert_eq!(prepare_verifying_key::<Bn254>(&corrupted, n), Err(ZkError::MalformedVerifyingKey));
	assert_eq!(
		prepare_verifying_key::<Bn254>(&keys.verifying_key, n + 1),
		Err(ZkError::PublicInputCount)
	);
}

/// Keys whose points void soundness are refused at registration (issue 35): a public input
/// whose point is the identity (its value would not be bound), `alpha` at infinity, `gamma`
/// equal to `delta` (the prover could move the inputs' part into `C`), `delta` the generator
/// (a `delta` everybody knows).
#[test]
fn degenerate_verifying_keys_are_refused() {
	use ark_ec::AffineRepr;
	use ark_groth16::VerifyingKey;
	use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
	let graph = Graph::from_onnx(&common::mlp(16, 12, 4, 1)).unwrap();
	let circuit = graph.compile().unwrap();
	let keys = setup(&circuit, [7; 32]).unwrap();
	let n = circuit.public_inputs;
	let key = VerifyingKey::<Bn254>::deserialize_compressed(&keys.verifying_key[..]).unwrap();
	let encode = |key: &VerifyingKey<Bn254>| {
		let mut bytes = Vec::new();
		key.serialize_compressed(&mut bytes).unwrap();
		bytes
	};
	assert!(prepare_verifying_key::<Bn254>(&encode(&key), n).is_ok());
	let mut unbound_input = key.clone();
	unbound_input.gamma_abc_g1[1] = ark_bn254::G1Affine::zero();
	let mut no_alpha = key.clone();
	no_alpha.alpha_g1 = ark_bn254::G1Affine::zero();
	let mut gamma_is_delta = key.clone();
	gamma_is_delta.delta_g2 = key.gamma_g2;
	let mut known_delta = key.clone();
	known_delta.delta_g2 = ark_bn254::G2Affine::generator();
	for degenerate in [unbound_input, no_alpha, gamma_is_delta, known_delta] {
		assert_eq!(
			prepare_verifying_key::<Bn254>(&encode(&degenerate), n),
			Err(ZkError::DegenerateVerifyingKey)
		);
	}
	// The placeholder key of the benchmarks is not degenerate.
	assert!(
		prepare_verifying_key::<Bn254>(&opg_zk::verifier::placeholder_verifying_key(n), n).is_ok()
	);
}

#[test]
fn setup_is_reproducible_from_its_seed() {
	let graph = Graph::from_onnx(&common::mlp(16, 12, 4, 1)).unwrap();
	let circuit = graph.compile().unwrap();
	let a = setup(&circuit, [9; 32]).unwrap();
	let b = setup(&circuit, [9; 32]).unwrap();
	let c = setup(&circuit, [10; 32]).unwrap();
	assert_eq!(a.verifying_key, b.verifying_key);
	assert_eq!(a.proving_key, b.proving_key);
	assert_ne!(a.verifying_key, c.verifying_key);
}

#[test]
fn verification_through_the_host_hooks_agrees_with_plain_arkworks() {
	// `HostBn254` sends its arithmetic to the `opg_bn_254` host functions; natively (std) the
	// calls run in-process, so this checks the encoding round trips of every hook.
	use opg_zk::host::HostBn254;
	let f = fixture(1);
	let prepared = {
		let graph = Graph::from_onnx(&common::mlp(16, 12, 4, 1)).unwrap();
		let circuit = graph.compile().unwrap();
		let keys = setup(&circuit, [7; 32]).unwrap();
		prepare_verifying_key::<HostBn254>(&keys.verifying_key, circuit.public_inputs).unwrap()
	};
	assert_eq!(prepared, f.prepared);
	let (proof, output) = proof_for(&f, &input());
	verify::<HostBn254>(&prepared, &proof, &public(&input(), &output)).unwrap();
	let mut wrong = output.clone();
	wrong[0] -= 1;
	assert_eq!(
		verify::<HostBn254>(&prepared, &proof, &public(&input(), &wrong)),
		Err(ZkError::InvalidProof)
	);
}

#[test]
fn a_proof_point_outside_the_prime_order_subgroup_is_rejected() {
	use ark_ec::short_weierstrass::SWCurveConfig;
	use ark_serialize::CanonicalSerialize;
	let f = fixture(1);
	let (proof, output) = proof_for(&f, &input());
	// A point on G2's curve but, like almost every such point, not in the subgroup.
	let outside = (1u64..)
		.filter_map(|x| {
			ark_bn254::G2Affine::get_point_from_x_unchecked(
				ark_bn254::Fq2::new(x.into(), 0u64.into()),
				false,
			)
		})
		.find(|p| !ark_bn254::g2::Config::is_in_correct_subgroup_assuming_on_curve(p))
		.unwrap();
	assert!(outside.is_on_curve());
	let mut bytes = Vec::new();
	outside.serialize_uncompressed(&mut bytes).unwrap();
	let mut forged = proof.clone();
	forged[64..192].copy_from_slice(&bytes);
	let public = public(&input(), &output);
	assert_eq!(verify::<Bn254>(&f.prepared, &forged, &public), Err(ZkError::MalformedProof));
	assert_eq!(
		verify::<opg_zk::host::HostBn254>(&f.prepared, &forged, &public),
		Err(ZkError::MalformedProof)
	);
}
