//! Appeals of disputes' verdicts: a decided dispute waits out its appeal window before money
//! moves; its loser may appeal once to a committee twice the size, whose verdict is final.

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
use opg_primitives::attestation::{Conclusion, SlashReason};

/// The appeal bond: twice the test challenge bond.
const APPEAL_BOND: Balance = 400;

/// [`network`] with six more verifiers (9 to 14): enough for an appeal committee of seven
/// (twice five, at most the mock's `MaxCommitteeSize`) beside the first committee, the claimant
/// and the challenger.
fn appeal_network() -> ExtBuilder {
	(9..=14).fold(network(), |builder, who| builder.node(who, verifier(), BOND))
}

/// What `who` holds as appeal bonds.
fn appeal_held(who: AccountId) -> Balance {
	Balances::balance_on_hold(&HoldReason::AppealBond.into(), &who)
}

/// The requester challenges the claimant's claim of `output(1)` on subject 1, and the first
/// committee, drawn in block 2, commits to and reveals `output(first)` there: the dispute
/// decides provisionally, its appeal window ending at block 7. Returns the first committee.
fn decided_dispute(first: u8) -> Vec<AccountId> {
	let committee = challenged_by(REQUESTER);
	for member in &committee {
		assert_ok!(commit(subject(1), *member, output(first)));
	}
	for member in &committee {
		assert_ok!(reveal(subject(1), *member, output(first)));
	}
	System::assert_last_event(
		Event::DisputeDecided {
			subject: subject(1),
			decided: output_hash(first),
			claim_upheld: first.abs_diff(1) <= 1,
			appeal_until: 7,
		}
		.into(),
	);
	// Nothing moved: no conclusion, no slash, the challenge bond still held.
	assert!(Concluded::get().is_empty());
	assert!(MockRegistry::slashes().is_empty());
	assert_eq!(challenge_held(REQUESTER), 200);
	committee
}

/// Moves to block 3, whose start draws the appeal committee, and has it commit to and reveal
/// `output(out)`; returns it.
fn appeal_committee_reveals(first: &[AccountId], out: u8) -> Vec<AccountId> {
	run_to_block(3);
	let appeal = committee_of(subject(1));
	assert_eq!(appeal.len(), 7, "twice the first committee, at most MaxCommitteeSize");
	assert!(appeal.iter().all(|member| !first.contains(member)));
	assert!(!appeal.contains(&CLAIMANT) && !appeal.contains(&REQUESTER));
	assert_eq!(Rounds::<Test>::get(subject(1)).unwrap().votes_needed, 5);
	for member in &appeal {
		assert_ok!(commit(subject(1), *member, output(out)));
	}
	for member in &appeal {
		assert_ok!(reveal(subject(1), *member, output(out)));
	}
	appeal
}

