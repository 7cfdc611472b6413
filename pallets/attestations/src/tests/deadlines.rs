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
use opg_primitives::attestation::Conclusion;

#[test]
fn deadlines_move_to_the_next_block_with_room() {
	network().build_and_execute(|| {
		// Three claim deadlines per block in the mock (and two round deadlines).
		for n in 1..=4 {
			assert_ok!(open_claim_on(n, CLAIMANT, output(n)));
		}
		assert_eq!(Claims::<Test>::get(subject(3)).unwrap().challenge_deadline, 11);
		assert_eq!(Claims::<Test>::get(subject(4)).unwrap().challenge_deadline, 12);
		ClaimQueueFill::fill(12, 12 + DEADLINE_SEARCH as u64);
		assert_noop!(open_claim_on(5, CLAIMANT, output(5)), Error::<Test>::DeadlineQueueFull);
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
			assert_ok!(open_round_on(n, output(n)));
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
		assert_ok!(open_round_on(1, output(1)));
		assert_eq!(Deadlines::<Test>::get(2).into_inner(), vec![subject(1)]);
		assert!(!ClaimDeadlines::<Test>::get(2).contains(&subject(1)));
		ClaimQueueFill::clear(1, 2 + DEADLINE_SEARCH as u64);
		// A claim is listed only on the claim list.
		assert_ok!(open_claim_on(2, CLAIMANT, output(2)));
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
		assert_noop!(open_round_on(1, output(1)), Error::<Test>::DeadlineQueueFull);
		assert_ok!(open_claim_on(2, CLAIMANT, output(2)));
		assert_eq!(ClaimDeadlines::<Test>::get(11).into_inner(), vec![subject(2)]);
	});
}

/// Attack: attested traffic fills every round deadline list, so a challenge of a false vanilla
/// claim finds no room and the claim stands. Dispute rounds have deadline lists of their own:
/// with verification rounds filling `Deadlines` for every block a draw could move to, a
/// challenge is still accepted, and its committee drawn in the next block.
#[test]
fn a_dispute_is_drawn_while_verification_rounds_fill_their_deadline_lists() {
	network().node(9, inference(), BOND).build_and_execute(|| {
		assert_ok!(open_claim_on(1, CLAIMANT, output(1)));
		assert_ok!(open_claim_on(2, CLAIMANT, output(2)));
		// Node 9's attested jobs: verification rounds until no block has room for a draw.
		let filler = |i: u64| H256::from_low_u64_be(0x1000 + i);
		let mut opened = 0u64;
		let full = loop {
			let claim = H256::from_low_u64_be(opened);
			match Attestations::open_round(filler(opened), &9, claim, context(9)) {
				Ok(()) => opened += 1,
				Err(error) => break error,
			}
		};
		assert_eq!(full, Error::<Test>::DeadlineQueueFull.into());
		assert_eq!(opened, 2 * (u64::from(DEADLINE_SEARCH) + 1));
		for at in 2..=2 + u64::from(DEADLINE_SEARCH) {
			assert_eq!(Deadlines::<Test>::get(at).len(), 2, "block {at} has room");
		}
		// The requester's challenge still finds room, in the next block.
		assert_ok!(Attestations::challenge(signed(15), subject(1)));
		assert_eq!(DisputeDeadlines::<Test>::get(2).into_inner(), vec![subject(1)]);
		assert!(!Deadlines::<Test>::get(2).contains(&subject(1)));
		// A second dispute in the same block moves to the next one with dispute room.
		assert_ok!(Attestations::challenge(signed(16), subject(2)));
		assert_eq!(DisputeDeadlines::<Test>::get(3).into_inner(), vec![subject(2)]);
		run_to_block(2);
		let committee = committee_of(subject(1));
		assert_eq!(committee.len(), 5);
		System::assert_has_event(
			Event::CommitteeDrawn {
				subject: subject(1),
				committee: committee.clone(),
				commit_deadline: 7,
				reveal_deadline: 12,
			}
			.into(),
		);
		// And it decides: the claim falls, the challenger is paid.
		for member in &committee {
			assert_ok!(commit(subject(1), *member, output(5)));
		}
		for member in &committee {
			assert_ok!(reveal(subject(1), *member, output(5)));
		}
		settle_verdict(subject(1));
		assert!(matches!(
			&Concluded::get()[..],
			[(s, Conclusion::Decided { kind: RoundKind::Dispute, claim_upheld: false, .. })]
				if *s == subject(1)
		));
		assert_eq!(free(15), INITIAL_BALANCE - 50 + 250);
		// Let every round end so try_state sees them gone.
		run_to_block(60);
		assert!(Rounds::<Test>::iter().next().is_none());
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
		// The hook's cursor passed the round's reveal deadline (block 12) without ending it.
		open_round();
		System::set_block_number(12);
		DueFrom::<Test>::put(13);
		assert!(Attestations::do_try_state().is_err());
	});
	network().build().execute_with(|| {
		// The claim cursor passed a claim's deadline (block 11) without ending it.
		assert_ok!(open_claim_on(1, CLAIMANT, output(1)));
		System::set_block_number(11);
		ClaimsDueFrom::<Test>::put(12);
		assert!(Attestations::do_try_state().is_err());
	});
}

