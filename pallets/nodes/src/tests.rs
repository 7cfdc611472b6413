//! Unit tests: every call, every error path, every event, the liveness sweep and the money. The
//! registry as other pallets use it is in `tests/registry.rs`, selection in `tests/selection.rs`.

// Tests may panic: a panic is a failed test.
#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects,
	clippy::panic
)]

mod registry;
mod selection;

use crate::{mock::*, *};
// The pallet, not its storage item of the same name (which is `NodeRecords` here).
use crate::mock::Nodes;
use crate::Nodes as NodeRecords;
use frame_support::{
	assert_noop, assert_ok,
	pallet_prelude::{InvalidTransaction, TransactionSource, TransactionValidityError},
	traits::{
		fungible::{Inspect, InspectHold},
		Authorize, Hooks,
	},
};
use frame_system::RawOrigin;
use opg_primitives::attestation::{NodeRegistry, NodeRole, RoleSet};
use sp_core::H256;
use sp_runtime::{DispatchError, Perbill};

/// The bond of each node of [`network`].
const BOND: Balance = 1_000;
/// The inference node of [`network`].
const INFERENCE_NODE: AccountId = 1;

/// The verifier role alone.
fn verifier() -> RoleSet {
	NodeRole::Verifier.into()
}

/// The inference role alone.
fn inference() -> RoleSet {
	NodeRole::Inference.into()
}

/// A signed origin of `who`.
fn signed(who: AccountId) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

/// The origin an authorized call (a heartbeat) dispatches with.
fn authorized() -> RuntimeOrigin {
	RawOrigin::Authorized.into()
}

/// Governance's origin.
fn root() -> RuntimeOrigin {
	RuntimeOrigin::root()
}

/// One inference node (1) and seven verifiers (2 to 8), each bonding `BOND`.
fn network() -> ExtBuilder {
	(2..=8).fold(ExtBuilder::default().node(INFERENCE_NODE, inference(), BOND), |builder, who| {
		builder.node(who, verifier(), BOND)
	})
}

/// What the registry holds of `who`'s balance as a bond.
fn held(who: AccountId) -> Balance {
	Balances::balance_on_hold(&HoldReason::NodeBond.into(), &who)
}

/// `who`'s free balance.
fn free(who: AccountId) -> Balance {
	Balances::balance(&who)
}

/// The record of node `who`, which must exist.
fn record(who: AccountId) -> NodeInfoOf<Test> {
	NodeRecords::<Test>::get(who).expect("a registered node")
}

/// Sends `who`'s signed heartbeat for the current period.
fn heartbeat(who: AccountId) -> DispatchResult {
	let (heartbeat, signature) = heartbeat_of(who);
	Nodes::heartbeat(authorized(), heartbeat, signature).map(drop).map_err(|e| e.error)
}

/// All the money there is.
fn total_issuance() -> Balance {
	<Balances as Inspect<AccountId>>::total_issuance()
}

/// Counts a unit of work for `who`, as the attestations and inference pallets do.
fn begin_work(who: AccountId) -> DispatchResult {
	<Nodes as NodeRegistry<_, _>>::begin_work(&who)
}

/// Ends a unit of `who`'s work, as the attestations and inference pallets do.
fn end_work(who: AccountId, outcome: Option<bool>) {
	<Nodes as NodeRegistry<_, _>>::end_work(&who, outcome)
}

/// Slashes `fraction` of `who`'s bond for a proven fault, to the treasury, as the inference
/// pallet does; returns the amount.
fn slash_for_fault(who: AccountId, fraction: Perbill) -> Balance {
	<Nodes as NodeRegistry<_, _>>::slash(&who, fraction)
}

// ---- Registration and bonds ----

#[test]
fn register_holds_the_bond_and_pools_the_node() {
	ExtBuilder::default().build_and_execute(|| {
		let roles = RoleSet::from_roles(&[NodeRole::Inference, NodeRole::Verifier]);
		assert_ok!(Nodes::register(signed(3), roles, key(3), key_proof(3, 3), None, 250));
		System::assert_last_event(
			Event::NodeRegistered { node: 3, roles, key: key(3), bond: 250 }.into(),
		);
		assert_eq!(held(3), 250);
		assert_eq!(free(3), INITIAL_BALANCE - 250);
		assert_eq!(NodeByKey::<Test>::get(key(3)), Some(3));
		assert_eq!(NodeCount::<Test>::get(), 1);
		assert_eq!(Nodes::pool_weight(NodeRole::Inference, &3), Some(250));
		assert_eq!(Nodes::pool_weight(NodeRole::Verifier, &3), Some(250));
		assert_eq!(Nodes::pool_weight(NodeRole::Data, &3), None);
		assert!(Nodes::is_eligible(&3, NodeRole::Verifier));
	});
}

