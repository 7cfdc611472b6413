//! # ZK key ceremony
//!
//! Phase 2 of the Groth16 setup of each ZK model version, run on chain, so that no one (the
//! model's owner included) knows the key's last secret and can forge a proof.
//!
//! A ZK version registers its *initial key*: the key anyone computes from its ONNX bytes and
//! the powers-of-tau file the chain pins (`opg_zk::groth16::initial_key`), with `delta` the
//! generator. The registry checks its phase-1 elements against the pin and, once the version's
//! bytes are uploaded, starts its ceremony here ([`KeyCeremony::begin`]), holding
//! [`Config::CeremonyFee`] from the owner; until the ceremony ends the version runs no job.
//! Each contribution multiplies `delta` by a secret of its author's and divides the key's `L`
//! and `H` queries by it; the chain sees only the new `delta` and a proof that its author knows
//! the secret ([`opg_zk::ceremony`]), and checks both; the new key itself (megabytes) lives
//! off chain, in the data layer, under its content id, the ceremony's *head*.
//!
//! ## Key states in the data layer
//!
//! Every key state (the initial key, then each contribution's) is a proving key file known by
//! its content id (`opg_zk::ceremony::state_id`: the model content id's formula over 64 KiB
//! chunks). Its author commits to its size and chunk hashes on chain ([`StateChunks`]) and
//! uploads its chunks ([`Pallet::upload_state`]); each is checked against its hash and written
//! into the off-chain database of every node that imports the block (offchain indexing, as
//! model chunks are), where the next contributor, the attesters and, for the final key, every
//! prover read it. The owner's upload tool publishes the initial key
//! ([`Pallet::publish_initial`]); a contribution counts, and the head moves to its state, only
//! when the state's last chunk arrives within its slot or turn, so the head's key is always
//! whole in the data layer for whoever builds on it. A finished ceremony keeps the final
//! state's chunk hashes (the version's proving key); the others go, and so do their chunks
//! from every node's off-chain database (the registry clears them with spare weight,
//! [`CeremonyKeys::discard_state`]), as do all of a failed ceremony's. When the version leaves
//! the registry, its transcript and final key go too ([`KeyCeremony::forget`]).
//!
//! ## Bad states are shown on chain
//!
//! The chain checks each contribution's `delta` and proof of knowledge, not the megabytes of
//! its state. Anyone who fetched a state and its parent and found them inconsistent
//! (`opg-node zk-verify-key` checks a whole transition) shows it with one place
//! ([`Pallet::challenge_state`]): a byte phase 2 leaves alone that differs from the parent's, a
//! byte of `delta` that is not the contribution's, or a point of H or L that is not the
//! parent's divided by the contribution's secret (`e(P', delta₂') = e(P, delta₂)`: one pairing
//! check), with the one or two chunks of each state that hold it, checked against their
//! committed hashes. Where each part lies follows from the state's [`StateLayout`], which the
//! publisher of the initial key claims and the chain checks against the initial key's own
//! length prefixes as its chunks arrive, so a challenge is judged by the file's real structure.
//! A shown open contribution forfeits its author's deposit and is dropped with every later one
//! (their authors' deposits released), the head going back to its parent; past the open phase,
//! the drawn nodes contribute again from their first turn (one that misses that second turn is
//! not slashed: the ceremony fails, `RedoneTurnMissed`). A shown drawn contribution slashes its
//! node like a silent one and fails the ceremony. Honest tools write a contribution over its
//! parent's own bytes (`opg_zk::ceremony::contributed_file`), so a parent that spells a fixed
//! point unusually cannot get the next contributor "shown" bad, and check the head's transition
//! before they build on it.
//!
//! Two things make the final key sound, and the ceremony provides both:
//! - **Nobody knows its last `delta`**: true if any one contributor forgot its secret.
//!   Verifier nodes drawn by stake must contribute, so a forger must control all of them.
//! - **It is the key of the uploaded model**: the chain cannot compile the model, so it
//!   cannot check the registered key's public-input points or the off-chain queries; an owner
//!   who registered points of its own choosing (a known multiple of `[alpha]₁`, say) could
//!   forge whatever `delta` is. Inference nodes drawn by stake recompute the initial key from
//!   the bytes and the pinned ptau, check the registered verifying key (by its hash) and the
//!   final key against it, and each approves or rejects; every drawn attester must approve.
//!
//! ## Phases
//!
//! 1. **Open** ([`Config::OpenPeriod`] blocks from the upload's completion): once the initial
//!    key is published, anyone (a dApp, the owner) takes the slot ([`Pallet::take_slot`],
//!    holding [`Config::ContributionDeposit`]) and contributes and uploads the new state within
//!    [`Config::TurnPeriod`] blocks ([`Pallet::contribute`], [`Pallet::upload_state`]). One slot
//!    at a time, so contributors never race on the head. A slot that runs out (unused, or its
//!    state not whole) is skipped, its contribution dropped and its deposit forfeited to
//!    [`Config::OnForfeit`] (when the next slot is taken or the phase ends). A ceremony whose
//!    initial key is not published by the phase's end fails.
//! 2. **Drawn**: at the open phase's end the chain draws [`Config::DrawnContributors`] verifier
//!    nodes by stake (never the owner; fewer where the pool is smaller) from that block's BABE
//!    randomness, which nobody knew when the phase began. They contribute in turn (their nodes
//!    do, on their own: see below), each within [`Config::TurnPeriod`] blocks (the new state
//!    uploaded too), and **every one of them must**: a node that will not contribute passes
//!    ([`Pallet::pass_turn`]), one that stays silent or leaves its state unpublished loses
//!    [`Config::MissedTurnSlash`] of its bond, and either ends the ceremony. Nobody is drawn in
//!    their place: replacements would let whoever makes the honest nodes pass (by withholding
//!    the head's key) redraw until only its own nodes were drawn.
//! 3. **Attesting**: in the next block the chain draws [`Config::Attesters`] inference nodes (the
//!    provers; never the owner). Each (its node, on its own) reads the final key from its data
//!    layer, recomputes the initial key and checks both the registered verifying key and the
//!    final key against it, then attests ([`Pallet::attest_as_node`], or [`Pallet::attest`]
//!    from the account), approving or rejecting, within [`Config::AttestationPeriod`] blocks. When all approve, the registry makes the version's key
//!    from the registered initial key and the last `delta` ([`CeremonyKeys::finish`]) and the
//!    version runs; one rejection fails the ceremony.
//!
//! A finished ceremony pays its fee in equal shares to the drawn nodes that contributed and the
//! attesters, releases every deposit, and keeps its transcript ([`Transcript`]): who
//! contributed, with which `delta` and state hash, drawn or not (the key's provenance). A failed
//! one releases every deposit, forfeits the fee to [`Config::OnForfeit`], and its version leaves
//! the registry (the owner may register the bytes again).
//!
//! ## Payoffs
//!
//! - **Honest drawn contributor / attester**: a share of the fee when the ceremony finishes.
//! - **Silent drawn node or attester**: loses [`Config::MissedTurnSlash`] of its bond.
//! - **Passing drawn node**: nothing either way (it could not, or would not, do the work); the
//!   ceremony ends.
//! - **Lazy drawn node** (posts a `delta` without publishing its key): its contribution never
//!   counts, and its turn ends as a silent one: it loses [`Config::MissedTurnSlash`] of its
//!   bond and the ceremony fails. A drawn node that publishes a state which is not its `delta`'s
//!   (a copy of the head, junk) is caught by the attesters: the ceremony fails, no share for
//!   anyone.
//! - **Withholding open contributor** (commits to a state and never uploads it, to block the
//!   head): its slot runs out, its contribution is dropped and its deposit forfeited; the head
//!   never moved.
//! - **Open saboteur** (a right `delta` and proof over a state that is not its own, to make the
//!   attesters reject the key and the owner lose the fee): anyone who checks the transition
//!   shows it on chain for free; the saboteur forfeits its deposit and the ceremony goes on
//!   from the parent. Unshown, it costs the ceremony (the attesters reject), not the key's
//!   soundness.
//! - **Challenger**: pays nothing for a challenge that shows a bad state; a challenge that shows
//!   nothing fails and pays its fee.
//! - **Drawn saboteur**: shown, it loses [`Config::MissedTurnSlash`] of its bond, as a silent
//!   node does, and the ceremony fails (every drawn node must contribute soundly).
//! - **Late self-challenger** (a bad open contribution shown by its own author once the drawn
//!   nodes contributed, hoping they miss their new turn and are slashed): forfeits its deposit;
//!   the drawn nodes are not slashed for missing a second turn, so it gains nothing.
//! - **Layout griefer** (publishing the initial key with a wrong layout, so the owner uploads
//!   until it shows): only the owner publishes its initial key.
//! - **Honest open contributor**: pays the transaction fee, gets its deposit back.
//! - **Slot squatter** (takes the slot and never contributes, to delay): loses its deposit for
//!   each slot; the open phase ends on time whatever it does.
//! - **Owner with a forged initial key** (public-input points or queries of its own choosing):
//!   an honest drawn attester rejects it and the owner's fee goes to the treasury. Getting it
//!   through takes every drawn attester: for a share `v` of the inference stake, `v^m` per
//!   attempt (`m` = [`Config::Attesters`]), each attempt costing the fee.
//! - **Forger who knows phase 1 and earlier contributors' secrets**: after one honest
//!   contribution its knowledge is worthless: proofs made with any key but the ceremony's own do
//!   not verify. It cannot pick a `delta` that cancels another's (the proof of knowledge refuses
//!   a `delta` whose ratio to the head its sender does not know), replay a contribution (its
//!   proof binds the genesis hash, the version, the index, the author and the head), or avoid
//!   the drawn nodes (drawn after the open phase, from randomness fixed after it began).
//! - **Owner grinding the draw** (withholding keys so that honest drawn nodes pass, or a sybil
//!   attester staying silent, to try again until only its own nodes are drawn): every failed
//!   ceremony forfeits its fee to the treasury, so each try costs the fee, and a try succeeds
//!   only when every drawn contributor is its own: `v^k` for a share `v` of the verifier stake
//!   (`k` = [`Config::DrawnContributors`]). An honest owner bears the same risk when nodes fail
//!   it: the fee is the price of a ceremony, whatever its outcome (only a version governance
//!   removes gets it back).
//! - **Capacity squatter** (completes uploads of junk ZK versions to fill
//!   [`Config::MaxCeremonies`]): pays the fee for each.
//!
//! ## Nodes do their part on their own
//!
//! A drawn node's duties run in its node's offchain worker, under the role key its operator put
//! in the node's keystore (the account's own key, which holds the bond, stays out of the node):
//! in its turn the node's prover contributes on the head's key state, read from its off-chain
//! database, with the machine's own randomness, and keeps the new state there; the worker
//! sends [`Pallet::contribute_as_node`] and then the state's chunks ([`Pallet::upload_state`],
//! all at once: each waits in the pool for the one before it). A drawn attester's prover
//! recomputes the initial key from the version's bytes and a pinned ptau file (`--zk-ptau`;
//! the dev ptau where the chain pins it) and checks the final key; the worker sends
//! [`Pallet::attest_as_node`]. These are fee-free transactions the calls authorize
//! themselves (the role key's signature, the turn or the seat, the contribution's proof of
//! knowledge, each chunk against its committed hash; one per contribution index, attester
//! and chunk) and pay no fee: the drawn nodes must do the work, so they do not pay for its
//! block space. Open contributors, the owner's initial key and challenges pay as signed
//! transactions (`scripts/zk-ceremony.sh`).
//!
//! What is not built yet: nodes that check each transition and challenge on their own
//! (anyone's `scripts/zk-ceremony.sh check` does), and attestations through the verification
//! rounds' commit and reveal with audits: attesters answer in the open, and one that approves
//! without checking is not caught (a forged key needs every drawn attester to approve it, so
//! the check rests on one of them running the node's own check, as an unmodified node does).
//!
//! ## Invariants (checked by `try_state`)
//!
//! - Each running ceremony has exactly one entry in [`Due`], in the list of the block its `due`
//!   names, no list holds an entry of a ceremony that is not running, and no list is empty.
//! - A published head and the state being uploaded have their chunk hashes in [`StateChunks`],
//!   the upload's progress fits them, and an open-phase contribution uploads within its
//!   author's slot.
//! - [`Running`] counts the running ceremonies.
//! - [`StateUses`] counts, for each key state, the ceremonies whose [`StateChunks`] hold it.
//! - Each ceremony's transcript holds exactly `contributions` entries, `drawn_contributions` of
//!   them by drawn nodes; each account's held contribution deposits equal those its slots and
//!   its transcript entries of running ceremonies record, and each owner's held fees those of
//!   its running ceremonies.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod duties;
pub mod migrations;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{BalancedHold, Credit, Inspect, MutateHold},
		tokens::{Fortitude, Precision, Restriction},
		OnUnbalanced,
	},
};
use frame_system::pallet_prelude::*;
use opg_primitives::{
	attestation::{signing_message, NodeKeySignature, NodeRegistry, NodeRole, SignedStatement},
	deadlines,
	model::{
		chunk_count, chunk_hash, chunk_len, chunk_storage_key, stored_chunk_hash, CeremonyKeys,
		KeyCeremony, ModelId, VersionNumber, ZkKeyOrigin,
	},
};
use opg_zk::ceremony::{
	state_id, StateLayout, StatePart, CONTRIBUTION_LEN, G1_LEN, G2_LEN, KEY_CHUNK_SIZE,
};
use scale_info::TypeInfo;
use sp_core::H256;
use sp_runtime::{
	traits::{CheckedDiv, Saturating, Zero},
	transaction_validity::{
		InvalidTransaction, TransactionPriority, TransactionValidityError,
		TransactionValidityWithRefund, ValidTransaction,
	},
	Perbill, RuntimeAppPublic, SaturatedConversion,
};

