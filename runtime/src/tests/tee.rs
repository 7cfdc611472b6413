//! TEE mode through real blocks and transactions: the real TDX sample registered through the
//! `opg_dcap` host function at the timestamp pallet's time, the allow-list kept by curation
//! referenda, and a revocation that stops a node receiving and answering TEE jobs. The chain has
//! no sudo key.

use super::{
	governance::{
		close_block, decide, enactment, ext_of, governed_config, open_block, pass, produce_block,
		propose, run_to_block, send, uploaded_model,
	},
	*,
};
use crate::configs::governance::origins::Origin as Custom;
use frame_support::traits::fungible::InspectHold;
use frame_system::offchain::CreateBare;
use opg_primitives::{
	attestation::{NodeRole, RoleSet},
	inference::{FixedPoint, JobStatus, Tensor, TensorValues, Tensors},
	model::InferenceMode,
	tee::{opg_dcap, read_report_data, samples, EnclaveKey, Measurement, INTEL_ROOT_CA_DER},
};
use pallet_tee::TeeEvidence;
use sp_core::Pair as _;
use sp_runtime::{
	transaction_validity::{InvalidTransaction, TransactionValidityError},
	DispatchError,
};

/// A chain like a production one (no sudo key, approval required) where Alice and Bob are
/// inference nodes; `dev_enclave`: genesis allows the insecure dev enclave.
fn tee_ext(dev_enclave: bool) -> sp_io::TestExternalities {
	let node = |who: Sr25519Keyring| {
		let roles = RoleSet::from(NodeRole::Inference);
		(who.to_account_id(), roles, who.public().into(), None, genesis_config_presets::NODE_BOND)
	};
	let mut config = governed_config();
	config.nodes.nodes = vec![node(Sr25519Keyring::Alice), node(Sr25519Keyring::Bob)];
	config.tee.allow_insecure_dev_enclave = dev_enclave;
	ext_of(config)
}

fn curator() -> OriginCaller {
	OriginCaller::Origins(Custom::ModelCurator)
}

fn tee(call: pallet_tee::Call<Runtime>) -> RuntimeCall {
	RuntimeCall::Tee(call)
}

/// A curation referendum that allows `measurement` and approves `model_id`'s first version.
fn allow_and_approve(measurement: Measurement, model_id: u32) {
	let batch = RuntimeCall::Utility(pallet_utility::Call::batch_all {
		calls: vec![
			tee(pallet_tee::Call::allow_measurement { measurement }),
			RuntimeCall::ModelRegistry(pallet_model_registry::Call::approve_version {
				model_id,
				version: 1,
			}),
		],
	});
	assert_eq!(pass(propose(curator(), batch)), Ok(()));
}

/// Alice's registration of `enclave` through the dev enclave, with the key's proof.
fn register_dev(enclave: &sp_core::ed25519::Pair) -> RuntimeCall {
	let message = opg_primitives::tee::insecure_registration_message(
		&System::block_hash(0),
		&Sr25519Keyring::Alice.to_account_id(),
	);
	tee(pallet_tee::Call::register_tee {
		evidence: TeeEvidence::InsecureDevEnclave { key_proof: enclave.sign(&message).into() },
		enclave_key: EnclaveKey::from(enclave.public()),
	})
}

fn tdx_sample() -> opg_primitives::tee::VerifiedQuote {
	opg_dcap::verify_quote(
		samples::TDX_QUOTE,
		samples::TDX_COLLATERAL,
		INTEL_ROOT_CA_DER,
		samples::SAMPLE_TIME,
	)
	.expect("the sample verifies")
}

