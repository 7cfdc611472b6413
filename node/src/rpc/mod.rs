//! The node's JSON-RPC methods beyond Substrate's built-in ones: account nonces, fee queries,
//! and OPG's model data layer (`opgModel_*`).

pub mod model;

use std::sync::Arc;

use jsonrpsee::RpcModule;
use opg_runtime::{opaque::Block, AccountId, Balance, BlockNumber, Nonce};
use pallet_model_registry_runtime_api::ModelRegistryApi;
use sc_transaction_pool_api::TransactionPool;
use sp_api::ProvideRuntimeApi;
use sp_block_builder::BlockBuilder;
use sp_blockchain::{Error as BlockChainError, HeaderBackend, HeaderMetadata};
use sp_core::offchain::OffchainStorage;

/// What the RPC methods need.
pub struct FullDeps<C, P, S> {
	/// The client.
	pub client: Arc<C>,
	/// The transaction pool.
	pub pool: Arc<P>,
	/// The off-chain database, where offchain indexing put the model bytes (`None` when the node
	/// runs without one).
	pub offchain_db: Option<S>,
}

/// Builds the RPC extensions of a full node.
pub fn create_full<C, P, S>(
	deps: FullDeps<C, P, S>,
) -> Result<RpcModule<()>, Box<dyn std::error::Error + Send + Sync>>
where
	C: ProvideRuntimeApi<Block>,
	C: HeaderBackend<Block> + HeaderMetadata<Block, Error = BlockChainError> + 'static,
	C: Send + Sync + 'static,
	C::Api: substrate_frame_rpc_system::AccountNonceApi<Block, AccountId, Nonce>,
	C::Api: pallet_transaction_payment_rpc::TransactionPaymentRuntimeApi<Block, Balance>,
	C::Api: ModelRegistryApi<Block, AccountId, Balance, BlockNumber>,
	C::Api: BlockBuilder<Block>,
	P: TransactionPool + 'static,
	S: OffchainStorage + 'static,
{
	use model::{ModelData, ModelDataApiServer};
	use pallet_transaction_payment_rpc::{TransactionPayment, TransactionPaymentApiServer};
	use substrate_frame_rpc_system::{System, SystemApiServer};

	let mut module = RpcModule::new(());
	let FullDeps { client, pool, offchain_db } = deps;

	module.merge(System::new(client.clone(), pool).into_rpc())?;
	module.merge(TransactionPayment::new(client.clone()).into_rpc())?;
	module.merge(ModelData::new(client, offchain_db).into_rpc())?;

	Ok(module)
}
