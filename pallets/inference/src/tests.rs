//! Unit tests: every call and error path, settlement, refunds, deadlines, pruning and the
//! offchain worker's answers, against the test doubles of `mock.rs`.

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
	traits::{fungible::Inspect, Hooks, UnfilteredDispatchable},
};
use opg_primitives::{
	attestation::{
		commitment_of, duty_storage_key, revealed_hash, Conclusion, DutyRecord, OnConclusion,
		RoundKind, SubjectOutputs,
	},
	inference::{
		job_subject, EngineError, FixedPoint, InferenceEngine, ModelRef, Tensor, TensorValues,
		Tolerance,
	},
	model::{Dim, ModeSet, TensorDtype},
};
use sp_core::H256;
use sp_runtime::{traits::BadOrigin, transaction_validity::TransactionSource, Perbill};

const VANILLA_FEE: Balance = PRICE + 100;
const ATTESTED_FEE: Balance = PRICE + 500;

/// A request from the dApp, queued (assigned in the next block).
fn queue(mode: InferenceMode) -> DispatchResultWithPostInfo {
	Inference::request(RuntimeOrigin::signed(DAPP), MODEL, None, input(), mode, 10_000)
}

/// A request from the dApp, then the next block, whose hook assigns it.
fn request(mode: InferenceMode) -> DispatchResultWithPostInfo {
	let result = queue(mode)?;
	next_block();
	Ok(result)
}

fn next_block() {
	run_to_block(System::block_number() + 1);
}

fn held(who: AccountId) -> Balance {
	Balances::balance_on_hold(&HoldReason::JobFee.into(), &who)
}

fn free(who: AccountId) -> Balance {
	Balances::balance(&who)
}

fn authorized() -> RuntimeOrigin {
	frame_system::RawOrigin::Authorized.into()
}

fn result_call(job: JobId, node: AccountId, out: Tensors) -> Call<Test> {
	let statement = JobStatement::Result { job, node, output: output_hash(&out) };
	Call::submit_result { job, node, output: out, signature: sign(node, &statement) }
}

fn submit(job: JobId, node: AccountId, out: Tensors) -> DispatchResult {
	let call = result_call(job, node, out);
	call.authorize(TransactionSource::External)
		.expect("submit_result authorizes")
		.map_err(|_| DispatchError::Other("refused by authorize"))?;
	match call {
		Call::submit_result { job, node, output, signature } => {
			Inference::submit_result(authorized(), job, node, output, signature)
		}
		_ => unreachable!(),
	}
}

/// Whether authorization refuses `call` with `error`.
fn refused_with(call: Call<Test>, error: Error<Test>) -> bool {
	let expected = Pallet::<Test>::invalid(error);
	matches!(call.authorize(TransactionSource::External), Some(Err(e)) if e == expected)
}

/// Dispatches `call` as a block would, without the pool's authorization: the call's own checks
/// must refuse what authorization would.
fn dispatch(call: Call<Test>) -> DispatchResult {
	call.dispatch_bypass_filter(authorized()).map(|_| ()).map_err(|e| e.error)
}

/// Authorizes `call` as the pool would, then dispatches it as a block would.
fn apply(call: Call<Test>) -> DispatchResult {
	call.authorize(TransactionSource::External)
		.expect("the call authorizes itself")
		.map_err(|_| DispatchError::Other("refused by authorize"))?;
	dispatch(call)
}

/// The salt of the test nodes' commitments.
const SALT: [u8; 32] = [7; 32];

/// `node`'s commitment to the encoded output `out` for `job` (empty: the model cannot run), as
/// its offchain worker makes it.
fn commitment_to(job: JobId, node: AccountId, out: &[u8]) -> H256 {
	let input_hash = Jobs::<Test>::get(job).map(|record| record.input_hash).unwrap_or_default();
	commitment_of(&job_subject(job), &input_hash, &node, &revealed_hash(out), &SALT)
}

fn commitment_call(job: JobId, node: AccountId, commitment: H256) -> Call<Test> {
	let statement = JobStatement::Commitment { job, node, commitment };
	Call::submit_commitment { job, node, commitment, signature: sign(node, &statement) }
}

/// `node` answers attested `job` with its commitment to the encoded output `out`, authorized
/// and dispatched; returns the commitment.
fn commit(job: JobId, node: AccountId, out: &[u8]) -> Result<H256, DispatchError> {
	let commitment = commitment_to(job, node, out);
	apply(commitment_call(job, node, commitment))?;
	Ok(commitment)
}

fn engine_error(text: &str) -> EngineMessage {
	text.as_bytes().to_vec().try_into().unwrap()
}

fn failure_call(job: JobId, node: AccountId, error: EngineMessage) -> Call<Test> {
	let statement = JobStatement::Failure { job, node, error: error.clone() };
	Call::report_failure { job, node, error, signature: sign(node, &statement) }
}

/// `node` reports that the model cannot run on `job`'s input, authorized and dispatched.
fn report(job: JobId, node: AccountId, text: &str) -> DispatchResult {
	apply(failure_call(job, node, engine_error(text)))
}

/// A verification round's verdict on `node`'s commitment `claim`: upheld with the node's
/// revealed `output` (encoded), the committee's reference output `decided` and `majority`.
fn upheld(
	node: AccountId,
	claim: H256,
	output: &[u8],
	decided: &[u8],
	majority: Vec<AccountId>,
) -> Conclusion<AccountId> {
	Conclusion::Decided {
		kind: RoundKind::Verification,
		claimant: node,
		claim,
		claim_upheld: true,
		decided: revealed_hash(decided),
		output: Some(output.to_vec()),
		majority,
	}
}

fn events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|record| match record.event {
			RuntimeEvent::Inference(event) => Some(event),
			_ => None,
		})
		.collect()
}

fn status(job: JobId) -> JobStatusOf<Test> {
	Jobs::<Test>::get(job).unwrap().status
}

// ---- Requests ----

#[test]
fn a_request_holds_the_fee_and_is_assigned_in_the_next_block() {
	run(|| {
		assert_eq!(
			Inference::quote(&DAPP, MODEL, None, &input(), InferenceMode::Vanilla),
			Ok(FeeQuote { price: PRICE, protocol_fee: 100, total: VANILLA_FEE, output_deposit: 0 })
		);
		assert_ok!(queue(InferenceMode::Vanilla));
		assert_eq!(held(DAPP), VANILLA_FEE);
		assert_eq!(free(DAPP), INITIAL_BALANCE - VANILLA_FEE);
		// Queued: no node yet, none known. Tried in blocks 2, 3 and 4 (AssignmentWait 3).
		assert_eq!(status(0), JobStatus::Queued { until: 4 });
		assert_eq!(Assignments::<Test>::iter().count(), 0);
		assert_eq!(Work::get(), vec![]);
		assert_eq!(OpenJobs::<Test>::get(MODEL), 1);
		assert!(<Inference as ModelUsage>::in_use(MODEL));
		assert_eq!(
			events(),
			vec![Event::JobRequested {
				job: 0,
				requester: DAPP,
				model: MODEL,
				version: VERSION,
				mode: InferenceMode::Vanilla,
				fee: VANILLA_FEE,
			}]
		);
		Inference::do_try_state().unwrap();
		next_block();
		assert_eq!(status(0), JobStatus::Assigned { node: 10, deadline: 7, reassigned: false });
		assert!(Assignments::<Test>::contains_key(10, 0));
		assert_eq!(Inference::input_of(0), Some(input()));
		assert_eq!(Work::get(), vec![(10, 1, true)]);
		System::assert_last_event(Event::JobAssigned { job: 0, node: 10, deadline: 7 }.into());
		// The next request gets the next id; the attested fee is higher.
		assert_ok!(request(InferenceMode::Attested));
		assert_eq!(held(DAPP), VANILLA_FEE + ATTESTED_FEE);
		assert_eq!(Jobs::<Test>::get(1).unwrap().fee.total, ATTESTED_FEE);
	});
}

#[test]
fn a_block_assigns_at_most_its_cap_and_the_rest_spill_into_the_next() {
	run(|| {
		for _ in 0..5 {
			assert_ok!(queue(InferenceMode::Vanilla));
		}
		// MaxAssignmentsPerBlock is 4: jobs 0..4 in block 2, job 4 in block 3, in order.
		next_block();
		for job in 0..4 {
			assert!(matches!(status(job), JobStatus::Assigned { deadline: 7, .. }), "{job}");
		}
		assert_eq!(status(4), JobStatus::Queued { until: 4 });
		Inference::do_try_state().unwrap();
		next_block();
		assert!(matches!(status(4), JobStatus::Assigned { deadline: 8, .. }));
	});
}

#[test]
fn the_hook_assigns_what_its_budget_covers_and_the_rest_wait() {
	run(|| {
		AssignmentBudget::set(Inference::assignment_weight(2));
		assert_eq!(Inference::assignments_within_budget(), 2);
		for _ in 0..3 {
			assert_ok!(queue(InferenceMode::Vanilla));
		}
		next_block();
		assert!(matches!(status(1), JobStatus::Assigned { deadline: 7, .. }));
		assert_eq!(status(2), JobStatus::Queued { until: 4 });
		next_block();
		assert!(matches!(status(2), JobStatus::Assigned { deadline: 8, .. }));
		// Not even one fits: nothing is assigned, nothing is lost.
		AssignmentBudget::set(Weight::zero());
		assert_eq!(Inference::assignments_within_budget(), 0);
		assert_ok!(queue(InferenceMode::Vanilla));
		next_block();
		assert_eq!(status(3), JobStatus::Queued { until: 6 });
	});
}

#[test]
fn requests_beyond_two_blocks_of_backlog_are_refused_and_hold_nothing() {
	run(|| {
		// MaxAssignmentsPerBlock is 4: eight jobs may wait.
		for _ in 0..8 {
			assert_ok!(queue(InferenceMode::Vanilla));
		}
		let held_before = held(DAPP);
		assert_noop!(queue(InferenceMode::Vanilla), Error::<Test>::AssignmentQueueFull);
		assert_eq!(
			Inference::quote(&DAPP, MODEL, None, &input(), InferenceMode::Vanilla),
			Err(Error::<Test>::AssignmentQueueFull.into())
		);
		assert_eq!(held(DAPP), held_before);
		// The next block assigns four: room again.
		next_block();
		assert_ok!(queue(InferenceMode::Vanilla));
	});
}

#[test]
fn vanilla_requests_are_refused_while_claims_back_up_and_hold_nothing() {
	run(|| {
		AcceptingClaims::set(false);
		let held_before = held(DAPP);
		assert_noop!(queue(InferenceMode::Vanilla), Error::<Test>::VerificationBacklogged);
		assert_eq!(
			Inference::quote(&DAPP, MODEL, None, &input(), InferenceMode::Vanilla),
			Err(Error::<Test>::VerificationBacklogged.into())
		);
		assert_eq!(held(DAPP), held_before);
		// Other modes make no claim: they are taken.
		assert_ok!(queue(InferenceMode::Attested));
		// Once the claims are ended, vanilla requests are taken again.
		AcceptingClaims::set(true);
		assert_ok!(queue(InferenceMode::Vanilla));
	});
}

#[test]
fn a_job_no_node_can_take_waits_then_is_refunded_in_full() {
	run(|| {
		assert_ok!(queue(InferenceMode::Vanilla));
		assert_eq!(held(DAPP), VANILLA_FEE);
		// Every node is gone before the draw: blocks 2 and 3 leave the job queued.
		InferenceNodes::set(vec![]);
		next_block();
		assert_eq!(status(0), JobStatus::Queued { until: 4 });
		Inference::do_try_state().unwrap();
		next_block();
		assert_eq!(status(0), JobStatus::Queued { until: 4 });
		// Block 4 was its last try: refunded, nothing held, nobody blamed.
		next_block();
		assert!(matches!(
			status(0),
			JobStatus::Refunded { reason: RefundReason::NoNodeAvailable, at: 4 }
		));
		assert_eq!(held(DAPP), 0);
		assert_eq!(free(DAPP), INITIAL_BALANCE);
		assert_eq!(OpenJobs::<Test>::get(MODEL), 0);
		assert_eq!(Work::get(), vec![]);
		System::assert_last_event(
			Event::JobRefunded {
				job: 0,
				requester: DAPP,
				amount: VANILLA_FEE,
				reason: RefundReason::NoNodeAvailable,
			}
			.into(),
		);
	});
}

#[test]
fn a_block_without_randomness_assigns_nothing_and_the_next_one_does() {
	run(|| {
		assert_ok!(queue(InferenceMode::Vanilla));
		System::set_block_number(2);
		opg_primitives::randomness::set_test_randomness(None);
		Inference::on_initialize(2);
		assert_eq!(status(0), JobStatus::Queued { until: 4 });
		next_block();
		assert!(matches!(status(0), JobStatus::Assigned { node: 10, deadline: 8, .. }));
	});
}

#[test]
fn requests_for_models_that_cannot_run_are_refused() {
	run(|| {
		let pinned = |version| {
			Inference::request(
				RuntimeOrigin::signed(DAPP),
				MODEL,
				Some(version),
				input(),
				InferenceMode::Vanilla,
				10_000,
			)
		};
		assert_noop!(pinned(VERSION + 1), Error::<Test>::VersionNotRunnable);
		assert_ok!(pinned(VERSION));
		assert_noop!(
			Inference::request(
				RuntimeOrigin::signed(DAPP),
				9,
				None,
				input(),
				InferenceMode::Vanilla,
				10_000
			),
			Error::<Test>::ModelNotRunnable
		);
		// Suspended, deprecated or without an approved version: the catalogue says not runnable.
		Catalogue::set(None);
		assert_noop!(request(InferenceMode::Vanilla), Error::<Test>::ModelNotRunnable);
		let mut model = test_model();
		model.modes = ModeSet { vanilla: true, attested: false, zk: true };
		Catalogue::set(Some(model));
		assert_noop!(request(InferenceMode::Attested), Error::<Test>::ModeNotSupported);
		// ZK mode needs the version's ZK key.
		assert_noop!(request(InferenceMode::Zk), Error::<Test>::NoZkKey);
		assert_noop!(
			Inference::request(
				RuntimeOrigin::none(),
				MODEL,
				None,
				input(),
				InferenceMode::Vanilla,
				1
			),
			BadOrigin
		);
	});
}

