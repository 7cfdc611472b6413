//! The ceremony's rules, each by a test that would fail if the rule broke: a whole ceremony
//! on a real circuit, every bad contribution refused with nothing held and the head unchanged,
//! and every cheap cheat losing money.

// Tests may panic: a panic is a failed test.
#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]

use crate::{mock::*, Ceremonies, Error, Event, FailureReason, Phase, StateChunks, Transcript};
use ark_bn254::Bn254;
use ark_groth16::ProvingKey;
use codec::Encode;
use frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold};
use opg_primitives::model::{KeyCeremony, ZkKeyOrigin};
use opg_zk::{
	ceremony::{contribute, contribution_context, encode_contribution},
	ceremony::{StateLayout, StatePart},
	groth16::{prove, Keys},
	verifier::{finish_key, verify},
	ZkError,
};
use rand::{rngs::StdRng, SeedableRng};
use sp_core::H256;

fn init_hash() -> H256 {
	state_hash(&circuit().initial)
}

/// Starts the ceremony; its initial key is not in the data layer yet.
fn begin_unpublished() {
	assert_ok!(<ZkCeremony as KeyCeremony<AccountId>>::begin(
		MODEL,
		VERSION,
		&OWNER,
		init_hash(),
		VK_HASH
	));
}

/// Sends chunk `index` of the state being uploaded, as `who`.
fn upload_chunk(
	who: AccountId,
	state: &State,
	index: u32,
) -> frame_support::dispatch::DispatchResult {
	ZkCeremony::upload_state(
		RuntimeOrigin::signed(who),
		MODEL,
		VERSION,
		index,
		state.chunks[index as usize].clone(),
	)
	.map(|_| ())
	.map_err(|error| error.error)
}

/// Sends every chunk of the state being uploaded, as `who`.
fn upload(who: AccountId, state: &State) {
	for index in 0..state.chunks.len() as u32 {
		assert_ok!(upload_chunk(who, state, index));
	}
}

/// Starts the ceremony and publishes its initial key (as the owner's upload tool does).
fn begin() {
	begin_unpublished();
	let initial = publish_initial_key();
	upload(OWNER, &initial);
}

/// Publishes the initial key's size, chunk hashes and layout as the owner; returns its state,
/// whose chunks are still to upload.
fn publish_initial_key() -> State {
	let initial = State::of(&key_bytes(&circuit().initial));
	assert_ok!(ZkCeremony::publish_initial(
		RuntimeOrigin::signed(OWNER),
		MODEL,
		VERSION,
		initial.size,
		initial.hashes.clone(),
		layout()
	));
	initial
}

/// The layout of the test circuit's key states.
fn layout() -> StateLayout {
	StateLayout::of_file(&key_bytes(&circuit().initial)).unwrap()
}

/// `who` commits to `state` as its contribution `encoded` on `on`.
fn send(
	who: AccountId,
	on: H256,
	encoded: crate::EncodedContribution,
	state: &State,
) -> frame_support::dispatch::DispatchResult {
	ZkCeremony::contribute(
		RuntimeOrigin::signed(who),
		MODEL,
		VERSION,
		on,
		encoded,
		state.size,
		state.hashes.clone(),
	)
}

fn held(who: AccountId) -> Balance {
	Balances::balance_on_hold(&crate::HoldReason::ContributionDeposit.into(), &who)
}

fn head() -> H256 {
	Ceremonies::<Test>::get(ID).unwrap().head
}

/// `author`'s contribution to `key` (moved in place) as the next in the transcript, on
/// `head`: the encoded contribution and the new key's state.
fn contribution(
	key: &mut ProvingKey<Bn254>,
	author: AccountId,
	index: u32,
	head: H256,
) -> (crate::EncodedContribution, State) {
	let genesis: [u8; 32] = System::block_hash(0).into();
	let context = contribution_context(
		&genesis,
		MODEL,
		VERSION,
		index,
		&author.encode(),
		head.as_fixed_bytes(),
	);
	let contribution = contribute(key, &context, &mut StdRng::seed_from_u64(author + index as u64));
	(encode_contribution(&contribution).try_into().unwrap(), State::of(&key_bytes(key)))
}

/// `author` contributes to `key` through the pallet, as the next contribution on the head,
/// and uploads the new state.
fn contribute_as(key: &mut ProvingKey<Bn254>, author: AccountId) {
	let ceremony = Ceremonies::<Test>::get(ID).unwrap();
	let (encoded, state) = contribution(key, author, ceremony.contributions, ceremony.head);
	assert_ok!(send(author, ceremony.head, encoded, &state));
	upload(author, &state);
}

/// Runs the ceremony to its attestations: the open phase ends, both drawn verifiers contribute
/// to `key`, and the attesters are drawn in the next block.
fn to_attestations(key: &mut ProvingKey<Bn254>) {
	run_to_block(1 + OPEN_PERIOD);
	contribute_as(key, VERIFIERS[0]);
	contribute_as(key, VERIFIERS[1]);
	run_to_block(System::block_number() + 1);
}

/// The drawn phase already running: both drawn verifiers contribute to `key`, and the
/// attesters are drawn in the next block.
fn to_attestations_from_drawn(key: &mut ProvingKey<Bn254>) {
	contribute_as(key, VERIFIERS[0]);
	contribute_as(key, VERIFIERS[1]);
	run_to_block(System::block_number() + 1);
}

/// `prover` approves the registered key and the current head.
fn approve(prover: AccountId) {
	assert_ok!(ZkCeremony::attest(
		RuntimeOrigin::signed(prover),
		MODEL,
		VERSION,
		VK_HASH,
		head(),
		true
	));
}

