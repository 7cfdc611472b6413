//! Selection pools: one Fenwick tree per role over the slots of its pooled nodes, weighted by
//! active bond, so a stake-weighted draw costs `O(log n)` storage reads.
//!
//! Slots are dense (`1..=len`): a node leaving a pool swaps the last slot's node into its place.
//! The tree's capacity is a power of two that doubles when a slot needs it (entry
//! `2 * capacity` then starts as the old total) and never shrinks.

use alloc::{collections::BTreeMap, vec::Vec};
use codec::Encode;
use frame_system::pallet_prelude::BlockNumberFor;
use opg_primitives::{
	attestation::{NodeRole, SubjectId},
	randomness::BlockRandomness,
};
use sp_runtime::{
	traits::{Saturating, Zero},
	DispatchError, SaturatedConversion,
};

use crate::{
	BalanceOf, Config, Error, NodeInfoOf, Nodes, Pallet, PoolSizes, PoolSlots, PoolTree, SlotOf,
	MAX_SELECTION_SKIPS,
};

/// The lowest set bit of `i`.
const fn lowbit(i: u32) -> u32 {
	i & i.wrapping_neg()
}

/// Adds (or subtracts) `delta` at `slot` of `role`'s tree of `capacity`.
fn tree_apply<T: Config>(role: NodeRole, capacity: u32, slot: u32, delta: BalanceOf<T>, add: bool) {
	let mut index = slot;
	while index != 0 && index <= capacity {
		PoolTree::<T>::mutate(role, index, |entry| {
			*entry = if add { entry.saturating_add(delta) } else { entry.saturating_sub(delta) }
		});
		index = index.saturating_add(lowbit(index));
	}
}

/// A read-through view of one role's tree in which a selection removes drawn and excluded
/// nodes without writing storage.
struct TreeView<T: Config> {
	role: NodeRole,
	capacity: u32,
	entries: BTreeMap<u32, BalanceOf<T>>,
}

impl<T: Config> TreeView<T> {
	fn new(role: NodeRole, capacity: u32) -> Self {
		TreeView { role, capacity, entries: BTreeMap::new() }
	}

	fn get(&mut self, index: u32) -> BalanceOf<T> {
		*self.entries.entry(index).or_insert_with(|| PoolTree::<T>::get(self.role, index))
	}

	/// The total weight still in the view.
	fn total(&mut self) -> BalanceOf<T> {
		if self.capacity == 0 {
			Zero::zero()
		} else {
			self.get(self.capacity)
		}
	}

	/// The weight of one slot: its entry less the entries it covers below it.
	fn weight(&mut self, slot: u32) -> BalanceOf<T> {
		let mut weight = self.get(slot);
		let stop = slot.saturating_sub(lowbit(slot));
		let mut index = slot.saturating_sub(1);
		while index > stop {
			weight = weight.saturating_sub(self.get(index));
			index = index.saturating_sub(lowbit(index));
		}
		weight
	}

	/// Removes `weight` at `slot` from the view.
	fn remove(&mut self, slot: u32, weight: BalanceOf<T>) {
		let mut index = slot;
		while index != 0 && index <= self.capacity {
			let entry = self.get(index).saturating_sub(weight);
			self.entries.insert(index, entry);
			index = index.saturating_add(lowbit(index));
		}
	}

	/// The slot whose cumulative weight range contains `point` (which is below the total).
	fn find(&mut self, mut point: BalanceOf<T>) -> u32 {
		let mut position = 0u32;
		let mut step = self.capacity;
		while step != 0 {
			let next = position.saturating_add(step);
			if next <= self.capacity {
				let entry = self.get(next);
				if entry <= point {
					position = next;
					point = point.saturating_sub(entry);
				}
			}
			step >>= 1;
		}
		position.saturating_add(1)
	}
}

