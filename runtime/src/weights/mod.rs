//! Weights measured on this runtime by `scripts/benchmark.sh`: the base weights of a block and
//! of an extrinsic (`benchmark overhead`), frame_system's transaction extensions, and the
//! polkadot-sdk pallets this runtime uses for governance (on its database, its tracks). OPG's
//! own pallets keep theirs in `pallets/*/src/weights.rs`.

pub mod block_weights;
pub mod extrinsic_weights;
pub mod frame_system_extensions;
pub mod pallet_conviction_voting;
pub mod pallet_preimage;
pub mod pallet_referenda;
pub mod pallet_scheduler;
pub mod pallet_treasury;
pub mod pallet_utility;
