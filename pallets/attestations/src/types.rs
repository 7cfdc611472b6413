//! The pallet's stored records and the payloads that role keys sign.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{pallet_prelude::*, traits::Get, BoundedVec};
use opg_primitives::{
	attestation::{NodeKey, OutputHash, RoleSet, RoundKind, SubjectId},
	tee::{
		EnclaveKey, EnclaveSignature, Fmspc, Freshness, Measurement, MeasurementId, PckCa,
		TcbStatus, TeeKind,
	},
};
use scale_info::TypeInfo;
use sp_runtime::{
	traits::{Saturating, Zero},
	Perbill,
};

/// Where a node stands.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum NodeStatus<BlockNumber> {
	/// Heard from recently and bonded at least its roles' minimums: selectable for its roles
	/// (unless chilled).
	Active,
	/// Missed too many heartbeat periods, or bonded less than its roles need (after a slash or
	/// a raised minimum): not selectable until a heartbeat or more bond puts it right.
	Inactive {
		/// The block in which it was marked inactive.
		since: BlockNumber,
	},
	/// Leaving: its whole bond is unbonding. The record goes when the last of it is withdrawn.
	Leaving,
}

/// Part of a bond on its way out: still held, still slashable, free at `unlock_at`.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct UnlockChunk<Balance, BlockNumber> {
	/// The amount unbonding.
	pub amount: Balance,
	/// The first block in which it can be withdrawn.
	pub unlock_at: BlockNumber,
}

/// A registered node: what it may do, what it has at stake, and whether it is alive.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
#[scale_info(skip_type_params(MaxEndpointLen, MaxUnlocking))]
pub struct NodeInfo<Balance, BlockNumber, MaxEndpointLen: Get<u32>, MaxUnlocking: Get<u32>> {
	/// The roles it registered for.
	pub roles: RoleSet,
	/// The key its offchain worker signs with.
	pub key: NodeKey,
	/// Where a data node serves model bytes (an `http://` or `https://` URL).
	pub endpoint: Option<BoundedVec<u8, MaxEndpointLen>>,
	/// The active bond: held, slashable, and the node's weight in selection.
	pub bonded: Balance,
	/// Bond being unbonded: held and slashable until withdrawn.
	pub unlocking: BoundedVec<UnlockChunk<Balance, BlockNumber>, MaxUnlocking>,
	/// Active, inactive or leaving.
	pub status: NodeStatus<BlockNumber>,
	/// Set by governance: a chilled node is not selected until governance unchills it.
	pub chilled: bool,
	/// The block of its last heartbeat; `None` before the first.
	pub last_heartbeat: Option<BlockNumber>,
	/// Claims, rounds and consumer jobs it takes part in that have not ended.
	pub open_work: u32,
	/// The block it registered in.
	pub registered_at: BlockNumber,
}

impl<Balance, BlockNumber, E: Get<u32>, U: Get<u32>> NodeInfo<Balance, BlockNumber, E, U>
where
	Balance: Copy + Saturating + Zero,
	BlockNumber: PartialEq,
{
	/// Everything held for this node's bond: active plus unlocking.
	pub fn total_held(&self) -> Balance {
		self.unlocking.iter().fold(self.bonded, |total, chunk| total.saturating_add(chunk.amount))
	}

	/// The block liveness counts from: the last heartbeat, or the registration before one.
	pub fn alive_at(&self) -> BlockNumber
	where
		BlockNumber: Copy,
	{
		self.last_heartbeat.unwrap_or(self.registered_at)
	}

	/// Whether the node belongs in the selection pool of its roles: active and not chilled.
	/// (Selection also skips, without writing, nodes that are stale or under-bonded.)
	pub fn in_pool(&self) -> bool {
		self.status == NodeStatus::Active && !self.chilled
	}
}