#[test]
fn a_ceremony_of_a_dapp_and_two_drawn_verifiers_finishes_with_a_key_nobody_could_forge() {
	build_and_execute(|| {
		begin();
		let mut key = circuit().initial.clone();
		// Open phase: a dApp takes the slot and contributes.
		assert_ok!(ZkCeremony::take_slot(RuntimeOrigin::signed(DAPP), MODEL, VERSION));
		assert_eq!(held(DAPP), DEPOSIT);
		contribute_as(&mut key, DAPP);
		assert_eq!(head(), state_hash(&key));
		// The open phase ends: two verifiers are drawn, never the owner.
		run_to_block(1 + OPEN_PERIOD);
		let ceremony = Ceremonies::<Test>::get(ID).unwrap();
		assert_eq!(ceremony.phase, Phase::Drawn);
		assert_eq!(ceremony.drawn.to_vec(), vec![VERIFIERS[0], VERIFIERS[1]]);
		System::assert_has_event(
			Event::ContributorsDrawn {
				model: MODEL,
				version: VERSION,
				nodes: vec![VERIFIERS[0], VERIFIERS[1]],
			}
			.into(),
		);
		// Out of turn: refused.
		let (early, state) = contribution(&mut key.clone(), VERIFIERS[1], 1, head());
		assert_noop!(send(VERIFIERS[1], head(), early, &state), Error::<Test>::NotYourTurn);
		contribute_as(&mut key, VERIFIERS[0]);
		run_to_block(System::block_number() + 1);
		contribute_as(&mut key, VERIFIERS[1]);
		let ceremony = Ceremonies::<Test>::get(ID).unwrap();
		assert_eq!(ceremony.phase, Phase::Attesting);
		assert_eq!((ceremony.contributions, ceremony.drawn_contributions), (3, 2));

		// In the next block two inference nodes are drawn to check the key (never the owner).
		assert_eq!(ceremony.attesters.len(), 0);
		run_to_block(System::block_number() + 1);
		let ceremony = Ceremonies::<Test>::get(ID).unwrap();
		assert_eq!(
			ceremony.attesters.iter().map(|(node, _)| *node).collect::<Vec<_>>(),
			vec![PROVERS[0], PROVERS[1]]
		);
		let final_head = state_hash(&key);
		let attest = |who: AccountId, vk: H256, head: H256| {
			ZkCeremony::attest(RuntimeOrigin::signed(who), MODEL, VERSION, vk, head, true)
		};
		assert_noop!(attest(PROVERS[2], VK_HASH, final_head), Error::<Test>::NotAnAttester);
		assert_noop!(attest(OWNER, VK_HASH, final_head), Error::<Test>::NotAnAttester);
		// An approval names the registered key and the final head.
		assert_noop!(attest(PROVERS[0], H256::zero(), final_head), Error::<Test>::WrongKey);
		assert_noop!(attest(PROVERS[0], VK_HASH, init_hash()), Error::<Test>::StaleHead);
		assert_ok!(attest(PROVERS[0], VK_HASH, final_head));
		assert_noop!(attest(PROVERS[0], VK_HASH, final_head), Error::<Test>::AlreadyAttested);
		assert_ok!(attest(PROVERS[1], VK_HASH, final_head));

		// Finished: the registry got the last delta, the deposit is back, the transcript stays,
		// the fee paid the two drawn contributors and the two attesters.
		assert!(Ceremonies::<Test>::get(ID).is_none());
		assert_eq!(held(DAPP), 0);
		assert_eq!(Balances::free_balance(OWNER), INITIAL_BALANCE - FEE);
		for node in [VERIFIERS[0], VERIFIERS[1], PROVERS[0], PROVERS[1]] {
			assert_eq!(Balances::free_balance(node), INITIAL_BALANCE + FEE / 4);
		}
		let finished = Finished::get();
		assert_eq!(finished.len(), 1);
		let (_, _, delta_g2, head, origin) = finished[0].clone();
		assert_eq!(head, final_head);
		assert_eq!(origin, ZkKeyOrigin::Ceremony { contributions: 3, drawn: 2 });
		let transcript = ZkCeremony::transcript(MODEL, VERSION);
		assert_eq!(
			transcript.iter().map(|r| (r.author, r.drawn)).collect::<Vec<_>>(),
			vec![(DAPP, false), (VERIFIERS[0], true), (VERIFIERS[1], true)]
		);
		// Of the key states, the chain keeps the final one's chunk hashes (the version's
		// proving key, which nodes read from the data layer), none of the others', whose chunks
		// the registry clears from the nodes' off-chain databases.
		assert_eq!(StateChunks::<Test>::iter_key_prefix(ID).collect::<Vec<_>>(), vec![final_head]);
		let mut discarded: Vec<H256> = Discarded::get().iter().map(|(state, _)| *state).collect();
		discarded.sort();
		let mut expected: Vec<H256> =
			vec![init_hash(), transcript[0].state_hash, transcript[1].state_hash];
		expected.sort();
		assert_eq!(discarded, expected);
		let chunks = State::of(&key_bytes(&key)).chunks.len() as u32;
		assert!(Discarded::get().iter().all(|(_, count)| *count == chunks));
		// When the version leaves the registry, the ceremony forgets its transcript and key.
		<ZkCeremony as KeyCeremony<AccountId>>::forget(MODEL, VERSION);
		assert!(ZkCeremony::transcript(MODEL, VERSION).is_empty());
		assert_eq!(StateChunks::<Test>::iter_key_prefix(ID).count(), 0);
		assert_eq!(Discarded::get().last(), Some(&(final_head, chunks)));

		// The key the registry makes from the initial key and that delta is the final key's:
		// its prover's proofs verify, proofs made with the initial key (whose secrets phase 1's
		// holder would know) do not.
		let inputs = circuit().synthesis.public_inputs;
		let initial_vk = Keys::from_proving_key(&circuit().initial).unwrap().verifying_key;
		let (_, prepared) = finish_key::<Bn254>(&initial_vk, inputs, &delta_g2).unwrap();
		let public = circuit().synthesis.public();
		assert_eq!(
			verify::<Bn254>(&prepared, &prove(&key, &circuit().synthesis).unwrap(), public),
			Ok(())
		);
		let forged = prove(&circuit().initial, &circuit().synthesis).unwrap();
		assert_eq!(verify::<Bn254>(&prepared, &forged, public), Err(ZkError::InvalidProof));
	});
}

#[test]
fn bad_contributions_are_refused_with_nothing_held_and_the_head_unchanged() {
	build_and_execute(|| {
		begin();
		let mut key = circuit().initial.clone();
		// Without the slot.
		let (encoded, state) = contribution(&mut key.clone(), DAPP, 0, init_hash());
		assert_noop!(send(DAPP, init_hash(), encoded.clone(), &state), Error::<Test>::NotYourTurn);
		assert_ok!(ZkCeremony::take_slot(RuntimeOrigin::signed(DAPP), MODEL, VERSION));
		assert_noop!(
			ZkCeremony::take_slot(RuntimeOrigin::signed(CAROL), MODEL, VERSION),
			Error::<Test>::SlotTaken
		);
		assert_noop!(
			ZkCeremony::take_slot(RuntimeOrigin::signed(DAPP), MODEL, VERSION),
			Error::<Test>::AlreadyHoldingSlot
		);
		let call = |encoded: crate::EncodedContribution, on: H256| send(DAPP, on, encoded, &state);
		// On a stale head.
		assert_noop!(call(encoded.clone(), H256::repeat_byte(1)), Error::<Test>::StaleHead);
		// Made for another author (a replay under DAPP's name), for another index, or with a
		// wrong response: the proof of knowledge names another context.
		let (carols, _) = contribution(&mut key.clone(), CAROL, 0, init_hash());
		let (next_index, _) = contribution(&mut key.clone(), DAPP, 1, init_hash());
		// The response is the last 32 bytes (little-endian): its low byte changed.
		let mut wrong_response = encoded.clone();
		let low = wrong_response.len() - 32;
		wrong_response[low] ^= 1;
		for replayed in [carols, next_index, wrong_response] {
			assert_noop!(call(replayed, init_hash()), Error::<Test>::BadProofOfKnowledge);
		}
		// An identity delta (arkworks' uncompressed point at infinity: zeros, then the infinity
		// flag in the last byte), and bytes that do not decode.
		let mut identity = encoded.clone();
		identity[..64].fill(0);
		identity[63] = 0x40;
		assert_noop!(call(identity, init_hash()), Error::<Test>::IdentityDelta);
		let mut off_curve = encoded.clone();
		off_curve[0] ^= 1;
		assert_noop!(call(off_curve, init_hash()), Error::<Test>::MalformedContribution);
		// Nothing moved: the head is the initial key's, only the slot's deposit is held.
		assert_eq!(head(), init_hash());
		assert_eq!(held(DAPP), DEPOSIT);
		assert_eq!(Transcript::<Test>::iter_prefix(ID).count(), 0);
		// The good one still goes in.
		contribute_as(&mut key, DAPP);
		assert_eq!(head(), state_hash(&key));
		// After the drawn nodes, contributions are over.
		run_to_block(1 + OPEN_PERIOD);
		contribute_as(&mut key, VERIFIERS[0]);
		contribute_as(&mut key, VERIFIERS[1]);
		let (late, state) = contribution(&mut key.clone(), CAROL, 3, head());
		assert_noop!(send(CAROL, head(), late, &state), Error::<Test>::NotYourTurn);
		assert_noop!(
			ZkCeremony::take_slot(RuntimeOrigin::signed(CAROL), MODEL, VERSION),
			Error::<Test>::NotOpen
		);
	});
}

#[test]
fn a_slot_squatter_loses_its_deposit_and_delays_nothing() {
	build_and_execute(|| {
		begin();
		assert_ok!(ZkCeremony::take_slot(RuntimeOrigin::signed(CAROL), MODEL, VERSION));
		let treasury = Balances::free_balance(TREASURY);
		// The slot runs out unused; the next contributor takes it and the squatter forfeits.
		run_to_block(2 + TURN_PERIOD);
		assert_ok!(ZkCeremony::take_slot(RuntimeOrigin::signed(DAPP), MODEL, VERSION));
		assert_eq!(held(CAROL), 0);
		assert_eq!(Balances::free_balance(CAROL), INITIAL_BALANCE - DEPOSIT);
		assert_eq!(Balances::free_balance(TREASURY), treasury + DEPOSIT);
		// A slot held unused until the open phase ends is forfeited at the phase's end, which
		// comes on time.
		run_to_block(1 + OPEN_PERIOD);
		assert_eq!(held(DAPP), 0);
		assert_eq!(Balances::free_balance(DAPP), INITIAL_BALANCE - DEPOSIT);
		assert_eq!(Balances::free_balance(TREASURY), treasury + 2 * DEPOSIT);
		assert_eq!(Ceremonies::<Test>::get(ID).unwrap().phase, Phase::Drawn);
	});
}

