//! What the pallets' mock runtimes share.

/// Lets mock runtime `$runtime` create the transactions its offchain workers send: bare ones
/// for the calls that authorize themselves (`#[pallet::authorize]`), as the real runtime does
/// (`runtime/src/configs/transactions.rs`), and general ones with no transaction extension.
/// Expands in the mock's module, where `RuntimeCall` is the mock's.
#[macro_export]
macro_rules! impl_mock_authorized_transactions {
	($runtime:ty) => {
		impl<C> frame_system::offchain::CreateTransactionBase<C> for $runtime
		where
			RuntimeCall: From<C>,
		{
			type RuntimeCall = RuntimeCall;
			type Extrinsic = frame_system::mocking::MockUncheckedExtrinsic<$runtime>;
		}

		impl<C> frame_system::offchain::CreateTransaction<C> for $runtime
		where
			RuntimeCall: From<C>,
		{
			type Extension = ();

			fn create_transaction(call: RuntimeCall, extension: ()) -> Self::Extrinsic {
				sp_runtime::generic::UncheckedExtrinsic::new_transaction(call, extension)
			}
		}

		impl<C> frame_system::offchain::CreateBare<C> for $runtime
		where
			RuntimeCall: From<C>,
		{
			fn create_bare(call: RuntimeCall) -> Self::Extrinsic {
				sp_runtime::generic::UncheckedExtrinsic::new_bare(call)
			}
		}

		impl<C> frame_system::offchain::CreateAuthorizedTransaction<C> for $runtime
		where
			RuntimeCall: From<C>,
		{
			fn create_extension() {}
		}
	};
}
