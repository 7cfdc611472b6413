//! A test runtime: `frame_system`, `pallet_balances` and the ceremony, with a node registry
//! ([`TestNodes`]: verifiers that can be drawn, provers that attest) and a model registry
//! ([`TestKeys`]: where each version stands, what the ceremony handed back) of its own, and a
//! real circuit whose keys the tests contribute to.

// Tests may panic: a panic is a failed test.
#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]

use crate::{self as pallet_zk_ceremony, CeremonyId};
use ark_bn254::Bn254;
use ark_groth16::ProvingKey;
use frame_support::{
	derive_impl, parameter_types,
	traits::{tokens::imbalance::ResolveTo, ConstU32, ConstU64, GetStorageVersion, Hooks},
	weights::Weight,
};
use opg_primitives::{
	attestation::{
		signing_message, NodeKey, NodeKeySignature, NodeRegistry, NodeRole, NodeStanding, RoleSet,
		SignedStatement, SubjectId,
	},
	model::{CeremonyKeys, KeyCheckInputs, ModelId, VersionNumber, ZkKeyOrigin},
};
use opg_zk::{circuit::Synthesis, groth16::Keys, ptau::Phase1};
use sp_core::{sr25519, Pair, H256};
use sp_runtime::{BuildStorage, DispatchError, DispatchResult, Perbill};
use std::sync::OnceLock;

type Block = frame_system::mocking::MockBlock<Test>;
pub type Balance = u64;
pub type AccountId = u64;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		ZkCeremony: pallet_zk_ceremony,
	}
);

opg_primitives::impl_mock_authorized_transactions!(Test);

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

/// The model's owner.
pub const OWNER: AccountId = 1;
/// A dApp that contributes in the open phase.
pub const DAPP: AccountId = 2;
/// Another open-phase contributor.
pub const CAROL: AccountId = 3;
/// Verifier nodes, drawn in this order.
pub const VERIFIERS: [AccountId; 4] = [10, 11, 12, 13];
/// Inference nodes (provers).
pub const PROVERS: [AccountId; 3] = [20, 21, 22];
/// Where forfeited deposits go.
pub const TREASURY: AccountId = 99;
pub const INITIAL_BALANCE: Balance = 1_000_000;
pub const DEPOSIT: Balance = 500;
pub const FEE: Balance = 4_000;
pub const OPEN_PERIOD: u64 = 10;
pub const TURN_PERIOD: u64 = 5;
pub const ATTESTATION_PERIOD: u64 = 20;
/// The ceremony of the tests' model version.
pub const MODEL: ModelId = 7;
pub const VERSION: VersionNumber = 1;
pub const ID: CeremonyId = (MODEL, VERSION);
/// The hash of the version's registered initial verifying key.
pub const VK_HASH: H256 = H256::repeat_byte(0x5a);

parameter_types! {
	pub const Treasury: AccountId = TREASURY;
	/// The hook's budget: unlimited unless a test sets one.
	pub static HookBudget: Weight = Weight::MAX;
	pub const MissedTurnSlash: Perbill = Perbill::from_percent(10);
	/// Eligible verifier nodes, in draw order: the owner first (it runs a node too), so that a
	/// draw that did not exclude it would draw it.
	pub static DrawPool: Vec<AccountId> = [&[OWNER][..], &VERIFIERS[..]].concat();
	/// Whether the block has randomness (no draw without it).
	pub static HasRandomness: bool = true;
	/// Slashes the ceremony made: (node, fraction).
	pub static Slashes: Vec<(AccountId, Perbill)> = Vec::new();
	/// Versions a test removed from the registry.
	pub static RemovedVersions: Vec<(ModelId, VersionNumber)> = Vec::new();
	/// What the ceremony handed back: (model, version, delta_g2, head, origin).
	pub static Finished: Vec<(ModelId, VersionNumber, Vec<u8>, H256, ZkKeyOrigin)> = Vec::new();
	/// Failures the ceremony reported.
	pub static Failed: Vec<(ModelId, VersionNumber)> = Vec::new();
	/// Key states the ceremony handed to the registry for clearing: (content id, chunks); one
	/// kept again leaves the list, as it leaves the registry's queue.
	pub static Discarded: Vec<(H256, u32)> = Vec::new();
	/// Provers the benchmarks registered.
	pub static BenchProvers: Vec<AccountId> = Vec::new();
	/// Whether the registry refuses the finished key.
	pub static RefuseFinish: bool = false;
}

impl pallet_zk_ceremony::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Nodes = TestNodes;
	type Keys = TestKeys;
	type OnForfeit = ResolveTo<Treasury, Balances>;
	type CeremonyFee = ConstU64<FEE>;
	type ContributionDeposit = ConstU64<DEPOSIT>;
	type OpenPeriod = ConstU64<OPEN_PERIOD>;
	type TurnPeriod = ConstU64<TURN_PERIOD>;
	type DrawnContributors = ConstU32<2>;
	type MaxRedraws = ConstU32<1>;
	type MissedTurnSlash = MissedTurnSlash;
	type Attesters = ConstU32<2>;
	type AttestationPeriod = ConstU64<ATTESTATION_PERIOD>;
	type MaxOpenContributions = ConstU32<3>;
	type MaxCeremonies = ConstU32<2>;
	type HookBudget = HookBudget;
	type MaxStateChunks = ConstU32<16>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchHelper;
	type WeightInfo = ();
}

