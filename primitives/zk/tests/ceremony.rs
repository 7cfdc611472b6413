//! Phase 2 of the setup (issue 35): contributions that re-randomize `delta`, checked as the
//! chain checks them (each contribution) and as nodes check the key states (each transition).
//! Each test would fail if a check were dropped.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]

mod common;

use ark_bn254::{Bn254, Fr as Scalar, G1Affine};
use ark_ec::{AffineRepr, CurveGroup};
use ark_groth16::ProvingKey;
use ark_serialize::CanonicalSerialize;
use opg_zk::{
	ceremony::{
		contribute, contribution_context, encode_contribution, encode_point, initial_delta,
		verify_contribution, verify_encoded, verify_transition, CeremonyError, Contribution,
	},
	circuit::{Graph, Synthesis},
	groth16::{decode_proving_key, initial_key, prove, proving_key_hash, setup, Keys},
	ptau::Phase1,
	verifier::{
		finish_key, prepare_verifying_key, register_key, verify, Phase1Elements, RegisteredKey,
	},
	ZkError,
};
use rand::{rngs::StdRng, SeedableRng};

/// A small model's circuit and its key from a seed setup (the key the ceremony starts from).
fn start() -> (Synthesis, ProvingKey<Bn254>) {
	let graph = Graph::from_onnx(&common::mlp(16, 12, 4, 3)).unwrap();
	let input: Vec<i128> = (0..16).map(|i| (i * 29 % 256) - 128).collect();
	let synthesis = graph.synthesize(&[input]).unwrap();
	let keys = setup(&synthesis, [9; 32]).unwrap();
	(synthesis, decode_proving_key(&keys.proving_key).unwrap())
}

/// What contribution `index` by `author` on head `head` is bound to (the chain puts its
/// genesis hash, the model version and the account in it).
fn context(index: u8, author: &str, head: &[u8]) -> Vec<u8> {
	[b"genesis:model-7:version-1:".as_slice(), &[index], author.as_bytes(), head].concat()
}

fn head(key: &ProvingKey<Bn254>) -> Vec<u8> {
	let mut bytes = Vec::new();
	key.delta_g1.serialize_compressed(&mut bytes).unwrap();
	bytes
}

/// The key's prepared verifying key and a proof of `synthesis` made with it.
fn proof_under(key: &ProvingKey<Bn254>, synthesis: &Synthesis) -> (Vec<u8>, Vec<u8>) {
	let mut vk = Vec::new();
	key.vk.serialize_compressed(&mut vk).unwrap();
	let prepared = prepare_verifying_key::<Bn254>(&vk, synthesis.public_inputs).unwrap();
	(prepared, prove(key, synthesis).unwrap())
}

#[test]
fn a_transcript_of_three_contributions_verifies_from_the_initial_key() {
	let (synthesis, initial) = start();
	let mut rng = StdRng::seed_from_u64(1);
	let mut key = initial.clone();
	for (index, author) in ["drawn-verifier-1", "drawn-verifier-2", "a-dapp"].iter().enumerate() {
		let before = key.clone();
		let context = context(index as u8, author, &head(&before));
		let contribution = contribute(&mut key, &context, &mut rng);
		assert_eq!(
			verify_contribution(&context, &before.delta_g1, &before.vk.delta_g2, &contribution),
			Ok(())
		);
		assert_eq!(verify_transition(&before, &key, &mut rng), Ok(()));
	}
	assert_ne!(key.delta_g1, initial.delta_g1);
	// The final key proves, and its proofs verify under its own verifying key only.
	let (prepared, proof) = proof_under(&key, &synthesis);
	assert_eq!(verify::<Bn254>(&prepared, &proof, synthesis.public()), Ok(()));
	// A proof made with the initial key (whose delta the seed's holder knows) does not verify
	// under the ceremony's key: a forger's proofs are worthless.
	let (_, forged) = proof_under(&initial, &synthesis);
	assert!(verify::<Bn254>(&prepared, &forged, synthesis.public()).is_err());
}

