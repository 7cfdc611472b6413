//! Runtime API of OPG inference: what a dApp asks before and after paying, without decoding
//! storage itself.

#![cfg_attr(not(feature = "std"), no_std)]

use codec::Codec;
use opg_primitives::{
	inference::{FeeQuote, JobId, Tensors},
	model::{InferenceMode, ModelId, VersionNumber},
};
use sp_runtime::DispatchError;

pub use pallet_inference::{JobView, Parameters};

sp_api::decl_runtime_apis! {
	/// Reads jobs and quotes requests.
	pub trait InferenceApi<AccountId, Balance, BlockNumber>
	where
		AccountId: Codec,
		Balance: Codec,
		BlockNumber: Codec,
	{
		/// A job with its status, input and (once answered) output; `None` for an unknown or
		/// pruned job.
		fn job(job: JobId) -> Option<JobView<AccountId, Balance, BlockNumber>>;

		/// What `requester`'s request would cost, or the error the real request would fail with
		/// (model, version, mode, input, balance, a free node), before anything is paid.
		fn quote(
			requester: AccountId,
			model: ModelId,
			version: Option<VersionNumber>,
			input: Tensors,
			mode: InferenceMode,
		) -> Result<FeeQuote<Balance>, DispatchError>;

		/// The parameters in force: protocol fees, fee shares, deadlines, retention.
		fn parameters() -> Parameters<Balance, BlockNumber>;
	}
}