#[test]
fn register_refuses_bad_input_and_moves_nothing() {
	ExtBuilder::default().node(2, verifier(), BOND).build_and_execute(|| {
		let data: RoleSet = NodeRole::Data.into();
		let url = |s: &str| Some(EndpointOf::<Test>::try_from(s.as_bytes().to_vec()).unwrap());
		assert_noop!(
			Nodes::register(signed(2), verifier(), key(9), key_proof(9, 2), None, BOND),
			Error::<Test>::AlreadyRegistered
		);
		assert_noop!(
			Nodes::register(signed(3), RoleSet::empty(), key(3), key_proof(3, 3), None, BOND),
			Error::<Test>::NoRoles
		);
		// Inference and verifier need 100 each.
		let both = RoleSet::from_roles(&[NodeRole::Inference, NodeRole::Verifier]);
		assert_noop!(
			Nodes::register(signed(3), both, key(3), key_proof(3, 3), None, 199),
			Error::<Test>::BondBelowMinimum
		);
		assert_noop!(
			Nodes::register(signed(3), data, key(3), key_proof(3, 3), None, BOND),
			Error::<Test>::BadEndpoint
		);
		assert_noop!(
			Nodes::register(signed(3), verifier(), key(3), key_proof(3, 3), url("http://a"), BOND),
			Error::<Test>::BadEndpoint
		);
		assert_noop!(
			Nodes::register(signed(3), data, key(3), key_proof(3, 3), url("ftp://a"), BOND),
			Error::<Test>::BadEndpoint
		);
		assert_noop!(
			Nodes::register(signed(3), data, key(3), key_proof(3, 3), url("http://a b"), BOND),
			Error::<Test>::BadEndpoint
		);
		assert_noop!(
			Nodes::register(signed(3), verifier(), key(2), key_proof(2, 3), None, BOND),
			Error::<Test>::KeyInUse
		);
		assert_noop!(
			Nodes::register(signed(POOR), verifier(), key(POOR), key_proof(POOR, POOR), None, BOND),
			Error::<Test>::InsufficientFunds
		);
		NodeCount::<Test>::put(10_000);
		assert_noop!(
			Nodes::register(signed(3), verifier(), key(3), key_proof(3, 3), None, BOND),
			Error::<Test>::TooManyNodes
		);
		NodeCount::<Test>::put(1);
		// A data node with an endpoint registers.
		assert_ok!(Nodes::register(
			signed(3),
			data,
			key(3),
			key_proof(3, 3),
			url("https://d.example"),
			50
		));
	});
}

#[test]
fn bond_extra_adds_to_bond_and_weight() {
	network().build_and_execute(|| {
		assert_ok!(Nodes::bond_extra(signed(2), 500));
		System::assert_last_event(Event::Bonded { node: 2, amount: 500 }.into());
		assert_eq!(held(2), BOND + 500);
		assert_eq!(Nodes::pool_weight(NodeRole::Verifier, &2), Some(BOND + 500));
		assert_noop!(Nodes::bond_extra(signed(2), 0), Error::<Test>::ZeroAmount);
		assert_noop!(Nodes::bond_extra(signed(9), 10), Error::<Test>::NotRegistered);
		assert_noop!(
			Nodes::bond_extra(signed(2), INITIAL_BALANCE),
			Error::<Test>::InsufficientFunds
		);
		assert_ok!(Nodes::leave(signed(3)));
		assert_noop!(Nodes::bond_extra(signed(3), 10), Error::<Test>::NodeLeaving);
	});
}

#[test]
fn unbond_then_withdraw_after_the_period() {
	network().build_and_execute(|| {
		assert_ok!(Nodes::unbond(signed(2), 400));
		System::assert_last_event(Event::Unbonding { node: 2, amount: 400, unlock_at: 81 }.into());
		// Still held and slashable, no longer weight.
		assert_eq!(held(2), BOND);
		assert_eq!(Nodes::pool_weight(NodeRole::Verifier, &2), Some(600));
		assert_noop!(Nodes::withdraw_unbonded(signed(2)), Error::<Test>::NothingToWithdraw);
		run_to_block(80);
		assert_noop!(Nodes::withdraw_unbonded(signed(2)), Error::<Test>::NothingToWithdraw);
		run_to_block(81);
		assert_ok!(heartbeat(2));
		assert_ok!(Nodes::withdraw_unbonded(signed(2)));
		System::assert_last_event(Event::Withdrawn { node: 2, amount: 400 }.into());
		assert_eq!(held(2), 600);
		assert_eq!(free(2), INITIAL_BALANCE - 600);
		assert!(record(2).unlocking.is_empty());
	});
}

#[test]
fn unbond_refuses_bad_amounts() {
	network().build_and_execute(|| {
		assert_noop!(Nodes::unbond(signed(2), 0), Error::<Test>::ZeroAmount);
		assert_noop!(Nodes::unbond(signed(2), BOND + 1), Error::<Test>::UnbondExceedsBond);
		assert_noop!(Nodes::unbond(signed(2), 901), Error::<Test>::BondBelowMinimum);
		assert_noop!(Nodes::unbond(signed(9), 1), Error::<Test>::NotRegistered);
		for block in 2..=4 {
			run_to_block(block);
			assert_ok!(Nodes::unbond(signed(2), 10));
		}
		// Same block: merged into the existing chunk.
		assert_ok!(Nodes::unbond(signed(2), 10));
		assert_eq!(record(2).unlocking.len(), 3);
		run_to_block(5);
		assert_noop!(Nodes::unbond(signed(2), 10), Error::<Test>::TooManyUnlockingChunks);
	});
}

