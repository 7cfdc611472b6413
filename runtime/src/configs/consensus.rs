//! BABE block production, GRANDPA finality, block authorship, the randomness of the chain's
//! draws ([`BabeVrfRandomness`]), and the slot duration and epoch length the chain spec chooses
//! ([`pallet_slots`]).
//!
//! BABE assigns each slot to authorities by a VRF: an authority whose VRF output for the slot is
//! below a threshold (probability [`crate::BABE_GENESIS_EPOCH_CONFIG`]'s `c` per slot) holds a
//! primary claim; every slot also has one secondary author, picked from the epoch's randomness,
//! who signs the same VRF ([`sp_consensus_babe::AllowedSlots::PrimaryAndSecondaryVRFSlots`]).
//! So every block carries a VRF output, which [`BabeVrfRandomness`] turns into the seed of the
//! chain's draws. The authorities are the genesis ones forever (no session pallet): each epoch
//! starts with the same set ([`pallet_babe::SameAuthoritiesForever`]).

use codec::{Decode, Encode};
use frame_support::traits::{ConstU32, ConstU64, FindAuthor, Get};
use sp_consensus_babe::{digests::PreDigest, BABE_ENGINE_ID};
use sp_runtime::{
	traits::{BlakeTwo256, Hash as _},
	ConsensusEngineId,
};

use crate::{AccountId, Runtime, RuntimeEvent};

pub use pallet_slots::{EpochLength, SlotDuration, DEFAULT_EPOCH_LENGTH, MIN_SLOT_DURATION};

/// The slot duration and the epoch length, chosen once in the chain spec.
///
/// Production chains and the `development` preset use [`crate::MILLI_SECS_PER_BLOCK`] (6 s);
/// the `test` preset 2 s, so that the end-to-end tests wait a third as long for the same number
/// of blocks (every period of the chain is counted in blocks).
///
/// A BABE epoch is [`EpochLength`] slots: 600 (an hour of 6-second slots) unless the chain spec
/// says otherwise. The VRF outputs of an epoch's primary blocks make the randomness of the
/// epoch after next, which every slot's VRF in that epoch signs over.
///
/// Both are fixed at genesis and can never change on a running chain: nodes read them from the
/// runtime's genesis state when they start (`BabeApi::configuration`), slot numbers are
/// timestamps divided by the slot duration and epoch boundaries are counted in slots from the
/// first block's, so a new value would stop block production. No call writes them.
#[frame_support::pallet]
pub mod pallet_slots {
	use frame_support::pallet_prelude::*;

	/// The shortest slot a chain spec may choose: 1 s, room for a block to be authored,
	/// imported and gossiped on loopback.
	pub const MIN_SLOT_DURATION: u64 = 1_000;

	/// The epoch length of a chain spec that names none: an hour of 6-second slots.
	pub const DEFAULT_EPOCH_LENGTH: u64 = 600;

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

	/// What [`EpochLength`] holds when the genesis did not set it: [`DEFAULT_EPOCH_LENGTH`].
	pub struct DefaultEpochLength;
	impl Get<u64> for DefaultEpochLength {
		fn get() -> u64 {
			DEFAULT_EPOCH_LENGTH
		}
	}

	/// The length of a BABE epoch, in slots.
	#[pallet::storage]
	pub type EpochLength<T> = StorageValue<_, u64, ValueQuery, DefaultEpochLength>;

