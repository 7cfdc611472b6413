//! A test runtime: `frame_system`, `pallet_balances` and the node registry, with short periods,
//! round numbers for bonds, an enclave registry that records whom the registry deregisters, and
//! a longest work the tests can move.

// Tests may panic: a panic is a failed test.
#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects,
	clippy::panic
)]

use crate::{self as pallet_nodes, Heartbeat, Parameters};
use frame_support::{
	derive_impl, parameter_types,
	traits::{tokens::imbalance::ResolveTo, ConstU32, Hooks},
	weights::Weight,
};
use frame_system::EnsureRoot;
use opg_primitives::{
	attestation::{
		signing_message, NodeKey, NodeKeySignature, RoleSet, SignedStatement, SubjectId, TeeRoles,
	},
	tee::{EnclaveRegistry, EnclaveSigner},
};
use sp_core::{sr25519, Pair, H256};
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;
pub type Balance = u64;
pub type AccountId = u64;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Nodes: pallet_nodes,
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

opg_primitives::impl_mock_authorized_transactions!(Test);

/// Where fault slashes go.
pub const TREASURY: AccountId = 99;
pub const INITIAL_BALANCE: Balance = 1_000_000;
/// An account too poor for any bond.
pub const POOR: AccountId = 50;
/// The longest a claim or round keeps a bond at stake in the mock, unless a test moves it: the
/// original test parameters' challenge window (10), commit and reveal periods (5 each) and
/// slack (49).
pub const LONGEST_WORK_BLOCKS: u64 = 69;

/// The test parameters: round numbers for bonds, short periods.
pub fn test_parameters() -> Parameters<Balance, u64> {
	Parameters {
		min_inference_bond: 100,
		min_verifier_bond: 100,
		min_data_bond: 50,
		unbonding_period: 80,
		heartbeat_period: 10,
		max_missed_heartbeats: 2,
	}
}

/// The mock's bounds: what tests may set. Bonds up to 10,000.
pub fn minimum_parameters() -> Parameters<Balance, u64> {
	Parameters {
		min_inference_bond: 1,
		min_verifier_bond: 1,
		min_data_bond: 1,
		unbonding_period: 1,
		heartbeat_period: 1,
		max_missed_heartbeats: 1,
	}
}

/// See [`minimum_parameters`].
pub fn maximum_parameters() -> Parameters<Balance, u64> {
	Parameters {
		min_inference_bond: 10_000,
		min_verifier_bond: 10_000,
		min_data_bond: 10_000,
		unbonding_period: 1_000,
		heartbeat_period: 1_000,
		max_missed_heartbeats: 10,
	}
}

parameter_types! {
	pub const Treasury: AccountId = TREASURY;
	pub TestParameters: Parameters<Balance, u64> = test_parameters();
	pub MinimumParameters: Parameters<Balance, u64> = minimum_parameters();
	pub MaximumParameters: Parameters<Balance, u64> = maximum_parameters();
	/// The longest work ([`LONGEST_WORK_BLOCKS`] unless a test moves it).
	pub static LongestWork: u64 = LONGEST_WORK_BLOCKS;
	/// Every account the registry deregistered from the enclave registry, in order.
	pub static Deregistered: Vec<AccountId> = Vec::new();
}

/// An enclave registry that trusts no enclave and records each deregistration; like the TEE
/// pallet, it gives the `Tee` role back when it deregisters a node.
pub struct RecordDeregistered;
impl EnclaveRegistry<AccountId> for RecordDeregistered {
	fn enclave_signer(_: &AccountId) -> Option<EnclaveSigner> {
		None
	}

	fn deregister(who: &AccountId) {
		Deregistered::mutate(|list| list.push(*who));
		<Nodes as TeeRoles<AccountId>>::revoke_tee_role(who);
	}
}

impl pallet_nodes::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type GovernanceOrigin = EnsureRoot<AccountId>;
	type OnSlash = ResolveTo<Treasury, Balances>;
	type Enclaves = RecordDeregistered;
	type LongestWork = LongestWork;
	type Randomness = opg_primitives::randomness::TestRandomness;
	type DefaultParameters = TestParameters;
	type MinimumParameters = MinimumParameters;
	type MaximumParameters = MaximumParameters;
	type MaxNodes = ConstU32<10_000>;
	type MaxEndpointLen = ConstU32<64>;
	type MaxUnlockingChunks = ConstU32<3>;
	type MaxLivenessChecksPerBlock = ConstU32<4>;
	type MaxHeartbeatsPerBlock = ConstU32<2>;
	type WeightInfo = ();
}

