//! Who works is drawn from BABE's VRF, in a block that did not exist when the work went in: a
//! job's node in the block after its request, a round's committee in the block after the round
//! opened. These tests run real blocks (real VRF signatures of two authorities, Alice and Bob)
//! and show that the draws follow the drawing block's VRF output and nothing its author, or the
//! author of the block before, can change: re-signing (re-sealing) a block changes its hash, the
//! next block's parent hash, and under Aura that re-rolled every draw; now it changes none.

use super::{
	consensus::{babe_config, initialize_block_as},
	governance::{approve, close_block, ext_of, governed_config, open_block, send, uploaded_model},
	*,
};
use frame_support::traits::{Get, UnfilteredDispatchable};
use opg_primitives::{
	attestation::{Attestations as _, NodeRole, RoleSet, SubjectId},
	inference::{FixedPoint, JobStatus, Tensor, TensorValues, Tensors},
	model::InferenceMode,
};

/// Six dev accounts, each an inference node and a verifier with a bond of its own size.
pub(super) const NODES: [Sr25519Keyring; 6] = [
	Sr25519Keyring::Alice,
	Sr25519Keyring::Bob,
	Sr25519Keyring::Charlie,
	Sr25519Keyring::Dave,
	Sr25519Keyring::Eve,
	Sr25519Keyring::Ferdie,
];

/// Jobs requested in one block, so that two different seeds are told apart by at least one.
const JOBS: u64 = 8;

/// A chain like a production one where Alice and Bob author blocks (BABE) and [`NODES`] run
/// inference and verify, with a vanilla model approved (at block 1, after genesis).
fn draws_ext() -> sp_io::TestExternalities {
	nodes_ext(uploaded_model)
}

/// [`draws_ext`] with the model `model` registers (at block 1, approved).
pub(super) fn nodes_ext(model: impl FnOnce() -> u32) -> sp_io::TestExternalities {
	let mut config = governed_config();
	config.babe = babe_config(&[Sr25519Keyring::Alice, Sr25519Keyring::Bob]);
	config.nodes.nodes = NODES
		.iter()
		.zip(1u128..)
		.map(|(who, weight)| {
			let roles = RoleSet::from_roles(&[NodeRole::Inference, NodeRole::Verifier]);
			let bond = genesis_config_presets::NODE_BOND * weight;
			(who.to_account_id(), roles, who.public().into(), None, bond)
		})
		.collect();
	let mut ext = ext_of(config);
	ext.execute_with(|| {
		open_block();
		let model = model();
		assert!(approve(model).dispatch_bypass_filter(RuntimeOrigin::root()).is_ok());
		close_block();
	});
	ext
}

pub(super) fn input() -> Tensors {
	let values = (1..=4).map(|v| FixedPoint { value: v, decimals: 0 }).collect::<Vec<_>>();
	vec![Tensor {
		name: b"x".to_vec().try_into().unwrap(),
		shape: vec![4].try_into().unwrap(),
		values: TensorValues::Numbers(values.try_into().unwrap()),
	}]
	.try_into()
	.unwrap()
}

/// Starts the next block on `parent_hash` (a stand-in for the hash a re-sealed parent would
/// have), authored by `author`, with the timestamp inherent.
fn open_block_on(parent_hash: Hash, author: Sr25519Keyring) {
	let number = System::block_number() + 1;
	let slot = pallet_babe::CurrentSlot::<Runtime>::get().saturating_add(1u64);
	initialize_block_as(number, parent_hash, *slot, Some(author));
	let now = RuntimeCall::Timestamp(pallet_timestamp::Call::set { now: *slot * SLOT_DURATION });
	assert_eq!(Executive::apply_extrinsic(UncheckedExtrinsic::new_bare(now)), Ok(Ok(())));
}