#[test]
fn inputs_that_do_not_fit_the_schema_are_refused_with_what_is_wrong() {
	run(|| {
		let with = |input: Vec<Tensor>| {
			Inference::request(
				RuntimeOrigin::signed(DAPP),
				MODEL,
				None,
				input.try_into().unwrap(),
				InferenceMode::Vanilla,
				10_000,
			)
		};
		let good = tensor("x", 1, 2, &[(1, 0), (2, 0)]);
		assert_noop!(with(vec![]), Error::<Test>::InputTensorCount);
		assert_noop!(with(vec![good.clone(), good.clone()]), Error::<Test>::InputTensorCount);
		assert_noop!(with(vec![tensor("z", 1, 2, &[(1, 0); 2])]), Error::<Test>::InputTensorName);
		assert_noop!(with(vec![tensor("x", 1, 3, &[(1, 0); 3])]), Error::<Test>::InputShape);
		let mut short = good.clone();
		short.values =
			TensorValues::Numbers(vec![FixedPoint { value: 1, decimals: 0 }].try_into().unwrap());
		assert_noop!(with(vec![short]), Error::<Test>::InputValueCount);
		let mut strings = good.clone();
		strings.values =
			TensorValues::Strings(vec![b"a".to_vec().try_into().unwrap(); 2].try_into().unwrap());
		assert_noop!(with(vec![strings]), Error::<Test>::InputKind);
		assert_noop!(
			with(vec![tensor("x", 1, 2, &[(1, 39), (1, 0)])]),
			Error::<Test>::InputDecimals
		);
		// 150 rows of two values: over the 4,096-byte input limit.
		assert_noop!(with(vec![tensor("x", 150, 2, &[(1, 0); 300])]), Error::<Test>::InputTooLarge);
		// An integer input outside its range.
		let mut model = test_model();
		model.schema.inputs[0].dtype = TensorDtype::Int8;
		Catalogue::set(Some(model));
		assert_noop!(with(vec![tensor("x", 1, 2, &[(1, 0), (300, 0)])]), Error::<Test>::InputRange);
		assert_noop!(
			with(vec![tensor("x", 1, 2, &[(1, 1), (3, 0)])]),
			Error::<Test>::InputDecimals
		);
		assert_ok!(with(vec![good]));
		let _ = Dim::Dynamic;
	});
}

#[test]
fn requests_that_cannot_be_paid_or_served_hold_nothing() {
	run(|| {
		assert_noop!(
			Inference::request(
				RuntimeOrigin::signed(DAPP),
				MODEL,
				None,
				input(),
				InferenceMode::Vanilla,
				VANILLA_FEE - 1
			),
			Error::<Test>::FeeAboveMax
		);
		assert_noop!(
			Inference::request(
				RuntimeOrigin::signed(POOR),
				MODEL,
				None,
				input(),
				InferenceMode::Vanilla,
				10_000
			),
			Error::<Test>::InsufficientBalance
		);
		assert_eq!(
			Inference::quote(&POOR, MODEL, None, &input(), InferenceMode::Vanilla),
			Err(Error::<Test>::InsufficientBalance.into())
		);
		InferenceNodes::set(vec![]);
		assert_noop!(request(InferenceMode::Vanilla), Error::<Test>::NoInferenceNode);
		assert_eq!(
			Inference::quote(&DAPP, MODEL, None, &input(), InferenceMode::Vanilla),
			Err(Error::<Test>::NoInferenceNode.into())
		);
		assert_eq!(held(DAPP), 0);
		assert_eq!(held(POOR), 0);
	});
}

// ---- Results ----

#[test]
fn a_vanilla_result_is_accepted_then_final_and_paid_out() {
	run(|| {
		let issuance = Balances::total_issuance();
		assert_ok!(request(InferenceMode::Vanilla));
		assert_ok!(submit(0, 10, output(1_250_000)));
		let hash = output_hash(&output(1_250_000));
		assert_eq!(status(0), JobStatus::Accepted { node: 10 });
		// The claim names the output's encoding, the bytes a dispute committee's reveals are
		// compared with (not the output's hash, which no reveal names).
		let claim = revealed_hash(&output(1_250_000).encode());
		assert_ne!(claim, hash);
		assert_eq!(Opened::get(), vec![(job_subject(0), 10, claim, false)]);
		assert_eq!(Inference::claimed_output(job_subject(0)), Some(output(1_250_000).encode()));
		assert_eq!(Inference::output_of(0), Some(output(1_250_000)));
		assert!(!Assignments::<Test>::contains_key(10, 0));
		System::assert_last_event(
			Event::ResultSubmitted {
				job: 0,
				node: 10,
				output: output(1_250_000),
				output_hash: hash,
			}
			.into(),
		);
		// Still held until the claim stands.
		assert_eq!(held(DAPP), VANILLA_FEE);
		Inference::do_try_state().unwrap();

		let took = Inference::on_conclusion(
			job_subject(0),
			&Conclusion::Unchallenged { claimant: 10, output: claim },
		);
		// Nobody to slash: charged the plain measure, below the bound the hook keeps room for.
		assert_eq!(
			took,
			<() as WeightInfo>::finalize_unchallenged().saturating_add(OnFinalWeight::get())
		);
		assert!(took.all_lt(<Inference as OnConclusion<_>>::unchallenged_weight()));
		// Owner 50% (550), node 30% (330), no verifiers: the treasury takes the rest (220).
		assert_eq!(status(0), JobStatus::Final { node: 10, at: 2 });
		assert_eq!(held(DAPP), 0);
		assert_eq!(free(DAPP), INITIAL_BALANCE - VANILLA_FEE);
		assert_eq!(free(OWNER), 10 + 550);
		assert_eq!(free(10), 10 + 330);
		assert_eq!(free(TREASURY), 10 + 220);
		assert_eq!(Balances::total_issuance(), issuance);
		System::assert_last_event(
			Event::JobFinal {
				job: 0,
				node: 10,
				owner_paid: 550,
				node_paid: 330,
				verifiers_paid: 0,
				treasury_paid: 220,
			}
			.into(),
		);
		assert!(!<Inference as ModelUsage>::in_use(MODEL));
	});
}

#[test]
fn an_attested_answer_reveals_nothing_until_its_round_decides() {
	run(|| {
		assert_ok!(request(InferenceMode::Attested));
		let call = commitment_call(0, 10, commitment_to(0, 10, &output(7).encode()));
		assert!(matches!(call.authorize(TransactionSource::External), Some(Ok(_))));
		let commitment = commit(0, 10, &output(7).encode()).unwrap();
		assert_eq!(status(0), JobStatus::Verifying { node: 10 });
		// The round opens on the commitment, which names no output.
		assert_eq!(Opened::get(), vec![(job_subject(0), 10, commitment, true)]);
		// Bound to this request's input: a round of another request with the same id (after a
		// reorg) is another round.
		assert_eq!(OpenedContexts::get(), vec![Jobs::<Test>::get(0).unwrap().input_hash]);
		assert_ne!(commitment, revealed_hash(&output(7).encode()));
		assert_ne!(commitment, output_hash(&output(7)));
		// Nothing of the output is on chain: no stored output, no output hash, nothing in the
		// job's view, nothing a dispute could read as a claim, no event with the tensors.
		assert!(Outputs::<Test>::get(0).is_none());
		assert_eq!(Jobs::<Test>::get(0).unwrap().output, None);
		assert_eq!(Inference::output_of(0), None);
		assert_eq!(Inference::job_view(0).unwrap().output, None);
		assert_eq!(Inference::claimed_output(job_subject(0)), None);
		assert!(!events().iter().any(|event| matches!(event, Event::ResultSubmitted { .. })));
		System::assert_last_event(Event::AnswerCommitted { job: 0, node: 10, commitment }.into());
		// The node's work counts from the commitment; the fee stays held for the round.
		assert!(!Assignments::<Test>::contains_key(10, 0));
		assert_eq!(Work::get(), vec![(10, 1, true), (10, -1, true)]);
		assert_eq!(held(DAPP), ATTESTED_FEE);
		Inference::do_try_state().unwrap();
		// A second commitment, to another output, is refused.
		let again = commitment_call(0, 10, commitment_to(0, 10, &output(8).encode()));
		assert!(refused_with(again.clone(), Error::<Test>::AlreadyAnswered));
		assert_noop!(dispatch(again), Error::<Test>::AlreadyAnswered);
	});
}

#[test]
fn an_attested_job_takes_neither_a_public_result_nor_a_failure_report() {
	run(|| {
		assert_ok!(request(InferenceMode::Attested));
		// A plain result would publish the output before the committee commits.
		assert!(refused_with(result_call(0, 10, output(7)), Error::<Test>::WrongMode));
		assert_noop!(dispatch(result_call(0, 10, output(7))), Error::<Test>::WrongMode);
		// A failure report would end the job without a round: an attested node commits to the
		// empty output instead, and the committee judges it.
		let failure = failure_call(0, 10, engine_error("Unsupported operator: Foo"));
		assert!(refused_with(failure.clone(), Error::<Test>::WrongMode));
		assert_noop!(dispatch(failure), Error::<Test>::WrongMode);
		assert_eq!(status(0), JobStatus::Assigned { node: 10, deadline: 7, reassigned: false });
		assert_eq!(held(DAPP), ATTESTED_FEE);
		assert!(Opened::get().is_empty());
		assert!(Slashes::get().is_empty());
		// A commitment answers no other mode.
		assert_ok!(request(InferenceMode::Vanilla));
		let vanilla = commitment_call(1, 10, commitment_to(1, 10, &output(7).encode()));
		assert!(refused_with(vanilla.clone(), Error::<Test>::WrongMode));
		assert_noop!(dispatch(vanilla), Error::<Test>::WrongMode);
		// A commitment signed by another node's key, signed for another commitment, or from a
		// node the job does not wait for.
		let commitment = commitment_to(0, 10, &output(7).encode());
		let Call::submit_commitment { signature, .. } = commitment_call(0, 11, commitment) else {
			unreachable!()
		};
		let forged = Call::<Test>::submit_commitment { job: 0, node: 10, commitment, signature };
		assert!(refused_with(forged.clone(), Error::<Test>::BadSignature));
		assert_noop!(dispatch(forged), Error::<Test>::BadSignature);
		let Call::submit_commitment { signature, .. } =
			commitment_call(0, 10, H256::repeat_byte(1))
		else {
			unreachable!()
		};
		let swapped = Call::<Test>::submit_commitment { job: 0, node: 10, commitment, signature };
		assert!(refused_with(swapped, Error::<Test>::BadSignature));
		assert!(refused_with(commitment_call(0, 11, commitment), Error::<Test>::NotAssigned));
		// Signed for another request that took the same job id (on a competing fork).
		let call = commitment_call(0, 10, commitment);
		let input_hash = Jobs::<Test>::get(0).unwrap().input_hash;
		Jobs::<Test>::mutate(0, |record| {
			record.as_mut().unwrap().input_hash = H256::repeat_byte(9)
		});
		assert!(refused_with(call.clone(), Error::<Test>::BadSignature));
		Jobs::<Test>::mutate(0, |record| record.as_mut().unwrap().input_hash = input_hash);
		// Past the deadline.
		System::set_block_number(7);
		assert!(refused_with(call.clone(), Error::<Test>::TooLate));
		assert_noop!(dispatch(call), Error::<Test>::TooLate);
		System::set_block_number(6);
		assert_ok!(commit(0, 10, &output(7).encode()));
	});
}

#[test]
fn an_attested_result_is_published_and_final_when_verifiers_uphold_it() {
	run(|| {
		let issuance = Balances::total_issuance();
		assert_ok!(request(InferenceMode::Attested));
		let claim = commit(0, 10, &output(7).encode()).unwrap();
		System::set_block_number(4);
		// The committee's outputs agree with the node's within the tolerance (their reference
		// differs by one micro): what is published is the node's output, as it revealed it.
		let decided = upheld(10, claim, &output(7).encode(), &output(8).encode(), vec![12, 13, 14]);
		Inference::on_conclusion(job_subject(0), &decided);
		assert_eq!(status(0), JobStatus::Final { node: 10, at: 4 });
		let hash = output_hash(&output(7));
		assert_eq!(Jobs::<Test>::get(0).unwrap().output, Some(hash));
		assert_eq!(Outputs::<Test>::get(0).unwrap().into_inner(), output(7).encode());
		assert_eq!(Inference::output_of(0), Some(output(7)));
		assert_eq!(Inference::job_view(0).unwrap().output, Some(output(7)));
		// 1,500: owner 750, node 450, verifiers 150 / 3 = 50 each, treasury 150.
		let all = events();
		assert_eq!(
			all[all.len() - 3..],
			[
				Event::ResultSubmitted { job: 0, node: 10, output: output(7), output_hash: hash },
				Event::ResultVerified { job: 0, verifiers: vec![12, 13, 14] },
				Event::JobFinal {
					job: 0,
					node: 10,
					owner_paid: 750,
					node_paid: 450,
					verifiers_paid: 150,
					treasury_paid: 150,
				},
			]
		);
		assert_eq!(free(OWNER), 10 + 750);
		assert_eq!(free(10), 10 + 450);
		assert_eq!(free(12), 10 + 50);
		assert_eq!(free(13), 10 + 50);
		// 14 had no account: 50 is above the existential deposit, so it gets one.
		assert_eq!(free(14), 50);
		assert_eq!(free(TREASURY), 10 + 150);
		assert_eq!(held(DAPP), 0);
		assert_eq!(free(DAPP), INITIAL_BALANCE - ATTESTED_FEE);
		assert_eq!(Balances::total_issuance(), issuance);
		assert!(!<Inference as ModelUsage>::in_use(MODEL));
		Inference::do_try_state().unwrap();
		// A second verdict on a finished job changes nothing.
		Inference::on_conclusion(job_subject(0), &decided);
		assert_eq!(free(OWNER), 10 + 750);
		assert_eq!(events().len(), all.len());
	});
}

