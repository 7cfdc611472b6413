//! The registry as other pallets use it: [`api::NodeRegistry`] (the inference and attestations
//! pallets), [`api::SlashBond`] (the attestations pallet) and [`api::TeeRoles`] (the TEE pallet).

use opg_primitives::attestation::{NodeStanding, SubjectId, TeeIneligible};

use super::*;

impl<T: Config> api::NodeRegistry<T::AccountId, BalanceOf<T>> for Pallet<T> {
	fn is_eligible(who: &T::AccountId, role: NodeRole) -> bool {
		Nodes::<T>::get(who).is_some_and(|node| {
			Self::eligible(&node, role, frame_system::Pallet::<T>::block_number())
		})
	}

	fn standing(who: &T::AccountId) -> Option<NodeStanding> {
		Nodes::<T>::get(who).map(|node| NodeStanding {
			roles: node.roles,
			leaving: node.status == NodeStatus::Leaving,
		})
	}

	fn role_key(who: &T::AccountId) -> Option<NodeKey> {
		Nodes::<T>::get(who).map(|node| node.key)
	}

	fn node_of_key(key: &NodeKey) -> Option<T::AccountId> {
		NodeByKey::<T>::get(key)
	}

	fn select(
		role: NodeRole,
		subject: SubjectId,
		count: u32,
		exclude: &[T::AccountId],
	) -> Result<Vec<T::AccountId>, DispatchError> {
		Self::select_nodes(role, subject, count, exclude)
	}

	fn select_each(
		role: NodeRole,
		subjects: &[SubjectId],
	) -> Result<Vec<Option<T::AccountId>>, DispatchError> {
		Self::select_node_each(role, subjects)
	}

	fn select_each_weight(role: NodeRole, count: u32) -> Weight {
		T::WeightInfo::select_each(PoolSizes::<T>::get(role).capacity, count)
			.saturating_add(T::DbWeight::get().reads(1))
	}

	fn pool_size(role: NodeRole) -> u32 {
		PoolSizes::<T>::get(role).len
	}

	fn select_weight(count: u32, excluded: u32) -> Weight {
		// An exclusion reads its slot and walks the tree as a draw does; a skipped draw costs
		// what a kept one does.
		let draws = count.saturating_add(MAX_SELECTION_SKIPS).saturating_add(excluded);
		T::WeightInfo::select(T::MaxNodes::get(), draws)
	}

	fn select_weight_now(role: NodeRole, count: u32) -> Weight {
		// Selection walks the tree, whose height follows its capacity (at least the count of
		// nodes in the pool).
		T::WeightInfo::select(PoolSizes::<T>::get(role).capacity, count)
			.saturating_add(T::DbWeight::get().reads(1))
	}

	fn data_endpoints(limit: u32) -> Vec<Vec<u8>> {
		let pooled = PoolSizes::<T>::get(NodeRole::Data).len;
		(1..=pooled)
			.filter_map(|slot| PoolSlots::<T>::get(NodeRole::Data, slot))
			.filter_map(|who| Nodes::<T>::get(who)?.endpoint)
			.take(limit as usize)
			.map(BoundedVec::into_inner)
			.collect()
	}

	fn begin_work(who: &T::AccountId) -> DispatchResult {
		Self::begin_work(who)
	}

	fn end_work(who: &T::AccountId, outcome: Option<bool>) {
		Self::end_work(who, outcome)
	}

	fn slash(who: &T::AccountId, fraction: sp_runtime::Perbill) -> BalanceOf<T> {
		Self::slash_to_treasury(who, fraction)
	}
}

impl<T: Config> api::SlashBond<T::AccountId, CreditOf<T>> for Pallet<T> {
	fn slash_bond(
		who: &T::AccountId,
		fraction: sp_runtime::Perbill,
		reason: SlashReason,
	) -> CreditOf<T> {
		Self::slash_bond(who, fraction, reason)
	}
}

impl<T: Config> api::TeeRoles<T::AccountId> for Pallet<T> {
	fn check_tee_candidate(who: &T::AccountId) -> Result<(), TeeIneligible> {
		let node = Nodes::<T>::get(who).ok_or(TeeIneligible::NotRegistered)?;
		ensure!(node.status != NodeStatus::Leaving, TeeIneligible::Leaving);
		ensure!(node.roles.contains(NodeRole::Inference), TeeIneligible::NotAnInferenceNode);
		Ok(())
	}

	fn grant_tee_role(who: &T::AccountId) {
		if let Some(mut node) = Nodes::<T>::get(who) {
			node.roles = node.roles.with(NodeRole::Tee);
			Self::store_node(who, &node);
		}
	}

	fn revoke_tee_role(who: &T::AccountId) {
		if let Some(mut node) = Nodes::<T>::get(who).filter(|n| n.roles.contains(NodeRole::Tee)) {
			node.roles = node.roles.without(NodeRole::Tee);
			Self::store_node(who, &node);
		}
	}
}
