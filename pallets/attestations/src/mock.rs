//! A test runtime: `frame_system`, `pallet_balances` and attestations, with short periods, a
//! committee of five and a consumer that records every conclusion.

// Tests may panic: a panic is a failed test.
#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects,
	clippy::panic
)]

use crate::{self as pallet_attestations, Heartbeat, Parameters, SignedStatement};
use frame_support::{
	derive_impl, parameter_types,
	traits::{tokens::imbalance::ResolveTo, ConstU32, ConstU64, Hooks},
	weights::Weight,
};
use frame_system::EnsureRoot;
use opg_primitives::attestation::{
	Conclusion, NodeKey, NodeKeySignature, OnConclusion, OutputHash, Reexecute, RoleSet, SubjectId,
};
use sp_core::{sr25519, Pair, H256};
use sp_runtime::{BuildStorage, Perbill};

type Block = frame_system::mocking::MockBlock<Test>;
pub type Balance = u64;
pub type AccountId = u64;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Attestations: pallet_attestations,
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

impl<C> frame_system::offchain::CreateTransactionBase<C> for Test
where
	RuntimeCall: From<C>,
{
	type RuntimeCall = RuntimeCall;
	type Extrinsic = frame_system::mocking::MockUncheckedExtrinsic<Test>;
}

impl<C> frame_system::offchain::CreateTransaction<C> for Test
where
	RuntimeCall: From<C>,
{
	type Extension = ();

	fn create_transaction(call: RuntimeCall, extension: ()) -> Self::Extrinsic {
		sp_runtime::generic::UncheckedExtrinsic::new_transaction(call, extension)
	}
}

impl<C> frame_system::offchain::CreateAuthorizedTransaction<C> for Test
where
	RuntimeCall: From<C>,
{
	fn create_extension() {}
}

/// Where the treasury's part of slashes goes.
pub const TREASURY: AccountId = 99;
pub const INITIAL_BALANCE: Balance = 1_000_000;
/// An account too poor for any bond.
pub const POOR: AccountId = 50;

/// The test parameters: committees of five deciding with three, short periods, round numbers
/// for slashes.
pub fn test_parameters() -> Parameters<Balance, u64> {
	Parameters {
		min_inference_bond: 100,
		min_verifier_bond: 100,
		min_data_bond: 50,
		unbonding_period: 80,
		heartbeat_period: 10,
		max_missed_heartbeats: 2,
		committee_size: 5,
		quorum: Perbill::from_percent(60),
		commit_period: 5,
		reveal_period: 5,
		challenge_window: 10,
		challenge_bond: 200,
		minority_slash: Perbill::from_percent(50),
		no_reveal_slash: Perbill::from_percent(20),
		false_claim_slash: Perbill::from_percent(50),
		reward_share: Perbill::from_percent(50),
	}
}

/// The mock's bounds: what tests may set. Slashes up to a half, bonds up to 10,000.
pub fn minimum_parameters() -> Parameters<Balance, u64> {
	Parameters {
		min_inference_bond: 1,
		min_verifier_bond: 1,
		min_data_bond: 1,
		unbonding_period: 1,
		heartbeat_period: 1,
		max_missed_heartbeats: 1,
		committee_size: 1,
		quorum: Perbill::from_percent(51),
		commit_period: 1,
		reveal_period: 1,
		challenge_window: 1,
		challenge_bond: 1,
		minority_slash: Perbill::zero(),
		no_reveal_slash: Perbill::zero(),
		false_claim_slash: Perbill::zero(),
		reward_share: Perbill::zero(),
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
		committee_size: 7,
		quorum: Perbill::one(),
		commit_period: 1_000,
		reveal_period: 1_000,
		challenge_window: 1_000,
		challenge_bond: 10_000,
		minority_slash: Perbill::from_percent(50),
		no_reveal_slash: Perbill::from_percent(50),
		false_claim_slash: Perbill::from_percent(50),
		reward_share: Perbill::one(),
	}
}

parameter_types! {
	pub const Treasury: AccountId = TREASURY;
	pub TestParameters: Parameters<Balance, u64> = test_parameters();
	pub MinimumParameters: Parameters<Balance, u64> = minimum_parameters();
	pub MaximumParameters: Parameters<Balance, u64> = maximum_parameters();
	/// Every conclusion the consumer heard, in order.
	pub static Concluded: Vec<(SubjectId, Conclusion<AccountId>)> = Vec::new();
	/// What this node's verifiers find when they re-execute any subject (`None`: they cannot).
	pub static Reexecuted: Option<OutputHash> = None;
}

/// A consumer whose re-execution finds [`Reexecuted`].
pub struct TestReexecute;
impl Reexecute for TestReexecute {
	fn reexecute(_: SubjectId, _: OutputHash) -> Option<OutputHash> {
		Reexecuted::get()
	}
}

/// A consumer that records what it hears.
pub struct RecordConclusions;
impl OnConclusion<AccountId> for RecordConclusions {
	fn on_conclusion(subject: SubjectId, conclusion: &Conclusion<AccountId>) {
		Concluded::mutate(|list| list.push((subject, conclusion.clone())));
	}

