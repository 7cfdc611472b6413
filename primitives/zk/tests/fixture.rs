//! The committed fixture (`fixtures/mlp-16-12-4.scale`) is what the compiler makes today.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use ark_bn254::Bn254;
use codec::Encode;
use opg_zk::{
	circuit::Graph,
	fixture::{self, BoundProof, Fixture, BINDINGS, GENESIS},
	groth16::{decode_proving_key, prove, proving_key_hash, setup},
	packing::{binding_element, pack, IntType},
	verifier::{prepare_verifying_key, verify},
	Fr,
};

fn make() -> Fixture {
	let graph = Graph::from_onnx(&opg_zk::onnx::build::mlp(16, 12, 4, 1)).unwrap();
	let keys = setup(&graph.compile().unwrap(), fixture::SEED).unwrap();
	let proving_key = decode_proving_key(&keys.proving_key).unwrap();
	let input: Vec<i128> = (0..16).map(|i| (i * 29 % 256) - 128).collect();
	let mut circuit = graph.synthesize(std::slice::from_ref(&input)).unwrap();
	let proofs = BINDINGS
		.iter()
		.map(|node| {
			let mut bound =
				BoundProof { genesis: GENESIS, job: 0, node: node.encoded(), proof: Vec::new() };
			circuit.bind(&bound.binding());
			bound.proof = prove(&proving_key, &circuit).unwrap();
			bound
		})
		.collect();
	Fixture {
		verifying_key: keys.verifying_key,
		proving_key_hash: proving_key_hash(&keys.proving_key),
		constraints: circuit.constraints() as u32,
		input: input.iter().map(|v| *v as i64).collect(),
		output: circuit.outputs[0].iter().map(|v| *v as i64).collect(),
		proofs,
	}
}

/// The fixture's public inputs for `bound`: the packed tensors, then its binding.
fn public_inputs(stored: &Fixture, bound: &BoundProof) -> Vec<Fr> {
	let mut public: Vec<Fr> = pack(
		stored
			.input
			.iter()
			.map(|v| (IntType::I8, *v as i128))
			.chain(stored.output.iter().map(|v| (IntType::I32, *v as i128))),
	)
	.unwrap();
	public.push(binding_element(&bound.binding()));
	public
}

#[test]
fn the_fixture_matches_the_compiler() {
	let fresh = make();
	if std::env::var_os("OPG_WRITE_FIXTURE").is_some() {
		std::fs::write("fixtures/mlp-16-12-4.scale", fresh.encode()).unwrap();
	}
	let stored = fixture::mlp().expect("fixtures/mlp-16-12-4.scale decodes");
	// Keys are reproducible from the seed; proofs are randomized, so only the statement is
	// compared, and the stored proofs must verify, each for its own binding only.
	assert_eq!(stored.verifying_key, fresh.verifying_key, "rerun with OPG_WRITE_FIXTURE=1");
	assert_eq!(stored.proving_key_hash, fresh.proving_key_hash);
	assert_eq!(
		(stored.constraints, &stored.input, &stored.output),
		(fresh.constraints, &fresh.input, &fresh.output)
	);
	let prepared = prepare_verifying_key::<Bn254>(&stored.verifying_key, 3).unwrap();
	assert_eq!(stored.proofs.len(), BINDINGS.len());
	for (bound, node) in stored.proofs.iter().zip(BINDINGS) {
		assert_eq!((bound.genesis, bound.job, &bound.node), (GENESIS, 0, &node.encoded()));
		for other in &stored.proofs {
			let verified = verify::<Bn254>(&prepared, &bound.proof, &public_inputs(&stored, other));
			assert_eq!(verified.is_ok(), bound == other, "{:?} with {:?}'s binding", node, other);
		}
	}
}

/// For `scripts/bench.sh`: native verification of the fixture's proof (plain arkworks, no host
/// functions), the anchor of the runtime's `verify_proof` benchmark. Prints one JSON line.
#[test]
#[ignore = "a report for scripts/bench.sh, not a check"]
fn native_verify_report() {
	let stored = fixture::mlp().unwrap();
	let prepared = prepare_verifying_key::<Bn254>(&stored.verifying_key, 3).unwrap();
	let bound = stored.first_proof().unwrap();
	let public = public_inputs(&stored, bound);
	let mut times: Vec<f64> = (0..200)
		.map(|_| {
			let started = std::time::Instant::now();
			verify::<Bn254>(&prepared, &bound.proof, &public).unwrap();
			started.elapsed().as_secs_f64() * 1e6
		})
		.collect();
	times.sort_by(f64::total_cmp);
	println!("OPG-BENCH {{\"verify_native_us\": {:.1}}}", times[times.len() / 2]);
}
