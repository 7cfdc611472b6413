//! # OPG runtime
//!
//! The state transition function of OPG chain, a Substrate appchain for verifiable AI
//! inference. It holds the OPG token (`pallet-balances`, 18 decimals), charges transaction fees
//! in OPG, runs BABE block production with GRANDPA finality, and hosts the OPG pallets: the
//! model registry (models, versions, chunked ONNX uploads replicated through offchain indexing),
//! attestations, inference jobs, and governance by OPG holders (OpenGov referenda on tracks,
//! conviction voting, the treasury).
//!
//! Layout: `configs/` configures the pallets (one file per group), `apis.rs` implements the
//! runtime APIs, `genesis_config_presets.rs` the `development` and `local_testnet` presets.
//! Pallet indices are explicit and never reused, so encoded calls and storage keys stay stable
//! across upgrades.

#![cfg_attr(not(feature = "std"), no_std)]
// `construct_runtime`-style macros need a high recursion limit.
#![recursion_limit = "256"]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

pub mod apis;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarks;
pub mod configs;
pub mod genesis_config_presets;
#[cfg(feature = "try-runtime")]
pub mod invariants;
#[cfg(test)]
mod tests;
pub mod weights;

extern crate alloc;

use alloc::vec::Vec;

use sp_runtime::{generic, impl_opaque_keys, traits::BlakeTwo256, MultiAddress};
use sp_version::RuntimeVersion;

pub use frame_system::Call as SystemCall;
pub use opg_primitives::{
	currency::{self, EXISTENTIAL_DEPOSIT, MICRO_OPG, MILLI_OPG, OPG},
	AccountId, Balance, BlockNumber, Hash, Nonce, Signature,
};
pub use pallet_balances::Call as BalancesCall;
pub use pallet_timestamp::Call as TimestampCall;
#[cfg(any(feature = "std", test))]
pub use sp_runtime::BuildStorage;

/// Types the node uses without knowing the runtime's extrinsic format, so that it keeps syncing
/// across upgrades that change it.
pub mod opaque {
	use super::*;
	use sp_runtime::traits::Hash as HashT;

	pub use sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;

	/// Opaque block header type.
	pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
	/// Opaque block type.
	pub type Block = generic::Block<Header, UncheckedExtrinsic>;
	/// Opaque block identifier type.
	pub type BlockId = generic::BlockId<Block>;
	/// Opaque block hash type.
	pub type Hash = <BlakeTwo256 as HashT>::Output;
}

impl_opaque_keys! {
	/// The session keys of a validator: BABE (sr25519) for authoring, GRANDPA for finality.
	pub struct SessionKeys {
		pub babe: Babe,
		pub grandpa: Grandpa,
	}
}

/// The runtime's version. `spec_version` goes up with every runtime upgrade; `transaction_version`
/// with every change to the encoding of calls or transaction extensions.
#[cfg(not(feature = "upgrade-test"))]
#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("opg"),
	impl_name: alloc::borrow::Cow::Borrowed("opg-node"),
	authoring_version: 1,
	spec_version: 117,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 6,
	system_version: 1,
};

/// The same runtime as the next release would number it: what the end-to-end test of a
/// runtime upgrade by referendum enacts on a running chain (`scripts/build-upgrade-runtime.sh`
/// builds it with the `upgrade-test` feature). Only `spec_version` differs.
#[cfg(feature = "upgrade-test")]
#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("opg"),
	impl_name: alloc::borrow::Cow::Borrowed("opg-node"),
	authoring_version: 1,
	spec_version: 118,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 6,
	system_version: 1,
};

/// Block times.
mod block_times {
	/// Target block time of production chains: the length of a BABE slot. Every slot has a
	/// secondary author ([`crate::BABE_GENESIS_EPOCH_CONFIG`]), so with every validator online
	/// the chain grows by one block per slot (primary winners of the same slot compete for
	/// it: forks the fork choice resolves, not extra blocks). A chain spec may choose another
	/// slot duration at genesis ([`crate::configs::consensus::pallet_slots`]); it can never
	/// change afterwards.
	pub const MILLI_SECS_PER_BLOCK: u64 = 6000;

	/// The production slot duration (see [`MILLI_SECS_PER_BLOCK`]).
	pub const SLOT_DURATION: u64 = MILLI_SECS_PER_BLOCK;
}
pub use block_times::*;

/// BABE's epoch configuration at genesis.
///
/// `c = 1/4`: the chance that a given slot has at least one primary author (a VRF output
/// under the threshold), as Polkadot and Kusama run it. `PrimaryAndSecondaryVRFSlots`: a slot
/// without one is authored by its secondary author, who signs the slot's VRF too, so that
/// **every** block carries a VRF output: the chain's draws
/// ([`configs::consensus::BabeVrfRandomness`]) depend on it. Secondary plain slots (no VRF)
/// would leave blocks without randomness.
pub const BABE_GENESIS_EPOCH_CONFIG: sp_consensus_babe::BabeEpochConfiguration =
	sp_consensus_babe::BabeEpochConfiguration {
		c: (1, 4),
		allowed_slots: sp_consensus_babe::AllowedSlots::PrimaryAndSecondaryVRFSlots,
	};

/// One minute, in blocks of [`MILLI_SECS_PER_BLOCK`]: every period of the chain is counted in
/// blocks, so on a chain with shorter slots (the `test` preset) it passes sooner.
pub const MINUTES: BlockNumber = 60_000 / (MILLI_SECS_PER_BLOCK as BlockNumber);
/// One hour, in blocks.
pub const HOURS: BlockNumber = MINUTES * 60;
/// One day, in blocks.
pub const DAYS: BlockNumber = HOURS * 24;

