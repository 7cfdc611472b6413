//! The offchain worker's duties: for each round in which a node whose role key is in this
//! node's keystore sits on the committee, re-execute the subject, commit, then reveal.

use codec::Encode;
use frame_system::offchain::SubmitTransaction;
use opg_primitives::attestation::{signing_message, NodeKey};
use sp_runtime::{RuntimeAppPublic, SaturatedConversion};

use super::*;

impl<T: Config> Pallet<T> {
	/// From the offchain worker: for each round in which a local role key's node sits on the
	/// committee, has [`Config::Reexecute`] run the subject and commits to what it returns,
	/// then reveals it once the reveal phase opens. The output and salt wait in the node's local
	/// storage between the two; a transaction that did not land is sent again after a few
	/// blocks with the same output and salt.
	pub(crate) fn perform_duties(now: BlockNumberFor<T>) {
		use sp_runtime::offchain::storage::StorageValueRef;
		/// Rounds handled per local key and run: re-execution takes real time, the rest wait
		/// for the next block.
		const DUTIES_PER_RUN: usize = 8;
		/// Blocks before the same transaction is sent again: soon, since the pool may drop one
		/// silently (see the inference pallet's offchain worker), and a late copy is refused by
		/// its tag.
		const RESEND_AFTER: u32 = 2;
		let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
		let block: u32 = now.saturated_into();
		for key in NodeKey::all() {
			let Some(member) = T::Nodes::node_of_key(&key) else { continue };
			for subject in Duties::<T>::iter_key_prefix(&member).take(DUTIES_PER_RUN) {
				let Some(round) = Rounds::<T>::get(subject) else { continue };
				let Some((_, slot)) = round.member(&member) else { continue };
				let storage_key =
					(b"opg/attestations/duty/", subject, round.opened_at, &member).encode();
				let local = StorageValueRef::persistent(&storage_key);
				// (output, salt, phase of the last transaction sent: 0 commit, 1 reveal, its block)
				let kept = local.get::<(OutputHash, [u8; 32], u8, u32)>().ok().flatten();
				let recently_sent = |phase: u8| {
					kept.is_some_and(|(_, _, sent, at)| {
						sent == phase && block.saturating_sub(at) < RESEND_AFTER
					})
				};
				let (output, salt, phase) = match (slot.commitment, slot.revealed) {
					(None, _) if now < round.commit_deadline && !recently_sent(0) => match kept {
						Some((output, salt, ..)) => (output, salt, 0),
						None => {
							let Some(output) = T::Reexecute::reexecute(subject, round.claimed)
							else {
								continue;
							};
							// Two overlapping worker runs must not commit with two salts: the
							// first to store its salt commits, the other stands down.
							let fresh = (output, sp_io::offchain::random_seed(), 0u8, block);
							let stored = local.mutate(
								|kept: Result<Option<(OutputHash, [u8; 32], u8, u32)>, _>| {
									match kept {
										Ok(None) => Ok(fresh),
										_ => Err(()),
									}
								},
							);
							if stored.is_err() {
								continue;
							}
							(fresh.0, fresh.1, 0)
						}
					},
					(Some(_), None)
						if (now >= round.commit_deadline || round.all_committed())
							&& !recently_sent(1) =>
					{
						let Some((output, salt, ..)) = kept else { continue };
						(output, salt, 1)
					}
					_ => continue,
				};
				let round_at = &round.opened_at;
				let (statement, call) = if phase == 0 {
					let commitment = commitment_of(&subject, round_at, &member, &output, &salt);
					let statement = SignedStatement::Commit {
						subject: &subject,
						round: round_at,
						member: &member,
						commitment: &commitment,
					};
					(signing_message(&genesis, &statement), Some(commitment))
				} else {
					let statement = SignedStatement::Reveal {
						subject: &subject,
						round: round_at,
						member: &member,
						output: &output,
						salt: &salt,
					};
					(signing_message(&genesis, &statement), None)
				};
				let Some(signature) = key.sign(&statement) else {
					log::warn!(target: "attestations", "role key {key:?} could not sign for {subject:?}");
					continue;
				};
				local.set(&(output, salt, phase, block));
				let call = match call {
					Some(commitment) => {
						Call::commit { subject, member: member.clone(), commitment, signature }
					}
					None => {
						Call::reveal { subject, member: member.clone(), output, salt, signature }
					}
				};
				let what = if phase == 0 { "commitment" } else { "reveal" };
				let transaction = T::create_authorized_transaction(call.into());
				if SubmitTransaction::<T, Call<T>>::submit_transaction(transaction).is_err() {
					log::warn!(target: "attestations", "the {what} of {member:?} for {subject:?} was not accepted by the pool");
				} else {
					log::info!(target: "attestations", "sent the {what} of {member:?} for {subject:?}");
				}
			}
		}
	}
}
