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
//! off chain under its hash, the ceremony's *head*.
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
//! 1. **Open** ([`Config::OpenPeriod`] blocks from the upload's completion): anyone (a dApp,
//!    the owner) takes the slot ([`Pallet::take_slot`], holding [`Config::ContributionDeposit`])
//!    and contributes within [`Config::TurnPeriod`] blocks ([`Pallet::contribute`]). One slot
//!    at a time, so contributors never race on the head. A slot that runs out is skipped and
//!    its deposit forfeited to [`Config::OnForfeit`] (when the next slot is taken or the phase
//!    ends).
//! 2. **Drawn**: at the open phase's end the chain draws [`Config::DrawnContributors`] verifier
//!    nodes by stake (never the owner; fewer where the pool is smaller) from that block's BABE
//!    randomness, which nobody knew when the phase began. They contribute in turn, each within
//!    [`Config::TurnPeriod`] blocks, and **every one of them must**: a node that cannot build on
//!    the head (its key is unavailable) passes ([`Pallet::pass_turn`]), one that stays silent
//!    loses [`Config::MissedTurnSlash`] of its bond, and either ends the ceremony. Nobody is
//!    drawn in their place: replacements would let whoever makes the honest nodes pass (by
//!    withholding the head's key) redraw until only its own nodes were drawn.
//! 3. **Attesting**: in the next block the chain draws [`Config::Attesters`] inference nodes (the
//!    provers; never the owner). Each fetches the final key, recomputes the initial key and
//!    checks both the registered verifying key and the final key against it (`opg-node
//!    zk-verify-key`), then [`Pallet::attest`]s, approving or rejecting, within
//!    [`Config::AttestationPeriod`] blocks. When all approve, the registry makes the version's key
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
//! - **Lazy drawn node** (posts a `delta` without publishing its key): the attesters cannot
//!   check the final key and the ceremony fails: no share for anyone, so laziness earns
//!   nothing.
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
//! What is not built yet: the key states' transfer through the data layer and an on-chain proof
//! of a bad state that would slash its author (a lazy or bad contribution is caught only by the
//! attesters, failing the ceremony), and attestations through the verification rounds' commit
//! and reveal with audits: attesters answer in the open, and one that approves without checking
//! is not caught (a forged key needs every drawn attester to approve it, so the check rests on
//! one of them running the node's `zk-verify-key`).
//!
//! ## Invariants (checked by `try_state`)
//!
//! - Each running ceremony has exactly one entry in [`Due`], in the list of the block its `due`
//!   names, no list holds an entry of a ceremony that is not running, and no list is empty.
//! - [`Running`] counts the running ceremonies.
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
	attestation::{NodeRegistry, NodeRole},
	model::{CeremonyKeys, KeyCeremony, ModelId, VersionNumber, ZkKeyOrigin},
};
use opg_zk::ceremony::{CONTRIBUTION_LEN, G1_LEN, G2_LEN};
use scale_info::TypeInfo;
use sp_core::H256;
use sp_runtime::{
	traits::{CheckedDiv, Saturating, Zero},
	Perbill,
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
	/// Where it stands.
	pub phase: Phase,
	/// The block in which the hook next looks at it: the open phase's end, the end of the
	/// current drawn turn, a draw, or the attestation deadline.
	pub due: BlockNumberFor<T>,
	/// The hash of the latest key (the initial key's before any contribution), which the next
	/// contribution builds on.
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
}