#[test]
fn a_silent_drawn_node_is_slashed_and_the_ceremony_fails_without_a_replacement() {
	build_and_execute(|| {
		begin();
		let mut key = circuit().initial.clone();
		assert_ok!(ZkCeremony::take_slot(RuntimeOrigin::signed(DAPP), MODEL, VERSION));
		contribute_as(&mut key, DAPP);
		let treasury = Balances::free_balance(TREASURY);
		run_to_block(1 + OPEN_PERIOD);
		// The first drawn node lets its turn pass: slashed, and nobody is drawn in its place
		// (a replacement would let whoever silenced it draw again).
		run_to_block(1 + OPEN_PERIOD + TURN_PERIOD);
		assert_eq!(Slashes::get(), vec![(VERIFIERS[0], MissedTurnSlash::get())]);
		assert!(Ceremonies::<Test>::get(ID).is_none());
		System::assert_has_event(
			Event::CeremonyFailed {
				model: MODEL,
				version: VERSION,
				reason: FailureReason::DrawnContributorSilent,
			}
			.into(),
		);
		assert_eq!(Failed::get(), vec![(MODEL, VERSION)]);
		// Every failure costs the owner its fee; the open contributor gets its deposit back.
		assert_eq!(Balances::free_balance(OWNER), INITIAL_BALANCE - FEE);
		assert_eq!(Balances::free_balance(TREASURY), treasury + FEE);
		assert_eq!(Balances::free_balance(DAPP), INITIAL_BALANCE);
		assert_eq!(Transcript::<Test>::iter_prefix(ID).count(), 0);
	});
}

/// The attack a replacement draw would allow: the owner withholds the head's key so that the
/// honest drawn nodes cannot build on it and pass, hoping the chain draws its own nodes next.
/// Nobody is drawn again: the ceremony fails and the try costs the owner its fee.
#[test]
fn withholding_keys_to_redraw_costs_the_fee_and_draws_nobody() {
	build_and_execute(|| {
		begin();
		run_to_block(1 + OPEN_PERIOD);
		let drawn = Ceremonies::<Test>::get(ID).unwrap().drawn.to_vec();
		assert_noop!(
			ZkCeremony::pass_turn(RuntimeOrigin::signed(drawn[1]), MODEL, VERSION),
			Error::<Test>::NotYourTurn
		);
		assert_ok!(ZkCeremony::pass_turn(RuntimeOrigin::signed(drawn[0]), MODEL, VERSION));
		// No slash for a pass, no new draw, the fee gone.
		assert!(Slashes::get().is_empty());
		assert!(Ceremonies::<Test>::get(ID).is_none());
		System::assert_has_event(
			Event::CeremonyFailed {
				model: MODEL,
				version: VERSION,
				reason: FailureReason::DrawnContributorPassed,
			}
			.into(),
		);
		assert_eq!(Balances::free_balance(OWNER), INITIAL_BALANCE - FEE);
		run_to_block(100);
		let draws = System::events()
			.iter()
			.filter(|record| {
				matches!(record.event, RuntimeEvent::ZkCeremony(Event::ContributorsDrawn { .. }))
			})
			.count();
		assert_eq!(draws, 1);
	});
}

#[test]
fn a_silent_attester_is_slashed_and_the_ceremony_fails() {
	build_and_execute(|| {
		begin();
		let mut key = circuit().initial.clone();
		to_attestations(&mut key);
		approve(PROVERS[0]);
		run_to_block(System::block_number() + ATTESTATION_PERIOD);
		assert!(Ceremonies::<Test>::get(ID).is_none());
		assert_eq!(Failed::get(), vec![(MODEL, VERSION)]);
		assert!(Finished::get().is_empty());
		assert_eq!(Slashes::get(), vec![(PROVERS[1], MissedTurnSlash::get())]);
		// A silent sybil attester would otherwise abort, for free, a ceremony its owner
		// dislikes: the fee is gone.
		assert_eq!(Balances::free_balance(OWNER), INITIAL_BALANCE - FEE);
	});
}

/// While the hook's budget holds the attestation window's end back, the silent attester cannot
/// attest late: it is slashed all the same when the hook comes to the ceremony.
#[test]
fn an_attester_cannot_answer_after_its_window_while_the_hook_lags() {
	build_and_execute(|| {
		begin();
		let mut key = circuit().initial.clone();
		to_attestations(&mut key);
		approve(PROVERS[0]);
		let window_end = Ceremonies::<Test>::get(ID).unwrap().due;
		HookBudget::set(ZkCeremony::hook_block_base());
		run_to_block(window_end);
		assert!(Ceremonies::<Test>::get(ID).is_some(), "not ended yet");
		assert_noop!(
			ZkCeremony::attest(
				RuntimeOrigin::signed(PROVERS[1]),
				MODEL,
				VERSION,
				VK_HASH,
				head(),
				true
			),
			Error::<Test>::WindowOver
		);
		HookBudget::set(frame_support::weights::Weight::MAX);
		run_to_block(window_end + 1);
		assert_eq!(Failed::get(), vec![(MODEL, VERSION)]);
		assert_eq!(Slashes::get(), vec![(PROVERS[1], MissedTurnSlash::get())]);
	});
}

/// The owner cannot publish or upload the initial key once the open phase is over, though the
/// hook has not yet come to fail the ceremony.
#[test]
fn the_initial_key_cannot_arrive_after_the_open_phase() {
	build_and_execute(|| {
		begin_unpublished();
		let open_end = Ceremonies::<Test>::get(ID).unwrap().due;
		HookBudget::set(ZkCeremony::hook_block_base());
		run_to_block(open_end);
		let initial = State::of(&key_bytes(&circuit().initial));
		assert_noop!(
			ZkCeremony::publish_initial(
				RuntimeOrigin::signed(OWNER),
				MODEL,
				VERSION,
				initial.size,
				initial.hashes.clone(),
				layout()
			),
			Error::<Test>::WindowOver
		);
		HookBudget::set(frame_support::weights::Weight::MAX);
		run_to_block(open_end + 1);
		assert_eq!(Failed::get(), vec![(MODEL, VERSION)]);
	});
	// Published in time, its chunks too late.
	Failed::take();
	build_and_execute(|| {
		begin_unpublished();
		let initial = publish_initial_key();
		let open_end = Ceremonies::<Test>::get(ID).unwrap().due;
		HookBudget::set(ZkCeremony::hook_block_base());
		run_to_block(open_end);
		assert_noop!(upload_chunk(OWNER, &initial, 0), Error::<Test>::UploadExpired);
		HookBudget::set(frame_support::weights::Weight::MAX);
		run_to_block(open_end + 1);
		assert_eq!(Failed::get(), vec![(MODEL, VERSION)]);
	});
}

#[test]
fn a_rejected_key_fails_the_ceremony_and_forfeits_the_owners_fee() {
	build_and_execute(|| {
		begin();
		let mut key = circuit().initial.clone();
		assert_ok!(ZkCeremony::take_slot(RuntimeOrigin::signed(DAPP), MODEL, VERSION));
		contribute_as(&mut key, DAPP);
		to_attestations(&mut key);
		let treasury = Balances::free_balance(TREASURY);
		approve(PROVERS[0]);
		// A rejection names what it judged (the registered key and the head), as an approval.
		assert_ok!(ZkCeremony::attest(
			RuntimeOrigin::signed(PROVERS[1]),
			MODEL,
			VERSION,
			VK_HASH,
			head(),
			false
		));
		System::assert_has_event(
			Event::CeremonyFailed {
				model: MODEL,
				version: VERSION,
				reason: FailureReason::KeyRejected,
			}
			.into(),
		);
		assert!(Finished::get().is_empty());
		assert_eq!(Failed::get(), vec![(MODEL, VERSION)]);
		assert_eq!(Balances::free_balance(OWNER), INITIAL_BALANCE - FEE);
		assert_eq!(Balances::free_balance(TREASURY), treasury + FEE);
		// The open contributor is not to blame: its deposit comes back.
		assert_eq!(Balances::free_balance(DAPP), INITIAL_BALANCE);
	});
}