impl<T: Config> Pallet<T> {
	/// Brings `who`'s pool memberships in line with `node`: in the pool of each of its roles,
	/// weighted by its active bond, exactly while it is active and unchilled.
	pub(crate) fn sync_pools(who: &T::AccountId, node: &NodeInfoOf<T>) {
		for role in NodeRole::ALL {
			let wanted = (node.in_pool() && node.roles.contains(role)).then_some(node.bonded);
			match (wanted, SlotOf::<T>::get(role, who)) {
				(None, None) => {}
				(None, Some(_)) => Self::pool_remove(role, who),
				(Some(weight), None) => Self::pool_insert(role, who, weight),
				(Some(weight), Some(slot)) => {
					let capacity = PoolSizes::<T>::get(role).capacity;
					let current = TreeView::<T>::new(role, capacity).weight(slot);
					if weight > current {
						tree_apply::<T>(role, capacity, slot, weight.saturating_sub(current), true);
					} else if weight < current {
						tree_apply::<T>(
							role,
							capacity,
							slot,
							current.saturating_sub(weight),
							false,
						);
					}
				}
			}
		}
	}

	/// Adds `who` to `role`'s pool with `weight`, in a new last slot.
	fn pool_insert(role: NodeRole, who: &T::AccountId, weight: BalanceOf<T>) {
		let mut size = PoolSizes::<T>::get(role);
		let slot = size.len.saturating_add(1);
		if slot > size.capacity {
			let capacity = size.capacity.saturating_mul(2).max(1);
			if size.capacity != 0 {
				// The new root covers the old tree: it starts as the old total.
				PoolTree::<T>::insert(role, capacity, PoolTree::<T>::get(role, size.capacity));
			}
			size.capacity = capacity;
		}
		size.len = slot;
		PoolSizes::<T>::insert(role, size);
		PoolSlots::<T>::insert(role, slot, who);
		SlotOf::<T>::insert(role, who, slot);
		tree_apply::<T>(role, size.capacity, slot, weight, true);
	}

	/// Takes `who` out of `role`'s pool, moving the last slot's node into its slot.
	pub(crate) fn pool_remove(role: NodeRole, who: &T::AccountId) {
		let Some(slot) = SlotOf::<T>::take(role, who) else { return };
		let mut size = PoolSizes::<T>::get(role);
		let mut view = TreeView::<T>::new(role, size.capacity);
		let weight = view.weight(slot);
		tree_apply::<T>(role, size.capacity, slot, weight, false);
		let last = size.len;
		if last != slot {
			if let Some(moved) = PoolSlots::<T>::get(role, last) {
				let moved_weight = TreeView::<T>::new(role, size.capacity).weight(last);
				tree_apply::<T>(role, size.capacity, last, moved_weight, false);
				tree_apply::<T>(role, size.capacity, slot, moved_weight, true);
				PoolSlots::<T>::insert(role, slot, &moved);
				SlotOf::<T>::insert(role, &moved, slot);
			}
		}
		PoolSlots::<T>::remove(role, last);
		size.len = last.saturating_sub(1);
		PoolSizes::<T>::insert(role, size);
	}

	/// The weight of `who` in `role`'s pool, if it is in it.
	pub fn pool_weight(role: NodeRole, who: &T::AccountId) -> Option<BalanceOf<T>> {
		let slot = SlotOf::<T>::get(role, who)?;
		Some(TreeView::<T>::new(role, PoolSizes::<T>::get(role).capacity).weight(slot))
	}

	/// The seed of the selection for `subject` in `role`'s pool, in this block: the VRF
	/// randomness of this block and its parent (see the crate docs), or
	/// [`Error::NoRandomness`] in a block without one.
	fn selection_seed(role: NodeRole, subject: &SubjectId) -> Result<[u8; 32], Error<T>> {
		T::Randomness::random(&(b"opg:select", role, subject).encode())
			.ok_or(Error::<T>::NoRandomness)
	}

	/// Draw `draw` of `seed`: a point below `bound`.
	fn draw_below(seed: &[u8; 32], draw: u32, bound: BalanceOf<T>) -> BalanceOf<T> {
		let hash = sp_io::hashing::blake2_256(&(seed, draw).encode());
		let mut bytes = [0u8; 16];
		bytes.copy_from_slice(hash.get(..16).unwrap_or(&[0u8; 16]));
		let bound: u128 = bound.saturated_into();
		u128::from_le_bytes(bytes).checked_rem(bound).unwrap_or(0).saturated_into()
	}