/// The balance type of the configured currency.
pub type BalanceOf<T> =
	<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

type CreditOf<T> = Credit<<T as frame_system::Config>::AccountId, <T as Config>::Currency>;

/// A ceremony's key: the model and the version.
pub type CeremonyId = (ModelId, VersionNumber);

/// A contribution as [`Pallet::contribute`] takes it: the new `delta` in G1 and G2 and the
/// proof of knowledge, uncompressed (`opg_zk::ceremony::encode_contribution`).
pub type EncodedContribution = BoundedVec<u8, ConstU32<{ CONTRIBUTION_LEN as u32 }>>;

/// One chunk of a key state, as [`Pallet::upload_state`] takes it.
pub type StateChunk = BoundedVec<u8, ConstU32<KEY_CHUNK_SIZE>>;

/// The chunk hashes of a key state, as [`Pallet::publish_initial`] and [`Pallet::contribute`]
/// commit to them.
pub type StateChunkHashes<T> = BoundedVec<H256, <T as Config>::MaxStateChunks>;

/// The one or two consecutive chunks of a key state that hold the bytes a challenge is about
/// (a point may straddle two chunks).
pub type ChallengedChunks = BoundedVec<StateChunk, ConstU32<2>>;

/// A contribution whose key state is still being uploaded: it counts, and the head moves to
/// its state, when the state's last chunk arrives.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct PendingContribution<AccountId> {
	/// Its author.
	pub author: AccountId,
	/// The new `delta` in G1, uncompressed.
	pub delta_g1: [u8; G1_LEN],
	/// The new `delta` in G2, uncompressed.
	pub delta_g2: [u8; G2_LEN],
}

/// A key state on its way into the data layer.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct StateUpload<AccountId> {
	/// The state's content id ([`opg_zk::ceremony::state_id`]).
	pub state_hash: H256,
	/// Its chunks.
	pub chunks: u32,
	/// The next chunk the chain takes.
	pub next: u32,
	/// The contribution it completes; `None` for the initial key.
	pub contribution: Option<PendingContribution<AccountId>>,
}

/// Where a ceremony stands.
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
pub enum Phase {
	/// Anyone may take the slot and contribute.
	Open,
	/// Drawn verifier nodes contribute in turn (or are being drawn).
	Drawn,
	/// Drawn inference nodes check the final key (or are being drawn).
	Attesting,
}

/// The open phase's slot.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct Slot<AccountId, BlockNumber, Balance> {
	/// Who holds it.
	pub holder: AccountId,
	/// Its last block.
	pub until: BlockNumber,
	/// The deposit held from its holder.
	pub deposit: Balance,
}

/// A running ceremony.
#[derive(
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	Encode,
	Decode,
	MaxEncodedLen,
	TypeInfo,
	frame_support::DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct Ceremony<T: Config> {
	/// The model's owner: may contribute, is never drawn.
	pub owner: T::AccountId,
	/// The fee held from the owner: paid to the drawn contributors and attesters when the
	/// ceremony finishes.
	pub fee: BalanceOf<T>,
	/// The blake2-256 hash of the registered initial verifying key, which attesters check.
	pub vk_hash: H256,
	/// The initial key's content id.
	pub init_hash: H256,
	/// The size in bytes of every key state of this ceremony (a contribution changes points,
	/// never sizes); zero until the initial key is published.
	pub state_size: u64,
	/// Where the parts of every key state lie, as the initial key's own length prefixes say
	/// (checked as its chunks arrive); what challenges are judged by.
	pub layout: Option<StateLayout>,
	/// Whether the head's state is whole in the data layer, so the next contributor can
	/// fetch it: false only until the initial key's upload completes.
	pub head_published: bool,
	/// The state being uploaded: the initial key, or the state of a contribution that counts
	/// once it is whole.
	pub upload: Option<StateUpload<T::AccountId>>,
	/// Where it stands.
	pub phase: Phase,
	/// The block in which the hook next looks at it: the open phase's end, the end of the
	/// current drawn turn, a draw, or the attestation deadline.
	pub due: BlockNumberFor<T>,
	/// The content id of the latest key state (the initial key's before any contribution),
	/// which the next contribution builds on.
	pub head: H256,
	/// The latest `delta` in G1, uncompressed.
	pub delta_g1: [u8; G1_LEN],
	/// The latest `delta` in G2, uncompressed.
	pub delta_g2: [u8; G2_LEN],
	/// Contributions so far (the transcript's length).
	pub contributions: u32,
	/// Of them, by drawn nodes.
	pub drawn_contributions: u32,
	/// The open phase's slot.
	pub slot: Option<Slot<T::AccountId, BlockNumberFor<T>, BalanceOf<T>>>,
	/// The nodes drawn to contribute, in turn order.
	pub drawn: BoundedVec<T::AccountId, T::DrawnContributors>,
	/// The index in `drawn` whose turn it is; `drawn.len()` when a draw is due.
	pub turn: u32,
	/// Draws made so far in the current phase.
	pub draws: u32,
	/// The drawn attesters, each with whether it approved yet.
	pub attesters: BoundedVec<(T::AccountId, bool), T::Attesters>,
	/// Whether a challenge sent the drawn nodes back to their first turn: a drawn node that
	/// had contributed and misses its new turn is not slashed (it did its part once).
	pub redrawn_turns: bool,
}

/// One contribution in a ceremony's transcript.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct ContributionRecord<AccountId, Balance> {
	/// Its author.
	pub author: AccountId,
	/// The `delta` in G1 it made, uncompressed.
	pub delta_g1: [u8; G1_LEN],
	/// The `delta` in G2 it made, uncompressed.
	pub delta_g2: [u8; G2_LEN],
	/// The content id of the key state it made (the head after it).
	pub state_hash: H256,
	/// Whether its author was a drawn node.
	pub drawn: bool,
	/// The deposit held from its author while the ceremony runs.
	pub deposit: Balance,
}

/// What the benchmarks need of the runtime.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Registers `who`, funded, as an eligible node of `role`.
	fn register_node(who: &AccountId, role: NodeRole);

	/// Gives `who` enough free balance for any deposit or fee.
	fn fund(who: &AccountId);

	/// A complete version in the registry, whose ceremony the benchmarks run.
	fn version() -> CeremonyId;

	/// Makes the block carry randomness, so that draws draw.
	fn prepare_draws();
}

