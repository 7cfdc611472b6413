//! The rounds' and claims' stored records, the parameters, and what the runtime API shows.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{pallet_prelude::*, traits::Get, BoundedVec};
use opg_primitives::attestation::{OutputHash, RoundKind};
use scale_info::TypeInfo;
use sp_runtime::{
	traits::{Saturating, Zero},
	Perbill,
};

opg_primitives::governed_parameters! {
	/// The chain's round parameters. Governance changes them one at a time with
	/// [`crate::Pallet::set_parameter`], within the runtime's bounds
	/// ([`crate::Config::MinimumParameters`], [`crate::Config::MaximumParameters`]) and the
	/// relations that [`Parameters::check`] enforces.
	#[derive(
		Clone,
		PartialEq,
		Eq,
		Encode,
		Decode,
		DecodeWithMemTracking,
		MaxEncodedLen,
		TypeInfo,
		Debug,
		serde::Serialize,
		serde::Deserialize,
	)]
	#[serde(rename_all = "camelCase")]
	pub struct Parameters<Balance, BlockNumber> {
		/// Verifiers per round.
		pub committee_size: u32 => CommitteeSize = 0,
		/// The part of the committee that must reveal the same output to decide a round; above
		/// one half, so two outputs can never both reach it.
		pub quorum: Perbill => Quorum = 1,
		/// Blocks from a round's committee draw to its commit deadline.
		pub commit_period: BlockNumber => CommitPeriod = 2,
		/// Blocks from the commit deadline to the reveal deadline.
		pub reveal_period: BlockNumber => RevealPeriod = 3,
		/// Blocks in which a claim can be challenged.
		pub challenge_window: BlockNumber => ChallengeWindow = 4,
		/// What a challenger holds while its dispute runs; lost if the claim is upheld.
		pub challenge_bond: Balance => ChallengeBond = 5,
		/// The part of its bond a committee member loses for revealing a minority output.
		pub minority_slash: Perbill => MinoritySlash = 6,
		/// The part of its bond a committee member loses for not revealing.
		pub no_reveal_slash: Perbill => NoRevealSlash = 7,
		/// The part of its bond a claimant loses when a round decides against its claim.
		pub false_claim_slash: Perbill => FalseClaimSlash = 8,
		/// The part of every slash paid to the winners (the honest committee members, or the
		/// winner of a dispute); the rest goes to the treasury.
		pub reward_share: Perbill => RewardShare = 9,
		/// The part of a challenge bond that pays the dispute committee's majority whether the
		/// claim falls or stands (it is never returned): re-executing is work, and a committee
		/// paid only for one verdict would lean to it.
		pub dispute_fee: Balance => DisputeFee = 10,
		/// Blocks after a dispute round decides in which its losing side may appeal
		/// it ([`crate::Pallet::appeal`]); nothing of the dispute's money moves before.
		pub appeal_window: BlockNumber => AppealWindow = 11,
		/// The part of verification rounds audited: once a round's committee has committed, a
		/// second committee as large is drawn for it with this probability, from randomness
		/// that nobody knew when the first one committed; the second committee decides, and the
		/// first is judged against its output ([`crate::AuditStage`]). Zero turns audits off.
		pub audit_share: Perbill => AuditShare = 12,
	}
	/// One parameter with its new value: what a referendum changes. Changing one parameter at a
	/// time lets referenda on different parameters run side by side: each enacts its own change
	/// and none restores a value another one changed.
	#[derive(
		Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
	)]
	pub enum ParameterChange;
}

/// Why a parameter set is refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ParameterError {
	/// The challenge bond is zero, or smaller than the dispute fee it pays.
	ZeroBond,
	/// Not revealing costs a committee member no more than revealing a minority output, so
	/// withholding a reveal after seeing others' would be the cheap exit.
	SilenceCheaper,
	/// A period is zero.
	ZeroPeriod,
	/// The committee is empty or larger than the pallet's `MaxCommitteeSize`.
	CommitteeSize,
	/// The quorum is not above one half.
	Quorum,
	/// A claim's window plus a round's periods (and the slack of moved deadlines) is not shorter
	/// than the node registry's unbonding period, so a node could withdraw a bond a dispute is
	/// about to slash.
	OutlastsUnbonding,
	/// Audits are on but a committee and its audit committee (as large) do not fit in the
	/// pallet's `MaxCommitteeSize` together.
	AuditNoRoom,
}

