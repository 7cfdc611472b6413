//! `opgModel_*`: serves model bytes from this node's off-chain database.
//!
//! The model registry writes every uploaded chunk into each node's off-chain database through
//! offchain indexing, under [`chunk_storage_key`]. These methods read them back, and check each
//! chunk against the chunk hash committed on chain before serving it, so a data node never
//! serves bytes that differ from what the chain registered. They run on the RPC server's
//! blocking pool (they read the database and call the runtime), not on the connection task, and
//! each reads one version of a model at one block. A node that lacks a model (it
//! synced without executing the upload blocks, or ran with indexing off) fetches it from a data
//! node with `scripts/fetch-model.sh`, which verifies each chunk the same way before storing it.

use std::sync::Arc;

use jsonrpsee::{
	core::RpcResult,
	proc_macros::rpc,
	types::{error::ErrorObject, ErrorObjectOwned},
};
use opg_primitives::model::{chunk_hash, chunk_storage_key, ModelId, VersionNumber};
use opg_runtime::{opaque::Block, AccountId, Balance, BlockNumber, Hash};
use pallet_model_registry_runtime_api::ModelRegistryApi;
use serde::{Deserialize, Serialize};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::{
	offchain::{OffchainStorage, STORAGE_PREFIX},
	Bytes,
};

/// Largest model `opgModel_bytes` returns whole: 4 MiB, 8 MiB as hex, inside the default
/// 10 MiB RPC response limit. Larger models are read with `opgModel_chunk`.
pub const MAX_WHOLE_MODEL_BYTES: u64 = 4 * 1024 * 1024;

/// Error codes of the `opgModel_*` methods.
pub mod error_code {
	/// The model or version does not exist.
	pub const NOT_FOUND: i32 = 7001;
	/// This node does not hold the chunk (or holds bytes that do not match the chain).
	pub const NOT_HELD: i32 = 7002;
	/// The model is too large for `opgModel_bytes`.
	pub const TOO_LARGE: i32 = 7003;
	/// The runtime API call failed.
	pub const RUNTIME: i32 = 7004;
}

/// Which chunks of a model version this node holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalChunks {
	/// The version these chunks belong to.
	pub version: VersionNumber,
	/// Content id of the version.
	pub content_id: Hash,
	/// Chunks in the version.
	pub chunk_count: u32,
	/// Indices of the chunks this node holds. Presence only: the bytes are checked against
	/// their on-chain hash when served by `opgModel_chunk` or `opgModel_bytes`, so this call
	/// never hashes a model.
	pub held: Vec<u32>,
}

/// The model data methods.
#[rpc(server)]
pub trait ModelDataApi {
	/// Chunk `index` of a model version (the active one, else the latest, when `version` is
	/// omitted), checked against its on-chain hash.
	#[method(name = "opgModel_chunk", blocking)]
	fn chunk(
		&self,
		model_id: ModelId,
		version: Option<VersionNumber>,
		index: u32,
	) -> RpcResult<Bytes>;

	/// All bytes of a model version, up to [`MAX_WHOLE_MODEL_BYTES`].
	#[method(name = "opgModel_bytes", blocking)]
	fn bytes(&self, model_id: ModelId, version: Option<VersionNumber>) -> RpcResult<Bytes>;

	/// Which chunks of a model version this node holds.
	#[method(name = "opgModel_localChunks", blocking)]
	fn local_chunks(
		&self,
		model_id: ModelId,
		version: Option<VersionNumber>,
	) -> RpcResult<LocalChunks>;

	/// Chunk `index` (of 64 KiB) of a ZK version's proving key, which its key ceremony
	/// published into the data layer, checked against its on-chain hash: what a proving node
	/// that lacks the key fetches.
	#[method(name = "opgModel_keyChunk", blocking)]
	fn key_chunk(&self, model_id: ModelId, version: VersionNumber, index: u32) -> RpcResult<Bytes>;
}

/// Serves model bytes from the off-chain database `S`.
pub struct ModelData<C, S> {
	client: Arc<C>,
	offchain_db: Option<S>,
}

impl<C, S> ModelData<C, S> {
	/// The methods over `client`'s best block and `offchain_db`.
	pub fn new(client: Arc<C>, offchain_db: Option<S>) -> Self {
		Self { client, offchain_db }
	}
}

fn error(code: i32, message: impl Into<String>) -> ErrorObjectOwned {
	ErrorObject::owned(code, message.into(), None::<()>)
}

/// A version's identity as the chain knows it at one block.
struct OnChainVersion {
	/// The block the request reads the chain at.
	at: Hash,
	version: VersionNumber,
	content_id: Hash,
	byte_size: u64,
	chunk_count: u32,
}

fn runtime_error(e: sp_api::ApiError) -> ErrorObjectOwned {
	error(error_code::RUNTIME, e.to_string())
}