	fn weight() -> Weight {
		Weight::from_parts(1_000, 0)
	}
}

impl pallet_attestations::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type GovernanceOrigin = EnsureRoot<AccountId>;
	type OnSlash = ResolveTo<Treasury, Balances>;
	type OnConclusion = RecordConclusions;
	type Reexecute = TestReexecute;
	type DefaultParameters = TestParameters;
	type MinimumParameters = MinimumParameters;
	type MaximumParameters = MaximumParameters;
	type MaxNodes = ConstU32<10_000>;
	type MaxCommitteeSize = ConstU32<7>;
	type MaxEndpointLen = ConstU32<64>;
	type MaxUnlockingChunks = ConstU32<3>;
	type MaxDeadlinesPerBlock = ConstU32<2>;
	/// Not the rounds' bound, so a list checked against the wrong bound fails a test.
	type MaxClaimDeadlinesPerBlock = ConstU32<3>;
	type MaxLivenessChecksPerBlock = ConstU32<4>;
	type TeeOrigin = EnsureRoot<AccountId>;
	type UnixTime = TestTime;
	type TeeTrustAnchor = IntelRootCa;
	type MaxQuoteAge = ConstU64<10>;
	type MaxTeeNodesPerMeasurement = ConstU32<3>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = TestTime;
	type WeightInfo = ();
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper for TestTime {
	fn set_unix_time(secs: u64) {
		UnixNow::set(secs);
	}
}

parameter_types! {
	/// The test chain's unix time: inside the DCAP samples' validity window unless a test moves it.
	pub static UnixNow: u64 = opg_primitives::tee::samples::SAMPLE_TIME;
	pub static DevEnclaveAllowed: bool = false;
}

/// The test chain's clock: [`UnixNow`].
pub struct TestTime;
impl frame_support::traits::UnixTime for TestTime {
	fn now() -> core::time::Duration {
		core::time::Duration::from_secs(UnixNow::get())
	}
}

/// Intel's root, as the runtime pins it.
pub struct IntelRootCa;
impl frame_support::traits::Get<&'static [u8]> for IntelRootCa {
	fn get() -> &'static [u8] {
		opg_primitives::tee::INTEL_ROOT_CA_DER
	}
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
	NodeKeySignature::from(pair(who).sign(&crate::signing_message(&genesis, statement)))
}

/// Proof that account `who` holds test key `key`.
pub fn key_proof(key: AccountId, who: AccountId) -> NodeKeySignature {
	sign(key, &SignedStatement::KeyOwnership { account: &who })
}

/// A signed heartbeat of `who` for the current period.
pub fn heartbeat_of(who: AccountId) -> (Heartbeat<AccountId, u64>, NodeKeySignature) {
	let period_start = Attestations::period_start(System::block_number(), &test_parameters());
	let heartbeat = Heartbeat { node: who, period_start };
	let signature = sign(who, &SignedStatement::Heartbeat(&heartbeat));
	(heartbeat, signature)
}

/// The salt test verifier `who` uses.
pub fn salt(who: AccountId) -> [u8; 32] {
	[who as u8; 32]
}

/// An output hash from a small number.
pub fn output(n: u8) -> OutputHash {
	H256::repeat_byte(n)
}

/// A subject id from a small number.
pub fn subject(n: u8) -> SubjectId {
	H256::repeat_byte(0xA0 | n)
}

/// Builds test externalities and checks the pallet's invariants after each test.
#[derive(Default)]
pub struct ExtBuilder {
	nodes: Vec<(AccountId, RoleSet, Balance)>,
}

impl ExtBuilder {
	/// Registers `who` at genesis for `roles` with `bond`.
	pub fn node(mut self, who: AccountId, roles: RoleSet, bond: Balance) -> Self {
		self.nodes.push((who, roles, bond));
		self
	}

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
		pallet_attestations::GenesisConfig::<Test> {
			parameters: Some(test_parameters()),
			nodes: self
				.nodes
				.iter()
				.map(|(who, roles, bond)| (*who, *roles, key(*who), None, *bond))
				.collect(),
			allow_insecure_dev_enclave: DevEnclaveAllowed::get(),
		}
		.assimilate_storage(&mut storage)
		.unwrap();
		let mut ext = sp_io::TestExternalities::new(storage);
		ext.execute_with(|| {
			System::set_block_number(1);
			Concluded::take();
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
			Attestations::do_try_state().expect("invariants hold after the test");
		});
	}
}

/// The events this pallet deposited so far.
pub fn events() -> Vec<crate::Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|record| match record.event {
			RuntimeEvent::Attestations(event) => Some(event),
			_ => None,
		})
		.collect()
}

/// Advances to block `n`, running the pallet's `on_initialize` on the way.
pub fn run_to_block(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		System::set_parent_hash(H256::from_low_u64_be(next));
		Attestations::on_initialize(next);
	}
}