impl<
		Balance: Zero + Copy + PartialOrd,
		BlockNumber: Zero + Saturating + Copy + PartialOrd + From<u32>,
	> Parameters<Balance, BlockNumber>
{
	/// Checks the relations no parameter set may break, `unbonding_period` being the node
	/// registry's.
	pub fn check(
		&self,
		max_committee: u32,
		unbonding_period: BlockNumber,
	) -> Result<(), ParameterError> {
		if self.challenge_bond.is_zero() || self.dispute_fee > self.challenge_bond {
			return Err(ParameterError::ZeroBond);
		}
		if self.no_reveal_slash <= self.minority_slash {
			return Err(ParameterError::SilenceCheaper);
		}
		let periods =
			[self.commit_period, self.reveal_period, self.challenge_window, self.appeal_window];
		if periods.iter().any(Zero::is_zero) {
			return Err(ParameterError::ZeroPeriod);
		}
		if self.committee_size == 0 || self.committee_size > max_committee {
			return Err(ParameterError::CommitteeSize);
		}
		if self.quorum <= Perbill::from_percent(50) {
			return Err(ParameterError::Quorum);
		}
		if !self.audit_share.is_zero() && self.committee_size.saturating_mul(2) > max_committee {
			return Err(ParameterError::AuditNoRoom);
		}
		if unbonding_period <= self.longest_work() {
			return Err(ParameterError::OutlastsUnbonding);
		}
		Ok(())
	}

	/// The longest a claim or round keeps a node's bond at stake: a claim's window, then a
	/// committee drawn a block later and its two periods, then the appeal window, then an
	/// appeal committee drawn a block later and its two periods; each of the six deadlines
	/// (challenge, draw, reveal, appeal window, appeal draw, appeal reveal) may move up to
	/// [`DEADLINE_SEARCH`] blocks when blocks are full.
	pub fn longest_work(&self) -> BlockNumber {
		let slack = BlockNumber::from(6 * DEADLINE_SEARCH + 2);
		let round = self.commit_period.saturating_add(self.reveal_period);
		self.challenge_window
			.saturating_add(round)
			.saturating_add(self.appeal_window)
			.saturating_add(round)
			.saturating_add(slack)
	}
}

impl<Balance, BlockNumber> Parameters<Balance, BlockNumber> {
	/// The votes a committee of `size` needs to decide: `quorum` of it, rounded up.
	pub fn votes_needed(&self, size: u32) -> u32 {
		self.quorum.mul_ceil(size)
	}
}

/// A committee member's progress in a round.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct CommitteeMember<AccountId> {
	/// The verifier.
	pub account: AccountId,
	/// Its commitment, once made.
	pub commitment: Option<sp_core::H256>,
	/// The hash of the output it revealed, once revealed (the output itself is kept in
	/// [`crate::RevealedOutputs`] until the round ends).
	pub revealed: Option<OutputHash>,
	/// Which members' outputs its revealed output agrees with, one bit per committee position
	/// (its own included): filled in as reveals arrive, so deciding the round compares nothing.
	pub agrees: u64,
}

/// Who started a round and what they put up.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum RoundOrigin<AccountId, Balance> {
	/// The consumer asked for verification of every claim (attested mode): the claim is the
	/// claimant's commitment, and the claimant reveals beside the committee.
	Verification,
	/// Someone challenged a public claim, holding `bond`.
	Dispute {
		/// The challenger.
		challenger: AccountId,
		/// Its challenge bond, held until the round ends.
		bond: Balance,
	},
}

impl<AccountId, Balance> RoundOrigin<AccountId, Balance> {
	/// The kind of round, as consumers see it.
	pub fn kind(&self) -> RoundKind {
		match self {
			RoundOrigin::Verification => RoundKind::Verification,
			RoundOrigin::Dispute { .. } => RoundKind::Dispute,
		}
	}
}