#[test]
fn an_attested_answer_the_committee_rejects_or_cannot_run_is_refunded_and_publishes_nothing() {
	run(|| {
		// Job 0: the node committed to "the model cannot run on this input" (the empty output),
		// and the committee agreed: a refund, as an engine failure, with nobody blamed.
		assert_ok!(request(InferenceMode::Attested));
		let claim = commit(0, 10, &[]).unwrap();
		Inference::on_conclusion(job_subject(0), &upheld(10, claim, &[], &[], vec![12, 13]));
		assert!(matches!(
			status(0),
			JobStatus::Refunded { reason: RefundReason::EngineFailed(_), .. }
		));
		// Job 1: the committee's outputs disagree with the node's: rejected.
		assert_ok!(request(InferenceMode::Attested));
		let claim = commit(1, 10, &output(7).encode()).unwrap();
		let rejected = Conclusion::Decided {
			kind: RoundKind::Verification,
			claimant: 10,
			claim,
			claim_upheld: false,
			decided: revealed_hash(&output(9).encode()),
			output: None,
			majority: vec![12, 13],
		};
		Inference::on_conclusion(job_subject(1), &rejected);
		assert!(matches!(status(1), JobStatus::Refunded { reason: RefundReason::Rejected, .. }));
		// Job 2: the node committed to "cannot run" but the committee ran the model: rejected,
		// not refunded as an engine failure.
		assert_ok!(request(InferenceMode::Attested));
		let claim = commit(2, 10, &[]).unwrap();
		let ran = Conclusion::Decided {
			kind: RoundKind::Verification,
			claimant: 10,
			claim,
			claim_upheld: false,
			decided: revealed_hash(&output(7).encode()),
			output: None,
			majority: vec![12, 13],
		};
		Inference::on_conclusion(job_subject(2), &ran);
		assert!(matches!(status(2), JobStatus::Refunded { reason: RefundReason::Rejected, .. }));
		// Job 3: no quorum.
		assert_ok!(request(InferenceMode::Attested));
		let claim = commit(3, 10, &output(7).encode()).unwrap();
		let undecided =
			Conclusion::Undecided { kind: RoundKind::Verification, claimant: 10, claim };
		Inference::on_conclusion(job_subject(3), &undecided);
		assert!(matches!(status(3), JobStatus::Refunded { reason: RefundReason::Undecided, .. }));
		for job in 0..4 {
			// The requester got its fee back and no output: a refunded attested job publishes
			// nothing.
			assert!(Outputs::<Test>::get(job).is_none(), "{job}");
			assert_eq!(Jobs::<Test>::get(job).unwrap().output, None, "{job}");
		}
		assert!(!events().iter().any(|event| matches!(
			event,
			Event::ResultSubmitted { .. } | Event::ResultVerified { .. } | Event::JobFinal { .. }
		)));
		assert_eq!(held(DAPP), 0);
		assert_eq!(free(DAPP), INITIAL_BALANCE);
		assert_eq!(free(OWNER), 10);
		assert_eq!(free(10), 10);
		assert_eq!(free(12), 10);
		assert!(!<Inference as ModelUsage>::in_use(MODEL));
	});
}

#[test]
fn a_rejected_or_undecided_vanilla_claim_refunds_in_full() {
	run(|| {
		let claim = revealed_hash(&output(7).encode());
		for (job, verdict, reason) in [
			(
				0,
				Conclusion::Decided {
					kind: RoundKind::Dispute,
					claimant: 10,
					claim,
					claim_upheld: false,
					decided: revealed_hash(&output(9).encode()),
					output: None,
					majority: vec![12],
				},
				RefundReason::Rejected,
			),
			(
				1,
				Conclusion::Undecided { kind: RoundKind::Dispute, claimant: 10, claim },
				RefundReason::Undecided,
			),
		] {
			assert_ok!(request(InferenceMode::Vanilla));
			assert_ok!(submit(job, 10, output(7)));
			Inference::on_conclusion(job_subject(job), &verdict);
			assert!(matches!(status(job), JobStatus::Refunded { reason: r, .. } if r == reason));
		}
		assert_eq!(held(DAPP), 0);
		assert_eq!(free(DAPP), INITIAL_BALANCE);
		assert_eq!(free(OWNER), 10);
		assert_eq!(free(10), 10);
	});
}

#[test]
fn a_vanilla_claim_a_dispute_upholds_within_the_tolerance_is_final_as_claimed() {
	run(|| {
		assert_ok!(request(InferenceMode::Vanilla));
		assert_ok!(submit(0, 10, output(7)));
		let claim = revealed_hash(&output(7).encode());
		// The committee's reference output differs from the claim by one micro, within the
		// tolerance: the claim stands, and the output stays the one the node published.
		let verdict = Conclusion::Decided {
			kind: RoundKind::Dispute,
			claimant: 10,
			claim,
			claim_upheld: true,
			decided: revealed_hash(&output(8).encode()),
			output: Some(output(8).encode()),
			majority: vec![12, 13],
		};
		Inference::on_conclusion(job_subject(0), &verdict);
		assert!(matches!(status(0), JobStatus::Final { node: 10, .. }));
		assert_eq!(Inference::output_of(0), Some(output(7)));
		assert_eq!(Jobs::<Test>::get(0).unwrap().output, Some(output_hash(&output(7))));
		assert_eq!(free(10), 10 + 330);
		assert_eq!(held(DAPP), 0);
	});
}

#[test]
fn answers_from_the_wrong_node_twice_late_or_badly_signed_are_refused() {
	run(|| {
		assert_ok!(request(InferenceMode::Vanilla));
		assert_noop!(submit(5, 10, output(1)), DispatchError::Other("refused by authorize"));
		assert!(refused_with(result_call(5, 10, output(1)), Error::<Test>::NoSuchJob));
		assert!(refused_with(result_call(0, 11, output(1)), Error::<Test>::NotAssigned));
		let Call::submit_result { signature, .. } = result_call(0, 11, output(1)) else {
			unreachable!()
		};
		let forged = Call::<Test>::submit_result { job: 0, node: 10, output: output(1), signature };
		assert!(refused_with(forged, Error::<Test>::BadSignature));
		// An output that does not fit the schema, or the limit.
		let wrong: Tensors = vec![tensor("z", 1, 1, &[(1, 0)])].try_into().unwrap();
		assert_noop!(
			Inference::submit_result(
				authorized(),
				0,
				10,
				wrong.clone(),
				sign(10, &JobStatement::Result { job: 0, node: 10, output: output_hash(&wrong) })
			),
			Error::<Test>::OutputMismatch
		);
		let big: Tensors = vec![tensor("y", 300, 1, &[(1, 0); 300])].try_into().unwrap();
		assert_noop!(
			Inference::submit_result(
				authorized(),
				0,
				10,
				big.clone(),
				sign(10, &JobStatement::Result { job: 0, node: 10, output: output_hash(&big) })
			),
			Error::<Test>::OutputTooLarge
		);
		assert_noop!(
			Inference::submit_result(
				RuntimeOrigin::signed(10),
				0,
				10,
				output(1),
				sign(
					10,
					&JobStatement::Result { job: 0, node: 10, output: output_hash(&output(1)) }
				)
			),
			BadOrigin
		);
		assert_ok!(submit(0, 10, output(1)));
		assert!(refused_with(result_call(0, 10, output(2)), Error::<Test>::AlreadyAnswered));

		assert_ok!(request(InferenceMode::Vanilla));
		run_to_block(5);
		assert_ok!(Inference::check_answer(
			1,
			&10,
			&JobStatement::Result { job: 1, node: 10, output: output_hash(&output(1)) },
			&sign(10, &JobStatement::Result { job: 1, node: 10, output: output_hash(&output(1)) })
		)
		.map(|_| ()));
		let late = Jobs::<Test>::get(1).unwrap();
		let JobStatus::Assigned { deadline, .. } = late.status else { unreachable!() };
		System::set_block_number(deadline);
		assert!(refused_with(result_call(1, 10, output(1)), Error::<Test>::TooLate));
	});
}

// ---- Refusals ----

/// The deadline node 11 gets when it takes job 0 over in block 2.
const SECOND_DEADLINE: u64 = 7;

#[test]
fn a_refusing_node_is_slashed_when_a_second_node_succeeds() {
	run(|| {
		let issuance = Balances::total_issuance();
		assert_ok!(request(InferenceMode::Vanilla));
		let error = engine_error("Unsupported operator: Foo");
		assert!(matches!(
			failure_call(0, 10, error.clone()).authorize(TransactionSource::External),
			Some(Ok(_))
		));
		assert_ok!(report(0, 10, "Unsupported operator: Foo"));
		// No refund: the job goes to another node, and the refusal counts against node 10.
		assert_eq!(
			status(0),
			JobStatus::Assigned { node: 11, deadline: SECOND_DEADLINE, reassigned: true }
		);
		assert_eq!(Refusals::<Test>::get(0), Some(10));
		assert!(!Assignments::<Test>::contains_key(10, 0));
		assert!(Assignments::<Test>::contains_key(11, 0));
		// The refuser's work stays open until the job ends: its bond cannot leave before the
		// slash it may owe.
		assert_eq!(Work::get(), vec![(10, 1, true), (11, 1, true)]);
		let all = events();
		assert_eq!(
			all[all.len() - 2..],
			[
				Event::JobRefused { job: 0, node: 10, error: error.clone() },
				Event::JobReassigned { job: 0, from: 10, to: 11, deadline: SECOND_DEADLINE },
			]
		);
		assert_eq!(held(DAPP), VANILLA_FEE);
		assert!(Slashes::get().is_empty());
		Inference::do_try_state().unwrap();
		// The refuser cannot report again, nor answer now.
		assert!(refused_with(failure_call(0, 10, error.clone()), Error::<Test>::NotAssigned));
		assert_noop!(dispatch(failure_call(0, 10, error)), Error::<Test>::NotAssigned);
		assert!(refused_with(result_call(0, 10, output(1)), Error::<Test>::NotAssigned));
		// Node 11 runs what node 10 said could not run.
		assert_ok!(submit(0, 11, output(1_250_000)));
		assert_eq!(status(0), JobStatus::Accepted { node: 11 });
		assert!(Slashes::get().is_empty(), "not before the answer is final");
		Inference::do_try_state().unwrap();
		let claim = revealed_hash(&output(1_250_000).encode());
		let took = Inference::on_conclusion(
			job_subject(0),
			&Conclusion::Unchallenged { claimant: 11, output: claim },
		);
		// A refuser slashed: the bound.
		assert_eq!(took, <Inference as OnConclusion<_>>::unchallenged_weight());
		assert_eq!(status(0), JobStatus::Final { node: 11, at: 2 });
		assert_eq!(Slashes::get(), vec![(10, test_parameters().timeout_slash)]);
		assert_eq!(Refusals::<Test>::get(0), None);
		assert!(events().contains(&Event::RefusalSlashed { job: 0, node: 10, slashed: 0 }));
		assert_eq!(Work::get().last(), Some(&(10, -1, false)), "the refuser is let go now");
		// The requester paid for one answer, to the node that gave it; the refuser got nothing.
		assert_eq!(held(DAPP), 0);
		assert_eq!(free(DAPP), INITIAL_BALANCE - VANILLA_FEE);
		assert_eq!(free(OWNER), 10 + 550);
		assert_eq!(free(11), 10 + 330);
		assert_eq!(free(10), 10);
		assert_eq!(free(TREASURY), 10 + 220);
		assert_eq!(Balances::total_issuance(), issuance);
	});
}

#[test]
fn a_refusal_the_second_node_confirms_refunds_and_slashes_nobody() {
	run(|| {
		assert_ok!(request(InferenceMode::Vanilla));
		assert_ok!(report(0, 10, "Unsupported operator: Foo"));
		assert_ok!(report(0, 11, "Unsupported operator: Bar"));
		// Two nodes agree: the requester is refunded with the second node's message.
		assert!(matches!(
			status(0),
			JobStatus::Refunded { reason: RefundReason::EngineFailed(e), .. }
				if e == engine_error("Unsupported operator: Bar")
		));
		assert!(Slashes::get().is_empty());
		assert_eq!(Refusals::<Test>::get(0), None);
		assert!(!events().iter().any(|event| matches!(event, Event::RefusalSlashed { .. })));
		// Both refusals count against their nodes' reputations; the first refuser's work ended
		// with the job.
		assert_eq!(
			Work::get(),
			vec![(10, 1, true), (11, 1, true), (10, -1, false), (11, -1, false)]
		);
		assert_eq!(Assignments::<Test>::iter().count(), 0);
		assert_eq!(held(DAPP), 0);
		assert_eq!(free(DAPP), INITIAL_BALANCE);
		assert!(refused_with(
			failure_call(0, 11, engine_error("again")),
			Error::<Test>::AlreadyAnswered
		));
	});
}

#[test]
fn a_refusal_by_a_jobs_second_node_refunds_at_once() {
	run(|| {
		assert_ok!(request(InferenceMode::Vanilla));
		// Node 10 never answers: slashed for it, and the job goes to node 11.
		run_to_block(7);
		assert_eq!(status(0), JobStatus::Assigned { node: 11, deadline: 12, reassigned: true });
		assert_eq!(Slashes::get(), vec![(10, Perbill::from_percent(10))]);
		assert_ok!(report(0, 11, "Unsupported operator: Foo"));
		assert!(matches!(
			status(0),
			JobStatus::Refunded { reason: RefundReason::EngineFailed(_), at: 7 }
		));
		// Nobody refused before: nobody else is slashed, nothing is kept.
		assert_eq!(Slashes::get(), vec![(10, Perbill::from_percent(10))]);
		assert_eq!(Refusals::<Test>::iter().count(), 0);
		assert_eq!(held(DAPP), 0);
		assert_eq!(free(DAPP), INITIAL_BALANCE);
		// Its deadline, when it comes, changes nothing.
		run_to_block(12);
		assert_eq!(Slashes::get().len(), 1);
	});
}

