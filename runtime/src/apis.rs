//! The runtime APIs the node and clients call: the standard Substrate set (core, metadata,
//! block building, transaction pool, offchain workers, BABE, GRANDPA, session keys, nonces,
//! transaction payment, genesis builder) and OPG's own (the model registry, nodes, attestations,
//! TEE, inference).

use alloc::vec::Vec;
use frame_support::{
	genesis_builder_helper::{build_state, get_preset},
	traits::Get,
	weights::Weight,
};
use opg_primitives::{
	attestation::{NodeKey, SubjectId},
	inference::{FeeQuote, JobId, Tensors},
	model::{
		InferenceMode, ModelId, ModelInfo, ModelPage, UploadProgress, VersionInfo, VersionNumber,
		ZkArtifacts,
	},
	Hash,
};
use pallet_grandpa::AuthorityId as GrandpaId;
use sp_api::impl_runtime_apis;
use sp_core::{crypto::KeyTypeId, OpaqueMetadata};
use sp_runtime::{
	traits::{Block as BlockT, NumberFor},
	transaction_validity::{TransactionSource, TransactionValidity},
	ApplyExtrinsicResult,
};
use sp_version::RuntimeVersion;

use crate::{
	AccountId, Attestations, Babe, Balance, Block, BlockNumber, Executive, Grandpa, Inference,
	InherentDataExt, ModelRegistry, Nodes, Nonce, Runtime, RuntimeCall, RuntimeGenesisConfig,
	SessionKeys, System, Tee, TransactionPayment, VERSION,
};

