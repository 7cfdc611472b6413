//! A test runtime: `frame_system`, `pallet_balances` and attestations, with short periods, a
//! committee of five, a consumer that records every conclusion, and a mock node registry
//! ([`MockRegistry`]) in place of pallet-nodes.
//!
//! The mock registry keeps its nodes in storage (so a failed call rolls its changes back with
//! the pallet's own, and every externality starts from its own registry), and its bonds are real
//! funds: registering reserves the bond on `pallet_balances`, and a slash takes it out of the
//! reserve as a credit, so total issuance and free balances mean what they would on the chain.

// Tests may panic: a panic is a failed test.
#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects,
	clippy::panic
)]

use crate::{self as pallet_attestations, HoldReason, Parameters};
use codec::{Decode, Encode};
use frame_support::{
	derive_impl,
	pallet_prelude::{Twox64Concat, ValueQuery},
	parameter_types,
	traits::{
		fungible::{self, Balanced, InspectHold},
		tokens::{imbalance::ResolveTo, Fortitude, Precision, Preservation},
		ConstU32, ConstU64, GetStorageVersion, Hooks, Imbalance, ReservableCurrency,
	},
	weights::Weight,
};
use frame_system::EnsureRoot;
use opg_primitives::attestation::{
	signing_message, Conclusion, NodeKey, NodeKeySignature, NodeRegistry, NodeRole, NodeStanding,
	OnConclusion, OutputHash, RoleSet, SignedStatement, SlashBond, SlashReason, SubjectId,
	SubjectOutputs,
};
use opg_primitives::randomness::{BlockRandomness, TestRandomness};
use sp_core::{sr25519, Pair, H256};
use sp_runtime::{BuildStorage, DispatchError, DispatchResult, Perbill};

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

opg_primitives::impl_mock_authorized_transactions!(Test);

/// Where the treasury's part of slashes goes.
pub const TREASURY: AccountId = 99;
/// What accounts 1 to 20 start with.
pub const INITIAL_BALANCE: Balance = 1_000_000;
/// An account too poor for any bond.
pub const POOR: AccountId = 50;
/// The node registry's unbonding period: a claim's window and a round's periods must end
/// before it.
pub const UNBONDING_PERIOD: u64 = 150;
/// What the mock registry takes as a role's minimum bond (for [`crate::BenchmarkHelper`]).
#[cfg(feature = "runtime-benchmarks")]
pub const MIN_BOND: Balance = 100;

/// The test parameters: committees of five deciding with three, short periods (a dispute's
/// verdict open to appeal for five blocks), round numbers for slashes.
pub fn test_parameters() -> Parameters<Balance, u64> {
	Parameters {
		committee_size: 5,
		quorum: Perbill::from_percent(60),
		commit_period: 5,
		reveal_period: 5,
		challenge_window: 10,
		challenge_bond: 200,
		minority_slash: Perbill::from_percent(20),
		no_reveal_slash: Perbill::from_percent(30),
		false_claim_slash: Perbill::from_percent(50),
		reward_share: Perbill::from_percent(50),
		dispute_fee: 50,
		appeal_window: 5,
		audit_share: Perbill::zero(),
	}
}

/// The mock's bounds: what tests may set. Slashes up to a half, bonds up to 10,000.
pub fn minimum_parameters() -> Parameters<Balance, u64> {
	Parameters {
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
		dispute_fee: 0,
		appeal_window: 1,
		audit_share: Perbill::zero(),
	}
}

/// See [`minimum_parameters`].
pub fn maximum_parameters() -> Parameters<Balance, u64> {
	Parameters {
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
		dispute_fee: 10_000,
		appeal_window: 1_000,
		audit_share: Perbill::one(),
	}
}