#[test]
fn the_tdx_sample_registers_through_the_runtime_at_the_chains_time() {
	tee_ext(false).execute_with(|| {
		let sample = tdx_sample();
		// Anyone registers the platform family's collateral.
		assert_eq!(
			send(
				Sr25519Keyring::Charlie,
				tee(pallet_tee::Call::refresh_collateral {
					quote: samples::TDX_QUOTE.to_vec().try_into().unwrap(),
					collateral: samples::TDX_COLLATERAL.to_vec().try_into().unwrap(),
				})
			),
			Ok(())
		);
		// The curation track allows the sample's measurement (a signed account cannot).
		assert_eq!(
			send(
				Sr25519Keyring::Alice,
				tee(pallet_tee::Call::allow_measurement {
					measurement: sample.measurement.clone()
				})
			),
			Err(DispatchError::BadOrigin)
		);
		let model_id = uploaded_model();
		allow_and_approve(sample.measurement.clone(), model_id);
		// The sample binds a block hash of its own chain and Alice's account (read for Alice, its
		// fixed report data names the block hash it binds for her): stand it in for a recent
		// block's.
		let alice = Sr25519Keyring::Alice.to_account_id();
		let (key, block) = read_report_data(&sample.report_data, &alice);
		let anchor = System::block_number() - 1;
		frame_system::BlockHash::<Runtime>::insert(anchor, block);
		let key = EnclaveKey::from(sp_core::ed25519::Public::from_raw(key));
		let register = |who: Sr25519Keyring| {
			send(
				who,
				tee(pallet_tee::Call::register_tee {
					evidence: TeeEvidence::Dcap {
						quote: samples::TDX_QUOTE.to_vec().try_into().unwrap(),
						fmspc: sample.fmspc,
						pck_ca: sample.pck_ca,
						anchor,
					},
					enclave_key: key.clone(),
				}),
			)
		};
		// Bob copies Alice's pending registration and gets in first: the quote binds Alice.
		assert_eq!(
			register(Sr25519Keyring::Bob),
			Err(pallet_tee::Error::<Runtime>::QuoteNotForCaller.into())
		);
		assert!(Tee::tee_view(Sr25519Keyring::Bob.to_account_id()).is_none());
		assert_eq!(register(Sr25519Keyring::Alice), Ok(()));
		let view = Tee::tee_view(alice.clone()).expect("registered");
		assert!(!view.insecure);
		assert_eq!(view.measurement, sample.measurement);
		assert!(pallet_nodes::Nodes::<Runtime>::get(&alice).unwrap().roles.contains(NodeRole::Tee));
		// Bob replays Alice's quote: refused.
		assert_eq!(
			register(Sr25519Keyring::Bob),
			Err(pallet_tee::Error::<Runtime>::EnclaveKeyInUse.into())
		);
		// A TEE job can go to Alice only.
		let job = pallet_inference::NextJobId::<Runtime>::get();
		assert_eq!(request(Sr25519Keyring::Dave, model_id), Ok(()));
		// Queued in its block, assigned in the next.
		assert!(matches!(
			pallet_inference::Jobs::<Runtime>::get(job).unwrap().status,
			JobStatus::Queued { .. }
		));
		produce_block();
		assert!(matches!(
			pallet_inference::Jobs::<Runtime>::get(job).unwrap().status,
			JobStatus::Assigned { node, .. } if node == alice
		));
		produce_block();
	});
}

/// Alice's node sends its heartbeat for the current period, as her offchain worker would: she
/// has been silent through the referendum's blocks.
fn alice_heartbeat() {
	let alice = Sr25519Keyring::Alice.to_account_id();
	let parameters = pallet_nodes::ActiveParameters::<Runtime>::get();
	let heartbeat = opg_primitives::attestation::Heartbeat {
		node: alice,
		period_start: Nodes::period_start(System::block_number(), &parameters),
	};
	let message = opg_primitives::attestation::signing_message(
		&System::block_hash(0),
		&opg_primitives::attestation::SignedStatement::Heartbeat(&heartbeat),
	);
	let signature = opg_primitives::attestation::NodeKeySignature::from(
		Sr25519Keyring::Alice.pair().sign(&message),
	);
	let call = RuntimeCall::Nodes(pallet_nodes::Call::heartbeat { heartbeat, signature });
	let xt = <Runtime as CreateBare<RuntimeCall>>::create_bare(call);
	assert_eq!(Executive::apply_extrinsic(xt), Ok(Ok(())));
}

/// A TEE request of the one-chunk test model on `[1, 2, 3, 4]`, from a live node's point of
/// view (Alice's heartbeat first).
fn request(who: Sr25519Keyring, model: u32) -> sp_runtime::DispatchResult {
	let parameters = pallet_nodes::ActiveParameters::<Runtime>::get();
	let alice = Sr25519Keyring::Alice.to_account_id();
	let node = pallet_nodes::Nodes::<Runtime>::get(&alice).expect("a node");
	let period = Nodes::period_start(System::block_number(), &parameters);
	if node.last_heartbeat.is_none_or(|at| at < period) {
		alice_heartbeat();
	}
	send(
		who,
		RuntimeCall::Inference(pallet_inference::Call::request {
			model,
			version: None,
			input: tensors(b"x"),
			mode: InferenceMode::Tee,
			max_fee: 10 * OPG,
		}),
	)
}

fn tensors(name: &[u8]) -> Tensors {
	let values = (1..=4).map(|v| FixedPoint { value: v, decimals: 0 }).collect::<Vec<_>>();
	vec![Tensor {
		name: name.to_vec().try_into().unwrap(),
		shape: vec![4].try_into().unwrap(),
		values: TensorValues::Numbers(values.try_into().unwrap()),
	}]
	.try_into()
	.unwrap()
}