/// Why a ceremony failed.
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
pub enum FailureReason {
	/// No verifier node could be drawn to contribute.
	NoContributorDrawn,
	/// A drawn node passed its turn.
	DrawnContributorPassed,
	/// A drawn node let its turn pass in silence.
	DrawnContributorSilent,
	/// No attester could be drawn, or an attester stayed silent.
	TooFewAttestations,
	/// An attester rejected the key: the registered key is not the model's, or the final key
	/// is not the initial key after the contributions.
	KeyRejected,
	/// The registry refused the finished key.
	KeyRefused,
	/// The open phase ended before anyone published the initial key (the owner's upload tool
	/// does), so no drawn node could have contributed.
	InitialKeyUnpublished,
	/// A drawn node's state was shown on chain not to be its contribution's.
	BadDrawnState,
	/// After a challenge sent the drawn nodes back to their first turn, one did not
	/// contribute again (it is not slashed: it had contributed once).
	RedoneTurnMissed,
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(2);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// An open-phase contributor's deposit, held from taking the slot until the ceremony
		/// ends (forfeited if the slot runs out unused).
		ContributionDeposit,
		/// The owner's fee while its ceremony runs.
		CeremonyFee,
	}

	#[pallet::config]
	pub trait Config:
		frame_system::Config<RuntimeEvent: From<Event<Self>>>
		+ frame_system::offchain::CreateBare<Call<Self>>
	{
		/// The currency deposits and fees are held in.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ BalancedHold<Self::AccountId>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// The node registry: draws verifier and inference nodes, slashes silent ones.
		type Nodes: NodeRegistry<Self::AccountId, BalanceOf<Self>>;

		/// The model registry: where a version stands, and where a finished key goes.
		type Keys: CeremonyKeys;

		/// Where forfeited deposits and fees go (the treasury).
		type OnForfeit: OnUnbalanced<CreditOf<Self>>;

		/// The fee a version's owner pays for its ceremony.
		#[pallet::constant]
		type CeremonyFee: Get<BalanceOf<Self>>;

		/// The deposit an open-phase contributor holds while the ceremony runs.
		#[pallet::constant]
		type ContributionDeposit: Get<BalanceOf<Self>>;

		/// Blocks from the upload's completion in which anyone may contribute.
		#[pallet::constant]
		type OpenPeriod: Get<BlockNumberFor<Self>>;

		/// Blocks a slot or a drawn node's turn lasts: enough to fetch the head's key,
		/// contribute and publish the new key.
		#[pallet::constant]
		type TurnPeriod: Get<BlockNumberFor<Self>>;

		/// Drawn verifier nodes that must contribute.
		#[pallet::constant]
		type DrawnContributors: Get<u32>;

		/// How many times the chain tries again, in each drawn phase, to draw when it could
		/// draw nobody (no randomness, an empty pool); then the ceremony fails.
		#[pallet::constant]
		type MaxRedraws: Get<u32>;

		/// Share of its bond a drawn node loses for a turn or an attestation it let pass in
		/// silence.
		#[pallet::constant]
		type MissedTurnSlash: Get<Perbill>;

		/// Inference nodes drawn to check the final key (as many as the pool holds, down to
		/// one); all must approve.
		#[pallet::constant]
		type Attesters: Get<u32>;

		/// Blocks the attesters have to answer.
		#[pallet::constant]
		type AttestationPeriod: Get<BlockNumberFor<Self>>;

		/// The most open-phase contributions per ceremony.
		#[pallet::constant]
		type MaxOpenContributions: Get<u32>;

		/// The most ceremonies running at once (every block's due list can hold them all).
		#[pallet::constant]
		type MaxCeremonies: Get<u32>;

		/// The most weight the hook takes in one block: ceremonies due beyond it wait for the
		/// next block, first due first ([`DueFrom`]). It must fit one ceremony's work at its
		/// worst case (checked by `integrity_test`).
		#[pallet::constant]
		type HookBudget: Get<Weight>;

		/// The most chunks of [`KEY_CHUNK_SIZE`] bytes in a key state: bounds the hashes a
		/// state commits to (the state of the largest circuit the registry takes must fit).
		#[pallet::constant]
		type MaxStateChunks: Get<u32>;

		/// Sets up the nodes and versions benchmarks need.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;

		/// Weights of this pallet's calls and hook.
		type WeightInfo: WeightInfo;
	}

	/// Running ceremonies.
	#[pallet::storage]
	pub type Ceremonies<T: Config> = StorageMap<_, Twox64Concat, CeremonyId, Ceremony<T>>;

	/// How many ceremonies run.
	#[pallet::storage]
	pub type Running<T: Config> = StorageValue<_, u32, ValueQuery>;

	/// Each ceremony's contributions by index; kept once it finished (the key's provenance),
	/// removed when it fails.
	#[pallet::storage]
	pub type Transcript<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		CeremonyId,
		Twox64Concat,
		u32,
		ContributionRecord<T::AccountId, BalanceOf<T>>,
	>;

	/// The chunk hashes of each key state a ceremony committed to, by its content id: what
	/// each uploaded chunk is checked against and what a node fetching a key from a peer checks
	/// each chunk with. A finished ceremony keeps its final state's (the version's proving key);
	/// a failed one keeps none.
	#[pallet::storage]
	pub type StateChunks<T: Config> =
		StorageDoubleMap<_, Twox64Concat, CeremonyId, Identity, H256, StateChunkHashes<T>>;

	/// How many ceremonies hold each key state's chunk hashes in [`StateChunks`] (a content id
	/// any ceremony may commit to: two owners' versions of the same bytes share their initial
	/// key): its chunks leave the nodes' off-chain databases only when the last lets it go, so
	/// nobody can have another ceremony's head, or a running version's proving key, cleared by
	/// committing to its hashes and dropping them.
	#[pallet::storage]
	pub type StateUses<T: Config> = StorageMap<_, Identity, H256, u32>;

	/// The ceremonies the hook looks at in each block.
	#[pallet::storage]
	pub type Due<T: Config> =
		StorageMap<_, Twox64Concat, BlockNumberFor<T>, BoundedVec<CeremonyId, T::MaxCeremonies>>;

	/// The first block whose [`Due`] list may still hold ceremonies: the hook works from here
	/// to the current block, and leaves the cursor where its budget ran out.
	#[pallet::storage]
	pub type DueFrom<T: Config> = StorageValue<_, BlockNumberFor<T>, ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A version's ceremony began, on the initial key hashing to `init_hash`.
		CeremonyBegun {
			/// The model.
			model: ModelId,
			/// The version.
			version: VersionNumber,
			/// The initial key's hash.
			init_hash: H256,
			/// The open phase's end.
			open_until: BlockNumberFor<T>,
		},
		/// A key state's chunk hashes were committed: its chunks may be uploaded.
		StateCommitted {
			/// The model.
			model: ModelId,
			/// The version.
			version: VersionNumber,
			/// The state's content id.
			state_hash: H256,
			/// Its chunks.
			chunks: u32,
			/// The contribution it completes (its index), or `None` for the initial key.
			contribution: Option<u32>,
		},
		/// The initial key's chunk disagreed with the layout its publisher claimed: the
		/// publication was dropped (publish it again with the file's own layout).
		PublicationDropped {
			/// The model.
			model: ModelId,
			/// The version.
			version: VersionNumber,
			/// The chunk that disagreed.
			chunk: u32,
		},
		/// A contribution's state was shown not to follow from its parent's: its author lost
		/// its deposit (open) or a share of its bond (drawn), and the head went back to the
		/// parent.
		StateChallenged {
			/// The model.
			model: ModelId,
			/// The version.
			version: VersionNumber,
			/// The bad contribution's index; it and every later one are gone.
			index: u32,
			/// Its author.
			author: T::AccountId,
			/// What its author lost.
			slashed: BalanceOf<T>,
			/// Who showed it.
			challenger: T::AccountId,
		},
		/// A key state's last chunk arrived: it is whole in the data layer.
		StateUploaded {
			/// The model.
			model: ModelId,
			/// The version.
			version: VersionNumber,
			/// The state's content id.
			state_hash: H256,
		},
		/// `who` took the open phase's slot.
		SlotTaken {
			/// The model.
			model: ModelId,
			/// The version.
			version: VersionNumber,
			/// The contributor.
			who: T::AccountId,
			/// The slot's last block.
			until: BlockNumberFor<T>,
		},
		/// A slot ran out unused; its deposit was forfeited.
		SlotSkipped {
			/// The model.
			model: ModelId,
			/// The version.
			version: VersionNumber,
			/// Who held it.
			who: T::AccountId,
			/// What it forfeited.
			forfeited: BalanceOf<T>,
		},
		/// Verifier nodes were drawn to contribute, in this order.
		ContributorsDrawn {
			/// The model.
			model: ModelId,
			/// The version.
			version: VersionNumber,
			/// The drawn nodes.
			nodes: Vec<T::AccountId>,
		},
		/// A contribution was accepted: the head is now `head`.
		Contributed {
			/// The model.
			model: ModelId,
			/// The version.
			version: VersionNumber,
			/// Its index in the transcript.
			index: u32,
			/// Its author.
			author: T::AccountId,
			/// The hash of the key it made.
			head: H256,
			/// Whether its author was drawn.
			drawn: bool,
		},
		/// A drawn node passed its turn.
		TurnPassed {
			/// The model.
			model: ModelId,
			/// The version.
			version: VersionNumber,
			/// The node.
			node: T::AccountId,
		},
		/// A drawn node let its turn or its attestation pass in silence and was slashed.
		TurnMissed {
			/// The model.
			model: ModelId,
			/// The version.
			version: VersionNumber,
			/// The node.
			node: T::AccountId,
			/// What it lost.
			slashed: BalanceOf<T>,
		},
		/// Inference nodes were drawn to check the final key until `until`.
		AttestersDrawn {
			/// The model.
			model: ModelId,
			/// The version.
			version: VersionNumber,
			/// The final key's hash.
			head: H256,
			/// The drawn nodes.
			nodes: Vec<T::AccountId>,
			/// The attestation deadline.
			until: BlockNumberFor<T>,
		},
		/// An attester answered.
		Attested {
			/// The model.
			model: ModelId,
			/// The version.
			version: VersionNumber,
			/// The attester.
			prover: T::AccountId,
			/// Whether it approved the key.
			approve: bool,
		},
		/// The ceremony finished: the version's key is its final key.
		CeremonyFinished {
			/// The model.
			model: ModelId,
			/// The version.
			version: VersionNumber,
			/// The final proving key's hash.
			head: H256,
			/// Contributions in the transcript.
			contributions: u32,
			/// Of them, by drawn nodes.
			drawn: u32,
			/// What each drawn contributor and attester was paid of the fee.
			reward: BalanceOf<T>,
		},
		/// The ceremony failed: deposits were released, the fee forfeited, the version removed
		/// from the registry.
		CeremonyFailed {
			/// The model.
			model: ModelId,
			/// The version.
			version: VersionNumber,
			/// Why.
			reason: FailureReason,
		},
		/// The version was removed: its ceremony was dropped, deposits and fee released.
		CeremonyDropped {
			/// The model.
			model: ModelId,
			/// The version.
			version: VersionNumber,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No ceremony runs for this version.
		NoCeremony,
		/// The ceremony is not in its open phase: the slot cannot be taken.
		NotOpen,
		/// Another contributor holds the slot.
		SlotTaken,
		/// You already hold the slot.
		AlreadyHoldingSlot,
		/// The open phase took as many contributions as a ceremony keeps.
		TooManyContributions,
		/// It is not your slot or turn: take the slot (open phase) or wait for your draw.
		NotYourTurn,
		/// The contribution builds on another head than the current one: fetch the current
		/// head's key and contribute to it.
		StaleHead,
		/// The contribution's bytes do not decode.
		MalformedContribution,
		/// The contribution's `delta` is the identity.
		IdentityDelta,
		/// The contribution's `delta` is not the same scalar in G1 and G2.
		InconsistentDelta,
		/// The proof of knowledge does not verify for this chain, version, index, author and
		/// head.
		BadProofOfKnowledge,
		/// The ceremony is not waiting for attestations.
		NotAttesting,
		/// Only a drawn attester attests.
		NotAnAttester,
		/// This attester already approved.
		AlreadyAttested,
		/// The approval names another registered verifying key than the version's.
		WrongKey,
		/// As many ceremonies run as the chain takes at once: complete the upload later.
		TooManyCeremonies,
		/// A ceremony already runs for this version.
		AlreadyRunning,
		/// The owner cannot pay the ceremony's fee.
		FeeUnpaid,
		/// The head's key state is not whole in the data layer yet: wait for its upload
		/// (the initial key's is the owner's: `scripts/upload-model.sh` publishes it).
		HeadNotPublished,
		/// A contribution's state is being uploaded: only one contribution at a time.
		UploadPending,
		/// The chunk hashes do not fit the size (one per 64 KiB), or the size is not the size
		/// of this ceremony's key states.
		MalformedState,
		/// The committed chunk hashes are not those of the initial key (its content id).
		WrongState,
		/// The initial key is already published.
		AlreadyPublished,
		/// No key state is being uploaded.
		NothingToUpload,
		/// The chunk is not the next chunk of the state being uploaded (its hash or its length
		/// differs from the committed one).
		WrongChunk,
		/// The contribution's slot or turn ended before its state was whole: it was dropped.
		UploadExpired,
		/// This key state is already in the ceremony: a contribution changes the state.
		StateExists,
		/// Only the version's owner publishes its initial key.
		NotOwner,
		/// The layout does not make a file of the state's size.
		WrongLayout,
		/// No counted contribution has this index.
		NoSuchContribution,
		/// The offset lies past the end of the key state.
		OffsetOutOfRange,
		/// The chunks are not the committed chunks holding the challenged bytes (one chunk, or
		/// two where a point straddles them, of each state).
		WrongChunks,
		/// The challenged bytes follow from the parent's: the state is right there.
		NotBroken,
		/// Only a drawn node's key state uploads fee-free: sign the upload (it pays its fee).
		NotDrawnUpload,
		/// The account is no registered node with a role key.
		NotANode,
		/// The role key's signature does not match the call.
		BadSignature,
		/// The phase's window is over: the open phase for the initial key, the attesters'
		/// window for an attestation (though the block that ends it may not have come to it
		/// yet, when earlier blocks' ceremonies filled the hook's budget).
		WindowOver,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Ends the turns, phases and attestation windows due by `now`, first due first,
		/// within [`Config::HookBudget`] (see [`opg_primitives::deadlines`]).
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let budget = T::HookBudget::get();
			let room = Self::process_weight();
			let (due_from, weight) = deadlines::end_due_within(
				DueFrom::<T>::get(),
				now,
				budget,
				Self::hook_block_base(),
				|at, weight| {
					while let Some(id) = deadlines::next_within(*weight, room, budget, || {
						Due::<T>::mutate_exists(at, deadlines::take_first)
					}) {
						weight.saturating_accrue(Self::process(id, at, now));
					}
					!Due::<T>::contains_key(at)
				},
			);
			DueFrom::<T>::put(due_from);
			weight
		}

		fn offchain_worker(now: BlockNumberFor<T>) {
			Self::perform_duties(now);
		}

		fn integrity_test() {
			assert!(T::DrawnContributors::get() > 0, "DrawnContributors must be positive");
			assert!(T::Attesters::get() > 0, "Attesters must be positive");
			assert!(T::MaxCeremonies::get() > 0, "MaxCeremonies must be positive");
			assert!(!T::TurnPeriod::get().is_zero(), "TurnPeriod must be positive");
			assert!(!T::AttestationPeriod::get().is_zero(), "AttestationPeriod must be positive");
			assert!(
				Self::hook_block_base()
					.saturating_add(Self::process_weight())
					.all_lte(T::HookBudget::get()),
				"HookBudget must fit one ceremony's work at its worst case"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Takes the open phase's slot: holds [`Config::ContributionDeposit`] and gives the
		/// caller [`Config::TurnPeriod`] blocks (at most to the phase's end) to
		/// [`Pallet::contribute`]. A slot whose holder let it run out is forfeited first.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::take_slot())]
		pub fn take_slot(
			origin: OriginFor<T>,
			model: ModelId,
			version: VersionNumber,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let id = (model, version);
			let mut ceremony = Ceremonies::<T>::get(id).ok_or(Error::<T>::NoCeremony)?;
			let now = frame_system::Pallet::<T>::block_number();
			// A slot lasts at least into the next block: the phase's last block takes none.
			ensure!(
				ceremony.phase == Phase::Open && now.saturating_add(One::one()) < ceremony.due,
				Error::<T>::NotOpen
			);
			ensure!(ceremony.head_published, Error::<T>::HeadNotPublished);
			ensure!(
				ceremony.contributions < T::MaxOpenContributions::get(),
				Error::<T>::TooManyContributions
			);
			if let Some(slot) = &ceremony.slot {
				let taken = if slot.holder == who {
					Error::<T>::AlreadyHoldingSlot
				} else {
					Error::<T>::SlotTaken
				};
				ensure!(slot.until < now, taken);
			}
			let deposit = T::ContributionDeposit::get();
			T::Currency::hold(&HoldReason::ContributionDeposit.into(), &who, deposit)?;
			Self::skip_slot(id, &mut ceremony);
			let until = now
				.saturating_add(T::TurnPeriod::get())
				.min(ceremony.due.saturating_sub(One::one()));
			ceremony.slot = Some(Slot { holder: who.clone(), until, deposit });
			Ceremonies::<T>::insert(id, ceremony);
			Self::deposit_event(Event::SlotTaken { model, version, who, until });
			Ok(())
		}

		/// Contributes to the ceremony: `contribution` is the new `delta` and its proof of
		/// knowledge (`opg_zk::ceremony::encode_contribution`, under the context
		/// `opg_zk::ceremony::contribution_context` of this chain's genesis hash, the version,
		/// the next index, the caller and `head`), `state_size` and `chunk_hashes` the size and
		/// the [`KEY_CHUNK_SIZE`] chunks' hashes of the key it made. Only the slot's holder (open
		/// phase) or the drawn node whose turn it is may contribute, on the current head, once
		/// the head's state is whole in the data layer. The contribution counts, and the head
		/// moves to its state, when the state's last chunk arrives ([`Pallet::upload_state`])
		/// within the slot or the turn.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::contribute(chunk_hashes.len() as u32))]
		pub fn contribute(
			origin: OriginFor<T>,
			model: ModelId,
			version: VersionNumber,
			head: H256,
			contribution: EncodedContribution,
			state_size: u64,
			chunk_hashes: StateChunkHashes<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_contribute(who, model, version, head, &contribution, state_size, chunk_hashes)
		}

		/// Answers as a drawn attester: with `approve`, that the version's registered initial
		/// verifying key (hashing to `vk_hash`) is the one the caller computed from the
		/// version's bytes and the pinned ptau, and that the final key (hashing to `head`) is
		/// that initial key after the contributions; without, that one of them is not. The
		/// last approval finishes the ceremony; a rejection fails it.
		#[pallet::call_index(2)]
		#[pallet::weight(Pallet::<T>::attest_weight())]
		pub fn attest(
			origin: OriginFor<T>,
			model: ModelId,
			version: VersionNumber,
			vk_hash: H256,
			head: H256,
			approve: bool,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			Self::do_attest(who, model, version, vk_hash, head, approve)
		}

		/// Passes the caller's drawn turn: it cannot build on the head (the head's key is not
		/// available) or will not contribute. No slash and no share of the fee; the ceremony
		/// fails (every drawn node must contribute).
		#[pallet::call_index(3)]
		#[pallet::weight(
			T::WeightInfo::pass_turn()
				.saturating_add(Pallet::<T>::end_weight())
		)]
		pub fn pass_turn(
			origin: OriginFor<T>,
			model: ModelId,
			version: VersionNumber,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let id = (model, version);
			let ceremony = Ceremonies::<T>::get(id).ok_or(Error::<T>::NoCeremony)?;
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(
				ceremony.phase == Phase::Drawn && Self::has_turn(&ceremony, &who, now),
				Error::<T>::NotYourTurn
			);
			Self::deposit_event(Event::TurnPassed { model, version, node: who });
			Self::fail(id, ceremony, FailureReason::DrawnContributorPassed);
			Ok(())
		}

		/// Publishes the initial key into the data layer, as the version's owner (its upload
		/// tool does, from `opg-node zk-init`): commits its size, the hashes of its
		/// [`KEY_CHUNK_SIZE`] chunks, which must make the ceremony's initial content id, and its
		/// layout (its vectors' lengths, which its chunks' length prefixes must hold as they
		/// arrive). Only the owner, who pays for a ceremony that fails: anyone else could claim a
		/// wrong layout and make the owner upload until it shows.
		/// Its chunks follow through [`Pallet::upload_state`]; contributions start once it is
		/// whole.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::publish_initial(chunk_hashes.len() as u32))]
		pub fn publish_initial(
			origin: OriginFor<T>,
			model: ModelId,
			version: VersionNumber,
			state_size: u64,
			chunk_hashes: StateChunkHashes<T>,
			layout: StateLayout,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let id = (model, version);
			let mut ceremony = Ceremonies::<T>::get(id).ok_or(Error::<T>::NoCeremony)?;
			ensure!(who == ceremony.owner, Error::<T>::NotOwner);
			ensure!(
				!ceremony.head_published && ceremony.upload.is_none(),
				Error::<T>::AlreadyPublished
			);
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(ceremony.phase == Phase::Open && now < ceremony.due, Error::<T>::WindowOver);
			ensure!(layout.size() == Some(state_size), Error::<T>::WrongLayout);
			ensure!(
				state_size > 0
					&& chunk_count(state_size, KEY_CHUNK_SIZE) == Some(chunk_hashes.len() as u32),
				Error::<T>::MalformedState
			);
			let state_hash = state_id(state_size, &chunk_hashes);
			ensure!(state_hash == ceremony.init_hash, Error::<T>::WrongState);
			ceremony.state_size = state_size;
			ceremony.layout = Some(layout);
			Self::commit_state(id, ceremony, state_hash, chunk_hashes, None);
			Ok(())
		}

		/// Uploads chunk `index`, the next, of the key state being uploaded (anyone may: each
		/// chunk is checked against its committed hash), writing it into the off-chain database
		/// of every node that imports the block (offchain indexing, under
		/// `opg_primitives::model::chunk_storage_key` of the state's content id, as model chunks
		/// are). A contribution's chunks must all arrive within its slot or turn; its last one
		/// makes it count: the head moves to its state, and a drawn node's turn passes to the
		/// next. Signed, it pays its fee; a drawn node's state also goes up fee-free, as a
		/// fee-free transaction the call authorizes itself (the chunk matches its committed
		/// hash and each index lands once), which the node's offchain worker sends: drawn
		/// nodes must do the work, so they do not pay for its block space. Its chunks may be
		/// sent together: chunk `i` waits in the pool for chunk `i - 1`.
		#[pallet::call_index(5)]
		// Twice the chunk's work: a drawn node's fee-free chunk is checked as much once more
		// by its `authorize` closure; a signed one is refunded that half.
		#[pallet::weight(T::WeightInfo::upload_state().saturating_mul(2))]
		#[pallet::authorize(|source, model, version, index, chunk| {
			Pallet::<T>::drawn_upload_validity(source, *model, *version, *index, chunk)
		})]
		// Charged in the call's weight, which bare transactions pay too (see
		// `opg_primitives::ensure_self_authorized`).
		#[pallet::weight_of_authorize(Weight::zero())]
		pub fn upload_state(
			origin: OriginFor<T>,
			model: ModelId,
			version: VersionNumber,
			index: u32,
			chunk: StateChunk,
		) -> DispatchResultWithPostInfo {
			let authorized = match origin.into() {
				Ok(frame_system::RawOrigin::Signed(_)) => false,
				// Bare or general: its `authorize` closure let it in (see
				// `opg_primitives::ensure_self_authorized`).
				Ok(frame_system::RawOrigin::Authorized | frame_system::RawOrigin::None) => true,
				_ => return Err(DispatchError::BadOrigin.into()),
			};
			let actual = (!authorized).then(T::WeightInfo::upload_state);
			let id = (model, version);
			let mut ceremony = Ceremonies::<T>::get(id).ok_or(Error::<T>::NoCeremony)?;
			let now = frame_system::Pallet::<T>::block_number();
			let mut upload = ceremony.upload.clone().ok_or(Error::<T>::NothingToUpload)?;
			ensure!(index == upload.next, Error::<T>::WrongChunk);
			ensure!(
				!authorized || (ceremony.phase == Phase::Drawn && upload.contribution.is_some()),
				Error::<T>::NotDrawnUpload
			);
			if let Some(pending) = &upload.contribution {
				let live = match ceremony.phase {
					Phase::Open => ceremony
						.slot
						.as_ref()
						.is_some_and(|slot| slot.holder == pending.author && now <= slot.until),
					Phase::Drawn => Self::has_turn(&ceremony, &pending.author, now),
					Phase::Attesting => false,
				};
				ensure!(live, Error::<T>::UploadExpired);
			} else {
				// The initial key, within the open phase it was published in.
				ensure!(
					ceremony.phase == Phase::Open && now < ceremony.due,
					Error::<T>::UploadExpired
				);
			}
			let expected = stored_chunk_hash(
				&StateChunks::<T>::hashed_key_for(id, upload.state_hash),
				upload.chunks,
				upload.next,
			);
			ensure!(
				expected == Some(chunk_hash(&chunk))
					&& chunk.len() as u64
						== chunk_len(ceremony.state_size, KEY_CHUNK_SIZE, upload.next),
				Error::<T>::WrongChunk
			);
			if upload.contribution.is_none() && !Self::fits_layout(&ceremony, upload.next, &chunk) {
				// The publisher's layout is not the file's: start over.
				Self::discard(id, upload.state_hash);
				ceremony.upload = None;
				ceremony.layout = None;
				ceremony.state_size = 0;
				Ceremonies::<T>::insert(id, ceremony);
				Self::deposit_event(Event::PublicationDropped {
					model,
					version,
					chunk: upload.next,
				});
				return Ok(actual.into());
			}
			sp_io::offchain_index::set(&chunk_storage_key(&upload.state_hash, upload.next), &chunk);
			upload.next.saturating_inc();
			if upload.next < upload.chunks {
				ceremony.upload = Some(upload);
				Ceremonies::<T>::insert(id, ceremony);
				return Ok(actual.into());
			}
			ceremony.upload = None;
			Self::deposit_event(Event::StateUploaded {
				model,
				version,
				state_hash: upload.state_hash,
			});
			match upload.contribution {
				None => ceremony.head_published = true,
				Some(pending) => Self::count(id, &mut ceremony, upload.state_hash, pending, now),
			}
			Ceremonies::<T>::insert(id, ceremony);
			Ok(actual.into())
		}

		/// Shows that contribution `index`'s key state does not follow from its parent's (the
		/// state before it) at byte `offset`: a byte phase 2 leaves alone differs from the
		/// parent's, a byte of `delta` is not the contribution's, or a point of the H or L
		/// query is not the parent's divided by the contribution's secret (one pairing check).
		/// `parent` and `child` are the chunks of the two states that hold those bytes (two
		/// where a point straddles them), each checked against its committed hash. The bad
		/// contribution and every later one are dropped and the head goes back to the parent;
		/// an open contributor forfeits its deposit, a drawn node loses
		/// [`Config::MissedTurnSlash`] of its bond and the ceremony fails. Free when it shows a
		/// bad state.
		#[pallet::call_index(6)]
		#[pallet::weight(
			T::WeightInfo::challenge_state()
				.saturating_add(Pallet::<T>::end_weight())
		)]
		pub fn challenge_state(
			origin: OriginFor<T>,
			model: ModelId,
			version: VersionNumber,
			index: u32,
			offset: u64,
			parent: ChallengedChunks,
			child: ChallengedChunks,
		) -> DispatchResultWithPostInfo {
			let challenger = ensure_signed(origin)?;
			let id = (model, version);
			let ceremony = Ceremonies::<T>::get(id).ok_or(Error::<T>::NoCeremony)?;
			ensure!(index < ceremony.contributions, Error::<T>::NoSuchContribution);
			let record = Transcript::<T>::get(id, index).ok_or(Error::<T>::NoSuchContribution)?;
			let (parent_hash, parent_delta_g2) = match index.checked_sub(1) {
				None => (ceremony.init_hash, Self::initial_delta().1),
				Some(previous) => {
					let previous =
						Transcript::<T>::get(id, previous).ok_or(Error::<T>::NoSuchContribution)?;
					(previous.state_hash, previous.delta_g2)
				}
			};
			let layout = ceremony.layout.ok_or(Error::<T>::NoSuchContribution)?;
			let part = layout.part(offset).ok_or(Error::<T>::OffsetOutOfRange)?;
			let (start, len) = match part {
				StatePart::Divided { start } => (start, G1_LEN),
				_ => (offset, 1),
			};
			let parent_bytes =
				Self::challenged_bytes(id, &ceremony, parent_hash, start, len, &parent)?;
			let child_bytes =
				Self::challenged_bytes(id, &ceremony, record.state_hash, start, len, &child)?;
			ensure!(
				opg_zk::breaks_transition_on_chain(
					part,
					&parent_bytes,
					&child_bytes,
					&parent_delta_g2,
					(&record.delta_g1, &record.delta_g2),
				),
				Error::<T>::NotBroken
			);
			Self::roll_back(id, ceremony, index, record, challenger);
			Ok(Pays::No.into())
		}

		/// A drawn node's contribution, sent by its node's offchain worker: as
		/// [`Pallet::contribute`] for `node`, signed with its role key instead of its account's
		/// (which stays out of the node) and fee-free, as a transaction the call
		/// authorizes itself (only the drawn node whose turn it is, with a contribution that
		/// verifies; one per index).
		#[pallet::call_index(7)]
		// Twice a contribution's work: its `authorize` closure verifies it too.
		#[pallet::weight(T::WeightInfo::contribute(chunk_hashes.len() as u32).saturating_mul(2))]
		#[pallet::authorize(|_source, model, version, node, head, contribution, state_size, chunk_hashes, signature| {
			Pallet::<T>::drawn_contribution_validity(
				*model,
				*version,
				node,
				*head,
				contribution,
				*state_size,
				chunk_hashes,
				signature,
			)
		})]
		// Charged in the call's weight, which bare transactions pay too (see
		// `opg_primitives::ensure_self_authorized`).
		#[pallet::weight_of_authorize(Weight::zero())]
		pub fn contribute_as_node(
			origin: OriginFor<T>,
			model: ModelId,
			version: VersionNumber,
			node: T::AccountId,
			head: H256,
			contribution: EncodedContribution,
			state_size: u64,
			chunk_hashes: StateChunkHashes<T>,
			signature: NodeKeySignature,
		) -> DispatchResult {
			opg_primitives::ensure_self_authorized(origin)?;
			let _ = signature; // checked when the call authorized itself, in this very state
			let ceremony = Ceremonies::<T>::get((model, version)).ok_or(Error::<T>::NoCeremony)?;
			ensure!(ceremony.phase == Phase::Drawn, Error::<T>::NotYourTurn);
			Self::do_contribute(node, model, version, head, &contribution, state_size, chunk_hashes)
		}

		/// A drawn attester's answer, sent by its node's offchain worker once its prover checked
		/// the key: as [`Pallet::attest`] for `node`, signed with its role key and fee-free, as a
		/// fee-free transaction the call authorizes itself (only a drawn attester that has not
		/// approved yet).
		#[pallet::call_index(8)]
		#[pallet::weight(Pallet::<T>::attest_weight().saturating_add(T::WeightInfo::attest()))]
		#[pallet::authorize(|_source, model, version, node, vk_hash, head, approve, signature| {
			Pallet::<T>::attestation_validity(*model, *version, node, *vk_hash, *head, *approve, signature)
		})]
		// Charged in the call's weight, which bare transactions pay too (see
		// `opg_primitives::ensure_self_authorized`).
		#[pallet::weight_of_authorize(Weight::zero())]
		pub fn attest_as_node(
			origin: OriginFor<T>,
			model: ModelId,
			version: VersionNumber,
			node: T::AccountId,
			vk_hash: H256,
			head: H256,
			approve: bool,
			signature: NodeKeySignature,
		) -> DispatchResultWithPostInfo {
			opg_primitives::ensure_self_authorized(origin)?;
			let _ = signature; // checked when the call authorized itself, in this very state
			let mut post = Self::do_attest(node, model, version, vk_hash, head, approve)?;
			// What its `authorize` closure cost, charged beside the call's own work.
			post.actual_weight =
				post.actual_weight.map(|actual| actual.saturating_add(T::WeightInfo::attest()));
			Ok(post)
		}
	}
}

