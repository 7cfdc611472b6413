//! Verification that cannot be faked cheaply, through `Executive` on real blocks: an attested
//! job answered by commitment and decided on full reveals (a lazy member loses, the output is
//! public only once decided), a vanilla claim with a corrupted output challenged by its
//! requester and overturned once its verdict's appeal window ends, and the dispute with an
//! appeal: a lazy first committee's verdict overturned by an appeal committee twice its size.

use super::{
	draws::{input, nodes_ext, NODES},
	governance::{close_block, open_block, run_to_block, send, uploaded_model_with},
	*,
};
use frame_system::offchain::CreateBare;
use opg_primitives::attestation::NodeKeySignature;
use opg_primitives::{
	attestation::{commitment_of, revealed_hash, signing_message, SignedStatement},
	inference::{
		job_signing_message, job_subject, output_hash, FixedPoint, JobStatement, JobStatus, Tensor,
		TensorValues, Tensors, Tolerance,
	},
	model::{InferenceMode, ModeSet},
};
use sp_runtime::{traits::Dispatchable, DispatchResult};

/// A float model that runs in vanilla and attested mode, agreeing within 0.001.
fn attested_ext() -> sp_io::TestExternalities {
	nodes_ext(|| {
		uploaded_model_with(|version| {
			version.modes = ModeSet { vanilla: true, attested: true, zk: false };
			version.tolerance = Tolerance { absolute_e9: 1_000_000, relative: Default::default() };
		})
	})
}

/// An output `y` of four values, in thousandths.
fn output(values: [i128; 4]) -> Tensors {
	let values = values.iter().map(|v| FixedPoint { value: *v, decimals: 3 }).collect::<Vec<_>>();
	vec![Tensor {
		name: b"y".to_vec().try_into().unwrap(),
		shape: vec![4].try_into().unwrap(),
		values: TensorValues::Numbers(values.try_into().unwrap()),
	}]
	.try_into()
	.unwrap()
}

fn keyring_of(who: &AccountId) -> Sr25519Keyring {
	*NODES.iter().find(|k| k.to_account_id() == *who).expect("a dev node")
}

fn genesis() -> Hash {
	System::block_hash(0)
}

/// Applies `call`, which authorizes itself, as a bare transaction (as an offchain worker
/// sends it).
fn send_bare(call: RuntimeCall) -> DispatchResult {
	let xt = <Runtime as CreateBare<RuntimeCall>>::create_bare(call);
	Executive::apply_extrinsic(xt).expect("the transaction is valid")
}

/// Dave requests `mode` inference in its own block; the next block draws the node. Returns the
/// job and its node (the next block left open).
fn requested(mode: InferenceMode) -> (u64, AccountId) {
	open_block();
	let job = pallet_inference::NextJobId::<Runtime>::get();
	let request = pallet_inference::Call::request {
		model: 0,
		version: None,
		input: input(),
		mode,
		max_fee: 10 * OPG,
	};
	assert_eq!(send(Sr25519Keyring::Dave, RuntimeCall::Inference(request)), Ok(()));
	close_block();
	open_block();
	(job, Inference::assignee(job).expect("a node is drawn"))
}

/// `who`'s role-key signature of `statement` about `job`.
fn job_signature(
	job: u64,
	who: &AccountId,
	statement: JobStatement<AccountId>,
) -> NodeKeySignature {
	let input_hash = pallet_inference::Jobs::<Runtime>::get(job).unwrap().input_hash;
	let message = job_signing_message(&genesis(), &input_hash, &statement);
	keyring_of(who).sign(&message).into()
}

fn salt(who: &AccountId) -> [u8; 32] {
	sp_io::hashing::blake2_256(who.as_ref())
}