/// Where a verification round stands with its audit. Whether a round is audited is rolled once
/// its committee has committed (at the start of the block after the last commitment, or at the
/// commit deadline), from that block's VRF randomness: when the members commit, nobody knows
/// whether a second committee will judge them, and the round's record is the same either way
/// (`Pending`), so a committee cannot behave in audited rounds and collude in the others.
/// Reveals open only after the roll, so the audit committee commits before any output is
/// public and has nothing to copy.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum AuditStage<BlockNumber> {
	/// The roll happens at the start of block `at`; reveals are refused until then.
	Pending {
		/// The block whose start rolls the audit.
		at: BlockNumber,
	},
	/// No audit (rolled and missed, audits off, no room or too few verifiers, or a dispute,
	/// which has appeals instead): the committee decides.
	None,
	/// Audited: the committee positions from `from` on are the audit committee, drawn after
	/// the first `from` members committed. The audit committee's output decides if
	/// `votes_needed` of its members agree on one; every member, first and audit, is then
	/// judged against it. Without that quorum the round ends undecided (only the silent are
	/// slashed, the job is refunded): the first committee's output does not carry it.
	Audited {
		/// The first audit position.
		from: u32,
		/// Agreeing audit reveals needed for the audit committee to decide.
		votes_needed: u32,
	},
}

/// An open commit-reveal round. Its committee is drawn at the start of block `draw_at` (the
/// block after it opened), from a seed that whoever opened it could not know; until then the
/// committee is empty and the deadlines are zero. Decided rounds leave storage in the block
/// that decides them, but a dispute's first decision: it stays, holding its provisional
/// [`Round::verdict`], until its appeal window ends or, if appealed, until the appeal round
/// (the same record, re-opened with a new committee) ends.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
#[scale_info(skip_type_params(MaxCommittee))]
pub struct Round<AccountId, Balance, BlockNumber, MaxCommittee: Get<u32>> {
	/// Verification or dispute.
	pub origin: RoundOrigin<AccountId, Balance>,
	/// The node whose claim is checked.
	pub claimant: AccountId,
	/// The claim: the claimant's commitment (verification) or its public output's hash
	/// (dispute).
	pub claim: sp_core::H256,
	/// What the subject is about (a job's input hash), signed into every commitment and reveal.
	pub context: sp_core::H256,
	/// The hash of the claimant's revealed output (a dispute's claimed output from the start).
	pub claimant_output: Option<OutputHash>,
	/// Which members' outputs the claimant's output agrees with, one bit per position.
	pub claimant_agrees: u64,
	/// The committee, in selection order; empty until drawn.
	pub committee: BoundedVec<CommitteeMember<AccountId>, MaxCommittee>,
	/// The block at whose start the committee is drawn.
	pub draw_at: BlockNumber,
	/// Agreeing reveals needed to decide.
	pub votes_needed: u32,
	/// The block it opened in.
	pub opened_at: BlockNumber,
	/// The first block in which commitments are refused.
	pub commit_deadline: BlockNumber,
	/// The first block in which reveals are refused: the round is decided at its start.
	pub reveal_deadline: BlockNumber,
	/// A dispute's provisional verdict, once its first committee decided: it settles when its
	/// appeal window ends unless the loser appeals.
	pub verdict: Option<Verdict<BlockNumber>>,
	/// The appeal of that verdict, once made: the committee above is then the appeal's, and
	/// the first committee waits here to be judged against the final verdict.
	pub appeal: Option<Appeal<AccountId, Balance, MaxCommittee>>,
	/// A verification round's audit: pending until its roll, then none or audited.
	pub audit: AuditStage<BlockNumber>,
}

/// A dispute round's provisional verdict: what its first committee decided, open to one appeal
/// until `appeal_until`.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Verdict<BlockNumber> {
	/// The hash of the decided output.
	pub decided: OutputHash,
	/// The first committee's position whose output decided.
	pub position: u32,
	/// Whether the claim stood.
	pub claim_upheld: bool,
	/// The block at whose start the verdict settles if nobody appealed: appeals are accepted
	/// before it.
	pub appeal_until: BlockNumber,
}

/// An appeal of a dispute's verdict.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
#[scale_info(skip_type_params(MaxCommittee))]
pub struct Appeal<AccountId, Balance, MaxCommittee: Get<u32>> {
	/// Who appealed: the claimant (its claim fell) or anyone else (the claim stood).
	pub appellant: AccountId,
	/// Its appeal bond (twice the challenge bond), held until the appeal ends.
	pub bond: Balance,
	/// The first committee, its outputs kept in [`crate::RevealedOutputs`] at
	/// [`FIRST_COMMITTEE_OFFSET`] plus each position, to be judged against the final verdict.
	pub first_committee: BoundedVec<CommitteeMember<AccountId>, MaxCommittee>,
}

