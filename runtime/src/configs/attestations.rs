//! Bonded nodes, verifier rounds, disputes and slashing.
//!
//! The production parameters below are [`ProductionParameters`], what a chain without a genesis
//! override starts with; the dev and local presets set short periods (see
//! `genesis_config_presets`). Governance changes them one at a time by referendum on the
//! node-parameters track, each within [`minimum_parameters`] and [`maximum_parameters`] (and the
//! relations of `pallet_attestations::Parameters::check`).

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

/// The parameters of a production chain, and why:
///
/// - Bonds: an inference node stakes 10,000 OPG, a verifier 5,000, a data node 1,000: a lie must
///   cost more than a round's fees could ever pay, and a verifier's stake is what a dispute or a
///   minority reveal puts at risk.
/// - Unbonding: 7 days, far longer than any claim window plus round, so no bond leaves before
///   the work it backed is settled.
/// - Heartbeats: one per hour; a node silent for three whole hours is inactive.
/// - Committees: five verifiers, three to decide (60%); two minutes to commit, two to reveal,
///   enough for a verifier to re-run a model of a few seconds under load.
/// - Claims (vanilla mode) can be challenged for an hour, with a 1,000 OPG challenge bond.
/// - Slashes: a minority reveal loses 10% of the bond, a missing reveal 5%, a false claim 20%;
///   half of every slash pays the winners, half goes to the treasury.
pub fn production_parameters() -> Parameters<Balance, BlockNumber> {
	Parameters {
		min_inference_bond: 10_000 * OPG,
		min_verifier_bond: 5_000 * OPG,
		min_data_bond: 1_000 * OPG,
		unbonding_period: 7 * DAYS,
		heartbeat_period: HOURS,
		max_missed_heartbeats: 3,
		committee_size: 5,
		quorum: Perbill::from_percent(60),
		commit_period: 2 * MINUTES,
		reveal_period: 2 * MINUTES,
		challenge_window: HOURS,
		challenge_bond: 1_000 * OPG,
		minority_slash: Perbill::from_percent(10),
		no_reveal_slash: Perbill::from_percent(5),
		false_claim_slash: Perbill::from_percent(20),
		reward_share: Perbill::from_percent(50),
	}
}

/// The parameters of dev and local chains: small bonds and periods of a few blocks, so a test
/// sees a heartbeat, a round or a dispute within a minute or two.
pub fn dev_parameters() -> Parameters<Balance, BlockNumber> {
	Parameters {
		min_inference_bond: 1_000 * OPG,
		min_verifier_bond: 1_000 * OPG,
		min_data_bond: 100 * OPG,
		unbonding_period: 80,
		heartbeat_period: 5,
		max_missed_heartbeats: 1,
		committee_size: 3,
		quorum: Perbill::from_percent(60),
		commit_period: 5,
		reveal_period: 5,
		challenge_window: 10,
		challenge_bond: 100 * OPG,
		minority_slash: Perbill::from_percent(10),
		no_reveal_slash: Perbill::from_percent(5),
		false_claim_slash: Perbill::from_percent(20),
		reward_share: Perbill::from_percent(50),
	}
}

/// The least each parameter may be set to, and why:
///
/// - Bonds: 100 OPG for inference and verifier nodes, 10 OPG for data nodes and challenges;
///   below that a lie costs less than the fees of a busy hour.
/// - Periods: one block (dev chains run on a few); the unbonding period at least 10 blocks and,
///   by `Parameters::check`, longer than a claim's window plus a round.
/// - Committees of one at least, deciding by more than half; one missed heartbeat tolerated.
/// - Slashes and the reward share may be zero (governance may choose not to punish).
pub fn minimum_parameters() -> Parameters<Balance, BlockNumber> {
	Parameters {
		min_inference_bond: 100 * OPG,
		min_verifier_bond: 100 * OPG,
		min_data_bond: 10 * OPG,
		unbonding_period: 10,
		heartbeat_period: 1,
		max_missed_heartbeats: 1,
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
	}
}

