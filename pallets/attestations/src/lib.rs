//! # Attestations
//!
//! Who may work for OPG chain, what each node has at stake, and how contested results are
//! decided. Verification without a proof rests on bonded nodes that lose their bond when they
//! lie: this pallet keeps the bonds, picks the committees, runs their commit-reveal rounds and
//! slashes the losers. It attests abstract subjects (a [`SubjectId`] and a claimed
//! [`OutputHash`]) and reports outcomes through [`OnConclusion`]; the inference pallet uses it
//! through the traits in [`opg_primitives::attestation`] and neither imports the other.
//!
//! ## Nodes
//!
//! An account registers ([`Pallet::register`]) for one or more [`NodeRole`]s (inference,
//! verifier, data) with a role key ([`NodeKey`], key type `opgn`) that its node's offchain worker
//! signs with (and a signature by that key naming the account, so nobody registers a key it does
//! not hold), an HTTP endpoint when it serves model bytes, and a bond. The bond is held from the
//! account's balance ([`HoldReason::NodeBond`]), never transferred, and must cover the sum of its
//! roles' minimum bonds. It grows with [`Pallet::bond_extra`]; [`Pallet::unbond`] starts an
//! unbonding period, after which [`Pallet::withdraw_unbonded`] releases it. Unbonding funds stay
//! held and slashable until then. [`Pallet::leave`] unbonds everything; it is refused while the
//! node has open work (a claim, a round, or a job the consumer began).
//!
//! ## Liveness
//!
//! A node's offchain worker sends one heartbeat per heartbeat period ([`Pallet::heartbeat`]): a
//! general transaction authorized by the call itself (`#[pallet::authorize]`), signed by the
//! role key, paying no fee. A heartbeat from an unknown node, with a bad signature, for another
//! period, or a second one in a period is refused before it reaches the pool. A node whose last
//! heartbeat is more than `max_missed_heartbeats` whole periods old is stale: selection skips
//! it at once, and `on_initialize` marks it [`NodeStatus::Inactive`] as it sweeps the registry
//! ([`Config::MaxLivenessChecksPerBlock`] nodes per block). A node whose active bond falls below
//! its roles' minimums (a slash, a raised minimum) is marked inactive the same way. Its next
//! heartbeat, or enough bond, makes it active again. Governance can chill a node
//! ([`Pallet::chill`]) and unchill it. A heartbeat names its period by the period's first block,
//! so a heartbeat signed for one period is void in every other, whatever the period length.
//!
//! ## Selection
//!
//! Each role has a pool: a Fenwick (binary indexed) tree in storage over the active, unchilled
//! nodes of that role, each weighted by its active bond. Choosing `k` nodes draws `k` points
//! from a seed, finds each node in `O(log n)` storage reads, and removes it from an in-memory
//! overlay before the next draw, so nobody is drawn twice, excluded nodes (the claimant, a
//! challenger) weigh nothing, and a stake-weighted choice of `k` among `n` nodes costs
//! `O(k log n)` reads and no writes. A drawn node that turns out to be stale or under-bonded is
//! skipped, at most [`MAX_SELECTION_SKIPS`] (8) times per choice. Every node computes the same
//! committee from the same state.
//!
//! A round's committee is drawn at the start of the block after the one that opened it, with the
//! seed `blake2_256("opg:select", parent_hash, role, subject)`: the parent is the block in which
//! the round opened, whose hash did not exist when the opener (a claimant, a challenger, the
//! consumer) sent its transaction, so nobody who merely submits can pick a committee by picking the
//! moment. (When that block's deadline list is full the draw moves to a later block, whose parent
//! the opener could not know either.) With Aura there is no VRF, and one party can still bias the
//! draw: the author of the block that opens the round. It can produce many candidate blocks
//! (reordering or dropping transactions, moving the timestamp within its drift, or simply
//! re-signing the seal, which costs nothing) and publish the one whose hash gives the committee it
//! likes, or withhold its block. An author colluding with verifiers of stake share `f` so turns the
//! chance `P(f)` that they hold a quorum of a committee (a binomial tail: committee 5, quorum 3, `f
//! = 0.1` gives 0.86%) into nearly 1 for the rounds opened in its own blocks; a coalition holding a
//! share `a` of the authority slots biases about `a` of all rounds, and on each of them it still
//! has to stake verifiers, whose honest minority it slashes and who lose their bond if a later
//! dispute goes the other way. Removing the bias needs randomness no single author controls (BABE's
//! VRF, a drand-style beacon, or a validator commit-reveal beacon); until then governance should
//! keep committees large and the verifier set broad. See `docs/architecture.md`.
//!
//! ## Rounds
//!
//! A round checks a claimant's claimed output for a subject. The consumer opens one for every
//! attested-mode job ([`api::Attestations::open_round`]); a verifier opens one by challenging a
//! vanilla-mode claim within its window ([`Pallet::challenge`], with a challenge bond). The
//! committee, drawn at the start of the next block, has [`ActiveParameters`]' `commit_period`
//! blocks to commit `blake2_256("opg:commit", subject, opened_at, member, output, salt)`
//! ([`Pallet::commit`]), then `reveal_period` blocks to reveal output and salt
//! ([`Pallet::reveal`]): nobody can copy another member's output. (The claimed output itself is
//! stored with the round, so a lazy member could reveal it without re-running the job: a known
//! limit, which the inference pallet can close by publishing a job's output only after the
//! round.) Reveals may
//! start as soon as every member has committed, and the round ends as soon as every member has
//! revealed; otherwise it ends at the start of its reveal deadline block. Commits and reveals,
//! like heartbeats, are authorized by the role key's signature and pay no fee.
//!
//! An output revealed by at least `quorum` of the committee decides the round. Members that
//! revealed another output lose `minority_slash` of their bond, members that did not reveal lose
//! `no_reveal_slash`; `reward_share` of what they lose is split among the members that revealed
//! the decided output and the rest goes to [`Config::OnSlash`] (the treasury). A claimant whose
//! claim the round overturns loses `false_claim_slash`: to the honest members in a verification
//! round, to the challenger (`reward_share`) in a dispute. A challenger whose challenge fails
//! loses its challenge bond, `reward_share` of it to the claimant. A round without a quorum ends
//! undecided: only non-revealers are slashed (to the members that revealed), and the challenge
//! bond goes back. Nothing is burned: every slashed unit lands in an account.
//!
//! ## Parameters
//!
//! Bonds, periods, committee size, quorum and slash fractions live in [`ActiveParameters`],
//! set at genesis (short periods on dev chains) and changed one at a time by
//! [`Config::GovernanceOrigin`] with [`Pallet::set_parameter`], each within
//! [`Config::MinimumParameters`] and [`Config::MaximumParameters`] and the relations of
//! [`Parameters::check`].
//!
//! ## TEE nodes
//!
//! An inference node gains the [`NodeRole::Tee`] role, and with it TEE-mode jobs, by proving
//! once that its enclave key lives in approved code on genuine Intel hardware
//! ([`Pallet::register_tee`]): an SGX or TDX DCAP quote whose report data binds that key and
//! the hash of a recent block of this chain (at most [`Config::MaxQuoteAge`] blocks old). The
//! runtime verifies the quote with the `opg_dcap` host function (`dcap-qvl`, run natively)
//! against Intel's root certificate ([`Config::TeeTrustAnchor`]), at the time of
//! [`Config::UnixTime`], with the collateral (TCB info, QE identity, CRLs) registered for the
//! platform's family ([`Pallet::refresh_collateral`], by anyone, with a quote it verifies; only
//! newer collateral replaces older, and expired collateral stops registrations until
//! refreshed). The TCB status must be one governance accepts ([`AcceptedTcbStatuses`]) and the
//! measurement (MRENCLAVE and MRSIGNER, or MRTD and RTMR0-3) on the allow-list that
//! [`Config::TeeOrigin`] (the model-curation track) keeps ([`Pallet::allow_measurement`]).
//! Revoking a measurement ([`Pallet::revoke_measurement`]) revokes every node registered under
//! it at once: their `Tee` role and enclave keys go, so they neither receive nor answer TEE
//! jobs. An enclave key registers once; a new key needs a new quote.
//!
//! A chain whose genesis allows it (`allow_insecure_dev_enclave`, the dev preset only) may put
//! the explicitly insecure [`Measurement::InsecureDevEnclave`] on the allow-list, by
//! governance alone; nodes then register with no quote, and every event and view of them says
//! `insecure`. On any other chain that entry cannot be added.
//!
//! ## Invariants (checked by `try_state`)
//!
//! - Each node's [`HoldReason::NodeBond`] hold equals its active plus unlocking bond; each
//!   challenger's [`HoldReason::ChallengeBond`] hold equals the bonds of its open disputes.
//! - Each role's pool holds exactly the active, unchilled nodes of that role, each weighted by
//!   its active bond; slot owners and slots agree; the tree's total is the sum of the weights.
//! - Role keys and nodes map one to one; [`NodeCount`] counts the nodes.
//! - No subject has both a claim and a round; every open round is undecided, and every open
//!   round's and claim's deadline is in the future and listed in [`Deadlines`], which lists
//!   nothing else.
//! - A node's open work is at least the claims and rounds it takes part in.
//! - A node holds the `Tee` role exactly when it has a TEE registration; each registration's
//!   measurement is allowed and counts it, its enclave key maps back to it, and the
//!   per-measurement index lists exactly the registrations.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
mod pool;
mod rounds;
mod tee;
#[cfg(test)]
mod tee_tests;
#[cfg(test)]
mod tests;
mod types;
pub mod weights;

use alloc::vec::Vec;
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{self, BalancedHold, Credit, Inspect, MutateHold},
		tokens::Precision,
		Imbalance, OnUnbalanced,
	},
};
use frame_system::{
	offchain::{CreateAuthorizedTransaction, SubmitTransaction},
	pallet_prelude::*,
};
use opg_primitives::{
	attestation::{
		self as api, Conclusion, NodeKey, NodeKeySignature, NodeRole, OnConclusion, OutputHash,
		Reexecute, RoleSet, RoundKind, SubjectId,
	},
	tee::{
		EnclaveKey, Fmspc, Freshness, Measurement, MeasurementId, PckCa, TcbStatus, TcbStatusSet,
		TeeKind,
	},
};
use sp_runtime::{
	traits::{Saturating, Zero},
	Perbill, RuntimeAppPublic, SaturatedConversion,
};

/// The balance type of the currency bonds are held in.
pub type BalanceOf<T> =
	<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// Slashed funds on their way to winners and the treasury.
pub type CreditOf<T> = Credit<<T as frame_system::Config>::AccountId, <T as Config>::Currency>;

/// A node record as this runtime stores it.
pub type NodeInfoOf<T> = NodeInfo<
	BalanceOf<T>,
	BlockNumberFor<T>,
	<T as Config>::MaxEndpointLen,
	<T as Config>::MaxUnlockingChunks,
>;

