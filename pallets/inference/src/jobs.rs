//! A job's life after the request: assignment, answers, the verdict from attestations, paying
//! out or refunding the fee, deadlines and pruning.

use codec::DecodeAll;
use frame_support::traits::tokens::{Fortitude, Restriction};
use opg_primitives::{
	attestation::{revealed_hash, Conclusion, OnConclusion, SubjectId},
	deadlines::most_within,
	inference::subject_job,
};
use sp_runtime::traits::One;

/// What a job's node draw is seeded with, beside the drawing block's randomness: the job id and
/// the input's hash.
pub fn assignment_subject(job: JobId, input_hash: &sp_core::H256) -> SubjectId {
	sp_core::H256(sp_io::hashing::blake2_256(&(b"opg:assign", job, input_hash).encode()))
}

use super::*;

impl<T: Config> Pallet<T> {
	/// Opens a checked request: holds the fee, records the job and queues it for a node drawn
	/// in the next block.
	pub(crate) fn open_job(requester: T::AccountId, checked: CheckedRequest<T>) -> DispatchResult {
		let job = NextJobId::<T>::get();
		let next = job.checked_add(1).ok_or(Error::<T>::JobIdsExhausted)?;
		let input_hash = sp_core::H256(sp_io::hashing::blake2_256(&checked.input));
		T::Currency::hold(&HoldReason::JobFee.into(), &requester, checked.fee.total)
			.map_err(|_| Error::<T>::InsufficientBalance)?;
		T::Currency::hold(
			&HoldReason::OutputDeposit.into(),
			&requester,
			checked.fee.output_deposit,
		)
		.map_err(|_| Error::<T>::InsufficientBalance)?;
		let now = frame_system::Pallet::<T>::block_number();
		let first_draw = Self::enqueue(QueueKind::Assignments, job, now.saturating_add(One::one()));
		NextJobId::<T>::put(next);
		Inputs::<T>::insert(job, checked.input);
		OpenJobs::<T>::mutate(checked.model, |count| *count = count.saturating_add(1));
		Jobs::<T>::insert(
			job,
			Job {
				requester: requester.clone(),
				model: checked.model,
				version: checked.version,
				owner: checked.owner,
				model_ref: checked.model_ref,
				input_hash,
				mode: checked.mode,
				fee: checked.fee,
				tolerance: checked.tolerance,
				status: JobStatus::Queued {
					until: first_draw
						.saturating_add(T::AssignmentWait::get())
						.saturating_sub(One::one()),
				},
				output: None,
				requested_at: now,
				output_bound: checked.output_bound,
			},
		);
		Self::deposit_event(Event::JobRequested {
			job,
			requester,
			model: checked.model,
			version: checked.version,
			mode: checked.mode,
			fee: checked.fee.total,
		});
		Ok(())
	}

	/// Assigns the queued jobs due by `now`, at most [`Config::MaxAssignmentsPerBlock`]: one
	/// draw per job among the nodes of its mode's role, from this block's randomness mixed with
	/// the job id and the input's hash ([`assignment_subject`]). A job no node was drawn for
	/// waits for the next block, or is refunded once its wait is over.
	pub(crate) fn process_assignments(now: BlockNumberFor<T>) -> Weight {
		Self::assign_due(now, Self::assignments_within_budget())
	}

	/// Assigns up to `limit` queued jobs due by `now` (see [`Self::process_assignments`]).
	pub(crate) fn assign_due(now: BlockNumberFor<T>, limit: u32) -> Weight {
		let mut due = Vec::new();
		let taken = Self::drain(QueueKind::Assignments, now, limit, |job, _| {
			if let Some(record) = Jobs::<T>::get(job) {
				if matches!(record.status, JobStatus::Queued { .. }) {
					due.push((job, record));
				}
			}
		});
		let mut weight = T::WeightInfo::process_assignments(taken);
		let (tee, inference): (Vec<_>, Vec<_>) =
			due.into_iter().partition(|(_, record)| node_role(record.mode) == NodeRole::Tee);
		for (role, jobs) in [(NodeRole::Inference, inference), (NodeRole::Tee, tee)] {
			if jobs.is_empty() {
				continue;
			}
			let subjects: Vec<_> = jobs
				.iter()
				.map(|(job, record)| assignment_subject(*job, &record.input_hash))
				.collect();
			weight =
				weight.saturating_add(T::Nodes::select_each_weight(role, subjects.len() as u32));
			// Without randomness (never in a BABE block) nobody is drawn: every job waits.
			let drawn = T::Nodes::select_each(role, &subjects)
				.ok()
				.filter(|drawn| drawn.len() == subjects.len())
				.unwrap_or_else(|| alloc::vec![None; subjects.len()]);
			for ((job, mut record), node) in jobs.into_iter().zip(drawn) {
				match node.filter(|node| T::Nodes::begin_work(node).is_ok()) {
					Some(node) => Self::assign(job, &mut record, node, now),
					None => Self::requeue_or_refund(job, &mut record, now),
				}
				Jobs::<T>::insert(job, record);
			}
		}
		weight
	}