/// Alice's enclave answer to `job`, signed with `enclave`, as her offchain worker sends it.
fn tee_answer(job: u64, enclave: &sp_core::ed25519::Pair) -> UncheckedExtrinsic {
	let record = pallet_inference::Jobs::<Runtime>::get(job).expect("the job exists");
	let output = tensors(b"y");
	let message = Inference::tee_signing_message(
		job,
		&record,
		opg_primitives::inference::output_hash(&output),
	);
	let call = RuntimeCall::Inference(pallet_inference::Call::submit_tee_result {
		job,
		node: Sr25519Keyring::Alice.to_account_id(),
		output,
		signature: enclave.sign(&message).into(),
	});
	<Runtime as CreateBare<RuntimeCall>>::create_bare(call)
}

#[test]
fn a_referendum_revoking_a_measurement_stops_its_nodes_receiving_and_answering_tee_jobs() {
	tee_ext(true).execute_with(|| {
		let alice = Sr25519Keyring::Alice.to_account_id();
		let model_id = uploaded_model();
		allow_and_approve(Measurement::InsecureDevEnclave, model_id);
		let enclave = sp_core::ed25519::Pair::from_string("//AliceEnclave", None).unwrap();
		assert_eq!(send(Sr25519Keyring::Alice, register_dev(&enclave)), Ok(()));
		// Before: a TEE job goes to Alice and her enclave's answer settles it in its block.
		let job = pallet_inference::NextJobId::<Runtime>::get();
		assert_eq!(request(Sr25519Keyring::Dave, model_id), Ok(()));
		produce_block();
		assert_eq!(Executive::apply_extrinsic(tee_answer(job, &enclave)), Ok(Ok(())));
		assert!(matches!(
			pallet_inference::Jobs::<Runtime>::get(job).unwrap().status,
			JobStatus::Final { .. }
		));
		System::assert_has_event(RuntimeEvent::Inference(
			pallet_inference::Event::TeeResultAccepted {
				job,
				node: alice.clone(),
				enclave_key: EnclaveKey::from(enclave.public()),
				insecure: true,
			},
		));
		produce_block();

		// A curation referendum revokes the measurement. While it is enacted, Alice holds a job.
		let revoke =
			tee(pallet_tee::Call::revoke_measurement { id: Measurement::InsecureDevEnclave.id() });
		let index = propose(curator(), revoke);
		assert_eq!(
			send(
				Sr25519Keyring::Bob,
				RuntimeCall::Referenda(pallet_referenda::Call::place_decision_deposit { index })
			),
			Ok(())
		);
		assert_eq!(
			send(
				Sr25519Keyring::Alice,
				RuntimeCall::ConvictionVoting(pallet_conviction_voting::Call::vote {
					poll_index: index,
					vote: pallet_conviction_voting::AccountVote::Standard {
						vote: pallet_conviction_voting::Vote {
							aye: true,
							conviction: pallet_conviction_voting::Conviction::Locked1x,
						},
						balance: 500_000 * OPG,
					},
				})
			),
			Ok(())
		);
		assert!(decide(index));
		let open = pallet_inference::NextJobId::<Runtime>::get();
		assert_eq!(request(Sr25519Keyring::Dave, model_id), Ok(()));
		assert_eq!(enactment(), Ok(()));
		assert!(Tee::tee_view(alice.clone()).is_none());

		// After: Alice's enclave can no longer answer the job she holds (refused before the
		// pool), no new TEE job is given to anyone, and the open one is refunded at its deadline
		// without slashing her.
		let refused = pallet_inference::Error::<Runtime>::NotTeeCapable.encode()[0];
		assert_eq!(
			Executive::apply_extrinsic(tee_answer(open, &enclave)),
			Err(TransactionValidityError::Invalid(InvalidTransaction::Custom(refused)))
		);
		assert_eq!(
			request(Sr25519Keyring::Dave, model_id),
			Err(pallet_inference::Error::<Runtime>::NoInferenceNode.into())
		);
		let bond = Balances::balance_on_hold(&pallet_nodes::HoldReason::NodeBond.into(), &alice);
		let dave = Sr25519Keyring::Dave.to_account_id();
		run_to_block(System::block_number() + 6);
		assert!(matches!(
			pallet_inference::Jobs::<Runtime>::get(open).unwrap().status,
			JobStatus::Refunded { .. }
		));
		assert_eq!(
			Balances::balance_on_hold(&pallet_nodes::HoldReason::NodeBond.into(), &alice),
			bond
		);
		assert_eq!(
			Balances::balance_on_hold(&pallet_inference::HoldReason::JobFee.into(), &dave),
			0
		);
	});
}

