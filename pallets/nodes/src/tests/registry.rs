//! The registry as other pallets use it: slashes for faults (the inference pallet) and for
//! rounds (the attestations pallet), open work and reputation, what a node's standing shows,
//! and the `Tee` role the TEE pallet grants and takes back.

use super::*;
use frame_support::traits::{fungible::Balanced, Imbalance};
use opg_primitives::attestation::{NodeStanding, SlashBond, TeeIneligible, TeeRoles};

#[test]
fn a_consumer_slashes_for_a_proven_fault() {
	network().build_and_execute(|| {
		let issuance = total_issuance();
		// Everything goes to the treasury.
		assert_eq!(slash_for_fault(INFERENCE_NODE, Perbill::from_percent(10)), 100);
		assert_eq!(held(INFERENCE_NODE), 900);
		assert_eq!(free(INFERENCE_NODE), INITIAL_BALANCE - BOND);
		assert_eq!(free(TREASURY), 1 + 100);
		assert_eq!(total_issuance(), issuance);
		System::assert_has_event(
			Event::Slashed { who: INFERENCE_NODE, amount: 100, reason: SlashReason::Fault }.into(),
		);
		assert_eq!(
			Reputations::<Test>::get(INFERENCE_NODE),
			Reputation { slashes: 1, slashed: 100, ..Default::default() }
		);
		assert_eq!(Nodes::pool_weight(NodeRole::Inference, &INFERENCE_NODE), Some(900));
		// No node, nothing to slash.
		assert_eq!(slash_for_fault(42, Perbill::from_percent(10)), 0);
		assert_eq!(free(TREASURY), 1 + 100);
	});
}

#[test]
fn a_round_slashes_through_slash_bond_and_pays_out_the_credit_itself() {
	network().build_and_execute(|| {
		let issuance = total_issuance();
		let credit = <Nodes as SlashBond<_, _>>::slash_bond(
			&2,
			Perbill::from_percent(50),
			SlashReason::MinorityReveal,
		);
		assert_eq!(credit.peek(), 500);
		assert_eq!(held(2), 500);
		System::assert_last_event(
			Event::Slashed { who: 2, amount: 500, reason: SlashReason::MinorityReveal }.into(),
		);
		assert_eq!(
			Reputations::<Test>::get(2),
			Reputation { slashes: 1, slashed: 500, ..Default::default() }
		);
		// The slashed weigh less in the next selection.
		assert_eq!(Nodes::pool_weight(NodeRole::Verifier, &2), Some(500));
		assert!(Nodes::is_eligible(&2, NodeRole::Verifier));
		// Nothing went to the treasury: the caller pays the winners from the credit.
		assert_eq!(free(TREASURY), 1);
		assert!(Balances::resolve(&3, credit).is_ok());
		assert_eq!(free(3), INITIAL_BALANCE - BOND + 500);
		assert_eq!(total_issuance(), issuance);
		// A second slash adds up, with its own reason.
		let credit = <Nodes as SlashBond<_, _>>::slash_bond(
			&2,
			Perbill::from_percent(20),
			SlashReason::NoReveal,
		);
		assert_eq!(credit.peek(), 100);
		System::assert_last_event(
			Event::Slashed { who: 2, amount: 100, reason: SlashReason::NoReveal }.into(),
		);
		assert_eq!(
			Reputations::<Test>::get(2),
			Reputation { slashes: 2, slashed: 600, ..Default::default() }
		);
		assert!(Balances::resolve(&TREASURY, credit).is_ok());
		assert_eq!(total_issuance(), issuance);
		// No node, or nothing to take: no credit, no event, no record.
		let events_before = System::events().len();
		let credit = <Nodes as SlashBond<_, _>>::slash_bond(
			&42,
			Perbill::from_percent(50),
			SlashReason::FalseClaim,
		);
		assert_eq!(credit.peek(), 0);
		let credit =
			<Nodes as SlashBond<_, _>>::slash_bond(&3, Perbill::zero(), SlashReason::FalseClaim);
		assert_eq!(credit.peek(), 0);
		assert_eq!(System::events().len(), events_before);
		assert_eq!(Reputations::<Test>::get(3), Reputation::default());
	});
}

#[test]
fn a_slash_reaches_unbonding_funds() {
	network().build_and_execute(|| {
		assert_ok!(Nodes::unbond(signed(2), 800));
		assert_eq!(slash_for_fault(2, Perbill::from_percent(50)), 500);
		let node = record(2);
		assert_eq!(node.bonded, 0);
		assert_eq!(node.unlocking[0].amount, 500);
		assert_eq!(held(2), 500);
		// Under the minimum: never selected.
		assert!(!Nodes::is_eligible(&2, NodeRole::Verifier));
	});
}

