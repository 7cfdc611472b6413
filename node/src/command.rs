//! Dispatches the command line to the node or a subcommand.

use crate::{
	chain_spec,
	cli::{Cli, Subcommand},
	service,
};
use opg_primitives::inference::InferenceEngine;
use sc_cli::SubstrateCli;
use sc_service::{Configuration, PartialComponents};

impl SubstrateCli for Cli {
	fn impl_name() -> String {
		"OPG Node".into()
	}

	fn impl_version() -> String {
		env!("SUBSTRATE_CLI_IMPL_VERSION").into()
	}

	fn description() -> String {
		env!("CARGO_PKG_DESCRIPTION").into()
	}

	fn author() -> String {
		env!("CARGO_PKG_AUTHORS").into()
	}

	fn support_url() -> String {
		"https://opg.invalid/opg-chain/issues".into()
	}

	fn copyright_start_year() -> i32 {
		2026
	}

	fn load_spec(&self, id: &str) -> Result<Box<dyn sc_service::ChainSpec>, String> {
		chain_spec::load(id)
	}
}

/// The model registry's data layer writes model bytes into every node's off-chain database
/// through offchain indexing, so indexing is on unless the operator passed
/// `--enable-offchain-indexing false` explicitly.
fn enable_offchain_indexing_by_default(config: &mut Configuration) {
	let set_explicitly = std::env::args().any(|arg| arg.starts_with("--enable-offchain-indexing"));
	if !set_explicitly {
		config.offchain_worker.indexing_enabled = true;
	}
}

/// Parses the command line and runs what it asks for.
pub fn run() -> sc_cli::Result<()> {
	let cli = Cli::from_args();

	match &cli.subcommand {
		Some(Subcommand::Key(cmd)) => cmd.run(&cli),
		#[allow(deprecated)]
		Some(Subcommand::BuildSpec(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run(config.chain_spec, config.network))
		}
		Some(Subcommand::ExportChainSpec(cmd)) => {
			let spec = cli.load_spec(&cmd.chain)?;
			cmd.run(spec)
		}
		Some(Subcommand::CheckBlock(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|mut config| {
				enable_offchain_indexing_by_default(&mut config);
				let PartialComponents { client, task_manager, import_queue, .. } =
					service::new_partial(&config)?;
				Ok((cmd.run(client, import_queue), task_manager))
			})
		}
		Some(Subcommand::ExportBlocks(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, .. } = service::new_partial(&config)?;
				Ok((cmd.run(client, config.database), task_manager))
			})
		}
		Some(Subcommand::ExportState(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, .. } = service::new_partial(&config)?;
				Ok((cmd.run(client, config.chain_spec), task_manager))
			})
		}
		Some(Subcommand::ImportBlocks(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|mut config| {
				enable_offchain_indexing_by_default(&mut config);
				let PartialComponents { client, task_manager, import_queue, .. } =
					service::new_partial(&config)?;
				Ok((cmd.run(client, import_queue), task_manager))
			})
		}
		Some(Subcommand::PurgeChain(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run(config.database))
		}
		Some(Subcommand::Revert(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, backend, .. } =
					service::new_partial(&config)?;
				let aux_revert =
					Box::new(|client: std::sync::Arc<service::FullClient>, backend, blocks| {
						sc_consensus_babe::revert(client.clone(), backend, blocks)?;
						sc_consensus_grandpa::revert(client, blocks)?;
						Ok(())
					});
				Ok((cmd.run(client, backend, Some(aux_revert)), task_manager))
			})
		}
		#[cfg(feature = "runtime-benchmarks")]
		Some(Subcommand::Benchmark(cmd)) => run_benchmark(&cli, cmd),
		#[cfg(not(feature = "runtime-benchmarks"))]
		Some(Subcommand::Benchmark(cmd)) => Err(sc_cli::Error::Input(cmd.error())),
		Some(Subcommand::ChainInfo(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run::<opg_runtime::Block>(&config))
		}
		Some(Subcommand::RunModel(cmd)) => cmd.run(&cli.inference).map_err(sc_cli::Error::Input),
		Some(Subcommand::ZkReport(cmd)) => cmd.run().map_err(sc_cli::Error::Input),
		Some(Subcommand::ZkSetup(cmd)) => cmd.run().map_err(sc_cli::Error::Input),
		Some(Subcommand::ZkProve(cmd)) => cmd.run(&cli.inference).map_err(sc_cli::Error::Input),
		Some(Subcommand::ZkDevPtau(cmd)) => cmd.run().map_err(sc_cli::Error::Input),
		Some(Subcommand::ZkInit(cmd)) => cmd.run().map_err(sc_cli::Error::Input),
		Some(Subcommand::ZkContribute(cmd)) => cmd.run().map_err(sc_cli::Error::Input),
		Some(Subcommand::ZkVerifyKey(cmd)) => cmd.run().map_err(sc_cli::Error::Input),
		Some(Subcommand::ZkFindFault(cmd)) => cmd.run().map_err(sc_cli::Error::Input),
		Some(Subcommand::Tee(cmd)) => cmd.run().map_err(sc_cli::Error::Input),
		None => {
			let runner = cli.create_runner(&cli.run)?;
			// ONNX Runtime is loaded before anything starts, so a missing library is one clear
			// error now and never a failure inside an offchain worker.
			let engine = cli.inference.engine().map_err(sc_cli::Error::Input)?;
			let engine = engine
				.map(|engine| std::sync::Arc::new(engine) as std::sync::Arc<dyn InferenceEngine>);
			let zk_keys = cli.inference.zk_keys.clone();
			let zk_ptau = cli.inference.zk_ptau.clone();
			runner.run_node_until_exit(|mut config| async move {
				enable_offchain_indexing_by_default(&mut config);
				// An inference node proves ZK jobs too, with the keys it holds.
				let keys = zk_keys.unwrap_or_else(|| config.base_path.path().join("zk-keys"));
				let workers = service::OffchainEngines {
					prover: engine.as_ref().map(|_| {
						log::info!("🔏 ZK prover: proving keys from {}", keys.display());
						std::sync::Arc::new(crate::prover::Groth16Prover::new(keys, zk_ptau))
							as std::sync::Arc<dyn opg_primitives::inference::ZkProver>
					}),
					engine,
				};
				match config.network.network_backend {
					sc_network::config::NetworkBackendType::Libp2p => service::new_full::<
						sc_network::NetworkWorker<
							opg_runtime::opaque::Block,
							<opg_runtime::opaque::Block as sp_runtime::traits::Block>::Hash,
						>,
					>(config, workers)
					.map_err(sc_cli::Error::Service),
					sc_network::config::NetworkBackendType::Litep2p => {
						service::new_full::<sc_network::Litep2pNetworkBackend>(config, workers)
							.map_err(sc_cli::Error::Service)
					}
				}
			})
		}
	}
}

