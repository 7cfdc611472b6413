//! The hooks at their worst case: all of them together under a third of the normal block at
//! their caps and budgets, and a block whose queues and lists are full executing (natively,
//! here) within the weight its hooks charge.
//!
//! Left out of the sum: the scheduler, whose calls come only from passed referenda and root
//! (its own budget, `MaximumSchedulerWeight`), the consensus and system pallets' fixed hooks,
//! which the block's base weight covers, and the deferrable work in `on_idle` (pruning finished
//! jobs, the liveness sweep), which takes only the room a block has left.

use super::{governance::open_block, *};
use frame_support::{
	dispatch::DispatchClass,
	traits::{fungible::MutateHold, Get},
	weights::Weight,
};
use opg_primitives::{
	attestation::{NodeRole, RoundKind},
	inference::{job_subject, JobStatus},
};
use pallet_inference::QueueKind;

/// Sets every pool's selection tree to the largest capacity the registry reaches: the draws'
/// weight grows with it.
fn largest_pools() {
	let capacity = configs::nodes::MAX_NODES.next_power_of_two();
	for role in [NodeRole::Inference, NodeRole::Verifier, NodeRole::Tee, NodeRole::Data] {
		pallet_nodes::PoolSizes::<Runtime>::mutate(role, |size| {
			size.capacity = size.capacity.max(capacity)
		});
	}
}

/// The most each OPG hook charges in one block, as its code charges it: the budgeted hooks
/// (deadlines, ceremonies: a cursor over per-block lists; timeouts and assignments: queues)
/// never more than their budgets, the others at their per-block caps.
fn hook_charges() -> Vec<(&'static str, Weight)> {
	use pallet_model_registry::WeightInfo as _;
	type Registry = <Runtime as pallet_model_registry::Config>::WeightInfo;
	vec![
		(
			"upload expiries",
			Registry::on_initialize(
				<Runtime as pallet_model_registry::Config>::MaxExpiriesPerBlock::get(),
			),
		),
		(
			"round and claim deadlines",
			<Runtime as pallet_attestations::Config>::DeadlineBudget::get(),
		),
		("ceremony turns", <Runtime as pallet_zk_ceremony::Config>::HookBudget::get()),
		// Each deadline charged what it took, within the budget.
		("answer timeouts", <Runtime as pallet_inference::Config>::TimeoutBudget::get()),
		("assignments", Inference::assignment_weight(Inference::assignments_within_budget())),
	]
}

fn millis(weight: Weight) -> f64 {
	weight.ref_time() as f64 / 1e9
}

