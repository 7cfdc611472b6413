//! Benchmarks of every call and hook, worst case each: pools as deep as `MaxNodes` allows (every
//! pool update walks the whole height of its tree), nodes in all three roles, the largest
//! committee, rounds that slash and pay every member, and selection among 10,000 nodes.

// Benchmark set-up runs only in benchmark builds, never from an extrinsic: a panic there is a
// failed benchmark.
#![allow(clippy::expect_used, clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use super::*;
use frame_benchmarking::v2::*;
use frame_support::traits::{fungible::Mutate, Authorize};
use frame_system::RawOrigin;
use opg_primitives::attestation::{Attestations as _, NodeRegistry as _};
use opg_primitives::tee::samples;
use sp_runtime::traits::Bounded;

/// The most nodes the selection benchmark registers.
const SELECTION_NODES: u32 = 10_000;

fn all_roles() -> RoleSet {
	RoleSet::from_roles(&NodeRole::DECLARED)
}

/// The longest endpoint the pallet accepts.
fn endpoint<T: Config>() -> EndpointOf<T> {
	let mut url = b"https://".to_vec();
	url.resize(T::MaxEndpointLen::get() as usize, b'a');
	EndpointOf::<T>::truncate_from(url)
}

/// A role key that nobody can sign with: enough for nodes that only need to exist.
fn dummy_key(seed: u32) -> NodeKey {
	NodeKey::from(sp_core::sr25519::Public::from_raw(sp_io::hashing::blake2_256(
		&(b"bench-key", seed).encode(),
	)))
}

/// Gives `who` plenty of balance.
fn fund<T: Config>(who: &T::AccountId) {
	let plenty = BalanceOf::<T>::max_value() / 1_000_000u32.into();
	T::Currency::set_balance(who, plenty);
}

/// A bond that covers every role, scaled by `weight` so pools hold distinct weights.
fn bond<T: Config>(weight: u32) -> BalanceOf<T> {
	Pallet::<T>::required_bond(all_roles(), &ActiveParameters::<T>::get())
		.saturating_mul((weight % 97 + 1).into())
}

/// Makes every pool's tree as tall as `MaxNodes` allows. Every power-of-two entry above the old
/// capacity covers the whole tree, so it starts as the old total; the entries between them
/// cover empty slots.
fn deepen_pools<T: Config>() {
	let capacity = T::MaxNodes::get().next_power_of_two();
	for role in NodeRole::ALL {
		let mut size = PoolSizes::<T>::get(role);
		let total =
			if size.capacity == 0 { Zero::zero() } else { PoolTree::<T>::get(role, size.capacity) };
		let mut power = size.capacity.max(1);
		while power < capacity {
			power *= 2;
			PoolTree::<T>::insert(role, power, total);
		}
		size.capacity = capacity.max(size.capacity);
		PoolSizes::<T>::insert(role, size);
	}
}

/// Chills the nodes the chain started with, so committees come from the benchmark's own nodes,
/// whose keys the keystore holds.
fn chill_genesis_nodes<T: Config>() {
	let nodes: Vec<T::AccountId> = Nodes::<T>::iter_keys().collect();
	for who in nodes {
		Pallet::<T>::chill(RawOrigin::Root.into(), who).expect("root chills");
	}
}

/// Registers node `index` for `roles` with `key`.
fn add_node<T: Config>(index: u32, roles: RoleSet, key: NodeKey) -> T::AccountId {
	let who: T::AccountId = account("node", index, 0);
	fund::<T>(&who);
	let endpoint = roles.contains(NodeRole::Data).then(endpoint::<T>);
	Pallet::<T>::do_register(&who, roles, key, endpoint, bond::<T>(index))
		.expect("a funded node registers");
	who
}

/// Registers node `index` for `roles` with a fresh key from the keystore, which can sign.
fn add_signing_node<T: Config>(index: u32, roles: RoleSet) -> T::AccountId {
	add_node::<T>(index, roles, NodeKey::generate_pair(None))
}