	/// The most weight the assignment hook takes for `count` jobs among the pools as they
	/// are: each role's draws read their own pool (the TEE pool is a part of the inference
	/// pool, so it is never the larger), and the per-job share of the draws is the same for
	/// both, so splitting the jobs between the roles adds at most the TEE pool's fixed part.
	pub fn assignment_weight(count: u32) -> Weight {
		T::WeightInfo::process_assignments(count)
			.saturating_add(T::Nodes::select_each_weight(NodeRole::Inference, count))
			.saturating_add(T::Nodes::select_each_weight(NodeRole::Tee, 0))
	}

	/// How many queued jobs this block assigns: as many as [`Config::AssignmentBudget`] covers,
	/// at most [`Config::MaxAssignmentsPerBlock`] (a binary search over the weight functions,
	/// which grow with the count).
	pub fn assignments_within_budget() -> u32 {
		most_within(
			T::AssignmentBudget::get(),
			T::MaxAssignmentsPerBlock::get(),
			Self::assignment_weight,
		)
	}

	/// The most weight the timeout hook takes for `count` deadlines: each may slash its node
	/// and draw another (skips and the exclusion of the silent node included).
	pub fn timeout_weight(count: u32) -> Weight {
		T::WeightInfo::process_timeouts(count)
			.saturating_add(T::Nodes::select_weight(1, 1).saturating_mul(u64::from(count)))
	}

	/// How many timeouts a block ends at the least: as many as [`Config::TimeoutBudget`]
	/// covers at their worst, at most [`Config::MaxQueuedPerBlock`] (deadlines of answered
	/// jobs cost far less, so a block ends many more of those); the rest wait, in order, for
	/// the next block (an answer after its deadline is refused meanwhile, so a late timeout
	/// gives nobody more time).
	pub fn timeouts_within_budget() -> u32 {
		most_within(T::TimeoutBudget::get(), T::MaxQueuedPerBlock::get(), Self::timeout_weight)
	}

	/// How many finished jobs fit `remaining` weight, at most [`Config::MaxQueuedPerBlock`]:
	/// what `on_idle` prunes.
	pub fn prunings_within(remaining: Weight) -> u32 {
		most_within(remaining, T::MaxQueuedPerBlock::get(), T::WeightInfo::process_pruning)
	}

	/// Gives queued `job` to `node` (whose work on it has begun), with its answer deadline.
	fn assign(job: JobId, record: &mut JobOf<T>, node: T::AccountId, now: BlockNumberFor<T>) {
		let deadline = Self::hand_to(job, record, &node, now, false);
		Self::deposit_event(Event::JobAssigned { job, node, deadline });
	}

	/// Makes `job` wait for `node`'s answer (`reassigned`: its second node): queues its
	/// deadline, indexes it under the node and records the assignment. Returns the deadline.
	fn hand_to(
		job: JobId,
		record: &mut JobOf<T>,
		node: &T::AccountId,
		now: BlockNumberFor<T>,
		reassigned: bool,
	) -> BlockNumberFor<T> {
		let deadline = Self::enqueue(
			QueueKind::Timeouts,
			job,
			now.saturating_add(ActiveParameters::<T>::get().response_period),
		);
		Assignments::<T>::insert(node, job, ());
		record.status = JobStatus::Assigned { node: node.clone(), deadline, reassigned };
		deadline
	}