/// Dave's [`JOBS`] vanilla requests go into the next block; returns the ids. Then the block
/// after it is opened on `parent_hash` by `author`: its `on_initialize` draws their nodes.
fn request_then_draw(parent_hash: Option<Hash>, author: Sr25519Keyring) -> Vec<u64> {
	open_block();
	let first = pallet_inference::NextJobId::<Runtime>::get();
	for _ in 0..JOBS {
		let request = pallet_inference::Call::request {
			model: 0,
			version: None,
			input: input(),
			mode: InferenceMode::Vanilla,
			max_fee: 10 * OPG,
		};
		assert_eq!(send(Sr25519Keyring::Dave, RuntimeCall::Inference(request)), Ok(()));
	}
	let jobs: Vec<u64> = (first..first + JOBS).collect();
	// In the block that includes them nobody knows their nodes: no node is drawn yet, and the
	// draw uses a VRF output that does not exist yet.
	for job in &jobs {
		let record = pallet_inference::Jobs::<Runtime>::get(job).unwrap();
		assert!(matches!(record.status, JobStatus::Queued { .. }), "job {job} is queued");
		assert_eq!(Inference::assignee(*job), None);
	}
	close_block();
	open_block_on(parent_hash.unwrap_or_else(System::parent_hash), author);
	jobs
}

/// The node each of `jobs` was given.
fn nodes_of(jobs: &[u64]) -> Vec<AccountId> {
	jobs.iter().map(|job| Inference::assignee(*job).expect("assigned")).collect()
}

#[test]
fn a_jobs_node_is_drawn_from_the_next_blocks_vrf_output_alone() {
	let draw = |parent_hash: Option<Hash>, author: Sr25519Keyring| {
		draws_ext().execute_with(|| {
			let jobs = request_then_draw(parent_hash, author);
			let nodes = nodes_of(&jobs);
			close_block();
			nodes
		})
	};
	let by_alice = draw(None, Sr25519Keyring::Alice);
	assert_eq!(by_alice.len() as u64, JOBS);
	// The same chain and the same VRF output: the same nodes.
	assert_eq!(draw(None, Sr25519Keyring::Alice), by_alice);
	// Another VRF output (the same slot authored by Bob): other nodes.
	assert_ne!(draw(None, Sr25519Keyring::Bob), by_alice);
	// A re-sealed parent (another hash for the block that included the requests) changes
	// nothing: its author cannot re-roll its requests' nodes.
	for byte in [1u8, 2, 3, 0xAB] {
		assert_eq!(draw(Some(Hash::repeat_byte(byte)), Sr25519Keyring::Alice), by_alice);
	}
}

/// Opens a verification round for each of `subjects` in the next block, claimed by Alice, then
/// opens the block after it on `parent_hash` by `author`, whose `on_initialize` draws the
/// committees; returns them.
fn committees(
	subjects: &[SubjectId],
	parent_hash: Option<Hash>,
	author: Sr25519Keyring,
) -> Vec<Vec<AccountId>> {
	let alice = Sr25519Keyring::Alice.to_account_id();
	open_block();
	for subject in subjects {
		let (claim, context) = (Hash::repeat_byte(9), Hash::repeat_byte(7));
		assert_eq!(Attestations::open_round(*subject, &alice, claim, context), Ok(()));
	}
	close_block();
	open_block_on(parent_hash.unwrap_or_else(System::parent_hash), author);
	subjects
		.iter()
		.map(|subject| {
			let round = pallet_attestations::Rounds::<Runtime>::get(subject).expect("drawn");
			round.committee.iter().map(|member| member.account.clone()).collect()
		})
		.collect()
}

#[test]
fn re_sealing_a_block_changes_no_committee_and_another_vrf_output_does() {
	// As many rounds as one block's draws may hold, so that all of them draw in the next block.
	let rounds: u32 = <Runtime as pallet_attestations::Config>::MaxDeadlinesPerBlock::get();
	let subjects: Vec<SubjectId> = (0..u64::from(rounds)).map(Hash::from_low_u64_be).collect();
	let draw = |parent_hash: Option<Hash>, author: Sr25519Keyring| {
		draws_ext().execute_with(|| {
			let drawn = committees(&subjects, parent_hash, author);
			close_block();
			drawn
		})
	};
	let by_alice = draw(None, Sr25519Keyring::Alice);
	assert!(by_alice.iter().all(|committee| committee.len() == 3), "{by_alice:?}");
	// The grinding attack: the author of the block that opened the rounds re-signs it again and
	// again, each time a new block hash, the drawing block's parent. Under Aura each was a new
	// seed; under BABE every one of them draws the same committees.
	for attempt in 0..16u64 {
		assert_eq!(draw(Some(Hash::from_low_u64_be(attempt)), Sr25519Keyring::Alice), by_alice);
	}
	// Another VRF output in the drawing block: other committees.
	assert_ne!(draw(None, Sr25519Keyring::Bob), by_alice);
}
