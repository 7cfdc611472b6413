//! Runtime API of OPG nodes: what operators, dApps and nodes ask about the node registry without
//! decoding storage themselves. Every call does bounded work: node lists come in pages of at most
//! `pallet_nodes::MAX_PAGE` accounts.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
use codec::Codec;
use opg_primitives::attestation::NodeKey;

pub use pallet_nodes::{NodeView, Parameters};

sp_api::decl_runtime_apis! {
	/// Reads the node registry.
	pub trait NodesApi<AccountId, Balance, BlockNumber>
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

		/// The registry's parameters in force.
		fn parameters() -> Parameters<Balance, BlockNumber>;
	}
}