/// A round as this runtime stores it.
pub type RoundOf<T> = Round<
	<T as frame_system::Config>::AccountId,
	BalanceOf<T>,
	BlockNumberFor<T>,
	<T as Config>::MaxCommitteeSize,
>;

/// A claim as this runtime stores it.
pub type ClaimOf<T> = Claim<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;

/// A heartbeat as this runtime's calls take it.
pub type HeartbeatOf<T> = Heartbeat<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;

/// A statement as this runtime's role keys sign it.
pub type StatementOf<'a, T> =
	SignedStatement<'a, <T as frame_system::Config>::AccountId, BlockNumberFor<T>>;

/// The parameters as this runtime stores them.
pub type ParametersOf<T> = Parameters<BalanceOf<T>, BlockNumberFor<T>>;
/// A change of one parameter, with this runtime's balance and block number.
pub type ParameterChangeOf<T> = ParameterChange<BalanceOf<T>, BlockNumberFor<T>>;

/// A data node's endpoint.
pub type EndpointOf<T> = BoundedVec<u8, <T as Config>::MaxEndpointLen>;

/// A node as a genesis config lists it: account, roles, role key, endpoint, bond.
pub type GenesisNode<AccountId, Balance> = (AccountId, RoleSet, NodeKey, Option<Vec<u8>>, Balance);

/// Why a node was slashed.
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
pub enum SlashReason {
	/// It revealed an output the quorum did not.
	MinorityReveal,
	/// It was on a committee and did not reveal.
	NoReveal,
	/// A round overturned its claim.
	FalseClaim,
	/// Its challenge failed: the round upheld the claim.
	FailedChallenge,
	/// The consumer proved a fault (a bad proof, a missed deadline).
	Fault,
}

/// Sets what the benchmarks need from the pallets around this one.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper {
	/// Sets the chain's clock ([`Config::UnixTime`]) to `secs` unix seconds, so that the DCAP
	/// samples' collateral is current.
	fn set_unix_time(secs: u64);
}

/// The TCB statuses accepted until governance says otherwise: those Intel rates as current.
pub struct DefaultAcceptedTcbStatuses;
impl Get<TcbStatusSet> for DefaultAcceptedTcbStatuses {
	fn get() -> TcbStatusSet {
		TcbStatusSet::from_statuses(&[TcbStatus::UpToDate, TcbStatus::SwHardeningNeeded])
	}
}

/// The most draws selection skips (stale or under-bonded nodes) beyond the `k` it needs.
pub const MAX_SELECTION_SKIPS: u32 = 8;

