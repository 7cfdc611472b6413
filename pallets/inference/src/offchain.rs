//! The offchain worker's side of inference: running this node's assigned jobs, and re-running
//! other nodes' jobs for this node's verifiers.
//!
//! Both call the node's engine through the `opg_inference` host function. A node that lacks a
//! model's bytes (it synced without indexing, or joined later) fetches the missing chunks from
//! a data node's `opgModel_chunk` RPC and keeps only chunks whose hash the registry holds; the
//! engine then checks the whole model against its content id. Nothing here is consensus code:
//! answers go back as transactions that the runtime checks like any other.

use codec::DecodeAll;
use opg_primitives::{
	attestation::{
		commitment_of, duty_storage_key, revealed_hash, DutyRecord, NodeKey, SubjectId,
		SubjectOutputs,
	},
	inference::{
		job_subject, opg_inference, opg_zk_prover, subject_job, EngineError, ProofRequest,
		ProverError,
	},
	model::{chunk_count, chunk_hash, chunk_storage_key},
};
use sp_core::offchain::{Duration, StorageKind};
use sp_runtime::{
	offchain::{http, storage::StorageValueRef},
	RuntimeAppPublic,
};

use super::*;

/// Jobs one offchain worker run answers per local role key; the rest wait for the next block.
/// Two inference nodes answering this many a block keep up with the runtime's settling rate
/// (`MaxClaimDeadlinesPerBlock` vanilla results a block).
const JOBS_PER_RUN: usize = 128;
/// How long one run keeps taking jobs, so a run of slow jobs (ZK proofs take seconds) ends
/// within about a block and later jobs are not marked sent long before they are answered.
const RUN_BUDGET: Duration = Duration::from_millis(4_000);

/// Blocks before an answer that has not landed is sent again. Short: the pool does not tell a
/// worker when it drops a transaction (one that reached a stale view is dropped silently), and
/// a copy that lands late is refused by its tag, so a second copy costs nothing.
const RESEND_AFTER: u32 = 2;

/// Data nodes asked for a missing chunk, at most.
const DATA_NODES_TRIED: u32 = 4;

/// How long one chunk request to a data node may take.
const FETCH_TIMEOUT: Duration = Duration::from_millis(10_000);

impl<T: Config> Pallet<T> {
	/// For each local role key's node, runs the jobs assigned to it (read from its own
	/// [`Assignments`] entries only) and sends each answer.
	pub(crate) fn answer_assigned_jobs(now: BlockNumberFor<T>) {
		let stop_at = sp_io::offchain::timestamp().add(RUN_BUDGET);
		for key in NodeKey::all() {
			let Some(node) = T::Nodes::node_of_key(&key) else { continue };
			// Jobs answered in the last few blocks are skipped before the limit is applied, so
			// answers still on their way do not hold back the next jobs. The budget is checked
			// before a job is marked sent, so a job left over waits for the next run unmarked.
			let due = Assignments::<T>::iter_key_prefix(&node)
				.take_while(|_| sp_io::offchain::timestamp() < stop_at)
				.filter(|job| Self::ready_to_answer(*job, now) && !Self::sent_recently(*job, now))
				.take(JOBS_PER_RUN);
			for job in due {
				if let Err(why) = Self::answer(job, &node, &key) {
					log::warn!(target: "inference", "job {job} not answered: {why}");
				}
			}
		}
	}