/// The benchmarks' set-up in the mock: verifiers join the draw pool, provers are fixed.
#[cfg(feature = "runtime-benchmarks")]
pub struct BenchHelper;

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for BenchHelper {
	fn register_node(who: &AccountId, role: NodeRole) {
		Self::fund(who);
		match role {
			NodeRole::Verifier => DrawPool::mutate(|pool| pool.push(*who)),
			_ => BenchProvers::mutate(|provers| provers.push(*who)),
		}
	}

	fn fund(who: &AccountId) {
		use frame_support::traits::fungible::Mutate;
		Balances::set_balance(who, INITIAL_BALANCE);
	}

	fn version() -> CeremonyId {
		ID
	}

	fn prepare_draws() {
		HasRandomness::set(true);
	}
}

/// Externalities for the benchmarks' tests: an empty draw pool the benchmarks fill.
#[cfg(feature = "runtime-benchmarks")]
pub fn new_bench_ext() -> sp_io::TestExternalities {
	DrawPool::set(Vec::new());
	let storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// The node registry: [`Verifiers`] are eligible verifiers, [`PROVERS`] inference nodes.
pub struct TestNodes;
impl NodeRegistry<AccountId, Balance> for TestNodes {
	fn is_eligible(who: &AccountId, role: NodeRole) -> bool {
		match role {
			NodeRole::Verifier => DrawPool::get().contains(who),
			NodeRole::Inference => {
				*who == OWNER || PROVERS.contains(who) || BenchProvers::get().contains(who)
			}
			_ => false,
		}
	}

	fn standing(who: &AccountId) -> Option<NodeStanding> {
		let role = if PROVERS.contains(who) { NodeRole::Inference } else { NodeRole::Verifier };
		Some(NodeStanding { roles: RoleSet::from(role), leaving: false })
	}

	/// Every test account's node has the role key [`pair`] derives.
	fn role_key(who: &AccountId) -> Option<NodeKey> {
		Some(key(*who))
	}

	fn node_of_key(key_of: &NodeKey) -> Option<AccountId> {
		VERIFIERS.into_iter().chain(PROVERS).find(|who| key(*who) == *key_of)
	}

	/// The first `count` eligible nodes of `role` not excluded, in a block with randomness.
	fn select(
		role: NodeRole,
		_: SubjectId,
		count: u32,
		exclude: &[AccountId],
	) -> Result<Vec<AccountId>, DispatchError> {
		if !HasRandomness::get() {
			return Err(DispatchError::Other("NoRandomness"));
		}
		let pool = match role {
			// The owner first here too: an attester draw must exclude it.
			NodeRole::Inference => {
				[OWNER].into_iter().chain(PROVERS).chain(BenchProvers::get()).collect()
			}
			_ => DrawPool::get(),
		};
		let chosen: Vec<_> = pool
			.into_iter()
			.filter(|node| !exclude.contains(node) && Self::is_eligible(node, role))
			.take(count as usize)
			.collect();
		if chosen.len() < count as usize {
			return Err(DispatchError::Other("NotEnoughNodes"));
		}
		Ok(chosen)
	}

	fn select_weight(_: u32, _: u32) -> Weight {
		Weight::zero()
	}

	fn select_each(_: NodeRole, _: &[SubjectId]) -> Result<Vec<Option<AccountId>>, DispatchError> {
		Err(DispatchError::Other("unused"))
	}

	fn select_each_weight(_: NodeRole, _: u32) -> Weight {
		Weight::zero()
	}

	fn pool_size(role: NodeRole) -> u32 {
		match role {
			NodeRole::Verifier => DrawPool::get().len() as u32,
			NodeRole::Inference => PROVERS.len() as u32,
			_ => 0,
		}
	}

	fn select_weight_now(_: NodeRole, _: u32) -> Weight {
		Weight::zero()
	}

	fn data_endpoints(_: u32) -> Vec<Vec<u8>> {
		Vec::new()
	}

	fn begin_work(_: &AccountId) -> DispatchResult {
		Ok(())
	}

	fn end_work(_: &AccountId, _: Option<bool>) {}

	fn slash(who: &AccountId, fraction: Perbill) -> Balance {
		Slashes::mutate(|slashes| slashes.push((*who, fraction)));
		fraction * 10_000
	}
}

/// The role key of test node `who`.
pub fn pair(who: AccountId) -> sr25519::Pair {
	sr25519::Pair::from_string(&format!("//node{who}"), None).unwrap()
}

/// The public role key of test node `who`.
pub fn key(who: AccountId) -> NodeKey {
	NodeKey::from(pair(who).public())
}

/// `who`'s role-key signature over `statement`.
pub fn sign(who: AccountId, statement: &SignedStatement<'_, AccountId, u64>) -> NodeKeySignature {
	let genesis = System::block_hash(0);
	NodeKeySignature::from(pair(who).sign(&signing_message(&genesis, statement)))
}

/// The model registry as the ceremony sees it.
pub struct TestKeys;
impl CeremonyKeys for TestKeys {
	fn exists(model: ModelId, version: VersionNumber) -> bool {
		!RemovedVersions::get().contains(&(model, version))
	}

	fn finish(
		model: ModelId,
		version: VersionNumber,
		delta_g2: &[u8],
		head: H256,
		origin: ZkKeyOrigin,
	) -> DispatchResult {
		if RefuseFinish::get() {
			return Err(DispatchError::Other("refused"));
		}
		Finished::mutate(|finished| {
			finished.push((model, version, delta_g2.to_vec(), head, origin))
		});
		Ok(())
	}

	fn finish_weight() -> Weight {
		Weight::zero()
	}

	fn fail(model: ModelId, version: VersionNumber) {
		Failed::mutate(|failed| failed.push((model, version)));
	}

	fn discard_state(state: H256, chunks: u32) {
		Discarded::mutate(|discarded| discarded.push((state, chunks)));
	}

	fn keep_state(state: H256) {
		Discarded::mutate(|discarded| discarded.retain(|(discarded, _)| *discarded != state));
	}

	fn key_check_inputs(_: ModelId, _: VersionNumber) -> Option<KeyCheckInputs> {
		None
	}
}

/// A small model's circuit and its initial key from the test phase 1 (computed once).
pub struct Circuit {
	pub synthesis: Synthesis,
	pub initial: ProvingKey<Bn254>,
}

pub fn circuit() -> &'static Circuit {
	static CIRCUIT: OnceLock<Circuit> = OnceLock::new();
	CIRCUIT.get_or_init(|| {
		let model = opg_zk::onnx::build::mlp(8, 6, 3, 5);
		let graph = opg_zk::circuit::Graph::from_onnx(&model).unwrap();
		let input: Vec<i128> = (0..8).map(|i| i * 13 - 50).collect();
		let synthesis = graph.synthesize(&[input]).unwrap();
		let domain = synthesis.constraints() + synthesis.public_inputs + 1;
		let phase1 =
			Phase1::insecure_for_tests(domain.next_power_of_two().trailing_zeros(), [2; 32]);
		let initial = opg_zk::groth16::initial_key(&synthesis, &phase1).unwrap();
		Circuit { synthesis, initial }
	})
}

