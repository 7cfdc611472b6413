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

mod appeals;
mod audits;
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
use opg_primitives::attestation::{
	revealed_hash, Attestations as _, NodeKeySignature, NodeRole, RoleSet, RoundKind,
};
use sp_core::H256;

const BOND: Balance = 1_000;
/// The claimant in round tests: an inference node.
const CLAIMANT: AccountId = 1;
/// A requester: an account that is no node, with funds.
const REQUESTER: AccountId = 15;

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

/// What statements about `subject`'s open round name it by: the block it opened in, its claim
/// and its context (zeros when there is none).
fn round_of(subject: SubjectId) -> (u64, H256, H256) {
	Rounds::<Test>::get(subject)
		.map_or_else(Default::default, |round| (round.opened_at, round.claim, round.context))
}

/// `out` as a reveal carries it.
fn bounded(out: &[u8]) -> RevealedOutput<Test> {
	RevealedOutput::<Test>::try_from(out.to_vec()).expect("the output fits")
}

/// `member`'s commitment, with its salt, to `out` in `subject`'s open round.
fn commitment(subject: SubjectId, member: AccountId, out: &[u8]) -> H256 {
	let (_, _, context) = round_of(subject);
	commitment_of(&subject, &context, &member, &revealed_hash(out), &salt(member))
}

/// `signer`'s signature of `member`'s commitment `commitment` in `subject`'s round named by
/// `round` (the block it opened in, its claim and its context).
fn sign_commit(
	signer: AccountId,
	subject: SubjectId,
	member: AccountId,
	(round, claim, context): (u64, H256, H256),
	commitment: H256,
) -> NodeKeySignature {
	sign(
		signer,
		&SignedStatement::Commit {
			subject: &subject,
			round: &round,
			claim: &claim,
			context: &context,
			member: &member,
			commitment: &commitment,
		},
	)
}

/// `signer`'s signature of `member`'s reveal of `out` with `salt` in `subject`'s round named by
/// `round` (the block it opened in, its claim and its context).
fn sign_reveal(
	signer: AccountId,
	subject: SubjectId,
	member: AccountId,
	(round, claim, context): (u64, H256, H256),
	out: &[u8],
	salt: [u8; 32],
) -> NodeKeySignature {
	sign(
		signer,
		&SignedStatement::Reveal {
			subject: &subject,
			round: &round,
			claim: &claim,
			context: &context,
			member: &member,
			output: &revealed_hash(out),
			salt: &salt,
		},
	)
}

/// `member`'s signed commitment to `commitment` in `subject`'s open round.
fn commit_to_call(subject: SubjectId, member: AccountId, commitment: H256) -> Call<Test> {
	let signature = sign_commit(member, subject, member, round_of(subject), commitment);
	Call::commit { subject, member, commitment, signature }
}

/// `member`'s signed commitment to `out` (with its salt) in `subject`'s open round.
fn commit_call(subject: SubjectId, member: AccountId, out: impl AsRef<[u8]>) -> Call<Test> {
	commit_to_call(subject, member, commitment(subject, member, out.as_ref()))
}

/// `member`'s (or the claimant's) signed reveal of `out` with its salt in `subject`'s open
/// round.
fn reveal_call(subject: SubjectId, member: AccountId, out: impl AsRef<[u8]>) -> Call<Test> {
	let (out, salt) = (out.as_ref(), salt(member));
	let signature = sign_reveal(member, subject, member, round_of(subject), out, salt);
	Call::reveal { subject, member, output: bounded(out), salt, signature }
}

/// Dispatches `call` (a commitment or a reveal) as its `authorize` would let it in.
fn dispatch(call: Call<Test>) -> DispatchResult {
	match call {
		Call::commit { subject, member, commitment, signature } => {
			Attestations::commit(authorized(), subject, member, commitment, signature)
		}
		Call::reveal { subject, member, output, salt, signature } => {
			Attestations::reveal(authorized(), subject, member, output, salt, signature)
				.map(|_| ())
				.map_err(|e| e.error)
		}
		_ => unreachable!("not a round duty"),
	}
}

/// Dispatches `member`'s commitment to `out`.
fn commit(subject: SubjectId, member: AccountId, out: impl AsRef<[u8]>) -> DispatchResult {
	dispatch(commit_call(subject, member, out))
}

/// Dispatches `member`'s commitment to `commitment`, whatever it commits to.
fn commit_to(subject: SubjectId, member: AccountId, commitment: H256) -> DispatchResult {
	dispatch(commit_to_call(subject, member, commitment))
}

/// Dispatches `member`'s (or the claimant's) reveal of `out`.
fn reveal(subject: SubjectId, member: AccountId, out: impl AsRef<[u8]>) -> DispatchResult {
	dispatch(reveal_call(subject, member, out))
}

/// Dispatches `member`'s reveal of `out` with `salt`, signed by its own key for `subject`'s
/// open round.
fn reveal_salted(
	subject: SubjectId,
	member: AccountId,
	out: &[u8],
	salt: [u8; 32],
) -> DispatchResult {
	let signature = sign_reveal(member, subject, member, round_of(subject), out, salt);
	Attestations::reveal(authorized(), subject, member, bounded(out), salt, signature)
		.map(|_| ())
		.map_err(|e| e.error)
}