/// The role key's signature of `statement`.
fn sign<T: Config>(key: &NodeKey, statement: &StatementOf<'_, T>) -> NodeKeySignature {
	key.sign(&signing_message(&Pallet::<T>::genesis_hash(), statement))
		.expect("the keystore holds the key")
}

/// The TDX sample as the host function verifies it.
fn tdx_sample() -> opg_primitives::tee::VerifiedQuote {
	opg_primitives::tee::opg_dcap::verify_quote(
		samples::TDX_QUOTE,
		samples::TDX_COLLATERAL,
		opg_primitives::tee::INTEL_ROOT_CA_DER,
		samples::SAMPLE_TIME,
	)
	.expect("the sample verifies")
}

/// Registers `who` through the dev enclave with a fresh enclave key from the keystore.
fn register_dev_enclave<T: Config>(who: &T::AccountId) {
	let key = EnclaveKey::generate_pair(None);
	let message =
		opg_primitives::tee::insecure_registration_message(&Pallet::<T>::genesis_hash(), who);
	let key_proof = key.sign(&message).expect("the keystore holds the key");
	Pallet::<T>::do_register_tee(who, TeeEvidence::InsecureDevEnclave { key_proof }, key)
		.expect("registers through the dev enclave");
}

/// Allows the insecure dev enclave (as on a dev chain); returns its measurement id.
fn allow_dev_enclave<T: Config>() -> MeasurementId {
	InsecureDevEnclaveAllowed::<T>::put(true);
	Pallet::<T>::do_allow_measurement(Measurement::InsecureDevEnclave).expect("allowed");
	Measurement::InsecureDevEnclave.id()
}

/// A chain where the TDX sample registers: the clock in its window, its collateral and
/// measurement registered, block 3's hash the one it binds, and an inference node in deep
/// pools registered before through the dev enclave. Returns the node, the evidence and the key.
fn tdx_registration<T: Config>() -> (T::AccountId, TeeEvidence<BlockNumberFor<T>>, EnclaveKey) {
	T::BenchmarkHelper::set_unix_time(samples::SAMPLE_TIME);
	deepen_pools::<T>();
	let sample = tdx_sample();
	let (key, block) = opg_primitives::tee::read_report_data(&sample.report_data);
	let anchor: BlockNumberFor<T> = 3u32.into();
	frame_system::Pallet::<T>::set_block_number(5u32.into());
	let hash = T::Hash::decode(&mut &block.as_ref()[..]).expect("32 bytes");
	frame_system::BlockHash::<T>::insert(anchor, hash);
	Pallet::<T>::do_refresh_collateral(
		samples::TDX_QUOTE,
		CollateralBytes::truncate_from(samples::TDX_COLLATERAL.to_vec()),
	)
	.expect("the sample's collateral registers");
	Pallet::<T>::do_allow_measurement(sample.measurement).expect("allowed");
	allow_dev_enclave::<T>();
	let node = add_node::<T>(1, NodeRole::Inference.into(), dummy_key(1));
	register_dev_enclave::<T>(&node);
	let evidence = TeeEvidence::Dcap {
		quote: QuoteBytes::truncate_from(samples::TDX_QUOTE.to_vec()),
		fmspc: sample.fmspc,
		pck_ca: sample.pck_ca,
		anchor,
	};
	(node, evidence, EnclaveKey::from(sp_core::ed25519::Public::from_raw(key)))
}

/// Sets the committee size to `k`.
fn committee_of_size<T: Config>(k: u32) {
	ActiveParameters::<T>::mutate(|parameters| parameters.committee_size = k);
}

/// A claimant and `k + 1` verifiers with keys that sign, in deep pools. The verifiers take
/// every role, so a slash updates three pools.
fn round_network<T: Config>(k: u32) -> T::AccountId {
	chill_genesis_nodes::<T>();
	deepen_pools::<T>();
	committee_of_size::<T>(k);
	let claimant = add_signing_node::<T>(0, NodeRole::Inference.into());
	for index in 1..=k + 1 {
		add_signing_node::<T>(index, all_roles());
	}
	claimant
}

