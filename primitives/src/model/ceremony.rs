//! The ZK key ceremony as the registry and the ceremony pallet see each other: the registry
//! starts a ceremony when a ZK version registers an initial key ([`KeyCeremony`]), and the
//! ceremony hands the finished key back or reports its failure ([`CeremonyKeys`]). The runtime
//! wires them together, so neither pallet imports the other.

use super::record::{ModelId, VersionNumber};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{pallet_prelude::Weight, sp_runtime::DispatchResult};
use scale_info::TypeInfo;
use sp_core::H256;

/// How a ZK version's key was made: what a dApp checks before it trusts a ZK result.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum ZkKeyOrigin {
	/// **Insecure.** A key whose maker chose its secrets (a one-party setup): whoever made it
	/// can prove any output. Only a chain that accepts such keys (the dev chain, as it trusts
	/// the dev enclave) registers one.
	InsecureTestSetup,
	/// The version registered an initial key: the chain's ceremony makes its key (it starts
	/// when the bytes are uploaded); no job runs on the version until it ends.
	CeremonyRunning,
	/// The chain's ceremony made the key: sound unless every one of its `contributions`
	/// contributors kept its secret; `drawn` of them were verifier nodes the chain drew by
	/// stake.
	Ceremony {
		/// Contributions in the transcript.
		contributions: u32,
		/// Of them, by drawn verifier nodes.
		drawn: u32,
	},
}

/// The ceremony pallet, as the registry starts a ceremony.
pub trait KeyCeremony<AccountId> {
	/// Starts the ceremony of `model`'s `version` (its bytes complete), whose initial proving
	/// key (computed by anyone from the ONNX bytes and the pinned phase 1) hashes to
	/// `init_hash` and whose registered initial verifying key hashes to `vk_hash`, and holds
	/// the ceremony's fee from `owner`, who may contribute but is never drawn. Fails when the
	/// owner cannot pay or the chain runs as many ceremonies as it takes at once.
	fn begin(
		model: ModelId,
		version: VersionNumber,
		owner: &AccountId,
		init_hash: H256,
		vk_hash: H256,
	) -> DispatchResult;

	/// The most weight [`Self::begin`] takes.
	fn begin_weight() -> Weight;

	/// Chunk hash `index` of the key state `state` (a content id) of `model`'s `version`,
	/// where the ceremony keeps it (a finished ceremony keeps its final state's): what a node
	/// that fetches the version's proving key from a peer checks each chunk against.
	fn state_chunk_hash(
		_model: ModelId,
		_version: VersionNumber,
		_state: H256,
		_index: u32,
	) -> Option<H256> {
		None
	}

	/// `model`'s `version` left the registry: a finished ceremony's transcript and kept key
	/// state go (the state's chunks leave the nodes' off-chain databases). A running ceremony
	/// ends on its own when it sees the version gone.
	fn forget(_model: ModelId, _version: VersionNumber) {}

	/// The most weight [`Self::forget`] takes.
	fn forget_weight() -> Weight {
		Weight::zero()
	}
}

/// No ceremony: a chain without one refuses initial keys.
impl<AccountId> KeyCeremony<AccountId> for () {
	fn begin(_: ModelId, _: VersionNumber, _: &AccountId, _: H256, _: H256) -> DispatchResult {
		Err(frame_support::sp_runtime::DispatchError::Other("this chain runs no ZK ceremony"))
	}

	fn begin_weight() -> Weight {
		Weight::zero()
	}
}

/// The registry, as a ceremony ends.
pub trait CeremonyKeys {
	/// Whether `model`'s `version` is still registered (a removed version's ceremony is
	/// dropped).
	fn exists(model: ModelId, version: VersionNumber) -> bool;

	/// The ceremony finished: `delta_g2` is its last `delta` in G2 (uncompressed; the chain
	/// checked each contribution), `head` the hash of the final proving key, which provers
	/// prove with. The registry makes the version's key from its initial key and `delta_g2`.
	fn finish(
		model: ModelId,
		version: VersionNumber,
		delta_g2: &[u8],
		head: H256,
		origin: ZkKeyOrigin,
	) -> DispatchResult;

	/// The most weight [`Self::finish`] takes.
	fn finish_weight() -> Weight;

	/// The ceremony failed: the version never runs; the registry removes it.
	fn fail(model: ModelId, version: VersionNumber);

	/// The ceremony no longer needs key state `state` (a content id) of `chunks` chunks: clear
	/// them from the nodes' off-chain databases with spare weight, as stale model bytes are.
	fn discard_state(state: H256, chunks: u32);

	/// Key state `state` is committed again (the same initial key after a failed ceremony, say):
	/// keep its chunks if they were about to be cleared.
	fn keep_state(state: H256);

	/// What an attester recomputes the version's initial key from: its ONNX bytes, the pinned
	/// powers-of-tau files' hashes and its registered constraint count (offchain workers
	/// read it). `None` when the version is gone.
	fn key_check_inputs(model: ModelId, version: VersionNumber) -> Option<KeyCheckInputs>;
}

/// The registry's record of a ZK version, as an attester checks its key against it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct KeyCheckInputs {
	/// The version's ONNX bytes.
	pub model: crate::inference::ModelRef,
	/// The hashes of the ptau files the chain pins.
	pub ptau_hashes: alloc::vec::Vec<[u8; 32]>,
	/// The registered circuit's constraint count.
	pub constraints: u32,
}
