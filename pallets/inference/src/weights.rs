//! Weights for `pallet_inference`. Replaced by `scripts/benchmark.sh --pallet inference`,
//! which writes the figures measured by `benchmarking.rs`.

#![allow(unused_parens, unused_imports, missing_docs)]

use core::marker::PhantomData;
use frame_support::{
	traits::Get,
	weights::{constants::RocksDbWeight, Weight},
};

/// Weight functions needed for `pallet_inference`.
pub trait WeightInfo {
	fn request() -> Weight;
	fn submit_result_vanilla() -> Weight;
	fn submit_result_attested() -> Weight;
	fn authorize_submit_result() -> Weight;
	fn report_failure() -> Weight;
	fn authorize_report_failure() -> Weight;
	fn set_parameters() -> Weight;
	fn conclude(k: u32) -> Weight;
	fn process_timeouts(n: u32) -> Weight;
	fn process_pruning(n: u32) -> Weight;
}

/// Weights for `pallet_inference` using the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn request() -> Weight {
		Weight::from_parts(200_000_000, 70_000)
			.saturating_add(T::DbWeight::get().reads_writes(12, 10))
	}
	fn submit_result_vanilla() -> Weight {
		Weight::from_parts(250_000_000, 140_000)
			.saturating_add(T::DbWeight::get().reads_writes(8, 6))
	}
	fn submit_result_attested() -> Weight {
		Weight::from_parts(250_000_000, 140_000)
			.saturating_add(T::DbWeight::get().reads_writes(8, 6))
	}
	fn authorize_submit_result() -> Weight {
		Weight::from_parts(150_000_000, 70_000).saturating_add(T::DbWeight::get().reads(4))
	}
	fn report_failure() -> Weight {
		Weight::from_parts(150_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads_writes(8, 8))
	}
	fn authorize_report_failure() -> Weight {
		Weight::from_parts(100_000_000, 10_000).saturating_add(T::DbWeight::get().reads(4))
	}
	fn set_parameters() -> Weight {
		Weight::from_parts(10_000_000, 0).saturating_add(T::DbWeight::get().writes(1))
	}
	fn conclude(_k: u32) -> Weight {
		Weight::from_parts(300_000_000, 80_000)
			.saturating_add(T::DbWeight::get().reads_writes(24, 24))
	}
	fn process_timeouts(n: u32) -> Weight {
		Weight::from_parts(10_000_000, 0)
			.saturating_add(Weight::from_parts(150_000_000, 10_000).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads_writes(1, 1))
			.saturating_add(T::DbWeight::get().reads_writes(10, 10).saturating_mul(n.into()))
	}
	fn process_pruning(n: u32) -> Weight {
		Weight::from_parts(10_000_000, 0)
			.saturating_add(Weight::from_parts(20_000_000, 70_000).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads_writes(1, 1))
			.saturating_add(T::DbWeight::get().reads_writes(2, 4).saturating_mul(n.into()))
	}
}

// For tests.
impl WeightInfo for () {
	fn request() -> Weight {
		Weight::from_parts(200_000_000, 70_000)
			.saturating_add(RocksDbWeight::get().reads_writes(12, 10))
	}
	fn submit_result_vanilla() -> Weight {
		Weight::from_parts(250_000_000, 140_000)
			.saturating_add(RocksDbWeight::get().reads_writes(8, 6))
	}
	fn submit_result_attested() -> Weight {
		Weight::from_parts(250_000_000, 140_000)
			.saturating_add(RocksDbWeight::get().reads_writes(8, 6))
	}
	fn authorize_submit_result() -> Weight {
		Weight::from_parts(150_000_000, 70_000).saturating_add(RocksDbWeight::get().reads(4))
	}
	fn report_failure() -> Weight {
		Weight::from_parts(150_000_000, 10_000)
			.saturating_add(RocksDbWeight::get().reads_writes(8, 8))
	}
	fn authorize_report_failure() -> Weight {
		Weight::from_parts(100_000_000, 10_000).saturating_add(RocksDbWeight::get().reads(4))
	}
	fn set_parameters() -> Weight {
		Weight::from_parts(10_000_000, 0).saturating_add(RocksDbWeight::get().writes(1))
	}
	fn conclude(_k: u32) -> Weight {
		Weight::from_parts(300_000_000, 80_000)
			.saturating_add(RocksDbWeight::get().reads_writes(24, 24))
	}
	fn process_timeouts(n: u32) -> Weight {
		Weight::from_parts(150_000_000, 10_000).saturating_mul(n.into())
	}
	fn process_pruning(n: u32) -> Weight {
		Weight::from_parts(20_000_000, 70_000).saturating_mul(n.into())
	}
}
