//! Per-block deadline lists ended by a hook within a weight budget, first due first.
//!
//! A pallet lists what falls due at the start of each block (a round to draw, a claim whose
//! window closes, a ceremony turn that ends) and keeps a cursor, the first block whose list may
//! still hold entries. Its hook ends entries from the cursor on while the next one fits its
//! budget at its worst case, and leaves the rest, listed, for the next block; the cursor moves
//! past a block only once its lists are empty. So however many deadlines an attacker crowds into
//! one block, no block's hook runs over its budget, nothing is skipped, and what fell due first
//! ends first. The calls that act within a window check its deadline themselves, so a deadline
//! ended late gives nobody more time.

use frame_support::{weights::Weight, BoundedVec};
use sp_runtime::traits::{One, Saturating};

/// Walks the blocks from `from` to `now`, charging `block_base` for each block's lists, and
/// has `end_block` end each block's entries within `budget` (it returns whether it ended them
/// all, adding what it took to the weight it is given). Returns the new cursor (the first
/// block not finished) and the weight taken, which never exceeds `budget`.
pub fn end_due_within<B>(
	from: B,
	now: B,
	budget: Weight,
	block_base: Weight,
	mut end_block: impl FnMut(B, &mut Weight) -> bool,
) -> (B, Weight)
where
	B: Copy + PartialOrd + One + Saturating,
{
	let mut weight = Weight::zero();
	let mut at = from;
	while at <= now {
		if !weight.saturating_add(block_base).all_lte(budget) {
			break;
		}
		weight.saturating_accrue(block_base);
		if !end_block(at, &mut weight) {
			break;
		}
		at = at.saturating_add(One::one());
	}
	(at, weight)
}

/// The largest count up to `most` whose `weight` fits `budget` (a binary search: `weight`
/// grows with the count), or 0: how much of a queue or sweep a hook takes on in one block.
pub fn most_within(budget: Weight, most: u32, weight: impl Fn(u32) -> Weight) -> u32 {
	let (mut low, mut high) = (0u32, most);
	while low < high {
		let middle = high.saturating_sub((high.saturating_sub(low)) / 2);
		if weight(middle).all_lte(budget) {
			low = middle;
		} else {
			high = middle.saturating_sub(1);
		}
	}
	low
}

/// The next entry `take` takes off a list, if `room` (the most one entry takes) still fits
/// `budget` beside `weight`; `None` when it does not or the list is empty.
pub fn next_within<E>(
	weight: Weight,
	room: Weight,
	budget: Weight,
	take: impl FnOnce() -> Option<E>,
) -> Option<E> {
	weight.saturating_add(room).all_lte(budget).then(take).flatten()
}

/// Takes the first entry off a per-block list, and the list when it is left empty (for
/// `StorageMap::mutate_exists`).
pub fn take_first<E, S>(list: &mut Option<BoundedVec<E, S>>) -> Option<E> {
	let entries = list.as_mut()?;
	let first = (!entries.is_empty()).then(|| entries.remove(0));
	if entries.is_empty() {
		*list = None;
	}
	first
}

#[cfg(test)]
mod tests {
	use super::*;
	use frame_support::traits::ConstU32;

	#[test]
	fn the_walk_stops_where_the_budget_ends_and_resumes_there() {
		let unit = Weight::from_parts(10, 0);
		// Three entries due in block 5, two in block 6; room for the base and two entries.
		let mut lists = alloc::collections::BTreeMap::from([(5u32, 3u32), (6, 2)]);
		let mut end = |budget: Weight, from: u32| {
			end_due_within(from, 6, budget, unit, |at, weight| {
				while next_within(*weight, unit, budget, || {
					let left = lists.get_mut(&at).filter(|left| **left > 0)?;
					*left -= 1;
					Some(())
				})
				.is_some()
				{
					weight.saturating_accrue(unit);
				}
				lists.get(&at).is_none_or(|left| *left == 0)
			})
		};
		let budget = unit.saturating_mul(3);
		// Blocks 3 and 4 hold nothing; block 5's first entry fits the budget with its base.
		assert_eq!(end(budget, 3), (5, budget));
		assert_eq!(end(budget, 5), (5, budget));
		assert_eq!(end(budget, 5), (6, budget), "block 5's last entry, then block 6's base");
		assert_eq!(end(budget, 6), (7, budget), "block 6's two entries");
		assert_eq!(end(budget, 7), (7, Weight::zero()), "nothing is due after now");
	}

	#[test]
	fn taking_the_last_entry_removes_the_list() {
		let mut list: Option<BoundedVec<u8, ConstU32<4>>> =
			Some(BoundedVec::truncate_from(vec![1, 2]));
		assert_eq!(take_first(&mut list), Some(1));
		assert_eq!(take_first(&mut list), Some(2));
		assert_eq!(list, None);
		assert_eq!(take_first(&mut list), None);
	}
}