impl<C, S> ModelData<C, S>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: ModelRegistryApi<Block, AccountId, Balance, BlockNumber>,
	S: OffchainStorage + 'static,
{
	fn on_chain(
		&self,
		model_id: ModelId,
		version: Option<VersionNumber>,
	) -> RpcResult<OnChainVersion> {
		let api = self.client.runtime_api();
		let at = self.client.info().best_hash;
		let model = api
			.model(at, model_id)
			.map_err(runtime_error)?
			.ok_or_else(|| error(error_code::NOT_FOUND, format!("no model {model_id}")))?;
		let version = version.or(model.active_version).unwrap_or(model.latest_version);
		let record =
			api.model_version(at, model_id, version).map_err(runtime_error)?.ok_or_else(|| {
				error(error_code::NOT_FOUND, format!("model {model_id} has no version {version}"))
			})?;
		Ok(OnChainVersion {
			at,
			version,
			content_id: record.content_id,
			byte_size: record.byte_size,
			chunk_count: record.chunk_count,
		})
	}

	/// Chunk `index` from the off-chain database, unchecked.
	fn stored_chunk(&self, on_chain: &OnChainVersion, index: u32) -> Option<Vec<u8>> {
		self.offchain_db
			.as_ref()?
			.get(STORAGE_PREFIX, &chunk_storage_key(&on_chain.content_id, index))
	}

	/// Chunk `index` if this node holds it and it matches `expected`, its on-chain hash.
	fn require_chunk(
		&self,
		model_id: ModelId,
		on_chain: &OnChainVersion,
		index: u32,
		expected: Hash,
	) -> RpcResult<Vec<u8>> {
		self.stored_chunk(on_chain, index).filter(|bytes| chunk_hash(bytes) == expected).ok_or_else(
			|| {
				error(
					error_code::NOT_HELD,
					format!(
						"this node does not hold chunk {index} of model {model_id} version {}: it \
						 was not indexed here (offchain indexing off, or the upload not imported) \
						 or the upload is incomplete; fetch it from a data node with \
						 scripts/fetch-model.sh",
						on_chain.version
					),
				)
			},
		)
	}
}

impl<C, S> ModelDataApiServer for ModelData<C, S>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: ModelRegistryApi<Block, AccountId, Balance, BlockNumber>,
	S: OffchainStorage + 'static,
{
	fn key_chunk(&self, model_id: ModelId, version: VersionNumber, index: u32) -> RpcResult<Bytes> {
		let api = self.client.runtime_api();
		let at = self.client.info().best_hash;
		let not_found = || {
			error(
				error_code::NOT_FOUND,
				format!(
					"model {model_id} version {version} has no proving key in the data layer \
					 with a chunk {index} (not a ZK version, its ceremony has not finished, or \
					 its key is a one-party key)"
				),
			)
		};
		let expected = api
			.zk_key_chunk_hash(at, model_id, version, index)
			.map_err(runtime_error)?
			.ok_or_else(not_found)?;
		let key = api
			.verifying_key(at, model_id, version)
			.map_err(runtime_error)?
			.ok_or_else(not_found)?
			.proving_key_hash;
		self.offchain_db
			.as_ref()
			.and_then(|db| db.get(STORAGE_PREFIX, &chunk_storage_key(&key, index)))
			.filter(|bytes| chunk_hash(bytes) == expected)
			.map(Bytes)
			.ok_or_else(|| {
				error(
					error_code::NOT_HELD,
					format!(
						"this node does not hold chunk {index} of the proving key of model \
						 {model_id} version {version} (offchain indexing off, or the ceremony's \
						 uploads not imported)"
					),
				)
			})
	}

	fn chunk(
		&self,
		model_id: ModelId,
		version: Option<VersionNumber>,
		index: u32,
	) -> RpcResult<Bytes> {
		let on_chain = self.on_chain(model_id, version)?;
		// One hash from state, not the version's whole list.
		let expected = self
			.client
			.runtime_api()
			.chunk_hash(on_chain.at, model_id, on_chain.version, index)
			.map_err(runtime_error)?
			.ok_or_else(|| {
				error(
					error_code::NOT_FOUND,
					format!(
						"model {model_id} version {} has {} chunks; there is no chunk {index}",
						on_chain.version, on_chain.chunk_count
					),
				)
			})?;
		self.require_chunk(model_id, &on_chain, index, expected).map(Bytes)
	}

	fn bytes(&self, model_id: ModelId, version: Option<VersionNumber>) -> RpcResult<Bytes> {
		let on_chain = self.on_chain(model_id, version)?;
		if on_chain.byte_size > MAX_WHOLE_MODEL_BYTES {
			return Err(error(
				error_code::TOO_LARGE,
				format!(
					"model {model_id} version {} is {} bytes, over the {MAX_WHOLE_MODEL_BYTES}-byte \
					 limit of opgModel_bytes: read it chunk by chunk with opgModel_chunk",
					on_chain.version, on_chain.byte_size
				),
			));
		}
		let hashes = self
			.client
			.runtime_api()
			.chunk_hashes(on_chain.at, model_id, on_chain.version)
			.map_err(runtime_error)?
			.unwrap_or_default();
		let mut bytes = Vec::with_capacity(on_chain.byte_size as usize);
		for (index, expected) in (0..).zip(hashes) {
			bytes.extend(self.require_chunk(model_id, &on_chain, index, expected)?);
		}
		Ok(Bytes(bytes))
	}

	fn local_chunks(
		&self,
		model_id: ModelId,
		version: Option<VersionNumber>,
	) -> RpcResult<LocalChunks> {
		let on_chain = self.on_chain(model_id, version)?;
		let held = (0..on_chain.chunk_count)
			.filter(|index| self.stored_chunk(&on_chain, *index).is_some())
			.collect();
		Ok(LocalChunks {
			version: on_chain.version,
			content_id: on_chain.content_id,
			chunk_count: on_chain.chunk_count,
			held,
		})
	}
}
