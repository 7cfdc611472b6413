//! Genesis presets: `development` (one validator, Alice), `test` (the same on 2-second slots,
//! for the automated tests) and `local_testnet` (four validators, Alice to Dave, so that
//! GRANDPA finalizes with any one of them down). Each validator is a BABE authority (its
//! sr25519 key) and a GRANDPA voter (its ed25519 key); BABE runs
//! [`crate::BABE_GENESIS_EPOCH_CONFIG`] on epochs of each preset's length.
//! Both endow the well-known dev accounts with OPG and make Alice the sudo key; public networks
//! get their own chain spec without a sudo key. `development` runs the referendum tracks on
//! development periods (a few blocks); `local_testnet`, like a public network, on production
//! periods (the default), so a spec derived from it cannot carry minute-long referenda.

use crate::{
	configs::{
		attestations::dev_parameters, governance::origins::Timing,
		inference::dev_parameters as inference_dev_parameters,
		nodes::dev_parameters as nodes_dev_parameters,
	},
	AccountId, AttestationsConfig, Balance, BalancesConfig, InferenceConfig, ModelRegistryConfig,
	NodesConfig, OriginsConfig, RuntimeGenesisConfig, SlotsConfig, SudoConfig, TeeConfig,
	BABE_GENESIS_EPOCH_CONFIG, MILLI_SECS_PER_BLOCK, OPG,
};
use alloc::{string::String, vec, vec::Vec};
use frame_support::build_struct_json_patch;
use opg_primitives::attestation::{NodeRole, RoleSet};
use pallet_nodes::GenesisNode;
use serde_json::Value;
use sp_consensus_babe::AuthorityId as BabeId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::{self, PresetId};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

/// What each endowed dev account starts with: one million OPG.
pub const ENDOWMENT: Balance = 1_000_000 * OPG;

/// What each dev node bonds: 10,000 OPG, ten times the dev minimum of its role.
pub const NODE_BOND: Balance = 10_000 * OPG;

/// The dev data nodes' endpoint: the node's own RPC, which serves model bytes.
const DEV_DATA_ENDPOINT: &[u8] = b"http://127.0.0.1:9944";

/// A dev node: `keyring`'s account with `roles`, its role key the same `//Name` sr25519 key
/// (which `opg-node` puts in the keystore of a dev chain), bonding [`NODE_BOND`].
fn dev_node(keyring: Sr25519Keyring, roles: &[NodeRole]) -> GenesisNode<AccountId, Balance> {
	let roles = RoleSet::from_roles(roles);
	let endpoint = roles.contains(NodeRole::Data).then(|| DEV_DATA_ENDPOINT.to_vec());
	(keyring.to_account_id(), roles, keyring.public().into(), endpoint, NODE_BOND)
}

/// The nodes of the `development` preset: Alice runs inference and serves data; Bob, Charlie,
/// Dave and Eve verify (a committee of three, with one to spare for a challenger).
pub fn dev_nodes() -> Vec<GenesisNode<AccountId, Balance>> {
	use NodeRole::*;
	vec![
		dev_node(Sr25519Keyring::Alice, &[Inference, Data]),
		dev_node(Sr25519Keyring::Bob, &[Verifier]),
		dev_node(Sr25519Keyring::Charlie, &[Verifier]),
		dev_node(Sr25519Keyring::Dave, &[Verifier]),
		dev_node(Sr25519Keyring::Eve, &[Verifier]),
	]
}

/// The nodes of the `local_testnet` preset, as `scripts/network.sh` runs them: the validator
/// Alice also runs inference, so losing a validator also loses an inference node; Eve runs a
/// separate inference node and Ferdie a separate verifier node (committees of one). Data nodes
/// register at run time, since their endpoints are the addresses they are started on.
pub fn local_nodes() -> Vec<GenesisNode<AccountId, Balance>> {
	use NodeRole::*;
	vec![
		dev_node(Sr25519Keyring::Alice, &[Inference]),
		dev_node(Sr25519Keyring::Eve, &[Inference]),
		dev_node(Sr25519Keyring::Ferdie, &[Verifier]),
	]
}

/// The `test` preset's slot duration: 2 s, a third of production's.
pub const TEST_SLOT_DURATION: u64 = 2_000;

/// The `local_testnet` preset's epoch length, as a production chain's: 600 slots, an hour.
pub const LOCAL_EPOCH_LENGTH: u64 = crate::configs::consensus::DEFAULT_EPOCH_LENGTH;

/// The `development` preset's epoch length: 100 slots of 6 s, ten minutes, so that a dev chain
/// run for a while goes through epoch changes.
pub const DEV_EPOCH_LENGTH: u64 = 100;

/// The `test` preset's epoch length: 30 slots of 2 s, a minute, so that the end-to-end tests,
/// which run for minutes on one chain, cross several epoch changes (new epoch randomness, the
/// same authorities) while they work.
pub const TEST_EPOCH_LENGTH: u64 = 30;

