//! Verification rounds: the draw, commitments and reveals, who is slashed and paid, and what
//! the node registry hears.

// Tests may panic: a panic is a failed test.
#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects,
	clippy::panic
)]

use super::*;
use frame_support::{
	assert_noop,
	pallet_prelude::{InvalidTransaction, TransactionSource},
	traits::{Authorize, Hooks},
};
use opg_primitives::attestation::Conclusion;
use sp_core::H256;

#[test]
fn a_round_where_one_lies_and_one_does_not_reveal() {
	network().build_and_execute(|| {
		let issuance = total_issuance();
		let committee = open_round();
		let (honest, liar, silent) = (&committee[..3], committee[3], committee[4]);
		for member in &committee {
			let out = if *member == liar { output(9) } else { output(1) };
			assert_ok!(commit(subject(1), *member, out));
			System::assert_last_event(
				Event::Committed { subject: subject(1), member: *member }.into(),
			);
			assert_eq!(MockRegistry::open_work(*member), 1);
		}
		for member in honest {
			assert_ok!(reveal(subject(1), *member, output(1)));
			System::assert_last_event(
				Event::Revealed { subject: subject(1), member: *member, output: output(1) }.into(),
			);
		}
		assert_ok!(reveal(subject(1), liar, output(9)));
		assert!(Concluded::get().is_empty());
		run_to_block(12);

		// The liar loses half its bond, the silent one a fifth: 500 + 200 = 700. Half of it
		// goes to the three honest members (116 each, 348), the rest and the dust (352) to the
		// treasury.
		assert_eq!(bond(liar), 500);
		assert_eq!(bond(silent), 800);
		for member in honest {
			assert_eq!(bond(*member), BOND);
			assert_eq!(free(*member), INITIAL_BALANCE - BOND + 116);
		}
		assert_eq!(free(TREASURY), 1 + 352);
		assert_eq!(bond(CLAIMANT), BOND);
		assert_eq!(total_issuance(), issuance);
		// The registry slashed the members' bonds (and says so in its own events).
		let slashes = MockRegistry::slashes();
		for expected in
			[(liar, 500, SlashReason::MinorityReveal), (silent, 200, SlashReason::NoReveal)]
		{
			assert!(slashes.contains(&expected), "missing slash {expected:?}");
		}
		assert_eq!(slashes.len(), 2);
		let events = events();
		assert!(!events.iter().any(|event| matches!(event, Event::Slashed { .. })));
		assert!(events.contains(&Event::RoundDecided {
			subject: subject(1),
			kind: RoundKind::Verification,
			claimed: output(1),
			decided: output(1),
			claim_upheld: true,
		}));
		for member in honest {
			assert!(events.contains(&Event::Rewarded { who: *member, amount: 116 }));
		}
		assert_eq!(
			Concluded::get(),
			vec![(
				subject(1),
				Conclusion::Decided {
					kind: RoundKind::Verification,
					claimant: CLAIMANT,
					claimed: output(1),
					decided: output(1),
					majority: honest.to_vec(),
				}
			)]
		);
		assert!(Rounds::<Test>::get(subject(1)).is_none());
		assert!(MockNodes::iter().all(|(_, node)| node.open_work == 0));
		assert_eq!(MockRegistry::reputation(liar).failed, 1);
		assert_eq!(MockRegistry::reputation(liar).slashed, 500);
		assert_eq!(MockRegistry::reputation(silent).failed, 1);
		assert_eq!(MockRegistry::reputation(honest[0]).completed, 1);
		assert_eq!(MockRegistry::reputation(CLAIMANT).completed, 1);
		// The slashed weigh less in the next selection: what the registry weighs is the bond.
		assert_eq!(MockRegistry::bond(liar), 500);
	});
}

