//! Governance of the round parameters, and the longest work they allow.

// Tests may panic: a panic is a failed test.
#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects,
	clippy::panic
)]

use super::*;
use frame_support::{assert_noop, traits::Get};
use sp_runtime::{DispatchError, Perbill};

#[test]
fn set_parameter_changes_one_parameter_within_its_bounds() {
	network().build_and_execute(|| {
		use ParameterChange::*;
		assert_noop!(
			Attestations::set_parameter(signed(1), CommitteeSize(3)),
			DispatchError::BadOrigin
		);
		assert_ok!(Attestations::set_parameter(RuntimeOrigin::root(), CommitteeSize(3)));
		let parameters = Parameters { committee_size: 3, ..test_parameters() };
		System::assert_last_event(
			Event::ParametersChanged { parameters: parameters.clone() }.into(),
		);
		assert_eq!(ActiveParameters::<Test>::get(), parameters);
		// A second change keeps the first: each referendum changes only its own parameter.
		assert_ok!(Attestations::set_parameter(RuntimeOrigin::root(), ChallengeBond(300)));
		assert_eq!(
			ActiveParameters::<Test>::get(),
			Parameters { committee_size: 3, challenge_bond: 300, ..test_parameters() }
		);
		// The bounds are inclusive.
		assert_ok!(Attestations::set_parameter(RuntimeOrigin::root(), ChallengeBond(10_000)));
		assert_ok!(Attestations::set_parameter(RuntimeOrigin::root(), CommitteeSize(7)));
		assert_ok!(Attestations::set_parameter(RuntimeOrigin::root(), ChallengeBond(200)));
		assert_ok!(Attestations::set_parameter(RuntimeOrigin::root(), DisputeFee(200)));
		assert_ok!(Attestations::set_parameter(RuntimeOrigin::root(), DisputeFee(50)));
		let refused = [
			// Outside the runtime's bounds.
			ChallengeBond(10_001),
			MinoritySlash(Perbill::from_percent(51)),
			FalseClaimSlash(Perbill::from_percent(100)),
			Quorum(Perbill::from_percent(50)),
			CommitteeSize(0),
			CommitteeSize(8),
			ChallengeBond(0),
			CommitPeriod(0),
			ChallengeWindow(1_001),
			// Silence no dearer than a minority reveal.
			NoRevealSlash(Perbill::from_percent(20)),
			MinoritySlash(Perbill::from_percent(30)),
			// A dispute fee larger than the bond that pays it.
			DisputeFee(201),
			// A verdict nobody has time to appeal, or out of bounds.
			AppealWindow(0),
			AppealWindow(1_001),
		];
		for change in refused {
			assert_noop!(
				Attestations::set_parameter(RuntimeOrigin::root(), change),
				Error::<Test>::ParametersOutOfBounds
			);
		}
		assert_eq!(test_parameters().votes_needed(5), 3);
		assert_eq!(test_parameters().votes_needed(4), 3);
		assert_eq!(
			Parameters { quorum: Perbill::from_percent(67), ..test_parameters() }.votes_needed(3),
			3
		);
	});
}

#[test]
fn set_parameter_refuses_work_that_outlasts_the_unbonding_period() {
	network().build_and_execute(|| {
		use ParameterChange::*;
		// 10 + 5 + 5 blocks, an appeal window of 5, an appeal's 5 + 5, and 98 of slack for
		// moved deadlines: 133 of the 150.
		assert_eq!(test_parameters().longest_work(), 133);
		// Inside the bounds, but a claim's appealed dispute would outlast a bond's unbonding:
		// the last window that fits is 26 (149 blocks), and so on for each period.
		assert_ok!(Attestations::set_parameter(RuntimeOrigin::root(), ChallengeWindow(26)));
		assert_eq!(ActiveParameters::<Test>::get().longest_work(), UNBONDING_PERIOD - 1);
		for change in [ChallengeWindow(27), CommitPeriod(6), RevealPeriod(6), AppealWindow(6)] {
			assert_noop!(
				Attestations::set_parameter(RuntimeOrigin::root(), change),
				Error::<Test>::ParametersOutOfBounds
			);
		}
		// Shortening one period makes room in another (a round's periods count twice: the
		// dispute's and the appeal's).
		assert_ok!(Attestations::set_parameter(RuntimeOrigin::root(), ChallengeWindow(24)));
		assert_ok!(Attestations::set_parameter(RuntimeOrigin::root(), RevealPeriod(6)));
		assert!(Attestations::check_parameters(&ActiveParameters::<Test>::get()).is_ok());
	});
}

