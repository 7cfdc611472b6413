//! The offchain worker's duties: re-executing, committing and revealing for a local committee
//! member.

// Tests may panic: a panic is a failed test.
#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects,
	clippy::panic
)]

use super::*;
use frame_support::{
	pallet_prelude::TransactionSource,
	traits::{Authorize, Hooks},
};

#[test]
fn the_offchain_worker_commits_and_reveals_for_a_local_committee_member() {
	use sp_core::offchain::{testing, OffchainDbExt, OffchainWorkerExt, TransactionPoolExt};
	use sp_keystore::{testing::MemoryKeystore, Keystore, KeystoreExt};

	let mut ext = network().build();
	let (offchain, _) = testing::TestOffchainExt::new();
	let (pool, pool_state) = testing::TestTransactionPoolExt::new();
	ext.register_extension(OffchainWorkerExt::new(offchain.clone()));
	ext.register_extension(OffchainDbExt::new(offchain));
	ext.register_extension(TransactionPoolExt::new(pool));
	let keystore = std::sync::Arc::new(MemoryKeystore::new());
	ext.register_extension(KeystoreExt(keystore.clone()));
	ext.execute_with(|| {
		let committee = open_round();
		let (ours, others) = (committee[0], &committee[1..]);
		keystore
			.sr25519_generate_new(
				opg_primitives::attestation::NODE_KEY_TYPE,
				Some(&format!("//node{ours}")),
			)
			.unwrap();
		// A key in the keystore that belongs to no node: its worker has nothing to do.
		keystore
			.sr25519_generate_new(opg_primitives::attestation::NODE_KEY_TYPE, Some("//stranger"))
			.unwrap();
		// The round duties sent since the last look.
		let duty_calls = || {
			let sent = core::mem::take(&mut pool_state.write().transactions);
			sent.into_iter()
				.filter_map(|bytes| {
					let extrinsic = frame_system::mocking::MockUncheckedExtrinsic::<Test>::decode(
						&mut &bytes[..],
					)
					.unwrap();
					let RuntimeCall::Attestations(call) = extrinsic.function else {
						panic!("not ours")
					};
					assert!(call.authorize(TransactionSource::Local).unwrap().is_ok());
					matches!(call, Call::commit { .. } | Call::reveal { .. }).then_some(call)
				})
				.collect::<Vec<_>>()
		};
		let take_call = || {
			let mut calls = duty_calls();
			assert_eq!(calls.len(), 1, "one duty was sent");
			calls.remove(0)
		};
		assert_eq!(Duties::<Test>::iter_key_prefix(ours).collect::<Vec<_>>(), vec![subject(1)]);

		// A verifier that cannot re-execute sends nothing.
		Attestations::offchain_worker(2);
		assert!(duty_calls().is_empty());

		Reexecuted::set(Some(output(1)));
		Attestations::offchain_worker(2);
		let Call::commit { subject: s, member, commitment, signature } = take_call() else {
			panic!("not a commitment")
		};
		assert_eq!((s, member), (subject(1), ours));
		// Sent: not again in the next block.
		Attestations::offchain_worker(3);
		assert!(duty_calls().is_empty());
		assert_ok!(Attestations::commit(authorized(), s, member, commitment, signature));
		for member in others {
			assert_ok!(commit(subject(1), *member, output(1)));
		}

		// Everyone committed: the reveal phase is open, and the kept output and salt open the
		// commitment.
		Attestations::offchain_worker(3);
		let Call::reveal { subject: s, member, output: revealed, salt, signature } = take_call()
		else {
			panic!("not a reveal")
		};
		// The full output, as the worker computed it from the input alone.
		assert_eq!(revealed.to_vec(), output(1));
		assert_ok!(Attestations::reveal(authorized(), s, member, revealed, salt, signature));
		// Revealed: nothing more to send.
		Attestations::offchain_worker(6);
		assert!(duty_calls().is_empty());
		for member in others {
			assert_ok!(reveal(subject(1), *member, output(1)));
		}
		// The round waits for the claimant's reveal.
		assert!(Rounds::<Test>::get(subject(1)).is_some());
		assert_ok!(reveal(subject(1), CLAIMANT, output(1)));
		assert!(Rounds::<Test>::get(subject(1)).is_none());
		assert_eq!(Duties::<Test>::iter().count(), 0, "duties end with the round");
		check_invariants();
	});
}