#[test]
fn a_round_that_overturns_the_claim_slashes_the_claimant_to_the_honest() {
	network().build_and_execute(|| {
		let issuance = total_issuance();
		let committee = open_round();
		for member in &committee {
			assert_ok!(commit(subject(1), *member, output(7)));
		}
		for member in &committee {
			assert_ok!(reveal(subject(1), *member, output(7)));
		}
		// The last reveal decided the round at once.
		assert!(Rounds::<Test>::get(subject(1)).is_none());
		assert!(Deadlines::<Test>::get(11).is_empty());
		assert!(Deadlines::<Test>::get(12).is_empty());
		// The claimant loses 500; 250 goes to the five (50 each), 250 to the treasury.
		assert_eq!(bond(CLAIMANT), 500);
		assert_eq!(MockRegistry::slashes(), vec![(CLAIMANT, 500, SlashReason::FalseClaim)]);
		for member in &committee {
			assert_eq!(free(*member), INITIAL_BALANCE - BOND + 50);
		}
		assert_eq!(free(TREASURY), 1 + 250);
		assert_eq!(total_issuance(), issuance);
		assert_eq!(Concluded::get()[0].1.accepted_output(), None);
		assert_eq!(MockRegistry::reputation(CLAIMANT).failed, 1);
	});
}

#[test]
fn a_split_round_ends_undecided() {
	network().build_and_execute(|| {
		let committee = open_round();
		for (i, member) in committee.iter().enumerate().take(4) {
			assert_ok!(commit(subject(1), *member, output(i as u8 % 2)));
		}
		run_to_block(7);
		for (i, member) in committee.iter().enumerate().take(4) {
			assert_ok!(reveal(subject(1), *member, output(i as u8 % 2)));
		}
		run_to_block(12);
		System::assert_has_event(
			Event::RoundUndecided {
				subject: subject(1),
				kind: RoundKind::Verification,
				reveals: 4,
			}
			.into(),
		);
		// Only the one that never committed is slashed; its 200 pays the four revealers 25
		// each and the treasury 100.
		assert_eq!(bond(committee[4]), 800);
		assert_eq!(MockRegistry::slashes(), vec![(committee[4], 200, SlashReason::NoReveal)]);
		assert_eq!(bond(CLAIMANT), BOND);
		for member in &committee[..4] {
			assert_eq!(free(*member), INITIAL_BALANCE - BOND + 25);
		}
		assert!(matches!(Concluded::get()[0].1, Conclusion::Undecided { .. }));
	});
}

#[test]
fn the_registry_hears_each_members_outcome_and_none_for_an_undecided_round() {
	network().build_and_execute(|| {
		// Decided: the revealers of the decided output succeeded, the liar and the silent one
		// failed, and so did the claimant whose claim the round overturned.
		let committee = open_round();
		let (honest, liar, silent) = (&committee[..3], committee[3], committee[4]);
		for member in &committee[..4] {
			let out = if *member == liar { output(1) } else { output(2) };
			assert_ok!(commit(subject(1), *member, out));
		}
		run_to_block(7);
		for member in &committee[..4] {
			let out = if *member == liar { output(1) } else { output(2) };
			assert_ok!(reveal(subject(1), *member, out));
		}
		run_to_block(12);
		let mut expected: Vec<_> = committee
			.iter()
			.map(|member| (*member, Some(honest.contains(member))))
			.chain([(CLAIMANT, Some(false))])
			.collect();
		let mut ended = MockRegistry::work_ended();
		expected.sort();
		ended.sort();
		assert_eq!(ended, expected);
		assert!(ended.contains(&(silent, Some(false))));

		// Undecided (a split): the revealers and the claimant end with no outcome either way;
		// the member that never revealed is slashed, and failed.
		WorkEnded::kill();
		assert_ok!(Attestations::open_round(subject(2), &CLAIMANT, output(1)));
		run_to_block(13);
		let committee = committee_of(subject(2));
		for (i, member) in committee.iter().enumerate().take(4) {
			assert_ok!(commit(subject(2), *member, output(i as u8 % 2)));
		}
		run_to_block(18);
		for (i, member) in committee.iter().enumerate().take(4) {
			assert_ok!(reveal(subject(2), *member, output(i as u8 % 2)));
		}
		run_to_block(23);
		assert!(matches!(Concluded::get()[1].1, Conclusion::Undecided { .. }));
		let mut expected: Vec<_> = committee[..4]
			.iter()
			.map(|member| (*member, None))
			.chain([(committee[4], Some(false)), (CLAIMANT, None)])
			.collect();
		let mut ended = MockRegistry::work_ended();
		expected.sort();
		ended.sort();
		assert_eq!(ended, expected);

		// Undecided for want of a committee: the claimant alone, with no outcome.
		WorkEnded::kill();
		for who in 2..=4 {
			MockRegistry::chill(who);
		}
		assert_ok!(Attestations::open_round(subject(3), &CLAIMANT, output(1)));
		run_to_block(24);
		assert_eq!(MockRegistry::work_ended(), vec![(CLAIMANT, None)]);
		assert!(MockNodes::iter().all(|(_, node)| node.open_work == 0));
	});
}