/// Attack: the first dispute committee colludes on a wrong output and upholds a false claim.
/// The challenger appeals; the appeal committee of seven reveals the right output and its
/// verdict is final: the claim falls, the first committee's majority is slashed, the appellant
/// gets its appeal bond back and the money moves by the final verdict.
#[test]
fn an_appeal_overturns_a_wrong_verdict() {
	appeal_network().build_and_execute(|| {
		let issuance = total_issuance();
		let first = decided_dispute(1);
		// The claimant may not appeal a verdict it won.
		assert_noop!(
			Attestations::appeal(signed(CLAIMANT), subject(1)),
			Error::<Test>::NotTheLoser
		);
		assert_ok!(Attestations::appeal(signed(REQUESTER), subject(1)));
		System::assert_last_event(
			Event::Appealed {
				subject: subject(1),
				appellant: REQUESTER,
				bond: APPEAL_BOND,
				draw_at: 3,
			}
			.into(),
		);
		assert_eq!(appeal_held(REQUESTER), APPEAL_BOND);
		// The verdict's window no longer settles it; the first committee's outputs wait aside.
		assert!(DisputeDeadlines::<Test>::get(7).is_empty());
		assert_eq!(DisputeDeadlines::<Test>::get(3).into_inner(), vec![subject(1)]);
		for position in 0..5 {
			assert!(RevealedOutputs::<Test>::get(subject(1), position).is_none());
			assert_eq!(
				RevealedOutputs::<Test>::get(subject(1), FIRST_COMMITTEE_OFFSET + position)
					.map(|o| o.into_inner()),
				Some(output(1))
			);
		}
		let view = Attestations::round_view(subject(1)).unwrap();
		assert_eq!(view.appellant, Some(REQUESTER));
		assert!(view.committee.is_empty());
		let appeal = appeal_committee_reveals(&first, 5);

		// Final: the claim fell. The claimant loses 500: 250 to the requester, 250 to the
		// treasury. The first committee loses 200 each (1,000): 71 to each of the seven appeal
		// members, 503 to the treasury. The dispute fee (50) goes to the appeal majority (7
		// each, 1 of dust to the treasury); the requester's challenge bond (less the fee) and
		// its appeal bond come back.
		assert!(!Rounds::<Test>::contains_key(subject(1)));
		assert_eq!(bond(CLAIMANT), 500);
		for member in &first {
			assert_eq!(bond(*member), 800);
			assert_eq!(free(*member), INITIAL_BALANCE - BOND);
			assert!(MockRegistry::slashes().contains(&(*member, 200, SlashReason::MinorityReveal)));
		}
		for member in &appeal {
			assert_eq!(bond(*member), BOND);
			assert_eq!(free(*member), INITIAL_BALANCE - BOND + 7 + 71);
		}
		assert_eq!(free(REQUESTER), INITIAL_BALANCE - 50 + 250);
		assert_eq!(challenge_held(REQUESTER) + appeal_held(REQUESTER), 0);
		assert_eq!(free(TREASURY), 1 + 250 + 1 + 503);
		assert_eq!(total_issuance(), issuance);
		assert!(events()
			.contains(&Event::AppealBondReleased { appellant: REQUESTER, amount: APPEAL_BOND }));
		assert_eq!(
			Concluded::get(),
			vec![(
				subject(1),
				Conclusion::Decided {
					kind: RoundKind::Dispute,
					claimant: CLAIMANT,
					claim: output_hash(1),
					claim_upheld: false,
					decided: output_hash(5),
					output: None,
					majority: appeal.clone(),
				}
			)]
		);
		assert!(RevealedOutputs::<Test>::iter().next().is_none());
		assert!(MockNodes::iter().all(|(_, node)| node.open_work == 0));
		// The first committee's wrong output counts against it.
		for member in &first {
			assert_eq!(MockRegistry::reputation(*member).failed, 1);
		}
	});
}

/// The appeal committee confirms the first verdict: the appellant (the claimant, whose claim
/// fell) loses its appeal bond, half to the appeal majority and half to the treasury; the first
/// committee, which was right, keeps its bonds.
#[test]
fn an_appeal_that_confirms_the_verdict_costs_the_appellant_its_bond() {
	appeal_network().build_and_execute(|| {
		let issuance = total_issuance();
		let first = decided_dispute(5);
		// The challenger won: only the claimant may appeal.
		assert_noop!(
			Attestations::appeal(signed(REQUESTER), subject(1)),
			Error::<Test>::NotTheLoser
		);
		assert_ok!(Attestations::appeal(signed(CLAIMANT), subject(1)));
		assert_eq!(appeal_held(CLAIMANT), APPEAL_BOND);
		let appeal = appeal_committee_reveals(&first, 5);

		// The claimant loses 500 of its bond (250 to the requester) and its appeal bond of 400
		// (28 to each of the seven appeal members, 204 to the treasury); the dispute fee goes to
		// the appeal majority (7 each, 1 of dust to the treasury).
		assert_eq!(bond(CLAIMANT), 500);
		assert_eq!(free(CLAIMANT), INITIAL_BALANCE - BOND - APPEAL_BOND);
		assert_eq!(appeal_held(CLAIMANT), 0);
		assert!(events().contains(&Event::Slashed {
			who: CLAIMANT,
			amount: APPEAL_BOND,
			reason: SlashReason::FailedAppeal
		}));
		for member in &first {
			assert_eq!(bond(*member), BOND);
			assert_eq!(free(*member), INITIAL_BALANCE - BOND);
		}
		for member in &appeal {
			assert_eq!(free(*member), INITIAL_BALANCE - BOND + 7 + 28);
		}
		assert_eq!(free(REQUESTER), INITIAL_BALANCE - 50 + 250);
		assert_eq!(free(TREASURY), 1 + 250 + 1 + 204);
		assert_eq!(MockRegistry::slashes(), vec![(CLAIMANT, 500, SlashReason::FalseClaim)]);
		assert_eq!(total_issuance(), issuance);
		assert!(matches!(
			&Concluded::get()[..],
			[(_, Conclusion::Decided { claim_upheld: false, majority, .. })] if *majority == appeal
		));
		assert!(MockNodes::iter().all(|(_, node)| node.open_work == 0));
	});
}

