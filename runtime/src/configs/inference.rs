//! Inference jobs: fees, deadlines, limits, and the pallets it works with (the model registry
//! for models, attestations for nodes, claims and rounds).
//!
//! The production parameters below are [`ProductionParameters`]; the dev and local presets set
//! short periods (see `genesis_config_presets`). Governance changes them one at a time: fees
//! and shares on the fees track, deadlines, slashes and retention on the node-parameters track,
//! each within [`minimum_parameters`] and [`maximum_parameters`].

use frame_support::{
	parameter_types,
	traits::{ConstU32, EitherOf},
	weights::Weight,
};
use frame_system::EnsureRoot;
use opg_primitives::currency::{MILLI_OPG, OPG};
use pallet_inference::{FeeShares, Parameters};
use sp_runtime::Perbill;

use crate::{
	configs::{attestations::NodeParametersOrigin, governance::origins, monetary::TreasuryAccount},
	AccountId, Attestations, Balance, Balances, BlockNumber, ModelRegistry, Nodes, Runtime,
	RuntimeHoldReason, DAYS, MINUTES,
};

/// The parameters of a production chain, and why:
///
/// - Protocol fees: 0.01 OPG on a vanilla request, 0.05 OPG on an attested one (a committee of
///   five re-executes it), 0.02 OPG on a ZK one (one proof verified on chain), on top of the
///   model's price.
/// - Shares of the whole fee: 70% to the model owner (the price is theirs), 15% to the node,
///   10% to the verifiers who agreed, the rest (5%) to the treasury.
/// - A node has two minutes to answer (20 blocks); one that does not loses 1% of its bond and
///   the job goes to another node once. A ZK proof that does not verify costs the node 5% of
///   its bond; after three the job goes to another node.
/// - Finished jobs stay readable for a day, then are pruned.
/// - The answer's bytes (the largest the model's outputs allow at the request's batch) are
///   paid by the request: 0.000001 OPG a byte of fee, as the length fee charges for a
///   transaction's own bytes, and a deposit of 0.0001 OPG a byte (the chain's storage deposit)
///   held until the job is pruned.
pub fn production_parameters() -> Parameters<Balance, BlockNumber> {
	Parameters {
		vanilla_fee: 10 * MILLI_OPG,
		attested_fee: 50 * MILLI_OPG,
		zk_fee: 20 * MILLI_OPG,
		shares: FeeShares {
			owner: Perbill::from_percent(70),
			node: Perbill::from_percent(15),
			verifiers: Perbill::from_percent(10),
		},
		response_period: 2 * MINUTES,
		timeout_slash: Perbill::from_percent(1),
		invalid_proof_slash: Perbill::from_percent(5),
		retention: DAYS,
		output_byte_fee: crate::configs::monetary::LENGTH_FEE,
		output_byte_deposit: opg_primitives::currency::deposit(0, 1),
	}
}

/// The dev and local chains' parameters: production fees, five-block deadlines and a short
/// retention, so a demo and the end-to-end tests see every state within a minute.
pub fn dev_parameters() -> Parameters<Balance, BlockNumber> {
	Parameters { response_period: 5, retention: 100, ..production_parameters() }
}

/// The least each parameter may be: free requests are allowed (a chain may subsidise them),
/// any split, deadlines of one block, no timeout slash (a node may simply have failed), 1% for
/// a bad proof (a node has three tries a job: a free one would let it guess), finished jobs kept
/// 10 blocks.
pub fn minimum_parameters() -> Parameters<Balance, BlockNumber> {
	Parameters {
		vanilla_fee: 0,
		attested_fee: 0,
		zk_fee: 0,
		shares: FeeShares {
			owner: Perbill::zero(),
			node: Perbill::zero(),
			verifiers: Perbill::zero(),
		},
		response_period: 1,
		timeout_slash: Perbill::zero(),
		invalid_proof_slash: Perbill::from_percent(1),
		retention: 10,
		output_byte_fee: 0,
		output_byte_deposit: 0,
	}
}

