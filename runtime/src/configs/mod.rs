//! Pallet configurations, one file per group of pallets.
//!
//! - [`system`]: `frame_system` and `pallet_timestamp`: block limits, accounts, time.
//! - [`consensus`]: BABE, GRANDPA and authorship (who gets the fees of a block), the slot
//!   duration and epoch length, and the VRF randomness of the chain's draws.
//! - [`monetary`]: the OPG token (`pallet_balances`) and transaction fees.
//! - [`models`]: the model registry.
//! - [`nodes`]: the node registry: roles, role keys, bonds, liveness, selection pools.
//! - [`attestations`]: verifier rounds, claims, disputes and who is slashed and paid.
//! - [`tee`]: trusted enclaves: collateral, measurements, TEE registrations.
//! - [`inference`]: inference jobs, their fees, deadlines and limits.
//! - [`governance`]: OpenGov (referenda, tracks, custom origins, conviction voting, scheduler,
//!   preimages), the treasury and `pallet_utility`.
//! - [`admin`]: `pallet_sudo`, keyed only on dev and local chains.
//! - [`transactions`]: how offchain workers create transactions (signed, bare, authorized).

pub mod admin;
pub mod attestations;
pub mod consensus;
pub mod governance;
pub mod inference;
pub mod models;
pub mod monetary;
pub mod nodes;
pub mod system;
pub mod tee;
pub mod transactions;

pub use system::RuntimeBlockWeights;

/// A hook's share of a block: `millis` of compute (the block has 2,000, 1,500 of them for
/// normal transactions). The hooks that end due work (assignments, timeouts, deadlines,
/// ceremony turns) each stop at their budget and leave the rest, in order, for the next block;
/// together with the fixed hooks (liveness sweep, upload expiry) they stay under a third of the
/// normal block at their caps (`tests::hooks::the_hooks_together_stay_under_a_third_of_the_normal_block`).
/// A hook's share of the block's proof size is the share of its compute: `millis` of the
/// block's 2,000 ms gets as large a part of [`system::MAX_BLOCK_PROOF_SIZE`].
pub const fn hook_budget(millis: u64) -> frame_support::weights::Weight {
	/// The block's compute, in milliseconds.
	const BLOCK_MILLIS: u64 = 2_000;
	frame_support::weights::Weight::from_parts(
		millis.saturating_mul(frame_support::weights::constants::WEIGHT_REF_TIME_PER_MILLIS),
		(system::MAX_BLOCK_PROOF_SIZE / BLOCK_MILLIS).saturating_mul(millis),
	)
}