/// The address format for describing accounts.
pub type Address = MultiAddress<AccountId, ()>;

/// Block header type as expected by this runtime.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;

/// Block type as expected by this runtime.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;

/// A block signed with a justification.
pub type SignedBlock = generic::SignedBlock<Block>;

/// The transaction extensions every transaction carries, checked in this order.
///
/// `AuthorizeCall` comes first: it lets a call that declares `#[pallet::authorize]` (an
/// offchain worker's heartbeat or result, for example) be sent as a general transaction that
/// the call itself authorizes, with no signature and no fee (offchain workers send the same
/// calls bare: [`configs::transactions::BareTransactions`]); for every other transaction it
/// does nothing. It carries no data, so wallets that build transactions from the metadata need no
/// change.
pub type TxExtension = (
	frame_system::AuthorizeCall<Runtime>,
	frame_system::CheckNonZeroSender<Runtime>,
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckEra<Runtime>,
	frame_system::CheckNonce<Runtime>,
	frame_system::CheckWeight<Runtime>,
	pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
	frame_metadata_hash_extension::CheckMetadataHash<Runtime>,
	frame_system::WeightReclaim<Runtime>,
);

/// The extensions of a transaction from an account at `nonce`, valid for `era`, with `tip`:
/// the one place that lists their constructors, for offchain workers, the node's benchmark
/// transactions and tests.
pub fn tx_extension(nonce: Nonce, era: generic::Era, tip: Balance) -> TxExtension {
	(
		frame_system::AuthorizeCall::new(),
		frame_system::CheckNonZeroSender::new(),
		frame_system::CheckSpecVersion::new(),
		frame_system::CheckTxVersion::new(),
		frame_system::CheckGenesis::new(),
		frame_system::CheckEra::from(era),
		frame_system::CheckNonce::from(nonce),
		frame_system::CheckWeight::new(),
		pallet_transaction_payment::ChargeTransactionPayment::from(tip),
		frame_metadata_hash_extension::CheckMetadataHash::new(false),
		frame_system::WeightReclaim::new(),
	)
}

/// Unchecked extrinsic type as expected by this runtime.
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;

/// The payload being signed in transactions.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// Migrations to run on the next runtime upgrade, beyond the pallets' own.
#[allow(unused_parens)]
type Migrations = (
	pallet_model_registry::migrations::v3::MigrateV2ToV3<Runtime>,
	pallet_zk_ceremony::migrations::v1::MigrateV0ToV1<Runtime>,
	pallet_zk_ceremony::migrations::v2::MigrateV1ToV2<Runtime>,
	pallet_attestations::migrations::v1::MigrateV0ToV1<Runtime>,
	pallet_attestations::migrations::v2::MigrateV1ToV2<Runtime>,
);

/// Executive: dispatches blocks and transactions to the pallets. Bare transactions are
/// validated by [`configs::transactions::BareTransactions`]: a node's fee-free calls by their
/// own `authorize` closures, the rest by the pallets' `ValidateUnsigned`.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	configs::transactions::BareTransactions,
	AllPalletsWithSystem,
	Migrations,
>;

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Runtime;

	// System and consensus: 0..=9.
	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	#[runtime::pallet_index(1)]
	pub type Timestamp = pallet_timestamp;
	// BABE before every OPG pallet: its `on_initialize` (the block's slot from its pre-digest,
	// the epoch change) runs before theirs, so they see the block's slot and epoch.
	#[runtime::pallet_index(2)]
	pub type Babe = pallet_babe;
	#[runtime::pallet_index(3)]
	pub type Grandpa = pallet_grandpa;
	#[runtime::pallet_index(4)]
	pub type Authorship = pallet_authorship;
	#[runtime::pallet_index(5)]
	pub type Utility = pallet_utility;
	#[runtime::pallet_index(6)]
	pub type Slots = configs::consensus::pallet_slots;

	// The OPG token and fees: 10..=19.
	#[runtime::pallet_index(10)]
	pub type Balances = pallet_balances;
	#[runtime::pallet_index(11)]
	pub type TransactionPayment = pallet_transaction_payment;

	// Verifiable inference: 20..=39.
	#[runtime::pallet_index(20)]
	pub type ModelRegistry = pallet_model_registry;
	#[runtime::pallet_index(21)]
	pub type Attestations = pallet_attestations;
	#[runtime::pallet_index(22)]
	pub type Inference = pallet_inference;
	// After Attestations, so that its genesis checks its unbonding period against the rounds'
	// genesis parameters.
	#[runtime::pallet_index(23)]
	pub type Nodes = pallet_nodes;
	#[runtime::pallet_index(24)]
	pub type Tee = pallet_tee;
	#[runtime::pallet_index(25)]
	pub type ZkCeremony = pallet_zk_ceremony;

	// Governance by OPG holders (OpenGov): 40..=49.
	#[runtime::pallet_index(40)]
	pub type Preimage = pallet_preimage;
	#[runtime::pallet_index(41)]
	pub type Scheduler = pallet_scheduler;
	#[runtime::pallet_index(42)]
	pub type Referenda = pallet_referenda;
	#[runtime::pallet_index(43)]
	pub type ConvictionVoting = pallet_conviction_voting;
	#[runtime::pallet_index(44)]
	pub type Origins = configs::governance::origins;
	#[runtime::pallet_index(45)]
	pub type Treasury = pallet_treasury;

	// Administration: 250..=255. Sudo has a key only on dev and local chains: elsewhere it is
	// inert and root is the root track's referenda.
	#[runtime::pallet_index(255)]
	pub type Sudo = pallet_sudo;
}
