//! A test runtime: `frame_system`, `pallet_balances` and the inference pallet, with test
//! doubles for its three neighbours (the model catalogue, the node registry and attestations)
//! that record what the pallet asks of them. The runtime's own tests run the real pallets
//! together.

// Tests may panic: a panic is a failed test.
#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects,
	clippy::panic
)]

use crate::{self as pallet_inference, FeeShares, Parameters};
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU32, ConstU64, Hooks},
	weights::Weight,
};
use frame_system::{EnsureRoot, EnsureSignedBy};
use opg_primitives::{
	attestation::{
		Attestations, NodeKey, NodeKeySignature, NodeRegistry, NodeRole, NodeStanding, OutputHash,
		RoleSet, SubjectId,
	},
	inference::{FixedPoint, JobStatement, Tensor, TensorValues, Tensors, Tolerance},
	model::{
		Dim, IoSchema, ModeSet, ModelCatalog, ModelId, RunnableModel, TensorDtype, TensorSpec,
		VersionNumber,
	},
	tee::{EnclaveKey, EnclaveRegistry, EnclaveSigner},
};
use sp_core::{sr25519, Pair, H256};
use sp_runtime::{BuildStorage, DispatchError, DispatchResult, Perbill};

type Block = frame_system::mocking::MockBlock<Test>;
pub type Balance = u64;
pub type AccountId = u64;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Inference: pallet_inference,
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

pub const TREASURY: AccountId = 99;
pub const OWNER: AccountId = 7;
pub const DAPP: AccountId = 1;
/// An account with less than any fee.
pub const POOR: AccountId = 2;
pub const INITIAL_BALANCE: Balance = 1_000_000;
/// The model's price.
pub const PRICE: Balance = 1_000;
/// The test model.
pub const MODEL: ModelId = 3;
pub const VERSION: VersionNumber = 2;

pub fn test_parameters() -> Parameters<Balance, u64> {
	Parameters {
		vanilla_fee: 100,
		attested_fee: 500,
		zk_fee: 200,
		shares: FeeShares {
			owner: Perbill::from_percent(50),
			node: Perbill::from_percent(30),
			verifiers: Perbill::from_percent(10),
		},
		response_period: 5,
		timeout_slash: Perbill::from_percent(10),
		invalid_proof_slash: Perbill::from_percent(5),
		retention: 20,
		// Zero, so the fee arithmetic of most tests is the mode's fee and the price alone; the
		// output tests set them.
		output_byte_fee: 0,
		output_byte_deposit: 0,
	}
}

frame_support::ord_parameter_types! {
	/// The fees track of the mock: a separate origin, so tests see the fee parameters refused
	/// to root and the others refused to it.
	pub const FeeSetter: AccountId = 77;
}

