//! # Attestations
//!
//! How contested results are decided. Verification without a proof rests on bonded nodes that
//! lose their bond when they lie: this pallet runs the commit-reveal rounds of committees drawn
//! from the node registry, keeps the claims open to challenge, and decides who is slashed and who
//! is paid when they end. It attests abstract subjects (a [`SubjectId`] and a claimed
//! [`OutputHash`]) and reports outcomes through [`OnConclusion`]. It reaches nodes only through
//! [`Config::Nodes`] ([`api::NodeRegistry`] and [`api::SlashBond`], implemented by pallet-nodes):
//! committees are drawn, open work counted and bonds slashed there. The inference pallet opens
//! claims and rounds through [`api::Attestations`]; no pallet imports another.
//!
//! ## Rounds
//!
//! A round checks a claimant's claimed output for a subject. The consumer opens one for every
//! attested-mode job ([`api::Attestations::open_round`]); a verifier opens one by challenging a
//! vanilla-mode claim within its window ([`Pallet::challenge`], with a challenge bond; dispute
//! rounds have deadline room of their own, [`DisputeDeadlines`]). The
//! committee, a stake-weighted choice of eligible verifiers, is drawn at the start of the block
//! after the one that opened the round, seeded by the VRF outputs of the drawing block and its
//! parent (the registry's draw, `opg_primitives::randomness`) and the subject, never by a
//! block's hash or contents: nobody knew both outputs when the opener (a claimant, a
//! challenger, the consumer) sent its transaction, and the author of the opening block cannot
//! re-roll the seed by re-signing, reordering or dropping transactions, as it could a parent
//! hash under Aura. (When the next block's deadline list is full the draw moves to a later
//! block, whose outputs the opener could not know either.) What is left to an author: the
//! author of the drawing block can withhold it, trading its slot for one other committee, and
//! an author that holds both the opening and the drawing slot knows the seed early, as likely
//! as holding two slots in a row (its share of the slots, squared, per round). Before, an author could
//! grind every round opened in its own blocks for free (a 2% verifier-stake holder needed about
//! 13,000 re-signatures to seat a quorum of 3 in 5); now the same holder gets a quorum with the
//! binomial tail `P(f)` of its stake in every round but those (committee 5, quorum 3: 0.86% for
//! `f = 0.1`, 0.12% for 5%, 0.008% for 2%), plus at most one alternative per slot it withholds.
//! See `docs/architecture.md`.
//!
//! A round checks a **claim**. In a verification round (attested mode) the claim is the
//! claimant's commitment to its output ([`commitment_of`] its output's hash, the subject, the
//! subject's context and a salt): nothing of the output is on chain until the committee has
//! committed, so a member cannot stand behind the claimant's output without computing one of
//! its own. In a dispute (vanilla mode) the claim is a public output's hash, and the consumer's
//! copy of the output ([`SubjectOutputs::claimed_output`]) is the claimant's reveal from the
//! start.
//!
//! The committee has [`ActiveParameters`]' `commit_period` blocks to commit
//! [`commitment_of`] its own output ([`Pallet::commit`]), computed from the subject alone
//! ([`SubjectOutputs::reexecute`]), then `reveal_period` blocks in which members and a
//! verification round's claimant reveal their **full outputs** and salts ([`Pallet::reveal`]).
//! Commitments and reveals sign the round's claim and context besides the subject and the
//! block it opened in, so after a reorg nothing signed for one request lands in the round of
//! another that took the same subject id; a participant's offchain worker keeps its output under
//! a key that names them too ([`api::duty_storage_key`]), cleared by offchain indexing when the
//! round ends. Reveals may start as soon as every member has committed, and the round ends as
//! soon as everyone has revealed; otherwise it ends at the start of its reveal deadline block.
//! Commits and reveals, like heartbeats, are authorized by the role key's signature and pay no
//! fee.
//!
//! Each reveal is checked against its commitment and the subject's declared outputs
//! ([`SubjectOutputs::is_valid`]) and compared, both ways, with every output revealed before
//! it, within the subject's tolerance ([`SubjectOutputs::agrees`]); the agreement sets are kept
//! in the round, so deciding it compares nothing. The decided output is the revealed member
//! output that most members' outputs agree with, if at least `quorum` of the committee do. Members
//! whose outputs do not agree with it lose `minority_slash` of their bond, members that did not
//! reveal lose `no_reveal_slash`, which must be more ([`ParameterError::SilenceCheaper`]): once a
//! member has seen the others' reveals, withholding its own is never the cheap exit.
//! `reward_share` of what they lose is split among the agreeing members and the rest goes to
//! [`Config::OnSlash`] (the treasury). The claim is upheld when the claimant's output agrees with
//! the decided one; otherwise the claimant loses `false_claim_slash` (a verification round's
//! claimant that never revealed loses the larger of `false_claim_slash` and `no_reveal_slash`).
//! In a dispute the committee's majority is paid `dispute_fee` out of the challenge bond
//! whatever it decides; a challenger that loses forfeits the rest of the bond too
//! (`reward_share` of it to the claimant), one that wins gets the rest back and `reward_share`
//! of the claimant's slash. A round without a quorum ends undecided: only non-revealers are
//! slashed (to the members that revealed), and the first challenger's bond goes back less the
//! dispute fee (to the members that revealed, or the treasury when none did or no committee
//! could be drawn): no challenge is free, or a requester could challenge its own job's honest
//! answer and, should the dispute end undecided, have both the result and its fee back. An
//! honest challenger bears that fee when too few verifiers are eligible; one that makes
//! disputes undecided by crowding the dispute lists pays a fee per dispute, and loses the whole
//! bond on each that a committee decides for the claim. Nothing is
//! burned: every slashed unit lands in an account. Bonds are slashed by the node registry
//! ([`api::SlashBond`]), which hands the slashed funds back for this pallet to pay out.
//!
//! ### Appeals, and what is final when
//!
//! A dispute whose committee decides does not settle at once: its verdict is provisional
//! ([`Round::verdict`], [`Event::DisputeDecided`]) for `appeal_window` blocks, and nothing of
//! its money moves and the consumer hears nothing in that time. Within the window the losing
//! side may appeal once: the claimant when its claim fell; anyone but the claimant (the
//! challenger, the requester, any verifier) when it stood, so a friend of the node that
//! challenged first and lost on purpose cannot keep an appeal from being heard
//! ([`Pallet::appeal`]), holding an appeal bond of **twice the challenge bond**
//! ([`HoldReason::AppealBond`]). A committee of twice the first one's size (at most
//! `MaxCommitteeSize`; never the first committee, the claimant, the challenger or the
//! appellant) is drawn in
//! the next block and commits and reveals exactly like the first; the first committee and its
//! revealed outputs wait aside ([`Appeal`], [`FIRST_COMMITTEE_OFFSET`]).
//!
//! - **A claim nobody challenged** is final when its challenge window ends
//!   ([`Event::ClaimStood`]).
//! - **A verification round** (attested mode) is final when it decides or ends undecided: it
//!   cannot be appealed.
//! - **A dispute that ends undecided** (no quorum, or too few eligible verifiers to draw it)
//!   is final at once: only silent members are slashed, and the challenge bond goes back less
//!   the dispute fee.
//! - **A decided dispute nobody appealed** is final when its appeal window ends: it settles
//!   then exactly as described above.
//! - **An appealed dispute** is final when the appeal round ends. If the appeal committee
//!   decides, its verdict is the final one: the claimant and the challenger are settled by it,
//!   the appeal committee is judged and paid like any dispute committee (its majority shares
//!   the dispute fee), the first committee's members whose outputs disagree with the final
//!   output (within tolerance) lose `minority_slash` and silent ones `no_reveal_slash`, and
//!   the appellant gets its bond back if the verdict changed, or loses it if it was confirmed
//!   (`reward_share` to the appeal majority, the rest to the treasury). If the appeal ends
//!   undecided (no quorum, or too few eligible verifiers to draw it), the first verdict stands,
//!   settled as if never appealed, and the appeal bond goes back.
//!
//! ### Payoffs
//!
//! | actor | honest | lazy (no execution) | lying | silent |
//! |---|---|---|---|---|
//! | claimant (verification) | upheld, paid by the consumer | its output is a guess: rejected, `false_claim_slash` | `false_claim_slash` | max(`false_claim_slash`, `no_reveal_slash`) |
//! | member | its share of the consumer's verifier fee (and of a dispute fee), plus `reward_share` of the losers' slashes | commits blind: `minority_slash` (or `no_reveal_slash` if it withholds) | `minority_slash` | `no_reveal_slash` > `minority_slash` |
//! | challenger | wins: bond − `dispute_fee` back, plus `reward_share` of the claimant's slash; undecided: bond − `dispute_fee` back (so challenging an honest claim hoping for an undecided dispute, and a refund, loses the fee) | — | loses the bond | — |
//! | joining challenger ([`Pallet::join_challenge`], until reveals open) | wins: its bond back, and an equal part, with the other joiners, of the treasury's share of the claimant's slash (the first challenger's reward stays whole) | — | loses its bond (to the claimant's `reward_share` and the treasury) | — |
//! | appellant (a verdict's loser) | the verdict changes: its appeal bond back, and it is settled as the winner | — | the verdict is confirmed: loses the appeal bond (2 × the challenge bond) | — |
//! | first dispute committee, appealed | judged against the final output: agreeing members keep their bonds (the dispute fee goes to the appeal majority) | `minority_slash` if the final output differs | `minority_slash` | `no_reveal_slash` |
//! | member of an audited round | as above, paid beside the auditors when it agrees with the audit's output | `minority_slash` even if the first committee's quorum was lazy with it | `minority_slash` | `no_reveal_slash` |
//! | auditor | its share of the consumer's verifier fee, plus `reward_share` of the slashes | `minority_slash` | `minority_slash` | `no_reveal_slash` |
//! | block author | can drop reveals until the deadline: the dropped members are slashed as silent, which is what the author gains nothing from unless it wants the round undecided | | | |
//!
//! A committee colluding to a quorum can still agree on a wrong output (a binomial tail of its
//! stake share, see above). Audits price that: see below. In a dispute the loser can appeal to
//! a committee twice the size, of which the colluders must hold a quorum too.
//!
//! ### Audits
//!
//! `audit_share` of verification rounds are audited ([`AuditStage`]). Whether a round is, is
//! rolled from the VRF randomness of the block after its last commitment (or of its commit
//! deadline), so when its members commit nothing tells an audited round from another: its
//! record is the same either way. Reveals wait for the roll. If audited, an audit committee as
//! large as the first (never the first committee or the claimant) is drawn then, commits in a
//! fresh commit period (nothing is revealed yet, so it has nothing to copy), and the reveal
//! deadline moves a reveal period after that. The audit committee's output decides if a quorum
//! of it agrees; every member, first and audit, is judged against that output (a first-committee
//! member that disagrees loses `minority_slash`, a silent one `no_reveal_slash`), the claim
//! stands only if the claimant's output agrees with it, and the members paid by the consumer are
//! all that agree, auditors included. An audit committee without a quorum ends the round
//! undecided (only the silent are slashed; the consumer refunds): the first committee's output
//! never carries an audited round. Reveals keep at least a full `reveal_period` after the roll,
//! however late full deadline lists pushed it. Audits need room for the second committee: with
//! audits on, `committee_size` is at most half of `MaxCommitteeSize`
//! ([`ParameterError::AuditNoRoom`]).
//!
//! What it costs a colluding quorum: in an unaudited round it decides what it likes; in an
//! audited one (a share `a` of rounds it cannot foresee) it loses `minority_slash` per member
//! unless it also holds a quorum of the fresh audit committee (with only a blocking minority of
//! it the round ends undecided and the job is refunded), and the claimant it backed loses
//! `false_claim_slash`. A member that answers without executing gains the cost of a re-run `c`
//! per round and loses at least `a × minority_slash × bond` in expectation, so laziness loses
//! money once `a × minority_slash × bond > c` (with the production 5% and 10%, a bond above
//! 200 × `c`).
//!
//! ## Parameters
//!
//! Committee size, quorum, periods, the challenge bond and the slash fractions live in
//! [`ActiveParameters`], set at genesis (short periods on dev chains) and changed one at a time
//! by [`Config::GovernanceOrigin`] with [`Pallet::set_parameter`], each within
//! [`Config::MinimumParameters`] and [`Config::MaximumParameters`] and the relations of
//! [`Parameters::check`]: among them, a claim's window and a round's periods end before the
//! node registry's unbonding period ([`Config::UnbondingPeriod`]), so no bond at stake in a
//! dispute can be withdrawn (the registry checks the same relation from its side, through
//! [`LongestWork`]).
//!
//! ## Invariants (checked by `try_state`)
//!
//! - Each challenger's [`HoldReason::ChallengeBond`] hold equals the bonds of its open disputes
//!   (first or joined, [`CoChallengers`], which name only running disputes),
//!   and each account's [`HoldReason::AppealBond`] hold the bonds of its open appeals.
//! - No subject has both a claim and a round; every open round is undecided but a dispute
//!   holding a provisional verdict (which its committee decided, and which names the decided
//!   output), and every open round's and claim's deadline (a provisional verdict's: the end of
//!   its appeal window) is at or after its kind's cursor of the deadline hook ([`DueFrom`]
//!   for rounds, [`ClaimsDueFrom`] for claims, each at most the next block) and listed in [`Deadlines`] (verification rounds),
//!   [`DisputeDeadlines`] or [`ClaimDeadlines`], which list nothing else; every committee seat,
//!   and every verification round's claimant, is indexed in [`Duties`]. Only disputes hold
//!   verdicts, and only a verdict is appealed.
//! - Every reveal follows a commitment, and [`RevealedOutputs`] keeps exactly the revealed
//!   outputs of open rounds, each hashing to its reveal (an appealed dispute's first committee's
//!   too, at [`FIRST_COMMITTEE_OFFSET`] plus each position); a dispute's claimed output is kept
//!   from its start.
//!
//! That a node's open work covers the claims and rounds it takes part in spans this pallet and
//! the registry: the runtime checks it ([`Pallet::open_work_units`]).

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod claims;
mod deadlines;
mod duties;
mod invariants;
pub mod migrations;
#[cfg(test)]
mod mock;
mod rounds;
#[cfg(test)]
mod tests;
mod types;
pub mod weights;

