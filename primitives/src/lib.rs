//! # OPG primitives
//!
//! Types and traits that more than one OPG crate needs: the chain's basic types (accounts,
//! balances, blocks), the OPG token's denominations, and the vocabulary of the model catalogue
//! (model ids, tensor schemas, verification modes), of nodes and attestations, and of inference
//! (tensors, jobs, fees, the engine's host function). Pallets read each other through the
//! traits defined here instead of importing each other.
//!
//! Everything here is `no_std` and SCALE-encodable, so the runtime, the pallets and the node's
//! off-chain extensions agree on one encoding.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod attestation;
pub mod deadlines;
#[cfg(feature = "std")]
pub mod fuzzing;
pub mod inference;
pub mod model;
pub mod parameters;
pub mod randomness;
pub mod tee;
pub mod testing;

use sp_runtime::{
	traits::{IdentifyAccount, Verify},
	MultiSignature,
};

/// An index to a block.
pub type BlockNumber = u32;

/// A `try_state` check every OPG pallet makes: the storage version on chain is the code's, so a
/// layout change shipped without its migration (or a migration that forgot to record its
/// version) fails the checks before it reaches a chain.
pub fn check_storage_version<P>() -> Result<(), sp_runtime::TryRuntimeError>
where
	P: frame_support::traits::GetStorageVersion<
		InCodeStorageVersion = frame_support::traits::StorageVersion,
	>,
{
	if P::on_chain_storage_version() == P::in_code_storage_version() {
		Ok(())
	} else {
		Err("the storage version on chain is not the code's: a migration is missing".into())
	}
}

/// Checks the origin of a call that authorizes itself (`#[pallet::authorize]`: a node's
/// heartbeat, answer, commitment or reveal, signed with its role key in the call's arguments).
///
/// Such a call arrives in one of two forms, and its `authorize` closure let it in either way:
/// - **bare** (extrinsic format 4, unsigned): what offchain workers send, because every client
///   decodes it (py-substrate-interface decodes no other fee-free form). The runtime's
///   `ValidateUnsigned` runs the closure in the pool and again when a block applies it; the
///   call then dispatches with origin `None`.
/// - **general** (format 5): the `AuthorizeCall` extension runs the closure; origin
///   `Authorized`.
///
/// Any other origin (a signed account, root) is refused: those did not pass the closure.
pub fn ensure_self_authorized<O, AccountId>(origin: O) -> Result<(), sp_runtime::traits::BadOrigin>
where
	O: Into<Result<frame_support::dispatch::RawOrigin<AccountId>, O>>,
{
	use frame_support::dispatch::RawOrigin;
	match origin.into() {
		Ok(RawOrigin::Authorized | RawOrigin::None) => Ok(()),
		_ => Err(sp_runtime::traits::BadOrigin),
	}
}

/// Signature of a transaction: sr25519, ed25519 or ecdsa.
pub type Signature = MultiSignature;

/// An account on the chain: the public key of the transaction signing scheme.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;

/// A balance of OPG, in its smallest unit (10^-18 OPG).
pub type Balance = u128;

/// The number of transactions an account has sent.
pub type Nonce = u32;

/// A hash of some data used by the chain (blake2-256).
pub type Hash = sp_core::H256;

/// The OPG token: symbol, decimals and denominations.
pub mod currency {
	use super::Balance;

	/// Ticker of the native token.
	pub const TOKEN_SYMBOL: &str = "OPG";
	/// Decimal places of the native token: one OPG is `10^18` of its smallest unit.
	pub const TOKEN_DECIMALS: u8 = 18;

	/// One OPG.
	pub const OPG: Balance = 1_000_000_000_000_000_000;
	/// One thousandth of an OPG.
	pub const MILLI_OPG: Balance = OPG / 1_000;
	/// One millionth of an OPG.
	pub const MICRO_OPG: Balance = OPG / 1_000_000;

	/// The smallest balance an account may hold: 0.001 OPG. With 18 decimals a "1 unit" existential
	/// deposit would let anyone fill state with dust accounts for free; a thousandth of a token
	/// is small for users and still costs a spammer real money per account.
	pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_OPG;

	/// The deposit for `items` storage items taking `bytes` bytes of state: 0.01 OPG per item
	/// and 0.0001 OPG per byte.
	pub const fn deposit(items: u32, bytes: u32) -> Balance {
		(items as Balance)
			.saturating_mul(10 * MILLI_OPG)
			.saturating_add((bytes as Balance).saturating_mul(100 * MICRO_OPG))
	}
}