parameter_types! {
	pub const Treasury: AccountId = TREASURY;
	pub TestParameters: Parameters<Balance, u64> = test_parameters();
	pub MinimumParameters: Parameters<Balance, u64> = minimum_parameters();
	pub MaximumParameters: Parameters<Balance, u64> = maximum_parameters();
	/// Every conclusion the consumer heard, in order.
	pub static Concluded: Vec<(SubjectId, Conclusion<AccountId>)> = Vec::new();
	/// What the consumer says each conclusion took, and the most it says one may take.
	pub static ConclusionWeight: Weight = Weight::from_parts(1_000, 0);
	pub static ConclusionBound: Weight = Weight::from_parts(1_000, 0);
	/// What this node's verifiers find when they re-execute any subject (`None`: they cannot).
	pub static Reexecuted: Option<Vec<u8>> = None;
	/// The outputs claimants published with their claims, by subject.
	pub static Published: Vec<(SubjectId, Vec<u8>)> = Vec::new();
	/// The deadline hook's budget: unlimited unless a test sets one.
	pub static DeadlineBudget: Weight = Weight::MAX;
}

/// The first byte of an output the mock consumer calls malformed.
pub const MALFORMED: u8 = 0xFF;

/// A consumer whose re-execution finds [`Reexecuted`] and whose outputs are bytes: an output
/// starting with [`MALFORMED`] is malformed, and a one-byte output agrees with a one-byte
/// reference when they differ by at most a tenth of the reference, and at least one (the mock's
/// tolerance, one-sided like the real one); other outputs agree only when equal.
pub struct TestOutputs;
impl SubjectOutputs for TestOutputs {
	fn reexecute(_: SubjectId) -> Option<Vec<u8>> {
		Reexecuted::get()
	}

	fn is_valid(_: SubjectId, output: &[u8]) -> bool {
		output.first() != Some(&MALFORMED)
	}

	fn agrees(_: SubjectId, output: &[u8], reference: &[u8]) -> bool {
		match (output, reference) {
			// One-sided, as the real tolerance is: relative to the reference (a tenth of it),
			// at least one.
			([a], [b]) => a.abs_diff(*b) <= (*b / 10).max(1),
			_ => output == reference,
		}
	}

	fn claimed_output(subject: SubjectId) -> Option<Vec<u8>> {
		Published::get().into_iter().find(|(s, _)| *s == subject).map(|(_, output)| output)
	}

	fn judge_weight() -> Weight {
		Weight::from_parts(1_000, 0)
	}
}

/// A consumer that records what it hears.
pub struct RecordConclusions;
impl OnConclusion<AccountId> for RecordConclusions {
	fn on_conclusion(subject: SubjectId, conclusion: &Conclusion<AccountId>) -> Weight {
		Concluded::mutate(|list| list.push((subject, conclusion.clone())));
		ConclusionWeight::get()
	}

	fn weight() -> Weight {
		ConclusionBound::get()
	}
}

impl pallet_attestations::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type GovernanceOrigin = EnsureRoot<AccountId>;
	type OnSlash = ResolveTo<Treasury, Balances>;
	type OnConclusion = RecordConclusions;
	type Outputs = TestOutputs;
	type MaxOutputBytes = ConstU32<64>;
	type Randomness = TestRandomness;
	type Nodes = MockRegistry;
	type UnbondingPeriod = ConstU64<UNBONDING_PERIOD>;
	type DefaultParameters = TestParameters;
	type MinimumParameters = MinimumParameters;
	type MaximumParameters = MaximumParameters;
	type MaxCommitteeSize = ConstU32<7>;
	type MaxDeadlinesPerBlock = ConstU32<2>;
	/// Not the rounds' bound, so a list checked against the wrong bound fails a test.
	type MaxClaimDeadlinesPerBlock = ConstU32<3>;
	type MaxDisputeDeadlinesPerBlock = ConstU32<1>;
	type DeadlineBudget = DeadlineBudget;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MockRegistry;
	type WeightInfo = ();
}

// ---- The mock node registry ----

/// What the mock registry counts for and against a node, as pallet-nodes' reputation does.
#[derive(Clone, Default, PartialEq, Eq, Debug, Encode, Decode)]
pub struct MockReputation {
	/// Work that ended well (`end_work(_, Some(true))`).
	pub completed: u32,
	/// Work that ended badly (`end_work(_, Some(false))`).
	pub failed: u32,
	/// How many times its bond was slashed.
	pub slashes: u32,
	/// How much of its bond was slashed, in all.
	pub slashed: Balance,
}