use alloc::vec::Vec;
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{self, BalancedHold, Credit, Inspect, MutateHold},
		OnUnbalanced,
	},
};
use frame_system::{offchain::CreateBare, pallet_prelude::*};
pub use opg_primitives::attestation::commitment_of;
use opg_primitives::attestation::{
	self as api, Conclusion, NodeKeySignature, NodeRegistry, OnConclusion, OutputHash, RoundKind,
	SignedStatement, SlashBond, SlashReason, SubjectId, SubjectOutputs,
};
use sp_runtime::traits::{Saturating, Zero};

/// The balance type of the currency challenge bonds are held in.
pub type BalanceOf<T> =
	<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// Slashed funds on their way to winners and the treasury.
pub type CreditOf<T> = Credit<<T as frame_system::Config>::AccountId, <T as Config>::Currency>;

/// A round as this runtime stores it.
pub type RoundOf<T> = Round<
	<T as frame_system::Config>::AccountId,
	BalanceOf<T>,
	BlockNumberFor<T>,
	<T as Config>::MaxCommitteeSize,
>;

/// A claim as this runtime stores it.
pub type ClaimOf<T> = Claim<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;

/// A revealed output as this runtime stores it for the length of its round.
pub type RevealedOutput<T> = BoundedVec<u8, <T as Config>::MaxOutputBytes>;

