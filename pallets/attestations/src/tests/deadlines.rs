//! Deadline lists: full blocks, the two lists' separate bounds, and the invariants over them.

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

#[test]
fn deadlines_move_to_the_next_block_with_room() {
	network().build_and_execute(|| {
		// Three claim deadlines per block in the mock (and two round deadlines).
		for n in 1..=4 {
			assert_ok!(Attestations::open_claim(subject(n), &CLAIMANT, output(n)));
		}
		assert_eq!(Claims::<Test>::get(subject(3)).unwrap().challenge_deadline, 11);
		assert_eq!(Claims::<Test>::get(subject(4)).unwrap().challenge_deadline, 12);
		ClaimQueueFill::fill(12, 12 + DEADLINE_SEARCH as u64);
		assert_noop!(
			Attestations::open_claim(subject(5), &CLAIMANT, output(5)),
			Error::<Test>::DeadlineQueueFull
		);
		ClaimQueueFill::clear(12, 12 + DEADLINE_SEARCH as u64);
		run_to_block(12);
		assert_eq!(Concluded::get().len(), 4);
	});
}

#[test]
fn round_deadlines_move_to_the_next_block_with_room() {
	network().build_and_execute(|| {
		// Two round deadlines per block: the third round opened in block 1 is drawn in block 3.
		for n in 1..=3 {
			assert_ok!(Attestations::open_round(subject(n), &CLAIMANT, output(n)));
		}
		assert_eq!(Rounds::<Test>::get(subject(2)).unwrap().draw_at, 2);
		assert_eq!(Rounds::<Test>::get(subject(3)).unwrap().draw_at, 3);
		assert_eq!(Deadlines::<Test>::get(2).into_inner(), vec![subject(1), subject(2)]);
		run_to_block(3);
		assert!((1..=3).all(|n| Attestations::committee(subject(n)).is_some_and(|c| c.len() == 5)));
		// Nobody commits: every round ends at its reveal deadline.
		run_to_block(13);
		assert_eq!(Concluded::get().len(), 3);
		assert!(Rounds::<Test>::iter().next().is_none());
	});
}

#[test]
fn claims_and_rounds_have_deadline_lists_of_their_own() {
	network().build_and_execute(|| {
		// Every claim list a round could use is full: the round is still scheduled, since a
		// cheap standing claim and a costly concluding round are bounded apart.
		ClaimQueueFill::fill(1, 2 + DEADLINE_SEARCH as u64);
		assert_ok!(Attestations::open_round(subject(1), &CLAIMANT, output(1)));
		assert_eq!(Deadlines::<Test>::get(2).into_inner(), vec![subject(1)]);
		assert!(!ClaimDeadlines::<Test>::get(2).contains(&subject(1)));
		ClaimQueueFill::clear(1, 2 + DEADLINE_SEARCH as u64);
		// A claim is listed only on the claim list.
		assert_ok!(Attestations::open_claim(subject(2), &CLAIMANT, output(2)));
		assert_eq!(ClaimDeadlines::<Test>::get(11).into_inner(), vec![subject(2)]);
		assert!(Deadlines::<Test>::get(11).is_empty());
		assert_ok!(Attestations::do_try_state());
	});
	// (Without the closing try_state: the filler entries are listed for no round.)
	network().build().execute_with(|| {
		// And the other way round: full round lists leave the claims' room alone.
		for at in 1..=11 + DEADLINE_SEARCH as u64 {
			while Deadlines::<Test>::try_mutate(at, |list| list.try_push(ClaimQueueFill::FILLER))
				.is_ok()
			{}
		}
		assert_noop!(
			Attestations::open_round(subject(1), &CLAIMANT, output(1)),
			Error::<Test>::DeadlineQueueFull
		);
		assert_ok!(Attestations::open_claim(subject(2), &CLAIMANT, output(2)));
		assert_eq!(ClaimDeadlines::<Test>::get(11).into_inner(), vec![subject(2)]);
	});
}

// ---- Invariants ----

#[test]
fn try_state_catches_a_past_or_unscheduled_deadline() {
	network().build().execute_with(|| {
		open_round();
		Deadlines::<Test>::remove(12);
		assert!(Attestations::do_try_state().is_err());
	});
	network().build().execute_with(|| {
		open_round();
		System::set_block_number(12);
		assert!(Attestations::do_try_state().is_err());
	});
}

#[test]
fn the_mock_registry_check_catches_uncounted_work_and_a_stray_reserve() {
	network().build().execute_with(|| {
		let committee = open_round();
		assert_ok!(MockRegistry::check());
		MockNodes::mutate(committee[0], |node| node.as_mut().unwrap().open_work = 0);
		assert!(MockRegistry::check().is_err());
	});
	network().build().execute_with(|| {
		assert_ok!(<Balances as frame_support::traits::ReservableCurrency<_>>::reserve(&2, 1));
		assert!(MockRegistry::check().is_err());
	});
}
