//! The ZK key ceremony's commands (issue 35): the dev chain's insecure phase 1
//! (`zk-dev-ptau`), a version's initial key from its ONNX bytes and a pinned ptau file
//! (`zk-init`), one contribution with this machine's own randomness (`zk-contribute`), and the
//! check of a key against the initial key it claims to come from (`zk-verify-key`).
//!
//! None takes a seed: the initial key has no secret of anyone's, and a contribution's secret
//! comes from the operating system's generator and is gone when the command ends.

use std::path::{Path, PathBuf};

use opg_zk::{ceremony, groth16, ptau};
use sp_core::H256;

use crate::prover::{check_feasible, compile, hex, key_path, read, registry_limit, report};

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
	std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn create_dir(dir: &Path) -> Result<(), String> {
	std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))
}

fn parse_hash(text: &str, what: &str) -> Result<[u8; 32], String> {
	crate::options::hex_32(text).ok_or_else(|| format!("{what} must be 64 hex digits (32 bytes)"))
}

/// `opg-node zk-dev-ptau`: writes the **insecure** dev ptau the dev and test presets pin.
#[derive(Debug, Clone, clap::Args)]
pub struct ZkDevPtauCmd {
	/// Where to write it.
	#[arg(long, value_name = "FILE")]
	pub out: PathBuf,
}

impl ZkDevPtauCmd {
	/// Writes the file (its secrets come from a public seed: dev chains only) and prints its
	/// hash, which must be the dev presets' pin.
	pub fn run(&self) -> Result<(), String> {
		let phase1 = ptau::Phase1::insecure_for_tests(opg_zk::dev::POWER.into(), opg_zk::dev::SEED);
		let bytes = phase1.to_bytes();
		let hash = ptau::file_hash(&bytes);
		if hash != opg_zk::dev::FILE_HASH {
			return Err("this build's dev ptau differs from the one the dev presets pin".into());
		}
		write(&self.out, &bytes)?;
		println!(
			"{}",
			serde_json::json!({
				"file": self.out.display().to_string(),
				"power": opg_zk::dev::POWER,
				"hash": format!("0x{}", hex(&hash)),
				"insecure": "generated from a public seed: whoever knows it forges proofs; dev chains only",
			})
		);
		Ok(())
	}
}

/// `opg-node zk-init`: a version's initial key, the start of its ceremony.
#[derive(Debug, Clone, clap::Args)]
pub struct ZkInitCmd {
	/// The integer ONNX model.
	pub model: PathBuf,

	/// The powers-of-tau file the chain pins (a file of the public perpetual powers of tau; on
	/// a dev chain the one `zk-dev-ptau` writes).
	#[arg(long, value_name = "FILE")]
	pub ptau: PathBuf,

	/// The file's blake2-256 hash as the chain pins it (`ModelRegistry.Phase1`), 64 hex
	/// digits; the file is refused if it differs. Default: the dev presets' pin.
	#[arg(long, value_name = "HEX")]
	pub ptau_hash: Option<String>,

	/// Where to write `<init_hash>.pk` (the initial proving key, the ceremony's first head),
	/// `verifying_key.bin` (what the registry takes) and `setup.json` (this report, which the
	/// upload tool reads).
	#[arg(long, value_name = "DIR")]
	pub out: PathBuf,
}