impl<AccountId: PartialEq, Balance, BlockNumber, M: Get<u32>>
	Round<AccountId, Balance, BlockNumber, M>
{
	/// Whether the round holds a provisional verdict that may still be appealed (its first
	/// committee decided and nobody appealed yet).
	pub fn awaiting_appeal(&self) -> bool {
		self.verdict.is_some() && self.appeal.is_none()
	}

	/// The committee's size, and the first committee's after an appeal (zero before).
	pub fn sizes(&self) -> (u32, u32) {
		let first = self.appeal.as_ref().map_or(0, |appeal| appeal.first_committee.len());
		(self.committee.len() as u32, first as u32)
	}

	/// The committee member `who`, with its position.
	pub fn member(&self, who: &AccountId) -> Option<(usize, &CommitteeMember<AccountId>)> {
		self.committee.iter().enumerate().find(|(_, member)| &member.account == who)
	}

	/// Whether every member has committed, which opens the reveal phase early.
	pub fn all_committed(&self) -> bool {
		self.committee.iter().all(|member| member.commitment.is_some())
	}

	/// Whether the committee has been drawn.
	pub fn drawn(&self) -> bool {
		!self.committee.is_empty()
	}

	/// Whether reveals are accepted in block `now` (before the reveal deadline): the committee
	/// is drawn, its audit rolled, and every member has committed or the commit deadline came.
	pub fn reveals_open(&self, now: BlockNumber) -> bool
	where
		BlockNumber: PartialOrd,
	{
		self.drawn()
			&& !matches!(self.audit, AuditStage::Pending { .. })
			&& (now >= self.commit_deadline || self.all_committed())
	}

	/// Whether a drawn committee and the claimant have revealed in full, which decides the
	/// round early.
	pub fn all_revealed(&self) -> bool {
		self.drawn()
			&& self.claimant_output.is_some()
			&& self.committee.iter().all(|member| member.revealed.is_some())
	}

	/// Whether the claim stands when the output at `position` is decided: the claimant
	/// revealed an output that agrees with it, and with at least `votes_needed` members'
	/// outputs on its own (so one member's output at the edge of the tolerance cannot carry a
	/// claim that the rest of the quorum does not agree with).
	pub fn claim_upheld_by(&self, position: usize) -> bool {
		let revealed = self
			.committee
			.iter()
			.enumerate()
			.filter(|(_, member)| member.revealed.is_some())
			.fold(0u64, |set, (other, _)| set | bit(other));
		let supporters = (self.claimant_agrees & revealed).count_ones();
		self.claimant_output.is_some()
			&& self.claimant_agrees & bit(position) != 0
			&& supporters >= self.votes_needed
	}

	/// The committee position whose output decides the round: the revealed output that the
	/// most revealed outputs agree with (the first such in committee order), if at least
	/// `votes_needed` do. Agreement is within the consumer's tolerance, so outputs that differ
	/// in the last bits of a float still count together, and a wrong output is rejected by
	/// verifiers that agree with each other on a right one. In an audited round only the audit
	/// committee decides, among its own outputs, when a quorum of it agrees.
	pub fn decided_position(&self) -> Option<usize> {
		let size = self.committee.len();
		match self.audit {
			// Without the audit committee's quorum nothing is decided: a colluding first
			// committee with a blocking minority of auditors must not carry its output.
			AuditStage::Audited { from, votes_needed } => {
				self.decided_among((from as usize).min(size)..size, votes_needed)
			}
			_ => self.decided_among(0..size, self.votes_needed),
		}
	}

	/// The position among `seats` whose output most revealed outputs among `seats` agree with,
	/// if at least `votes_needed` do.
	fn decided_among(&self, seats: core::ops::Range<usize>, votes_needed: u32) -> Option<usize> {
		let revealed = |position: &usize| {
			self.committee.get(*position).is_some_and(|member| member.revealed.is_some())
		};
		let support = |position: usize| {
			seats
				.clone()
				.filter(revealed)
				.filter(|other| {
					self.committee
						.get(*other)
						.is_some_and(|member| member.agrees & bit(position) != 0)
				})
				.count()
		};
		let (best, votes) = seats
			.clone()
			.filter(revealed)
			.map(|position| (position, support(position)))
			.fold(None, |best: Option<(usize, usize)>, (position, votes)| match best {
				Some((_, most)) if most >= votes => best,
				_ => Some((position, votes)),
			})?;
		(votes >= votes_needed as usize).then_some(best)
	}
}