/// An appeal whose committee does not decide (nobody reveals) leaves the first verdict
/// standing, settled as if never appealed, and returns the appeal bond; the silent appeal
/// members are slashed.
#[test]
fn an_undecided_appeal_leaves_the_first_verdict_standing() {
	appeal_network().build_and_execute(|| {
		let issuance = total_issuance();
		let first = decided_dispute(5);
		assert_ok!(Attestations::appeal(signed(CLAIMANT), subject(1)));
		run_to_block(3);
		let appeal = committee_of(subject(1));
		let reveal_deadline = Rounds::<Test>::get(subject(1)).unwrap().reveal_deadline;
		assert_eq!(reveal_deadline, 13);
		run_to_block(reveal_deadline);
		assert!(!Rounds::<Test>::contains_key(subject(1)));
		// The first verdict: the claim fell.
		assert_eq!(bond(CLAIMANT), 500);
		assert_eq!(appeal_held(CLAIMANT), 0);
		assert_eq!(free(CLAIMANT), INITIAL_BALANCE - BOND);
		assert!(events()
			.contains(&Event::AppealBondReleased { appellant: CLAIMANT, amount: APPEAL_BOND }));
		// The seven silent appeal members lose 300 each (2,100): half to the first committee's
		// majority (210 each), the rest to the treasury; the first committee shares the dispute
		// fee (10 each).
		for member in &appeal {
			assert_eq!(bond(*member), 700);
		}
		for member in &first {
			assert_eq!(free(*member), INITIAL_BALANCE - BOND + 10 + 210);
		}
		assert_eq!(free(REQUESTER), INITIAL_BALANCE - 50 + 250);
		assert_eq!(total_issuance(), issuance);
		assert!(matches!(
			&Concluded::get()[..],
			[(_, Conclusion::Decided { claim_upheld: false, majority, .. })] if *majority == first
		));
	});
}

/// With too few verifiers left for an appeal committee (the test network's seven verifiers,
/// less the challenger and the first five), the appeal cannot be drawn: it ends undecided at
/// once, the first verdict stands and the appeal bond comes back.
#[test]
fn an_appeal_without_a_committee_returns_the_bond() {
	network().build_and_execute(|| {
		let committee = challenged_claim();
		for member in &committee {
			assert_ok!(commit(subject(1), *member, output(1)));
		}
		for member in &committee {
			assert_ok!(reveal(subject(1), *member, output(1)));
		}
		assert_ok!(Attestations::appeal(signed(2), subject(1)));
		run_to_block(3);
		assert!(events().contains(&Event::NoCommittee { subject: subject(1) }));
		assert!(!Rounds::<Test>::contains_key(subject(1)));
		assert_eq!(appeal_held(2), 0);
		// The first verdict stands: the challenger lost its challenge bond.
		assert_eq!(free(2), INITIAL_BALANCE - BOND - 200);
		assert!(Concluded::get()[0].1.upheld());
	});
}

