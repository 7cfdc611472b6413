//! The offchain worker's ceremony duties: a drawn node whose role key is in this node's keystore
//! contributes in its turn and uploads its key state; a drawn attester checks the final key and
//! answers. Nobody has to run a tool for a node to do its part (the ceremony's open phase stays
//! the place for people: `scripts/zk-ceremony.sh`).
//!
//! The heavy work runs in the node's prover (`opg_zk_prover::contribute`, `check_key`), with
//! the node's own randomness: the contribution's secret never reaches the runtime or the disk.
//! Its result waits in the node's local storage, so a transaction the pool dropped is sent
//! again with the same contribution, and two overlapping worker runs never contribute twice.

use codec::{Decode, Encode};
use frame_system::offchain::SubmitTransaction;
use opg_primitives::{
	attestation::{signing_message, NodeKey, SignedStatement},
	inference::{ContributionRequest, KeyCheckRequest, KeyVerdict, MadeContribution},
	model::chunk_storage_key,
};
use sp_runtime::{offchain::storage::StorageValueRef, RuntimeAppPublic, SaturatedConversion};

use super::*;

/// Blocks before a transaction the chain has not taken yet is sent again: the pool may drop
/// one silently, and a copy of one it holds is refused by its tag.
const RESEND_AFTER: u32 = 3;

/// Blocks after which work another worker run began and never finished (the node stopped) is
/// begun again: more than the slowest contribution or key check takes here (seconds to
/// minutes; a run slower than this could overlap a second one).
const ABANDONED_AFTER: u32 = 50;

/// Blocks before work that failed (the head's state or the ptau file missing here) is tried
/// again: the operator may have fixed it, and trying every block would load the node for
/// nothing.
const RETRY_AFTER: u32 = 10;

/// Chunks of a key state sent per run: at most a block's worth, the rest in later runs.
const CHUNKS_PER_RUN: u32 = 48;

/// A duty's work in this node's local storage (a contribution, an attester's verdict).
#[derive(Clone, Encode, Decode)]
enum Duty<V> {
	/// A worker run is doing it (since this block).
	Working(u32),
	/// Done; its transaction last sent in this block.
	Done(V, u32),
	/// It failed in this block (the log says why).
	Failed(u32),
}

/// What a duty's record says the worker does now.
enum Next<V> {
	/// Nothing: another run works on it, or its transaction was sent moments ago.
	Wait,
	/// Send its transaction again with what was done before.
	Resend(V),
	/// Do the work: this run claimed it (two overlapping runs do not both do it, so a drawn
	/// node does not contribute with two secrets, nor check a key twice at once).
	Start,
}

fn next_step<V: Encode + Decode>(local: &StorageValueRef, block: u32) -> Next<V> {
	let recent = |since: u32, period: u32| block.saturating_sub(since) < period;
	match local.get::<Duty<V>>().ok().flatten() {
		Some(Duty::Done(_, sent_at)) if recent(sent_at, RESEND_AFTER) => Next::Wait,
		Some(Duty::Done(done, _)) => Next::Resend(done),
		Some(Duty::Working(since)) if recent(since, ABANDONED_AFTER) => Next::Wait,
		Some(Duty::Failed(at)) if recent(at, RETRY_AFTER) => Next::Wait,
		_ => {
			let claimed = local.mutate(|stored: Result<Option<Duty<V>>, _>| match stored {
				Ok(Some(Duty::Done(..))) => Err(()),
				Ok(Some(Duty::Working(since))) if recent(since, ABANDONED_AFTER) => Err(()),
				Ok(Some(Duty::Failed(at))) if recent(at, RETRY_AFTER) => Err(()),
				_ => Ok(Duty::Working(block)),
			});
			if claimed.is_ok() {
				Next::Start
			} else {
				Next::Wait
			}
		}
	}
}

/// A key state's upload in this node's local storage.
#[derive(Clone, Encode, Decode)]
enum UploadDuty {
	/// First seen in this block; its chunks go from the next one. They carry no signature, so
	/// a chunk sent again is the same bytes, which the pool refuses for half an hour once one
	/// of its views found it invalid: a chunk sent in the block whose contribution opened the
	/// upload could reach the view of the block before (no upload yet) and be refused for good.
	Seen(u32),
	/// The next chunk the chain wanted when this node last sent, and the block it sent in.
	Sent { next: u32, sent_at: u32 },
}

fn duty_key(what: &[u8], id: CeremonyId, rest: impl Encode) -> Vec<u8> {
	(b"opg/zk-ceremony/", what, id, rest).encode()
}