/// A statement as this runtime's role keys sign it.
pub type StatementOf<'a, T> =
	SignedStatement<'a, <T as frame_system::Config>::AccountId, BlockNumberFor<T>>;

/// The parameters as this runtime stores them.
pub type ParametersOf<T> = Parameters<BalanceOf<T>, BlockNumberFor<T>>;
/// A change of one parameter, with this runtime's balance and block number.
pub type ParameterChangeOf<T> = ParameterChange<BalanceOf<T>, BlockNumberFor<T>>;

/// Sets up what the benchmarks need from the pallets around this one: bonded nodes.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Registers `who`, funded, as an active node of `role` whose role key is `key` (a key in
	/// the benchmark's keystore), bonded `weight` times its role's minimum.
	fn register_node(
		who: &AccountId,
		role: opg_primitives::attestation::NodeRole,
		key: opg_primitives::attestation::NodeKey,
		weight: u32,
	);

	/// Gives `who` enough free balance for any challenge bond.
	fn fund(who: &AccountId);

	/// Spreads every pool's nodes among stale entries, as among 10,000 registered nodes, so
	/// that pool updates and draws touch as many tree entries as they would on a live chain.
	fn spread_pools();

	/// A subject the consumer can publish an output for.
	fn subject() -> SubjectId;

	/// Has the consumer publish `output` as `subject`'s claimed output
	/// ([`SubjectOutputs::claimed_output`]).
	fn publish(subject: SubjectId, output: Vec<u8>);
}

