//! Benchmarks of every call and of each branch of the hook, worst case each: a real
//! contribution checked through the BN254 host functions, a slot taken from a holder who
//! forfeits, the end of a ceremony with a full transcript of deposits, a draw of a full
//! committee from the runtime's node pool, a missed turn slashed from a real bond.

// Benchmark set-up runs only in benchmark builds, never from an extrinsic: a panic there is a
// failed benchmark.
#![allow(clippy::expect_used, clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use super::*;
use frame_benchmarking::v2::*;
use frame_system::RawOrigin;

fn block<T: Config>() -> BlockNumberFor<T> {
	frame_system::Pallet::<T>::block_number()
}

/// Starts the ceremony of the helper's version; returns its id.
fn running_ceremony<T: Config>() -> CeremonyId {
	let id = T::BenchmarkHelper::version();
	let owner: T::AccountId = account("owner", 0, 0);
	T::BenchmarkHelper::fund(&owner);
	<Pallet<T> as KeyCeremony<T::AccountId>>::begin(
		id.0,
		id.1,
		&owner,
		H256::repeat_byte(7),
		H256::repeat_byte(8),
	)
	.expect("a ceremony begins");
	id
}

/// The layout of a key state of `chunks` chunks (the last one nearly full: an L query as long
/// as fits), and its size.
fn sized(chunks: u32) -> (StateLayout, u64) {
	let empty = StateLayout { inputs: 0, variables: 0, h: 0, l: 0 };
	let room = u64::from(chunks) * u64::from(KEY_CHUNK_SIZE) - empty.size().expect("fits");
	let layout = StateLayout { l: (room / G1_LEN as u64) as u32, ..empty };
	(layout, layout.size().expect("fits"))
}

/// `count` distinct chunk hashes, and the size and content id of a state of `count` chunks
/// with them.
fn state_of<T: Config>(count: u32, seed: u8) -> (StateChunkHashes<T>, u64, H256) {
	let hashes: Vec<H256> =
		(0..count).map(|index| H256(sp_io::hashing::blake2_256(&(seed, index).encode()))).collect();
	let size = sized(count).1;
	let id = state_id(size, &hashes);
	(BoundedVec::truncate_from(hashes), size, id)
}

/// Makes `id`'s head a published state of `chunks` chunks.
fn publish_head<T: Config>(id: CeremonyId, chunks: u32) {
	let mut ceremony = Ceremonies::<T>::get(id).expect("running");
	let (hashes, size, _) = state_of::<T>(chunks, 0);
	StateChunks::<T>::insert(id, ceremony.head, hashes);
	ceremony.state_size = size;
	ceremony.layout = Some(sized(chunks).0);
	ceremony.head_published = true;
	Ceremonies::<T>::insert(id, ceremony);
}

/// A key state's chunks and their hashes.
fn chunked(bytes: &[u8]) -> (Vec<StateChunk>, Vec<H256>) {
	let chunks: Vec<StateChunk> = bytes
		.chunks(KEY_CHUNK_SIZE as usize)
		.map(|chunk| BoundedVec::truncate_from(chunk.to_vec()))
		.collect();
	let hashes = chunks.iter().map(|chunk| chunk_hash(chunk)).collect();
	(chunks, hashes)
}

/// A real contribution by `who` to `id`'s current head.
fn contribution<T: Config>(id: CeremonyId, who: &T::AccountId) -> EncodedContribution {
	let ceremony = Ceremonies::<T>::get(id).expect("running");
	let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
	let context = opg_zk::ceremony::contribution_context(
		genesis.as_ref().try_into().expect("32 bytes"),
		id.0,
		id.1,
		ceremony.contributions,
		&who.encode(),
		ceremony.head.as_fixed_bytes(),
	);
	let encoded = opg_zk::contribution_with_secret(
		&context,
		&ceremony.delta_g1,
		&ceremony.delta_g2,
		0x1234_5678_9abc_def1,
	)
	.expect("the stored delta decodes");
	encoded.try_into().expect("fits")
}