#[test]
fn an_owner_who_cannot_pay_the_fee_starts_no_ceremony() {
	build_and_execute(|| {
		let poor = 77;
		assert_noop!(
			<ZkCeremony as KeyCeremony<AccountId>>::begin(
				MODEL,
				VERSION,
				&poor,
				init_hash(),
				VK_HASH
			),
			Error::<Test>::FeeUnpaid
		);
	});
}

#[test]
fn a_refused_final_key_fails_the_ceremony() {
	build_and_execute(|| {
		begin();
		let mut key = circuit().initial.clone();
		to_attestations(&mut key);
		RefuseFinish::set(true);
		approve(PROVERS[0]);
		approve(PROVERS[1]);
		assert_eq!(Failed::get(), vec![(MODEL, VERSION)]);
		assert_eq!(Transcript::<Test>::iter_prefix(ID).count(), 0);
	});
}

#[test]
fn a_removed_version_drops_its_ceremony_and_releases_everything() {
	build_and_execute(|| {
		begin();
		assert_ok!(ZkCeremony::take_slot(RuntimeOrigin::signed(DAPP), MODEL, VERSION));
		RemovedVersions::mutate(|removed| removed.push((MODEL, VERSION)));
		// The registry's word that the version went leaves a running ceremony to its hook.
		<ZkCeremony as KeyCeremony<AccountId>>::forget(MODEL, VERSION);
		assert!(Ceremonies::<Test>::get(ID).is_some());
		run_to_block(1 + OPEN_PERIOD);
		assert!(Ceremonies::<Test>::get(ID).is_none());
		// Its initial key's chunks leave the nodes.
		assert_eq!(StateChunks::<Test>::iter_key_prefix(ID).count(), 0);
		assert!(Discarded::get().iter().any(|(state, _)| *state == init_hash()));
		assert_eq!(held(DAPP), 0);
		assert_eq!(Balances::free_balance(OWNER), INITIAL_BALANCE);
		System::assert_has_event(Event::CeremonyDropped { model: MODEL, version: VERSION }.into());
	});
}

#[test]
fn no_randomness_draws_nobody_and_the_draw_is_tried_again() {
	build_and_execute(|| {
		begin();
		HasRandomness::set(false);
		run_to_block(1 + OPEN_PERIOD);
		assert!(Ceremonies::<Test>::get(ID).unwrap().drawn.is_empty());
		HasRandomness::set(true);
		run_to_block(1 + OPEN_PERIOD + TURN_PERIOD);
		assert_eq!(Ceremonies::<Test>::get(ID).unwrap().drawn.len(), 2);
	});
}

#[test]
fn the_chain_runs_a_bounded_number_of_ceremonies() {
	build_and_execute(|| {
		begin();
		assert_noop!(
			<ZkCeremony as KeyCeremony<AccountId>>::begin(
				MODEL,
				VERSION,
				&OWNER,
				init_hash(),
				VK_HASH
			),
			Error::<Test>::AlreadyRunning
		);
		assert_ok!(<ZkCeremony as KeyCeremony<AccountId>>::begin(
			MODEL,
			2,
			&OWNER,
			init_hash(),
			VK_HASH
		));
		assert_noop!(
			<ZkCeremony as KeyCeremony<AccountId>>::begin(MODEL, 3, &OWNER, init_hash(), VK_HASH),
			Error::<Test>::TooManyCeremonies
		);
	});
}

#[test]
fn the_initial_key_must_be_published_whole_before_anyone_contributes() {
	build_and_execute(|| {
		begin_unpublished();
		// Nothing to build on yet: the slot is not for taking.
		assert_noop!(
			ZkCeremony::take_slot(RuntimeOrigin::signed(DAPP), MODEL, VERSION),
			Error::<Test>::HeadNotPublished
		);
		let initial = State::of(&key_bytes(&circuit().initial));
		let publish = |who: AccountId, size: u64, hashes: crate::StateChunkHashes<Test>| {
			ZkCeremony::publish_initial(
				RuntimeOrigin::signed(who),
				MODEL,
				VERSION,
				size,
				hashes,
				layout(),
			)
		};
		// Hashes that do not make the initial content id, or do not fit the size.
		let mut other = initial.hashes.clone();
		other[0] = H256::repeat_byte(1);
		assert_noop!(publish(OWNER, initial.size, other), Error::<Test>::WrongState);
		assert_noop!(
			publish(OWNER, initial.size + 70_000, initial.hashes.clone()),
			Error::<Test>::WrongLayout
		);
		assert_noop!(upload_chunk(CAROL, &initial, 0), Error::<Test>::NothingToUpload);
		// Only the owner publishes it (anyone else could claim a wrong layout), once; anyone
		// may upload its chunks.
		assert_noop!(publish(CAROL, initial.size, initial.hashes.clone()), Error::<Test>::NotOwner);
		assert_ok!(publish(OWNER, initial.size, initial.hashes.clone()));
		assert_noop!(
			publish(OWNER, initial.size, initial.hashes.clone()),
			Error::<Test>::AlreadyPublished
		);
		let mut bad = initial.chunks[0].clone();
		bad[0] ^= 1;
		assert_noop!(
			ZkCeremony::upload_state(RuntimeOrigin::signed(CAROL), MODEL, VERSION, 0, bad),
			Error::<Test>::WrongChunk
		);
		assert_noop!(
			ZkCeremony::take_slot(RuntimeOrigin::signed(DAPP), MODEL, VERSION),
			Error::<Test>::HeadNotPublished
		);
		upload(CAROL, &initial);
		System::assert_has_event(
			Event::StateUploaded { model: MODEL, version: VERSION, state_hash: init_hash() }.into(),
		);
		assert!(Ceremonies::<Test>::get(ID).unwrap().head_published);
		assert_ok!(ZkCeremony::take_slot(RuntimeOrigin::signed(DAPP), MODEL, VERSION));
	});
}

#[test]
fn a_state_of_several_chunks_arrives_in_order_each_checked_against_its_hash() {
	build_and_execute(|| {
		// A state of three chunks (65,536, 65,536 and 18,864 bytes) whose length prefixes say
		// so: a key with an L query of 2,333 points and nothing else.
		let layout = StateLayout { inputs: 0, variables: 0, h: 0, l: 2_333 };
		let size = layout.size().unwrap() as usize;
		let mut bytes: Vec<u8> = (0..size as u32).map(|i| ((i * 31 + 7) % 251) as u8).collect();
		for (offset, length) in layout.length_prefixes().unwrap() {
			bytes[offset as usize..offset as usize + 8].copy_from_slice(&length.to_le_bytes());
		}
		let state = State::of(&bytes);
		assert_eq!(state.chunks.len(), 3);
		assert_ok!(<ZkCeremony as KeyCeremony<AccountId>>::begin(
			MODEL,
			VERSION,
			&OWNER,
			state.id(),
			VK_HASH
		));
		let publish = |layout: StateLayout| {
			ZkCeremony::publish_initial(
				RuntimeOrigin::signed(OWNER),
				MODEL,
				VERSION,
				state.size,
				state.hashes.clone(),
				layout,
			)
		};
		let send_chunk = |index: u32, chunk: &crate::StateChunk| {
			ZkCeremony::upload_state(
				RuntimeOrigin::signed(CAROL),
				MODEL,
				VERSION,
				index,
				chunk.clone(),
			)
		};
		// A layout of the right size that is not the file's own (a point moved from L to H):
		// its first chunk shows it, and the publication is dropped.
		assert_ok!(publish(StateLayout { h: 1, l: 2_332, ..layout }));
		assert_ok!(send_chunk(0, &state.chunks[0]));
		System::assert_has_event(
			Event::PublicationDropped { model: MODEL, version: VERSION, chunk: 0 }.into(),
		);
		let ceremony = Ceremonies::<Test>::get(ID).unwrap();
		assert!(ceremony.upload.is_none() && ceremony.layout.is_none());
		assert_ok!(publish(layout));
		// Out of order: refused.
		assert_noop!(send_chunk(1, &state.chunks[1]), Error::<Test>::WrongChunk);
		assert_noop!(send_chunk(0, &state.chunks[1]), Error::<Test>::WrongChunk);
		assert_ok!(send_chunk(0, &state.chunks[0]));
		assert_ok!(send_chunk(1, &state.chunks[1]));
		// The last chunk with a byte too many does not hash to its commitment either.
		let mut longer = state.chunks[2].to_vec();
		longer.push(0);
		assert_noop!(send_chunk(2, &longer.try_into().unwrap()), Error::<Test>::WrongChunk);
		assert!(!Ceremonies::<Test>::get(ID).unwrap().head_published);
		assert_ok!(send_chunk(2, &state.chunks[2]));
		let ceremony = Ceremonies::<Test>::get(ID).unwrap();
		assert!(ceremony.head_published && ceremony.upload.is_none());
		assert_eq!((ceremony.state_size, ceremony.layout), (size as u64, Some(layout)));
	});
}

