//! Audits (issue 34): a share of verification rounds gets a second committee, drawn after the
//! first has committed, whose output decides; the first is judged against it. What this prices:
//! a committee quorum that agrees on an output without running the model.

use super::*;
use frame_support::assert_noop;
use opg_primitives::attestation::{Conclusion, SlashReason};
use sp_runtime::Perbill;

/// Committees of three deciding with two, and `share` of the rounds audited.
fn audits(share: Perbill) {
	use ParameterChange::*;
	assert_ok!(Attestations::set_parameter(RuntimeOrigin::root(), CommitteeSize(3)));
	assert_ok!(Attestations::set_parameter(RuntimeOrigin::root(), AuditShare(share)));
}

/// Opens a verification round on subject 1 whose claimant committed to `out`, in block 1, and
/// moves to block 2, whose start draws the committee of three; returns it.
fn open_small_round(out: impl AsRef<[u8]>) -> Vec<AccountId> {
	assert_ok!(open_round_on(1, out));
	run_to_block(2);
	let committee = committee_of(subject(1));
	assert_eq!(committee.len(), 3);
	committee
}

/// Attack: a colluding quorum (two of three) commits to an output it never computed, backing a
/// claimant that lies. Unaudited, it carries the round: the lie is upheld and the one member
/// that ran the model is slashed as the minority. That is the case audits exist for.
#[test]
fn without_an_audit_a_lazy_quorum_carries_the_round() {
	network().build_and_execute(|| {
		audits(Perbill::zero());
		let committee = open_small_round(output(40));
		let (lazy, honest) = (&committee[..2], committee[2]);
		for member in lazy {
			assert_ok!(commit(subject(1), *member, output(40)));
		}
		assert_ok!(commit(subject(1), honest, output(1)));
		// No audit to wait for: reveals open at once.
		assert_eq!(Rounds::<Test>::get(subject(1)).unwrap().audit, AuditStage::None);
		assert_ok!(reveal(subject(1), CLAIMANT, output(40)));
		for member in lazy {
			assert_ok!(reveal(subject(1), *member, output(40)));
		}
		assert_ok!(reveal(subject(1), honest, output(1)));
		assert!(matches!(&Concluded::get()[0].1, Conclusion::Decided { claim_upheld: true, .. }));
		assert!(MockRegistry::slashes().contains(&(honest, 200, SlashReason::MinorityReveal)));
	});
}

/// Attack, audited: the same lazy quorum and lying claimant. Once the three have committed, the
/// audit roll (every round, here) draws three more verifiers, none of the first committee or
/// the claimant, who commit before any output is public. Their output decides: the two
/// members that answered without executing lose `minority_slash`, the claimant its
/// `false_claim_slash`, and the member that ran the model is paid beside the auditors.
#[test]
fn an_audit_round_slashes_members_that_answered_without_executing() {
	network().build_and_execute(|| {
		audits(Perbill::one());
		let committee = open_small_round(output(40));
		let (lazy, honest) = (&committee[..2], committee[2]);
		for member in lazy {
			assert_ok!(commit(subject(1), *member, output(40)));
		}
		assert_ok!(commit(subject(1), honest, output(1)));
		// Everyone committed in block 2: the roll comes at the start of block 3, and nobody
		// reveals before it.
		assert_eq!(Rounds::<Test>::get(subject(1)).unwrap().audit, AuditStage::Pending { at: 3 });
		assert_noop!(reveal(subject(1), honest, output(1)), Error::<Test>::RevealPhaseNotOpen);
		assert_noop!(reveal(subject(1), CLAIMANT, output(40)), Error::<Test>::RevealPhaseNotOpen);
		run_to_block(3);
		let round = Rounds::<Test>::get(subject(1)).unwrap();
		assert_eq!(round.audit, AuditStage::Audited { from: 3, votes_needed: 2 });
		let auditors: Vec<AccountId> =
			round.committee[3..].iter().map(|member| member.account).collect();
		assert_eq!(auditors.len(), 3);
		assert!(auditors.iter().all(|a| !committee.contains(a) && *a != CLAIMANT));
		System::assert_has_event(
			Event::AuditDrawn {
				subject: subject(1),
				auditors: auditors.clone(),
				commit_deadline: 8,
				reveal_deadline: 13,
			}
			.into(),
		);
		// The auditors have a commit phase of their own; the first committee waits for it.
		assert_noop!(reveal(subject(1), honest, output(1)), Error::<Test>::RevealPhaseNotOpen);
		for auditor in &auditors {
			assert_ok!(commit(subject(1), *auditor, output(1)));
		}
		assert_ok!(reveal(subject(1), CLAIMANT, output(40)));
		for member in lazy {
			assert_ok!(reveal(subject(1), *member, output(40)));
		}
		assert_ok!(reveal(subject(1), honest, output(1)));
		for auditor in &auditors {
			assert_ok!(reveal(subject(1), *auditor, output(1)));
		}
		// The audit decided output 1: the claim fell.
		assert!(matches!(
			&Concluded::get()[0].1,
			Conclusion::Decided { claim_upheld: false, decided, majority, .. }
				if *decided == output_hash(1)
					&& majority.len() == 4
					&& majority.contains(&honest)
					&& auditors.iter().all(|a| majority.contains(a))
		));
		let slashes = MockRegistry::slashes();
		for member in lazy {
			assert!(slashes.contains(&(*member, 200, SlashReason::MinorityReveal)));
			assert_eq!(free(*member), INITIAL_BALANCE - BOND, "a lazy member is unpaid");
			assert_eq!(MockRegistry::reputation(*member).failed, 1);
		}
		assert!(slashes.contains(&(CLAIMANT, 500, SlashReason::FalseClaim)));
		// Half of the 900 slashed, split among the four that ran the model (112 each).
		for winner in auditors.iter().chain([&honest]) {
			assert_eq!(free(*winner), INITIAL_BALANCE - BOND + 112);
			assert_eq!(bond(*winner), BOND);
			assert_eq!(MockRegistry::reputation(*winner).completed, 1);
		}
		assert_eq!(Duties::<Test>::iter().count(), 0);
		assert_eq!(RevealedOutputs::<Test>::iter().count(), 0);
	});
}

