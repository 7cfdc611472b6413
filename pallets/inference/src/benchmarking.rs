//! Benchmarks of every call and hook: calls carrying tensors by their number of values (up to
//! what the byte limits allow), attested and vanilla answers, verdicts paying up to the largest
//! committee, and queues of deadlines (each reassigned) and of pruning up to the per-block limit.

// Benchmark set-up runs only in benchmark builds, never from an extrinsic: a panic there is a
// failed benchmark.
#![allow(clippy::expect_used, clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use super::*;
use frame_benchmarking::v2::*;
use frame_support::traits::{fungible::Mutate, Authorize};
use frame_system::RawOrigin;
use opg_primitives::{
	attestation::{Conclusion, NodeKey, OnConclusion, RoundKind},
	inference::{job_subject, MAX_ENGINE_ERROR_LEN},
};
use sp_runtime::{
	traits::{Bounded, One},
	RuntimeAppPublic,
};

/// A requester with plenty of balance.
fn requester<T: Config>(index: u32) -> T::AccountId {
	let who: T::AccountId = account("requester", index, 0);
	T::Currency::set_balance(&who, BalanceOf::<T>::max_value() / 1_000_000u32.into());
	who
}

/// Two eligible inference nodes whose keys the keystore holds; returns their keys.
fn nodes<T: Config>() -> Vec<NodeKey> {
	(0..2)
		.map(|index| {
			let key = NodeKey::generate_pair(None);
			T::BenchmarkHelper::inference_node(index, key.clone());
			key
		})
		.collect()
}

/// Values per row of the benchmark model's tensors.
const WIDTH: u32 = 64;

/// The most rows a tensor of the benchmark model may have within `limit` encoded bytes (a
/// number encodes in 17 bytes; 64 bytes cover the name, shape and lengths).
const fn max_rows(limit: u32) -> u32 {
	(limit.saturating_sub(64) / 17) / WIDTH
}

/// A tensor `name` of `rows` rows of the benchmark model, every number 18 digits long.
fn tensors(name: &[u8], rows: u32) -> Tensors {
	use opg_primitives::inference::{FixedPoint, Tensor, TensorValues};
	let values = alloc::vec![FixedPoint { value: -123_456_789_012_345_678, decimals: 18 }; (rows * WIDTH) as usize];
	Tensors::truncate_from(alloc::vec![Tensor {
		name: BoundedVec::truncate_from(name.to_vec()),
		shape: BoundedVec::truncate_from(alloc::vec![rows, WIDTH]),
		values: TensorValues::Numbers(BoundedVec::truncate_from(values)),
	}])
}

/// Opens `count` jobs in `mode` on the benchmark model, each with `rows` rows of input;
/// returns the input and an output of as many rows.
fn open_jobs<T: Config>(mode: InferenceMode, count: u32, rows: u32) -> (Tensors, Tensors) {
	queue_jobs::<T>(mode, count, rows);
	assign_queued::<T>();
	(tensors(b"x", rows), tensors(b"y", rows))
}

/// Moves to the next block and assigns the jobs queued for it, as its hook does, every one of
/// them (the hook would leave what its budget does not cover for the blocks after).
fn assign_queued<T: Config>() {
	let next = frame_system::Pallet::<T>::block_number() + One::one();
	frame_system::Pallet::<T>::set_block_number(next);
	Pallet::<T>::assign_due(next, T::MaxAssignmentsPerBlock::get());
}

/// Gives assigned `job` to `node` instead of the node drawn for it, as if `node` had been
/// drawn: the benchmarks choose who holds a job where the draw would not.
fn hand_over<T: Config>(job: JobId, node: &T::AccountId) {
	let mut record = Jobs::<T>::get(job).expect("the job exists");
	let JobStatus::Assigned { node: drawn, deadline, reassigned } = record.status.clone() else {
		unreachable!("the benchmarks hand over assigned jobs")
	};
	Assignments::<T>::remove(&drawn, job);
	T::Nodes::end_work(&drawn, Some(true));
	T::Nodes::begin_work(node).expect("the node takes work");
	Assignments::<T>::insert(node, job, ());
	record.status = JobStatus::Assigned { node: node.clone(), deadline, reassigned };
	Jobs::<T>::insert(job, record);
}