#[test]
fn a_contribution_counts_only_once_its_state_is_whole() {
	build_and_execute(|| {
		begin();
		let mut key = circuit().initial.clone();
		assert_ok!(ZkCeremony::take_slot(RuntimeOrigin::signed(DAPP), MODEL, VERSION));
		let (encoded, state) = contribution(&mut key, DAPP, 0, init_hash());
		// A state of another size, or the head's own state again, is refused.
		let mut resized = state.clone();
		resized.size += 1;
		assert_noop!(
			send(DAPP, init_hash(), encoded.clone(), &resized),
			Error::<Test>::MalformedState
		);
		let unchanged = State::of(&key_bytes(&circuit().initial));
		assert_noop!(
			send(DAPP, init_hash(), encoded.clone(), &unchanged),
			Error::<Test>::StateExists
		);
		assert_ok!(send(DAPP, init_hash(), encoded.clone(), &state));
		System::assert_has_event(
			Event::StateCommitted {
				model: MODEL,
				version: VERSION,
				state_hash: state.id(),
				chunks: state.chunks.len() as u32,
				contribution: Some(0),
			}
			.into(),
		);
		// Not counted yet: the head is the initial key, the deposit still the slot's.
		assert_eq!(head(), init_hash());
		assert_eq!(Transcript::<Test>::iter_prefix(ID).count(), 0);
		assert_noop!(send(DAPP, init_hash(), encoded, &state), Error::<Test>::UploadPending);
		upload(DAPP, &state);
		assert_eq!(head(), state.id());
		assert_eq!(head(), state_hash(&key));
		let ceremony = Ceremonies::<Test>::get(ID).unwrap();
		assert!(ceremony.slot.is_none());
		assert_eq!(Transcript::<Test>::get(ID, 0).unwrap().deposit, DEPOSIT);
		assert_eq!(held(DAPP), DEPOSIT);
	});
}

#[test]
fn a_contribution_whose_state_misses_its_slot_is_dropped_and_its_deposit_forfeited() {
	build_and_execute(|| {
		begin();
		let mut key = circuit().initial.clone();
		assert_ok!(ZkCeremony::take_slot(RuntimeOrigin::signed(CAROL), MODEL, VERSION));
		let (encoded, state) = contribution(&mut key, CAROL, 0, init_hash());
		assert_ok!(send(CAROL, init_hash(), encoded, &state));
		let treasury = Balances::free_balance(TREASURY);
		// The slot runs out before the state is whole: too late to finish it.
		run_to_block(2 + TURN_PERIOD);
		assert_noop!(upload_chunk(CAROL, &state, 0), Error::<Test>::UploadExpired);
		// The next contributor takes the slot on the same head; the withholder forfeits.
		assert_ok!(ZkCeremony::take_slot(RuntimeOrigin::signed(DAPP), MODEL, VERSION));
		assert_eq!(Balances::free_balance(TREASURY), treasury + DEPOSIT);
		assert_eq!(held(CAROL), 0);
		let ceremony = Ceremonies::<Test>::get(ID).unwrap();
		assert_eq!((ceremony.head, ceremony.contributions), (init_hash(), 0));
		assert!(ceremony.upload.is_none());
		assert!(!StateChunks::<Test>::contains_key(ID, state.id()));
		contribute_as(&mut circuit().initial.clone(), DAPP);
		assert_eq!(Ceremonies::<Test>::get(ID).unwrap().contributions, 1);
	});
}

#[test]
fn a_drawn_node_that_withholds_its_state_is_slashed_as_silent() {
	build_and_execute(|| {
		begin();
		let mut key = circuit().initial.clone();
		run_to_block(1 + OPEN_PERIOD);
		// The first drawn node commits to a state and never publishes it: the next could not
		// build on it, so the chain treats the turn as missed.
		let (encoded, state) = contribution(&mut key, VERIFIERS[0], 0, init_hash());
		assert_ok!(send(VERIFIERS[0], init_hash(), encoded, &state));
		run_to_block(1 + OPEN_PERIOD + TURN_PERIOD);
		assert_eq!(Slashes::get(), vec![(VERIFIERS[0], MissedTurnSlash::get())]);
		System::assert_has_event(
			Event::CeremonyFailed {
				model: MODEL,
				version: VERSION,
				reason: FailureReason::DrawnContributorSilent,
			}
			.into(),
		);
		assert_eq!(StateChunks::<Test>::iter_prefix(ID).count(), 0);
	});
}

#[test]
fn a_ceremony_whose_initial_key_is_never_published_fails_at_the_open_phases_end() {
	build_and_execute(|| {
		begin_unpublished();
		let treasury = Balances::free_balance(TREASURY);
		run_to_block(1 + OPEN_PERIOD);
		assert!(Ceremonies::<Test>::get(ID).is_none());
		System::assert_has_event(
			Event::CeremonyFailed {
				model: MODEL,
				version: VERSION,
				reason: FailureReason::InitialKeyUnpublished,
			}
			.into(),
		);
		// No node was drawn to fail for the owner; the owner's fee is gone.
		assert!(Slashes::get().is_empty());
		assert_eq!(Balances::free_balance(TREASURY), treasury + FEE);
	});
}

/// A contribution whose state is not its own: an honest contribution on `key` (its `delta`
/// and proof of knowledge are right), whose file then has L's first non-identity point put
/// back to the parent's. Returns the contribution, the bad file, the point's offset and the
/// honest key (which later contributors would build on, not knowing).
fn bad_contribution(
	key: &mut ProvingKey<Bn254>,
	author: AccountId,
	index: u32,
	head: H256,
) -> (crate::EncodedContribution, Vec<u8>, u64) {
	let (parent, parent_key) = (key_bytes(key), key.clone());
	let (encoded, _) = contribution(key, author, index, head);
	let mut bytes = key_bytes(key);
	// (The identity stays the identity: a point that changed is not it.)
	let point = key.l_query.iter().zip(&parent_key.l_query).find(|(a, b)| a != b).unwrap().0;
	let encoded_point = opg_zk::ceremony::encode_point(point);
	let at = bytes.windows(64).position(|w| w == encoded_point.as_slice()).unwrap();
	bytes[at..at + 64].copy_from_slice(&parent[at..at + 64]);
	(encoded, bytes, at as u64)
}

/// `author` takes the open phase's slot and makes the first contribution on the initial key
/// (`key`) with a bad state ([`bad_contribution`]), uploaded whole: the chain counts it. Returns
/// the bad file and its bad point's offset.
fn sabotage(key: &mut ProvingKey<Bn254>, author: AccountId) -> (Vec<u8>, u64) {
	assert_ok!(ZkCeremony::take_slot(RuntimeOrigin::signed(author), MODEL, VERSION));
	let (encoded, bad, at) = bad_contribution(key, author, 0, init_hash());
	let bad_state = State::of(&bad);
	assert_ok!(send(author, init_hash(), encoded, &bad_state));
	upload(author, &bad_state);
	(bad, at)
}