	/// Queued `job` got no node in this block: it waits for the next one, or is refunded when
	/// this was its last try.
	fn requeue_or_refund(job: JobId, record: &mut JobOf<T>, now: BlockNumberFor<T>) {
		let JobStatus::Queued { until } = record.status else { return };
		if now < until {
			Self::enqueue(QueueKind::Assignments, job, now.saturating_add(One::one()));
		} else {
			Self::refund(job, record, RefundReason::NoNodeAvailable);
		}
	}

	/// Records `node`'s checked answer to vanilla `job` (`hash` is the output's hash, which the
	/// signature check computed) and opens it to challenge: a claim on the output's encoding,
	/// which a dispute committee compares its own outputs with.
	pub(crate) fn accept_result(
		job: JobId,
		mut record: JobOf<T>,
		node: T::AccountId,
		output: Tensors,
		hash: opg_primitives::attestation::OutputHash,
	) -> DispatchResult {
		let encoded = EncodedOutput::<T>::try_from(output.encode())
			.map_err(|_| Error::<T>::OutputTooLarge)?;
		Self::check_output(&record, &output)?;
		let claim = revealed_hash(&encoded);
		let opened = T::Attestations::open_claim(job_subject(job), &node, claim, record.input_hash);
		Self::answer_landed(job, &node);
		record.output = Some(hash);
		Outputs::<T>::insert(job, encoded);
		Self::deposit_event(Event::ResultSubmitted {
			job,
			node: node.clone(),
			output,
			output_hash: hash,
		});
		match opened {
			Ok(()) => record.status = JobStatus::Accepted { node },
			// The attestations pallet takes no more claims now (its deadlines are full for the
			// blocks ahead): the node did its work and is not blamed, and the result cannot be
			// verified, so the requester gets the fee back.
			Err(_) => Self::refund(job, &mut record, RefundReason::VerificationUnavailable),
		}
		Jobs::<T>::insert(job, record);
		Ok(())
	}

	/// Records `node`'s checked commitment to its output for attested `job` and opens a
	/// verification round on it; the output becomes public when the round decides.
	pub(crate) fn accept_commitment(
		job: JobId,
		mut record: JobOf<T>,
		node: T::AccountId,
		commitment: sp_core::H256,
	) -> DispatchResult {
		let opened =
			T::Attestations::open_round(job_subject(job), &node, commitment, record.input_hash);
		Self::answer_landed(job, &node);
		Self::deposit_event(Event::AnswerCommitted { job, node: node.clone(), commitment });
		match opened {
			Ok(()) => record.status = JobStatus::Verifying { node },
			Err(_) => Self::refund(job, &mut record, RefundReason::VerificationUnavailable),
		}
		Jobs::<T>::insert(job, record);
		Ok(())
	}

	/// What every answer that lands shares: the job leaves the node's assignments (a claim or
	/// round counts its work from here), and its offchain worker's sent marker is cleared
	/// (through offchain indexing), so markers do not pile up.
	fn answer_landed(job: JobId, node: &T::AccountId) {
		Assignments::<T>::remove(node, job);
		T::Nodes::end_work(node, Some(true));
		sp_io::offchain_index::clear(&sent_marker_key(job));
	}

	/// `node` refused `job` (checked: it was assigned, not attested): the refusal counts
	/// against its reputation, and the job goes to another node, once; the refuser is slashed
	/// if that node's answer becomes final. A refusal by the job's second node ends it
	/// refunded: two nodes failed, or the first never answered.
	pub(crate) fn refuse(
		job: JobId,
		mut record: JobOf<T>,
		node: T::AccountId,
		error: EngineMessage,
	) {
		Assignments::<T>::remove(&node, job);
		sp_io::offchain_index::clear(&sent_marker_key(job));
		Self::deposit_event(Event::JobRefused { job, node: node.clone(), error: error.clone() });
		let first = matches!(record.status, JobStatus::Assigned { reassigned: false, .. });
		let now = frame_system::Pallet::<T>::block_number();
		Self::reassign_or_refund(
			job,
			&mut record,
			node.clone(),
			now,
			RefundReason::EngineFailed(error),
		);
		if first && matches!(record.status, JobStatus::Assigned { .. }) {
			// The refuser's work on the job stays open until the job ends: it may be slashed
			// then, so its bond must not leave before (it cannot `leave` with open work).
			Refusals::<T>::insert(job, node);
		} else {
			T::Nodes::end_work(&node, Some(false));
		}
		Jobs::<T>::insert(job, record);
	}

