//! Benchmarks of every call and hook, worst case each: the largest committee, rounds that slash
//! and pay every member and the claimant, and committees drawn with a claimant and a challenger
//! excluded. Nodes are registered through [`Config::BenchmarkHelper`] (the node registry's
//! pallet in the runtime, the mock registry in tests), verifiers with role keys in the
//! benchmark's keystore so they can sign.

// Benchmark set-up runs only in benchmark builds, never from an extrinsic: a panic there is a
// failed benchmark.
#![allow(clippy::expect_used, clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use super::*;
use frame_benchmarking::v2::*;
use frame_support::traits::Authorize;
use frame_system::RawOrigin;
use opg_primitives::attestation::{revealed_hash, Attestations as _, NodeKey, NodeRole};
use sp_runtime::RuntimeAppPublic;

/// A role key that nobody can sign with: enough for nodes that never sign.
fn dummy_key(seed: u32) -> NodeKey {
	NodeKey::from(sp_core::sr25519::Public::from_raw(sp_io::hashing::blake2_256(
		&(b"bench-key", seed).encode(),
	)))
}

/// Registers node `index` for `role` with role key `key`, bonded at exactly its role's minimum
/// (a slash takes it out of its pool: the costliest slash).
fn add_node<T: Config>(index: u32, role: NodeRole, key: NodeKey) -> T::AccountId {
	let who: T::AccountId = account("node", index, 0);
	T::BenchmarkHelper::register_node(&who, role, key, 1);
	who
}

/// Which deadline lists [`crowd_lists`] fills.
enum Lists {
	Verification,
	Dispute,
	Claim,
}

/// Fills the deadline lists of `lists` of the [`DEADLINE_SEARCH`] blocks from `earliest` to
/// their caps (after what they hold), so that scheduling there reads every one of them before
/// it finds room in the last block it may use.
fn crowd_lists<T: Config>(lists: Lists, earliest: BlockNumberFor<T>) {
	fn fill<S: Get<u32>>(list: &mut BoundedVec<SubjectId, S>, block: u32) {
		let mut entry = 0u32;
		while list
			.try_push(SubjectId::from(sp_io::hashing::blake2_256(
				&(b"crowd", block, entry).encode(),
			)))
			.is_ok()
		{
			entry += 1;
		}
	}
	for offset in 0..DEADLINE_SEARCH {
		let at = earliest + offset.into();
		match lists {
			Lists::Verification => Deadlines::<T>::mutate(at, |list| fill(list, offset)),
			Lists::Dispute => DisputeDeadlines::<T>::mutate(at, |list| fill(list, offset)),
			Lists::Claim => ClaimDeadlines::<T>::mutate(at, |list| fill(list, offset)),
		}
	}
}

/// Registers node `index` for `role` with a fresh role key from the keystore, which can sign.
fn add_signing_node<T: Config>(index: u32, role: NodeRole) -> T::AccountId {
	add_node::<T>(index, role, NodeKey::generate_pair(None))
}

/// The genesis hash that role keys sign under.
fn genesis_hash<T: Config>() -> T::Hash {
	frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero())
}

/// Sets the committee size to `k`.
fn committee_of_size<T: Config>(k: u32) {
	ActiveParameters::<T>::mutate(|parameters| parameters.committee_size = k);
}

/// A claimant and `k + 1` verifiers with keys that sign, the committee size set to `k`.
/// Returns the claimant.
fn round_network<T: Config>(k: u32) -> T::AccountId {
	committee_of_size::<T>(k);
	let claimant = add_node::<T>(0, NodeRole::Inference, dummy_key(0));
	for index in 1..=k + 1 {
		add_signing_node::<T>(index, NodeRole::Verifier);
	}
	T::BenchmarkHelper::spread_pools();
	claimant
}