/// The most nodes [`Pallet::nodes_page`] returns.
pub const MAX_PAGE: u32 = 256;

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A node's bond for its roles, active or unbonding.
		NodeBond,
		/// A challenger's bond while its dispute runs.
		ChallengeBond,
	}

	#[pallet::config]
	pub trait Config: frame_system::Config + CreateAuthorizedTransaction<Call<Self>> {
		/// The currency bonds are held in.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ BalancedHold<Self::AccountId>
			+ fungible::Mutate<Self::AccountId>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// Who may change the parameters and chill or unchill nodes.
		type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Where the treasury's part of each slash goes.
		type OnSlash: OnUnbalanced<CreditOf<Self>>;

		/// Who hears how claims and rounds end (the inference pallet).
		type OnConclusion: OnConclusion<Self::AccountId>;

		/// Who re-executes a subject for this node's verifiers in the offchain worker (the
		/// inference pallet).
		type Reexecute: Reexecute;

		/// The parameters until genesis or governance sets others.
		type DefaultParameters: Get<ParametersOf<Self>>;

		/// The least each parameter may be: [`Pallet::set_parameter`] refuses a value below it.
		#[pallet::constant]
		type MinimumParameters: Get<ParametersOf<Self>>;

		/// The most each parameter may be: [`Pallet::set_parameter`] refuses a value above it.
		#[pallet::constant]
		type MaximumParameters: Get<ParametersOf<Self>>;

		/// Most registered nodes; bounds each role's pool.
		#[pallet::constant]
		type MaxNodes: Get<u32>;

		/// Most verifiers in one round (the bound of the `committee_size` parameter).
		#[pallet::constant]
		type MaxCommitteeSize: Get<u32>;

		/// Longest data-node endpoint, in bytes.
		#[pallet::constant]
		type MaxEndpointLen: Get<u32>;

		/// Most unbonding chunks a node may have at once.
		#[pallet::constant]
		type MaxUnlockingChunks: Get<u32>;

		/// Most round deadlines (a committee draw or a reveal deadline) in one block. A round
		/// can conclude with a full committee paid or slashed, so this bound is small.
		#[pallet::constant]
		type MaxDeadlinesPerBlock: Get<u32>;

		/// Most unchallenged claims whose challenge window ends in one block. A claim that
		/// stands costs a fraction of a round, so this bound is what limits how many vanilla
		/// results a block can settle.
		#[pallet::constant]
		type MaxClaimDeadlinesPerBlock: Get<u32>;

		/// Nodes whose liveness `on_initialize` checks per block.
		#[pallet::constant]
		type MaxLivenessChecksPerBlock: Get<u32>;

		/// Who keeps the TEE measurement allow-list and the accepted TCB statuses (the
		/// model-curation track).
		type TeeOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The time quotes and collateral are checked at (pallet-timestamp).
		type UnixTime: frame_support::traits::UnixTime;

		/// The DER certificate every quote and collateral must chain to: Intel's SGX Root CA.
		type TeeTrustAnchor: Get<&'static [u8]>;

		/// How many blocks old the block a quote binds may be: bounds a quote's age.
		#[pallet::constant]
		type MaxQuoteAge: Get<BlockNumberFor<Self>>;

		/// Most nodes registered under one measurement: bounds a revocation's work.
		#[pallet::constant]
		type MaxTeeNodesPerMeasurement: Get<u32>;

		/// Sets what the benchmarks need from the pallets around this one.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper;

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

	/// Registered nodes by account.
	#[pallet::storage]
	pub type Nodes<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, NodeInfoOf<T>>;

	/// The number of registered nodes.
	#[pallet::storage]
	pub type NodeCount<T> = StorageValue<_, u32, ValueQuery>;

	/// The node of each role key.
	#[pallet::storage]
	pub type NodeByKey<T: Config> = StorageMap<_, Blake2_128Concat, NodeKey, T::AccountId>;

	/// What each node has done.
	#[pallet::storage]
	pub type Reputations<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, Reputation<BalanceOf<T>>, ValueQuery>;

	/// Each role's pool: its size and the capacity of its tree (a power of two, never shrinks).
	#[pallet::storage]
	pub type PoolSizes<T> = StorageMap<_, Twox64Concat, NodeRole, PoolSize, ValueQuery>;

	/// Each role's Fenwick tree over its pool's slots (1-based): entry `i` holds the total
	/// weight of slots `i - lowbit(i) + 1 ..= i`.
	#[pallet::storage]
	pub type PoolTree<T: Config> =
		StorageDoubleMap<_, Twox64Concat, NodeRole, Twox64Concat, u32, BalanceOf<T>, ValueQuery>;

	/// The node in each slot of each role's pool.
	#[pallet::storage]
	pub type PoolSlots<T: Config> =
		StorageDoubleMap<_, Twox64Concat, NodeRole, Twox64Concat, u32, T::AccountId>;

	/// The slot of each pooled node in each of its roles' pools.
	#[pallet::storage]
	pub type SlotOf<T: Config> =
		StorageDoubleMap<_, Twox64Concat, NodeRole, Blake2_128Concat, T::AccountId, u32>;

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

	/// Where the liveness sweep stopped: the storage key of the last node it checked.
	#[pallet::storage]
	pub type LivenessCursor<T> = StorageValue<_, BoundedVec<u8, ConstU32<128>>>;

	/// The collateral of each platform family (TEE kind, FMSPC, PCK certificate authority).
	#[pallet::storage]
	pub type TeeCollateral<T> = StorageMap<_, Blake2_128Concat, CollateralKey, CollateralRecord>;

	/// The measurements TEE nodes may run, with how many nodes stand under each.
	#[pallet::storage]
	pub type AllowedMeasurements<T> = StorageMap<_, Identity, MeasurementId, AllowedMeasurement>;

	/// The standing TEE registration of each TEE node.
	#[pallet::storage]
	pub type TeeNodes<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, TeeRegistration<BlockNumberFor<T>>>;

	/// The TEE nodes under each measurement: what a revocation walks.
	#[pallet::storage]
	pub type TeeNodesByMeasurement<T: Config> =
		StorageDoubleMap<_, Identity, MeasurementId, Blake2_128Concat, T::AccountId, ()>;

	/// The node of each registered enclave key.
	#[pallet::storage]
	pub type EnclaveKeys<T: Config> = StorageMap<_, Blake2_128Concat, EnclaveKey, T::AccountId>;

	/// The TCB statuses a quote may have: up to date and software hardening needed unless
	/// governance says otherwise.
	#[pallet::storage]
	pub type AcceptedTcbStatuses<T> =
		StorageValue<_, TcbStatusSet, ValueQuery, DefaultAcceptedTcbStatuses>;

	/// Whether this chain's genesis allows the insecure dev enclave on the allow-list. Set at
	/// genesis only; no call changes it.
	#[pallet::storage]
	pub type InsecureDevEnclaveAllowed<T> = StorageValue<_, bool, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The parameters; [`Config::DefaultParameters`] when absent.
		pub parameters: Option<ParametersOf<T>>,
		/// Nodes registered from genesis, their bonds held from their balances.
		pub nodes: Vec<GenesisNode<T::AccountId, BalanceOf<T>>>,
		/// **Insecure**: lets governance allow-list the dev enclave, which needs no TEE. For
		/// development chains only.
		pub allow_insecure_dev_enclave: bool,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if let Some(parameters) = &self.parameters {
				assert!(
					Pallet::<T>::check_parameters(parameters).is_ok(),
					"genesis attestation parameters are out of bounds"
				);
				ActiveParameters::<T>::put(parameters);
			}
			for (account, roles, key, endpoint, bond) in &self.nodes {
				let endpoint = endpoint.as_ref().map(|bytes| {
					EndpointOf::<T>::try_from(bytes.clone())
						.expect("genesis node endpoint fits MaxEndpointLen")
				});
				Pallet::<T>::do_register(account, *roles, key.clone(), endpoint, *bond)
					.expect("genesis node registers");
			}
			InsecureDevEnclaveAllowed::<T>::put(self.allow_insecure_dev_enclave);
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A node registered for `roles` with role key `key`, bonding `bond`.
		NodeRegistered { node: T::AccountId, roles: RoleSet, key: NodeKey, bond: BalanceOf<T> },
		/// A node added `amount` to its active bond.
		Bonded { node: T::AccountId, amount: BalanceOf<T> },
		/// A node started unbonding `amount`, withdrawable from block `unlock_at`.
		Unbonding { node: T::AccountId, amount: BalanceOf<T>, unlock_at: BlockNumberFor<T> },
		/// A node withdrew `amount` of unbonded funds, now free.
		Withdrawn { node: T::AccountId, amount: BalanceOf<T> },
		/// A node is leaving: its whole bond is unbonding and it is selected no more.
		NodeLeaving { node: T::AccountId },
		/// A leaving node withdrew its last funds: its record is gone.
		NodeRemoved { node: T::AccountId },
		/// A node changed its roles or endpoint.
		RolesChanged { node: T::AccountId, roles: RoleSet },
		/// A node changed its role key.
		RoleKeyChanged { node: T::AccountId, key: NodeKey },
		/// A node's heartbeat for the period starting at `period_start` landed.
		HeartbeatReceived { node: T::AccountId, period_start: BlockNumberFor<T> },
		/// A node is not selected until it is put right: it missed too many heartbeat periods,
		/// or its bond is below its roles' minimums.
		NodeInactive { node: T::AccountId, reason: InactiveReason },
		/// An inactive node is active again (a heartbeat, or bond enough).
		NodeReactivated { node: T::AccountId },
		/// Governance chilled a node: it is not selected until unchilled.
		NodeChilled { node: T::AccountId },
		/// Governance unchilled a node.
		NodeUnchilled { node: T::AccountId },
		/// Governance changed the parameters.
		ParametersChanged { parameters: ParametersOf<T> },
		/// A claim is open to challenge until block `challenge_deadline`.
		ClaimOpened {
			subject: SubjectId,
			claimant: T::AccountId,
			output: OutputHash,
			challenge_deadline: BlockNumberFor<T>,
		},
		/// A claim's challenge window closed with no challenge: its output stands.
		ClaimStood { subject: SubjectId, claimant: T::AccountId, output: OutputHash },
		/// A verifier challenged a claim, holding `bond`.
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
		/// A committee member revealed `output`.
		Revealed { subject: SubjectId, member: T::AccountId, output: OutputHash },
		/// A round's quorum revealed `decided`; the claim stands if `claim_upheld`.
		RoundDecided {
			subject: SubjectId,
			kind: RoundKind,
			claimed: OutputHash,
			decided: OutputHash,
			claim_upheld: bool,
		},
		/// A round ended without a quorum (`reveals` members revealed).
		RoundUndecided { subject: SubjectId, kind: RoundKind, reveals: u32 },
		/// A node or challenger lost `amount`.
		Slashed { who: T::AccountId, amount: BalanceOf<T>, reason: SlashReason },
		/// A winner was paid `amount` out of slashes.
		Rewarded { who: T::AccountId, amount: BalanceOf<T> },
		/// A challenger's bond was released.
		ChallengeBondReleased { challenger: T::AccountId, amount: BalanceOf<T> },
		/// The collateral of platform family (`kind`, `fmspc`, `pck_ca`) was registered or
		/// replaced; it expires at `expires_at` (unix seconds).
		CollateralRefreshed {
			kind: TeeKind,
			fmspc: Fmspc,
			pck_ca: PckCa,
			freshness: Freshness,
			expires_at: u64,
		},
		/// Governance allowed a measurement. `insecure`: it is the dev chain's insecure enclave.
		MeasurementAllowed { id: MeasurementId, measurement: Measurement, insecure: bool },
		/// Governance revoked a measurement and the registrations of the `nodes` nodes under it.
		MeasurementRevoked { id: MeasurementId, nodes: u32, insecure: bool },
		/// A node registered its enclave key: it takes TEE jobs. `insecure`: through the dev
		/// chain's insecure enclave, with no TEE vouching for it.
		TeeRegistered {
			node: T::AccountId,
			enclave_key: EnclaveKey,
			measurement: MeasurementId,
			kind: TeeKind,
			tcb_status: Option<TcbStatus>,
			insecure: bool,
		},
		/// A node's TEE registration ended (its measurement or the node itself revoked by
		/// governance, its inference role dropped, or the node removed): it takes no more TEE
		/// jobs.
		TeeRevoked { node: T::AccountId, enclave_key: EnclaveKey, insecure: bool },
		/// Governance set the TCB statuses a quote may have.
		AcceptedTcbStatusesSet { statuses: TcbStatusSet },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The account is already registered as a node.
		AlreadyRegistered,
		/// The account is not a registered node.
		NotRegistered,
		/// No role was given.
		NoRoles,
		/// The bond is below the sum of the roles' minimum bonds.
		BondBelowMinimum,
		/// A data node needs an `http://` or `https://` endpoint; other roles take none.
		BadEndpoint,
		/// Another node uses this role key.
		KeyInUse,
		/// The registry holds `MaxNodes` nodes.
		TooManyNodes,
		/// The account's free balance cannot cover the amount.
		InsufficientFunds,
		/// The amount is zero.
		ZeroAmount,
		/// Unbonding more than the active bond.
		UnbondExceedsBond,
		/// The node has `MaxUnlockingChunks` unbonding chunks; withdraw first.
		TooManyUnlockingChunks,
		/// Nothing has finished unbonding yet.
		NothingToWithdraw,
		/// The node has open claims, rounds or jobs.
		HasOpenWork,
		/// The node is leaving.
		NodeLeaving,
		/// The node is already chilled.
		AlreadyChilled,
		/// The node is not chilled.
		NotChilled,
		/// The parameter is outside its bounds ([`Config::MinimumParameters`],
		/// [`Config::MaximumParameters`]), or the change breaks a relation between parameters: a
		/// minimum bond or a period of zero, a committee larger than [`Config::MaxCommitteeSize`],
		/// a quorum of one half or less, or an unbonding period not longer than a claim's window
		/// plus a round's periods. (To move related parameters together, batch the changes in
		/// the order that keeps each step valid.)
		ParametersOutOfBounds,
		/// Too few eligible nodes of the role to form the committee.
		NotEnoughNodes,
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
		/// No claim open to challenge for this subject.
		NoSuchClaim,
		/// Only a registered verifier may challenge.
		NotAVerifier,
		/// A node cannot challenge its own claim.
		OwnClaim,
		/// The role key's signature does not verify (a heartbeat, commitment or reveal, or the
		/// proof that the registering account holds the key), or the enclave key's proof of a
		/// dev-enclave registration does not.
		BadSignature,
		/// The heartbeat is for another period than the current one.
		WrongPeriod,
		/// The node already sent a heartbeat this period.
		DuplicateHeartbeat,
		/// Every block the deadline could move to already has as many deadlines as it takes
		/// (`MaxDeadlinesPerBlock` for rounds, `MaxClaimDeadlinesPerBlock` for claims).
		DeadlineQueueFull,
		/// The `Tee` role is granted by [`Pallet::register_tee`], never declared.
		TeeRoleNotDeclarable,
		/// Only an inference node can register a TEE.
		NotAnInferenceNode,
		/// The quote does not parse: truncated, corrupted, or of an unknown version or TEE type.
		MalformedQuote,
		/// The collateral is not Intel's JSON collateral.
		MalformedCollateral,
		/// The quote or its collateral does not verify against Intel's root: a signature by an
		/// unknown key, a broken or revoked certificate chain, collateral of another platform,
		/// a debug enclave.
		UntrustedQuote,
		/// The platform family's collateral has expired: refresh it with
		/// [`Pallet::refresh_collateral`].
		CollateralExpired,
		/// The collateral is issued after the chain's current time.
		CollateralNotYetValid,
		/// No collateral is registered for the quote's platform family: register it with
		/// [`Pallet::refresh_collateral`].
		NoCollateral,
		/// The quote is not from the platform family (or TEE kind) it was submitted for.
		CollateralMismatch,
		/// The collateral would move a part of the registered one backwards (an older TCB info
		/// or QE identity, a lower TCB evaluation data number), or brings nothing newer.
		CollateralNotNewer,
		/// The platform's TCB status is not one governance accepts.
		TcbStatusNotAccepted,
		/// The quote's measurement is not on the allow-list.
		MeasurementNotAllowed,
		/// The measurement is on the allow-list already.
		MeasurementAlreadyAllowed,
		/// The report data does not bind the submitted enclave key.
		ReportDataMismatch,
		/// The report data does not bind this chain's block `anchor`: a quote made for another
		/// chain or another block.
		QuoteForAnotherChain,
		/// The block the quote binds is not one of the last [`Config::MaxQuoteAge`] blocks.
		QuoteTooOld,
		/// Another registration used this enclave key already: a replayed quote. A new key
		/// needs a new quote.
		EnclaveKeyInUse,
		/// The measurement has [`Config::MaxTeeNodesPerMeasurement`] nodes already.
		TooManyTeeNodes,
		/// This chain's genesis does not allow the insecure dev enclave.
		DevEnclaveNotAllowed,
		/// The node has no TEE registration.
		NotTeeRegistered,
		/// A node holding open work cannot stop being an inference node.
		InferenceRoleInUse,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			Self::end_due(now).saturating_add(Self::sweep_liveness(now))
		}

		fn offchain_worker(now: BlockNumberFor<T>) {
			Self::send_heartbeats(now);
			Self::perform_duties(now);
		}

		fn integrity_test() {
			assert!(T::MaxCommitteeSize::get() > 0, "MaxCommitteeSize must be positive");
			assert!(T::MaxDeadlinesPerBlock::get() > 0, "MaxDeadlinesPerBlock must be positive");
			assert!(
				T::MaxClaimDeadlinesPerBlock::get() > 0,
				"MaxClaimDeadlinesPerBlock must be positive"
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
		/// Registers the caller as a node for `roles`, with role key `key`, `endpoint` (data
		/// nodes only) and `bond` held from its balance. `key_proof` is the role key's signature
		/// of [`SignedStatement::KeyOwnership`] for the caller: nobody can register a key it does
		/// not hold.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register())]
		pub fn register(
			origin: OriginFor<T>,
			roles: RoleSet,
			key: NodeKey,
			key_proof: NodeKeySignature,
			endpoint: Option<EndpointOf<T>>,
			bond: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::check_key_proof(&who, &key, &key_proof)?;
			Self::do_register(&who, roles, key, endpoint, bond)
		}

		/// Adds `amount` from the caller's balance to its active bond.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::bond_extra())]
		pub fn bond_extra(origin: OriginFor<T>, amount: BalanceOf<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
			let mut node = Self::node(&who)?;
			ensure!(node.status != NodeStatus::Leaving, Error::<T>::NodeLeaving);
			T::Currency::hold(&HoldReason::NodeBond.into(), &who, amount)
				.map_err(|_| Error::<T>::InsufficientFunds)?;
			node.bonded = node.bonded.saturating_add(amount);
			Self::deposit_event(Event::Bonded { node: who.clone(), amount });
			Self::refresh_status(&who, &mut node, frame_system::Pallet::<T>::block_number());
			Self::store_node(&who, &node);
			Ok(())
		}

		/// Starts unbonding `amount` of the active bond: it stays held and slashable for the
		/// unbonding period, then [`Pallet::withdraw_unbonded`] frees it. What stays bonded must
		/// cover the roles' minimums; to unbond everything, [`Pallet::leave`].
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::unbond())]
		pub fn unbond(origin: OriginFor<T>, amount: BalanceOf<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
			let mut node = Self::node(&who)?;
			ensure!(node.status != NodeStatus::Leaving, Error::<T>::NodeLeaving);
			ensure!(amount <= node.bonded, Error::<T>::UnbondExceedsBond);
			let remaining = node.bonded.saturating_sub(amount);
			ensure!(
				remaining >= Self::required_bond(node.roles, &ActiveParameters::<T>::get()),
				Error::<T>::BondBelowMinimum
			);
			let unlock_at = Self::start_unbonding(&mut node, amount)?;
			Self::store_node(&who, &node);
			Self::deposit_event(Event::Unbonding { node: who, amount, unlock_at });
			Ok(())
		}

		/// Frees every unbonding chunk whose unbonding period is over. A leaving node's record
		/// goes with its last chunk.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::withdraw_unbonded())]
		pub fn withdraw_unbonded(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut node = Self::node(&who)?;
			let now = frame_system::Pallet::<T>::block_number();
			let due: BalanceOf<T> = node
				.unlocking
				.iter()
				.filter(|chunk| chunk.unlock_at <= now)
				.fold(Zero::zero(), |total, chunk| total.saturating_add(chunk.amount));
			let leaving = node.status == NodeStatus::Leaving;
			// A leaving node slashed down to nothing has nothing due, and must still be able to go.
			ensure!(
				!due.is_zero() || (leaving && node.total_held().is_zero()),
				Error::<T>::NothingToWithdraw
			);
			node.unlocking.retain(|chunk| chunk.unlock_at > now);
			if !due.is_zero() {
				T::Currency::release(
					&HoldReason::NodeBond.into(),
					&who,
					due,
					Precision::BestEffort,
				)?;
				Self::deposit_event(Event::Withdrawn { node: who.clone(), amount: due });
			}
			if node.status == NodeStatus::Leaving && node.total_held().is_zero() {
				Self::remove_node(&who, &node);
			} else {
				Self::store_node(&who, &node);
			}
			Ok(())
		}

		/// Leaves: unbonds the whole active bond and leaves every pool. Refused while the node
		/// has open work.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::leave())]
		pub fn leave(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut node = Self::node(&who)?;
			ensure!(node.status != NodeStatus::Leaving, Error::<T>::NodeLeaving);
			ensure!(node.open_work == 0, Error::<T>::HasOpenWork);
			let amount = node.bonded;
			if !amount.is_zero() {
				let unlock_at = Self::start_unbonding(&mut node, amount)?;
				Self::deposit_event(Event::Unbonding { node: who.clone(), amount, unlock_at });
			}
			node.status = NodeStatus::Leaving;
			Self::store_node(&who, &node);
			Self::deposit_event(Event::NodeLeaving { node: who });
			Ok(())
		}

		/// Changes the caller's roles and endpoint. Its active bond must cover the new roles'
		/// minimums. A TEE node keeps its `Tee` role while it stays an inference node, and loses
		/// its TEE registration when it stops being one.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::set_roles())]
		pub fn set_roles(
			origin: OriginFor<T>,
			roles: RoleSet,
			endpoint: Option<EndpointOf<T>>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut node = Self::node(&who)?;
			ensure!(node.status != NodeStatus::Leaving, Error::<T>::NodeLeaving);
			Self::check_roles(roles, endpoint.as_ref())?;
			ensure!(
				node.bonded >= Self::required_bond(roles, &ActiveParameters::<T>::get()),
				Error::<T>::BondBelowMinimum
			);
			// Jobs it holds must be answered (or time out, and be slashed) as an inference node.
			ensure!(
				roles.contains(NodeRole::Inference)
					|| !node.roles.contains(NodeRole::Inference)
					|| node.open_work == 0,
				Error::<T>::InferenceRoleInUse
			);
			let roles = if node.roles.contains(NodeRole::Tee) && roles.contains(NodeRole::Inference)
			{
				roles.with(NodeRole::Tee)
			} else {
				roles
			};
			node.roles = roles;
			node.endpoint = endpoint;
			Self::store_node(&who, &node);
			if !roles.contains(NodeRole::Tee) {
				Self::drop_tee(&who);
			}
			Self::deposit_event(Event::RolesChanged { node: who, roles });
			Ok(())
		}

		/// Changes the caller's role key (after inserting the new one in its node's keystore),
		/// with the new key's `key_proof` as in [`Pallet::register`].
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::set_role_key())]
		pub fn set_role_key(
			origin: OriginFor<T>,
			key: NodeKey,
			key_proof: NodeKeySignature,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut node = Self::node(&who)?;
			Self::check_key_proof(&who, &key, &key_proof)?;
			ensure!(!NodeByKey::<T>::contains_key(&key), Error::<T>::KeyInUse);
			NodeByKey::<T>::remove(&node.key);
			NodeByKey::<T>::insert(&key, &who);
			node.key = key.clone();
			Nodes::<T>::insert(&who, &node);
			Self::deposit_event(Event::RoleKeyChanged { node: who, key });
			Ok(())
		}

		/// A node's heartbeat, sent by its offchain worker and signed with its role key. Pays no
		/// fee: the call authorizes itself, and refuses anything but the first valid heartbeat
		/// of a registered node in the current period.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::heartbeat())]
		#[pallet::authorize(|_source, heartbeat, signature| {
			Pallet::<T>::check_heartbeat(heartbeat, signature)
				.map_err(Pallet::<T>::invalid)
				.and_then(|_| Pallet::<T>::heartbeat_validity(heartbeat))
		})]
		#[pallet::weight_of_authorize(T::WeightInfo::authorize_heartbeat())]
		pub fn heartbeat(
			origin: OriginFor<T>,
			heartbeat: HeartbeatOf<T>,
			signature: NodeKeySignature,
		) -> DispatchResult {
			ensure_authorized(origin)?;
			let mut node = Self::check_heartbeat(&heartbeat, &signature)?;
			let now = frame_system::Pallet::<T>::block_number();
			let parameters = ActiveParameters::<T>::get();
			let missed = Self::period_of(now, &parameters)
				.saturating_sub(Self::period_of(node.alive_at(), &parameters))
				.saturating_sub(1);
			if missed > 0 {
				Reputations::<T>::mutate(&heartbeat.node, |reputation| {
					reputation.missed_heartbeats =
						reputation.missed_heartbeats.saturating_add(missed)
				});
			}
			node.last_heartbeat = Some(now);
			Self::deposit_event(Event::HeartbeatReceived {
				node: heartbeat.node.clone(),
				period_start: heartbeat.period_start,
			});
			Self::refresh_status(&heartbeat.node, &mut node, now);
			Self::store_node(&heartbeat.node, &node);
			Ok(())
		}

		/// A committee member's commitment to its output for `subject`'s round, signed with its
		/// role key: `commitment` is [`commitment_of`] its output and a secret salt.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::commit())]
		#[pallet::authorize(|_source, subject, member, commitment, signature| {
			Pallet::<T>::check_commit(subject, member, commitment, signature)
				.map(|_| ())
				.map_err(Pallet::<T>::invalid)
				.and_then(|_| Pallet::<T>::round_validity(b"commit", subject, member))
		})]
		#[pallet::weight_of_authorize(T::WeightInfo::authorize_commit())]
		pub fn commit(
			origin: OriginFor<T>,
			subject: SubjectId,
			member: T::AccountId,
			commitment: sp_core::H256,
			signature: NodeKeySignature,
		) -> DispatchResult {
			ensure_authorized(origin)?;
			let (mut round, index) =
				Self::check_commit(&subject, &member, &commitment, &signature)?;
			if let Some(slot) = round.committee.get_mut(index) {
				slot.commitment = Some(commitment);
			}
			Rounds::<T>::insert(subject, round);
			Self::deposit_event(Event::Committed { subject, member });
			Ok(())
		}

		/// A committee member's reveal of `output` and `salt` for `subject`'s round, signed with
		/// its role key. The last reveal decides the round at once.
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::reveal()
			.saturating_add(T::WeightInfo::conclude_round(T::MaxCommitteeSize::get()))
			.saturating_add(T::OnConclusion::weight()))]
		#[pallet::authorize(|_source, subject, member, output, salt, signature| {
			Pallet::<T>::check_reveal(subject, member, output, salt, signature)
				.map(|_| ())
				.map_err(Pallet::<T>::invalid)
				.and_then(|_| Pallet::<T>::round_validity(b"reveal", subject, member))
		})]
		#[pallet::weight_of_authorize(T::WeightInfo::authorize_reveal())]
		pub fn reveal(
			origin: OriginFor<T>,
			subject: SubjectId,
			member: T::AccountId,
			output: OutputHash,
			salt: [u8; 32],
			signature: NodeKeySignature,
		) -> DispatchResultWithPostInfo {
			ensure_authorized(origin)?;
			let (mut round, index) =
				Self::check_reveal(&subject, &member, &output, &salt, &signature)?;
			if let Some(slot) = round.committee.get_mut(index) {
				slot.revealed = Some(output);
			}
			Self::deposit_event(Event::Revealed { subject, member, output });
			if round.all_revealed() {
				Self::unschedule(subject, round.reveal_deadline);
				let size = round.committee.len() as u32;
				Self::conclude_round(subject, round);
				return Ok(Some(
					T::WeightInfo::reveal()
						.saturating_add(T::WeightInfo::conclude_round(size))
						.saturating_add(T::OnConclusion::weight()),
				)
				.into());
			}
			Rounds::<T>::insert(subject, round);
			Ok(Some(T::WeightInfo::reveal()).into())
		}

		/// Challenges the claim on `subject` within its window, holding the challenge bond: a
		/// dispute round decides who loses. Its committee (never the claimant or the challenger)
		/// is drawn in the next block, from a seed the challenger cannot know now.
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::challenge())]
		pub fn challenge(origin: OriginFor<T>, subject: SubjectId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let node = Self::node(&who)?;
			ensure!(node.roles.contains(NodeRole::Verifier), Error::<T>::NotAVerifier);
			ensure!(node.status != NodeStatus::Leaving, Error::<T>::NodeLeaving);
			let claim = Claims::<T>::get(subject).ok_or(Error::<T>::NoSuchClaim)?;
			ensure!(claim.claimant != who, Error::<T>::OwnClaim);
			let bond = ActiveParameters::<T>::get().challenge_bond;
			T::Currency::hold(&HoldReason::ChallengeBond.into(), &who, bond)
				.map_err(|_| Error::<T>::InsufficientFunds)?;
			Claims::<T>::remove(subject);
			Self::unschedule_claim(subject, claim.challenge_deadline);
			// The claim's unit of open work passes to the round, which counts its own.
			Self::end_internal_work(&claim.claimant);
			Self::deposit_event(Event::Challenged { subject, challenger: who.clone(), bond });
			Self::open_round_for(
				subject,
				&claim.claimant,
				claim.output,
				RoundOrigin::Dispute { challenger: who, bond },
			)
		}

		/// Chills `node`: it is not selected until unchilled. Governance only.
		#[pallet::call_index(11)]
		#[pallet::weight(T::WeightInfo::chill())]
		pub fn chill(origin: OriginFor<T>, node: T::AccountId) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			let mut info = Self::node(&node)?;
			ensure!(!info.chilled, Error::<T>::AlreadyChilled);
			info.chilled = true;
			Self::store_node(&node, &info);
			Self::deposit_event(Event::NodeChilled { node });
			Ok(())
		}

		/// Unchills `node`. Governance only.
		#[pallet::call_index(12)]
		#[pallet::weight(T::WeightInfo::unchill())]
		pub fn unchill(origin: OriginFor<T>, node: T::AccountId) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			let mut info = Self::node(&node)?;
			ensure!(info.chilled, Error::<T>::NotChilled);
			info.chilled = false;
			Self::store_node(&node, &info);
			Self::deposit_event(Event::NodeUnchilled { node });
			Ok(())
		}

		/// Registers or replaces the collateral (Intel's JSON: TCB info, QE identity, CRLs and
		/// their issuer chains) of a platform family, shown genuine by a `quote` of that family
		/// that it verifies now (any node's quote will do; its measurement and TCB status do not
		/// matter here). Only collateral issued later than the registered one replaces it. Open
		/// to anyone: only Intel-signed collateral gets in.
		#[pallet::call_index(15)]
		#[pallet::weight(T::WeightInfo::refresh_collateral())]
		pub fn refresh_collateral(
			origin: OriginFor<T>,
			quote: QuoteBytes,
			collateral: CollateralBytes,
		) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_refresh_collateral(&quote, collateral)
		}

		/// Registers the caller's TEE: `evidence` shows that `enclave_key` lives in an
		/// allow-listed measurement on genuine hardware (see the crate docs, TEE nodes). The
		/// caller must be an inference node; it gains the `Tee` role. A node registered before
		/// is registered anew (a new key, a new quote).
		#[pallet::call_index(16)]
		#[pallet::weight(T::WeightInfo::register_tee())]
		pub fn register_tee(
			origin: OriginFor<T>,
			evidence: TeeEvidence<BlockNumberFor<T>>,
			enclave_key: EnclaveKey,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_register_tee(&who, evidence, enclave_key)
		}

		/// Puts `measurement` on the allow-list. [`Measurement::InsecureDevEnclave`] only where
		/// genesis allows it.
		#[pallet::call_index(17)]
		#[pallet::weight(T::WeightInfo::allow_measurement())]
		pub fn allow_measurement(origin: OriginFor<T>, measurement: Measurement) -> DispatchResult {
			T::TeeOrigin::ensure_origin(origin)?;
			Self::do_allow_measurement(measurement)
		}

		/// Takes measurement `id` off the allow-list and revokes every node registered under it:
		/// they lose the `Tee` role and their enclave keys at once.
		#[pallet::call_index(18)]
		#[pallet::weight(T::WeightInfo::revoke_measurement(T::MaxTeeNodesPerMeasurement::get()))]
		pub fn revoke_measurement(
			origin: OriginFor<T>,
			id: MeasurementId,
		) -> DispatchResultWithPostInfo {
			T::TeeOrigin::ensure_origin(origin)?;
			let revoked = Self::do_revoke_measurement(id)?;
			Ok(Some(T::WeightInfo::revoke_measurement(revoked)).into())
		}

		/// Ends `node`'s TEE registration (a single platform found compromised, say), without
		/// touching the measurement's other nodes.
		#[pallet::call_index(20)]
		#[pallet::weight(T::WeightInfo::revoke_tee())]
		pub fn revoke_tee(origin: OriginFor<T>, node: T::AccountId) -> DispatchResult {
			T::TeeOrigin::ensure_origin(origin)?;
			ensure!(TeeNodes::<T>::contains_key(&node), Error::<T>::NotTeeRegistered);
			Self::drop_tee(&node);
			Ok(())
		}

		/// Sets the TCB statuses a quote may have at registration (`Revoked` never can).
		/// Registered nodes keep their registration.
		#[pallet::call_index(19)]
		#[pallet::weight(T::WeightInfo::set_accepted_tcb_statuses())]
		pub fn set_accepted_tcb_statuses(
			origin: OriginFor<T>,
			statuses: TcbStatusSet,
		) -> DispatchResult {
			T::TeeOrigin::ensure_origin(origin)?;
			AcceptedTcbStatuses::<T>::put(statuses);
			Self::deposit_event(Event::AcceptedTcbStatusesSet { statuses });
			Ok(())
		}

		/// Changes one parameter, within its bounds and the relations of [`Parameters::check`].
		/// Drawn rounds keep their deadlines and quorum (rounds not yet drawn take the new ones
		/// at their draw); nodes under a raised minimum bond are skipped by selection at once and
		/// marked inactive by the liveness sweep until they bond more. Governance only (the
		/// node-parameters track). (Call index 13, which replaced the whole set, is retired.)
		#[pallet::call_index(14)]
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
	/// Whether `parameters` may be in force: each within its bounds, and related ones consistent.
	pub fn check_parameters(parameters: &ParametersOf<T>) -> Result<(), Error<T>> {
		let within = parameters.within(&T::MinimumParameters::get(), &T::MaximumParameters::get());
		ensure!(within, Error::<T>::ParametersOutOfBounds);
		parameters.check(T::MaxCommitteeSize::get()).map_err(|_| Error::<T>::ParametersOutOfBounds)
	}

	/// The node record of `who`.
	fn node(who: &T::AccountId) -> Result<NodeInfoOf<T>, Error<T>> {
		Nodes::<T>::get(who).ok_or(Error::<T>::NotRegistered)
	}

	/// Stores `node` and brings its pool memberships in line with it: the one place a change
	/// that can move a node in or out of a pool (status, chill, roles, bond) is stored. (Changes
	/// that cannot, the role key and the work counter, write `Nodes` directly.)
	fn store_node(who: &T::AccountId, node: &NodeInfoOf<T>) {
		Nodes::<T>::insert(who, node);
		Self::sync_pools(who, node);
	}

	/// Removes a node whose bond is all withdrawn.
	fn remove_node(who: &T::AccountId, node: &NodeInfoOf<T>) {
		Self::drop_tee(who);
		for role in NodeRole::ALL {
			Self::pool_remove(role, who);
		}
		Nodes::<T>::remove(who);
		NodeByKey::<T>::remove(&node.key);
		NodeCount::<T>::mutate(|count| *count = count.saturating_sub(1));
		Self::deposit_event(Event::NodeRemoved { node: who.clone() });
	}

	/// Registers `who`: the one path for calls and genesis.
	fn do_register(
		who: &T::AccountId,
		roles: RoleSet,
		key: NodeKey,
		endpoint: Option<EndpointOf<T>>,
		bond: BalanceOf<T>,
	) -> DispatchResult {
		ensure!(!Nodes::<T>::contains_key(who), Error::<T>::AlreadyRegistered);
		Self::check_roles(roles, endpoint.as_ref())?;
		ensure!(
			bond >= Self::required_bond(roles, &ActiveParameters::<T>::get()),
			Error::<T>::BondBelowMinimum
		);
		ensure!(!NodeByKey::<T>::contains_key(&key), Error::<T>::KeyInUse);
		let count = NodeCount::<T>::get();
		ensure!(count < T::MaxNodes::get(), Error::<T>::TooManyNodes);
		T::Currency::hold(&HoldReason::NodeBond.into(), who, bond)
			.map_err(|_| Error::<T>::InsufficientFunds)?;
		let now = frame_system::Pallet::<T>::block_number();
		let node = NodeInfo {
			roles,
			key: key.clone(),
			endpoint,
			bonded: bond,
			unlocking: BoundedVec::new(),
			status: NodeStatus::Active,
			chilled: false,
			last_heartbeat: None,
			open_work: 0,
			registered_at: now,
		};
		NodeCount::<T>::put(count.saturating_add(1));
		NodeByKey::<T>::insert(&key, who);
		Self::store_node(who, &node);
		Self::deposit_event(Event::NodeRegistered { node: who.clone(), roles, key, bond });
		Ok(())
	}

	/// Checks a role set and its endpoint: at least one role; an http(s) endpoint exactly when
	/// the set includes the data role.
	fn check_roles(roles: RoleSet, endpoint: Option<&EndpointOf<T>>) -> DispatchResult {
		ensure!(!roles.is_empty(), Error::<T>::NoRoles);
		ensure!(!roles.contains(NodeRole::Tee), Error::<T>::TeeRoleNotDeclarable);
		let endpoint_ok = match endpoint {
			Some(url) => {
				roles.contains(NodeRole::Data)
					&& (url.starts_with(b"http://") || url.starts_with(b"https://"))
					&& url.iter().all(|byte| byte.is_ascii_graphic())
			}
			None => !roles.contains(NodeRole::Data),
		};
		ensure!(endpoint_ok, Error::<T>::BadEndpoint);
		Ok(())
	}

	/// The bond `roles` need: the sum of their minimums.
	pub fn required_bond(roles: RoleSet, parameters: &ParametersOf<T>) -> BalanceOf<T> {
		roles.iter().fold(Zero::zero(), |total: BalanceOf<T>, role| {
			total.saturating_add(match role {
				NodeRole::Inference => parameters.min_inference_bond,
				NodeRole::Verifier => parameters.min_verifier_bond,
				NodeRole::Data => parameters.min_data_bond,
				NodeRole::Tee => Zero::zero(),
			})
		})
	}

	/// Moves `amount` of the active bond into a new unbonding chunk.
	fn start_unbonding(
		node: &mut NodeInfoOf<T>,
		amount: BalanceOf<T>,
	) -> Result<BlockNumberFor<T>, DispatchError> {
		let unlock_at = frame_system::Pallet::<T>::block_number()
			.saturating_add(ActiveParameters::<T>::get().unbonding_period);
		if let Some(chunk) = node.unlocking.iter_mut().find(|chunk| chunk.unlock_at == unlock_at) {
			chunk.amount = chunk.amount.saturating_add(amount);
		} else {
			node.unlocking
				.try_push(UnlockChunk { amount, unlock_at })
				.map_err(|_| Error::<T>::TooManyUnlockingChunks)?;
		}
		node.bonded = node.bonded.saturating_sub(amount);
		Ok(unlock_at)
	}

	/// The heartbeat period that block `block` falls in.
	pub fn period_of(block: BlockNumberFor<T>, parameters: &ParametersOf<T>) -> u32 {
		let period: u32 = parameters.heartbeat_period.saturated_into();
		let block: u32 = block.saturated_into();
		block.checked_div(period).unwrap_or(block)
	}

	/// The first block of the heartbeat period that block `block` falls in.
	pub fn period_start(
		block: BlockNumberFor<T>,
		parameters: &ParametersOf<T>,
	) -> BlockNumberFor<T> {
		let length: u32 = parameters.heartbeat_period.saturated_into();
		BlockNumberFor::<T>::from(Self::period_of(block, parameters).saturating_mul(length))
	}

	/// Whether `node` already sent a heartbeat in the period starting at `period_start`.
	fn beat_in(node: &NodeInfoOf<T>, period_start: BlockNumberFor<T>) -> bool {
		node.last_heartbeat.is_some_and(|at| at >= period_start)
	}

	/// Checks that `key_proof` is `key`'s signature of [`SignedStatement::KeyOwnership`] for
	/// `who`.
	fn check_key_proof(
		who: &T::AccountId,
		key: &NodeKey,
		key_proof: &NodeKeySignature,
	) -> DispatchResult {
		let statement = SignedStatement::KeyOwnership { account: who };
		ensure!(Self::verify_statement(key, &statement, key_proof), Error::<T>::BadSignature);
		Ok(())
	}

	/// Why `node` should be inactive now, if it should: stale, or bonded below its roles'
	/// minimums.
	fn inactive_reason(node: &NodeInfoOf<T>, now: BlockNumberFor<T>) -> Option<InactiveReason> {
		if Self::is_stale(node, now) {
			Some(InactiveReason::MissedHeartbeats)
		} else if node.bonded < Self::required_bond(node.roles, &ActiveParameters::<T>::get()) {
			Some(InactiveReason::UnderBonded)
		} else {
			None
		}
	}

	/// Marks `node` inactive or active again as its liveness and bond say (a leaving node stays
	/// leaving). The caller stores it.
	fn refresh_status(who: &T::AccountId, node: &mut NodeInfoOf<T>, now: BlockNumberFor<T>) {
		match (node.status, Self::inactive_reason(node, now)) {
			(NodeStatus::Active, Some(reason)) => {
				node.status = NodeStatus::Inactive { since: now };
				Self::deposit_event(Event::NodeInactive { node: who.clone(), reason });
			}
			(NodeStatus::Inactive { .. }, None) => {
				node.status = NodeStatus::Active;
				Self::deposit_event(Event::NodeReactivated { node: who.clone() });
			}
			_ => {}
		}
	}

	/// Whether `node` has missed more heartbeat periods than allowed.
	pub fn is_stale(node: &NodeInfoOf<T>, now: BlockNumberFor<T>) -> bool {
		let parameters = ActiveParameters::<T>::get();
		let silent = Self::period_of(now, &parameters)
			.saturating_sub(Self::period_of(node.alive_at(), &parameters));
		silent > parameters.max_missed_heartbeats
	}

	/// Whether `node` may be given work of `role` now.
	fn eligible(node: &NodeInfoOf<T>, role: NodeRole, now: BlockNumberFor<T>) -> bool {
		node.in_pool() && node.roles.contains(role) && Self::inactive_reason(node, now).is_none()
	}

	/// The genesis hash, which every role-key signature and dev-enclave key proof covers.
	fn genesis_hash() -> T::Hash {
		frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero())
	}

	/// Whether `signature` is `key`'s over `statement` on this chain.
	fn verify_statement(
		key: &NodeKey,
		statement: &StatementOf<'_, T>,
		signature: &NodeKeySignature,
	) -> bool {
		key.verify(&signing_message(&Self::genesis_hash(), statement), signature)
	}

	/// A pallet error as a transaction-validity error: `Custom(index)` where `index` is the
	/// error's index in this pallet's `Error` enum.
	fn invalid(error: Error<T>) -> TransactionValidityError {
		let index = error.encode().first().copied().unwrap_or(u8::MAX);
		match error {
			Error::<T>::BadSignature => InvalidTransaction::BadProof.into(),
			Error::<T>::NotRegistered => InvalidTransaction::BadSigner.into(),
			Error::<T>::DuplicateHeartbeat => InvalidTransaction::Stale.into(),
			_ => InvalidTransaction::Custom(index).into(),
		}
	}

	/// Checks a heartbeat: a registered, non-leaving node, the current period, the first in
	/// it, signed by the node's role key. Returns the node.
	fn check_heartbeat(
		heartbeat: &HeartbeatOf<T>,
		signature: &NodeKeySignature,
	) -> Result<NodeInfoOf<T>, Error<T>> {
		let node = Self::node(&heartbeat.node)?;
		ensure!(node.status != NodeStatus::Leaving, Error::<T>::NodeLeaving);
		let parameters = ActiveParameters::<T>::get();
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(
			heartbeat.period_start == Self::period_start(now, &parameters),
			Error::<T>::WrongPeriod
		);
		ensure!(!Self::beat_in(&node, heartbeat.period_start), Error::<T>::DuplicateHeartbeat);
		ensure!(
			Self::verify_statement(&node.key, &SignedStatement::Heartbeat(heartbeat), signature),
			Error::<T>::BadSignature
		);
		Ok(node)
	}

	/// How long a valid heartbeat may wait in the pool: until its period ends.
	fn heartbeat_validity(heartbeat: &HeartbeatOf<T>) -> TransactionValidityWithRefund {
		let parameters = ActiveParameters::<T>::get();
		let period: u64 = parameters.heartbeat_period.saturated_into();
		let now: u64 = frame_system::Pallet::<T>::block_number().saturated_into();
		let left = period.saturating_sub(now.checked_rem(period).unwrap_or(0)).max(1);
		ValidTransaction::with_tag_prefix("OpgHeartbeat")
			.priority(TransactionPriority::MAX / 2)
			.and_provides((&heartbeat.node, heartbeat.period_start))
			.longevity(left)
			.propagate(true)
			.build()
			.map(|validity| (validity, Weight::zero()))
	}

	/// Pool validity of a commit or reveal: one of each per member and round.
	fn round_validity(
		what: &'static [u8],
		subject: &SubjectId,
		member: &T::AccountId,
	) -> TransactionValidityWithRefund {
		let left: u64 = Rounds::<T>::get(subject)
			.map(|round| {
				round
					.reveal_deadline
					.saturating_sub(frame_system::Pallet::<T>::block_number())
					.saturated_into()
			})
			.unwrap_or(1);
		ValidTransaction::with_tag_prefix("OpgRound")
			.priority(TransactionPriority::MAX / 2)
			.and_provides((what, subject, member))
			.longevity(left.max(1))
			.propagate(true)
			.build()
			.map(|validity| (validity, Weight::zero()))
	}

	/// Checks a commitment; returns the round and the member's position in it.
	fn check_commit(
		subject: &SubjectId,
		member: &T::AccountId,
		commitment: &sp_core::H256,
		signature: &NodeKeySignature,
	) -> Result<(RoundOf<T>, usize), Error<T>> {
		let round = Rounds::<T>::get(subject).ok_or(Error::<T>::NoSuchRound)?;
		let (index, slot) = round.member(member).ok_or(Error::<T>::NotCommitteeMember)?;
		ensure!(slot.commitment.is_none(), Error::<T>::AlreadyCommitted);
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now < round.commit_deadline, Error::<T>::CommitPhaseOver);
		let key = Self::node(member)?.key;
		let statement =
			SignedStatement::Commit { subject, round: &round.opened_at, member, commitment };
		ensure!(Self::verify_statement(&key, &statement, signature), Error::<T>::BadSignature);
		Ok((round, index))
	}

	/// Checks a reveal; returns the round and the member's position in it.
	fn check_reveal(
		subject: &SubjectId,
		member: &T::AccountId,
		output: &OutputHash,
		salt: &[u8; 32],
		signature: &NodeKeySignature,
	) -> Result<(RoundOf<T>, usize), Error<T>> {
		let round = Rounds::<T>::get(subject).ok_or(Error::<T>::NoSuchRound)?;
		let (index, slot) = round.member(member).ok_or(Error::<T>::NotCommitteeMember)?;
		let commitment = slot.commitment.ok_or(Error::<T>::NotCommitted)?;
		ensure!(slot.revealed.is_none(), Error::<T>::AlreadyRevealed);
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(
			now >= round.commit_deadline || round.all_committed(),
			Error::<T>::RevealPhaseNotOpen
		);
		ensure!(now < round.reveal_deadline, Error::<T>::RevealPhaseOver);
		ensure!(
			commitment_of(subject, &round.opened_at, member, output, salt) == commitment,
			Error::<T>::CommitmentMismatch
		);
		let key = Self::node(member)?.key;
		let statement =
			SignedStatement::Reveal { subject, round: &round.opened_at, member, output, salt };
		ensure!(Self::verify_statement(&key, &statement, signature), Error::<T>::BadSignature);
		Ok((round, index))
	}

	/// Checks that `who` may take work: registered and not leaving (a leaving node's bond is on
	/// its way out, so it must not back anything new).
	fn ensure_can_work(who: &T::AccountId) -> DispatchResult {
		ensure!(Self::node(who)?.status != NodeStatus::Leaving, Error::<T>::NodeLeaving);
		Ok(())
	}

	/// Counts a unit of work for `who` (a claim, a round, a consumer's job).
	fn begin_internal_work(who: &T::AccountId) -> DispatchResult {
		Self::ensure_can_work(who)?;
		Nodes::<T>::try_mutate(who, |node| {
			let node = node.as_mut().ok_or(Error::<T>::NotRegistered)?;
			node.open_work = node.open_work.saturating_add(1);
			Ok(())
		})
	}

	/// Ends a unit of work for `who`.
	fn end_internal_work(who: &T::AccountId) {
		Nodes::<T>::mutate(who, |node| {
			if let Some(node) = node {
				node.open_work = node.open_work.saturating_sub(1);
			}
		});
	}

	/// Counts a success or a failure in `who`'s reputation.
	fn note_outcome(who: &T::AccountId, succeeded: bool) {
		Reputations::<T>::mutate(who, |reputation| {
			if succeeded {
				reputation.completed = reputation.completed.saturating_add(1);
			} else {
				reputation.failed = reputation.failed.saturating_add(1);
			}
		});
	}

	/// Puts round `subject` on the deadline list of block `earliest`, or of the first of the
	/// next [`DEADLINE_SEARCH`] blocks with room. Returns the block.
	fn schedule(
		subject: SubjectId,
		earliest: BlockNumberFor<T>,
	) -> Result<BlockNumberFor<T>, Error<T>> {
		Self::first_with_room(earliest, |at| {
			Deadlines::<T>::try_mutate(at, |list| list.try_push(subject)).is_ok()
		})
	}

	/// Puts claim `subject` on the claim deadline list of block `earliest`, or of the first of
	/// the next [`DEADLINE_SEARCH`] blocks with room. Returns the block.
	fn schedule_claim(
		subject: SubjectId,
		earliest: BlockNumberFor<T>,
	) -> Result<BlockNumberFor<T>, Error<T>> {
		Self::first_with_room(earliest, |at| {
			ClaimDeadlines::<T>::try_mutate(at, |list| list.try_push(subject)).is_ok()
		})
	}

	/// The first block from `earliest`, within [`DEADLINE_SEARCH`] more, at which `push`
	/// succeeds.
	fn first_with_room(
		earliest: BlockNumberFor<T>,
		mut push: impl FnMut(BlockNumberFor<T>) -> bool,
	) -> Result<BlockNumberFor<T>, Error<T>> {
		let mut at = earliest;
		for _ in 0..=DEADLINE_SEARCH {
			if push(at) {
				return Ok(at);
			}
			at = at.saturating_add(1u32.into());
		}
		Err(Error::<T>::DeadlineQueueFull)
	}

	/// Takes round `subject` off block `at`'s deadline list.
	fn unschedule(subject: SubjectId, at: BlockNumberFor<T>) {
		Deadlines::<T>::mutate_exists(at, |list| Self::remove_entry(list, subject));
	}

	/// Takes claim `subject` off block `at`'s claim deadline list.
	fn unschedule_claim(subject: SubjectId, at: BlockNumberFor<T>) {
		ClaimDeadlines::<T>::mutate_exists(at, |list| Self::remove_entry(list, subject));
	}

	/// Removes `subject` from a deadline list, and the list when it is left empty.
	fn remove_entry<S: Get<u32>>(list: &mut Option<BoundedVec<SubjectId, S>>, subject: SubjectId) {
		if let Some(entries) = list {
			entries.retain(|entry| *entry != subject);
			if entries.is_empty() {
				*list = None;
			}
		}
	}

	/// Ends the claims and rounds whose deadline is `now`.
	fn end_due(now: BlockNumberFor<T>) -> Weight {
		let mut weight = T::WeightInfo::end_due_base();
		for subject in Deadlines::<T>::take(now) {
			if let Some(round) =
				Rounds::<T>::get(subject).filter(|r| !r.drawn() && r.draw_at == now)
			{
				let size = ActiveParameters::<T>::get().committee_size;
				Self::draw_committee(subject, round);
				weight = weight
					.saturating_add(T::WeightInfo::draw_committee(size))
					.saturating_add(T::WeightInfo::conclude_round(0))
					.saturating_add(T::OnConclusion::weight());
			} else if let Some(round) =
				Rounds::<T>::get(subject).filter(|r| r.drawn() && r.reveal_deadline == now)
			{
				let size = round.committee.len() as u32;
				Self::conclude_round(subject, round);
				weight = weight
					.saturating_add(T::WeightInfo::conclude_round(size))
					.saturating_add(T::OnConclusion::weight());
			}
		}
		for subject in ClaimDeadlines::<T>::take(now) {
			if let Some(claim) = Claims::<T>::get(subject).filter(|c| c.challenge_deadline == now) {
				Claims::<T>::remove(subject);
				Self::end_internal_work(&claim.claimant);
				Self::note_outcome(&claim.claimant, true);
				Self::deposit_event(Event::ClaimStood {
					subject,
					claimant: claim.claimant.clone(),
					output: claim.output,
				});
				T::OnConclusion::on_conclusion(
					subject,
					&Conclusion::Unchallenged { claimant: claim.claimant, output: claim.output },
				);
				weight = weight
					.saturating_add(T::WeightInfo::claim_stands())
					.saturating_add(T::OnConclusion::weight());
			}
		}
		weight
	}

	/// Checks up to `MaxLivenessChecksPerBlock` nodes, from where the last block stopped, and
	/// marks the stale ones inactive.
	fn sweep_liveness(now: BlockNumberFor<T>) -> Weight {
		Self::sweep_liveness_up_to(now, T::MaxLivenessChecksPerBlock::get())
	}

	/// The liveness sweep, checking up to `limit` nodes.
	fn sweep_liveness_up_to(now: BlockNumberFor<T>, limit: u32) -> Weight {
		let mut nodes = match LivenessCursor::<T>::get() {
			Some(cursor) => Nodes::<T>::iter_from(cursor.into_inner()),
			None => Nodes::<T>::iter(),
		};
		let mut checked = 0u32;
		let mut last = None;
		while checked < limit {
			let Some((who, mut node)) = nodes.next() else { break };
			checked = checked.saturating_add(1);
			let status = node.status;
			Self::refresh_status(&who, &mut node, now);
			if node.status != status {
				Self::store_node(&who, &node);
			}
			last = Some(who);
		}
		match last.filter(|_| checked == limit) {
			Some(who) => LivenessCursor::<T>::set(
				BoundedVec::try_from(Nodes::<T>::hashed_key_for(&who)).ok(),
			),
			None => LivenessCursor::<T>::kill(),
		}
		T::WeightInfo::sweep_liveness(checked)
	}

	/// From the offchain worker: sends a heartbeat for each registered node whose role key is
	/// in this node's keystore and that has not sent one this period.
	fn send_heartbeats(now: BlockNumberFor<T>) {
		let parameters = ActiveParameters::<T>::get();
		let period_start = Self::period_start(now, &parameters);
		for key in NodeKey::all() {
			let Some(account) = NodeByKey::<T>::get(&key) else { continue };
			let Some(node) = Nodes::<T>::get(&account) else { continue };
			if node.status == NodeStatus::Leaving {
				continue;
			}
			if Self::beat_in(&node, period_start)
				|| !Self::claim_heartbeat_slot(&key, period_start, now)
			{
				continue;
			}
			let heartbeat = Heartbeat { node: account, period_start };
			let message =
				signing_message(&Self::genesis_hash(), &SignedStatement::Heartbeat(&heartbeat));
			let Some(signature) = key.sign(&message) else {
				log::warn!(target: "attestations", "role key {key:?} could not sign a heartbeat");
				continue;
			};
			let call = Call::heartbeat { heartbeat, signature };
			let transaction = T::create_authorized_transaction(call.into());
			if SubmitTransaction::<T, Call<T>>::submit_transaction(transaction).is_err() {
				log::warn!(target: "attestations", "heartbeat for period {period_start:?} not accepted");
			}
		}
	}

	/// Whether this node should send `key`'s heartbeat for `period` now: not if it sent one in
	/// the last few blocks (it may still be on its way), so a slow pool is not flooded.
	fn claim_heartbeat_slot(
		key: &NodeKey,
		period_start: BlockNumberFor<T>,
		now: BlockNumberFor<T>,
	) -> bool {
		use sp_runtime::offchain::storage::StorageValueRef;
		const RESEND_AFTER: u32 = 5;
		let storage_key = (b"opg/attestations/heartbeat/", key).encode();
		let now: u32 = now.saturated_into();
		let period: u32 = period_start.saturated_into();
		let slot = StorageValueRef::persistent(&storage_key);
		let result = slot.mutate(|last: Result<Option<(u32, u32)>, _>| match last {
			Ok(Some((sent_period, sent_at)))
				if sent_period == period && now < sent_at.saturating_add(RESEND_AFTER) =>
			{
				Err(())
			}
			_ => Ok((period, now)),
		});
		result.is_ok()
	}

	/// From the offchain worker: for each round in which a local role key's node sits on the
	/// committee, has [`Config::Reexecute`] run the subject and commits to what it returns,
	/// then reveals it once the reveal phase opens. The output and salt wait in the node's local
	/// storage between the two; a transaction that did not land is sent again after a few
	/// blocks with the same output and salt.
	fn perform_duties(now: BlockNumberFor<T>) {
		use sp_runtime::offchain::storage::StorageValueRef;
		/// Rounds handled per local key and run: re-execution takes real time, the rest wait
		/// for the next block.
		const DUTIES_PER_RUN: usize = 8;
		/// Blocks before the same transaction is sent again: soon, since the pool may drop one
		/// silently (see the inference pallet's offchain worker), and a late copy is refused by
		/// its tag.
		const RESEND_AFTER: u32 = 2;
		let genesis = Self::genesis_hash();
		let block: u32 = now.saturated_into();
		for key in NodeKey::all() {
			let Some(member) = NodeByKey::<T>::get(&key) else { continue };
			for subject in Duties::<T>::iter_key_prefix(&member).take(DUTIES_PER_RUN) {
				let Some(round) = Rounds::<T>::get(subject) else { continue };
				let Some((_, slot)) = round.member(&member) else { continue };
				let storage_key =
					(b"opg/attestations/duty/", subject, round.opened_at, &member).encode();
				let local = StorageValueRef::persistent(&storage_key);
				// (output, salt, phase of the last transaction sent: 0 commit, 1 reveal, its block)
				let kept = local.get::<(OutputHash, [u8; 32], u8, u32)>().ok().flatten();
				let recently_sent = |phase: u8| {
					kept.is_some_and(|(_, _, sent, at)| {
						sent == phase && block.saturating_sub(at) < RESEND_AFTER
					})
				};
				let (output, salt, phase) = match (slot.commitment, slot.revealed) {
					(None, _) if now < round.commit_deadline && !recently_sent(0) => match kept {
						Some((output, salt, ..)) => (output, salt, 0),
						None => {
							let Some(output) = T::Reexecute::reexecute(subject, round.claimed)
							else {
								continue;
							};
							// Two overlapping worker runs must not commit with two salts: the
							// first to store its salt commits, the other stands down.
							let fresh = (output, sp_io::offchain::random_seed(), 0u8, block);
							let stored = local.mutate(
								|kept: Result<Option<(OutputHash, [u8; 32], u8, u32)>, _>| {
									match kept {
										Ok(None) => Ok(fresh),
										_ => Err(()),
									}
								},
							);
							if stored.is_err() {
								continue;
							}
							(fresh.0, fresh.1, 0)
						}
					},
					(Some(_), None)
						if (now >= round.commit_deadline || round.all_committed())
							&& !recently_sent(1) =>
					{
						let Some((output, salt, ..)) = kept else { continue };
						(output, salt, 1)
					}
					_ => continue,
				};
				let round_at = &round.opened_at;
				let (statement, call) = if phase == 0 {
					let commitment = commitment_of(&subject, round_at, &member, &output, &salt);
					let statement = SignedStatement::Commit {
						subject: &subject,
						round: round_at,
						member: &member,
						commitment: &commitment,
					};
					(signing_message(&genesis, &statement), Some(commitment))
				} else {
					let statement = SignedStatement::Reveal {
						subject: &subject,
						round: round_at,
						member: &member,
						output: &output,
						salt: &salt,
					};
					(signing_message(&genesis, &statement), None)
				};
				let Some(signature) = key.sign(&statement) else {
					log::warn!(target: "attestations", "role key {key:?} could not sign for {subject:?}");
					continue;
				};
				local.set(&(output, salt, phase, block));
				let call = match call {
					Some(commitment) => {
						Call::commit { subject, member: member.clone(), commitment, signature }
					}
					None => {
						Call::reveal { subject, member: member.clone(), output, salt, signature }
					}
				};
				let what = if phase == 0 { "commitment" } else { "reveal" };
				let transaction = T::create_authorized_transaction(call.into());
				if SubmitTransaction::<T, Call<T>>::submit_transaction(transaction).is_err() {
					log::warn!(target: "attestations", "the {what} of {member:?} for {subject:?} was not accepted by the pool");
				} else {
					log::info!(target: "attestations", "sent the {what} of {member:?} for {subject:?}");
				}
			}
		}
	}

	/// `who`'s node as the runtime API shows it.
	pub fn node_view(
		who: T::AccountId,
	) -> Option<NodeView<T::AccountId, BalanceOf<T>, BlockNumberFor<T>>> {
		let node = Nodes::<T>::get(&who)?;
		let now = frame_system::Pallet::<T>::block_number();
		Some(NodeView {
			stale: Self::is_stale(&node, now),
			reputation: Reputations::<T>::get(&who),
			account: who,
			roles: node.roles,
			key: node.key,
			endpoint: node.endpoint.map(BoundedVec::into_inner),
			bonded: node.bonded,
			unlocking: node.unlocking.into_inner(),
			status: node.status,
			chilled: node.chilled,
			last_heartbeat: node.last_heartbeat,
			open_work: node.open_work,
		})
	}

	/// The committee of `subject`'s open round.
	pub fn committee(subject: SubjectId) -> Option<Vec<T::AccountId>> {
		Rounds::<T>::get(subject)
			.map(|round| round.committee.into_iter().map(|member| member.account).collect())
	}

	/// Up to `limit` (at most [`MAX_PAGE`]) nodes after `after`, in storage order, for the
	/// runtime API.
	pub fn nodes_page(after: Option<T::AccountId>, limit: u32) -> Vec<T::AccountId> {
		let limit = limit.min(MAX_PAGE) as usize;
		let keys = match after {
			Some(after) => Nodes::<T>::iter_keys_from(Nodes::<T>::hashed_key_for(after)),
			None => Nodes::<T>::iter_keys(),
		};
		keys.take(limit).collect()
	}
}