	/// Whether `job` may be answered in this run. A TEE answer is signed by the enclave's
	/// ed25519 key, deterministically: a copy sent again is the same bytes, which the pool
	/// refuses for half an hour once one of its views found it invalid, and an answer sent in
	/// the block that assigned its job could reach the view of the block before (not assigned
	/// yet). So it goes once the assignment is older than this block (its deadline less than a
	/// full response period away), or at once when waiting a block would leave the answer no
	/// block before its deadline (sent now, it lands in the next block at the earliest).
	/// (Role-key signatures are randomized: other answers go at once, and a resent copy is new
	/// bytes.)
	fn ready_to_answer(job: JobId, now: BlockNumberFor<T>) -> bool {
		let Some(record) = Jobs::<T>::get(job) else { return true };
		match record.status {
			JobStatus::Assigned { deadline, .. } if record.mode == InferenceMode::Tee => {
				deadline < now.saturating_add(ActiveParameters::<T>::get().response_period)
					|| deadline <= now.saturating_add(2u32.into())
			}
			_ => true,
		}
	}

	/// Whether an answer to `job` was sent in the last [`RESEND_AFTER`] blocks (marks it sent
	/// now otherwise).
	fn sent_recently(job: JobId, now: BlockNumberFor<T>) -> bool {
		let now: u32 = now.saturated_into();
		let key = jobs::sent_marker_key(job);
		StorageValueRef::persistent(&key)
			.mutate(|sent: Result<Option<u32>, _>| match sent {
				Ok(Some(at)) if now.saturating_sub(at) < RESEND_AFTER => Err(()),
				_ => Ok(now),
			})
			.is_err()
	}

