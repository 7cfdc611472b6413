//! The model registry.

use frame_support::{
	parameter_types,
	traits::{tokens::imbalance::ResolveTo, ConstU32, EitherOf},
};
use frame_system::EnsureRoot;
use sp_runtime::Perbill;

use crate::{
	configs::{governance::origins, monetary::TreasuryAccount},
	AccountId, Balance, Balances, BlockNumber, Runtime, RuntimeHoldReason, DAYS, HOURS, MINUTES,
};

/// What the model-curation track's referenda (or root) dispatch as: the registry's governance
/// and the TEE measurement allow-list, both a judgement about what code may serve results.
pub type ModelCurationOrigin = EitherOf<EnsureRoot<AccountId>, origins::ModelCurator>;

/// Upload chunk size: 64 KiB. Part of the content id's definition (see `opg_primitives::model`).
pub const MODEL_CHUNK_SIZE: u32 = 64 * 1024;
/// Most chunks per version: models up to 256 MiB.
pub const MAX_MODEL_CHUNKS: u32 = 4096;

parameter_types! {
	/// The ceremony hook's share of a block.
	pub const CeremonyHookBudget: frame_support::weights::Weight = crate::configs::hook_budget(30);
	/// 0.1 OPG per model or version record.
	pub const ModelDepositBase: Balance = opg_primitives::currency::deposit(10, 0);
	/// 0.0001 OPG per byte of state (name, description, schema, verifying key, chunk hashes).
	pub const ModelDepositPerByte: Balance = opg_primitives::currency::deposit(0, 1);
	/// An upload has a day to complete.
	pub const ModelUploadTimeout: BlockNumber = 24 * HOURS;
	/// An upload that does not complete forfeits a tenth of its version's deposit to the
	/// treasury: registering bytes one never uploads costs real money.
	pub const ModelExpiredUploadForfeit: Perbill = Perbill::from_percent(10);
	/// A deprecated model can be retired a week later: longer than any job's life and dispute
	/// window, so no job outlives its model.
	pub const ModelRetirementDelay: BlockNumber = 7 * DAYS;
}

impl pallet_model_registry::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	/// The model-curation track (or root).
	type GovernanceOrigin = ModelCurationOrigin;
	type OnForfeit = ResolveTo<TreasuryAccount, Balances>;
	/// A model with open jobs cannot be retired or removed.
	type ModelUsage = crate::Inference;
	type ChunkSize = ConstU32<MODEL_CHUNK_SIZE>;
	type MaxChunks = ConstU32<MAX_MODEL_CHUNKS>;
	type MaxVersions = ConstU32<64>;
	type UploadTimeout = ModelUploadTimeout;
	/// ZK versions register initial keys and get their keys from the ceremony.
	type Ceremony = crate::ZkCeremony;
	// About 17 s of proving on the 2-core reference node at the measured 60,000 constraints a
	// second: well inside an inference job's response period.
	type MaxZkConstraints = ConstU32<{ 1 << 20 }>;
	type MaxExpiriesPerBlock = ConstU32<32>;
	type ExpiredUploadForfeit = ModelExpiredUploadForfeit;
	type RetirementDelay = ModelRetirementDelay;
	type DepositBase = ModelDepositBase;
	type DepositPerByte = ModelDepositPerByte;
	type WeightInfo = pallet_model_registry::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	/// 10 OPG held from an open-phase contributor while the ceremony runs: forfeited by a slot
	/// left unused, so squatting the slot costs more than it delays.
	pub const ContributionDeposit: Balance = 10 * crate::OPG;
	/// 50 OPG from a ZK version's owner for its ceremony: paid to the drawn contributors and
	/// attesters when it finishes, forfeited when an attester rejects the owner's key.
	pub const CeremonyFee: Balance = 50 * crate::OPG;
	/// A drawn node that lets its turn or attestation pass in silence loses 1% of its bond.
	pub const MissedTurnSlash: Perbill = Perbill::from_percent(1);
}

/// The ZK key ceremony: each ZK version's phase 2, on chain.
impl pallet_zk_ceremony::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Nodes = crate::Nodes;
	type Keys = crate::ModelRegistry;
	type OnForfeit = ResolveTo<TreasuryAccount, Balances>;
	type CeremonyFee = CeremonyFee;
	type ContributionDeposit = ContributionDeposit;
	/// Ten minutes from the upload's completion for anyone to contribute.
	type OpenPeriod = ConstU32<{ 10 * MINUTES }>;
	/// Ten minutes a turn: fetch the head's key (15 MB at 100k constraints), contribute (a few
	/// seconds), publish the new key.
	type TurnPeriod = ConstU32<{ 10 * MINUTES }>;
	/// Two drawn verifiers must contribute: the key is sound unless both (and every other
	/// contributor) kept their secrets.
	type DrawnContributors = ConstU32<2>;
	type MaxRedraws = ConstU32<2>;
	type MissedTurnSlash = MissedTurnSlash;
	/// Three inference nodes (as many as the pool holds, down to one on a dev chain) recompute
	/// the initial key and check the registered key and the final key; all must approve.
	type Attesters = ConstU32<3>;
	type AttestationPeriod = ConstU32<{ HOURS }>;
	type MaxOpenContributions = ConstU32<8>;
	type MaxCeremonies = ConstU32<64>;
	/// 30 ms a block for turns, phases and attestation windows that end (see
	/// `crate::configs::hook_budget`); more wait for the next block.
	type HookBudget = CeremonyHookBudget;
	/// 512 MiB of key state: the largest circuit the registry takes (2^20 constraints) makes
	/// states of about 450 MB (34.7 MB measured at 82,309 constraints).
	type MaxStateChunks = ConstU32<8192>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = crate::benchmarks::Helper;
	type WeightInfo = pallet_zk_ceremony::weights::SubstrateWeight<Runtime>;
}