	/// What a proof of ZK `job` by `node` is bound to, its last public input
	/// ([`opg_zk::packing::job_binding`] of the genesis hash, the job and the node's account):
	/// a proof copied from another job with the same input and output, or from the node that
	/// held this job before a reassignment, does not verify.
	pub fn zk_binding(job: JobId, node: &T::AccountId) -> [u8; 32] {
		let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
		opg_zk::packing::job_binding(genesis.as_ref(), job, &node.encode())
	}

	/// Verifies `node`'s proof for ZK `job` (already checked: signature, schema, length, key,
	/// tries left). A proof that holds makes the job final and pays it out now; one that does
	/// not is recorded against the node, which is slashed, and after [`MAX_INVALID_PROOFS`]
	/// the job goes to another node.
	pub(crate) fn accept_proof(
		job: JobId,
		mut record: JobOf<T>,
		node: T::AccountId,
		output: Tensors,
		proof: &[u8],
	) -> DispatchResult {
		let key = T::Models::zk_key(record.model, record.version).ok_or(Error::<T>::NoZkKey)?;
		let schema = T::Models::model_version(record.model, record.version)
			.ok_or(Error::<T>::NoZkKey)?
			.schema;
		let input = Self::input_of(job).ok_or(Error::<T>::NoSuchJob)?;
		let binding = Self::zk_binding(job, &node);
		if let Err(reason) =
			opg_zk::verify_job(&schema, &key.prepared, &input, &output, &binding, proof)
		{
			let attempts = InvalidProofs::<T>::mutate(job, |count| {
				*count = count.saturating_add(1);
				*count
			});
			let slashed = T::Nodes::slash(&node, ActiveParameters::<T>::get().invalid_proof_slash);
			Self::deposit_event(Event::ProofRejected {
				job,
				node: node.clone(),
				reason,
				attempts,
				slashed,
			});
			if attempts >= MAX_INVALID_PROOFS {
				Assignments::<T>::remove(&node, job);
				T::Nodes::end_work(&node, Some(false));
				let now = frame_system::Pallet::<T>::block_number();
				Self::reassign_or_refund(job, &mut record, node, now, RefundReason::InvalidProofs);
				Jobs::<T>::insert(job, record);
			}
			return Ok(());
		}
		Self::settle_now(job, record, node, output, |node| Event::ProofVerified { job, node })
	}

	/// Accepts the checked, enclave-signed result of TEE `job`: final and paid in this block.
	pub(crate) fn accept_tee_result(
		job: JobId,
		record: JobOf<T>,
		node: T::AccountId,
		output: Tensors,
		signer: opg_primitives::tee::EnclaveSigner,
	) -> DispatchResult {
		Self::settle_now(job, record, node, output, |node| Event::TeeResultAccepted {
			job,
			node,
			enclave_key: signer.key,
			insecure: signer.insecure,
		})
	}

	/// Records `node`'s verified `output` for `job` and pays the job out now, with `verified`
	/// (the event naming what verified it) between the result and the payment.
	fn settle_now(
		job: JobId,
		mut record: JobOf<T>,
		node: T::AccountId,
		output: Tensors,
		verified: impl FnOnce(T::AccountId) -> Event<T>,
	) -> DispatchResult {
		let hash = output_hash(&output);
		let encoded = EncodedOutput::<T>::try_from(output.encode())
			.map_err(|_| Error::<T>::OutputTooLarge)?;
		Self::answer_landed(job, &node);
		record.output = Some(hash);
		record.status = JobStatus::Accepted { node: node.clone() };
		Outputs::<T>::insert(job, encoded);
		Self::deposit_event(Event::ResultSubmitted {
			job,
			node: node.clone(),
			output,
			output_hash: hash,
		});
		Self::deposit_event(verified(node));
		Self::finalize(job, &mut record, &[]);
		Jobs::<T>::insert(job, record);
		Ok(())
	}

