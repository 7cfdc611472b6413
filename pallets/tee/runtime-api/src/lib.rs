//! Runtime API of OPG trusted enclaves: what operators and dApps ask about TEE nodes and the
//! chain's TEE policy without decoding storage themselves.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
use codec::Codec;
use opg_primitives::tee::{Fmspc, Freshness, PckCa, TcbStatusSet, TeeKind};

pub use pallet_tee::{AllowedMeasurement, CollateralRecord, TeeView};

sp_api::decl_runtime_apis! {
	/// Reads the TEE registrations and policy.
	pub trait TeeApi<AccountId, BlockNumber>
	where
		AccountId: Codec,
		BlockNumber: Codec,
	{
		/// A node's TEE registration, its measurement, and whether it is **insecure** (the dev
		/// chain's unattested enclave).
		fn tee_registration(account: AccountId) -> Option<TeeView<BlockNumber>>;

		/// The measurement allow-list (each entry says whether it is the insecure dev enclave
		/// through its measurement) and the TCB statuses accepted.
		fn tee_policy() -> (Vec<AllowedMeasurement>, TcbStatusSet);

		/// The collateral registered for a platform family (TEE kind, FMSPC, PCK certificate
		/// authority): how fresh its parts are and when it expires (unix seconds), without its
		/// bytes.
		fn tee_collateral(kind: TeeKind, fmspc: Fmspc, pck_ca: PckCa) -> Option<(Freshness, u64)>;
	}
}
