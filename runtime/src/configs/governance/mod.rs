//! Governance by OPG holders (OpenGov): referenda on tracks, conviction voting, the scheduler
//! and preimages that enact them, the treasury, and batching.
//!
//! - A proposal is a call noted as a preimage (`Preimage::note_preimage`), submitted with the
//!   origin it should run as (`Referenda::submit`, 10 OPG submission deposit); that origin picks
//!   the track ([`tracks`]): root for runtime upgrades, [`origins::Origin`]'s custom origins for
//!   model curation, node parameters, fees, treasury spends and cancelling referenda.
//! - Someone places the track's decision deposit; holders vote with conviction (locking their
//!   vote for longer multiplies its weight); once approval and support stay above the track's
//!   curves for its confirmation period the scheduler dispatches the call after the enactment
//!   delay.
//! - The treasury ([`pallet_treasury`]) holds the protocol's share of inference fees, its part
//!   of slashes, forfeited upload deposits and slashed referendum deposits, all in one account
//!   ([`crate::configs::monetary::TreasuryAccount`]); it pays by referendum.
//!
//! The parameters governance changes are the pallets' own, stored on chain and bounded (see
//! `configs::attestations` and `configs::inference`); their origins are set there.

pub mod origins;
pub mod tracks;

use frame_support::{
	parameter_types,
	traits::{
		fungible::HoldConsideration,
		fungible::Mutate,
		tokens::{Pay, PaymentStatus, Preservation, UnityAssetBalanceConversion},
		ConstU32, EitherOf, EqualPrivilegeOnly, Get, LinearStoragePrice,
	},
	weights::Weight,
};
use frame_system::{EnsureRoot, EnsureRootWithSuccess, EnsureSigned, EnsureWithSuccess};
use opg_primitives::currency::{deposit, OPG};
use sp_runtime::{traits::IdentityLookup, Perbill, Permill};

use crate::{
	configs::monetary::{TreasuryAccount, TREASURY_PALLET_ID},
	configs::RuntimeBlockWeights,
	AccountId, Balance, Balances, BlockNumber, OriginCaller, Preimage, Referenda, Runtime,
	RuntimeCall, RuntimeEvent, RuntimeHoldReason, RuntimeOrigin, Scheduler, System, Treasury, DAYS,
};

impl origins::Config for Runtime {}

/// `PRODUCTION` blocks on a production chain, `DEVELOPMENT` on dev and local chains
/// ([`origins::TrackTiming`]).
pub struct Period<const PRODUCTION: BlockNumber, const DEVELOPMENT: BlockNumber>;

impl<const PRODUCTION: BlockNumber, const DEVELOPMENT: BlockNumber> Get<BlockNumber>
	for Period<PRODUCTION, DEVELOPMENT>
{
	fn get() -> BlockNumber {
		if origins::Pallet::<Runtime>::is_development() {
			DEVELOPMENT
		} else {
			PRODUCTION
		}
	}
}

parameter_types! {
	/// A preimage holds 0.01 OPG plus 0.0001 OPG per byte (a 600 KB runtime: about 60 OPG).
	pub const PreimageBaseDeposit: Balance = deposit(1, 0);
	pub const PreimageByteDeposit: Balance = deposit(0, 1);
	pub const PreimageHoldReason: RuntimeHoldReason =
		RuntimeHoldReason::Preimage(pallet_preimage::HoldReason::Preimage);
}

impl pallet_preimage::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = crate::weights::pallet_preimage::WeightInfo<Runtime>;
	type Currency = Balances;
	type ManagerOrigin = EnsureRoot<AccountId>;
	type Consideration = HoldConsideration<
		AccountId,
		Balances,
		PreimageHoldReason,
		LinearStoragePrice<PreimageBaseDeposit, PreimageByteDeposit, Balance>,
	>;
}

parameter_types! {
	/// Scheduled calls (enacted referenda) may use 80% of a block.
	pub MaximumSchedulerWeight: Weight = {
		let max = RuntimeBlockWeights::get().max_block;
		let share = Perbill::from_percent(80);
		Weight::from_parts(share.mul_floor(max.ref_time()), share.mul_floor(max.proof_size()))
	};
}

impl pallet_scheduler::Config for Runtime {
	type RuntimeOrigin = RuntimeOrigin;
	type RuntimeEvent = RuntimeEvent;
	type PalletsOrigin = OriginCaller;
	type RuntimeCall = RuntimeCall;
	type MaximumWeight = MaximumSchedulerWeight;
	/// Only root schedules directly; referenda schedule through the pallet's own interface.
	type ScheduleOrigin = EnsureRoot<AccountId>;
	type OriginPrivilegeCmp = EqualPrivilegeOnly;
	type MaxScheduledPerBlock = ConstU32<50>;
	type WeightInfo = crate::weights::pallet_scheduler::WeightInfo<Runtime>;
	type Preimages = Preimage;
	type BlockNumberProvider = System;
}

parameter_types! {
	/// What submitting a referendum holds until it is decided: 10 OPG, against spam.
	pub const SubmissionDeposit: Balance = 10 * OPG;
}