	/// A stake-weighted choice of `count` distinct eligible nodes of `role` for `subject`, none
	/// of them in `exclude`. Reads `O((count + skips + excluded) * log n)` storage entries and
	/// writes nothing. Fails with [`Error::NotEnoughNodes`] when fewer than `count` are found,
	/// [`Error::NoRandomness`] in a block without randomness.
	pub fn select_nodes(
		role: NodeRole,
		subject: SubjectId,
		count: u32,
		exclude: &[T::AccountId],
	) -> Result<Vec<T::AccountId>, DispatchError> {
		let size = PoolSizes::<T>::get(role);
		let mut view = TreeView::<T>::new(role, size.capacity);
		for who in exclude {
			if let Some(slot) = SlotOf::<T>::get(role, who) {
				let weight = view.weight(slot);
				view.remove(slot, weight);
			}
		}
		let now: BlockNumberFor<T> = frame_system::Pallet::<T>::block_number();
		let seed = Self::selection_seed(role, &subject)?;
		let max_draws = count.saturating_add(MAX_SELECTION_SKIPS);
		let mut chosen = Vec::new();
		let mut draw = 0u32;
		while (chosen.len() as u32) < count && draw < max_draws {
			let total = view.total();
			if total.is_zero() {
				break;
			}
			let slot = view.find(Self::draw_below(&seed, draw, total));
			draw = draw.saturating_add(1);
			let weight = view.weight(slot);
			view.remove(slot, weight);
			let Some(who) = PoolSlots::<T>::get(role, slot) else { continue };
			if Nodes::<T>::get(&who).is_some_and(|node| Self::eligible(&node, role, now)) {
				chosen.push(who);
			}
		}
		if (chosen.len() as u32) < count {
			return Err(Error::<T>::NotEnoughNodes.into());
		}
		Ok(chosen)
	}

	/// One stake-weighted draw of an eligible node of `role` per subject (see
	/// [`api::NodeRegistry::select_each`]): the draws share one read-through view of the tree
	/// (and each slot's eligibility), so a block that assigns many jobs reads each entry once.
	/// Each subject's draws are its own: a drawn node found ineligible is drawn past (up to
	/// `MAX_SELECTION_SKIPS` times), never removed, so no subject's outcome depends on another
	/// subject's draws. Writes nothing.
	pub fn select_node_each(
		role: NodeRole,
		subjects: &[SubjectId],
	) -> Result<Vec<Option<T::AccountId>>, DispatchError> {
		let size = PoolSizes::<T>::get(role);
		let mut view = TreeView::<T>::new(role, size.capacity);
		let now: BlockNumberFor<T> = frame_system::Pallet::<T>::block_number();
		let mut eligible = BTreeMap::<u32, Option<T::AccountId>>::new();
		let mut chosen = Vec::with_capacity(subjects.len());
		for subject in subjects {
			let seed = Self::selection_seed(role, subject)?;
			let mut found = None;
			for draw in 0..=MAX_SELECTION_SKIPS {
				let total = view.total();
				if total.is_zero() {
					break;
				}
				let slot = view.find(Self::draw_below(&seed, draw, total));
				let who = eligible.entry(slot).or_insert_with(|| {
					PoolSlots::<T>::get(role, slot).filter(|who| {
						Nodes::<T>::get(who).is_some_and(|node| Self::eligible(&node, role, now))
					})
				});
				if let Some(who) = who {
					found = Some(who.clone());
					break;
				}
			}
			chosen.push(found);
		}
		Ok(chosen)
	}