/// `who` challenges contribution `index` at `offset`, with the chunks of `parent` and `child`
/// (files) that hold the bytes there.
fn challenge(
	who: AccountId,
	index: u32,
	offset: u64,
	parent: &[u8],
	child: &[u8],
) -> frame_support::dispatch::DispatchResultWithPostInfo {
	let (start, len) = match layout().part(offset).unwrap() {
		StatePart::Divided { start } => (start, 64),
		_ => (offset, 1),
	};
	let chunks = |bytes: &[u8]| -> crate::ChallengedChunks {
		let size = opg_zk::ceremony::KEY_CHUNK_SIZE as u64;
		(start / size..=(start + len - 1) / size)
			.map(|i| State::of(bytes).chunks[i as usize].clone())
			.collect::<Vec<_>>()
			.try_into()
			.unwrap()
	};
	ZkCeremony::challenge_state(
		RuntimeOrigin::signed(who),
		MODEL,
		VERSION,
		index,
		offset,
		chunks(parent),
		chunks(child),
	)
}

#[test]
fn a_bad_open_state_costs_its_author_the_deposit_and_the_head_goes_back() {
	build_and_execute(|| {
		begin();
		let initial = key_bytes(&circuit().initial);
		let mut key = circuit().initial.clone();
		// DAPP's contribution is right, its state is not; the chain cannot tell, and counts it.
		let (bad, at) = sabotage(&mut key, DAPP);
		assert_eq!(head(), State::of(&bad).id());
		// CAROL builds on it in good faith (on the bad file, as it reads it).
		run_to_block(System::block_number() + TURN_PERIOD + 1);
		assert_ok!(ZkCeremony::take_slot(RuntimeOrigin::signed(CAROL), MODEL, VERSION));
		let mut on_bad = opg_zk::groth16::decode_proving_key(&bad).unwrap();
		contribute_as(&mut on_bad, CAROL);
		let carols = key_bytes(&on_bad);
		assert_eq!(Ceremonies::<Test>::get(ID).unwrap().contributions, 2);

		// Challenges that show nothing are refused: CAROL's state follows from its parent
		// (the bad one), the offset is past the end, the chunks are not the states', no
		// contribution has that index.
		assert_noop!(challenge(OWNER, 1, at, &bad, &carols), Error::<Test>::NotBroken);
		assert_noop!(challenge(OWNER, 0, 10, &initial, &bad), Error::<Test>::NotBroken);
		assert_noop!(
			ZkCeremony::challenge_state(
				RuntimeOrigin::signed(OWNER),
				MODEL,
				VERSION,
				0,
				bad.len() as u64,
				Default::default(),
				Default::default()
			),
			Error::<Test>::OffsetOutOfRange
		);
		assert_noop!(challenge(OWNER, 0, at, &carols, &bad), Error::<Test>::WrongChunks);
		assert_noop!(challenge(OWNER, 2, at, &bad, &carols), Error::<Test>::NoSuchContribution);

		// The bad point shows it: one pairing check, free for the challenger.
		let treasury = Balances::free_balance(TREASURY);
		let shown = challenge(OWNER, 0, at + 7, &initial, &bad).unwrap();
		assert_eq!(shown.pays_fee, frame_support::dispatch::Pays::No);
		System::assert_has_event(
			Event::StateChallenged {
				model: MODEL,
				version: VERSION,
				index: 0,
				author: DAPP,
				slashed: DEPOSIT,
				challenger: OWNER,
			}
			.into(),
		);
		// DAPP forfeits its deposit; CAROL, who built on it, gets hers back; the head is the
		// initial key again, and only its chunk hashes remain.
		assert_eq!(Balances::free_balance(TREASURY), treasury + DEPOSIT);
		assert_eq!((held(DAPP), held(CAROL)), (0, 0));
		assert_eq!(Balances::free_balance(CAROL), INITIAL_BALANCE);
		let ceremony = Ceremonies::<Test>::get(ID).unwrap();
		assert_eq!(
			(ceremony.head, ceremony.contributions, ceremony.phase),
			(init_hash(), 0, Phase::Open)
		);
		assert_eq!(Transcript::<Test>::iter_prefix(ID).count(), 0);
		assert_eq!(StateChunks::<Test>::iter_key_prefix(ID).collect::<Vec<_>>(), vec![init_hash()]);
		// The ceremony goes on from the initial key.
		run_to_block(System::block_number() + 1);
		assert_ok!(ZkCeremony::take_slot(RuntimeOrigin::signed(CAROL), MODEL, VERSION));
		contribute_as(&mut circuit().initial.clone(), CAROL);
		assert_eq!(Ceremonies::<Test>::get(ID).unwrap().contributions, 1);
	});
}

#[test]
fn a_bad_open_state_shown_late_sends_the_drawn_nodes_back_to_their_first_turn() {
	build_and_execute(|| {
		begin();
		let initial = key_bytes(&circuit().initial);
		let mut key = circuit().initial.clone();
		let (bad, at) = sabotage(&mut key, DAPP);
		let mut on_bad = opg_zk::groth16::decode_proving_key(&bad).unwrap();
		to_attestations(&mut on_bad);
		assert_eq!(Ceremonies::<Test>::get(ID).unwrap().attesters.len(), 2);
		assert_ok!(challenge(CAROL, 0, at, &initial, &bad));
		// Back to the drawn phase, first turn, same nodes, nothing counted; no attesters.
		let ceremony = Ceremonies::<Test>::get(ID).unwrap();
		assert_eq!(ceremony.phase, Phase::Drawn);
		assert_eq!(
			(ceremony.turn, ceremony.contributions, ceremony.drawn_contributions),
			(0, 0, 0)
		);
		assert_eq!(ceremony.drawn.to_vec(), vec![VERIFIERS[0], VERIFIERS[1]]);
		assert!(ceremony.attesters.is_empty());
		assert_eq!(ceremony.due, System::block_number() + TURN_PERIOD);
		assert!(Slashes::get().is_empty());
		// They contribute again, on the initial key, and the ceremony finishes.
		assert!(ceremony.redrawn_turns);
		let mut key = circuit().initial.clone();
		to_attestations_from_drawn(&mut key);
		approve(PROVERS[0]);
		approve(PROVERS[1]);
		assert_eq!(Finished::get().len(), 1);
	});
}

#[test]
fn a_bad_drawn_state_slashes_its_node_and_fails_the_ceremony() {
	build_and_execute(|| {
		begin();
		let initial = key_bytes(&circuit().initial);
		run_to_block(1 + OPEN_PERIOD);
		// The first drawn node's state changes alpha, which phase 2 leaves alone.
		let mut key = circuit().initial.clone();
		let (encoded, _) = contribution(&mut key, VERIFIERS[0], 0, init_hash());
		let mut bad = key_bytes(&key);
		bad[10] ^= 1;
		let bad_state = State::of(&bad);
		assert_ok!(send(VERIFIERS[0], init_hash(), encoded, &bad_state));
		upload(VERIFIERS[0], &bad_state);
		assert_ok!(challenge(CAROL, 0, 10, &initial, &bad));
		assert_eq!(Slashes::get(), vec![(VERIFIERS[0], MissedTurnSlash::get())]);
		System::assert_has_event(
			Event::CeremonyFailed {
				model: MODEL,
				version: VERSION,
				reason: FailureReason::BadDrawnState,
			}
			.into(),
		);
		assert!(Ceremonies::<Test>::get(ID).is_none());
		assert_eq!(StateChunks::<Test>::iter_prefix(ID).count(), 0);
	});
}

#[test]
fn a_drawn_node_that_misses_a_turn_a_late_challenge_gave_back_is_not_slashed() {
	build_and_execute(|| {
		begin();
		let initial = key_bytes(&circuit().initial);
		let mut key = circuit().initial.clone();
		// A saboteur's bad open contribution, shown by its own author once the drawn nodes
		// contributed on it, hoping they miss the turn it gives them back.
		let (bad, at) = sabotage(&mut key, CAROL);
		let mut on_bad = opg_zk::groth16::decode_proving_key(&bad).unwrap();
		to_attestations(&mut on_bad);
		assert_ok!(challenge(CAROL, 0, at, &initial, &bad));
		assert_eq!(held(CAROL), 0);
		let due = Ceremonies::<Test>::get(ID).unwrap().due;
		run_to_block(due);
		System::assert_has_event(
			Event::CeremonyFailed {
				model: MODEL,
				version: VERSION,
				reason: FailureReason::RedoneTurnMissed,
			}
			.into(),
		);
		assert!(Slashes::get().is_empty());
	});
}