/// The most each parameter may be: protocol fees of 100 OPG a request (ten thousand times
/// today's), any split up to the whole fee, an hour to answer, 10% of a bond for a missed
/// deadline (the node may simply have failed), 20% for a bad proof (which it cannot produce by
/// accident), finished jobs kept 30 days, a thousand times today's output byte fee and a hundred
/// times its deposit.
pub fn maximum_parameters() -> Parameters<Balance, BlockNumber> {
	Parameters {
		vanilla_fee: 100 * OPG,
		attested_fee: 100 * OPG,
		zk_fee: 100 * OPG,
		shares: FeeShares {
			owner: Perbill::one(),
			node: Perbill::one(),
			verifiers: Perbill::one(),
		},
		response_period: 60 * MINUTES,
		timeout_slash: Perbill::from_percent(10),
		invalid_proof_slash: Perbill::from_percent(20),
		retention: 30 * DAYS,
		output_byte_fee: MILLI_OPG,
		output_byte_deposit: opg_primitives::currency::deposit(0, 100),
	}
}

parameter_types! {
	pub ProductionParameters: Parameters<Balance, BlockNumber> = production_parameters();
	pub MinimumParameters: Parameters<Balance, BlockNumber> = minimum_parameters();
	pub MaximumParameters: Parameters<Balance, BlockNumber> = maximum_parameters();
}

/// Largest input or output, encoded: 64 KiB (a 28x28 image as fixed-point numbers is 14 KiB).
pub const MAX_TENSOR_BYTES: u32 = 64 * 1024;

/// The most queued jobs assigned in one block (`MaxAssignmentsPerBlock`).
pub const MAX_ASSIGNMENTS_PER_BLOCK: u32 = 1_024;

parameter_types! {
	/// The assignment hook's share of a block: 135 ms, about 100 jobs drawn among 10,000
	/// nodes (93 ms for the draws' set-up in the inference and TEE pools at their largest,
	/// 0.33 ms a job; see `crate::configs::hook_budget`).
	pub const AssignmentBudget: Weight = crate::configs::hook_budget(135);
	/// The timeout hook's share of a block: 45 ms, 6 silent nodes slashed out of three pools
	/// among 10,000 entries and their jobs drawn again (44.2 ms with the hook's base; the rest
	/// wait, in order), or hundreds of answered jobs' deadlines (66 µs each). The hook charges
	/// what each deadline took, so its whole budget is what it may take.
	pub const TimeoutBudget: Weight = crate::configs::hook_budget(45);
}

impl pallet_inference::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	/// Deadlines, slashes and retention: the node-parameters track (or root).
	type GovernanceOrigin = NodeParametersOrigin;
	/// Protocol fees and shares: the fees track (or root).
	type FeeOrigin = EitherOf<EnsureRoot<AccountId>, origins::FeeAdmin>;
	type Models = ModelRegistry;
	type Nodes = Nodes;
	type Enclaves = crate::Tee;
	type Attestations = Attestations;
	type TreasuryAccount = TreasuryAccount;
	type OnFinal = ();
	type DefaultParameters = ProductionParameters;
	type MinimumParameters = MinimumParameters;
	type MaximumParameters = MaximumParameters;
	type MaxInputBytes = ConstU32<MAX_TENSOR_BYTES>;
	type MaxOutputBytes = ConstU32<MAX_TENSOR_BYTES>;
	/// 224 deadlines and 224 prunings per block at most; the budgets below (timeouts) and
	/// the room `on_idle` finds (pruning) usually stop them earlier, and the rest wait in order.
	type MaxQueuedPerBlock = ConstU32<224>;
	type TimeoutBudget = TimeoutBudget;
	/// A block's requests at the throughput target (1,000 per 6 s block) are all assigned in
	/// the next block.
	type MaxAssignmentsPerBlock = ConstU32<MAX_ASSIGNMENTS_PER_BLOCK>;
	type AssignmentBudget = AssignmentBudget;
	/// A minute of 6 s blocks for a queued job to find an eligible node.
	type AssignmentWait = ConstU32<10>;
	type MaxCommitteeSize = ConstU32<{ crate::configs::attestations::MAX_COMMITTEE_SIZE }>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = benchmarks::InferenceBenchmarks;
	type WeightInfo = pallet_inference::weights::SubstrateWeight<Runtime>;
}

