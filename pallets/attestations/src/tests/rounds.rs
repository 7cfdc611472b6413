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
use frame_support::{assert_noop, pallet_prelude::InvalidTransaction, traits::Hooks};
use opg_primitives::attestation::Conclusion;
use sp_runtime::Perbill;

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
		// Everyone committed: the claimant reveals beside the committee.
		assert_ok!(reveal(subject(1), CLAIMANT, output(1)));
		System::assert_last_event(
			Event::Revealed { subject: subject(1), member: CLAIMANT, output: output_hash(1) }
				.into(),
		);
		for member in honest {
			assert_ok!(reveal(subject(1), *member, output(1)));
			System::assert_last_event(
				Event::Revealed { subject: subject(1), member: *member, output: output_hash(1) }
					.into(),
			);
		}
		assert_ok!(reveal(subject(1), liar, output(9)));
		assert!(Concluded::get().is_empty());
		run_to_block(12);

		// The liar loses a fifth of its bond (200), the silent one 30% (300): 500. Half of it
		// goes to the three honest members (83 each, 249), the rest and the dust (251) to the
		// treasury.
		assert_eq!(bond(liar), 800);
		assert_eq!(bond(silent), 700);
		for member in honest {
			assert_eq!(bond(*member), BOND);
			assert_eq!(free(*member), INITIAL_BALANCE - BOND + 83);
		}
		assert_eq!(free(liar), INITIAL_BALANCE - BOND);
		assert_eq!(free(silent), INITIAL_BALANCE - BOND);
		assert_eq!(free(TREASURY), 1 + 251);
		assert_eq!(bond(CLAIMANT), BOND);
		assert_eq!(total_issuance(), issuance);
		// The registry slashed the members' bonds (and says so in its own events).
		let slashes = MockRegistry::slashes();
		for expected in
			[(liar, 200, SlashReason::MinorityReveal), (silent, 300, SlashReason::NoReveal)]
		{
			assert!(slashes.contains(&expected), "missing slash {expected:?}");
		}
		assert_eq!(slashes.len(), 2);
		let events = events();
		assert!(!events.iter().any(|event| matches!(event, Event::Slashed { .. })));
		let claim = claimant_commitment(1, output(1));
		assert!(events.contains(&Event::RoundDecided {
			subject: subject(1),
			kind: RoundKind::Verification,
			claim,
			decided: output_hash(1),
			claim_upheld: true,
		}));
		for member in honest {
			assert!(events.contains(&Event::Rewarded { who: *member, amount: 83 }));
		}
		assert_eq!(
			Concluded::get(),
			vec![(
				subject(1),
				Conclusion::Decided {
					kind: RoundKind::Verification,
					claimant: CLAIMANT,
					claim,
					claim_upheld: true,
					decided: output_hash(1),
					output: Some(output(1)),
					majority: honest.to_vec(),
				}
			)]
		);
		assert!(Concluded::get()[0].1.upheld());
		assert!(Rounds::<Test>::get(subject(1)).is_none());
		// The revealed outputs are kept only for the round.
		assert_eq!(RevealedOutputs::<Test>::iter().count(), 0);
		assert!(MockNodes::iter().all(|(_, node)| node.open_work == 0));
		assert_eq!(MockRegistry::reputation(liar).failed, 1);
		assert_eq!(MockRegistry::reputation(liar).slashed, 200);
		assert_eq!(MockRegistry::reputation(silent).failed, 1);
		assert_eq!(MockRegistry::reputation(honest[0]).completed, 1);
		assert_eq!(MockRegistry::reputation(CLAIMANT).completed, 1);
		// The slashed weigh less in the next selection: what the registry weighs is the bond.
		assert_eq!(MockRegistry::bond(liar), 800);
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
		// The committee has revealed, the claimant not yet: the round waits for it.
		assert!(Rounds::<Test>::get(subject(1)).is_some());
		assert_ok!(reveal(subject(1), CLAIMANT, output(1)));
		// The last reveal decided the round at once.
		assert!(Rounds::<Test>::get(subject(1)).is_none());
		assert!(Deadlines::<Test>::get(12).is_empty());
		// The claimant loses 500; 250 goes to the five (50 each), 250 to the treasury.
		assert_eq!(bond(CLAIMANT), 500);
		assert_eq!(MockRegistry::slashes(), vec![(CLAIMANT, 500, SlashReason::FalseClaim)]);
		for member in &committee {
			assert_eq!(free(*member), INITIAL_BALANCE - BOND + 50);
		}
		assert_eq!(free(TREASURY), 1 + 250);
		assert_eq!(total_issuance(), issuance);
		let conclusion = &Concluded::get()[0].1;
		assert!(!conclusion.upheld());
		// The consumer gets no output of an overturned claim.
		assert!(matches!(
			conclusion,
			Conclusion::Decided { claim_upheld: false, output: None, decided, .. }
				if *decided == output_hash(7)
		));
		assert_eq!(MockRegistry::reputation(CLAIMANT).failed, 1);
	});
}

