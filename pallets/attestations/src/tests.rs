//! Unit tests: every call, every error path, every event, the hooks and the money, against the
//! mock node registry. The helpers live here; the tests, by subject, in `tests/`.

// Tests may panic: a panic is a failed test.
#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects,
	clippy::panic
)]

mod claims;
mod deadlines;
mod offchain;
mod parameters;
mod rounds;

use crate::{mock::*, *};
use frame_support::{
	assert_ok,
	traits::fungible::{Inspect, InspectHold},
};
use frame_system::RawOrigin;
use opg_primitives::attestation::{Attestations as _, NodeRole, RoleSet, RoundKind};

const BOND: Balance = 1_000;
/// The claimant in round tests: an inference node.
const CLAIMANT: AccountId = 1;

/// The verifier role alone.
fn verifier() -> RoleSet {
	NodeRole::Verifier.into()
}

/// The inference role alone.
fn inference() -> RoleSet {
	NodeRole::Inference.into()
}

/// A signed origin of `who`.
fn signed(who: AccountId) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

/// The origin of a transaction that its call's `authorize` let in.
fn authorized() -> RuntimeOrigin {
	RawOrigin::Authorized.into()
}

/// One inference node (1) and seven verifiers (2 to 8), each bonding `BOND`.
fn network() -> ExtBuilder {
	(2..=8).fold(ExtBuilder::default().node(CLAIMANT, inference(), BOND), |builder, who| {
		builder.node(who, verifier(), BOND)
	})
}

/// Node `who`'s bond in the mock registry (what pallet-nodes would hold as its bond).
fn bond(who: AccountId) -> Balance {
	MockRegistry::bond(who)
}

/// `who`'s free balance.
fn free(who: AccountId) -> Balance {
	Balances::balance(&who)
}

/// What `who` holds as challenge bonds.
fn challenge_held(who: AccountId) -> Balance {
	Balances::balance_on_hold(&HoldReason::ChallengeBond.into(), &who)
}

/// The block the open round of `subject` opened in (0 when there is none).
fn round_of(subject: SubjectId) -> u64 {
	Rounds::<Test>::get(subject).map_or(0, |round| round.opened_at)
}

/// `member`'s signed commitment to `out` in `subject`'s open round.
fn commit_call(subject: SubjectId, member: AccountId, out: OutputHash) -> Call<Test> {
	let round = round_of(subject);
	let commitment = commitment_of(&subject, &round, &member, &out, &salt(member));
	let signature = sign(
		member,
		&SignedStatement::Commit {
			subject: &subject,
			round: &round,
			member: &member,
			commitment: &commitment,
		},
	);
	Call::commit { subject, member, commitment, signature }
}

/// `member`'s signed reveal of `out` in `subject`'s open round.
fn reveal_call(subject: SubjectId, member: AccountId, out: OutputHash) -> Call<Test> {
	let salt = salt(member);
	let round = round_of(subject);
	let signature = sign(
		member,
		&SignedStatement::Reveal {
			subject: &subject,
			round: &round,
			member: &member,
			output: &out,
			salt: &salt,
		},
	);
	Call::reveal { subject, member, output: out, salt, signature }
}

/// Dispatches `member`'s commitment to `out`.
fn commit(subject: SubjectId, member: AccountId, out: OutputHash) -> DispatchResult {
	match commit_call(subject, member, out) {
		Call::commit { subject, member, commitment, signature } => {
			Attestations::commit(authorized(), subject, member, commitment, signature)
		}
		_ => unreachable!(),
	}
}

/// Dispatches `member`'s reveal of `out`.
fn reveal(subject: SubjectId, member: AccountId, out: OutputHash) -> DispatchResult {
	match reveal_call(subject, member, out) {
		Call::reveal { subject, member, output, salt, signature } => {
			Attestations::reveal(authorized(), subject, member, output, salt, signature)
				.map(|_| ())
				.map_err(|e| e.error)
		}
		_ => unreachable!(),
	}
}

/// The committee of `subject`'s open round.
fn committee_of(subject: SubjectId) -> Vec<AccountId> {
	Attestations::committee(subject).expect("the round is open")
}

/// The currency's total issuance.
fn total_issuance() -> Balance {
	<Balances as Inspect<AccountId>>::total_issuance()
}

/// Opens a verification round on subject 1 for the claimant's claim of `output(1)` in block 1
/// and moves to block 2, whose start draws the committee; returns it.
fn open_round() -> Vec<AccountId> {
	assert_ok!(Attestations::open_round(subject(1), &CLAIMANT, output(1)));
	System::assert_last_event(
		Event::RoundOpened {
			subject: subject(1),
			kind: RoundKind::Verification,
			claimant: CLAIMANT,
			draw_at: 2,
		}
		.into(),
	);
	// Nobody knows the committee in the block that opens the round.
	assert_eq!(committee_of(subject(1)), Vec::<AccountId>::new());
	run_to_block(2);
	let committee = committee_of(subject(1));
	assert_eq!(committee.len(), 5);
	assert!(!committee.contains(&CLAIMANT));
	System::assert_has_event(
		Event::CommitteeDrawn {
			subject: subject(1),
			committee: committee.clone(),
			commit_deadline: 7,
			reveal_deadline: 12,
		}
		.into(),
	);
	committee
}

/// Opens a claim of `output(1)` and has verifier 2 challenge it; returns the committee.
fn challenged_claim() -> Vec<AccountId> {
	assert_ok!(Attestations::open_claim(subject(1), &CLAIMANT, output(1)));
	assert_ok!(Attestations::challenge(signed(2), subject(1)));
	assert_eq!(committee_of(subject(1)), Vec::<AccountId>::new());
	run_to_block(2);
	assert!(events().contains(&Event::Challenged {
		subject: subject(1),
		challenger: 2,
		bond: 200
	}));
	assert_eq!(challenge_held(2), 200);
	assert!(Claims::<Test>::get(subject(1)).is_none());
	let committee = committee_of(subject(1));
	assert!(!committee.contains(&CLAIMANT) && !committee.contains(&2));
	committee
}

/// Fills and empties claim deadline lists with a filler subject, to test a full queue.
struct ClaimQueueFill;
impl ClaimQueueFill {
	const FILLER: SubjectId = sp_core::H256([0xFF; 32]);

	/// Fills the claim deadline lists of blocks `from` to `to`.
	fn fill(from: u64, to: u64) {
		for at in from..=to {
			while ClaimDeadlines::<Test>::try_mutate(at, |list| list.try_push(Self::FILLER)).is_ok()
			{
			}
		}
	}

	/// Takes the filler out of the claim deadline lists of blocks `from` to `to`.
	fn clear(from: u64, to: u64) {
		for at in from..=to {
			ClaimDeadlines::<Test>::mutate(at, |list| list.retain(|s| *s != Self::FILLER));
			if ClaimDeadlines::<Test>::get(at).is_empty() {
				ClaimDeadlines::<Test>::remove(at);
			}
		}
	}
}