	/// Makes every pool's tree as tall as `MaxNodes` allows, so that a benchmark's pool updates
	/// walk the tree's whole height (this pallet's benchmarks, and other pallets' through their
	/// runtime's helpers). Every power-of-two entry above the old capacity covers the whole tree,
	/// so it starts as the old total; the entries between them cover empty slots.
	#[cfg(feature = "runtime-benchmarks")]
	pub fn deepen_pools_for_benchmarks() {
		use frame_support::traits::Get;
		let capacity = T::MaxNodes::get().next_power_of_two();
		for role in NodeRole::ALL {
			let mut size = PoolSizes::<T>::get(role);
			let total = if size.capacity == 0 {
				Zero::zero()
			} else {
				PoolTree::<T>::get(role, size.capacity)
			};
			let mut power = size.capacity.max(1);
			while power < capacity {
				power = power.saturating_mul(2);
				PoolTree::<T>::insert(role, power, total);
			}
			size.capacity = capacity.max(size.capacity);
			PoolSizes::<T>::insert(role, size);
		}
	}

	/// Rebuilds every pool for a benchmark's worst case: `entries` entries, its nodes spread
	/// evenly among stale ones (accounts with no node record and one unit of weight, which selection
	/// draws past), in a tree as tall as `MaxNodes` allows. Spread out, two nodes' pool updates
	/// and two draws share few tree entries, as they would among 10,000 registered nodes; in
	/// slots `1..=n` they would share most of them and the benchmark would read and write less
	/// than a live chain does. The fillers' weight is too small to change who is drawn. (Set-up
	/// for benchmarks only, never run from an extrinsic: a panic is a failed benchmark.)
	#[cfg(feature = "runtime-benchmarks")]
	#[allow(clippy::expect_used, clippy::arithmetic_side_effects, clippy::indexing_slicing)]
	pub fn spread_pools_for_benchmarks(entries: u32) {
		use frame_support::traits::Get;
		let capacity = T::MaxNodes::get().next_power_of_two();
		for role in NodeRole::ALL {
			let size = PoolSizes::<T>::get(role);
			let mut view = TreeView::<T>::new(role, size.capacity);
			// Nodes only: the stale entries of an earlier spread are dropped and laid out again.
			let members: Vec<(T::AccountId, BalanceOf<T>)> = (1..=size.len)
				.filter_map(|slot| {
					let who = PoolSlots::<T>::get(role, slot)
						.filter(|who| Nodes::<T>::contains_key(who))?;
					Some((who, view.weight(slot)))
				})
				.collect();
			let capacity = capacity.max(size.capacity);
			let count = members.len() as u32;
			let len = entries.max(count).min(capacity);
			let _ = PoolTree::<T>::clear_prefix(role, u32::MAX, None);
			let _ = PoolSlots::<T>::clear_prefix(role, u32::MAX, None);
			let _ = SlotOf::<T>::clear_prefix(role, u32::MAX, None);
			// Member `j` in slot `1 + j * len / count`, fillers in the slots between.
			let member_slot =
				|j: u32| 1 + (u64::from(j) * u64::from(len) / u64::from(count)) as u32;
			let mut weights = alloc::vec![BalanceOf::<T>::zero(); capacity as usize + 1];
			let mut members = members.into_iter();
			let mut next_member = 0u32;
			for slot in 1..=len {
				let (who, weight) = if next_member < count && member_slot(next_member) == slot {
					next_member += 1;
					members.next().expect("one member per member slot")
				} else {
					(
						frame_benchmarking::account("pool-filler", slot, 0),
						sp_runtime::traits::One::one(),
					)
				};
				PoolSlots::<T>::insert(role, slot, &who);
				SlotOf::<T>::insert(role, &who, slot);
				weights[slot as usize] = weight;
			}
			// A Fenwick tree over the slots' weights, built in one pass.
			for index in 1..=capacity {
				let parent = index.saturating_add(lowbit(index));
				let entry = weights[index as usize];
				if parent <= capacity {
					weights[parent as usize] = weights[parent as usize].saturating_add(entry);
				}
				if !entry.is_zero() {
					PoolTree::<T>::insert(role, index, entry);
				}
			}
			PoolSizes::<T>::insert(role, crate::PoolSize { len, capacity });
		}
	}
}