impl<T: Config> From<opg_zk::CeremonyError> for Error<T> {
	fn from(error: opg_zk::CeremonyError) -> Self {
		use opg_zk::CeremonyError as E;
		match error {
			E::IdentityDelta => Error::<T>::IdentityDelta,
			E::InconsistentDelta => Error::<T>::InconsistentDelta,
			E::BadProofOfKnowledge => Error::<T>::BadProofOfKnowledge,
			E::Malformed | E::ChangedFixedPart | E::QueryRatio => Error::<T>::MalformedContribution,
		}
	}
}

impl<T: Config> Pallet<T> {
	/// Checks a contribution by `who` to ceremony `id` (see [`Pallet::contribute`]); returns
	/// its index, the content id of its state and its `delta`.
	fn check_contribution(
		id: CeremonyId,
		ceremony: &Ceremony<T>,
		who: &T::AccountId,
		head: H256,
		contribution: &[u8],
		state_size: u64,
		chunk_hashes: &[H256],
	) -> Result<(u32, H256, PendingContribution<T::AccountId>), Error<T>> {
		let now = frame_system::Pallet::<T>::block_number();
		match ceremony.phase {
			Phase::Open => match &ceremony.slot {
				Some(slot) if slot.holder == *who && now <= slot.until => (),
				_ => return Err(Error::<T>::NotYourTurn),
			},
			Phase::Drawn => ensure!(Self::has_turn(ceremony, who, now), Error::<T>::NotYourTurn),
			Phase::Attesting => return Err(Error::<T>::NotYourTurn),
		}
		ensure!(ceremony.head_published, Error::<T>::HeadNotPublished);
		ensure!(ceremony.upload.is_none(), Error::<T>::UploadPending);
		ensure!(head == ceremony.head, Error::<T>::StaleHead);
		ensure!(
			state_size == ceremony.state_size
				&& chunk_count(state_size, KEY_CHUNK_SIZE) == Some(chunk_hashes.len() as u32),
			Error::<T>::MalformedState
		);
		let state_hash = state_id(state_size, chunk_hashes);
		ensure!(!StateChunks::<T>::contains_key(id, state_hash), Error::<T>::StateExists);
		let index = ceremony.contributions;
		let (model, version) = id;
		let context = opg_zk::ceremony::contribution_context(
			&Self::genesis_hash(),
			model,
			version,
			index,
			&who.encode(),
			head.as_fixed_bytes(),
		);
		let (delta_g1, delta_g2) = opg_zk::verify_contribution_on_chain(
			&context,
			&ceremony.delta_g1,
			&ceremony.delta_g2,
			contribution,
		)
		.map_err(Error::<T>::from)?;
		let (Ok(delta_g1), Ok(delta_g2)) = (delta_g1.try_into(), delta_g2.try_into()) else {
			return Err(Error::<T>::MalformedContribution);
		};
		Ok((index, state_hash, PendingContribution { author: who.clone(), delta_g1, delta_g2 }))
	}