#[test]
fn leave_unbonds_everything_and_the_record_goes_with_the_last_withdrawal() {
	network().build_and_execute(|| {
		assert_ok!(Nodes::leave(signed(2)));
		System::assert_last_event(Event::NodeLeaving { node: 2 }.into());
		assert_eq!(record(2).status, NodeStatus::Leaving);
		assert_eq!(Nodes::pool_weight(NodeRole::Verifier, &2), None);
		assert_noop!(Nodes::leave(signed(2)), Error::<Test>::NodeLeaving);
		assert_noop!(Nodes::unbond(signed(2), 1), Error::<Test>::NodeLeaving);
		run_to_block(81);
		assert_ok!(Nodes::withdraw_unbonded(signed(2)));
		System::assert_last_event(Event::NodeRemoved { node: 2 }.into());
		assert!(NodeRecords::<Test>::get(2).is_none());
		assert_eq!(NodeByKey::<Test>::get(key(2)), None);
		assert_eq!(NodeCount::<Test>::get(), 7);
		assert_eq!(held(2), 0);
		assert_eq!(free(2), INITIAL_BALANCE);
		assert_noop!(Nodes::withdraw_unbonded(signed(2)), Error::<Test>::NotRegistered);
	});
}

#[test]
fn a_node_with_open_work_cannot_leave() {
	network().build_and_execute(|| {
		// A claim of the inference node, as the attestations pallet counts it.
		assert_ok!(begin_work(INFERENCE_NODE));
		assert_noop!(Nodes::leave(signed(INFERENCE_NODE)), Error::<Test>::HasOpenWork);
		// The claim stood.
		end_work(INFERENCE_NODE, Some(true));
		assert_ok!(Nodes::leave(signed(INFERENCE_NODE)));
		// Work a consumer began blocks leaving too.
		assert_ok!(begin_work(2));
		assert_noop!(Nodes::leave(signed(2)), Error::<Test>::HasOpenWork);
		end_work(2, Some(true));
		assert_eq!(Reputations::<Test>::get(2).completed, 1);
		assert_ok!(Nodes::leave(signed(2)));
		assert_noop!(begin_work(9), Error::<Test>::NotRegistered);
		// A leaving node takes no new work (no job, claim or round): its bond is on its way out.
		assert_noop!(begin_work(2), Error::<Test>::NodeLeaving);
		assert_noop!(begin_work(INFERENCE_NODE), Error::<Test>::NodeLeaving);
	});
}

#[test]
fn set_roles_changes_roles_within_the_bond() {
	network().build_and_execute(|| {
		let url = EndpointOf::<Test>::try_from(b"http://10.0.0.2:8080".to_vec()).unwrap();
		let roles = RoleSet::from_roles(&[NodeRole::Verifier, NodeRole::Data]);
		assert_ok!(Nodes::set_roles(signed(2), roles, Some(url.clone())));
		System::assert_last_event(Event::RolesChanged { node: 2, roles }.into());
		assert_eq!(Nodes::pool_weight(NodeRole::Data, &2), Some(BOND));
		assert_eq!(record(2).endpoint, Some(url));
		assert_ok!(Nodes::set_roles(signed(2), inference(), None));
		assert_eq!(Nodes::pool_weight(NodeRole::Verifier, &2), None);
		assert_eq!(Nodes::pool_weight(NodeRole::Data, &2), None);
		assert_noop!(Nodes::set_roles(signed(2), RoleSet::empty(), None), Error::<Test>::NoRoles);
		assert_ok!(Nodes::unbond(signed(2), 850));
		let all = RoleSet::from_roles(&NodeRole::DECLARED);
		let url = EndpointOf::<Test>::try_from(b"http://x".to_vec()).unwrap();
		assert_noop!(Nodes::set_roles(signed(2), all, Some(url)), Error::<Test>::BondBelowMinimum);
		assert_noop!(Nodes::set_roles(signed(9), verifier(), None), Error::<Test>::NotRegistered);
		assert_ok!(Nodes::leave(signed(3)));
		assert_noop!(Nodes::set_roles(signed(3), inference(), None), Error::<Test>::NodeLeaving);
	});
}

#[test]
fn set_role_key_moves_the_key_index() {
	network().build_and_execute(|| {
		assert_noop!(
			Nodes::set_role_key(signed(2), key(3), key_proof(3, 2)),
			Error::<Test>::KeyInUse
		);
		assert_noop!(
			Nodes::set_role_key(signed(9), key(9), key_proof(9, 9)),
			Error::<Test>::NotRegistered
		);
		assert_ok!(Nodes::set_role_key(signed(2), key(42), key_proof(42, 2)));
		System::assert_last_event(Event::RoleKeyChanged { node: 2, key: key(42) }.into());
		assert_eq!(NodeByKey::<Test>::get(key(2)), None);
		assert_eq!(Nodes::node_of_key(&key(42)), Some(2));
		assert_eq!(Nodes::role_key(&2), Some(key(42)));
	});
}

// ---- Governance ----