	#[pallet::genesis_config]
	pub struct GenesisConfig<T: Config> {
		/// The slot duration in milliseconds: even (the timestamp's minimum period is half of
		/// it) and at least [`MIN_SLOT_DURATION`]. Zero, or nothing in the chain spec, means
		/// the 6-second default.
		pub slot_duration: u64,
		/// The length of a BABE epoch in slots: at least one. Nothing in the chain spec means
		/// [`DEFAULT_EPOCH_LENGTH`].
		pub epoch_length: u64,
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	impl<T: Config> Default for GenesisConfig<T> {
		fn default() -> Self {
			Self {
				slot_duration: 0,
				epoch_length: DEFAULT_EPOCH_LENGTH,
				_config: core::marker::PhantomData,
			}
		}
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			assert!(
				self.epoch_length > 0,
				"the chain spec's epochLength must be at least one slot (BABE cannot run epochs \
				 of zero slots)"
			);
			EpochLength::<T>::put(self.epoch_length);
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

/// Half the slot: the least time between two blocks' timestamps. BABE's slot duration is twice
/// this ([`pallet_babe::Pallet::slot_duration`]), so it is the chain spec's.
pub struct HalfSlot;

impl Get<u64> for HalfSlot {
	fn get() -> u64 {
		SlotDuration::<Runtime>::get() / 2
	}
}

/// The slot duration: the time BABE expects between two blocks (every slot has a secondary
/// author, so a block is expected in every slot).
pub struct FullSlot;

impl Get<u64> for FullSlot {
	fn get() -> u64 {
		SlotDuration::<Runtime>::get()
	}
}

/// The epoch length in slots, as the genesis set it ([`EpochLength`]).
pub struct EpochSlots;

impl Get<u64> for EpochSlots {
	fn get() -> u64 {
		EpochLength::<Runtime>::get()
	}
}

/// Most validators the chain supports.
pub const MAX_AUTHORITIES: u32 = 100;

impl pallet_babe::Config for Runtime {
	type EpochDuration = EpochSlots;
	type ExpectedBlockTime = FullSlot;
	// No session pallet: every epoch has the genesis authorities.
	type EpochChangeTrigger = pallet_babe::SameAuthoritiesForever;
	type DisabledValidators = ();
	type WeightInfo = ();
	type MaxAuthorities = ConstU32<MAX_AUTHORITIES>;
	type MaxNominators = ConstU32<0>;
	// No session pallet yet: equivocations are not reported on-chain.
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
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

/// Finds the account of the BABE authority that authored the current block: the block's BABE
/// pre-digest names the author by its index in the epoch's authorities, and a BABE key is an
/// sr25519 public key, which is also the validator's account id.
pub struct BabeAuthorAccount;

impl FindAuthor<AccountId> for BabeAuthorAccount {
	fn find_author<'a, I>(digests: I) -> Option<AccountId>
	where
		I: 'a + IntoIterator<Item = (ConsensusEngineId, &'a [u8])>,
	{
		let index = pallet_babe::Pallet::<Runtime>::find_author(digests)?;
		let (authority, _weight) = pallet_babe::Authorities::<Runtime>::get()
			.into_inner()
			.into_iter()
			.nth(usize::try_from(index).ok()?)?;
		let public: sp_core::sr25519::Public = authority.into();
		Some(AccountId::from(public))
	}
}

impl pallet_authorship::Config for Runtime {
	type FindAuthor = BabeAuthorAccount;
	type EventHandler = ();
}

/// The randomness of the chain's draws ([`opg_primitives::randomness`]): the VRF output of the
/// block being executed, hashed with the draw's subject.
///
/// Every BABE block carries, in its pre-runtime digest, the author's VRF signature on the
/// slot's transcript (the slot number, the epoch index and the epoch's randomness): primary
/// blocks and, on this chain ([`crate::BABE_GENESIS_EPOCH_CONFIG`]), secondary blocks too. Its
/// pre-output is a sound seed:
///
/// - it is a deterministic function of the author's secret key and the transcript: one value
///   per author and slot, fixed before the slot comes. The author cannot change it by
///   re-signing the block, reordering or replacing its extrinsics, or choosing the parent's
///   hash: none of them is in the transcript. (The proof beside it is randomized, so only the
///   pre-output is used, never the whole signature.)
/// - nobody but the author can compute it before the block is out, since it needs the
///   author's secret key;
/// - every node checks the VRF proof against the author's public key when it imports the
///   block, before the runtime executes it, so a block with a made-up output is never
///   executed.
///
/// What the author can still do is withhold its block (and lose the slot): the next slot's
/// author then draws with its own output, one other outcome per slot withheld. Where several
/// authorities win a primary claim to the same slot, their blocks compete and the fork choice
/// keeps one.
///
/// Why both this block's output and the parent's (`pallet_babe::AuthorVrfRandomness`, which
/// holds the parent's while this block runs, until BABE's `on_finalize`): the parent's output
/// alone was known to the parent's author when it built the parent, so that author could have
/// placed, ordered or left out the requests the child then draws for. This block's output
/// alone is known to its author for the whole epoch in advance (its VRF input is the slot and
/// the epoch's randomness), so a colluding author could tell a challenger or claimant which
/// moment to pick. Together, only an author holding both slots knows the seed before the
/// parent is out, and after that the subjects drawn for (in the parent) are fixed.
///
/// A block without a BABE pre-digest (the genesis block, a benchmark block) or with a
/// secondary plain claim (which this chain's epoch configuration does not allow) has no
/// randomness: `None`, and the caller draws nothing.
pub struct BabeVrfRandomness;

impl opg_primitives::randomness::BlockRandomness for BabeVrfRandomness {
	fn random(subject: &[u8]) -> Option<[u8; 32]> {
		let digest = frame_system::Pallet::<Runtime>::digest();
		let pre_digest = digest.logs.iter().find_map(|item| {
			let (engine, mut data) = item.as_pre_runtime()?;
			(engine == BABE_ENGINE_ID).then(|| PreDigest::decode(&mut data).ok()).flatten()
		})?;
		let signature = pre_digest.vrf_signature()?;
		let parent = pallet_babe::AuthorVrfRandomness::<Runtime>::get();
		let seed = (b"opg:babe-vrf", parent, signature.pre_output.encode(), subject).encode();
		Some(BlakeTwo256::hash(&seed).0)
	}

	/// Gives a benchmark's block (which has no consensus digest) a BABE pre-digest with a VRF
	/// pre-output derived from the block number, so that the benchmarked draws run their full
	/// path. Nothing checks its proof (two zero scalars): only nodes check VRF proofs, on
	/// import, and a benchmark imports nothing.
	#[cfg(feature = "runtime-benchmarks")]
	fn prepare_for_benchmarks() {
		use sp_consensus_babe::{digests::SecondaryVRFPreDigest, VrfSignature};
		if Self::random(&[]).is_some() {
			return;
		}
		let number = frame_system::Pallet::<Runtime>::block_number();
		let mut signature = BlakeTwo256::hash(&(b"opg:benchmark-vrf", number).encode()).0.to_vec();
		signature.extend_from_slice(&[0; 64]);
		let Ok(vrf_signature) = VrfSignature::decode(&mut &signature[..]) else { return };
		let pre_digest = PreDigest::SecondaryVRF(SecondaryVRFPreDigest {
			authority_index: 0,
			slot: pallet_babe::CurrentSlot::<Runtime>::get(),
			vrf_signature,
		});
		frame_system::Pallet::<Runtime>::deposit_log(sp_runtime::DigestItem::PreRuntime(
			BABE_ENGINE_ID,
			pre_digest.encode(),
		));
	}
}