#[test]
fn the_hooks_together_stay_under_a_third_of_the_normal_block() {
	new_ext().execute_with(|| {
		largest_pools();
		let charges = hook_charges();
		let total =
			charges.iter().fold(Weight::zero(), |sum, (_, weight)| sum.saturating_add(*weight));
		let normal = configs::RuntimeBlockWeights::get()
			.get(DispatchClass::Normal)
			.max_total
			.expect("normal transactions have a limit");
		let report: Vec<_> = charges
			.iter()
			.map(|(hook, weight)| format!("{hook} {:.1} ms", millis(*weight)))
			.collect();
		println!(
			"hooks at their caps: {:.1} ms of {:.1} ms: {}",
			millis(total),
			millis(normal),
			report.join(", ")
		);
		assert!(
			total.ref_time() <= normal.ref_time() / 3,
			"the hooks may take {:.1} ms, over a third of the normal block ({})",
			millis(total),
			report.join(", ")
		);
		// And they read at most a third of what normal transactions may: the block's proof
		// size is finite, and the hooks' reads are charged against it.
		println!(
			"hooks' proof size at their caps: {} KiB of {} KiB",
			total.proof_size() / 1024,
			normal.proof_size() / 1024
		);
		assert!(
			total.proof_size() <= normal.proof_size() / 3,
			"the hooks may read {} KiB, over a third of the normal block's {} KiB",
			total.proof_size() / 1024,
			normal.proof_size() / 1024
		);
		// The per-entry bounds, and what full lists and a full timeout queue would take.
		type C = Runtime;
		let verifications: u32 = <C as pallet_attestations::Config>::MaxDeadlinesPerBlock::get();
		let disputes: u32 = <C as pallet_attestations::Config>::MaxDisputeDeadlinesPerBlock::get();
		let rounds = verifications + disputes;
		let claims: u32 = <C as pallet_attestations::Config>::MaxClaimDeadlinesPerBlock::get();
		let queued: u32 = <C as pallet_inference::Config>::MaxQueuedPerBlock::get();
		let least = Attestations::least_deadline_budget();
		let budget = <C as pallet_attestations::Config>::DeadlineBudget::get();
		println!(
			"one round deadline {:.2} ms (a dispute {:.2} ms), one standing claim {:.2} ms at \
			 most ({:.2} ms without a refuser); {rounds} round deadlines and a claim: {:.1} ms; \
			 {queued} timeouts: {:.1} ms; claim lists hold {claims} a block",
			millis(Attestations::round_deadline_weight(RoundKind::Verification)),
			millis(Attestations::round_deadline_weight(RoundKind::Dispute)),
			millis(Attestations::claim_deadline_weight()),
			millis(plain_claim_weight()),
			millis(least),
			millis(Inference::timeout_weight(queued))
		);
		// A block's round lists at their caps and one claim at its worst end in that block.
		assert!(
			least.all_lte(budget),
			"full round lists take {:.1} ms, over the budget",
			millis(least)
		);
		// The claims nobody refused before (nearly all) end at the load test's 200 a block
		// when no round is due, and at half that beside full round lists, keeping room for
		// one at its worst after each.
		let room = budget.saturating_sub(least);
		let plain = room.ref_time() / plain_claim_weight().ref_time();
		let alone = budget
			.saturating_sub(Attestations::block_deadlines_base())
			.saturating_sub(Attestations::block_claims_base())
			.saturating_sub(Attestations::claim_deadline_weight())
			.ref_time()
			/ plain_claim_weight().ref_time();
		println!(
			"a block ends {alone} standing claims nobody refused, {plain} beside full round lists"
		);
		assert!(alone >= 200, "only {alone} standing claims fit the budget");
		assert!(plain >= 100, "only {plain} standing claims fit beside full round lists");
		// Each budgeted hook still serves a block's worth of work among 10,000 nodes.
		println!(
			"a block assigns {} jobs and handles {} timeouts",
			Inference::assignments_within_budget(),
			Inference::timeouts_within_budget()
		);
		assert!(Inference::assignments_within_budget() >= 100, "too few assignments fit");
		assert!(Inference::timeouts_within_budget() >= 6, "too few timeouts fit");
		// And at their worst (every one a refusal slashed), still a few a block beside full
		// round lists, and 32 when no round is due.
		let worst = room.ref_time() / Attestations::claim_deadline_weight().ref_time() + 1;
		assert!(worst >= 8, "only {worst} standing claims at their worst fit the budget");
		let claims = budget.ref_time() / Attestations::claim_deadline_weight().ref_time();
		assert!(claims >= 32, "only {claims} standing claims fit the deadline budget");
	});
}

/// What the deadline hook charges for a claim that stands with no refuser to slash: its own
/// part and the inference pallet's.
fn plain_claim_weight() -> Weight {
	use pallet_inference::WeightInfo as _;
	type Jobs = <Runtime as pallet_inference::Config>::WeightInfo;
	Attestations::claim_stands_weight().saturating_add(Jobs::finalize_unchallenged())
}

/// The caps the test fills: claim and verification round deadlines a block, timeouts and
/// assignments a block.
fn caps() -> (u64, u64, u64, u64) {
	type C = Runtime;
	let claims: u32 = <C as pallet_attestations::Config>::MaxClaimDeadlinesPerBlock::get();
	let rounds: u32 = <C as pallet_attestations::Config>::MaxDeadlinesPerBlock::get();
	let timeouts: u32 = <C as pallet_inference::Config>::MaxQueuedPerBlock::get();
	let assignments: u32 = <C as pallet_inference::Config>::MaxAssignmentsPerBlock::get();
	(claims.into(), rounds.into(), timeouts.into(), assignments.into())
}

