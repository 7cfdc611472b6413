//! Benchmarks of every call and hook, worst case each: pools as deep as `MaxNodes` allows (every
//! pool update walks the whole height of its tree), nodes in every role, the `Tee` role among
//! them, and selection among 10,000 nodes.

// Benchmark set-up runs only in benchmark builds, never from an extrinsic: a panic there is a
// failed benchmark.
#![allow(clippy::expect_used, clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use super::*;
use frame_benchmarking::v2::*;
use frame_support::traits::{fungible::Mutate, Authorize};
use frame_system::RawOrigin;
use opg_primitives::attestation::{signing_message, NodeRegistry as _, SubjectId, TeeRoles as _};
use sp_runtime::{traits::Bounded, RuntimeAppPublic};

/// The most nodes the selection benchmark registers.
const SELECTION_NODES: u32 = 10_000;

/// The entries of every pool in the benchmarks that update pools: their nodes spread among
/// stale entries (`Pallet::spread_pools_for_benchmarks`), as among 10,000 registered nodes.
const POOL_ENTRIES: u32 = 10_000;

/// The largest selection the benchmarks measure (a committee, a job's nodes).
const MAX_SELECTED: u32 = 16;

/// The most subjects `select_each` draws for in a benchmark: a block's queued jobs
/// (`pallet-inference`'s `MaxAssignmentsPerBlock` in the runtime).
const MAX_DRAWN_EACH: u32 = 1_024;

/// Every role a node declares.
fn all_roles() -> RoleSet {
	RoleSet::from_roles(&NodeRole::DECLARED)
}

/// The longest endpoint the pallet accepts.
fn endpoint<T: Config>() -> EndpointOf<T> {
	let mut url = b"https://".to_vec();
	url.resize(T::MaxEndpointLen::get() as usize, b'a');
	EndpointOf::<T>::truncate_from(url)
}

/// A role key that nobody can sign with: enough for nodes that only need to exist.
fn dummy_key(seed: u32) -> NodeKey {
	NodeKey::from(sp_core::sr25519::Public::from_raw(sp_io::hashing::blake2_256(
		&(b"bench-key", seed).encode(),
	)))
}

/// Gives `who` plenty of balance.
fn fund<T: Config>(who: &T::AccountId) {
	let plenty = BalanceOf::<T>::max_value() / 1_000_000u32.into();
	T::Currency::set_balance(who, plenty);
}

/// A bond that covers every role, scaled by `weight` so pools hold distinct weights.
fn bond<T: Config>(weight: u32) -> BalanceOf<T> {
	Pallet::<T>::required_bond(all_roles(), &ActiveParameters::<T>::get())
		.saturating_mul((weight % 97 + 1).into())
}

/// Chills the nodes the chain started with, so selections come from the benchmark's own nodes.
fn chill_genesis_nodes<T: Config>() {
	let nodes: Vec<T::AccountId> =
		Nodes::<T>::iter().filter(|(_, node)| !node.chilled).map(|(who, _)| who).collect();
	for who in nodes {
		Pallet::<T>::chill(RawOrigin::Root.into(), who).expect("root chills");
	}
}

/// Registers node `index` for `roles` with `key`.
fn add_node<T: Config>(index: u32, roles: RoleSet, key: NodeKey) -> T::AccountId {
	let who: T::AccountId = account("node", index, 0);
	fund::<T>(&who);
	// Selection needs the block's randomness, which a benchmark's block has only when given.
	<T::Randomness as opg_primitives::randomness::BlockRandomness>::prepare_for_benchmarks();
	let endpoint = roles.contains(NodeRole::Data).then(endpoint::<T>);
	Pallet::<T>::make_heartbeat_room(NodeCount::<T>::get().saturating_add(1));
	Pallet::<T>::do_register(&who, roles, key, endpoint, bond::<T>(index))
		.expect("a funded node registers");
	who
}