/// Opens a verification round on the benchmark subject and draws its committee; returns it.
fn open_and_draw<T: Config>(claimant: &T::AccountId) -> Vec<T::AccountId> {
	Pallet::<T>::open_round(subject(), claimant, output(1)).expect("the round opens");
	let draw_at = Rounds::<T>::get(subject()).expect("open").draw_at;
	frame_system::Pallet::<T>::set_block_number(draw_at);
	Pallet::<T>::end_due(draw_at);
	Pallet::<T>::committee(subject()).expect("the committee is drawn")
}

fn subject() -> SubjectId {
	SubjectId::repeat_byte(0x5B)
}

fn salt() -> [u8; 32] {
	[0x5A; 32]
}

fn output(n: u8) -> OutputHash {
	OutputHash::repeat_byte(n)
}

/// `member`'s signed commitment to `output` in the benchmark subject's round.
fn commit_call<T: Config>(member: &T::AccountId, output: OutputHash) -> Call<T> {
	let subject = subject();
	let round = Rounds::<T>::get(subject).expect("open").opened_at;
	let commitment = commitment_of(&subject, &round, member, &output, &salt());
	let key = Nodes::<T>::get(member).expect("a member is a node").key;
	let statement = SignedStatement::Commit {
		subject: &subject,
		round: &round,
		member,
		commitment: &commitment,
	};
	let signature = sign::<T>(&key, &statement);
	Call::commit { subject, member: member.clone(), commitment, signature }
}

/// `member`'s signed reveal of `output` in the benchmark subject's round.
fn reveal_call<T: Config>(member: &T::AccountId, output: OutputHash) -> Call<T> {
	let subject = subject();
	let salt = salt();
	let round = Rounds::<T>::get(subject).expect("open").opened_at;
	let key = Nodes::<T>::get(member).expect("a member is a node").key;
	let statement = SignedStatement::Reveal {
		subject: &subject,
		round: &round,
		member,
		output: &output,
		salt: &salt,
	};
	let signature = sign::<T>(&key, &statement);
	Call::reveal { subject, member: member.clone(), output, salt, signature }
}

/// Dispatches a call as the authorized origin.
fn dispatch_authorized<T: Config>(call: Call<T>) {
	use frame_support::traits::UnfilteredDispatchable;
	call.dispatch_bypass_filter(RawOrigin::Authorized.into()).expect("the call succeeds");
}

/// `who`'s signed heartbeat for the current period.
fn heartbeat_call<T: Config>(who: &T::AccountId) -> Call<T> {
	let parameters = ActiveParameters::<T>::get();
	let period_start =
		Pallet::<T>::period_start(frame_system::Pallet::<T>::block_number(), &parameters);
	let heartbeat = Heartbeat { node: who.clone(), period_start };
	let key = Nodes::<T>::get(who).expect("a node").key;
	let signature = sign::<T>(&key, &SignedStatement::Heartbeat(&heartbeat));
	Call::heartbeat { heartbeat, signature }
}