	/// Ends `job` as final: pays the fee out by the shares (the verifiers' part to `verifiers`,
	/// evenly) and tells [`Config::OnFinal`].
	pub(crate) fn finalize(job: JobId, record: &mut JobOf<T>, verifiers: &[T::AccountId]) {
		let (JobStatus::Accepted { node } | JobStatus::Verifying { node }) = record.status.clone()
		else {
			return;
		};
		let shares = ActiveParameters::<T>::get().shares;
		let total = record.fee.total;
		let owner_paid = Self::pay(&record.requester, &record.owner, shares.owner.mul_floor(total));
		let node_paid = Self::pay(&record.requester, &node, shares.node.mul_floor(total));
		let mut verifiers_paid = BalanceOf::<T>::zero();
		if let Ok(count) = u32::try_from(verifiers.len()) {
			let share = shares.verifiers.mul_floor(total);
			if let Some(each) = share.checked_div(&BalanceOf::<T>::from(count)) {
				for verifier in verifiers {
					verifiers_paid =
						verifiers_paid.saturating_add(Self::pay(&record.requester, verifier, each));
				}
			}
		}
		// The rest, the treasury's share and any dust or failed payment included.
		let rest = total
			.saturating_sub(owner_paid)
			.saturating_sub(node_paid)
			.saturating_sub(verifiers_paid);
		let treasury_paid = Self::pay(&record.requester, &T::TreasuryAccount::get(), rest);
		Self::release(&record.requester, rest.saturating_sub(treasury_paid));
		let now = frame_system::Pallet::<T>::block_number();
		record.status = JobStatus::Final { node: node.clone(), at: now };
		if let Some(refuser) = Refusals::<T>::get(job) {
			// Another node ran what the refuser said could not run.
			let slashed = T::Nodes::slash(&refuser, ActiveParameters::<T>::get().timeout_slash);
			Self::deposit_event(Event::RefusalSlashed { job, node: refuser, slashed });
		}
		Self::close(job, record);
		Self::deposit_event(Event::JobFinal {
			job,
			node,
			owner_paid,
			node_paid,
			verifiers_paid,
			treasury_paid,
		});
		// Read back and decoded only for a listener, whose `weight` covers it.
		if T::OnFinal::LISTENS {
			if let Some(output) = Self::output_of(job) {
				T::OnFinal::on_final(job, &record.requester, &output);
			}
		}
	}

	/// Ends `job` refunded: the whole fee goes back to the requester.
	pub(crate) fn refund(job: JobId, record: &mut JobOf<T>, reason: RefundReason) {
		let amount = record.fee.total;
		Self::release(&record.requester, amount);
		record.status = JobStatus::Refunded {
			reason: reason.clone(),
			at: frame_system::Pallet::<T>::block_number(),
		};
		Self::close(job, record);
		Self::deposit_event(Event::JobRefunded {
			job,
			requester: record.requester.clone(),
			amount,
			reason,
		});
	}

	/// What every ending shares: the model's open-job count, and the job's pruning date.
	fn close(job: JobId, record: &JobOf<T>) {
		InvalidProofs::<T>::remove(job);
		// A refused job's refuser is let go when the job ends: slashed already if the second
		// node's answer made it final, not at all if the second node failed too. The refusal
		// counts against its reputation either way.
		if let Some(refuser) = Refusals::<T>::take(job) {
			T::Nodes::end_work(&refuser, Some(false));
		}
		OpenJobs::<T>::mutate_exists(record.model, |count| {
			*count = count.and_then(|c| c.checked_sub(1)).filter(|c| *c > 0);
		});
		let prune_at = frame_system::Pallet::<T>::block_number()
			.saturating_add(ActiveParameters::<T>::get().retention);
		Self::enqueue(QueueKind::Pruning, job, prune_at);
	}

	/// Moves `amount` of `from`'s held fee to `to`; returns what moved (nothing when the
	/// transfer fails, say for an amount below the existential deposit to a new account: the
	/// caller sends what did not move elsewhere).
	fn pay(from: &T::AccountId, to: &T::AccountId, amount: BalanceOf<T>) -> BalanceOf<T> {
		if amount.is_zero() {
			return amount;
		}
		T::Currency::transfer_on_hold(
			&HoldReason::JobFee.into(),
			from,
			to,
			amount,
			Precision::Exact,
			Restriction::Free,
			// The fee is this pallet's own hold: a freeze on the requester's account must not
			// stop it from being paid out.
			Fortitude::Force,
		)
		.unwrap_or_else(|_| Zero::zero())
	}

