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
		assert_ok!(open_claim_on(1, CLAIMANT, output(1)));
		System::assert_last_event(
			Event::ClaimOpened {
				subject: subject(1),
				claimant: CLAIMANT,
				output: output_hash(1),
				challenge_deadline: 11,
			}
			.into(),
		);
		assert_eq!(MockRegistry::open_work(CLAIMANT), 1);
		run_to_block(10);
		assert!(Concluded::get().is_empty());
		run_to_block(11);
		System::assert_has_event(
			Event::ClaimStood { subject: subject(1), claimant: CLAIMANT, output: output_hash(1) }
				.into(),
		);
		assert_eq!(
			Concluded::get(),
			vec![(
				subject(1),
				Conclusion::Unchallenged { claimant: CLAIMANT, output: output_hash(1) }
			)]
		);
		assert!(Concluded::get()[0].1.upheld());
		assert_eq!(MockRegistry::open_work(CLAIMANT), 0);
		// A claim that stands counts for its claimant.
		assert_eq!(MockRegistry::work_ended(), vec![(CLAIMANT, Some(true))]);
		assert_eq!(MockRegistry::reputation(CLAIMANT).completed, 1);
		// A claim that stood is final.
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
			assert_ok!(open_claim_on(1, 9, output(1)));
			assert_noop!(Attestations::challenge(signed(9), subject(1)), Error::<Test>::OwnClaim);
			// Too poor for the bond: a node whose balance is bonded, or any account.
			assert_noop!(
				Attestations::challenge(signed(10), subject(1)),
				Error::<Test>::InsufficientFunds
			);
			assert_noop!(
				Attestations::challenge(signed(POOR), subject(1)),
				Error::<Test>::InsufficientFunds
			);
			// Anyone else may challenge: a node of any role, a leaving one, or an account
			// that is no node (the requester).
			assert_ok!(open_claim_on(2, 9, output(2)));
			assert_ok!(open_claim_on(3, 9, output(3)));
			assert_ok!(MockRegistry::leave(3));
			assert_ok!(Attestations::challenge(signed(CLAIMANT), subject(1)));
			assert_ok!(Attestations::challenge(signed(3), subject(2)));
			assert_ok!(Attestations::challenge(signed(REQUESTER), subject(3)));
			for (who, n) in [(CLAIMANT, 1), (3, 2), (REQUESTER, 3)] {
				assert_eq!(challenge_held(who), 200);
				assert!(matches!(
					Rounds::<Test>::get(subject(n)).unwrap().origin,
					RoundOrigin::Dispute { challenger, bond: 200 } if challenger == who
				));
			}
			run_to_block(30);
			assert!(Rounds::<Test>::iter().next().is_none());
		});
}

/// Bad input gets a named error and nothing held: a challenge of a claim whose output the
/// consumer does not publish (or whose published output does not hash to the claim, or is too
/// large to reveal) fails with `NoClaimedOutput`, and one of an unknown claim, or of a claim
/// already final or already under dispute, with `NoSuchClaim`.
#[test]
fn a_challenge_needs_an_open_claim_and_its_published_output() {
	network().build_and_execute(|| {
		// Unknown.
		assert_noop!(
			Attestations::challenge(signed(REQUESTER), subject(1)),
			Error::<Test>::NoSuchClaim
		);
		// Nothing published.
		assert_ok!(Attestations::open_claim(subject(1), &CLAIMANT, output_hash(1), context(1)));
		assert_noop!(
			Attestations::challenge(signed(REQUESTER), subject(1)),
			Error::<Test>::NoClaimedOutput
		);
		// Published, but not what was claimed.
		publish(1, output(2));
		assert_noop!(
			Attestations::challenge(signed(REQUESTER), subject(1)),
			Error::<Test>::NoClaimedOutput
		);
		// Claimed, but larger than any reveal may be.
		let huge = vec![7u8; 65];
		assert_ok!(open_claim_on(2, CLAIMANT, &huge));
		assert_noop!(
			Attestations::challenge(signed(REQUESTER), subject(2)),
			Error::<Test>::NoClaimedOutput
		);
		assert_eq!(challenge_held(REQUESTER), 0);
		assert_eq!(free(REQUESTER), INITIAL_BALANCE);
		// Once the published output is the claimed one, the challenge is accepted; a second
		// challenge of the claim under dispute finds no open claim.
		Published::set(vec![(subject(1), output(1))]);
		assert_ok!(Attestations::challenge(signed(REQUESTER), subject(1)));
		assert_noop!(Attestations::challenge(signed(2), subject(1)), Error::<Test>::NoSuchClaim);
		// A claim that stood is final.
		run_to_block(11);
		assert!(Claims::<Test>::get(subject(2)).is_none());
		assert_noop!(
			Attestations::challenge(signed(REQUESTER), subject(2)),
			Error::<Test>::NoSuchClaim
		);
		// Only the accepted challenge holds a bond.
		assert_eq!(challenge_held(REQUESTER), 200);
		run_to_block(12);
		assert_eq!(challenge_held(REQUESTER), 0);
	});
}