/// Queues `count` jobs in `mode` on the benchmark model, each with `rows` rows of input (not
/// assigned yet).
fn queue_jobs<T: Config>(mode: InferenceMode, count: u32, rows: u32) {
	let model = T::BenchmarkHelper::runnable_model(WIDTH);
	let input = tensors(b"x", rows);
	let who = requester::<T>(0);
	for _ in 0..count {
		Pallet::<T>::request(
			RawOrigin::Signed(who.clone()).into(),
			model,
			None,
			input.clone(),
			mode,
			BalanceOf::<T>::max_value(),
		)
		.expect("the request is valid");
	}
}

/// The fixture's proof for ZK job `job` and the node it is assigned to
/// (`opg_zk::fixture::BINDINGS`).
fn zk_fixture_proof<T: Config>(job: JobId) -> ProofBytes {
	let node = Pallet::<T>::assignee(job).expect("the job waits");
	let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
	let proof = opg_zk::fixture::mlp()
		.expect("the fixture decodes")
		.proof_for(genesis.as_ref(), job, &node.encode())
		.expect("the fixture has a proof for the job's node");
	ProofBytes::truncate_from(proof)
}

/// Opens ZK job 0 on the fixture's model among the benchmark's nodes and assigns it; returns
/// the fixture's output and its proof for the job's node.
fn open_zk_job<T: Config>() -> (Tensors, ProofBytes) {
	nodes::<T>();
	let (model, input, output) = T::BenchmarkHelper::zk_model();
	Pallet::<T>::request(
		RawOrigin::Signed(requester::<T>(0)).into(),
		model,
		None,
		input,
		InferenceMode::Zk,
		BalanceOf::<T>::max_value(),
	)
	.expect("the request is valid");
	assign_queued::<T>();
	(output, zk_fixture_proof::<T>(0))
}

/// The signed ZK answer to job 0 with `output` and `proof`, as its `attempt`-th try.
fn zk_result_call<T: Config>(output: Tensors, proof: ProofBytes, attempt: u8) -> Call<T> {
	let proof_hash = sp_core::H256(sp_io::hashing::blake2_256(&proof));
	let hash = output_hash(&output);
	let (node, signature) = signed::<T>(0, |node| JobStatement::ZkResult {
		job: 0,
		node,
		output: hash,
		proof: proof_hash,
		attempt,
	});
	Call::submit_proof { job: 0, node, output, proof, signature }
}

/// Job `job`'s node and that node's signature of `statement`.
fn signed<T: Config>(
	job: JobId,
	statement: impl Fn(T::AccountId) -> JobStatement<T::AccountId>,
) -> (T::AccountId, NodeKeySignature) {
	let node = Pallet::<T>::assignee(job).expect("the job waits");
	let key = T::Nodes::role_key(&node).expect("a node has a key");
	let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
	let signature = key
		.sign(&job_signing_message(
			&genesis,
			&Jobs::<T>::get(job).expect("the job exists").input_hash,
			&statement(node.clone()),
		))
		.expect("the keystore holds the key");
	(node, signature)
}

/// The signed answer of job `job` with `output`.
fn result_call<T: Config>(job: JobId, output: Tensors) -> Call<T> {
	let hash = output_hash(&output);
	let (node, signature) =
		signed::<T>(job, |node| JobStatement::Result { job, node, output: hash });
	Call::submit_result { job, node, output, signature }
}

/// Two TEE nodes whose role and enclave keys the keystore holds.
fn tee_nodes<T: Config>() {
	for index in 0..2 {
		T::BenchmarkHelper::tee_node(
			index,
			NodeKey::generate_pair(None),
			opg_primitives::tee::EnclaveKey::generate_pair(None),
		);
	}
}