#[test]
fn work_ends_with_an_outcome_for_the_reputation_or_with_none() {
	network().build_and_execute(|| {
		for _ in 0..4 {
			assert_ok!(begin_work(2));
		}
		assert_eq!(record(2).open_work, 4);
		assert_eq!(Nodes::node_view(2).unwrap().open_work, 4);
		// Upheld, overturned, undecided.
		end_work(2, Some(true));
		end_work(2, Some(false));
		end_work(2, None);
		assert_eq!(record(2).open_work, 1);
		assert_eq!(
			Reputations::<Test>::get(2),
			Reputation { completed: 1, failed: 1, ..Default::default() }
		);
		end_work(2, None);
		assert_eq!(record(2).open_work, 0);
		assert_eq!(Reputations::<Test>::get(2).completed + Reputations::<Test>::get(2).failed, 2);
		// Nothing open: the count stays at zero.
		end_work(2, None);
		assert_eq!(record(2).open_work, 0);
		assert_ok!(Nodes::leave(signed(2)));
	});
}

#[test]
fn standing_keys_and_endpoints_are_what_other_pallets_see() {
	network().build_and_execute(|| {
		assert_eq!(
			Nodes::standing(&INFERENCE_NODE),
			Some(NodeStanding { roles: inference(), leaving: false })
		);
		assert_eq!(Nodes::standing(&42), None);
		assert_eq!(Nodes::role_key(&2), Some(key(2)));
		assert_eq!(Nodes::node_of_key(&key(2)), Some(2));
		assert_eq!(Nodes::node_of_key(&key(42)), None);
		// The endpoints of the data pool's nodes.
		assert!(Nodes::data_endpoints(10).is_empty());
		let url = b"https://data.example".to_vec();
		let endpoint = EndpointOf::<Test>::try_from(url.clone()).unwrap();
		let data = NodeRole::Data.into();
		assert_ok!(Nodes::register(signed(9), data, key(9), key_proof(9, 9), Some(endpoint), 50));
		assert_eq!(Nodes::data_endpoints(10), vec![url]);
		assert!(Nodes::data_endpoints(0).is_empty());
		// A chilled data node serves no one.
		assert_ok!(Nodes::chill(root(), 9));
		assert!(Nodes::data_endpoints(10).is_empty());
		assert_ok!(Nodes::leave(signed(2)));
		assert_eq!(Nodes::standing(&2), Some(NodeStanding { roles: verifier(), leaving: true }));
	});
}

#[test]
fn the_tee_role_puts_a_node_in_the_tee_pool_and_revoking_takes_it_out() {
	network().build_and_execute(|| {
		assert_eq!(Nodes::pool_weight(NodeRole::Tee, &INFERENCE_NODE), None);
		<Nodes as TeeRoles<_>>::grant_tee_role(&INFERENCE_NODE);
		let tee = inference().with(NodeRole::Tee);
		assert_eq!(record(INFERENCE_NODE).roles, tee);
		assert_eq!(Nodes::pool_weight(NodeRole::Tee, &INFERENCE_NODE), Some(BOND));
		assert_eq!(Nodes::pool_weight(NodeRole::Inference, &INFERENCE_NODE), Some(BOND));
		assert!(Nodes::is_eligible(&INFERENCE_NODE, NodeRole::Tee));
		assert_eq!(Nodes::select(NodeRole::Tee, subject(1), 1, &[]), Ok(vec![INFERENCE_NODE]));
		assert_eq!(
			Nodes::standing(&INFERENCE_NODE),
			Some(NodeStanding { roles: tee, leaving: false })
		);
		// The role needs no bond of its own: the inference minimum still covers the node.
		assert_ok!(Nodes::unbond(signed(INFERENCE_NODE), 900));
		assert_eq!(Nodes::pool_weight(NodeRole::Tee, &INFERENCE_NODE), Some(100));
		<Nodes as TeeRoles<_>>::revoke_tee_role(&INFERENCE_NODE);
		assert_eq!(record(INFERENCE_NODE).roles, inference());
		assert_eq!(Nodes::pool_weight(NodeRole::Tee, &INFERENCE_NODE), None);
		assert_eq!(Nodes::pool_weight(NodeRole::Inference, &INFERENCE_NODE), Some(100));
		assert_eq!(
			Nodes::select(NodeRole::Tee, subject(1), 1, &[]),
			Err(Error::<Test>::NotEnoughNodes.into())
		);
		// Again, or for an account that is no node: nothing happens.
		<Nodes as TeeRoles<_>>::revoke_tee_role(&INFERENCE_NODE);
		<Nodes as TeeRoles<_>>::revoke_tee_role(&42);
		<Nodes as TeeRoles<_>>::grant_tee_role(&42);
		assert!(NodeRecords::<Test>::get(42).is_none());
		assert_eq!(record(INFERENCE_NODE).roles, inference());
	});
}

