//! Runtime API of OPG attestations: what dApps and nodes ask about open rounds and claims
//! without decoding storage themselves.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
use codec::Codec;
use opg_primitives::attestation::SubjectId;

pub use pallet_attestations::{Claim, Parameters, Round, RoundView};

sp_api::decl_runtime_apis! {
	/// Reads the open rounds and claims.
	pub trait AttestationsApi<AccountId, Balance, BlockNumber>
	where
		AccountId: Codec,
		Balance: Codec,
		BlockNumber: Codec,
	{
		/// The committee of `subject`'s open round, in selection order.
		fn committee(subject: SubjectId) -> Option<Vec<AccountId>>;

		/// `subject`'s open round: who claims what, its committee's progress and deadlines.
		fn round(subject: SubjectId) -> Option<RoundView<AccountId, Balance, BlockNumber>>;

		/// `subject`'s open claim, and when its challenge window closes.
		fn claim(subject: SubjectId) -> Option<Claim<AccountId, BlockNumber>>;

		/// The parameters in force.
		fn parameters() -> Parameters<Balance, BlockNumber>;
	}
}