/// Fills `id`'s transcript with `count` open contributions, each author's deposit held.
fn fill_transcript<T: Config>(id: CeremonyId, count: u32) {
	let mut ceremony = Ceremonies::<T>::get(id).expect("running");
	for index in 0..count {
		let author: T::AccountId = account("contributor", index, 0);
		// Each state's chunk hashes, which the end removes.
		let (hashes, _, state_hash) = state_of::<T>(T::MaxStateChunks::get(), index as u8 + 1);
		StateChunks::<T>::insert(id, state_hash, hashes);
		T::BenchmarkHelper::fund(&author);
		T::Currency::hold(
			&HoldReason::ContributionDeposit.into(),
			&author,
			T::ContributionDeposit::get(),
		)
		.expect("funded");
		Transcript::<T>::insert(
			id,
			index,
			ContributionRecord {
				author,
				delta_g1: ceremony.delta_g1,
				delta_g2: ceremony.delta_g2,
				state_hash,
				drawn: false,
				deposit: T::ContributionDeposit::get(),
			},
		);
	}
	ceremony.contributions = count;
	Ceremonies::<T>::insert(id, ceremony);
}

/// Moves `id` into its drawn phase with `who` (a registered verifier) as the node whose turn
/// it is.
fn turn_of<T: Config>(id: CeremonyId, who: &T::AccountId) {
	let mut ceremony = Ceremonies::<T>::get(id).expect("running");
	ceremony.phase = Phase::Drawn;
	ceremony.drawn = BoundedVec::truncate_from(alloc::vec![who.clone()]);
	ceremony.turn = 0;
	let due = block::<T>() + T::TurnPeriod::get();
	Pallet::<T>::reschedule(id, &mut ceremony, due);
	Ceremonies::<T>::insert(id, ceremony);
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// A ceremony starts: its record and its due entry.
	#[benchmark]
	fn begin() {
		let id = T::BenchmarkHelper::version();
		let owner: T::AccountId = account("owner", 0, 0);
		T::BenchmarkHelper::fund(&owner);
		#[block]
		{
			<Pallet<T> as KeyCeremony<T::AccountId>>::begin(
				id.0,
				id.1,
				&owner,
				H256::zero(),
				H256::zero(),
			)
			.expect("begins");
		}
		assert!(Ceremonies::<T>::contains_key(id));
	}

	/// The slot taken from a holder who let it run out: their deposit forfeited, the new one
	/// held.
	#[benchmark]
	fn take_slot() {
		let id = running_ceremony::<T>();
		publish_head::<T>(id, 1);
		// An open phase long enough for the squatter's slot to run out inside it.
		let mut ceremony = Ceremonies::<T>::get(id).expect("running");
		let open_until = block::<T>() + T::TurnPeriod::get() * 4u32.into();
		Pallet::<T>::reschedule(id, &mut ceremony, open_until);
		Ceremonies::<T>::insert(id, ceremony);
		let squatter: T::AccountId = account("squatter", 0, 0);
		T::BenchmarkHelper::fund(&squatter);
		Pallet::<T>::take_slot(RawOrigin::Signed(squatter.clone()).into(), id.0, id.1)
			.expect("free slot");
		let until = Ceremonies::<T>::get(id).expect("running").slot.expect("held").until;
		frame_system::Pallet::<T>::set_block_number(until + One::one());
		let who: T::AccountId = whitelisted_caller();
		T::BenchmarkHelper::fund(&who);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), id.0, id.1);
		assert_eq!(Ceremonies::<T>::get(id).expect("running").slot.map(|s| s.holder), Some(who));
	}

	/// A drawn node's contribution, verified through the host functions, committing to a
	/// state of `c` chunks (its content id hashes them all).
	#[benchmark]
	fn contribute(c: Linear<1, { T::MaxStateChunks::get() }>) {
		let id = running_ceremony::<T>();
		let who: T::AccountId = whitelisted_caller();
		T::BenchmarkHelper::register_node(&who, NodeRole::Verifier);
		turn_of::<T>(id, &who);
		publish_head::<T>(id, c);
		let head = Ceremonies::<T>::get(id).expect("running").head;
		let encoded = contribution::<T>(id, &who);
		let (hashes, size, state) = state_of::<T>(c, 1);
		#[extrinsic_call]
		_(RawOrigin::Signed(who), id.0, id.1, head, encoded, size, hashes);
		let upload = Ceremonies::<T>::get(id).expect("running").upload.expect("uploading");
		assert_eq!(upload.state_hash, state);
	}

	/// The initial key's chunk hashes, `c` of them, checked against its content id.
	#[benchmark]
	fn publish_initial(c: Linear<1, { T::MaxStateChunks::get() }>) {
		let id = T::BenchmarkHelper::version();
		let owner: T::AccountId = account("owner", 0, 0);
		T::BenchmarkHelper::fund(&owner);
		let (hashes, size, init_hash) = state_of::<T>(c, 0);
		<Pallet<T> as KeyCeremony<T::AccountId>>::begin(
			id.0,
			id.1,
			&owner,
			init_hash,
			H256::repeat_byte(8),
		)
		.expect("a ceremony begins");
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), id.0, id.1, size, hashes, sized(c).0);
		assert!(Ceremonies::<T>::get(id).expect("running").upload.is_some());
	}

	/// The last chunk (full size) of a drawn node's state: its hash read alone and checked, the
	/// chunk indexed, the contribution counted, and the attesters' draw scheduled (the last
	/// drawn turn).
	#[benchmark]
	fn upload_state() {
		let id = running_ceremony::<T>();
		let who: T::AccountId = whitelisted_caller();
		T::BenchmarkHelper::register_node(&who, NodeRole::Verifier);
		turn_of::<T>(id, &who);
		let chunks = T::MaxStateChunks::get().max(2);
		publish_head::<T>(id, chunks);
		let size = sized(chunks).1;
		let last = chunk_len(size, KEY_CHUNK_SIZE, chunks - 1) as usize;
		let chunk: StateChunk = BoundedVec::truncate_from(alloc::vec![7u8; last]);
		let (hashes, _, _) = state_of::<T>(chunks, 1);
		let mut hashes = hashes.into_inner();
		hashes[chunks as usize - 1] = chunk_hash(&chunk);
		let state_hash = state_id(size, &hashes);
		StateChunks::<T>::insert(id, state_hash, BoundedVec::truncate_from(hashes));
		let mut ceremony = Ceremonies::<T>::get(id).expect("running");
		ceremony.upload = Some(StateUpload {
			state_hash,
			chunks,
			next: chunks - 1,
			contribution: Some(PendingContribution {
				author: who.clone(),
				delta_g1: ceremony.delta_g1,
				delta_g2: ceremony.delta_g2,
			}),
		});
		Ceremonies::<T>::insert(id, ceremony);
		#[extrinsic_call]
		_(RawOrigin::Signed(who), id.0, id.1, chunks - 1, chunk);
		let ceremony = Ceremonies::<T>::get(id).expect("running");
		assert_eq!((ceremony.head, ceremony.phase), (state_hash, Phase::Attesting));
	}

	/// An approval that does not finish the ceremony (the last one adds the end, the fee's
	/// shares and the registry's `finish`, benchmarked on their own).
	#[benchmark]
	fn attest() {
		let id = running_ceremony::<T>();
		let who: T::AccountId = whitelisted_caller();
		T::BenchmarkHelper::register_node(&who, NodeRole::Inference);
		let mut ceremony = Ceremonies::<T>::get(id).expect("running");
		ceremony.phase = Phase::Attesting;
		let mut attesters = alloc::vec![(who.clone(), false)];
		for index in 1..T::Attesters::get().max(2) {
			attesters.push((account("prover", index, 0), false));
		}
		ceremony.attesters = BoundedVec::truncate_from(attesters);
		let (vk_hash, head) = (ceremony.vk_hash, ceremony.head);
		Ceremonies::<T>::insert(id, ceremony);
		#[extrinsic_call]
		_(RawOrigin::Signed(who), id.0, id.1, vk_hash, head, true);
		assert!(Ceremonies::<T>::contains_key(id));
	}

	/// A drawn node passes its turn (the ceremony's end, which follows, is charged as
	/// `process_end`).
	#[benchmark]
	fn pass_turn() {
		let id = running_ceremony::<T>();
		let who: T::AccountId = whitelisted_caller();
		T::BenchmarkHelper::register_node(&who, NodeRole::Verifier);
		turn_of::<T>(id, &who);
		#[extrinsic_call]
		_(RawOrigin::Signed(who), id.0, id.1);
		assert!(!Ceremonies::<T>::contains_key(id));
	}

	/// The hook with nothing due.
	#[benchmark]
	fn on_initialize_base() {
		#[block]
		{
			Pallet::<T>::on_initialize(block::<T>());
		}
	}

	/// A ceremony ending with `c` open contributions in its transcript: each deposit released,
	/// each record removed (a failure: the heavier end).
	#[benchmark]
	fn process_end(c: Linear<0, { Pallet::<T>::settle_bound() }>) {
		let id = running_ceremony::<T>();
		fill_transcript::<T>(id, c.min(Pallet::<T>::transcript_bound()));
		let mut ceremony = Ceremonies::<T>::get(id).expect("running");
		// The attestation deadline (silent attesters' slashes are charged on their own).
		ceremony.phase = Phase::Attesting;
		ceremony.attesters =
			BoundedVec::truncate_from(alloc::vec![(account("prover", 0, 0), true)]);
		let now = block::<T>() + One::one();
		Pallet::<T>::reschedule(id, &mut ceremony, now);
		Ceremonies::<T>::insert(id, ceremony);
		frame_system::Pallet::<T>::set_block_number(now);
		#[block]
		{
			Pallet::<T>::on_initialize(now);
		}
		assert!(!Ceremonies::<T>::contains_key(id));
	}

	/// The attesters' draw (the larger draw: `Attesters` nodes where `DrawnContributors` is no
	/// more) with `k` inference nodes registered beside the chain's own; the selection's own
	/// weight, which grows with the pool, is added per attempt by `NodeRegistry::select_weight`.
	#[benchmark]
	fn process_draw(k: Linear<1, { T::Attesters::get().max(T::DrawnContributors::get()) }>) {
		let id = running_ceremony::<T>();
		for index in 0..k {
			let node: T::AccountId = account("prover", index, 0);
			T::BenchmarkHelper::register_node(&node, NodeRole::Inference);
		}
		let mut ceremony = Ceremonies::<T>::get(id).expect("running");
		ceremony.phase = Phase::Attesting;
		let now = block::<T>() + One::one();
		Pallet::<T>::reschedule(id, &mut ceremony, now);
		Ceremonies::<T>::insert(id, ceremony);
		frame_system::Pallet::<T>::set_block_number(now);
		T::BenchmarkHelper::prepare_draws();
		#[block]
		{
			Pallet::<T>::on_initialize(now);
		}
		assert!(!Ceremonies::<T>::get(id).expect("running").attesters.is_empty());
	}

	/// A drawn node misses its turn: its bond slashed (the ceremony's end, which follows, is
	/// charged as `process_end`).
	#[benchmark]
	fn process_missed_turn() {
		let id = running_ceremony::<T>();
		let node: T::AccountId = account("silent", 0, 0);
		T::BenchmarkHelper::register_node(&node, NodeRole::Verifier);
		turn_of::<T>(id, &node);
		let now = Ceremonies::<T>::get(id).expect("running").due;
		frame_system::Pallet::<T>::set_block_number(now);
		#[block]
		{
			Pallet::<T>::on_initialize(now);
		}
		assert!(!Ceremonies::<T>::contains_key(id));
	}

	/// A challenge that shows a bad point of L: the point straddles two chunks in both states
	/// (four chunks hashed and checked against their commitments), one pairing check, and the
	/// open contribution's rollback (the release of later contributions' deposits, bounded by
	/// the transcript, is charged as `process_end`).
	#[benchmark]
	fn challenge_state() {
		let id = T::BenchmarkHelper::version();
		let owner: T::AccountId = account("owner", 0, 0);
		T::BenchmarkHelper::fund(&owner);
		// Two states of two chunks, zeros but their length prefixes and the point of L on the
		// chunk boundary (the generator in both: right only if delta did not change); the
		// child differs from the parent in its last byte too.
		let (layout, size) = sized(2);
		let Some(StatePart::Divided { start }) = layout.part(u64::from(KEY_CHUNK_SIZE)) else {
			unreachable!("the chunk boundary falls in L")
		};
		assert!(start < u64::from(KEY_CHUNK_SIZE));
		let (generator, _) = Pallet::<T>::initial_delta();
		let mut bytes = alloc::vec![0u8; size as usize];
		for (offset, length) in layout.length_prefixes().expect("fits") {
			bytes[offset as usize..offset as usize + 8].copy_from_slice(&length.to_le_bytes());
		}
		bytes[start as usize..start as usize + G1_LEN].copy_from_slice(&generator);
		let (parent_chunks, parent_hashes) = chunked(&bytes);
		*bytes.last_mut().expect("not empty") = 1;
		let (child_chunks, child_hashes) = chunked(&bytes);
		let (parent, child) = (state_id(size, &parent_hashes), state_id(size, &child_hashes));
		<Pallet<T> as KeyCeremony<T::AccountId>>::begin(
			id.0,
			id.1,
			&owner,
			parent,
			H256::repeat_byte(8),
		)
		.expect("a ceremony begins");
		// The child counted as a real contribution by an open contributor.
		let author: T::AccountId = account("contributor", 0, 0);
		T::BenchmarkHelper::fund(&author);
		T::Currency::hold(
			&HoldReason::ContributionDeposit.into(),
			&author,
			T::ContributionDeposit::get(),
		)
		.expect("funded");
		let mut ceremony = Ceremonies::<T>::get(id).expect("running");
		let context = opg_zk::ceremony::contribution_context(
			&Pallet::<T>::genesis_hash(),
			id.0,
			id.1,
			0,
			&author.encode(),
			parent.as_fixed_bytes(),
		);
		let (delta_g1, delta_g2) = opg_zk::verify_contribution_on_chain(
			&context,
			&ceremony.delta_g1,
			&ceremony.delta_g2,
			&contribution::<T>(id, &author),
		)
		.expect("a real contribution");
		StateChunks::<T>::insert(id, parent, BoundedVec::truncate_from(parent_hashes));
		StateChunks::<T>::insert(id, child, BoundedVec::truncate_from(child_hashes));
		Transcript::<T>::insert(
			id,
			0,
			ContributionRecord {
				author,
				delta_g1: delta_g1.try_into().expect("64 bytes"),
				delta_g2: delta_g2.try_into().expect("128 bytes"),
				state_hash: child,
				drawn: false,
				deposit: T::ContributionDeposit::get(),
			},
		);
		ceremony.head = child;
		ceremony.contributions = 1;
		ceremony.state_size = size;
		ceremony.layout = Some(layout);
		ceremony.head_published = true;
		Ceremonies::<T>::insert(id, ceremony);
		let challenger: T::AccountId = whitelisted_caller();
		#[extrinsic_call]
		_(
			RawOrigin::Signed(challenger),
			id.0,
			id.1,
			0,
			start,
			BoundedVec::truncate_from(parent_chunks),
			BoundedVec::truncate_from(child_chunks),
		);
		let ceremony = Ceremonies::<T>::get(id).expect("running");
		assert_eq!((ceremony.head, ceremony.contributions), (parent, 0));
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_bench_ext(), crate::mock::Test);
}