#[test]
fn a_refuser_goes_free_when_the_second_node_fails_too() {
	run(|| {
		// Job 0: node 11 never answers after node 10's refusal: a refund at its deadline, node
		// 11 slashed for its silence, node 10 not.
		assert_ok!(request(InferenceMode::Vanilla));
		assert_ok!(report(0, 10, "Unsupported operator: Foo"));
		run_to_block(SECOND_DEADLINE);
		assert!(matches!(status(0), JobStatus::Refunded { reason: RefundReason::TimedOut, .. }));
		assert_eq!(Slashes::get(), vec![(11, Perbill::from_percent(10))]);
		assert_eq!(Refusals::<Test>::get(0), None);
		Inference::do_try_state().unwrap();
		// Job 1: node 11's answer is refuted by a dispute: a refund, and node 10 not slashed.
		assert_ok!(request(InferenceMode::Vanilla));
		assert_ok!(report(1, 10, "Unsupported operator: Foo"));
		assert_ok!(submit(1, 11, output(7)));
		let verdict = Conclusion::Decided {
			kind: RoundKind::Dispute,
			claimant: 11,
			claim: revealed_hash(&output(7).encode()),
			claim_upheld: false,
			decided: revealed_hash(&output(9).encode()),
			output: None,
			majority: vec![12, 13],
		};
		Inference::on_conclusion(job_subject(1), &verdict);
		assert!(matches!(status(1), JobStatus::Refunded { reason: RefundReason::Rejected, .. }));
		assert_eq!(Slashes::get(), vec![(11, Perbill::from_percent(10))]);
		assert_eq!(Refusals::<Test>::iter().count(), 0);
		assert_eq!(held(DAPP), 0);
		assert_eq!(free(DAPP), INITIAL_BALANCE);
	});
}

#[test]
fn a_refusal_with_no_other_node_refunds_and_counts_against_the_refuser() {
	run(|| {
		InferenceNodes::set(vec![10]);
		assert_ok!(request(InferenceMode::Vanilla));
		assert_ok!(report(0, 10, "Unsupported operator: Foo"));
		assert!(matches!(
			status(0),
			JobStatus::Refunded { reason: RefundReason::EngineFailed(_), .. }
		));
		assert_eq!(Work::get(), vec![(10, 1, true), (10, -1, false)]);
		assert_eq!(Refusals::<Test>::iter().count(), 0);
		assert!(Slashes::get().is_empty());
		assert_eq!(held(DAPP), 0);
	});
}

#[test]
fn a_refused_tee_job_goes_to_another_tee_node() {
	use sp_core::Pair;
	run(|| {
		make_tee(10, false);
		make_tee(11, false);
		assert_ok!(request(InferenceMode::Tee));
		// The role key cannot refuse a TEE job: only the enclave can.
		assert!(refused_with(
			failure_call(0, 10, engine_error("Unsupported operator: Foo")),
			Error::<Test>::WrongMode
		));
		assert_noop!(
			dispatch(failure_call(0, 10, engine_error("Unsupported operator: Foo"))),
			Error::<Test>::WrongMode
		);
		// Signed by another enclave (node 11's): refused.
		let error = engine_error("Unsupported operator: Foo");
		let record = Jobs::<Test>::get(0).unwrap();
		let message = Inference::tee_failure_message(0, &record, &error);
		let forged = tee_failure_call(0, 10, error.clone(), enclave_pair(11).sign(&message));
		assert!(refused_with(forged, Error::<Test>::BadSignature));
		let call = tee_failure_call(0, 10, error, enclave_pair(10).sign(&message));
		assert!(call.authorize(TransactionSource::External).is_some_and(|v| v.is_ok()));
		assert_ok!(dispatch(call));
		assert_eq!(
			status(0),
			JobStatus::Assigned { node: 11, deadline: SECOND_DEADLINE, reassigned: true }
		);
		assert_ok!(submit_tee(tee_call(0, 11, output(1))));
		assert!(matches!(status(0), JobStatus::Final { node: 11, .. }));
		assert_eq!(Slashes::get(), vec![(10, Perbill::from_percent(10))]);
		assert_eq!(Refusals::<Test>::iter().count(), 0);
	});
}

// ---- Deadlines and pruning ----

#[test]
fn a_silent_node_is_slashed_and_replaced_once_then_the_job_is_refunded() {
	run(|| {
		assert_ok!(request(InferenceMode::Vanilla));
		run_to_block(7);
		assert_eq!(status(0), JobStatus::Assigned { node: 11, deadline: 12, reassigned: true });
		assert_eq!(Slashes::get(), vec![(10, Perbill::from_percent(10))]);
		assert!(!Assignments::<Test>::contains_key(10, 0));
		assert!(Assignments::<Test>::contains_key(11, 0));
		System::assert_last_event(
			Event::JobReassigned { job: 0, from: 10, to: 11, deadline: 12 }.into(),
		);
		Inference::do_try_state().unwrap();
		run_to_block(12);
		assert!(matches!(
			status(0),
			JobStatus::Refunded { reason: RefundReason::TimedOut, at: 12 }
		));
		assert_eq!(Slashes::get().len(), 2);
		assert_eq!(held(DAPP), 0);
		assert_eq!(free(DAPP), INITIAL_BALANCE);
		assert_eq!(
			Work::get(),
			vec![(10, 1, true), (10, -1, false), (11, 1, true), (11, -1, false)]
		);
		// Pruned after the retention period.
		run_to_block(32);
		assert!(Jobs::<Test>::get(0).is_none());
		assert!(Inputs::<Test>::get(0).is_none());
	});
}

#[test]
fn without_another_node_a_timed_out_job_is_refunded_at_once() {
	run(|| {
		InferenceNodes::set(vec![10]);
		assert_ok!(request(InferenceMode::Vanilla));
		run_to_block(7);
		assert!(matches!(status(0), JobStatus::Refunded { reason: RefundReason::TimedOut, .. }));
		assert_eq!(held(DAPP), 0);
	});
}

#[test]
fn the_queues_handle_a_bounded_number_of_jobs_per_block() {
	run(|| {
		// Four jobs assigned in block 2 (MaxAssignmentsPerBlock 4), all due at block 7.
		for _ in 0..4 {
			assert_ok!(queue(InferenceMode::Vanilla));
		}
		run_to_block(7);
		// Three of the four deadlines (MaxQueuedPerBlock) are handled in block 7, the fourth in 8.
		assert_eq!(Slashes::get().len(), 3);
		assert_eq!(Inference::assignee(3), Some(10));
		run_to_block(8);
		assert_eq!(Slashes::get().len(), 4);
		assert_eq!(Inference::assignee(3), Some(11));
	});
}

#[test]
fn finished_jobs_are_pruned_after_the_retention_period() {
	run(|| {
		assert_ok!(request(InferenceMode::Vanilla));
		assert_ok!(submit(0, 10, output(3)));
		// The answered job's deadline entry is skipped when it comes up.
		run_to_block(6);
		assert_eq!(status(0), JobStatus::Accepted { node: 10 });
		assert!(Slashes::get().is_empty());
		Inference::on_conclusion(
			job_subject(0),
			&Conclusion::Unchallenged { claimant: 10, output: output_hash(&output(3)) },
		);
		run_to_block(25);
		assert!(Jobs::<Test>::get(0).is_some());
		run_to_block(26);
		assert!(Jobs::<Test>::get(0).is_none());
		assert!(Outputs::<Test>::get(0).is_none());
		assert!(Inference::job_view(0).is_none());
	});
}

#[test]
fn answered_deadlines_cost_little_and_never_hold_back_a_timeout() {
	run(|| {
		// Twelve jobs over three blocks (the queue takes two blocks' worth of assignments).
		for _ in 0..3 {
			for _ in 0..4 {
				assert_ok!(queue(InferenceMode::Vanilla));
			}
			next_block();
		}
		run_to_block(6);
		let assigned: Vec<(JobId, AccountId, u64)> = (0..12)
			.map(|job| match status(job) {
				JobStatus::Assigned { node, deadline, .. } => (job, node, deadline),
				other => panic!("job {job} is {other:?}"),
			})
			.collect();
		// Every job but the last due is answered: their deadlines stay queued before its own.
		let (silent, _, due) = *assigned.iter().max_by_key(|(_, _, deadline)| *deadline).unwrap();
		for (job, node, _) in &assigned {
			if *job != silent {
				assert_ok!(submit(*job, *node, output(*job as i128)));
			}
		}
		// Room for a single timeout a block: the eight answered deadlines queued before the
		// silent node's, each charged as a timeout, would hold its timeout back six blocks.
		TimeoutBudget::set(Inference::timeout_weight(1));
		assert_eq!(assigned.iter().filter(|(_, _, deadline)| *deadline < due).count(), 8);
		run_to_block(due);
		assert!(matches!(status(silent), JobStatus::Assigned { reassigned: true, .. }));
		assert_eq!(Slashes::get().len(), 1);
	});
}

#[test]
fn deadlines_beyond_the_timeout_budget_wait_for_the_next_block_in_order() {
	run(|| {
		for _ in 0..3 {
			assert_ok!(queue(InferenceMode::Vanilla));
		}
		run_to_block(6);
		assert!((0..3).all(|job| matches!(status(job), JobStatus::Assigned { deadline: 7, .. })));
		TimeoutBudget::set(Inference::timeout_weight(2));
		assert_eq!(Inference::timeouts_within_budget(), 2);
		run_to_block(7);
		assert!(matches!(status(0), JobStatus::Assigned { reassigned: true, .. }));
		assert!(matches!(status(1), JobStatus::Assigned { reassigned: true, .. }));
		// The third deadline waits for the next block, and its node gains nothing by it: its
		// answer is too late all the same.
		let JobStatus::Assigned { node, deadline: 7, reassigned: false } = status(2) else {
			panic!("job 2 should still wait for its first node");
		};
		assert!(refused_with(result_call(2, node, output(2)), Error::<Test>::TooLate));
		assert_eq!(Slashes::get().len(), 2);
		run_to_block(8);
		assert!(matches!(status(2), JobStatus::Assigned { reassigned: true, .. }));
		assert_eq!(Slashes::get().len(), 3);
		Inference::do_try_state().unwrap();
	});
}

#[test]
fn pruning_waits_for_a_block_with_room_left() {
	run(|| {
		assert_ok!(request(InferenceMode::Vanilla));
		assert_ok!(submit(0, 10, output(3)));
		Inference::on_conclusion(
			job_subject(0),
			&Conclusion::Unchallenged { claimant: 10, output: output_hash(&output(3)) },
		);
		// Full blocks leave nothing to `on_idle`: the finished job stays, nothing is lost.
		IdleWeight::set(Weight::zero());
		run_to_block(30);
		assert!(Jobs::<Test>::get(0).is_some());
		assert_eq!(Inference::prunings_within(<() as WeightInfo>::process_pruning(1)), 1);
		// The first block with room for one pruning prunes it.
		IdleWeight::set(<() as WeightInfo>::process_pruning(1));
		run_to_block(31);
		assert!(Jobs::<Test>::get(0).is_none());
		assert!(Outputs::<Test>::get(0).is_none());
	});
}

// ---- Governance ----

#[test]
fn governance_changes_one_parameter_within_bounds_on_its_track() {
	run(|| {
		use ParameterChange::*;
		let fee_setter = RuntimeOrigin::signed(FeeSetter::get());
		// Fees on the fees track, the rest on the node-parameters track (root in the mock).
		assert_noop!(
			Inference::set_parameter(RuntimeOrigin::signed(DAPP), VanillaFee(5)),
			BadOrigin
		);
		assert_noop!(Inference::set_parameter(RuntimeOrigin::root(), VanillaFee(5)), BadOrigin);
		assert_noop!(Inference::set_parameter(fee_setter.clone(), ResponsePeriod(3)), BadOrigin);
		assert_ok!(Inference::set_parameter(fee_setter.clone(), VanillaFee(5)));
		let parameters = Parameters { vanilla_fee: 5, ..test_parameters() };
		assert_eq!(ActiveParameters::<Test>::get(), parameters);
		System::assert_last_event(Event::ParametersSet { parameters }.into());
		assert_ok!(Inference::set_parameter(RuntimeOrigin::root(), ResponsePeriod(3)));
		// The first change stays: a change names one parameter.
		assert_eq!(
			ActiveParameters::<Test>::get(),
			Parameters { vanilla_fee: 5, response_period: 3, ..test_parameters() }
		);
		let shares = FeeShares {
			owner: Perbill::from_percent(60),
			node: Perbill::from_percent(30),
			verifiers: Perbill::from_percent(10),
		};
		assert_ok!(Inference::set_parameter(fee_setter.clone(), Shares(shares)));
		assert_eq!(ActiveParameters::<Test>::get().shares, shares);
		// Out of bounds, or shares above the whole fee, or a zero period: refused.
		let too_much = FeeShares { verifiers: Perbill::from_percent(11), ..shares };
		for change in [VanillaFee(10_001), ZkFee(u64::MAX), Shares(too_much)] {
			assert_noop!(
				Inference::set_parameter(fee_setter.clone(), change),
				Error::<Test>::BadParameters
			);
		}
		for change in [
			ResponsePeriod(0),
			ResponsePeriod(1_001),
			TimeoutSlash(Perbill::from_percent(51)),
			Retention(0),
		] {
			assert_noop!(
				Inference::set_parameter(RuntimeOrigin::root(), change),
				Error::<Test>::BadParameters
			);
		}
	});
}

// ---- Offchain worker ----

/// An engine that adds the two inputs of each row, or refuses to run.
struct AddingEngine {
	refuse: bool,
}

impl InferenceEngine for AddingEngine {
	fn run(
		&self,
		model: &ModelRef,
		input: &[Tensor],
		_: &mut dyn FnMut(u32) -> Option<Vec<u8>>,
	) -> Result<Tensors, EngineError> {
		assert_eq!(model.content_id, test_model().content_id);
		if self.refuse {
			return Err(EngineError::model("Unsupported operator: Foo"));
		}
		let TensorValues::Numbers(x) = &input[0].values else { panic!("numbers") };
		let sum = x[0].value * 10i128.pow(6 - u32::from(x[0].decimals))
			+ x[1].value * 10i128.pow(6 - u32::from(x[1].decimals));
		Ok(output(sum))
	}
}