#[test]
fn a_dispute_won_by_the_challenger() {
	network().build_and_execute(|| {
		let issuance = total_issuance();
		let committee = challenged_claim();
		for member in &committee {
			assert_ok!(commit(subject(1), *member, output(5)));
		}
		for member in &committee {
			assert_ok!(reveal(subject(1), *member, output(5)));
		}
		settle_verdict(subject(1));
		// The claimant loses half its bond (500): 250 to the challenger, 250 to the treasury.
		// The committee's fee (50, 10 each) comes out of the challenge bond, the rest (150)
		// comes back.
		assert_eq!(bond(CLAIMANT), 500);
		assert_eq!(MockRegistry::slashes(), vec![(CLAIMANT, 500, SlashReason::FalseClaim)]);
		assert_eq!(challenge_held(2), 0);
		assert_eq!(free(2), INITIAL_BALANCE - BOND - 50 + 250);
		for member in &committee {
			assert_eq!(free(*member), INITIAL_BALANCE - BOND + 10);
		}
		assert_eq!(free(TREASURY), 1 + 250);
		assert_eq!(total_issuance(), issuance);
		let events = events();
		assert!(events.contains(&Event::ChallengeBondReleased { challenger: 2, amount: 150 }));
		assert!(events.contains(&Event::Rewarded { who: 2, amount: 250 }));
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
		settle_verdict(subject(1));
		// The challenger loses its 200 challenge bond: the committee's fee (50, 10 each), then
		// half the rest (75) to the claimant and 75 to the treasury.
		assert_eq!(challenge_held(2), 0);
		assert_eq!(free(2), INITIAL_BALANCE - BOND - 200);
		assert_eq!(free(CLAIMANT), INITIAL_BALANCE - BOND + 75);
		for member in &committee {
			assert_eq!(free(*member), INITIAL_BALANCE - BOND + 10);
		}
		assert_eq!(bond(CLAIMANT), BOND);
		assert_eq!(bond(2), BOND);
		assert!(MockRegistry::slashes().is_empty());
		assert_eq!(free(TREASURY), 1 + 75);
		assert_eq!(total_issuance(), issuance);
		assert!(events().contains(&Event::Slashed {
			who: 2,
			amount: 200,
			reason: SlashReason::FailedChallenge
		}));
		let conclusion = &Concluded::get()[0].1;
		assert!(conclusion.upheld());
		assert!(matches!(
			conclusion,
			Conclusion::Decided { claim_upheld: true, output: Some(out), .. } if *out == output(1)
		));
		assert_eq!(MockRegistry::reputation(CLAIMANT).completed, 1);
	});
}

#[test]
fn an_undecided_dispute_returns_the_challenge_bond_less_the_dispute_fee() {
	network().build_and_execute(|| {
		let committee = challenged_claim();
		run_to_block(12);
		assert_eq!(challenge_held(2), 0);
		// Nobody revealed: the dispute fee (50) goes to the treasury, the rest back.
		assert_eq!(free(2), INITIAL_BALANCE - BOND - 50);
		assert!(events().contains(&Event::ChallengeBondReleased { challenger: 2, amount: 150 }));
		assert!(matches!(
			Concluded::get()[0].1,
			Conclusion::Undecided { kind: RoundKind::Dispute, .. }
		));
		// Nobody revealed: every member lost 30% of its bond, the claimant (whose output the
		// dispute had from the start) nothing.
		for member in &committee {
			assert_eq!(bond(*member), 700);
		}
		assert_eq!(bond(CLAIMANT), BOND);
	});
}