/// `node` answers attested `job` with its commitment to `bytes` (signed with its role key, as
/// its offchain worker signs it).
fn commit_answer(job: u64, node: &AccountId, bytes: &[u8]) -> DispatchResult {
	let subject = job_subject(job);
	let input_hash = pallet_inference::Jobs::<Runtime>::get(job).unwrap().input_hash;
	let commitment = commitment_of(&subject, &input_hash, node, &revealed_hash(bytes), &salt(node));
	let signature =
		job_signature(job, node, JobStatement::Commitment { job, node: node.clone(), commitment });
	send_bare(RuntimeCall::Inference(pallet_inference::Call::submit_commitment {
		job,
		node: node.clone(),
		commitment,
		signature,
	}))
}

/// `who` commits to `bytes` in `job`'s round.
fn commit(job: u64, who: &AccountId, bytes: &[u8]) -> DispatchResult {
	let subject = job_subject(job);
	let round = pallet_attestations::Rounds::<Runtime>::get(subject).unwrap();
	let commitment =
		commitment_of(&subject, &round.context, who, &revealed_hash(bytes), &salt(who));
	let statement = SignedStatement::Commit {
		subject: &subject,
		round: &round.opened_at,
		claim: &round.claim,
		context: &round.context,
		member: who,
		commitment: &commitment,
	};
	let signature = keyring_of(who).sign(&signing_message(&genesis(), &statement)).into();
	send_bare(RuntimeCall::Attestations(pallet_attestations::Call::commit {
		subject,
		member: who.clone(),
		commitment,
		signature,
	}))
}

/// `who` reveals `bytes` in `job`'s round.
fn reveal(job: u64, who: &AccountId, bytes: &[u8]) -> DispatchResult {
	let subject = job_subject(job);
	let round = pallet_attestations::Rounds::<Runtime>::get(subject).unwrap();
	let salt = salt(who);
	let statement = SignedStatement::Reveal {
		subject: &subject,
		round: &round.opened_at,
		claim: &round.claim,
		context: &round.context,
		member: who,
		output: &revealed_hash(bytes),
		salt: &salt,
	};
	let signature = keyring_of(who).sign(&signing_message(&genesis(), &statement)).into();
	send_bare(RuntimeCall::Attestations(pallet_attestations::Call::reveal {
		subject,
		member: who.clone(),
		output: bytes.to_vec().try_into().unwrap(),
		salt,
		signature,
	}))
}

/// The bond `who` holds in the node registry.
fn bond(who: &AccountId) -> Balance {
	pallet_nodes::Nodes::<Runtime>::get(who).map(|node| node.bonded).unwrap_or_default()
}

fn inference_events() -> Vec<pallet_inference::Event<Runtime>> {
	System::events()
		.into_iter()
		.filter_map(|record| match record.event {
			RuntimeEvent::Inference(event) => Some(event),
			_ => None,
		})
		.collect()
}