/// Registers node `index` for `roles` with a fresh key from the keystore, which can sign.
fn add_signing_node<T: Config>(index: u32, roles: RoleSet) -> T::AccountId {
	add_node::<T>(index, roles, NodeKey::generate_pair(None))
}

/// The role key's signature of `statement`.
fn sign<T: Config>(key: &NodeKey, statement: &StatementOf<'_, T>) -> NodeKeySignature {
	let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
	key.sign(&signing_message(&genesis, statement)).expect("the keystore holds the key")
}

/// `who`'s signed heartbeat for the current period.
fn heartbeat_call<T: Config>(who: &T::AccountId) -> Call<T> {
	let parameters = ActiveParameters::<T>::get();
	let period_start =
		Pallet::<T>::period_start(frame_system::Pallet::<T>::block_number(), &parameters);
	let heartbeat = Heartbeat { node: who.clone(), period_start };
	let key = Nodes::<T>::get(who).expect("a node").key;
	let signature = sign::<T>(&key, &SignedStatement::Heartbeat(&heartbeat));
	Call::heartbeat { heartbeat, signature }
}

/// Moves to the first block at which every node registered now is stale.
fn make_everyone_stale<T: Config>() {
	let parameters = ActiveParameters::<T>::get();
	let silence =
		parameters.heartbeat_period.saturating_mul((parameters.max_missed_heartbeats + 2).into());
	frame_system::Pallet::<T>::set_block_number(
		frame_system::Pallet::<T>::block_number() + silence,
	);
}