#[test]
fn governance_chills_and_unchills() {
	network().build_and_execute(|| {
		assert_noop!(Nodes::chill(signed(2), 3), DispatchError::BadOrigin);
		assert_ok!(Nodes::chill(root(), 3));
		System::assert_last_event(Event::NodeChilled { node: 3 }.into());
		assert_eq!(Nodes::pool_weight(NodeRole::Verifier, &3), None);
		assert!(!Nodes::is_eligible(&3, NodeRole::Verifier));
		assert_noop!(Nodes::chill(root(), 3), Error::<Test>::AlreadyChilled);
		assert_noop!(Nodes::chill(root(), 9), Error::<Test>::NotRegistered);
		assert_noop!(Nodes::unchill(signed(3), 3), DispatchError::BadOrigin);
		assert_ok!(Nodes::unchill(root(), 3));
		System::assert_last_event(Event::NodeUnchilled { node: 3 }.into());
		assert_eq!(Nodes::pool_weight(NodeRole::Verifier, &3), Some(BOND));
		assert_noop!(Nodes::unchill(root(), 3), Error::<Test>::NotChilled);
	});
}

#[test]
fn set_parameter_changes_one_parameter_within_its_bounds() {
	network().build_and_execute(|| {
		use crate::ParameterChange as Change;
		assert_noop!(
			Nodes::set_parameter(signed(1), Change::MaxMissedHeartbeats(3)),
			DispatchError::BadOrigin
		);
		assert_ok!(Nodes::set_parameter(root(), Change::MaxMissedHeartbeats(3)));
		let parameters = Parameters { max_missed_heartbeats: 3, ..test_parameters() };
		System::assert_last_event(
			Event::ParametersChanged { parameters: parameters.clone() }.into(),
		);
		assert_eq!(ActiveParameters::<Test>::get(), parameters);
		// A second change keeps the first: each referendum changes only its own parameter.
		assert_ok!(Nodes::set_parameter(root(), Change::MinDataBond(70)));
		assert_eq!(
			ActiveParameters::<Test>::get(),
			Parameters { max_missed_heartbeats: 3, min_data_bond: 70, ..test_parameters() }
		);
		// The bounds are inclusive.
		assert_ok!(Nodes::set_parameter(root(), Change::MinInferenceBond(10_000)));
		assert_ok!(Nodes::set_parameter(root(), Change::MinInferenceBond(100)));
		assert_ok!(Nodes::set_parameter(root(), Change::UnbondingPeriod(1_000)));
		assert_ok!(Nodes::set_parameter(root(), Change::HeartbeatPeriod(1_000)));
		let refused = [
			// Outside the runtime's bounds.
			Change::MinInferenceBond(10_001),
			Change::MinDataBond(10_001),
			Change::UnbondingPeriod(1_001),
			Change::HeartbeatPeriod(1_001),
			Change::MaxMissedHeartbeats(11),
			Change::MinVerifierBond(0),
			Change::HeartbeatPeriod(0),
			Change::MaxMissedHeartbeats(0),
			// Inside them, but breaking a relation: an unbonding period that ends before a
			// dispute over the node's last claim could.
			Change::UnbondingPeriod(LONGEST_WORK_BLOCKS),
		];
		for change in refused {
			assert_noop!(
				Nodes::set_parameter(root(), change),
				Error::<Test>::ParametersOutOfBounds
			);
		}
	});
}

#[test]
fn the_unbonding_period_must_outlast_the_longest_work() {
	network().build_and_execute(|| {
		use crate::ParameterChange as Change;
		// The mock's longest work is 69 blocks: the unbonding period must be 70 or more.
		for period in [1, 10, LONGEST_WORK_BLOCKS] {
			assert_noop!(
				Nodes::set_parameter(root(), Change::UnbondingPeriod(period)),
				Error::<Test>::ParametersOutOfBounds
			);
		}
		assert_ok!(Nodes::set_parameter(root(), Change::UnbondingPeriod(LONGEST_WORK_BLOCKS + 1)));
		assert_eq!(ActiveParameters::<Test>::get().unbonding_period, 70);
		// What the attestations pallet reads for its side of the relation.
		assert_eq!(crate::UnbondingPeriod::<Test>::get(), 70);
		// Should the work grow longer (the attestations pallet's periods), no change passes
		// until the unbonding period outlasts it again.
		LongestWork::set(100);
		assert_noop!(
			Nodes::set_parameter(root(), Change::MaxMissedHeartbeats(3)),
			Error::<Test>::ParametersOutOfBounds
		);
		assert_noop!(
			Nodes::set_parameter(root(), Change::UnbondingPeriod(100)),
			Error::<Test>::ParametersOutOfBounds
		);
		assert_ok!(Nodes::set_parameter(root(), Change::UnbondingPeriod(101)));
		assert_ok!(Nodes::set_parameter(root(), Change::MaxMissedHeartbeats(3)));
		LongestWork::set(LONGEST_WORK_BLOCKS);
		// Every relation `check` enforces.
		let parameters = test_parameters();
		assert_eq!(parameters.check(LONGEST_WORK_BLOCKS), Ok(()));
		assert_eq!(parameters.check(80), Err(ParameterError::UnbondingTooShort));
		assert_eq!(
			Parameters { min_data_bond: 0, ..test_parameters() }.check(LONGEST_WORK_BLOCKS),
			Err(ParameterError::ZeroBond)
		);
		assert_eq!(
			Parameters { heartbeat_period: 0, ..test_parameters() }.check(LONGEST_WORK_BLOCKS),
			Err(ParameterError::ZeroPeriod)
		);
		assert_eq!(
			Parameters { max_missed_heartbeats: 0, ..test_parameters() }.check(LONGEST_WORK_BLOCKS),
			Err(ParameterError::MaxMissed)
		);
	});
}