/// Runs a `benchmark` subcommand (builds with `runtime-benchmarks` only).
#[cfg(feature = "runtime-benchmarks")]
fn run_benchmark(cli: &Cli, cmd: &frame_benchmarking_cli::BenchmarkCmd) -> sc_cli::Result<()> {
	use crate::benchmarking::{inherent_benchmark_data, RemarkBuilder, TransferKeepAliveBuilder};
	use frame_benchmarking_cli::{BenchmarkCmd, ExtrinsicFactory, SUBSTRATE_REFERENCE_HARDWARE};
	use opg_runtime::{Block, EXISTENTIAL_DEPOSIT};
	use sp_keyring::Sr25519Keyring;

	let runner = cli.create_runner(cmd)?;
	runner.sync_run(|config| match cmd {
		BenchmarkCmd::Pallet(cmd) => cmd
			.run_with_spec::<sp_runtime::traits::HashingFor<Block>, service::HostFunctions>(Some(
				config.chain_spec,
			)),
		BenchmarkCmd::Block(cmd) => {
			let PartialComponents { client, .. } = service::new_partial(&config)?;
			cmd.run(client)
		}
		BenchmarkCmd::Storage(cmd) => {
			let PartialComponents { client, backend, .. } = service::new_partial(&config)?;
			let db = backend.expose_db();
			let storage = backend.expose_storage();
			let shared_cache = backend.expose_shared_trie_cache();
			cmd.run(config, client, db, storage, shared_cache)
		}
		BenchmarkCmd::Overhead(cmd) => {
			let PartialComponents { client, .. } = service::new_partial(&config)?;
			let ext_builder = RemarkBuilder::new(client.clone());
			cmd.run(
				config.chain_spec.name().into(),
				client,
				inherent_benchmark_data()?,
				Vec::new(),
				&ext_builder,
				false,
			)
		}
		BenchmarkCmd::Extrinsic(cmd) => {
			let PartialComponents { client, .. } = service::new_partial(&config)?;
			let ext_factory = ExtrinsicFactory(vec![
				Box::new(RemarkBuilder::new(client.clone())),
				Box::new(TransferKeepAliveBuilder::new(
					client.clone(),
					Sr25519Keyring::Alice.to_account_id(),
					EXISTENTIAL_DEPOSIT,
				)),
			]);
			cmd.run(client, inherent_benchmark_data()?, Vec::new(), &ext_factory)
		}
		BenchmarkCmd::Machine(cmd) => cmd.run(&config, SUBSTRATE_REFERENCE_HARDWARE.clone()),
	})
}