	/// Checks and commits a contribution: its state's chunk hashes go on chain, and the state
	/// waits for its upload.
	fn do_contribute(
		who: T::AccountId,
		model: ModelId,
		version: VersionNumber,
		head: H256,
		contribution: &[u8],
		state_size: u64,
		chunk_hashes: StateChunkHashes<T>,
	) -> DispatchResult {
		let id = (model, version);
		let ceremony = Ceremonies::<T>::get(id).ok_or(Error::<T>::NoCeremony)?;
		let (index, state_hash, pending) = Self::check_contribution(
			id,
			&ceremony,
			&who,
			head,
			contribution,
			state_size,
			&chunk_hashes,
		)?;
		Self::commit_state(id, ceremony, state_hash, chunk_hashes, Some((index, pending)));
		Ok(())
	}

	/// Records `who`'s answer as a drawn attester (see [`Pallet::attest`]).
	fn do_attest(
		who: T::AccountId,
		model: ModelId,
		version: VersionNumber,
		vk_hash: H256,
		head: H256,
		approve: bool,
	) -> DispatchResultWithPostInfo {
		let id = (model, version);
		let mut ceremony = Ceremonies::<T>::get(id).ok_or(Error::<T>::NoCeremony)?;
		ensure!(
			ceremony.phase == Phase::Attesting && !ceremony.attesters.is_empty(),
			Error::<T>::NotAttesting
		);
		ensure!(frame_system::Pallet::<T>::block_number() < ceremony.due, Error::<T>::WindowOver);
		let seat = ceremony
			.attesters
			.iter()
			.position(|(attester, _)| *attester == who)
			.ok_or(Error::<T>::NotAnAttester)?;
		ensure!(!ceremony.attesters.get(seat).is_some_and(|a| a.1), Error::<T>::AlreadyAttested);
		// An answer names what it judged, a rejection too: one given before a challenge moved
		// the head cannot fail the ceremony after it.
		ensure!(vk_hash == ceremony.vk_hash, Error::<T>::WrongKey);
		ensure!(head == ceremony.head, Error::<T>::StaleHead);
		Self::deposit_event(Event::Attested { model, version, prover: who, approve });
		if !approve {
			Self::fail(id, ceremony, FailureReason::KeyRejected);
			return Ok(().into());
		}
		if let Some(entry) = ceremony.attesters.get_mut(seat) {
			entry.1 = true;
		}
		if ceremony.attesters.iter().all(|(_, approved)| *approved) {
			Self::finish(id, ceremony);
			return Ok(().into());
		}
		Ceremonies::<T>::insert(id, ceremony);
		Ok(Some(T::WeightInfo::attest()).into())
	}

	/// A pallet error as a transaction-validity error: `Custom(index)` where `index` is the
	/// error's index in this pallet's `Error` enum.
	fn invalid(error: Error<T>) -> TransactionValidityError {
		match error {
			Error::<T>::BadSignature => InvalidTransaction::BadProof.into(),
			Error::<T>::NotANode => InvalidTransaction::BadSigner.into(),
			_ => InvalidTransaction::Custom(error.encode().first().copied().unwrap_or(u8::MAX))
				.into(),
		}
	}

	/// Pool validity of a drawn node's fee-free transaction: one per `tag`, until `due`.
	fn drawn_validity(
		tag: impl Encode,
		requires: Option<(H256, u32)>,
		due: BlockNumberFor<T>,
	) -> TransactionValidityWithRefund {
		let left: u64 =
			due.saturating_sub(frame_system::Pallet::<T>::block_number()).saturated_into();
		let mut validity = ValidTransaction::with_tag_prefix("OpgZkCeremony")
			.priority(TransactionPriority::MAX / 2)
			.and_provides(tag)
			.longevity(left.max(1))
			.propagate(true);
		if let Some(previous) = requires {
			validity = validity.and_requires(previous);
		}
		validity.build().map(|validity| (validity, Weight::zero()))
	}

	/// Whether `node`'s role key signed `statement` for this chain.
	fn signed_by(
		node: &T::AccountId,
		statement: &SignedStatement<'_, T::AccountId, BlockNumberFor<T>>,
		signature: &NodeKeySignature,
	) -> Result<(), Error<T>> {
		let key = T::Nodes::role_key(node).ok_or(Error::<T>::NotANode)?;
		let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
		ensure!(
			key.verify(&signing_message(&genesis, statement), signature),
			Error::<T>::BadSignature
		);
		Ok(())
	}

