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

/// A real contribution by `who` to `id`'s current head, and the state hash it names.
fn contribution<T: Config>(id: CeremonyId, who: &T::AccountId) -> (EncodedContribution, H256) {
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
	(encoded.try_into().expect("fits"), H256::repeat_byte(ceremony.contributions as u8 + 1))
}

/// Fills `id`'s transcript with `count` open contributions, each author's deposit held.
fn fill_transcript<T: Config>(id: CeremonyId, count: u32) {
	let mut ceremony = Ceremonies::<T>::get(id).expect("running");
	for index in 0..count {
		let author: T::AccountId = account("contributor", index, 0);
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
				state_hash: H256::repeat_byte(index as u8),
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

	/// A drawn node's contribution (the heavier path: its turn ends and the next is
	/// scheduled), verified through the host functions.
	#[benchmark]
	fn contribute() {
		let id = running_ceremony::<T>();
		let who: T::AccountId = whitelisted_caller();
		T::BenchmarkHelper::register_node(&who, NodeRole::Verifier);
		turn_of::<T>(id, &who);
		let head = Ceremonies::<T>::get(id).expect("running").head;
		let (encoded, state) = contribution::<T>(id, &who);
		#[extrinsic_call]
		_(RawOrigin::Signed(who), id.0, id.1, head, encoded, state);
		assert_eq!(Ceremonies::<T>::get(id).expect("running").head, state);
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

	impl_benchmark_test_suite!(Pallet, crate::mock::new_bench_ext(), crate::mock::Test);
}
