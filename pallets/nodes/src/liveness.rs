//! Heartbeats and liveness: periods, staleness, the sweep that marks nodes inactive, and the
//! offchain worker that sends each local node's heartbeat.

use frame_system::offchain::SubmitTransaction;
use opg_primitives::attestation::signing_message;
use sp_runtime::{
	transaction_validity::{
		InvalidTransaction, TransactionPriority, TransactionSource, TransactionValidityError,
		TransactionValidityWithRefund, ValidTransaction,
	},
	RuntimeAppPublic, SaturatedConversion,
};

use super::*;

/// The priority of a heartbeat in its period's second half: above any paying transaction
/// without an operational class (whose priority grows with its tip), as high as FRAME lets a
/// transaction outside the operational class reach.
pub const LATE_HEARTBEAT_PRIORITY: TransactionPriority = TransactionPriority::MAX / 2;

impl<T: Config> Pallet<T> {
	/// The heartbeat period that block `block` falls in.
	pub fn period_of(block: BlockNumberFor<T>, parameters: &ParametersOf<T>) -> u32 {
		let period: u32 = parameters.heartbeat_period.saturated_into();
		let block: u32 = block.saturated_into();
		block.checked_div(period).unwrap_or(block)
	}

	/// The first block of the heartbeat period that block `block` falls in.
	pub fn period_start(
		block: BlockNumberFor<T>,
		parameters: &ParametersOf<T>,
	) -> BlockNumberFor<T> {
		let length: u32 = parameters.heartbeat_period.saturated_into();
		BlockNumberFor::<T>::from(Self::period_of(block, parameters).saturating_mul(length))
	}

	/// Whether `node` already sent a heartbeat in the period starting at `period_start`.
	fn beat_in(node: &NodeInfoOf<T>, period_start: BlockNumberFor<T>) -> bool {
		node.last_heartbeat.is_some_and(|at| at >= period_start)
	}

	/// Why `node` should be inactive now, if it should: stale, or bonded below its roles'
	/// minimums.
	fn inactive_reason(node: &NodeInfoOf<T>, now: BlockNumberFor<T>) -> Option<InactiveReason> {
		if Self::is_stale(node, now) {
			Some(InactiveReason::MissedHeartbeats)
		} else if node.bonded < Self::required_bond(node.roles, &ActiveParameters::<T>::get()) {
			Some(InactiveReason::UnderBonded)
		} else {
			None
		}
	}

	/// Marks `node` inactive or active again as its liveness and bond say (a leaving node stays
	/// leaving). The caller stores it.
	pub(crate) fn refresh_status(
		who: &T::AccountId,
		node: &mut NodeInfoOf<T>,
		now: BlockNumberFor<T>,
	) {
		match (node.status, Self::inactive_reason(node, now)) {
			(NodeStatus::Active, Some(reason)) => {
				node.status = NodeStatus::Inactive { since: now };
				Self::deposit_event(Event::NodeInactive { node: who.clone(), reason });
			}
			(NodeStatus::Inactive { .. }, None) => {
				node.status = NodeStatus::Active;
				Self::deposit_event(Event::NodeReactivated { node: who.clone() });
			}
			_ => {}
		}
	}

	/// Whether `node` has missed more heartbeat periods than allowed.
	pub fn is_stale(node: &NodeInfoOf<T>, now: BlockNumberFor<T>) -> bool {
		let parameters = ActiveParameters::<T>::get();
		let silent = Self::period_of(now, &parameters)
			.saturating_sub(Self::period_of(node.alive_at(), &parameters));
		silent > parameters.max_missed_heartbeats
	}

	/// Whether `node` may be given work of `role` now.
	pub(crate) fn eligible(node: &NodeInfoOf<T>, role: NodeRole, now: BlockNumberFor<T>) -> bool {
		node.in_pool() && node.roles.contains(role) && Self::inactive_reason(node, now).is_none()
	}

