//! The node registry: roles, role keys, bonds, liveness and the selection pools.
//!
//! The production parameters below are [`ProductionParameters`], what a chain without a genesis
//! override starts with; the dev and local presets set short periods (see
//! `genesis_config_presets`). Governance changes them one at a time by referendum on the
//! node-parameters track, each within [`minimum_parameters`] and [`maximum_parameters`] (and the
//! relations of `pallet_nodes::Parameters::check`, among them an unbonding period longer than
//! the attestations pallet's longest claim or round).

use frame_support::{
	parameter_types,
	traits::{tokens::imbalance::ResolveTo, ConstU32},
};
use opg_primitives::currency::OPG;
use pallet_nodes::Parameters;

use crate::{
	configs::{attestations::NodeParametersOrigin, monetary::TreasuryAccount},
	Balance, Balances, BlockNumber, Runtime, RuntimeHoldReason, DAYS, HOURS,
};

/// The registry's parameters on a production chain, and why:
///
/// - Bonds: an inference node stakes 10,000 OPG, a verifier 5,000, a data node 1,000: a lie must
///   cost more than a round's fees could ever pay, and a verifier's stake is what a dispute or a
///   minority reveal puts at risk.
/// - Unbonding: 7 days, far longer than any claim window plus round, so no bond leaves before
///   the work it backed is settled.
/// - Heartbeats: one per hour; a node silent for three whole hours is inactive.
pub fn production_parameters() -> Parameters<Balance, BlockNumber> {
	Parameters {
		min_inference_bond: 10_000 * OPG,
		min_verifier_bond: 5_000 * OPG,
		min_data_bond: 1_000 * OPG,
		unbonding_period: 7 * DAYS,
		heartbeat_period: HOURS,
		max_missed_heartbeats: 3,
	}
}

/// The registry's parameters on dev and local chains: small bonds and periods of a few blocks,
/// so a test sees a heartbeat or an unbonding within a few minutes. The unbonding period (150
/// blocks) outlasts the dev rounds' longest work: a claim's window, its dispute, the appeal
/// window and an appeal, with the slack of moved deadlines (133 blocks).
pub fn dev_parameters() -> Parameters<Balance, BlockNumber> {
	Parameters {
		min_inference_bond: 1_000 * OPG,
		min_verifier_bond: 1_000 * OPG,
		min_data_bond: 100 * OPG,
		unbonding_period: 150,
		heartbeat_period: 5,
		max_missed_heartbeats: 1,
	}
}

/// The least each parameter may be set to, and why:
///
/// - Bonds: 100 OPG for every role; below that a lie costs less than the fees of a busy hour,
///   and fee-free heartbeats from thousands of cheap data nodes could crowd out paying
///   transactions.
/// - Periods: heartbeats at most every 5 blocks (the dev chains' period), so each registered
///   node sends at most one fee-free transaction per 5 blocks; the unbonding period at least 10
///   blocks and, by `Parameters::check`, longer than a claim's window plus a round.
/// - One missed heartbeat tolerated.
pub fn minimum_parameters() -> Parameters<Balance, BlockNumber> {
	Parameters {
		min_inference_bond: 100 * OPG,
		min_verifier_bond: 100 * OPG,
		min_data_bond: 100 * OPG,
		unbonding_period: 10,
		heartbeat_period: 5,
		max_missed_heartbeats: 1,
	}
}

/// The most each parameter may be set to, and why:
///
/// - Bonds: 1,000,000 OPG; more would leave the network to a handful of holders.
/// - Unbonding: 28 days; heartbeats at most daily, 24 missed at most.
pub fn maximum_parameters() -> Parameters<Balance, BlockNumber> {
	Parameters {
		min_inference_bond: 1_000_000 * OPG,
		min_verifier_bond: 1_000_000 * OPG,
		min_data_bond: 1_000_000 * OPG,
		unbonding_period: 28 * DAYS,
		heartbeat_period: DAYS,
		max_missed_heartbeats: 24,
	}
}

parameter_types! {
	pub ProductionParameters: Parameters<Balance, BlockNumber> = production_parameters();
	pub MinimumParameters: Parameters<Balance, BlockNumber> = minimum_parameters();
	pub MaximumParameters: Parameters<Balance, BlockNumber> = maximum_parameters();
}

/// The most registered nodes: every selection pool's tree is at most 14 levels tall.
pub const MAX_NODES: u32 = 10_000;

impl pallet_nodes::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	/// The node-parameters track (or root): parameters, chill and unchill.
	type GovernanceOrigin = NodeParametersOrigin;
	type OnSlash = ResolveTo<TreasuryAccount, Balances>;
	/// A node that leaves or stops being an inference node loses its TEE registration.
	type Enclaves = crate::Tee;
	/// The attestations pallet's challenge window and round periods, with their slack.
	type LongestWork = pallet_attestations::LongestWork<Runtime>;
	type Randomness = super::consensus::BabeVrfRandomness;
	type DefaultParameters = ProductionParameters;
	type MinimumParameters = MinimumParameters;
	type MaximumParameters = MaximumParameters;
	type MaxNodes = ConstU32<MAX_NODES>;
	type MaxEndpointLen = ConstU32<256>;
	type MaxUnlockingChunks = ConstU32<16>;
	/// Up to 32 nodes a block, with the room the block has left (`on_idle`; 4.8 ms each at the
	/// worst case, a node marked inactive out of three pools): 10,000 nodes are swept in about
	/// 313 blocks when blocks have room.
	type MaxLivenessChecksPerBlock = ConstU32<32>;
	/// 64 heartbeats a block, 46 ms: 10,000 nodes beating hourly (spread over the first half of
	/// each period) send about 33 a block; a burst waits a block or two, below every payer
	/// until the period's second half. A period must have room for two heartbeats of every
	/// node at this rate (`Nodes::has_heartbeat_room`): 160 nodes on the dev chains' 5 blocks,
	/// 19,200 on production's hour.
	type MaxHeartbeatsPerBlock = ConstU32<64>;
	type WeightInfo = pallet_nodes::weights::SubstrateWeight<Runtime>;
}