#[test]
fn a_wrong_or_replayed_proof_of_knowledge_is_refused() {
	let (_, initial) = start();
	let mut rng = StdRng::seed_from_u64(2);
	let mut key = initial.clone();
	let bound = context(0, "alice", &head(&initial));
	let contribution = contribute(&mut key, &bound, &mut rng);
	assert_eq!(
		verify_contribution(&bound, &initial.delta_g1, &initial.vk.delta_g2, &contribution),
		Ok(())
	);
	// A wrong response.
	let mut wrong = contribution.clone();
	wrong.proof.response += Scalar::from(1u8);
	assert_eq!(
		verify_contribution(&bound, &initial.delta_g1, &initial.vk.delta_g2, &wrong),
		Err(CeremonyError::BadProofOfKnowledge)
	);
	// The same contribution replayed by another author, into another slot, on another head or
	// for another version: its proof names the original context.
	for replayed in [
		context(0, "mallory", &head(&initial)),
		context(1, "alice", &head(&initial)),
		context(0, "alice", b"another head"),
		[b"genesis:model-7:version-2:".as_slice(), &[0], b"alice", &head(&initial)].concat(),
	] {
		assert_eq!(
			verify_contribution(&replayed, &initial.delta_g1, &initial.vk.delta_g2, &contribution),
			Err(CeremonyError::BadProofOfKnowledge)
		);
	}
	// A delta whose ratio to the previous one its sender does not know (here another
	// contributor's, from the same head) cannot carry the proof it would need.
	let mut other_key = initial.clone();
	let other = contribute(&mut other_key, &context(0, "bob", &head(&initial)), &mut rng);
	let copied = Contribution::<Bn254> {
		delta_g1: other.delta_g1,
		delta_g2: other.delta_g2,
		proof: contribution.proof.clone(),
	};
	assert_eq!(
		verify_contribution(&bound, &initial.delta_g1, &initial.vk.delta_g2, &copied),
		Err(CeremonyError::BadProofOfKnowledge)
	);
}

#[test]
fn an_identity_or_inconsistent_delta_is_refused() {
	let (_, initial) = start();
	let mut rng = StdRng::seed_from_u64(3);
	let mut key = initial.clone();
	let bound = context(0, "alice", &head(&initial));
	let contribution = contribute(&mut key, &bound, &mut rng);
	let mut identity = contribution.clone();
	identity.delta_g1 = G1Affine::zero();
	assert_eq!(
		verify_contribution(&bound, &initial.delta_g1, &initial.vk.delta_g2, &identity),
		Err(CeremonyError::IdentityDelta)
	);
	let mut inconsistent = contribution.clone();
	inconsistent.delta_g2 = (inconsistent.delta_g2 * Scalar::from(2u8)).into_affine();
	assert_eq!(
		verify_contribution(&bound, &initial.delta_g1, &initial.vk.delta_g2, &inconsistent),
		Err(CeremonyError::InconsistentDelta)
	);
}

#[test]
fn a_state_with_l_or_h_tampered_is_refused() {
	let (_, initial) = start();
	let mut rng = StdRng::seed_from_u64(4);
	let mut key = initial.clone();
	contribute(&mut key, &context(0, "alice", &head(&initial)), &mut rng);
	assert_eq!(verify_transition(&initial, &key, &mut rng), Ok(()));
	let mut tampered_l = key.clone();
	tampered_l.l_query[3] = (tampered_l.l_query[3] * Scalar::from(5u8)).into_affine();
	assert_eq!(verify_transition(&initial, &tampered_l, &mut rng), Err(CeremonyError::QueryRatio));
	let mut tampered_h = key.clone();
	let last = tampered_h.h_query.len() - 1;
	tampered_h.h_query[last] = G1Affine::generator();
	assert_eq!(verify_transition(&initial, &tampered_h, &mut rng), Err(CeremonyError::QueryRatio));
	// Phase 2 may not touch the rest of the key.
	let mut moved_ic = key.clone();
	moved_ic.vk.gamma_abc_g1[0] = G1Affine::generator();
	assert_eq!(
		verify_transition(&initial, &moved_ic, &mut rng),
		Err(CeremonyError::ChangedFixedPart)
	);
	// Delta moved without the queries: the ratio check catches it.
	let mut delta_only = initial.clone();
	delta_only.delta_g1 = key.delta_g1;
	delta_only.vk.delta_g2 = key.vk.delta_g2;
	assert_eq!(verify_transition(&initial, &delta_only, &mut rng), Err(CeremonyError::QueryRatio));
}