#[cfg(any(feature = "try-runtime", test))]
impl<T: Config> Pallet<T> {
	/// Checks the invariants listed in the crate docs.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::BTreeMap;
		use frame_support::traits::fungible::InspectHold;
		let now = frame_system::Pallet::<T>::block_number();

		// Bonds, keys and the count.
		let mut count = 0u32;
		for (who, node) in Nodes::<T>::iter() {
			count = count.saturating_add(1);
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::NodeBond.into(), &who)
					== node.total_held(),
				"a node's held bond differs from its record"
			);
			ensure!(
				NodeByKey::<T>::get(&node.key).as_ref() == Some(&who),
				"a node's role key does not map back to it"
			);
		}
		ensure!(count == NodeCount::<T>::get(), "NodeCount does not count the nodes");
		ensure!(NodeByKey::<T>::iter().count() as u32 == count, "role keys without nodes");

		// Pools.
		for role in NodeRole::ALL {
			let size = PoolSizes::<T>::get(role);
			ensure!(
				size.capacity >= size.len
					&& (size.capacity == 0 || size.capacity.is_power_of_two()),
				"a pool's capacity is not a power of two covering its slots"
			);
			let mut total: BalanceOf<T> = Zero::zero();
			for slot in 1..=size.len {
				let who = PoolSlots::<T>::get(role, slot).ok_or("an empty pool slot")?;
				ensure!(SlotOf::<T>::get(role, &who) == Some(slot), "slot owner and slot disagree");
				let node = Nodes::<T>::get(&who).ok_or("a pooled account is no node")?;
				ensure!(
					node.in_pool() && node.roles.contains(role),
					"a pooled node is not poolable"
				);
				ensure!(
					Self::pool_weight(role, &who) == Some(node.bonded),
					"a pooled node's weight is not its bond"
				);
				total = total.saturating_add(node.bonded);
			}
			let tree_total = if size.capacity == 0 {
				Zero::zero()
			} else {
				PoolTree::<T>::get(role, size.capacity)
			};
			ensure!(tree_total == total, "a pool's tree total is not the sum of its weights");
			ensure!(
				PoolSlots::<T>::iter_prefix(role).count() as u32 == size.len
					&& SlotOf::<T>::iter_prefix(role).count() as u32 == size.len,
				"pool slots outside 1..=len"
			);
			let poolable = Nodes::<T>::iter()
				.filter(|(_, node)| node.in_pool() && node.roles.contains(role))
				.count() as u32;
			ensure!(poolable == size.len, "a poolable node is missing from its pool");
		}

		// Rounds, claims, deadlines, work and challenge bonds.
		let mut work: BTreeMap<T::AccountId, u32> = BTreeMap::new();
		let mut challenge_bonds: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let mut scheduled = 0usize;
		let mut duties = 0usize;
		for (subject, round) in Rounds::<T>::iter() {
			ensure!(!Claims::<T>::contains_key(subject), "a subject has a claim and a round");
			for member in &round.committee {
				ensure!(
					Duties::<T>::contains_key(&member.account, subject),
					"a committee member's duty is not indexed"
				);
				duties = duties.saturating_add(1);
			}
			ensure!(!round.all_revealed(), "a round is open and decided");
			let deadline = if round.drawn() { round.reveal_deadline } else { round.draw_at };
			ensure!(deadline > now, "an open round's deadline has passed");
			ensure!(
				Deadlines::<T>::get(deadline).contains(&subject),
				"an open round is not scheduled"
			);
			scheduled = scheduled.saturating_add(1);
			for member in round.committee.iter().map(|m| &m.account).chain([&round.claimant]) {
				let entry = work.entry(member.clone()).or_default();
				*entry = entry.saturating_add(1);
			}
			if let RoundOrigin::Dispute { challenger, bond } = &round.origin {
				let entry = challenge_bonds.entry(challenger.clone()).or_insert_with(Zero::zero);
				*entry = entry.saturating_add(*bond);
			}
		}
		for (subject, claim) in Claims::<T>::iter() {
			ensure!(claim.challenge_deadline > now, "an open claim's deadline has passed");
			ensure!(
				ClaimDeadlines::<T>::get(claim.challenge_deadline).contains(&subject),
				"an open claim is not scheduled"
			);
			scheduled = scheduled.saturating_add(1);
			let entry = work.entry(claim.claimant).or_default();
			*entry = entry.saturating_add(1);
		}
		let listed: usize = Deadlines::<T>::iter_values()
			.map(|list| list.len())
			.chain(ClaimDeadlines::<T>::iter_values().map(|list| list.len()))
			.sum();
		ensure!(listed == scheduled, "a deadline is listed for no open round or claim");
		ensure!(Duties::<T>::iter().count() == duties, "a duty is indexed for no committee seat");
		for (who, units) in work {
			let node = Nodes::<T>::get(&who).ok_or("a claimant or member is no node")?;
			ensure!(node.open_work >= units, "a node's open work misses its claims or rounds");
		}
		for (challenger, bond) in challenge_bonds {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::ChallengeBond.into(), &challenger)
					== bond,
				"a challenger's held bond differs from its disputes"
			);
		}
		Self::tee_try_state()
	}
}