#[test]
fn a_claimant_that_does_not_reveal_loses_what_a_false_claim_loses() {
	network().build_and_execute(|| {
		let committee = open_round();
		for member in &committee {
			assert_ok!(commit(subject(1), *member, output(1)));
		}
		for member in &committee {
			assert_ok!(reveal(subject(1), *member, output(1)));
		}
		// The committee agrees on the claimant's output, but the claimant never opens its
		// commitment: the round waits for it until the deadline.
		assert!(Rounds::<Test>::get(subject(1)).is_some());
		run_to_block(12);
		// It loses the larger of a false claim's and a silent member's slash (50% and 30%).
		assert_eq!(MockRegistry::slashes(), vec![(CLAIMANT, 500, SlashReason::NoReveal)]);
		for member in &committee {
			assert_eq!(free(*member), INITIAL_BALANCE - BOND + 50);
		}
		assert!(matches!(
			&Concluded::get()[0].1,
			Conclusion::Decided { claim_upheld: false, output: None, .. }
		));
		assert_eq!(MockRegistry::reputation(CLAIMANT).failed, 1);
	});
}

#[test]
fn a_split_round_ends_undecided() {
	network().build_and_execute(|| {
		let committee = open_round();
		// Two members reveal 1, two reveal 5: outputs too far apart to agree, and no group
		// reaches three.
		let split = |i: usize| if i.is_multiple_of(2) { output(1) } else { output(5) };
		for (i, member) in committee.iter().enumerate().take(4) {
			assert_ok!(commit(subject(1), *member, split(i)));
		}
		run_to_block(7);
		assert_ok!(reveal(subject(1), CLAIMANT, output(1)));
		for (i, member) in committee.iter().enumerate().take(4) {
			assert_ok!(reveal(subject(1), *member, split(i)));
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
		// Only the one that never committed is slashed; its 300 pays the four revealers 37
		// each and the treasury 152.
		assert_eq!(bond(committee[4]), 700);
		assert_eq!(MockRegistry::slashes(), vec![(committee[4], 300, SlashReason::NoReveal)]);
		assert_eq!(bond(CLAIMANT), BOND);
		for member in &committee[..4] {
			assert_eq!(free(*member), INITIAL_BALANCE - BOND + 37);
		}
		assert_eq!(free(TREASURY), 1 + 152);
		assert!(matches!(Concluded::get()[0].1, Conclusion::Undecided { .. }));
		assert!(!Concluded::get()[0].1.upheld());
	});
}

#[test]
fn the_registry_hears_each_members_outcome_and_none_for_an_undecided_round() {
	network().build_and_execute(|| {
		// Decided: the revealers of the decided output succeeded, the liar and the silent one
		// failed, and so did the claimant whose claim the round overturned.
		let committee = open_round();
		let (honest, liar, silent) = (&committee[..3], committee[3], committee[4]);
		let out = |member: AccountId| if member == liar { output(1) } else { output(5) };
		for member in &committee[..4] {
			assert_ok!(commit(subject(1), *member, out(*member)));
		}
		run_to_block(7);
		assert_ok!(reveal(subject(1), CLAIMANT, output(1)));
		for member in &committee[..4] {
			assert_ok!(reveal(subject(1), *member, out(*member)));
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
		assert_ok!(open_round_on(2, output(1)));
		run_to_block(13);
		let committee = committee_of(subject(2));
		let split = |i: usize| if i.is_multiple_of(2) { output(1) } else { output(5) };
		for (i, member) in committee.iter().enumerate().take(4) {
			assert_ok!(commit(subject(2), *member, split(i)));
		}
		run_to_block(18);
		assert_ok!(reveal(subject(2), CLAIMANT, output(1)));
		for (i, member) in committee.iter().enumerate().take(4) {
			assert_ok!(reveal(subject(2), *member, split(i)));
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

		// Undecided for want of a committee: the claimant alone, with no outcome (it could not
		// reveal, so it is not slashed for silence).
		WorkEnded::kill();
		for who in 2..=4 {
			MockRegistry::chill(who);
		}
		let slashes = MockRegistry::slashes().len();
		assert_ok!(open_round_on(3, output(1)));
		run_to_block(24);
		assert_eq!(MockRegistry::work_ended(), vec![(CLAIMANT, None)]);
		assert_eq!(MockRegistry::slashes().len(), slashes);
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
		// The claimant's commitment is its claim: it does not commit again.
		assert_noop!(commit(subject(1), CLAIMANT, output(1)), Error::<Test>::NotCommitteeMember);
		let member = committee[0];
		// Signed by another member's key.
		let commitment = commitment(subject(1), member, &output(1));
		let wrong = sign_commit(committee[1], subject(1), member, round_of(subject(1)), commitment);
		assert_noop!(
			Attestations::commit(authorized(), subject(1), member, commitment, wrong.clone()),
			Error::<Test>::BadSignature
		);
		assert_eq!(
			authorize(Call::<Test>::commit {
				subject: subject(1),
				member,
				commitment,
				signature: wrong
			}),
			Err(InvalidTransaction::BadProof.into())
		);
		assert_ok!(authorize(commit_call(subject(1), member, output(1))));
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
			authorize(commit_call(subject(1), member, output(1))),
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
		// The claimant waits for the committee too: nobody reveals before every member
		// committed or the commit phase ended.
		assert_noop!(reveal(subject(1), CLAIMANT, output(1)), Error::<Test>::RevealPhaseNotOpen);
		run_to_block(7);
		// A different output, or the right output with a wrong salt.
		assert_noop!(reveal(subject(1), member, output(2)), Error::<Test>::CommitmentMismatch);
		assert_noop!(
			reveal_salted(subject(1), member, &output(1), [0xEE; 32]),
			Error::<Test>::CommitmentMismatch
		);
		// The claimant is held to its commitment in the same way.
		assert_noop!(reveal(subject(1), CLAIMANT, output(2)), Error::<Test>::CommitmentMismatch);
		// Signed by someone else.
		let salt = salt(member);
		let wrong = sign_reveal(other, subject(1), member, round_of(subject(1)), &output(1), salt);
		assert_noop!(
			Attestations::reveal(
				authorized(),
				subject(1),
				member,
				bounded(&output(1)),
				salt,
				wrong
			)
			.map_err(|e| e.error),
			Error::<Test>::BadSignature
		);
		assert_ok!(reveal(subject(1), member, output(1)));
		assert_noop!(reveal(subject(1), member, output(1)), Error::<Test>::AlreadyRevealed);
		assert_ok!(reveal(subject(1), CLAIMANT, output(1)));
		assert_noop!(reveal(subject(1), CLAIMANT, output(1)), Error::<Test>::AlreadyRevealed);
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
		assert_noop!(reveal(subject(1), CLAIMANT, output(1)), Error::<Test>::RevealPhaseOver);
		let mut round = Rounds::<Test>::get(subject(1)).unwrap();
		round.reveal_deadline = 12;
		Rounds::<Test>::insert(subject(1), round);
	});
}

#[test]
fn a_round_needs_a_free_subject_and_enough_verifiers() {
	network().build_and_execute(|| {
		open_round();
		assert_noop!(open_round_on(1, output(1)), Error::<Test>::SubjectInUse);
		assert_noop!(
			Attestations::open_claim(subject(1), &CLAIMANT, output_hash(1), context(1)),
			Error::<Test>::SubjectInUse
		);
		assert_noop!(
			Attestations::open_round(
				subject(3),
				&42,
				claimant_commitment(3, output(1)),
				context(3)
			),
			Error::<Test>::NotRegistered
		);
	});
}

#[test]
fn a_leaving_or_unknown_claimant_opens_no_claim_or_round() {
	network().build_and_execute(|| {
		assert_ok!(open_claim_on(1, CLAIMANT, output(1)));
		// The registry refuses to let a node with open work leave.
		assert!(MockRegistry::leave(CLAIMANT).is_err());
		run_to_block(11);
		assert_ok!(MockRegistry::leave(CLAIMANT));
		// A leaving node takes no new work: its bond is on its way out.
		assert_noop!(
			Attestations::open_claim(subject(2), &CLAIMANT, output_hash(1), context(2)),
			Error::<Test>::NodeLeaving
		);
		assert_noop!(open_round_on(3, output(1)), Error::<Test>::NodeLeaving);
		assert_noop!(
			Attestations::open_claim(subject(2), &42, output_hash(1), context(2)),
			Error::<Test>::NotRegistered
		);
		assert_eq!(MockRegistry::open_work(CLAIMANT), 0);
	});
}

#[test]
fn the_runtime_api_shows_a_round_and_its_progress() {
	network().build_and_execute(|| {
		assert_eq!(Attestations::round_view(subject(1)), None);
		let committee = challenged_claim();
		let members = |committed: &[AccountId]| {
			committee
				.iter()
				.map(|member| CommitteeMember {
					account: *member,
					commitment: committed
						.contains(member)
						.then(|| commitment(subject(1), *member, &output(1))),
					revealed: None,
					agrees: 0,
				})
				.collect::<Vec<_>>()
		};
		let view = RoundView {
			origin: RoundOrigin::Dispute { challenger: 2, bond: 200 },
			claimant: CLAIMANT,
			claim: output_hash(1),
			context: context(1),
			// A dispute's claimed output is public: it is the claimant's reveal from the start.
			claimant_output: Some(output_hash(1)),
			committee: members(&[]),
			draw_at: 2,
			votes_needed: 3,
			opened_at: 1,
			commit_deadline: 7,
			reveal_deadline: 12,
			verdict: None,
			appellant: None,
			audit: AuditStage::None,
		};
		assert_eq!(Attestations::round_view(subject(1)), Some(view.clone()));
		assert_ok!(commit(subject(1), committee[0], output(1)));
		assert_eq!(
			Attestations::round_view(subject(1)),
			Some(RoundView { committee: members(&committee[..1]), ..view.clone() })
		);
		// Reveals fill in the agreement sets: one bit per position whose output each agrees
		// with (its own included).
		assert_ok!(commit(subject(1), committee[1], output(9)));
		for member in &committee[2..] {
			assert_ok!(commit(subject(1), *member, output(1)));
		}
		assert_ok!(reveal(subject(1), committee[0], output(1)));
		assert_ok!(reveal(subject(1), committee[1], output(9)));
		let mut expected = members(&committee);
		expected[0].revealed = Some(output_hash(1));
		expected[0].agrees = 0b01;
		expected[1].commitment = Some(commitment(subject(1), committee[1], &output(9)));
		expected[1].revealed = Some(output_hash(9));
		expected[1].agrees = 0b10;
		assert_eq!(
			Attestations::round_view(subject(1)),
			Some(RoundView { committee: expected, ..view })
		);
		run_to_block(12);
		assert_eq!(Attestations::round_view(subject(1)), None);
		assert_eq!(Attestations::committee(subject(1)), None);
	});
}

#[test]
fn the_runtime_api_shows_a_round_before_its_draw() {
	network().build_and_execute(|| {
		assert_ok!(open_round_on(1, output(1)));
		assert_eq!(
			Attestations::round_view(subject(1)),
			Some(RoundView {
				origin: RoundOrigin::Verification,
				claimant: CLAIMANT,
				claim: claimant_commitment(1, output(1)),
				context: context(1),
				claimant_output: None,
				committee: Vec::new(),
				draw_at: 2,
				votes_needed: 0,
				opened_at: 1,
				commit_deadline: 0,
				reveal_deadline: 0,
				verdict: None,
				appellant: None,
				audit: AuditStage::None,
			})
		);
		run_to_block(12);
	});
}

// ---- Fixes from review: committees drawn later, replays ----

#[test]
fn too_few_verifiers_at_the_draw_end_the_round_undecided() {
	network().build_and_execute(|| {
		assert_ok!(open_round_on(2, output(1)));
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
		// The claimant had nobody to reveal to: it is not slashed for silence.
		assert!(MockRegistry::slashes().is_empty());
	});
}

/// The committee of `subject(1)`'s round opened in block `opened_in` (its parent hash
/// `parent`) and drawn in the next block, whose randomness is `randomness`.
fn committee_drawn(opened_in: u64, parent: u64, randomness: u8) -> Vec<AccountId> {
	let mut committee = Vec::new();
	network().build().execute_with(|| {
		run_to_block(opened_in);
		System::set_parent_hash(H256::from_low_u64_be(parent));
		assert_ok!(open_round_on(1, output(1)));
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
		assert_ok!(reveal(subject(1), CLAIMANT, output(1)));
		for member in &committee {
			assert_ok!(reveal(subject(1), *member, output(1)));
		}
		// The subject is reopened later, with the same claim and context: the old signed
		// commitment does not replay into it.
		run_to_block(20);
		assert_ok!(open_round_on(1, output(1)));
		run_to_block(21);
		if committee_of(subject(1)).contains(&member) {
			assert_noop!(dispatch(old), Error::<Test>::BadSignature);
		}
		// Let the second round end so try_state sees it gone.
		run_to_block(40);
	});
}

// ---- Attacks (issue 34): lazy verifiers, tolerance, withholding, binding, bad input ----

/// Whether `needle` is anywhere in storage, keys or values (events included).
fn on_chain(needle: &[u8]) -> bool {
	let holds = |bytes: &[u8]| bytes.windows(needle.len()).any(|window| window == needle);
	let mut key = Vec::new();
	while let Some(next) = sp_io::storage::next_key(&key) {
		if holds(&next) || sp_io::storage::get(&next).is_some_and(|value| holds(&value)) {
			return true;
		}
		key = next;
	}
	false
}

/// Attack: a lazy verifier reads the node's answer on chain and commits to it without running
/// the model. In a verification round the node's answer is only its commitment (a salted hash
/// that names the node and the request): neither the output nor its hash is in storage or in an
/// event until the node reveals, and it can reveal only once the committee has committed.
#[test]
fn nothing_of_the_claimants_output_is_on_chain_before_it_reveals() {
	network().build_and_execute(|| {
		let answer = b"the node's answer, 32 bytes long".to_vec();
		let committee = open_round_claiming(&answer);
		let round = Rounds::<Test>::get(subject(1)).unwrap();
		assert_eq!(round.claim, claimant_commitment(1, &answer));
		assert_eq!(round.claimant_output, None);
		let hidden = |what: &str| {
			assert!(!on_chain(&answer), "the output is on chain {what}");
			assert!(!on_chain(revealed_hash(&answer).as_bytes()), "its hash is on chain {what}");
			assert_eq!(RevealedOutputs::<Test>::iter_prefix(subject(1)).count(), 0);
		};
		hidden("after the draw");
		// The claimant cannot show its output before the committee is bound.
		assert_noop!(reveal(subject(1), CLAIMANT, &answer), Error::<Test>::RevealPhaseNotOpen);
		for member in &committee[..4] {
			assert_ok!(commit(subject(1), *member, &answer));
		}
		hidden("while members commit");
		assert_noop!(reveal(subject(1), CLAIMANT, &answer), Error::<Test>::RevealPhaseNotOpen);
		assert_ok!(commit(subject(1), committee[4], &answer));
		hidden("once every member committed");
		// Now the claimant reveals: its output is on chain, too late for any commitment.
		assert_ok!(reveal(subject(1), CLAIMANT, &answer));
		assert!(on_chain(&answer) && on_chain(revealed_hash(&answer).as_bytes()));
		assert_eq!(
			RevealedOutputs::<Test>::get(subject(1), CLAIMANT_POSITION).map(|o| o.into_inner()),
			Some(answer.clone())
		);
		for member in &committee {
			assert_ok!(reveal(subject(1), *member, &answer));
		}
		assert!(matches!(
			&Concluded::get()[0].1,
			Conclusion::Decided { claim_upheld: true, output: Some(out), .. } if *out == answer
		));
		// The outputs were kept only for the round.
		assert_eq!(RevealedOutputs::<Test>::iter().count(), 0);
	});
}

/// Attack: lazy verifiers that never run the model. One copies the only thing it can see, the
/// claimant's commitment, as its own; another commits to a guess. Neither can reveal the
/// claimant's output once it is public (a commitment names its member's account and salt), so
/// the copier ends silent and the guesser in the minority: both are slashed and unpaid, and the
/// members that re-executed are paid from them.
#[test]
fn lazy_verifiers_that_commit_without_executing_are_slashed_and_unpaid() {
	network().build_and_execute(|| {
		let committee = open_round();
		let (honest, copier, guesser) = (&committee[..3], committee[3], committee[4]);
		let claim = Rounds::<Test>::get(subject(1)).unwrap().claim;
		for member in honest {
			assert_ok!(commit(subject(1), *member, output(1)));
		}
		assert_ok!(commit_to(subject(1), copier, claim));
		assert_ok!(commit(subject(1), guesser, output(40)));
		// Everyone committed: the claimant reveals its output and salt for all to see.
		assert_ok!(reveal(subject(1), CLAIMANT, output(1)));
		// The copier knows both now, and still cannot open the commitment it copied: it names
		// the claimant. Nor does its own salt open it.
		assert_noop!(
			reveal_salted(subject(1), copier, &output(1), salt(CLAIMANT)),
			Error::<Test>::CommitmentMismatch
		);
		assert_noop!(reveal(subject(1), copier, output(1)), Error::<Test>::CommitmentMismatch);
		for member in honest {
			assert_ok!(reveal(subject(1), *member, output(1)));
		}
		assert_ok!(reveal(subject(1), guesser, output(40)));
		run_to_block(12);
		// The copier is silent (300), the guesser in the minority (200); the three that ran
		// the model share half of the 500 (83 each).
		let slashes = MockRegistry::slashes();
		assert_eq!(slashes.len(), 2);
		assert!(slashes.contains(&(copier, 300, SlashReason::NoReveal)));
		assert!(slashes.contains(&(guesser, 200, SlashReason::MinorityReveal)));
		for lazy in [copier, guesser] {
			assert_eq!(free(lazy), INITIAL_BALANCE - BOND, "a lazy member is unpaid");
			assert_eq!(MockRegistry::reputation(lazy).failed, 1);
		}
		for member in honest {
			assert_eq!(free(*member), INITIAL_BALANCE - BOND + 83);
			assert_eq!(bond(*member), BOND);
			assert_eq!(MockRegistry::reputation(*member).completed, 1);
		}
		assert!(matches!(
			&Concluded::get()[0].1,
			Conclusion::Decided { claim_upheld: true, majority, .. } if majority == honest
		));
	});
}

/// Attack: a wrong claim about a float model, whose honest outputs differ in the last bits. The
/// members' outputs differ from each other but agree within the tolerance (10, 11, 10, 11,
/// 10): they form one group that rejects the claimant's 50, so the round decides against the
/// claim (it does not end undecided with a refund) and the claimant is slashed.
#[test]
fn a_wrong_claim_is_rejected_by_members_agreeing_within_tolerance() {
	network().build_and_execute(|| {
		let committee = open_round_claiming(output(50));
		let honest = |i: usize| output(10 + (i % 2) as u8);
		for (i, member) in committee.iter().enumerate() {
			assert_ok!(commit(subject(1), *member, honest(i)));
		}
		for (i, member) in committee.iter().enumerate() {
			assert_ok!(reveal(subject(1), *member, honest(i)));
		}
		// Every member's output agrees with every other's: one group of five.
		let round = Rounds::<Test>::get(subject(1)).unwrap();
		assert!(round.committee.iter().all(|member| member.agrees == 0b11111));
		assert_eq!(round.decided_position(), Some(0));
		assert_ok!(reveal(subject(1), CLAIMANT, output(50)));
		let claim = claimant_commitment(1, output(50));
		assert_eq!(
			Concluded::get(),
			vec![(
				subject(1),
				Conclusion::Decided {
					kind: RoundKind::Verification,
					claimant: CLAIMANT,
					claim,
					claim_upheld: false,
					decided: output_hash(10),
					output: None,
					majority: committee.clone(),
				}
			)]
		);
		System::assert_has_event(
			Event::RoundDecided {
				subject: subject(1),
				kind: RoundKind::Verification,
				claim,
				decided: output_hash(10),
				claim_upheld: false,
			}
			.into(),
		);
		// The claimant alone is slashed, and every member is paid.
		assert_eq!(MockRegistry::slashes(), vec![(CLAIMANT, 500, SlashReason::FalseClaim)]);
		for member in &committee {
			assert_eq!(free(*member), INITIAL_BALANCE - BOND + 50);
			assert_eq!(bond(*member), BOND);
		}
	});
}

/// Attack (the other side of tolerance): honest members of a right claim whose outputs differ
/// within the tolerance (20, 21, 19, 20 beside the claimant's 21) would be slashed as a
/// minority if agreement meant equality. They are all in the decided group and paid (from the
/// one member that did not reveal), none is slashed, and the claim stands with the claimant's
/// own bytes as the output.
#[test]
fn members_within_tolerance_of_a_right_claim_are_all_paid() {
	network().build_and_execute(|| {
		let committee = open_round_claiming(output(21));
		let (revealers, silent) = (&committee[..4], committee[4]);
		let outs = [output(20), output(21), output(19), output(20)];
		for (member, out) in revealers.iter().zip(&outs) {
			assert_ok!(commit(subject(1), *member, out));
		}
		run_to_block(7);
		assert_ok!(reveal(subject(1), CLAIMANT, output(21)));
		for (member, out) in revealers.iter().zip(&outs) {
			assert_ok!(reveal(subject(1), *member, out));
		}
		run_to_block(12);
		// Only the silent member lost anything; its 300 pays the four 37 each.
		assert_eq!(MockRegistry::slashes(), vec![(silent, 300, SlashReason::NoReveal)]);
		for member in revealers {
			assert_eq!(bond(*member), BOND);
			assert_eq!(free(*member), INITIAL_BALANCE - BOND + 37);
			assert_eq!(MockRegistry::reputation(*member).completed, 1);
		}
		assert_eq!(bond(CLAIMANT), BOND);
		assert_eq!(
			Concluded::get(),
			vec![(
				subject(1),
				Conclusion::Decided {
					kind: RoundKind::Verification,
					claimant: CLAIMANT,
					claim: claimant_commitment(1, output(21)),
					claim_upheld: true,
					decided: output_hash(20),
					output: Some(output(21)),
					majority: revealers.to_vec(),
				}
			)]
		);
	});
}

/// Attack: a member that sees the other reveals going against it withholds its own. Silence
/// must never be the cheap exit: a non-revealer loses more than a minority revealer (and a
/// claimant that hides its output loses at least what a false one does), and governance cannot
/// set slashes that make silence cheaper.
#[test]
fn withholding_a_reveal_costs_more_than_a_minority_reveal() {
	network().node(9, inference(), BOND).build_and_execute(|| {
		let committee = open_round();
		let (honest, minority, silent) = (&committee[..3], committee[3], committee[4]);
		for member in &committee {
			let out = if honest.contains(member) { output(1) } else { output(9) };
			assert_ok!(commit(subject(1), *member, out));
		}
		assert_ok!(reveal(subject(1), CLAIMANT, output(1)));
		for member in honest {
			assert_ok!(reveal(subject(1), *member, output(1)));
		}
		// Both see they are beaten; one reveals anyway, the other withholds.
		assert_ok!(reveal(subject(1), minority, output(9)));
		run_to_block(12);
		let (revealed_loss, withheld_loss) = (BOND - bond(minority), BOND - bond(silent));
		assert_eq!((revealed_loss, withheld_loss), (200, 300));
		assert!(withheld_loss > revealed_loss, "withholding is cheaper than revealing");

		// A claimant: one reveals a false output, another hides its output. Hiding costs no
		// less.
		let commitment_9 = commitment_of(&subject(3), &context(3), &9, &output_hash(9), &salt(9));
		assert_ok!(open_round_on(2, output(9)));
		assert_ok!(Attestations::open_round(subject(3), &9, commitment_9, context(3)));
		run_to_block(13);
		for n in [2, 3] {
			for member in committee_of(subject(n)) {
				assert_ok!(commit(subject(n), member, output(1)));
			}
		}
		assert_ok!(reveal(subject(2), CLAIMANT, output(9)));
		for n in [2, 3] {
			for member in committee_of(subject(n)) {
				assert_ok!(reveal(subject(n), member, output(1)));
			}
		}
		run_to_block(23);
		let (lying_claimant, silent_claimant) = (BOND - bond(CLAIMANT), BOND - bond(9));
		assert_eq!((lying_claimant, silent_claimant), (500, 500));
		assert!(silent_claimant >= lying_claimant, "a claimant's silence is cheaper than a lie");

		// Governance cannot make silence cheaper than a minority reveal.
		for change in [
			ParameterChange::NoRevealSlash(Perbill::from_percent(20)),
			ParameterChange::MinoritySlash(Perbill::from_percent(30)),
		] {
			assert_noop!(
				Attestations::set_parameter(RuntimeOrigin::root(), change),
				Error::<Test>::ParametersOutOfBounds
			);
		}
		let parameters = test_parameters();
		assert_eq!(
			Parameters { no_reveal_slash: parameters.minority_slash, ..parameters }
				.check(7, UNBONDING_PERIOD),
			Err(ParameterError::SilenceCheaper)
		);
	});
}

/// Attack: a reorg or a reused subject id carries a verifier's signed commitment (or reveal) for
/// one request into the round of another. Statements sign the round's claim and context, so a
/// signature over another claim or context is refused with `BadSignature`: nothing lands, and
/// the honest verifier is not slashed for an output computed for another request.
#[test]
fn a_commitment_signed_for_another_claim_or_context_is_refused() {
	// Before the reorg: the round on subject 1 checks a claim about input A.
	let mut before = None;
	network().build_and_execute(|| {
		let committee = open_round();
		before = Some((committee.clone(), commit_call(subject(1), committee[0], output(1))));
		run_to_block(12);
	});
	let (committee, old_commit) = before.unwrap();
	// After it: the same subject opened in the same block by a request about input B, with
	// another claim; the committee (drawn from the same randomness) is the same.
	network().build_and_execute(|| {
		let other_context = H256::repeat_byte(0xBB);
		let other_claim =
			commitment_of(&subject(1), &other_context, &CLAIMANT, &output_hash(1), &salt(CLAIMANT));
		assert_ok!(Attestations::open_round(subject(1), &CLAIMANT, other_claim, other_context));
		run_to_block(2);
		assert_eq!(committee_of(subject(1)), committee);
		let member = committee[0];
		assert_eq!(authorize(old_commit.clone()), Err(InvalidTransaction::BadProof.into()));
		assert_noop!(dispatch(old_commit), Error::<Test>::BadSignature);

		// The same with one of the two changed: a statement naming another claim, or another
		// context, than the round's.
		let (opened_at, claim, round_context) = round_of(subject(1));
		let commitment = commitment(subject(1), member, &output(1));
		let elsewhere = [
			(opened_at, claimant_commitment(1, output(1)), round_context),
			(opened_at, claim, context(1)),
		];
		for named in elsewhere {
			let signature = sign_commit(member, subject(1), member, named, commitment);
			assert_noop!(
				Attestations::commit(authorized(), subject(1), member, commitment, signature),
				Error::<Test>::BadSignature
			);
		}
		assert_ok!(commit(subject(1), member, output(1)));
		for other in &committee[1..] {
			assert_ok!(commit(subject(1), *other, output(1)));
		}
		// A reveal signed for another claim or context is refused in the same way.
		for named in elsewhere {
			let signature =
				sign_reveal(member, subject(1), member, named, &output(1), salt(member));
			assert_noop!(
				Attestations::reveal(
					authorized(),
					subject(1),
					member,
					bounded(&output(1)),
					salt(member),
					signature
				)
				.map_err(|e| e.error),
				Error::<Test>::BadSignature
			);
		}
		assert_ok!(reveal(subject(1), member, output(1)));
		assert!(MockRegistry::slashes().is_empty());
		run_to_block(12);
	});
}

/// Bad input gets a named error, and nothing is held or kept: a second commitment, a reveal that
/// does not match its commitment (a member's or the claimant's), a malformed output, and a
/// reveal after the phase. The pool refuses each with the same error.
#[test]
fn bad_round_input_gets_a_named_error_and_nothing_held() {
	network().build_and_execute(|| {
		let committee = open_round();
		let (member, malformed) = (committee[0], committee[1]);
		let refused = |call: Call<Test>, error: Error<Test>| {
			let index = error.encode()[0];
			assert_eq!(authorize(call.clone()), Err(InvalidTransaction::Custom(index).into()));
			assert_noop!(dispatch(call), error);
		};
		assert_ok!(commit(subject(1), member, output(1)));
		refused(commit_call(subject(1), member, output(1)), Error::<Test>::AlreadyCommitted);
		refused(commit_call(subject(1), member, output(2)), Error::<Test>::AlreadyCommitted);
		let bad = vec![MALFORMED, 1];
		assert_ok!(commit(subject(1), malformed, &bad));
		for other in &committee[2..] {
			assert_ok!(commit(subject(1), *other, output(1)));
		}
		refused(reveal_call(subject(1), member, output(2)), Error::<Test>::CommitmentMismatch);
		refused(reveal_call(subject(1), CLAIMANT, output(2)), Error::<Test>::CommitmentMismatch);
		refused(reveal_call(subject(1), malformed, &bad), Error::<Test>::InvalidOutput);
		// Nothing was kept of the refused reveals.
		let round = Rounds::<Test>::get(subject(1)).unwrap();
		assert!(round.committee.iter().all(|slot| slot.revealed.is_none()));
		assert_eq!(round.claimant_output, None);
		assert_eq!(RevealedOutputs::<Test>::iter().count(), 0);
		// The reveal deadline block, before its hook decides the round.
		System::set_block_number(12);
		refused(reveal_call(subject(1), member, output(1)), Error::<Test>::RevealPhaseOver);
		refused(reveal_call(subject(1), CLAIMANT, output(1)), Error::<Test>::RevealPhaseOver);
		Attestations::on_initialize(12);
		assert!(Rounds::<Test>::get(subject(1)).is_none());
	});
}

/// A one-sided tolerance (relative to the reference) judged one way would let one colluding
/// member reveal an output just beyond the truth that every honest output "agrees with" and so
/// carry a claim further off still. Agreement counts both ways, and the claimant needs a
/// quorum of its own: the colluder is in the minority and the claim falls.
#[test]
fn an_output_at_the_edge_of_the_tolerance_cannot_carry_a_claim_beyond_it() {
	network().build_and_execute(|| {
		let committee = open_round_claiming(output(121));
		let (honest, colluder) = (&committee[..4], committee[4]);
		for member in honest {
			assert_ok!(commit(subject(1), *member, output(100)));
		}
		assert_ok!(commit(subject(1), colluder, output(111)));
		for member in honest {
			assert_ok!(reveal(subject(1), *member, output(100)));
		}
		assert_ok!(reveal(subject(1), colluder, output(111)));
		// 100 is within a tenth of 111, but 111 is not within a tenth of 100.
		let round = Rounds::<Test>::get(subject(1)).unwrap();
		assert_eq!(round.committee[4].agrees, 0b10000, "the colluder agrees with nobody");
		assert_eq!(round.decided_position(), Some(0));
		assert_ok!(reveal(subject(1), CLAIMANT, output(121)));
		let (_, conclusion) = Concluded::get().pop().unwrap();
		assert!(!conclusion.upheld(), "{conclusion:?}");
		let slashes = MockRegistry::slashes();
		assert!(slashes.contains(&(CLAIMANT, 500, SlashReason::FalseClaim)), "{slashes:?}");
		assert!(
			slashes
				.iter()
				.any(|(who, _, reason)| *who == colluder && *reason == SlashReason::MinorityReveal),
			"{slashes:?}"
		);
	});
}
