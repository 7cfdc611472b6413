//! The registry's stored records, its parameters and what its runtime API shows.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{pallet_prelude::*, traits::Get, BoundedVec};
use opg_primitives::attestation::{NodeKey, RoleSet};
use scale_info::TypeInfo;
use sp_runtime::traits::{Saturating, Zero};

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

opg_primitives::governed_parameters! {
	/// The registry's parameters: bonds, unbonding and liveness. Governance changes them one at a
	/// time with [`crate::Pallet::set_parameter`], within the runtime's bounds
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
		/// The least an inference node bonds.
		pub min_inference_bond: Balance => MinInferenceBond = 0,
		/// The least a verifier bonds.
		pub min_verifier_bond: Balance => MinVerifierBond = 1,
		/// The least a data node bonds.
		pub min_data_bond: Balance => MinDataBond = 2,
		/// Blocks between unbonding and withdrawing. Bond stays slashable meanwhile, so it must
		/// outlast any claim or round the node took part in ([`crate::Config::LongestWork`]).
		pub unbonding_period: BlockNumber => UnbondingPeriod = 3,
		/// Blocks per heartbeat period: a node sends one heartbeat per period.
		pub heartbeat_period: BlockNumber => HeartbeatPeriod = 4,
		/// Whole periods a node may miss before it is marked inactive.
		pub max_missed_heartbeats: u32 => MaxMissedHeartbeats = 5,
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
	/// A minimum bond is zero.
	ZeroBond,
	/// A period is zero.
	ZeroPeriod,
	/// No missed heartbeat is tolerated.
	MaxMissed,
	/// The unbonding period is not longer than the longest work a node can have open (a claim's
	/// window and a round, see `pallet-attestations`), so a node could withdraw a bond a dispute
	/// is about to slash.
	UnbondingTooShort,
}

impl<Balance: Zero + Copy, BlockNumber: Zero + Copy + PartialOrd> Parameters<Balance, BlockNumber> {
	/// Checks the relations no parameter set may break, `longest_work` being the longest a
	/// claim or round stays open.
	pub fn check(&self, longest_work: BlockNumber) -> Result<(), ParameterError> {
		let bonds = [self.min_inference_bond, self.min_verifier_bond, self.min_data_bond];
		if bonds.iter().any(Zero::is_zero) {
			return Err(ParameterError::ZeroBond);
		}
		if self.unbonding_period.is_zero() || self.heartbeat_period.is_zero() {
			return Err(ParameterError::ZeroPeriod);
		}
		if self.max_missed_heartbeats == 0 {
			return Err(ParameterError::MaxMissed);
		}
		if self.unbonding_period <= longest_work {
			return Err(ParameterError::UnbondingTooShort);
		}
		Ok(())
	}
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