/// What a node has done, for dApps and governance to judge it by.
#[derive(
	Clone,
	Copy,
	Default,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct Reputation<Balance> {
	/// Claims upheld and rounds in which it revealed the decided output.
	pub completed: u32,
	/// Claims overturned, and rounds in which it revealed a minority output or did not reveal.
	pub failed: u32,
	/// Heartbeat periods it missed.
	pub missed_heartbeats: u32,
	/// Times it was slashed.
	pub slashes: u32,
	/// The total slashed from it.
	pub slashed: Balance,
}

/// The chain's attestation parameters. Governance changes them one at a time with
/// [`crate::Pallet::set_parameter`], within the runtime's bounds
/// ([`crate::Config::MinimumParameters`], [`crate::Config::MaximumParameters`]) and the relations
/// that [`Parameters::check`] enforces.
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
	/// The least an inference node bonds.
	pub min_inference_bond: Balance,
	/// The least a verifier bonds.
	pub min_verifier_bond: Balance,
	/// The least a data node bonds.
	pub min_data_bond: Balance,
	/// Blocks between unbonding and withdrawing. Bond stays slashable meanwhile, so it must
	/// outlast any claim or round the node took part in.
	pub unbonding_period: BlockNumber,
	/// Blocks per heartbeat period: a node sends one heartbeat per period.
	pub heartbeat_period: BlockNumber,
	/// Whole periods a node may miss before it is marked inactive.
	pub max_missed_heartbeats: u32,
	/// Verifiers per round.
	pub committee_size: u32,
	/// The part of the committee that must reveal the same output to decide a round; above
	/// one half, so two outputs can never both reach it.
	pub quorum: Perbill,
	/// Blocks from a round's committee draw to its commit deadline.
	pub commit_period: BlockNumber,
	/// Blocks from the commit deadline to the reveal deadline.
	pub reveal_period: BlockNumber,
	/// Blocks in which a claim can be challenged.
	pub challenge_window: BlockNumber,
	/// What a challenger holds while its dispute runs; lost if the claim is upheld.
	pub challenge_bond: Balance,
	/// The part of its bond a committee member loses for revealing a minority output.
	pub minority_slash: Perbill,
	/// The part of its bond a committee member loses for not revealing.
	pub no_reveal_slash: Perbill,
	/// The part of its bond a claimant loses when a round decides against its claim.
	pub false_claim_slash: Perbill,
	/// The part of every slash paid to the winners (the honest committee members, or the
	/// winner of a dispute); the rest goes to the treasury.
	pub reward_share: Perbill,
}

/// One parameter with its new value: what a referendum changes. Changing one parameter at a
/// time lets referenda on different parameters run side by side: each enacts its own change
/// and none restores a value another one changed.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum ParameterChange<Balance, BlockNumber> {
	/// [`Parameters::min_inference_bond`].
	#[codec(index = 0)]
	MinInferenceBond(Balance),
	/// [`Parameters::min_verifier_bond`].
	#[codec(index = 1)]
	MinVerifierBond(Balance),
	/// [`Parameters::min_data_bond`].
	#[codec(index = 2)]
	MinDataBond(Balance),
	/// [`Parameters::unbonding_period`].
	#[codec(index = 3)]
	UnbondingPeriod(BlockNumber),
	/// [`Parameters::heartbeat_period`].
	#[codec(index = 4)]
	HeartbeatPeriod(BlockNumber),
	/// [`Parameters::max_missed_heartbeats`].
	#[codec(index = 5)]
	MaxMissedHeartbeats(u32),
	/// [`Parameters::committee_size`].
	#[codec(index = 6)]
	CommitteeSize(u32),
	/// [`Parameters::quorum`].
	#[codec(index = 7)]
	Quorum(Perbill),
	/// [`Parameters::commit_period`].
	#[codec(index = 8)]
	CommitPeriod(BlockNumber),
	/// [`Parameters::reveal_period`].
	#[codec(index = 9)]
	RevealPeriod(BlockNumber),
	/// [`Parameters::challenge_window`].
	#[codec(index = 10)]
	ChallengeWindow(BlockNumber),
	/// [`Parameters::challenge_bond`].
	#[codec(index = 11)]
	ChallengeBond(Balance),
	/// [`Parameters::minority_slash`].
	#[codec(index = 12)]
	MinoritySlash(Perbill),
	/// [`Parameters::no_reveal_slash`].
	#[codec(index = 13)]
	NoRevealSlash(Perbill),
	/// [`Parameters::false_claim_slash`].
	#[codec(index = 14)]
	FalseClaimSlash(Perbill),
	/// [`Parameters::reward_share`].
	#[codec(index = 15)]
	RewardShare(Perbill),
}

