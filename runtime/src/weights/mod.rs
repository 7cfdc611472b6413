//! Weights of the polkadot-sdk pallets this runtime uses for governance, measured on this
//! runtime (its database, its tracks) by `scripts/benchmark.sh`. OPG's own pallets keep theirs
//! in `pallets/*/src/weights.rs`.

pub mod pallet_conviction_voting;
pub mod pallet_preimage;
pub mod pallet_referenda;
pub mod pallet_scheduler;
pub mod pallet_treasury;
pub mod pallet_utility;