#[test]
fn a_backlog_of_claims_never_holds_up_a_later_blocks_rounds() {
	network().build_and_execute(|| {
		// Three claims end in block 11, each as dear as its bound, and the budget holds the
		// walk, one round and one claim at their worst: claims back up.
		for n in 1..=3 {
			assert_ok!(open_claim_on(n, CLAIMANT, output(n)));
		}
		ConclusionBound::set(Weight::from_parts(10_000_000_000, 0));
		ConclusionWeight::set(ConclusionBound::get());
		DeadlineBudget::set(
			Attestations::block_deadlines_base()
				.saturating_add(Attestations::block_claims_base())
				.saturating_add(Attestations::round_deadline_weight(RoundKind::Verification))
				.saturating_add(Attestations::claim_deadline_weight())
				.set_proof_size(u64::MAX),
		);
		run_to_block(11);
		assert!(Concluded::get().len() < 3, "some of block 11's claims wait");
		assert_eq!(ClaimsDueFrom::<Test>::get(), 11);
		// A round opened in block 11 is drawn at block 12's start, though block 11's claims
		// were not all ended: rounds walk from their own cursor, first.
		assert_ok!(open_round_on(4, output(4)));
		run_to_block(12);
		assert!(Attestations::committee(subject(4)).is_some_and(|c| c.len() == 5));
		assert_eq!(DueFrom::<Test>::get(), 13);
		// The backlog ends in later blocks, first due first.
		run_to_block(14);
		let claims = Concluded::get().iter().filter(|(s, _)| *s != subject(4)).count();
		assert_eq!(claims, 3);
		assert_eq!(ClaimsDueFrom::<Test>::get(), 15);
	});
}