impl pallet_referenda::Config for Runtime {
	type WeightInfo = crate::weights::pallet_referenda::WeightInfo<Runtime>;
	type RuntimeCall = RuntimeCall;
	type RuntimeEvent = RuntimeEvent;
	type Scheduler = Scheduler;
	type Currency = Balances;
	/// Any account may submit; the deposits keep it honest.
	type SubmitOrigin = frame_support::traits::AsEnsureOriginWithArg<EnsureSigned<AccountId>>;
	/// Cancelling or killing a referendum: the referendum-canceller track (or root).
	type CancelOrigin = EitherOf<EnsureRoot<AccountId>, origins::ReferendumCanceller>;
	type KillOrigin = EitherOf<EnsureRoot<AccountId>, origins::ReferendumCanceller>;
	/// The deposits of killed referenda go to the treasury.
	type Slash = Treasury;
	type Votes = Balance;
	type Tally = pallet_conviction_voting::TallyOf<Runtime>;
	type SubmissionDeposit = SubmissionDeposit;
	type MaxQueued = ConstU32<100>;
	/// A referendum without a decision deposit lapses after 14 days (50 blocks on dev chains).
	type UndecidingTimeout = Period<{ 14 * DAYS }, 50>;
	type AlarmInterval = ConstU32<1>;
	type Tracks = tracks::TracksInfo;
	type Preimages = Preimage;
	type BlockNumberProvider = System;
}

impl pallet_conviction_voting::Config for Runtime {
	type WeightInfo = crate::weights::pallet_conviction_voting::WeightInfo<Runtime>;
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type Polls = Referenda;
	/// Support is measured against the OPG that is active (not held by the treasury).
	type MaxTurnout =
		frame_support::traits::tokens::currency::ActiveIssuanceOf<Balances, Self::AccountId>;
	type MaxVotes = ConstU32<512>;
	/// One conviction unit locks a vote for 7 days (10 blocks on dev chains); conviction 6x
	/// locks it 32 times as long.
	type VoteLockingPeriod = Period<{ 7 * DAYS }, 10>;
	type BlockNumberProvider = System;
	type VotingHooks = ();
}

/// The most a treasurer-track referendum may spend: 100,000 OPG. More needs the root track.
pub const TREASURER_SPEND_LIMIT: Balance = 100_000 * OPG;

parameter_types! {
	pub const TreasurerSpendLimit: Balance = TREASURER_SPEND_LIMIT;
	pub const MaxBalance: Balance = Balance::MAX;
	pub const TreasuryPalletId: frame_support::PalletId = TREASURY_PALLET_ID;
	/// Nothing of the treasury is burned at the end of a spend period.
	pub const TreasuryBurn: Permill = Permill::zero();
}

impl pallet_treasury::Config for Runtime {
	type Currency = Balances;
	type RejectOrigin = EitherOf<EnsureRoot<AccountId>, origins::Treasurer>;
	type RuntimeEvent = RuntimeEvent;
	/// Approved spends are paid every 6 days (10 blocks on dev chains).
	type SpendPeriod = Period<{ 6 * DAYS }, 10>;
	type Burn = TreasuryBurn;
	type PalletId = TreasuryPalletId;
	type BurnDestination = ();
	type WeightInfo = crate::weights::pallet_treasury::WeightInfo<Runtime>;
	type SpendFunds = ();
	type MaxApprovals = ConstU32<100>;
	/// Root spends anything; the treasurer track up to its limit.
	type SpendOrigin = EitherOf<
		EnsureRootWithSuccess<AccountId, MaxBalance>,
		EnsureWithSuccess<origins::Treasurer, AccountId, TreasurerSpendLimit>,
	>;
	/// OPG only.
	type AssetKind = ();
	type Beneficiary = AccountId;
	type BeneficiaryLookup = IdentityLookup<AccountId>;
	type Paymaster = PayFromTreasury;
	type BalanceConverter = UnityAssetBalanceConversion;
	/// An approved spend can be claimed for 30 days (100 blocks on dev chains).
	type PayoutPeriod = Period<{ 30 * DAYS }, 100>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = ();
	type BlockNumberProvider = System;
}

/// Pays treasury spends in OPG from the treasury's account, never taking it below the
/// existential deposit: `frame_support`'s `PayFromAccount` may close the account, after which
/// the protocol's fee shares smaller than that deposit could no longer land there. A spend that
/// would do so fails and can be voided or retried.
pub struct PayFromTreasury;

impl Pay for PayFromTreasury {
	type Balance = Balance;
	type Beneficiary = AccountId;
	type AssetKind = ();
	type Id = ();
	type Error = sp_runtime::DispatchError;

	fn pay(who: &AccountId, _: (), amount: Balance) -> Result<(), Self::Error> {
		<Balances as Mutate<AccountId>>::transfer(
			&TreasuryAccount::get(),
			who,
			amount,
			Preservation::Preserve,
		)?;
		Ok(())
	}

	fn check_payment(_: ()) -> PaymentStatus {
		PaymentStatus::Success
	}

	/// Funds the treasury for the payment and gives the beneficiary its existential deposit
	/// (benchmarks pay amounts below it to fresh accounts).
	#[cfg(feature = "runtime-benchmarks")]
	fn ensure_successful(who: &AccountId, _: (), amount: Balance) {
		let needed = amount.saturating_add(crate::EXISTENTIAL_DEPOSIT);
		let _ = <Balances as Mutate<AccountId>>::mint_into(&TreasuryAccount::get(), needed);
		let _ = <Balances as Mutate<AccountId>>::mint_into(who, crate::EXISTENTIAL_DEPOSIT);
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn ensure_concluded(_: ()) {}
}

impl pallet_utility::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type PalletsOrigin = OriginCaller;
	type WeightInfo = crate::weights::pallet_utility::WeightInfo<Runtime>;
}