/// A node of the mock registry.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode)]
pub struct MockNode {
	/// Its roles.
	pub roles: RoleSet,
	/// Its role key.
	pub key: NodeKey,
	/// Its bond: reserved from its balance.
	pub bond: Balance,
	/// Whether it is leaving (it then takes no new work).
	pub leaving: bool,
	/// Whether governance chilled it (it then is never selected).
	pub chilled: bool,
	/// Units of work begun and not yet ended.
	pub open_work: u32,
	/// Its record.
	pub reputation: MockReputation,
}

/// The mock registry's nodes.
#[frame_support::storage_alias]
pub type MockNodes = StorageMap<MockNodeRegistry, Twox64Concat, AccountId, MockNode>;

/// Every slash of a bond, in order: who, how much, why.
#[frame_support::storage_alias]
pub type BondSlashes =
	StorageValue<MockNodeRegistry, Vec<(AccountId, Balance, SlashReason)>, ValueQuery>;

/// Every `end_work` call, in order: who, with what outcome.
#[frame_support::storage_alias]
pub type WorkEnded = StorageValue<MockNodeRegistry, Vec<(AccountId, Option<bool>)>, ValueQuery>;

/// A node registry for the pallet's tests: [`NodeRegistry`] and [`SlashBond`] over
/// [`MockNodes`], with bonds reserved on `pallet_balances`.
pub struct MockRegistry;

impl MockRegistry {
	/// Registers `who` for `roles` with role key `key`, reserving `bond` from its balance.
	pub fn register(who: AccountId, roles: RoleSet, key: NodeKey, bond: Balance) {
		assert!(!MockNodes::contains_key(who), "{who} is registered already");
		Balances::reserve(&who, bond).expect("the node can pay its bond");
		MockNodes::insert(
			who,
			MockNode {
				roles,
				key,
				bond,
				leaving: false,
				chilled: false,
				open_work: 0,
				reputation: MockReputation::default(),
			},
		);
	}

	/// Node `who`, which must be registered.
	pub fn node(who: AccountId) -> MockNode {
		MockNodes::get(who).unwrap_or_else(|| panic!("{who} is a node"))
	}

	/// Node `who`'s bond.
	pub fn bond(who: AccountId) -> Balance {
		Self::node(who).bond
	}

	/// Node `who`'s open work.
	pub fn open_work(who: AccountId) -> u32 {
		Self::node(who).open_work
	}

	/// Node `who`'s reputation.
	pub fn reputation(who: AccountId) -> MockReputation {
		Self::node(who).reputation
	}

	/// Starts `who` leaving, as pallet-nodes' `leave` does: refused while it has open work.
	pub fn leave(who: AccountId) -> DispatchResult {
		MockNodes::try_mutate(who, |node| {
			let node = node.as_mut().ok_or(DispatchError::Other("NotRegistered"))?;
			if node.open_work > 0 {
				return Err(DispatchError::Other("HasOpenWork"));
			}
			node.leaving = true;
			Ok(())
		})
	}

	/// Chills `who`: it is no longer eligible for any work.
	pub fn chill(who: AccountId) {
		MockNodes::mutate(who, |node| node.as_mut().expect("a node").chilled = true);
	}

	/// Every slash of a bond so far.
	pub fn slashes() -> Vec<(AccountId, Balance, SlashReason)> {
		BondSlashes::get()
	}

	/// Every `end_work` call so far.
	pub fn work_ended() -> Vec<(AccountId, Option<bool>)> {
		WorkEnded::get()
	}

	/// Checks the registry against the balances and the pallet: each node's reserved balance
	/// is its bond plus its challenge and appeal holds, and each node's open work covers the
	/// units the pallet gives it (which only nodes have).
	pub fn check() -> Result<(), String> {
		for (who, node) in MockNodes::iter() {
			let holds = Balances::balance_on_hold(&HoldReason::ChallengeBond.into(), &who)
				+ Balances::balance_on_hold(&HoldReason::AppealBond.into(), &who);
			let reserved = Balances::reserved_balance(who);
			if reserved != node.bond + holds {
				return Err(format!(
					"{who} has {reserved} reserved, not its bond {} plus its holds {holds}",
					node.bond
				));
			}
		}
		for (who, units) in Attestations::open_work_units() {
			let open = MockNodes::get(who).map(|node| node.open_work);
			if open.is_none_or(|open| open < units) {
				return Err(format!("{who} has open work {open:?} for {units} units"));
			}
		}
		Ok(())
	}
}

