//! Fuzz targets: the extrinsic arguments of the OPG pallets (ModelRegistry, Nodes,
//! Attestations, Tee and Inference), the untrusted bytes every node decodes from transactions.
//!
//! - [`fuzz_call_bytes`]: arbitrary bytes behind each OPG pallet's index (and often a call
//!   index) decoded as a `RuntimeCall` with the extrinsic depth limit, as a node decodes a
//!   transaction. Whatever decodes encodes back to itself, weighs itself, and goes through the
//!   transaction pool's validation (the `#[pallet::authorize]` closures of the calls that
//!   authorize themselves, the transaction extensions) in the development chain's state.
//! - [`fuzz_mutated_calls`]: valid calls of every OPG pallet, in the state of a development
//!   chain with models, open jobs of every mode, a drawn committee, a claim open to challenge
//!   and a TEE node, mutated byte by byte. Whatever still decodes is validated and applied
//!   through `Executive` as a wallet's signed transaction (an endowed dev account pays), as an
//!   offchain worker's general transaction (re-signed with the dev key it names, so that the
//!   signature checks pass and what follows them runs), or dispatched as root (as a referendum
//!   enacts governance calls). Then the block is finalized and two more run, with every
//!   pallet's `try_state` invariants checked after each (with the `try-runtime` feature).
//!
//! Nothing may panic; a call may fail, as it would on a chain.

use super::{
	governance::{close_block, open_block, produce_block},
	one_chunk_version, preset_ext, *,
};
use codec::{Decode, DecodeLimit};
use frame_support::{
	dispatch::GetDispatchInfo,
	storage::{with_transaction, TransactionOutcome},
	traits::PalletInfoAccess,
};
use frame_system::offchain::CreateAuthorizedTransaction;
use opg_primitives::attestation::{signing_message, Heartbeat, SignedStatement};
use opg_primitives::{
	attestation::{NodeKey, NodeKeySignature, NodeRole, RoleSet},
	fuzzing::{fuzz_cases, mutate},
	inference::{
		job_signing_message, output_hash, FixedPoint, JobStatement, Tensor, TensorValues, Tensors,
	},
	model::{Dim, InferenceMode, IoSchema, ModeSet, TensorDtype, TensorSpec, ZkArtifacts},
	tee::{
		insecure_registration_message, read_report_data, samples, EnclaveKey, EnclaveSignature,
		Measurement,
	},
};
use pallet_tee::TeeEvidence;
use proptest::prelude::*;
use sp_core::Pair as _;
use sp_runtime::{
	traits::Dispatchable, transaction_validity::TransactionSource, DispatchError,
	SaturatedConversion,
};
use std::sync::OnceLock;

type StateVersion = sp_core::storage::StateVersion;

/// How a base call is sent.
#[derive(Clone, Copy, Debug)]
enum Sender {
	/// A signed transaction from this dev account.
	Signed(Sr25519Keyring),
	/// A general transaction that the call authorizes itself.
	General,
	/// Dispatched as root, as a referendum enacts it.
	Root,
}

/// The development chain after [`set_up`], and valid calls in its state.
pub(super) struct Fixture {
	storage: Vec<(Vec<u8>, (Vec<u8>, i32))>,
	root: sp_core::H256,
	state_version: StateVersion,
	calls: Vec<(Vec<u8>, Sender)>,
}

impl Fixture {
	/// The fixture's chain, as fresh externalities.
	pub(super) fn ext(&self) -> sp_io::TestExternalities {
		sp_io::TestExternalities::from_raw_snapshot(
			self.storage.clone(),
			self.root,
			self.state_version,
		)
	}
}

pub(super) fn fixture() -> &'static Fixture {
	static FIXTURE: OnceLock<Fixture> = OnceLock::new();
	FIXTURE.get_or_init(|| {
		let mut ext = preset_ext("development");
		let calls = ext.execute_with(|| {
			set_up();
			base_calls()
		});
		ext.commit_all().expect("the set-up commits");
		let state_version = ext.state_version;
		let (storage, root) = ext.into_raw_snapshot();
		Fixture { storage, root, state_version, calls }
	})
}

/// The TEE node's enclave key (Alice's, registered through the insecure dev enclave).
fn enclave() -> sp_core::ed25519::Pair {
	sp_core::ed25519::Pair::from_seed(&[7; 32])
}

/// The key Alice's enclave registers anew with.
fn spare_enclave() -> sp_core::ed25519::Pair {
	sp_core::ed25519::Pair::from_seed(&[8; 32])
}