impl_runtime_apis! {
	impl sp_api::Core<Block> for Runtime {
		fn version() -> RuntimeVersion {
			VERSION
		}

		fn execute_block(block: <Block as BlockT>::LazyBlock) {
			Executive::execute_block(block);
		}

		fn initialize_block(header: &<Block as BlockT>::Header) -> sp_runtime::ExtrinsicInclusionMode {
			Executive::initialize_block(header)
		}
	}

	impl sp_api::Metadata<Block> for Runtime {
		fn metadata() -> OpaqueMetadata {
			OpaqueMetadata::new(Runtime::metadata().into())
		}

		fn metadata_at_version(version: u32) -> Option<OpaqueMetadata> {
			Runtime::metadata_at_version(version)
		}

		fn metadata_versions() -> Vec<u32> {
			Runtime::metadata_versions()
		}
	}

	impl frame_support::view_functions::runtime_api::RuntimeViewFunction<Block> for Runtime {
		fn execute_view_function(
			id: frame_support::view_functions::ViewFunctionId,
			input: Vec<u8>,
		) -> Result<Vec<u8>, frame_support::view_functions::ViewFunctionDispatchError> {
			Runtime::execute_view_function(id, input)
		}
	}

	impl sp_block_builder::BlockBuilder<Block> for Runtime {
		fn apply_extrinsic(extrinsic: <Block as BlockT>::Extrinsic) -> ApplyExtrinsicResult {
			Executive::apply_extrinsic(extrinsic)
		}

		fn finalize_block() -> <Block as BlockT>::Header {
			Executive::finalize_block()
		}

		fn inherent_extrinsics(data: sp_inherents::InherentData) -> Vec<<Block as BlockT>::Extrinsic> {
			data.create_extrinsics()
		}

		fn check_inherents(
			block: <Block as BlockT>::LazyBlock,
			data: sp_inherents::InherentData,
		) -> sp_inherents::CheckInherentsResult {
			data.check_extrinsics(&block)
		}
	}

	impl sp_transaction_pool::runtime_api::TaggedTransactionQueue<Block> for Runtime {
		fn validate_transaction(
			source: TransactionSource,
			tx: <Block as BlockT>::Extrinsic,
			block_hash: <Block as BlockT>::Hash,
		) -> TransactionValidity {
			Executive::validate_transaction(source, tx, block_hash)
		}
	}

	impl sp_offchain::OffchainWorkerApi<Block> for Runtime {
		fn offchain_worker(header: &<Block as BlockT>::Header) {
			Executive::offchain_worker(header)
		}
	}

	impl sp_consensus_babe::BabeApi<Block> for Runtime {
		fn configuration() -> sp_consensus_babe::BabeConfiguration {
			let epoch_config = Babe::epoch_config().unwrap_or(crate::BABE_GENESIS_EPOCH_CONFIG);
			sp_consensus_babe::BabeConfiguration {
				slot_duration: Babe::slot_duration(),
				epoch_length: crate::configs::consensus::EpochSlots::get(),
				c: epoch_config.c,
				authorities: Babe::authorities().into_inner(),
				randomness: Babe::randomness(),
				allowed_slots: epoch_config.allowed_slots,
			}
		}

		fn current_epoch_start() -> sp_consensus_babe::Slot {
			Babe::current_epoch_start()
		}

		fn current_epoch() -> sp_consensus_babe::Epoch {
			Babe::current_epoch()
		}

		fn next_epoch() -> sp_consensus_babe::Epoch {
			Babe::next_epoch()
		}

		// No session pallet: no key ownership proofs, no equivocation reports on-chain.
		fn generate_key_ownership_proof(
			_slot: sp_consensus_babe::Slot,
			_authority_id: sp_consensus_babe::AuthorityId,
		) -> Option<sp_consensus_babe::OpaqueKeyOwnershipProof> {
			None
		}

		fn submit_report_equivocation_unsigned_extrinsic(
			_equivocation_proof: sp_consensus_babe::EquivocationProof<<Block as BlockT>::Header>,
			_key_owner_proof: sp_consensus_babe::OpaqueKeyOwnershipProof,
		) -> Option<()> {
			None
		}
	}

	impl sp_session::SessionKeys<Block> for Runtime {
		fn generate_session_keys(
			owner: Vec<u8>,
			seed: Option<Vec<u8>>,
		) -> sp_session::OpaqueGeneratedSessionKeys {
			SessionKeys::generate(&owner, seed).into()
		}

		fn decode_session_keys(encoded: Vec<u8>) -> Option<Vec<(Vec<u8>, KeyTypeId)>> {
			SessionKeys::decode_into_raw_public_keys(&encoded)
		}
	}

	impl sp_consensus_grandpa::GrandpaApi<Block> for Runtime {
		fn grandpa_authorities() -> sp_consensus_grandpa::AuthorityList {
			Grandpa::grandpa_authorities()
		}

		fn current_set_id() -> sp_consensus_grandpa::SetId {
			Grandpa::current_set_id()
		}

		fn submit_report_equivocation_unsigned_extrinsic(
			_equivocation_proof: sp_consensus_grandpa::EquivocationProof<
				<Block as BlockT>::Hash,
				NumberFor<Block>,
			>,
			_key_owner_proof: sp_consensus_grandpa::OpaqueKeyOwnershipProof,
		) -> Option<()> {
			None
		}

		fn generate_key_ownership_proof(
			_set_id: sp_consensus_grandpa::SetId,
			_authority_id: GrandpaId,
		) -> Option<sp_consensus_grandpa::OpaqueKeyOwnershipProof> {
			// No session pallet: there is no key ownership to prove (`KeyOwnerProof` is `Void`).
			None
		}
	}

	impl frame_system_rpc_runtime_api::AccountNonceApi<Block, AccountId, Nonce> for Runtime {
		fn account_nonce(account: AccountId) -> Nonce {
			System::account_nonce(account)
		}
	}

	impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentApi<Block, Balance> for Runtime {
		fn query_info(
			uxt: <Block as BlockT>::Extrinsic,
			len: u32,
		) -> pallet_transaction_payment_rpc_runtime_api::RuntimeDispatchInfo<Balance> {
			TransactionPayment::query_info(uxt, len)
		}
		fn query_fee_details(
			uxt: <Block as BlockT>::Extrinsic,
			len: u32,
		) -> pallet_transaction_payment::FeeDetails<Balance> {
			TransactionPayment::query_fee_details(uxt, len)
		}
		fn query_weight_to_fee(weight: Weight) -> Balance {
			TransactionPayment::weight_to_fee(weight)
		}
		fn query_length_to_fee(length: u32) -> Balance {
			TransactionPayment::length_to_fee(length)
		}
	}

	impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentCallApi<Block, Balance, RuntimeCall>
		for Runtime
	{
		fn query_call_info(
			call: RuntimeCall,
			len: u32,
		) -> pallet_transaction_payment::RuntimeDispatchInfo<Balance> {
			TransactionPayment::query_call_info(call, len)
		}
		fn query_call_fee_details(
			call: RuntimeCall,
			len: u32,
		) -> pallet_transaction_payment::FeeDetails<Balance> {
			TransactionPayment::query_call_fee_details(call, len)
		}
		fn query_weight_to_fee(weight: Weight) -> Balance {
			TransactionPayment::weight_to_fee(weight)
		}
		fn query_length_to_fee(length: u32) -> Balance {
			TransactionPayment::length_to_fee(length)
		}
	}

	impl pallet_model_registry_runtime_api::ModelRegistryApi<Block, AccountId, Balance, BlockNumber>
		for Runtime
	{
		fn model(model_id: ModelId) -> Option<ModelInfo<AccountId, Balance, BlockNumber>> {
			ModelRegistry::model(model_id)
		}

		fn model_version(
			model_id: ModelId,
			version: VersionNumber,
		) -> Option<VersionInfo<BlockNumber, Balance>> {
			ModelRegistry::version(model_id, version)
		}

		fn upload_progress(
			model_id: ModelId,
			version: VersionNumber,
		) -> Option<UploadProgress<BlockNumber>> {
			ModelRegistry::upload_progress(model_id, version)
		}

		fn verifying_key(model_id: ModelId, version: VersionNumber) -> Option<ZkArtifacts> {
			ModelRegistry::verifying_key(model_id, version)
		}

		fn chunk_hashes(model_id: ModelId, version: VersionNumber) -> Option<Vec<Hash>> {
			ModelRegistry::chunk_hashes(model_id, version)
		}

		fn chunk_hash(model_id: ModelId, version: VersionNumber, index: u32) -> Option<Hash> {
			ModelRegistry::chunk_hash(model_id, version, index)
		}

		fn zk_key_chunk_hash(
			model_id: ModelId,
			version: VersionNumber,
			index: u32,
		) -> Option<Hash> {
			<ModelRegistry as opg_primitives::model::ModelCatalog<AccountId, Balance>>::zk_key_chunk_hash(
				model_id, version, index,
			)
		}

		fn models_by_owner(owner: AccountId, after: Option<ModelId>, limit: u32) -> ModelPage {
			ModelRegistry::models_by_owner(&owner, after, limit)
		}

		fn active_models(start: ModelId, limit: u32) -> ModelPage {
			ModelRegistry::active_models(start, limit)
		}
	}

	impl pallet_nodes_runtime_api::NodesApi<Block, AccountId, Balance, BlockNumber> for Runtime {
		fn node(account: AccountId) -> Option<pallet_nodes::NodeView<AccountId, Balance, BlockNumber>> {
			Nodes::node_view(account)
		}

		fn node_of_key(key: NodeKey) -> Option<AccountId> {
			pallet_nodes::NodeByKey::<Runtime>::get(key)
		}

		fn nodes(after: Option<AccountId>, limit: u32) -> Vec<AccountId> {
			Nodes::nodes_page(after, limit)
		}

		fn parameters() -> pallet_nodes::Parameters<Balance, BlockNumber> {
			pallet_nodes::ActiveParameters::<Runtime>::get()
		}
	}

	impl pallet_attestations_runtime_api::AttestationsApi<Block, AccountId, Balance, BlockNumber>
		for Runtime
	{
		fn committee(subject: SubjectId) -> Option<Vec<AccountId>> {
			Attestations::committee(subject)
		}

		fn round(
			subject: SubjectId,
		) -> Option<pallet_attestations::RoundView<AccountId, Balance, BlockNumber>> {
			Attestations::round_view(subject)
		}

		fn claim(subject: SubjectId) -> Option<pallet_attestations::Claim<AccountId, BlockNumber>> {
			pallet_attestations::Claims::<Runtime>::get(subject)
		}

		fn parameters() -> pallet_attestations::Parameters<Balance, BlockNumber> {
			pallet_attestations::ActiveParameters::<Runtime>::get()
		}
	}

	impl pallet_tee_runtime_api::TeeApi<Block, AccountId, BlockNumber> for Runtime {
		fn tee_registration(account: AccountId) -> Option<pallet_tee::TeeView<BlockNumber>> {
			Tee::tee_view(account)
		}

		fn tee_policy() -> (Vec<pallet_tee::AllowedMeasurement>, opg_primitives::tee::TcbStatusSet) {
			(
				pallet_tee::AllowedMeasurements::<Runtime>::iter_values().collect(),
				pallet_tee::AcceptedTcbStatuses::<Runtime>::get(),
			)
		}

		fn tee_collateral(
			kind: opg_primitives::tee::TeeKind,
			fmspc: opg_primitives::tee::Fmspc,
			pck_ca: opg_primitives::tee::PckCa,
		) -> Option<(opg_primitives::tee::Freshness, u64)> {
			pallet_tee::TeeCollateral::<Runtime>::get((kind, fmspc, pck_ca))
				.map(|record| (record.freshness, record.expires_at))
		}
	}

	impl pallet_inference_runtime_api::InferenceApi<Block, AccountId, Balance, BlockNumber>
		for Runtime
	{
		fn job(job: JobId) -> Option<pallet_inference::JobView<AccountId, Balance, BlockNumber>> {
			Inference::job_view(job)
		}

		fn quote(
			requester: AccountId,
			model: ModelId,
			version: Option<VersionNumber>,
			input: Tensors,
			mode: InferenceMode,
		) -> Result<FeeQuote<Balance>, sp_runtime::DispatchError> {
			Inference::quote(&requester, model, version, &input, mode)
		}

		fn parameters() -> pallet_inference::Parameters<Balance, BlockNumber> {
			pallet_inference::ActiveParameters::<Runtime>::get()
		}
	}

	#[cfg(feature = "runtime-benchmarks")]
	impl frame_benchmarking::Benchmark<Block> for Runtime {
		fn benchmark_metadata(extra: bool) -> (
			Vec<frame_benchmarking::BenchmarkList>,
			Vec<frame_support::traits::StorageInfo>,
		) {
			use frame_benchmarking::{baseline, BenchmarkList};
			use frame_support::traits::StorageInfoTrait;
			use frame_system_benchmarking::Pallet as SystemBench;
			use frame_system_benchmarking::extensions::Pallet as SystemExtensionsBench;
			use baseline::Pallet as BaselineBench;
			use super::*;

			let mut list = Vec::<BenchmarkList>::new();
			list_benchmarks!(list, extra);

			let storage_info = AllPalletsWithSystem::storage_info();

			(list, storage_info)
		}

		#[allow(non_local_definitions)]
		fn dispatch_benchmark(
			config: frame_benchmarking::BenchmarkConfig
		) -> Result<Vec<frame_benchmarking::BenchmarkBatch>, alloc::string::String> {
			use frame_benchmarking::{baseline, BenchmarkBatch};
			use sp_storage::TrackedStorageKey;
			use frame_system_benchmarking::Pallet as SystemBench;
			use frame_system_benchmarking::extensions::Pallet as SystemExtensionsBench;
			use baseline::Pallet as BaselineBench;
			use super::*;

			impl frame_system_benchmarking::Config for Runtime {}
			impl baseline::Config for Runtime {}

			use frame_support::traits::WhitelistedStorageKeys;
			let whitelist: Vec<TrackedStorageKey> = AllPalletsWithSystem::whitelisted_storage_keys();

			let mut batches = Vec::<BenchmarkBatch>::new();
			let params = (&config, &whitelist);
			add_benchmarks!(params, batches);

			Ok(batches)
		}
	}

	#[cfg(feature = "try-runtime")]
	impl frame_try_runtime::TryRuntime<Block> for Runtime {
		fn on_runtime_upgrade(checks: frame_try_runtime::UpgradeCheckSelect) -> (Weight, Weight) {
			// A failing pre/post-upgrade check must stop the try-runtime run right here.
			#[allow(clippy::unwrap_used)]
			let weight = Executive::try_runtime_upgrade(checks).unwrap();
			(weight, super::configs::RuntimeBlockWeights::get().max_block)
		}

		fn execute_block(
			block: <Block as BlockT>::LazyBlock,
			state_root_check: bool,
			signature_check: bool,
			select: frame_try_runtime::TryStateSelect
		) -> Weight {
			let checks = !matches!(select, frame_try_runtime::TryStateSelect::None);
			#[allow(clippy::expect_used)]
			let weight = Executive::try_execute_block(block, state_root_check, signature_check, select)
				.expect("execute-block failed");
			if checks {
				#[allow(clippy::expect_used)]
				crate::invariants::check().expect("the cross-pallet invariants hold");
			}
			weight
		}
	}

	impl sp_genesis_builder::GenesisBuilder<Block> for Runtime {
		fn build_state(config: Vec<u8>) -> sp_genesis_builder::Result {
			build_state::<RuntimeGenesisConfig>(config)
		}

		fn get_preset(id: &Option<sp_genesis_builder::PresetId>) -> Option<Vec<u8>> {
			get_preset::<RuntimeGenesisConfig>(id, crate::genesis_config_presets::get_preset)
		}

		fn preset_names() -> Vec<sp_genesis_builder::PresetId> {
			crate::genesis_config_presets::preset_names()
		}
	}
}