/// The enclave-signed answer of TEE job `job` with `output`.
fn tee_result_call<T: Config>(job: JobId, output: Tensors) -> Call<T> {
	let node = Pallet::<T>::assignee(job).expect("the job waits");
	let signer = T::Enclaves::enclave_signer(&node).expect("a TEE node");
	let record = Jobs::<T>::get(job).expect("the job exists");
	let message = Pallet::<T>::tee_signing_message(job, &record, output_hash(&output));
	let signature = signer.key.sign(&message).expect("the keystore holds the key");
	Call::submit_tee_result { job, node, output, signature }
}

/// The longest engine message.
fn engine_error() -> EngineMessage {
	EngineMessage::truncate_from(alloc::vec![b'e'; MAX_ENGINE_ERROR_LEN as usize])
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// A request whose input holds `v` values (rows of 64), up to `MaxInputBytes`.
	#[benchmark]
	fn request(v: Linear<WIDTH, { max_rows(T::MaxInputBytes::get()) * WIDTH }>) {
		nodes::<T>();
		let model = T::BenchmarkHelper::runnable_model(WIDTH);
		let input = tensors(b"x", v / WIDTH);
		let who = requester::<T>(0);
		#[extrinsic_call]
		_(
			RawOrigin::Signed(who),
			model,
			None,
			input,
			InferenceMode::Attested,
			BalanceOf::<T>::max_value(),
		);
		assert!(Jobs::<T>::contains_key(0));
	}

	/// An answer whose output holds `v` values.
	#[benchmark]
	fn submit_result_vanilla(v: Linear<WIDTH, { max_rows(T::MaxOutputBytes::get()) * WIDTH }>) {
		nodes::<T>();
		let (_, output) = open_jobs::<T>(InferenceMode::Vanilla, 1, v / WIDTH);
		let Call::submit_result { job, node, output, signature } = result_call::<T>(0, output)
		else {
			unreachable!()
		};
		#[extrinsic_call]
		submit_result(RawOrigin::Authorized, job, node.clone(), output, signature);
		assert_eq!(Jobs::<T>::get(0).expect("open").status, JobStatus::Accepted { node });
	}

	/// A ZK answer: the fixture's real proof verified in the runtime (through the BN254 host
	/// functions), then the job settled. The output's size adds what `submit_result_vanilla`
	/// charges per value.
	#[benchmark]
	fn submit_proof() {
		let (output, proof) = open_zk_job::<T>();
		let Call::submit_proof { job, node, output, proof, signature } =
			zk_result_call::<T>(output, proof, 0)
		else {
			unreachable!()
		};
		#[extrinsic_call]
		_(RawOrigin::Authorized, job, node.clone(), output, proof, signature);
		assert!(matches!(
			Jobs::<T>::get(0).expect("kept").status,
			JobStatus::Final { node: ref n, .. } if *n == node
		));
	}

	/// A ZK answer whose proof does not verify (the output is not the one proven), the job's
	/// last try, by a node at its minimum bond among 10,000 pool entries: verified, the node
	/// slashed out of three pools, the job taken from it and reassigned (the draw is charged
	/// apart, as `Nodes::select_weight`).
	#[benchmark]
	fn submit_proof_rejected() {
		let (mut output, proof) = open_zk_job::<T>();
		let node = T::BenchmarkHelper::slashable_node(2);
		T::BenchmarkHelper::spread_pools();
		hand_over::<T>(0, &node);
		if let Some(opg_primitives::inference::Tensor {
			values: opg_primitives::inference::TensorValues::Numbers(numbers),
			..
		}) = output.get_mut(0)
		{
			numbers[0].value += 1;
		}
		InvalidProofs::<T>::insert(0, MAX_INVALID_PROOFS - 1);
		let Call::submit_proof { job, node, output, proof, signature } =
			zk_result_call::<T>(output, proof, MAX_INVALID_PROOFS - 1)
		else {
			unreachable!()
		};
		#[extrinsic_call]
		submit_proof(RawOrigin::Authorized, job, node.clone(), output, proof, signature);
		assert!(matches!(
			Jobs::<T>::get(0).expect("kept").status,
			JobStatus::Assigned { reassigned: true, node: ref next, .. } if *next != node
		));
	}

	/// Verifying the fixture's proof alone, as `submit_proof` does (`opg_zk::verify_job`, in
	/// wasm with BN254 in host functions): `scripts/bench.sh` sets it beside native
	/// verification of the same proof.
	#[benchmark]
	fn verify_proof() {
		let (model, input, output) = T::BenchmarkHelper::zk_model();
		let runnable = T::Models::runnable(model).expect("the ZK model runs");
		let key = T::Models::zk_key(model, runnable.version).expect("it has a key");
		let fixture = opg_zk::fixture::mlp().expect("the fixture decodes");
		let bound = fixture.first_proof().expect("the fixture has proofs");
		let binding = bound.binding();
		#[block]
		{
			opg_zk::verify_job(
				&runnable.schema,
				&key.prepared,
				&input,
				&output,
				&binding,
				&bound.proof,
			)
			.expect("the fixture verifies");
		}
	}

	/// An attested answer: a commitment, whatever the output's size (`v` is kept so the
	/// weight function's shape stays; the commitment's cost does not grow with it).
	#[benchmark]
	fn submit_result_attested(v: Linear<WIDTH, { max_rows(T::MaxOutputBytes::get()) * WIDTH }>) {
		nodes::<T>();
		open_jobs::<T>(InferenceMode::Attested, 1, v / WIDTH);
		let commitment = sp_core::H256::repeat_byte(0xC0);
		let (node, signature) =
			signed::<T>(0, |node| JobStatement::Commitment { job: 0, node, commitment });
		#[extrinsic_call]
		submit_commitment(RawOrigin::Authorized, 0, node.clone(), commitment, signature);
		assert_eq!(Jobs::<T>::get(0).expect("open").status, JobStatus::Verifying { node });
	}

	/// A TEE answer whose output holds `v` values: the enclave signature checked, the job
	/// settled and paid out.
	#[benchmark]
	fn submit_tee_result(v: Linear<WIDTH, { max_rows(T::MaxOutputBytes::get()) * WIDTH }>) {
		tee_nodes::<T>();
		let (_, output) = open_jobs::<T>(InferenceMode::Tee, 1, v / WIDTH);
		let Call::submit_tee_result { job, node, output, signature } =
			tee_result_call::<T>(0, output)
		else {
			unreachable!()
		};
		#[extrinsic_call]
		_(RawOrigin::Authorized, job, node, output, signature);
		assert!(matches!(Jobs::<T>::get(0).expect("kept").status, JobStatus::Final { .. }));
	}

	/// Authorizing a TEE answer whose output holds `v` values.
	#[benchmark]
	fn authorize_submit_tee_result(
		v: Linear<WIDTH, { max_rows(T::MaxOutputBytes::get()) * WIDTH }>,
	) {
		tee_nodes::<T>();
		let (_, output) = open_jobs::<T>(InferenceMode::Tee, 1, v / WIDTH);
		let call = tee_result_call::<T>(0, output);
		#[block]
		{
			call.authorize(TransactionSource::External)
				.expect("authorizes")
				.expect("a valid answer");
		}
	}

	/// Authorizing an answer whose output holds `v` values (it is hashed).
	#[benchmark]
	fn authorize_submit_result(v: Linear<WIDTH, { max_rows(T::MaxOutputBytes::get()) * WIDTH }>) {
		nodes::<T>();
		let (_, output) = open_jobs::<T>(InferenceMode::Vanilla, 1, v / WIDTH);
		let call = result_call::<T>(0, output);
		#[block]
		{
			call.authorize(TransactionSource::External)
				.expect("authorizes")
				.expect("a valid answer");
		}
	}

	/// A refusal: the job goes to the other node (the draw is charged on top, as
	/// `Nodes::select_weight(1, 1)`).
	#[benchmark]
	fn report_failure() {
		nodes::<T>();
		open_jobs::<T>(InferenceMode::Vanilla, 1, 1);
		let error = engine_error();
		let (node, signature) =
			signed::<T>(0, |node| JobStatement::Failure { job: 0, node, error: engine_error() });
		#[extrinsic_call]
		_(RawOrigin::Authorized, 0, node, error, signature);
		let status = Jobs::<T>::get(0).expect("kept").status;
		assert!(Refusals::<T>::contains_key(0) || status.is_over());
	}

	#[benchmark]
	fn authorize_report_failure() {
		nodes::<T>();
		open_jobs::<T>(InferenceMode::Vanilla, 1, 1);
		let (node, signature) =
			signed::<T>(0, |node| JobStatement::Failure { job: 0, node, error: engine_error() });
		let call = Call::<T>::report_failure { job: 0, node, error: engine_error(), signature };
		#[block]
		{
			call.authorize(TransactionSource::External)
				.expect("authorizes")
				.expect("a valid report");
		}
	}

	#[benchmark]
	fn set_parameter() -> Result<(), BenchmarkError> {
		let origin =
			T::FeeOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let fee = T::DefaultParameters::get().vanilla_fee;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, ParameterChange::VanillaFee(fee));
		assert_eq!(ActiveParameters::<T>::get().vanilla_fee, fee);
		Ok(())
	}

	/// A verdict upholding an attested result, its largest output published now, paying `k`
	/// verifiers (accounts that exist, so each share is paid whatever its size) and slashing
	/// the node that refused the job before (at its minimum bond: out of its pools).
	#[benchmark]
	fn conclude(k: Linear<1, { T::MaxCommitteeSize::get() }>) {
		nodes::<T>();
		let rows = max_rows(T::MaxInputBytes::get().min(T::MaxOutputBytes::get()));
		let (_, output) = open_jobs::<T>(InferenceMode::Attested, 1, rows);
		let refuser = T::BenchmarkHelper::slashable_node(0);
		T::BenchmarkHelper::spread_pools();
		T::Nodes::begin_work(&refuser).expect("the refuser held the job");
		Refusals::<T>::insert(0, &refuser);
		let commitment = sp_core::H256::repeat_byte(0xC0);
		let (node, signature) =
			signed::<T>(0, |node| JobStatement::Commitment { job: 0, node, commitment });
		Pallet::<T>::submit_commitment(
			RawOrigin::Authorized.into(),
			0,
			node.clone(),
			commitment,
			signature,
		)
		.expect("a valid answer");
		let majority = (0..k).map(|index| requester::<T>(index + 1)).collect();
		let verdict = Conclusion::Decided {
			kind: RoundKind::Verification,
			claimant: node,
			claim: commitment,
			claim_upheld: true,
			decided: commitment,
			output: Some(output.encode()),
			majority,
		};
		#[block]
		{
			Pallet::<T>::on_conclusion(job_subject(0), &verdict);
		}
		assert!(matches!(Jobs::<T>::get(0).expect("kept").status, JobStatus::Final { .. }));
		assert!(Outputs::<T>::contains_key(0));
	}

	/// A vanilla claim that stood with nobody to slash, nearly every claim: its job made final,
	/// its largest output read for the consumers of final results, the fee paid to the node,
	/// the model's owner and the treasury (accounts that exist).
	#[benchmark]
	fn finalize_unchallenged() {
		nodes::<T>();
		let rows = max_rows(T::MaxInputBytes::get().min(T::MaxOutputBytes::get()));
		let (_, output) = open_jobs::<T>(InferenceMode::Vanilla, 1, rows);
		let Call::submit_result { job, node, output, signature } = result_call::<T>(0, output)
		else {
			unreachable!()
		};
		Pallet::<T>::submit_result(
			RawOrigin::Authorized.into(),
			job,
			node.clone(),
			output,
			signature,
		)
		.expect("a valid answer");
		let claim = Jobs::<T>::get(0).and_then(|record| record.output).expect("answered");
		let stood = Conclusion::Unchallenged { claimant: node, output: claim };
		#[block]
		{
			Pallet::<T>::on_conclusion(job_subject(0), &stood);
		}
		assert!(matches!(Jobs::<T>::get(0).expect("kept").status, JobStatus::Final { .. }));
	}

	/// `n` deadlines due in one block, each of a TEE job held by its own node at exactly its
	/// minimum bond in the inference, verifier and TEE pools, among 10,000 entries: each node
	/// is slashed out of three pools and its job reassigned (the draw is charged apart, as
	/// `Nodes::select_weight`). Measured up to 64 deadlines, four times what `TimeoutBudget`
	/// lets a block end (the weight is linear in them).
	#[benchmark]
	fn process_timeouts(n: Linear<0, 64>) {
		let n = n.min(T::MaxQueuedPerBlock::get());
		tee_nodes::<T>();
		open_jobs::<T>(InferenceMode::Tee, n, 1);
		let silent: Vec<T::AccountId> = (0..n).map(T::BenchmarkHelper::slashable_node).collect();
		T::BenchmarkHelper::spread_pools();
		for (job, node) in (0..u64::from(n)).zip(&silent) {
			hand_over::<T>(job, node);
		}
		let due = frame_system::Pallet::<T>::block_number()
			+ ActiveParameters::<T>::get().response_period;
		frame_system::Pallet::<T>::set_block_number(due);
		#[block]
		{
			Pallet::<T>::end_timeouts(due, Weight::MAX);
		}
		for (job, node) in (0..u64::from(n)).zip(&silent) {
			assert!(matches!(
				Jobs::<T>::get(job).expect("open").status,
				JobStatus::Assigned { reassigned: true, node: ref next, .. } if next != node
			));
		}
	}

	/// `n` queued jobs assigned in one block (the draws among the benchmark's nodes; the
	/// registry's `select_each_weight` adds what a deeper pool costs).
	#[benchmark]
	fn process_assignments(n: Linear<0, { T::MaxAssignmentsPerBlock::get() }>) {
		nodes::<T>();
		queue_jobs::<T>(InferenceMode::Attested, n, 1);
		let next = frame_system::Pallet::<T>::block_number() + One::one();
		frame_system::Pallet::<T>::set_block_number(next);
		#[block]
		{
			Pallet::<T>::assign_due(next, n);
		}
		for job in 0..u64::from(n) {
			assert!(matches!(
				Jobs::<T>::get(job).expect("open").status,
				JobStatus::Assigned { reassigned: false, .. }
			));
		}
	}

	/// `n` finished jobs pruned in one block, each with the largest input and output.
	#[benchmark]
	fn process_pruning(n: Linear<0, { T::MaxQueuedPerBlock::get() }>) {
		nodes::<T>();
		let (_, output) =
			open_jobs::<T>(InferenceMode::Vanilla, n, max_rows(T::MaxOutputBytes::get()));
		for job in 0..u64::from(n) {
			let Call::submit_result { job, node, output, signature } =
				result_call::<T>(job, output.clone())
			else {
				unreachable!()
			};
			Pallet::<T>::submit_result(RawOrigin::Authorized.into(), job, node, output, signature)
				.expect("a valid answer");
			let mut record = Jobs::<T>::get(job).expect("open");
			Pallet::<T>::refund(job, &mut record, RefundReason::Undecided);
			Jobs::<T>::insert(job, record);
		}
		let due =
			frame_system::Pallet::<T>::block_number() + ActiveParameters::<T>::get().retention;
		frame_system::Pallet::<T>::set_block_number(due);
		#[block]
		{
			Pallet::<T>::process_pruning(due, n);
		}
		assert_eq!(Jobs::<T>::iter().count(), 0);
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_bench_ext(), crate::mock::Test);
}