/// When the members commit, an audited round and an unaudited one look the same: the roll is
/// made afterwards from randomness nobody had, so a committee cannot be honest only when it is
/// audited. (Every share above zero leaves the same record until the roll.)
#[test]
fn members_cannot_tell_an_audited_round_before_they_commit() {
	let committed_round = |share: Perbill| {
		let mut round = None;
		network().build_and_execute(|| {
			audits(share);
			let committee = open_small_round(output(1));
			for member in &committee {
				assert_ok!(commit(subject(1), *member, output(1)));
			}
			round = Rounds::<Test>::get(subject(1)).map(|round| codec::Encode::encode(&round));
			run_to_block(3);
			let audited = matches!(
				Rounds::<Test>::get(subject(1)).unwrap().audit,
				AuditStage::Audited { .. }
			);
			assert_eq!(audited, share == Perbill::one());
			run_to_block(30);
		});
		round.expect("open")
	};
	assert_eq!(committed_round(Perbill::one()), committed_round(Perbill::from_parts(1)));
}

/// A roll waits for the commit deadline while a member has not committed, and comes the block
/// after the last commitment otherwise, so reveals are not held up when everyone is quick. An
/// audit committee that stays silent cannot decide, nor can the first committee in its place:
/// the round ends undecided and the silent auditors lose `no_reveal_slash`.
#[test]
fn the_roll_comes_at_the_commit_deadline_or_after_the_last_commitment() {
	network().build_and_execute(|| {
		audits(Perbill::one());
		let committee = open_small_round(output(1));
		// Drawn in block 2: commitments until block 7, the roll due then.
		assert_eq!(Rounds::<Test>::get(subject(1)).unwrap().audit, AuditStage::Pending { at: 7 });
		assert!(Deadlines::<Test>::get(7).contains(&subject(1)));
		assert_ok!(commit(subject(1), committee[0], output(1)));
		run_to_block(4);
		assert_ok!(commit(subject(1), committee[1], output(1)));
		assert_eq!(Rounds::<Test>::get(subject(1)).unwrap().audit, AuditStage::Pending { at: 7 });
		assert_ok!(commit(subject(1), committee[2], output(1)));
		// All in: the roll moves to block 5.
		assert_eq!(Rounds::<Test>::get(subject(1)).unwrap().audit, AuditStage::Pending { at: 5 });
		assert!(!Deadlines::<Test>::get(7).contains(&subject(1)));
		assert!(Deadlines::<Test>::get(5).contains(&subject(1)));
		run_to_block(5);
		let round = Rounds::<Test>::get(subject(1)).unwrap();
		let auditors: Vec<AccountId> =
			round.committee[3..].iter().map(|member| member.account).collect();
		assert_eq!(round.reveal_deadline, 15);
		// The first committee and the claimant reveal; the auditors never commit.
		run_to_block(10);
		assert_ok!(reveal(subject(1), CLAIMANT, output(1)));
		for member in &committee {
			assert_ok!(reveal(subject(1), *member, output(1)));
		}
		run_to_block(15);
		assert!(matches!(&Concluded::get()[0].1, Conclusion::Undecided { .. }));
		let slashes = MockRegistry::slashes();
		assert_eq!(slashes.len(), 3);
		for auditor in &auditors {
			assert!(slashes.contains(&(*auditor, 300, SlashReason::NoReveal)));
		}
	});
}

