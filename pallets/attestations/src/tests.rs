//! Unit tests: every call, every error path, every event, the hooks, selection and the money.

// Tests may panic: a panic is a failed test.
#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects,
	clippy::panic
)]

use crate::{mock::*, *};
use frame_support::{
	assert_noop, assert_ok,
	pallet_prelude::{InvalidTransaction, TransactionSource, TransactionValidityError},
	traits::{
		fungible::{Inspect, InspectHold},
		Authorize, Hooks,
	},
};
use frame_system::RawOrigin;
use opg_primitives::attestation::{
	Attestations as _, Conclusion, NodeRegistry as _, NodeRole, RoleSet, RoundKind,
};
use sp_core::H256;
use sp_runtime::DispatchError;

const BOND: Balance = 1_000;
/// The claimant in round tests: an inference node.
const CLAIMANT: AccountId = 1;

fn verifier() -> RoleSet {
	NodeRole::Verifier.into()
}

fn inference() -> RoleSet {
	NodeRole::Inference.into()
}

fn signed(who: AccountId) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

fn authorized() -> RuntimeOrigin {
	RawOrigin::Authorized.into()
}

/// One inference node (1) and seven verifiers (2 to 8), each bonding `BOND`.
fn network() -> ExtBuilder {
	(2..=8).fold(ExtBuilder::default().node(CLAIMANT, inference(), BOND), |builder, who| {
		builder.node(who, verifier(), BOND)
	})
}

fn held(who: AccountId) -> Balance {
	Balances::balance_on_hold(&HoldReason::NodeBond.into(), &who)
}

fn free(who: AccountId) -> Balance {
	Balances::balance(&who)
}

/// The block the open round of `subject` opened in (0 when there is none).
fn round_of(subject: SubjectId) -> u64 {
	Rounds::<Test>::get(subject).map_or(0, |round| round.opened_at)
}

fn commit_call(subject: SubjectId, member: AccountId, out: OutputHash) -> Call<Test> {
	let round = round_of(subject);
	let commitment = commitment_of(&subject, &round, &member, &out, &salt(member));
	let signature = sign(
		member,
		&SignedStatement::Commit {
			subject: &subject,
			round: &round,
			member: &member,
			commitment: &commitment,
		},
	);
	Call::commit { subject, member, commitment, signature }
}

fn reveal_call(subject: SubjectId, member: AccountId, out: OutputHash) -> Call<Test> {
	let salt = salt(member);
	let round = round_of(subject);
	let signature = sign(
		member,
		&SignedStatement::Reveal {
			subject: &subject,
			round: &round,
			member: &member,
			output: &out,
			salt: &salt,
		},
	);
	Call::reveal { subject, member, output: out, salt, signature }
}

fn commit(subject: SubjectId, member: AccountId, out: OutputHash) -> DispatchResult {
	match commit_call(subject, member, out) {
		Call::commit { subject, member, commitment, signature } => {
			Attestations::commit(authorized(), subject, member, commitment, signature)
		}
		_ => unreachable!(),
	}
}

fn reveal(subject: SubjectId, member: AccountId, out: OutputHash) -> DispatchResult {
	match reveal_call(subject, member, out) {
		Call::reveal { subject, member, output, salt, signature } => {
			Attestations::reveal(authorized(), subject, member, output, salt, signature)
				.map(|_| ())
				.map_err(|e| e.error)
		}
		_ => unreachable!(),
	}
}

fn heartbeat(who: AccountId) -> DispatchResult {
	let (heartbeat, signature) = heartbeat_of(who);
	Attestations::heartbeat(authorized(), heartbeat, signature)
}

fn committee_of(subject: SubjectId) -> Vec<AccountId> {
	Attestations::committee(subject).expect("the round is open")
}

fn total_issuance() -> Balance {
	<Balances as Inspect<AccountId>>::total_issuance()
}

// ---- Registration and bonds ----

#[test]
fn register_holds_the_bond_and_pools_the_node() {
	ExtBuilder::default().build_and_execute(|| {
		let roles = RoleSet::from_roles(&[NodeRole::Inference, NodeRole::Verifier]);
		assert_ok!(Attestations::register(signed(3), roles, key(3), key_proof(3, 3), None, 250));
		System::assert_last_event(
			Event::NodeRegistered { node: 3, roles, key: key(3), bond: 250 }.into(),
		);
		assert_eq!(held(3), 250);
		assert_eq!(free(3), INITIAL_BALANCE - 250);
		assert_eq!(NodeByKey::<Test>::get(key(3)), Some(3));
		assert_eq!(NodeCount::<Test>::get(), 1);
		assert_eq!(Attestations::pool_weight(NodeRole::Inference, &3), Some(250));
		assert_eq!(Attestations::pool_weight(NodeRole::Verifier, &3), Some(250));
		assert_eq!(Attestations::pool_weight(NodeRole::Data, &3), None);
		assert!(Attestations::is_eligible(&3, NodeRole::Verifier));
	});
}

