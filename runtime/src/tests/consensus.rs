//! BABE in the tests' blocks, and the randomness the chain's draws take from it.
//!
//! Every block the tests build carries a BABE pre-digest with a real VRF signature, made with
//! the author's sr25519 key on the slot's transcript as a node signs it: a secondary VRF claim
//! (the tests do not follow BABE's assignment of secondary slots to authorities, which nodes
//! check on import and the runtime does not). [`initialize_block_as`] checks each signature
//! against what the runtime holds once the block has started, so a harness that signed the
//! wrong transcript (after an epoch change, say) fails loudly rather than testing nothing.

use super::*;
use codec::Decode;
use opg_primitives::randomness::BlockRandomness;
use pallet_babe::{CurrentSlot, EpochIndex, GenesisSlot, NextRandomness, Randomness};
use sp_consensus_babe::{
	digests::{PreDigest, SecondaryPlainPreDigest, SecondaryVRFPreDigest},
	make_vrf_sign_data, BABE_ENGINE_ID,
};
use sp_core::crypto::{VrfPublic, VrfSecret};
use sp_runtime::{traits::Header as _, Digest, DigestItem};

use configs::consensus::BabeVrfRandomness;

/// BABE's genesis with `authorities`, in this order, each of weight 1.
pub(super) fn babe_config(authorities: &[Sr25519Keyring]) -> BabeConfig {
	BabeConfig {
		authorities: authorities.iter().map(|who| (who.public().into(), 1)).collect(),
		epoch_config: BABE_GENESIS_EPOCH_CONFIG,
		..Default::default()
	}
}

/// The epoch index and epoch randomness of a block in `slot`, as the runtime holds them once the
/// block's `on_initialize` has run: the first block starts epoch 0 (with the genesis
/// randomness); a block past its epoch's end starts the epoch its slot falls in, with the
/// randomness announced for the next epoch (also when epochs were skipped).
fn epoch_of(slot: u64) -> (u64, [u8; 32]) {
	let genesis_slot = *GenesisSlot::<Runtime>::get();
	if genesis_slot == 0 {
		return (0, Randomness::<Runtime>::get());
	}
	let length = <Runtime as pallet_babe::Config>::EpochDuration::get();
	let epoch = sp_consensus_babe::epoch_index(slot.into(), genesis_slot.into(), length);
	if epoch == EpochIndex::<Runtime>::get() {
		(epoch, Randomness::<Runtime>::get())
	} else {
		(epoch, NextRandomness::<Runtime>::get())
	}
}

/// The BABE pre-runtime digest of a block in `slot` authored by `author`: a secondary VRF claim
/// signed with `author`'s key on the slot's transcript. `author` must be a BABE authority.
pub(super) fn babe_digest(author: Sr25519Keyring, slot: u64) -> DigestItem {
	let public: sp_consensus_babe::AuthorityId = author.public().into();
	let authority_index = pallet_babe::Authorities::<Runtime>::get()
		.iter()
		.position(|(authority, _)| authority == &public)
		.unwrap_or_else(|| panic!("{author:?} is not a BABE authority"));
	let (epoch, randomness) = epoch_of(slot);
	let vrf_signature =
		author.pair().vrf_sign(&make_vrf_sign_data(&randomness, slot.into(), epoch));
	let pre_digest = PreDigest::SecondaryVRF(SecondaryVRFPreDigest {
		authority_index: authority_index as u32,
		slot: slot.into(),
		vrf_signature,
	});
	DigestItem::PreRuntime(BABE_ENGINE_ID, pre_digest.encode())
}

/// Starts block `number` on `parent_hash` in `slot` through `Executive`, authored by `author`
/// (a BABE pre-digest with its VRF signature) or by nobody (no digest), and checks that the
/// signature verifies against the slot, epoch and randomness the runtime now holds.
pub(super) fn initialize_block_as(
	number: BlockNumber,
	parent_hash: Hash,
	slot: u64,
	author: Option<Sr25519Keyring>,
) {
	let logs = author.map(|author| babe_digest(author, slot)).into_iter().collect();
	let header =
		Header::new(number, Default::default(), Default::default(), parent_hash, Digest { logs });
	Executive::initialize_block(&header);
	if let Some(author) = author {
		let data = make_vrf_sign_data(
			&Randomness::<Runtime>::get(),
			CurrentSlot::<Runtime>::get(),
			EpochIndex::<Runtime>::get(),
		);
		let signature = vrf_signature_of(&header).expect("the block has a VRF signature");
		assert!(
			author.public().vrf_verify(&data, &signature),
			"the block's VRF signature verifies against the runtime's slot, epoch and randomness"
		);
	}
}