/// Node 10's offchain worker: its role key in the keystore, `engine` as the inference engine,
/// an empty off-chain database (which the runtime's offchain indexing writes to, once the
/// externalities persist it) and a data node that answers `requests`. Returns it with a
/// function that takes the transactions it sent.
fn worker(
	engine: impl InferenceEngine + 'static,
	requests: Vec<sp_core::offchain::testing::PendingRequest>,
) -> (sp_io::TestExternalities, impl Fn() -> Vec<Vec<u8>>) {
	use opg_primitives::inference::InferenceExt;
	use sp_core::offchain::{testing, OffchainDbExt, OffchainWorkerExt, TransactionPoolExt};
	use sp_keystore::{testing::MemoryKeystore, Keystore, KeystoreExt};

	let mut ext = new_test_ext();
	// The node's database, which offchain indexing writes to as well.
	let (offchain, state) = testing::TestOffchainExt::with_offchain_db(ext.offchain_db());
	let (pool, pool_state) = testing::TestTransactionPoolExt::new();
	let keystore = MemoryKeystore::new();
	keystore
		.sr25519_generate_new(opg_primitives::attestation::NODE_KEY_TYPE, Some("//node10"))
		.unwrap();
	for request in requests {
		state.write().expect_request(request);
	}
	ext.register_extension(OffchainWorkerExt::new(offchain.clone()));
	ext.register_extension(OffchainDbExt::new(offchain));
	ext.register_extension(TransactionPoolExt::new(pool));
	ext.register_extension(KeystoreExt::new(keystore));
	ext.register_extension(InferenceExt(std::sync::Arc::new(engine)));
	(ext, move || core::mem::take(&mut pool_state.write().transactions))
}

/// Runs `test` as node 10's offchain worker with `engine`; `test` gets the transactions the
/// worker sent, decoded.
fn with_offchain_worker(engine: AddingEngine, test: impl FnOnce(&dyn Fn() -> Vec<Call<Test>>)) {
	let (mut ext, take_sent) = worker(engine, vec![]);
	ext.execute_with(|| {
		let sent = || {
			take_sent()
				.into_iter()
				.map(|bytes| {
					let extrinsic = frame_system::mocking::MockUncheckedExtrinsic::<Test>::decode(
						&mut &bytes[..],
					)
					.unwrap();
					let RuntimeCall::Inference(call) = extrinsic.function else {
						panic!("not ours")
					};
					assert!(matches!(call.authorize(TransactionSource::Local), Some(Ok(_))));
					call
				})
				.collect()
		};
		test(&sent);
		Inference::do_try_state().unwrap();
	});
}

#[test]
fn the_offchain_worker_answers_its_own_jobs_only() {
	with_offchain_worker(AddingEngine { refuse: false }, |sent| {
		assert_ok!(request(InferenceMode::Vanilla));
		InferenceNodes::set(vec![11]);
		assert_ok!(request(InferenceMode::Vanilla));
		Inference::offchain_worker(1);
		// Job 0 is node 10's; job 1 belongs to node 11, whose key this node lacks.
		let calls = sent();
		assert_eq!(calls.len(), 1);
		let Call::submit_result { job, node, output: out, signature } = calls[0].clone() else {
			panic!("not a result")
		};
		assert_eq!((job, node), (0, 10));
		// x = [1.5, -2]: the engine's sum, -0.5.
		assert_eq!(out, output(-500_000));
		// Sent: not again until it could have landed.
		Inference::offchain_worker(2);
		assert!(sent().is_empty());
		assert_ok!(Inference::submit_result(authorized(), job, node, out, signature));
		assert_eq!(status(0), JobStatus::Accepted { node: 10 });
		Inference::offchain_worker(6);
		assert!(sent().is_empty());
	});
}

#[test]
fn the_offchain_worker_reports_a_model_the_engine_refuses() {
	with_offchain_worker(AddingEngine { refuse: true }, |sent| {
		assert_ok!(request(InferenceMode::Vanilla));
		Inference::offchain_worker(1);
		let calls = sent();
		let [Call::report_failure { job: 0, node: 10, error, signature }] = &calls[..] else {
			panic!("not a failure report: {calls:?}")
		};
		assert_eq!(&error[..], b"Unsupported operator: Foo");
		assert_ok!(Inference::report_failure(
			authorized(),
			0,
			10,
			error.clone(),
			signature.clone()
		));
		// A claim, not a refund: the job goes to node 11, the fee stays held.
		assert!(matches!(status(0), JobStatus::Assigned { node: 11, reassigned: true, .. }));
		assert_eq!(Refusals::<Test>::get(0), Some(10));
		assert_eq!(held(DAPP), VANILLA_FEE);
	});
}

#[test]
fn the_offchain_worker_commits_to_an_attested_answer_and_keeps_the_output_to_reveal() {
	for refuse in [false, true] {
		with_offchain_worker(AddingEngine { refuse }, |sent| {
			assert_ok!(request(InferenceMode::Attested));
			Inference::offchain_worker(2);
			let calls = sent();
			// A commitment, never the output, nor a failure report (the model that cannot run
			// is committed to as the empty output).
			let [Call::submit_commitment { job: 0, node: 10, commitment, .. }] = &calls[..] else {
				panic!("not a commitment: {calls:?}")
			};
			let record = Jobs::<Test>::get(0).unwrap();
			let subject = job_subject(0);
			// What the node reveals later, under the key its round's duty is found by.
			let key = duty_storage_key(&subject, commitment, &record.input_hash, &10u64);
			let stored = sp_io::offchain::local_storage_get(
				sp_core::offchain::StorageKind::PERSISTENT,
				&key,
			)
			.expect("the output is kept for the reveal");
			let duty = DutyRecord::decode(&mut &stored[..]).unwrap();
			let expected = if refuse { Vec::new() } else { output(-500_000).encode() };
			assert_eq!(duty.output, expected, "refuse: {refuse}");
			assert_eq!(duty.phase, 0);
			assert_eq!(
				*commitment,
				commitment_of(
					&subject,
					&record.input_hash,
					&10u64,
					&revealed_hash(&expected),
					&duty.salt
				)
			);
			assert_ok!(dispatch(calls[0].clone()));
			assert_eq!(status(0), JobStatus::Verifying { node: 10 });
			assert!(Outputs::<Test>::get(0).is_none());
		});
	}
}

#[test]
fn the_sent_marker_is_cleared_once_the_answer_lands() {
	let (mut ext, take_sent) = worker(AddingEngine { refuse: false }, vec![]);
	let marker = || {
		sp_io::offchain::local_storage_get(
			sp_core::offchain::StorageKind::PERSISTENT,
			&jobs::sent_marker_key(0),
		)
	};
	let answer = ext.execute_with(|| {
		assert_ok!(request(InferenceMode::Vanilla));
		Inference::offchain_worker(2);
		assert!(marker().is_some());
		let sent = take_sent();
		let extrinsic =
			frame_system::mocking::MockUncheckedExtrinsic::<Test>::decode(&mut &sent[0][..])
				.unwrap();
		let RuntimeCall::Inference(call) = extrinsic.function else { panic!("not ours") };
		call
	});
	ext.persist_offchain_overlay();
	ext.execute_with(|| assert!(marker().is_some(), "not before the answer lands"));
	ext.execute_with(|| {
		assert_ok!(apply(answer));
	});
	ext.persist_offchain_overlay();
	ext.execute_with(|| {
		assert!(marker().is_none());
		assert_eq!(status(0), JobStatus::Accepted { node: 10 });
		Inference::do_try_state().unwrap();
	});
}

#[test]
fn a_verifier_reexecutes_a_job_from_its_input_alone() {
	with_offchain_worker(AddingEngine { refuse: false }, |_| {
		// The engine finds -0.5 (-500,000 micro), whatever the node committed to: a verifier
		// has nothing of the node's output to copy.
		assert_ok!(request(InferenceMode::Attested));
		assert_ok!(commit(0, 10, &output(-500_001).encode()));
		assert_eq!(Inference::reexecute(job_subject(0)), Some(output(-500_000).encode()));
		// Not a job, or an unknown one: nothing to reveal.
		assert_eq!(Inference::reexecute(H256::zero()), None);
		assert_eq!(Inference::reexecute(job_subject(99)), None);
	});
	// A model the engine cannot run: the empty output, which the verifier commits to.
	with_offchain_worker(AddingEngine { refuse: true }, |_| {
		assert_ok!(request(InferenceMode::Attested));
		assert_eq!(Inference::reexecute(job_subject(0)), Some(Vec::new()));
	});
}

// ---- Outputs as the attestations pallet judges them ----

#[test]
fn outputs_agree_within_the_jobs_float_tolerance() {
	run(|| {
		// Job 0: the test model, absolute 1e-6.
		assert_ok!(request(InferenceMode::Attested));
		// Job 1: a version with 1% relative tolerance.
		let mut model = test_model();
		model.tolerance = Tolerance { absolute_e9: 0, relative: Perbill::from_percent(1) };
		Catalogue::set(Some(model));
		assert_ok!(request(InferenceMode::Attested));
		// Job 2: an exact version.
		let mut model = test_model();
		model.tolerance = Tolerance::EXACT;
		Catalogue::set(Some(model));
		assert_ok!(request(InferenceMode::Attested));
		// The tolerance is the one each job was requested with.
		Catalogue::set(Some(test_model()));
		let agrees = |job: JobId, ours: Tensors, reference: Tensors| {
			Inference::agrees(job_subject(job), &ours.encode(), &reference.encode())
		};
		// Different outputs within the tolerance agree; outside it they do not.
		assert!(agrees(0, output(7), output(7)));
		assert!(agrees(0, output(8), output(7)));
		assert!(agrees(0, output(6), output(7)));
		assert!(!agrees(0, output(9), output(7)));
		assert!(!agrees(0, output(5), output(7)));
		assert!(agrees(1, output(1_009_000), output(1_000_000)));
		assert!(agrees(1, output(991_000), output(1_000_000)));
		assert!(!agrees(1, output(1_011_000), output(1_000_000)));
		assert!(!agrees(1, output(989_000), output(1_000_000)));
		assert!(!agrees(2, output(8), output(7)));
		// The same number at another scale: other bytes, the same value.
		let rescaled: Tensors = vec![tensor("y", 1, 1, &[(70, 7)])].try_into().unwrap();
		assert_ne!(rescaled.encode(), output(7).encode());
		assert!(agrees(2, rescaled, output(7)));
		// "The model cannot run" agrees only with itself.
		let subject = job_subject(0);
		assert!(Inference::agrees(subject, &[], &[]));
		assert!(!Inference::agrees(subject, &[], &output(7).encode()));
		assert!(!Inference::agrees(subject, &output(7).encode(), &[]));
		// Another tensor name, or bytes that are no output, agree with nothing.
		let renamed: Tensors = vec![tensor("z", 1, 1, &[(7, 6)])].try_into().unwrap();
		assert!(!agrees(0, renamed, output(7)));
		assert!(!Inference::agrees(subject, &[1, 2, 3], &output(7).encode()));
		// Nor outputs of a job that does not exist.
		assert!(!Inference::agrees(job_subject(99), &output(7).encode(), &output(7).encode()));
		assert!(!Inference::agrees(H256::zero(), &output(7).encode(), &output(7).encode()));
	});
}

#[test]
fn a_reveal_that_does_not_fit_the_schema_is_not_a_valid_output() {
	run(|| {
		assert_ok!(request(InferenceMode::Attested));
		let subject = job_subject(0);
		let valid = |out: &[u8]| Inference::is_valid(subject, out);
		assert!(valid(&output(7).encode()));
		assert!(valid(&[]), "the model cannot run");
		// Rows are dynamic, but an answer has at most the request's rows (one here): it is what
		// the request paid for.
		let rows: Tensors = vec![tensor("y", 3, 1, &[(1, 0); 3])].try_into().unwrap();
		assert!(!valid(&rows.encode()));
		let off_schema: [Tensors; 4] = [
			vec![tensor("z", 1, 1, &[(1, 0)])].try_into().unwrap(),
			vec![tensor("y", 1, 2, &[(1, 0); 2])].try_into().unwrap(),
			vec![tensor("y", 1, 1, &[(1, 0)]), tensor("y", 1, 1, &[(1, 0)])].try_into().unwrap(),
			Tensors::truncate_from(vec![]),
		];
		for out in off_schema {
			assert!(!valid(&out.encode()), "{out:?}");
		}
		// Over the output limit, though of the schema's shape.
		let big: Tensors = vec![tensor("y", 300, 1, &[(1, 0); 300])].try_into().unwrap();
		assert!(big.encoded_size() > 4096);
		assert!(!valid(&big.encode()));
		// Bytes that are no encoding of an output, or more than one.
		let mut trailing = output(7).encode();
		trailing.push(0);
		assert!(!valid(&trailing));
		let encoded = output(7).encode();
		assert!(!valid(&encoded[..encoded.len() - 1]));
		assert!(!valid(&[0xff; 16]));
		// A job that does not exist has no valid output but the empty one.
		assert!(!Inference::is_valid(job_subject(99), &output(7).encode()));
	});
}

#[test]
fn a_vanilla_claim_is_the_published_output_and_an_attested_job_has_none() {
	run(|| {
		assert_ok!(request(InferenceMode::Vanilla));
		assert_ok!(request(InferenceMode::Attested));
		assert_eq!(Inference::claimed_output(job_subject(0)), None);
		assert_ok!(submit(0, 10, output(7)));
		assert_ok!(commit(1, 10, &output(7).encode()));
		let claimed = Inference::claimed_output(job_subject(0)).unwrap();
		assert_eq!(claimed, output(7).encode());
		// The claim the dispute judges is the hash of exactly these bytes.
		assert_eq!(Opened::get()[0], (job_subject(0), 10, revealed_hash(&claimed), false));
		assert_eq!(OpenedContexts::get()[0], Jobs::<Test>::get(0).unwrap().input_hash);
		assert_eq!(Inference::claimed_output(job_subject(1)), None);
		assert_eq!(Inference::claimed_output(H256::zero()), None);
	});
}