impl NodeRegistry<AccountId, Balance> for MockRegistry {
	fn is_eligible(who: &AccountId, role: NodeRole) -> bool {
		MockNodes::get(who).is_some_and(|node| {
			node.roles.contains(role) && !node.leaving && !node.chilled && node.bond > 0
		})
	}

	fn standing(who: &AccountId) -> Option<NodeStanding> {
		MockNodes::get(who).map(|node| NodeStanding { roles: node.roles, leaving: node.leaving })
	}

	fn role_key(who: &AccountId) -> Option<NodeKey> {
		MockNodes::get(who).map(|node| node.key)
	}

	fn node_of_key(key: &NodeKey) -> Option<AccountId> {
		MockNodes::iter().find(|(_, node)| node.key == *key).map(|(who, _)| who)
	}

	/// The eligible nodes of `role` outside `exclude`, ordered by a hash of each with the
	/// block's test randomness for `subject`: deterministic, and different in another block.
	fn select(
		role: NodeRole,
		subject: SubjectId,
		count: u32,
		exclude: &[AccountId],
	) -> Result<Vec<AccountId>, DispatchError> {
		let seed = <TestRandomness as BlockRandomness>::random(subject.as_bytes())
			.ok_or(DispatchError::Other("NoRandomness"))?;
		let mut candidates: Vec<([u8; 32], AccountId)> = MockNodes::iter_keys()
			.filter(|who| !exclude.contains(who) && Self::is_eligible(who, role))
			.map(|who| (sp_io::hashing::blake2_256(&(seed, who).encode()), who))
			.collect();
		if candidates.len() < count as usize {
			return Err(DispatchError::Other("NotEnoughNodes"));
		}
		candidates.sort();
		Ok(candidates.into_iter().take(count as usize).map(|(_, who)| who).collect())
	}

	fn select_weight(_: u32, _: u32) -> Weight {
		Weight::zero()
	}

	fn select_weight_now(_: NodeRole, _: u32) -> Weight {
		Weight::zero()
	}

	fn select_each(
		role: NodeRole,
		subjects: &[SubjectId],
	) -> Result<Vec<Option<AccountId>>, DispatchError> {
		subjects
			.iter()
			.map(|subject| Ok(Self::select(role, *subject, 1, &[]).ok().and_then(|mut n| n.pop())))
			.collect()
	}

	fn select_each_weight(_: NodeRole, _: u32) -> Weight {
		Weight::zero()
	}

	fn pool_size(role: NodeRole) -> u32 {
		MockNodes::iter_keys().filter(|who| Self::is_eligible(who, role)).count() as u32
	}

	fn data_endpoints(_: u32) -> Vec<Vec<u8>> {
		Vec::new()
	}

	fn begin_work(who: &AccountId) -> DispatchResult {
		MockNodes::try_mutate(who, |node| {
			let node = node.as_mut().ok_or(DispatchError::Other("NotRegistered"))?;
			if node.leaving {
				return Err(DispatchError::Other("NodeLeaving"));
			}
			node.open_work += 1;
			Ok(())
		})
	}

	fn end_work(who: &AccountId, outcome: Option<bool>) {
		WorkEnded::mutate(|ended| ended.push((*who, outcome)));
		MockNodes::mutate(who, |node| {
			if let Some(node) = node {
				node.open_work = node.open_work.saturating_sub(1);
				match outcome {
					Some(true) => node.reputation.completed += 1,
					Some(false) => node.reputation.failed += 1,
					None => {}
				}
			}
		});
	}

	fn slash(who: &AccountId, fraction: Perbill) -> Balance {
		let credit = Self::slash_bond(who, fraction, SlashReason::Fault);
		let amount = credit.peek();
		let _ = Balances::resolve(&TREASURY, credit);
		amount
	}
}

