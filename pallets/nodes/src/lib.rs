//! # Nodes
//!
//! Who may work for OPG chain and what each node has at stake. Verification without a proof
//! rests on bonded nodes that lose their bond when they lie: this pallet keeps the registry, the
//! bonds, the liveness of every node and the stake-weighted pools committees and jobs are drawn
//! from. Other pallets use it through the traits in [`opg_primitives::attestation`]
//! ([`api::NodeRegistry`], [`api::SlashBond`], [`api::TeeRoles`]) and never import it: the
//! attestations pallet draws committees and slashes through it, the inference pallet assigns
//! jobs through it, the TEE pallet grants the `Tee` role through it.
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
//! node has open work (a claim, a round, or a job the consumer began: other pallets count it with
//! [`api::NodeRegistry::begin_work`]). A node that leaves, or stops being an inference node, loses
//! its TEE registration ([`Config::Enclaves`]).
//!
//! ## Liveness
//!
//! A node's offchain worker sends one heartbeat per heartbeat period ([`Pallet::heartbeat`]): a
//! fee-free transaction authorized by the call itself (`#[pallet::authorize]`), signed by the
//! role key, paying no fee. A heartbeat from an unknown node, with a bad signature, for another
//! period, or a second one in a period is refused before it reaches the pool. Each node sends
//! from its own block of the period's first half ([`Pallet::beat_from`]), so heartbeats spread
//! over the period; they rank below every paying transaction, and a block includes at most
//! [`Config::MaxHeartbeatsPerBlock`] (the rest wait in the pool for the next block), a cap every
//! period has room for twice over: a registration or a period change that would break that is
//! refused ([`Error::NoHeartbeatRoom`]). A node whose last
//! heartbeat is more than `max_missed_heartbeats` whole periods old is stale: selection skips
//! it at once, and `on_idle` marks it [`NodeStatus::Inactive`] as it sweeps the registry with
//! the room a block has left ([`Config::MaxLivenessChecksPerBlock`] nodes per block at most). A node whose active bond falls below
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
//! choice from the same state.
//!
//! The seed is `blake2_256("opg:select", role, subject)` hashed with [`Config::Randomness`]:
//! the BABE VRF outputs of the block that draws and of its parent
//! (`opg_primitives::randomness`). Callers draw in a
//! block that did not exist when their subject went in: the inference pallet assigns a job in
//! the block after its request, the attestations pallet draws a round's committee in the block
//! after the one that opened it. So nobody who submits a request or an answer, and no author of
//! the block that includes it, knows the draw in advance; re-signing or reordering a block
//! changes no draw, and no author knows the seed before the parent is out unless it holds
//! both the parent's slot and the drawing one (as likely as holding two slots in a row). The
//! author of the drawing block can still withhold it (one other outcome, at the cost of its
//! slot). A block without a VRF output draws nothing
//! ([`Error::NoRandomness`]): there is no fallback to a seed someone could choose.
//!
//! ## Slashing
//!
//! A slash ([`api::SlashBond::slash_bond`] from the attestations pallet, with the round's reason;
//! [`api::NodeRegistry::slash`] from the inference pallet for a proven fault) takes a fraction of
//! everything the node holds as a bond, active first, then the newest unbonding chunks, records
//! it in the node's [`Reputation`], and marks the node inactive if it is left under-bonded. The
//! attestations pallet pays the winners of a round from what it gets back; a fault's slash goes
//! to [`Config::OnSlash`] (the treasury). Nothing is burned.
//!
//! ## Parameters
//!
//! Minimum bonds, the unbonding period and the heartbeat rules live in [`ActiveParameters`], set
//! at genesis and changed one at a time by [`Config::GovernanceOrigin`] with
//! [`Pallet::set_parameter`], each within [`Config::MinimumParameters`] and
//! [`Config::MaximumParameters`] and the relations of [`Parameters::check`]: among them, the
//! unbonding period outlasts [`Config::LongestWork`], the longest a claim or round can keep a
//! bond at stake (the attestations pallet checks the same relation from its side).
//!
//! ## Invariants (checked by `try_state`)
//!
//! - Each node's [`HoldReason::NodeBond`] hold equals its active plus unlocking bond.
//! - Each role's pool holds exactly the active, unchilled nodes of that role, each weighted by
//!   its active bond; slot owners and slots agree; the tree's total is the sum of the weights.
//! - Role keys and nodes map one to one; [`NodeCount`] counts the nodes.
//!
//! The invariants that span pallets (open work at least the claims and rounds a node is in; the
//! `Tee` role exactly on nodes with a TEE registration) are checked by the runtime.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use liveness::LATE_HEARTBEAT_PRIORITY;
pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod bonds;
mod invariants;
mod liveness;
#[cfg(test)]
mod mock;
mod pool;
mod registry;
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
		OnUnbalanced,
	},
};
use frame_system::{offchain::CreateBare, pallet_prelude::*};
use opg_primitives::{
	attestation::{
		self as api, Heartbeat, NodeKey, NodeKeySignature, NodeRole, RoleSet, SignedStatement,
		SlashReason,
	},
	tee::EnclaveRegistry,
};
use sp_runtime::traits::{Saturating, Zero};