/// The enclave pair of `key`, if it is one of these.
fn enclave_of(key: &EnclaveKey) -> Option<sp_core::ed25519::Pair> {
	[enclave(), spare_enclave()].into_iter().find(|pair| EnclaveKey::from(pair.public()) == *key)
}

/// The dev account `who` is, if it is one.
fn keyring_of(who: &AccountId) -> Option<Sr25519Keyring> {
	Sr25519Keyring::iter().find(|k| &k.to_account_id() == who)
}

fn genesis() -> Hash {
	System::block_hash(0)
}

fn node_signature(who: Sr25519Keyring, message: &[u8]) -> NodeKeySignature {
	NodeKeySignature::from(who.pair().sign(message))
}

fn float_tensor(name: &[u8], values: &[i128]) -> Tensors {
	vec![Tensor {
		name: name.to_vec().try_into().unwrap(),
		shape: vec![values.len() as u32].try_into().unwrap(),
		values: TensorValues::Numbers(
			values
				.iter()
				.map(|v| FixedPoint { value: *v, decimals: 2 })
				.collect::<Vec<_>>()
				.try_into()
				.unwrap(),
		),
	}]
	.try_into()
	.unwrap()
}

fn int_tensor(name: &[u8], values: &[i64]) -> Tensors {
	vec![Tensor {
		name: name.to_vec().try_into().unwrap(),
		shape: vec![1, values.len() as u32].try_into().unwrap(),
		values: TensorValues::Numbers(
			values
				.iter()
				.map(|v| FixedPoint { value: i128::from(*v), decimals: 0 })
				.collect::<Vec<_>>()
				.try_into()
				.unwrap(),
		),
	}]
	.try_into()
	.unwrap()
}

/// The ZK fixture's model: int8 `[1, 16]` to int32 `[1, 4]`, its bytes `bytes`.
fn zk_version(bytes: &[u8]) -> pallet_model_registry::VersionSpecOf<Runtime> {
	let fixture = opg_zk::fixture::mlp().expect("the fixture decodes");
	let spec = |name: &[u8], dtype, width| TensorSpec {
		name: name.to_vec().try_into().unwrap(),
		dtype,
		shape: vec![Dim::Fixed(1), Dim::Fixed(width)].try_into().unwrap(),
	};
	let mut version = one_chunk_version(bytes);
	version.schema = IoSchema {
		inputs: vec![spec(b"x", TensorDtype::Int8, 16)].try_into().unwrap(),
		outputs: vec![spec(b"y", TensorDtype::Int32, 4)].try_into().unwrap(),
	};
	version.modes = ModeSet { vanilla: false, attested: false, zk: true };
	version.zk = Some(ZkArtifacts {
		verifying_key: fixture.verifying_key.try_into().unwrap(),
		proving_key_hash: fixture.proving_key_hash.into(),
		constraints: fixture.constraints,
	});
	version
}

/// Model 0: a float model for vanilla, attested and TEE jobs.
const MODEL_A: &[u8] = b"fuzz model a";
/// Model 1: the ZK fixture.
const MODEL_B: &[u8] = b"fuzz model b";
/// Model 2: uploaded while approval was required, not approved.
const MODEL_C: &[u8] = b"fuzz model c";
/// Model 3: registered, not uploaded.
const MODEL_D: &[u8] = b"fuzz model d";

fn send_ok(who: Sr25519Keyring, call: RuntimeCall) {
	assert_eq!(send_signed(who, call.clone()), Ok(Ok(())), "{call:?}");
}

