//! The node's service: client, database, networking, block production (BABE), finality
//! (GRANDPA), transaction pool, offchain workers and RPC, wired together.
//!
//! Blocks are imported through BABE's block import (which checks the author's slot claim and
//! VRF, tracks epochs and checks the inherents) wrapping GRANDPA's (which tracks the
//! authority set and justifications). BABE reads its configuration (slot duration, epoch
//! length, genesis authorities) from the runtime's genesis state once, when the node starts.

use futures::FutureExt;
use opg_primitives::inference::{InferenceEngine, InferenceExt, ProverExt, ZkProver};
use opg_runtime::{self, apis::RuntimeApi, opaque::Block};
use sc_client_api::{Backend, BlockBackend};
use sc_consensus_babe::{BabeWorkerHandle, SlotProportion};
use sc_consensus_grandpa::SharedVoterState;
use sc_service::{error::Error as ServiceError, Configuration, TaskManager, WarpSyncConfig};
use sc_telemetry::{Telemetry, TelemetryWorker};
use sc_transaction_pool_api::OffchainTransactionPoolFactory;
use sp_consensus_babe::SlotDuration;
use std::{sync::Arc, time::Duration};

/// Host functions the runtime may call: Substrate's own, OPG's BN254 arithmetic, inference
/// and proving functions and, in a benchmarking build, the benchmarking ones. Every function in
/// this tuple is linked for block import and offchain workers alike, so only deterministic
/// ones may do real work everywhere: the BN254 functions (`opg_bn_254`, consensus code: pure
/// functions of their arguments, which verify ZK proofs in blocks). Inference and proving are
/// not: `opg_inference::run` and `opg_zk_prover::prove` do their work through extensions
/// registered only for offchain workers (`OffchainWorkerOptions::custom_extensions`) and
/// answer `Unavailable` during block import, where the extensions are absent.
#[cfg(not(feature = "runtime-benchmarks"))]
pub type HostFunctions = (
	sp_io::SubstrateHostFunctions,
	opg_zk::host::opg_bn_254::HostFunctions,
	opg_primitives::inference::opg_inference::HostFunctions,
	opg_primitives::inference::opg_zk_prover::HostFunctions,
	opg_primitives::tee::opg_dcap::HostFunctions,
);
/// Host functions the runtime may call, with the benchmarking ones.
#[cfg(feature = "runtime-benchmarks")]
pub type HostFunctions = (
	sp_io::SubstrateHostFunctions,
	opg_zk::host::opg_bn_254::HostFunctions,
	opg_primitives::inference::opg_inference::HostFunctions,
	opg_primitives::inference::opg_zk_prover::HostFunctions,
	opg_primitives::tee::opg_dcap::HostFunctions,
	frame_benchmarking::benchmarking::HostFunctions,
);

/// What the node's offchain workers run with: the inference engine and the ZK prover (both
/// absent on a node started with `--no-inference`).
pub struct OffchainEngines {
	/// ONNX Runtime.
	pub engine: Option<Arc<dyn InferenceEngine>>,
	/// The Groth16 prover.
	pub prover: Option<Arc<dyn ZkProver>>,
}

/// The full client: executes the wasm runtime with [`HostFunctions`].
pub type FullClient =
	sc_service::TFullClient<Block, RuntimeApi, sc_executor::WasmExecutor<HostFunctions>>;
type FullBackend = sc_service::TFullBackend<Block>;
type FullSelectChain = sc_consensus::LongestChain<FullBackend, Block>;
type FullGrandpaBlockImport =
	sc_consensus_grandpa::GrandpaBlockImport<FullBackend, Block, FullClient, FullSelectChain>;
/// BABE's block import around GRANDPA's: what imports every block, authored here or not.
type FullBlockImport = sc_consensus_babe::BabeBlockImport<
	Block,
	FullClient,
	FullGrandpaBlockImport,
	SlotInherents,
	FullSelectChain,
>;

/// The inherent data providers of a block in a slot: the slot (which BABE checks against the
/// pre-digest's) and the timestamp.
type SlotInherentProviders =
	(sp_consensus_babe::inherents::InherentDataProvider, sp_timestamp::InherentDataProvider);

/// What creates a block's [`SlotInherentProviders`], for authoring and for checking imported
/// blocks' inherents.
type SlotInherents = Arc<
	dyn sp_inherents::CreateInherentDataProviders<
		Block,
		(),
		InherentDataProviders = SlotInherentProviders,
	>,
>;