#[test]
fn an_attested_job_is_decided_on_full_reveals_and_a_lazy_member_loses() {
	attested_ext().execute_with(|| {
		let (job, node) = requested(InferenceMode::Attested);
		let truth = output([1_000, 2_000, 3_000, 4_000]).encode();
		// The node commits: nothing of its output is on chain.
		let subject = job_subject(job);
		assert_eq!(commit_answer(job, &node, &truth), Ok(()));
		assert!(pallet_inference::Outputs::<Runtime>::get(job).is_none());
		assert!(Inference::job_view(job).unwrap().output.is_none());
		assert!(!inference_events()
			.iter()
			.any(|e| matches!(e, pallet_inference::Event::ResultSubmitted { .. })));
		close_block();

		// The committee is drawn in the next block; two members re-execute (their floats differ
		// in the last digit, within the tolerance), one is lazy: it never ran the model and
		// the only thing it can copy is the node's commitment, which says nothing.
		open_block();
		let round = pallet_attestations::Rounds::<Runtime>::get(subject).unwrap();
		let committee: Vec<AccountId> =
			round.committee.iter().map(|member| member.account.clone()).collect();
		assert_eq!(committee.len(), 3);
		let (honest, lazy) = (&committee[..2], &committee[2]);
		let near = output([1_000, 2_000, 3_000, 4_001]).encode();
		let guess = output([0, 0, 0, 0]).encode();
		let outputs = [truth.clone(), near.clone()];
		for (member, bytes) in honest.iter().zip(&outputs) {
			assert_eq!(commit(job, member, bytes), Ok(()));
		}
		assert_eq!(commit(job, lazy, &guess), Ok(()));
		let lazy_bond = bond(lazy);
		close_block();

		// Every member committed: reveals are open. The last reveal decides the round.
		open_block();
		for (member, bytes) in honest.iter().zip(&outputs) {
			assert_eq!(reveal(job, member, bytes), Ok(()));
		}
		assert_eq!(reveal(job, lazy, &guess), Ok(()));
		assert!(Inference::job_view(job).unwrap().output.is_none(), "public only once decided");
		assert_eq!(reveal(job, &node, &truth), Ok(()));

		let record = pallet_inference::Jobs::<Runtime>::get(job).unwrap();
		assert!(matches!(record.status, JobStatus::Final { .. }), "{:?}", record.status);
		assert_eq!(Inference::output_of(job), Some(output([1_000, 2_000, 3_000, 4_000])));
		assert_eq!(record.output, Some(output_hash(&output([1_000, 2_000, 3_000, 4_000]))));
		let verified = inference_events().into_iter().find_map(|e| match e {
			pallet_inference::Event::ResultVerified { verifiers, .. } => Some(verifiers),
			_ => None,
		});
		assert_eq!(verified.as_deref(), Some(honest));
		assert!(bond(lazy) < lazy_bond, "the lazy member is slashed");
		assert!(pallet_attestations::RevealedOutputs::<Runtime>::iter().next().is_none());
		close_block();
	});
}

/// `node` answers vanilla `job` with a corrupted output (signed with its role key, as its
/// offchain worker would sign the right one); returns the output.
fn answer_corrupted(job: u64, node: &AccountId) -> Tensors {
	let corrupted = output([9_000, 9_000, 9_000, 9_000]);
	let signature = job_signature(
		job,
		node,
		JobStatement::Result { job, node: node.clone(), output: output_hash(&corrupted) },
	);
	let answer = pallet_inference::Call::submit_result {
		job,
		node: node.clone(),
		output: corrupted.clone(),
		signature,
	};
	assert_eq!(send_bare(RuntimeCall::Inference(answer)), Ok(()));
	corrupted
}

/// The node answers a vanilla job with a corrupted output, and the requester (Dave) challenges
/// it in the next block; returns the job, its node, the node's bond and Dave's free balance
/// before the challenge. The dispute's committee is drawn in the block left open.
fn corrupted_and_challenged() -> (u64, AccountId, Balance, Balance) {
	let (job, node) = requested(InferenceMode::Vanilla);
	answer_corrupted(job, &node);
	close_block();

	// The requester challenges its own job (Dave happens to be a node too: any account but
	// the node may challenge, and the committee never includes the challenger).
	open_block();
	let node_bond = bond(&node);
	let dave = Sr25519Keyring::Dave.to_account_id();
	let dave_before = Balances::free_balance(&dave);
	let challenge = pallet_attestations::Call::challenge { subject: job_subject(job) };
	assert_eq!(send(Sr25519Keyring::Dave, RuntimeCall::Attestations(challenge)), Ok(()));
	close_block();
	open_block();
	(job, node, node_bond, dave_before)
}

/// The committee of `job`'s round.
fn committee_of(job: u64) -> Vec<AccountId> {
	let round = pallet_attestations::Rounds::<Runtime>::get(job_subject(job)).unwrap();
	round.committee.iter().map(|member| member.account.clone()).collect()
}