/// Opens a verification round on the benchmark subject and draws its committee; returns it.
fn open_and_draw<T: Config>(claimant: &T::AccountId) -> Vec<T::AccountId> {
	Pallet::<T>::open_round(subject::<T>(), claimant, claim(), context()).expect("the round opens");
	let draw_at = Rounds::<T>::get(subject::<T>()).expect("open").draw_at;
	frame_system::Pallet::<T>::set_block_number(draw_at);
	Pallet::<T>::end_due(draw_at);
	Pallet::<T>::committee(subject::<T>()).expect("the committee is drawn")
}

/// A committee member whose role key the keystore holds (nodes the chain started with may sit
/// on the committee too, and their keys are not here).
fn signer<T: Config>(committee: &[T::AccountId]) -> T::AccountId {
	let local = NodeKey::all();
	committee
		.iter()
		.find(|member| T::Nodes::role_key(member).is_some_and(|key| local.contains(&key)))
		.cloned()
		.expect("a benchmark verifier sits on the committee")
}

/// The benchmark subject: one the consumer can publish an output for
/// ([`BenchmarkHelper::publish`]).
fn subject<T: Config>() -> SubjectId {
	T::BenchmarkHelper::subject()
}

fn salt() -> [u8; 32] {
	[0x5A; 32]
}

/// The claimant's commitment in the benchmark round.
fn claim() -> sp_core::H256 {
	sp_core::H256::repeat_byte(0xC1)
}

/// A claim of the largest output by a node among enough verifiers for the largest committee,
/// and a funded verifier to challenge it: (claimant, subject, the claimed output, challenger).
fn largest_claim<T: Config>() -> (T::AccountId, SubjectId, Vec<u8>, T::AccountId) {
	let k = T::MaxCommitteeSize::get();
	let claimant = round_network::<T>(k);
	let subject = subject::<T>();
	let published = alloc::vec![7u8; T::MaxOutputBytes::get() as usize];
	T::BenchmarkHelper::publish(subject, published.clone());
	Pallet::<T>::open_claim(subject, &claimant, revealed_hash(&published), context())
		.expect("the claim opens");
	let challenger = add_node::<T>(k + 2, NodeRole::Verifier, dummy_key(k + 2));
	T::BenchmarkHelper::fund(&challenger);
	(claimant, subject, published, challenger)
}

/// The benchmark subject's context.
fn context() -> sp_core::H256 {
	sp_core::H256::repeat_byte(0xC7)
}

/// A revealed output: the empty one, which every consumer takes as well-formed (the cost of
/// judging real outputs is the consumer's `judge_weight`, added to the benchmarked reveal).
fn output<T: Config>() -> RevealedOutput<T> {
	RevealedOutput::<T>::default()
}

/// `member`'s signed commitment (`phase` 0) or reveal (1) of the benchmark output in the
/// benchmark subject's round, as its offchain worker would send it.
fn duty_call<T: Config>(member: &T::AccountId, phase: u8) -> Call<T> {
	let subject = subject::<T>();
	let round = Rounds::<T>::get(subject).expect("open");
	let key = T::Nodes::role_key(member).expect("a member is a node");
	let record = opg_primitives::attestation::DutyRecord {
		output: output::<T>().into_inner(),
		salt: salt(),
		phase,
		sent_at: 0,
	};
	Pallet::<T>::duty_call(&genesis_hash::<T>(), &key, subject, &round, member, &record, phase)
		.expect("the keystore holds the key")
}

/// `member`'s signed commitment to the benchmark output in the benchmark subject's round.
fn commit_call<T: Config>(member: &T::AccountId) -> Call<T> {
	duty_call::<T>(member, 0)
}

/// `member`'s signed reveal of the benchmark output in the benchmark subject's round.
fn reveal_call<T: Config>(member: &T::AccountId) -> Call<T> {
	duty_call::<T>(member, 1)
}