/// Builds the development chain the mutated calls run on: Ferdie's models 0 (float, vanilla and
/// attested), 1 (the ZK fixture), 2 (complete, awaiting approval) and 3 (not uploaded); Alice's
/// enclave registered through the dev enclave; Charlie's jobs 0 to 4 (vanilla, attested, ZK,
/// vanilla, TEE), all assigned to Alice, who answers jobs 0 and 1, so that a claim is open to
/// challenge and a committee is drawn. Ends at block 2.
fn set_up() {
	let (alice, ferdie) = (Sr25519Keyring::Alice, Sr25519Keyring::Ferdie);
	open_block();
	let mut a = one_chunk_version(MODEL_A);
	a.modes = ModeSet { vanilla: true, attested: true, zk: false };
	for (bytes, version) in [
		(MODEL_A, a),
		(MODEL_B, zk_version(MODEL_B)),
		(MODEL_C, one_chunk_version(MODEL_C)),
		(MODEL_D, one_chunk_version(MODEL_D)),
	] {
		pallet_model_registry::ApprovalRequired::<Runtime>::put(bytes == MODEL_C);
		let model = pallet_model_registry::NextModelId::<Runtime>::get();
		send_ok(
			ferdie,
			RuntimeCall::ModelRegistry(pallet_model_registry::Call::register_model {
				name: b"fuzz".to_vec().try_into().unwrap(),
				description: Default::default(),
				price: OPG / 100,
				version,
			}),
		);
		if bytes != MODEL_D {
			send_ok(
				ferdie,
				RuntimeCall::ModelRegistry(pallet_model_registry::Call::upload_chunk {
					model_id: model,
					version: 1,
					index: 0,
					data: bytes.to_vec().try_into().unwrap(),
				}),
			);
		}
	}
	pallet_model_registry::ApprovalRequired::<Runtime>::put(false);
	// A ZK version waits for governance whatever the flag says.
	let approve = RuntimeCall::ModelRegistry(pallet_model_registry::Call::approve_version {
		model_id: 1,
		version: 1,
	});
	assert!(approve.dispatch(RuntimeOrigin::root()).is_ok());
	let allow = RuntimeCall::Tee(pallet_tee::Call::allow_measurement {
		measurement: Measurement::InsecureDevEnclave,
	});
	assert!(allow.dispatch(RuntimeOrigin::root()).is_ok());
	send_ok(alice, register_dev_enclave(&alice.to_account_id(), &enclave()));
	// The TDX sample's collateral and measurement, for a registration with the real quote.
	send_ok(
		Sr25519Keyring::Charlie,
		RuntimeCall::Tee(pallet_tee::Call::refresh_collateral {
			quote: samples::TDX_QUOTE.to_vec().try_into().unwrap(),
			collateral: samples::TDX_COLLATERAL.to_vec().try_into().unwrap(),
		}),
	);
	let allow = RuntimeCall::Tee(pallet_tee::Call::allow_measurement {
		measurement: tdx_sample().measurement,
	});
	assert!(allow.dispatch(RuntimeOrigin::root()).is_ok());
	for (model, mode) in [
		(0, InferenceMode::Vanilla),
		(0, InferenceMode::Attested),
		(1, InferenceMode::Zk),
		(0, InferenceMode::Vanilla),
		(0, InferenceMode::Tee),
	] {
		send_ok(Sr25519Keyring::Charlie, request(model, mode));
	}
	// The jobs are assigned in the next block, from its VRF output.
	close_block();
	open_block();
	let answers = [
		pallet_inference::Call::submit_result {
			job: 0,
			node: alice.to_account_id(),
			output: float_tensor(b"y", &[1, 2, 3, 4]),
			signature: node_signature(alice, b""),
		},
		// The attested job is answered by commitment.
		pallet_inference::Call::submit_commitment {
			job: 1,
			node: alice.to_account_id(),
			commitment: sp_core::H256::repeat_byte(1),
			signature: node_signature(alice, b""),
		},
	];
	for answer in answers {
		let answer = resign(RuntimeCall::Inference(answer), None);
		assert_eq!(send_general(answer), Ok(Ok(())));
	}
	close_block();
	produce_block();
	assert_eq!(pallet_attestations::Rounds::<Runtime>::iter().count(), 1, "job 1's round");
	assert_eq!(pallet_attestations::Claims::<Runtime>::iter().count(), 1, "job 0's claim");
	// The sample binds a block hash of its own chain (read for Alice, who registers it): it stands
	// in for block 1's.
	let (_, block) = read_report_data(&tdx_sample().report_data, &alice.to_account_id());
	frame_system::BlockHash::<Runtime>::insert(1, block);
}

fn register_dev_enclave(who: &AccountId, enclave: &sp_core::ed25519::Pair) -> RuntimeCall {
	let message = insecure_registration_message(&genesis(), who);
	RuntimeCall::Tee(pallet_tee::Call::register_tee {
		evidence: TeeEvidence::InsecureDevEnclave {
			key_proof: EnclaveSignature::from(enclave.sign(&message)),
		},
		enclave_key: EnclaveKey::from(enclave.public()),
	})
}

fn request(model: u32, mode: InferenceMode) -> RuntimeCall {
	let input = if model == 1 {
		int_tensor(b"x", &opg_zk::fixture::mlp().expect("the fixture decodes").input)
	} else {
		float_tensor(b"x", &[5, -5, 25, 0])
	};
	RuntimeCall::Inference(pallet_inference::Call::request {
		model,
		version: None,
		input,
		mode,
		max_fee: OPG,
	})
}

