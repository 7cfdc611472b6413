//! The OPG token and transaction fees.
//!
//! Fees: one second of block compute costs 10 OPG (`WEIGHT_FEE`), each byte of a transaction
//! 0.000001 OPG (`LENGTH_FEE`): a plain transfer costs about 0.0065 OPG, most of it the weight
//! of the transaction extensions. The fee multiplier rises when blocks are more than a quarter
//! full and never falls below one. Fees and tips go to the author of the block; a fee that cannot be credited (an author account that would stay
//! below the existential deposit) is burned, which lowers total issuance by the same amount.

use frame_support::{
	parameter_types,
	traits::{
		fungible::{Balanced, Credit},
		ConstU128, ConstU32, ConstU8, OnUnbalanced, VariantCountOf,
	},
	weights::ConstantMultiplier,
	PalletId,
};
use pallet_transaction_payment::{FungibleAdapter, Multiplier, TargetedFeeAdjustment};
use sp_runtime::{
	traits::{AccountIdConversion, Bounded, One},
	FixedPointNumber, Perquintill,
};

use crate::{
	AccountId, Authorship, Balance, Balances, Runtime, RuntimeEvent, RuntimeFreezeReason,
	RuntimeHoldReason, EXISTENTIAL_DEPOSIT, MICRO_OPG,
};

/// The treasury's pallet id: `pallet_treasury`'s, so the account the other pallets pay into is
/// the one the treasury spends from.
pub const TREASURY_PALLET_ID: PalletId = PalletId(*b"py/trsry");

parameter_types! {
	/// The treasury's account (`pallet_treasury`'s pot): it receives forfeited deposits, the
	/// protocol's share of inference fees, the treasury's part of slashes and slashed
	/// referendum deposits. `pallet_treasury`'s genesis endows it with the existential deposit
	/// so that amounts below it can land there too.
	pub TreasuryAccount: AccountId = TREASURY_PALLET_ID.into_account_truncating();
}

/// Fee per unit of `ref_time` weight (a picosecond): 10 OPG per second of compute.
pub const WEIGHT_FEE: Balance = 10_000_000;
/// Fee per byte of an encoded transaction: 0.000001 OPG.
pub const LENGTH_FEE: Balance = MICRO_OPG;

impl pallet_balances::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RuntimeFreezeReason = RuntimeFreezeReason;
	type WeightInfo = pallet_balances::weights::SubstrateWeight<Runtime>;
	type Balance = Balance;
	type DustRemoval = ();
	type ExistentialDeposit = ConstU128<EXISTENTIAL_DEPOSIT>;
	type AccountStore = frame_system::Pallet<Runtime>;
	type ReserveIdentifier = [u8; 8];
	type FreezeIdentifier = RuntimeFreezeReason;
	type MaxLocks = ConstU32<50>;
	type MaxReserves = ConstU32<50>;
	type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
	type DoneSlashHandler = ();
}

/// Credits transaction fees and tips to the block author; burns them when there is none.
pub struct ToBlockAuthor;

impl OnUnbalanced<Credit<AccountId, Balances>> for ToBlockAuthor {
	fn on_nonzero_unbalanced(fees: Credit<AccountId, Balances>) {
		if let Some(author) = Authorship::author() {
			// On failure the credit comes back and is dropped here, which burns it.
			let _ = <Balances as Balanced<AccountId>>::resolve(&author, fees);
		}
	}
}

parameter_types! {
	/// Fees start rising when blocks are more than 25% full.
	pub const TargetBlockFullness: Perquintill = Perquintill::from_percent(25);
	/// How fast the multiplier moves: about 2.3x a day at full blocks.
	pub AdjustmentVariable: Multiplier = Multiplier::saturating_from_rational(3, 100_000);
	/// Fees never drop below their base level.
	pub MinimumMultiplier: Multiplier = Multiplier::one();
	pub MaximumMultiplier: Multiplier = Bounded::max_value();
}

impl pallet_transaction_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type OnChargeTransaction = FungibleAdapter<Balances, ToBlockAuthor>;
	type OperationalFeeMultiplier = ConstU8<5>;
	type WeightToFee = ConstantMultiplier<Balance, ConstU128<WEIGHT_FEE>>;
	type LengthToFee = ConstantMultiplier<Balance, ConstU128<LENGTH_FEE>>;
	type FeeMultiplierUpdate = TargetedFeeAdjustment<
		Self,
		TargetBlockFullness,
		AdjustmentVariable,
		MinimumMultiplier,
		MaximumMultiplier,
	>;
	type WeightInfo = pallet_transaction_payment::weights::SubstrateWeight<Runtime>;
}