	/// The genesis hash, which every role-key signature covers.
	fn genesis_hash() -> T::Hash {
		frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero())
	}

	/// Whether `signature` is `key`'s over `statement` on this chain.
	pub(crate) fn verify_statement(
		key: &NodeKey,
		statement: &StatementOf<'_, T>,
		signature: &NodeKeySignature,
	) -> bool {
		key.verify(&signing_message(&Self::genesis_hash(), statement), signature)
	}

	/// A pallet error as a transaction-validity error: `Custom(index)` where `index` is the
	/// error's index in this pallet's `Error` enum.
	pub(crate) fn invalid(error: Error<T>) -> TransactionValidityError {
		let index = error.encode().first().copied().unwrap_or(u8::MAX);
		match error {
			Error::<T>::BadSignature => InvalidTransaction::BadProof.into(),
			Error::<T>::NotRegistered => InvalidTransaction::BadSigner.into(),
			Error::<T>::DuplicateHeartbeat => InvalidTransaction::Stale.into(),
			_ => InvalidTransaction::Custom(index).into(),
		}
	}

	/// Checks a heartbeat: a registered, non-leaving node, the current period, the first in
	/// it, signed by the node's role key. Returns the node.
	pub(crate) fn check_heartbeat(
		heartbeat: &HeartbeatOf<T>,
		signature: &NodeKeySignature,
	) -> Result<NodeInfoOf<T>, Error<T>> {
		let node = Self::check_authorized_heartbeat(heartbeat)?;
		ensure!(
			Self::verify_statement(&node.key, &SignedStatement::Heartbeat(heartbeat), signature),
			Error::<T>::BadSignature
		);
		Ok(node)
	}

	/// [`Self::check_heartbeat`] but the signature: what the call itself checks of a heartbeat
	/// its `authorize` let in, having verified the signature in the same block just before, so
	/// the signature is verified once per inclusion.
	pub(crate) fn check_authorized_heartbeat(
		heartbeat: &HeartbeatOf<T>,
	) -> Result<NodeInfoOf<T>, Error<T>> {
		let node = Self::node(&heartbeat.node)?;
		ensure!(node.status != NodeStatus::Leaving, Error::<T>::NodeLeaving);
		let parameters = ActiveParameters::<T>::get();
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(
			heartbeat.period_start == Self::period_start(now, &parameters),
			Error::<T>::WrongPeriod
		);
		ensure!(!Self::beat_in(&node, heartbeat.period_start), Error::<T>::DuplicateHeartbeat);
		Ok(node)
	}

	/// Records a checked heartbeat: the periods the node missed before it count against its
	/// reputation, and it is active again if its bond allows. Returns whether its status
	/// changed, and with it its place in the pools.
	pub(crate) fn note_heartbeat(heartbeat: &HeartbeatOf<T>, mut node: NodeInfoOf<T>) -> bool {
		let status = node.status;
		let now = frame_system::Pallet::<T>::block_number();
		let parameters = ActiveParameters::<T>::get();
		let missed = Self::period_of(now, &parameters)
			.saturating_sub(Self::period_of(node.alive_at(), &parameters))
			.saturating_sub(1);
		if missed > 0 {
			Reputations::<T>::mutate(&heartbeat.node, |reputation| {
				reputation.missed_heartbeats = reputation.missed_heartbeats.saturating_add(missed)
			});
		}
		node.last_heartbeat = Some(now);
		Self::deposit_event(Event::HeartbeatReceived {
			node: heartbeat.node.clone(),
			period_start: heartbeat.period_start,
		});
		Self::refresh_status(&heartbeat.node, &mut node, now);
		Self::store_node(&heartbeat.node, &node);
		node.status != status
	}

	/// How long a valid heartbeat may wait in the pool: until its period ends. In the
	/// period's first half, when every node sends its heartbeat ([`Self::beat_from`]), it ranks
	/// below every paying transaction (priority 0): a payer does not wait behind thousands of
	/// them. A heartbeat still not in a block in the second half (its node resends it every few
	/// blocks, each copy validated anew) ranks above them ([`LATE_HEARTBEAT_PRIORITY`]): paying
	/// transactions that fill every block for a whole period (with tips above every other)
	/// cannot keep nodes from proving they are alive, and the per-block cap
	/// ([`Config::MaxHeartbeatsPerBlock`]) still bounds the room late heartbeats take from payers.
	pub(crate) fn heartbeat_validity(heartbeat: &HeartbeatOf<T>) -> TransactionValidityWithRefund {
		let parameters = ActiveParameters::<T>::get();
		let period: u64 = parameters.heartbeat_period.saturated_into();
		let now: u64 = frame_system::Pallet::<T>::block_number().saturated_into();
		let left = period.saturating_sub(now.checked_rem(period).unwrap_or(0)).max(1);
		let late = left.saturating_mul(2) <= period;
		ValidTransaction::with_tag_prefix("OpgHeartbeat")
			.priority(if late { LATE_HEARTBEAT_PRIORITY } else { 0 })
			.and_provides((&heartbeat.node, heartbeat.period_start))
			.longevity(left)
			.propagate(true)
			.build()
			.map(|validity| (validity, Weight::zero()))
	}

	/// In a block being built (`source` is `InBlock`), refuses a heartbeat beyond
	/// [`Config::MaxHeartbeatsPerBlock`] as exhausting the block's resources: the author skips it
	/// and it stays in the pool for the next block. The pool takes every valid heartbeat.
	pub(crate) fn check_heartbeat_room(
		source: TransactionSource,
	) -> Result<(), TransactionValidityError> {
		if source != TransactionSource::InBlock {
			return Ok(());
		}
		let (block, count) = HeartbeatsInBlock::<T>::get();
		if block == frame_system::Pallet::<T>::block_number()
			&& count >= T::MaxHeartbeatsPerBlock::get()
		{
			return Err(InvalidTransaction::ExhaustsResources.into());
		}
		Ok(())
	}

	/// Whether a period of `parameters` has room for two heartbeats of each of `nodes` nodes at
	/// [`Config::MaxHeartbeatsPerBlock`] a block: the registry keeps it true (registrations and
	/// period changes that would break it are refused, [`Error::NoHeartbeatRoom`]), so the
	/// per-block cap bounds what heartbeats take from payers whatever the node count, and no
	/// flood of heartbeats can keep a node's out for a whole period. With the production
	/// period (an hour, 600 blocks) and 64 a block, 19,200 nodes fit, more than `MaxNodes`.
	pub fn has_heartbeat_room(nodes: u32, parameters: &ParametersOf<T>) -> bool {
		let period: u64 = parameters.heartbeat_period.saturated_into();
		u64::from(nodes).saturating_mul(2)
			<= u64::from(T::MaxHeartbeatsPerBlock::get()).saturating_mul(period)
	}

	/// The block of its period from which `node`'s offchain worker sends its heartbeat: its
	/// own offset in the period's first half (from a hash of the account), so that thousands
	/// of nodes spread their heartbeats over the period instead of all sending in its first
	/// block, and a lost one is resent within the period.
	pub fn beat_from(
		node: &T::AccountId,
		period_start: BlockNumberFor<T>,
		parameters: &ParametersOf<T>,
	) -> BlockNumberFor<T> {
		let period: u32 = parameters.heartbeat_period.saturated_into();
		let spread = (period / 2).max(1);
		let hash = sp_io::hashing::blake2_256(&(b"opg:heartbeat-offset", node).encode());
		let [a, b, c, d, ..] = hash;
		let offset = u32::from_le_bytes([a, b, c, d]).checked_rem(spread).unwrap_or(0);
		period_start.saturating_add(offset.into())
	}

	/// Checks as many nodes as `remaining` weight covers, at most `MaxLivenessChecksPerBlock`,
	/// from where the last sweep stopped, and marks the stale ones inactive.
	pub(crate) fn sweep_liveness_within(now: BlockNumberFor<T>, remaining: Weight) -> Weight {
		let checks = opg_primitives::deadlines::most_within(
			remaining,
			T::MaxLivenessChecksPerBlock::get(),
			T::WeightInfo::sweep_liveness,
		);
		if checks == 0 {
			return Weight::zero();
		}
		Self::sweep_liveness_up_to(now, checks)
	}

	/// The liveness sweep, checking up to `limit` nodes.
	pub(crate) fn sweep_liveness_up_to(now: BlockNumberFor<T>, limit: u32) -> Weight {
		let mut nodes = match LivenessCursor::<T>::get() {
			Some(cursor) => Nodes::<T>::iter_from(cursor.into_inner()),
			None => Nodes::<T>::iter(),
		};
		let mut checked = 0u32;
		let mut last = None;
		while checked < limit {
			let Some((who, mut node)) = nodes.next() else { break };
			checked = checked.saturating_add(1);
			let status = node.status;
			Self::refresh_status(&who, &mut node, now);
			if node.status != status {
				Self::store_node(&who, &node);
			}
			last = Some(who);
		}
		match last.filter(|_| checked == limit) {
			Some(who) => LivenessCursor::<T>::set(
				BoundedVec::try_from(Nodes::<T>::hashed_key_for(&who)).ok(),
			),
			None => LivenessCursor::<T>::kill(),
		}
		T::WeightInfo::sweep_liveness(checked)
	}

	/// From the offchain worker: sends a heartbeat for each registered node whose role key is
	/// in this node's keystore and that has not sent one this period.
	pub(crate) fn send_heartbeats(now: BlockNumberFor<T>) {
		let parameters = ActiveParameters::<T>::get();
		let period_start = Self::period_start(now, &parameters);
		for key in NodeKey::all() {
			let Some(account) = NodeByKey::<T>::get(&key) else { continue };
			let Some(node) = Nodes::<T>::get(&account) else { continue };
			if node.status == NodeStatus::Leaving {
				continue;
			}
			if Self::beat_in(&node, period_start)
				|| now < Self::beat_from(&account, period_start, &parameters)
				|| !Self::claim_heartbeat_slot(&key, period_start, now)
			{
				continue;
			}
			let heartbeat = Heartbeat { node: account, period_start };
			let message =
				signing_message(&Self::genesis_hash(), &SignedStatement::Heartbeat(&heartbeat));
			let Some(signature) = key.sign(&message) else {
				log::warn!(target: "nodes", "role key {key:?} could not sign a heartbeat");
				continue;
			};
			let call = Call::heartbeat { heartbeat, signature };
			let transaction = T::create_bare(call.into());
			if SubmitTransaction::<T, Call<T>>::submit_transaction(transaction).is_err() {
				log::warn!(target: "nodes", "heartbeat for period {period_start:?} not accepted");
			}
		}
	}

	/// Whether this node should send `key`'s heartbeat for `period` now: not if it sent one in
	/// the last few blocks (it may still be on its way), so a slow pool is not flooded.
	fn claim_heartbeat_slot(
		key: &NodeKey,
		period_start: BlockNumberFor<T>,
		now: BlockNumberFor<T>,
	) -> bool {
		use sp_runtime::offchain::storage::StorageValueRef;
		const RESEND_AFTER: u32 = 5;
		let storage_key = (b"opg/nodes/heartbeat/", key).encode();
		let now: u32 = now.saturated_into();
		let period: u32 = period_start.saturated_into();
		let slot = StorageValueRef::persistent(&storage_key);
		let result = slot.mutate(|last: Result<Option<(u32, u32)>, _>| match last {
			Ok(Some((sent_period, sent_at)))
				if sent_period == period && now < sent_at.saturating_add(RESEND_AFTER) =>
			{
				Err(())
			}
			_ => Ok((period, now)),
		});
		result.is_ok()
	}
}
