//! Chain specifications: `dev` and `local`, built from the runtime's genesis presets, and any
//! chain spec JSON file.

use opg_primitives::currency::{TOKEN_DECIMALS, TOKEN_SYMBOL};
use opg_runtime::WASM_BINARY;
use sc_service::{ChainType, Properties};

/// A chain spec of OPG chain.
pub type ChainSpec = sc_service::GenericChainSpec;

/// The token properties wallets and explorers read: OPG with 18 decimals.
fn properties() -> Properties {
	let mut properties = Properties::new();
	properties.insert("tokenSymbol".into(), TOKEN_SYMBOL.into());
	properties.insert("tokenDecimals".into(), TOKEN_DECIMALS.into());
	properties.insert("ss58Format".into(), 42.into());
	properties
}

fn wasm_binary() -> Result<&'static [u8], String> {
	WASM_BINARY.ok_or_else(|| {
		"this opg-node was built without its wasm runtime (SKIP_WASM_BUILD was set): rebuild \
		 without SKIP_WASM_BUILD"
			.to_string()
	})
}

/// The `dev` chain: Alice validates alone.
pub fn development_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name("OPG Development")
		.with_id("opg_dev")
		.with_chain_type(ChainType::Development)
		.with_genesis_config_preset_name(sp_genesis_builder::DEV_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}

/// The `test` chain: the `dev` chain on 2-second slots and 30-slot (one-minute) BABE epochs,
/// for the end-to-end tests (run it with `--dev --chain test`).
pub fn test_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name("OPG Test (2-second blocks)")
		.with_id("opg_test")
		.with_chain_type(ChainType::Development)
		.with_genesis_config_preset_name(opg_runtime::genesis_config_presets::TEST_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}

/// The `local` chain: Alice, Bob, Charlie and Dave validate (`scripts/network.sh` runs it).
pub fn local_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name("OPG Local Testnet")
		.with_id("opg_local")
		.with_chain_type(ChainType::Local)
		.with_genesis_config_preset_name(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}

/// Resolves a `--chain` value: `dev`, `test`, `local`, or the path of a chain spec JSON file.
pub fn load(id: &str) -> Result<Box<dyn sc_service::ChainSpec>, String> {
	Ok(match id {
		"dev" => Box::new(development_chain_spec()?),
		"test" => Box::new(test_chain_spec()?),
		"" | "local" => Box::new(local_chain_spec()?),
		path => {
			let file = std::path::PathBuf::from(path);
			if !file.is_file() {
				return Err(format!(
					"unknown chain `{path}`: use `dev`, `test`, `local`, or the path of a chain spec JSON \
					 file (export one with `opg-node export-chain-spec --chain dev`)"
				));
			}
			Box::new(
				ChainSpec::from_json_file(file).map_err(|e| {
					format!("chain spec file `{path}` is not a valid chain spec: {e}")
				})?,
			)
		}
	})
}
