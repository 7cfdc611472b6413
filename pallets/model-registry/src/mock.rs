//! A test runtime: `frame_system`, `pallet_balances` and the registry, with chunks of 8 bytes so
//! that tests can build multi-chunk models by hand.

// Tests may panic: a panic is a failed test.
#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]

use crate as pallet_model_registry;
use frame_support::{
	derive_impl, parameter_types,
	traits::{tokens::imbalance::ResolveTo, ConstU32, ConstU64, GetStorageVersion},
};
use frame_system::EnsureRoot;
use opg_primitives::model::{ModelId, ModelUsage};
use sp_runtime::{BuildStorage, Perbill};

type Block = frame_system::mocking::MockBlock<Test>;
pub type Balance = u64;
pub type AccountId = u64;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		ModelRegistry: pallet_model_registry,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

/// Bytes per chunk in tests.
pub const CHUNK_SIZE: u32 = 8;
/// Blocks until an incomplete upload expires.
pub const UPLOAD_TIMEOUT: u64 = 10;
/// Deposit per record.
pub const DEPOSIT_BASE: Balance = 100;
/// Blocks between deprecation and retirement.
pub const RETIREMENT_DELAY: u64 = 15;
/// Where forfeited deposits go.
pub const TREASURY: AccountId = 99;

parameter_types! {
	pub const DepositBase: Balance = DEPOSIT_BASE;
	pub const DepositPerByte: Balance = 1;
	pub const ExpiredUploadForfeit: Perbill = Perbill::from_percent(20);
	pub const Treasury: AccountId = TREASURY;
	/// The model a test says has open jobs.
	pub static ModelInUse: Option<ModelId> = None;
	/// Ceremonies started: (model, version, owner, init_hash, vk_hash).
	pub static Ceremonies: Vec<(ModelId, opg_primitives::model::VersionNumber, AccountId, sp_core::H256, sp_core::H256)> = Vec::new();
	/// Whether the ceremony takes no more ceremonies.
	pub static CeremoniesFull: bool = false;
	/// The versions whose finished ceremonies the registry told the ceremony to forget.
	pub static Forgotten: Vec<(ModelId, opg_primitives::model::VersionNumber)> = Vec::new();
}

/// The ceremonies the registry started: (model, version, owner, init_hash, vk_hash).
pub struct TestCeremony;
impl opg_primitives::model::KeyCeremony<AccountId> for TestCeremony {
	fn begin(
		model: ModelId,
		version: opg_primitives::model::VersionNumber,
		owner: &AccountId,
		init_hash: sp_core::H256,
		vk_hash: sp_core::H256,
	) -> sp_runtime::DispatchResult {
		if CeremoniesFull::get() {
			return Err(sp_runtime::DispatchError::Other("TooManyCeremonies"));
		}
		Ceremonies::mutate(|c| c.push((model, version, *owner, init_hash, vk_hash)));
		Ok(())
	}

	fn begin_weight() -> frame_support::weights::Weight {
		frame_support::weights::Weight::zero()
	}

	fn forget(model: ModelId, version: opg_primitives::model::VersionNumber) {
		Forgotten::mutate(|forgotten| forgotten.push((model, version)));
	}
}

/// Open jobs as a test sets them with `ModelInUse::set`.
pub struct TestUsage;
impl ModelUsage for TestUsage {
	fn in_use(model: ModelId) -> bool {
		ModelInUse::get() == Some(model)
	}
}

impl pallet_model_registry::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type GovernanceOrigin = EnsureRoot<AccountId>;
	type OnForfeit = ResolveTo<Treasury, Balances>;
	type ModelUsage = TestUsage;
	type ChunkSize = ConstU32<CHUNK_SIZE>;
	type MaxChunks = ConstU32<16>;
	type MaxVersions = ConstU32<3>;
	type UploadTimeout = ConstU64<UPLOAD_TIMEOUT>;
	type Ceremony = TestCeremony;
	type MaxZkConstraints = ConstU32<1_000_000>;
	type MaxExpiriesPerBlock = ConstU32<2>;
	type ExpiredUploadForfeit = ExpiredUploadForfeit;
	type RetirementDelay = ConstU64<RETIREMENT_DELAY>;
	type DepositBase = DepositBase;
	type DepositPerByte = DepositPerByte;
	type WeightInfo = crate::weights::SubstrateWeight<Test>;
}

pub const ALICE: AccountId = 1;
pub const BOB: AccountId = 2;
/// An account too poor for any deposit.
pub const POOR: AccountId = 3;
pub const INITIAL_BALANCE: Balance = 1_000_000;

/// Builds test externalities and checks the pallet's invariants after each test.
pub struct ExtBuilder {
	approval_required: bool,
	insecure_zk_setup: bool,
	phase1: Option<opg_primitives::model::Phase1Pin>,
}

impl Default for ExtBuilder {
	/// A dev chain's registry: one-party ZK keys accepted.
	fn default() -> Self {
		Self { approval_required: false, insecure_zk_setup: true, phase1: None }
	}
}

impl ExtBuilder {
	/// A production chain's registry: ZK keys only from a ceremony on `phase1`.
	pub fn ceremony_only(mut self, phase1: Option<opg_primitives::model::Phase1Pin>) -> Self {
		self.insecure_zk_setup = false;
		self.phase1 = phase1;
		self
	}

	pub fn approval_required(mut self) -> Self {
		self.approval_required = true;
		self
	}

	pub fn build(self) -> sp_io::TestExternalities {
		let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
		pallet_balances::GenesisConfig::<Test> {
			balances: vec![
				(ALICE, INITIAL_BALANCE),
				(BOB, INITIAL_BALANCE),
				(POOR, 50),
				(TREASURY, 1),
			],
			..Default::default()
		}
		.assimilate_storage(&mut storage)
		.unwrap();
		pallet_model_registry::GenesisConfig::<Test> {
			approval_required: self.approval_required,
			phase1: self.phase1,
			insecure_zk_setup: self.insecure_zk_setup,
			..Default::default()
		}
		.assimilate_storage(&mut storage)
		.unwrap();
		let mut ext = sp_io::TestExternalities::new(storage);
		ext.execute_with(|| {
			System::set_block_number(1);
			// What a chain's genesis writes (`on_genesis`).
			ModelRegistry::in_code_storage_version().put::<ModelRegistry>();
		});
		ext
	}

	/// Runs `test`, then `try_state`.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		self.build().execute_with(|| {
			test();
			ModelRegistry::do_try_state().expect("invariants hold after the test");
		});
	}
}

/// Runs the registry's `on_idle` with all the weight it wants: clears stale bytes.
pub fn idle() {
	use frame_support::traits::Hooks;
	ModelRegistry::on_idle(System::block_number(), frame_support::weights::Weight::MAX);
}

/// Advances to block `n`, running the registry's `on_initialize` on the way.
pub fn run_to_block(n: u64) {
	use frame_support::traits::Hooks;
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		ModelRegistry::on_initialize(next);
	}
}