impl<Balance, BlockNumber> Parameters<Balance, BlockNumber> {
	/// Sets the parameter that `change` names.
	pub fn apply(&mut self, change: ParameterChange<Balance, BlockNumber>) {
		use ParameterChange::*;
		match change {
			MinInferenceBond(value) => self.min_inference_bond = value,
			MinVerifierBond(value) => self.min_verifier_bond = value,
			MinDataBond(value) => self.min_data_bond = value,
			UnbondingPeriod(value) => self.unbonding_period = value,
			HeartbeatPeriod(value) => self.heartbeat_period = value,
			MaxMissedHeartbeats(value) => self.max_missed_heartbeats = value,
			CommitteeSize(value) => self.committee_size = value,
			Quorum(value) => self.quorum = value,
			CommitPeriod(value) => self.commit_period = value,
			RevealPeriod(value) => self.reveal_period = value,
			ChallengeWindow(value) => self.challenge_window = value,
			ChallengeBond(value) => self.challenge_bond = value,
			MinoritySlash(value) => self.minority_slash = value,
			NoRevealSlash(value) => self.no_reveal_slash = value,
			FalseClaimSlash(value) => self.false_claim_slash = value,
			RewardShare(value) => self.reward_share = value,
		}
	}
}

impl<Balance: PartialOrd, BlockNumber: PartialOrd> Parameters<Balance, BlockNumber> {
	/// Whether every parameter lies between its value in `minimum` and in `maximum`
	/// (inclusive): the bounds no referendum can leave.
	pub fn within(&self, minimum: &Self, maximum: &Self) -> bool {
		macro_rules! all_within {
			($($field:ident),* $(,)?) => {
				true $(&& minimum.$field <= self.$field && self.$field <= maximum.$field)*
			};
		}
		all_within!(
			min_inference_bond,
			min_verifier_bond,
			min_data_bond,
			unbonding_period,
			heartbeat_period,
			max_missed_heartbeats,
			committee_size,
			quorum,
			commit_period,
			reveal_period,
			challenge_window,
			challenge_bond,
			minority_slash,
			no_reveal_slash,
			false_claim_slash,
			reward_share,
		)
	}
}

/// Why a parameter set is refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ParameterError {
	/// A minimum bond or the challenge bond is zero.
	ZeroBond,
	/// A period is zero.
	ZeroPeriod,
	/// The committee is empty or larger than the pallet's `MaxCommitteeSize`.
	CommitteeSize,
	/// The quorum is not above one half.
	Quorum,
	/// No missed heartbeat is tolerated.
	MaxMissed,
	/// The unbonding period is not longer than a claim's window plus a round's periods (and the
	/// slack of moved deadlines), so a node could withdraw a bond a dispute is about to slash.
	UnbondingTooShort,
}