/// One contribution in a ceremony's transcript.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct ContributionRecord<AccountId, Balance> {
	/// Its author.
	pub author: AccountId,
	/// The `delta` in G1 it made, uncompressed.
	pub delta_g1: [u8; G1_LEN],
	/// The hash of the key it made (the head after it).
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
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

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
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
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

	/// The ceremonies the hook looks at in each block.
	#[pallet::storage]
	pub type Due<T: Config> =
		StorageMap<_, Twox64Concat, BlockNumberFor<T>, BoundedVec<CeremonyId, T::MaxCeremonies>>;

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
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let due = Due::<T>::take(now).unwrap_or_default();
			let mut weight = T::WeightInfo::on_initialize_base();
			for id in due {
				weight.saturating_accrue(Self::process(id, now));
			}
			weight
		}

		fn integrity_test() {
			assert!(T::DrawnContributors::get() > 0, "DrawnContributors must be positive");
			assert!(T::Attesters::get() > 0, "Attesters must be positive");
			assert!(T::MaxCeremonies::get() > 0, "MaxCeremonies must be positive");
			assert!(!T::TurnPeriod::get().is_zero(), "TurnPeriod must be positive");
			assert!(!T::AttestationPeriod::get().is_zero(), "AttestationPeriod must be positive");
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
		/// the next index, the caller and `head`), `state_hash` the hash of the key it made,
		/// which the caller publishes. Only the slot's holder (open phase) or the drawn node
		/// whose turn it is may contribute, on the current head.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::contribute())]
		pub fn contribute(
			origin: OriginFor<T>,
			model: ModelId,
			version: VersionNumber,
			head: H256,
			contribution: EncodedContribution,
			state_hash: H256,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let id = (model, version);
			let mut ceremony = Ceremonies::<T>::get(id).ok_or(Error::<T>::NoCeremony)?;
			let now = frame_system::Pallet::<T>::block_number();
			let deposit = match ceremony.phase {
				Phase::Open => match &ceremony.slot {
					Some(slot) if slot.holder == who && now <= slot.until => Some(slot.deposit),
					_ => return Err(Error::<T>::NotYourTurn.into()),
				},
				Phase::Drawn => {
					ensure!(Self::has_turn(&ceremony, &who, now), Error::<T>::NotYourTurn);
					None
				}
				Phase::Attesting => return Err(Error::<T>::NotYourTurn.into()),
			};
			ensure!(head == ceremony.head, Error::<T>::StaleHead);
			let index = ceremony.contributions;
			let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
			let context = opg_zk::ceremony::contribution_context(
				genesis.as_ref().try_into().unwrap_or(&[0; 32]),
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
				&contribution,
			)
			.map_err(Error::<T>::from)?;
			let (Ok(delta_g1), Ok(delta_g2)) = (delta_g1.try_into(), delta_g2.try_into()) else {
				return Err(Error::<T>::MalformedContribution.into());
			};
			let drawn = deposit.is_none();
			Transcript::<T>::insert(
				id,
				index,
				ContributionRecord {
					author: who.clone(),
					delta_g1,
					state_hash,
					drawn,
					deposit: deposit.unwrap_or_else(Zero::zero),
				},
			);
			ceremony.head = state_hash;
			ceremony.delta_g1 = delta_g1;
			ceremony.delta_g2 = delta_g2;
			ceremony.contributions = index.saturating_add(1);
			Self::deposit_event(Event::Contributed {
				model,
				version,
				index,
				author: who,
				head: state_hash,
				drawn,
			});
			if drawn {
				ceremony.drawn_contributions.saturating_inc();
				ceremony.turn.saturating_inc();
				Self::after_turn(id, &mut ceremony, now);
			} else {
				// The deposit stays held, now recorded in the transcript.
				ceremony.slot = None;
			}
			Ceremonies::<T>::insert(id, ceremony);
			Ok(())
		}

		/// Answers as a drawn attester: with `approve`, that the version's registered initial
		/// verifying key (hashing to `vk_hash`) is the one the caller computed from the
		/// version's bytes and the pinned ptau, and that the final key (hashing to `head`) is
		/// that initial key after the contributions; without, that one of them is not. The
		/// last approval finishes the ceremony; a rejection fails it.
		#[pallet::call_index(2)]
		#[pallet::weight(
			T::WeightInfo::attest()
				.saturating_add(T::WeightInfo::process_end(Pallet::<T>::settle_bound()))
				.saturating_add(T::Keys::finish_weight())
		)]
		pub fn attest(
			origin: OriginFor<T>,
			model: ModelId,
			version: VersionNumber,
			vk_hash: H256,
			head: H256,
			approve: bool,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let id = (model, version);
			let mut ceremony = Ceremonies::<T>::get(id).ok_or(Error::<T>::NoCeremony)?;
			ensure!(
				ceremony.phase == Phase::Attesting && !ceremony.attesters.is_empty(),
				Error::<T>::NotAttesting
			);
			let seat = ceremony
				.attesters
				.iter()
				.position(|(attester, _)| *attester == who)
				.ok_or(Error::<T>::NotAnAttester)?;
			ensure!(
				!ceremony.attesters.get(seat).is_some_and(|a| a.1),
				Error::<T>::AlreadyAttested
			);
			Self::deposit_event(Event::Attested { model, version, prover: who, approve });
			if !approve {
				Self::fail(id, ceremony, FailureReason::KeyRejected);
				return Ok(().into());
			}
			ensure!(vk_hash == ceremony.vk_hash, Error::<T>::WrongKey);
			ensure!(head == ceremony.head, Error::<T>::StaleHead);
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

		/// Passes the caller's drawn turn: it cannot build on the head (the head's key is not
		/// available) or will not contribute. No slash and no share of the fee; the ceremony
		/// fails (every drawn node must contribute).
		#[pallet::call_index(3)]
		#[pallet::weight(
			T::WeightInfo::pass_turn()
				.saturating_add(T::WeightInfo::process_end(Pallet::<T>::settle_bound()))
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
	/// Whether it is `who`'s drawn turn at `now`.
	fn has_turn(ceremony: &Ceremony<T>, who: &T::AccountId, now: BlockNumberFor<T>) -> bool {
		ceremony.drawn.get(ceremony.turn as usize) == Some(who) && now < ceremony.due
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

	/// Forfeits the slot's deposit: its holder let it run out.
	fn skip_slot(id: CeremonyId, ceremony: &mut Ceremony<T>) {
		let Some(slot) = ceremony.slot.take() else { return };
		let (credit, _) = <T::Currency as BalancedHold<_>>::slash(
			&HoldReason::ContributionDeposit.into(),
			&slot.holder,
			slot.deposit,
		);
		let forfeited = frame_support::traits::Imbalance::peek(&credit);
		T::OnForfeit::on_unbalanced(credit);
		Self::deposit_event(Event::SlotSkipped {
			model: id.0,
			version: id.1,
			who: slot.holder,
			forfeited,
		});
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

	/// The hook's work on a ceremony due at `now`; returns its weight.
	fn process(id: CeremonyId, now: BlockNumberFor<T>) -> Weight {
		let Some(mut ceremony) = Ceremonies::<T>::get(id) else {
			return T::DbWeight::get().reads(1);
		};
		// The list was taken: `due` names no list any more.
		if ceremony.due != now {
			return T::DbWeight::get().reads(1);
		}
		if !T::Keys::exists(id.0, id.1) {
			Self::release_fee(&ceremony);
			Self::end(id, ceremony, false);
			Self::deposit_event(Event::CeremonyDropped { model: id.0, version: id.1 });
			return T::WeightInfo::process_end(Self::settle_bound());
		}
		match ceremony.phase {
			Phase::Open => {
				Self::skip_slot(id, &mut ceremony);
				ceremony.phase = Phase::Drawn;
				Self::draw(id, ceremony, now)
			}
			Phase::Drawn => {
				let Some(node) = ceremony.drawn.get(ceremony.turn as usize).cloned() else {
					return Self::draw(id, ceremony, now);
				};
				Self::slash_silent(id, node);
				Self::fail(id, ceremony, FailureReason::DrawnContributorSilent);
				T::WeightInfo::process_missed_turn()
					.saturating_add(T::WeightInfo::process_end(Self::settle_bound()))
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
				T::WeightInfo::process_end(Self::settle_bound()).saturating_add(
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
			return T::WeightInfo::process_end(Self::settle_bound());
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
			weight.saturating_accrue(T::Nodes::select_weight(count));
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
	/// storage and its due list, and keeps its transcript only if it finished. The fee is the
	/// caller's to settle first.
	fn end(id: CeremonyId, mut ceremony: Ceremony<T>, finished: bool) {
		let reason = HoldReason::ContributionDeposit.into();
		if let Some(slot) = ceremony.slot.take() {
			let _ =
				T::Currency::release(&reason, &slot.holder, slot.deposit, Precision::BestEffort);
		}
		for index in 0..ceremony.contributions {
			let record = if finished {
				Transcript::<T>::get(id, index)
			} else {
				Transcript::<T>::take(id, index)
			};
			if let Some(record) = record.filter(|record| !record.deposit.is_zero()) {
				let _ = T::Currency::release(
					&reason,
					&record.author,
					record.deposit,
					Precision::BestEffort,
				);
			}
		}
		Self::unschedule(id, ceremony.due);
		Ceremonies::<T>::remove(id);
		Running::<T>::mutate(|running| running.saturating_dec());
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
		}
		ensure!(running == Running::<T>::get(), "running count");
		for (block, list) in Due::<T>::iter() {
			ensure!(!list.is_empty(), "an empty due list");
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
}