	/// Runs `job` and sends the result, or the engine's refusal when the model cannot run.
	fn answer(job: JobId, node: &T::AccountId, key: &NodeKey) -> Result<(), &'static str> {
		let record = Jobs::<T>::get(job).ok_or("the job is gone")?;
		let input = Self::input_of(job).ok_or("the job has no input")?;
		let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
		let sign = |statement: &JobStatement<T::AccountId>| {
			key.sign(&job_signing_message(&genesis, &record.input_hash, statement))
				.ok_or("the role key cannot sign")
		};
		// The report that no node can answer this job: a refund, no one blamed.
		let failure = |error: EngineMessage| -> Result<Call<T>, &'static str> {
			let statement = JobStatement::Failure { job, node: node.clone(), error: error.clone() };
			let signature = sign(&statement)?;
			Ok(Call::report_failure { job, node: node.clone(), error, signature })
		};
		if record.mode == InferenceMode::Attested {
			return Self::commit_answer(job, &record, input, node, key);
		}
		let call = match Self::execute(&record, input.clone()) {
			Ok(output) if record.mode == InferenceMode::Zk => {
				match Self::prove(job, &record, node, input, output.clone())? {
					Ok(proof) => {
						let signature = sign(&Self::proof_statement(job, node, &output, &proof))?;
						Call::submit_proof { job, node: node.clone(), output, proof, signature }
					}
					// Not provable by any node: reported instead of timing out or sending a proof
					// that would be rejected.
					Err(error) => {
						log::warn!(target: "inference", "job {job} cannot be proved: {:?}", core::str::from_utf8(&error));
						failure(error)?
					}
				}
			}
			Ok(output) if record.mode == InferenceMode::Tee => {
				let signer = T::Enclaves::enclave_signer(node)
					.ok_or("this node has no standing TEE registration")?;
				let message = Self::tee_signing_message(job, &record, output_hash(&output));
				let signature = signer
					.key
					.sign(&message)
					.ok_or("this node's keystore lacks its registered enclave key (type opgt)")?;
				Call::submit_tee_result { job, node: node.clone(), output, signature }
			}
			Ok(output) => {
				let signature = sign(&Self::result_statement(job, node, output_hash(&output)))?;
				Call::submit_result { job, node: node.clone(), output, signature }
			}
			Err(EngineError::Model(error)) if record.mode == InferenceMode::Tee => {
				// A TEE job's refusal is the enclave's to sign, like its answers.
				log::info!(target: "inference", "job {job}: the model cannot run: {:?}", core::str::from_utf8(&error));
				let signer = T::Enclaves::enclave_signer(node)
					.ok_or("this node has no standing TEE registration")?;
				let signature =
					signer.key.sign(&Self::tee_failure_message(job, &record, &error)).ok_or(
						"this node's keystore lacks its registered enclave key (type opgt)",
					)?;
				Call::report_tee_failure { job, node: node.clone(), error, signature }
			}
			Err(EngineError::Model(error)) => {
				log::info!(target: "inference", "job {job}: the model cannot run: {:?}", core::str::from_utf8(&error));
				failure(error)?
			}
			Err(EngineError::Unavailable) => {
				return Err("this node runs no inference engine (start it with --onnxruntime)")
			}
			Err(EngineError::ModelMissing { .. }) => {
				return Err("this node lacks the model's bytes (fetch them from a data node)")
			}
			Err(EngineError::ModelCorrupt) => {
				return Err("this node's copy of the model does not match its content id")
			}
		};
		let transaction = T::create_bare(call.into());
		SubmitTransaction::<T, Call<T>>::submit_transaction(transaction)
			.map_err(|_| "the transaction pool refused the answer")?;
		log::info!(target: "inference", "answered job {job} as {node:?}");
		Ok(())
	}

	/// Answers attested `job` by commitment: runs the model, keeps the output (empty when the
	/// model cannot run) and a fresh salt where the attestations pallet's offchain worker
	/// finds them to reveal in the round's reveal phase, and sends the commitment.
	fn commit_answer(
		job: JobId,
		record: &JobOf<T>,
		input: Tensors,
		node: &T::AccountId,
		key: &NodeKey,
	) -> Result<(), &'static str> {
		let output = match Self::execute(record, input) {
			Ok(output) => output.encode(),
			Err(EngineError::Model(why)) => {
				log::info!(target: "inference", "job {job}: the model cannot run: {:?}", core::str::from_utf8(&why));
				Vec::new()
			}
			Err(EngineError::Unavailable) => {
				return Err("this node runs no inference engine (start it with --onnxruntime)")
			}
			Err(_) => return Err("this node lacks a correct copy of the model's bytes"),
		};
		let subject = job_subject(job);
		let salt = sp_io::offchain::random_seed();
		let commitment =
			commitment_of(&subject, &record.input_hash, node, &revealed_hash(&output), &salt);
		let block: u32 = frame_system::Pallet::<T>::block_number().saturated_into();
		StorageValueRef::persistent(&duty_storage_key(
			&subject,
			&commitment,
			&record.input_hash,
			node,
		))
		.set(&DutyRecord { output, salt, phase: 0, sent_at: block });
		let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
		let statement = JobStatement::Commitment { job, node: node.clone(), commitment };
		let signature = key
			.sign(&job_signing_message(&genesis, &record.input_hash, &statement))
			.ok_or("the role key cannot sign")?;
		let call = Call::submit_commitment { job, node: node.clone(), commitment, signature };
		let transaction = T::create_bare(call.into());
		SubmitTransaction::<T, Call<T>>::submit_transaction(transaction)
			.map_err(|_| "the transaction pool refused the answer")?;
		log::info!(target: "inference", "committed to an answer to job {job} as {node:?}");
		Ok(())
	}

	/// Proves that `record`'s model maps `input` to `output` (ONNX Runtime's) with this node's
	/// prover, which refuses when the circuit's output differs from `output` by one bit and
	/// checks its proof against the registry's key before answering. `Ok(Err(message))`: no
	/// node can prove the job (the model's fault); `Err`: this node cannot now.
	fn prove(
		job: JobId,
		record: &JobOf<T>,
		node: &T::AccountId,
		input: Tensors,
		output: Tensors,
	) -> Result<Result<ProofBytes, EngineMessage>, &'static str> {
		let key = T::Models::zk_key(record.model, record.version)
			.ok_or("the model version has no ZK key")?;
		let schema = T::Models::model_version(record.model, record.version)
			.ok_or("the model version is gone")?
			.schema;
		let request = ProofRequest {
			model: record.model_ref.clone(),
			schema,
			key,
			input,
			output,
			binding: Self::zk_binding(job, node),
		};
		let model_fault = |what: &str, detail: &[u8]| {
			let mut message = Vec::from(what.as_bytes());
			message.extend_from_slice(detail);
			message.truncate(opg_primitives::inference::MAX_ENGINE_ERROR_LEN as usize);
			Ok(Err(EngineMessage::truncate_from(message)))
		};
		let proved = match opg_zk_prover::prove(request.clone()) {
			// A key its ceremony published is in the data layer: fetch what this node lacks
			// from data nodes, then prove.
			Err(ProverError::ProvingKeyMissing) if Self::fetch_zk_key(record) => {
				opg_zk_prover::prove(request)
			}
			other => other,
		};
		match proved {
			Ok(proof) => ProofBytes::try_from(proof)
				.map(Ok)
				.map_err(|_| "the prover answered a proof of the wrong length"),
			Err(ProverError::OutputMismatch) => model_fault(
				"ZK: the circuit's output differs from ONNX Runtime's on this input",
				&[],
			),
			Err(ProverError::Circuit(why)) => model_fault("ZK: the model is not provable: ", &why),
			Err(ProverError::KeyMismatch(why)) => {
				model_fault("ZK: the model's keys do not fit it: ", &why)
			}
			Err(ProverError::Unavailable) => Err("this node runs no prover"),
			Err(ProverError::ModelMissing { .. }) => Err("this node lacks the model's bytes"),
			Err(ProverError::ProvingKeyMissing) => {
				Err("this node holds no proving key with the registry's content id, and no data \
				 node served it (a one-party key goes in --zk-keys)")
			}
			Err(ProverError::Failed(_)) => Err("proving failed"),
			// Only a key check (pallet-zk-ceremony) needs phase 1.
			Err(ProverError::PhaseOneMissing) => Err("this node has no pinned ptau file"),
		}
	}

	/// Runs `record`'s model on `input` with this node's engine, and checks that the output
	/// fits the model's declared outputs (an output that does not would be refused on chain).
	fn execute(record: &JobOf<T>, input: Tensors) -> Result<Tensors, EngineError> {
		let output = match opg_inference::run(record.model_ref.clone(), input.clone()) {
			Err(EngineError::ModelMissing { .. }) => {
				Self::fetch_model(record)?;
				opg_inference::run(record.model_ref.clone(), input)?
			}
			other => other?,
		};
		let schema = T::Models::model_version(record.model, record.version)
			.ok_or_else(|| EngineError::model("the model version is gone"))?
			.schema;
		check_tensors(&output, &schema.outputs).map_err(|why| {
			EngineError::model(&alloc::format!("output does not fit the schema: {why:?}"))
		})?;
		// An output above what the request paid for (its bound, at most `MaxOutputBytes`; a
		// model may declare a dynamic output that grows beyond the input's batch) is refused on
		// chain: every honest node reports it as a failure instead, so none is slashed for it.
		if output.encoded_size() > record.output_bound as usize {
			return Err(EngineError::model(
				"the output is larger than the request paid for (its output bound)",
			));
		}
		Ok(output)
	}
}