/// An engine that needs the model's bytes: it reads every chunk and checks the content id.
struct ReadingEngine;

impl InferenceEngine for ReadingEngine {
	fn run(
		&self,
		model: &ModelRef,
		_: &[Tensor],
		read_chunk: &mut dyn FnMut(u32) -> Option<Vec<u8>>,
	) -> Result<Tensors, EngineError> {
		let mut bytes = Vec::new();
		for index in 0..2 {
			bytes.extend(read_chunk(index).ok_or(EngineError::ModelMissing { chunk: index })?);
		}
		if opg_primitives::model::content_id(&bytes, 64) != Some(model.content_id) {
			return Err(EngineError::ModelCorrupt);
		}
		Ok(output(1))
	}
}

/// The data node's answer to `opgModel_chunk(MODEL, VERSION, index)` with `bytes`.
fn chunk_request(index: u32, bytes: &[u8]) -> sp_core::offchain::testing::PendingRequest {
	data_node_answer("opgModel_chunk", index, bytes)
}

/// The data node's answer to `method(MODEL, VERSION, index)` with `bytes`.
fn data_node_answer(
	method: &str,
	index: u32,
	bytes: &[u8],
) -> sp_core::offchain::testing::PendingRequest {
	sp_core::offchain::testing::PendingRequest {
		method: "POST".into(),
		uri: "http://data.test:9944".into(),
		headers: vec![("Content-Type".into(), "application/json".into())],
		body: format!(
			r#"{{"jsonrpc":"2.0","id":1,"method":"{method}","params":[{MODEL},{VERSION},{index}]}}"#
		)
		.into_bytes(),
		response: Some(
			format!(
				r#"{{"jsonrpc":"2.0","id":1,"result":"0x{}"}}"#,
				// Every byte (`HexDisplay` elides the middle of long data).
				bytes.iter().map(|byte| format!("{byte:02x}")).collect::<String>()
			)
			.into_bytes(),
		),
		sent: true,
		..Default::default()
	}
}

fn stored_chunk(index: u32) -> Option<Vec<u8>> {
	let key = opg_primitives::model::chunk_storage_key(&test_model().content_id, index);
	sp_io::offchain::local_storage_get(sp_core::offchain::StorageKind::PERSISTENT, &key)
}

#[test]
fn a_node_without_the_model_fetches_it_from_a_data_node() {
	let bytes = model_bytes();
	let (first, second) = bytes.split_at(64);
	let (mut ext, sent) =
		worker(ReadingEngine, vec![chunk_request(0, first), chunk_request(1, second)]);
	ext.execute_with(|| {
		assert_ok!(request(InferenceMode::Vanilla));
		Inference::offchain_worker(1);
		assert_eq!(sent().len(), 1, "answered once fetched");
		assert_eq!(stored_chunk(0).as_deref(), Some(first));
		assert_eq!(stored_chunk(1).as_deref(), Some(second));
	});
}

#[test]
fn a_chunk_that_does_not_match_the_registry_is_not_kept() {
	let bytes = model_bytes();
	let (first, _) = bytes.split_at(64);
	// The data node serves the right first chunk and a wrong second one.
	let (mut ext, sent) =
		worker(ReadingEngine, vec![chunk_request(0, first), chunk_request(1, &[7u8; 36])]);
	ext.execute_with(|| {
		assert_ok!(request(InferenceMode::Vanilla));
		Inference::offchain_worker(1);
		assert_eq!(sent().len(), 0, "no answer without the right bytes");
		assert_eq!(stored_chunk(0).as_deref(), Some(first));
		assert_eq!(stored_chunk(1), None);
	});
}

#[test]
fn an_answer_signed_for_another_request_with_the_same_id_is_refused() {
	run(|| {
		assert_ok!(request(InferenceMode::Vanilla));
		let call = result_call(0, 10, output(1));
		// The same job id on a competing fork holds another request: another input hash.
		Jobs::<Test>::mutate(0, |record| {
			record.as_mut().unwrap().input_hash = sp_core::H256::repeat_byte(9)
		});
		assert!(refused_with(call, Error::<Test>::BadSignature));
	});
}

#[test]
fn outputs_that_would_fail_are_refused_before_the_pool() {
	run(|| {
		assert_ok!(request(InferenceMode::Vanilla));
		let wrong: Tensors = vec![tensor("z", 1, 1, &[(1, 0)])].try_into().unwrap();
		assert!(refused_with(result_call(0, 10, wrong), Error::<Test>::OutputMismatch));
		let big: Tensors = vec![tensor("y", 300, 1, &[(1, 0); 300])].try_into().unwrap();
		assert!(refused_with(result_call(0, 10, big), Error::<Test>::OutputTooLarge));
	});
}

#[test]
fn a_shortened_response_period_keeps_the_timeout_queue_in_order() {
	run(|| {
		assert_ok!(request(InferenceMode::Vanilla));
		assert_ok!(Inference::set_parameter(
			RuntimeOrigin::root(),
			ParameterChange::ResponsePeriod(2)
		));
		assert_ok!(request(InferenceMode::Vanilla));
		// Due at block 3 by the new period, but queued behind job 0 (due at 7): its deadline
		// is 7 too, so it never sits past its deadline unhandled.
		assert_eq!(Inference::assignee(1), Some(10));
		assert!(matches!(status(1), JobStatus::Assigned { deadline: 7, .. }));
	});
}

#[test]
fn an_answer_that_cannot_be_verified_refunds_without_blame() {
	run(|| {
		assert_ok!(request(InferenceMode::Attested));
		assert_ok!(request(InferenceMode::Vanilla));
		AttestationsFull::set(true);
		let commitment = commit(0, 10, &output(1).encode()).unwrap();
		assert_ok!(submit(1, 10, output(1)));
		for job in [0, 1] {
			assert!(matches!(
				status(job),
				JobStatus::Refunded { reason: RefundReason::VerificationUnavailable, .. }
			));
		}
		// The attested answer stays hidden: its round never opened.
		assert!(Outputs::<Test>::get(0).is_none());
		assert!(events().contains(&Event::AnswerCommitted { job: 0, node: 10, commitment }));
		assert!(Opened::get().is_empty());
		assert_eq!(held(DAPP), 0);
		assert_eq!(free(DAPP), INITIAL_BALANCE);
		assert!(Slashes::get().is_empty());
		assert_eq!(Work::get(), vec![(10, 1, true), (10, 1, true), (10, -1, true), (10, -1, true)]);
	});
}

// ---- ZK mode ----

const ZK_FEE: Balance = PRICE + 200;

fn proof_call(job: JobId, node: AccountId, out: Tensors, proof: ProofBytes) -> Call<Test> {
	let statement = JobStatement::ZkResult {
		job,
		node,
		output: output_hash(&out),
		proof: H256(sp_io::hashing::blake2_256(&proof)),
		attempt: InvalidProofs::<Test>::get(job),
	};
	Call::submit_proof { job, node, output: out, proof, signature: sign(node, &statement) }
}

/// Authorizes and dispatches a proof, as a block would.
fn submit_zk(job: JobId, node: AccountId, out: Tensors, proof: ProofBytes) -> DispatchResult {
	let call = proof_call(job, node, out, proof);
	call.authorize(TransactionSource::External)
		.expect("submit_proof authorizes")
		.map_err(|_| DispatchError::Other("refused by authorize"))?;
	let Call::submit_proof { job, node, output, proof, signature } = call else { unreachable!() };
	Inference::submit_proof(authorized(), job, node, output, proof, signature)
}

/// A ZK request from the dApp, then the next block, whose hook assigns it.
fn zk_request(input: Tensors) -> DispatchResultWithPostInfo {
	let result = Inference::request(
		RuntimeOrigin::signed(DAPP),
		MODEL,
		None,
		input,
		InferenceMode::Zk,
		10_000,
	)?;
	next_block();
	Ok(result)
}

#[test]
fn a_valid_proof_makes_the_job_final_and_paid_in_its_block() {
	run(|| {
		let (input, output) = zk_model();
		let proof = zk_proof(0, 10);
		let before = free(DAPP);
		assert_ok!(zk_request(input));
		assert_eq!(held(DAPP), ZK_FEE);
		System::set_block_number(3);
		assert_ok!(submit_zk(0, 10, output.clone(), proof));
		// Final in this very block: no claim, no round.
		assert!(matches!(status(0), JobStatus::Final { node: 10, at: 3 }));
		assert!(Opened::get().is_empty());
		assert_eq!(held(DAPP), 0);
		assert_eq!(free(DAPP), before - ZK_FEE);
		assert_eq!(Inference::output_of(0), Some(output));
		let events = events();
		assert!(events.contains(&Event::ProofVerified { job: 0, node: 10 }));
		assert!(events.iter().any(|e| matches!(e, Event::JobFinal { job: 0, node: 10, .. })));
		assert!(Slashes::get().is_empty());
		Inference::do_try_state().unwrap();
	});
}

#[test]
fn an_invalid_proof_is_recorded_against_the_node_and_the_job_stays_open() {
	run(|| {
		let (input, output) = zk_model();
		let proof = zk_proof(0, 10);
		assert_ok!(zk_request(input.clone()));
		// A changed output with the real proof: signed properly, verified, rejected.
		let mut wrong = output.clone();
		let TensorValues::Numbers(values) = &mut wrong[0].values else { unreachable!() };
		values[0].value += 1;
		assert_ok!(submit_zk(0, 10, wrong.clone(), proof.clone()));
		assert!(matches!(status(0), JobStatus::Assigned { node: 10, .. }));
		assert_eq!(InvalidProofs::<Test>::get(0), 1);
		assert_eq!(Slashes::get(), vec![(10, Perbill::from_percent(5))]);
		// The rejected answer, signed for attempt 0, cannot be included a second time.
		let replay = {
			let statement = JobStatement::ZkResult {
				job: 0,
				node: 10,
				output: output_hash(&wrong),
				proof: H256(sp_io::hashing::blake2_256(&proof)),
				attempt: 0,
			};
			Call::<Test>::submit_proof {
				job: 0,
				node: 10,
				output: wrong.clone(),
				proof: proof.clone(),
				signature: sign(10, &statement),
			}
		};
		assert!(refused_with(replay, Error::<Test>::BadSignature));
		assert!(events().iter().any(|e| matches!(
			e,
			Event::ProofRejected {
				job: 0,
				node: 10,
				reason: opg_zk::ZkError::InvalidProof,
				attempts: 1,
				..
			}
		)));
		assert_eq!(held(DAPP), ZK_FEE);
		Inference::do_try_state().unwrap();
		// The node may still answer correctly before its deadline.
		assert_ok!(submit_zk(0, 10, output, proof));
		assert!(matches!(status(0), JobStatus::Final { .. }));
		assert_eq!(InvalidProofs::<Test>::get(0), 0);
		Inference::do_try_state().unwrap();
	});
}

#[test]
fn repeated_invalid_proofs_move_the_job_then_refund_it() {
	run(|| {
		let (input, output) = zk_model();
		let proof = zk_proof(0, 10);
		assert_ok!(zk_request(input));
		let mut corrupted = proof.clone();
		corrupted[64] ^= 1; // B's first coordinate: off the curve or a different point.
		for _ in 0..MAX_INVALID_PROOFS {
			assert_ok!(submit_zk(0, 10, output.clone(), corrupted.clone()));
		}
		// The third bad proof takes the job from node 10 to node 11.
		assert!(matches!(status(0), JobStatus::Assigned { node: 11, reassigned: true, .. }));
		assert!(events().contains(&Event::JobReassigned {
			job: 0,
			from: 10,
			to: 11,
			deadline: match status(0) {
				JobStatus::Assigned { deadline, .. } => deadline,
				_ => 0,
			},
		}));
		assert!(refused_with(
			proof_call(0, 10, output.clone(), proof.clone()),
			Error::<Test>::NotAssigned
		));
		for _ in 0..MAX_INVALID_PROOFS {
			assert_ok!(submit_zk(0, 11, output.clone(), corrupted.clone()));
		}
		assert!(matches!(
			status(0),
			JobStatus::Refunded { reason: RefundReason::InvalidProofs, .. }
		));
		assert_eq!(held(DAPP), 0);
		assert_eq!(Slashes::get().len(), 2 * MAX_INVALID_PROOFS as usize);
		Inference::do_try_state().unwrap();
	});
}

#[test]
fn zk_answers_are_checked_before_they_reach_a_block() {
	run(|| {
		let (input, output) = zk_model();
		let proof = zk_proof(0, 10);
		assert_ok!(zk_request(input));
		// A plain result for a ZK job, and a proof for a plain one.
		assert!(refused_with(result_call(0, 10, output.clone()), Error::<Test>::WrongMode));
		// A proof of the wrong length.
		let short: ProofBytes = proof[..200].to_vec().try_into().unwrap();
		assert!(refused_with(
			proof_call(0, 10, output.clone(), short),
			Error::<Test>::MalformedProof
		));
		// Someone else's corrupted copy of the node's answer: the signature covers the proof.
		let Call::submit_proof { signature, .. } = proof_call(0, 10, output.clone(), proof.clone())
		else {
			unreachable!()
		};
		let mut tampered = proof.clone();
		tampered[3] ^= 1;
		let forged = Call::<Test>::submit_proof {
			job: 0,
			node: 10,
			output: output.clone(),
			proof: tampered,
			signature,
		};
		assert!(refused_with(forged, Error::<Test>::BadSignature));
		assert_eq!(InvalidProofs::<Test>::get(0), 0);
		assert!(Slashes::get().is_empty());
		// An output that does not fit the schema.
		let wrong: Tensors = vec![tensor("y", 1, 3, &[(1, 0); 3])].try_into().unwrap();
		assert!(refused_with(
			proof_call(0, 10, wrong, proof.clone()),
			Error::<Test>::OutputMismatch
		));
	});
}

