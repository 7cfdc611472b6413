//! Runtime API of OPG attestations: what operators, dApps and nodes ask about nodes, rounds and
//! claims without decoding storage themselves. Every call does bounded work: node lists come in
//! pages of at most `pallet_attestations::MAX_PAGE` accounts.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
use codec::Codec;
use opg_primitives::{
	attestation::{NodeKey, SubjectId},
	tee::{Fmspc, Freshness, PckCa, TcbStatusSet, TeeKind},
};

pub use pallet_attestations::{
	AllowedMeasurement, CollateralRecord, NodeView, Parameters, TeeView,
};

sp_api::decl_runtime_apis! {
	/// Reads the node registry and the open rounds and claims. Version 2 adds TEE nodes.
	#[api_version(2)]
	pub trait AttestationsApi<AccountId, Balance, BlockNumber>
	where
		AccountId: Codec,
		Balance: Codec,
		BlockNumber: Codec,
	{
		/// A node's bond, roles, key, status, liveness and reputation.
		fn node(account: AccountId) -> Option<NodeView<AccountId, Balance, BlockNumber>>;

		/// The node whose role key is `key`.
		fn node_of_key(key: NodeKey) -> Option<AccountId>;

		/// Up to `limit` registered nodes after `after` (from the first when `None`), in
		/// storage order.
		fn nodes(after: Option<AccountId>, limit: u32) -> Vec<AccountId>;

		/// The committee of `subject`'s open round, in selection order.
		fn committee(subject: SubjectId) -> Option<Vec<AccountId>>;

		/// The parameters in force.
		fn parameters() -> Parameters<Balance, BlockNumber>;

		/// A node's TEE registration, its measurement, and whether it is **insecure** (the dev
		/// chain's unattested enclave).
		#[api_version(2)]
		fn tee_registration(account: AccountId) -> Option<TeeView<BlockNumber>>;

		/// The measurement allow-list (each entry says whether it is the insecure dev enclave
		/// through its measurement) and the TCB statuses accepted.
		#[api_version(2)]
		fn tee_policy() -> (Vec<AllowedMeasurement>, TcbStatusSet);

		/// The collateral registered for a platform family (TEE kind, FMSPC, PCK certificate
		/// authority): how fresh its parts are and when it expires (unix seconds), without its
		/// bytes.
		#[api_version(2)]
		fn tee_collateral(kind: TeeKind, fmspc: Fmspc, pck_ca: PckCa) -> Option<(Freshness, u64)>;
	}
}