impl<T: Config> Pallet<T> {
	/// Fetches the chunks of `record`'s model that this node lacks from data nodes, keeping
	/// each only when it hashes to the registry's chunk hash. Fails with the first chunk no data
	/// node served correctly.
	fn fetch_model(record: &JobOf<T>) -> Result<(), EngineError> {
		let model = &record.model_ref;
		let chunks =
			chunk_count(model.byte_size, model.chunk_size).ok_or(EngineError::ModelCorrupt)?;
		let endpoints = T::Nodes::data_endpoints(DATA_NODES_TRIED);
		for index in 0..chunks {
			let key = chunk_storage_key(&model.content_id, index);
			if sp_io::offchain::local_storage_get(StorageKind::PERSISTENT, &key).is_some() {
				continue;
			}
			let missing = EngineError::ModelMissing { chunk: index };
			let expected = T::Models::chunk_hash(record.model, record.version, index)
				.ok_or(missing.clone())?;
			let chunk = Self::fetch_checked(
				&endpoints,
				ChunkOf::Model,
				record,
				index,
				model.chunk_size,
				expected,
			)
			.ok_or(missing)?;
			sp_io::offchain::local_storage_set(StorageKind::PERSISTENT, &key, &chunk);
		}
		log::info!(target: "inference", "fetched model {} version {} from data nodes", record.model, record.version);
		Ok(())
	}