/// The chain's side of a ceremony, in its encodings: it takes an initial key made from its
/// pinned phase 1 only, checks each encoded contribution under the context it binds, and
/// finishes the key from the last `delta` alone.
#[test]
fn the_chain_takes_an_initial_key_checks_each_contribution_and_finishes_the_key() {
	let (synthesis, seed_key) = start();
	let inputs = synthesis.public_inputs;
	let power = (synthesis.constraints() + inputs + 1).next_power_of_two().trailing_zeros();
	let phase1 = Phase1::insecure_for_tests(power, [3; 32]);
	let initial = initial_key(&synthesis, &phase1).unwrap();
	let initial_vk = Keys::from_proving_key(&initial).unwrap().verifying_key;
	let (alpha, beta) = (encode_point(&phase1.alpha_tau_g1[0]), encode_point(&phase1.beta_g2));
	let pin = || Some(Phase1Elements { alpha_g1: &alpha, beta_g2: &beta });

	assert_eq!(register_key::<Bn254>(&initial_vk, inputs, pin()), Ok(RegisteredKey::Initial));
	assert_eq!(register_key::<Bn254>(&initial_vk, inputs, None), Err(ZkError::NoPhase1));
	// An initial key from another phase 1 (secrets its maker may know) is refused.
	let other = Phase1::insecure_for_tests(power, [4; 32]);
	let foreign = Keys::from_proving_key(&initial_key(&synthesis, &other).unwrap()).unwrap();
	assert_eq!(
		register_key::<Bn254>(&foreign.verifying_key, inputs, pin()),
		Err(ZkError::NotFromPhase1)
	);
	// Today's seed setup makes a finished key, no ceremony's start: only a chain that accepts
	// one-party keys (a dev chain) takes it.
	let mut seed_vk = Vec::new();
	seed_key.vk.serialize_compressed(&mut seed_vk).unwrap();
	assert!(matches!(
		register_key::<Bn254>(&seed_vk, inputs, pin()),
		Ok(RegisteredKey::Finished(_))
	));

	let genesis = [9; 32];
	let (mut delta_g1, mut delta_g2) = initial_delta::<Bn254>();
	let mut key = initial.clone();
	let mut head = [0u8; 32];
	let mut rng = StdRng::seed_from_u64(5);
	for (index, author) in [b"drawn-1".as_slice(), b"drawn-2", b"a-dapp"].into_iter().enumerate() {
		let index = index as u32;
		let context = contribution_context(&genesis, 7, 1, index, author, &head);
		let encoded = encode_contribution(&contribute(&mut key, &context, &mut rng));
		// Replayed into the next slot, by another author or into another version: refused.
		for replayed in [
			contribution_context(&genesis, 7, 1, index + 1, author, &head),
			contribution_context(&genesis, 7, 1, index, b"mallory", &head),
			contribution_context(&genesis, 7, 2, index, author, &head),
			contribution_context(&[8; 32], 7, 1, index, author, &head),
		] {
			assert_eq!(
				verify_encoded::<Bn254>(&replayed, &delta_g1, &delta_g2, &encoded),
				Err(CeremonyError::BadProofOfKnowledge)
			);
		}
		assert_eq!(
			verify_encoded::<Bn254>(&context, &delta_g1, &delta_g2, &encoded[1..]),
			Err(CeremonyError::Malformed)
		);
		(delta_g1, delta_g2) =
			verify_encoded::<Bn254>(&context, &delta_g1, &delta_g2, &encoded).unwrap();
		head = proving_key_hash(&Keys::from_proving_key(&key).unwrap().proving_key);
	}
	let (final_vk, prepared) = finish_key::<Bn254>(&initial_vk, inputs, &delta_g2).unwrap();
	assert_eq!(final_vk, Keys::from_proving_key(&key).unwrap().verifying_key);
	let proof = prove(&key, &synthesis).unwrap();
	assert_eq!(verify::<Bn254>(&prepared, &proof, synthesis.public()), Ok(()));
	// Whoever knows phase 1's secrets and forges with the initial key gets nothing.
	let forged = prove(&initial, &synthesis).unwrap();
	assert!(verify::<Bn254>(&prepared, &forged, synthesis.public()).is_err());
	// The initial key itself never prepares: its delta is the generator.
	assert_eq!(
		finish_key::<Bn254>(&initial_vk, inputs, &initial_delta::<Bn254>().1),
		Err(ZkError::DegenerateVerifyingKey)
	);
}