parameter_types! {
	pub const Treasury: AccountId = TREASURY;
	/// The jobs [`TestOnFinal`] heard final, and the weight it declares for each.
	pub static FinalHeard: Vec<crate::JobId> = Vec::new();
	pub static OnFinalWeight: Weight = Weight::zero();
	/// Room for `MaxAssignmentsPerBlock` (which the spill-over tests exercise).
	pub static AssignmentBudget: Weight = Weight::MAX;
	/// The timeout hook's budget: unlimited unless a test sets one.
	pub static TimeoutBudget: Weight = Weight::MAX;
	/// What `on_idle` is left with at the end of each block in `run_to_block`.
	pub static IdleWeight: Weight = Weight::MAX;
	pub TestParameters: Parameters<Balance, u64> = test_parameters();
	/// The mock's bounds: fees up to 10,000, slashes up to a half, periods up to 1,000 blocks.
	pub MinimumParameters: Parameters<Balance, u64> = Parameters {
		vanilla_fee: 0,
		attested_fee: 0,
		zk_fee: 0,
		shares: FeeShares { owner: Perbill::zero(), node: Perbill::zero(), verifiers: Perbill::zero() },
		response_period: 1,
		timeout_slash: Perbill::zero(),
		invalid_proof_slash: Perbill::zero(),
		retention: 1,
		output_byte_fee: 0,
		output_byte_deposit: 0,
	};
	pub MaximumParameters: Parameters<Balance, u64> = Parameters {
		vanilla_fee: 10_000,
		attested_fee: 10_000,
		zk_fee: 10_000,
		shares: FeeShares { owner: Perbill::one(), node: Perbill::one(), verifiers: Perbill::one() },
		response_period: 1_000,
		timeout_slash: Perbill::from_percent(50),
		invalid_proof_slash: Perbill::from_percent(50),
		retention: 1_000,
		output_byte_fee: 100,
		output_byte_deposit: 1_000,
	};
	/// The model the catalogue serves (`None`: not runnable).
	pub static Catalogue: Option<RunnableModel<AccountId, Balance>> = Some(test_model());
	/// The model version as registered, runnable or not.
	pub static Registered: RunnableModel<AccountId, Balance> = test_model();
	/// Eligible inference nodes, in the order selection picks them.
	pub static InferenceNodes: Vec<AccountId> = vec![10, 11];
	/// (node, fraction) of every slash.
	pub static Slashes: Vec<(AccountId, Perbill)> = Vec::new();
	/// (node, +1 begun / -1 ended, succeeded) of every unit of work.
	pub static Work: Vec<(AccountId, i8, bool)> = Vec::new();
	/// (subject, claimant, output, is a round) of every claim or round opened.
	pub static Opened: Vec<(SubjectId, AccountId, OutputHash, bool)> = Vec::new();
	/// The context (the job's input hash) of every claim or round opened, in `Opened`'s order.
	pub static OpenedContexts: Vec<H256> = Vec::new();
	/// Whether the attestations double refuses new claims and rounds (its deadlines full).
	pub static AttestationsFull: bool = false;
	/// Whether the attestations double takes claims now (its claim cursor keeps up).
	pub static AcceptingClaims: bool = true;
	/// The data nodes' endpoints.
	pub static DataEndpoints: Vec<Vec<u8>> = vec![b"http://data.test:9944".to_vec()];
	/// The ZK key the catalogue serves for the test model (`zk_model` sets it).
	pub static ZkKeyOf: Option<opg_primitives::model::ZkKey> = None;
	/// The chunks of the ZK key its ceremony published into the data layer (none: a one-party
	/// key).
	pub static ZkKeyChunks: Vec<Vec<u8>> = Vec::new();
	/// Role keys of nodes the benchmarks registered, which the keystore holds.
	pub static BenchKeys: Vec<(AccountId, NodeKey)> = Vec::new();
	/// The inference nodes with a standing TEE registration, and their enclave keys.
	pub static TeeSigners: Vec<(AccountId, EnclaveSigner)> = Vec::new();
}

/// The enclave key of test node `who`.
pub fn enclave_pair(who: AccountId) -> sp_core::ed25519::Pair {
	sp_core::ed25519::Pair::from_string(&format!("//enclave{who}"), None).unwrap()
}

/// Registers test node `who`'s enclave key (`insecure`: as the dev enclave).
pub fn make_tee(who: AccountId, insecure: bool) {
	let key = EnclaveKey::from(enclave_pair(who).public());
	TeeSigners::mutate(|signers| signers.push((who, EnclaveSigner { key, insecure })));
}

fn spec(name: &str, dtype: TensorDtype, shape: Vec<Dim>) -> TensorSpec {
	TensorSpec {
		name: name.as_bytes().to_vec().try_into().unwrap(),
		dtype,
		shape: shape.try_into().unwrap(),
	}
}

/// The test model's bytes (not ONNX: the test engine does not parse them): 100 bytes, two
/// chunks of 64.
pub fn model_bytes() -> Vec<u8> {
	(0..100u8).collect()
}