#[test]
fn a_challenge_hands_the_claims_work_to_the_dispute() {
	network().build_and_execute(|| {
		assert_ok!(open_claim_on(1, CLAIMANT, output(1)));
		assert_ok!(Attestations::challenge(signed(2), subject(1)));
		// The claim's unit ended with no outcome and the round's began: one unit still.
		assert_eq!(MockRegistry::work_ended(), vec![(CLAIMANT, None)]);
		assert_eq!(MockRegistry::open_work(CLAIMANT), 1);
		assert!(ClaimDeadlines::<Test>::get(11).is_empty());
		// A dispute is listed apart from verification rounds.
		assert_eq!(DisputeDeadlines::<Test>::get(2).into_inner(), vec![subject(1)]);
		assert!(Deadlines::<Test>::get(2).is_empty());
		// The claimant does not reveal in a dispute: its claimed output is its reveal, and it
		// has no duty.
		assert_eq!(Duties::<Test>::iter().count(), 0);
		// The challenger backs no work of its own: its bond is the challenge hold.
		assert_eq!(MockRegistry::open_work(2), 0);
		run_to_block(2);
		let committee = committee_of(subject(1));
		for member in &committee {
			assert_ok!(commit(subject(1), *member, output(1)));
		}
		assert_noop!(reveal(subject(1), CLAIMANT, output(1)), Error::<Test>::NotCommitteeMember);
		run_to_block(12);
	});
}

/// Attack: nobody challenges a false vanilla claim because a challenge does not pay, or only
/// nodes may challenge. The requester, which is no node, challenges; the committee overturns
/// the claim, and the requester is paid from the claimant's slashed bond (with its bond back
/// but the committee's fee), while the committee is paid the dispute fee.
#[test]
fn the_requester_challenges_and_is_paid_when_the_claim_falls() {
	network().build_and_execute(|| {
		let issuance = total_issuance();
		assert!(MockNodes::get(REQUESTER).is_none());
		let committee = challenged_by(REQUESTER);
		for member in &committee {
			assert_ok!(commit(subject(1), *member, output(5)));
		}
		for member in &committee {
			assert_ok!(reveal(subject(1), *member, output(5)));
		}
		settle_verdict(subject(1));
		// The claimant's 500: 250 to the requester, 250 to the treasury. The requester's bond
		// comes back less the committee's fee of 50, 10 to each member.
		assert_eq!(MockRegistry::slashes(), vec![(CLAIMANT, 500, SlashReason::FalseClaim)]);
		assert_eq!(challenge_held(REQUESTER), 0);
		assert_eq!(free(REQUESTER), INITIAL_BALANCE - 50 + 250);
		assert!(free(REQUESTER) > INITIAL_BALANCE, "a challenge that wins pays");
		for member in &committee {
			assert_eq!(free(*member), INITIAL_BALANCE - BOND + 10);
			assert_eq!(bond(*member), BOND);
		}
		assert_eq!(free(TREASURY), 1 + 250);
		assert_eq!(total_issuance(), issuance);
		let events = events();
		assert!(events.contains(&Event::Rewarded { who: REQUESTER, amount: 250 }));
		assert!(
			events.contains(&Event::ChallengeBondReleased { challenger: REQUESTER, amount: 150 })
		);
		assert!(matches!(
			&Concluded::get()[0].1,
			Conclusion::Decided { kind: RoundKind::Dispute, claim_upheld: false, .. }
		));
	});
}

/// Attack: a committee paid only when it upholds a claim leans to upholding it. The committee
/// of a dispute is paid the dispute fee when the claim stands too (here judged within the
/// tolerance: the members reveal 1 and 2 beside the claimed 1), out of the failed challenger's
/// bond.
#[test]
fn a_dispute_that_upholds_the_claim_still_pays_the_committee_its_fee() {
	network().build_and_execute(|| {
		let issuance = total_issuance();
		let committee = challenged_by(REQUESTER);
		let out = |i: usize| output(1 + (i % 2) as u8);
		for (i, member) in committee.iter().enumerate() {
			assert_ok!(commit(subject(1), *member, out(i)));
		}
		for (i, member) in committee.iter().enumerate() {
			assert_ok!(reveal(subject(1), *member, out(i)));
		}
		settle_verdict(subject(1));
		// The requester's 200: 50 to the committee (10 each), 75 to the claimant, 75 to the
		// treasury.
		assert_eq!(free(REQUESTER), INITIAL_BALANCE - 200);
		for member in &committee {
			assert_eq!(free(*member), INITIAL_BALANCE - BOND + 10);
			assert!(events().contains(&Event::Rewarded { who: *member, amount: 10 }));
		}
		assert_eq!(free(CLAIMANT), INITIAL_BALANCE - BOND + 75);
		assert_eq!(free(TREASURY), 1 + 75);
		assert!(MockRegistry::slashes().is_empty());
		assert_eq!(total_issuance(), issuance);
		assert!(matches!(
			&Concluded::get()[0].1,
			Conclusion::Decided { kind: RoundKind::Dispute, claim_upheld: true, majority, .. }
				if *majority == committee
		));
	});
}