/// A key state in the data layer reads back only whole and matching its content id: a node
/// never proves with a key that is missing a chunk or holds other bytes.
#[test]
fn a_key_reads_from_the_data_layer_only_whole_and_matching_its_content_id() {
	use opg_zk::{ceremony::KEY_CHUNK_SIZE, groth16::read_key};
	let bytes: Vec<u8> = (0..150_000u32).map(|i| ((i * 31 + 7) % 251) as u8).collect();
	let hash = opg_zk::groth16::proving_key_hash(&bytes);
	let chunks: Vec<Option<Vec<u8>>> =
		bytes.chunks(KEY_CHUNK_SIZE as usize).map(|chunk| Some(chunk.to_vec())).collect();
	assert_eq!(chunks.len(), 3);
	let read = |chunks: &[Option<Vec<u8>>]| {
		read_key(hash, |index| chunks.get(index as usize).cloned().flatten())
	};
	assert_eq!(read(&chunks), Some(bytes));
	// A chunk missing, the last one missing, other bytes, nothing at all: absent.
	let mut gap = chunks.clone();
	gap[1] = None;
	assert_eq!(read(&gap), None);
	assert_eq!(read(&chunks[..2]), None);
	let mut tampered = chunks.clone();
	tampered[2].as_mut().unwrap()[0] ^= 1;
	assert_eq!(read(&tampered), None);
	assert_eq!(read(&[]), None);
	// The content id is the data layer's formula in 64 KiB chunks under the key states' own
	// domain: never the id of a model with the same bytes, whose chunks the registry may clear.
	assert_ne!(
		hash,
		opg_primitives::model::content_id(&read(&chunks).unwrap(), KEY_CHUNK_SIZE).unwrap().0
	);
	// The known answer the Python tools test too (scripts/tests/test_ceremony_unit.py).
	let hex: String = hash.iter().map(|byte| format!("{byte:02x}")).collect();
	assert_eq!(hex, "f2b3a1ef177406e387c53dae3b38255517ef0c53bde6dcb2b18075bd324da77b");
}

fn file(key: &ProvingKey<Bn254>) -> Vec<u8> {
	let mut bytes = Vec::new();
	key.serialize_uncompressed(&mut bytes).unwrap();
	bytes
}