	/// Gives `amount` of `who`'s held fee back to it.
	fn release(who: &T::AccountId, amount: BalanceOf<T>) {
		if !amount.is_zero() {
			let released = T::Currency::release(
				&HoldReason::JobFee.into(),
				who,
				amount,
				Precision::BestEffort,
			);
			if released.ok() != Some(amount) {
				log::error!(target: "inference", "released less than {amount:?} of {who:?}'s fees");
			}
		}
	}

	/// Adds `job`, due at `at`, to the end of `kind`'s queue; returns the block it is due at:
	/// `at`, or the last entry's block when governance shortened a period since (a queue stays
	/// in order, so no due entry waits behind one that is not due).
	pub(crate) fn enqueue(kind: QueueKind, job: JobId, at: BlockNumberFor<T>) -> BlockNumberFor<T> {
		QueueEnds::<T>::mutate(kind, |(head, tail)| {
			let last = (*tail > *head)
				.then(|| Queue::<T>::get(kind, tail.saturating_sub(1)))
				.flatten()
				.map(|(_, last)| last);
			let due = last.map_or(at, |last| at.max(last));
			Queue::<T>::insert(kind, *tail, (job, due));
			*tail = tail.saturating_add(1);
			due
		})
	}

	/// Takes up to `limit` entries due by `now` from the front of `kind`'s queue and hands
	/// each to `handle`; returns how many it took.
	fn drain(
		kind: QueueKind,
		now: BlockNumberFor<T>,
		limit: u32,
		mut handle: impl FnMut(JobId, BlockNumberFor<T>),
	) -> u32 {
		let mut taken = 0u32;
		if limit > 0 {
			Self::drain_while(kind, now, |job, at| {
				handle(job, at);
				taken = taken.saturating_add(1);
				taken < limit
			});
		}
		taken
	}

	/// Takes `kind`'s entries due by `now` off the queue in order, handing each to `handle`
	/// until it answers that there is no room for another.
	fn drain_while(
		kind: QueueKind,
		now: BlockNumberFor<T>,
		mut handle: impl FnMut(JobId, BlockNumberFor<T>) -> bool,
	) {
		let (mut head, tail) = QueueEnds::<T>::get(kind);
		while head < tail {
			let Some((job, at)) = Queue::<T>::get(kind, head) else {
				head = head.saturating_add(1);
				continue;
			};
			if at > now {
				break;
			}
			Queue::<T>::remove(kind, head);
			head = head.saturating_add(1);
			if !handle(job, at) {
				break;
			}
		}
		// `handle` may have queued more (a reassigned job's new deadline): keep the new tail.
		QueueEnds::<T>::mutate(kind, |(start, _)| *start = head);
	}

	/// Handles the deadlines due by `now` within [`Config::TimeoutBudget`] (see
	/// [`Self::end_timeouts`]).
	pub(crate) fn process_timeouts(now: BlockNumberFor<T>) -> Weight {
		Self::end_timeouts(now, T::TimeoutBudget::get())
	}

	/// Handles deadlines due by `now`, first due first, while `budget` has room for one more
	/// timeout at its worst: a job still waiting for its node's answer is reassigned once (the
	/// silent node slashed), then refunded. Each deadline is charged what it took: one whose
	/// job was answered (nearly all of them on a busy chain) a read and a removal, a timeout
	/// its benchmarked weight and, when it reassigns, a draw. (Charging every deadline as a
	/// timeout let a busy chain's answered deadlines, six a block, hold back the few real
	/// timeouts without end: the load test found jobs a hundred blocks past their deadline.)
	pub(crate) fn end_timeouts(now: BlockNumberFor<T>, budget: Weight) -> Weight {
		let one = Self::timeout_weight(1).saturating_sub(T::WeightInfo::process_timeouts(0));
		let answered = T::DbWeight::get().reads_writes(2, 1);
		let mut used = T::WeightInfo::process_timeouts(0);
		// At most `MaxQueuedPerBlock` timeouts, the most one deadline block holds.
		let mut left = T::MaxQueuedPerBlock::get();
		if left == 0 || used.saturating_add(one).any_gt(budget) {
			return used;
		}
		Self::drain_while(QueueKind::Timeouts, now, |job, at| {
			let ended = Self::end_timeout(job, at, now);
			let taken = match ended {
				Ended::Nothing => answered,
				Ended::Refunded => one.saturating_sub(T::Nodes::select_weight(1, 1)),
				Ended::Reassigned => one,
			};
			if !matches!(ended, Ended::Nothing) {
				left = left.saturating_sub(1);
			}
			used.saturating_accrue(taken);
			left > 0 && used.saturating_add(one).all_lte(budget)
		});
		used
	}