/// What the inference benchmarks need from the model registry and the node registry, set up
/// through their calls.
#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarks {
	use alloc::vec;
	use frame_benchmarking::account;
	use frame_support::traits::fungible::Mutate;
	use frame_system::RawOrigin;
	use opg_primitives::{
		attestation::{NodeKey, NodeRole, RoleSet},
		inference::{FixedPoint, Tensor, TensorValues, Tensors, Tolerance},
		model::{
			chunk_hash, content_id_from_chunk_hashes, Dim, IoSchema, ModeSet, ModelId, TensorDtype,
			TensorSpec, ZkArtifacts,
		},
	};
	use sp_runtime::{traits::Get, BoundedVec, RuntimeAppPublic};

	use crate::{AccountId, Balances, ModelRegistry, Nodes, Runtime, Tee};

	fn fund(who: &AccountId) {
		Balances::set_balance(who, u128::MAX / 1_000_000);
	}

	fn spec(name: &[u8], width: u32) -> TensorSpec {
		TensorSpec {
			name: BoundedVec::truncate_from(name.to_vec()),
			dtype: TensorDtype::Float32,
			shape: BoundedVec::truncate_from(vec![Dim::Dynamic, Dim::Fixed(width)]),
		}
	}

	/// Sets up the benchmarks' model and inference nodes.
	pub struct InferenceBenchmarks;

	/// Registers node `who`'s enclave, whose key the keystore holds, through the dev enclave:
	/// its cost is the pallet's, the quote's verification is benchmarked with `register_tee`.
	fn register_enclave(who: &AccountId, enclave_key: opg_primitives::tee::EnclaveKey) {
		pallet_tee::InsecureDevEnclaveAllowed::<Runtime>::put(true);
		let measurement = opg_primitives::tee::Measurement::InsecureDevEnclave;
		if !pallet_tee::AllowedMeasurements::<Runtime>::contains_key(measurement.id()) {
			Tee::allow_measurement(RawOrigin::Root.into(), measurement)
				.expect("root allows the dev enclave");
		}
		let genesis = frame_system::Pallet::<Runtime>::block_hash(0);
		let message = opg_primitives::tee::insecure_registration_message(&genesis, who);
		let key_proof = enclave_key.sign(&message).expect("the keystore holds the key");
		Tee::register_tee(
			RawOrigin::Signed(who.clone()).into(),
			pallet_tee::TeeEvidence::InsecureDevEnclave { key_proof },
			enclave_key,
		)
		.expect("an inference node registers its enclave");
	}

	/// Registers, uploads and approves a one-chunk model with `schema` and `modes`.
	fn register(schema: IoSchema, modes: ModeSet, zk: Option<ZkArtifacts>) -> ModelId {
		let owner: AccountId = account("model-owner", 0, 0);
		fund(&owner);
		let bytes = b"benchmark model".to_vec();
		let chunk_size = <Runtime as pallet_model_registry::Config>::ChunkSize::get();
		let hashes = vec![chunk_hash(&bytes)];
		let version = pallet_model_registry::VersionSpec {
			schema,
			modes,
			tolerance: Tolerance::EXACT,
			zk,
			content_id: content_id_from_chunk_hashes(chunk_size, bytes.len() as u64, &hashes),
			byte_size: bytes.len() as u64,
			chunk_hashes: BoundedVec::truncate_from(hashes),
		};
		let model = pallet_model_registry::NextModelId::<Runtime>::get();
		ModelRegistry::register_model(
			RawOrigin::Signed(owner.clone()).into(),
			BoundedVec::truncate_from(b"benchmark".to_vec()),
			Default::default(),
			1_000,
			version,
		)
		.expect("the benchmark model registers");
		ModelRegistry::upload_chunk(
			RawOrigin::Signed(owner).into(),
			model,
			1,
			0,
			BoundedVec::truncate_from(bytes),
		)
		.expect("its only chunk uploads");
		// Approval may be required of every version, and is of every ZK version.
		if pallet_model_registry::Versions::<Runtime>::get(model, 1).is_some_and(|v| !v.approved) {
			ModelRegistry::approve_version(RawOrigin::Root.into(), model, 1)
				.expect("root approves");
		}
		model
	}

	impl pallet_inference::BenchmarkHelper<AccountId> for InferenceBenchmarks {
		fn runnable_model(width: u32) -> ModelId {
			let schema = IoSchema {
				inputs: BoundedVec::truncate_from(vec![spec(b"x", width)]),
				outputs: BoundedVec::truncate_from(vec![spec(b"y", width)]),
			};
			register(schema, ModeSet { vanilla: true, attested: true, zk: false }, None)
		}

		fn zk_model() -> (ModelId, Tensors, Tensors) {
			let fixture = opg_zk::fixture::mlp().expect("the fixture decodes");
			let tensor_spec = |name: &[u8], dtype, width| TensorSpec {
				name: BoundedVec::truncate_from(name.to_vec()),
				dtype,
				shape: BoundedVec::truncate_from(vec![Dim::Fixed(1), Dim::Fixed(width)]),
			};
			let schema = IoSchema {
				inputs: BoundedVec::truncate_from(vec![tensor_spec(b"x", TensorDtype::Int8, 16)]),
				outputs: BoundedVec::truncate_from(vec![tensor_spec(b"y", TensorDtype::Int32, 4)]),
			};
			let zk = ZkArtifacts {
				verifying_key: BoundedVec::truncate_from(fixture.verifying_key),
				proving_key_hash: fixture.proving_key_hash.into(),
				constraints: fixture.constraints,
			};
			let model =
				register(schema, ModeSet { vanilla: false, attested: false, zk: true }, Some(zk));
			let ints = |name: &[u8], values: &[i64]| -> Tensors {
				let numbers: alloc::vec::Vec<FixedPoint> = values
					.iter()
					.map(|v| FixedPoint { value: i128::from(*v), decimals: 0 })
					.collect();
				BoundedVec::truncate_from(vec![Tensor {
					name: BoundedVec::truncate_from(name.to_vec()),
					shape: BoundedVec::truncate_from(vec![1, values.len() as u32]),
					values: TensorValues::Numbers(BoundedVec::truncate_from(numbers)),
				}])
			};
			(model, ints(b"x", &fixture.input), ints(b"y", &fixture.output))
		}

		fn tee_node(
			index: u32,
			key: NodeKey,
			enclave_key: opg_primitives::tee::EnclaveKey,
		) -> AccountId {
			let who = Self::inference_node(index, key);
			register_enclave(&who, enclave_key);
			who
		}

		fn slashable_node(index: u32) -> AccountId {
			let who: AccountId = account("slashable-node", index, 0);
			fund(&who);
			let roles = RoleSet::from_roles(&[NodeRole::Inference, NodeRole::Verifier]);
			let bond =
				Nodes::required_bond(roles, &pallet_nodes::ActiveParameters::<Runtime>::get());
			let key = NodeKey::generate_pair(None);
			Nodes::register_for_benchmarks(&who, roles, key, bond)
				.expect("a funded node registers");
			register_enclave(&who, opg_primitives::tee::EnclaveKey::generate_pair(None));
			who
		}

		fn spread_pools() {
			Nodes::spread_pools_for_benchmarks(crate::benchmarks::POOL_ENTRIES);
		}

		fn inference_node(index: u32, key: NodeKey) -> AccountId {
			if index == 0 {
				// The chain's own nodes are chilled, so jobs go to nodes whose keys the
				// benchmark's keystore holds.
				let genesis_nodes: alloc::vec::Vec<AccountId> =
					pallet_nodes::Nodes::<Runtime>::iter_keys().collect();
				for node in genesis_nodes {
					let _ = Nodes::chill(RawOrigin::Root.into(), node);
				}
			}
			// Jobs are drawn from the block's VRF randomness, which a benchmark's block has only
			// when given.
			<crate::configs::consensus::BabeVrfRandomness as opg_primitives::randomness::BlockRandomness>::prepare_for_benchmarks();
			let who: AccountId = account("inference-node", index, 0);
			fund(&who);
			let genesis = frame_system::Pallet::<Runtime>::block_hash(0);
			let statement: pallet_nodes::StatementOf<'_, Runtime> =
				opg_primitives::attestation::SignedStatement::KeyOwnership { account: &who };
			let proof = key
				.sign(&opg_primitives::attestation::signing_message(&genesis, &statement))
				.expect("the keystore holds the key");
			// Well above the minimum: the timeout benchmark slashes nodes, and a node slashed
			// below its minimum could take no more jobs.
			let bond = pallet_nodes::ActiveParameters::<Runtime>::get()
				.min_inference_bond
				.saturating_mul(100);
			Nodes::register(
				RawOrigin::Signed(who.clone()).into(),
				NodeRole::Inference.into(),
				key,
				proof,
				None,
				bond,
			)
			.expect("a funded node registers");
			who
		}
	}
}