impl<Balance: Zero + Copy, BlockNumber: Zero + Saturating + Copy + PartialOrd + From<u32>>
	Parameters<Balance, BlockNumber>
{
	/// Checks the bounds a referendum cannot exceed.
	pub fn check(&self, max_committee: u32) -> Result<(), ParameterError> {
		let bonds = [
			self.min_inference_bond,
			self.min_verifier_bond,
			self.min_data_bond,
			self.challenge_bond,
		];
		if bonds.iter().any(Zero::is_zero) {
			return Err(ParameterError::ZeroBond);
		}
		let periods = [
			self.unbonding_period,
			self.heartbeat_period,
			self.commit_period,
			self.reveal_period,
			self.challenge_window,
		];
		if periods.iter().any(Zero::is_zero) {
			return Err(ParameterError::ZeroPeriod);
		}
		if self.committee_size == 0 || self.committee_size > max_committee {
			return Err(ParameterError::CommitteeSize);
		}
		if self.quorum <= Perbill::from_percent(50) {
			return Err(ParameterError::Quorum);
		}
		if self.max_missed_heartbeats == 0 {
			return Err(ParameterError::MaxMissed);
		}
		// A claim's window, then a committee drawn a block later, then its two periods; each of
		// the three deadlines (challenge, draw, reveal) may move up to DEADLINE_SEARCH blocks
		// when blocks are full.
		let slack = BlockNumber::from(3 * DEADLINE_SEARCH + 1);
		let longest_work = self
			.challenge_window
			.saturating_add(self.commit_period)
			.saturating_add(self.reveal_period)
			.saturating_add(slack);
		if self.unbonding_period <= longest_work {
			return Err(ParameterError::UnbondingTooShort);
		}
		Ok(())
	}

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
	/// The output it revealed, once revealed.
	pub revealed: Option<OutputHash>,
}

/// Who started a round and what they put up.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum RoundOrigin<AccountId, Balance> {
	/// The consumer asked for verification of every claim (attested mode).
	Verification,
	/// A verifier challenged a claim, holding `bond`.
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

/// An open commit-reveal round. Its committee is drawn at the start of block `draw_at` (the
/// block after it opened), from a seed that whoever opened it could not know; until then the
/// committee is empty and the deadlines are zero. Decided rounds leave storage in the block
/// that decides them.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
#[scale_info(skip_type_params(MaxCommittee))]
pub struct Round<AccountId, Balance, BlockNumber, MaxCommittee: Get<u32>> {
	/// Verification or dispute.
	pub origin: RoundOrigin<AccountId, Balance>,
	/// The node whose claim is checked.
	pub claimant: AccountId,
	/// The output it claimed.
	pub claimed: OutputHash,
	/// The committee, in selection order; empty until drawn.
	pub committee: BoundedVec<CommitteeMember<AccountId>, MaxCommittee>,
	/// The block at whose start the committee is drawn.
	pub draw_at: BlockNumber,
	/// Same reveals needed to decide.
	pub votes_needed: u32,
	/// The block it opened in.
	pub opened_at: BlockNumber,
	/// The first block in which commitments are refused.
	pub commit_deadline: BlockNumber,
	/// The first block in which reveals are refused: the round is decided at its start.
	pub reveal_deadline: BlockNumber,
}

impl<AccountId: PartialEq, Balance, BlockNumber, M: Get<u32>>
	Round<AccountId, Balance, BlockNumber, M>
{
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

	/// Whether a drawn committee has revealed in full, which decides the round early.
	pub fn all_revealed(&self) -> bool {
		self.drawn() && self.committee.iter().all(|member| member.revealed.is_some())
	}

	/// The output at least `votes_needed` members revealed, if any.
	pub fn decided_output(&self) -> Option<OutputHash> {
		self.committee.iter().filter_map(|member| member.revealed).find(|candidate| {
			let votes = self.committee.iter().filter(|m| m.revealed == Some(*candidate)).count();
			votes >= self.votes_needed as usize
		})
	}
}

/// A claimed output open to challenge (vanilla mode).
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Claim<AccountId, BlockNumber> {
	/// The node that claimed it.
	pub claimant: AccountId,
	/// The output it claimed.
	pub output: OutputHash,
	/// The first block in which it can no longer be challenged: it stands at that block's start.
	pub challenge_deadline: BlockNumber,
}

