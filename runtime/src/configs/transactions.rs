//! How the runtime's own code (offchain workers) creates transactions: bare ones (inherents
//! and unsigned transactions), signed ones from a key in the node's keystore, and general ones
//! authorized by the call itself (`#[pallet::authorize]`, checked by `AuthorizeCall`).

use codec::Encode;
use frame_system::offchain::{
	AppCrypto, CreateAuthorizedTransaction, CreateBare, CreateSignedTransaction, CreateTransaction,
	CreateTransactionBase, SigningTypes,
};
use sp_runtime::{
	generic::Era,
	traits::{StaticLookup, Verify},
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
	/// An authorized call pays no fee and uses no nonce: the extensions that check a signer do
	/// nothing for a transaction without one.
	///
	/// It is mortal, born at the worker's block ([`offchain_era`]): a worker that sends the same
	/// answer again a few blocks later (because the first copy did not land) sends different
	/// bytes. The node's transaction pool bans a transaction's hash for half an hour when one of
	/// its views finds it invalid, which happens when a worker's transaction reaches the view
	/// of the previous block while the pool is still building the view of the worker's own
	/// block (an answer to a job that view has not assigned yet): an identical copy would be
	/// refused for that half hour, this one is not.
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