/// The bit of committee position `position` in an agreement set.
pub fn bit(position: usize) -> u64 {
	1u64.checked_shl(position as u32).unwrap_or(0)
}

/// A claimed output open to challenge (vanilla mode).
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Claim<AccountId, BlockNumber> {
	/// The node that claimed it.
	pub claimant: AccountId,
	/// The hash of the output it claimed.
	pub output: OutputHash,
	/// What the subject is about (a job's input hash).
	pub context: sp_core::H256,
	/// The first block in which it can no longer be challenged: it stands at that block's start.
	pub challenge_deadline: BlockNumber,
}

/// An open round as the runtime API shows it.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct RoundView<AccountId, Balance, BlockNumber> {
	/// Verification or dispute, with the challenger and its bond.
	pub origin: RoundOrigin<AccountId, Balance>,
	/// The node whose claim is checked.
	pub claimant: AccountId,
	/// The claim: the claimant's commitment, or its public output's hash.
	pub claim: sp_core::H256,
	/// What the subject is about (a job's input hash).
	pub context: sp_core::H256,
	/// The hash of the claimant's revealed output, once revealed.
	pub claimant_output: Option<OutputHash>,
	/// The committee and each member's progress (commitments and reveals); empty until drawn.
	pub committee: alloc::vec::Vec<CommitteeMember<AccountId>>,
	/// The block at whose start the committee is drawn.
	pub draw_at: BlockNumber,
	/// Agreeing reveals needed to decide.
	pub votes_needed: u32,
	/// The block it opened in.
	pub opened_at: BlockNumber,
	/// The first block in which commitments are refused.
	pub commit_deadline: BlockNumber,
	/// The first block in which reveals are refused.
	pub reveal_deadline: BlockNumber,
	/// A dispute's provisional verdict, open to appeal until its `appeal_until`.
	pub verdict: Option<Verdict<BlockNumber>>,
	/// Who appealed the verdict, if anyone did (the committee is then the appeal's).
	pub appellant: Option<AccountId>,
	/// A verification round's audit: pending until its roll, then none or audited.
	pub audit: AuditStage<BlockNumber>,
}

impl<AccountId, Balance, BlockNumber, M: Get<u32>> From<Round<AccountId, Balance, BlockNumber, M>>
	for RoundView<AccountId, Balance, BlockNumber>
{
	fn from(round: Round<AccountId, Balance, BlockNumber, M>) -> Self {
		RoundView {
			origin: round.origin,
			claimant: round.claimant,
			claim: round.claim,
			context: round.context,
			claimant_output: round.claimant_output,
			committee: round.committee.into_inner(),
			draw_at: round.draw_at,
			votes_needed: round.votes_needed,
			opened_at: round.opened_at,
			commit_deadline: round.commit_deadline,
			reveal_deadline: round.reveal_deadline,
			verdict: round.verdict,
			appellant: round.appeal.map(|appeal| appeal.appellant),
			audit: round.audit,
		}
	}
}

/// The position under which the claimant's revealed output is kept in
/// [`crate::RevealedOutputs`], beside the committee's `0..committee_size`.
pub const CLAIMANT_POSITION: u32 = u32::MAX;

/// Where an appealed dispute keeps its first committee's revealed outputs in
/// [`crate::RevealedOutputs`]: this plus each member's position, apart from the appeal
/// committee's `0..size` and the claimant's [`CLAIMANT_POSITION`].
pub const FIRST_COMMITTEE_OFFSET: u32 = 1_000;

/// How many accounts may join a dispute's challenge besides its first challenger.
pub const MAX_CO_CHALLENGERS: u32 = 8;

/// How many blocks after the wanted one a deadline may move when that block's list is full.
pub const DEADLINE_SEARCH: u32 = 16;

/// How many blocks the claim cursor ([`crate::ClaimsDueFrom`]) may fall behind the current
/// block before the pallet takes no new claims ([`crate::Pallet::accepting_claims`]): a
/// consumer then refuses the work that would make one (a vanilla request) with nothing held,
/// rather than letting standing claims, and the fees they hold, wait ever longer.
pub const MAX_CLAIM_LAG: u32 = 4;