/// A valid call of every OPG pallet's every call in the fixture's state (some of them valid
/// only after others), and how each is sent.
fn base_calls() -> Vec<(Vec<u8>, Sender)> {
	use pallet_attestations::Call as A;
	use pallet_inference::Call as I;
	use pallet_model_registry::Call as M;
	use pallet_nodes::Call as N;
	use pallet_tee::Call as T;
	use Sender::*;
	use Sr25519Keyring::*;
	let node = Alice.to_account_id();
	let registry = RuntimeCall::ModelRegistry;
	let nodes = RuntimeCall::Nodes;
	let attestations = RuntimeCall::Attestations;
	let tee = RuntimeCall::Tee;
	let inference = RuntimeCall::Inference;
	let placeholder = || node_signature(Alice, b"");
	let zk = opg_zk::fixture::mlp().expect("the fixture decodes");
	let tdx = tdx_sample();
	// The verifier outside job 1's committee, which may leave.
	let committee: Vec<AccountId> = pallet_attestations::Rounds::<Runtime>::iter()
		.flat_map(|(_, round)| round.committee.into_iter().map(|member| member.account))
		.collect();
	let idle = [Bob, Charlie, Dave, Eve]
		.into_iter()
		.find(|who| !committee.contains(&who.to_account_id()))
		.expect("a verifier outside the committee");
	let mut calls = vec![
		(
			registry(M::register_model {
				name: b"another".to_vec().try_into().unwrap(),
				description: b"a model".to_vec().try_into().unwrap(),
				price: OPG,
				version: one_chunk_version(b"another model"),
			}),
			Signed(Ferdie),
		),
		(
			registry(M::upload_chunk {
				model_id: 3,
				version: 1,
				index: 0,
				data: MODEL_D.to_vec().try_into().unwrap(),
			}),
			Signed(Ferdie),
		),
		(
			registry(M::add_version { model_id: 0, version: zk_version(b"zk again") }),
			Signed(Ferdie),
		),
		(registry(M::set_price { model_id: 0, price: 2 * OPG }), Signed(Ferdie)),
		(registry(M::deprecate_model { model_id: 0 }), Signed(Ferdie)),
		(registry(M::retire_model { model_id: 0 }), Signed(Ferdie)),
		(registry(M::approve_version { model_id: 2, version: 1 }), Root),
		(registry(M::suspend_model { model_id: 0 }), Root),
		(registry(M::resume_model { model_id: 0 }), Root),
		(registry(M::set_approval_required { required: true }), Root),
		(registry(M::force_remove_model { model_id: 3, forfeit_deposit: true }), Root),
		(
			nodes(N::register {
				roles: RoleSet::from(NodeRole::Verifier),
				key: NodeKey::from(Ferdie.public()),
				key_proof: placeholder(),
				endpoint: None,
				bond: 2_000 * OPG,
			}),
			Signed(Ferdie),
		),
		(nodes(N::bond_extra { amount: 100 * OPG }), Signed(Bob)),
		(nodes(N::unbond { amount: 100 * OPG }), Signed(Bob)),
		(nodes(N::withdraw_unbonded {}), Signed(Bob)),
		(nodes(N::leave {}), Signed(idle)),
		(
			nodes(N::set_roles {
				roles: RoleSet::from_roles(&[NodeRole::Verifier, NodeRole::Data]),
				endpoint: Some(b"http://127.0.0.1:9944".to_vec().try_into().unwrap()),
			}),
			Signed(Dave),
		),
		(
			nodes(N::set_role_key { key: NodeKey::from(One.public()), key_proof: placeholder() }),
			Signed(Dave),
		),
		(
			nodes(N::heartbeat {
				heartbeat: Heartbeat {
					node: Bob.to_account_id(),
					period_start: Nodes::period_start(
						System::block_number() + 1,
						&pallet_nodes::ActiveParameters::<Runtime>::get(),
					),
				},
				signature: placeholder(),
			}),
			General,
		),
		(nodes(N::chill { node: Dave.to_account_id() }), Root),
		(nodes(N::unchill { node: Dave.to_account_id() }), Root),
		(
			tee(T::refresh_collateral {
				quote: samples::SGX_QUOTE.to_vec().try_into().unwrap(),
				collateral: samples::SGX_COLLATERAL.to_vec().try_into().unwrap(),
			}),
			Signed(Charlie),
		),
		(register_dev_enclave(&node, &spare_enclave()), Signed(Alice)),
		(
			tee(T::register_tee {
				evidence: TeeEvidence::Dcap {
					quote: samples::TDX_QUOTE.to_vec().try_into().unwrap(),
					fmspc: tdx.fmspc,
					pck_ca: tdx.pck_ca,
					anchor: 1,
				},
				enclave_key: EnclaveKey::from(sp_core::ed25519::Public::from_raw(
					read_report_data(&tdx.report_data, &node).0,
				)),
			}),
			Signed(Alice),
		),
		(tee(T::allow_measurement { measurement: sgx_sample().measurement }), Root),
		(tee(T::revoke_measurement { id: Measurement::InsecureDevEnclave.id() }), Root),
		(tee(T::revoke_tee { node: node.clone() }), Root),
		(
			tee(T::set_accepted_tcb_statuses {
				statuses: opg_primitives::tee::TcbStatusSet::from_statuses(
					&opg_primitives::tee::TcbStatus::ALL,
				),
			}),
			Root,
		),
		(
			attestations(A::set_parameter {
				change: pallet_attestations::ParameterChange::ChallengeWindow(12),
			}),
			Root,
		),
		(
			nodes(N::set_parameter {
				change: pallet_nodes::ParameterChange::MaxMissedHeartbeats(2),
			}),
			Root,
		),
		(request(0, InferenceMode::Attested), Signed(Charlie)),
		(request(1, InferenceMode::Zk), Signed(Charlie)),
		(
			inference(I::submit_result {
				job: 3,
				node: node.clone(),
				output: float_tensor(b"y", &[1, 2, 3, 4]),
				signature: placeholder(),
			}),
			General,
		),
		(
			inference(I::submit_commitment {
				job: 3,
				node: node.clone(),
				commitment: sp_core::H256::repeat_byte(3),
				signature: placeholder(),
			}),
			General,
		),
		(
			inference(I::report_failure {
				job: 3,
				node: node.clone(),
				error: b"cannot run".to_vec().try_into().unwrap(),
				signature: placeholder(),
			}),
			General,
		),
		(
			inference(I::set_parameter {
				change: pallet_inference::ParameterChange::ResponsePeriod(6),
			}),
			Root,
		),
		(
			inference(I::submit_proof {
				job: 2,
				node: node.clone(),
				output: int_tensor(b"y", &zk.output),
				proof: zk.first_proof().unwrap().proof.clone().try_into().unwrap(),
				signature: placeholder(),
			}),
			General,
		),
		(
			inference(I::submit_tee_result {
				job: 4,
				node: node.clone(),
				output: float_tensor(b"y", &[1, 2, 3, 4]),
				signature: EnclaveSignature::from(enclave().sign(b"")),
			}),
			General,
		),
	];
	// The committee's commitments and reveals, each of the empty output ("the model cannot
	// run").
	for (subject, round) in pallet_attestations::Rounds::<Runtime>::iter() {
		for member in round.committee.iter() {
			let salt = [9; 32];
			let commitment = pallet_attestations::commitment_of(
				&subject,
				&round.context,
				&member.account,
				&opg_primitives::attestation::revealed_hash(&[]),
				&salt,
			);
			calls.push((
				attestations(A::commit {
					subject,
					member: member.account.clone(),
					commitment,
					signature: placeholder(),
				}),
				General,
			));
			calls.push((
				attestations(A::reveal {
					subject,
					member: member.account.clone(),
					output: Default::default(),
					salt,
					signature: placeholder(),
				}),
				General,
			));
		}
	}
	for subject in pallet_attestations::Claims::<Runtime>::iter_keys() {
		calls.push((attestations(A::challenge { subject }), Signed(Bob)));
		// Refused here (the claim has no dispute, let alone a verdict): a start for the fuzzer.
		calls.push((attestations(A::appeal { subject }), Signed(Charlie)));
	}
	calls
		.into_iter()
		.map(|(call, sender)| {
			let call = match sender {
				Signed(who) => resign(call, Some(&who.to_account_id())),
				_ => resign(call, None),
			};
			(call.encode(), sender)
		})
		.collect()
}