impl ZkInitCmd {
	/// Computes and writes the initial key; prints the report with its files and hash.
	pub fn run(&self) -> Result<(), String> {
		let expected = match &self.ptau_hash {
			Some(text) => parse_hash(text, "--ptau-hash")?,
			None => opg_zk::dev::FILE_HASH,
		};
		let phase1 = ptau::load(&self.ptau, &expected).map_err(|e| e.to_string())?;
		let (_, circuit) = compile(&self.model)?;
		check_feasible(&circuit)?;
		let mut report = report(&circuit, registry_limit());
		let started = std::time::Instant::now();
		let key = groth16::initial_key(&circuit, &phase1).map_err(|e| e.to_string())?;
		let keys = groth16::Keys::from_proving_key(&key).map_err(|e| e.to_string())?;
		report.insert("init_ms".into(), (started.elapsed().as_secs_f64() * 1e3).into());
		create_dir(&self.out)?;
		let hash = H256(groth16::proving_key_hash(&keys.proving_key));
		let pk_path = key_path(&self.out, hash);
		let vk_path = self.out.join("verifying_key.bin");
		write(&pk_path, &keys.proving_key)?;
		write(&vk_path, &keys.verifying_key)?;
		report.insert("initial_key".into(), true.into());
		report.insert("ptau_hash".into(), format!("0x{}", hex(&expected)).into());
		report.insert("proving_key_bytes".into(), keys.proving_key.len().into());
		report.insert("proving_key_hash".into(), format!("0x{}", hex(&hash.0)).into());
		report.insert("proving_key_file".into(), pk_path.display().to_string().into());
		report.insert("verifying_key_file".into(), vk_path.display().to_string().into());
		let report = serde_json::Value::Object(report);
		write(&self.out.join("setup.json"), format!("{report:#}\n").as_bytes())?;
		println!("{report}");
		Ok(())
	}
}

/// `opg-node zk-contribute`: one contribution to a ceremony, with this machine's randomness.
#[derive(Debug, Clone, clap::Args)]
pub struct ZkContributeCmd {
	/// The key the contribution builds on: the ceremony's head (`<head>.pk`).
	#[arg(long, value_name = "FILE")]
	pub key: PathBuf,

	/// The chain's genesis hash, 64 hex digits.
	#[arg(long, value_name = "HEX")]
	pub genesis: String,

	/// The model.
	#[arg(long)]
	pub model: u32,

	/// The version.
	#[arg(long)]
	pub version: u32,

	/// The contribution's index in the transcript (the ceremony's `contributions`).
	#[arg(long)]
	pub index: u32,

	/// The contributor's account, SCALE-encoded, in hex (an `AccountId32`: its 32 bytes).
	#[arg(long, value_name = "HEX")]
	pub author: String,

	/// Where to write the new key, `<state_hash>.pk`.
	#[arg(long, value_name = "DIR")]
	pub out: PathBuf,
}

impl ZkContributeCmd {
	/// Contributes; prints the call's arguments (`head`, `contribution`, `state_hash`) and the
	/// new key's file. The secret is dropped when this returns.
	pub fn run(&self) -> Result<(), String> {
		let genesis = parse_hash(&self.genesis, "--genesis")?;
		let author = sp_core::bytes::from_hex(&self.author)
			.map_err(|_| "--author must be hex (the account's SCALE encoding)".to_string())?;
		let bytes = read(&self.key)?;
		let head = groth16::proving_key_hash(&bytes);
		let mut key = groth16::decode_proving_key(&bytes).map_err(|e| e.to_string())?;
		let context = ceremony::contribution_context(
			&genesis,
			self.model,
			self.version,
			self.index,
			&author,
			&head,
		);
		let started = std::time::Instant::now();
		let contribution = ceremony::contribute(&mut key, &context, &mut rand::rngs::OsRng);
		let contribute_ms = started.elapsed().as_secs_f64() * 1e3;
		// Over the parent's own bytes: what phase 2 leaves alone stays byte for byte.
		let state_bytes = ceremony::contributed_file(&bytes, &key)
			.map_err(|e| format!("the head's key is not a key file this chain takes: {e:?}"))?;
		let state = H256(groth16::proving_key_hash(&state_bytes));
		create_dir(&self.out)?;
		let path = key_path(&self.out, state);
		write(&path, &state_bytes)?;
		println!(
			"{}",
			serde_json::json!({
				"head": format!("0x{}", hex(&head)),
				"contribution": format!("0x{}", hex(&ceremony::encode_contribution(&contribution))),
				"state_hash": format!("0x{}", hex(&state.0)),
				"key_file": path.display().to_string(),
				"state_bytes": state_bytes.len(),
				"contribute_ms": contribute_ms,
			})
		);
		Ok(())
	}
}