/// The fuzz fixture's job `template` copied to job `id`, with `status`.
fn copy_job(template: u64, id: u64, status: pallet_inference::JobStatusOf<Runtime>) {
	let mut record = pallet_inference::Jobs::<Runtime>::get(template).expect("the template job");
	record.status = status;
	// Its fee held, as a request holds it.
	<Balances as MutateHold<AccountId>>::hold(
		&RuntimeHoldReason::Inference(pallet_inference::HoldReason::JobFee),
		&record.requester,
		record.fee.total,
	)
	.expect("the requester can pay");
	pallet_inference::Jobs::<Runtime>::insert(id, record);
	if let Some(input) = pallet_inference::Inputs::<Runtime>::get(template) {
		pallet_inference::Inputs::<Runtime>::insert(id, input);
	}
	if let Some(output) = pallet_inference::Outputs::<Runtime>::get(template) {
		pallet_inference::Outputs::<Runtime>::insert(id, output);
	}
}

/// Puts `count` entries due at `due` at the front of the inference queue `kind`, for jobs from
/// `first`: the queue is in order of due block, and the fixture's own entries are due later.
fn queue(kind: QueueKind, first: u64, count: u64, due: BlockNumber) {
	let (head, tail) = pallet_inference::QueueEnds::<Runtime>::get(kind);
	let waiting: Vec<_> =
		(head..tail).filter_map(|at| pallet_inference::Queue::<Runtime>::take(kind, at)).collect();
	let entries = (first..first + count).map(|id| (id, due)).chain(waiting);
	let mut end = head;
	for entry in entries {
		pallet_inference::Queue::<Runtime>::insert(kind, end, entry);
		end += 1;
	}
	pallet_inference::QueueEnds::<Runtime>::insert(kind, (head, end));
}

/// Fills, for block `due`, the claim and round deadline lists and the timeout and assignment
/// queues to their caps, with copies of the fuzz fixture's real jobs: job 0's claim (vanilla,
/// answered), job 1's drawn round (attested, nobody revealed: every member is slashed), job
/// 3 (vanilla, assigned, unanswered: its node is slashed and the job drawn again), and queued
/// copies of job 3 for the assignment hook.
fn fill_to_the_caps(due: BlockNumber) {
	type A = Runtime;
	// The rounds' claimant and the silent node of the timeouts: Bob, so that their slashes
	// leave Alice, the fixture's one inference node, eligible for the reassignments and draws.
	let bob = sp_keyring::Sr25519Keyring::Bob.to_account_id();
	let claim = pallet_attestations::Claims::<A>::get(job_subject(0)).expect("job 0's claim");
	for i in 0..<A as pallet_attestations::Config>::MaxClaimDeadlinesPerBlock::get() {
		let id = 1_000 + u64::from(i);
		copy_job(0, id, pallet_inference::Jobs::<A>::get(0).unwrap().status);
		let mut copy = claim.clone();
		copy.challenge_deadline = due;
		pallet_attestations::Claims::<A>::insert(job_subject(id), copy);
		pallet_attestations::ClaimDeadlines::<A>::try_append(due, job_subject(id)).unwrap();
	}
	let round = pallet_attestations::Rounds::<A>::get(job_subject(1)).expect("job 1's round");
	assert!(round.drawn(), "job 1's committee is drawn");
	for i in 0..<A as pallet_attestations::Config>::MaxDeadlinesPerBlock::get() {
		let id = 2_000 + u64::from(i);
		copy_job(1, id, pallet_inference::Jobs::<A>::get(1).unwrap().status);
		let mut copy = round.clone();
		copy.reveal_deadline = due;
		copy.audit = pallet_attestations::AuditStage::None;
		copy.claimant = bob.clone();
		for member in &copy.committee {
			pallet_attestations::Duties::<A>::insert(&member.account, job_subject(id), ());
		}
		pallet_attestations::Rounds::<A>::insert(job_subject(id), copy);
		pallet_attestations::Deadlines::<A>::try_append(due, job_subject(id)).unwrap();
	}
	assert!(matches!(
		pallet_inference::Jobs::<A>::get(3).unwrap().status,
		JobStatus::Assigned { .. }
	));
	let node = bob;
	let timeouts: u32 = <A as pallet_inference::Config>::MaxQueuedPerBlock::get();
	let timeouts = u64::from(timeouts);
	for id in 3_000u64..3_000 + timeouts {
		let status: pallet_inference::JobStatusOf<Runtime> =
			JobStatus::Assigned { node: node.clone(), deadline: due, reassigned: false };
		copy_job(3, id, status);
		pallet_inference::Assignments::<A>::insert(&node, id, ());
	}
	queue(QueueKind::Timeouts, 3_000, timeouts, due);
	let assignments: u32 = <A as pallet_inference::Config>::MaxAssignmentsPerBlock::get();
	let assignments = u64::from(assignments);
	for id in 5_000u64..5_000 + assignments {
		copy_job(3, id, JobStatus::Queued { until: due + 10 });
	}
	queue(QueueKind::Assignments, 5_000, assignments, due);
}