/// [`SlotInherents`] from the system clock, on slots of `slot_duration`.
fn slot_inherents(slot_duration: SlotDuration) -> SlotInherents {
	Arc::new(move |_parent: <Block as sp_runtime::traits::Block>::Hash, ()| async move {
		let timestamp = sp_timestamp::InherentDataProvider::from_system_time();
		let slot =
			sp_consensus_babe::inherents::InherentDataProvider::from_timestamp_and_slot_duration(
				*timestamp,
				slot_duration,
			);
		Ok::<SlotInherentProviders, Box<dyn std::error::Error + Send + Sync>>((slot, timestamp))
	})
}

/// Blocks between two GRANDPA justifications that are imported and generated.
const GRANDPA_JUSTIFICATION_PERIOD: u32 = 512;

/// The parts of the service that subcommands need too.
pub type Service = sc_service::PartialComponents<
	FullClient,
	FullBackend,
	FullSelectChain,
	sc_consensus::DefaultImportQueue<Block>,
	sc_transaction_pool::TransactionPoolHandle<Block, FullClient>,
	(
		FullBlockImport,
		sc_consensus_grandpa::LinkHalf<Block, FullClient, FullSelectChain>,
		sc_consensus_babe::BabeLink<Block>,
		Option<Telemetry>,
	),
>;

/// Builds the client, database, import queue and transaction pool.
pub fn new_partial(config: &Configuration) -> Result<Service, ServiceError> {
	let telemetry = config
		.telemetry_endpoints
		.clone()
		.filter(|x| !x.is_empty())
		.map(|endpoints| -> Result<_, sc_telemetry::Error> {
			let worker = TelemetryWorker::new(16)?;
			let telemetry = worker.handle().new_telemetry(endpoints);
			Ok((worker, telemetry))
		})
		.transpose()?;

	let executor = sc_service::new_wasm_executor::<HostFunctions>(&config.executor);
	let (client, backend, keystore_container, task_manager) =
		sc_service::new_full_parts::<Block, RuntimeApi, _>(
			config,
			telemetry.as_ref().map(|(_, telemetry)| telemetry.handle()),
			executor,
			// No pruning filters: every block's state is pruned by the usual rules.
			Vec::new(),
		)?;
	let client = Arc::new(client);

	let telemetry = telemetry.map(|(worker, telemetry)| {
		task_manager.spawn_handle().spawn("telemetry", None, worker.run());
		telemetry
	});

	let select_chain = sc_consensus::LongestChain::new(backend.clone());

	let transaction_pool = Arc::from(
		sc_transaction_pool::Builder::new(
			task_manager.spawn_essential_handle(),
			client.clone(),
			config.role.is_authority().into(),
		)
		.with_options(config.transaction_pool.clone())
		.with_prometheus(config.prometheus_registry())
		.build(),
	);

	let (grandpa_block_import, grandpa_link) = sc_consensus_grandpa::block_import(
		client.clone(),
		GRANDPA_JUSTIFICATION_PERIOD,
		&client,
		select_chain.clone(),
		telemetry.as_ref().map(|x| x.handle()),
	)?;

	let babe_config = sc_consensus_babe::configuration(&*client)?;
	let slot_duration = babe_config.slot_duration();
	let (block_import, babe_link) = sc_consensus_babe::block_import(
		babe_config,
		grandpa_block_import.clone(),
		client.clone(),
		slot_inherents(slot_duration),
		select_chain.clone(),
		OffchainTransactionPoolFactory::new(transaction_pool.clone()),
	)?;

	let (import_queue, babe_worker_handle) =
		sc_consensus_babe::import_queue(sc_consensus_babe::ImportQueueParams {
			link: babe_link.clone(),
			block_import: block_import.clone(),
			justification_import: Some(Box::new(grandpa_block_import)),
			client: client.clone(),
			slot_duration,
			spawner: &task_manager.spawn_essential_handle(),
			registry: config.prometheus_registry(),
			telemetry: telemetry.as_ref().map(|x| x.handle()),
		})?;
	keep_babe_worker(&task_manager, babe_worker_handle);

	Ok(sc_service::PartialComponents {
		client,
		backend,
		task_manager,
		import_queue,
		keystore_container,
		select_chain,
		transaction_pool,
		other: (block_import, grandpa_link, babe_link, telemetry),
	})
}

/// Keeps the channel to BABE's epoch-data worker open as long as the node runs.
///
/// `sc_consensus_babe::import_queue` spawns that worker as an essential task which ends when
/// every handle to it is gone, and an essential task that ends stops the node. Its only
/// clients would be BABE's RPC methods, which this node does not serve, so the handle is held
/// by a task that lives as long as the task manager.
fn keep_babe_worker(task_manager: &TaskManager, handle: BabeWorkerHandle<Block>) {
	task_manager.spawn_handle().spawn("babe-worker-handle", None, async move {
		let _handle = handle;
		futures::future::pending::<()>().await
	});
}