/// A model taking `x: float32[batch, 2]` and giving `y: float32[batch, 1]`.
pub fn test_model() -> RunnableModel<AccountId, Balance> {
	RunnableModel {
		owner: OWNER,
		version: VERSION,
		content_id: opg_primitives::model::content_id(&model_bytes(), 64).unwrap(),
		byte_size: 100,
		schema: IoSchema {
			inputs: vec![spec("x", TensorDtype::Float32, vec![Dim::Dynamic, Dim::Fixed(2)])]
				.try_into()
				.unwrap(),
			outputs: vec![spec("y", TensorDtype::Float32, vec![Dim::Dynamic, Dim::Fixed(1)])]
				.try_into()
				.unwrap(),
		},
		modes: ModeSet { vanilla: true, attested: true, zk: false },
		tolerance: Tolerance { absolute_e9: 1_000, relative: Perbill::zero() },
		chunk_size: 64,
		price: PRICE,
	}
}

/// Makes the test model the ZK fixture's (`opg_zk::fixture`): an int8[1, 16] input `x`, an
/// int32[1, 4] output `y`, ZK mode with the fixture's real key. Answers the fixture's input
/// and output; [`zk_proof`] its proofs.
pub fn zk_model() -> (Tensors, Tensors) {
	let fixture = opg_zk::fixture::mlp().unwrap();
	let mut model = test_model();
	model.schema = IoSchema {
		inputs: vec![spec("x", TensorDtype::Int8, vec![Dim::Fixed(1), Dim::Fixed(16)])]
			.try_into()
			.unwrap(),
		outputs: vec![spec("y", TensorDtype::Int32, vec![Dim::Fixed(1), Dim::Fixed(4)])]
			.try_into()
			.unwrap(),
	};
	model.modes = ModeSet { vanilla: false, attested: false, zk: true };
	model.tolerance = Tolerance::EXACT;
	let prepared = opg_zk::prepare_key_for(&model.schema, &fixture.verifying_key).unwrap();
	ZkKeyOf::set(Some(opg_primitives::model::ZkKey {
		prepared: prepared.try_into().unwrap(),
		proving_key_hash: H256(fixture.proving_key_hash),
		constraints: fixture.constraints,
	}));
	Catalogue::set(Some(model.clone()));
	Registered::set(model);
	let ints = |name: &str, columns: u32, values: &[i64]| -> Tensors {
		let values: Vec<(i128, u8)> = values.iter().map(|v| (i128::from(*v), 0)).collect();
		vec![tensor(name, 1, columns, &values)].try_into().unwrap()
	};
	(ints("x", 16, &fixture.input), ints("y", 4, &fixture.output))
}

/// The fixture's proof of its statement for ZK job `job` answered by `node` (it holds proofs
/// for job 0 by nodes 10, 11, 30 and 31 only).
pub fn zk_proof(job: opg_primitives::inference::JobId, node: AccountId) -> crate::ProofBytes {
	let genesis = System::block_hash(0);
	opg_zk::fixture::mlp()
		.unwrap()
		.proof_for(genesis.as_ref(), job, &codec::Encode::encode(&node))
		.expect("the fixture has a proof for this job and node")
		.try_into()
		.unwrap()
}

/// A tensor named `name` of shape `[rows, columns]` holding `values` (value, decimals).
pub fn tensor(name: &str, rows: u32, columns: u32, values: &[(i128, u8)]) -> Tensor {
	Tensor {
		name: name.as_bytes().to_vec().try_into().unwrap(),
		shape: vec![rows, columns].try_into().unwrap(),
		values: TensorValues::Numbers(
			values
				.iter()
				.map(|(value, decimals)| FixedPoint { value: *value, decimals: *decimals })
				.collect::<Vec<_>>()
				.try_into()
				.unwrap(),
		),
	}
}

/// A valid input: `x = [[1.5, -2]]`.
pub fn input() -> Tensors {
	vec![tensor("x", 1, 2, &[(15, 1), (-2, 0)])].try_into().unwrap()
}

/// A valid output: `y = [[value · 10^-6]]`.
pub fn output(value: i128) -> Tensors {
	vec![tensor("y", 1, 1, &[(value, 6)])].try_into().unwrap()
}