/// What `who` holds for `reason`.
fn held(reason: RuntimeHoldReason, who: &AccountId) -> Balance {
	<Balances as frame_support::traits::fungible::InspectHold<_>>::balance_on_hold(&reason, who)
}

/// Everything Dave holds: challenge and appeal bonds, job fees.
fn dave_holds() -> Balance {
	let dave = Sr25519Keyring::Dave.to_account_id();
	held(pallet_attestations::HoldReason::ChallengeBond.into(), &dave)
		+ held(pallet_attestations::HoldReason::AppealBond.into(), &dave)
		+ held(pallet_inference::HoldReason::JobFee.into(), &dave)
}

/// `job` was refused by its final verdict: refunded, its node slashed.
fn assert_rejected(job: u64) {
	let record = pallet_inference::Jobs::<Runtime>::get(job).unwrap();
	assert!(
		matches!(
			record.status,
			JobStatus::Refunded { reason: opg_primitives::inference::RefundReason::Rejected, .. }
		),
		"{:?}",
		record.status
	);
}

#[test]
fn a_corrupted_vanilla_claim_challenged_by_its_requester_is_overturned() {
	attested_ext().execute_with(|| {
		let (job, node, node_bond, dave_before) = corrupted_and_challenged();
		let dave = Sr25519Keyring::Dave.to_account_id();
		let subject = job_subject(job);
		let committee = committee_of(job);
		assert!(!committee.contains(&node) && !committee.contains(&dave));
		let truth = output([1_000, 2_000, 3_000, 4_000]).encode();
		for member in &committee {
			assert_eq!(commit(job, member, &truth), Ok(()));
		}
		let committee_before: Vec<Balance> = committee.iter().map(Balances::free_balance).collect();
		close_block();
		open_block();
		for member in &committee {
			assert_eq!(reveal(job, member, &truth), Ok(()));
		}

		// The verdict is provisional: nothing moves during the appeal window.
		let verdict = pallet_attestations::Rounds::<Runtime>::get(subject)
			.and_then(|round| round.verdict)
			.expect("a provisional verdict");
		assert!(!verdict.claim_upheld);
		let record = pallet_inference::Jobs::<Runtime>::get(job).unwrap();
		assert!(matches!(record.status, JobStatus::Accepted { .. }), "{:?}", record.status);
		assert_eq!(bond(&node), node_bond);
		close_block();
		run_to_block(verdict.appeal_until - 1);
		assert!(pallet_attestations::Rounds::<Runtime>::contains_key(subject));
		run_to_block(verdict.appeal_until);

		assert_rejected(job);
		let record = pallet_inference::Jobs::<Runtime>::get(job).unwrap();
		assert!(bond(&node) < node_bond, "the node is slashed");
		let parameters = pallet_attestations::ActiveParameters::<Runtime>::get();
		let dave_after = Balances::free_balance(&dave);
		// Dave got its fee back and its bond less the committee's fee, and was paid from the
		// node's bond: it gains from a challenge that wins, fees of its transactions aside.
		let fee_back = record.fee.total;
		assert!(
			dave_after + parameters.dispute_fee > dave_before + fee_back,
			"the challenger is paid more than the dispute fee it paid"
		);
		for (member, before) in committee.iter().zip(committee_before) {
			assert!(Balances::free_balance(member) > before, "the committee is paid");
		}
		assert_eq!(dave_holds(), 0, "nothing of the requester's is held");
	});
}