impl<T: Config> api::NodeRegistry<T::AccountId, BalanceOf<T>> for Pallet<T> {
	fn is_eligible(who: &T::AccountId, role: NodeRole) -> bool {
		Nodes::<T>::get(who).is_some_and(|node| {
			Self::eligible(&node, role, frame_system::Pallet::<T>::block_number())
		})
	}

	fn role_key(who: &T::AccountId) -> Option<NodeKey> {
		Nodes::<T>::get(who).map(|node| node.key)
	}

	fn node_of_key(key: &NodeKey) -> Option<T::AccountId> {
		NodeByKey::<T>::get(key)
	}

	fn select(
		role: NodeRole,
		subject: SubjectId,
		count: u32,
		exclude: &[T::AccountId],
	) -> Result<Vec<T::AccountId>, DispatchError> {
		Self::select_nodes(role, subject, count, exclude)
	}

	fn select_weight(count: u32) -> Weight {
		T::WeightInfo::select(T::MaxNodes::get(), count)
	}

	fn data_endpoints(limit: u32) -> Vec<Vec<u8>> {
		let pooled = PoolSizes::<T>::get(NodeRole::Data).len;
		(1..=pooled)
			.filter_map(|slot| PoolSlots::<T>::get(NodeRole::Data, slot))
			.filter_map(|who| Nodes::<T>::get(who)?.endpoint)
			.take(limit as usize)
			.map(BoundedVec::into_inner)
			.collect()
	}

