//! # ZK key ceremony
//!
//! Phase 2 of the Groth16 setup of each ZK model version, run on chain, so that no one (the
//! model's owner included) knows the key's last secret and can forge a proof.
//!
//! A ZK version registers its *initial key*: the key anyone computes from its ONNX bytes and
//! the powers-of-tau file the chain pins (`opg_zk::groth16::initial_key`), with `delta` the
//! generator. The registry checks it against the pinned phase 1 and starts the version's
//! ceremony here ([`KeyCeremony::begin`]); until the ceremony ends the version runs no ZK job.
//! Each contribution multiplies `delta` by a secret of its author's and divides the key's `L`
//! and `H` queries by it; the chain sees only the new `delta` and a proof that its author knows
//! the secret ([`opg_zk::ceremony`]), and checks both; the new key itself (megabytes) lives
//! off chain under its hash, the ceremony's *head*. The key is sound if any one contributor
//! forgot its secret.
//!
//! ## Phases
//!
//! 1. **Open** ([`Config::OpenPeriod`] blocks from registration, and until the bytes are
//!    uploaded): anyone (a dApp, the owner) takes the slot ([`Pallet::take_slot`], holding
//!    [`Config::ContributionDeposit`]) and contributes within [`Config::TurnPeriod`] blocks
//!    ([`Pallet::contribute`]). One slot at a time, so contributors never race on the head. A
//!    slot that runs out is skipped and its deposit forfeited to [`Config::OnForfeit`] (when
//!    the next slot is taken or the phase ends).
//! 2. **Drawn**: at the open phase's end the chain draws [`Config::DrawnContributors`] verifier
//!    nodes by stake (never the owner) from that block's BABE randomness, which nobody knew
//!    when the version registered. They contribute in turn, each within
//!    [`Config::TurnPeriod`] blocks of its turn's start. A node that misses its turn loses
//!    [`Config::MissedTurnSlash`] of its bond and is replaced by a fresh draw (at most
//!    [`Config::MaxRedraws`] times; then the ceremony fails).
//! 3. **Attesting**: once the drawn nodes contributed, inference nodes (the provers) fetch the
//!    final key, check it against the initial key they compute themselves (`A`, `B` and the
//!    public inputs' points unchanged, `L` and `H` moved by the inverse of `delta`:
//!    `opg_zk::ceremony::verify_transition`) and [`Pallet::attest`] to its head. After
//!    [`Config::RequiredAttestations`] attestations the registry makes the version's key from
//!    the initial key and the last `delta` ([`CeremonyKeys::finish`]) and the version runs ZK
//!    jobs. Without them within [`Config::AttestationPeriod`] blocks the ceremony fails.
//!
//! When a ceremony ends, finished or failed, every deposit still held is released. A finished
//! ceremony keeps its transcript ([`Transcript`]): who contributed, with which `delta` and
//! state hash, drawn or not (the key's provenance).
//!
//! ## Payoffs
//!
//! - **Honest contributor** (open): pays the transaction fee, gets its deposit back. Drawn:
//!   keeps its bond whole. Its contribution alone makes the key sound.
//! - **Silent drawn node**: loses [`Config::MissedTurnSlash`] of its bond per missed turn; the
//!   ceremony goes on with a replacement.
//! - **Slot squatter** (takes the open slot and never contributes, to delay the ceremony): loses
//!   its deposit for each slot, and the open phase ends on time whatever it does.
//! - **Forger** (the owner, or anyone who knows phase 1's and earlier contributors' secrets):
//!   after one honest contribution its knowledge is worthless: proofs made with any key but the
//!   ceremony's own do not verify. It cannot pick a `delta` that cancels another's (the proof
//!   of knowledge refuses a `delta` whose ratio to the head its sender does not know), replay a
//!   contribution (its proof binds the genesis hash, the version, the index, the author and the
//!   head), or stop the drawn nodes (the draw excludes the owner and comes from randomness
//!   fixed after registration).
//! - **Bad state** (a contribution whose off-chain key does not match its `delta`): provers do
//!   not attest, the ceremony fails for lack of attestations and the version never runs ZK
//!   jobs; the owner registers it again. (Slashing the author by an on-chain proof of the bad
//!   state is not built yet: `docs/zk.md`.)
//! - **Colluding provers** attesting a bad final key: the key still cannot forge (its
//!   verifying key comes from the chain's own `delta`), at worst honest provers cannot prove and
//!   ZK requests time out and are refunded.
//!
//! ## Invariants (checked by `try_state`)
//!
//! - Each running ceremony has exactly one entry in [`Due`], in the list of the block its `due`
//!   names, and no list holds an entry of a ceremony that is not running.
//! - [`Running`] counts the running ceremonies.
//! - Each ceremony's transcript holds exactly `contributions` entries, `drawn_contributions` of
//!   them by drawn nodes; each account's held deposit equals the deposits its slot and its
//!   transcript entries of running ceremonies hold.

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
		tokens::Precision,
		OnUnbalanced,
	},
};
use frame_system::pallet_prelude::*;
use opg_primitives::{
	attestation::{NodeRegistry, NodeRole},
	model::{CeremonyKeys, CeremonyVersion, KeyCeremony, ModelId, VersionNumber, ZkKeyOrigin},
};
use opg_zk::ceremony::{CONTRIBUTION_LEN, G1_LEN, G2_LEN};
use scale_info::TypeInfo;
use sp_core::H256;
use sp_runtime::{traits::Zero, Perbill, Saturating};

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
	/// Waiting for provers' attestations of the final key.
	Attesting,
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
	/// The model's owner: may contribute, is never drawn and never attests.
	pub owner: T::AccountId,
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
	/// The open phase's slot: who holds it, until which block.
	pub slot: Option<(T::AccountId, BlockNumberFor<T>)>,
	/// Every node drawn so far, in turn order (never drawn again).
	pub drawn: BoundedVec<T::AccountId, MaxDrawnOf<T>>,
	/// The index in `drawn` whose turn it is; `drawn.len()` when a draw is due.
	pub turn: u32,
	/// Draws made so far.
	pub draws: u32,
	/// Provers that attested the current head.
	pub attesters: BoundedVec<T::AccountId, T::RequiredAttestations>,
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