#[test]
fn claims_are_refused_while_their_cursor_lags_too_far_behind() {
	network().build_and_execute(|| {
		assert!(Attestations::accepting_claims());
		// A claim due at block 11; the hook's claim cursor stays at block 11 from block 11 on
		// (as when the budget runs out), so block 11 + MAX_CLAIM_LAG - 1 leaves
		// MAX_CLAIM_LAG blocks unfinished: still taking claims.
		assert_ok!(open_claim_on(1, CLAIMANT, output(1)));
		ClaimsDueFrom::<Test>::put(11);
		let lagging = 11 + u64::from(MAX_CLAIM_LAG) - 1;
		System::set_block_number(lagging);
		assert!(Attestations::accepting_claims());
		System::set_block_number(lagging + 1);
		assert!(!Attestations::accepting_claims());
		// Once the hook ends it, claims are taken again.
		Attestations::on_initialize(lagging + 1);
		assert!(Concluded::get().len() == 1);
		assert!(Attestations::accepting_claims());
	});
	network().build_and_execute(|| {
		// A cursor behind with nothing listed where it stands is no backlog: the next hook
		// walks those blocks at their base cost (as after blocks without hooks, in benchmarks).
		System::set_block_number(100);
		assert!(Attestations::accepting_claims());
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

#[test]
fn deadlines_beyond_the_budget_wait_for_the_next_block_first_due_first() {
	network().build_and_execute(|| {
		// Three claims end in block 11 and one in block 12; the budget ends two a block.
		for n in 1..=4 {
			assert_ok!(open_claim_on(n, CLAIMANT, output(n)));
		}
		// Each conclusion takes 10 ms, far more than the walk over a block.
		ConclusionBound::set(Weight::from_parts(10_000_000_000, 0));
		ConclusionWeight::set(ConclusionBound::get());
		// (Time only: the walk's proof size is no limit here.)
		let two = Attestations::block_deadlines_base()
			.saturating_add(Attestations::block_claims_base())
			.saturating_add(Attestations::claim_deadline_weight().saturating_mul(2))
			.set_proof_size(u64::MAX);
		DeadlineBudget::set(two);
		run_to_block(11);
		let ended = || Concluded::get().iter().map(|(subject, _)| *subject).collect::<Vec<_>>();
		assert_eq!(ended(), vec![subject(1), subject(2)]);
		assert_eq!(
			ClaimsDueFrom::<Test>::get(),
			11,
			"the claim cursor waits at the block it did not finish"
		);
		assert_eq!(DueFrom::<Test>::get(), 12, "the round cursor does not wait for claims");
		// The window is over for the claims still listed: nobody may challenge them now.
		assert_noop!(
			Attestations::challenge(signed(2), subject(3)),
			Error::<Test>::ChallengeWindowOver
		);
		assert_ok!(Attestations::do_try_state());
		// Block 11's last claim ends before block 12's, then block 12's in the room left.
		run_to_block(12);
		assert_eq!(ended(), vec![subject(1), subject(2), subject(3), subject(4)]);
		assert_eq!(ClaimsDueFrom::<Test>::get(), 13);
		run_to_block(13);
		assert_eq!(ClaimsDueFrom::<Test>::get(), 14);
		assert!(ClaimDeadlines::<Test>::iter().next().is_none());
		// A hook never charges more than its budget.
		System::set_block_number(14);
		assert!(Attestations::on_initialize(14).all_lte(two));
	});
}

#[test]
fn standing_claims_are_charged_what_their_conclusion_took_keeping_room_for_the_dearest() {
	network().build_and_execute(|| {
		// Three claims end in block 11. A conclusion may take 10 ms (a refuser to slash), but
		// these take 1 µs each.
		for n in 1..=3 {
			assert_ok!(open_claim_on(n, CLAIMANT, output(n)));
		}
		run_to_block(10);
		assert!(Concluded::get().is_empty());
		ConclusionBound::set(Weight::from_parts(10_000_000_000, 0));
		ConclusionWeight::set(Weight::from_parts(1_000_000, 0));
		// (Time only: the walk's proof size is no limit here.)
		let two = Attestations::block_deadlines_base()
			.saturating_add(Attestations::block_claims_base())
			.saturating_add(Attestations::claim_deadline_weight().saturating_mul(2))
			.set_proof_size(u64::MAX);
		DeadlineBudget::set(two);
		System::set_block_number(11);
		let charged = Attestations::on_initialize(11);
		// All three end in a budget that fits two at their worst: each is charged its 1 µs,
		// and the room kept for one more at its worst is there after each.
		assert_eq!(Concluded::get().len(), 3);
		assert!(!ClaimDeadlines::<Test>::contains_key(11));
		let one = Attestations::claim_deadline_weight()
			.saturating_sub(ConclusionBound::get())
			.saturating_add(ConclusionWeight::get());
		assert_eq!(
			charged,
			Attestations::block_deadlines_base()
				.saturating_add(Attestations::block_claims_base())
				.saturating_add(one.saturating_mul(3))
		);
		assert!(charged.all_lte(two));
		// Had each taken its bound, two would have ended and the third waited.
		assert!(Attestations::claim_deadline_weight().saturating_mul(3).any_gt(two));
	});
}

#[test]
fn a_drawn_committee_is_charged_its_draw_not_the_conclusion_kept_room_for() {
	network().build_and_execute(|| {
		assert_ok!(open_round_on(1, output(1)));
		ConclusionBound::set(Weight::from_parts(10_000_000_000, 0));
		System::set_block_number(2);
		let charged = Attestations::on_initialize(2);
		assert!(Attestations::committee(subject(1)).is_some_and(|c| c.len() == 5));
		// The walks' bases and the draw of five (the mock's reads and writes are free).
		assert_eq!(
			charged,
			Attestations::block_deadlines_base()
				.saturating_add(Attestations::block_claims_base())
				.saturating_add(<() as WeightInfo>::draw_committee(5))
		);
		assert!(charged.all_lt(Attestations::round_deadline_weight(RoundKind::Verification)));
	});
}

#[test]
fn a_budget_that_fits_nothing_more_leaves_the_rounds_for_the_next_block() {
	network().build_and_execute(|| {
		for n in 1..=2 {
			assert_ok!(open_round_on(n, output(n)));
		}
		// Room for the hook's base, one round deadline at its worst case and the room kept
		// for a claim.
		DeadlineBudget::set(
			Attestations::block_deadlines_base()
				.saturating_add(Attestations::block_claims_base())
				.saturating_add(Attestations::round_deadline_weight(RoundKind::Verification))
				.saturating_add(Attestations::claim_deadline_weight()),
		);
		run_to_block(2);
		assert!(Attestations::committee(subject(1)).is_some_and(|c| c.len() == 5));
		assert_eq!(Attestations::committee(subject(2)), Some(vec![]), "drawn a block late");
		assert_eq!(Deadlines::<Test>::get(2).into_inner(), vec![subject(2)]);
		run_to_block(3);
		assert!(Attestations::committee(subject(2)).is_some_and(|c| c.len() == 5));
		assert!(!Deadlines::<Test>::contains_key(2));
		assert!(DueFrom::<Test>::get() >= 3, "block 2 is done");
	});
}

#[test]
fn the_version_1_migration_starts_the_cursor_at_the_upgrade_block() {
	use frame_support::traits::{OnRuntimeUpgrade, StorageVersion};
	network().build_and_execute(|| {
		run_to_block(5);
		StorageVersion::new(0).put::<Attestations>();
		DueFrom::<Test>::kill();
		crate::migrations::v1::MigrateV0ToV1::<Test>::on_runtime_upgrade();
		assert_eq!(DueFrom::<Test>::get(), 5);
		assert_eq!(Attestations::on_chain_storage_version(), StorageVersion::new(1));
		// Once is enough: a second run changes nothing.
		System::set_block_number(6);
		crate::migrations::v1::MigrateV0ToV1::<Test>::on_runtime_upgrade();
		assert_eq!(DueFrom::<Test>::get(), 5);
		// The hook at the upgrade block ends what is due there, as the old one did.
		Attestations::on_initialize(6);
		assert_eq!(DueFrom::<Test>::get(), 7);
		// The next version's migration brings the pallet to the code's version.
		crate::migrations::v2::MigrateV1ToV2::<Test>::on_runtime_upgrade();
	});
}

#[test]
fn the_version_2_migration_starts_the_claim_cursor_at_the_shared_one() {
	use frame_support::traits::{OnRuntimeUpgrade, StorageVersion};
	network().build_and_execute(|| {
		// A claim the old hook would end at block 11, and the shared cursor at block 6.
		assert_ok!(open_claim_on(1, CLAIMANT, output(1)));
		run_to_block(5);
		StorageVersion::new(1).put::<Attestations>();
		ClaimsDueFrom::<Test>::kill();
		crate::migrations::v2::MigrateV1ToV2::<Test>::on_runtime_upgrade();
		assert_eq!(ClaimsDueFrom::<Test>::get(), 6);
		assert_eq!(Attestations::on_chain_storage_version(), StorageVersion::new(2));
		assert_ok!(Attestations::do_try_state());
		// Once is enough: a second run changes nothing.
		ClaimsDueFrom::<Test>::put(7);
		crate::migrations::v2::MigrateV1ToV2::<Test>::on_runtime_upgrade();
		assert_eq!(ClaimsDueFrom::<Test>::get(), 7);
		ClaimsDueFrom::<Test>::put(6);
		run_to_block(11);
		assert_eq!(Concluded::get().len(), 1, "the claim stood at its deadline");
	});
}