// ---- Heartbeats and liveness ----

#[test]
fn a_heartbeat_is_authorized_once_per_period_and_lands() {
	network().build_and_execute(|| {
		run_to_block(12);
		let (beat, signature) = heartbeat_of(2);
		let call =
			Call::<Test>::heartbeat { heartbeat: beat.clone(), signature: signature.clone() };
		let (validity, _) = call.authorize(TransactionSource::External).unwrap().unwrap();
		assert_eq!(validity.longevity, 8);
		assert_ok!(Nodes::heartbeat(authorized(), beat.clone(), signature.clone()));
		System::assert_last_event(Event::HeartbeatReceived { node: 2, period_start: 10 }.into());
		assert_eq!(record(2).last_heartbeat, Some(12));
		// A replay in the same period is stale, before the pool and in the block.
		assert_eq!(
			call.authorize(TransactionSource::External).unwrap(),
			Err(TransactionValidityError::Invalid(InvalidTransaction::Stale))
		);
		assert_noop!(
			Nodes::heartbeat(authorized(), beat, signature),
			Error::<Test>::DuplicateHeartbeat
		);
		// Only the authorized origin may call it.
		let (beat, signature) = heartbeat_of(3);
		assert_noop!(Nodes::heartbeat(signed(3), beat, signature), DispatchError::BadOrigin);
	});
}

#[test]
fn bad_heartbeats_are_refused_before_the_pool() {
	network().build_and_execute(|| {
		run_to_block(12);
		let validity = |beat: Heartbeat<AccountId, u64>, signature| {
			Call::<Test>::heartbeat { heartbeat: beat, signature }
				.authorize(TransactionSource::External)
				.unwrap()
				.map(|_| ())
		};
		// Signed by another key.
		let (beat, _) = heartbeat_of(2);
		let (_, wrong) = heartbeat_of(3);
		assert_eq!(validity(beat, wrong), Err(InvalidTransaction::BadProof.into()));
		// (The call trusts the signature `authorize` verified in the same block: the authorized
		// origin exists only after it.)
		// From a key no node registered.
		let (beat, signature) = heartbeat_of(9);
		assert_eq!(validity(beat, signature), Err(InvalidTransaction::BadSigner.into()));
		// For a stale or future period.
		for period_start in [0, 20, 11] {
			let beat = Heartbeat { node: 2, period_start };
			let signature = sign(2, &SignedStatement::Heartbeat(&beat));
			let index = Error::<Test>::WrongPeriod.encode()[0];
			assert_eq!(
				validity(beat.clone(), signature.clone()),
				Err(InvalidTransaction::Custom(index).into())
			);
			assert_noop!(
				Nodes::heartbeat(authorized(), beat, signature),
				Error::<Test>::WrongPeriod
			);
		}
		// From a leaving node.
		assert_ok!(Nodes::leave(signed(3)));
		let (beat, signature) = heartbeat_of(3);
		let index = Error::<Test>::NodeLeaving.encode()[0];
		assert_eq!(
			validity(beat.clone(), signature.clone()),
			Err(InvalidTransaction::Custom(index).into())
		);
		assert_noop!(Nodes::heartbeat(authorized(), beat, signature), Error::<Test>::NodeLeaving);
	});
}

#[test]
fn a_silent_node_goes_inactive_and_its_heartbeat_brings_it_back() {
	network().build_and_execute(|| {
		// Everyone but node 2 beats every period; max two missed periods.
		for block in 1..=40 {
			run_to_block(block);
			if block % 10 == 1 {
				for who in (1..=8).filter(|who| *who != 2) {
					assert_ok!(heartbeat(who));
				}
			}
		}
		// Registered at genesis (period 0): stale from period 3 (block 30) on.
		assert!(!Nodes::is_eligible(&2, NodeRole::Verifier));
		assert_eq!(record(2).status, NodeStatus::Inactive { since: 30 });
		assert!(events()
			.contains(&Event::NodeInactive { node: 2, reason: InactiveReason::MissedHeartbeats }));
		assert_eq!(Nodes::pool_weight(NodeRole::Verifier, &2), None);
		assert!(NodeRecords::<Test>::iter()
			.all(|(who, node)| who == 2 || node.status == NodeStatus::Active));
		assert_ok!(heartbeat(2));
		System::assert_last_event(Event::NodeReactivated { node: 2 }.into());
		assert_eq!(record(2).status, NodeStatus::Active);
		assert_eq!(Nodes::pool_weight(NodeRole::Verifier, &2), Some(BOND));
		// Periods 0 to 3 passed without a heartbeat: 3 whole periods missed before period 4.
		assert_eq!(Reputations::<Test>::get(2).missed_heartbeats, 3);
	});
}

