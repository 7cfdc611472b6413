//! The offchain worker's duties: for each round in which a node whose role key is in this
//! node's keystore takes part, re-execute the subject and commit (a committee member), then
//! reveal (a member, or the claimant of a verification round).

use frame_system::offchain::SubmitTransaction;
use opg_primitives::attestation::{
	duty_storage_key, revealed_hash, signing_message, DutyRecord, NodeKey,
};
use sp_runtime::{offchain::storage::StorageValueRef, RuntimeAppPublic, SaturatedConversion};

use super::*;

/// Rounds handled per local key and run: re-execution takes real time, the rest wait for the
/// next block.
const DUTIES_PER_RUN: usize = 8;

/// Blocks before the same transaction is sent again: soon, since the pool may drop one silently
/// (see the inference pallet's offchain worker), and a late copy is refused by its tag.
const RESEND_AFTER: u32 = 2;

impl<T: Config> Pallet<T> {
	/// From the offchain worker: for each round in which a local role key's node sits on the
	/// committee, has [`Config::Outputs`] run the subject from its input alone and commits to
	/// what it returns, then reveals the output once the reveal phase opens; for each
	/// verification round it claims in, reveals the output its answer committed to. The output
	/// and salt wait in the node's local storage under [`duty_storage_key`], which names the
	/// claim and the subject's context, so after a reorg a round about another request never
	/// reuses them; a transaction that did not land is sent again after a few blocks with the
	/// same output and salt.
	pub(crate) fn perform_duties(now: BlockNumberFor<T>) {
		let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
		let block: u32 = now.saturated_into();
		for key in NodeKey::all() {
			let Some(member) = T::Nodes::node_of_key(&key) else { continue };
			for subject in Duties::<T>::iter_key_prefix(&member).take(DUTIES_PER_RUN) {
				let Some(round) = Rounds::<T>::get(subject) else { continue };
				let seat = match round.member(&member) {
					Some((_, slot)) => (slot.commitment.is_some(), slot.revealed.is_some()),
					None if round.claimant == member => (true, round.claimant_output.is_some()),
					None => continue,
				};
				let storage_key = duty_storage_key(&subject, &round.claim, &round.context, &member);
				let local = StorageValueRef::persistent(&storage_key);
				let kept = local.get::<DutyRecord>().ok().flatten();
				let recently_sent = |phase: u8| {
					kept.as_ref().is_some_and(|record| {
						record.phase == phase && block.saturating_sub(record.sent_at) < RESEND_AFTER
					})
				};
				let reveal_open = round.reveals_open(now);
				let (record, phase) = match seat {
					(false, _) if now < round.commit_deadline && !recently_sent(0) => match kept {
						Some(record) => (record, 0),
						None => {
							let Some(output) = T::Outputs::reexecute(subject) else { continue };
							// Two overlapping worker runs must not commit with two salts: the
							// first to store its salt commits, the other stands down.
							let fresh = DutyRecord {
								output,
								salt: sp_io::offchain::random_seed(),
								phase: 0,
								sent_at: block,
							};
							let stored =
								local.mutate(|kept: Result<Option<DutyRecord>, _>| match kept {
									Ok(None) => Ok(fresh.clone()),
									_ => Err(()),
								});
							if stored.is_err() {
								continue;
							}
							(fresh, 0)
						}
					},
					(true, false)
						if reveal_open && now < round.reveal_deadline && !recently_sent(1) =>
					{
						let Some(record) = kept else { continue };
						(record, 1)
					}
					_ => continue,
				};
				let Some(call) =
					Self::duty_call(&genesis, &key, subject, &round, &member, &record, phase)
				else {
					log::warn!(target: "attestations", "role key {key:?} could not sign for {subject:?}");
					continue;
				};
				local.set(&DutyRecord { phase, sent_at: block, ..record });
				let what = if phase == 0 { "commitment" } else { "reveal" };
				let transaction = T::create_bare(call.into());
				if SubmitTransaction::<T, Call<T>>::submit_transaction(transaction).is_err() {
					log::warn!(target: "attestations", "the {what} of {member:?} for {subject:?} was not accepted by the pool");
				} else {
					log::info!(target: "attestations", "sent the {what} of {member:?} for {subject:?}");
				}
			}
		}
	}

	/// The signed commitment (`phase` 0) or reveal (1) of `record` by `member` in `subject`'s
	/// round; `None` when the key cannot sign or the output exceeds the bound.
	pub(crate) fn duty_call(
		genesis: &T::Hash,
		key: &NodeKey,
		subject: SubjectId,
		round: &RoundOf<T>,
		member: &T::AccountId,
		record: &DutyRecord,
		phase: u8,
	) -> Option<Call<T>> {
		let output = revealed_hash(&record.output);
		if phase == 0 {
			let commitment = commitment_of(&subject, &round.context, member, &output, &record.salt);
			let statement = SignedStatement::Commit {
				subject: &subject,
				round: &round.opened_at,
				claim: &round.claim,
				context: &round.context,
				member,
				commitment: &commitment,
			};
			let signature = key.sign(&signing_message(genesis, &statement))?;
			return Some(Call::commit { subject, member: member.clone(), commitment, signature });
		}
		let statement = SignedStatement::Reveal {
			subject: &subject,
			round: &round.opened_at,
			claim: &round.claim,
			context: &round.context,
			member,
			output: &output,
			salt: &record.salt,
		};
		let signature = key.sign(&signing_message(genesis, &statement))?;
		let bytes = RevealedOutput::<T>::try_from(record.output.clone()).ok()?;
		Some(Call::reveal {
			subject,
			member: member.clone(),
			output: bytes,
			salt: record.salt,
			signature,
		})
	}
}