/// What the chain finds at byte `offset` of `child` against `parent` (the bytes a challenge
/// carries there: the whole point for H and L, else the one byte), for a contribution whose
/// `delta` is `child_delta` (G1, G2).
fn chain_finds_broken(
	layout: &opg_zk::ceremony::StateLayout,
	parent: &[u8],
	child: &[u8],
	offset: u64,
	parent_delta_g2: &[u8],
	child_delta: &(Vec<u8>, Vec<u8>),
) -> bool {
	use opg_zk::ceremony::{breaks_transition, StatePart};
	let part = layout.part(offset).unwrap();
	let (start, len) = match part {
		StatePart::Divided { start } => (start as usize, 64),
		_ => (offset as usize, 1),
	};
	breaks_transition::<Bn254>(
		part,
		&parent[start..start + len],
		&child[start..start + len],
		parent_delta_g2,
		(&child_delta.0, &child_delta.1),
	)
}

/// The layout the chain judges challenges by is the key file's own: its size, its length
/// prefixes, and each part where the layout says it lies.
#[test]
fn a_key_files_layout_places_every_part_where_arkworks_writes_it() {
	use opg_zk::ceremony::{StateLayout, StatePart};
	let (_, key) = start();
	let bytes = file(&key);
	let layout = StateLayout::of_file(&bytes).unwrap();
	assert_eq!(layout.size(), Some(bytes.len() as u64));
	assert_eq!(layout.inputs as usize, key.vk.gamma_abc_g1.len());
	assert_eq!(layout.variables as usize, key.a_query.len());
	assert_eq!((layout.h as usize, layout.l as usize), (key.h_query.len(), key.l_query.len()));
	// Every point of H and L starts where `part` says, and holds that point.
	for (query, points) in [("h", &key.h_query), ("l", &key.l_query)] {
		for (index, point) in points.iter().enumerate().filter(|(_, point)| !point.is_zero()) {
			let encoded = encode_point(point);
			let start = bytes.windows(64).position(|w| w == encoded.as_slice()).unwrap() as u64;
			let part = layout.part(start + 17);
			assert_eq!(part, Some(StatePart::Divided { start }), "{query}[{index}]");
		}
	}
	// delta in both groups, byte for byte.
	let delta_g2 = encode_point(&key.vk.delta_g2);
	let at = bytes.windows(128).position(|w| w == delta_g2.as_slice()).unwrap();
	assert_eq!(layout.part(at as u64 + 5), Some(StatePart::DeltaG2 { at: 5 }));
	let delta_g1 = encode_point(&key.delta_g1);
	let at = bytes.windows(64).position(|w| w == delta_g1.as_slice()).unwrap();
	assert_eq!(layout.part(at as u64), Some(StatePart::DeltaG1 { at: 0 }));
	// alpha, the length prefixes, A: fixed; past the end: nothing.
	assert_eq!(layout.part(0), Some(StatePart::Fixed));
	for (offset, _) in layout.length_prefixes().unwrap() {
		assert_eq!(layout.part(offset), Some(StatePart::Fixed));
	}
	assert_eq!(layout.part(bytes.len() as u64), None);
	// A truncated file, or one whose prefixes lie, has no layout.
	assert_eq!(StateLayout::of_file(&bytes[..bytes.len() - 1]), None);
}