/// What the pool answers for `call`: `Ok` with its validity, or the error its `authorize`
/// gives.
fn authorize(
	call: crate::Call<Test>,
) -> Result<
	sp_runtime::transaction_validity::ValidTransaction,
	sp_runtime::transaction_validity::TransactionValidityError,
> {
	use frame_support::{pallet_prelude::TransactionSource, traits::Authorize};
	call.authorize(TransactionSource::External)
		.expect("the call is authorized by a closure")
		.map(|(validity, _)| validity)
}

/// The pool's refusal of a call for `error`.
fn refused(error: Error<Test>) -> sp_runtime::transaction_validity::TransactionValidityError {
	sp_runtime::transaction_validity::InvalidTransaction::Custom(error.encode()[0]).into()
}

fn authorized() -> RuntimeOrigin {
	frame_system::RawOrigin::Authorized.into()
}

#[test]
fn drawn_nodes_and_attesters_act_fee_free_through_their_role_keys_and_nobody_else_can() {
	use opg_primitives::attestation::SignedStatement;
	use sp_runtime::transaction_validity::InvalidTransaction;
	build_and_execute(|| {
		begin();
		let mut key = circuit().initial.clone();
		// The owner's initial key and open contributions pay their own way.
		let initial = State::of(&key_bytes(&circuit().initial));
		assert_ok!(ZkCeremony::take_slot(RuntimeOrigin::signed(DAPP), MODEL, VERSION));
		let (encoded, state) = contribution(&mut key, DAPP, 0, init_hash());
		assert_ok!(send(DAPP, init_hash(), encoded, &state));
		let upload_call = |index: u32, chunk: &crate::StateChunk| crate::Call::upload_state {
			model: MODEL,
			version: VERSION,
			index,
			chunk: chunk.clone(),
		};
		assert_eq!(
			authorize(upload_call(0, &state.chunks[0])),
			Err(refused(Error::NotDrawnUpload))
		);
		upload(DAPP, &state);
		assert_eq!(
			authorize(upload_call(0, &initial.chunks[0])),
			Err(refused(Error::NothingToUpload))
		);

		// The drawn phase: the first drawn node's worker contributes under its role key.
		run_to_block(1 + OPEN_PERIOD);
		let ceremony = Ceremonies::<Test>::get(ID).unwrap();
		let drawn = ceremony.drawn[0];
		let (encoded, state) = contribution(&mut key, drawn, 1, ceremony.head);
		assert!(state.chunks.len() >= 2, "a state of several chunks");
		let statement = SignedStatement::CeremonyContribution {
			model: &MODEL,
			version: &VERSION,
			index: &1,
			head: &ceremony.head,
			contribution: &encoded,
			state: &state.id(),
		};
		let call = |node: AccountId, signature| crate::Call::contribute_as_node {
			model: MODEL,
			version: VERSION,
			node,
			head: ceremony.head,
			contribution: encoded.clone(),
			state_size: state.size,
			chunk_hashes: state.hashes.clone(),
			signature,
		};
		// Not its turn; another key's signature; another author's proof of knowledge.
		let other = VERIFIERS.into_iter().find(|who| *who != drawn).unwrap();
		assert_eq!(
			authorize(call(other, sign(other, &statement))),
			Err(refused(Error::NotYourTurn))
		);
		assert_eq!(
			authorize(call(drawn, sign(other, &statement))),
			Err(InvalidTransaction::BadProof.into())
		);
		let (stolen, _) = contribution(&mut circuit().initial.clone(), other, 1, ceremony.head);
		let forged = SignedStatement::CeremonyContribution {
			model: &MODEL,
			version: &VERSION,
			index: &1,
			head: &ceremony.head,
			contribution: &stolen,
			state: &state.id(),
		};
		let mut with_stolen = call(drawn, sign(drawn, &forged));
		if let crate::Call::contribute_as_node { contribution, .. } = &mut with_stolen {
			*contribution = stolen.clone();
		}
		assert_eq!(authorize(with_stolen), Err(refused(Error::BadProofOfKnowledge)));
		let valid = authorize(call(drawn, sign(drawn, &statement))).unwrap();
		assert_eq!(valid.priority, sp_runtime::transaction_validity::TransactionPriority::MAX / 2);
		// A signed origin is no node's worker.
		assert!(ZkCeremony::contribute_as_node(
			RuntimeOrigin::signed(drawn),
			MODEL,
			VERSION,
			drawn,
			ceremony.head,
			encoded.clone(),
			state.size,
			state.hashes.clone(),
			sign(drawn, &statement),
		)
		.is_err());
		assert_ok!(ZkCeremony::contribute_as_node(
			authorized(),
			MODEL,
			VERSION,
			drawn,
			ceremony.head,
			encoded.clone(),
			state.size,
			state.hashes.clone(),
			sign(drawn, &statement),
		));

		// Its chunks go up fee-free, all at once: a later chunk waits in the pool for the one
		// before it; a chunk that is not the committed one is refused.
		let first = authorize(upload_call(0, &state.chunks[0])).unwrap();
		let second = authorize(upload_call(1, &state.chunks[1])).unwrap();
		assert_eq!(second.requires, first.provides);
		assert_eq!(authorize(upload_call(1, &state.chunks[0])), Err(refused(Error::WrongChunk)));
		// Out of order it does not land.
		assert_noop!(
			ZkCeremony::upload_state(authorized(), MODEL, VERSION, 1, state.chunks[1].clone()),
			Error::<Test>::WrongChunk
		);
		for (index, chunk) in state.chunks.iter().enumerate() {
			assert_ok!(ZkCeremony::upload_state(
				authorized(),
				MODEL,
				VERSION,
				index as u32,
				chunk.clone()
			));
		}
		assert_eq!(
			authorize(upload_call(0, &state.chunks[0])),
			Err(refused(Error::NothingToUpload))
		);
		assert_eq!((head(), Transcript::<Test>::get(ID, 1).unwrap().drawn), (state.id(), true));

		// The attesters: each drawn one answers under its role key, once.
		contribute_as(&mut key, Ceremonies::<Test>::get(ID).unwrap().drawn[1]);
		run_to_block(System::block_number() + 1);
		let ceremony = Ceremonies::<Test>::get(ID).unwrap();
		assert_eq!(ceremony.phase, Phase::Attesting);
		let attesters: Vec<AccountId> = ceremony.attesters.iter().map(|(who, _)| *who).collect();
		let approval = SignedStatement::CeremonyAttestation {
			model: &MODEL,
			version: &VERSION,
			vk_hash: &VK_HASH,
			head: &ceremony.head,
			approve: &true,
		};
		let attest = |node: AccountId, signature| crate::Call::attest_as_node {
			model: MODEL,
			version: VERSION,
			node,
			vk_hash: VK_HASH,
			head: ceremony.head,
			approve: true,
			signature,
		};
		assert_eq!(
			authorize(attest(VERIFIERS[3], sign(VERIFIERS[3], &approval))),
			Err(refused(Error::NotAnAttester))
		);
		// An answer names the head it judged: one about another head (given before a challenge
		// moved it, say) is refused, a rejection too, and fails nothing.
		assert_noop!(
			ZkCeremony::attest(
				RuntimeOrigin::signed(attesters[0]),
				MODEL,
				VERSION,
				VK_HASH,
				init_hash(),
				false
			),
			Error::<Test>::StaleHead
		);
		let stale = SignedStatement::CeremonyAttestation {
			model: &MODEL,
			version: &VERSION,
			vk_hash: &VK_HASH,
			head: &init_hash(),
			approve: &false,
		};
		let mut stale_call = attest(attesters[0], sign(attesters[0], &stale));
		if let crate::Call::attest_as_node { head, approve, .. } = &mut stale_call {
			(*head, *approve) = (init_hash(), false);
		}
		assert_eq!(authorize(stale_call), Err(refused(Error::StaleHead)));
		let rejection = SignedStatement::CeremonyAttestation {
			model: &MODEL,
			version: &VERSION,
			vk_hash: &VK_HASH,
			head: &ceremony.head,
			approve: &false,
		};
		assert_eq!(
			authorize(attest(attesters[0], sign(attesters[0], &rejection))),
			Err(InvalidTransaction::BadProof.into())
		);
		for (n, attester) in attesters.iter().enumerate() {
			assert_ok!(authorize(attest(*attester, sign(*attester, &approval))));
			assert_ok!(ZkCeremony::attest_as_node(
				authorized(),
				MODEL,
				VERSION,
				*attester,
				VK_HASH,
				ceremony.head,
				true,
				sign(*attester, &approval),
			));
			if n + 1 < attesters.len() {
				assert_eq!(
					authorize(attest(*attester, sign(*attester, &approval))),
					Err(refused(Error::AlreadyAttested))
				);
			}
		}
		assert!(Ceremonies::<Test>::get(ID).is_none());
		let finished = Finished::get().pop().unwrap();
		assert_eq!(
			(finished.3, finished.4),
			(state_hash(&key), ZkKeyOrigin::Ceremony { contributions: 3, drawn: 2 })
		);
	});
}