	/// Pool validity of [`Pallet::contribute_as_node`]: the drawn node whose turn it is signed
	/// it (checked before the proof of knowledge, so nobody else makes the pool verify one),
	/// and the contribution verifies.
	#[allow(clippy::too_many_arguments)]
	fn drawn_contribution_validity(
		model: ModelId,
		version: VersionNumber,
		node: &T::AccountId,
		head: H256,
		contribution: &[u8],
		state_size: u64,
		chunk_hashes: &[H256],
		signature: &NodeKeySignature,
	) -> TransactionValidityWithRefund {
		let id = (model, version);
		let ceremony = Ceremonies::<T>::get(id).ok_or(Self::invalid(Error::<T>::NoCeremony))?;
		let now = frame_system::Pallet::<T>::block_number();
		if ceremony.phase != Phase::Drawn || !Self::has_turn(&ceremony, node, now) {
			return Err(Self::invalid(Error::<T>::NotYourTurn));
		}
		let index = ceremony.contributions;
		let state = state_id(state_size, chunk_hashes);
		let statement = SignedStatement::CeremonyContribution {
			model: &model,
			version: &version,
			index: &index,
			head: &head,
			contribution,
			state: &state,
		};
		Self::signed_by(node, &statement, signature).map_err(Self::invalid)?;
		Self::check_contribution(id, &ceremony, node, head, contribution, state_size, chunk_hashes)
			.map_err(Self::invalid)?;
		Self::drawn_validity((b"contribute", model, version, index), None, ceremony.due)
	}

	/// Pool validity of [`Pallet::attest_as_node`]: a drawn attester that has not approved yet
	/// signed it.
	fn attestation_validity(
		model: ModelId,
		version: VersionNumber,
		node: &T::AccountId,
		vk_hash: H256,
		head: H256,
		approve: bool,
		signature: &NodeKeySignature,
	) -> TransactionValidityWithRefund {
		let ceremony =
			Ceremonies::<T>::get((model, version)).ok_or(Self::invalid(Error::<T>::NoCeremony))?;
		if ceremony.phase != Phase::Attesting {
			return Err(Self::invalid(Error::<T>::NotAttesting));
		}
		if frame_system::Pallet::<T>::block_number() >= ceremony.due {
			return Err(Self::invalid(Error::<T>::WindowOver));
		}
		match ceremony.attesters.iter().find(|(attester, _)| attester == node) {
			None => return Err(Self::invalid(Error::<T>::NotAnAttester)),
			Some((_, true)) => return Err(Self::invalid(Error::<T>::AlreadyAttested)),
			Some((_, false)) => (),
		}
		if vk_hash != ceremony.vk_hash {
			return Err(Self::invalid(Error::<T>::WrongKey));
		}
		if head != ceremony.head {
			return Err(Self::invalid(Error::<T>::StaleHead));
		}
		let statement = SignedStatement::CeremonyAttestation {
			model: &model,
			version: &version,
			vk_hash: &vk_hash,
			head: &head,
			approve: &approve,
		};
		Self::signed_by(node, &statement, signature).map_err(Self::invalid)?;
		Self::drawn_validity((b"attest", model, version, node), None, ceremony.due)
	}

	/// Validity of a fee-free [`Pallet::upload_state`]: a chunk of a drawn node's
	/// contribution, live in its turn, not yet taken, matching its committed hash. A chunk
	/// past the next waits in the pool for the one before it.
	fn drawn_upload_validity(
		source: TransactionSource,
		model: ModelId,
		version: VersionNumber,
		index: u32,
		chunk: &[u8],
	) -> TransactionValidityWithRefund {
		let id = (model, version);
		let ceremony = Ceremonies::<T>::get(id).ok_or(Self::invalid(Error::<T>::NoCeremony))?;
		let upload = ceremony.upload.as_ref().ok_or(Self::invalid(Error::<T>::NothingToUpload))?;
		let now = frame_system::Pallet::<T>::block_number();
		match &upload.contribution {
			Some(pending) if ceremony.phase == Phase::Drawn => {
				if !Self::has_turn(&ceremony, &pending.author, now) {
					return Err(Self::invalid(Error::<T>::UploadExpired));
				}
			}
			_ => return Err(Self::invalid(Error::<T>::NotDrawnUpload)),
		}
		if index < upload.next {
			return Err(InvalidTransaction::Stale.into());
		}
		// The pool orders later chunks by their tags; a block takes only the next (its author
		// cannot fill it with chunks that would fail for free).
		if source == TransactionSource::InBlock && index != upload.next {
			return Err(InvalidTransaction::Future.into());
		}
		let expected = stored_chunk_hash(
			&StateChunks::<T>::hashed_key_for(id, upload.state_hash),
			upload.chunks,
			index,
		);
		if expected != Some(chunk_hash(chunk))
			|| chunk.len() as u64 != chunk_len(ceremony.state_size, KEY_CHUNK_SIZE, index)
		{
			return Err(Self::invalid(Error::<T>::WrongChunk));
		}
		let requires = (index > upload.next).then(|| (upload.state_hash, index.saturating_sub(1)));
		Self::drawn_validity((upload.state_hash, index), requires, ceremony.due)
	}

	/// Whether it is `who`'s drawn turn at `now`.
	fn has_turn(ceremony: &Ceremony<T>, who: &T::AccountId, now: BlockNumberFor<T>) -> bool {
		ceremony.drawn.get(ceremony.turn as usize) == Some(who) && now < ceremony.due
	}

	/// This chain's genesis hash, which contributions' proofs of knowledge bind.
	fn genesis_hash() -> [u8; 32] {
		let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
		genesis.as_ref().try_into().unwrap_or([0; 32])
	}

	/// Counts a contribution whose state is now whole: it joins the transcript and the head
	/// moves to its state; an open contributor's slot deposit stays held in its record, a
	/// drawn node's turn passes to the next.
	fn count(
		id: CeremonyId,
		ceremony: &mut Ceremony<T>,
		state_hash: H256,
		pending: PendingContribution<T::AccountId>,
		now: BlockNumberFor<T>,
	) {
		let index = ceremony.contributions;
		let drawn = ceremony.phase == Phase::Drawn;
		// The open phase's slot ends with its contribution; its deposit moves to the record.
		let deposit = if drawn {
			Zero::zero()
		} else {
			ceremony.slot.take().map(|slot| slot.deposit).unwrap_or_else(Zero::zero)
		};
		Transcript::<T>::insert(
			id,
			index,
			ContributionRecord {
				author: pending.author.clone(),
				delta_g1: pending.delta_g1,
				delta_g2: pending.delta_g2,
				state_hash,
				drawn,
				deposit,
			},
		);
		ceremony.head = state_hash;
		ceremony.delta_g1 = pending.delta_g1;
		ceremony.delta_g2 = pending.delta_g2;
		ceremony.contributions = index.saturating_add(1);
		Self::deposit_event(Event::Contributed {
			model: id.0,
			version: id.1,
			index,
			author: pending.author,
			head: state_hash,
			drawn,
		});
		if drawn {
			ceremony.drawn_contributions.saturating_inc();
			ceremony.turn.saturating_inc();
			Self::after_turn(id, ceremony, now);
		}
	}

	/// Drops the state upload of a contribution whose slot ran out before it was whole.
	fn drop_pending(id: CeremonyId, ceremony: &mut Ceremony<T>) {
		if let Some(upload) = ceremony.upload.take_if(|upload| upload.contribution.is_some()) {
			Self::discard(id, upload.state_hash);
		}
	}

	/// `delta` of every initial key: the generators.
	fn initial_delta() -> ([u8; G1_LEN], [u8; G2_LEN]) {
		let (g1, g2) = opg_zk::ceremony::initial_delta::<opg_zk::host::HostBn254>();
		(g1.try_into().unwrap_or([0; G1_LEN]), g2.try_into().unwrap_or([0; G2_LEN]))
	}

	/// Whether chunk `index` of the initial key holds the lengths the claimed layout puts in
	/// it (a prefix never straddles two chunks: offsets and the chunk size are multiples of 8).
	fn fits_layout(ceremony: &Ceremony<T>, index: u32, chunk: &[u8]) -> bool {
		let Some(prefixes) = ceremony.layout.and_then(|layout| layout.length_prefixes()) else {
			return false;
		};
		let chunk_start = u64::from(index).saturating_mul(u64::from(KEY_CHUNK_SIZE));
		prefixes.iter().all(|(offset, length)| {
			let Some(at) = u64::checked_sub(*offset, chunk_start) else { return true };
			let Ok(at) = usize::try_from(at) else { return true };
			if at >= chunk.len() {
				return true;
			}
			chunk.get(at..at.saturating_add(8)) == Some(&length.to_le_bytes()[..])
		})
	}

	/// The `len` bytes from `start` of the key state `state`, out of `chunks`: the one or two
	/// consecutive chunks that hold them, each checked against its committed hash.
	fn challenged_bytes(
		id: CeremonyId,
		ceremony: &Ceremony<T>,
		state: H256,
		start: u64,
		len: usize,
		chunks: &[StateChunk],
	) -> Result<Vec<u8>, DispatchError> {
		let size = u64::from(KEY_CHUNK_SIZE);
		let count = chunk_count(ceremony.state_size, KEY_CHUNK_SIZE).unwrap_or_default();
		let chunk_of = |offset: u64| {
			offset
				.checked_div(size)
				.and_then(|index| u32::try_from(index).ok())
				.ok_or(Error::<T>::OffsetOutOfRange)
		};
		let first = chunk_of(start)?;
		let last = chunk_of(start.saturating_add(len as u64).saturating_sub(1))?;
		ensure!(
			chunks.len() as u32 == last.saturating_sub(first).saturating_add(1),
			Error::<T>::WrongChunks
		);
		let key = StateChunks::<T>::hashed_key_for(id, state);
		let mut bytes = Vec::new();
		for (index, chunk) in (first..=last).zip(chunks) {
			ensure!(
				stored_chunk_hash(&key, count, index) == Some(chunk_hash(chunk)),
				Error::<T>::WrongChunks
			);
			bytes.extend_from_slice(chunk);
		}
		let from = start
			.checked_rem(size)
			.and_then(|at| usize::try_from(at).ok())
			.ok_or(Error::<T>::OffsetOutOfRange)?;
		bytes
			.get(from..from.saturating_add(len))
			.map(<[u8]>::to_vec)
			.ok_or_else(|| Error::<T>::WrongChunks.into())
	}

	/// After a challenge showed contribution `index` (`bad`) wrong: its author pays; a drawn
	/// one fails the ceremony (every drawn node must contribute soundly). An open one is
	/// dropped with every contribution after it (their authors built on it in good faith: their
	/// deposits are released, a slot on top of it too), the head goes back to its parent, and a
	/// ceremony past its open phase draws its contributions again from the same drawn nodes,
	/// from the first turn.
	fn roll_back(
		id: CeremonyId,
		mut ceremony: Ceremony<T>,
		index: u32,
		bad: ContributionRecord<T::AccountId, BalanceOf<T>>,
		challenger: T::AccountId,
	) {
		let reason = HoldReason::ContributionDeposit.into();
		let slashed = if bad.drawn {
			T::Nodes::slash(&bad.author, T::MissedTurnSlash::get())
		} else {
			Self::forfeit_deposit(&bad.author, bad.deposit)
		};
		Self::deposit_event(Event::StateChallenged {
			model: id.0,
			version: id.1,
			index,
			author: bad.author.clone(),
			slashed,
			challenger,
		});
		if bad.drawn {
			// The failure releases every deposit and removes the transcript and the states.
			return Self::fail(id, ceremony, FailureReason::BadDrawnState);
		}
		let _ = Transcript::<T>::take(id, index);
		Self::discard(id, bad.state_hash);
		for later in index.saturating_add(1)..ceremony.contributions {
			let Some(record) = Transcript::<T>::take(id, later) else { continue };
			Self::discard(id, record.state_hash);
			if !record.deposit.is_zero() {
				let _ = T::Currency::release(
					&reason,
					&record.author,
					record.deposit,
					Precision::BestEffort,
				);
			}
		}
		Self::drop_pending(id, &mut ceremony);
		// A slot still running was taken in good faith on the bad head: released. One that ran
		// out is forfeited, as it would have been.
		let now = frame_system::Pallet::<T>::block_number();
		if ceremony.slot.as_ref().is_some_and(|slot| slot.until < now) {
			Self::skip_slot(id, &mut ceremony);
		} else if let Some(slot) = ceremony.slot.take() {
			let _ =
				T::Currency::release(&reason, &slot.holder, slot.deposit, Precision::BestEffort);
		}
		let (head, delta_g1, delta_g2) = match index.checked_sub(1) {
			None => {
				let (g1, g2) = Self::initial_delta();
				(ceremony.init_hash, g1, g2)
			}
			Some(previous) => match Transcript::<T>::get(id, previous) {
				Some(record) => (record.state_hash, record.delta_g1, record.delta_g2),
				None => (ceremony.init_hash, ceremony.delta_g1, ceremony.delta_g2),
			},
		};
		ceremony.head = head;
		ceremony.delta_g1 = delta_g1;
		ceremony.delta_g2 = delta_g2;
		ceremony.contributions = index;
		ceremony.drawn_contributions = 0;
		if ceremony.phase != Phase::Open && !ceremony.drawn.is_empty() {
			ceremony.phase = Phase::Drawn;
			ceremony.redrawn_turns = true;
			ceremony.turn = 0;
			ceremony.attesters = BoundedVec::new();
			Self::reschedule(id, &mut ceremony, now.saturating_add(T::TurnPeriod::get()));
		}
		Ceremonies::<T>::insert(id, ceremony);
	}