#[test]
fn a_proof_copied_onto_another_job_or_node_does_not_verify() {
	run(|| {
		let (input, output) = zk_model();
		// Two jobs with the same input, so the same output: the statement both proofs would
		// prove differs only in the job the proof is bound to.
		assert_ok!(zk_request(input.clone()));
		assert_ok!(zk_request(input));
		let copier = Inference::assignee(1).unwrap();
		assert_ok!(submit_zk(0, 10, output.clone(), zk_proof(0, 10)));
		assert!(matches!(status(0), JobStatus::Final { node: 10, .. }));
		// Job 0's proof, from chain history, sent for job 1 under the copier's own signature.
		assert_ok!(submit_zk(1, copier, output.clone(), zk_proof(0, 10)));
		assert!(events().iter().any(|e| matches!(
			e,
			Event::ProofRejected { job: 1, reason: opg_zk::ZkError::InvalidProof, .. }
		)));
		assert!(matches!(status(1), JobStatus::Assigned { .. }));
		assert_eq!(InvalidProofs::<Test>::get(1), 1);
		assert_eq!(Slashes::get(), vec![(copier, Perbill::from_percent(5))]);
		Inference::do_try_state().unwrap();
	});
}

#[test]
fn a_proof_made_for_the_previous_node_does_not_verify_for_the_next() {
	run(|| {
		let (input, output) = zk_model();
		assert_ok!(zk_request(input));
		let mut corrupted = zk_proof(0, 10);
		corrupted[64] ^= 1;
		for _ in 0..MAX_INVALID_PROOFS {
			assert_ok!(submit_zk(0, 10, output.clone(), corrupted.clone()));
		}
		assert!(matches!(status(0), JobStatus::Assigned { node: 11, reassigned: true, .. }));
		// Node 10's proof (say it was late, seen in the pool) taken by node 11: refused.
		assert_ok!(submit_zk(0, 11, output.clone(), zk_proof(0, 10)));
		assert!(matches!(status(0), JobStatus::Assigned { node: 11, .. }));
		assert_eq!(InvalidProofs::<Test>::get(0), 1);
		// Its own proof is accepted.
		assert_ok!(submit_zk(0, 11, output, zk_proof(0, 11)));
		assert!(matches!(status(0), JobStatus::Final { node: 11, .. }));
		Inference::do_try_state().unwrap();
	});
}

#[test]
fn a_proof_for_a_vanilla_job_is_refused() {
	run(|| {
		assert_ok!(request(InferenceMode::Vanilla));
		let (_, output) = zk_model();
		let proof = zk_proof(0, 10);
		assert!(refused_with(proof_call(0, 10, output, proof), Error::<Test>::WrongMode));
	});
}

/// An engine that answers one fixed output.
struct FixedEngine(Tensors);

impl InferenceEngine for FixedEngine {
	fn run(
		&self,
		_: &ModelRef,
		_: &[Tensor],
		_: &mut dyn FnMut(u32) -> Option<Vec<u8>>,
	) -> Result<Tensors, EngineError> {
		Ok(self.0.clone())
	}
}

/// A prover that answers the fixture's proof for the request's binding when the output is the
/// one it was made for, and refuses, as the node's prover does, when ONNX Runtime's output
/// differs from the circuit's.
struct FixtureProver {
	output: Tensors,
}

impl opg_primitives::inference::ZkProver for FixtureProver {
	fn prove(
		&self,
		request: &opg_primitives::inference::ProofRequest,
		_: &mut dyn FnMut(&opg_primitives::model::ContentId, u32) -> Option<Vec<u8>>,
	) -> Result<Vec<u8>, opg_primitives::inference::ProverError> {
		assert_eq!(request.key, ZkKeyOf::get().unwrap());
		if request.output != self.output {
			return Err(opg_primitives::inference::ProverError::OutputMismatch);
		}
		let fixture = opg_zk::fixture::mlp().unwrap();
		let bound = fixture.proofs.iter().find(|bound| bound.binding() == request.binding);
		Ok(bound.expect("a job and node the fixture has a proof for").proof.clone())
	}
}

#[test]
fn the_offchain_worker_proves_zk_jobs_and_refuses_a_mismatch() {
	let (fixture_input, fixture_output) = new_test_ext().execute_with(zk_model);
	for honest in [true, false] {
		let mut engine_output = fixture_output.clone();
		if !honest {
			let TensorValues::Numbers(values) = &mut engine_output[0].values else {
				unreachable!()
			};
			values[1].value -= 1;
		}
		let (mut ext, take_sent) = worker(FixedEngine(engine_output), vec![]);
		ext.register_extension(opg_primitives::inference::ProverExt(std::sync::Arc::new(
			FixtureProver { output: fixture_output.clone() },
		)));
		ext.execute_with(|| {
			let (input, output) = zk_model();
			assert_eq!(input, fixture_input);
			assert_ok!(zk_request(input));
			Inference::offchain_worker(2);
			let sent = take_sent();
			let extrinsic =
				frame_system::mocking::MockUncheckedExtrinsic::<Test>::decode(&mut &sent[0][..])
					.unwrap();
			let RuntimeCall::Inference(call) = extrinsic.function else { panic!("not ours") };
			assert!(matches!(call.authorize(TransactionSource::Local), Some(Ok(_))));
			if !honest {
				// ONNX Runtime and the circuit disagree: the node cannot prove the job, so it
				// reports it instead of proving or timing out. A report is no refund: another
				// node tries (and the refuser is slashed if that one proves it).
				let Call::report_failure { job, node, error, signature } = call else {
					panic!("not a failure report")
				};
				assert!(error.starts_with(b"ZK: the circuit's output differs"));
				assert_ok!(Inference::report_failure(authorized(), job, node, error, signature));
				assert!(matches!(
					status(0),
					JobStatus::Assigned { node: 11, reassigned: true, .. }
				));
				assert_eq!(held(DAPP), ZK_FEE);
				assert!(Slashes::get().is_empty());
				// Node 11 proves it: node 10 is slashed for its refusal.
				assert_ok!(submit_zk(0, 11, output, zk_proof(0, 11)));
				assert!(matches!(status(0), JobStatus::Final { node: 11, .. }));
				assert_eq!(Slashes::get(), vec![(10, Perbill::from_percent(10))]);
				Inference::do_try_state().unwrap();
				return;
			}
			let Call::submit_proof { job, node, output: out, proof, signature } = call else {
				panic!("not a proof")
			};
			assert_eq!((job, node, &out), (0, 10, &output));
			assert_ok!(Inference::submit_proof(authorized(), job, node, out, proof, signature));
			assert!(matches!(status(0), JobStatus::Final { .. }));
		});
	}
}

/// A prover that, as the node's does, proves only with the whole proving key from the node's
/// off-chain database (its chunks under the registry's content id), answering the fixture's
/// proof for the request's binding.
struct KeyReadingProver {
	chunks: usize,
}

impl opg_primitives::inference::ZkProver for KeyReadingProver {
	fn prove(
		&self,
		request: &opg_primitives::inference::ProofRequest,
		read_chunk: &mut dyn FnMut(&opg_primitives::model::ContentId, u32) -> Option<Vec<u8>>,
	) -> Result<Vec<u8>, opg_primitives::inference::ProverError> {
		let key = request.key.proving_key_hash;
		if (0..self.chunks as u32).any(|index| read_chunk(&key, index).is_none()) {
			return Err(opg_primitives::inference::ProverError::ProvingKeyMissing);
		}
		let fixture = opg_zk::fixture::mlp().unwrap();
		let bound = fixture.proofs.iter().find(|bound| bound.binding() == request.binding);
		Ok(bound.expect("a job and node the fixture has a proof for").proof.clone())
	}
}

#[test]
fn a_node_without_the_ceremonys_key_fetches_it_from_a_data_node_and_proves() {
	let (_, fixture_output) = new_test_ext().execute_with(zk_model);
	let key: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
	let chunks: Vec<Vec<u8>> = key.chunks(65_536).map(<[u8]>::to_vec).collect();
	ZkKeyChunks::set(chunks.clone());
	let (mut ext, take_sent) = worker(
		FixedEngine(fixture_output),
		vec![
			data_node_answer("opgModel_keyChunk", 0, &chunks[0]),
			data_node_answer("opgModel_keyChunk", 1, &chunks[1]),
		],
	);
	ext.register_extension(opg_primitives::inference::ProverExt(std::sync::Arc::new(
		KeyReadingProver { chunks: 2 },
	)));
	ext.execute_with(|| {
		let (input, output) = zk_model();
		assert_ok!(zk_request(input));
		Inference::offchain_worker(2);
		// The key is in the node's database now, and the job got its proof.
		let key_hash = ZkKeyOf::get().unwrap().proving_key_hash;
		for (index, chunk) in chunks.iter().enumerate() {
			let stored = sp_io::offchain::local_storage_get(
				sp_core::offchain::StorageKind::PERSISTENT,
				&opg_primitives::model::chunk_storage_key(&key_hash, index as u32),
			);
			assert!(stored.as_ref() == Some(chunk), "chunk {index} is not stored as served");
		}
		let sent = take_sent();
		let extrinsic =
			frame_system::mocking::MockUncheckedExtrinsic::<Test>::decode(&mut &sent[0][..])
				.unwrap();
		let RuntimeCall::Inference(Call::submit_proof { output: out, .. }) = extrinsic.function
		else {
			panic!("not a proof")
		};
		assert_eq!(out, output);
	});
	ZkKeyChunks::set(Vec::new());
}

#[test]
fn a_key_chunk_that_does_not_match_its_ceremony_is_not_kept_and_nothing_is_proved() {
	let (_, fixture_output) = new_test_ext().execute_with(zk_model);
	let chunks = vec![vec![1u8; 65_536], vec![2u8; 100]];
	ZkKeyChunks::set(chunks.clone());
	let (mut ext, take_sent) = worker(
		FixedEngine(fixture_output),
		vec![
			data_node_answer("opgModel_keyChunk", 0, &chunks[0]),
			data_node_answer("opgModel_keyChunk", 1, &[3u8; 100]),
		],
	);
	ext.register_extension(opg_primitives::inference::ProverExt(std::sync::Arc::new(
		KeyReadingProver { chunks: 2 },
	)));
	ext.execute_with(|| {
		let (input, _) = zk_model();
		assert_ok!(zk_request(input));
		Inference::offchain_worker(2);
		let key_hash = ZkKeyOf::get().unwrap().proving_key_hash;
		let stored = |index: u32| {
			sp_io::offchain::local_storage_get(
				sp_core::offchain::StorageKind::PERSISTENT,
				&opg_primitives::model::chunk_storage_key(&key_hash, index),
			)
		};
		assert!(stored(0) == Some(chunks[0].clone()), "the matching chunk is kept");
		assert!(stored(1).is_none(), "the other is not");
		// No answer: the job times out against the node (it could not prove).
		assert!(take_sent().is_empty());
	});
	ZkKeyChunks::set(Vec::new());
}

// ---- TEE mode ----

/// Node `node`'s enclave-signed answer to `job` with `out`, its signature over `message` as
/// given.
fn tee_call_signed(job: JobId, node: AccountId, out: Tensors, message: &[u8]) -> Call<Test> {
	use sp_core::Pair;
	let signature = enclave_pair(node).sign(message).into();
	Call::submit_tee_result { job, node, output: out, signature }
}

/// Node `node`'s correctly signed answer to TEE `job` with `out`.
fn tee_call(job: JobId, node: AccountId, out: Tensors) -> Call<Test> {
	let record = Jobs::<Test>::get(job).unwrap();
	let message = Inference::tee_signing_message(job, &record, output_hash(&out));
	tee_call_signed(job, node, out, &message)
}

/// Node `node`'s TEE failure report of `job`, with `signature` from some enclave.
fn tee_failure_call(
	job: JobId,
	node: AccountId,
	error: EngineMessage,
	signature: sp_core::ed25519::Signature,
) -> Call<Test> {
	Call::report_tee_failure { job, node, error, signature: signature.into() }
}

fn submit_tee(call: Call<Test>) -> DispatchResult {
	let Call::submit_tee_result { job, node, output, signature } = call else { unreachable!() };
	Inference::submit_tee_result(authorized(), job, node, output, signature)
}

#[test]
fn a_tee_job_goes_only_to_a_tee_node_and_is_final_and_paid_in_its_block() {
	run(|| {
		// No TEE node yet: refused, nothing held.
		assert_noop!(request(InferenceMode::Tee), Error::<Test>::NoInferenceNode);
		make_tee(11, false);
		let issuance = Balances::total_issuance();
		assert_ok!(request(InferenceMode::Tee));
		assert_eq!(status(0), JobStatus::Assigned { node: 11, deadline: 7, reassigned: false });
		// The fee of one node's execution: the vanilla protocol fee.
		assert_eq!(held(DAPP), VANILLA_FEE);
		let call = tee_call(0, 11, output(1_250_000));
		assert!(matches!(call.authorize(TransactionSource::External), Some(Ok(_))));
		assert_ok!(submit_tee(call));
		assert_eq!(status(0), JobStatus::Final { node: 11, at: 2 });
		assert_eq!(Inference::output_of(0), Some(output(1_250_000)));
		// Settled in this block: nothing held, no claim or round opened.
		assert_eq!(held(DAPP), 0);
		assert!(Opened::get().is_empty());
		assert_eq!(free(OWNER), 10 + 550);
		assert_eq!(free(11), 10 + 330);
		assert_eq!(free(TREASURY), 10 + 220);
		assert_eq!(Balances::total_issuance(), issuance);
		use sp_core::Pair;
		let enclave_key = opg_primitives::tee::EnclaveKey::from(enclave_pair(11).public());
		assert!(events().contains(&Event::TeeResultAccepted {
			job: 0,
			node: 11,
			enclave_key,
			insecure: false
		}));
		assert!(matches!(events().last(), Some(Event::JobFinal { job: 0, node: 11, .. })));
	});
}

#[test]
fn the_insecure_dev_enclave_is_named_in_the_event() {
	run(|| {
		make_tee(10, true);
		assert_ok!(request(InferenceMode::Tee));
		assert_ok!(submit_tee(tee_call(0, 10, output(1))));
		assert!(events()
			.iter()
			.any(|event| matches!(event, Event::TeeResultAccepted { insecure: true, .. })));
	});
}

