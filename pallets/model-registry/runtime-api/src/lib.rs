//! Runtime API of the OPG model registry: what dApps, model owners and nodes ask about models
//! without decoding storage themselves.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
use codec::Codec;
use opg_primitives::{
	model::{ModelId, ModelInfo, ModelVersion, VersionNumber},
	Hash,
};

sp_api::decl_runtime_apis! {
	/// Reads the model catalogue.
	pub trait ModelRegistryApi<AccountId, Balance, BlockNumber>
	where
		AccountId: Codec,
		Balance: Codec,
		BlockNumber: Codec,
	{
		/// A model by id.
		fn model(model_id: ModelId) -> Option<ModelInfo<AccountId, Balance>>;

		/// One version of a model.
		fn model_version(
			model_id: ModelId,
			version: VersionNumber,
		) -> Option<ModelVersion<BlockNumber, Balance>>;

		/// The chunk hashes a version committed to, to verify chunks fetched from a peer.
		fn chunk_hashes(model_id: ModelId, version: VersionNumber) -> Option<Vec<Hash>>;

		/// The ids of an owner's models.
		fn models_by_owner(owner: AccountId) -> Vec<ModelId>;

		/// The ids of the models that accept requests now.
		fn active_models() -> Vec<ModelId>;
	}
}