/// The VRF signature of `header`'s BABE pre-digest.
fn vrf_signature_of(header: &Header) -> Option<sp_consensus_babe::VrfSignature> {
	header.digest.logs.iter().find_map(|item| {
		let (engine, mut data) = item.as_pre_runtime()?;
		let pre_digest =
			(engine == BABE_ENGINE_ID).then(|| PreDigest::decode(&mut data).ok())??;
		pre_digest.vrf_signature().cloned()
	})
}

/// A chain whose BABE authorities are Alice and Bob, at genesis.
fn alice_and_bob_ext() -> sp_io::TestExternalities {
	let config = RuntimeGenesisConfig {
		babe: babe_config(&[Sr25519Keyring::Alice, Sr25519Keyring::Bob]),
		..Default::default()
	};
	sp_io::TestExternalities::new(config.build_storage().expect("genesis builds"))
}

/// What [`BabeVrfRandomness`] draws for `subject` in block 1 on `parent_hash`, in `slot`,
/// authored by `author`, on a fresh chain of Alice and Bob.
fn randomness_of_block_1(
	parent_hash: Hash,
	slot: u64,
	author: Sr25519Keyring,
	subject: &[u8],
) -> Option<[u8; 32]> {
	alice_and_bob_ext().execute_with(|| {
		initialize_block_as(1, parent_hash, slot, Some(author));
		BabeVrfRandomness::random(subject)
	})
}

/// A block without a BABE pre-digest, or with a secondary plain one (no VRF), has no randomness.
#[test]
fn a_block_without_a_vrf_output_has_no_randomness() {
	alice_and_bob_ext().execute_with(|| {
		initialize_block_as(1, Hash::repeat_byte(1), 7, None);
		assert_eq!(BabeVrfRandomness::random(b"subject"), None);
	});
	alice_and_bob_ext().execute_with(|| {
		let plain = PreDigest::SecondaryPlain(SecondaryPlainPreDigest {
			authority_index: 0,
			slot: 7.into(),
		});
		let logs = vec![DigestItem::PreRuntime(BABE_ENGINE_ID, plain.encode())];
		let header = Header::new(
			1,
			Default::default(),
			Default::default(),
			Hash::repeat_byte(1),
			Digest { logs },
		);
		Executive::initialize_block(&header);
		assert_eq!(Authorship::author(), Some(Sr25519Keyring::Alice.to_account_id()));
		assert_eq!(BabeVrfRandomness::random(b"subject"), None);
	});
}

/// The same block and subject give the same randomness, however often it is asked for and
/// however often the author signs the block's VRF again (its proof may change, its output
/// cannot); two subjects in one block give two independent values.
#[test]
fn the_randomness_is_fixed_by_the_block_and_the_subject() {
	let parent = Hash::repeat_byte(1);
	let alice = Sr25519Keyring::Alice;
	let drawn = randomness_of_block_1(parent, 7, alice, b"job 1").expect("a VRF block draws");
	assert_eq!(randomness_of_block_1(parent, 7, alice, b"job 1"), Some(drawn));
	alice_and_bob_ext().execute_with(|| {
		initialize_block_as(1, parent, 7, Some(alice));
		assert_eq!(BabeVrfRandomness::random(b"job 1"), Some(drawn));
		assert_eq!(BabeVrfRandomness::random(b"job 1"), Some(drawn));
		let other = BabeVrfRandomness::random(b"job 2").expect("a VRF block draws");
		assert_ne!(other, drawn);
		assert_ne!(BabeVrfRandomness::random(b""), Some(drawn));
	});
}