/// What a DCAP sample proves.
fn sample(quote: &[u8], collateral: &[u8]) -> opg_primitives::tee::VerifiedQuote {
	opg_primitives::tee::opg_dcap::verify_quote(
		quote,
		collateral,
		opg_primitives::tee::INTEL_ROOT_CA_DER,
		samples::SAMPLE_TIME,
	)
	.expect("the sample verifies")
}

fn tdx_sample() -> opg_primitives::tee::VerifiedQuote {
	sample(samples::TDX_QUOTE, samples::TDX_COLLATERAL)
}

fn sgx_sample() -> opg_primitives::tee::VerifiedQuote {
	sample(samples::SGX_QUOTE, samples::SGX_COLLATERAL)
}

/// `call` with its signatures made anew over what it now says, by the dev keys it names (the
/// role keys of the dev nodes, the enclave key of [`enclave`]), as the node or account it names
/// would sign it; `sender` is the signer of a signed transaction. A call naming no dev key is
/// left as it is.
fn resign(call: RuntimeCall, sender: Option<&AccountId>) -> RuntimeCall {
	use pallet_attestations::Call as A;
	use pallet_inference::Call as I;
	use pallet_nodes::Call as N;
	use pallet_tee::Call as T;
	let genesis = genesis();
	let job_signature = |job: u64, node: &AccountId, statement: JobStatement<AccountId>| {
		let record = pallet_inference::Jobs::<Runtime>::get(job)?;
		let message = job_signing_message(&genesis, &record.input_hash, &statement);
		Some(node_signature(keyring_of(node)?, &message))
	};
	let attestation_signature = |who: &AccountId, statement: SignedStatement<'_, _, _>| {
		let message = signing_message(&genesis, &statement);
		Some(node_signature(keyring_of(who)?, &message))
	};
	let key_proof = |key: &NodeKey| {
		let who = sender?;
		let signer = Sr25519Keyring::iter().find(|k| NodeKey::from(k.public()) == *key)?;
		let statement: SignedStatement<'_, AccountId, BlockNumber> =
			SignedStatement::KeyOwnership { account: who };
		Some(node_signature(signer, &signing_message(&genesis, &statement)))
	};
	match call {
		RuntimeCall::Inference(I::submit_result { job, node, output, signature }) => {
			let statement =
				JobStatement::Result { job, node: node.clone(), output: output_hash(&output) };
			let signature = job_signature(job, &node, statement).unwrap_or(signature);
			RuntimeCall::Inference(I::submit_result { job, node, output, signature })
		}
		RuntimeCall::Inference(I::submit_commitment { job, node, commitment, signature }) => {
			let statement = JobStatement::Commitment { job, node: node.clone(), commitment };
			let signature = job_signature(job, &node, statement).unwrap_or(signature);
			RuntimeCall::Inference(I::submit_commitment { job, node, commitment, signature })
		}
		RuntimeCall::Inference(I::report_failure { job, node, error, signature }) => {
			let statement = JobStatement::Failure { job, node: node.clone(), error: error.clone() };
			let signature = job_signature(job, &node, statement).unwrap_or(signature);
			RuntimeCall::Inference(I::report_failure { job, node, error, signature })
		}
		RuntimeCall::Inference(I::submit_proof { job, node, output, proof, signature }) => {
			let statement = JobStatement::ZkResult {
				job,
				node: node.clone(),
				output: output_hash(&output),
				proof: sp_core::H256(sp_io::hashing::blake2_256(&proof)),
				attempt: pallet_inference::InvalidProofs::<Runtime>::get(job),
			};
			let signature = job_signature(job, &node, statement).unwrap_or(signature);
			RuntimeCall::Inference(I::submit_proof { job, node, output, proof, signature })
		}
		RuntimeCall::Inference(I::submit_tee_result { job, node, output, signature }) => {
			let signature = pallet_inference::Jobs::<Runtime>::get(job)
				.zip(pallet_tee::TeeNodes::<Runtime>::get(&node))
				.and_then(|(record, registration)| {
					let message =
						Inference::tee_signing_message(job, &record, output_hash(&output));
					let pair = enclave_of(&registration.enclave_key)?;
					Some(EnclaveSignature::from(pair.sign(&message)))
				})
				.unwrap_or(signature);
			RuntimeCall::Inference(I::submit_tee_result { job, node, output, signature })
		}
		RuntimeCall::Nodes(N::heartbeat { heartbeat, signature }) => {
			let signature =
				attestation_signature(&heartbeat.node, SignedStatement::Heartbeat(&heartbeat))
					.unwrap_or(signature);
			RuntimeCall::Nodes(N::heartbeat { heartbeat, signature })
		}
		RuntimeCall::Attestations(A::commit { subject, member, commitment, signature }) => {
			let signature = pallet_attestations::Rounds::<Runtime>::get(subject)
				.and_then(|round| {
					attestation_signature(
						&member,
						SignedStatement::Commit {
							subject: &subject,
							round: &round.opened_at,
							claim: &round.claim,
							context: &round.context,
							member: &member,
							commitment: &commitment,
						},
					)
				})
				.unwrap_or(signature);
			RuntimeCall::Attestations(A::commit { subject, member, commitment, signature })
		}
		RuntimeCall::Attestations(A::reveal { subject, member, output, salt, signature }) => {
			let signature = pallet_attestations::Rounds::<Runtime>::get(subject)
				.and_then(|round| {
					attestation_signature(
						&member,
						SignedStatement::Reveal {
							subject: &subject,
							round: &round.opened_at,
							claim: &round.claim,
							context: &round.context,
							member: &member,
							output: &opg_primitives::attestation::revealed_hash(&output),
							salt: &salt,
						},
					)
				})
				.unwrap_or(signature);
			RuntimeCall::Attestations(A::reveal { subject, member, output, salt, signature })
		}
		RuntimeCall::Nodes(N::register { roles, key, key_proof: proof, endpoint, bond }) => {
			let key_proof = key_proof(&key).unwrap_or(proof);
			RuntimeCall::Nodes(N::register { roles, key, key_proof, endpoint, bond })
		}
		RuntimeCall::Nodes(N::set_role_key { key, key_proof: proof }) => {
			let key_proof = key_proof(&key).unwrap_or(proof);
			RuntimeCall::Nodes(N::set_role_key { key, key_proof })
		}
		RuntimeCall::Tee(T::register_tee {
			evidence: TeeEvidence::InsecureDevEnclave { key_proof },
			enclave_key,
		}) => {
			let key_proof = match (sender, enclave_of(&enclave_key)) {
				(Some(who), Some(pair)) => {
					EnclaveSignature::from(pair.sign(&insecure_registration_message(&genesis, who)))
				}
				_ => key_proof,
			};
			RuntimeCall::Tee(T::register_tee {
				evidence: TeeEvidence::InsecureDevEnclave { key_proof },
				enclave_key,
			})
		}
		other => other,
	}
}