	/// Ends `job`'s answer deadline `at`, if it still waits for that answer.
	fn end_timeout(job: JobId, at: BlockNumberFor<T>, now: BlockNumberFor<T>) -> Ended {
		let Some(mut record) = Jobs::<T>::get(job) else { return Ended::Nothing };
		let JobStatus::Assigned { node, deadline, reassigned: again } = record.status.clone()
		else {
			return Ended::Nothing;
		};
		if deadline != at {
			return Ended::Nothing;
		}
		Assignments::<T>::remove(&node, job);
		T::Nodes::end_work(&node, Some(false));
		// A TEE node whose registration governance revoked could not answer: not its fault.
		let revoked =
			record.mode == InferenceMode::Tee && T::Enclaves::enclave_signer(&node).is_none();
		if !revoked {
			T::Nodes::slash(&node, ActiveParameters::<T>::get().timeout_slash);
		}
		Self::reassign_or_refund(job, &mut record, node, now, RefundReason::TimedOut);
		Jobs::<T>::insert(job, record);
		if again {
			Ended::Refunded
		} else {
			Ended::Reassigned
		}
	}

	/// Takes `job` from `node` (whose work on it has ended): gives it to another node, once,
	/// with a new deadline, or refunds it (`reason`) when it was reassigned already or no node
	/// is free.
	pub(crate) fn reassign_or_refund(
		job: JobId,
		record: &mut JobOf<T>,
		node: T::AccountId,
		now: BlockNumberFor<T>,
		reason: RefundReason,
	) {
		let JobStatus::Assigned { reassigned: again, .. } = record.status else { return };
		InvalidProofs::<T>::remove(job);
		let next = (!again)
			.then(|| {
				T::Nodes::select(
					node_role(record.mode),
					job_subject(job),
					1,
					core::slice::from_ref(&node),
				)
				.ok()
				.and_then(|mut nodes| nodes.pop())
				.filter(|next| T::Nodes::begin_work(next).is_ok())
			})
			.flatten();
		match next {
			Some(next) => {
				let deadline = Self::hand_to(job, record, &next, now, true);
				Self::deposit_event(Event::JobReassigned { job, from: node, to: next, deadline });
			}
			None => Self::refund(job, record, reason),
		}
	}

	/// Removes up to `limit` finished jobs due for pruning by `now` (from `on_idle`: pruning
	/// can wait for a block with room).
	pub(crate) fn process_pruning(now: BlockNumberFor<T>, limit: u32) -> Weight {
		let taken = Self::drain(QueueKind::Pruning, now, limit, |job, _| {
			let Some(record) = Jobs::<T>::get(job).filter(|record| record.status.is_over()) else {
				return;
			};
			Jobs::<T>::remove(job);
			Inputs::<T>::remove(job);
			Outputs::<T>::remove(job);
			// The state the answer took is freed: its deposit goes back.
			let deposit = record.fee.output_deposit;
			if !deposit.is_zero() {
				let released = T::Currency::release(
					&HoldReason::OutputDeposit.into(),
					&record.requester,
					deposit,
					Precision::BestEffort,
				);
				if released.ok() != Some(deposit) {
					log::error!(target: "inference", "released less than the deposit of job {job}");
				}
			}
		});
		T::WeightInfo::process_pruning(taken)
	}
}

