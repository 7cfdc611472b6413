//! Verifier rounds, claims, disputes and who is slashed and paid when they end.
//!
//! The production parameters below are [`ProductionParameters`], what a chain without a genesis
//! override starts with; the dev and local presets set short periods (see
//! `genesis_config_presets`). Governance changes them one at a time by referendum on the
//! node-parameters track, each within [`minimum_parameters`] and [`maximum_parameters`] (and the
//! relations of `pallet_attestations::Parameters::check`, among them that a claim and a round end
//! before the node registry's unbonding period).

use frame_support::{
	parameter_types,
	traits::{tokens::imbalance::ResolveTo, ConstU32, EitherOf},
};
use frame_system::EnsureRoot;
use opg_primitives::currency::OPG;
use pallet_attestations::Parameters;
use sp_runtime::Perbill;

use crate::{
	configs::{governance::origins, monetary::TreasuryAccount},
	AccountId, Balance, Balances, BlockNumber, Runtime, RuntimeHoldReason, DAYS, HOURS, MINUTES,
};

/// The round parameters of a production chain, and why:
///
/// - Committees: five verifiers, three to decide (60%); two minutes to commit, two to reveal,
///   enough for a verifier to re-run a model of a few seconds under load.
/// - Claims (vanilla mode) can be challenged for an hour, with a 1,000 OPG challenge bond of
///   which 100 OPG pays the dispute committee whatever it decides.
/// - Slashes: a minority reveal loses 10% of the bond, a missing reveal 15% (withholding a
///   reveal is never the cheap exit), a false claim 20%; half of every slash pays the winners,
///   half goes to the treasury.
/// - A dispute's verdict can be appealed for ten minutes by its loser (with twice the challenge
///   bond), before any of its money moves.
pub fn production_parameters() -> Parameters<Balance, BlockNumber> {
	Parameters {
		committee_size: 5,
		quorum: Perbill::from_percent(60),
		commit_period: 2 * MINUTES,
		reveal_period: 2 * MINUTES,
		challenge_window: HOURS,
		challenge_bond: 1_000 * OPG,
		minority_slash: Perbill::from_percent(10),
		no_reveal_slash: Perbill::from_percent(15),
		false_claim_slash: Perbill::from_percent(20),
		reward_share: Perbill::from_percent(50),
		dispute_fee: 100 * OPG,
		appeal_window: 10 * MINUTES,
		audit_share: Perbill::from_percent(5),
	}
}

/// The round parameters of dev and local chains: periods of a few blocks, so a test sees a
/// round or a dispute within a minute or two.
pub fn dev_parameters() -> Parameters<Balance, BlockNumber> {
	Parameters {
		committee_size: 3,
		quorum: Perbill::from_percent(60),
		commit_period: 5,
		reveal_period: 5,
		challenge_window: 10,
		challenge_bond: 100 * OPG,
		minority_slash: Perbill::from_percent(10),
		no_reveal_slash: Perbill::from_percent(15),
		false_claim_slash: Perbill::from_percent(20),
		reward_share: Perbill::from_percent(50),
		dispute_fee: 10 * OPG,
		appeal_window: 5,
		audit_share: Perbill::from_percent(10),
	}
}

/// The least each parameter may be set to, and why:
///
/// - The challenge bond: 10 OPG; below that a challenge costs nothing. The dispute fee: 1 OPG,
///   which a challenger pays whatever the verdict (an undecided dispute included), so that no
///   challenge is free.
/// - Periods: one block (dev chains run on a few).
/// - Committees of one at least, deciding by more than half.
/// - Slashes and the reward share may be zero (governance may choose not to punish).
pub fn minimum_parameters() -> Parameters<Balance, BlockNumber> {
	Parameters {
		committee_size: 1,
		quorum: Perbill::from_percent(51),
		commit_period: 1,
		reveal_period: 1,
		challenge_window: 1,
		challenge_bond: 10 * OPG,
		minority_slash: Perbill::zero(),
		no_reveal_slash: Perbill::zero(),
		false_claim_slash: Perbill::zero(),
		reward_share: Perbill::zero(),
		dispute_fee: OPG,
		appeal_window: 1,
		audit_share: Perbill::zero(),
	}
}