#[test]
fn a_heartbeat_that_changes_no_pool_is_refunded_to_an_active_nodes_weight() {
	use crate::weights::WeightInfo;
	network().build_and_execute(|| {
		// The call's weight covers its authorization, which a bare transaction pays nothing
		// else for.
		let active = <() as WeightInfo>::heartbeat_active()
			.saturating_add(<() as WeightInfo>::authorize_heartbeat());
		let send = |who| {
			let (beat, signature) = heartbeat_of(who);
			Nodes::heartbeat(authorized(), beat, signature).expect("a valid heartbeat")
		};
		// An active node stays in its pools: refunded.
		assert_eq!(send(1).actual_weight, Some(active));
		// A node back from silence re-enters its pools: charged in full.
		run_to_block(40);
		assert_eq!(record(2).status, NodeStatus::Inactive { since: 30 });
		assert_eq!(send(2).actual_weight, None);
		assert_eq!(record(2).status, NodeStatus::Active);
	});
}

#[test]
fn selection_skips_a_stale_node_before_the_sweep_reaches_it() {
	ExtBuilder::default().node(2, verifier(), BOND).node(3, verifier(), BOND).build_and_execute(
		|| {
			System::set_block_number(31);
			assert_ok!(heartbeat(3));
			// Node 2 is stale but not yet marked: selection passes over it.
			assert_eq!(record(2).status, NodeStatus::Active);
			assert!(Nodes::node_view(2).unwrap().stale);
			for n in 0..20 {
				assert_eq!(
					Nodes::select_nodes(NodeRole::Verifier, subject(n), 1, &[]),
					Ok(vec![3])
				);
			}
			assert_eq!(
				Nodes::select_nodes(NodeRole::Verifier, subject(0), 2, &[]),
				Err(Error::<Test>::NotEnoughNodes.into())
			);
		},
	);
}

#[test]
fn the_offchain_worker_sends_a_heartbeat_for_each_local_role_key() {
	use sp_core::offchain::{testing, OffchainDbExt, OffchainWorkerExt, TransactionPoolExt};
	use sp_keystore::{testing::MemoryKeystore, Keystore, KeystoreExt};

	let mut ext = network().build();
	let (offchain, _) = testing::TestOffchainExt::new();
	let (pool, pool_state) = testing::TestTransactionPoolExt::new();
	let keystore = MemoryKeystore::new();
	keystore
		.sr25519_generate_new(opg_primitives::attestation::NODE_KEY_TYPE, Some("//node2"))
		.unwrap();
	keystore
		.sr25519_generate_new(opg_primitives::attestation::NODE_KEY_TYPE, Some("//stranger"))
		.unwrap();
	ext.register_extension(OffchainWorkerExt::new(offchain.clone()));
	ext.register_extension(OffchainDbExt::new(offchain));
	ext.register_extension(TransactionPoolExt::new(pool));
	ext.register_extension(KeystoreExt::new(keystore));
	ext.execute_with(|| {
		// Node 2 beats from its own block of the period 10..20, in the period's first half.
		let from = Nodes::beat_from(&2, 10, &ActiveParameters::<Test>::get());
		assert!((10..15).contains(&from), "{from}");
		run_to_block(from);
		if from > 10 {
			Nodes::offchain_worker(from - 1);
			assert!(pool_state.read().transactions.is_empty(), "not before its offset");
		}
		Nodes::offchain_worker(from);
		// One transaction: node 2's; the stranger's key belongs to no node.
		assert_eq!(pool_state.read().transactions.len(), 1);
		// Sent already: no second copy in the next block.
		Nodes::offchain_worker(from + 1);
		assert_eq!(pool_state.read().transactions.len(), 1);
		let bytes = pool_state.write().transactions.pop().unwrap();
		let extrinsic =
			frame_system::mocking::MockUncheckedExtrinsic::<Test>::decode(&mut &bytes[..]).unwrap();
		let RuntimeCall::Nodes(call) = extrinsic.function else { panic!("not ours") };
		assert!(call.authorize(TransactionSource::Local).unwrap().is_ok());
		let Call::heartbeat { heartbeat, signature } = call else { panic!("not a heartbeat") };
		assert_eq!(heartbeat, Heartbeat { node: 2, period_start: 10 });
		assert_ok!(Nodes::heartbeat(authorized(), heartbeat, signature));
		// Landed: nothing more to send this period.
		Nodes::offchain_worker(from + 2);
		assert!(pool_state.read().transactions.is_empty());
		Nodes::do_try_state().unwrap();
	});
}

#[test]
fn nodes_beat_at_offsets_spread_over_the_first_half_of_the_period() {
	network().build_and_execute(|| {
		let parameters = Parameters { heartbeat_period: 600, ..test_parameters() };
		let offsets: Vec<u64> =
			(0..1_000u64).map(|who| Nodes::beat_from(&who, 1_200, &parameters) - 1_200).collect();
		assert!(offsets.iter().all(|offset| *offset < 300));
		// Spread: no block of the half period gets more than a few times its share (3.3).
		let mut per_block = [0u32; 300];
		for offset in offsets {
			per_block[offset as usize] += 1;
		}
		assert!(per_block.iter().all(|count| *count <= 14), "{per_block:?}");
	});
}