/// A genesis with the given validators, endowed accounts, sudo key, model approval rule,
/// nodes, committee size, governance timing, whether governance may allow the insecure dev
/// enclave (TEE mode without a TEE: the `development` and `test` presets only), slot
/// duration in milliseconds and epoch length in slots.
fn testnet_genesis(
	initial_authorities: Vec<(BabeId, GrandpaId)>,
	endowed_accounts: Vec<AccountId>,
	root: AccountId,
	approval_required: bool,
	nodes: Vec<GenesisNode<AccountId, Balance>>,
	committee_size: u32,
	timing: Timing,
	allow_insecure_dev_enclave: bool,
	slot_duration: u64,
	epoch_length: u64,
) -> Value {
	build_struct_json_patch!(RuntimeGenesisConfig {
		slots: SlotsConfig { slot_duration, epoch_length },
		balances: BalancesConfig {
			balances: endowed_accounts
				.iter()
				.cloned()
				.map(|account| (account, ENDOWMENT))
				.collect::<Vec<_>>(),
		},
		babe: pallet_babe::GenesisConfig {
			authorities: initial_authorities.iter().map(|x| (x.0.clone(), 1)).collect::<Vec<_>>(),
			epoch_config: BABE_GENESIS_EPOCH_CONFIG,
		},
		grandpa: pallet_grandpa::GenesisConfig {
			authorities: initial_authorities.iter().map(|x| (x.1.clone(), 1)).collect::<Vec<_>>(),
		},
		sudo: SudoConfig { key: Some(root) },
		model_registry: ModelRegistryConfig {
			approval_required,
			// The insecure dev ptau only where the insecure dev enclave is allowed: a chain
			// that is not a dev chain pins the public ceremony's files by governance.
			phase1: allow_insecure_dev_enclave.then(dev_phase1),
			insecure_zk_setup: allow_insecure_dev_enclave,
		},
		attestations: AttestationsConfig {
			parameters: Some(pallet_attestations::Parameters {
				committee_size,
				..dev_parameters()
			}),
		},
		nodes: NodesConfig { parameters: Some(nodes_dev_parameters()), nodes },
		tee: TeeConfig { allow_insecure_dev_enclave },
		inference: InferenceConfig { parameters: Some(inference_dev_parameters()) },
		origins: OriginsConfig { timing },
	})
}

/// **INSECURE.** The dev chains' phase 1: the dev ptau (`opg_zk::dev`), whose secrets anyone
/// can compute from its public seed. A public network's spec pins a file of the public
/// perpetual powers of tau instead (`docs/zk.md`).
fn dev_phase1() -> opg_primitives::model::Phase1Pin {
	use sp_runtime::BoundedVec;
	opg_primitives::model::Phase1Pin {
		alpha_g1: BoundedVec::truncate_from(opg_zk::dev::ALPHA_G1.to_vec()),
		beta_g2: BoundedVec::truncate_from(opg_zk::dev::BETA_G2.to_vec()),
		files: BoundedVec::truncate_from(vec![(opg_zk::dev::POWER, opg_zk::dev::FILE_HASH.into())]),
	}
}

fn authority(keyring: Sr25519Keyring, grandpa: Ed25519Keyring) -> (BabeId, GrandpaId) {
	(keyring.public().into(), grandpa.public().into())
}

/// The dev accounts (Alice to Ferdie and their stashes).
fn dev_accounts() -> Vec<AccountId> {
	Sr25519Keyring::iter()
		.filter(|v| v != &Sr25519Keyring::One && v != &Sr25519Keyring::Two)
		.map(|v| v.to_account_id())
		.collect()
}

/// The development chain on slots of `slot_duration` milliseconds and epochs of
/// `epoch_length` slots: Alice validates alone; models run without approval.
fn single_validator_genesis(slot_duration: u64, epoch_length: u64) -> Value {
	testnet_genesis(
		vec![authority(Sr25519Keyring::Alice, Ed25519Keyring::Alice)],
		dev_accounts(),
		Sr25519Keyring::Alice.to_account_id(),
		false,
		dev_nodes(),
		3,
		Timing::Development,
		true,
		slot_duration,
		epoch_length,
	)
}

/// The `development` preset: Alice validates alone, on 6-second slots and
/// [`DEV_EPOCH_LENGTH`] epochs; models run without approval.
pub fn development_config_genesis() -> Value {
	single_validator_genesis(MILLI_SECS_PER_BLOCK, DEV_EPOCH_LENGTH)
}

/// The `test` preset: the `development` chain on [`TEST_SLOT_DURATION`] slots and
/// [`TEST_EPOCH_LENGTH`] epochs. Every period is counted in blocks, so the end-to-end tests that
/// wait for challenge windows, verifier rounds and referendum periods wait a third as long;
/// `scripts/run-dev.sh` keeps 6-second blocks.
pub fn test_config_genesis() -> Value {
	single_validator_genesis(TEST_SLOT_DURATION, TEST_EPOCH_LENGTH)
}

/// The `local_testnet` preset: Alice, Bob, Charlie and Dave validate (GRANDPA needs three of
/// the four) on 6-second slots and [`LOCAL_EPOCH_LENGTH`] epochs; models need approval and referenda take production periods, as on a public
/// network (sudo approves on this test chain).
pub fn local_config_genesis() -> Value {
	testnet_genesis(
		vec![
			authority(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
			authority(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
			authority(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
			authority(Sr25519Keyring::Dave, Ed25519Keyring::Dave),
		],
		dev_accounts(),
		Sr25519Keyring::Alice.to_account_id(),
		true,
		local_nodes(),
		1,
		Timing::Production,
		false,
		MILLI_SECS_PER_BLOCK,
		LOCAL_EPOCH_LENGTH,
	)
}

/// The name of the [`test_config_genesis`] preset.
pub const TEST_RUNTIME_PRESET: &str = "test";

/// The JSON genesis patch of preset `id`, if there is one.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_config_genesis(),
		TEST_RUNTIME_PRESET => test_config_genesis(),
		_ => return None,
	};
	serde_json::to_string(&patch).ok().map(String::into_bytes)
}

/// The names of the presets.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
		PresetId::from(TEST_RUNTIME_PRESET),
	]
}