pub struct TestCatalogue;
impl ModelCatalog<AccountId, Balance> for TestCatalogue {
	fn runnable(model: ModelId) -> Option<RunnableModel<AccountId, Balance>> {
		Catalogue::get().filter(|_| model == MODEL)
	}

	fn model_version(
		model: ModelId,
		version: VersionNumber,
	) -> Option<RunnableModel<AccountId, Balance>> {
		(model == MODEL && version == VERSION).then(Registered::get)
	}

	fn chunk_hash(model: ModelId, version: VersionNumber, index: u32) -> Option<H256> {
		let chunk = model_bytes().chunks(64).nth(index as usize).map(<[u8]>::to_vec)?;
		(model == MODEL && version == VERSION).then(|| opg_primitives::model::chunk_hash(&chunk))
	}

	fn zk_key(model: ModelId, version: VersionNumber) -> Option<opg_primitives::model::ZkKey> {
		(model == MODEL && version == VERSION).then(ZkKeyOf::get).flatten()
	}

	fn zk_key_chunk_hash(model: ModelId, version: VersionNumber, index: u32) -> Option<H256> {
		let chunk = ZkKeyChunks::get().get(index as usize).cloned()?;
		(model == MODEL && version == VERSION).then(|| opg_primitives::model::chunk_hash(&chunk))
	}
}

/// The role key of test node `who`.
pub fn pair(who: AccountId) -> sr25519::Pair {
	sr25519::Pair::from_string(&format!("//node{who}"), None).unwrap()
}

/// `who`'s role-key signature over `statement`, for the job it names (as stored; a zero input
/// hash for a job that does not exist).
pub fn sign(who: AccountId, statement: &JobStatement<AccountId>) -> NodeKeySignature {
	let genesis = System::block_hash(0);
	let (JobStatement::Result { job, .. }
	| JobStatement::Failure { job, .. }
	| JobStatement::ZkResult { job, .. }
	| JobStatement::Commitment { job, .. }) = statement;
	let input = crate::Jobs::<Test>::get(job).map(|record| record.input_hash).unwrap_or_default();
	NodeKeySignature::from(
		pair(who)
			.sign(&opg_primitives::inference::job_signing_message(&genesis, &input, statement)),
	)
}

pub struct TestNodes;
impl NodeRegistry<AccountId, Balance> for TestNodes {
	fn is_eligible(who: &AccountId, role: NodeRole) -> bool {
		InferenceNodes::get().contains(who)
			&& match role {
				NodeRole::Inference => true,
				NodeRole::Tee => TestEnclaves::enclave_signer(who).is_some(),
				_ => false,
			}
	}

	fn standing(who: &AccountId) -> Option<NodeStanding> {
		let roles = RoleSet::from(NodeRole::Inference);
		InferenceNodes::get().contains(who).then_some(NodeStanding { roles, leaving: false })
	}

	fn role_key(who: &AccountId) -> Option<NodeKey> {
		if let Some((_, key)) = BenchKeys::get().into_iter().find(|(node, _)| node == who) {
			return Some(key);
		}
		(10..20).contains(who).then(|| NodeKey::from(pair(*who).public()))
	}

	fn node_of_key(key: &NodeKey) -> Option<AccountId> {
		(10..20).find(|who| NodeKey::from(pair(*who).public()) == *key)
	}

	fn select(
		role: NodeRole,
		_: SubjectId,
		count: u32,
		exclude: &[AccountId],
	) -> Result<Vec<AccountId>, DispatchError> {
		let chosen: Vec<_> = InferenceNodes::get()
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
		Weight::from_parts(1_000, 0)
	}

	fn select_weight_now(_: NodeRole, _: u32) -> Weight {
		Weight::from_parts(500, 0)
	}

	/// The first eligible node for every subject, in a block with (test) randomness.
	fn select_each(
		role: NodeRole,
		subjects: &[SubjectId],
	) -> Result<Vec<Option<AccountId>>, DispatchError> {
		use opg_primitives::randomness::{BlockRandomness, TestRandomness};
		TestRandomness::random(b"").ok_or(DispatchError::Other("NoRandomness"))?;
		Ok(subjects
			.iter()
			.map(|subject| Self::select(role, *subject, 1, &[]).ok().and_then(|mut n| n.pop()))
			.collect())
	}