#[test]
fn a_state_another_ceremony_holds_is_never_cleared_by_committing_to_its_hashes_and_dropping_them() {
	use crate::StateUses;
	build_and_execute(|| {
		begin();
		// The victim: a dApp's contribution is its ceremony's head.
		let mut key = circuit().initial.clone();
		assert_ok!(ZkCeremony::take_slot(RuntimeOrigin::signed(DAPP), MODEL, VERSION));
		contribute_as(&mut key, DAPP);
		let victim = head();
		// Another version of the same bytes: the same initial key, held by two ceremonies.
		let other = VERSION + 1;
		assert_ok!(<ZkCeremony as KeyCeremony<AccountId>>::begin(
			MODEL,
			other,
			&OWNER,
			init_hash(),
			VK_HASH
		));
		let initial = State::of(&key_bytes(&circuit().initial));
		assert_ok!(ZkCeremony::publish_initial(
			RuntimeOrigin::signed(OWNER),
			MODEL,
			other,
			initial.size,
			initial.hashes.clone(),
			layout()
		));
		for (index, chunk) in initial.chunks.iter().enumerate() {
			assert_ok!(ZkCeremony::upload_state(
				RuntimeOrigin::signed(OWNER),
				MODEL,
				other,
				index as u32,
				chunk.clone()
			));
		}
		assert_eq!(StateUses::<Test>::get(init_hash()), Some(2));
		// An attacker commits, in the other ceremony, to the victim's head's chunk hashes (public
		// on chain) with a right proof of knowledge, uploads nothing, and lets its slot lapse.
		assert_ok!(ZkCeremony::take_slot(RuntimeOrigin::signed(CAROL), MODEL, other));
		let genesis: [u8; 32] = System::block_hash(0).into();
		let context = contribution_context(
			&genesis,
			MODEL,
			other,
			0,
			&CAROL.encode(),
			init_hash().as_fixed_bytes(),
		);
		let made =
			contribute(&mut circuit().initial.clone(), &context, &mut StdRng::seed_from_u64(77));
		let hashes = StateChunks::<Test>::get(ID, victim).unwrap();
		assert_ok!(ZkCeremony::contribute(
			RuntimeOrigin::signed(CAROL),
			MODEL,
			other,
			init_hash(),
			encode_contribution(&made).try_into().unwrap(),
			initial.size,
			hashes
		));
		assert_eq!(StateUses::<Test>::get(victim), Some(2));
		run_to_block(1 + OPEN_PERIOD);
		// The lapsed commitment is gone, the victim's head is not queued for clearing.
		assert_eq!(StateUses::<Test>::get(victim), Some(1));
		assert!(!Discarded::get().iter().any(|(state, _)| *state == victim));
		assert_eq!(head(), victim);
		// The shared initial key goes only when both ceremonies let it go: the other ceremony
		// is dropped (its version removed) while the victim's goes on.
		run_to_block(2 + OPEN_PERIOD);
		contribute_as(&mut key, Ceremonies::<Test>::get(ID).unwrap().drawn[0]);
		RemovedVersions::mutate(|removed| removed.push((MODEL, other)));
		run_to_block(1 + OPEN_PERIOD + TURN_PERIOD);
		assert!(Ceremonies::<Test>::get((MODEL, other)).is_none());
		assert!(Ceremonies::<Test>::get(ID).is_some());
		assert_eq!(StateUses::<Test>::get(init_hash()), Some(1));
		assert!(!Discarded::get().iter().any(|(state, _)| *state == init_hash()));
	});
}

#[test]
fn v1_counts_the_ceremonies_holding_each_state() {
	use crate::StateUses;
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	build_and_execute(|| {
		begin();
		let mut key = circuit().initial.clone();
		assert_ok!(ZkCeremony::take_slot(RuntimeOrigin::signed(DAPP), MODEL, VERSION));
		contribute_as(&mut key, DAPP);
		// As a chain at version 0 stored it: no counts.
		let _ = StateUses::<Test>::clear(u32::MAX, None);
		StorageVersion::new(0).put::<ZkCeremony>();
		crate::migrations::v1::MigrateV0ToV1::<Test>::on_runtime_upgrade();
		assert_eq!(StateUses::<Test>::get(init_hash()), Some(1));
		assert_eq!(StateUses::<Test>::get(head()), Some(1));
		assert_eq!(ZkCeremony::on_chain_storage_version(), StorageVersion::new(1));
		crate::migrations::v2::MigrateV1ToV2::<Test>::on_runtime_upgrade();
		assert_ok!(crate::Pallet::<Test>::do_try_state());
	});
}

#[test]
fn v2_starts_the_due_cursor_at_the_upgrade_block() {
	use crate::DueFrom;
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	build_and_execute(|| {
		begin();
		run_to_block(5);
		StorageVersion::new(1).put::<ZkCeremony>();
		DueFrom::<Test>::kill();
		crate::migrations::v2::MigrateV1ToV2::<Test>::on_runtime_upgrade();
		assert_eq!(DueFrom::<Test>::get(), 5);
		assert_eq!(ZkCeremony::on_chain_storage_version(), StorageVersion::new(2));
		// The open phase still ends on time.
		run_to_block(1 + OPEN_PERIOD);
		assert_eq!(Ceremonies::<Test>::get(ID).unwrap().phase, Phase::Drawn);
	});
}

/// A block whose hook has no room left for a ceremony leaves it, listed, for the next block;
/// the drawn node whose turn ended gains no time by it.
#[test]
fn a_turn_the_budget_cannot_reach_ends_a_block_late_and_gives_no_more_time() {
	use crate::DueFrom;
	build_and_execute(|| {
		begin();
		run_to_block(1 + OPEN_PERIOD);
		let drawn = Ceremonies::<Test>::get(ID).unwrap().drawn.to_vec();
		let turn_end = 1 + OPEN_PERIOD + TURN_PERIOD;
		// Room for the block's own reads, none for a ceremony.
		HookBudget::set(ZkCeremony::hook_block_base());
		run_to_block(turn_end);
		assert!(Slashes::get().is_empty(), "not ended yet");
		assert_eq!(DueFrom::<Test>::get(), turn_end);
		assert_noop!(
			ZkCeremony::pass_turn(RuntimeOrigin::signed(drawn[0]), MODEL, VERSION),
			Error::<Test>::NotYourTurn
		);
		assert_ok!(crate::Pallet::<Test>::do_try_state());
		HookBudget::set(frame_support::weights::Weight::MAX);
		run_to_block(turn_end + 1);
		assert_eq!(Slashes::get(), vec![(drawn[0], MissedTurnSlash::get())]);
		assert!(Ceremonies::<Test>::get(ID).is_none());
		assert_eq!(DueFrom::<Test>::get(), turn_end + 2);
	});
}
