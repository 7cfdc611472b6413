
//! Weights for `pallet_zk_ceremony`: estimates until `scripts/benchmark.sh --pallet
//! zk-ceremony` measures them (contribute: two scalar multiplications and a two-pair pairing
//! product through the BN254 host functions, about a third of a proof verification).
//!
//! Do not edit by hand: change the benchmarks and run `scripts/benchmark.sh` again.

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens, unused_imports, missing_docs, dead_code)]

use frame_support::{traits::Get, weights::{Weight, constants::ParityDbWeight}};
use core::marker::PhantomData;

/// Weight functions of `pallet_zk_ceremony`.
pub trait WeightInfo {
	fn begin() -> Weight;
	fn take_slot() -> Weight;
	fn contribute() -> Weight;
	fn attest() -> Weight;
	fn pass_turn() -> Weight;
	fn on_initialize_base() -> Weight;
	fn process_end(c: u32, ) -> Weight;
	fn process_draw(k: u32, ) -> Weight;
	fn process_missed_turn() -> Weight;
}

/// Measured weights, with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn begin() -> Weight {
		Weight::from_parts(40_000_000, 4000)
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	fn take_slot() -> Weight {
		Weight::from_parts(80_000_000, 6000)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
	}
	fn contribute() -> Weight {
		Weight::from_parts(2_500_000_000, 8000)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
	}
	fn attest() -> Weight {
		Weight::from_parts(60_000_000, 6000)
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn pass_turn() -> Weight {
		Weight::from_parts(40_000_000, 6000)
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	fn on_initialize_base() -> Weight {
		Weight::from_parts(5_000_000, 3000)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn process_end(c: u32, ) -> Weight {
		Weight::from_parts(60_000_000, 8000)
			.saturating_add(Weight::from_parts(60_000_000, 3000).saturating_mul(c.into()))
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().reads((2_u64).saturating_mul(c.into())))
			.saturating_add(T::DbWeight::get().writes(4_u64))
			.saturating_add(T::DbWeight::get().writes((2_u64).saturating_mul(c.into())))
	}
	fn process_draw(k: u32, ) -> Weight {
		Weight::from_parts(200_000_000, 40000)
			.saturating_add(Weight::from_parts(1_200_000_000, 20000).saturating_mul(k.into()))
			.saturating_add(T::DbWeight::get().reads(40_u64))
			.saturating_add(T::DbWeight::get().reads((20_u64).saturating_mul(k.into())))
			.saturating_add(T::DbWeight::get().writes(4_u64))
	}
	fn process_missed_turn() -> Weight {
		Weight::from_parts(300_000_000, 40000)
			.saturating_add(T::DbWeight::get().reads(30_u64))
			.saturating_add(T::DbWeight::get().writes(30_u64))
	}
}

/// The same weights with ParityDB's database weights, for tests and benchmarks of other pallets.
impl WeightInfo for () {
	fn begin() -> Weight { Weight::from_parts(40_000_000, 4000) }
	fn take_slot() -> Weight { Weight::from_parts(80_000_000, 6000) }
	fn contribute() -> Weight { Weight::from_parts(2_500_000_000, 8000) }
	fn attest() -> Weight { Weight::from_parts(60_000_000, 6000) }
	fn pass_turn() -> Weight { Weight::from_parts(40_000_000, 6000) }
	fn on_initialize_base() -> Weight { Weight::from_parts(5_000_000, 3000) }
	fn process_end(c: u32, ) -> Weight { Weight::from_parts(60_000_000, 8000).saturating_add(Weight::from_parts(60_000_000, 3000).saturating_mul(c.into())) }
	fn process_draw(k: u32, ) -> Weight { Weight::from_parts(200_000_000, 40000).saturating_add(Weight::from_parts(1_200_000_000, 20000).saturating_mul(k.into())) }
	fn process_missed_turn() -> Weight { Weight::from_parts(300_000_000, 40000) }
}