/// The role key of test account `who`.
pub fn pair(who: AccountId) -> sr25519::Pair {
	sr25519::Pair::from_string(&format!("//node{who}"), None).unwrap()
}

/// The public role key of test account `who`.
pub fn key(who: AccountId) -> NodeKey {
	NodeKey::from(pair(who).public())
}

/// The role-key signature of test key `who` over `statement`.
pub fn sign(who: AccountId, statement: &SignedStatement<'_, AccountId, u64>) -> NodeKeySignature {
	let genesis = System::block_hash(0);
	NodeKeySignature::from(pair(who).sign(&signing_message(&genesis, statement)))
}

/// Proof that account `who` holds test key `key`.
pub fn key_proof(key: AccountId, who: AccountId) -> NodeKeySignature {
	sign(key, &SignedStatement::KeyOwnership { account: &who })
}

/// A signed heartbeat of `who` for the current period.
pub fn heartbeat_of(who: AccountId) -> (Heartbeat<AccountId, u64>, NodeKeySignature) {
	let period_start = Nodes::period_start(System::block_number(), &test_parameters());
	let heartbeat = Heartbeat { node: who, period_start };
	let signature = sign(who, &SignedStatement::Heartbeat(&heartbeat));
	(heartbeat, signature)
}

/// A subject id from a small number.
pub fn subject(n: u8) -> SubjectId {
	H256::repeat_byte(0xA0 | n)
}

/// Builds test externalities and checks the pallet's invariants after each test.
#[derive(Default)]
pub struct ExtBuilder {
	nodes: Vec<(AccountId, RoleSet, Balance)>,
	heartbeat_period: Option<u64>,
}

impl ExtBuilder {
	/// Starts with heartbeat periods of `blocks` blocks instead of the test parameters' 10,
	/// which have room for the heartbeats of 10 nodes only.
	pub fn heartbeat_period(mut self, blocks: u64) -> Self {
		self.heartbeat_period = Some(blocks);
		self
	}

	/// Registers `who` at genesis for `roles` with `bond`.
	pub fn node(mut self, who: AccountId, roles: RoleSet, bond: Balance) -> Self {
		self.nodes.push((who, roles, bond));
		self
	}

	/// Test externalities at block 1, with the genesis nodes registered and funded accounts 1
	/// to 20, [`POOR`] and [`TREASURY`].
	pub fn build(self) -> sp_io::TestExternalities {
		let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
		pallet_balances::GenesisConfig::<Test> {
			balances: (1..=20)
				.map(|who| (who, INITIAL_BALANCE))
				.chain([(POOR, 10), (TREASURY, 1)])
				.collect(),
			..Default::default()
		}
		.assimilate_storage(&mut storage)
		.unwrap();
		pallet_nodes::GenesisConfig::<Test> {
			parameters: Some(Parameters {
				heartbeat_period: self
					.heartbeat_period
					.unwrap_or(test_parameters().heartbeat_period),
				..test_parameters()
			}),
			nodes: self
				.nodes
				.iter()
				.map(|(who, roles, bond)| (*who, *roles, key(*who), None, *bond))
				.collect(),
		}
		.assimilate_storage(&mut storage)
		.unwrap();
		let mut ext = sp_io::TestExternalities::new(storage);
		ext.execute_with(|| {
			System::set_block_number(1);
			Deregistered::take();
		});
		ext
	}

	/// Test externalities with a keystore, for benchmarks that sign with role keys.
	#[cfg(feature = "runtime-benchmarks")]
	pub fn build_with_keystore(self) -> sp_io::TestExternalities {
		let mut ext = self.build();
		ext.register_extension(sp_keystore::KeystoreExt::new(
			sp_keystore::testing::MemoryKeystore::new(),
		));
		ext
	}

	/// Runs `test`, then `try_state`.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		self.build().execute_with(|| {
			test();
			Nodes::do_try_state().expect("invariants hold after the test");
		});
	}
}

/// The events this pallet deposited so far.
pub fn events() -> Vec<crate::Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|record| match record.event {
			RuntimeEvent::Nodes(event) => Some(event),
			_ => None,
		})
		.collect()
}

/// Advances to block `n`, running the pallet's `on_initialize` and `on_idle` (with an empty
/// block's room) on the way, each block with a parent hash and test randomness of its own.
pub fn run_to_block(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		System::set_parent_hash(H256::from_low_u64_be(next));
		opg_primitives::randomness::set_test_randomness(Some(sp_io::hashing::blake2_256(
			&next.to_le_bytes(),
		)));
		Nodes::on_initialize(next);
		Nodes::on_idle(next, Weight::MAX);
	}
}