#[test]
fn longest_work_follows_the_active_parameters() {
	network().build_and_execute(|| {
		assert_eq!(LongestWork::<Test>::get(), 133);
		assert_eq!(LongestWork::<Test>::get(), test_parameters().longest_work());
		assert!(LongestWork::<Test>::get() < UNBONDING_PERIOD);
		assert_ok!(Attestations::set_parameter(
			RuntimeOrigin::root(),
			ParameterChange::CommitPeriod(2)
		));
		assert_eq!(LongestWork::<Test>::get(), 127);
		assert_ok!(Attestations::set_parameter(
			RuntimeOrigin::root(),
			ParameterChange::ChallengeWindow(1)
		));
		// A claim's window, a draw a block later and the two periods, the appeal window, an
		// appeal's draw a block later and its two periods, and the six deadlines each moved up
		// to DEADLINE_SEARCH blocks.
		assert_eq!(
			LongestWork::<Test>::get(),
			1 + 2 * (2 + 5) + 5 + 6 * DEADLINE_SEARCH as u64 + 2
		);
	});
}

#[test]
fn a_round_not_yet_drawn_takes_the_parameters_in_force_at_its_draw() {
	network().build_and_execute(|| {
		assert_ok!(open_round_on(1, output(1)));
		assert_ok!(Attestations::set_parameter(
			RuntimeOrigin::root(),
			ParameterChange::CommitteeSize(3)
		));
		run_to_block(2);
		let round = Rounds::<Test>::get(subject(1)).unwrap();
		assert_eq!((round.committee.len(), round.votes_needed), (3, 2));
		// A drawn round keeps its deadlines and quorum.
		assert_ok!(Attestations::set_parameter(
			RuntimeOrigin::root(),
			ParameterChange::RevealPeriod(1)
		));
		assert_ok!(Attestations::set_parameter(
			RuntimeOrigin::root(),
			ParameterChange::Quorum(Perbill::one())
		));
		let drawn = Rounds::<Test>::get(subject(1)).unwrap();
		assert_eq!((drawn.votes_needed, drawn.reveal_deadline), (2, 12));
		run_to_block(12);
		assert!(Rounds::<Test>::get(subject(1)).is_none());
	});
}

#[test]
fn parameters_refuse_silence_cheaper_than_a_minority_reveal_and_a_fee_above_the_bond() {
	let parameters = test_parameters();
	assert_eq!(parameters.check(7, UNBONDING_PERIOD), Ok(()));
	for no_reveal in [0, 10, 20] {
		let cheap =
			Parameters { no_reveal_slash: Perbill::from_percent(no_reveal), ..parameters.clone() };
		assert_eq!(cheap.check(7, UNBONDING_PERIOD), Err(ParameterError::SilenceCheaper));
	}
	let fee = Parameters { dispute_fee: 201, ..parameters };
	assert_eq!(fee.check(7, UNBONDING_PERIOD), Err(ParameterError::ZeroBond));
}

#[test]
fn genesis_sets_the_parameters_and_the_integrity_test_passes() {
	network().build_and_execute(|| {
		assert_eq!(ActiveParameters::<Test>::get(), test_parameters());
		assert!(Attestations::check_parameters(&test_parameters()).is_ok());
		<Attestations as frame_support::traits::Hooks<u64>>::integrity_test();
	});
}