#[test]
fn heartbeats_beyond_a_blocks_cap_wait_in_the_pool_below_every_payer() {
	network().build_and_execute(|| {
		run_to_block(12);
		let call = |who| {
			let (heartbeat, signature) = heartbeat_of(who);
			Call::<Test>::heartbeat { heartbeat, signature }
		};
		// Lowest priority: any paying transaction goes first.
		let (validity, _) = call(2).authorize(TransactionSource::External).unwrap().unwrap();
		assert_eq!(validity.priority, 0);
		// The mock's cap: two a block (its 8 nodes beat every 10 blocks: 2 a block are room
		// for twice them).
		for who in [2, 3] {
			let (heartbeat, signature) = heartbeat_of(who);
			assert!(call(who).authorize(TransactionSource::InBlock).unwrap().is_ok());
			assert_ok!(Nodes::heartbeat(authorized(), heartbeat, signature));
		}
		// The third is refused in this block as exhausting it, so the author leaves it in the
		// pool; the pool still takes it.
		assert_eq!(
			call(4).authorize(TransactionSource::InBlock).unwrap().map(|_| ()),
			Err(InvalidTransaction::ExhaustsResources.into())
		);
		assert!(call(4).authorize(TransactionSource::External).unwrap().is_ok());
		// The next block includes it.
		run_to_block(13);
		assert!(call(4).authorize(TransactionSource::InBlock).unwrap().is_ok());
	});
}

#[test]
fn every_period_keeps_room_for_two_heartbeats_of_each_node() {
	network().build_and_execute(|| {
		use crate::ParameterChange as Change;
		// The mock: 2 heartbeats a block, a 10-block period: room for 10 nodes; 8 registered.
		assert_eq!(NodeCount::<Test>::get(), 8);
		let register = |who| {
			Nodes::register(signed(who), verifier(), key(who), key_proof(who, who), None, BOND)
		};
		assert_ok!(register(9));
		assert_ok!(register(10));
		// An eleventh node would leave a period too short for twice the nodes' heartbeats at
		// the cap, so late heartbeats could take more of a block than the cap: refused.
		assert_noop!(register(11), Error::<Test>::NoHeartbeatRoom);
		// So is a shorter period while ten are registered.
		assert_noop!(
			Nodes::set_parameter(root(), Change::HeartbeatPeriod(9)),
			Error::<Test>::NoHeartbeatRoom
		);
		// Governance lengthens the period first; then the node registers.
		assert_ok!(Nodes::set_parameter(root(), Change::HeartbeatPeriod(11)));
		assert_ok!(register(11));
		assert!(!Nodes::has_heartbeat_room(12, &ActiveParameters::<Test>::get()));
	});
}

#[test]
fn a_heartbeat_still_waiting_in_the_second_half_of_its_period_ranks_above_payers() {
	network().build_and_execute(|| {
		let priority = |who| {
			let (heartbeat, signature) = heartbeat_of(who);
			let call = Call::<Test>::heartbeat { heartbeat, signature };
			call.authorize(TransactionSource::External).unwrap().unwrap().0.priority
		};
		// The mock's period is 10 blocks: 20 to 24 are its first half, when nodes send.
		for block in 20..25 {
			run_to_block(block);
			assert_eq!(priority(2), 0, "block {block}");
		}
		// A copy resent from block 25 on, its first not in a block yet, outranks payers.
		for block in 25..30 {
			run_to_block(block);
			assert_eq!(priority(2), crate::LATE_HEARTBEAT_PRIORITY, "block {block}");
		}
		// A new period starts low again.
		run_to_block(30);
		assert_eq!(priority(2), 0);
	});
}

// ---- Invariants ----

#[test]
fn try_state_catches_a_hold_that_differs_from_the_record() {
	network().build().execute_with(|| {
		NodeRecords::<Test>::mutate(2, |node| node.as_mut().unwrap().bonded += 1);
		assert!(Nodes::do_try_state().is_err());
	});
}

#[test]
fn try_state_catches_a_pool_that_differs_from_the_nodes() {
	network().build().execute_with(|| {
		PoolTree::<Test>::mutate(NodeRole::Verifier, 1, |weight| *weight += 1);
		assert!(Nodes::do_try_state().is_err());
	});
	network().build().execute_with(|| {
		Nodes::pool_remove(NodeRole::Verifier, &3);
		assert!(Nodes::do_try_state().is_err());
	});
}

#[test]
fn try_state_catches_a_count_or_key_index_that_differs_from_the_nodes() {
	network().build().execute_with(|| {
		NodeCount::<Test>::put(9);
		assert!(Nodes::do_try_state().is_err());
	});
	network().build().execute_with(|| {
		NodeByKey::<Test>::insert(key(42), 2);
		assert!(Nodes::do_try_state().is_err());
	});
	network().build().execute_with(|| {
		NodeByKey::<Test>::remove(key(2));
		assert!(Nodes::do_try_state().is_err());
	});
}