impl SlashBond<AccountId, fungible::Credit<AccountId, Balances>> for MockRegistry {
	fn slash_bond(
		who: &AccountId,
		fraction: Perbill,
		reason: SlashReason,
	) -> fungible::Credit<AccountId, Balances> {
		let Some(mut node) = MockNodes::get(who) else { return Imbalance::zero() };
		let amount = fraction.mul_floor(node.bond);
		assert_eq!(Balances::unreserve(who, amount), 0, "the bond is reserved");
		let credit = <Balances as Balanced<AccountId>>::withdraw(
			who,
			amount,
			Precision::Exact,
			Preservation::Expendable,
			Fortitude::Force,
		)
		.expect("the unreserved bond can be withdrawn");
		node.bond -= amount;
		node.reputation.slashes += 1;
		node.reputation.slashed += amount;
		MockNodes::insert(who, node);
		BondSlashes::mutate(|slashes| slashes.push((*who, amount, reason)));
		credit
	}
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for MockRegistry {
	fn register_node(who: &AccountId, role: NodeRole, key: NodeKey, weight: u32) {
		Self::fund(who);
		Self::register(*who, role.into(), key, MIN_BOND * Balance::from(weight));
	}

	fn fund(who: &AccountId) {
		let free = <Balances as fungible::Inspect<AccountId>>::balance(who);
		<Balances as fungible::Mutate<AccountId>>::set_balance(
			who,
			free.max(INITIAL_BALANCE * 1_000),
		);
	}

	fn spread_pools() {}

	fn subject() -> SubjectId {
		subject(0x0B)
	}

	fn publish(subject: SubjectId, output: Vec<u8>) {
		Published::mutate(|published| published.push((subject, output)));
	}
}

// ---- Keys, signatures and test values ----

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

/// The salt test verifier `who` uses.
pub fn salt(who: AccountId) -> [u8; 32] {
	[who as u8; 32]
}

/// A one-byte output from a small number: outputs `n` and `n ± 1` agree within the mock's
/// tolerance ([`TestOutputs::agrees`]), outputs further apart do not.
pub fn output(n: u8) -> Vec<u8> {
	vec![n]
}

/// The hash of [`output`] `n`: what claims, reveals and conclusions name it by.
pub fn output_hash(n: u8) -> OutputHash {
	opg_primitives::attestation::revealed_hash(&output(n))
}

/// The context (a job's input hash) of [`subject`] `n`.
pub fn context(n: u8) -> H256 {
	H256::repeat_byte(0xC0 | n)
}

/// A subject id from a small number.
pub fn subject(n: u8) -> SubjectId {
	H256::repeat_byte(0xA0 | n)
}

// ---- Externalities ----

/// Builds test externalities and checks the pallet's invariants after each test.
#[derive(Default)]
pub struct ExtBuilder {
	nodes: Vec<(AccountId, RoleSet, Balance)>,
}

impl ExtBuilder {
	/// Registers `who` in the mock registry for `roles` with `bond` (and role key `key(who)`).
	pub fn node(mut self, who: AccountId, roles: RoleSet, bond: Balance) -> Self {
		self.nodes.push((who, roles, bond));
		self
	}

	/// The externalities: funded accounts, the test parameters, the nodes registered in block 0
	/// (so their reserves deposit no events), and block 1 current.
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
		pallet_attestations::GenesisConfig::<Test> { parameters: Some(test_parameters()) }
			.assimilate_storage(&mut storage)
			.unwrap();
		let mut ext = sp_io::TestExternalities::new(storage);
		ext.execute_with(|| {
			for (who, roles, bond) in &self.nodes {
				MockRegistry::register(*who, *roles, key(*who), *bond);
			}
			System::set_block_number(1);
			// What a chain's genesis writes (`on_genesis`).
			Attestations::in_code_storage_version().put::<Attestations>();
			// As block 1's hook leaves it: everything due by block 1 ended.
			pallet_attestations::DueFrom::<Test>::put(2);
			pallet_attestations::ClaimsDueFrom::<Test>::put(2);
			Concluded::take();
			Reexecuted::set(None);
			Published::take();
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

	/// Runs `test`, then `try_state` and the mock registry's check.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		self.build().execute_with(|| {
			test();
			check_invariants();
		});
	}
}

/// The pallet's invariants and the mock registry's consistency with the balances and the pallet.
pub fn check_invariants() {
	Attestations::do_try_state().expect("invariants hold after the test");
	MockRegistry::check().expect("the mock registry agrees with the balances and the pallet");
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
		opg_primitives::randomness::set_test_randomness(Some(sp_io::hashing::blake2_256(
			&next.to_le_bytes(),
		)));
		Attestations::on_initialize(next);
	}
}