	fn enclave_signer(who: &T::AccountId) -> Option<opg_primitives::tee::EnclaveSigner> {
		TeeNodes::<T>::get(who).map(|registration| opg_primitives::tee::EnclaveSigner {
			insecure: registration.insecure(),
			key: registration.enclave_key,
		})
	}

	fn select_weight_now(role: NodeRole, count: u32) -> Weight {
		// Selection walks the tree, whose height follows its capacity (at least the count of
		// nodes in the pool).
		T::WeightInfo::select(PoolSizes::<T>::get(role).capacity, count)
			.saturating_add(T::DbWeight::get().reads(1))
	}

	fn begin_work(who: &T::AccountId) -> DispatchResult {
		Self::begin_internal_work(who)
	}

	fn end_work(who: &T::AccountId, succeeded: bool) {
		Self::end_internal_work(who);
		Self::note_outcome(who, succeeded);
	}

	fn slash(
		who: &T::AccountId,
		fraction: Perbill,
		beneficiary: Option<&T::AccountId>,
	) -> BalanceOf<T> {
		let credit = Self::slash_bond(who, fraction, SlashReason::Fault);
		let amount = credit.peek();
		let winners: Vec<T::AccountId> = beneficiary.into_iter().cloned().collect();
		Self::pay_out(credit, &winners);
		amount
	}
}

