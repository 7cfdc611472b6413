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

use crate::{mock::*, Ceremonies, Error, Event, FailureReason, Phase, Transcript};
use ark_bn254::Bn254;
use ark_groth16::ProvingKey;
use codec::Encode;
use frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold};
use opg_primitives::model::{KeyCeremony, ZkKeyOrigin};
use opg_zk::{
	ceremony::{contribute, contribution_context, encode_contribution},
	groth16::{prove, Keys},
	verifier::{finish_key, verify},
	ZkError,
};
use rand::{rngs::StdRng, SeedableRng};
use sp_core::H256;

fn init_hash() -> H256 {
	state_hash(&circuit().initial)
}

fn begin() {
	assert_ok!(<ZkCeremony as KeyCeremony<AccountId>>::begin(
		MODEL,
		VERSION,
		&OWNER,
		init_hash(),
		VK_HASH
	));
}

fn held(who: AccountId) -> Balance {
	Balances::balance_on_hold(&crate::HoldReason::ContributionDeposit.into(), &who)
}

fn head() -> H256 {
	Ceremonies::<Test>::get(ID).unwrap().head
}

/// `author`'s contribution to `key` (moved in place) as the next in the transcript, on
/// `head`: the encoded contribution and the new key's hash.
fn contribution(
	key: &mut ProvingKey<Bn254>,
	author: AccountId,
	index: u32,
	head: H256,
) -> (crate::EncodedContribution, H256) {
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
	(encode_contribution(&contribution).try_into().unwrap(), state_hash(key))
}

/// `author` contributes to `key` through the pallet, as the next contribution on the head.
fn contribute_as(key: &mut ProvingKey<Bn254>, author: AccountId) {
	let ceremony = Ceremonies::<Test>::get(ID).unwrap();
	let (encoded, state) = contribution(key, author, ceremony.contributions, ceremony.head);
	assert_ok!(ZkCeremony::contribute(
		RuntimeOrigin::signed(author),
		MODEL,
		VERSION,
		ceremony.head,
		encoded,
		state
	));
}

/// Runs the ceremony to its attestations: the open phase ends, both drawn verifiers contribute
/// to `key`, and the attesters are drawn in the next block.
fn to_attestations(key: &mut ProvingKey<Bn254>) {
	run_to_block(1 + OPEN_PERIOD);
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
		assert_noop!(
			ZkCeremony::contribute(
				RuntimeOrigin::signed(VERIFIERS[1]),
				MODEL,
				VERSION,
				head(),
				early,
				state
			),
			Error::<Test>::NotYourTurn
		);
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
		assert_noop!(
			ZkCeremony::contribute(
				RuntimeOrigin::signed(DAPP),
				MODEL,
				VERSION,
				init_hash(),
				encoded.clone(),
				state
			),
			Error::<Test>::NotYourTurn
		);
		assert_ok!(ZkCeremony::take_slot(RuntimeOrigin::signed(DAPP), MODEL, VERSION));
		assert_noop!(
			ZkCeremony::take_slot(RuntimeOrigin::signed(CAROL), MODEL, VERSION),
			Error::<Test>::SlotTaken
		);
		assert_noop!(
			ZkCeremony::take_slot(RuntimeOrigin::signed(DAPP), MODEL, VERSION),
			Error::<Test>::AlreadyHoldingSlot
		);
		let call = |encoded: crate::EncodedContribution, on: H256| {
			ZkCeremony::contribute(RuntimeOrigin::signed(DAPP), MODEL, VERSION, on, encoded, state)
		};
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
		assert_noop!(
			ZkCeremony::contribute(
				RuntimeOrigin::signed(CAROL),
				MODEL,
				VERSION,
				head(),
				late,
				state
			),
			Error::<Test>::NotYourTurn
		);
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
		assert_ok!(ZkCeremony::attest(
			RuntimeOrigin::signed(PROVERS[1]),
			MODEL,
			VERSION,
			H256::zero(),
			H256::zero(),
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
		run_to_block(1 + OPEN_PERIOD);
		assert!(Ceremonies::<Test>::get(ID).is_none());
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
