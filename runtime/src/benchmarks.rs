//! The pallets `frame-benchmarking-cli` benchmarks in this runtime.

frame_benchmarking::define_benchmarks!(
	[frame_benchmarking, BaselineBench::<Runtime>]
	[frame_system, SystemBench::<Runtime>]
	[frame_system_extensions, SystemExtensionsBench::<Runtime>]
	[pallet_balances, Balances]
	[pallet_timestamp, Timestamp]
	[pallet_sudo, Sudo]
	[pallet_utility, Utility]
	[pallet_preimage, Preimage]
	[pallet_scheduler, Scheduler]
	[pallet_referenda, Referenda]
	[pallet_conviction_voting, ConvictionVoting]
	[pallet_treasury, Treasury]
	[pallet_model_registry, ModelRegistry]
	[pallet_nodes, Nodes]
	[pallet_attestations, Attestations]
	[pallet_tee, Tee]
	[pallet_inference, Inference]
	[pallet_zk_ceremony, ZkCeremony]
);

/// The entries of every pool in the benchmarks that update or draw from pools: their nodes
/// spread among stale entries (`pallet_nodes::Pallet::spread_pools_for_benchmarks`), as among
/// 10,000 registered nodes.
pub const POOL_ENTRIES: u32 = 10_000;

/// What the OPG pallets' benchmarks need from the pallets around them: bonded nodes from the
/// node registry (in pools as deep as it allows), funds, and the chain's clock.
pub struct Helper;

impl Helper {
	/// Gives `who` plenty of OPG.
	fn fund(who: &crate::AccountId) {
		use frame_support::traits::fungible::Mutate;
		crate::Balances::set_balance(who, u128::MAX / 1_000_000);
	}

	/// Registers `who`, funded, for `roles` with role key `key`, bonded `weight` times what the
	/// roles need.
	fn register(
		who: &crate::AccountId,
		roles: opg_primitives::attestation::RoleSet,
		key: opg_primitives::attestation::NodeKey,
		weight: u32,
	) {
		Self::fund(who);
		// Pool updates at their worst case: trees as tall as the registry allows.
		crate::Nodes::deepen_pools_for_benchmarks();
		let parameters = pallet_nodes::ActiveParameters::<crate::Runtime>::get();
		let bond = crate::Nodes::required_bond(roles, &parameters).saturating_mul(weight.into());
		crate::Nodes::register_for_benchmarks(who, roles, key, bond)
			.expect("a funded benchmark node registers");
	}
}

impl pallet_attestations::BenchmarkHelper<crate::AccountId> for Helper {
	fn register_node(
		who: &crate::AccountId,
		role: opg_primitives::attestation::NodeRole,
		key: opg_primitives::attestation::NodeKey,
		weight: u32,
	) {
		Self::register(who, role.into(), key, weight.max(1));
	}

	fn fund(who: &crate::AccountId) {
		Self::fund(who);
	}

	fn spread_pools() {
		crate::Nodes::spread_pools_for_benchmarks(POOL_ENTRIES);
	}

	fn subject() -> opg_primitives::attestation::SubjectId {
		opg_primitives::inference::job_subject(u64::MAX - 1)
	}

	fn publish(subject: opg_primitives::attestation::SubjectId, output: alloc::vec::Vec<u8>) {
		if let Some(job) = opg_primitives::inference::subject_job(&subject) {
			let output: pallet_inference::EncodedOutput<crate::Runtime> =
				output.try_into().expect("benchmark outputs fit MaxOutputBytes");
			pallet_inference::Outputs::<crate::Runtime>::insert(job, output);
		}
	}
}

impl pallet_zk_ceremony::BenchmarkHelper<crate::AccountId> for Helper {
	fn register_node(who: &crate::AccountId, role: opg_primitives::attestation::NodeRole) {
		use sp_runtime::traits::{BlakeTwo256, Hash};
		let seed = BlakeTwo256::hash(&codec::Encode::encode(&(b"ceremony-bench-key", who)));
		let key =
			opg_primitives::attestation::NodeKey::from(sp_core::sr25519::Public::from_raw(seed.0));
		Self::register(who, role.into(), key, 1);
	}

	fn fund(who: &crate::AccountId) {
		Self::fund(who);
	}

	fn version() -> pallet_zk_ceremony::CeremonyId {
		use pallet_inference::BenchmarkHelper;
		(crate::configs::inference::benchmarks::InferenceBenchmarks::runnable_model(4), 1)
	}

	fn prepare_draws() {
		<crate::configs::consensus::BabeVrfRandomness as opg_primitives::randomness::BlockRandomness>::prepare_for_benchmarks();
	}
}

impl pallet_tee::BenchmarkHelper<crate::AccountId> for Helper {
	fn set_unix_time(secs: u64) {
		pallet_timestamp::Now::<crate::Runtime>::put(secs.saturating_mul(1_000));
	}

	fn inference_node(index: u32) -> crate::AccountId {
		let who: crate::AccountId = frame_benchmarking::account("tee-node", index, 0);
		use sp_runtime::traits::{BlakeTwo256, Hash};
		let seed = BlakeTwo256::hash(&codec::Encode::encode(&(b"tee-bench-key", index)));
		let key =
			opg_primitives::attestation::NodeKey::from(sp_core::sr25519::Public::from_raw(seed.0));
		Self::register(&who, opg_primitives::attestation::NodeRole::Inference.into(), key, 1);
		who
	}
}