/// The balance type of the currency bonds are held in.
pub type BalanceOf<T> =
	<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// Slashed funds, on their way to the treasury or (through the attestations pallet) to winners.
pub type CreditOf<T> = Credit<<T as frame_system::Config>::AccountId, <T as Config>::Currency>;

/// A node record as this runtime stores it.
pub type NodeInfoOf<T> = NodeInfo<
	BalanceOf<T>,
	BlockNumberFor<T>,
	<T as Config>::MaxEndpointLen,
	<T as Config>::MaxUnlockingChunks,
>;

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

/// The most draws selection skips (stale or under-bonded nodes) beyond the `k` it needs.
pub const MAX_SELECTION_SKIPS: u32 = 8;

/// The most nodes [`Pallet::nodes_page`] returns.
pub const MAX_PAGE: u32 = 256;

/// The active unbonding period, for the attestations pallet's side of the relation between the
/// two pallets' parameters (its disputes must end before a bond can be withdrawn).
pub struct UnbondingPeriod<T>(core::marker::PhantomData<T>);
impl<T: Config> Get<BlockNumberFor<T>> for UnbondingPeriod<T> {
	fn get() -> BlockNumberFor<T> {
		ActiveParameters::<T>::get().unbonding_period
	}
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A node's bond for its roles, active or unbonding.
		NodeBond,
	}

	#[pallet::config]
	pub trait Config: frame_system::Config + CreateBare<Call<Self>> {
		/// The currency bonds are held in.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ BalancedHold<Self::AccountId>
			+ fungible::Mutate<Self::AccountId>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// Who may change the parameters and chill or unchill nodes.
		type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Where a fault's slash goes (the treasury).
		type OnSlash: OnUnbalanced<CreditOf<Self>>;

		/// The enclave registry (the TEE pallet): a node that leaves or stops being an inference
		/// node loses its TEE registration there.
		type Enclaves: EnclaveRegistry<Self::AccountId>;

		/// The longest a claim or round can keep a node's bond at stake (the attestations
		/// pallet's challenge window and round periods): the unbonding period must be longer.
		type LongestWork: Get<BlockNumberFor<Self>>;

		/// The randomness of the block being executed, which seeds every draw: BABE's VRF
		/// output in the runtime.
		type Randomness: opg_primitives::randomness::BlockRandomness;

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

		/// Longest data-node endpoint, in bytes.
		#[pallet::constant]
		type MaxEndpointLen: Get<u32>;

		/// Most unbonding chunks a node may have at once.
		#[pallet::constant]
		type MaxUnlockingChunks: Get<u32>;

		/// The most nodes whose liveness `on_idle` checks in one block (fewer when the block
		/// has less room left).
		#[pallet::constant]
		type MaxLivenessChecksPerBlock: Get<u32>;

		/// The most heartbeats one block includes: a block author skips the rest, which stay in
		/// the pool for the next block (a heartbeat is valid for its whole period). The registry
		/// keeps every period roomy enough for two heartbeats of each registered node at this
		/// rate ([`Pallet::has_heartbeat_room`]): a registration or a shorter period that would
		/// break it is refused, so no node count and no period lets heartbeats take more of a
		/// block than this many.
		#[pallet::constant]
		type MaxHeartbeatsPerBlock: Get<u32>;

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

	/// Where the liveness sweep stopped: the storage key of the last node it checked.
	#[pallet::storage]
	pub type LivenessCursor<T> = StorageValue<_, BoundedVec<u8, ConstU32<128>>>;

	/// How many heartbeats the block (its number first) included so far: a new block's first
	/// heartbeat starts the count again.
	#[pallet::storage]
	pub type HeartbeatsInBlock<T: Config> = StorageValue<_, (BlockNumberFor<T>, u32), ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The parameters; [`Config::DefaultParameters`] when absent.
		pub parameters: Option<ParametersOf<T>>,
		/// Nodes registered from genesis, their bonds held from their balances.
		pub nodes: Vec<GenesisNode<T::AccountId, BalanceOf<T>>>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if let Some(parameters) = &self.parameters {
				assert!(
					Pallet::<T>::check_parameters(parameters).is_ok(),
					"genesis node parameters are out of bounds"
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
		/// A node lost `amount` of its bond.
		Slashed { who: T::AccountId, amount: BalanceOf<T>, reason: SlashReason },
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
		/// minimum bond or a period of zero, no missed heartbeat tolerated, or an unbonding
		/// period not longer than [`Config::LongestWork`] (a claim's window plus a round's
		/// periods). (To move related parameters together, batch the changes in the order that
		/// keeps each step valid.)
		ParametersOutOfBounds,
		/// Too few eligible nodes of the role to form the committee.
		NotEnoughNodes,
		/// The role key's signature does not verify (a heartbeat, or the proof that the
		/// registering account holds the key).
		BadSignature,
		/// The heartbeat is for another period than the current one.
		WrongPeriod,
		/// The node already sent a heartbeat this period.
		DuplicateHeartbeat,
		/// The `Tee` role is granted by the TEE pallet's `register_tee`, never declared.
		TeeRoleNotDeclarable,
		/// A node holding open work cannot stop being an inference node.
		InferenceRoleInUse,
		/// The block carries no VRF output, so nothing can be drawn in it (only a genesis or
		/// test block lacks one).
		NoRandomness,
		/// The heartbeat period has no room for this many nodes: each period must hold two
		/// heartbeats of every registered node at `MaxHeartbeatsPerBlock` a block. Lengthen the
		/// period (governance) before registering more nodes; a period that short is refused
		/// while this many nodes are registered.
		NoHeartbeatRoom,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// The liveness sweep is bookkeeping that selection does not wait for (it skips a
		/// stale node at once), so it takes the room a block has left, never a block's
		/// budget: up to [`Config::MaxLivenessChecksPerBlock`] nodes, as many as fit.
		fn on_idle(now: BlockNumberFor<T>, remaining: Weight) -> Weight {
			Self::sweep_liveness_within(now, remaining)
		}

		fn offchain_worker(now: BlockNumberFor<T>) {
			Self::send_heartbeats(now);
		}

		fn integrity_test() {
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
			Self::do_bond_extra(&who, amount)
		}

		/// Starts unbonding `amount` of the active bond: it stays held and slashable for the
		/// unbonding period, then [`Pallet::withdraw_unbonded`] frees it. What stays bonded must
		/// cover the roles' minimums; to unbond everything, [`Pallet::leave`].
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::unbond())]
		pub fn unbond(origin: OriginFor<T>, amount: BalanceOf<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_unbond(&who, amount)
		}

		/// Frees every unbonding chunk whose unbonding period is over. A leaving node's record
		/// goes with its last chunk.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::withdraw_unbonded())]
		pub fn withdraw_unbonded(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_withdraw_unbonded(&who)
		}

		/// Leaves: unbonds the whole active bond and leaves every pool. Refused while the node
		/// has open work.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::leave())]
		pub fn leave(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_leave(&who)
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
			Self::do_set_roles(&who, roles, endpoint)
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
		/// of a registered node in the current period. It is charged as a node coming back into
		/// its pools and refunded to the weight of an active node's heartbeat when the node was
		/// active already (nearly every heartbeat), so a block holds as many heartbeats as it
		/// charges for.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::heartbeat().saturating_add(T::WeightInfo::authorize_heartbeat()))]
		#[pallet::authorize(|source, heartbeat, signature| {
			Pallet::<T>::check_heartbeat_room(source)?;
			Pallet::<T>::check_heartbeat(heartbeat, signature)
				.map_err(Pallet::<T>::invalid)
				.and_then(|_| Pallet::<T>::heartbeat_validity(heartbeat))
		})]
		// Charged in the call's weight, which bare transactions pay too (see
		// `opg_primitives::ensure_self_authorized`).
		#[pallet::weight_of_authorize(Weight::zero())]
		pub fn heartbeat(
			origin: OriginFor<T>,
			heartbeat: HeartbeatOf<T>,
			signature: NodeKeySignature,
		) -> DispatchResultWithPostInfo {
			opg_primitives::ensure_self_authorized(origin)?;
			// `authorize` checked the signature and the period in this block, just before.
			let _ = signature;
			let node = Self::check_authorized_heartbeat(&heartbeat)?;
			let pools_changed = Self::note_heartbeat(&heartbeat, node);
			let now = frame_system::Pallet::<T>::block_number();
			HeartbeatsInBlock::<T>::mutate(|(block, count)| {
				*count = if *block == now { count.saturating_add(1) } else { 1 };
				*block = now;
			});
			Ok((!pools_changed)
				.then(|| {
					T::WeightInfo::heartbeat_active()
						.saturating_add(T::WeightInfo::authorize_heartbeat())
				})
				.into())
		}

		/// Chills `node`: it is not selected until unchilled. Governance only.
		#[pallet::call_index(8)]
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
		#[pallet::call_index(9)]
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

		/// Changes one parameter, within its bounds and the relations of [`Parameters::check`].
		/// Nodes under a raised minimum bond are skipped by selection at once and marked
		/// inactive by the liveness sweep until they bond more. Governance only (the
		/// node-parameters track).
		#[pallet::call_index(10)]
		// Beyond the benchmarked change: the node count, for the heartbeat room.
		#[pallet::weight(T::WeightInfo::set_parameter().saturating_add(T::DbWeight::get().reads(1)))]
		pub fn set_parameter(origin: OriginFor<T>, change: ParameterChangeOf<T>) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			let mut parameters = ActiveParameters::<T>::get();
			parameters.apply(change);
			Self::check_parameters(&parameters)?;
			ensure!(
				Self::has_heartbeat_room(NodeCount::<T>::get(), &parameters),
				Error::<T>::NoHeartbeatRoom
			);
			ActiveParameters::<T>::put(&parameters);
			Self::deposit_event(Event::ParametersChanged { parameters });
			Ok(())
		}
	}
}