/// What the pool says of `call`: `Ok` or the error its `authorize` gives.
fn authorize(
	call: Call<Test>,
) -> Result<(), sp_runtime::transaction_validity::TransactionValidityError> {
	use frame_support::{pallet_prelude::TransactionSource, traits::Authorize};
	call.authorize(TransactionSource::External)
		.expect("the call is authorized by a closure")
		.map(|_| ())
}

/// The claimant's commitment to `out` for subject `n` (about `context(n)`), with its salt.
fn claimant_commitment(n: u8, out: impl AsRef<[u8]>) -> H256 {
	commitment_of(
		&subject(n),
		&context(n),
		&CLAIMANT,
		&revealed_hash(out.as_ref()),
		&salt(CLAIMANT),
	)
}

/// Opens a verification round on subject `n`, the claimant having committed to `out`.
fn open_round_on(n: u8, out: impl AsRef<[u8]>) -> DispatchResult {
	Attestations::open_round(subject(n), &CLAIMANT, claimant_commitment(n, out), context(n))
}

/// Publishes `out` as the output claimed for subject `n` (what the consumer shows of a vanilla
/// claim).
fn publish(n: u8, out: impl AsRef<[u8]>) {
	Published::mutate(|published| published.push((subject(n), out.as_ref().to_vec())));
}

/// Publishes `out` and opens `claimant`'s claim of it on subject `n`.
fn open_claim_on(n: u8, claimant: AccountId, out: impl AsRef<[u8]>) -> DispatchResult {
	publish(n, out.as_ref());
	Attestations::open_claim(subject(n), &claimant, revealed_hash(out.as_ref()), context(n))
}

/// The committee of `subject`'s open round.
fn committee_of(subject: SubjectId) -> Vec<AccountId> {
	Attestations::committee(subject).expect("the round is open")
}

/// The currency's total issuance.
fn total_issuance() -> Balance {
	<Balances as Inspect<AccountId>>::total_issuance()
}

/// Opens a verification round on subject 1, the claimant having committed to `output(1)`, in
/// block 1 and moves to block 2, whose start draws the committee; returns it.
fn open_round() -> Vec<AccountId> {
	open_round_claiming(output(1))
}

/// Opens a verification round on subject 1, the claimant having committed to `out`, in block 1
/// and moves to block 2, whose start draws the committee; returns it.
fn open_round_claiming(out: impl AsRef<[u8]>) -> Vec<AccountId> {
	assert_ok!(open_round_on(1, out));
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

/// Opens the claimant's claim of `output(1)` on subject 1 and has `challenger` challenge it;
/// moves to block 2, whose start draws the dispute's committee, and returns it.
fn challenged_by(challenger: AccountId) -> Vec<AccountId> {
	assert_ok!(open_claim_on(1, CLAIMANT, output(1)));
	assert_ok!(Attestations::challenge(signed(challenger), subject(1)));
	assert_eq!(committee_of(subject(1)), Vec::<AccountId>::new());
	// The claimed output is the claimant's reveal from the start.
	assert_eq!(
		RevealedOutputs::<Test>::get(subject(1), CLAIMANT_POSITION).map(|o| o.into_inner()),
		Some(output(1))
	);
	run_to_block(2);
	assert!(events().contains(&Event::Challenged { subject: subject(1), challenger, bond: 200 }));
	assert_eq!(challenge_held(challenger), 200);
	assert!(Claims::<Test>::get(subject(1)).is_none());
	let committee = committee_of(subject(1));
	assert_eq!(committee.len(), 5);
	assert!(!committee.contains(&CLAIMANT) && !committee.contains(&challenger));
	committee
}

/// Checks that `subject`'s dispute holds a provisional verdict and that nothing moved yet (no
/// conclusion, no bond released), then runs to the end of its appeal window, where it settles.
fn settle_verdict(subject: SubjectId) {
	let round = Rounds::<Test>::get(subject).expect("the dispute waits for an appeal");
	let verdict = round.verdict.clone().expect("a provisional verdict");
	assert!(round.awaiting_appeal());
	assert!(events().contains(&Event::DisputeDecided {
		subject,
		decided: verdict.decided,
		claim_upheld: verdict.claim_upheld,
		appeal_until: verdict.appeal_until,
	}));
	assert!(Concluded::get().iter().all(|(s, _)| *s != subject), "nothing concluded yet");
	if let RoundOrigin::Dispute { challenger, bond } = &round.origin {
		assert_eq!(challenge_held(*challenger), *bond, "the challenge bond is still held");
	}
	run_to_block(verdict.appeal_until - 1);
	assert!(Rounds::<Test>::contains_key(subject));
	run_to_block(verdict.appeal_until);
	assert!(!Rounds::<Test>::contains_key(subject), "the verdict settled");
}

/// Opens a claim of `output(1)` and has verifier 2 challenge it; returns the committee.
fn challenged_claim() -> Vec<AccountId> {
	challenged_by(2)
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