fn submit<T: Config>(call: Call<T>, what: &str, id: CeremonyId) {
	let transaction = T::create_bare(call.into());
	if SubmitTransaction::<T, Call<T>>::submit_transaction(transaction).is_err() {
		log::warn!(target: "zk-ceremony", "the pool refused the {what} for {id:?}");
	} else {
		log::info!(target: "zk-ceremony", "sent the {what} for {id:?}");
	}
}

impl<T: Config> Pallet<T> {
	/// From the offchain worker: the duties of every drawn node and attester whose role key
	/// this node holds.
	pub(crate) fn perform_duties(now: BlockNumberFor<T>) {
		let local: Vec<(NodeKey, T::AccountId)> = NodeKey::all()
			.into_iter()
			.filter_map(|key| T::Nodes::node_of_key(&key).map(|node| (key, node)))
			.collect();
		if local.is_empty() {
			return;
		}
		let block: u32 = now.saturated_into();
		let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
		for (id, ceremony) in Ceremonies::<T>::iter() {
			match ceremony.phase {
				Phase::Drawn => {
					let Some((key, node)) =
						local.iter().find(|(_, node)| Self::has_turn(&ceremony, node, now))
					else {
						continue;
					};
					match &ceremony.upload {
						None => Self::contribute_duty(id, &ceremony, key, node, &genesis, block),
						Some(upload)
							if upload
								.contribution
								.as_ref()
								.is_some_and(|pending| pending.author == *node) =>
						{
							Self::upload_duty(id, upload, block)
						}
						Some(_) => (),
					}
				}
				Phase::Attesting => {
					for (attester, approved) in &ceremony.attesters {
						if *approved {
							continue;
						}
						if let Some((key, _)) = local.iter().find(|(_, node)| node == attester) {
							Self::attest_duty(id, &ceremony, key, attester, &genesis, block);
						}
					}
				}
				Phase::Open => (),
			}
		}
	}

	/// Makes (once) and sends the drawn `node`'s contribution on the head.
	fn contribute_duty(
		id: CeremonyId,
		ceremony: &Ceremony<T>,
		key: &NodeKey,
		node: &T::AccountId,
		genesis: &T::Hash,
		block: u32,
	) {
		let (model, version) = id;
		let index = ceremony.contributions;
		let storage = duty_key(b"contribution", id, (index, ceremony.head, node));
		let local = StorageValueRef::persistent(&storage);
		let made = match next_step::<MadeContribution>(&local, block) {
			Next::Wait => return,
			Next::Resend(made) => made,
			Next::Start => {
				let context = opg_zk::ceremony::contribution_context(
					&Self::genesis_hash(),
					model,
					version,
					index,
					&node.encode(),
					ceremony.head.as_fixed_bytes(),
				);
				let request = ContributionRequest {
					head: ceremony.head,
					context,
					delta_g1: ceremony.delta_g1.to_vec(),
					delta_g2: ceremony.delta_g2.to_vec(),
				};
				match opg_primitives::inference::opg_zk_prover::contribute(request) {
					Ok(made) => made,
					Err(error) => {
						log::warn!(
							target: "zk-ceremony",
							"{node:?} cannot contribute to {id:?} on {:?}: {error:?}",
							ceremony.head
						);
						local.set(&Duty::<MadeContribution>::Failed(block));
						return;
					}
				}
			}
		};
		let (Ok(contribution), Ok(chunk_hashes)) = (
			EncodedContribution::try_from(made.contribution.clone()),
			StateChunkHashes::<T>::try_from(made.chunk_hashes.clone()),
		) else {
			log::warn!(target: "zk-ceremony", "the prover's contribution to {id:?} is out of bounds");
			local.set(&Duty::<MadeContribution>::Failed(block));
			return;
		};
		let statement: SignedStatement<'_, T::AccountId, BlockNumberFor<T>> =
			SignedStatement::CeremonyContribution {
				model: &model,
				version: &version,
				index: &index,
				head: &ceremony.head,
				contribution: &contribution,
				state: &made.state_hash,
			};
		let Some(signature) = key.sign(&signing_message(genesis, &statement)) else {
			log::warn!(target: "zk-ceremony", "role key {key:?} could not sign for {id:?}");
			return;
		};
		let state_size = made.state_size;
		local.set(&Duty::Done(made, block));
		submit::<T>(
			Call::contribute_as_node {
				model,
				version,
				node: node.clone(),
				head: ceremony.head,
				contribution,
				state_size,
				chunk_hashes,
				signature,
			},
			"drawn contribution",
			id,
		);
	}