	fn select_each_weight(_: NodeRole, count: u32) -> Weight {
		Weight::from_parts(300, 0).saturating_mul(count.into())
	}

	fn pool_size(role: NodeRole) -> u32 {
		InferenceNodes::get().into_iter().filter(|node| Self::is_eligible(node, role)).count()
			as u32
	}

	fn data_endpoints(limit: u32) -> Vec<Vec<u8>> {
		DataEndpoints::get().into_iter().take(limit as usize).collect()
	}

	fn begin_work(who: &AccountId) -> DispatchResult {
		Work::mutate(|work| work.push((*who, 1, true)));
		Ok(())
	}

	fn end_work(who: &AccountId, outcome: Option<bool>) {
		let succeeded = outcome.expect("the inference pallet always reports how a job went");
		Work::mutate(|work| work.push((*who, -1, succeeded)));
	}

	fn slash(who: &AccountId, fraction: Perbill) -> Balance {
		Slashes::mutate(|slashes| slashes.push((*who, fraction)));
		0
	}
}

/// The enclave registry: the signers in [`TeeSigners`].
pub struct TestEnclaves;
impl EnclaveRegistry<AccountId> for TestEnclaves {
	fn enclave_signer(who: &AccountId) -> Option<EnclaveSigner> {
		TeeSigners::get().into_iter().find(|(node, _)| node == who).map(|(_, signer)| signer)
	}

	fn deregister(who: &AccountId) {
		TeeSigners::mutate(|signers| signers.retain(|(node, _)| node != who));
	}
}

pub struct TestAttestations;
impl Attestations<AccountId> for TestAttestations {
	fn open_round(
		subject: SubjectId,
		claimant: &AccountId,
		commitment: OutputHash,
		context: H256,
	) -> DispatchResult {
		if AttestationsFull::get() {
			return Err(DispatchError::Other("DeadlineQueueFull"));
		}
		Opened::mutate(|opened| opened.push((subject, *claimant, commitment, true)));
		OpenedContexts::mutate(|contexts| contexts.push(context));
		Ok(())
	}

	fn open_claim(
		subject: SubjectId,
		claimant: &AccountId,
		claimed: OutputHash,
		context: H256,
	) -> DispatchResult {
		if AttestationsFull::get() {
			return Err(DispatchError::Other("DeadlineQueueFull"));
		}
		Opened::mutate(|opened| opened.push((subject, *claimant, claimed, false)));
		OpenedContexts::mutate(|contexts| contexts.push(context));
		Ok(())
	}

	fn accepting_claims() -> bool {
		AcceptingClaims::get()
	}

	fn open_round_weight() -> Weight {
		Weight::from_parts(1_000, 0)
	}

	fn open_claim_weight() -> Weight {
		Weight::from_parts(1_000, 0)
	}
}

/// A consumer of final results, as another pallet would be: records what it hears.
pub struct TestOnFinal;
impl crate::OnFinal<AccountId> for TestOnFinal {
	fn on_final(job: crate::JobId, _: &AccountId, _: &Tensors) {
		FinalHeard::mutate(|heard| heard.push(job));
	}

	fn weight() -> Weight {
		OnFinalWeight::get()
	}
}

impl pallet_inference::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type GovernanceOrigin = EnsureRoot<AccountId>;
	type FeeOrigin = EnsureSignedBy<FeeSetter, AccountId>;
	type Models = TestCatalogue;
	type Nodes = TestNodes;
	type Enclaves = TestEnclaves;
	type Attestations = TestAttestations;
	type TreasuryAccount = Treasury;
	type OnFinal = TestOnFinal;
	type DefaultParameters = TestParameters;
	type MinimumParameters = MinimumParameters;
	type MaximumParameters = MaximumParameters;
	type MaxInputBytes = ConstU32<4096>;
	type MaxOutputBytes = ConstU32<4096>;
	type MaxQueuedPerBlock = ConstU32<3>;
	type MaxAssignmentsPerBlock = ConstU32<4>;
	type AssignmentWait = ConstU64<3>;
	type AssignmentBudget = AssignmentBudget;
	type TimeoutBudget = TimeoutBudget;
	type MaxCommitteeSize = ConstU32<5>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchHelper;
	type WeightInfo = ();
}

