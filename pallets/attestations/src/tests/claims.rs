//! Claims open to challenge, and the disputes challenges open.

// Tests may panic: a panic is a failed test.
#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects,
	clippy::panic
)]

use super::*;
use frame_support::assert_noop;
use opg_primitives::attestation::Conclusion;

#[test]
fn an_unchallenged_claim_stands_at_its_deadline() {
	network().build_and_execute(|| {
		assert_ok!(Attestations::open_claim(subject(1), &CLAIMANT, output(1)));
		System::assert_last_event(
			Event::ClaimOpened {
				subject: subject(1),
				claimant: CLAIMANT,
				output: output(1),
				challenge_deadline: 11,
			}
			.into(),
		);
		assert_eq!(MockRegistry::open_work(CLAIMANT), 1);
		run_to_block(10);
		assert!(Concluded::get().is_empty());
		run_to_block(11);
		System::assert_has_event(
			Event::ClaimStood { subject: subject(1), claimant: CLAIMANT, output: output(1) }.into(),
		);
		assert_eq!(
			Concluded::get(),
			vec![(subject(1), Conclusion::Unchallenged { claimant: CLAIMANT, output: output(1) })]
		);
		assert_eq!(Concluded::get()[0].1.accepted_output(), Some(output(1)));
		assert_eq!(MockRegistry::open_work(CLAIMANT), 0);
		// A claim that stands counts for its claimant.
		assert_eq!(MockRegistry::work_ended(), vec![(CLAIMANT, Some(true))]);
		assert_eq!(MockRegistry::reputation(CLAIMANT).completed, 1);
		assert_noop!(Attestations::challenge(signed(2), subject(1)), Error::<Test>::NoSuchClaim);
	});
}

#[test]
fn challenge_errors() {
	network()
		.node(9, RoleSet::from_roles(&[NodeRole::Inference, NodeRole::Verifier]), BOND)
		.node(10, verifier(), INITIAL_BALANCE - 100)
		.build_and_execute(|| {
			assert_noop!(
				Attestations::challenge(signed(2), subject(1)),
				Error::<Test>::NoSuchClaim
			);
			assert_ok!(Attestations::open_claim(subject(1), &9, output(1)));
			assert_noop!(Attestations::challenge(signed(9), subject(1)), Error::<Test>::OwnClaim);
			assert_noop!(
				Attestations::challenge(signed(CLAIMANT), subject(1)),
				Error::<Test>::NotAVerifier
			);
			assert_noop!(
				Attestations::challenge(signed(11), subject(1)),
				Error::<Test>::NotRegistered
			);
			assert_noop!(
				Attestations::challenge(signed(10), subject(1)),
				Error::<Test>::InsufficientFunds
			);
			assert_ok!(MockRegistry::leave(3));
			assert_noop!(
				Attestations::challenge(signed(3), subject(1)),
				Error::<Test>::NodeLeaving
			);
		});
}

#[test]
fn a_dispute_won_by_the_challenger() {
	network().build_and_execute(|| {
		let issuance = total_issuance();
		let committee = challenged_claim();
		for member in &committee {
			assert_ok!(commit(subject(1), *member, output(2)));
		}
		for member in &committee {
			assert_ok!(reveal(subject(1), *member, output(2)));
		}
		// The claimant loses half its bond (500): 250 to the challenger, 250 to the treasury;
		// the challenge bond comes back.
		assert_eq!(bond(CLAIMANT), 500);
		assert_eq!(MockRegistry::slashes(), vec![(CLAIMANT, 500, SlashReason::FalseClaim)]);
		assert_eq!(challenge_held(2), 0);
		assert_eq!(free(2), INITIAL_BALANCE - BOND + 250);
		assert_eq!(free(TREASURY), 1 + 250);
		assert_eq!(total_issuance(), issuance);
		let events = events();
		assert!(events.contains(&Event::ChallengeBondReleased { challenger: 2, amount: 200 }));
		assert!(events.contains(&Event::Rewarded { who: 2, amount: 250 }));
		assert_eq!(
			Concluded::get(),
			vec![(
				subject(1),
				Conclusion::Decided {
					kind: RoundKind::Dispute,
					claimant: CLAIMANT,
					claimed: output(1),
					decided: output(2),
					majority: committee.clone(),
				}
			)]
		);
		assert_eq!(MockRegistry::reputation(CLAIMANT).failed, 1);
		assert!(MockNodes::iter().all(|(_, node)| node.open_work == 0));
	});
}

#[test]
fn a_dispute_lost_by_the_challenger() {
	network().build_and_execute(|| {
		let issuance = total_issuance();
		let committee = challenged_claim();
		for member in &committee {
			assert_ok!(commit(subject(1), *member, output(1)));
		}
		for member in &committee {
			assert_ok!(reveal(subject(1), *member, output(1)));
		}
		// The challenger loses its 200 challenge bond: 100 to the claimant, 100 to the treasury.
		assert_eq!(challenge_held(2), 0);
		assert_eq!(free(2), INITIAL_BALANCE - BOND - 200);
		assert_eq!(free(CLAIMANT), INITIAL_BALANCE - BOND + 100);
		assert_eq!(bond(CLAIMANT), BOND);
		assert_eq!(bond(2), BOND);
		assert!(MockRegistry::slashes().is_empty());
		assert_eq!(free(TREASURY), 1 + 100);
		assert_eq!(total_issuance(), issuance);
		assert!(events().contains(&Event::Slashed {
			who: 2,
			amount: 200,
			reason: SlashReason::FailedChallenge
		}));
		assert_eq!(Concluded::get()[0].1.accepted_output(), Some(output(1)));
		assert_eq!(MockRegistry::reputation(CLAIMANT).completed, 1);
	});
}

#[test]
fn an_undecided_dispute_returns_the_challenge_bond() {
	network().build_and_execute(|| {
		let committee = challenged_claim();
		run_to_block(12);
		assert_eq!(challenge_held(2), 0);
		assert_eq!(free(2), INITIAL_BALANCE - BOND);
		assert!(matches!(
			Concluded::get()[0].1,
			Conclusion::Undecided { kind: RoundKind::Dispute, .. }
		));
		// Nobody revealed: every member lost a fifth of its bond, the claimant nothing.
		for member in &committee {
			assert_eq!(bond(*member), 800);
		}
		assert_eq!(bond(CLAIMANT), BOND);
	});
}

#[test]
fn a_challenge_hands_the_claims_work_to_the_dispute() {
	network().build_and_execute(|| {
		assert_ok!(Attestations::open_claim(subject(1), &CLAIMANT, output(1)));
		assert_ok!(Attestations::challenge(signed(2), subject(1)));
		// The claim's unit ended with no outcome and the round's began: one unit still.
		assert_eq!(MockRegistry::work_ended(), vec![(CLAIMANT, None)]);
		assert_eq!(MockRegistry::open_work(CLAIMANT), 1);
		assert!(ClaimDeadlines::<Test>::get(11).is_empty());
		assert_eq!(Deadlines::<Test>::get(2).into_inner(), vec![subject(1)]);
		// The challenger backs no work of its own: its bond is the challenge hold.
		assert_eq!(MockRegistry::open_work(2), 0);
		run_to_block(12);
	});
}