/// The dev accounts whose role keys a dev chain's keystore holds.
const DEV_ROLE_KEY_SEEDS: [&str; 6] =
	["//Alice", "//Bob", "//Charlie", "//Dave", "//Eve", "//Ferdie"];

/// Puts dev role keys (key type `opgn`) into the keystore of a node started as a dev account
/// (`--alice`, `--bob`, ... or `--dev`, which means `--alice`): that account's key on any chain,
/// and on a development chain every dev account's key, since one `--dev` node runs all the
/// inference and verifier nodes its genesis registers. Keys already there are left alone.
fn insert_dev_role_keys(
	config: &Configuration,
	keystore: &sp_keystore::KeystorePtr,
) -> Result<(), ServiceError> {
	let Some(own_seed) = config.dev_key_seed.as_deref() else { return Ok(()) };
	let development = config.chain_spec.chain_type() == sc_chain_spec::ChainType::Development;
	let seeds: Vec<&str> = if development { DEV_ROLE_KEY_SEEDS.to_vec() } else { vec![own_seed] };
	for seed in seeds {
		keystore
			.sr25519_generate_new(opg_primitives::attestation::NODE_KEY_TYPE, Some(seed))
			.map_err(|e| ServiceError::Other(format!("cannot add dev role key {seed}: {e}")))?;
	}
	Ok(())
}

/// Builds and starts a full node: networking, RPC, offchain workers, and (for authorities)
/// BABE authoring and the GRANDPA voter.
pub fn new_full<
	N: sc_network::NetworkBackend<Block, <Block as sp_runtime::traits::Block>::Hash>,
