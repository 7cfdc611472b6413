//! The offchain worker's side of inference: running this node's assigned jobs, and re-running
//! other nodes' jobs for this node's verifiers.
//!
//! Both call the node's engine through the `opg_inference` host function. Nothing here is
//! consensus code: answers go back as transactions that the runtime checks like any other.

use opg_primitives::{
	attestation::{NodeKey, OutputHash, Reexecute, SubjectId},
	inference::{opg_inference, subject_job, EngineError, Tensor},
};
use sp_runtime::{offchain::storage::StorageValueRef, RuntimeAppPublic};

use super::*;

/// Jobs one offchain worker run answers per local role key; the rest wait for the next block.
const JOBS_PER_RUN: usize = 16;

/// Blocks before an answer that has not landed is sent again.
const RESEND_AFTER: u32 = 4;

impl<T: Config> Pallet<T> {
	/// For each local role key's node, runs the jobs assigned to it (read from its own
	/// [`Assignments`] entries only) and sends each answer.
	pub(crate) fn answer_assigned_jobs(now: BlockNumberFor<T>) {
		for key in NodeKey::all() {
			let Some(node) = T::Nodes::node_of_key(&key) else { continue };
			for job in Assignments::<T>::iter_key_prefix(&node).take(JOBS_PER_RUN) {
				if Self::sent_recently(job, now) {
					continue;
				}
				if let Err(why) = Self::answer(job, &node, &key) {
					log::warn!(target: "inference", "job {job} not answered: {why}");
				}
			}
		}
	}

	/// Whether an answer to `job` was sent in the last [`RESEND_AFTER`] blocks (marks it sent
	/// now otherwise).
	fn sent_recently(job: JobId, now: BlockNumberFor<T>) -> bool {
		let now: u32 = now.saturated_into();
		let key = (b"opg/inference/sent/", job).encode();
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
		let call = match Self::execute(&record, input) {
			Ok(output) => {
				let statement = Self::result_statement(job, node, &output);
				let signature = key
					.sign(&job_signing_message(&genesis, &statement))
					.ok_or("the role key cannot sign")?;
				Call::submit_result { job, node: node.clone(), output, signature }
			}
			Err(EngineError::Model(error)) => {
				log::info!(target: "inference", "job {job}: the model cannot run: {:?}", core::str::from_utf8(&error));
				let statement =
					JobStatement::Failure { job, node: node.clone(), error: error.clone() };
				let signature = key
					.sign(&job_signing_message(&genesis, &statement))
					.ok_or("the role key cannot sign")?;
				Call::report_failure { job, node: node.clone(), error, signature }
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
		let transaction = T::create_authorized_transaction(call.into());
		SubmitTransaction::<T, Call<T>>::submit_transaction(transaction)
			.map_err(|_| "the transaction pool refused the answer")?;
		log::info!(target: "inference", "answered job {job} as {node:?}");
		Ok(())
	}

	/// Runs `record`'s model on `input` with this node's engine, and checks that the output
	/// fits the model's declared outputs (an output that does not would be refused on chain).
	fn execute(record: &JobOf<T>, input: Tensors) -> Result<Tensors, EngineError> {
		let output = opg_inference::run(record.model_ref.clone(), input)?;
		let schema = T::Models::model_version(record.model, record.version)
			.ok_or_else(|| EngineError::model("the model version is gone"))?
			.schema;
		check_tensors(&output, &schema.outputs).map_err(|why| {
			EngineError::model(&alloc::format!("output does not fit the schema: {why:?}"))
		})?;
		if output.encoded_size() > T::MaxOutputBytes::get() as usize {
			return Err(EngineError::model("the output is larger than MaxOutputBytes"));
		}
		Ok(output)
	}
}

/// Re-executes a job for one of this node's verifiers: it stands behind the node's output when
/// its own agrees within the version's tolerance, else behind its own.
impl<T: Config> Reexecute for Pallet<T> {
	fn reexecute(subject: SubjectId, claimed: OutputHash) -> Option<OutputHash> {
		let job = subject_job(&subject)?;
		let record = Jobs::<T>::get(job)?;
		let input = Self::input_of(job)?;
		let ours = match Self::execute(&record, input) {
			Ok(ours) => ours,
			Err(why) => {
				log::warn!(target: "inference", "job {job}: re-execution failed: {why:?}");
				return None;
			}
		};
		let theirs: Option<Vec<Tensor>> =
			Self::output_of(job).filter(|o| output_hash(o) == claimed).map(|o| o.into_inner());
		match theirs {
			Some(theirs) if record.tolerance.agrees(&ours, &theirs) => Some(claimed),
			_ => Some(output_hash(&ours)),
		}
	}
}