	/// Takes `id` out of block `at`'s due list (removing the list when it empties).
	fn unschedule(id: CeremonyId, at: BlockNumberFor<T>) {
		Due::<T>::mutate_exists(at, |list| {
			if let Some(entries) = list {
				entries.retain(|entry| *entry != id);
				if entries.is_empty() {
					*list = None;
				}
			}
		});
	}

	/// Puts `id` in the due list of `at`, out of the one of `ceremony.due`.
	fn reschedule(id: CeremonyId, ceremony: &mut Ceremony<T>, at: BlockNumberFor<T>) {
		if ceremony.due != at {
			Self::unschedule(id, ceremony.due);
		}
		ceremony.due = at;
		// Every list has room for every running ceremony, and `id` is in no other list.
		Due::<T>::mutate(at, |list| {
			let entries = list.get_or_insert_with(BoundedVec::new);
			if !entries.contains(&id) {
				let _ = entries.try_push(id);
			}
		});
	}

	/// Forfeits the slot's deposit: its holder let it run out, without contributing or before
	/// its contribution's state was whole (that contribution is dropped).
	fn skip_slot(id: CeremonyId, ceremony: &mut Ceremony<T>) {
		Self::drop_pending(id, ceremony);
		let Some(slot) = ceremony.slot.take() else { return };
		let forfeited = Self::forfeit_deposit(&slot.holder, slot.deposit);
		Self::deposit_event(Event::SlotSkipped {
			model: id.0,
			version: id.1,
			who: slot.holder,
			forfeited,
		});
	}

	/// Forfeits `amount` of `who`'s held contribution deposit to [`Config::OnForfeit`];
	/// returns what it took.
	fn forfeit_deposit(who: &T::AccountId, amount: BalanceOf<T>) -> BalanceOf<T> {
		let (credit, _) = <T::Currency as BalancedHold<_>>::slash(
			&HoldReason::ContributionDeposit.into(),
			who,
			amount,
		);
		let forfeited = frame_support::traits::Imbalance::peek(&credit);
		T::OnForfeit::on_unbalanced(credit);
		forfeited
	}

	/// After a drawn node contributed at `now`: the next turn, or, when every drawn node
	/// contributed, the attesters' draw in the next block (from randomness nobody knew when the
	/// last contribution went in).
	fn after_turn(id: CeremonyId, ceremony: &mut Ceremony<T>, now: BlockNumberFor<T>) {
		let next = if (ceremony.turn as usize) < ceremony.drawn.len() {
			now.saturating_add(T::TurnPeriod::get())
		} else {
			ceremony.phase = Phase::Attesting;
			ceremony.draws = 0;
			now.saturating_add(One::one())
		};
		Self::reschedule(id, ceremony, next);
	}

	/// What the hook takes for each block it walks besides its ceremonies: the measured base,
	/// the list's reads (taken, then checked empty) and the cursor's write.
	pub fn hook_block_base() -> Weight {
		T::WeightInfo::on_initialize_base().saturating_add(T::DbWeight::get().reads_writes(2, 1))
	}

	/// The most weight [`Self::process`] takes for one ceremony: a draw that finds fewer nodes
	/// than it needs tries every count down to one; an attestation window that ends slashes
	/// every silent attester and fails the ceremony.
	pub fn process_weight() -> Weight {
		let needed = T::Attesters::get().max(T::DrawnContributors::get());
		let draw = (1..=needed).fold(T::WeightInfo::process_draw(needed), |weight, count| {
			weight.saturating_add(T::Nodes::select_weight(count, 1))
		});
		let missed = T::WeightInfo::process_missed_turn()
			.saturating_mul(T::Attesters::get().max(1).into())
			.saturating_add(Self::end_weight());
		// The due list's entry taken, and the ceremony read.
		T::DbWeight::get().reads_writes(2, 1).saturating_add(draw.max(missed))
	}

	/// The hook's work in block `now` on a ceremony that was due at block `at` (`now` or,
	/// when an earlier block's budget ran out, before); returns its weight.
	fn process(id: CeremonyId, at: BlockNumberFor<T>, now: BlockNumberFor<T>) -> Weight {
		let Some(mut ceremony) = Ceremonies::<T>::get(id) else {
			return T::DbWeight::get().reads(1);
		};
		// A stale entry: the ceremony is due at another block now.
		if ceremony.due != at {
			return T::DbWeight::get().reads(1);
		}
		if !T::Keys::exists(id.0, id.1) {
			Self::release_fee(&ceremony);
			Self::end(id, ceremony, false);
			Self::deposit_event(Event::CeremonyDropped { model: id.0, version: id.1 });
			return Self::end_weight();
		}
		match ceremony.phase {
			Phase::Open => {
				Self::skip_slot(id, &mut ceremony);
				if !ceremony.head_published {
					Self::fail(id, ceremony, FailureReason::InitialKeyUnpublished);
					return Self::end_weight();
				}
				ceremony.phase = Phase::Drawn;
				Self::draw(id, ceremony, now)
			}
			Phase::Drawn => {
				let Some(node) = ceremony.drawn.get(ceremony.turn as usize).cloned() else {
					return Self::draw(id, ceremony, now);
				};
				if ceremony.redrawn_turns {
					Self::fail(id, ceremony, FailureReason::RedoneTurnMissed);
					return Self::end_weight();
				}
				Self::slash_silent(id, node);
				Self::fail(id, ceremony, FailureReason::DrawnContributorSilent);
				T::WeightInfo::process_missed_turn().saturating_add(Self::end_weight())
			}
			Phase::Attesting if ceremony.attesters.is_empty() => Self::draw(id, ceremony, now),
			Phase::Attesting => {
				let silent: Vec<_> = ceremony
					.attesters
					.iter()
					.filter(|(_, approved)| !approved)
					.map(|(node, _)| node.clone())
					.collect();
				for node in silent {
					Self::slash_silent(id, node);
				}
				Self::fail(id, ceremony, FailureReason::TooFewAttestations);
				Self::end_weight().saturating_add(
					T::WeightInfo::process_missed_turn().saturating_mul(T::Attesters::get().into()),
				)
			}
		}
	}

	/// Slashes a drawn node that let its turn or attestation pass in silence.
	fn slash_silent(id: CeremonyId, node: T::AccountId) {
		let slashed = T::Nodes::slash(&node, T::MissedTurnSlash::get());
		Self::deposit_event(Event::TurnMissed { model: id.0, version: id.1, node, slashed });
	}

	/// Draws the nodes the ceremony's phase needs (as many as can be found, down to one,
	/// excluding the owner): verifiers to contribute, inference nodes as attesters; tries again
	/// a turn later when it could draw nobody, and fails the ceremony after
	/// [`Config::MaxRedraws`] such tries.
	fn draw(id: CeremonyId, mut ceremony: Ceremony<T>, now: BlockNumberFor<T>) -> Weight {
		let attesting = ceremony.phase == Phase::Attesting;
		let needed = if attesting { T::Attesters::get() } else { T::DrawnContributors::get() };
		if ceremony.draws > T::MaxRedraws::get() {
			let reason = if attesting {
				FailureReason::TooFewAttestations
			} else {
				FailureReason::NoContributorDrawn
			};
			Self::fail(id, ceremony, reason);
			return Self::end_weight();
		}
		ceremony.draws.saturating_inc();
		let subject = sp_io::hashing::blake2_256(
			&(b"opg:zk-ceremony-draw", id, attesting, ceremony.draws).encode(),
		);
		let exclude = [ceremony.owner.clone()];
		let role = if attesting { NodeRole::Inference } else { NodeRole::Verifier };
		// As many as the pool holds, down to one: a small pool (a dev chain's) still gets
		// drawn nodes.
		let mut nodes = Vec::new();
		let mut count = needed;
		let mut weight = T::WeightInfo::process_draw(needed);
		while count > 0 {
			weight.saturating_accrue(T::Nodes::select_weight(count, exclude.len() as u32));
			if let Ok(chosen) = T::Nodes::select(role, subject.into(), count, &exclude) {
				nodes = chosen;
				break;
			}
			count.saturating_dec();
		}
		let next = if nodes.is_empty() {
			// Nobody (or no randomness): try again a turn later.
			now.saturating_add(T::TurnPeriod::get())
		} else if attesting {
			ceremony.attesters =
				BoundedVec::truncate_from(nodes.iter().map(|node| (node.clone(), false)).collect());
			let until = now.saturating_add(T::AttestationPeriod::get());
			Self::deposit_event(Event::AttestersDrawn {
				model: id.0,
				version: id.1,
				head: ceremony.head,
				nodes,
				until,
			});
			until
		} else {
			ceremony.drawn = BoundedVec::truncate_from(nodes.clone());
			Self::deposit_event(Event::ContributorsDrawn { model: id.0, version: id.1, nodes });
			// The first new node's turn starts now.
			now.saturating_add(T::TurnPeriod::get())
		};
		Self::reschedule(id, &mut ceremony, next);
		Ceremonies::<T>::insert(id, ceremony);
		weight
	}

	/// Hands the finished key to the registry, pays the fee's shares and ends the ceremony.
	fn finish(id: CeremonyId, ceremony: Ceremony<T>) {
		let origin = ZkKeyOrigin::Ceremony {
			contributions: ceremony.contributions,
			drawn: ceremony.drawn_contributions,
		};
		let (head, contributions, drawn) =
			(ceremony.head, ceremony.contributions, ceremony.drawn_contributions);
		if T::Keys::finish(id.0, id.1, &ceremony.delta_g2, head, origin).is_err() {
			return Self::fail(id, ceremony, FailureReason::KeyRefused);
		}
		let mut paid: Vec<T::AccountId> = (0..ceremony.contributions)
			.filter_map(|index| Transcript::<T>::get(id, index))
			.filter(|record| record.drawn)
			.map(|record| record.author)
			.collect();
		paid.extend(ceremony.attesters.iter().map(|(node, _)| node.clone()));
		let shares = BalanceOf::<T>::from(paid.len().max(1) as u32);
		let reward = ceremony.fee.checked_div(&shares).unwrap_or_else(Zero::zero);
		for node in &paid {
			let _ = T::Currency::transfer_on_hold(
				&HoldReason::CeremonyFee.into(),
				&ceremony.owner,
				node,
				reward,
				Precision::BestEffort,
				Restriction::Free,
				Fortitude::Polite,
			);
		}
		// What the equal shares leave (a remainder of the division) goes back to the owner.
		Self::release_fee(&ceremony);
		Self::end(id, ceremony, true);
		Self::deposit_event(Event::CeremonyFinished {
			model: id.0,
			version: id.1,
			head,
			contributions,
			drawn,
			reward,
		});
	}