/// The dispute with an appeal: the dispute committee (one member here, so that the six dev
/// nodes leave room for an appeal committee of two beside it, the node and the challenger)
/// upholds a corrupted vanilla claim by revealing the node's public output without running the
/// model. The requester, the verdict's loser, appeals with twice the challenge bond; the appeal
/// committee, drawn in the next block without the first member, reveals the right output. Its
/// verdict is final: the job is refunded, the node and the first member are slashed, the appeal
/// committee is paid, and the requester gets both its bonds back (less the dispute fee) and a
/// share of the node's slash.
#[test]
fn a_vanilla_dispute_is_appealed_and_the_appeal_committee_overturns_it() {
	attested_ext().execute_with(|| {
		let (job, node) = requested(InferenceMode::Vanilla);
		// One member per dispute committee: the appeal draws two (twice one) of the three dev
		// nodes left once the node, the challenger and the first member are excluded.
		let size = pallet_attestations::ParameterChange::CommitteeSize(1);
		let set =
			RuntimeCall::Attestations(pallet_attestations::Call::set_parameter { change: size });
		assert!(set.dispatch(RuntimeOrigin::root()).is_ok());
		let corrupted_bytes = answer_corrupted(job, &node).encode();
		close_block();
		open_block();
		let dave = Sr25519Keyring::Dave.to_account_id();
		let dave_before = Balances::free_balance(&dave);
		let challenge = pallet_attestations::Call::challenge { subject: job_subject(job) };
		assert_eq!(send(Sr25519Keyring::Dave, RuntimeCall::Attestations(challenge)), Ok(()));
		close_block();

		// The first committee, one lazy member, copies the public output.
		open_block();
		let subject = job_subject(job);
		let node_bond = bond(&node);
		let first = committee_of(job);
		assert_eq!(first.len(), 1);
		let lazy = first[0].clone();
		let lazy_bond = bond(&lazy);
		assert_eq!(commit(job, &lazy, &corrupted_bytes), Ok(()));
		close_block();
		open_block();
		assert_eq!(reveal(job, &lazy, &corrupted_bytes), Ok(()));
		let verdict = pallet_attestations::Rounds::<Runtime>::get(subject)
			.and_then(|round| round.verdict)
			.expect("a provisional verdict");
		assert!(verdict.claim_upheld, "the lazy member upheld the corrupted claim");
		let record = pallet_inference::Jobs::<Runtime>::get(job).unwrap();
		assert!(matches!(record.status, JobStatus::Accepted { .. }), "{:?}", record.status);

		// The node may not appeal a verdict it won; Dave, the loser, appeals.
		let appeal = || RuntimeCall::Attestations(pallet_attestations::Call::appeal { subject });
		let keyring = keyring_of(&node);
		assert_eq!(
			send(keyring, appeal()),
			Err(pallet_attestations::Error::<Runtime>::NotTheLoser.into())
		);
		assert_eq!(send(Sr25519Keyring::Dave, appeal()), Ok(()));
		let parameters = pallet_attestations::ActiveParameters::<Runtime>::get();
		let appeal_bond = 2 * parameters.challenge_bond;
		assert_eq!(held(pallet_attestations::HoldReason::AppealBond.into(), &dave), appeal_bond);
		assert_eq!(
			send(Sr25519Keyring::Dave, appeal()),
			Err(pallet_attestations::Error::<Runtime>::AlreadyAppealed.into())
		);
		close_block();

		// The appeal committee: twice the first, none of the first, the node or Dave.
		open_block();
		let appeal_committee = committee_of(job);
		assert_eq!(appeal_committee.len(), 2);
		assert!(appeal_committee.iter().all(|m| *m != lazy && *m != node && *m != dave));
		let truth = output([1_000, 2_000, 3_000, 4_000]).encode();
		for member in &appeal_committee {
			assert_eq!(commit(job, member, &truth), Ok(()));
		}
		let appeal_before: Vec<Balance> =
			appeal_committee.iter().map(Balances::free_balance).collect();
		close_block();
		open_block();
		for member in &appeal_committee {
			assert_eq!(reveal(job, member, &truth), Ok(()));
		}

		// Final at once: the claim fell.
		assert!(!pallet_attestations::Rounds::<Runtime>::contains_key(subject));
		assert_rejected(job);
		assert!(bond(&node) < node_bond, "the node is slashed");
		assert!(bond(&lazy) < lazy_bond, "the first committee's lazy member is slashed");
		for (member, before) in appeal_committee.iter().zip(appeal_before) {
			assert!(Balances::free_balance(member) > before, "the appeal committee is paid");
		}
		let events: Vec<_> = System::events().into_iter().map(|record| record.event).collect();
		assert!(events.contains(&RuntimeEvent::Attestations(
			pallet_attestations::Event::AppealBondReleased {
				appellant: dave.clone(),
				amount: appeal_bond
			}
		)));
		let record = pallet_inference::Jobs::<Runtime>::get(job).unwrap();
		let dave_after = Balances::free_balance(&dave);
		assert!(
			dave_after + parameters.dispute_fee > dave_before + record.fee.total,
			"the appellant is paid more than the dispute fee it paid"
		);
		assert_eq!(dave_holds(), 0, "nothing of the requester's is held");
		close_block();
	});
}

