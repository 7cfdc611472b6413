//! Randomness for the chain's draws: which node takes a job, who sits on a verifier committee.
//!
//! A draw is only as fair as its seed. A seed that anyone can compute before the block that
//! uses it (the parent hash, a job id) lets whoever places a request or authors a block steer
//! the draw: with Aura an author re-signs its seal for free, so every re-signature is a new
//! parent hash and a new draw, as many times as it likes.
//!
//! [`BlockRandomness`] is the seed OPG's draws use instead: the BABE VRF outputs of the block
//! being executed and of its parent, hashed together. A VRF output is a deterministic function
//! of the author's secret key and the slot (with the epoch's randomness and index), so:
//!
//! - nobody but a block's author knows its output before the block is out, and every node
//!   checks its proof when it imports the block, before the runtime runs;
//! - no author can choose it: re-signing, reordering or changing the block's extrinsics leaves
//!   it unchanged.
//!
//! An author does know its own outputs for all its slots of an epoch as soon as the epoch's
//! randomness is fixed, so one block's output alone would let a colluding author tell a
//! challenger or a claimant in advance which moment gives which committee. Mixing in the
//! parent's output closes that: the parent's output is unknown to the drawing block's author
//! until the parent is out, when the subject of the draw (in the parent) can no longer change.
//! What is left: the drawing block's author can withhold its block (and lose the slot): one
//! other outcome per slot it holds; an author that holds both the parent's slot and the
//! drawing slot knows the seed in advance, as likely as holding two slots in a row (for a
//! share `s` of the slots, `s` of its own blocks, `s²` of all).
//!
//! Draws therefore happen in a block after the one their subject went in: a job is assigned in
//! the block after its request, a committee drawn in the block after its round opened.

/// The randomness of the block being executed.
pub trait BlockRandomness {
	/// 32 bytes derived from this block's and its parent's VRF outputs and `subject` (so that
	/// two draws in one block with different subjects are independent), or `None` when the
	/// block carries no VRF output: the genesis block, or a test or benchmark block built
	/// without one. A caller with no randomness draws nothing (a queued job waits for the next
	/// block, a round ends without a committee): it never falls back to a seed someone could
	/// choose.
	fn random(subject: &[u8]) -> Option<[u8; 32]>;

	/// Makes the block being executed carry randomness, for benchmarks (whose blocks have no
	/// consensus digest) that draw. Does nothing unless a benchmarking runtime overrides it.
	fn prepare_for_benchmarks() {}
}

/// Randomness for pallet tests with no consensus engine: the value this thread's test set last
/// ([`set_test_randomness`]; a mock sets it per block) hashed with the subject. Anyone can
/// compute it, so no runtime that produces blocks uses it.
#[cfg(feature = "std")]
pub struct TestRandomness;

#[cfg(feature = "std")]
std::thread_local! {
	static TEST_RANDOMNESS: core::cell::Cell<Option<[u8; 32]>> =
		const { core::cell::Cell::new(Some([0; 32])) };
}

/// Sets what [`TestRandomness`] draws from in this thread (`None`: the block has no
/// randomness).
#[cfg(feature = "std")]
pub fn set_test_randomness(randomness: Option<[u8; 32]>) {
	TEST_RANDOMNESS.with(|cell| cell.set(randomness));
}

#[cfg(feature = "std")]
impl BlockRandomness for TestRandomness {
	fn random(subject: &[u8]) -> Option<[u8; 32]> {
		let randomness = TEST_RANDOMNESS.with(|cell| cell.get())?;
		Some(sp_io::hashing::blake2_256(&[&randomness[..], subject].concat()))
	}
}