	/// Sends the chunks of this node's contribution's state the chain has not taken yet, from
	/// its local storage (where the prover put them).
	fn upload_duty(id: CeremonyId, upload: &StateUpload<T::AccountId>, block: u32) {
		let storage = duty_key(b"upload", id, upload.state_hash);
		let local = StorageValueRef::persistent(&storage);
		match local.get::<UploadDuty>().ok().flatten() {
			None => return local.set(&UploadDuty::Seen(block)),
			Some(UploadDuty::Seen(seen)) if seen >= block => return,
			Some(UploadDuty::Sent { next, sent_at })
				if next == upload.next && block.saturating_sub(sent_at) < RESEND_AFTER =>
			{
				return
			}
			Some(_) => (),
		}
		local.set(&UploadDuty::Sent { next: upload.next, sent_at: block });
		let (model, version) = id;
		let last = upload.chunks.min(upload.next.saturating_add(CHUNKS_PER_RUN));
		for index in upload.next..last {
			let chunk = sp_io::offchain::local_storage_get(
				sp_core::offchain::StorageKind::PERSISTENT,
				&chunk_storage_key(&upload.state_hash, index),
			);
			let Some(chunk) = chunk.and_then(|bytes| StateChunk::try_from(bytes).ok()) else {
				log::warn!(
					target: "zk-ceremony",
					"chunk {index} of this node's state {:?} is gone from its storage",
					upload.state_hash
				);
				return;
			};
			let call = Call::upload_state { model, version, index, chunk };
			let transaction = T::create_bare(call.into());
			if SubmitTransaction::<T, Call<T>>::submit_transaction(transaction).is_err() {
				log::debug!(target: "zk-ceremony", "the pool refused chunk {index} for {id:?}");
			}
		}
		log::info!(
			target: "zk-ceremony",
			"sent chunks {}..{last} of {} of the drawn state for {id:?}",
			upload.next,
			upload.chunks
		);
	}

	/// Checks the final key (once) and sends the attester's answer.
	fn attest_duty(
		id: CeremonyId,
		ceremony: &Ceremony<T>,
		key: &NodeKey,
		node: &T::AccountId,
		genesis: &T::Hash,
		block: u32,
	) {
		let (model, version) = id;
		let storage = duty_key(b"attestation", id, (ceremony.head, node));
		let local = StorageValueRef::persistent(&storage);
		let approve = match next_step::<bool>(&local, block) {
			Next::Wait => return,
			Next::Resend(approve) => approve,
			Next::Start => {
				let verdict = T::Keys::key_check_inputs(model, version)
					.ok_or(opg_primitives::inference::ProverError::Unavailable)
					.and_then(|inputs| {
						opg_primitives::inference::opg_zk_prover::check_key(KeyCheckRequest {
							model: inputs.model,
							ptau_hashes: inputs.ptau_hashes,
							vk_hash: ceremony.vk_hash,
							constraints: inputs.constraints,
							key: ceremony.head,
							delta_g1: ceremony.delta_g1.to_vec(),
							delta_g2: ceremony.delta_g2.to_vec(),
						})
					});
				match verdict {
					Ok(KeyVerdict::Approve) => true,
					Ok(KeyVerdict::Reject(why)) => {
						log::warn!(
							target: "zk-ceremony",
							"{node:?} rejects the key of {id:?}: {}",
							alloc::string::String::from_utf8_lossy(&why)
						);
						false
					}
					Err(error) => {
						log::warn!(
							target: "zk-ceremony",
							"{node:?} cannot check the key of {id:?}: {error:?}"
						);
						local.set(&Duty::<bool>::Failed(block));
						return;
					}
				}
			}
		};
		let statement: SignedStatement<'_, T::AccountId, BlockNumberFor<T>> =
			SignedStatement::CeremonyAttestation {
				model: &model,
				version: &version,
				vk_hash: &ceremony.vk_hash,
				head: &ceremony.head,
				approve: &approve,
			};
		let Some(signature) = key.sign(&signing_message(genesis, &statement)) else {
			log::warn!(target: "zk-ceremony", "role key {key:?} could not sign for {id:?}");
			return;
		};
		local.set(&Duty::Done(approve, block));
		submit::<T>(
			Call::attest_as_node {
				model,
				version,
				node: node.clone(),
				vk_hash: ceremony.vk_hash,
				head: ceremony.head,
				approve,
				signature,
			},
			"attestation",
			id,
		);
	}
}
