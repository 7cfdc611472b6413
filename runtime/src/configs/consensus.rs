//! Aura block production, GRANDPA finality, block authorship, and the slot duration the
//! chain spec chooses ([`pallet_slots`]).

use frame_support::traits::{ConstBool, ConstU32, ConstU64, FindAuthor, Get};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_runtime::ConsensusEngineId;

use crate::{AccountId, Runtime, RuntimeEvent};

pub use pallet_slots::{SlotDuration, MIN_SLOT_DURATION};

/// The slot duration, chosen once in the chain spec.
///
/// Production chains and the `development` preset use [`crate::MILLI_SECS_PER_BLOCK`] (6 s);
/// the `test` preset 2 s, so that the end-to-end tests wait a third as long for the same number
/// of blocks (every period of the chain is counted in blocks).
///
/// It is fixed at genesis and can never change on a running chain: nodes read it from the
/// runtime when they start and slot numbers are timestamps divided by it, so a new value would
/// stop block production. No call writes it.
#[frame_support::pallet]
pub mod pallet_slots {
	use frame_support::pallet_prelude::*;

	/// The shortest slot a chain spec may choose: 1 s, room for a block to be authored,
	/// imported and gossiped on loopback.
	pub const MIN_SLOT_DURATION: u64 = 1_000;

	#[pallet::config]
	pub trait Config: frame_system::Config {}

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	/// What [`SlotDuration`] holds when the chain spec says nothing: 6 s.
	pub struct DefaultSlotDuration;
	impl Get<u64> for DefaultSlotDuration {
		fn get() -> u64 {
			crate::MILLI_SECS_PER_BLOCK
		}
	}

	/// The slot duration in milliseconds.
	#[pallet::storage]
	pub type SlotDuration<T> = StorageValue<_, u64, ValueQuery, DefaultSlotDuration>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The slot duration in milliseconds: even (the timestamp's minimum period is half of
		/// it) and at least [`MIN_SLOT_DURATION`]. Zero, or nothing in the chain spec, means
		/// the 6-second default.
		pub slot_duration: u64,
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if self.slot_duration == 0 {
				return;
			}
			assert!(
				self.slot_duration >= MIN_SLOT_DURATION && self.slot_duration.is_multiple_of(2),
				"the chain spec's slotDuration must be even and at least {MIN_SLOT_DURATION} ms"
			);
			SlotDuration::<T>::put(self.slot_duration);
		}
	}
}

impl pallet_slots::Config for Runtime {}

/// Half the slot: the least time between two blocks' timestamps.
pub struct HalfSlot;

impl Get<u64> for HalfSlot {
	fn get() -> u64 {
		SlotDuration::<Runtime>::get() / 2
	}
}

/// Most validators the chain supports.
pub const MAX_AUTHORITIES: u32 = 100;

impl pallet_aura::Config for Runtime {
	type AuthorityId = AuraId;
	type DisabledValidators = ();
	type MaxAuthorities = ConstU32<MAX_AUTHORITIES>;
	type AllowMultipleBlocksPerSlot = ConstBool<false>;
	type SlotDuration = pallet_aura::MinimumPeriodTimesTwo<Runtime>;
}

impl pallet_grandpa::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = ();
	type MaxAuthorities = ConstU32<MAX_AUTHORITIES>;
	type MaxNominators = ConstU32<0>;
	type MaxSetIdSessionEntries = ConstU64<0>;
	// No session pallet yet: equivocations are not reported on-chain.
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
}

/// Finds the account of the Aura authority that authored the current block: an Aura key is an
/// sr25519 public key, which is also the validator's account id.
pub struct AuraAuthorAccount;

impl FindAuthor<AccountId> for AuraAuthorAccount {
	fn find_author<'a, I>(digests: I) -> Option<AccountId>
	where
		I: 'a + IntoIterator<Item = (ConsensusEngineId, &'a [u8])>,
	{
		let authority = pallet_aura::AuraAuthorId::<Runtime>::find_author(digests)?;
		let public: sp_core::sr25519::Public = authority.into();
		Some(AccountId::from(public))
	}
}

impl pallet_authorship::Config for Runtime {
	type FindAuthor = AuraAuthorAccount;
	type EventHandler = ();
}