/// Sends `call` as `who`'s signed transaction: validated as the pool does (in a storage
/// transaction that is rolled back), then applied.
fn send_signed(who: Sr25519Keyring, call: RuntimeCall) -> sp_runtime::ApplyExtrinsicResult {
	let account = who.to_account_id();
	let extension = tx_extension(System::account_nonce(&account), Era::Immortal, 0);
	let payload = SignedPayload::new(call.clone(), extension.clone()).expect("payload builds");
	let signature = payload.using_encoded(|bytes| who.sign(bytes));
	apply(UncheckedExtrinsic::new_signed(call, account.into(), signature.into(), extension))
}

/// Sends `call` as a general transaction that it authorizes itself.
fn send_general(call: RuntimeCall) -> sp_runtime::ApplyExtrinsicResult {
	apply(general_xt(call))
}

/// `call` as a general transaction that authorizes itself (offchain workers send the bare form;
/// the fuzzers validate both).
fn general_xt(call: RuntimeCall) -> UncheckedExtrinsic {
	<Runtime as CreateAuthorizedTransaction<RuntimeCall>>::create_authorized_transaction(call)
}

fn apply(xt: UncheckedExtrinsic) -> sp_runtime::ApplyExtrinsicResult {
	validate(xt.clone());
	Executive::apply_extrinsic(xt)
}

