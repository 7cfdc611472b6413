//! Runtime API of the OPG model registry: what dApps, model owners and nodes ask about models
//! without decoding storage themselves. Every call does bounded work: lists come in pages of at
//! most `pallet_model_registry::MAX_PAGE` ids, and a node checking one chunk asks for one hash.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
use codec::Codec;
use opg_primitives::{
	model::{
		ModelId, ModelInfo, ModelPage, UploadProgress, VersionInfo, VersionNumber, ZkArtifacts,
	},
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
		fn model(model_id: ModelId) -> Option<ModelInfo<AccountId, Balance, BlockNumber>>;

		/// One version's metadata.
		fn model_version(
			model_id: ModelId,
			version: VersionNumber,
		) -> Option<VersionInfo<BlockNumber, Balance>>;

		/// Where a version's upload stands; `None` once it is complete (or gone).
		fn upload_progress(
			model_id: ModelId,
			version: VersionNumber,
		) -> Option<UploadProgress<BlockNumber>>;

		/// A ZK version's Groth16 verifying key and proving-key hash.
		fn verifying_key(model_id: ModelId, version: VersionNumber) -> Option<ZkArtifacts>;

		/// The chunk hashes a version committed to, to verify a whole model fetched from a peer.
		fn chunk_hashes(model_id: ModelId, version: VersionNumber) -> Option<Vec<Hash>>;

		/// The hash of one chunk, to verify a single chunk without the whole list.
		fn chunk_hash(model_id: ModelId, version: VersionNumber, index: u32) -> Option<Hash>;

		/// The hash of chunk `index` (of 64 KiB) of a ZK version's proving key, which its key
		/// ceremony published into the data layer: to verify a key chunk served to a peer.
		/// `None` past the last chunk and for keys that never passed through the data layer.
		fn zk_key_chunk_hash(model_id: ModelId, version: VersionNumber, index: u32) -> Option<Hash>;

		/// Up to `limit` of an owner's model ids after the model `after` (from the first when
		/// `None`); pass the page's `next` back as `after` for the following page.
		fn models_by_owner(owner: AccountId, after: Option<ModelId>, limit: u32) -> ModelPage;

		/// The models that accept requests now among ids `start..start + limit`; pass the
		/// page's `next` back as `start` for the following page.
		fn active_models(start: ModelId, limit: u32) -> ModelPage;
	}
}