/// Builds test externalities: balances for the dApp, the owner, nodes and the treasury.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![
			(DAPP, INITIAL_BALANCE),
			(POOR, 500),
			(OWNER, 10),
			(10, 10),
			(11, 10),
			(12, 10),
			(13, 10),
			(TREASURY, 10),
		],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext: sp_io::TestExternalities = storage.into();
	ext.execute_with(|| {
		System::set_block_number(1);
		Catalogue::set(Some(test_model()));
		Registered::set(test_model());
		AttestationsFull::set(false);
		InferenceNodes::set(vec![10, 11]);
		TeeSigners::take();
		Slashes::take();
		Work::take();
		Opened::take();
		OpenedContexts::take();
	});
	ext
}

/// Sets up the benchmarks' models and nodes in the test doubles.
#[cfg(feature = "runtime-benchmarks")]
pub struct BenchHelper;
#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for BenchHelper {
	fn runnable_model(width: u32) -> ModelId {
		let mut model = test_model();
		for side in [&mut model.schema.inputs, &mut model.schema.outputs] {
			side[0].shape = vec![Dim::Dynamic, Dim::Fixed(width)].try_into().unwrap();
		}
		model.schema.outputs[0].name = b"y".to_vec().try_into().unwrap();
		Catalogue::set(Some(model.clone()));
		Registered::set(model);
		MODEL
	}

	fn zk_model() -> (ModelId, Tensors, Tensors) {
		let (input, output) = zk_model();
		(MODEL, input, output)
	}

	fn tee_node(index: u32, key: NodeKey, enclave_key: EnclaveKey) -> AccountId {
		let node = Self::inference_node(index, key);
		TeeSigners::mutate(|signers| {
			signers.push((node, EnclaveSigner { key: enclave_key, insecure: false }))
		});
		node
	}

	fn slashable_node(index: u32) -> AccountId {
		let node = 100 + AccountId::from(index);
		BenchKeys::mutate(|keys| {
			keys.push((node, <NodeKey as sp_runtime::RuntimeAppPublic>::generate_pair(None)))
		});
		InferenceNodes::mutate(|nodes| nodes.push(node));
		let key = EnclaveKey::from(sp_core::ed25519::Public::from_raw([index as u8; 32]));
		TeeSigners::mutate(|signers| signers.push((node, EnclaveSigner { key, insecure: false })));
		node
	}

	fn spread_pools() {}

	fn inference_node(index: u32, key: NodeKey) -> AccountId {
		let node = 30 + AccountId::from(index);
		BenchKeys::mutate(|keys| keys.push((node, key)));
		InferenceNodes::mutate(|nodes| {
			if index == 0 {
				nodes.clear();
			}
			nodes.push(node);
		});
		node
	}
}

/// Test externalities with a keystore, for the benchmarks, which sign with generated keys.
#[cfg(feature = "runtime-benchmarks")]
pub fn new_bench_ext() -> sp_io::TestExternalities {
	let mut ext = new_test_ext();
	ext.register_extension(sp_keystore::KeystoreExt::new(
		sp_keystore::testing::MemoryKeystore::new(),
	));
	ext.execute_with(BenchKeys::take);
	ext
}

/// Runs `test` in fresh externalities, then checks the pallet's invariants.
pub fn run(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		Inference::do_try_state().unwrap();
	});
}

/// Moves to block `n`, running each block's `on_initialize` and then its `on_idle` (with
/// [`IdleWeight`] left).
pub fn run_to_block(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		opg_primitives::randomness::set_test_randomness(Some(sp_io::hashing::blake2_256(
			&next.to_le_bytes(),
		)));
		Inference::on_initialize(next);
		Inference::on_idle(next, IdleWeight::get());
	}
}