/// Bad input gets a named error and nothing held: an appeal of no dispute, of a verification
/// round, of a dispute not yet decided, by someone not the loser, a second appeal, and an
/// appeal after the window.
#[test]
fn appeal_errors() {
	appeal_network().build_and_execute(|| {
		assert_noop!(
			Attestations::appeal(signed(CLAIMANT), subject(1)),
			Error::<Test>::AppealWindowOver
		);
		// A verification round settles at once: it cannot be appealed.
		assert_ok!(open_round_on(2, output(1)));
		assert_noop!(
			Attestations::appeal(signed(CLAIMANT), subject(2)),
			Error::<Test>::AppealWindowOver
		);
		// A dispute not yet decided.
		let first = challenged_by(REQUESTER);
		assert_noop!(
			Attestations::appeal(signed(CLAIMANT), subject(1)),
			Error::<Test>::AppealWindowOver
		);
		for member in &first {
			assert_ok!(commit(subject(1), *member, output(5)));
		}
		for member in &first {
			assert_ok!(reveal(subject(1), *member, output(5)));
		}
		// The claim fell: neither the winner nor a bystander may appeal.
		for who in [REQUESTER, 16, first[0]] {
			assert_noop!(Attestations::appeal(signed(who), subject(1)), Error::<Test>::NotTheLoser);
		}
		// Too poor for the appeal bond.
		let set_free = |amount| {
			<Balances as frame_support::traits::fungible::Mutate<AccountId>>::set_balance(
				&CLAIMANT, amount,
			)
		};
		set_free(APPEAL_BOND - 1);
		assert_noop!(
			Attestations::appeal(signed(CLAIMANT), subject(1)),
			Error::<Test>::InsufficientFunds
		);
		set_free(INITIAL_BALANCE - BOND);
		assert_ok!(Attestations::appeal(signed(CLAIMANT), subject(1)));
		// One appeal per dispute.
		assert_noop!(
			Attestations::appeal(signed(CLAIMANT), subject(1)),
			Error::<Test>::AlreadyAppealed
		);
		assert_eq!(appeal_held(CLAIMANT), APPEAL_BOND);
		// A second dispute, decided in block 3 and not appealed within its window.
		assert_ok!(open_claim_on(3, CLAIMANT, output(1)));
		assert_ok!(Attestations::challenge(signed(16), subject(3)));
		run_to_block(4);
		let committee = committee_of(subject(3));
		for member in &committee {
			assert_ok!(commit(subject(3), *member, output(1)));
		}
		for member in &committee {
			assert_ok!(reveal(subject(3), *member, output(1)));
		}
		let until = Rounds::<Test>::get(subject(3)).unwrap().verdict.unwrap().appeal_until;
		assert_eq!(until, 9);
		run_to_block(until);
		assert_noop!(Attestations::appeal(signed(16), subject(3)), Error::<Test>::AppealWindowOver);
		assert_eq!(appeal_held(16), 0);
		assert_eq!(free(16), INITIAL_BALANCE - 200);
		run_to_block(30);
		assert!(Rounds::<Test>::iter().next().is_none());
		assert_eq!(appeal_held(CLAIMANT), 0);
	});
}

/// A friend of the node that challenges first and loses on purpose (its committee upholds the
/// claim) cannot keep the appeal from being heard: when the claim stood, anyone but the
/// claimant may appeal, the requester among them.
#[test]
fn when_the_claim_stood_anyone_but_the_claimant_may_appeal() {
	appeal_network().build_and_execute(|| {
		let friend = 16;
		let first = challenged_by(friend);
		for member in &first {
			assert_ok!(commit(subject(1), *member, output(1)));
		}
		for member in &first {
			assert_ok!(reveal(subject(1), *member, output(1)));
		}
		assert!(Rounds::<Test>::get(subject(1)).unwrap().verdict.unwrap().claim_upheld);
		assert_noop!(
			Attestations::appeal(signed(CLAIMANT), subject(1)),
			Error::<Test>::NotTheLoser
		);
		assert_ok!(Attestations::appeal(signed(REQUESTER), subject(1)));
		assert_eq!(appeal_held(REQUESTER), APPEAL_BOND);
		assert_eq!(appeal_held(friend), 0);
	});
}