/// Validates `xt` as the transaction pool does, leaving no trace in the state.
fn validate(xt: UncheckedExtrinsic) {
	let _ = with_transaction(|| {
		let _ =
			Executive::validate_transaction(TransactionSource::External, xt, System::parent_hash());
		TransactionOutcome::Rollback(Ok::<_, DispatchError>(()))
	});
}

/// The indices of the OPG pallets.
fn opg_pallets() -> [u8; 5] {
	[
		ModelRegistry::index(),
		Nodes::index(),
		Attestations::index(),
		Tee::index(),
		Inference::index(),
	]
	.map(|index| index.saturated_into())
}

fn is_opg(call: &RuntimeCall) -> bool {
	matches!(
		call,
		RuntimeCall::ModelRegistry(_)
			| RuntimeCall::Nodes(_)
			| RuntimeCall::Attestations(_)
			| RuntimeCall::Tee(_)
			| RuntimeCall::Inference(_)
	)
}

/// Decodes `bytes` as a node decodes a transaction's call.
fn decode_call(bytes: &[u8]) -> Option<RuntimeCall> {
	RuntimeCall::decode_with_depth_limit(frame_support::MAX_EXTRINSIC_DEPTH, &mut &bytes[..]).ok()
}

fn edits() -> impl Strategy<Value = Vec<(u8, u32, u8)>> {
	prop::collection::vec(any::<(u8, u32, u8)>(), 0..5)
}