#[test]
fn commit_errors() {
	network().build_and_execute(|| {
		assert_noop!(commit(subject(1), 2, output(1)), Error::<Test>::NoSuchRound);
		let committee = open_round();
		let outsider = (2..=8).find(|who| !committee.contains(who)).unwrap();
		assert_noop!(commit(subject(1), outsider, output(1)), Error::<Test>::NotCommitteeMember);
		assert_noop!(commit(subject(1), CLAIMANT, output(1)), Error::<Test>::NotCommitteeMember);
		let member = committee[0];
		// Signed by another member's key.
		let Call::commit { commitment, .. } = commit_call(subject(1), member, output(1)) else {
			unreachable!()
		};
		let wrong = sign(
			committee[1],
			&SignedStatement::Commit {
				subject: &subject(1),
				round: &1,
				member: &member,
				commitment: &commitment,
			},
		);
		assert_noop!(
			Attestations::commit(authorized(), subject(1), member, commitment, wrong.clone()),
			Error::<Test>::BadSignature
		);
		assert_eq!(
			Call::<Test>::commit { subject: subject(1), member, commitment, signature: wrong }
				.authorize(TransactionSource::External)
				.unwrap()
				.map(|_| ()),
			Err(InvalidTransaction::BadProof.into())
		);
		assert!(commit_call(subject(1), member, output(1))
			.authorize(TransactionSource::External)
			.unwrap()
			.is_ok());
		// Only the authorized origin may call it.
		let Call::commit { commitment, signature, .. } = commit_call(subject(1), member, output(1))
		else {
			unreachable!()
		};
		assert_noop!(
			Attestations::commit(signed(member), subject(1), member, commitment, signature),
			sp_runtime::DispatchError::BadOrigin
		);
		assert_ok!(commit(subject(1), member, output(1)));
		assert_noop!(commit(subject(1), member, output(1)), Error::<Test>::AlreadyCommitted);
		let index = Error::<Test>::AlreadyCommitted.encode()[0];
		assert_eq!(
			commit_call(subject(1), member, output(1))
				.authorize(TransactionSource::External)
				.unwrap()
				.map(|_| ()),
			Err(InvalidTransaction::Custom(index).into())
		);
		run_to_block(7);
		assert_noop!(commit(subject(1), committee[1], output(1)), Error::<Test>::CommitPhaseOver);
	});
}

#[test]
fn reveal_errors() {
	network().build_and_execute(|| {
		assert_noop!(reveal(subject(1), 2, output(1)), Error::<Test>::NoSuchRound);
		let committee = open_round();
		let outsider = (2..=8).find(|who| !committee.contains(who)).unwrap();
		assert_noop!(reveal(subject(1), outsider, output(1)), Error::<Test>::NotCommitteeMember);
		let (member, other) = (committee[0], committee[1]);
		assert_noop!(reveal(subject(1), member, output(1)), Error::<Test>::NotCommitted);
		assert_ok!(commit(subject(1), member, output(1)));
		assert_noop!(reveal(subject(1), member, output(1)), Error::<Test>::RevealPhaseNotOpen);
		run_to_block(7);
		// A different output, or the right output with a wrong salt.
		assert_noop!(reveal(subject(1), member, output(2)), Error::<Test>::CommitmentMismatch);
		let wrong_salt = [0xEE; 32];
		let signature = sign(
			member,
			&SignedStatement::Reveal {
				subject: &subject(1),
				round: &1,
				member: &member,
				output: &output(1),
				salt: &wrong_salt,
			},
		);
		assert_noop!(
			Attestations::reveal(
				authorized(),
				subject(1),
				member,
				output(1),
				wrong_salt,
				signature
			)
			.map_err(|e| e.error),
			Error::<Test>::CommitmentMismatch
		);
		// Signed by someone else.
		let salt = salt(member);
		let wrong = sign(
			other,
			&SignedStatement::Reveal {
				subject: &subject(1),
				round: &1,
				member: &member,
				output: &output(1),
				salt: &salt,
			},
		);
		assert_noop!(
			Attestations::reveal(authorized(), subject(1), member, output(1), salt, wrong)
				.map_err(|e| e.error),
			Error::<Test>::BadSignature
		);
		assert_ok!(reveal(subject(1), member, output(1)));
		assert_noop!(reveal(subject(1), member, output(1)), Error::<Test>::AlreadyRevealed);
		// The deadline block decides the round: later reveals find none.
		run_to_block(12);
		assert_noop!(reveal(subject(1), other, output(1)), Error::<Test>::NoSuchRound);
	});
}