/// The longest a claim or round keeps a node's bond at stake under the active parameters, for
/// the node registry's side of the relation between the two pallets' parameters (its unbonding
/// period must be longer).
pub struct LongestWork<T>(core::marker::PhantomData<T>);
impl<T: Config> Get<BlockNumberFor<T>> for LongestWork<T> {
	fn get() -> BlockNumberFor<T> {
		ActiveParameters::<T>::get().longest_work()
	}
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	const STORAGE_VERSION: StorageVersion = StorageVersion::new(2);

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A challenger's bond while its dispute runs.
		ChallengeBond,
		/// An appellant's bond while its appeal runs: twice the challenge bond.
		AppealBond,
	}

	#[pallet::config]
	pub trait Config: frame_system::Config + CreateBare<Call<Self>> {
		/// The currency challenge bonds are held in, and winners paid in.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ BalancedHold<Self::AccountId>
			+ fungible::Mutate<Self::AccountId>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// Who may change the parameters.
		type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Where the treasury's part of each slash goes.
		type OnSlash: OnUnbalanced<CreditOf<Self>>;

		/// Who hears how claims and rounds end (the inference pallet).
		type OnConclusion: OnConclusion<Self::AccountId>;

		/// Who knows the subjects' outputs (the inference pallet): it re-executes a subject for
		/// this node's verifiers in the offchain worker, and judges revealed outputs on chain
		/// (well-formed, agreeing within the subject's tolerance).
		type Outputs: SubjectOutputs;

		/// The largest output a participant may reveal, in bytes (the consumer's own bound).
		#[pallet::constant]
		type MaxOutputBytes: Get<u32>;

		/// The randomness that rolls audits: the block's VRF output (BABE's on this chain), which
		/// nobody knows before the block is out.
		type Randomness: opg_primitives::randomness::BlockRandomness;

		/// The node registry (pallet-nodes): committees, open work, role keys and bonds.
		type Nodes: NodeRegistry<Self::AccountId, BalanceOf<Self>>
			+ SlashBond<Self::AccountId, CreditOf<Self>>;

		/// The node registry's unbonding period: a claim's window and a round's periods must
		/// end before it.
		type UnbondingPeriod: Get<BlockNumberFor<Self>>;

		/// The parameters until genesis or governance sets others.
		type DefaultParameters: Get<ParametersOf<Self>>;

		/// The least each parameter may be: [`Pallet::set_parameter`] refuses a value below it.
		#[pallet::constant]
		type MinimumParameters: Get<ParametersOf<Self>>;

		/// The most each parameter may be: [`Pallet::set_parameter`] refuses a value above it.
		#[pallet::constant]
		type MaximumParameters: Get<ParametersOf<Self>>;

		/// Most verifiers in one round (the bound of the `committee_size` parameter).
		#[pallet::constant]
		type MaxCommitteeSize: Get<u32>;

		/// Most round deadlines (a committee draw or a reveal deadline) in one block. A round
		/// can conclude with a full committee paid or slashed, so this bound is small.
		#[pallet::constant]
		type MaxDeadlinesPerBlock: Get<u32>;

		/// Most dispute rounds with a deadline (a committee draw or a reveal deadline) in one
		/// block: room of their own, which verification rounds cannot fill, so a challenge is
		/// never refused because attested traffic is heavy.
		#[pallet::constant]
		type MaxDisputeDeadlinesPerBlock: Get<u32>;

		/// Most unchallenged claims whose challenge window ends in one block: with the
		/// [`DEADLINE_SEARCH`] blocks a claim may move ahead, how many vanilla results may
		/// wait for their windows to close. It bounds the list's size, not the hook's work:
		/// the hook ends claims within its budget, each charged what it took.
		#[pallet::constant]
		type MaxClaimDeadlinesPerBlock: Get<u32>;

		/// The most weight the deadline hook takes in one block. It must cover the block's
		/// round lists full to their caps and one standing claim at its worst (checked by
		/// `integrity_test`, [`Pallet::least_deadline_budget`]). What it does not reach waits
		/// for the next block, first due first ([`ClaimsDueFrom`]): a burst of claims (or of
		/// claims made dear on purpose, each of which cost a refuser its slash) settles late,
		/// never lost, and nobody gains time, since every call checks its own window. Rounds
		/// go first, from their own cursor, so they never wait behind claims.
		#[pallet::constant]
		type DeadlineBudget: Get<Weight>;

		/// Sets what the benchmarks need from the pallets around this one.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;

		/// Weights of this pallet's calls and hooks.
		type WeightInfo: WeightInfo;
	}

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// The parameters in force.
	#[pallet::storage]
	pub type ActiveParameters<T: Config> =
		StorageValue<_, ParametersOf<T>, ValueQuery, T::DefaultParameters>;

	/// Claims open to challenge, by subject.
	#[pallet::storage]
	pub type Claims<T: Config> = StorageMap<_, Identity, SubjectId, ClaimOf<T>>;

	/// Open rounds, by subject.
	#[pallet::storage]
	pub type Rounds<T: Config> = StorageMap<_, Identity, SubjectId, RoundOf<T>>;

	/// The rounds each verifier sits on, so its offchain worker finds its own duties without
	/// reading every round. Written when a committee is drawn, removed when its round ends.
	#[pallet::storage]
	pub type Duties<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Identity, SubjectId, ()>;

	/// The subjects whose round has a deadline (its committee draw or its reveal deadline) at
	/// the start of each block.
	#[pallet::storage]
	pub type Deadlines<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<SubjectId, T::MaxDeadlinesPerBlock>,
		ValueQuery,
	>;

	/// The dispute rounds with a deadline at the start of each block: apart from [`Deadlines`]
	/// (verification rounds), so attested traffic never leaves a challenge without room.
	#[pallet::storage]
	pub type DisputeDeadlines<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<SubjectId, T::MaxDisputeDeadlinesPerBlock>,
		ValueQuery,
	>;

	/// The outputs revealed in open rounds, by subject and committee position
	/// ([`CLAIMANT_POSITION`] for the claimant's): kept only until the round ends, so later
	/// reveals can be compared with them.
	#[pallet::storage]
	pub type RevealedOutputs<T: Config> =
		StorageDoubleMap<_, Identity, SubjectId, Twox64Concat, u32, RevealedOutput<T>>;

	/// Those who joined a running dispute's challenge after its first challenger, with their
	/// challenge bonds ([`Pallet::join_challenge`]); removed when the dispute settles.
	#[pallet::storage]
	pub type CoChallengers<T: Config> = StorageMap<
		_,
		Identity,
		SubjectId,
		BoundedVec<(T::AccountId, BalanceOf<T>), ConstU32<MAX_CO_CHALLENGERS>>,
		ValueQuery,
	>;

	/// The subjects whose claim's challenge window ends at the start of each block. Apart from
	/// [`Deadlines`] because a standing claim is cheap and a concluding round is not, so each
	/// list has a bound of its own.
	#[pallet::storage]
	pub type ClaimDeadlines<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<SubjectId, T::MaxClaimDeadlinesPerBlock>,
		ValueQuery,
	>;

	/// The first block whose round deadline lists ([`Deadlines`], [`DisputeDeadlines`]) may
	/// still hold entries: the hook ends what is due from here to the current block, and
	/// leaves the cursor where its budget ran out.
	#[pallet::storage]
	pub type DueFrom<T: Config> = StorageValue<_, BlockNumberFor<T>, ValueQuery>;

	/// The first block whose [`ClaimDeadlines`] list may still hold entries: claims have a
	/// cursor of their own, so a backlog of standing claims never holds up a later block's
	/// draws, reveal deadlines or dispute settlements.
	#[pallet::storage]
	pub type ClaimsDueFrom<T: Config> = StorageValue<_, BlockNumberFor<T>, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The parameters; [`Config::DefaultParameters`] when absent.
		pub parameters: Option<ParametersOf<T>>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if let Some(parameters) = &self.parameters {
				// The relation with the unbonding period is the node registry's to check at
				// genesis: its parameters may not be set yet when these are.
				let within =
					parameters.within(&T::MinimumParameters::get(), &T::MaximumParameters::get());
				let related = parameters
					.check(T::MaxCommitteeSize::get(), sp_runtime::traits::Bounded::max_value());
				assert!(
					within && related.is_ok(),
					"genesis attestation parameters are out of bounds"
				);
				ActiveParameters::<T>::put(parameters);
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A claim (the hash of a public output) is open to challenge until block
		/// `challenge_deadline`.
		ClaimOpened {
			subject: SubjectId,
			claimant: T::AccountId,
			output: OutputHash,
			challenge_deadline: BlockNumberFor<T>,
		},
		/// A claim's challenge window closed with no challenge: its output stands.
		ClaimStood { subject: SubjectId, claimant: T::AccountId, output: OutputHash },
		/// Someone challenged a claim, holding `bond`.
		Challenged { subject: SubjectId, challenger: T::AccountId, bond: BalanceOf<T> },
		/// A round opened; its committee is drawn at the start of block `draw_at`.
		RoundOpened {
			subject: SubjectId,
			kind: RoundKind,
			claimant: T::AccountId,
			draw_at: BlockNumberFor<T>,
		},
		/// A round's committee was drawn: commitments until `commit_deadline`, reveals until
		/// `reveal_deadline`.
		CommitteeDrawn {
			subject: SubjectId,
			committee: Vec<T::AccountId>,
			commit_deadline: BlockNumberFor<T>,
			reveal_deadline: BlockNumberFor<T>,
		},
		/// Too few eligible verifiers (or no deadline slot) for a round's committee: the round
		/// ends undecided.
		NoCommittee { subject: SubjectId },
		/// A committee member committed.
		Committed { subject: SubjectId, member: T::AccountId },
		/// A committee member (or the claimant) revealed the output whose hash is `output`.
		Revealed { subject: SubjectId, member: T::AccountId, output: OutputHash },
		/// A round's quorum revealed outputs agreeing with the one whose hash is `decided`; the
		/// claim stands if `claim_upheld`.
		RoundDecided {
			subject: SubjectId,
			kind: RoundKind,
			claim: sp_core::H256,
			decided: OutputHash,
			claim_upheld: bool,
		},
		/// A round ended without a quorum (`reveals` members revealed).
		RoundUndecided { subject: SubjectId, kind: RoundKind, reveals: u32 },
		/// A challenger lost `amount` of its challenge bond (a committee member's or claimant's
		/// bond is slashed by the node registry, whose `Slashed` event says so).
		Slashed { who: T::AccountId, amount: BalanceOf<T>, reason: SlashReason },
		/// A winner was paid `amount` out of slashes.
		Rewarded { who: T::AccountId, amount: BalanceOf<T> },
		/// A challenger's bond was released.
		ChallengeBondReleased { challenger: T::AccountId, amount: BalanceOf<T> },
		/// Governance changed the parameters.
		ParametersChanged { parameters: ParametersOf<T> },
		/// A dispute's committee decided (the output whose hash is `decided`; the claim stands
		/// if `claim_upheld`): provisionally. Nothing moves until the start of block
		/// `appeal_until`, before which the verdict's loser may appeal; then it settles.
		DisputeDecided {
			subject: SubjectId,
			decided: OutputHash,
			claim_upheld: bool,
			appeal_until: BlockNumberFor<T>,
		},
		/// The loser of a dispute's verdict appealed it, holding `bond`: a committee twice the
		/// size is drawn at the start of block `draw_at`.
		Appealed {
			subject: SubjectId,
			appellant: T::AccountId,
			bond: BalanceOf<T>,
			draw_at: BlockNumberFor<T>,
		},
		/// An appellant's bond was released (its appeal changed the verdict, or ended
		/// undecided).
		AppealBondReleased { appellant: T::AccountId, amount: BalanceOf<T> },
		/// `challenger` joined the running dispute of `subject`, holding `bond`.
		ChallengeJoined { subject: SubjectId, challenger: T::AccountId, bond: BalanceOf<T> },
		/// A verification round was audited: `auditors` were drawn beside its committee, commit
		/// until `commit_deadline` and reveal until `reveal_deadline`; their output decides.
		AuditDrawn {
			subject: SubjectId,
			auditors: Vec<T::AccountId>,
			commit_deadline: BlockNumberFor<T>,
			reveal_deadline: BlockNumberFor<T>,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The account is not a registered node.
		NotRegistered,
		/// The account's free balance cannot cover the challenge bond.
		InsufficientFunds,
		/// The node is leaving.
		NodeLeaving,
		/// The parameter is outside its bounds ([`Config::MinimumParameters`],
		/// [`Config::MaximumParameters`]), or the change breaks a relation between parameters: a
		/// challenge bond or a period of zero, a committee larger than
		/// [`Config::MaxCommitteeSize`], a quorum of one half or less, or a claim's window plus a
		/// round's periods not shorter than the registry's unbonding period
		/// ([`Config::UnbondingPeriod`]). (To move related parameters together, batch the changes
		/// in the order that keeps each step valid.)
		ParametersOutOfBounds,
		/// The subject already has a claim or a round.
		SubjectInUse,
		/// No open round for this subject.
		NoSuchRound,
		/// The account is not on this round's committee.
		NotCommitteeMember,
		/// This member already committed.
		AlreadyCommitted,
		/// The commit deadline has passed.
		CommitPhaseOver,
		/// Reveals open at the commit deadline, or once every member has committed.
		RevealPhaseNotOpen,
		/// The reveal deadline has passed.
		RevealPhaseOver,
		/// This member never committed.
		NotCommitted,
		/// This member already revealed.
		AlreadyRevealed,
		/// The output and salt do not match the commitment.
		CommitmentMismatch,
		/// The revealed output is not a well-formed output of the subject (it does not fit the
		/// model's declared outputs) or is larger than `MaxOutputBytes`.
		InvalidOutput,
		/// No claim open to challenge for this subject.
		NoSuchClaim,
		/// A node cannot challenge its own claim.
		OwnClaim,
		/// The claimed output is gone (the consumer no longer has it), so no dispute can judge
		/// it.
		NoClaimedOutput,
		/// The role key's signature of a commitment or reveal does not verify.
		BadSignature,
		/// Every block the deadline could move to already has as many deadlines as it takes
		/// (`MaxDeadlinesPerBlock` for rounds, `MaxClaimDeadlinesPerBlock` for claims).
		DeadlineQueueFull,
		/// No verdict of this subject can be appealed now: its dispute has not decided, its
		/// appeal window is over (the verdict settled), or the round is not a dispute
		/// (verification rounds settle at once).
		AppealWindowOver,
		/// Only the loser's side may appeal: the claimant when its claim fell; anyone but the
		/// claimant (the challenger, the requester, any verifier) when the claim stood.
		NotTheLoser,
		/// The verdict was appealed already: a dispute has one appeal.
		AlreadyAppealed,
		/// No dispute of this subject can be joined: none is running, or its reveals are open
		/// (the outputs public) or decided (its verdict can be appealed instead).
		NotJoinable,
		/// The account challenges this claim already (first or joined).
		AlreadyChallenging,
		/// A committee member of the dispute cannot join its challenge.
		OnCommittee,
		/// The dispute has as many challengers as it takes (`MAX_CO_CHALLENGERS` besides the
		/// first).
		TooManyChallengers,
		/// The claim's challenge window is over (the claim stands, though the block that ends
		/// it may not have come to it yet).
		ChallengeWindowOver,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			Self::end_due(now)
		}

		fn offchain_worker(now: BlockNumberFor<T>) {
			Self::perform_duties(now);
		}

		fn integrity_test() {
			assert!(T::MaxCommitteeSize::get() > 0, "MaxCommitteeSize must be positive");
			assert!(T::MaxDeadlinesPerBlock::get() > 0, "MaxDeadlinesPerBlock must be positive");
			assert!(
				T::MaxDisputeDeadlinesPerBlock::get() > 0,
				"MaxDisputeDeadlinesPerBlock must be positive"
			);
			assert!(
				T::MaxCommitteeSize::get() <= 64,
				"agreement sets have one bit per committee position, 64 at most"
			);
			assert!(
				T::MaxClaimDeadlinesPerBlock::get() > 0,
				"MaxClaimDeadlinesPerBlock must be positive"
			);
			assert!(
				Self::least_deadline_budget().all_lte(T::DeadlineBudget::get()),
				"DeadlineBudget must fit a block's round lists full to their caps and a claim"
			);
			assert!(
				Self::check_parameters(&T::DefaultParameters::get()).is_ok(),
				"DefaultParameters are out of bounds"
			);
			assert!(
				T::MinimumParameters::get()
					.within(&T::MinimumParameters::get(), &T::MaximumParameters::get()),
				"MinimumParameters exceed MaximumParameters"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// A committee member's commitment to its output for `subject`'s round, signed with its
		/// role key: `commitment` is [`commitment_of`] the hash of its output (computed from the
		/// subject's input alone: the claimant's output is hidden behind its own commitment)
		/// and a secret salt.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::commit().saturating_add(T::WeightInfo::authorize_commit()))]
		#[pallet::authorize(|_source, subject, member, commitment, signature| {
			Pallet::<T>::check_commit(subject, member, commitment, signature)
				.map(|_| ())
				.map_err(Pallet::<T>::invalid)
				.and_then(|_| Pallet::<T>::round_validity(b"commit", subject, member))
		})]
		// Charged in the call's weight, which bare transactions pay too (see
		// `opg_primitives::ensure_self_authorized`).
		#[pallet::weight_of_authorize(Weight::zero())]
		pub fn commit(
			origin: OriginFor<T>,
			subject: SubjectId,
			member: T::AccountId,
			commitment: sp_core::H256,
			signature: NodeKeySignature,
		) -> DispatchResult {
			opg_primitives::ensure_self_authorized(origin)?;
			let (mut round, index) =
				Self::check_commit(&subject, &member, &commitment, &signature)?;
			if let Some(slot) = round.committee.get_mut(index) {
				slot.commitment = Some(commitment);
			}
			Self::roll_sooner(subject, &mut round);
			Rounds::<T>::insert(subject, round);
			Self::deposit_event(Event::Committed { subject, member });
			Ok(())
		}

		/// A committee member's (or a verification round's claimant's) reveal of its full
		/// `output` and `salt`, signed with its role key. The runtime checks it against the
		/// commitment and the subject's declared outputs, and compares it with every output
		/// revealed before it (within the subject's tolerance); the last reveal decides the
		/// round at once.
		#[pallet::call_index(1)]
		#[pallet::weight(Pallet::<T>::reveal_weight(output.len() as u32)
			.saturating_add(Pallet::<T>::conclude_weight(
				T::MaxCommitteeSize::get(),
				T::MaxCommitteeSize::get(),
			))
			.saturating_add(T::OnConclusion::weight())
			.saturating_add(T::WeightInfo::authorize_reveal()))]
		#[pallet::authorize(|_source, subject, member, output, salt, signature| {
			Pallet::<T>::check_reveal(subject, member, output, salt, signature)
				.map(|_| ())
				.map_err(Pallet::<T>::invalid)
				.and_then(|_| Pallet::<T>::round_validity(b"reveal", subject, member))
		})]
		// Charged in the call's weight, which bare transactions pay too (see
		// `opg_primitives::ensure_self_authorized`).
		#[pallet::weight_of_authorize(Weight::zero())]
		pub fn reveal(
			origin: OriginFor<T>,
			subject: SubjectId,
			member: T::AccountId,
			output: RevealedOutput<T>,
			salt: [u8; 32],
			signature: NodeKeySignature,
		) -> DispatchResultWithPostInfo {
			opg_primitives::ensure_self_authorized(origin)?;
			let (mut round, position) =
				Self::check_reveal(&subject, &member, &output, &salt, &signature)?;
			let hash = api::revealed_hash(&output);
			let revealed =
				Self::reveal_weight_for(output.len() as u32, round.committee.len() as u32)
					.saturating_add(T::WeightInfo::authorize_reveal());
			Self::record_reveal(subject, &mut round, position, output);
			Self::deposit_event(Event::Revealed { subject, member, output: hash });
			if round.all_revealed() {
				Self::unschedule(subject, round.origin.kind(), round.reveal_deadline);
				let (size, first) = round.sizes();
				Self::conclude_round(subject, round);
				return Ok(Some(
					revealed
						.saturating_add(Self::conclude_weight(size, first))
						.saturating_add(T::OnConclusion::weight()),
				)
				.into());
			}
			Rounds::<T>::insert(subject, round);
			Ok(Some(revealed).into())
		}

		/// Challenges the claim on `subject` within its window, holding the challenge bond: a
		/// dispute round decides who loses. Anyone but the claimant may challenge (a verifier
		/// that re-ran the job, or the requester itself). Its committee (never the claimant or
		/// the challenger) is drawn in the next block, from a seed the challenger cannot know
		/// now, in room of its own that verification rounds cannot fill.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::challenge())]
		pub fn challenge(origin: OriginFor<T>, subject: SubjectId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_challenge(who, subject)
		}

		/// Appeals the provisional verdict of `subject`'s dispute within its appeal window,
		/// holding the appeal bond (twice the challenge bond). Only the verdict's loser may
		/// appeal (the claimant when its claim fell, the challenger when it stood), once. A
		/// committee of twice the first one's size (at most `MaxCommitteeSize`), never the
		/// first committee, the claimant or the challenger, is drawn in the next block and
		/// judges the claim again; its verdict is final.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::appeal())]
		pub fn appeal(origin: OriginFor<T>, subject: SubjectId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_appeal(who, subject)
		}

		/// Joins the challenge of `subject`'s running dispute before its reveals open, holding the
		/// challenge bond: if the claim falls the bond comes back with an equal part, among the
		/// joiners, of the treasury's share of the claimant's slash (the first challenger's
		/// reward stays whole); lost if the claim stands; back if the round ends undecided.
		/// Anyone but the claimant, the challengers and the committee may join (at most
		/// `MAX_CO_CHALLENGERS`).
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::challenge())]
		pub fn join_challenge(origin: OriginFor<T>, subject: SubjectId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_join_challenge(who, subject)
		}

		/// Changes one parameter, within its bounds and the relations of [`Parameters::check`].
		/// Drawn rounds keep their deadlines and quorum (rounds not yet drawn take the new ones
		/// at their draw). Governance only (the node-parameters track).
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::set_parameter())]
		pub fn set_parameter(origin: OriginFor<T>, change: ParameterChangeOf<T>) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			let mut parameters = ActiveParameters::<T>::get();
			parameters.apply(change);
			Self::check_parameters(&parameters)?;
			ActiveParameters::<T>::put(&parameters);
			Self::deposit_event(Event::ParametersChanged { parameters });
			Ok(())
		}
	}
}