impl<T: Config> Pallet<T> {
	/// Whether `parameters` may be in force: each within its bounds, and related ones consistent
	/// (with each other and with [`Config::LongestWork`]).
	pub fn check_parameters(parameters: &ParametersOf<T>) -> Result<(), Error<T>> {
		let within = parameters.within(&T::MinimumParameters::get(), &T::MaximumParameters::get());
		ensure!(within, Error::<T>::ParametersOutOfBounds);
		parameters.check(T::LongestWork::get()).map_err(|_| Error::<T>::ParametersOutOfBounds)
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

	/// Registers `who` for `roles` with role key `key`, holding `bond`, without the key's proof
	/// of ownership: for other pallets' benchmarks, which need bonded nodes (and draw among
	/// them, so the benchmark's block is given randomness too).
	#[cfg(feature = "runtime-benchmarks")]
	pub fn register_for_benchmarks(
		who: &T::AccountId,
		roles: RoleSet,
		key: NodeKey,
		bond: BalanceOf<T>,
	) -> DispatchResult {
		use opg_primitives::randomness::BlockRandomness;
		T::Randomness::prepare_for_benchmarks();
		Self::make_heartbeat_room(NodeCount::<T>::get().saturating_add(1));
		Self::do_register(who, roles, key, None, bond)
	}

	/// Lengthens the heartbeat period when it has no room for `nodes` nodes' heartbeats, as
	/// governance would before a registry that large could exist: benchmarks fill the pools to
	/// `MaxNodes`.
	#[cfg(feature = "runtime-benchmarks")]
	pub fn make_heartbeat_room(nodes: u32) {
		ActiveParameters::<T>::mutate(|parameters| {
			let needed = nodes.saturating_mul(2).div_ceil(T::MaxHeartbeatsPerBlock::get().max(1));
			if parameters.heartbeat_period < needed.into() {
				parameters.heartbeat_period = needed.into();
			}
		});
	}
}