// ---- Genesis ----

#[test]
fn genesis_registers_nodes_with_their_bonds() {
	network().build_and_execute(|| {
		assert_eq!(NodeCount::<Test>::get(), 8);
		assert_eq!(held(5), BOND);
		assert_eq!(PoolSizes::<Test>::get(NodeRole::Verifier), PoolSize { len: 7, capacity: 8 });
		assert_eq!(ActiveParameters::<Test>::get(), test_parameters());
		let view = Nodes::node_view(5).unwrap();
		assert_eq!((view.bonded, view.stale, view.open_work), (BOND, false, 0));
		assert_eq!(Nodes::nodes_page(None, 3).len(), 3);
		assert_eq!(Nodes::nodes_page(None, 100).len(), 8);
		let first = Nodes::nodes_page(None, 1)[0];
		assert_eq!(Nodes::nodes_page(Some(first), 100).len(), 7);
	});
}

// ---- Fixes from review: key proofs, bonds, slashed leavers, selection seeds ----

#[test]
fn registering_or_rotating_a_key_needs_its_signature() {
	network().build_and_execute(|| {
		// Account 9 cannot claim key 10, nor sign for another account.
		assert_noop!(
			Nodes::register(signed(9), verifier(), key(10), key_proof(9, 9), None, BOND),
			Error::<Test>::BadSignature
		);
		assert_noop!(
			Nodes::register(signed(9), verifier(), key(9), key_proof(9, 10), None, BOND),
			Error::<Test>::BadSignature
		);
		assert_noop!(
			Nodes::set_role_key(signed(2), key(43), key_proof(42, 2)),
			Error::<Test>::BadSignature
		);
		assert_ok!(Nodes::register(signed(9), verifier(), key(9), key_proof(9, 9), None, BOND));
	});
}

#[test]
fn an_under_bonded_node_goes_inactive_and_more_bond_brings_it_back() {
	network().build_and_execute(|| {
		// 95% slashed: 50 left of a 100 minimum.
		slash_for_fault(2, Perbill::from_percent(95));
		assert!(events()
			.contains(&Event::NodeInactive { node: 2, reason: InactiveReason::UnderBonded }));
		assert_eq!(Nodes::pool_weight(NodeRole::Verifier, &2), None);
		assert_ok!(Nodes::bond_extra(signed(2), 50));
		System::assert_last_event(Event::NodeReactivated { node: 2 }.into());
		assert_eq!(Nodes::pool_weight(NodeRole::Verifier, &2), Some(100));
		// A raised minimum: the sweep marks those below it.
		assert_ok!(Nodes::set_parameter(root(), ParameterChange::MinVerifierBond(500)));
		assert!(!Nodes::is_eligible(&2, NodeRole::Verifier));
		run_to_block(4);
		assert!(matches!(record(2).status, NodeStatus::Inactive { .. }));
		assert_eq!(record(3).status, NodeStatus::Active);
	});
}

#[test]
fn a_leaving_node_slashed_to_nothing_can_still_go() {
	network().build_and_execute(|| {
		assert_ok!(Nodes::leave(signed(2)));
		slash_for_fault(2, Perbill::one());
		assert_eq!(held(2), 0);
		assert_ok!(Nodes::withdraw_unbonded(signed(2)));
		System::assert_last_event(Event::NodeRemoved { node: 2 }.into());
		assert!(NodeRecords::<Test>::get(2).is_none());
	});
}

#[test]
fn selection_follows_the_blocks_randomness_and_nothing_an_author_can_change() {
	// The same subject in the same state is drawn differently under different randomness (a
	// later block's VRF output, which nobody but its author knew when the subject went in), the
	// same under the same randomness whatever the parent hash (a re-signed, re-sealed parent
	// changes no draw).
	network().build_and_execute(|| {
		let draw = |randomness: u8, parent: u64| {
			opg_primitives::randomness::set_test_randomness(Some([randomness; 32]));
			System::set_parent_hash(H256::from_low_u64_be(parent));
			Nodes::select_nodes(NodeRole::Verifier, subject(1), 5, &[]).unwrap()
		};
		let draws: Vec<_> = (0..8).map(|randomness| draw(randomness, 1)).collect();
		assert!(draws.iter().all(|chosen| chosen.len() == 5));
		assert!(draws.windows(2).any(|pair| pair[0] != pair[1]));
		for parent in 2..6 {
			assert_eq!(draw(3, parent), draws[3], "the parent hash changes nothing");
		}
	});
}

#[test]
fn a_block_without_randomness_draws_nobody() {
	network().build_and_execute(|| {
		opg_primitives::randomness::set_test_randomness(None);
		assert_noop!(
			Nodes::select_nodes(NodeRole::Verifier, subject(1), 1, &[]),
			Error::<Test>::NoRandomness
		);
		opg_primitives::randomness::set_test_randomness(Some([7; 32]));
		assert_ok!(Nodes::select_nodes(NodeRole::Verifier, subject(1), 1, &[]));
	});
}