impl<T: Config> Pallet<T> {
	/// Whether `parameters` may be in force: each within its bounds, and related ones consistent
	/// (with each other and with the registry's unbonding period).
	pub fn check_parameters(parameters: &ParametersOf<T>) -> Result<(), Error<T>> {
		let within = parameters.within(&T::MinimumParameters::get(), &T::MaximumParameters::get());
		ensure!(within, Error::<T>::ParametersOutOfBounds);
		parameters
			.check(T::MaxCommitteeSize::get(), T::UnbondingPeriod::get())
			.map_err(|_| Error::<T>::ParametersOutOfBounds)
	}

	/// The most weight a reveal of `bytes` bytes takes: [`Self::reveal_weight_for`] the
	/// largest committee.
	pub fn reveal_weight(bytes: u32) -> Weight {
		Self::reveal_weight_for(bytes, T::MaxCommitteeSize::get())
	}

	/// The weight of a reveal of `bytes` bytes in a round whose committee has `committee`
	/// members: the call, storing the output, and judging it (well-formed, then against every
	/// other output revealed before it, both ways). What a reveal is charged in the end.
	pub fn reveal_weight_for(bytes: u32, committee: u32) -> Weight {
		let comparisons = committee.saturating_add(1).saturating_mul(2);
		T::WeightInfo::reveal()
			.saturating_add(T::Outputs::judge_weight().saturating_mul(u64::from(comparisons)))
			.saturating_add(T::DbWeight::get().reads(u64::from(committee)))
			.saturating_add(T::DbWeight::get().writes(1))
			// The output's bytes, stored for the round.
			.saturating_add(Weight::from_parts(u64::from(bytes).saturating_mul(2), 0))
	}