/// A heartbeat: `node` is alive in the heartbeat period that starts at block `period_start`.
/// A block number, not a period index, so a heartbeat signed for one period can never be valid
/// for another, even after governance changes the period's length.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Heartbeat<AccountId, BlockNumber> {
	/// The node's account.
	pub node: AccountId,
	/// The first block of the period.
	pub period_start: BlockNumber,
}

/// What a role key signs: the payload, after a domain tag and the genesis hash, so a
/// signature is good for one purpose on one chain. Commitments and reveals name the round by
/// the block it opened in, so a signature for one round of a subject is void in any later one.
#[derive(Encode)]
pub enum SignedStatement<'a, AccountId, BlockNumber> {
	/// A heartbeat.
	Heartbeat(&'a Heartbeat<AccountId, BlockNumber>),
	/// A commitment to an output in `subject`'s round opened at block `round`.
	Commit {
		subject: &'a SubjectId,
		round: &'a BlockNumber,
		member: &'a AccountId,
		commitment: &'a sp_core::H256,
	},
	/// The reveal of an output in `subject`'s round opened at block `round`.
	Reveal {
		subject: &'a SubjectId,
		round: &'a BlockNumber,
		member: &'a AccountId,
		output: &'a OutputHash,
		salt: &'a [u8; 32],
	},
	/// `account` registers (or rotates to) this role key: proof that it holds the key, so no one
	/// can claim another operator's key.
	KeyOwnership { account: &'a AccountId },
}

/// How many blocks after the wanted one a deadline may move when that block's list is full.
pub const DEADLINE_SEARCH: u32 = 16;

/// The domain tag that starts every message a role key signs.
pub const SIGNING_DOMAIN: &[u8; 11] = b"opg:attest:";

/// The bytes a role key signs for `statement` on the chain with genesis hash `genesis`.
pub fn signing_message<Hash: Encode, AccountId: Encode, BlockNumber: Encode>(
	genesis: &Hash,
	statement: &SignedStatement<'_, AccountId, BlockNumber>,
) -> alloc::vec::Vec<u8> {
	(SIGNING_DOMAIN, genesis, statement).encode()
}

/// The commitment a verifier makes to `output`: a blake2-256 over the output, a secret salt,
/// its own account, the subject and the round's opening block, so no one can copy another's
/// commitment or reuse one in another round.
pub fn commitment_of<AccountId: Encode, BlockNumber: Encode>(
	subject: &SubjectId,
	round: &BlockNumber,
	member: &AccountId,
	output: &OutputHash,
	salt: &[u8; 32],
) -> sp_core::H256 {
	sp_core::H256(sp_io::hashing::blake2_256(
		&(b"opg:commit", subject, round, member, output, salt).encode(),
	))
}

/// The size of a role's pool and the capacity of its Fenwick tree.
#[derive(Clone, Copy, Default, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct PoolSize {
	/// Occupied slots: `1..=len`.
	pub len: u32,
	/// The tree's capacity: zero or a power of two at least `len`; it never shrinks.
	pub capacity: u32,
}

/// A node as the runtime API shows it: its record, whether selection would pick it now, and its
/// reputation.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct NodeView<AccountId, Balance, BlockNumber> {
	/// The node's account.
	pub account: AccountId,
	/// Its roles.
	pub roles: RoleSet,
	/// Its role key.
	pub key: NodeKey,
	/// A data node's endpoint.
	pub endpoint: Option<alloc::vec::Vec<u8>>,
	/// Its active bond.
	pub bonded: Balance,
	/// Its unbonding chunks.
	pub unlocking: alloc::vec::Vec<UnlockChunk<Balance, BlockNumber>>,
	/// Active, inactive or leaving.
	pub status: NodeStatus<BlockNumber>,
	/// Whether governance chilled it.
	pub chilled: bool,
	/// Whether it has missed more heartbeat periods than allowed (and will be marked inactive).
	pub stale: bool,
	/// The block of its last heartbeat.
	pub last_heartbeat: Option<BlockNumber>,
	/// Its open claims, rounds and jobs.
	pub open_work: u32,
	/// What it has done.
	pub reputation: Reputation<Balance>,
}

