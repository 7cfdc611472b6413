//! Weights for `pallet_model_registry`.
//!
//! PROVISIONAL: replaced by the output of `scripts/benchmark.sh` (frame-benchmarking-cli) once
//! the benchmarks in `benchmarking.rs` have run on reference hardware.

#![allow(unused_parens, unused_imports, missing_docs)]

use core::marker::PhantomData;
use frame_support::{traits::Get, weights::Weight};

/// Weight functions needed for `pallet_model_registry`.
pub trait WeightInfo {
	fn register_model(h: u32, k: u32) -> Weight;
	fn add_version(h: u32, k: u32) -> Weight;
	fn upload_chunk(c: u32) -> Weight;
	fn set_price() -> Weight;
	fn deprecate_model() -> Weight;
	fn retire_model(v: u32) -> Weight;
	fn approve_version() -> Weight;
	fn suspend_model() -> Weight;
	fn resume_model() -> Weight;
	fn set_approval_required() -> Weight;
	fn on_initialize(e: u32) -> Weight;
}

/// Weights for `pallet_model_registry` using the Substrate node and recommended hardware.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn register_model(h: u32, k: u32) -> Weight {
		Weight::from_parts(60_000_000, 8_000)
			.saturating_add(Weight::from_parts(20_000, 32).saturating_mul(h.into()))
			.saturating_add(Weight::from_parts(2_000, 1).saturating_mul(k.into()))
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(8_u64))
	}
	fn add_version(h: u32, k: u32) -> Weight {
		Weight::from_parts(60_000_000, 8_000)
			.saturating_add(Weight::from_parts(20_000, 32).saturating_mul(h.into()))
			.saturating_add(Weight::from_parts(2_000, 1).saturating_mul(k.into()))
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(6_u64))
	}
	fn upload_chunk(c: u32) -> Weight {
		Weight::from_parts(40_000_000, 140_000)
			.saturating_add(Weight::from_parts(3_000, 0).saturating_mul(c.into()))
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	fn set_price() -> Weight {
		Weight::from_parts(20_000_000, 3_000)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn deprecate_model() -> Weight {
		Weight::from_parts(20_000_000, 3_000)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn retire_model(v: u32) -> Weight {
		Weight::from_parts(60_000_000, 8_000)
			.saturating_add(Weight::from_parts(20_000_000, 140_000).saturating_mul(v.into()))
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().reads((1_u64).saturating_mul(v.into())))
			.saturating_add(T::DbWeight::get().writes(4_u64))
			.saturating_add(T::DbWeight::get().writes((3_u64).saturating_mul(v.into())))
	}
	fn approve_version() -> Weight {
		Weight::from_parts(30_000_000, 70_000)
			.saturating_add(T::DbWeight::get().reads(2_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	fn suspend_model() -> Weight {
		Weight::from_parts(20_000_000, 3_000)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn resume_model() -> Weight {
		Weight::from_parts(20_000_000, 3_000)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn set_approval_required() -> Weight {
		Weight::from_parts(10_000_000, 0).saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn on_initialize(e: u32) -> Weight {
		Weight::from_parts(5_000_000, 1_500)
			.saturating_add(Weight::from_parts(60_000_000, 140_000).saturating_mul(e.into()))
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().reads((4_u64).saturating_mul(e.into())))
			.saturating_add(T::DbWeight::get().writes(1_u64))
			.saturating_add(T::DbWeight::get().writes((6_u64).saturating_mul(e.into())))
	}
}