/// A runtime test that fills every queue and list the attestations and inference hooks end
/// to its cap and runs the block's start through `Executive`: what it charges covers what it
/// took (natively here, in memory: the charge assumes ParityDB reads and writes, so this
/// catches work left uncharged, not a slow database), and it ended work in every queue.
#[test]
fn a_block_with_every_queue_and_list_full_runs_within_its_charge() {
	super::fuzz::fixture().ext().execute_with(|| {
		let due = System::block_number() + 1;
		fill_to_the_caps(due);
		let started = std::time::Instant::now();
		open_block();
		let took = started.elapsed();
		let charged = System::block_weight().total();
		println!(
			"a full block's start took {:.1} ms natively, charged {:.1} ms",
			took.as_secs_f64() * 1e3,
			millis(charged)
		);
		assert!(
			took.as_nanos().saturating_mul(1_000) <= u128::from(charged.ref_time()),
			"took {took:?}, charged {charged:?}"
		);
		// The deadline lists, full to their caps, all ended in their block; the queues ended
		// what their budgets let them and left the rest, in order.
		let count = |first: u64,
		             count: u64,
		             done: fn(&JobStatus<AccountId, BlockNumber>) -> bool| {
			(first..first + count)
				.filter(|id| {
					pallet_inference::Jobs::<Runtime>::get(id).is_some_and(|job| done(&job.status))
				})
				.count() as u64
		};
		let settled = |status: &JobStatus<AccountId, BlockNumber>| {
			!matches!(status, JobStatus::Accepted { .. } | JobStatus::Verifying { .. })
		};
		let (claims, rounds, timeouts_cap, assignments_cap) = caps();
		let ended_claims = count(1_000, claims, settled);
		let ended_rounds = count(2_000, rounds, settled);
		let timeouts = count(3_000, timeouts_cap, |status| {
			!matches!(status, JobStatus::Assigned { reassigned: false, .. })
		});
		let assigned =
			count(5_000, assignments_cap, |status| !matches!(status, JobStatus::Queued { .. }));
		println!(
			"ended {ended_rounds} rounds and {ended_claims} claims, {timeouts} timeouts, \
			 {assigned} assignments"
		);
		// Every round ended in its block, its cursor past it; the claims (listed beyond what a
		// budget ends in one block) ended as far as the budget reached, and the rest wait at
		// their own cursor.
		assert_eq!(ended_rounds, rounds, "a round deadline ended late");
		assert_eq!(pallet_attestations::DueFrom::<Runtime>::get(), due + 1);
		assert!(ended_claims > 0, "no claim ended");
		let waiting = pallet_attestations::ClaimDeadlines::<Runtime>::get(due).len() as u64;
		assert_eq!(ended_claims + waiting, claims, "every claim ended or still listed");
		let claims_due_from = pallet_attestations::ClaimsDueFrom::<Runtime>::get();
		assert_eq!(claims_due_from, if waiting > 0 { due } else { due + 1 });
		assert!(timeouts > 0 && assigned > 0, "a queue's hook ended nothing");
		assert!(timeouts < timeouts_cap && assigned < assignments_cap, "the budgets should stop");
		let (head, _) = pallet_inference::QueueEnds::<Runtime>::get(QueueKind::Timeouts);
		assert!(pallet_inference::Queue::<Runtime>::get(QueueKind::Timeouts, head).is_some());
		assert!(charged.all_lte(configs::RuntimeBlockWeights::get().max_block));
	});
}