/// A key state's file bytes (what a contributor publishes).
pub fn key_bytes(key: &ProvingKey<Bn254>) -> Vec<u8> {
	Keys::from_proving_key(key).unwrap().proving_key
}

/// The content id of a key state (what a contributor's state is known by).
pub fn state_hash(key: &ProvingKey<Bn254>) -> H256 {
	H256(opg_zk::groth16::proving_key_hash(&key_bytes(key)))
}

/// A key state as a contributor commits to it: its size, its chunk hashes, its chunks.
#[derive(Clone)]
pub struct State {
	pub size: u64,
	pub hashes: crate::StateChunkHashes<Test>,
	pub chunks: Vec<crate::StateChunk>,
}

impl State {
	pub fn of(bytes: &[u8]) -> State {
		let chunks: Vec<crate::StateChunk> = bytes
			.chunks(opg_zk::ceremony::KEY_CHUNK_SIZE as usize)
			.map(|chunk| chunk.to_vec().try_into().unwrap())
			.collect();
		let hashes = chunks
			.iter()
			.map(|chunk| opg_primitives::model::chunk_hash(chunk))
			.collect::<Vec<_>>()
			.try_into()
			.unwrap();
		State { size: bytes.len() as u64, hashes, chunks }
	}

	pub fn id(&self) -> H256 {
		opg_zk::ceremony::state_id(self.size, &self.hashes)
	}
}

/// Builds test externalities and checks the pallet's invariants after each test.
pub fn build_and_execute(test: impl FnOnce()) {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let mut balances: Vec<(AccountId, Balance)> =
		[OWNER, DAPP, CAROL].iter().map(|who| (*who, INITIAL_BALANCE)).collect();
	balances.extend(VERIFIERS.iter().chain(&PROVERS).map(|who| (*who, INITIAL_BALANCE)));
	balances.push((TREASURY, 1));
	pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
		.assimilate_storage(&mut storage)
		.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		// What a chain's genesis writes (`on_genesis`).
		ZkCeremony::in_code_storage_version().put::<ZkCeremony>();
		test();
		ZkCeremony::do_try_state().expect("invariants hold after the test");
	});
}

/// Advances to block `n`, running the ceremony's `on_initialize` on the way.
pub fn run_to_block(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		ZkCeremony::on_initialize(next);
	}
}