/// Records, as if each had sent it, the commitment to `output` of every member of the
/// benchmark subject's round in `members`, and their reveal too if `revealed` (each agreeing
/// with the others that revealed the same), after an audit roll that missed. (Written directly: members the chain started with
/// cannot sign here.)
fn record_votes<T: Config>(members: &[T::AccountId], output: Vec<u8>, revealed: bool) {
	let subject = subject::<T>();
	let mut round = Rounds::<T>::get(subject).expect("open");
	let hash = revealed_hash(&output);
	let context = round.context;
	let positions: Vec<usize> = round
		.committee
		.iter()
		.enumerate()
		.filter(|(_, slot)| members.contains(&slot.account))
		.map(|(position, _)| position)
		.collect();
	// The audit roll has come and missed: reveals are open.
	if matches!(round.audit, AuditStage::Pending { .. }) {
		round.audit = AuditStage::None;
	}
	let agrees = positions.iter().fold(0u64, |set, position| set | bit(*position));
	for position in positions {
		let slot = &mut round.committee[position];
		slot.commitment = Some(commitment_of(&subject, &context, &slot.account, &hash, &salt()));
		if revealed {
			slot.revealed = Some(hash);
			slot.agrees = agrees;
			RevealedOutputs::<T>::insert(
				subject,
				position as u32,
				RevealedOutput::<T>::try_from(output.clone()).expect("small"),
			);
		}
	}
	Rounds::<T>::insert(subject, round);
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn commit() {
		let k = T::MaxCommitteeSize::get();
		let claimant = round_network::<T>(k);
		let committee = open_and_draw::<T>(&claimant);
		let member = signer::<T>(&committee);
		let Call::commit { subject, member, commitment, signature } = commit_call::<T>(&member)
		else {
			unreachable!()
		};
		#[extrinsic_call]
		_(RawOrigin::Authorized, subject, member.clone(), commitment, signature);
		let round = Rounds::<T>::get(subject).expect("open");
		assert!(round.member(&member).is_some_and(|(_, slot)| slot.commitment.is_some()));
	}

	#[benchmark]
	fn authorize_commit() -> Result<(), BenchmarkError> {
		let k = T::MaxCommitteeSize::get();
		let claimant = round_network::<T>(k);
		let committee = open_and_draw::<T>(&claimant);
		let call = commit_call::<T>(&signer::<T>(&committee));
		#[block]
		{
			call.authorize(TransactionSource::External)
				.ok_or("the call authorizes")?
				.map_err(|_| "the commitment is valid")?;
		}
		Ok(())
	}

	/// A reveal that does not end the round (the round's end is `conclude_round`), compared
	/// with every other member's output, all revealed but its own.
	#[benchmark]
	fn reveal() {
		let k = T::MaxCommitteeSize::get();
		let claimant = round_network::<T>(k);
		let committee = open_and_draw::<T>(&claimant);
		let member = signer::<T>(&committee);
		record_votes::<T>(&committee, output::<T>().into_inner(), false);
		let others: Vec<_> = committee.iter().filter(|m| **m != member).cloned().collect();
		record_votes::<T>(&others, alloc::vec![1], true);
		let Call::reveal { subject, member, output, salt, signature } = reveal_call::<T>(&member)
		else {
			unreachable!()
		};
		#[extrinsic_call]
		_(RawOrigin::Authorized, subject, member, output, salt, signature);
		assert!(Rounds::<T>::contains_key(subject));
	}

	#[benchmark]
	fn authorize_reveal() -> Result<(), BenchmarkError> {
		let k = T::MaxCommitteeSize::get();
		let claimant = round_network::<T>(k);
		let committee = open_and_draw::<T>(&claimant);
		record_votes::<T>(&committee, output::<T>().into_inner(), false);
		let call = reveal_call::<T>(&signer::<T>(&committee));
		#[block]
		{
			call.authorize(TransactionSource::External)
				.ok_or("the call authorizes")?
				.map_err(|_| "the reveal is valid")?;
		}
		Ok(())
	}

	/// A challenge: holds the bond, takes the claim off the deadline list, ends the claim's
	/// work, keeps the claimed output (the largest) and opens a dispute round (its committee is
	/// drawn in the next block: `draw_committee`).
	#[benchmark]
	fn challenge() {
		let (_, subject, _, challenger) = largest_claim::<T>();
		crowd_lists::<T>(Lists::Dispute, frame_system::Pallet::<T>::block_number() + One::one());
		#[extrinsic_call]
		_(RawOrigin::Signed(challenger), subject);
		assert!(Rounds::<T>::contains_key(subject));
	}

	/// An appeal of a dispute's verdict by the claimant, its claim fallen: holds the
	/// appeal bond, moves the verdict's deadline, and keeps the largest first committee and its
	/// largest outputs aside (its committee is drawn in the next block: `draw_committee`).
	#[benchmark]
	fn appeal() {
		// The verdict's appeal deadline beyond the lists the appeal's schedule may read (on a
		// live chain it is minutes away): taking it off frees no room among them.
		ActiveParameters::<T>::mutate(|parameters| {
			parameters.appeal_window = parameters.appeal_window.max((DEADLINE_SEARCH + 2).into())
		});
		let (claimant, subject, published, challenger) = largest_claim::<T>();
		T::BenchmarkHelper::fund(&claimant);
		Pallet::<T>::challenge(RawOrigin::Signed(challenger).into(), subject)
			.expect("the challenge opens a round");
		let draw_at = Rounds::<T>::get(subject).expect("open").draw_at;
		frame_system::Pallet::<T>::set_block_number(draw_at);
		Pallet::<T>::end_due(draw_at);
		let committee = Pallet::<T>::committee(subject).expect("the committee is drawn");
		let mut other = published;
		other[0] = 8;
		record_votes::<T>(&committee, other, true);
		let round = Rounds::<T>::get(subject).expect("open");
		Pallet::<T>::conclude_round(subject, round);
		assert!(Rounds::<T>::get(subject).expect("open").awaiting_appeal());
		crowd_lists::<T>(Lists::Dispute, frame_system::Pallet::<T>::block_number() + One::one());
		#[extrinsic_call]
		_(RawOrigin::Signed(claimant), subject);
		assert!(Rounds::<T>::get(subject).expect("open").appeal.is_some());
	}

	/// A change that passes every check: the challenge bond to its most.
	#[benchmark]
	fn set_parameter() -> Result<(), BenchmarkError> {
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let bond = T::MaximumParameters::get().challenge_bond;
		let change = ParameterChange::ChallengeBond(bond);
		let mut changed = ActiveParameters::<T>::get();
		changed.apply(change.clone());
		Pallet::<T>::check_parameters(&changed)
			.map_err(|_| BenchmarkError::Stop("the changed parameters must pass check"))?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, change);
		assert_eq!(ActiveParameters::<T>::get().challenge_bond, bond);
		Ok(())
	}

	/// Ending a round of `k`: the quorum revealed an output other than the claim, the rest did
	/// not reveal, so every member is slashed or paid and the claimant is slashed too.
	#[benchmark]
	fn conclude_round(k: Linear<1, { 16 }>) {
		let k = k.min(T::MaxCommitteeSize::get());
		let claimant = round_network::<T>(k);
		let committee = open_and_draw::<T>(&claimant);
		let needed = ActiveParameters::<T>::get().votes_needed(k) as usize;
		record_votes::<T>(&committee[..needed], alloc::vec![2], true);
		let round = Rounds::<T>::get(subject::<T>()).expect("open");
		assert!(round.decided_position().is_some());
		#[block]
		{
			Pallet::<T>::conclude_round(subject::<T>(), round);
		}
		assert!(!Rounds::<T>::contains_key(subject::<T>()));
	}

	/// `n` claims standing in one block, up to a full list, each its own claimant's: the slope
	/// is what the hook takes per standing claim (its list entry taken, the claim removed, its
	/// claimant's work ended and reputation counted, the event), the intercept what it takes
	/// for the block (charged apart, `end_due_base` each block it walks). The consumer's part
	/// is its own (`OnConclusion::on_conclusion` returns it).
	#[benchmark]
	fn claim_stands(n: Linear<1, { T::MaxClaimDeadlinesPerBlock::get() }>) {
		let subjects: Vec<SubjectId> = (0..n)
			.map(|index| SubjectId::from(sp_io::hashing::blake2_256(&(b"stand", index).encode())))
			.collect();
		for (index, subject) in (1..).zip(&subjects) {
			let claimant = add_node::<T>(index, NodeRole::Inference, dummy_key(index));
			Pallet::<T>::open_claim(*subject, &claimant, claim(), context())
				.expect("the claim opens");
		}
		let deadline = Claims::<T>::get(subjects[0]).expect("open").challenge_deadline;
		assert_eq!(ClaimDeadlines::<T>::get(deadline).len(), n as usize, "one block's list");
		frame_system::Pallet::<T>::set_block_number(deadline);
		// The hook ended every earlier block already: this one's claims are all it visits.
		DueFrom::<T>::put(deadline);
		ClaimsDueFrom::<T>::put(deadline);
		#[block]
		{
			Pallet::<T>::end_due(deadline);
		}
		assert!(subjects.iter().all(|subject| !Claims::<T>::contains_key(subject)));
	}

	/// Visiting one block with nothing due: the hook's cost per block its cursor walks.
	#[benchmark]
	fn end_due_base() {
		let now = frame_system::Pallet::<T>::block_number();
		DueFrom::<T>::put(now);
		ClaimsDueFrom::<T>::put(now);
		#[block]
		{
			Pallet::<T>::end_due(now);
		}
	}

	/// The consumer opening a verification round, in the last block with room on its list.
	#[benchmark]
	fn open_round() {
		let claimant = add_node::<T>(1, NodeRole::Inference, dummy_key(1));
		let now = frame_system::Pallet::<T>::block_number();
		crowd_lists::<T>(Lists::Verification, now + One::one());
		#[block]
		{
			Pallet::<T>::open_round(subject::<T>(), &claimant, claim(), context())
				.expect("the round opens");
		}
		assert!(Rounds::<T>::contains_key(subject::<T>()));
	}

	/// Drawing a committee of `k` for a dispute, the claimant and the challenger excluded.
	#[benchmark]
	fn draw_committee(k: Linear<1, { 16 }>) {
		let k = k.min(T::MaxCommitteeSize::get());
		let claimant = round_network::<T>(k);
		let challenger = add_node::<T>(k + 2, NodeRole::Verifier, dummy_key(k + 2));
		T::BenchmarkHelper::fund(&challenger);
		add_node::<T>(k + 3, NodeRole::Verifier, dummy_key(k + 3));
		T::BenchmarkHelper::spread_pools();
		let subject = subject::<T>();
		T::BenchmarkHelper::publish(subject, alloc::vec![1]);
		Pallet::<T>::open_claim(subject, &claimant, revealed_hash(&[1]), context())
			.expect("the claim opens");
		Pallet::<T>::challenge(RawOrigin::Signed(challenger).into(), subject)
			.expect("the challenge opens a round");
		let round = Rounds::<T>::get(subject).expect("open");
		frame_system::Pallet::<T>::set_block_number(round.draw_at);
		let parameters = ActiveParameters::<T>::get();
		crowd_lists::<T>(
			Lists::Dispute,
			round.draw_at + parameters.commit_period + parameters.reveal_period,
		);
		#[block]
		{
			Pallet::<T>::draw_committee(subject, round);
		}
		assert_eq!(Pallet::<T>::committee(subject).map(|c| c.len()), Some(k as usize));
	}

	/// A claimant opening a claim, in the last block with room on its list.
	#[benchmark]
	fn open_claim() {
		let claimant = add_node::<T>(1, NodeRole::Inference, dummy_key(1));
		let window = ActiveParameters::<T>::get().challenge_window;
		crowd_lists::<T>(Lists::Claim, frame_system::Pallet::<T>::block_number() + window);
		#[block]
		{
			Pallet::<T>::open_claim(subject::<T>(), &claimant, claim(), context())
				.expect("the claim opens");
		}
		assert!(Claims::<T>::contains_key(subject::<T>()));
	}

	impl_benchmark_test_suite!(
		Pallet,
		crate::mock::ExtBuilder::default().build_with_keystore(),
		crate::mock::Test
	);
}