>(
	config: Configuration,
	workers: OffchainEngines,
) -> Result<TaskManager, ServiceError> {
	let sc_service::PartialComponents {
		client,
		backend,
		mut task_manager,
		import_queue,
		keystore_container,
		select_chain,
		transaction_pool,
		other: (block_import, grandpa_link, babe_link, mut telemetry),
	} = new_partial(&config)?;
	insert_dev_role_keys(&config, &keystore_container.keystore())?;

	let mut net_config = sc_network::config::FullNetworkConfiguration::<
		Block,
		<Block as sp_runtime::traits::Block>::Hash,
		N,
	>::new(&config.network, config.prometheus_registry().cloned());
	let metrics = N::register_notification_metrics(config.prometheus_registry());

	let peer_store_handle = net_config.peer_store_handle();
	let genesis_hash = client
		.block_hash(0)
		.ok()
		.flatten()
		.ok_or_else(|| ServiceError::Other("the genesis block is missing".into()))?;
	let grandpa_protocol_name =
		sc_consensus_grandpa::protocol_standard_name(&genesis_hash, &config.chain_spec);
	let (grandpa_protocol_config, grandpa_notification_service) =
		sc_consensus_grandpa::grandpa_peers_set_config::<_, N>(
			grandpa_protocol_name.clone(),
			metrics.clone(),
			peer_store_handle,
		);
	net_config.add_notification_protocol(grandpa_protocol_config);

	let warp_sync = Arc::new(sc_consensus_grandpa::warp_proof::NetworkProvider::new(
		backend.clone(),
		grandpa_link.shared_authority_set().clone(),
		Vec::default(),
	));

	let (network, system_rpc_tx, tx_handler_controller, sync_service, _bitswap) =
		sc_service::build_network(sc_service::BuildNetworkParams {
			config: &config,
			net_config,
			client: client.clone(),
			transaction_pool: transaction_pool.clone(),
			spawn_handle: task_manager.spawn_handle(),
			spawn_essential_handle: task_manager.spawn_essential_handle(),
			import_queue,
			block_announce_validator_builder: None,
			warp_sync_config: Some(WarpSyncConfig::WithProvider(warp_sync)),
			block_relay: None,
			metrics,
			gap_sync_body_policy: None,
		})?;

	if config.offchain_worker.enabled {
		let offchain_workers =
			sc_offchain::OffchainWorkers::new(sc_offchain::OffchainWorkerOptions {
				runtime_api_provider: client.clone(),
				is_validator: config.role.is_authority(),
				keystore: Some(keystore_container.keystore()),
				offchain_db: backend.offchain_storage(),
				transaction_pool: Some(OffchainTransactionPoolFactory::new(
					transaction_pool.clone(),
				)),
				network_provider: Arc::new(network.clone()),
				enable_http_requests: true,
				// OPG's externalities extensions are registered for offchain worker runs only:
				// the ONNX Runtime engine and the prover (absent with --no-inference, and then
				// the host functions answer `Unavailable`).
				custom_extensions: move |_| {
					let engine = workers.engine.iter().map(|engine| {
						Box::new(InferenceExt(engine.clone()))
							as Box<dyn sp_externalities::Extension>
					});
					let prover = workers.prover.iter().map(|prover| {
						Box::new(ProverExt(prover.clone())) as Box<dyn sp_externalities::Extension>
					});
					engine.chain(prover).collect()
				},
			})?;
		task_manager.spawn_handle().spawn(
			"offchain-workers-runner",
			"offchain-worker",
			offchain_workers.run(client.clone(), task_manager.spawn_handle()).boxed(),
		);
	}

	let role = config.role;
	let force_authoring = config.force_authoring;
	let backoff_authoring_blocks: Option<()> = None;
	let name = config.network.node_name.clone();
	let enable_grandpa = !config.disable_grandpa;
	let prometheus_registry = config.prometheus_registry().cloned();

	let rpc_extensions_builder = {
		let client = client.clone();
		let pool = transaction_pool.clone();
		let offchain_db = backend.offchain_storage();

		Box::new(move |_| {
			let deps = crate::rpc::FullDeps {
				client: client.clone(),
				pool: pool.clone(),
				offchain_db: offchain_db.clone(),
			};
			crate::rpc::create_full(deps).map_err(Into::into)
		})
	};

	let _rpc_handlers = sc_service::spawn_tasks(sc_service::SpawnTasksParams {
		network: Arc::new(network.clone()),
		client: client.clone(),
		keystore: keystore_container.keystore(),
		task_manager: &mut task_manager,
		transaction_pool: transaction_pool.clone(),
		rpc_builder: rpc_extensions_builder,
		backend,
		system_rpc_tx,
		tx_handler_controller,
		sync_service: sync_service.clone(),
		config,
		telemetry: telemetry.as_mut(),
		tracing_execute_block: None,
	})?;

	if role.is_authority() {
		let proposer_factory = sc_basic_authorship::ProposerFactory::new(
			task_manager.spawn_handle(),
			client.clone(),
			transaction_pool.clone(),
			prometheus_registry.as_ref(),
			telemetry.as_ref().map(|x| x.handle()),
		);

		let slot_duration = babe_link.config().slot_duration();
		let babe = sc_consensus_babe::start_babe(sc_consensus_babe::BabeParams {
			keystore: keystore_container.keystore(),
			client,
			select_chain,
			env: proposer_factory,
			block_import,
			sync_oracle: sync_service.clone(),
			justification_sync_link: sync_service.clone(),
			create_inherent_data_providers: slot_inherents(slot_duration),
			force_authoring,
			backoff_authoring_blocks,
			babe_link,
			block_proposal_slot_portion: SlotProportion::new(2f32 / 3f32),
			max_block_proposal_slot_portion: None,
			telemetry: telemetry.as_ref().map(|x| x.handle()),
		})?;

		// Authoring is essential: if it fails, the node stops.
		task_manager.spawn_essential_handle().spawn_blocking("babe", Some("block-authoring"), babe);
	}

	if enable_grandpa {
		// Only authorities vote, and only they need the keystore.
		let keystore = if role.is_authority() { Some(keystore_container.keystore()) } else { None };

		let grandpa_config = sc_consensus_grandpa::Config {
			gossip_duration: Duration::from_millis(333),
			justification_generation_period: GRANDPA_JUSTIFICATION_PERIOD,
			name: Some(name),
			observer_enabled: false,
			keystore,
			local_role: role,
			telemetry: telemetry.as_ref().map(|x| x.handle()),
			protocol_name: grandpa_protocol_name,
		};

		let grandpa_params = sc_consensus_grandpa::GrandpaParams {
			config: grandpa_config,
			link: grandpa_link,
			network,
			sync: Arc::new(sync_service),
			notification_service: grandpa_notification_service,
			voting_rule: sc_consensus_grandpa::VotingRulesBuilder::default().build(),
			prometheus_registry,
			shared_voter_state: SharedVoterState::empty(),
			telemetry: telemetry.as_ref().map(|x| x.handle()),
			offchain_tx_pool_factory: OffchainTransactionPoolFactory::new(transaction_pool),
		};

		// The GRANDPA voter is essential: if it fails, the node stops.
		task_manager.spawn_essential_handle().spawn_blocking(
			"grandpa-voter",
			None,
			sc_consensus_grandpa::run_grandpa_voter(grandpa_params)?,
		);
	}

	Ok(task_manager)
}