/// The subject the selection benchmark draws for.
fn subject() -> SubjectId {
	SubjectId::repeat_byte(0x5B)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register() {
		Pallet::<T>::spread_pools_for_benchmarks(POOL_ENTRIES);
		let who: T::AccountId = whitelisted_caller();
		fund::<T>(&who);
		let amount = bond::<T>(1);
		let key = NodeKey::generate_pair(None);
		let proof = sign::<T>(&key, &SignedStatement::KeyOwnership { account: &who });
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), all_roles(), key, proof, Some(endpoint::<T>()), amount);
		assert!(Nodes::<T>::contains_key(&who));
	}

	#[benchmark]
	fn bond_extra() {
		let who = add_node::<T>(1, all_roles(), dummy_key(1));
		Pallet::<T>::spread_pools_for_benchmarks(POOL_ENTRIES);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), 1_000u32.into());
		assert_eq!(Nodes::<T>::get(&who).expect("a node").bonded, bond::<T>(1) + 1_000u32.into());
	}

	#[benchmark]
	fn unbond() -> Result<(), BenchmarkError> {
		let who = add_node::<T>(1, all_roles(), dummy_key(1));
		Pallet::<T>::spread_pools_for_benchmarks(POOL_ENTRIES);
		Pallet::<T>::bond_extra(RawOrigin::Signed(who.clone()).into(), 1_000u32.into())?;
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), 1_000u32.into());
		assert_eq!(Nodes::<T>::get(&who).expect("a node").unlocking.len(), 1);
		Ok(())
	}

	/// A leaving TEE node withdrawing its last funds: its record goes, and with it its TEE
	/// registration ([`Config::Enclaves`]).
	#[benchmark]
	fn withdraw_unbonded() -> Result<(), BenchmarkError> {
		let who = add_node::<T>(1, all_roles(), dummy_key(1));
		Pallet::<T>::spread_pools_for_benchmarks(POOL_ENTRIES);
		Pallet::<T>::grant_tee_role(&who);
		Pallet::<T>::leave(RawOrigin::Signed(who.clone()).into())?;
		let unbonding = ActiveParameters::<T>::get().unbonding_period;
		frame_system::Pallet::<T>::set_block_number(
			frame_system::Pallet::<T>::block_number() + unbonding,
		);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert!(!Nodes::<T>::contains_key(&who));
		Ok(())
	}

	#[benchmark]
	fn leave() {
		let who = add_node::<T>(1, all_roles(), dummy_key(1));
		// A node after it, so leaving moves it into the freed slots.
		add_node::<T>(2, all_roles(), dummy_key(2));
		Pallet::<T>::spread_pools_for_benchmarks(POOL_ENTRIES);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert_eq!(Nodes::<T>::get(&who).expect("a node").status, NodeStatus::Leaving);
	}

	#[benchmark]
	fn set_roles() -> Result<(), BenchmarkError> {
		let who = add_node::<T>(1, NodeRole::Inference.into(), dummy_key(1));
		add_node::<T>(2, NodeRole::Inference.into(), dummy_key(2));
		Pallet::<T>::spread_pools_for_benchmarks(POOL_ENTRIES);
		Pallet::<T>::bond_extra(RawOrigin::Signed(who.clone()).into(), bond::<T>(1))?;
		// A TEE node: dropping the inference role takes the `Tee` role and ends its
		// registration too.
		Pallet::<T>::grant_tee_role(&who);
		let roles = RoleSet::from_roles(&[NodeRole::Verifier, NodeRole::Data]);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), roles, Some(endpoint::<T>()));
		assert_eq!(Nodes::<T>::get(&who).expect("a node").roles, roles);
		Ok(())
	}

	#[benchmark]
	fn set_role_key() {
		let who = add_node::<T>(1, all_roles(), dummy_key(1));
		let key = NodeKey::generate_pair(None);
		let proof = sign::<T>(&key, &SignedStatement::KeyOwnership { account: &who });
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), key.clone(), proof);
		assert_eq!(NodeByKey::<T>::get(key), Some(who));
	}

	#[benchmark]
	fn heartbeat() {
		// An inactive node in all roles: its heartbeat puts it back in three pools.
		let who = add_signing_node::<T>(1, all_roles());
		add_node::<T>(2, all_roles(), dummy_key(2));
		Pallet::<T>::spread_pools_for_benchmarks(POOL_ENTRIES);
		make_everyone_stale::<T>();
		let now = frame_system::Pallet::<T>::block_number();
		// Every node, however many the chain started with.
		Pallet::<T>::sweep_liveness_up_to(now, NodeCount::<T>::get());
		assert!(matches!(
			Nodes::<T>::get(&who).expect("a node").status,
			NodeStatus::Inactive { .. }
		));
		let Call::heartbeat { heartbeat: beat, signature } = heartbeat_call::<T>(&who) else {
			unreachable!()
		};
		#[extrinsic_call]
		_(RawOrigin::Authorized, beat, signature);
		assert_eq!(Nodes::<T>::get(&who).expect("a node").status, NodeStatus::Active);
	}

	/// An active node's heartbeat, the one nearly every node sends: it stays in its pools.
	/// It missed a period before this one (reputation is written), not enough to be inactive.
	#[benchmark]
	fn heartbeat_active() {
		let who = add_signing_node::<T>(1, all_roles());
		add_node::<T>(2, all_roles(), dummy_key(2));
		Pallet::<T>::spread_pools_for_benchmarks(POOL_ENTRIES);
		let parameters = ActiveParameters::<T>::get();
		assert!(parameters.max_missed_heartbeats >= 1, "a node may miss a period");
		frame_system::Pallet::<T>::set_block_number(
			frame_system::Pallet::<T>::block_number() + parameters.heartbeat_period * 2u32.into(),
		);
		let Call::heartbeat { heartbeat: beat, signature } = heartbeat_call::<T>(&who) else {
			unreachable!()
		};
		#[extrinsic_call]
		heartbeat(RawOrigin::Authorized, beat, signature);
		assert_eq!(Nodes::<T>::get(&who).expect("a node").status, NodeStatus::Active);
		assert!(Reputations::<T>::get(&who).missed_heartbeats > 0);
	}

	#[benchmark]
	fn authorize_heartbeat() -> Result<(), BenchmarkError> {
		let who = add_signing_node::<T>(1, all_roles());
		let call = heartbeat_call::<T>(&who);
		#[block]
		{
			call.authorize(TransactionSource::External)
				.ok_or("the call authorizes")?
				.map_err(|_| "the heartbeat is valid")?;
		}
		Ok(())
	}

	#[benchmark]
	fn chill() {
		let who = add_node::<T>(1, all_roles(), dummy_key(1));
		add_node::<T>(2, all_roles(), dummy_key(2));
		Pallet::<T>::spread_pools_for_benchmarks(POOL_ENTRIES);
		#[extrinsic_call]
		_(RawOrigin::Root, who.clone());
		assert!(Nodes::<T>::get(&who).expect("a node").chilled);
	}

	#[benchmark]
	fn unchill() -> Result<(), BenchmarkError> {
		let who = add_node::<T>(1, all_roles(), dummy_key(1));
		Pallet::<T>::spread_pools_for_benchmarks(POOL_ENTRIES);
		Pallet::<T>::chill(RawOrigin::Root.into(), who.clone())?;
		#[extrinsic_call]
		_(RawOrigin::Root, who.clone());
		assert!(!Nodes::<T>::get(&who).expect("a node").chilled);
		Ok(())
	}

	/// One change, checked against the bounds and every relation: the active value of a
	/// parameter every relation allows, so the change passes whatever the chain's parameters.
	#[benchmark]
	fn set_parameter() -> Result<(), BenchmarkError> {
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let missed = ActiveParameters::<T>::get().max_missed_heartbeats;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, ParameterChange::MaxMissedHeartbeats(missed));
		assert_eq!(ActiveParameters::<T>::get().max_missed_heartbeats, missed);
		Ok(())
	}

	/// The liveness sweep checking `n` nodes, each found stale and taken out of three pools.
	#[benchmark]
	fn sweep_liveness(n: Linear<1, { 64 }>) {
		for index in 0..n + 1 {
			add_node::<T>(index, all_roles(), dummy_key(index));
		}
		Pallet::<T>::spread_pools_for_benchmarks(POOL_ENTRIES);
		make_everyone_stale::<T>();
		let now = frame_system::Pallet::<T>::block_number();
		#[block]
		{
			Pallet::<T>::sweep_liveness_up_to(now, n);
		}
	}

	/// Choosing `k` verifiers among `n` registered ones (10,000 at most), with distinct stakes.
	#[benchmark]
	fn select(n: Linear<16, { SELECTION_NODES }>, k: Linear<1, { MAX_SELECTED }>) {
		// The chain's own nodes count against MaxNodes: as many as fit, up to n.
		let n = n.min(T::MaxNodes::get() - NodeCount::<T>::get());
		chill_genesis_nodes::<T>();
		for index in 0..n {
			add_node::<T>(index, NodeRole::Verifier.into(), dummy_key(index));
		}
		let chosen;
		#[block]
		{
			chosen = Pallet::<T>::select(NodeRole::Verifier, subject(), k, &[]);
		}
		assert_eq!(chosen.expect("enough verifiers").len(), k as usize);
	}

	/// One draw for each of `k` subjects (a block's queued jobs) among `n` registered inference
	/// nodes (10,000 at most), with distinct stakes.
	#[benchmark]
	fn select_each(n: Linear<16, { SELECTION_NODES }>, k: Linear<1, { MAX_DRAWN_EACH }>) {
		let n = n.min(T::MaxNodes::get() - NodeCount::<T>::get());
		chill_genesis_nodes::<T>();
		for index in 0..n {
			add_node::<T>(index, NodeRole::Inference.into(), dummy_key(index));
		}
		let subjects: alloc::vec::Vec<SubjectId> = (0..k)
			.map(|index| SubjectId::from(sp_io::hashing::blake2_256(&index.to_le_bytes())))
			.collect();
		let chosen;
		#[block]
		{
			chosen = Pallet::<T>::select_node_each(NodeRole::Inference, &subjects);
		}
		let chosen = chosen.expect("the block has randomness");
		assert!(chosen.iter().all(Option::is_some), "every subject gets a node");
	}

	impl_benchmark_test_suite!(
		Pallet,
		crate::mock::ExtBuilder::default().build_with_keystore(),
		crate::mock::Test
	);
}