#[test]
fn reveal_phase_over_is_refused_in_the_block_before_it_is_decided() {
	network().build_and_execute(|| {
		let committee = open_round();
		assert_ok!(commit(subject(1), committee[0], output(1)));
		run_to_block(11);
		let mut round = Rounds::<Test>::get(subject(1)).unwrap();
		// The deadline moved earlier than now (as if the block were skipped): refused.
		round.reveal_deadline = 11;
		Rounds::<Test>::insert(subject(1), round);
		assert_noop!(reveal(subject(1), committee[0], output(1)), Error::<Test>::RevealPhaseOver);
		let mut round = Rounds::<Test>::get(subject(1)).unwrap();
		round.reveal_deadline = 12;
		Rounds::<Test>::insert(subject(1), round);
	});
}

#[test]
fn a_round_needs_a_free_subject_and_enough_verifiers() {
	network().build_and_execute(|| {
		open_round();
		assert_noop!(
			Attestations::open_round(subject(1), &CLAIMANT, output(1)),
			Error::<Test>::SubjectInUse
		);
		assert_noop!(
			Attestations::open_claim(subject(1), &CLAIMANT, output(1)),
			Error::<Test>::SubjectInUse
		);
		assert_noop!(
			Attestations::open_round(subject(3), &42, output(1)),
			Error::<Test>::NotRegistered
		);
	});
}

#[test]
fn a_leaving_or_unknown_claimant_opens_no_claim_or_round() {
	network().build_and_execute(|| {
		assert_ok!(Attestations::open_claim(subject(1), &CLAIMANT, output(1)));
		// The registry refuses to let a node with open work leave.
		assert!(MockRegistry::leave(CLAIMANT).is_err());
		run_to_block(11);
		assert_ok!(MockRegistry::leave(CLAIMANT));
		// A leaving node takes no new work: its bond is on its way out.
		assert_noop!(
			Attestations::open_claim(subject(2), &CLAIMANT, output(1)),
			Error::<Test>::NodeLeaving
		);
		assert_noop!(
			Attestations::open_round(subject(3), &CLAIMANT, output(1)),
			Error::<Test>::NodeLeaving
		);
		assert_noop!(
			Attestations::open_claim(subject(2), &42, output(1)),
			Error::<Test>::NotRegistered
		);
		assert_eq!(MockRegistry::open_work(CLAIMANT), 0);
	});
}

#[test]
fn the_runtime_api_shows_a_round_and_its_progress() {
	network().build_and_execute(|| {
		assert_eq!(Attestations::round_view(subject(1)), None);
		challenged_claim();
		let committee = committee_of(subject(1));
		let members = |committed: &[AccountId]| {
			committee
				.iter()
				.map(|member| CommitteeMember {
					account: *member,
					commitment: committed.contains(member).then(|| {
						commitment_of(&subject(1), &1u64, member, &output(1), &salt(*member))
					}),
					revealed: None,
				})
				.collect::<Vec<_>>()
		};
		let view = RoundView {
			origin: RoundOrigin::Dispute { challenger: 2, bond: 200 },
			claimant: CLAIMANT,
			claimed: output(1),
			committee: members(&[]),
			draw_at: 2,
			votes_needed: 3,
			opened_at: 1,
			commit_deadline: 7,
			reveal_deadline: 12,
		};
		assert_eq!(Attestations::round_view(subject(1)), Some(view.clone()));
		assert_ok!(commit(subject(1), committee[0], output(1)));
		assert_eq!(
			Attestations::round_view(subject(1)),
			Some(RoundView { committee: members(&committee[..1]), ..view })
		);
		run_to_block(12);
		assert_eq!(Attestations::round_view(subject(1)), None);
		assert_eq!(Attestations::committee(subject(1)), None);
	});
}