/// Attack: colluders holding the first committee's quorum and a blocking minority of the
/// auditors (one reveals their output, one stays silent). The audit committee reaches no
/// quorum, so the round ends undecided: the colluders' output is not carried by the first
/// committee, and the one auditor that ran the model is not slashed for being outvoted.
#[test]
fn a_blocking_minority_of_auditors_leaves_the_round_undecided() {
	network().build_and_execute(|| {
		audits(Perbill::one());
		let committee = open_small_round(output(40));
		for member in &committee {
			assert_ok!(commit(subject(1), *member, output(40)));
		}
		run_to_block(3);
		let round = Rounds::<Test>::get(subject(1)).unwrap();
		let auditors: Vec<AccountId> =
			round.committee[3..].iter().map(|member| member.account).collect();
		let (honest, colluding, silent) = (auditors[0], auditors[1], auditors[2]);
		assert_ok!(commit(subject(1), honest, output(1)));
		assert_ok!(commit(subject(1), colluding, output(40)));
		run_to_block(8);
		assert_ok!(reveal(subject(1), CLAIMANT, output(40)));
		for member in committee.iter().chain([&colluding]) {
			assert_ok!(reveal(subject(1), *member, output(40)));
		}
		assert_ok!(reveal(subject(1), honest, output(1)));
		run_to_block(round.reveal_deadline);
		assert!(matches!(&Concluded::get()[0].1, Conclusion::Undecided { .. }));
		// Only the silent auditor is slashed; the honest one keeps its bond.
		assert_eq!(MockRegistry::slashes(), vec![(silent, 300, SlashReason::NoReveal)]);
		assert_eq!(bond(honest), BOND);
	});
}

/// Full deadline lists push a round's reveal deadline; an audit drawn early asks for a new one
/// that lands in the same block. Moving one deadline must not take the other off the list: the
/// round stays scheduled and ends.
#[test]
fn an_audit_deadline_that_lands_on_the_old_one_keeps_the_round_scheduled() {
	const FILLER: SubjectId = sp_core::H256([0xEE; 32]);
	let fill = |at: u64| {
		while Deadlines::<Test>::try_mutate(at, |list| list.try_push(FILLER)).is_ok() {}
	};
	network().build_and_execute(|| {
		audits(Perbill::one());
		assert_ok!(open_round_on(1, output(1)));
		// The reveal deadline of a round drawn in block 2 would be block 12: 12 and 13 are
		// full, so it is 14.
		fill(12);
		fill(13);
		run_to_block(2);
		let committee = committee_of(subject(1));
		assert_eq!(Rounds::<Test>::get(subject(1)).unwrap().reveal_deadline, 14);
		for member in &committee {
			assert_ok!(commit(subject(1), *member, output(1)));
		}
		// The roll comes in block 3: the audit's reveal deadline, 3 + 5 + 5 = 13, is full too
		// and lands on 14, where the old one was.
		run_to_block(3);
		let round = Rounds::<Test>::get(subject(1)).unwrap();
		assert!(matches!(round.audit, AuditStage::Audited { .. }));
		assert_eq!(round.reveal_deadline, 14);
		assert!(Deadlines::<Test>::get(14).contains(&subject(1)));
		for at in [12, 13] {
			Deadlines::<Test>::mutate(at, |list| list.retain(|s| *s != FILLER));
		}
		run_to_block(14);
		assert!(!Rounds::<Test>::contains_key(subject(1)), "the round ended at its deadline");
	});
}

/// Audits need room for a second committee as large as the first: governance cannot turn them
/// on with committees over half of `MaxCommitteeSize`, nor grow a committee past that while
/// they are on.
#[test]
fn audits_need_room_for_a_second_committee() {
	network().build_and_execute(|| {
		use ParameterChange::*;
		// Committees of five, at most seven seats: no room for five auditors.
		assert_noop!(
			Attestations::set_parameter(RuntimeOrigin::root(), AuditShare(Perbill::one())),
			Error::<Test>::ParametersOutOfBounds
		);
		audits(Perbill::one());
		assert_noop!(
			Attestations::set_parameter(RuntimeOrigin::root(), CommitteeSize(4)),
			Error::<Test>::ParametersOutOfBounds
		);
	});
}