/// What a challenge shows on chain: an honest contribution breaks nowhere, a tampered point
/// of L or H, a changed fixed byte or a `delta` other than the contribution's each break it.
#[test]
fn a_bad_state_breaks_the_transition_at_the_byte_that_shows_it() {
	use opg_zk::ceremony::StateLayout;
	let (_, initial) = start();
	let mut key = initial.clone();
	contribute(&mut key, &context(0, "alice", &head(&initial)), &mut StdRng::seed_from_u64(5));
	let (parent, child) = (file(&initial), file(&key));
	let layout = StateLayout::of_file(&child).unwrap();
	let parent_delta_g2 = encode_point(&initial.vk.delta_g2);
	let child_delta = (encode_point(&key.delta_g1), encode_point(&key.vk.delta_g2));
	let breaks = |child: &[u8], offset: u64| {
		chain_finds_broken(&layout, &parent, child, offset, &parent_delta_g2, &child_delta)
	};
	// Honest: no byte breaks it (every 61st byte, which visits every part).
	assert!((0..child.len() as u64).step_by(61).all(|offset| !breaks(&child, offset)));
	// L[0] replaced by another curve point (the parent's, undivided).
	let l0 = encode_point(&key.l_query[0]);
	let at = child.windows(64).position(|w| w == l0.as_slice()).unwrap();
	let mut tampered = child.clone();
	tampered[at..at + 64].copy_from_slice(&parent[at..at + 64]);
	assert!(breaks(&tampered, at as u64 + 3));
	// H's last point off the curve.
	let h = encode_point(key.h_query.last().unwrap());
	let at = child.windows(64).position(|w| w == h.as_slice()).unwrap();
	let mut off_curve = child.clone();
	off_curve[at] ^= 1;
	assert!(breaks(&off_curve, at as u64));
	// alpha changed; a delta byte other than the contribution's.
	let mut fixed = child.clone();
	fixed[10] ^= 1;
	assert!(breaks(&fixed, 10));
	let delta = encode_point(&key.delta_g1);
	let at = child.windows(64).position(|w| w == delta.as_slice()).unwrap();
	let mut other_delta = child.clone();
	other_delta[at + 1] ^= 1;
	assert!(breaks(&other_delta, at as u64 + 1));
}

/// The tool's side of a challenge: `find_fault` names a byte where the chain's check breaks,
/// and nothing for an honest state.
#[test]
fn find_fault_names_a_byte_the_chain_agrees_is_broken() {
	use opg_zk::ceremony::{find_fault, StateLayout, StatePart};
	let (_, initial) = start();
	let mut key = initial.clone();
	contribute(&mut key, &context(0, "alice", &head(&initial)), &mut StdRng::seed_from_u64(6));
	let (parent, child) = (file(&initial), file(&key));
	let layout = StateLayout::of_file(&parent).unwrap();
	let delta = (encode_point(&key.delta_g1), encode_point(&key.vk.delta_g2));
	let parent_delta_g2 = encode_point(&initial.vk.delta_g2);
	let mut rng = StdRng::seed_from_u64(7);
	let mut fault =
		|child: &[u8]| find_fault(&parent, child, (&delta.0, &delta.1), &mut rng).unwrap();
	assert_eq!(fault(&child), None);
	let chain_agrees = |child: &[u8], offset: u64| {
		chain_finds_broken(&layout, &parent, child, offset, &parent_delta_g2, &delta)
	};
	// A point of L deep in the query put back to the parent's (undivided).
	let index = key.l_query.len() - 2;
	let point = encode_point(&key.l_query[index]);
	let at = child.windows(64).position(|w| w == point.as_slice()).unwrap();
	let mut tampered = child.clone();
	tampered[at..at + 64].copy_from_slice(&parent[at..at + 64]);
	assert_eq!(fault(&tampered), Some(at as u64));
	assert!(chain_agrees(&tampered, at as u64));
	// A changed fixed byte, and a delta other than the chain's.
	let mut fixed = child.clone();
	fixed[200] ^= 1;
	assert_eq!(fault(&fixed), Some(200));
	assert!(chain_agrees(&fixed, 200));
	let other = find_fault(&parent, &child, (&delta.0, &parent_delta_g2), &mut rng).unwrap();
	let offset = other.expect("the state's delta is not the one the chain holds");
	assert!(matches!(layout.part(offset), Some(StatePart::DeltaG2 { .. })));
}