impl<T: Config> api::Attestations<T::AccountId> for Pallet<T> {
	fn open_round(
		subject: SubjectId,
		claimant: &T::AccountId,
		claimed: OutputHash,
	) -> DispatchResult {
		Self::open_round_for(subject, claimant, claimed, RoundOrigin::Verification)
	}

	fn open_claim(
		subject: SubjectId,
		claimant: &T::AccountId,
		claimed: OutputHash,
	) -> DispatchResult {
		ensure!(
			!Claims::<T>::contains_key(subject) && !Rounds::<T>::contains_key(subject),
			Error::<T>::SubjectInUse
		);
		Self::ensure_can_work(claimant)?;
		let now = frame_system::Pallet::<T>::block_number();
		let window = ActiveParameters::<T>::get().challenge_window;
		let challenge_deadline = Self::schedule_claim(subject, now.saturating_add(window))?;
		Self::begin_internal_work(claimant)?;
		Claims::<T>::insert(
			subject,
			Claim { claimant: claimant.clone(), output: claimed, challenge_deadline },
		);
		Self::deposit_event(Event::ClaimOpened {
			subject,
			claimant: claimant.clone(),
			output: claimed,
			challenge_deadline,
		});
		Ok(())
	}

	fn open_round_weight() -> Weight {
		T::WeightInfo::open_round()
	}

	fn open_claim_weight() -> Weight {
		T::WeightInfo::open_claim()
	}
}