#[test]
fn register_refuses_bad_input_and_moves_nothing() {
	ExtBuilder::default().node(2, verifier(), BOND).build_and_execute(|| {
		let data: RoleSet = NodeRole::Data.into();
		let url = |s: &str| Some(EndpointOf::<Test>::try_from(s.as_bytes().to_vec()).unwrap());
		assert_noop!(
			Attestations::register(signed(2), verifier(), key(9), key_proof(9, 2), None, BOND),
			Error::<Test>::AlreadyRegistered
		);
		assert_noop!(
			Attestations::register(
				signed(3),
				RoleSet::empty(),
				key(3),
				key_proof(3, 3),
				None,
				BOND
			),
			Error::<Test>::NoRoles
		);
		// Inference and verifier need 100 each.
		let both = RoleSet::from_roles(&[NodeRole::Inference, NodeRole::Verifier]);
		assert_noop!(
			Attestations::register(signed(3), both, key(3), key_proof(3, 3), None, 199),
			Error::<Test>::BondBelowMinimum
		);
		assert_noop!(
			Attestations::register(signed(3), data, key(3), key_proof(3, 3), None, BOND),
			Error::<Test>::BadEndpoint
		);
		assert_noop!(
			Attestations::register(
				signed(3),
				verifier(),
				key(3),
				key_proof(3, 3),
				url("http://a"),
				BOND
			),
			Error::<Test>::BadEndpoint
		);
		assert_noop!(
			Attestations::register(signed(3), data, key(3), key_proof(3, 3), url("ftp://a"), BOND),
			Error::<Test>::BadEndpoint
		);
		assert_noop!(
			Attestations::register(
				signed(3),
				data,
				key(3),
				key_proof(3, 3),
				url("http://a b"),
				BOND
			),
			Error::<Test>::BadEndpoint
		);
		assert_noop!(
			Attestations::register(signed(3), verifier(), key(2), key_proof(2, 3), None, BOND),
			Error::<Test>::KeyInUse
		);
		assert_noop!(
			Attestations::register(
				signed(POOR),
				verifier(),
				key(POOR),
				key_proof(POOR, POOR),
				None,
				BOND
			),
			Error::<Test>::InsufficientFunds
		);
		NodeCount::<Test>::put(10_000);
		assert_noop!(
			Attestations::register(signed(3), verifier(), key(3), key_proof(3, 3), None, BOND),
			Error::<Test>::TooManyNodes
		);
		NodeCount::<Test>::put(1);
		// A data node with an endpoint registers.
		assert_ok!(Attestations::register(
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
		assert_ok!(Attestations::bond_extra(signed(2), 500));
		System::assert_last_event(Event::Bonded { node: 2, amount: 500 }.into());
		assert_eq!(held(2), BOND + 500);
		assert_eq!(Attestations::pool_weight(NodeRole::Verifier, &2), Some(BOND + 500));
		assert_noop!(Attestations::bond_extra(signed(2), 0), Error::<Test>::ZeroAmount);
		assert_noop!(Attestations::bond_extra(signed(9), 10), Error::<Test>::NotRegistered);
		assert_noop!(
			Attestations::bond_extra(signed(2), INITIAL_BALANCE),
			Error::<Test>::InsufficientFunds
		);
		assert_ok!(Attestations::leave(signed(3)));
		assert_noop!(Attestations::bond_extra(signed(3), 10), Error::<Test>::NodeLeaving);
	});
}

#[test]
fn unbond_then_withdraw_after_the_period() {
	network().build_and_execute(|| {
		assert_ok!(Attestations::unbond(signed(2), 400));
		System::assert_last_event(Event::Unbonding { node: 2, amount: 400, unlock_at: 81 }.into());
		// Still held and slashable, no longer weight.
		assert_eq!(held(2), BOND);
		assert_eq!(Attestations::pool_weight(NodeRole::Verifier, &2), Some(600));
		assert_noop!(Attestations::withdraw_unbonded(signed(2)), Error::<Test>::NothingToWithdraw);
		run_to_block(80);
		assert_noop!(Attestations::withdraw_unbonded(signed(2)), Error::<Test>::NothingToWithdraw);
		run_to_block(81);
		assert_ok!(heartbeat(2));
		assert_ok!(Attestations::withdraw_unbonded(signed(2)));
		System::assert_last_event(Event::Withdrawn { node: 2, amount: 400 }.into());
		assert_eq!(held(2), 600);
		assert_eq!(free(2), INITIAL_BALANCE - 600);
		assert!(Nodes::<Test>::get(2).unwrap().unlocking.is_empty());
	});
}

#[test]
fn unbond_refuses_bad_amounts() {
	network().build_and_execute(|| {
		assert_noop!(Attestations::unbond(signed(2), 0), Error::<Test>::ZeroAmount);
		assert_noop!(Attestations::unbond(signed(2), BOND + 1), Error::<Test>::UnbondExceedsBond);
		assert_noop!(Attestations::unbond(signed(2), 901), Error::<Test>::BondBelowMinimum);
		assert_noop!(Attestations::unbond(signed(9), 1), Error::<Test>::NotRegistered);
		for block in 2..=4 {
			run_to_block(block);
			assert_ok!(Attestations::unbond(signed(2), 10));
		}
		// Same block: merged into the existing chunk.
		assert_ok!(Attestations::unbond(signed(2), 10));
		assert_eq!(Nodes::<Test>::get(2).unwrap().unlocking.len(), 3);
		run_to_block(5);
		assert_noop!(Attestations::unbond(signed(2), 10), Error::<Test>::TooManyUnlockingChunks);
	});
}

#[test]
fn leave_unbonds_everything_and_the_record_goes_with_the_last_withdrawal() {
	network().build_and_execute(|| {
		assert_ok!(Attestations::leave(signed(2)));
		System::assert_last_event(Event::NodeLeaving { node: 2 }.into());
		assert_eq!(Nodes::<Test>::get(2).unwrap().status, NodeStatus::Leaving);
		assert_eq!(Attestations::pool_weight(NodeRole::Verifier, &2), None);
		assert_noop!(Attestations::leave(signed(2)), Error::<Test>::NodeLeaving);
		assert_noop!(Attestations::unbond(signed(2), 1), Error::<Test>::NodeLeaving);
		run_to_block(81);
		assert_ok!(Attestations::withdraw_unbonded(signed(2)));
		System::assert_last_event(Event::NodeRemoved { node: 2 }.into());
		assert!(Nodes::<Test>::get(2).is_none());
		assert_eq!(NodeByKey::<Test>::get(key(2)), None);
		assert_eq!(NodeCount::<Test>::get(), 7);
		assert_eq!(held(2), 0);
		assert_eq!(free(2), INITIAL_BALANCE);
		assert_noop!(Attestations::withdraw_unbonded(signed(2)), Error::<Test>::NotRegistered);
	});
}

#[test]
fn a_node_with_open_work_cannot_leave() {
	network().build_and_execute(|| {
		assert_ok!(Attestations::open_claim(subject(1), &CLAIMANT, output(1)));
		assert_noop!(Attestations::leave(signed(CLAIMANT)), Error::<Test>::HasOpenWork);
		run_to_block(11);
		assert_ok!(Attestations::leave(signed(CLAIMANT)));
		// Work a consumer began blocks leaving too.
		assert_ok!(Attestations::begin_work(&2));
		assert_noop!(Attestations::leave(signed(2)), Error::<Test>::HasOpenWork);
		Attestations::end_work(&2, true);
		assert_eq!(Reputations::<Test>::get(2).completed, 1);
		assert_ok!(Attestations::leave(signed(2)));
		assert_noop!(Attestations::begin_work(&9), Error::<Test>::NotRegistered);
		// A leaving node takes no new work: its bond is on its way out.
		assert_noop!(Attestations::begin_work(&2), Error::<Test>::NodeLeaving);
		assert_noop!(
			Attestations::open_claim(subject(2), &CLAIMANT, output(1)),
			Error::<Test>::NodeLeaving
		);
		assert_noop!(
			Attestations::open_round(subject(3), &CLAIMANT, output(1)),
			Error::<Test>::NodeLeaving
		);
	});
}

#[test]
fn set_roles_changes_roles_within_the_bond() {
	network().build_and_execute(|| {
		let url = EndpointOf::<Test>::try_from(b"http://10.0.0.2:8080".to_vec()).unwrap();
		let roles = RoleSet::from_roles(&[NodeRole::Verifier, NodeRole::Data]);
		assert_ok!(Attestations::set_roles(signed(2), roles, Some(url.clone())));
		System::assert_last_event(Event::RolesChanged { node: 2, roles }.into());
		assert_eq!(Attestations::pool_weight(NodeRole::Data, &2), Some(BOND));
		assert_eq!(Nodes::<Test>::get(2).unwrap().endpoint, Some(url));
		assert_ok!(Attestations::set_roles(signed(2), inference(), None));
		assert_eq!(Attestations::pool_weight(NodeRole::Verifier, &2), None);
		assert_eq!(Attestations::pool_weight(NodeRole::Data, &2), None);
		assert_noop!(
			Attestations::set_roles(signed(2), RoleSet::empty(), None),
			Error::<Test>::NoRoles
		);
		assert_ok!(Attestations::unbond(signed(2), 850));
		let all = RoleSet::from_roles(&NodeRole::DECLARED);
		let url = EndpointOf::<Test>::try_from(b"http://x".to_vec()).unwrap();
		assert_noop!(
			Attestations::set_roles(signed(2), all, Some(url)),
			Error::<Test>::BondBelowMinimum
		);
		assert_noop!(
			Attestations::set_roles(signed(9), verifier(), None),
			Error::<Test>::NotRegistered
		);
	});
}

#[test]
fn set_role_key_moves_the_key_index() {
	network().build_and_execute(|| {
		assert_noop!(
			Attestations::set_role_key(signed(2), key(3), key_proof(3, 2)),
			Error::<Test>::KeyInUse
		);
		assert_noop!(
			Attestations::set_role_key(signed(9), key(9), key_proof(9, 9)),
			Error::<Test>::NotRegistered
		);
		assert_ok!(Attestations::set_role_key(signed(2), key(42), key_proof(42, 2)));
		System::assert_last_event(Event::RoleKeyChanged { node: 2, key: key(42) }.into());
		assert_eq!(NodeByKey::<Test>::get(key(2)), None);
		assert_eq!(Attestations::node_of_key(&key(42)), Some(2));
		assert_eq!(Attestations::role_key(&2), Some(key(42)));
	});
}

// ---- Governance ----

#[test]
fn governance_chills_and_unchills() {
	network().build_and_execute(|| {
		assert_noop!(Attestations::chill(signed(2), 3), DispatchError::BadOrigin);
		assert_ok!(Attestations::chill(RuntimeOrigin::root(), 3));
		System::assert_last_event(Event::NodeChilled { node: 3 }.into());
		assert_eq!(Attestations::pool_weight(NodeRole::Verifier, &3), None);
		assert!(!Attestations::is_eligible(&3, NodeRole::Verifier));
		assert_noop!(Attestations::chill(RuntimeOrigin::root(), 3), Error::<Test>::AlreadyChilled);
		assert_noop!(Attestations::chill(RuntimeOrigin::root(), 9), Error::<Test>::NotRegistered);
		assert_noop!(Attestations::unchill(signed(3), 3), DispatchError::BadOrigin);
		assert_ok!(Attestations::unchill(RuntimeOrigin::root(), 3));
		System::assert_last_event(Event::NodeUnchilled { node: 3 }.into());
		assert_eq!(Attestations::pool_weight(NodeRole::Verifier, &3), Some(BOND));
		assert_noop!(Attestations::unchill(RuntimeOrigin::root(), 3), Error::<Test>::NotChilled);
	});
}

#[test]
fn set_parameter_changes_one_parameter_within_its_bounds() {
	network().build_and_execute(|| {
		use ParameterChange::*;
		assert_noop!(
			Attestations::set_parameter(signed(1), CommitteeSize(3)),
			DispatchError::BadOrigin
		);
		assert_ok!(Attestations::set_parameter(RuntimeOrigin::root(), CommitteeSize(3)));
		let parameters = Parameters { committee_size: 3, ..test_parameters() };
		System::assert_last_event(
			Event::ParametersChanged { parameters: parameters.clone() }.into(),
		);
		assert_eq!(ActiveParameters::<Test>::get(), parameters);
		// A second change keeps the first: each referendum changes only its own parameter.
		assert_ok!(Attestations::set_parameter(RuntimeOrigin::root(), MinDataBond(70)));
		assert_eq!(
			ActiveParameters::<Test>::get(),
			Parameters { committee_size: 3, min_data_bond: 70, ..test_parameters() }
		);
		// The bounds are inclusive.
		assert_ok!(Attestations::set_parameter(RuntimeOrigin::root(), MinInferenceBond(10_000)));
		assert_ok!(Attestations::set_parameter(RuntimeOrigin::root(), MinInferenceBond(100)));
		let refused = [
			// Outside the runtime's bounds.
			MinInferenceBond(10_001),
			ChallengeBond(10_001),
			MinoritySlash(Perbill::from_percent(51)),
			FalseClaimSlash(Perbill::from_percent(100)),
			HeartbeatPeriod(1_001),
			MaxMissedHeartbeats(11),
			Quorum(Perbill::from_percent(50)),
			CommitteeSize(0),
			CommitteeSize(8),
			MinVerifierBond(0),
			HeartbeatPeriod(0),
			MaxMissedHeartbeats(0),
			// Inside them, but breaking a relation: an unbonding period that ends before a
			// dispute over the node's last claim could.
			UnbondingPeriod(53),
		];
		for change in refused {
			assert_noop!(
				Attestations::set_parameter(RuntimeOrigin::root(), change),
				Error::<Test>::ParametersOutOfBounds
			);
		}
		assert_eq!(test_parameters().votes_needed(5), 3);
		assert_eq!(test_parameters().votes_needed(4), 3);
		assert_eq!(
			Parameters { quorum: Perbill::from_percent(67), ..test_parameters() }.votes_needed(3),
			3
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
		assert_ok!(Attestations::heartbeat(authorized(), beat.clone(), signature.clone()));
		System::assert_last_event(Event::HeartbeatReceived { node: 2, period_start: 10 }.into());
		assert_eq!(Nodes::<Test>::get(2).unwrap().last_heartbeat, Some(12));
		// A replay in the same period is stale, before the pool and in the block.
		assert_eq!(
			call.authorize(TransactionSource::External).unwrap(),
			Err(TransactionValidityError::Invalid(InvalidTransaction::Stale))
		);
		assert_noop!(
			Attestations::heartbeat(authorized(), beat, signature),
			Error::<Test>::DuplicateHeartbeat
		);
		// Only the authorized origin may call it.
		let (beat, signature) = heartbeat_of(3);
		assert_noop!(Attestations::heartbeat(signed(3), beat, signature), DispatchError::BadOrigin);
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
		assert_eq!(validity(beat.clone(), wrong.clone()), Err(InvalidTransaction::BadProof.into()));
		assert_noop!(
			Attestations::heartbeat(authorized(), beat, wrong),
			Error::<Test>::BadSignature
		);
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
				Attestations::heartbeat(authorized(), beat, signature),
				Error::<Test>::WrongPeriod
			);
		}
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
		assert!(!Attestations::is_eligible(&2, NodeRole::Verifier));
		assert_eq!(Nodes::<Test>::get(2).unwrap().status, NodeStatus::Inactive { since: 30 });
		assert!(events()
			.contains(&Event::NodeInactive { node: 2, reason: InactiveReason::MissedHeartbeats }));
		assert_eq!(Attestations::pool_weight(NodeRole::Verifier, &2), None);
		assert!(
			Nodes::<Test>::iter().all(|(who, node)| who == 2 || node.status == NodeStatus::Active)
		);
		assert_ok!(heartbeat(2));
		System::assert_last_event(Event::NodeReactivated { node: 2 }.into());
		assert_eq!(Nodes::<Test>::get(2).unwrap().status, NodeStatus::Active);
		assert_eq!(Attestations::pool_weight(NodeRole::Verifier, &2), Some(BOND));
		// Periods 0 to 3 passed without a heartbeat: 3 whole periods missed before period 4.
		assert_eq!(Reputations::<Test>::get(2).missed_heartbeats, 3);
	});
}

#[test]
fn selection_skips_a_stale_node_before_the_sweep_reaches_it() {
	ExtBuilder::default().node(2, verifier(), BOND).node(3, verifier(), BOND).build_and_execute(
		|| {
			System::set_block_number(31);
			assert_ok!(heartbeat(3));
			// Node 2 is stale but not yet marked: selection passes over it.
			assert_eq!(Nodes::<Test>::get(2).unwrap().status, NodeStatus::Active);
			for n in 0..20 {
				assert_eq!(
					Attestations::select_nodes(NodeRole::Verifier, subject(n), 1, &[]),
					Ok(vec![3])
				);
			}
			assert_eq!(
				Attestations::select_nodes(NodeRole::Verifier, subject(0), 2, &[]),
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
		run_to_block(12);
		Attestations::offchain_worker(12);
		// One transaction: node 2's; the stranger's key belongs to no node.
		assert_eq!(pool_state.read().transactions.len(), 1);
		// Sent already: no second copy in the next block.
		Attestations::offchain_worker(13);
		assert_eq!(pool_state.read().transactions.len(), 1);
		let bytes = pool_state.write().transactions.pop().unwrap();
		let extrinsic =
			frame_system::mocking::MockUncheckedExtrinsic::<Test>::decode(&mut &bytes[..]).unwrap();
		let RuntimeCall::Attestations(call) = extrinsic.function else { panic!("not ours") };
		assert!(call.authorize(TransactionSource::Local).unwrap().is_ok());
		let Call::heartbeat { heartbeat, signature } = call else { panic!("not a heartbeat") };
		assert_eq!(heartbeat, Heartbeat { node: 2, period_start: 10 });
		assert_ok!(Attestations::heartbeat(authorized(), heartbeat, signature));
		// Landed: nothing more to send this period.
		Attestations::offchain_worker(14);
		assert!(pool_state.read().transactions.is_empty());
		Attestations::do_try_state().unwrap();
	});
}

#[test]
fn the_offchain_worker_commits_and_reveals_for_a_local_committee_member() {
	use sp_core::offchain::{testing, OffchainDbExt, OffchainWorkerExt, TransactionPoolExt};
	use sp_keystore::{testing::MemoryKeystore, Keystore, KeystoreExt};

	let mut ext = network().build();
	let (offchain, _) = testing::TestOffchainExt::new();
	let (pool, pool_state) = testing::TestTransactionPoolExt::new();
	ext.register_extension(OffchainWorkerExt::new(offchain.clone()));
	ext.register_extension(OffchainDbExt::new(offchain));
	ext.register_extension(TransactionPoolExt::new(pool));
	let keystore = std::sync::Arc::new(MemoryKeystore::new());
	ext.register_extension(KeystoreExt(keystore.clone()));
	ext.execute_with(|| {
		let committee = open_round();
		let (ours, others) = (committee[0], &committee[1..]);
		keystore
			.sr25519_generate_new(
				opg_primitives::attestation::NODE_KEY_TYPE,
				Some(&format!("//node{ours}")),
			)
			.unwrap();
		// The round duties sent since the last look (heartbeats aside).
		let duty_calls = || {
			let sent = core::mem::take(&mut pool_state.write().transactions);
			sent.into_iter()
				.filter_map(|bytes| {
					let extrinsic = frame_system::mocking::MockUncheckedExtrinsic::<Test>::decode(
						&mut &bytes[..],
					)
					.unwrap();
					let RuntimeCall::Attestations(call) = extrinsic.function else {
						panic!("not ours")
					};
					assert!(call.authorize(TransactionSource::Local).unwrap().is_ok());
					matches!(call, Call::commit { .. } | Call::reveal { .. }).then_some(call)
				})
				.collect::<Vec<_>>()
		};
		let take_call = || {
			let mut calls = duty_calls();
			assert_eq!(calls.len(), 1, "one duty was sent");
			calls.remove(0)
		};
		assert_eq!(Duties::<Test>::iter_key_prefix(ours).collect::<Vec<_>>(), vec![subject(1)]);

		// A verifier that cannot re-execute sends nothing.
		Attestations::offchain_worker(2);
		assert!(duty_calls().is_empty());

		Reexecuted::set(Some(output(1)));
		Attestations::offchain_worker(2);
		let Call::commit { subject: s, member, commitment, signature } = take_call() else {
			panic!("not a commitment")
		};
		assert_eq!((s, member), (subject(1), ours));
		// Sent: not again in the next block.
		Attestations::offchain_worker(3);
		assert!(duty_calls().is_empty());
		assert_ok!(Attestations::commit(authorized(), s, member, commitment, signature));
		for member in others {
			assert_ok!(commit(subject(1), *member, output(1)));
		}

		// Everyone committed: the reveal phase is open, and the kept output and salt open the
		// commitment.
		Attestations::offchain_worker(3);
		let Call::reveal { subject: s, member, output: revealed, salt, signature } = take_call()
		else {
			panic!("not a reveal")
		};
		assert_eq!(revealed, output(1));
		assert_ok!(Attestations::reveal(authorized(), s, member, revealed, salt, signature));
		for member in others {
			assert_ok!(reveal(subject(1), *member, output(1)));
		}
		assert!(Rounds::<Test>::get(subject(1)).is_none());
		assert_eq!(Duties::<Test>::iter().count(), 0, "duties end with the round");
		Attestations::do_try_state().unwrap();
	});
}

// ---- Selection ----

#[test]
fn selection_is_deterministic_distinct_and_excludes() {
	network().build_and_execute(|| {
		let first = Attestations::select_nodes(NodeRole::Verifier, subject(1), 5, &[2, 3]).unwrap();
		let again = Attestations::select_nodes(NodeRole::Verifier, subject(1), 5, &[2, 3]).unwrap();
		assert_eq!(first, again);
		let mut sorted = first.clone();
		sorted.sort();
		assert_eq!(sorted, vec![4, 5, 6, 7, 8]);
		assert_eq!(
			Attestations::select_nodes(NodeRole::Verifier, subject(1), 6, &[2, 3]),
			Err(Error::<Test>::NotEnoughNodes.into())
		);
		assert_eq!(
			Attestations::select_nodes(NodeRole::Data, subject(1), 1, &[]),
			Err(Error::<Test>::NotEnoughNodes.into())
		);
		assert_eq!(Attestations::select(NodeRole::Inference, subject(1), 1, &[]), Ok(vec![1]));
	});
}

mod selection_properties {
	use super::*;
	use proptest::prelude::*;

	fn pool_of(stakes: &[Balance]) -> sp_io::TestExternalities {
		stakes
			.iter()
			.enumerate()
			.fold(ExtBuilder::default(), |builder, (i, stake)| {
				builder.node(i as AccountId + 1, verifier(), *stake)
			})
			.build()
	}

	proptest! {
		#![proptest_config(ProptestConfig::with_cases(48))]

		/// Same state, same choice; never an excluded node or a duplicate; exactly `k` when
		/// enough nodes remain.
		#[test]
		fn deterministic_distinct_and_never_excluded(
			stakes in proptest::collection::vec(100u64..5_000, 1..20),
			k in 1u32..6,
			excluded in proptest::collection::vec(1u64..21, 0..4),
			seed in any::<u8>(),
		) {
			pool_of(&stakes).execute_with(|| {
				let chosen = Attestations::select_nodes(NodeRole::Verifier, subject(seed), k, &excluded);
				let again = Attestations::select_nodes(NodeRole::Verifier, subject(seed), k, &excluded);
				prop_assert_eq!(&chosen, &again);
				let candidates = (1..=stakes.len() as u64).filter(|n| !excluded.contains(n)).count();
				match chosen {
					Ok(chosen) => {
						prop_assert_eq!(chosen.len(), k as usize);
						let mut unique = chosen.clone();
						unique.sort();
						unique.dedup();
						prop_assert_eq!(unique.len(), chosen.len());
						prop_assert!(chosen.iter().all(|who| !excluded.contains(who)));
					},
					Err(_) => prop_assert!(candidates < k as usize),
				}
				Ok(())
			})?;
		}

		/// After pools change (bonds, leaves, chills), the tree still matches the nodes.
		#[test]
		fn pools_stay_consistent(
			stakes in proptest::collection::vec(100u64..5_000, 2..20),
			operations in proptest::collection::vec((0u8..4, 0usize..24, 1u64..500), 1..30),
		) {
			pool_of(&stakes).execute_with(|| {
				for (operation, index, amount) in operations {
					let who = (index % stakes.len()) as AccountId + 1;
					let origin = RuntimeOrigin::signed(who);
					let _ = match operation {
						0 => Attestations::bond_extra(origin, amount),
						1 => Attestations::unbond(origin, amount),
						2 => Attestations::leave(origin),
						_ => Attestations::chill(RuntimeOrigin::root(), who),
					};
				}
				prop_assert_eq!(Attestations::do_try_state(), Ok(()));
				Ok(())
			})?;
		}
	}

	/// Over many subjects each node is chosen in proportion to its stake: for single draws
	/// from stakes 1:2:3:4 over 20,000 subjects, every node's share is within 1.5 percentage
	/// points of its stake share (over four standard deviations: a biased draw fails, chance
	/// does not).
	#[test]
	fn choice_is_proportional_to_stake() {
		let stakes = [1_000, 2_000, 3_000, 4_000];
		pool_of(&stakes).execute_with(|| {
			let mut counts = [0u32; 4];
			for n in 0u32..20_000 {
				let subject = H256::from_low_u64_be(n as u64);
				let chosen =
					Attestations::select_nodes(NodeRole::Verifier, subject, 1, &[]).unwrap();
				counts[(chosen[0] - 1) as usize] += 1;
			}
			for (count, stake) in counts.iter().zip(stakes) {
				let share = *count as f64 / 20_000.0;
				let expected = stake as f64 / 10_000.0;
				assert!((share - expected).abs() < 0.015, "share {share} vs stake {expected}");
			}
		});
	}

	use sp_core::H256;
}

// ---- Rounds ----

/// Opens a verification round on subject 1 for the claimant's claim of `output(1)` in block 1
/// and moves to block 2, whose start draws the committee; returns it.
fn open_round() -> Vec<AccountId> {
	assert_ok!(Attestations::open_round(subject(1), &CLAIMANT, output(1)));
	System::assert_last_event(
		Event::RoundOpened {
			subject: subject(1),
			kind: RoundKind::Verification,
			claimant: CLAIMANT,
			draw_at: 2,
		}
		.into(),
	);
	// Nobody knows the committee in the block that opens the round.
	assert_eq!(committee_of(subject(1)), Vec::<AccountId>::new());
	run_to_block(2);
	let committee = committee_of(subject(1));
	assert_eq!(committee.len(), 5);
	assert!(!committee.contains(&CLAIMANT));
	System::assert_has_event(
		Event::CommitteeDrawn {
			subject: subject(1),
			committee: committee.clone(),
			commit_deadline: 7,
			reveal_deadline: 12,
		}
		.into(),
	);
	committee
}

#[test]
fn a_round_where_one_lies_and_one_does_not_reveal() {
	network().build_and_execute(|| {
		let issuance = total_issuance();
		let committee = open_round();
		let (honest, liar, silent) = (&committee[..3], committee[3], committee[4]);
		for member in &committee {
			let out = if *member == liar { output(9) } else { output(1) };
			assert_ok!(commit(subject(1), *member, out));
			System::assert_last_event(
				Event::Committed { subject: subject(1), member: *member }.into(),
			);
			assert_eq!(Nodes::<Test>::get(member).unwrap().open_work, 1);
		}
		for member in honest {
			assert_ok!(reveal(subject(1), *member, output(1)));
			System::assert_last_event(
				Event::Revealed { subject: subject(1), member: *member, output: output(1) }.into(),
			);
		}
		assert_ok!(reveal(subject(1), liar, output(9)));
		assert!(Concluded::get().is_empty());
		run_to_block(12);

		// The liar loses half its bond, the silent one a fifth: 500 + 200 = 700. Half of it
		// goes to the three honest members (116 each, 348), the rest and the dust (352) to the
		// treasury.
		assert_eq!(held(liar), 500);
		assert_eq!(held(silent), 800);
		for member in honest {
			assert_eq!(held(*member), BOND);
			assert_eq!(free(*member), INITIAL_BALANCE - BOND + 116);
		}
		assert_eq!(free(TREASURY), 1 + 352);
		assert_eq!(held(CLAIMANT), BOND);
		assert_eq!(total_issuance(), issuance);
		let events = events();
		for expected in [
			Event::Slashed { who: liar, amount: 500, reason: SlashReason::MinorityReveal },
			Event::Slashed { who: silent, amount: 200, reason: SlashReason::NoReveal },
			Event::RoundDecided {
				subject: subject(1),
				kind: RoundKind::Verification,
				claimed: output(1),
				decided: output(1),
				claim_upheld: true,
			},
		] {
			assert!(events.contains(&expected), "missing {expected:?}");
		}
		for member in honest {
			assert!(events.contains(&Event::Rewarded { who: *member, amount: 116 }));
		}
		assert_eq!(
			Concluded::get(),
			vec![(
				subject(1),
				Conclusion::Decided {
					kind: RoundKind::Verification,
					claimant: CLAIMANT,
					claimed: output(1),
					decided: output(1),
					majority: honest.to_vec(),
				}
			)]
		);
		assert!(Rounds::<Test>::get(subject(1)).is_none());
		assert!(Nodes::<Test>::iter().all(|(_, node)| node.open_work == 0));
		assert_eq!(Reputations::<Test>::get(liar).failed, 1);
		assert_eq!(Reputations::<Test>::get(liar).slashed, 500);
		assert_eq!(Reputations::<Test>::get(silent).failed, 1);
		assert_eq!(Reputations::<Test>::get(honest[0]).completed, 1);
		assert_eq!(Reputations::<Test>::get(CLAIMANT).completed, 1);
		// The slashed weigh less in the next selection.
		assert_eq!(Attestations::pool_weight(NodeRole::Verifier, &liar), Some(500));
	});
}

#[test]
fn a_round_that_overturns_the_claim_slashes_the_claimant_to_the_honest() {
	network().build_and_execute(|| {
		let issuance = total_issuance();
		let committee = open_round();
		for member in &committee {
			assert_ok!(commit(subject(1), *member, output(7)));
		}
		for member in &committee {
			assert_ok!(reveal(subject(1), *member, output(7)));
		}
		// The last reveal decided the round at once.
		assert!(Rounds::<Test>::get(subject(1)).is_none());
		assert!(Deadlines::<Test>::get(11).is_empty());
		// The claimant loses 500; 250 goes to the five (50 each), 250 to the treasury.
		assert_eq!(held(CLAIMANT), 500);
		for member in &committee {
			assert_eq!(free(*member), INITIAL_BALANCE - BOND + 50);
		}
		assert_eq!(free(TREASURY), 1 + 250);
		assert_eq!(total_issuance(), issuance);
		assert_eq!(Concluded::get()[0].1.accepted_output(), None);
		assert_eq!(Reputations::<Test>::get(CLAIMANT).failed, 1);
	});
}

#[test]
fn a_split_round_ends_undecided() {
	network().build_and_execute(|| {
		let committee = open_round();
		for (i, member) in committee.iter().enumerate().take(4) {
			assert_ok!(commit(subject(1), *member, output(i as u8 % 2)));
		}
		run_to_block(7);
		for (i, member) in committee.iter().enumerate().take(4) {
			assert_ok!(reveal(subject(1), *member, output(i as u8 % 2)));
		}
		run_to_block(12);
		System::assert_has_event(
			Event::RoundUndecided {
				subject: subject(1),
				kind: RoundKind::Verification,
				reveals: 4,
			}
			.into(),
		);
		// Only the one that never committed is slashed; its 200 pays the four revealers 25
		// each and the treasury 100.
		assert_eq!(held(committee[4]), 800);
		assert_eq!(held(CLAIMANT), BOND);
		for member in &committee[..4] {
			assert_eq!(free(*member), INITIAL_BALANCE - BOND + 25);
		}
		assert!(matches!(Concluded::get()[0].1, Conclusion::Undecided { .. }));
	});
}

#[test]
fn commit_errors() {
	network().build_and_execute(|| {
		assert_noop!(commit(subject(1), 2, output(1)), Error::<Test>::NoSuchRound);
		let committee = open_round();
		let outsider = (2..=8).find(|who| !committee.contains(who)).unwrap();
		assert_noop!(commit(subject(1), outsider, output(1)), Error::<Test>::NotCommitteeMember);
		assert_noop!(commit(subject(1), CLAIMANT, output(1)), Error::<Test>::NotCommitteeMember);
		let member = committee[0];
		// Signed by another member's key.
		let Call::commit { commitment, .. } = commit_call(subject(1), member, output(1)) else {
			unreachable!()
		};
		let wrong = sign(
			committee[1],
			&SignedStatement::Commit {
				subject: &subject(1),
				round: &1,
				member: &member,
				commitment: &commitment,
			},
		);
		assert_noop!(
			Attestations::commit(authorized(), subject(1), member, commitment, wrong.clone()),
			Error::<Test>::BadSignature
		);
		assert_eq!(
			Call::<Test>::commit { subject: subject(1), member, commitment, signature: wrong }
				.authorize(TransactionSource::External)
				.unwrap()
				.map(|_| ()),
			Err(InvalidTransaction::BadProof.into())
		);
		assert!(commit_call(subject(1), member, output(1))
			.authorize(TransactionSource::External)
			.unwrap()
			.is_ok());
		assert_ok!(commit(subject(1), member, output(1)));
		assert_noop!(commit(subject(1), member, output(1)), Error::<Test>::AlreadyCommitted);
		let index = Error::<Test>::AlreadyCommitted.encode()[0];
		assert_eq!(
			commit_call(subject(1), member, output(1))
				.authorize(TransactionSource::External)
				.unwrap()
				.map(|_| ()),
			Err(InvalidTransaction::Custom(index).into())
		);
		run_to_block(7);
		assert_noop!(commit(subject(1), committee[1], output(1)), Error::<Test>::CommitPhaseOver);
	});
}

#[test]
fn reveal_errors() {
	network().build_and_execute(|| {
		assert_noop!(reveal(subject(1), 2, output(1)), Error::<Test>::NoSuchRound);
		let committee = open_round();
		let outsider = (2..=8).find(|who| !committee.contains(who)).unwrap();
		assert_noop!(reveal(subject(1), outsider, output(1)), Error::<Test>::NotCommitteeMember);
		let (member, other) = (committee[0], committee[1]);
		assert_noop!(reveal(subject(1), member, output(1)), Error::<Test>::NotCommitted);
		assert_ok!(commit(subject(1), member, output(1)));
		assert_noop!(reveal(subject(1), member, output(1)), Error::<Test>::RevealPhaseNotOpen);
		run_to_block(7);
		// A different output, or the right output with a wrong salt.
		assert_noop!(reveal(subject(1), member, output(2)), Error::<Test>::CommitmentMismatch);
		let wrong_salt = [0xEE; 32];
		let signature = sign(
			member,
			&SignedStatement::Reveal {
				subject: &subject(1),
				round: &1,
				member: &member,
				output: &output(1),
				salt: &wrong_salt,
			},
		);
		assert_noop!(
			Attestations::reveal(
				authorized(),
				subject(1),
				member,
				output(1),
				wrong_salt,
				signature
			)
			.map_err(|e| e.error),
			Error::<Test>::CommitmentMismatch
		);
		// Signed by someone else.
		let salt = salt(member);
		let wrong = sign(
			other,
			&SignedStatement::Reveal {
				subject: &subject(1),
				round: &1,
				member: &member,
				output: &output(1),
				salt: &salt,
			},
		);
		assert_noop!(
			Attestations::reveal(authorized(), subject(1), member, output(1), salt, wrong)
				.map_err(|e| e.error),
			Error::<Test>::BadSignature
		);
		assert_ok!(reveal(subject(1), member, output(1)));
		assert_noop!(reveal(subject(1), member, output(1)), Error::<Test>::AlreadyRevealed);
		// The deadline block decides the round: later reveals find none.
		run_to_block(12);
		assert_noop!(reveal(subject(1), other, output(1)), Error::<Test>::NoSuchRound);
	});
}

#[test]
fn reveal_phase_over_is_refused_in_the_block_before_it_is_decided() {
	network().build_and_execute(|| {
		let committee = open_round();
		assert_ok!(commit(subject(1), committee[0], output(1)));
		run_to_block(11);
		let mut round = Rounds::<Test>::get(subject(1)).unwrap();
		// The deadline moved earlier than now (as if the block were skipped): refused.
		round.reveal_deadline = 11;
		Rounds::<Test>::insert(subject(1), round);
		assert_noop!(reveal(subject(1), committee[0], output(1)), Error::<Test>::RevealPhaseOver);
		let mut round = Rounds::<Test>::get(subject(1)).unwrap();
		round.reveal_deadline = 12;
		Rounds::<Test>::insert(subject(1), round);
	});
}

#[test]
fn a_round_needs_a_free_subject_and_enough_verifiers() {
	network().build_and_execute(|| {
		open_round();
		assert_noop!(
			Attestations::open_round(subject(1), &CLAIMANT, output(1)),
			Error::<Test>::SubjectInUse
		);
		assert_noop!(
			Attestations::open_claim(subject(1), &CLAIMANT, output(1)),
			Error::<Test>::SubjectInUse
		);
		assert_noop!(
			Attestations::open_round(subject(3), &42, output(1)),
			Error::<Test>::NotRegistered
		);
	});
}

#[test]
fn deadlines_move_to_the_next_block_with_room() {
	network().build_and_execute(|| {
		// Three claim deadlines per block in the mock (and two round deadlines).
		for n in 1..=4 {
			assert_ok!(Attestations::open_claim(subject(n), &CLAIMANT, output(n)));
		}
		assert_eq!(Claims::<Test>::get(subject(3)).unwrap().challenge_deadline, 11);
		assert_eq!(Claims::<Test>::get(subject(4)).unwrap().challenge_deadline, 12);
		ClaimQueueFill::fill(12, 12 + DEADLINE_SEARCH as u64);
		assert_noop!(
			Attestations::open_claim(subject(5), &CLAIMANT, output(5)),
			Error::<Test>::DeadlineQueueFull
		);
		ClaimQueueFill::clear(12, 12 + DEADLINE_SEARCH as u64);
		run_to_block(12);
		assert_eq!(Concluded::get().len(), 4);
	});
}

#[test]
fn claims_and_rounds_have_deadline_lists_of_their_own() {
	network().build_and_execute(|| {
		// Every claim list a round could use is full: the round is still scheduled, since a
		// cheap standing claim and a costly concluding round are bounded apart.
		ClaimQueueFill::fill(1, 2 + DEADLINE_SEARCH as u64);
		assert_ok!(Attestations::open_round(subject(1), &CLAIMANT, output(1)));
		assert_eq!(Deadlines::<Test>::get(2).into_inner(), vec![subject(1)]);
		assert!(!ClaimDeadlines::<Test>::get(2).contains(&subject(1)));
		ClaimQueueFill::clear(1, 2 + DEADLINE_SEARCH as u64);
		// A claim is listed only on the claim list.
		assert_ok!(Attestations::open_claim(subject(2), &CLAIMANT, output(2)));
		assert_eq!(ClaimDeadlines::<Test>::get(11).into_inner(), vec![subject(2)]);
		assert!(Deadlines::<Test>::get(11).is_empty());
		assert_ok!(Attestations::do_try_state());
	});
	// (Without the closing try_state: the filler entries are listed for no round.)
	network().build().execute_with(|| {
		// And the other way round: full round lists leave the claims' room alone.
		for at in 1..=11 + DEADLINE_SEARCH as u64 {
			while Deadlines::<Test>::try_mutate(at, |list| list.try_push(ClaimQueueFill::FILLER))
				.is_ok()
			{}
		}
		assert_noop!(
			Attestations::open_round(subject(1), &CLAIMANT, output(1)),
			Error::<Test>::DeadlineQueueFull
		);
		assert_ok!(Attestations::open_claim(subject(2), &CLAIMANT, output(2)));
		assert_eq!(ClaimDeadlines::<Test>::get(11).into_inner(), vec![subject(2)]);
	});
}

/// Fills and empties claim deadline lists with a filler subject, to test a full queue.
struct ClaimQueueFill;
impl ClaimQueueFill {
	const FILLER: SubjectId = sp_core::H256([0xFF; 32]);

	fn fill(from: u64, to: u64) {
		for at in from..=to {
			while ClaimDeadlines::<Test>::try_mutate(at, |list| list.try_push(Self::FILLER)).is_ok()
			{
			}
		}
	}

	fn clear(from: u64, to: u64) {
		for at in from..=to {
			ClaimDeadlines::<Test>::mutate(at, |list| list.retain(|s| *s != Self::FILLER));
			if ClaimDeadlines::<Test>::get(at).is_empty() {
				ClaimDeadlines::<Test>::remove(at);
			}
		}
	}
}

// ---- Claims and disputes ----

#[test]
fn an_unchallenged_claim_stands_at_its_deadline() {
	network().build_and_execute(|| {
		assert_ok!(Attestations::open_claim(subject(1), &CLAIMANT, output(1)));
		System::assert_last_event(
			Event::ClaimOpened {
				subject: subject(1),
				claimant: CLAIMANT,
				output: output(1),
				challenge_deadline: 11,
			}
			.into(),
		);
		run_to_block(10);
		assert!(Concluded::get().is_empty());
		run_to_block(11);
		System::assert_has_event(
			Event::ClaimStood { subject: subject(1), claimant: CLAIMANT, output: output(1) }.into(),
		);
		assert_eq!(
			Concluded::get(),
			vec![(subject(1), Conclusion::Unchallenged { claimant: CLAIMANT, output: output(1) })]
		);
		assert_eq!(Concluded::get()[0].1.accepted_output(), Some(output(1)));
		assert_eq!(Nodes::<Test>::get(CLAIMANT).unwrap().open_work, 0);
		assert_noop!(Attestations::challenge(signed(2), subject(1)), Error::<Test>::NoSuchClaim);
	});
}

#[test]
fn challenge_errors() {
	network()
		.node(9, RoleSet::from_roles(&[NodeRole::Inference, NodeRole::Verifier]), BOND)
		.node(10, verifier(), INITIAL_BALANCE - 100)
		.build_and_execute(|| {
			assert_noop!(
				Attestations::challenge(signed(2), subject(1)),
				Error::<Test>::NoSuchClaim
			);
			assert_ok!(Attestations::open_claim(subject(1), &9, output(1)));
			assert_noop!(Attestations::challenge(signed(9), subject(1)), Error::<Test>::OwnClaim);
			assert_noop!(
				Attestations::challenge(signed(CLAIMANT), subject(1)),
				Error::<Test>::NotAVerifier
			);
			assert_noop!(
				Attestations::challenge(signed(11), subject(1)),
				Error::<Test>::NotRegistered
			);
			assert_noop!(
				Attestations::challenge(signed(10), subject(1)),
				Error::<Test>::InsufficientFunds
			);
			assert_ok!(Attestations::leave(signed(3)));
			assert_noop!(
				Attestations::challenge(signed(3), subject(1)),
				Error::<Test>::NodeLeaving
			);
		});
}

/// Opens a claim of `output(1)` and has verifier 2 challenge it; returns the committee.
fn challenged_claim() -> Vec<AccountId> {
	assert_ok!(Attestations::open_claim(subject(1), &CLAIMANT, output(1)));
	assert_ok!(Attestations::challenge(signed(2), subject(1)));
	assert_eq!(committee_of(subject(1)), Vec::<AccountId>::new());
	run_to_block(2);
	assert!(events().contains(&Event::Challenged {
		subject: subject(1),
		challenger: 2,
		bond: 200
	}));
	assert_eq!(Balances::balance_on_hold(&HoldReason::ChallengeBond.into(), &2), 200);
	assert!(Claims::<Test>::get(subject(1)).is_none());
	let committee = committee_of(subject(1));
	assert!(!committee.contains(&CLAIMANT) && !committee.contains(&2));
	committee
}

#[test]
fn a_dispute_won_by_the_challenger() {
	network().build_and_execute(|| {
		let issuance = total_issuance();
		let committee = challenged_claim();
		for member in &committee {
			assert_ok!(commit(subject(1), *member, output(2)));
		}
		for member in &committee {
			assert_ok!(reveal(subject(1), *member, output(2)));
		}
		// The claimant loses half its bond (500): 250 to the challenger, 250 to the treasury;
		// the challenge bond comes back.
		assert_eq!(held(CLAIMANT), 500);
		assert_eq!(Balances::balance_on_hold(&HoldReason::ChallengeBond.into(), &2), 0);
		assert_eq!(free(2), INITIAL_BALANCE - BOND + 250);
		assert_eq!(free(TREASURY), 1 + 250);
		assert_eq!(total_issuance(), issuance);
		let events = events();
		assert!(events.contains(&Event::ChallengeBondReleased { challenger: 2, amount: 200 }));
		assert!(events.contains(&Event::Rewarded { who: 2, amount: 250 }));
		assert_eq!(
			Concluded::get(),
			vec![(
				subject(1),
				Conclusion::Decided {
					kind: RoundKind::Dispute,
					claimant: CLAIMANT,
					claimed: output(1),
					decided: output(2),
					majority: committee.clone(),
				}
			)]
		);
	});
}

#[test]
fn a_dispute_lost_by_the_challenger() {
	network().build_and_execute(|| {
		let issuance = total_issuance();
		let committee = challenged_claim();
		for member in &committee {
			assert_ok!(commit(subject(1), *member, output(1)));
		}
		for member in &committee {
			assert_ok!(reveal(subject(1), *member, output(1)));
		}
		// The challenger loses its 200 challenge bond: 100 to the claimant, 100 to the treasury.
		assert_eq!(Balances::balance_on_hold(&HoldReason::ChallengeBond.into(), &2), 0);
		assert_eq!(free(2), INITIAL_BALANCE - BOND - 200);
		assert_eq!(free(CLAIMANT), INITIAL_BALANCE - BOND + 100);
		assert_eq!(held(CLAIMANT), BOND);
		assert_eq!(free(TREASURY), 1 + 100);
		assert_eq!(total_issuance(), issuance);
		assert!(events().contains(&Event::Slashed {
			who: 2,
			amount: 200,
			reason: SlashReason::FailedChallenge
		}));
		assert_eq!(Concluded::get()[0].1.accepted_output(), Some(output(1)));
	});
}

#[test]
fn an_undecided_dispute_returns_the_challenge_bond() {
	network().build_and_execute(|| {
		challenged_claim();
		run_to_block(12);
		assert_eq!(Balances::balance_on_hold(&HoldReason::ChallengeBond.into(), &2), 0);
		assert_eq!(free(2), INITIAL_BALANCE - BOND);
		assert!(matches!(
			Concluded::get()[0].1,
			Conclusion::Undecided { kind: RoundKind::Dispute, .. }
		));
	});
}

// ---- The registry as other pallets use it ----

#[test]
fn a_consumer_slashes_for_a_proven_fault() {
	network().build_and_execute(|| {
		let issuance = total_issuance();
		let amount = Attestations::slash(&CLAIMANT, Perbill::from_percent(10), Some(&2));
		assert_eq!(amount, 100);
		assert_eq!(held(CLAIMANT), 900);
		assert_eq!(free(2), INITIAL_BALANCE - BOND + 50);
		assert_eq!(free(TREASURY), 1 + 50);
		assert_eq!(total_issuance(), issuance);
		assert_eq!(Attestations::slash(&42, Perbill::from_percent(10), None), 0);
	});
}

#[test]
fn a_slash_reaches_unbonding_funds() {
	network().build_and_execute(|| {
		assert_ok!(Attestations::unbond(signed(2), 800));
		let amount = Attestations::slash(&2, Perbill::from_percent(50), None);
		assert_eq!(amount, 500);
		let node = Nodes::<Test>::get(2).unwrap();
		assert_eq!(node.bonded, 0);
		assert_eq!(node.unlocking[0].amount, 500);
		assert_eq!(held(2), 500);
		// Under the minimum: still pooled, never selected.
		assert!(!Attestations::is_eligible(&2, NodeRole::Verifier));
	});
}

// ---- Invariants ----

#[test]
fn try_state_catches_a_hold_that_differs_from_the_record() {
	network().build().execute_with(|| {
		Nodes::<Test>::mutate(2, |node| node.as_mut().unwrap().bonded += 1);
		assert!(Attestations::do_try_state().is_err());
	});
}

#[test]
fn try_state_catches_a_pool_that_differs_from_the_nodes() {
	network().build().execute_with(|| {
		PoolTree::<Test>::mutate(NodeRole::Verifier, 1, |weight| *weight += 1);
		assert!(Attestations::do_try_state().is_err());
	});
	network().build().execute_with(|| {
		Attestations::pool_remove(NodeRole::Verifier, &3);
		assert!(Attestations::do_try_state().is_err());
	});
}

#[test]
fn try_state_catches_a_past_or_unscheduled_deadline() {
	network().build().execute_with(|| {
		open_round();
		Deadlines::<Test>::remove(12);
		assert!(Attestations::do_try_state().is_err());
	});
	network().build().execute_with(|| {
		open_round();
		System::set_block_number(12);
		assert!(Attestations::do_try_state().is_err());
	});
}

#[test]
fn genesis_registers_nodes_with_their_bonds() {
	network().build_and_execute(|| {
		assert_eq!(NodeCount::<Test>::get(), 8);
		assert_eq!(held(5), BOND);
		assert_eq!(PoolSizes::<Test>::get(NodeRole::Verifier), PoolSize { len: 7, capacity: 8 });
		assert_eq!(ActiveParameters::<Test>::get(), test_parameters());
		let view = Attestations::node_view(5).unwrap();
		assert_eq!((view.bonded, view.stale, view.open_work), (BOND, false, 0));
		assert_eq!(Attestations::nodes_page(None, 3).len(), 3);
		assert_eq!(Attestations::nodes_page(None, 100).len(), 8);
		let first = Attestations::nodes_page(None, 1)[0];
		assert_eq!(Attestations::nodes_page(Some(first), 100).len(), 7);
	});
}

// ---- Fixes from review: committees drawn later, key proofs, bonds, replays ----

#[test]
fn too_few_verifiers_at_the_draw_end_the_round_undecided() {
	network().build_and_execute(|| {
		assert_ok!(Attestations::open_round(subject(2), &CLAIMANT, output(1)));
		for who in 2..=4 {
			assert_ok!(Attestations::chill(RuntimeOrigin::root(), who));
		}
		// Four verifiers left, five needed.
		run_to_block(2);
		System::assert_has_event(Event::NoCommittee { subject: subject(2) }.into());
		assert!(Rounds::<Test>::get(subject(2)).is_none());
		assert_eq!(Nodes::<Test>::get(CLAIMANT).unwrap().open_work, 0);
		assert!(matches!(
			Concluded::get()[..],
			[(_, Conclusion::Undecided { kind: RoundKind::Verification, .. })]
		));
	});
}

#[test]
fn the_committee_depends_on_the_draw_block_not_the_opening_one() {
	// The same round opened in the same block gets different committees when the block that
	// draws it has a different parent: whoever opens a round cannot see its committee coming.
	let draw = |parent: u64| {
		let mut committee = Vec::new();
		network().build().execute_with(|| {
			assert_ok!(Attestations::open_round(subject(1), &CLAIMANT, output(1)));
			System::set_block_number(2);
			System::set_parent_hash(H256::from_low_u64_be(parent));
			Attestations::on_initialize(2);
			committee = committee_of(subject(1));
		});
		committee
	};
	let committees: Vec<_> = (0..8).map(draw).collect();
	assert!(committees.iter().all(|c| c.len() == 5));
	assert!(committees.windows(2).any(|pair| pair[0] != pair[1]));
}

#[test]
fn registering_or_rotating_a_key_needs_its_signature() {
	network().build_and_execute(|| {
		// Account 9 cannot claim key 10, nor sign for another account.
		assert_noop!(
			Attestations::register(signed(9), verifier(), key(10), key_proof(9, 9), None, BOND),
			Error::<Test>::BadSignature
		);
		assert_noop!(
			Attestations::register(signed(9), verifier(), key(9), key_proof(9, 10), None, BOND),
			Error::<Test>::BadSignature
		);
		assert_noop!(
			Attestations::set_role_key(signed(2), key(43), key_proof(42, 2)),
			Error::<Test>::BadSignature
		);
		assert_ok!(Attestations::register(
			signed(9),
			verifier(),
			key(9),
			key_proof(9, 9),
			None,
			BOND
		));
	});
}

#[test]
fn an_under_bonded_node_goes_inactive_and_more_bond_brings_it_back() {
	network().build_and_execute(|| {
		// 95% slashed: 50 left of a 100 minimum.
		Attestations::slash(&2, Perbill::from_percent(95), None);
		assert!(events()
			.contains(&Event::NodeInactive { node: 2, reason: InactiveReason::UnderBonded }));
		assert_eq!(Attestations::pool_weight(NodeRole::Verifier, &2), None);
		assert_ok!(Attestations::bond_extra(signed(2), 50));
		System::assert_last_event(Event::NodeReactivated { node: 2 }.into());
		assert_eq!(Attestations::pool_weight(NodeRole::Verifier, &2), Some(100));
		// A raised minimum: the sweep marks those below it.
		assert_ok!(Attestations::set_parameter(
			RuntimeOrigin::root(),
			ParameterChange::MinVerifierBond(500)
		));
		assert!(!Attestations::is_eligible(&2, NodeRole::Verifier));
		run_to_block(4);
		assert!(matches!(Nodes::<Test>::get(2).unwrap().status, NodeStatus::Inactive { .. }));
		assert_eq!(Nodes::<Test>::get(3).unwrap().status, NodeStatus::Active);
	});
}

#[test]
fn a_leaving_node_slashed_to_nothing_can_still_go() {
	network().build_and_execute(|| {
		assert_ok!(Attestations::leave(signed(2)));
		Attestations::slash(&2, Perbill::one(), None);
		assert_eq!(held(2), 0);
		assert_ok!(Attestations::withdraw_unbonded(signed(2)));
		System::assert_last_event(Event::NodeRemoved { node: 2 }.into());
		assert!(Nodes::<Test>::get(2).is_none());
	});
}

#[test]
fn a_commitment_from_an_earlier_round_of_the_subject_is_void() {
	network().build_and_execute(|| {
		let committee = open_round();
		let member = committee[0];
		let old = commit_call(subject(1), member, output(1));
		for member in &committee {
			assert_ok!(commit(subject(1), *member, output(1)));
		}
		for member in &committee {
			assert_ok!(reveal(subject(1), *member, output(1)));
		}
		// The subject is reopened later: the old signed commitment does not replay into it.
		run_to_block(20);
		assert_ok!(Attestations::open_round(subject(1), &CLAIMANT, output(1)));
		run_to_block(21);
		if committee_of(subject(1)).contains(&member) {
			let Call::commit { subject, member, commitment, signature } = old else {
				unreachable!()
			};
			assert_noop!(
				Attestations::commit(authorized(), subject, member, commitment, signature),
				Error::<Test>::BadSignature
			);
		}
		// Drop the second round's work so try_state sees it end.
		run_to_block(40);
	});
}