/// Moves to the first block at which every node registered now is stale.
fn make_everyone_stale<T: Config>() {
	let parameters = ActiveParameters::<T>::get();
	let silence =
		parameters.heartbeat_period.saturating_mul((parameters.max_missed_heartbeats + 2).into());
	frame_system::Pallet::<T>::set_block_number(
		frame_system::Pallet::<T>::block_number() + silence,
	);
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register() {
		deepen_pools::<T>();
		let who: T::AccountId = whitelisted_caller();
		fund::<T>(&who);
		let amount = bond::<T>(1);
		let key = NodeKey::generate_pair(None);
		let proof = sign::<T>(&key, &SignedStatement::KeyOwnership { account: &who });
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), all_roles(), key, proof, Some(endpoint::<T>()), amount);
		assert!(Nodes::<T>::contains_key(&who));
	}

	#[benchmark]
	fn bond_extra() {
		deepen_pools::<T>();
		let who = add_node::<T>(1, all_roles(), dummy_key(1));
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), 1_000u32.into());
		assert_eq!(Nodes::<T>::get(&who).expect("a node").bonded, bond::<T>(1) + 1_000u32.into());
	}

	#[benchmark]
	fn unbond() -> Result<(), BenchmarkError> {
		deepen_pools::<T>();
		let who = add_node::<T>(1, all_roles(), dummy_key(1));
		Pallet::<T>::bond_extra(RawOrigin::Signed(who.clone()).into(), 1_000u32.into())?;
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), 1_000u32.into());
		assert_eq!(Nodes::<T>::get(&who).expect("a node").unlocking.len(), 1);
		Ok(())
	}

	#[benchmark]
	fn withdraw_unbonded() -> Result<(), BenchmarkError> {
		deepen_pools::<T>();
		let who = add_node::<T>(1, all_roles(), dummy_key(1));
		// A TEE node: its registration goes with its record.
		allow_dev_enclave::<T>();
		register_dev_enclave::<T>(&who);
		Pallet::<T>::leave(RawOrigin::Signed(who.clone()).into())?;
		let unbonding = ActiveParameters::<T>::get().unbonding_period;
		frame_system::Pallet::<T>::set_block_number(
			frame_system::Pallet::<T>::block_number() + unbonding,
		);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert!(!Nodes::<T>::contains_key(&who));
		Ok(())
	}

	#[benchmark]
	fn leave() {
		deepen_pools::<T>();
		let who = add_node::<T>(1, all_roles(), dummy_key(1));
		// A node after it, so leaving moves it into the freed slots.
		add_node::<T>(2, all_roles(), dummy_key(2));
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert_eq!(Nodes::<T>::get(&who).expect("a node").status, NodeStatus::Leaving);
	}

	#[benchmark]
	fn set_roles() -> Result<(), BenchmarkError> {
		deepen_pools::<T>();
		let who = add_node::<T>(1, NodeRole::Inference.into(), dummy_key(1));
		add_node::<T>(2, NodeRole::Inference.into(), dummy_key(2));
		Pallet::<T>::bond_extra(RawOrigin::Signed(who.clone()).into(), bond::<T>(1))?;
		// A TEE node: dropping the inference role ends its registration too.
		allow_dev_enclave::<T>();
		register_dev_enclave::<T>(&who);
		let roles = RoleSet::from_roles(&[NodeRole::Verifier, NodeRole::Data]);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), roles, Some(endpoint::<T>()));
		assert_eq!(Nodes::<T>::get(&who).expect("a node").roles, roles);
		Ok(())
	}

	#[benchmark]
	fn set_role_key() {
		let who = add_node::<T>(1, all_roles(), dummy_key(1));
		let key = NodeKey::generate_pair(None);
		let proof = sign::<T>(&key, &SignedStatement::KeyOwnership { account: &who });
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), key.clone(), proof);
		assert_eq!(NodeByKey::<T>::get(key), Some(who));
	}

	#[benchmark]
	fn heartbeat() {
		// An inactive node in all roles: its heartbeat puts it back in three pools.
		deepen_pools::<T>();
		let who = add_signing_node::<T>(1, all_roles());
		add_node::<T>(2, all_roles(), dummy_key(2));
		make_everyone_stale::<T>();
		let now = frame_system::Pallet::<T>::block_number();
		Pallet::<T>::sweep_liveness(now);
		assert!(matches!(
			Nodes::<T>::get(&who).expect("a node").status,
			NodeStatus::Inactive { .. }
		));
		let Call::heartbeat { heartbeat: beat, signature } = heartbeat_call::<T>(&who) else {
			unreachable!()
		};
		#[extrinsic_call]
		_(RawOrigin::Authorized, beat, signature);
		assert_eq!(Nodes::<T>::get(&who).expect("a node").status, NodeStatus::Active);
	}

	#[benchmark]
	fn authorize_heartbeat() -> Result<(), BenchmarkError> {
		let who = add_signing_node::<T>(1, all_roles());
		let call = heartbeat_call::<T>(&who);
		#[block]
		{
			call.authorize(TransactionSource::External)
				.ok_or("the call authorizes")?
				.map_err(|_| "the heartbeat is valid")?;
		}
		Ok(())
	}

	#[benchmark]
	fn commit() {
		let k = T::MaxCommitteeSize::get();
		let claimant = round_network::<T>(k);
		let committee = open_and_draw::<T>(&claimant);
		let Call::commit { subject, member, commitment, signature } =
			commit_call::<T>(&committee[0], output(1))
		else {
			unreachable!()
		};
		#[extrinsic_call]
		_(RawOrigin::Authorized, subject, member, commitment, signature);
	}

	#[benchmark]
	fn authorize_commit() -> Result<(), BenchmarkError> {
		let k = T::MaxCommitteeSize::get();
		let claimant = round_network::<T>(k);
		let committee = open_and_draw::<T>(&claimant);
		let call = commit_call::<T>(&committee[k as usize - 1], output(1));
		#[block]
		{
			call.authorize(TransactionSource::External)
				.ok_or("the call authorizes")?
				.map_err(|_| "the commitment is valid")?;
		}
		Ok(())
	}

	/// A reveal that does not end the round: the round's end is `conclude_round`.
	#[benchmark]
	fn reveal() {
		let k = T::MaxCommitteeSize::get();
		let claimant = round_network::<T>(k);
		let committee = open_and_draw::<T>(&claimant);
		for member in &committee {
			dispatch_authorized::<T>(commit_call::<T>(member, output(1)));
		}
		let Call::reveal { subject, member, output, salt, signature } =
			reveal_call::<T>(&committee[k as usize - 1], output(1))
		else {
			unreachable!()
		};
		#[extrinsic_call]
		_(RawOrigin::Authorized, subject, member, output, salt, signature);
	}

	#[benchmark]
	fn authorize_reveal() -> Result<(), BenchmarkError> {
		let k = T::MaxCommitteeSize::get();
		let claimant = round_network::<T>(k);
		let committee = open_and_draw::<T>(&claimant);
		for member in &committee {
			dispatch_authorized::<T>(commit_call::<T>(member, output(1)));
		}
		let call = reveal_call::<T>(&committee[0], output(1));
		#[block]
		{
			call.authorize(TransactionSource::External)
				.ok_or("the call authorizes")?
				.map_err(|_| "the reveal is valid")?;
		}
		Ok(())
	}

	/// A challenge: holds the bond, takes the claim off the deadline list, opens a dispute
	/// round (its committee is drawn in the next block: `draw_committee`).
	#[benchmark]
	fn challenge() {
		let k = T::MaxCommitteeSize::get();
		let claimant = round_network::<T>(k);
		Pallet::<T>::open_claim(subject(), &claimant, output(1)).expect("the claim opens");
		let challenger = add_node::<T>(k + 2, NodeRole::Verifier.into(), dummy_key(k + 2));
		#[extrinsic_call]
		_(RawOrigin::Signed(challenger), subject());
		assert!(Rounds::<T>::contains_key(subject()));
	}

	#[benchmark]
	fn chill() {
		deepen_pools::<T>();
		let who = add_node::<T>(1, all_roles(), dummy_key(1));
		add_node::<T>(2, all_roles(), dummy_key(2));
		#[extrinsic_call]
		_(RawOrigin::Root, who.clone());
		assert!(Nodes::<T>::get(&who).expect("a node").chilled);
	}

	#[benchmark]
	fn unchill() -> Result<(), BenchmarkError> {
		deepen_pools::<T>();
		let who = add_node::<T>(1, all_roles(), dummy_key(1));
		Pallet::<T>::chill(RawOrigin::Root.into(), who.clone())?;
		#[extrinsic_call]
		_(RawOrigin::Root, who.clone());
		assert!(!Nodes::<T>::get(&who).expect("a node").chilled);
		Ok(())
	}

	#[benchmark]
	fn set_parameter() -> Result<(), BenchmarkError> {
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let bond = T::DefaultParameters::get().min_inference_bond;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, ParameterChange::MinInferenceBond(bond));
		assert_eq!(ActiveParameters::<T>::get().min_inference_bond, bond);
		Ok(())
	}

	/// Ending a round of `k`: the quorum reveals an output other than the claim, the rest do
	/// not reveal, so every member is slashed or paid and the claimant is slashed too.
	#[benchmark]
	fn conclude_round(k: Linear<1, { 16 }>) {
		let k = k.min(T::MaxCommitteeSize::get());
		let claimant = round_network::<T>(k);
		let committee = open_and_draw::<T>(&claimant);
		let needed = ActiveParameters::<T>::get().votes_needed(k) as usize;
		for member in &committee[..needed] {
			dispatch_authorized::<T>(commit_call::<T>(member, output(2)));
		}
		let commit_deadline = Rounds::<T>::get(subject()).expect("open").commit_deadline;
		frame_system::Pallet::<T>::set_block_number(commit_deadline);
		for member in &committee[..needed] {
			let call = reveal_call::<T>(member, output(2));
			if Rounds::<T>::contains_key(subject()) {
				dispatch_authorized::<T>(call);
			}
		}
		let round = Rounds::<T>::get(subject());
		#[block]
		{
			if let Some(round) = round {
				Pallet::<T>::conclude_round(subject(), round);
			}
		}
		assert!(!Rounds::<T>::contains_key(subject()));
	}

	#[benchmark]
	fn claim_stands() {
		let claimant = add_node::<T>(1, all_roles(), dummy_key(1));
		Pallet::<T>::open_claim(subject(), &claimant, output(1)).expect("the claim opens");
		let deadline = Claims::<T>::get(subject()).expect("open").challenge_deadline;
		frame_system::Pallet::<T>::set_block_number(deadline);
		#[block]
		{
			Pallet::<T>::end_due(deadline);
		}
		assert!(!Claims::<T>::contains_key(subject()));
	}

	#[benchmark]
	fn end_due_base() {
		let now = frame_system::Pallet::<T>::block_number();
		#[block]
		{
			Pallet::<T>::end_due(now);
		}
	}

	/// The liveness sweep checking `n` nodes, each found stale and taken out of three pools.
	#[benchmark]
	fn sweep_liveness(n: Linear<1, { 64 }>) {
		deepen_pools::<T>();
		for index in 0..n + 1 {
			add_node::<T>(index, all_roles(), dummy_key(index));
		}
		make_everyone_stale::<T>();
		let now = frame_system::Pallet::<T>::block_number();
		#[block]
		{
			Pallet::<T>::sweep_liveness_up_to(now, n);
		}
	}

	/// Choosing `k` verifiers among `n` registered ones (10,000 at most), with distinct stakes.
	#[benchmark]
	fn select(n: Linear<16, { SELECTION_NODES }>, k: Linear<1, { 16 }>) {
		// The chain's own nodes count against MaxNodes: as many as fit, up to n.
		let n = n.min(T::MaxNodes::get() - NodeCount::<T>::get());
		chill_genesis_nodes::<T>();
		let k = k.min(T::MaxCommitteeSize::get());
		for index in 0..n {
			add_node::<T>(index, NodeRole::Verifier.into(), dummy_key(index));
		}
		let chosen;
		#[block]
		{
			chosen = Pallet::<T>::select(NodeRole::Verifier, subject(), k, &[]);
		}
		assert_eq!(chosen.expect("enough verifiers").len(), k as usize);
	}

	/// The consumer opening a verification round.
	#[benchmark]
	fn open_round() {
		let claimant = add_node::<T>(1, all_roles(), dummy_key(1));
		#[block]
		{
			Pallet::<T>::open_round(subject(), &claimant, output(1)).expect("the round opens");
		}
	}

	/// Drawing a committee of `k` among verifiers in pools of the deepest tree, two of whom
	/// (the claimant and a challenger) are excluded.
	#[benchmark]
	fn draw_committee(k: Linear<1, { 16 }>) {
		let k = k.min(T::MaxCommitteeSize::get());
		let claimant = round_network::<T>(k);
		let challenger = add_node::<T>(k + 2, all_roles(), dummy_key(k + 2));
		add_node::<T>(k + 3, all_roles(), dummy_key(k + 3));
		Pallet::<T>::open_claim(subject(), &claimant, output(1)).expect("the claim opens");
		Pallet::<T>::challenge(RawOrigin::Signed(challenger).into(), subject())
			.expect("the challenge opens a round");
		let round = Rounds::<T>::get(subject()).expect("open");
		frame_system::Pallet::<T>::set_block_number(round.draw_at);
		#[block]
		{
			Pallet::<T>::draw_committee(subject(), round);
		}
		assert_eq!(Pallet::<T>::committee(subject()).map(|c| c.len()), Some(k as usize));
	}

	#[benchmark]
	fn open_claim() {
		let claimant = add_node::<T>(1, all_roles(), dummy_key(1));
		#[block]
		{
			Pallet::<T>::open_claim(subject(), &claimant, output(1)).expect("the claim opens");
		}
	}

	/// Collateral refreshed with the larger real sample (TDX: a 5 KiB quote, 16 KiB of
	/// collateral), the host function's verification included.
	#[benchmark]
	fn refresh_collateral() {
		T::BenchmarkHelper::set_unix_time(samples::SAMPLE_TIME);
		let caller: T::AccountId = account("refresher", 0, 0);
		#[extrinsic_call]
		_(
			RawOrigin::Signed(caller),
			QuoteBytes::truncate_from(samples::TDX_QUOTE.to_vec()),
			CollateralBytes::truncate_from(samples::TDX_COLLATERAL.to_vec()),
		);
		assert_eq!(TeeCollateral::<T>::iter().count(), 1);
	}

	/// The real TDX sample registered by a node that had registered before (its old
	/// registration goes), in pools as deep as `MaxNodes` allows, the host function's
	/// verification included.
	#[benchmark]
	fn register_tee() {
		let (node, evidence, key) = tdx_registration::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(node.clone()), evidence, key.clone());
		assert_eq!(TeeNodes::<T>::get(&node).map(|r| r.enclave_key), Some(key));
	}

	#[benchmark]
	fn allow_measurement() {
		let measurement = tdx_sample().measurement;
		#[extrinsic_call]
		_(RawOrigin::Root, measurement.clone());
		assert!(AllowedMeasurements::<T>::contains_key(measurement.id()));
	}

	/// Revoking a measurement with `n` nodes registered under it, each in deep pools.
	#[benchmark]
	fn revoke_measurement(n: Linear<0, { T::MaxTeeNodesPerMeasurement::get() }>) {
		deepen_pools::<T>();
		let id = allow_dev_enclave::<T>();
		for index in 0..n {
			let who = add_node::<T>(index + 1, NodeRole::Inference.into(), dummy_key(index + 1));
			register_dev_enclave::<T>(&who);
		}
		#[extrinsic_call]
		_(RawOrigin::Root, id);
		assert_eq!(TeeNodes::<T>::iter().count(), 0);
	}

	/// Revoking one node's registration, the node in deep pools.
	#[benchmark]
	fn revoke_tee() {
		deepen_pools::<T>();
		allow_dev_enclave::<T>();
		let who = add_node::<T>(1, NodeRole::Inference.into(), dummy_key(1));
		register_dev_enclave::<T>(&who);
		#[extrinsic_call]
		_(RawOrigin::Root, who.clone());
		assert!(!TeeNodes::<T>::contains_key(&who));
	}

	#[benchmark]
	fn set_accepted_tcb_statuses() {
		let statuses = TcbStatusSet::from_statuses(&TcbStatus::ALL);
		#[extrinsic_call]
		_(RawOrigin::Root, statuses);
		assert_eq!(AcceptedTcbStatuses::<T>::get(), statuses);
	}

	impl_benchmark_test_suite!(
		Pallet,
		crate::mock::ExtBuilder::default().build_with_keystore(),
		crate::mock::Test
	);
}