#[test]
fn only_a_staying_inference_node_is_a_tee_candidate() {
	network().build_and_execute(|| {
		let check = |who: AccountId| <Nodes as TeeRoles<_>>::check_tee_candidate(&who);
		assert_eq!(check(42), Err(TeeIneligible::NotRegistered));
		assert_eq!(check(2), Err(TeeIneligible::NotAnInferenceNode));
		assert_eq!(check(INFERENCE_NODE), Ok(()));
		// A chilled or inactive inference node may still register its enclave.
		assert_ok!(Nodes::chill(root(), INFERENCE_NODE));
		assert_eq!(check(INFERENCE_NODE), Ok(()));
		assert_ok!(Nodes::leave(signed(INFERENCE_NODE)));
		assert_eq!(check(INFERENCE_NODE), Err(TeeIneligible::Leaving));
	});
}

#[test]
fn the_tee_role_is_never_declared() {
	network().build_and_execute(|| {
		let tee = inference().with(NodeRole::Tee);
		assert_noop!(
			Nodes::register(signed(9), tee, key(9), key_proof(9, 9), None, BOND),
			Error::<Test>::TeeRoleNotDeclarable
		);
		assert_noop!(
			Nodes::register(signed(9), NodeRole::Tee.into(), key(9), key_proof(9, 9), None, BOND),
			Error::<Test>::TeeRoleNotDeclarable
		);
		assert_noop!(
			Nodes::set_roles(signed(INFERENCE_NODE), tee, None),
			Error::<Test>::TeeRoleNotDeclarable
		);
	});
}

#[test]
fn leaving_or_dropping_inference_ends_the_tee_registration() {
	network().node(9, inference(), BOND).build_and_execute(|| {
		<Nodes as TeeRoles<_>>::grant_tee_role(&INFERENCE_NODE);
		// Still an inference node (now a verifier too): the Tee role and the registration stay.
		let both = RoleSet::from_roles(&[NodeRole::Inference, NodeRole::Verifier]);
		assert_ok!(Nodes::set_roles(signed(INFERENCE_NODE), both, None));
		assert_eq!(record(INFERENCE_NODE).roles, both.with(NodeRole::Tee));
		System::assert_last_event(
			Event::RolesChanged { node: INFERENCE_NODE, roles: both.with(NodeRole::Tee) }.into(),
		);
		assert!(Deregistered::get().is_empty());
		// No longer an inference node: the registration and the Tee role go.
		assert_ok!(Nodes::set_roles(signed(INFERENCE_NODE), verifier(), None));
		assert_eq!(Deregistered::take(), vec![INFERENCE_NODE]);
		assert_eq!(record(INFERENCE_NODE).roles, verifier());
		assert_eq!(Nodes::pool_weight(NodeRole::Tee, &INFERENCE_NODE), None);
		// A TEE node that leaves keeps its registration until its record goes with its last
		// withdrawal.
		<Nodes as TeeRoles<_>>::grant_tee_role(&9);
		assert_ok!(Nodes::leave(signed(9)));
		assert_eq!(Nodes::pool_weight(NodeRole::Tee, &9), None);
		assert!(Deregistered::get().is_empty());
		run_to_block(81);
		assert_ok!(Nodes::withdraw_unbonded(signed(9)));
		assert_eq!(Deregistered::take(), vec![9]);
		assert!(NodeRecords::<Test>::get(9).is_none());
		System::assert_last_event(Event::NodeRemoved { node: 9 }.into());
	});
}

#[test]
fn a_node_holding_work_cannot_stop_being_an_inference_node() {
	network().build_and_execute(|| {
		<Nodes as TeeRoles<_>>::grant_tee_role(&INFERENCE_NODE);
		// A job it holds: dropping the inference role (and with it the TEE registration, which
		// would spare it the timeout slash) is refused until the work ends.
		assert_ok!(begin_work(INFERENCE_NODE));
		assert_noop!(
			Nodes::set_roles(signed(INFERENCE_NODE), verifier(), None),
			Error::<Test>::InferenceRoleInUse
		);
		// Keeping it is fine.
		let both = RoleSet::from_roles(&[NodeRole::Inference, NodeRole::Verifier]);
		assert_ok!(Nodes::set_roles(signed(INFERENCE_NODE), both, None));
		assert!(Deregistered::get().is_empty());
		end_work(INFERENCE_NODE, Some(true));
		assert_ok!(Nodes::set_roles(signed(INFERENCE_NODE), verifier(), None));
		assert_eq!(Deregistered::get(), vec![INFERENCE_NODE]);
		assert_eq!(record(INFERENCE_NODE).roles, verifier());
	});
}