#[test]
fn tee_answers_signed_for_anything_else_are_refused() {
	run(|| {
		make_tee(10, false);
		make_tee(11, false);
		assert_ok!(request(InferenceMode::Tee));
		let out = output(7);
		let record = Jobs::<Test>::get(0).unwrap();
		let good = opg_primitives::tee::TeeResultStatement {
			job: 0,
			content_id: record.model_ref.content_id,
			input_hash: record.input_hash,
			output_hash: output_hash(&out),
		};
		let genesis = System::block_hash(0);
		assert_eq!(
			good.signing_message(&genesis),
			Inference::tee_signing_message(0, &record, output_hash(&out))
		);
		let variants = [
			opg_primitives::tee::TeeResultStatement { job: 1, ..good.clone() }
				.signing_message(&genesis),
			good.signing_message(&H256::repeat_byte(1)),
			opg_primitives::tee::TeeResultStatement {
				content_id: H256::repeat_byte(2),
				..good.clone()
			}
			.signing_message(&genesis),
			opg_primitives::tee::TeeResultStatement {
				input_hash: H256::repeat_byte(3),
				..good.clone()
			}
			.signing_message(&genesis),
			opg_primitives::tee::TeeResultStatement {
				output_hash: output_hash(&output(8)),
				..good.clone()
			}
			.signing_message(&genesis),
		];
		for message in variants {
			let call = tee_call_signed(0, 10, out.clone(), &message);
			assert!(refused_with(call.clone(), Error::<Test>::BadSignature));
			assert_noop!(submit_tee(call), Error::<Test>::BadSignature);
		}
		// Signed by another node's enclave.
		let forged = match tee_call(0, 11, out.clone()) {
			Call::submit_tee_result { signature, .. } => {
				Call::submit_tee_result { job: 0, node: 10, output: out.clone(), signature }
			}
			_ => unreachable!(),
		};
		assert_noop!(submit_tee(forged), Error::<Test>::BadSignature);
		// Another node than the assignee, even a TEE node with its own valid signature.
		assert_noop!(submit_tee(tee_call(0, 11, out.clone())), Error::<Test>::NotAssigned);
		// A plain result for a TEE job, and an enclave answer for a vanilla job.
		assert!(refused_with(result_call(0, 10, out.clone()), Error::<Test>::WrongMode));
		assert_ok!(request(InferenceMode::Vanilla));
		assert!(refused_with(tee_call(1, 10, out.clone()), Error::<Test>::WrongMode));
		// An output off the schema.
		let bad = Tensors::truncate_from(vec![]);
		assert_noop!(submit_tee(tee_call(0, 10, bad)), Error::<Test>::OutputMismatch);
		// The right answer still lands, once.
		assert_ok!(submit_tee(tee_call(0, 10, out.clone())));
		assert_noop!(submit_tee(tee_call(0, 10, out)), Error::<Test>::AlreadyAnswered);
	});
}

#[test]
fn a_revoked_tee_node_cannot_answer_and_its_job_moves_on_without_a_slash() {
	run(|| {
		make_tee(10, false);
		make_tee(11, false);
		assert_ok!(request(InferenceMode::Tee));
		assert_eq!(status(0), JobStatus::Assigned { node: 10, deadline: 7, reassigned: false });
		// Governance revokes node 10's measurement.
		TeeSigners::mutate(|signers| signers.retain(|(node, _)| *node != 10));
		let call = tee_call(0, 10, output(1));
		assert!(refused_with(call.clone(), Error::<Test>::NotTeeCapable));
		assert_noop!(submit_tee(call), Error::<Test>::NotTeeCapable);
		// New TEE jobs go to node 11 only.
		assert_ok!(request(InferenceMode::Tee));
		assert_eq!(status(1), JobStatus::Assigned { node: 11, deadline: 8, reassigned: false });
		// At the deadline, job 0 moves to the other TEE node and node 10 is not slashed; node 11,
		// registered all along, is slashed for job 1, which no other TEE node can take.
		run_to_block(8);
		let slashed = || Slashes::get().into_iter().map(|(node, _)| node).collect::<Vec<_>>();
		assert_eq!(slashed(), vec![11]);
		assert!(matches!(status(0), JobStatus::Assigned { node: 11, reassigned: true, .. }));
		assert!(matches!(status(1), JobStatus::Refunded { reason: RefundReason::TimedOut, .. }));
		// With node 11 revoked too, nothing is left: a new request is refused, the open job is
		// refunded at its deadline without a slash, and nothing stays held.
		TeeSigners::take();
		assert_noop!(request(InferenceMode::Tee), Error::<Test>::NoInferenceNode);
		run_to_block(12);
		assert!(matches!(status(0), JobStatus::Refunded { reason: RefundReason::TimedOut, .. }));
		assert_eq!(slashed(), vec![11]);
		assert_eq!(held(DAPP), 0);
		assert_eq!(free(DAPP), INITIAL_BALANCE);
	});
}

/// The worker of TEE node 10, whose role and enclave keys are in its keystore; and what it
/// sent.
fn tee_worker() -> (sp_io::TestExternalities, impl Fn() -> Vec<Vec<u8>>) {
	use sp_keystore::{Keystore, KeystoreExt};
	let (mut ext, take_sent) = worker(AddingEngine { refuse: false }, vec![]);
	let keystore = sp_keystore::testing::MemoryKeystore::new();
	keystore
		.sr25519_generate_new(opg_primitives::attestation::NODE_KEY_TYPE, Some("//node10"))
		.unwrap();
	keystore
		.ed25519_generate_new(opg_primitives::tee::ENCLAVE_KEY_TYPE, Some("//enclave10"))
		.unwrap();
	ext.register_extension(KeystoreExt::new(keystore));
	(ext, take_sent)
}

#[test]
fn a_tee_answer_with_no_block_to_spare_goes_at_once() {
	let (mut ext, take_sent) = tee_worker();
	ext.execute_with(|| {
		make_tee(10, false);
		// A response period too short to wait a block: an answer sent now lands in the next
		// block at the earliest, so the worker answers in the block that assigned the job.
		ActiveParameters::<Test>::mutate(|parameters| parameters.response_period = 2);
		assert_ok!(request(InferenceMode::Tee));
		let now = System::block_number();
		let JobStatus::Assigned { deadline, .. } = status(0) else { panic!("job 0 waits") };
		assert_eq!(deadline, now + 2);
		Inference::offchain_worker(now);
		assert_eq!(take_sent().len(), 1);
	});
}

#[test]
fn the_offchain_worker_signs_a_tee_result_with_its_enclave_key() {
	let (mut ext, take_sent) = tee_worker();
	ext.execute_with(|| {
		make_tee(10, false);
		assert_ok!(request(InferenceMode::Tee));
		// The enclave's signature is deterministic, so a copy sent again would be the same
		// bytes: nothing goes in the block that assigned the job, where the pool's view of the
		// block before could refuse it for good; it goes in the next.
		let assigned_in = System::block_number();
		Inference::offchain_worker(assigned_in);
		assert!(take_sent().is_empty());
		System::set_block_number(assigned_in + 1);
		Inference::offchain_worker(assigned_in + 1);
		let sent = take_sent();
		assert_eq!(sent.len(), 1);
		let extrinsic =
			frame_system::mocking::MockUncheckedExtrinsic::<Test>::decode(&mut &sent[0][..])
				.unwrap();
		let RuntimeCall::Inference(call) = extrinsic.function else { panic!("not ours") };
		assert!(matches!(call, Call::submit_tee_result { job: 0, node: 10, .. }));
		assert_ok!(submit_tee(call));
		assert!(matches!(status(0), JobStatus::Final { node: 10, .. }));
		Inference::do_try_state().unwrap();
	});
}

/// What the dApp holds as output deposits.
fn deposit_held(who: AccountId) -> Balance {
	Balances::balance_on_hold(&HoldReason::OutputDeposit.into(), &who)
}

/// Sets the fee and the deposit per byte of a job's largest answer.
fn price_output_bytes(fee: Balance, deposit: Balance) {
	let origin = || RuntimeOrigin::signed(FeeSetter::get());
	assert_ok!(Inference::set_parameter(origin(), ParameterChange::OutputByteFee(fee)));
	assert_ok!(Inference::set_parameter(origin(), ParameterChange::OutputByteDeposit(deposit)));
}

/// Free output storage (issue 34): answers are fee-free, so the request pays for the largest
/// answer its model allows at its batch, a fee for the block space and a deposit for the state,
/// the deposit handed back when the job is pruned.
#[test]
fn a_request_pays_for_its_largest_answer_and_gets_the_deposit_back_when_pruned() {
	new_test_ext().execute_with(|| {
		price_output_bytes(2, 10);
		// y: [batch, 1] floats at the input's batch of one row.
		let bound = opg_primitives::inference::largest_encoded(&test_model().schema.outputs, 1)
			.unwrap() as u32;
		assert!(output(1).encoded_size() as u32 <= bound);
		let quote = Inference::quote(&DAPP, MODEL, None, &input(), InferenceMode::Vanilla).unwrap();
		assert_eq!(quote.protocol_fee, 100 + 2 * Balance::from(bound));
		assert_ok!(request(InferenceMode::Vanilla));
		let record = Jobs::<Test>::get(0).unwrap();
		assert_eq!(record.output_bound, bound);
		assert_eq!(quote.output_deposit, 10 * Balance::from(bound));
		assert_eq!(held(DAPP), quote.total);
		assert_eq!(deposit_held(DAPP), quote.output_deposit);

		assert_ok!(submit(0, 10, output(1)));
		let claim = revealed_hash(&output(1).encode());
		Inference::on_conclusion(
			job_subject(0),
			&Conclusion::Unchallenged { claimant: 10, output: claim },
		);
		assert!(matches!(status(0), JobStatus::Final { .. }));
		// Final: the fee is paid out, the deposit stays while the output is in state.
		assert_eq!(held(DAPP), 0);
		assert_eq!(deposit_held(DAPP), quote.output_deposit);
		Inference::do_try_state().unwrap();
		let retention = ActiveParameters::<Test>::get().retention;
		run_to_block(System::block_number() + retention);
		assert!(Jobs::<Test>::get(0).is_none() && Outputs::<Test>::get(0).is_none());
		assert_eq!(deposit_held(DAPP), 0);
		Inference::do_try_state().unwrap();
	});
}

/// A node cannot store more than the request paid for: an answer larger than the job's bound
/// (here two rows for a one-row request) is refused before it reaches a block.
#[test]
fn an_answer_larger_than_its_request_paid_for_is_refused() {
	new_test_ext().execute_with(|| {
		price_output_bytes(1, 1);
		assert_ok!(request(InferenceMode::Vanilla));
		let two_rows: Tensors = vec![tensor("y", 2, 1, &[(1, 6), (2, 6)])].try_into().unwrap();
		assert!(refused_with(result_call(0, 10, two_rows), Error::<Test>::OutputTooLarge));
		assert!(Outputs::<Test>::get(0).is_none());
		Inference::do_try_state().unwrap();
	});
}

/// A requester that can hold the fee but not the deposit too is refused, holding nothing.
#[test]
fn a_request_that_cannot_hold_its_deposit_is_refused() {
	new_test_ext().execute_with(|| {
		use frame_support::traits::fungible::Mutate;
		price_output_bytes(0, 1);
		Balances::set_balance(&DAPP, VANILLA_FEE + 10);
		assert_noop!(queue(InferenceMode::Vanilla), Error::<Test>::InsufficientBalance);
		assert_eq!(held(DAPP) + deposit_held(DAPP), 0);
		// Without the deposit the same balance pays the fee.
		price_output_bytes(0, 0);
		assert_ok!(queue(InferenceMode::Vanilla));
	});
}

/// A model whose dynamic output grows past the request's batch (three rows for a one-row
/// request) answers more than the request paid for: the chain would refuse it, so the honest
/// node reports a failure instead of an answer that would cost it a timeout or a slash.
#[test]
fn the_offchain_worker_reports_an_output_larger_than_the_request_paid_for() {
	let rows: Tensors = vec![tensor("y", 3, 1, &[(1, 6); 3])].try_into().unwrap();
	let (mut ext, take_sent) = worker(FixedEngine(rows), vec![]);
	ext.execute_with(|| {
		assert_ok!(request(InferenceMode::Vanilla));
		Inference::offchain_worker(1);
		let calls: Vec<Call<Test>> = take_sent()
			.into_iter()
			.map(|bytes| {
				let extrinsic =
					frame_system::mocking::MockUncheckedExtrinsic::<Test>::decode(&mut &bytes[..])
						.unwrap();
				let RuntimeCall::Inference(call) = extrinsic.function else { panic!("not ours") };
				call
			})
			.collect();
		let [Call::report_failure { job: 0, node: 10, error, .. }] = &calls[..] else {
			panic!("not a failure report: {calls:?}")
		};
		assert!(core::str::from_utf8(error).unwrap().contains("larger than the request paid for"));
	});
}

/// Whatever a consumer of final results costs is charged wherever a job becomes final: a
/// verified proof or an enclave's answer in the call, an upheld claim in the round's conclusion.
#[test]
fn the_final_results_consumer_is_charged_where_jobs_become_final() {
	use frame_support::dispatch::GetDispatchInfo;
	use opg_primitives::attestation::OnConclusion;
	run(|| {
		make_tee(11, false);
		assert_ok!(request(InferenceMode::Tee));
		let out = output(1_250_000);
		let tee = || tee_call(0, 11, out.clone()).get_dispatch_info().call_weight;
		let before =
			(Inference::submit_proof_weight(&out), tee(), <Inference as OnConclusion<_>>::weight());
		let extra = Weight::from_parts(7_000_000, 1_000);
		OnFinalWeight::set(extra);
		let after =
			(Inference::submit_proof_weight(&out), tee(), <Inference as OnConclusion<_>>::weight());
		assert_eq!(after, (before.0 + extra, before.1 + extra, before.2 + extra));
		// And it is told.
		assert_ok!(submit_tee(tee_call(0, 11, out.clone())));
		assert_eq!(FinalHeard::get(), vec![0]);
	});
}