	/// Fetches the chunks of the proving key of `record`'s version that this node lacks from
	/// data nodes (`opgModel_keyChunk`), keeping each only when it hashes to the chunk hash its
	/// ceremony committed. Whether the whole key is now here (false for a key that never passed
	/// through the data layer, or one no data node served whole).
	fn fetch_zk_key(record: &JobOf<T>) -> bool {
		let Some(key) = T::Models::zk_key(record.model, record.version) else { return false };
		let endpoints = T::Nodes::data_endpoints(DATA_NODES_TRIED);
		let mut index = 0u32;
		while let Some(expected) = T::Models::zk_key_chunk_hash(record.model, record.version, index)
		{
			let stored = chunk_storage_key(&key.proving_key_hash, index);
			let held = sp_io::offchain::local_storage_get(StorageKind::PERSISTENT, &stored);
			if held.is_none_or(|bytes| chunk_hash(&bytes) != expected) {
				let Some(chunk) = Self::fetch_checked(
					&endpoints,
					ChunkOf::Key,
					record,
					index,
					opg_zk::ceremony::KEY_CHUNK_SIZE,
					expected,
				) else {
					return false;
				};
				sp_io::offchain::local_storage_set(StorageKind::PERSISTENT, &stored, &chunk);
			}
			index.saturating_inc();
		}
		if index > 0 {
			log::info!(target: "inference", "fetched the proving key of model {} version {} from data nodes", record.model, record.version);
		}
		index > 0
	}

	/// Chunk `index` of `record`'s model bytes or proving key from the first data node in
	/// `endpoints` that serves one hashing to `expected`.
	fn fetch_checked(
		endpoints: &[Vec<u8>],
		of: ChunkOf,
		record: &JobOf<T>,
		index: u32,
		chunk_size: u32,
		expected: sp_core::H256,
	) -> Option<Vec<u8>> {
		endpoints
			.iter()
			.filter_map(|url| {
				Self::fetch_chunk(url, of, record.model, record.version, index, chunk_size)
			})
			.find(|bytes| chunk_hash(bytes) == expected)
	}

	/// Chunk `index` of a model version's bytes or proving key from the data node at `url`
	/// (`opgModel_chunk`, `opgModel_keyChunk`).
	fn fetch_chunk(
		url: &[u8],
		of: ChunkOf,
		model: ModelId,
		version: VersionNumber,
		index: u32,
		chunk_size: u32,
	) -> Option<Vec<u8>> {
		let url = core::str::from_utf8(url).ok()?;
		let method = match of {
			ChunkOf::Model => "opgModel_chunk",
			ChunkOf::Key => "opgModel_keyChunk",
		};
		let body = alloc::format!(
			r#"{{"jsonrpc":"2.0","id":1,"method":"{method}","params":[{model},{version},{index}]}}"#
		);
		let deadline = sp_io::offchain::timestamp().add(FETCH_TIMEOUT);
		let pending = http::Request::post(url, alloc::vec![body.into_bytes()])
			.add_header("Content-Type", "application/json")
			.deadline(deadline)
			.send()
			.ok()?;
		let response = pending.try_wait(deadline).ok()?.ok()?;
		if response.code != 200 {
			return None;
		}
		// A chunk as hex in a JSON-RPC answer, and no more: a data node that sends more, or
		// sends slowly, is given up on at the deadline.
		let most = usize::try_from(record_chunk_limit(chunk_size)).unwrap_or(usize::MAX);
		let mut body = response.body();
		body.deadline(deadline);
		let bytes: Vec<u8> = body.by_ref().take(most).collect();
		if body.error().is_some() {
			return None;
		}
		hex_result(&bytes)
	}
}