/// Two blocks that differ only in their VRF output draw differently: the same slot authored by
/// Alice or by Bob; or by Alice in another slot.
#[test]
fn another_vrf_output_draws_another_value() {
	let parent = Hash::repeat_byte(1);
	let by_alice = randomness_of_block_1(parent, 7, Sr25519Keyring::Alice, b"job 1");
	let by_bob = randomness_of_block_1(parent, 7, Sr25519Keyring::Bob, b"job 1");
	let later = randomness_of_block_1(parent, 8, Sr25519Keyring::Alice, b"job 1");
	assert!(by_alice.is_some() && by_bob.is_some() && later.is_some());
	assert_ne!(by_alice, by_bob);
	assert_ne!(by_alice, later);
}

/// The parent's hash is not in the VRF's transcript: an author who seals its parent again (a
/// new parent hash for the same parent block) does not get another draw in the child.
#[test]
fn a_resealed_parent_does_not_change_the_draw() {
	let alice = Sr25519Keyring::Alice;
	let on_one = randomness_of_block_1(Hash::repeat_byte(1), 7, alice, b"job 1");
	let on_two = randomness_of_block_1(Hash::repeat_byte(2), 7, alice, b"job 1");
	assert!(on_one.is_some());
	assert_eq!(on_one, on_two);
}

/// Blocks run through epoch changes, also across skipped epochs (a chain that stopped for
/// longer than an epoch): every block's VRF signature verifies against the epoch the runtime
/// moved to, every block draws, the epoch index follows the slots, and the block author is the
/// authority the pre-digest names.
#[test]
fn blocks_cross_epoch_changes_and_keep_drawing() {
	let config = RuntimeGenesisConfig {
		slots: SlotsConfig { epoch_length: 5, ..Default::default() },
		babe: babe_config(&[Sr25519Keyring::Alice, Sr25519Keyring::Bob]),
		..Default::default()
	};
	let mut ext = sp_io::TestExternalities::new(config.build_storage().expect("genesis builds"));
	ext.execute_with(|| {
		let first_slot = 1_000u64;
		let mut draws = Vec::new();
		let mut parent = Hash::repeat_byte(1);
		// Slots 1_000..1_012, then 30 slots later (epochs 3 to 7 skipped), then the next one.
		let slots = (first_slot..first_slot + 12).chain([first_slot + 42, first_slot + 43]);
		for (number, slot) in (1..).zip(slots) {
			let author = if number % 2 == 0 { Sr25519Keyring::Bob } else { Sr25519Keyring::Alice };
			initialize_block_as(number, parent, slot, Some(author));
			let now = RuntimeCall::Timestamp(pallet_timestamp::Call::set {
				now: slot * MILLI_SECS_PER_BLOCK,
			});
			assert_eq!(Executive::apply_extrinsic(UncheckedExtrinsic::new_bare(now)), Ok(Ok(())));
			assert_eq!(Authorship::author(), Some(author.to_account_id()));
			assert_eq!(EpochIndex::<Runtime>::get(), (slot - first_slot) / 5, "block {number}");
			draws.push(BabeVrfRandomness::random(b"job").expect("every block draws"));
			parent = Executive::finalize_block().hash();
		}
		assert_eq!(*GenesisSlot::<Runtime>::get(), first_slot);
		draws.sort();
		draws.dedup();
		assert_eq!(draws.len(), 14, "every block draws anew");
	});
}

/// A benchmark's block, which has no consensus digest, gets randomness from
/// `prepare_for_benchmarks`, and keeps it: the benchmarked draws run their full path. (In the
/// benchmark tests' feature set, hence the name.)
#[cfg(feature = "runtime-benchmarks")]
#[test]
fn benchmarking_blocks_get_randomness_when_prepared() {
	alice_and_bob_ext().execute_with(|| {
		initialize_block_as(1, Hash::repeat_byte(1), 7, None);
		assert_eq!(BabeVrfRandomness::random(b"subject"), None);
		BabeVrfRandomness::prepare_for_benchmarks();
		let drawn = BabeVrfRandomness::random(b"subject").expect("prepared");
		BabeVrfRandomness::prepare_for_benchmarks();
		assert_eq!(BabeVrfRandomness::random(b"subject"), Some(drawn));
	});
}