/// The most each parameter may be set to, and why:
///
/// - Bonds: 1,000,000 OPG; more would leave the network to a handful of holders.
/// - Unbonding: 28 days; heartbeats at most daily, 24 missed at most; commit and reveal an hour
///   each; claims open to challenge for a day: longer and results wait too long to settle.
/// - Committees up to [`MAX_COMMITTEE_SIZE`], any quorum up to unanimity.
/// - Slashes: half a bond for a minority or missing reveal, all of it for a false claim (a
///   lie about a result is the worst a node can do).
pub fn maximum_parameters() -> Parameters<Balance, BlockNumber> {
	Parameters {
		min_inference_bond: 1_000_000 * OPG,
		min_verifier_bond: 1_000_000 * OPG,
		min_data_bond: 1_000_000 * OPG,
		unbonding_period: 28 * DAYS,
		heartbeat_period: DAYS,
		max_missed_heartbeats: 24,
		committee_size: MAX_COMMITTEE_SIZE,
		quorum: Perbill::one(),
		commit_period: HOURS,
		reveal_period: HOURS,
		challenge_window: DAYS,
		challenge_bond: 1_000_000 * OPG,
		minority_slash: Perbill::from_percent(50),
		no_reveal_slash: Perbill::from_percent(50),
		false_claim_slash: Perbill::one(),
		reward_share: Perbill::one(),
	}
}

parameter_types! {
	pub ProductionParameters: Parameters<Balance, BlockNumber> = production_parameters();
	pub MinimumParameters: Parameters<Balance, BlockNumber> = minimum_parameters();
	pub MaximumParameters: Parameters<Balance, BlockNumber> = maximum_parameters();
}

/// What the node-parameters track's referenda (or root) dispatch as: the origin of node
/// parameters in the attestations and inference pallets.
pub type NodeParametersOrigin = EitherOf<EnsureRoot<AccountId>, origins::NodeAdmin>;

/// The largest verifier committee governance may set.
pub const MAX_COMMITTEE_SIZE: u32 = 16;

/// The most registered nodes: every selection pool's tree is at most 14 levels tall.
pub const MAX_NODES: u32 = 10_000;

/// Intel's SGX Root CA, which every quote and collateral must chain to.
pub struct IntelRootCa;
impl frame_support::traits::Get<&'static [u8]> for IntelRootCa {
	fn get() -> &'static [u8] {
		opg_primitives::tee::INTEL_ROOT_CA_DER
	}
}

impl pallet_attestations::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	/// The node-parameters track (or root): parameters, chill and unchill.
	type GovernanceOrigin = NodeParametersOrigin;
	type OnSlash = ResolveTo<TreasuryAccount, Balances>;
	/// The inference pallet settles jobs on conclusions and re-executes them for verifiers.
	type OnConclusion = crate::Inference;
	type Reexecute = crate::Inference;
	type DefaultParameters = ProductionParameters;
	type MinimumParameters = MinimumParameters;
	type MaximumParameters = MaximumParameters;
	type MaxNodes = ConstU32<MAX_NODES>;
	type MaxCommitteeSize = ConstU32<MAX_COMMITTEE_SIZE>;
	type MaxEndpointLen = ConstU32<256>;
	type MaxUnlockingChunks = ConstU32<16>;
	/// 32 rounds of the largest committee, every member slashed, take about a sixth of a block.
	type MaxDeadlinesPerBlock = ConstU32<32>;
	/// Standing claims are cheap: 224 a block lets vanilla results settle as fast as the load
	/// test's 200 requests a block arrive, and the hooks still fit in a quarter of a block each
	/// (`the_*_worst_cases_fit_in_a_block`).
	type MaxClaimDeadlinesPerBlock = ConstU32<224>;
	type MaxLivenessChecksPerBlock = ConstU32<32>;
	/// The model-curation track (or root): measurements and accepted TCB statuses.
	type TeeOrigin = super::models::ModelCurationOrigin;
	type UnixTime = crate::Timestamp;
	type TeeTrustAnchor = IntelRootCa;
	/// A quote binds a block of the last hour: an operator quotes, then registers.
	type MaxQuoteAge = ConstU32<{ HOURS }>;
	/// A revocation walks at most this many registrations (a fraction of a block).
	type MaxTeeNodesPerMeasurement = ConstU32<256>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = SetTimestamp;
	type WeightInfo = pallet_attestations::weights::SubstrateWeight<Runtime>;
}

/// Benchmarks set the chain's clock through pallet-timestamp.
#[cfg(feature = "runtime-benchmarks")]
pub struct SetTimestamp;
#[cfg(feature = "runtime-benchmarks")]
impl pallet_attestations::BenchmarkHelper for SetTimestamp {
	fn set_unix_time(secs: u64) {
		pallet_timestamp::Now::<Runtime>::put(secs.saturating_mul(1_000));
	}
}
