//! `frame_system` and `pallet_timestamp`.

use frame_support::{
	derive_impl,
	dispatch::DispatchClass,
	parameter_types,
	weights::{
		constants::{ParityDbWeight, WEIGHT_REF_TIME_PER_SECOND},
		Weight,
	},
};
use frame_system::limits::{BlockLength, BlockWeights};
use sp_runtime::Perbill;
use sp_version::RuntimeVersion;

use crate::{
	weights::{block_weights::BlockExecutionWeight, extrinsic_weights::ExtrinsicBaseWeight},
	AccountId, Babe, Balance, Block, BlockNumber, Hash, Nonce, PalletInfo, Runtime, RuntimeCall,
	RuntimeEvent, RuntimeOrigin, RuntimeTask, VERSION,
};

/// Share of a block's weight and length that normal (not operational) transactions may use.
const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);

/// The most state a block may read, as proof size. A solo chain ships no proofs, but a finite
/// bound keeps a block's storage reads, and so its import on a node whose state is not
/// cached, bounded. The weights bound each read by its item's largest encoding (`MaxEncodedLen`
/// plus the trie path), many times what a live chain reads, so the bound is set where those
/// estimates leave the hooks, each reading in proportion to its share of the block's compute
/// (`super::hook_budget`), a third of the normal class at most (`tests::hooks`): the draws
/// among 10,000 nodes and the deadlines of 16-member committees need it.
pub const MAX_BLOCK_PROOF_SIZE: u64 = 192 * 1024 * 1024;

/// [`RuntimeBlockWeights`]: `BlockWeights::with_sensible_defaults` with this runtime's own
/// base weights in place of polkadot-sdk's reference ones.
fn runtime_block_weights() -> BlockWeights {
	let block = Weight::from_parts(2u64 * WEIGHT_REF_TIME_PER_SECOND, MAX_BLOCK_PROOF_SIZE);
	let normal = Weight::from_parts(
		NORMAL_DISPATCH_RATIO.mul_floor(block.ref_time()),
		NORMAL_DISPATCH_RATIO.mul_floor(block.proof_size()),
	);
	BlockWeights::builder()
		.base_block(BlockExecutionWeight::get())
		.for_class(DispatchClass::all(), |weights| {
			weights.base_extrinsic = ExtrinsicBaseWeight::get();
		})
		.for_class(DispatchClass::Normal, |weights| weights.max_total = Some(normal))
		.for_class(DispatchClass::Operational, |weights| {
			weights.max_total = Some(block);
			weights.reserved = Some(block.saturating_sub(normal));
		})
		.avg_block_initialization(Perbill::from_percent(10))
		.build()
		.expect("the limits leave room for the base weights and the hooks' average")
}

parameter_types! {
	pub const BlockHashCount: BlockNumber = 2400;
	pub const Version: RuntimeVersion = VERSION;

	/// Two seconds of compute per six-second block, leaving time to import and gossip it, and
	/// at most [`MAX_BLOCK_PROOF_SIZE`] of state read; the base weights of a block and of
	/// each extrinsic as measured on this runtime (`crate::weights::block_weights`,
	/// `crate::weights::extrinsic_weights`). Otherwise polkadot-sdk's sensible defaults:
	/// operational transactions may use the whole block, the hooks are expected to take a
	/// tenth of it on average.
	pub RuntimeBlockWeights: BlockWeights = runtime_block_weights();
	/// 5 MiB blocks: room for model upload chunks beside ordinary traffic.
	pub RuntimeBlockLength: BlockLength = BlockLength::builder()
		.max_length(5 * 1024 * 1024)
		.modify_max_length_for_class(DispatchClass::Normal, |max| {
			*max = NORMAL_DISPATCH_RATIO.mul_floor(*max)
		})
		.build();
	/// The generic Substrate SS58 prefix until OPG registers its own.
	pub const SS58Prefix: u16 = 42;
}

#[derive_impl(frame_system::config_preludes::SolochainDefaultConfig)]
impl frame_system::Config for Runtime {
	type Block = Block;
	type BlockWeights = RuntimeBlockWeights;
	type BlockLength = RuntimeBlockLength;
	type AccountId = AccountId;
	type Nonce = Nonce;
	type Hash = Hash;
	type BlockHashCount = BlockHashCount;
	/// The node stores its state in ParityDB.
	type DbWeight = ParityDbWeight;
	type Version = Version;
	type AccountData = pallet_balances::AccountData<Balance>;
	type SS58Prefix = SS58Prefix;
	type MaxConsumers = frame_support::traits::ConstU32<16>;
	/// The nonce, mortality, genesis, version and weight checks of every transaction, as
	/// measured on this runtime.
	type ExtensionsWeightInfo = crate::weights::frame_system_extensions::WeightInfo<Runtime>;
}

impl pallet_timestamp::Config for Runtime {
	/// Milliseconds since the Unix epoch.
	type Moment = u64;
	/// BABE checks that the timestamp falls in the slot its pre-digest claims.
	type OnTimestampSet = Babe;
	/// Half the slot duration the chain spec chose ([`super::consensus::pallet_slots`]).
	type MinimumPeriod = super::consensus::HalfSlot;
	type WeightInfo = ();
}
