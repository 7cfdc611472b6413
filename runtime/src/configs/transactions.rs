//! How the runtime's own code (offchain workers) creates transactions, and how the fee-free
//! ones are let in.
//!
//! A node's heartbeats, answers, commitments, reveals and ceremony duties are calls that
//! authorize themselves (`#[pallet::authorize]`: the role key's signature in their arguments).
//! Offchain workers send them **bare** (extrinsic format 4, unsigned), which every client
//! decodes, and [`BareTransactions`] validates them by the same closure; they are also
//! accepted as general transactions (format 5), checked by `AuthorizeCall`. Signed transactions
//! come from a key in the node's keystore.

use codec::Encode;
use frame_support::traits::Authorize;
use frame_system::offchain::{
	AppCrypto, CreateAuthorizedTransaction, CreateBare, CreateSignedTransaction, CreateTransaction,
	CreateTransactionBase, SigningTypes,
};
#[allow(deprecated)] // see `BareTransactions`
use sp_runtime::traits::ValidateUnsigned;
use sp_runtime::{
	generic::Era,
	traits::{StaticLookup, Verify},
	transaction_validity::{TransactionSource, TransactionValidity, TransactionValidityError},
	SaturatedConversion,
};

use crate::{
	configs::system::BlockHashCount, tx_extension, Nonce, Runtime, RuntimeCall, Signature,
	SignedPayload, System, TxExtension, UncheckedExtrinsic,
};

impl SigningTypes for Runtime {
	type Public = <Signature as Verify>::Signer;
	type Signature = Signature;
}

impl<LocalCall> CreateTransactionBase<LocalCall> for Runtime
where
	RuntimeCall: From<LocalCall>,
{
	type Extrinsic = UncheckedExtrinsic;
	type RuntimeCall = RuntimeCall;
}

impl<LocalCall> CreateBare<LocalCall> for Runtime
where
	RuntimeCall: From<LocalCall>,
{
	fn create_bare(call: RuntimeCall) -> UncheckedExtrinsic {
		UncheckedExtrinsic::new_bare(call)
	}
}

/// The validator of bare transactions (the `Executive`'s `UnsignedValidator`).
///
/// A call that authorizes itself is checked by its own `authorize` closure, in the pool (with
/// the transaction's source) and again when a block applies it (`pre_dispatch`, source
/// `InBlock`, so a block author cannot include one the closure refuses); it then dispatches
/// with origin `None`, which those calls accept (`opg_primitives::ensure_self_authorized`).
/// Its validity (priority, tags, longevity) is the closure's, as for a general transaction.
/// Every other bare call goes to the pallets' own `ValidateUnsigned` (BABE's and GRANDPA's
/// equivocation reports).
///
/// A bare transaction carries no extension weight, so each of those calls charges its
/// closure's weight in its own.
///
/// `ValidateUnsigned` is deprecated upstream (to be removed after April 2027) in favour of the
/// general transactions these calls also accept. It stays while the clients dApps use cannot
/// decode a block holding a general transaction (py-substrate-interface, scalecodec 1.2);
/// once they can, the workers go back to `create_authorized_transaction` and this goes.
pub struct BareTransactions;

#[allow(deprecated)]
impl ValidateUnsigned for BareTransactions {
	type Call = RuntimeCall;

	fn validate_unsigned(source: TransactionSource, call: &RuntimeCall) -> TransactionValidity {
		match call.authorize(source) {
			Some(authorized) => authorized.map(|(validity, _unspent)| validity),
			None => <Runtime as ValidateUnsigned>::validate_unsigned(source, call),
		}
	}

	fn pre_dispatch(call: &RuntimeCall) -> Result<(), TransactionValidityError> {
		match call.authorize(TransactionSource::InBlock) {
			Some(authorized) => authorized.map(|_| ()),
			None => <Runtime as ValidateUnsigned>::pre_dispatch(call),
		}
	}
}

impl<LocalCall> CreateTransaction<LocalCall> for Runtime
where
	RuntimeCall: From<LocalCall>,
{
	type Extension = TxExtension;

	fn create_transaction(call: RuntimeCall, extension: TxExtension) -> UncheckedExtrinsic {
		UncheckedExtrinsic::new_transaction(call, extension)
	}
}

impl<LocalCall> CreateAuthorizedTransaction<LocalCall> for Runtime
where
	RuntimeCall: From<LocalCall>,
{
	/// The general form of a call that authorizes itself (offchain workers send the bare form,
	/// [`BareTransactions`]): it pays no fee and uses no nonce, since the extensions that check
	/// a signer do nothing for a transaction without one; mortal, born at the worker's block
	/// ([`offchain_era`]).
	fn create_extension() -> TxExtension {
		tx_extension(0, offchain_era(), 0)
	}
}

/// The era of a transaction an offchain worker creates: valid for about half the blocks whose
/// hashes the chain keeps, from the block before the worker's (whose hash the chain has).
pub fn offchain_era() -> Era {
	let period = BlockHashCount::get().checked_next_power_of_two().map_or(2, |p| p / 2);
	let current = System::block_number().saturated_into::<u64>().saturating_sub(1);
	Era::mortal(u64::from(period), current)
}

impl<LocalCall> CreateSignedTransaction<LocalCall> for Runtime
where
	RuntimeCall: From<LocalCall>,
{
	fn create_signed_transaction<C: AppCrypto<Self::Public, Self::Signature>>(
		call: RuntimeCall,
		public: Self::Public,
		account: Self::AccountId,
		nonce: Nonce,
	) -> Option<UncheckedExtrinsic> {
		let extension = tx_extension(nonce, offchain_era(), 0);
		let payload = SignedPayload::new(call, extension).ok()?;
		let signature = payload.using_encoded(|bytes| C::sign(bytes, public))?;
		let (call, extension, _) = payload.deconstruct();
		let address = <Runtime as frame_system::Config>::Lookup::unlookup(account);
		Some(UncheckedExtrinsic::new_signed(call, address, signature, extension))
	}
}