	/// The weight of ending a round whose committee has `size` members: judging it, and (after
	/// an appeal) judging the `first` members of the first committee, each of their outputs
	/// compared with the final one.
	pub fn conclude_weight(size: u32, first: u32) -> Weight {
		T::WeightInfo::conclude_round(size.saturating_add(first))
			.saturating_add(T::Outputs::judge_weight().saturating_mul(u64::from(first)))
			.saturating_add(T::DbWeight::get().reads(u64::from(first)))
	}

	/// The committee of `subject`'s open round.
	pub fn committee(subject: SubjectId) -> Option<Vec<T::AccountId>> {
		Rounds::<T>::get(subject)
			.map(|round| round.committee.into_iter().map(|member| member.account).collect())
	}

	/// `subject`'s open round, as the runtime API shows it.
	pub fn round_view(
		subject: SubjectId,
	) -> Option<RoundView<T::AccountId, BalanceOf<T>, BlockNumberFor<T>>> {
		Rounds::<T>::get(subject).map(Into::into)
	}
}

impl<T: Config> api::Attestations<T::AccountId> for Pallet<T> {
	fn open_round(
		subject: SubjectId,
		claimant: &T::AccountId,
		commitment: sp_core::H256,
		context: sp_core::H256,
	) -> DispatchResult {
		Self::open_round_for(subject, claimant, commitment, context, RoundOrigin::Verification)
	}

	fn open_claim(
		subject: SubjectId,
		claimant: &T::AccountId,
		claimed: OutputHash,
		context: sp_core::H256,
	) -> DispatchResult {
		Self::do_open_claim(subject, claimant, claimed, context)
	}

	fn accepting_claims() -> bool {
		Self::accepting_claims()
	}

	fn open_round_weight() -> Weight {
		T::WeightInfo::open_round()
	}

	fn open_claim_weight() -> Weight {
		T::WeightInfo::open_claim()
	}
}