/// The most each parameter may be set to, and why:
///
/// - Commit and reveal an hour each; claims open to challenge for a day, verdicts open to
///   appeal for a day: longer and results wait too long to settle (and, by
///   `Parameters::check`, all of it, an appeal included, ends before the node registry's
///   unbonding period).
/// - Committees up to [`MAX_COMMITTEE_SIZE`], any quorum up to unanimity.
/// - The challenge bond up to 1,000,000 OPG.
/// - Slashes: half a bond for a minority reveal, 60% for a missing one, all of it for a false
///   claim (a lie about a result is the worst a node can do).
/// - The dispute fee up to the largest challenge bond.
pub fn maximum_parameters() -> Parameters<Balance, BlockNumber> {
	Parameters {
		committee_size: MAX_COMMITTEE_SIZE,
		quorum: Perbill::one(),
		commit_period: HOURS,
		reveal_period: HOURS,
		challenge_window: DAYS,
		challenge_bond: 1_000_000 * OPG,
		minority_slash: Perbill::from_percent(50),
		no_reveal_slash: Perbill::from_percent(60),
		false_claim_slash: Perbill::one(),
		reward_share: Perbill::one(),
		dispute_fee: 1_000_000 * OPG,
		appeal_window: DAYS,
		audit_share: Perbill::one(),
	}
}

parameter_types! {
	/// The deadline hook's share of a block (see `crate::configs::hook_budget`).
	pub const DeadlineBudget: frame_support::weights::Weight = crate::configs::hook_budget(262);
	pub ProductionParameters: Parameters<Balance, BlockNumber> = production_parameters();
	pub MinimumParameters: Parameters<Balance, BlockNumber> = minimum_parameters();
	pub MaximumParameters: Parameters<Balance, BlockNumber> = maximum_parameters();
}

/// What the node-parameters track's referenda (or root) dispatch as: the origin of node
/// parameters in the nodes, attestations and inference pallets.
pub type NodeParametersOrigin = EitherOf<EnsureRoot<AccountId>, origins::NodeAdmin>;

/// The largest verifier committee governance may set.
pub const MAX_COMMITTEE_SIZE: u32 = 16;

impl pallet_attestations::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	/// The node-parameters track (or root).
	type GovernanceOrigin = NodeParametersOrigin;
	type OnSlash = ResolveTo<TreasuryAccount, Balances>;
	/// The inference pallet settles jobs on conclusions, re-executes them for verifiers and
	/// judges revealed outputs (schema and tolerance).
	type OnConclusion = crate::Inference;
	type Outputs = crate::Inference;
	/// The inference pallet's own bound on an output.
	type MaxOutputBytes = ConstU32<{ crate::configs::inference::MAX_TENSOR_BYTES }>;
	/// Committees are drawn, work counted and bonds slashed in the node registry.
	type Randomness = super::consensus::BabeVrfRandomness;
	type Nodes = crate::Nodes;
	type UnbondingPeriod = pallet_nodes::UnbondingPeriod<Runtime>;
	type DefaultParameters = ProductionParameters;
	type MinimumParameters = MinimumParameters;
	type MaximumParameters = MaximumParameters;
	type MaxCommitteeSize = ConstU32<MAX_COMMITTEE_SIZE>;
	/// The caps of the round lists are what `DeadlineBudget` ends in one block at the measured
	/// worst cases, with room for a standing claim at its worst (`tests::hooks`, and
	/// `integrity_test`): 3 verification rounds of the largest committee (every member paid or
	/// slashed and the verdict published), 1 dispute of an appealed committee beside its first.
	/// A deadline that finds its block full moves to the next block with room.
	type MaxDeadlinesPerBlock = ConstU32<3>;
	/// Standing claims a block's list holds: above the 200 vanilla results a block the chain is
	/// load-tested at, so a burst moves ahead rather than being refunded. The hook ends them
	/// within its budget at what each took: a claim nobody refused before (its job made final,
	/// the fee paid) a fraction of one whose refuser is slashed out of three pools, the room
	/// the hook keeps (`tests::hooks` prints both).
	type MaxClaimDeadlinesPerBlock = ConstU32<256>;
	/// Disputes have room of their own, which attested traffic cannot fill.
	type MaxDisputeDeadlinesPerBlock = ConstU32<1>;
	/// 262 ms: a block's round lists full to their caps and a claim at its worst end within
	/// it; claims nobody refused end over 200 a block when no round is due, over 100 beside
	/// full round lists (`tests::hooks`).
	type DeadlineBudget = DeadlineBudget;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = crate::benchmarks::Helper;
	type WeightInfo = pallet_attestations::weights::SubstrateWeight<Runtime>;
}