/// Why a node was marked inactive.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum InactiveReason {
	/// It missed more heartbeat periods than allowed.
	MissedHeartbeats,
	/// Its active bond is below its roles' minimums.
	UnderBonded,
}

/// A quote, as the calls take it.
pub type QuoteBytes = BoundedVec<u8, ConstU32<{ opg_primitives::tee::MAX_QUOTE_BYTES }>>;
/// Collateral in Intel's JSON form, as the calls take and storage keeps it.
pub type CollateralBytes = BoundedVec<u8, ConstU32<{ opg_primitives::tee::MAX_COLLATERAL_BYTES }>>;

/// What a node offers to prove that its enclave key lives in an approved TEE.
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub enum TeeEvidence<BlockNumber> {
	/// An Intel DCAP quote (SGX or TDX) from a platform of family `fmspc` whose PCK certificate
	/// `pck_ca` issued, with report data `bind_report_data(enclave_key, hash of block anchor)`.
	Dcap {
		/// The quote, as the TEE produced it.
		quote: QuoteBytes,
		/// The platform family, which with `pck_ca` picks the collateral (`opg-node tee quote`
		/// prints both).
		fmspc: Fmspc,
		/// The platform's PCK certificate authority.
		pck_ca: PckCa,
		/// The recent block whose hash the report data binds.
		anchor: BlockNumber,
	},
	/// **Insecure**: no TEE evidence, only the enclave key's signature of
	/// `insecure_registration_message(genesis, account)` (the account holds the key). Accepted
	/// only where genesis allows the dev enclave and governance put
	/// [`Measurement::InsecureDevEnclave`] on the allow-list.
	InsecureDevEnclave {
		/// The enclave key's signature naming the registering account.
		key_proof: EnclaveSignature,
	},
}

/// A node's standing TEE registration.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct TeeRegistration<BlockNumber> {
	/// The key its enclave signs results with.
	pub enclave_key: EnclaveKey,
	/// The allow-listed measurement its quote reported.
	pub measurement: MeasurementId,
	/// SGX, TDX, or the insecure dev stand-in.
	pub kind: TeeKind,
	/// The TCB status at registration (none for the dev stand-in).
	pub tcb_status: Option<TcbStatus>,
	/// The platform family (none for the dev stand-in).
	pub fmspc: Option<Fmspc>,
	/// The block it registered in.
	pub registered_at: BlockNumber,
}

impl<BlockNumber> TeeRegistration<BlockNumber> {
	/// Whether no TEE vouches for it (the dev chain's insecure enclave).
	pub fn insecure(&self) -> bool {
		self.kind == TeeKind::InsecureDev
	}
}

/// An allow-listed measurement.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct AllowedMeasurement {
	/// The measurement.
	pub measurement: Measurement,
	/// How many nodes stand registered under it.
	pub nodes: u32,
}

/// The collateral of a platform family (and PCK certificate authority), as refreshed last.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct CollateralRecord {
	/// Intel's JSON collateral.
	pub collateral: CollateralBytes,
	/// How fresh its parts are: a refresh never moves one backwards.
	pub freshness: Freshness,
	/// Unix seconds: when its first part expires; registrations stop after it.
	pub expires_at: u64,
}

/// Where a platform family's collateral is kept: TEE kind, FMSPC and PCK certificate authority
/// (each authority has its own revocation list).
pub type CollateralKey = (TeeKind, Fmspc, PckCa);

/// A node's TEE registration as the runtime API shows it.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct TeeView<BlockNumber> {
	/// The registration.
	pub registration: TeeRegistration<BlockNumber>,
	/// The measurement it stands under.
	pub measurement: Measurement,
	/// **Whether it is the dev chain's insecure enclave**: no TEE vouches for its results.
	pub insecure: bool,
}
