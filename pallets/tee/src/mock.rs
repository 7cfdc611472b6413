//! A test runtime: `frame_system` and the TEE pallet, with a small node registry of its own
//! ([`MockNodes`]) standing in for pallet-nodes, Intel's root as the runtime pins it, and a
//! clock tests can move.

// Tests may panic: a panic is a failed test.
#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects,
	clippy::panic
)]

use std::collections::BTreeMap;

use crate::{self as pallet_tee, TeeNodes};
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU32, ConstU64},
};
use frame_system::EnsureRoot;
use opg_primitives::{
	attestation::{NodeRole, RoleSet, TeeIneligible, TeeRoles},
	tee::EnclaveRegistry,
};
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = u64;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Tee: pallet_tee,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

/// A node as the mock registry keeps it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct MockNode {
	/// Its roles, `Tee` included while it holds it.
	pub roles: RoleSet,
	/// Whether it is leaving.
	pub leaving: bool,
}

parameter_types! {
	/// The test chain's unix time: inside the DCAP samples' validity window unless a test moves it.
	pub static UnixNow: u64 = opg_primitives::tee::samples::SAMPLE_TIME;
	pub static DevEnclaveAllowed: bool = false;
	/// The node registry: each node's roles and whether it is leaving.
	pub static MockNodes: BTreeMap<AccountId, MockNode> = BTreeMap::new();
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

/// The node registry as pallet-nodes implements it, over [`MockNodes`].
pub struct MockRegistry;
impl TeeRoles<AccountId> for MockRegistry {
	fn check_tee_candidate(who: &AccountId) -> Result<(), TeeIneligible> {
		let node = MockNodes::get().get(who).copied().ok_or(TeeIneligible::NotRegistered)?;
		if node.leaving {
			return Err(TeeIneligible::Leaving);
		}
		if !node.roles.contains(NodeRole::Inference) {
			return Err(TeeIneligible::NotAnInferenceNode);
		}
		Ok(())
	}

	fn grant_tee_role(who: &AccountId) {
		MockNodes::mutate(|nodes| {
			if let Some(node) = nodes.get_mut(who) {
				node.roles = node.roles.with(NodeRole::Tee);
			}
		});
	}

	fn revoke_tee_role(who: &AccountId) {
		MockNodes::mutate(|nodes| {
			if let Some(node) = nodes.get_mut(who) {
				node.roles = node.roles.without(NodeRole::Tee);
			}
		});
	}
}

impl pallet_tee::Config for Test {
	type Nodes = MockRegistry;
	type TeeOrigin = EnsureRoot<AccountId>;
	type UnixTime = TestTime;
	type TeeTrustAnchor = IntelRootCa;
	type MaxQuoteAge = ConstU64<10>;
	type MaxTeeNodesPerMeasurement = ConstU32<3>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = TestBenchmarkHelper;
	type WeightInfo = ();
}

/// What the benchmarks need: the clock, and inference nodes in the mock registry.
#[cfg(feature = "runtime-benchmarks")]
pub struct TestBenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for TestBenchmarkHelper {
	fn set_unix_time(secs: u64) {
		UnixNow::set(secs);
	}

	fn inference_node(index: u32) -> AccountId {
		let who = 1_000 + AccountId::from(index);
		add_node(who, NodeRole::Inference.into());
		who
	}
}

/// Registers `who` in the mock registry for `roles`.
pub fn add_node(who: AccountId, roles: RoleSet) {
	MockNodes::mutate(|nodes| nodes.insert(who, MockNode { roles, leaving: false }));
}

/// `who`'s record in the mock registry.
pub fn node(who: AccountId) -> Option<MockNode> {
	MockNodes::get().get(&who).copied()
}

/// Whether `who` holds the `Tee` role in the mock registry.
pub fn has_tee_role(who: AccountId) -> bool {
	node(who).is_some_and(|node| node.roles.contains(NodeRole::Tee))
}

/// The nodes holding the `Tee` role, in account order.
pub fn tee_role_holders() -> Vec<AccountId> {
	MockNodes::get()
		.into_iter()
		.filter(|(_, node)| node.roles.contains(NodeRole::Tee))
		.map(|(who, _)| who)
		.collect()
}

/// `who` changes its roles as pallet-nodes' `set_roles` does: it keeps the `Tee` role while it
/// stays an inference node, and otherwise its TEE registration ends.
pub fn set_roles(who: AccountId, roles: RoleSet) {
	let had_tee = has_tee_role(who);
	let roles = if had_tee && roles.contains(NodeRole::Inference) {
		roles.with(NodeRole::Tee)
	} else {
		roles
	};
	MockNodes::mutate(|nodes| nodes.get_mut(&who).expect("a node").roles = roles);
	if !roles.contains(NodeRole::Tee) {
		<Tee as EnclaveRegistry<AccountId>>::deregister(&who);
	}
}

/// `who` starts leaving, as pallet-nodes' `leave` does: its TEE registration stands until the
/// node is removed.
pub fn leave(who: AccountId) {
	MockNodes::mutate(|nodes| nodes.get_mut(&who).expect("a node").leaving = true);
}

/// `who`'s bond is all withdrawn, as in pallet-nodes' `withdraw_unbonded`: its TEE
/// registration ends, then its record goes.
pub fn remove_node(who: AccountId) {
	<Tee as EnclaveRegistry<AccountId>>::deregister(&who);
	MockNodes::mutate(|nodes| nodes.remove(&who));
}

/// Builds test externalities and checks the pallet's invariants after each test.
#[derive(Default)]
pub struct ExtBuilder {
	nodes: Vec<(AccountId, RoleSet)>,
}

impl ExtBuilder {
	/// Registers `who` in the mock registry for `roles`.
	pub fn node(mut self, who: AccountId, roles: RoleSet) -> Self {
		self.nodes.push((who, roles));
		self
	}

	pub fn build(self) -> sp_io::TestExternalities {
		let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
		pallet_tee::GenesisConfig::<Test> {
			allow_insecure_dev_enclave: DevEnclaveAllowed::get(),
			..Default::default()
		}
		.assimilate_storage(&mut storage)
		.unwrap();
		MockNodes::take();
		for (who, roles) in self.nodes {
			add_node(who, roles);
		}
		let mut ext = sp_io::TestExternalities::new(storage);
		ext.execute_with(|| System::set_block_number(1));
		ext
	}

	/// Test externalities with a keystore, for benchmarks that sign with enclave keys.
	#[cfg(feature = "runtime-benchmarks")]
	pub fn build_with_keystore(self) -> sp_io::TestExternalities {
		let mut ext = self.build();
		ext.register_extension(sp_keystore::KeystoreExt::new(
			sp_keystore::testing::MemoryKeystore::new(),
		));
		ext
	}

	/// Runs `test`, then `try_state`, then the check the runtime makes across pallets: the
	/// registry's `Tee` role holders are exactly the registered TEE nodes.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		self.build().execute_with(|| {
			test();
			Tee::do_try_state().expect("invariants hold after the test");
			let mut registered: Vec<AccountId> = TeeNodes::<Test>::iter_keys().collect();
			registered.sort();
			assert_eq!(tee_role_holders(), registered, "the Tee role without a registration");
		});
	}
}

/// The events this pallet deposited so far.
pub fn events() -> Vec<crate::Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|record| match record.event {
			RuntimeEvent::Tee(event) => Some(event),
			_ => None,
		})
		.collect()
}

/// Advances to block `n`.
pub fn run_to_block(n: u64) {
	System::set_block_number(n);
}
