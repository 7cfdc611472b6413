//! The registry's invariants (see the crate docs), checked by `try_state` and after every unit
//! test.

#[cfg(any(feature = "try-runtime", test))]
use super::*;

#[cfg(any(feature = "try-runtime", test))]
impl<T: Config> Pallet<T> {
	/// Checks the invariants listed in the crate docs.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use frame_support::traits::fungible::InspectHold;
		opg_primitives::check_storage_version::<Self>()?;

		// Bonds, keys and the count.
		let mut count = 0u32;
		for (who, node) in Nodes::<T>::iter() {
			count = count.saturating_add(1);
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::NodeBond.into(), &who)
					== node.total_held(),
				"a node's held bond differs from its record"
			);
			ensure!(
				NodeByKey::<T>::get(&node.key).as_ref() == Some(&who),
				"a node's role key does not map back to it"
			);
		}
		ensure!(count == NodeCount::<T>::get(), "NodeCount does not count the nodes");
		ensure!(
			Self::has_heartbeat_room(count, &ActiveParameters::<T>::get()),
			"the heartbeat period has no room for two heartbeats of every node"
		);
		ensure!(NodeByKey::<T>::iter().count() as u32 == count, "role keys without nodes");

		// Pools.
		for role in NodeRole::ALL {
			let size = PoolSizes::<T>::get(role);
			ensure!(
				size.capacity >= size.len
					&& (size.capacity == 0 || size.capacity.is_power_of_two()),
				"a pool's capacity is not a power of two covering its slots"
			);
			let mut total: BalanceOf<T> = Zero::zero();
			for slot in 1..=size.len {
				let who = PoolSlots::<T>::get(role, slot).ok_or("an empty pool slot")?;
				ensure!(SlotOf::<T>::get(role, &who) == Some(slot), "slot owner and slot disagree");
				let node = Nodes::<T>::get(&who).ok_or("a pooled account is no node")?;
				ensure!(
					node.in_pool() && node.roles.contains(role),
					"a pooled node is not poolable"
				);
				ensure!(
					Self::pool_weight(role, &who) == Some(node.bonded),
					"a pooled node's weight is not its bond"
				);
				total = total.saturating_add(node.bonded);
			}
			let tree_total = if size.capacity == 0 {
				Zero::zero()
			} else {
				PoolTree::<T>::get(role, size.capacity)
			};
			ensure!(tree_total == total, "a pool's tree total is not the sum of its weights");
			ensure!(
				PoolSlots::<T>::iter_prefix(role).count() as u32 == size.len
					&& SlotOf::<T>::iter_prefix(role).count() as u32 == size.len,
				"pool slots outside 1..=len"
			);
			let poolable = Nodes::<T>::iter()
				.filter(|(_, node)| node.in_pool() && node.roles.contains(role))
				.count() as u32;
			ensure!(poolable == size.len, "a poolable node is missing from its pool");
		}

		Ok(())
	}
}