/// An audited attested job, through `Executive`: the node lies and both members of a committee
/// of two back it without running the model (a colluding quorum). Once they have committed, the
/// audit roll (every round, here) draws two auditors from the BABE randomness of the next
/// block; the auditors commit before anything is public, their output decides, the job is
/// refunded as rejected, and the node and the lazy pair are slashed.
#[test]
fn an_audit_overturns_a_lazy_quorum_and_slashes_it() {
	attested_ext().execute_with(|| {
		use pallet_attestations::{AuditStage, ParameterChange};
		for change in [
			ParameterChange::CommitteeSize(2),
			ParameterChange::AuditShare(sp_runtime::Perbill::one()),
		] {
			let call =
				RuntimeCall::Attestations(pallet_attestations::Call::set_parameter { change });
			assert!(call.dispatch(RuntimeOrigin::root()).is_ok());
		}
		let (job, node) = requested(InferenceMode::Attested);
		let truth = output([1_000, 2_000, 3_000, 4_000]).encode();
		let lie = output([9_000, 9_000, 9_000, 9_000]).encode();
		let subject = job_subject(job);
		assert_eq!(commit_answer(job, &node, &lie), Ok(()));
		close_block();

		open_block();
		let lazy = committee_of(job);
		assert_eq!(lazy.len(), 2);
		for member in &lazy {
			assert_eq!(commit(job, member, &lie), Ok(()));
		}
		let round = pallet_attestations::Rounds::<Runtime>::get(subject).unwrap();
		let roll_at = System::block_number() + 1;
		assert_eq!(round.audit, AuditStage::Pending { at: roll_at });
		// Nobody reveals before the roll.
		assert!(!round.reveals_open(System::block_number()));
		let bonds: Vec<Balance> = lazy.iter().chain([&node]).map(bond).collect();
		close_block();

		open_block();
		let round = pallet_attestations::Rounds::<Runtime>::get(subject).unwrap();
		assert_eq!(round.audit, AuditStage::Audited { from: 2, votes_needed: 2 });
		let auditors: Vec<AccountId> =
			round.committee[2..].iter().map(|member| member.account.clone()).collect();
		assert!(auditors.iter().all(|a| !lazy.contains(a) && *a != node));
		for auditor in &auditors {
			assert_eq!(commit(job, auditor, &truth), Ok(()));
		}
		close_block();

		open_block();
		assert_eq!(reveal(job, &node, &lie), Ok(()));
		for member in &lazy {
			assert_eq!(reveal(job, member, &lie), Ok(()));
		}
		for auditor in &auditors {
			assert_eq!(reveal(job, auditor, &truth), Ok(()));
		}
		assert_rejected(job);
		assert!(Inference::output_of(job).is_none(), "the lie is never published");
		for (who, before) in lazy.iter().chain([&node]).zip(bonds) {
			assert!(bond(who) < before, "{who:?} is slashed");
		}
		assert!(pallet_attestations::Duties::<Runtime>::iter().next().is_none());
		close_block();
	});
}