/// What a data node serves a chunk of.
#[derive(Clone, Copy)]
enum ChunkOf {
	/// A model's bytes.
	Model,
	/// A ZK version's proving key.
	Key,
}

/// The longest JSON-RPC answer that can carry a chunk of `chunk_size` bytes: two hex digits a
/// byte and room for the envelope.
fn record_chunk_limit(chunk_size: u32) -> u64 {
	u64::from(chunk_size).saturating_mul(2).saturating_add(256)
}

/// The bytes of a JSON-RPC response whose `result` is a `0x` hex string.
fn hex_result(text: &[u8]) -> Option<Vec<u8>> {
	let text = core::str::from_utf8(text).ok()?;
	let (_, rest) = text.split_once(r#""result":"0x"#)?;
	let (digits, _) = rest.split_once('"')?;
	if !digits.len().is_multiple_of(2) {
		return None;
	}
	(0..digits.len())
		.step_by(2)
		.map(|at| {
			digits.get(at..at.saturating_add(2)).and_then(|pair| u8::from_str_radix(pair, 16).ok())
		})
		.collect()
}

/// The jobs' outputs, as the attestations pallet judges them: re-executed from the input alone
/// for this node's verifiers, checked against the version's declared outputs, and compared
/// within the version's tolerance.
impl<T: Config> SubjectOutputs for Pallet<T> {
	fn reexecute(subject: SubjectId) -> Option<Vec<u8>> {
		let job = subject_job(&subject)?;
		let record = Jobs::<T>::get(job)?;
		let input = Self::input_of(job)?;
		match Self::execute(&record, input) {
			Ok(ours) => Some(ours.encode()),
			// The model cannot run on this input: the verifier says so with the empty output.
			Err(EngineError::Model(why)) => {
				log::info!(target: "inference", "job {job}: the model cannot run: {:?}", core::str::from_utf8(&why));
				Some(Vec::new())
			}
			Err(why) => {
				log::warn!(target: "inference", "job {job}: re-execution failed: {why:?}");
				None
			}
		}
	}

	fn is_valid(subject: SubjectId, output: &[u8]) -> bool {
		if output.is_empty() {
			return true;
		}
		let Some(record) = subject_job(&subject).and_then(Jobs::<T>::get) else { return false };
		output.len() <= T::MaxOutputBytes::get() as usize
			&& Tensors::decode_all(&mut &output[..])
				.is_ok_and(|tensors| Self::check_output(&record, &tensors).is_ok())
	}

	fn agrees(subject: SubjectId, output: &[u8], reference: &[u8]) -> bool {
		if output.is_empty() || reference.is_empty() {
			return output.is_empty() && reference.is_empty();
		}
		let Some(record) = subject_job(&subject).and_then(Jobs::<T>::get) else { return false };
		let decode = |bytes: &[u8]| Tensors::decode_all(&mut &bytes[..]).ok();
		match (decode(output), decode(reference)) {
			(Some(ours), Some(theirs)) => record.tolerance.agrees(&ours, &theirs),
			_ => false,
		}
	}

	fn claimed_output(subject: SubjectId) -> Option<Vec<u8>> {
		let job = subject_job(&subject)?;
		Outputs::<T>::get(job).map(|output| output.into_inner())
	}

	fn judge_weight() -> Weight {
		// Decoding and checking an output of the largest size, as a vanilla answer does.
		T::WeightInfo::submit_result_vanilla(T::MaxOutputBytes::get() / 17)
	}
}