proptest! {
	#![proptest_config(ProptestConfig { cases: fuzz_cases(300), ..ProptestConfig::default() })]

	/// Arbitrary bytes behind an OPG pallet's index, and often one of its call indices.
	#[test]
	fn fuzz_call_bytes(
		pallet in 0usize..5,
		call_index in prop::option::of(prop_oneof![0u8..24, any::<u8>()]),
		bytes in prop::collection::vec(any::<u8>(), 0..600),
	) {
		let mut encoded = vec![opg_pallets()[pallet]];
		encoded.extend(call_index);
		encoded.extend(bytes);
		let Some(call) = decode_call(&encoded) else { return Ok(()) };
		let encoded = call.encode();
		let decoded = RuntimeCall::decode(&mut &encoded[..]);
		prop_assert_eq!(decoded.as_ref(), Ok(&call));
		let _ = call.get_dispatch_info();
		thread_local! {
			static EXT: core::cell::RefCell<sp_io::TestExternalities> =
				core::cell::RefCell::new(fixture().ext());
		}
		EXT.with(|ext| {
			ext.borrow_mut().execute_with(|| {
				validate(general_xt(call.clone()));
				validate(UncheckedExtrinsic::new_bare(call));
			})
		});
	}

	/// Valid calls of the OPG pallets, mutated, sent in a block of the fixture's chain.
	#[test]
	fn fuzz_mutated_calls(
		steps in prop::collection::vec(
			(
				any::<prop::sample::Index>(),
				edits(),
				prop::bool::weighted(0.8),
				prop_oneof![4 => Just(0u8), 1 => 1u8..3],
			),
			1..6,
		),
	) {
		let fixture = fixture();
		let mut ext = fixture.ext();
		ext.execute_with(|| {
			open_block();
			for (which, edits, resigned, signer) in &steps {
				let (base, sender) = &fixture.calls[which.index(fixture.calls.len())];
				let mut bytes = base.clone();
				mutate(&mut bytes, edits);
				let Some(call) = decode_call(&bytes) else { continue };
				if !is_opg(&call) {
					continue;
				}
				match sender {
					Sender::Signed(default) => {
						let who = [*default, Sr25519Keyring::Ferdie, Sr25519Keyring::Bob]
							[*signer as usize];
						let call =
							if *resigned { resign(call, Some(&who.to_account_id())) } else { call };
						let _ = send_signed(who, call);
					},
					Sender::General => {
						let call = if *resigned { resign(call, None) } else { call };
						let _ = send_general(call);
					},
					Sender::Root => {
						let _ = call.dispatch(RuntimeOrigin::root());
					},
				}
			}
			close_block();
			produce_block();
			produce_block();
		});
	}
}

/// The base calls are valid as they stand, each alone on the fixture's chain, but for those that
/// need another first: the mutated calls start from calls that do something.
#[test]
fn the_fuzz_base_calls_apply() {
	use frame_support::traits::GetCallMetadata;
	let fixture = fixture();
	let mut refused = Vec::new();
	for (bytes, sender) in &fixture.calls {
		let call = decode_call(bytes).expect("a base call decodes");
		let name = call.get_call_metadata().function_name;
		let applied = fixture.ext().execute_with(|| {
			open_block();
			let applied = match sender {
				Sender::Signed(who) => send_signed(*who, call) == Ok(Ok(())),
				Sender::General => send_general(call) == Ok(Ok(())),
				Sender::Root => call.dispatch(RuntimeOrigin::root()).is_ok(),
			};
			close_block();
			applied
		});
		if !applied {
			refused.push(name);
		}
	}
	// A model is retired a delay after its deprecation, a bond withdrawn a period after it was
	// unbonded, only a suspended model is resumed and a chilled node unchilled, a commitment
	// answers only an attested job (job 3 is vanilla: the fuzzer mutates it into others), a
	// reveal follows the commitments, and an appeal a dispute's verdict.
	let expected = [
		"retire_model",
		"resume_model",
		"withdraw_unbonded",
		"unchill",
		"submit_commitment",
		"reveal",
		"reveal",
		"reveal",
		"appeal",
	];
	assert_eq!(refused, expected);
}
