//! Aura block production, GRANDPA finality and block authorship.

use frame_support::traits::{ConstBool, ConstU32, ConstU64, FindAuthor};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_runtime::ConsensusEngineId;

use crate::{AccountId, Runtime, RuntimeEvent};

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