	/// Ends a ceremony that failed: the fee forfeited (whatever failed it, so that failing a
	/// ceremony on purpose to draw again costs the fee), deposits released, the registry told.
	fn fail(id: CeremonyId, ceremony: Ceremony<T>, reason: FailureReason) {
		let (credit, _) = <T::Currency as BalancedHold<_>>::slash(
			&HoldReason::CeremonyFee.into(),
			&ceremony.owner,
			ceremony.fee,
		);
		T::OnForfeit::on_unbalanced(credit);
		Self::end(id, ceremony, false);
		T::Keys::fail(id.0, id.1);
		Self::deposit_event(Event::CeremonyFailed { model: id.0, version: id.1, reason });
	}

	/// Releases what is left of the owner's fee.
	fn release_fee(ceremony: &Ceremony<T>) {
		let _ = T::Currency::release(
			&HoldReason::CeremonyFee.into(),
			&ceremony.owner,
			ceremony.fee,
			Precision::BestEffort,
		);
	}

	/// Ends a ceremony: releases every contribution deposit (the slot's too), removes it from
	/// storage and its due list, and keeps its transcript and its final state's chunk hashes
	/// only if it finished. The fee is the caller's to settle first.
	fn end(id: CeremonyId, mut ceremony: Ceremony<T>, finished: bool) {
		let reason = HoldReason::ContributionDeposit.into();
		if let Some(slot) = ceremony.slot.take() {
			let _ =
				T::Currency::release(&reason, &slot.holder, slot.deposit, Precision::BestEffort);
		}
		let kept = finished.then_some(ceremony.head);
		let mut states: Vec<H256> = alloc::vec![ceremony.init_hash];
		states.extend(ceremony.upload.as_ref().map(|upload| upload.state_hash));
		for index in 0..ceremony.contributions {
			let record = if finished {
				Transcript::<T>::get(id, index)
			} else {
				Transcript::<T>::take(id, index)
			};
			states.extend(record.as_ref().map(|record| record.state_hash));
			if let Some(record) = record.filter(|record| !record.deposit.is_zero()) {
				let _ = T::Currency::release(
					&reason,
					&record.author,
					record.deposit,
					Precision::BestEffort,
				);
			}
		}
		for state in states.into_iter().filter(|state| Some(*state) != kept) {
			Self::discard(id, state);
		}
		Self::unschedule(id, ceremony.due);
		Ceremonies::<T>::remove(id);
		Running::<T>::mutate(|running| running.saturating_dec());
	}

	/// Drops key state `state` from the ceremony: its chunk hashes go, and its chunks leave
	/// the nodes' off-chain databases with the registry's spare weight
	/// ([`CeremonyKeys::discard_state`]), so no node keeps megabytes nobody will read.
	fn discard(id: CeremonyId, state: H256) {
		// The length alone: a state's hashes are up to 256 KiB.
		let Some(chunks) = StateChunks::<T>::decode_len(id, state) else { return };
		StateChunks::<T>::remove(id, state);
		let unused = StateUses::<T>::mutate_exists(state, |uses| {
			let left = uses.unwrap_or(0).saturating_sub(1);
			*uses = (left > 0).then_some(left);
			left == 0
		});
		if unused {
			T::Keys::discard_state(state, chunks as u32);
		}
	}

	/// Commits ceremony `id` to key state `state`'s chunk hashes and waits for its upload: the
	/// initial key's, or contribution `index`'s (`pending`). A state queued for clearing is
	/// wanted again.
	fn commit_state(
		id: CeremonyId,
		mut ceremony: Ceremony<T>,
		state: H256,
		hashes: StateChunkHashes<T>,
		contribution: Option<(u32, PendingContribution<T::AccountId>)>,
	) {
		let chunks = hashes.len() as u32;
		StateChunks::<T>::insert(id, state, hashes);
		StateUses::<T>::mutate(state, |uses| *uses = Some(uses.unwrap_or(0).saturating_add(1)));
		T::Keys::keep_state(state);
		let (index, pending) = contribution.unzip();
		ceremony.upload =
			Some(StateUpload { state_hash: state, chunks, next: 0, contribution: pending });
		Ceremonies::<T>::insert(id, ceremony);
		Self::deposit_event(Event::StateCommitted {
			model: id.0,
			version: id.1,
			state_hash: state,
			chunks,
			contribution: index,
		});
	}

	/// The most weight a ceremony's end takes: the settlement, plus queueing each of its key
	/// states but the kept one for clearing (one write each, in the registry).
	pub fn end_weight() -> Weight {
		T::WeightInfo::process_end(Self::settle_bound()).saturating_add(
			T::DbWeight::get().writes(u64::from(Self::transcript_bound()).saturating_add(2)),
		)
	}

	/// The most weight an attestation takes: the last approval finishes the ceremony, a
	/// rejection fails it.
	pub fn attest_weight() -> Weight {
		T::WeightInfo::attest()
			.saturating_add(Self::end_weight())
			.saturating_add(T::Keys::finish_weight())
	}

	/// The most contributions a ceremony's transcript holds.
	pub fn transcript_bound() -> u32 {
		T::MaxOpenContributions::get().saturating_add(T::DrawnContributors::get())
	}

	/// The most holds an end settles: every transcript record and every attester's share.
	pub fn settle_bound() -> u32 {
		Self::transcript_bound().saturating_add(T::Attesters::get())
	}

	/// A version's transcript, in order: its key's provenance.
	pub fn transcript(
		model: ModelId,
		version: VersionNumber,
	) -> Vec<ContributionRecord<T::AccountId, BalanceOf<T>>> {
		let mut records: Vec<_> = Transcript::<T>::iter_prefix((model, version)).collect();
		records.sort_by_key(|(index, _)| *index);
		records.into_iter().map(|(_, record)| record).collect()
	}

	#[cfg(any(feature = "try-runtime", test))]
	pub(crate) fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::BTreeMap;
		use frame_support::traits::fungible::InspectHold;
		let mut running = 0u32;
		let mut deposits: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let mut fees: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let add = |map: &mut BTreeMap<T::AccountId, BalanceOf<T>>, who: &T::AccountId, amount| {
			let entry = map.entry(who.clone()).or_default();
			*entry = entry.saturating_add(amount);
		};
		for (id, ceremony) in Ceremonies::<T>::iter() {
			running.saturating_inc();
			ensure!(
				Due::<T>::get(ceremony.due).unwrap_or_default().contains(&id),
				"a running ceremony is due"
			);
			let records: Vec<_> = Transcript::<T>::iter_prefix(id).collect();
			ensure!(records.len() as u32 == ceremony.contributions, "transcript length");
			ensure!(
				records.iter().filter(|(_, r)| r.drawn).count() as u32
					== ceremony.drawn_contributions,
				"drawn contributions"
			);
			for (_, record) in &records {
				add(&mut deposits, &record.author, record.deposit);
			}
			if let Some(slot) = &ceremony.slot {
				add(&mut deposits, &slot.holder, slot.deposit);
			}
			add(&mut fees, &ceremony.owner, ceremony.fee);
			ensure!(
				!ceremony.head_published || StateChunks::<T>::contains_key(id, ceremony.head),
				"a published head has its chunk hashes"
			);
			ensure!(
				(ceremony.state_size == 0) == ceremony.layout.is_none(),
				"a published state size comes with its layout"
			);
			if let Some(upload) = &ceremony.upload {
				let hashes = StateChunks::<T>::get(id, upload.state_hash)
					.ok_or("an upload has its chunk hashes")?;
				ensure!(
					hashes.len() as u32 == upload.chunks && upload.next < upload.chunks,
					"an upload's progress fits its chunks"
				);
				if let Some(pending) = &upload.contribution {
					ensure!(
						ceremony.phase != Phase::Open
							|| ceremony.slot.as_ref().is_some_and(|s| s.holder == pending.author),
						"an open contribution uploads within its slot"
					);
				}
			}
		}
		ensure!(running == Running::<T>::get(), "running count");
		let due_from = DueFrom::<T>::get();
		ensure!(
			due_from <= frame_system::Pallet::<T>::block_number().saturating_add(One::one()),
			"the due cursor is ahead of time"
		);
		opg_primitives::check_storage_version::<Self>()?;
		for (block, list) in Due::<T>::iter() {
			ensure!(!list.is_empty(), "an empty due list");
			ensure!(block >= due_from, "a due list is left behind the cursor");
			for id in list {
				let ceremony = Ceremonies::<T>::get(id).ok_or("a due entry of no ceremony")?;
				ensure!(ceremony.due == block, "a ceremony due in one block only");
			}
		}
		for (reason, held) in
			[(HoldReason::ContributionDeposit, deposits), (HoldReason::CeremonyFee, fees)]
		{
			for (who, amount) in held {
				ensure!(
					T::Currency::balance_on_hold(&reason.into(), &who) == amount,
					"held deposits and fees"
				);
			}
		}
		let mut uses: BTreeMap<H256, u32> = BTreeMap::new();
		for (_, state) in StateChunks::<T>::iter_keys() {
			let entry = uses.entry(state).or_default();
			*entry = entry.saturating_add(1);
		}
		ensure!(
			StateUses::<T>::iter().collect::<BTreeMap<_, _>>() == uses,
			"StateUses counts the ceremonies holding each state"
		);
		Ok(())
	}
}

impl<T: Config> KeyCeremony<T::AccountId> for Pallet<T> {
	fn begin(
		model: ModelId,
		version: VersionNumber,
		owner: &T::AccountId,
		init_hash: H256,
		vk_hash: H256,
	) -> DispatchResult {
		let id = (model, version);
		ensure!(!Ceremonies::<T>::contains_key(id), Error::<T>::AlreadyRunning);
		ensure!(Running::<T>::get() < T::MaxCeremonies::get(), Error::<T>::TooManyCeremonies);
		let fee = T::CeremonyFee::get();
		T::Currency::hold(&HoldReason::CeremonyFee.into(), owner, fee)
			.map_err(|_| Error::<T>::FeeUnpaid)?;
		let (delta_g1, delta_g2) = opg_zk::ceremony::initial_delta::<opg_zk::host::HostBn254>();
		let (Ok(delta_g1), Ok(delta_g2)) = (delta_g1.try_into(), delta_g2.try_into()) else {
			return Err(Error::<T>::MalformedContribution.into());
		};
		let now = frame_system::Pallet::<T>::block_number();
		let open_until =
			now.saturating_add(T::OpenPeriod::get()).max(now.saturating_add(One::one()));
		let mut ceremony = Ceremony::<T> {
			owner: owner.clone(),
			fee,
			vk_hash,
			init_hash,
			state_size: 0,
			layout: None,
			head_published: false,
			upload: None,
			phase: Phase::Open,
			due: now,
			head: init_hash,
			delta_g1,
			delta_g2,
			contributions: 0,
			drawn_contributions: 0,
			slot: None,
			drawn: BoundedVec::new(),
			turn: 0,
			draws: 0,
			attesters: BoundedVec::new(),
			redrawn_turns: false,
		};
		Self::reschedule(id, &mut ceremony, open_until);
		Ceremonies::<T>::insert(id, ceremony);
		Running::<T>::mutate(|running| running.saturating_inc());
		Self::deposit_event(Event::CeremonyBegun { model, version, init_hash, open_until });
		Ok(())
	}

	fn begin_weight() -> Weight {
		T::WeightInfo::begin()
	}

	fn state_chunk_hash(
		model: ModelId,
		version: VersionNumber,
		state: H256,
		index: u32,
	) -> Option<H256> {
		opg_primitives::model::stored_chunk_hash_at(
			&StateChunks::<T>::hashed_key_for((model, version), state),
			index,
		)
	}

	fn forget(model: ModelId, version: VersionNumber) {
		let id = (model, version);
		// A running ceremony ends on its own: its hook sees the version gone.
		if Ceremonies::<T>::contains_key(id) {
			return;
		}
		let states: Vec<H256> = StateChunks::<T>::iter_key_prefix(id)
			.take(Self::transcript_bound().saturating_add(2) as usize)
			.collect();
		for state in states {
			Self::discard(id, state);
		}
		let _ = Transcript::<T>::clear_prefix(id, Self::transcript_bound(), None);
	}

	fn forget_weight() -> Weight {
		// A finished ceremony keeps one state and its transcript.
		let records = u64::from(Self::transcript_bound());
		T::DbWeight::get().reads_writes(records.saturating_add(3), records.saturating_add(3))
	}
}