/// `opg-node zk-verify-key`: checks a ceremony's key against the initial key it claims to
/// come from, as a prover does before it attests.
#[derive(Debug, Clone, clap::Args)]
pub struct ZkVerifyKeyCmd {
	/// The initial key (from `zk-init`, which anyone can recompute from the model and the
	/// pinned ptau).
	#[arg(long, value_name = "FILE")]
	pub initial: PathBuf,

	/// The key to check (the ceremony's head).
	#[arg(long, value_name = "FILE")]
	pub key: PathBuf,
}

impl ZkVerifyKeyCmd {
	/// Fails, naming the broken part, unless the key is the initial key after contributions.
	pub fn run(&self) -> Result<(), String> {
		let initial =
			groth16::decode_proving_key(&read(&self.initial)?).map_err(|e| e.to_string())?;
		let bytes = read(&self.key)?;
		let key = groth16::decode_proving_key(&bytes).map_err(|e| e.to_string())?;
		let started = std::time::Instant::now();
		ceremony::verify_transition(&initial, &key, &mut rand::rngs::OsRng)
			.map_err(|e| format!("the key does not come from the initial key: {e:?}"))?;
		println!(
			"{}",
			serde_json::json!({
				"verified": true,
				"state_hash": format!("0x{}", hex(&groth16::proving_key_hash(&bytes))),
				"verify_ms": started.elapsed().as_secs_f64() * 1e3,
			})
		);
		Ok(())
	}
}

/// `opg-node zk-find-fault`: where a contribution's key state breaks phase 2 against its
/// parent (what `ZkCeremony.challenge_state` shows on chain).
#[derive(Debug, Clone, clap::Args)]
pub struct ZkFindFaultCmd {
	/// The state before the contribution (the initial key, or the previous contribution's).
	#[arg(long, value_name = "FILE")]
	pub parent: PathBuf,

	/// The contribution's state.
	#[arg(long, value_name = "FILE")]
	pub child: PathBuf,

	/// The contribution's `delta` in G1 as the chain holds it (uncompressed, 128 hex digits).
	#[arg(long, value_name = "HEX")]
	pub delta_g1: String,

	/// The contribution's `delta` in G2 as the chain holds it (uncompressed, 256 hex digits).
	#[arg(long, value_name = "HEX")]
	pub delta_g2: String,
}

impl ZkFindFaultCmd {
	/// Prints `{"fault": <byte offset>, "length": <bytes the chain reads there>}`, or
	/// `{"fault": null}` when the state is right.
	pub fn run(&self) -> Result<(), String> {
		let delta = |text: &str, flag: &str| {
			sp_core::bytes::from_hex(text).map_err(|_| format!("{flag} must be hex"))
		};
		let (delta_g1, delta_g2) =
			(delta(&self.delta_g1, "--delta-g1")?, delta(&self.delta_g2, "--delta-g2")?);
		let parent = read(&self.parent)?;
		let started = std::time::Instant::now();
		let fault = ceremony::find_fault(
			&parent,
			&read(&self.child)?,
			(&delta_g1, &delta_g2),
			&mut rand::rngs::OsRng,
		)
		.map_err(|e| format!("the parent state is not a key this ceremony could have: {e:?}"))?;
		// The bytes the chain reads there: a whole point of H or L, else the one byte.
		let length = fault
			.and_then(|offset| ceremony::StateLayout::of_file(&parent)?.part(offset))
			.map(|part| match part {
				ceremony::StatePart::Divided { .. } => ceremony::G1_LEN,
				_ => 1,
			});
		println!(
			"{}",
			serde_json::json!({
				"fault": fault,
				"length": length,
				"check_ms": started.elapsed().as_secs_f64() * 1e3,
			})
		);
		Ok(())
	}
}