/// Disputes nobody wins (issue 34): the first challenge does not keep others out. Anyone else
/// joins the running dispute with the same bond until reveals open; when the claim falls every
/// challenger gets its bond back (the first less the dispute fee), the first challenger its
/// whole reward, and the joiners share the treasury's part (so the claimant's own accounts that
/// join take nothing from the challenger).
#[test]
fn a_challenger_that_joins_shares_the_reward_when_the_claim_falls() {
	network().build_and_execute(|| {
		let issuance = total_issuance();
		let committee = challenged_claim();
		assert_ok!(Attestations::join_challenge(signed(REQUESTER), subject(1)));
		System::assert_last_event(
			Event::ChallengeJoined { subject: subject(1), challenger: REQUESTER, bond: 200 }.into(),
		);
		assert_eq!(challenge_held(REQUESTER), 200);
		for member in &committee {
			assert_ok!(commit(subject(1), *member, output(5)));
		}
		for member in &committee {
			assert_ok!(reveal(subject(1), *member, output(5)));
		}
		// Reveals are open (the outputs public): too late to join.
		assert_noop!(
			Attestations::join_challenge(signed(14), subject(1)),
			Error::<Test>::NotJoinable
		);
		settle_verdict(subject(1));
		// The claimant's 500: the first challenger's half (250) whole, the treasury's half to
		// the joiner.
		assert_eq!(MockRegistry::slashes(), vec![(CLAIMANT, 500, SlashReason::FalseClaim)]);
		assert_eq!(challenge_held(2) + challenge_held(REQUESTER), 0);
		assert_eq!(free(2), INITIAL_BALANCE - BOND - 50 + 250);
		assert_eq!(free(REQUESTER), INITIAL_BALANCE + 250);
		assert_eq!(free(TREASURY), 1);
		assert_eq!(total_issuance(), issuance);
		assert!(CoChallengers::<Test>::get(subject(1)).is_empty());
	});
}

/// Joining is a bet like challenging: when the claim stands the joiner loses its bond, to the
/// claimant (`reward_share`) and the treasury.
#[test]
fn a_challenger_that_joins_a_lost_dispute_loses_its_bond() {
	network().build_and_execute(|| {
		let issuance = total_issuance();
		let committee = challenged_claim();
		assert_ok!(Attestations::join_challenge(signed(REQUESTER), subject(1)));
		for member in &committee {
			assert_ok!(commit(subject(1), *member, output(1)));
		}
		for member in &committee {
			assert_ok!(reveal(subject(1), *member, output(1)));
		}
		settle_verdict(subject(1));
		// The first challenger's 200 less the committee's 50, and the joiner's 200: half of the
		// 350 to the claimant (175), half to the treasury.
		assert_eq!(free(REQUESTER), INITIAL_BALANCE - 200);
		assert_eq!(free(2), INITIAL_BALANCE - BOND - 200);
		assert_eq!(free(CLAIMANT), INITIAL_BALANCE - BOND + 175);
		assert!(events().contains(&Event::Slashed {
			who: REQUESTER,
			amount: 200,
			reason: SlashReason::FailedChallenge
		}));
		assert_eq!(total_issuance(), issuance);
	});
}

#[test]
fn join_challenge_errors() {
	network().build_and_execute(|| {
		// No dispute yet: a claim, or a verification round, cannot be joined.
		assert_ok!(open_claim_on(1, CLAIMANT, output(1)));
		assert_noop!(
			Attestations::join_challenge(signed(REQUESTER), subject(1)),
			Error::<Test>::NotJoinable
		);
		assert_ok!(open_round_on(2, output(2)));
		assert_noop!(
			Attestations::join_challenge(signed(REQUESTER), subject(2)),
			Error::<Test>::NotJoinable
		);
		assert_ok!(Attestations::challenge(signed(2), subject(1)));
		run_to_block(2);
		let committee = committee_of(subject(1));
		assert_noop!(
			Attestations::join_challenge(signed(CLAIMANT), subject(1)),
			Error::<Test>::OwnClaim
		);
		assert_noop!(
			Attestations::join_challenge(signed(2), subject(1)),
			Error::<Test>::AlreadyChallenging
		);
		assert_noop!(
			Attestations::join_challenge(signed(committee[0]), subject(1)),
			Error::<Test>::OnCommittee
		);
		assert_ok!(Attestations::join_challenge(signed(REQUESTER), subject(1)));
		assert_noop!(
			Attestations::join_challenge(signed(REQUESTER), subject(1)),
			Error::<Test>::AlreadyChallenging
		);
		assert_eq!(challenge_held(REQUESTER), 200);
		// Let both end so try_state sees them gone.
		run_to_block(40);
		assert_eq!(challenge_held(REQUESTER), 0);
	});
}