/// Binding of the duty cache: a claimant's offchain worker reveals the output its answer
/// committed to, kept under a key that names the round's claim and context. A record kept for
/// another request on the same subject (a reorged answer) is never revealed into this round.
#[test]
fn the_offchain_worker_reveals_for_a_local_claimant_what_it_kept_for_this_claim() {
	use opg_primitives::attestation::{duty_storage_key, DutyRecord};
	use sp_core::offchain::{testing, OffchainDbExt, OffchainWorkerExt, TransactionPoolExt};
	use sp_keystore::{testing::MemoryKeystore, Keystore, KeystoreExt};
	use sp_runtime::offchain::storage::StorageValueRef;

	let mut ext = network().build();
	let (offchain, _) = testing::TestOffchainExt::new();
	let (pool, pool_state) = testing::TestTransactionPoolExt::new();
	ext.register_extension(OffchainWorkerExt::new(offchain.clone()));
	ext.register_extension(OffchainDbExt::new(offchain));
	ext.register_extension(TransactionPoolExt::new(pool));
	let keystore = std::sync::Arc::new(MemoryKeystore::new());
	ext.register_extension(KeystoreExt(keystore.clone()));
	ext.execute_with(|| {
		keystore
			.sr25519_generate_new(
				opg_primitives::attestation::NODE_KEY_TYPE,
				Some(&format!("//node{CLAIMANT}")),
			)
			.unwrap();
		let committee = open_round();
		assert_eq!(Duties::<Test>::iter_key_prefix(CLAIMANT).collect::<Vec<_>>(), vec![subject(1)]);
		let (_, claim, round_context) = round_of(subject(1));
		let kept = |claim: H256, context: H256, out: Vec<u8>| {
			StorageValueRef::persistent(&duty_storage_key(
				&subject(1),
				&claim,
				&context,
				&CLAIMANT,
			))
			.set(&DutyRecord { output: out, salt: salt(CLAIMANT), phase: 0, sent_at: 0 });
		};
		// What the claimant kept for another request on this subject: another claim.
		kept(claimant_commitment(1, output(7)), round_context, output(7));
		let sent = || core::mem::take(&mut pool_state.write().transactions);
		for member in &committee {
			assert_ok!(commit(subject(1), *member, output(1)));
		}
		Attestations::offchain_worker(3);
		assert!(sent().is_empty(), "a record kept for another claim is revealed");
		// What it kept for this request's answer.
		kept(claim, round_context, output(1));
		Attestations::offchain_worker(3);
		let calls = sent();
		assert_eq!(calls.len(), 1);
		let extrinsic =
			frame_system::mocking::MockUncheckedExtrinsic::<Test>::decode(&mut &calls[0][..])
				.unwrap();
		let RuntimeCall::Attestations(call) = extrinsic.function else { panic!("not ours") };
		assert!(call.authorize(TransactionSource::Local).unwrap().is_ok());
		let Call::reveal { member, output: revealed, .. } = &call else { panic!("not a reveal") };
		assert_eq!((*member, revealed.to_vec()), (CLAIMANT, output(1)));
		assert_ok!(dispatch(call));
		assert_eq!(Rounds::<Test>::get(subject(1)).unwrap().claimant_output, Some(output_hash(1)));
		for member in &committee {
			assert_ok!(reveal(subject(1), *member, output(1)));
		}
		assert!(Concluded::get()[0].1.upheld());
		check_invariants();
	});
}