#[test]
fn the_runtime_api_shows_a_round_before_its_draw() {
	network().build_and_execute(|| {
		assert_ok!(Attestations::open_round(subject(1), &CLAIMANT, output(1)));
		assert_eq!(
			Attestations::round_view(subject(1)),
			Some(RoundView {
				origin: RoundOrigin::Verification,
				claimant: CLAIMANT,
				claimed: output(1),
				committee: Vec::new(),
				draw_at: 2,
				votes_needed: 0,
				opened_at: 1,
				commit_deadline: 0,
				reveal_deadline: 0,
			})
		);
		run_to_block(12);
	});
}

// ---- Fixes from review: committees drawn later, replays ----

#[test]
fn too_few_verifiers_at_the_draw_end_the_round_undecided() {
	network().build_and_execute(|| {
		assert_ok!(Attestations::open_round(subject(2), &CLAIMANT, output(1)));
		for who in 2..=4 {
			MockRegistry::chill(who);
		}
		// Four verifiers left, five needed.
		run_to_block(2);
		System::assert_has_event(Event::NoCommittee { subject: subject(2) }.into());
		assert!(Rounds::<Test>::get(subject(2)).is_none());
		assert_eq!(MockRegistry::open_work(CLAIMANT), 0);
		assert!(matches!(
			Concluded::get()[..],
			[(_, Conclusion::Undecided { kind: RoundKind::Verification, .. })]
		));
	});
}

/// The committee of `subject(1)`'s round opened in block `opened_in` (its parent hash
/// `parent`) and drawn in the next block, whose randomness is `randomness`.
fn committee_drawn(opened_in: u64, parent: u64, randomness: u8) -> Vec<AccountId> {
	let mut committee = Vec::new();
	network().build().execute_with(|| {
		run_to_block(opened_in);
		System::set_parent_hash(H256::from_low_u64_be(parent));
		assert_ok!(Attestations::open_round(subject(1), &CLAIMANT, output(1)));
		System::set_block_number(opened_in + 1);
		opg_primitives::randomness::set_test_randomness(Some([randomness; 32]));
		Attestations::on_initialize(opened_in + 1);
		committee = committee_of(subject(1));
	});
	committee
}

#[test]
fn the_committee_depends_on_the_draw_blocks_randomness_only() {
	// Different randomness in the drawing block, different committees: whoever opens a round
	// cannot see its committee coming.
	let committees: Vec<_> = (0..8).map(|randomness| committee_drawn(1, 1, randomness)).collect();
	assert!(committees.iter().all(|c| c.len() == 5));
	assert!(committees.windows(2).any(|pair| pair[0] != pair[1]));
	// Given the drawing block's randomness, the committee is the same whichever block the
	// answer landed in and whatever that block's hash (an author re-signing its block, or a
	// node holding its answer for a later block, changes nothing).
	for (opened_in, parent) in [(1, 7), (3, 1), (5, 99)] {
		assert_eq!(committee_drawn(opened_in, parent, 3), committees[3], "opened in {opened_in}");
	}
}

#[test]
fn a_commitment_from_an_earlier_round_of_the_subject_is_void() {
	network().build_and_execute(|| {
		let committee = open_round();
		let member = committee[0];
		let old = commit_call(subject(1), member, output(1));
		for member in &committee {
			assert_ok!(commit(subject(1), *member, output(1)));
		}
		for member in &committee {
			assert_ok!(reveal(subject(1), *member, output(1)));
		}
		// The subject is reopened later: the old signed commitment does not replay into it.
		run_to_block(20);
		assert_ok!(Attestations::open_round(subject(1), &CLAIMANT, output(1)));
		run_to_block(21);
		if committee_of(subject(1)).contains(&member) {
			let Call::commit { subject, member, commitment, signature } = old else {
				unreachable!()
			};
			assert_noop!(
				Attestations::commit(authorized(), subject, member, commitment, signature),
				Error::<Test>::BadSignature
			);
		}
		// Drop the second round's work so try_state sees it end.
		run_to_block(40);
	});
}