/// The attestations pallet's verdicts: settle or refund the job.
impl<T: Config> OnConclusion<T::AccountId> for Pallet<T> {
	fn on_conclusion(subject: SubjectId, conclusion: &Conclusion<T::AccountId>) -> Weight {
		let looked = T::DbWeight::get().reads(1);
		let Some(job) = subject_job(&subject) else { return Weight::zero() };
		let Some(mut record) = Jobs::<T>::get(job) else { return looked };
		let (JobStatus::Accepted { node } | JobStatus::Verifying { node }) = record.status.clone()
		else {
			return looked;
		};
		match conclusion {
			Conclusion::Unchallenged { .. } => {
				// Nearly every claim stands with nobody to slash: charged its own measure, a
				// fraction of the bound, so a block settles many.
				let refused = Refusals::<T>::contains_key(job);
				Self::finalize(job, &mut record, &[]);
				Jobs::<T>::insert(job, record);
				return if refused {
					Self::unchallenged_weight()
				} else {
					T::WeightInfo::finalize_unchallenged().saturating_add(T::OnFinal::weight())
				};
			}
			Conclusion::Decided { claim_upheld: true, majority, output, .. } => {
				// An attested job's output becomes public now, as its node revealed it.
				let revealed = match (record.mode, output) {
					(InferenceMode::Attested, Some(bytes)) => Some(bytes.as_slice()),
					_ => None,
				};
				match revealed.map(Self::publish_revealed) {
					Some(Some((tensors, hash, encoded))) => {
						record.output = Some(hash);
						Outputs::<T>::insert(job, encoded);
						Self::deposit_event(Event::ResultSubmitted {
							job,
							node,
							output: tensors,
							output_hash: hash,
						});
					}
					// The committee agreed with the node that the model cannot run on the input.
					Some(None) => {
						let error = EngineMessage::truncate_from(
							b"the verifier committee confirmed that the model cannot run on this input"
								.to_vec(),
						);
						Self::refund(job, &mut record, RefundReason::EngineFailed(error));
						Jobs::<T>::insert(job, record);
						return Self::weight();
					}
					None => {}
				}
				Self::deposit_event(Event::ResultVerified { job, verifiers: majority.clone() });
				Self::finalize(job, &mut record, majority);
			}
			Conclusion::Undecided { .. } => Self::refund(job, &mut record, RefundReason::Undecided),
			Conclusion::Decided { .. } => Self::refund(job, &mut record, RefundReason::Rejected),
		}
		Jobs::<T>::insert(job, record);
		// Verdicts are charged their bound by the rounds that reach them.
		Self::weight()
	}

	fn weight() -> Weight {
		T::WeightInfo::conclude(T::MaxCommitteeSize::get())
			.saturating_add(T::WeightInfo::submit_result_vanilla(T::MaxOutputBytes::get() / 17))
			// An upheld claim makes its job final.
			.saturating_add(T::OnFinal::weight())
	}

	/// A claim that stood makes its job final, paying no verifier and publishing nothing:
	/// less than the measured verdict that pays one verifier, publishes the output and slashes
	/// a refuser. Without a refuser it is `finalize_unchallenged`, what `on_conclusion` says.
	fn unchallenged_weight() -> Weight {
		T::WeightInfo::conclude(1).saturating_add(T::OnFinal::weight())
	}
}

impl<T: Config> Pallet<T> {
	/// A revealed output as the job's result: its tensors, hash and encoding; `None` for the
	/// empty output ("the model cannot run") or bytes that are no output (never, once the
	/// attestations pallet checked them with
	/// [`opg_primitives::attestation::SubjectOutputs::is_valid`]).
	fn publish_revealed(
		bytes: &[u8],
	) -> Option<(Tensors, opg_primitives::attestation::OutputHash, EncodedOutput<T>)> {
		let tensors = Tensors::decode_all(&mut &bytes[..]).ok()?;
		let encoded = EncodedOutput::<T>::try_from(bytes.to_vec()).ok()?;
		Some((tensors.clone(), output_hash(&tensors), encoded))
	}
}

/// The offchain worker's marker that an answer to `job` was sent, which the runtime clears
/// when the answer lands.
pub(crate) fn sent_marker_key(job: JobId) -> Vec<u8> {
	(b"opg/inference/sent/", job).encode()
}

/// What ending an answer deadline did.
enum Ended {
	/// Nothing: the job was answered (or moved on) before its deadline.
	Nothing,
	/// The silent node was slashed and the job given to another node.
	Reassigned,
	/// The silent node was slashed and the job, on its second node already, refunded.
	Refunded,
}