#[test]
fn only_the_dev_preset_allows_the_insecure_dev_enclave() {
	super::preset_ext("development").execute_with(|| {
		assert!(pallet_tee::InsecureDevEnclaveAllowed::<Runtime>::get());
	});
	super::preset_ext("local_testnet").execute_with(|| {
		assert!(!pallet_tee::InsecureDevEnclaveAllowed::<Runtime>::get());
		// Not even root can put it on the list.
		assert_eq!(
			Tee::allow_measurement(RuntimeOrigin::root(), Measurement::InsecureDevEnclave),
			Err(pallet_tee::Error::<Runtime>::DevEnclaveNotAllowed.into())
		);
	});
	tee_ext(false).execute_with(|| {
		assert!(!pallet_tee::InsecureDevEnclaveAllowed::<Runtime>::get());
		assert_eq!(
			send(Sr25519Keyring::Alice, register_dev(&sp_core::ed25519::Pair::from_seed(&[1; 32]))),
			Err(pallet_tee::Error::<Runtime>::DevEnclaveNotAllowed.into())
		);
	});
}

/// The node registry and the enclave registry stay in step, though neither imports the other:
/// the `Tee` role is never declared, only granted by a registration; a TEE node that stops being
/// an inference node, or leaves and withdraws its bond, loses its registration and the role with
/// it (pallet-nodes asks pallet-tee through `EnclaveRegistry::deregister`). Every block checks
/// the cross-pallet invariants.
#[test]
fn a_tee_node_that_stops_inferring_or_leaves_loses_its_registration() {
	use Sr25519Keyring::Alice;
	tee_ext(true).execute_with(|| {
		let alice = Alice.to_account_id();
		let has_tee_role = || {
			pallet_nodes::Nodes::<Runtime>::get(&alice)
				.is_some_and(|node| node.roles.contains(NodeRole::Tee))
		};
		let registered = || pallet_tee::TeeNodes::<Runtime>::contains_key(&alice);
		let set_roles = |roles: &[NodeRole]| {
			RuntimeCall::Nodes(pallet_nodes::Call::set_roles {
				roles: RoleSet::from_roles(roles),
				endpoint: None,
			})
		};
		assert_eq!(
			Tee::allow_measurement(RuntimeOrigin::root(), Measurement::InsecureDevEnclave),
			Ok(())
		);
		let first = sp_core::ed25519::Pair::from_seed(&[7; 32]);
		assert_eq!(send(Alice, register_dev(&first)), Ok(()));
		assert!(has_tee_role() && registered());
		produce_block();

		// Nobody declares the role; a new role beside inference keeps the registration.
		assert_eq!(
			send(Alice, set_roles(&[NodeRole::Inference, NodeRole::Tee])),
			Err(pallet_nodes::Error::<Runtime>::TeeRoleNotDeclarable.into())
		);
		assert_eq!(send(Alice, set_roles(&[NodeRole::Inference, NodeRole::Verifier])), Ok(()));
		assert!(has_tee_role() && registered());
		produce_block();

		// Dropping inference ends the registration, and a new one needs inference again.
		assert_eq!(send(Alice, set_roles(&[NodeRole::Verifier])), Ok(()));
		assert!(!has_tee_role() && !registered());
		assert!(System::events().iter().any(|record| matches!(
			&record.event,
			RuntimeEvent::Tee(pallet_tee::Event::TeeRevoked { node, insecure: true, .. })
				if *node == alice
		)));
		let second = sp_core::ed25519::Pair::from_seed(&[8; 32]);
		assert_eq!(
			send(Alice, register_dev(&second)),
			Err(pallet_tee::Error::<Runtime>::NotAnInferenceNode.into())
		);
		produce_block();

		// Registered again, then leaving: the registration stands while the bond unbonds (the
		// node is still bonded and slashable) and goes with the node's record.
		assert_eq!(send(Alice, set_roles(&[NodeRole::Inference])), Ok(()));
		assert_eq!(send(Alice, register_dev(&second)), Ok(()));
		assert_eq!(send(Alice, RuntimeCall::Nodes(pallet_nodes::Call::leave {})), Ok(()));
		assert!(has_tee_role() && registered());
		let unbonding = pallet_nodes::ActiveParameters::<Runtime>::get().unbonding_period;
		run_to_block(System::block_number() + unbonding);
		open_block();
		assert_eq!(
			send(Alice, RuntimeCall::Nodes(pallet_nodes::Call::withdraw_unbonded {})),
			Ok(())
		);
		assert!(pallet_nodes::Nodes::<Runtime>::get(&alice).is_none());
		assert!(!registered());
		assert!(
			pallet_tee::EnclaveKeys::<Runtime>::get(EnclaveKey::from(second.public())).is_none()
		);
		close_block();
	});
}