/// A parent that spells a point unusually (the y-sign flag, which arkworks ignores when it
/// reads an uncompressed point) cannot frame the next contributor: the contribution is written
/// over the parent's own bytes, so its fixed bytes stay the parent's, where a re-encoded key
/// would differ and a challenge of that byte would "show" it bad.
#[test]
fn a_contribution_keeps_its_parents_fixed_bytes_as_they_are_spelled() {
	use opg_zk::ceremony::{contributed_file, find_fault, StateLayout};
	let (_, initial) = start();
	let mut parent = file(&initial);
	let layout = StateLayout::of_file(&parent).unwrap();
	let a0_last = layout.length_prefixes().unwrap()[1].0 as usize + 8 + 63;
	parent[a0_last] ^= 0x80;
	let mut key = decode_proving_key(&parent).unwrap();
	assert_eq!(key, initial, "the flag changes the bytes, not the key");
	contribute(&mut key, &context(0, "honest", &head(&initial)), &mut StdRng::seed_from_u64(8));
	let child = contributed_file(&parent, &key).unwrap();
	assert_eq!(child[a0_last], parent[a0_last]);
	let delta = (encode_point(&key.delta_g1), encode_point(&key.vk.delta_g2));
	let mut rng = StdRng::seed_from_u64(9);
	assert_eq!(find_fault(&parent, &child, (&delta.0, &delta.1), &mut rng).unwrap(), None);
	// The same key re-encoded would differ at that byte: a "fault" the parent planted.
	let reencoded = file(&key);
	assert_ne!(reencoded[a0_last], parent[a0_last]);
	assert_eq!(
		find_fault(&parent, &reencoded, (&delta.0, &delta.1), &mut rng).unwrap(),
		Some(a0_last as u64)
	);
	// And the contributed file is the key: it decodes to it.
	assert_eq!(decode_proving_key(&child).unwrap(), key);
}

/// A node builds on the `delta` the chain holds, not on what the head's file spells: a head
/// whose author wrote another `delta` into its file (to make the next contributor's proof of
/// knowledge fail and get a drawn node slashed) makes a contribution the chain still takes,
/// whose own transition is right.
#[test]
fn a_contribution_builds_on_the_chains_delta_whatever_the_heads_file_spells() {
	use opg_zk::ceremony::{contribute_to_state, find_fault, StateLayout};
	let (_, initial) = start();
	let chain_delta = (encode_point(&initial.delta_g1), encode_point(&initial.vk.delta_g2));
	// The parent's file spells another delta (the generator's double) than the chain's.
	let mut poisoned = file(&initial);
	let at = poisoned.windows(64).position(|bytes| bytes == chain_delta.0.as_slice()).unwrap();
	let other = (initial.delta_g1 + initial.delta_g1).into_affine();
	poisoned[at..at + 64].copy_from_slice(&encode_point(&other));
	assert_eq!(StateLayout::of_file(&poisoned), StateLayout::of_file(&file(&initial)));
	let context = context(1, "drawn", &head(&initial));
	let mut rng = StdRng::seed_from_u64(11);
	let (contribution, child) =
		contribute_to_state(&poisoned, (&chain_delta.0, &chain_delta.1), &context, &mut rng)
			.unwrap();
	// The chain's check: against its own delta, it verifies.
	assert_eq!(
		verify_contribution(&context, &initial.delta_g1, &initial.vk.delta_g2, &contribution),
		Ok(())
	);
	// A contribution on the file's delta would not.
	let mut on_file = decode_proving_key(&poisoned).unwrap();
	let naive = contribute(&mut on_file, &context, &mut StdRng::seed_from_u64(12));
	assert!(verify_contribution(&context, &initial.delta_g1, &initial.vk.delta_g2, &naive).is_err());
	// Its state carries its own delta and the parent's queries divided by its secret: the only
	// fault a check finds is the parent's delta byte, which the parent's author answers for.
	let child_key = decode_proving_key(&child).unwrap();
	assert_eq!(child_key.delta_g1, contribution.delta_g1);
	let delta = (encode_point(&contribution.delta_g1), encode_point(&contribution.delta_g2));
	let fault = find_fault(&file(&initial), &child, (&delta.0, &delta.1), &mut rng).unwrap();
	assert_eq!(fault, None);
	// From the chain's head (the parent as the chain knows it), the key is the initial key
	// after one contribution.
	assert_eq!(verify_transition(&initial, &child_key, &mut rng), Ok(()));
}