/// The most nodes one ceremony may draw: a full committee per draw.
pub struct MaxDrawnOf<T>(PhantomData<T>);

impl<T: Config> Get<u32> for MaxDrawnOf<T> {
	fn get() -> u32 {
		T::DrawnContributors::get().saturating_mul(T::MaxRedraws::get().saturating_add(1))
	}
}

/// What the benchmarks need of the runtime.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Registers `who`, funded, as an eligible node of `role`.
	fn register_node(who: &AccountId, role: NodeRole);

	/// Gives `who` enough free balance for any deposit.
	fn fund(who: &AccountId);

	/// A complete ZK version in the registry, whose ceremony the benchmarks run.
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
	/// Too few drawn nodes contributed after every redraw.
	TooFewDrawnContributions,
	/// Too few provers attested the final key in time.
	TooFewAttestations,
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
	}

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The currency deposits are held in.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ BalancedHold<Self::AccountId>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// The node registry: draws verifier nodes, tells provers, slashes silent drawn nodes.
		type Nodes: NodeRegistry<Self::AccountId, BalanceOf<Self>>;

		/// The model registry: where a version stands, and where a finished key goes.
		type Keys: CeremonyKeys;

		/// Where forfeited deposits go (the treasury).
		type OnForfeit: OnUnbalanced<CreditOf<Self>>;

		/// The deposit an open-phase contributor holds while the ceremony runs.
		#[pallet::constant]
		type ContributionDeposit: Get<BalanceOf<Self>>;

		/// Blocks from registration in which anyone may contribute.
		#[pallet::constant]
		type OpenPeriod: Get<BlockNumberFor<Self>>;

		/// Blocks a slot or a drawn node's turn lasts: enough to fetch the head's key,
		/// contribute and publish the new key.
		#[pallet::constant]
		type TurnPeriod: Get<BlockNumberFor<Self>>;

		/// Drawn verifier nodes that must contribute.
		#[pallet::constant]
		type DrawnContributors: Get<u32>;

		/// How many times the chain draws again for drawn nodes that missed their turn.
		#[pallet::constant]
		type MaxRedraws: Get<u32>;

		/// Share of its bond a drawn node loses for a missed turn.
		#[pallet::constant]
		type MissedTurnSlash: Get<Perbill>;

		/// Provers' attestations that make the final key the version's.
		#[pallet::constant]
		type RequiredAttestations: Get<u32>;

		/// Blocks the provers have to attest.
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
	pub type Due<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<CeremonyId, T::MaxCeremonies>,
		ValueQuery,
	>;

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
		/// A drawn node missed its turn and was slashed.
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
		/// The drawn nodes contributed: provers attest the final key until `until`.
		AttestationsOpened {
			/// The model.
			model: ModelId,
			/// The version.
			version: VersionNumber,
			/// The final key's hash.
			head: H256,
			/// The attestation deadline.
			until: BlockNumberFor<T>,
		},
		/// A prover attested the final key.
		Attested {
			/// The model.
			model: ModelId,
			/// The version.
			version: VersionNumber,
			/// The prover.
			prover: T::AccountId,
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
		},
		/// The ceremony failed; deposits were released.
		CeremonyFailed {
			/// The model.
			model: ModelId,
			/// The version.
			version: VersionNumber,
			/// Why.
			reason: FailureReason,
		},
		/// The version was removed: its ceremony was dropped and deposits released.
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
		/// Only an eligible inference node (a prover) attests.
		NotAProver,
		/// The model's owner does not attest its own key.
		OwnerCannotAttest,
		/// This prover already attested.
		AlreadyAttested,
		/// As many ceremonies run as the chain takes at once: register the version later.
		TooManyCeremonies,
		/// A ceremony already runs for this version.
		AlreadyRunning,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let due = Due::<T>::take(now);
			let mut weight = T::WeightInfo::on_initialize_base();
			for id in due {
				weight.saturating_accrue(Self::process(id, now));
			}
			weight
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
			ensure!(ceremony.phase == Phase::Open && now < ceremony.due, Error::<T>::NotOpen);
			ensure!(
				ceremony.contributions < T::MaxOpenContributions::get(),
				Error::<T>::TooManyContributions
			);
			if let Some((holder, until)) = &ceremony.slot {
				let taken = if *holder == who {
					Error::<T>::AlreadyHoldingSlot
				} else {
					Error::<T>::SlotTaken
				};
				ensure!(*until < now, taken);
			}
			T::Currency::hold(
				&HoldReason::ContributionDeposit.into(),
				&who,
				T::ContributionDeposit::get(),
			)?;
			Self::skip_slot(id, &mut ceremony);
			let until = now
				.saturating_add(T::TurnPeriod::get())
				.min(ceremony.due.saturating_sub(One::one()));
			ceremony.slot = Some((who.clone(), until));
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
			let drawn = match ceremony.phase {
				Phase::Open => {
					let holds = matches!(&ceremony.slot, Some((holder, until)) if *holder == who && now <= *until);
					ensure!(holds, Error::<T>::NotYourTurn);
					false
				}
				Phase::Drawn => {
					let turn = ceremony.drawn.get(ceremony.turn as usize);
					ensure!(turn == Some(&who) && now < ceremony.due, Error::<T>::NotYourTurn);
					true
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
			let deposit = if drawn { Zero::zero() } else { T::ContributionDeposit::get() };
			Transcript::<T>::insert(
				id,
				index,
				ContributionRecord { author: who.clone(), delta_g1, state_hash, drawn, deposit },
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
				ceremony.slot = None;
			}
			Ceremonies::<T>::insert(id, ceremony);
			Ok(())
		}

		/// Attests that the ceremony's final key (the one hashing to `head`) is right: the
		/// caller, an eligible inference node, fetched it and checked it against the initial key
		/// it computed itself from the version's bytes and the pinned phase 1. The last of
		/// [`Config::RequiredAttestations`] attestations finishes the ceremony.
		#[pallet::call_index(2)]
		#[pallet::weight(
			T::WeightInfo::attest()
				.saturating_add(T::WeightInfo::process_end(Pallet::<T>::transcript_bound()))
				.saturating_add(T::Keys::finish_weight())
		)]
		pub fn attest(
			origin: OriginFor<T>,
			model: ModelId,
			version: VersionNumber,
			head: H256,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let id = (model, version);
			let mut ceremony = Ceremonies::<T>::get(id).ok_or(Error::<T>::NoCeremony)?;
			ensure!(ceremony.phase == Phase::Attesting, Error::<T>::NotAttesting);
			ensure!(head == ceremony.head, Error::<T>::StaleHead);
			ensure!(who != ceremony.owner, Error::<T>::OwnerCannotAttest);
			ensure!(T::Nodes::is_eligible(&who, NodeRole::Inference), Error::<T>::NotAProver);
			ensure!(!ceremony.attesters.contains(&who), Error::<T>::AlreadyAttested);
			// Never full: the ceremony finishes when it fills.
			ceremony.attesters.try_push(who.clone()).map_err(|_| Error::<T>::AlreadyAttested)?;
			Self::deposit_event(Event::Attested { model, version, prover: who });
			if (ceremony.attesters.len() as u32) < T::RequiredAttestations::get() {
				Ceremonies::<T>::insert(id, ceremony);
				return Ok(Some(T::WeightInfo::attest()).into());
			}
			Self::finish(id, ceremony);
			Ok(().into())
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
	/// Puts `id` in the due list of `at`, out of the one of `ceremony.due`.
	fn reschedule(id: CeremonyId, ceremony: &mut Ceremony<T>, at: BlockNumberFor<T>) {
		if ceremony.due != at {
			Due::<T>::mutate(ceremony.due, |list| list.retain(|entry| *entry != id));
		}
		ceremony.due = at;
		// Every list has room for every running ceremony, and `id` is in no other list.
		Due::<T>::mutate(at, |list| {
			if !list.contains(&id) {
				let _ = list.try_push(id);
			}
		});
	}

	/// Forfeits the slot's deposit if its holder let it run out.
	fn skip_slot(id: CeremonyId, ceremony: &mut Ceremony<T>) {
		let Some((who, _)) = ceremony.slot.take() else { return };
		let (credit, _) = <T::Currency as BalancedHold<_>>::slash(
			&HoldReason::ContributionDeposit.into(),
			&who,
			T::ContributionDeposit::get(),
		);
		let forfeited = frame_support::traits::Imbalance::peek(&credit);
		T::OnForfeit::on_unbalanced(credit);
		Self::deposit_event(Event::SlotSkipped { model: id.0, version: id.1, who, forfeited });
	}

	/// After a drawn turn ended (contributed or missed) at `now`: the next turn, a draw, or
	/// attestations.
	fn after_turn(id: CeremonyId, ceremony: &mut Ceremony<T>, now: BlockNumberFor<T>) {
		let next = if (ceremony.turn as usize) < ceremony.drawn.len() {
			now.saturating_add(T::TurnPeriod::get())
		} else if ceremony.drawn_contributions >= T::DrawnContributors::get() {
			ceremony.phase = Phase::Attesting;
			let until = now.saturating_add(T::AttestationPeriod::get());
			Self::deposit_event(Event::AttestationsOpened {
				model: id.0,
				version: id.1,
				head: ceremony.head,
				until,
			});
			until
		} else {
			// A draw, from the randomness of a later block than the turn that just ended.
			now.saturating_add(One::one())
		};
		Self::reschedule(id, ceremony, next);
	}

	/// The hook's work on a ceremony due at `now`; returns its weight.
	fn process(id: CeremonyId, now: BlockNumberFor<T>) -> Weight {
		let Some(mut ceremony) = Ceremonies::<T>::get(id) else {
			return T::DbWeight::get().reads(1);
		};
		if ceremony.due != now {
			// Moved to another block meanwhile (never the case: moving removes the entry).
			return T::DbWeight::get().reads(1);
		}
		match T::Keys::version(id.0, id.1) {
			CeremonyVersion::Gone => {
				Self::end(id, ceremony, false);
				Self::deposit_event(Event::CeremonyDropped { model: id.0, version: id.1 });
				return T::WeightInfo::process_end(Self::transcript_bound());
			}
			CeremonyVersion::Uploading if ceremony.phase == Phase::Open => {
				// Nobody but the owner can compute the initial key before the bytes are in:
				// the open phase lasts until they are.
				Self::reschedule(id, &mut ceremony, now.saturating_add(T::TurnPeriod::get()));
				Ceremonies::<T>::insert(id, ceremony);
				return T::WeightInfo::process_draw(0);
			}
			_ => {}
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
				let slashed = T::Nodes::slash(&node, T::MissedTurnSlash::get());
				Self::deposit_event(Event::TurnMissed {
					model: id.0,
					version: id.1,
					node,
					slashed,
				});
				ceremony.turn.saturating_inc();
				Self::after_turn(id, &mut ceremony, now);
				Ceremonies::<T>::insert(id, ceremony);
				T::WeightInfo::process_missed_turn()
			}
			Phase::Attesting => {
				Self::fail(id, ceremony, FailureReason::TooFewAttestations);
				T::WeightInfo::process_end(Self::transcript_bound())
			}
		}
	}

	/// Ends a ceremony that failed: deposits released, the registry told.
	fn fail(id: CeremonyId, ceremony: Ceremony<T>, reason: FailureReason) {
		Self::end(id, ceremony, false);
		T::Keys::fail(id.0, id.1);
		Self::deposit_event(Event::CeremonyFailed { model: id.0, version: id.1, reason });
	}

	/// Draws verifier nodes for the drawn contributions still missing (as many as can be
	/// found, excluding the owner and every node drawn before), or fails the ceremony after
	/// [`Config::MaxRedraws`] redraws.
	fn draw(id: CeremonyId, mut ceremony: Ceremony<T>, now: BlockNumberFor<T>) -> Weight {
		let needed = T::DrawnContributors::get().saturating_sub(ceremony.drawn_contributions);
		if ceremony.draws > T::MaxRedraws::get() {
			Self::fail(id, ceremony, FailureReason::TooFewDrawnContributions);
			return T::WeightInfo::process_end(Self::transcript_bound());
		}
		ceremony.draws.saturating_inc();
		let subject =
			sp_io::hashing::blake2_256(&(b"opg:zk-ceremony-draw", id, ceremony.draws).encode());
		let mut exclude: Vec<T::AccountId> = ceremony.drawn.to_vec();
		exclude.push(ceremony.owner.clone());
		// As many as the pool holds, down to one: a small pool still gets drawn contributors,
		// and the missing ones are drawn again after their turns.
		let mut nodes = Vec::new();
		let mut count = needed;
		while count > 0 {
			if let Ok(chosen) =
				T::Nodes::select(NodeRole::Verifier, subject.into(), count, &exclude)
			{
				nodes = chosen;
				break;
			}
			count.saturating_dec();
		}
		for node in &nodes {
			// Bounded: at most `DrawnContributors` per draw, `MaxRedraws + 1` draws.
			let _ = ceremony.drawn.try_push(node.clone());
		}
		if !nodes.is_empty() {
			Self::deposit_event(Event::ContributorsDrawn {
				model: id.0,
				version: id.1,
				nodes: nodes.clone(),
			});
		}
		// The first new node's turn starts now; with none drawn, try again a turn later.
		Self::reschedule(id, &mut ceremony, now.saturating_add(T::TurnPeriod::get()));
		Ceremonies::<T>::insert(id, ceremony);
		T::WeightInfo::process_draw(needed)
	}

	/// Hands the finished key to the registry and ends the ceremony.
	fn finish(id: CeremonyId, ceremony: Ceremony<T>) {
		let origin = ZkKeyOrigin::Ceremony {
			contributions: ceremony.contributions,
			drawn: ceremony.drawn_contributions,
		};
		let (head, delta_g2) = (ceremony.head, ceremony.delta_g2);
		let (contributions, drawn) = (ceremony.contributions, ceremony.drawn_contributions);
		match T::Keys::finish(id.0, id.1, &delta_g2, head, origin) {
			Ok(()) => {
				Self::end(id, ceremony, true);
				Self::deposit_event(Event::CeremonyFinished {
					model: id.0,
					version: id.1,
					head,
					contributions,
					drawn,
				});
			}
			Err(_) => Self::fail(id, ceremony, FailureReason::KeyRefused),
		}
	}

	/// Ends a ceremony: releases every deposit (the slot's too), removes it from storage and
	/// its due list, and keeps its transcript only if it finished.
	fn end(id: CeremonyId, mut ceremony: Ceremony<T>, finished: bool) {
		if let Some((who, _)) = ceremony.slot.take() {
			Self::release(&who);
		}
		for index in 0..ceremony.contributions {
			let record = if finished {
				Transcript::<T>::get(id, index)
			} else {
				Transcript::<T>::take(id, index)
			};
			if let Some(record) = record.filter(|record| !record.drawn) {
				Self::release(&record.author);
			}
		}
		Due::<T>::mutate(ceremony.due, |list| list.retain(|entry| *entry != id));
		Ceremonies::<T>::remove(id);
		Running::<T>::mutate(|running| running.saturating_dec());
	}

	fn release(who: &T::AccountId) {
		let _ = T::Currency::release(
			&HoldReason::ContributionDeposit.into(),
			who,
			T::ContributionDeposit::get(),
			Precision::BestEffort,
		);
	}

	/// The most contributions a ceremony's transcript holds.
	pub fn transcript_bound() -> u32 {
		T::MaxOpenContributions::get().saturating_add(MaxDrawnOf::<T>::get())
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
		let mut held: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let deposit = T::ContributionDeposit::get();
		for (id, ceremony) in Ceremonies::<T>::iter() {
			running.saturating_inc();
			ensure!(Due::<T>::get(ceremony.due).contains(&id), "a running ceremony is due");
			let records: Vec<_> = Transcript::<T>::iter_prefix(id).collect();
			ensure!(records.len() as u32 == ceremony.contributions, "transcript length");
			ensure!(
				records.iter().filter(|(_, r)| r.drawn).count() as u32
					== ceremony.drawn_contributions,
				"drawn contributions"
			);
			for (_, record) in records.iter().filter(|(_, r)| !r.drawn) {
				let entry = held.entry(record.author.clone()).or_default();
				*entry = entry.saturating_add(deposit);
			}
			if let Some((who, _)) = &ceremony.slot {
				let entry = held.entry(who.clone()).or_default();
				*entry = entry.saturating_add(deposit);
			}
		}
		ensure!(running == Running::<T>::get(), "running count");
		for (block, list) in Due::<T>::iter() {
			for id in list {
				let ceremony = Ceremonies::<T>::get(id).ok_or("a due entry of no ceremony")?;
				ensure!(ceremony.due == block, "a ceremony due in one block only");
			}
		}
		for (who, amount) in held {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::ContributionDeposit.into(), &who)
					== amount,
				"held deposits"
			);
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
	) -> DispatchResult {
		let id = (model, version);
		ensure!(!Ceremonies::<T>::contains_key(id), Error::<T>::AlreadyRunning);
		ensure!(Running::<T>::get() < T::MaxCeremonies::get(), Error::<T>::TooManyCeremonies);
		let (delta_g1, delta_g2) = opg_zk::ceremony::initial_delta::<opg_zk::host::HostBn254>();
		let (Ok(delta_g1), Ok(delta_g2)) = (delta_g1.try_into(), delta_g2.try_into()) else {
			return Err(Error::<T>::MalformedContribution.into());
		};
		let now = frame_system::Pallet::<T>::block_number();
		let open_until =
			now.saturating_add(T::OpenPeriod::get()).max(now.saturating_add(One::one()));
		let mut ceremony = Ceremony::<T> {
			owner: owner.clone(),
			phase: Phase::Open,
			due: open_until,
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
		Due::<T>::mutate(open_until, |list| {
			let _ = list.try_push(id);
		});
		ceremony.due = open_until;
		Ceremonies::<T>::insert(id, ceremony);
		Running::<T>::mutate(|running| running.saturating_inc());
		Self::deposit_event(Event::CeremonyBegun { model, version, init_hash, open_until });
		Ok(())
	}

	fn begin_weight() -> Weight {
		T::WeightInfo::begin()
	}
}
