//! `opg-node tee`: what an operator needs to register a TEE inference node. `quote` asks the
//! machine's TEE for a quote binding the node's enclave key, a recent block hash and the account
//! that will register it (through the kernel's configfs-tsm interface on a TDX or SGX host, or Gramine's `/dev/attestation` inside
//! an SGX enclave) and prints it with its measurement and platform family; `inspect` reads the
//! same from a quote file. Nothing here verifies: the chain does, at registration.

use std::path::{Path, PathBuf};

use codec::Encode;
use opg_primitives::tee::{bind_report_data, inspect_quote, EnclaveKey, Measurement};
use opg_runtime::AccountId;
use sp_core::{
	bytes::{from_hex, to_hex},
	crypto::Ss58Codec,
};

/// `opg-node tee`.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum TeeCmd {
	/// Obtain a quote from this machine's TEE whose report data binds `--enclave-key`,
	/// `--block-hash` (the hash of a block at most an hour old) and `--account` (the account that
	/// sends `Tee.register_tee`), and print it as JSON with the measurement to allow-list and the
	/// platform family (FMSPC and PCK certificate authority) to pass to `Tee.register_tee`.
	Quote(QuoteCmd),
	/// Print the measurement, report data and platform family of a quote file (binary or hex).
	Inspect(InspectCmd),
}

/// `opg-node tee quote`.
#[derive(Debug, Clone, clap::Args)]
pub struct QuoteCmd {
	/// The enclave's ed25519 public key (hex), the one in this node's keystore under key type
	/// `opgt` (`opg-node key insert --key-type opgt --scheme ed25519`).
	#[arg(long, value_name = "HEX")]
	pub enclave_key: String,
	/// The hash (hex) of a recent block of the chain to register on; its number goes to
	/// `register_tee` as `anchor`.
	#[arg(long, value_name = "HEX")]
	pub block_hash: String,
	/// The account that will send `Tee.register_tee` (this node's inference account): SS58, or
	/// 32 bytes of hex. The quote registers for this account only; any other account's copy of
	/// the registration is refused (`Tee.QuoteNotForCaller`).
	#[arg(long, value_name = "SS58|HEX")]
	pub account: String,
	/// The configfs-tsm report directory.
	#[arg(long, value_name = "DIR", default_value = "/sys/kernel/config/tsm/report")]
	pub tsm_dir: PathBuf,
	/// Gramine's attestation directory, used when configfs-tsm is absent.
	#[arg(long, value_name = "DIR", default_value = "/dev/attestation")]
	pub gramine_dir: PathBuf,
}

/// `opg-node tee inspect`.
#[derive(Debug, Clone, clap::Args)]
pub struct InspectCmd {
	/// The quote file: raw bytes, or hex text.
	pub quote: PathBuf,
}

impl TeeCmd {
	/// Runs the command; a message that says what to fix on failure.
	pub fn run(&self) -> Result<(), String> {
		match self {
			TeeCmd::Quote(cmd) => cmd.run(),
			TeeCmd::Inspect(cmd) => {
				let bytes = std::fs::read(&cmd.quote)
					.map_err(|e| format!("cannot read {}: {e}", cmd.quote.display()))?;
				let text = String::from_utf8_lossy(&bytes);
				let quote = from_hex(text.trim()).unwrap_or(bytes);
				println!("{}", describe(&quote, None)?);
				Ok(())
			}
		}
	}
}

impl QuoteCmd {
	fn run(&self) -> Result<(), String> {
		let (report_data, account) = self.report_data()?;
		let (quote, provider) = if self.tsm_dir.is_dir() {
			(quote_from_tsm(&self.tsm_dir, &report_data)?, "configfs-tsm")
		} else if self.gramine_dir.join("quote").exists() {
			(quote_from_gramine(&self.gramine_dir, &report_data)?, "gramine")
		} else {
			return Err(format!(
				"this machine has no TEE quote provider: neither {} (configfs-tsm: a TDX guest, \
				 or an SGX host, on Linux 6.7 or later with CONFIG_TSM_REPORTS) nor {}/quote \
				 (inside a Gramine SGX enclave) exists. Run the node inside a TDX trust domain or \
				 a Gramine enclave (see docs/tee.md); on a dev chain, register with the insecure \
				 dev enclave instead.",
				self.tsm_dir.display(),
				self.gramine_dir.display()
			));
		};
		println!("{}", describe(&quote, Some((provider, &account)))?);
		Ok(())
	}

	/// The report data to quote (`bind_report_data` of the key, the block hash and the
	/// account), and the account it binds.
	fn report_data(&self) -> Result<([u8; 64], AccountId), String> {
		let key = parse_32(&self.enclave_key, "--enclave-key")?;
		let block = parse_32(&self.block_hash, "--block-hash")?;
		let account = parse_account(&self.account)?;
		let key = EnclaveKey::from(sp_core::ed25519::Public::from_raw(key));
		Ok((bind_report_data(&key, &block.into(), &account), account))
	}
}

/// An account given as SS58 or as 32 bytes of hex.
fn parse_account(text: &str) -> Result<AccountId, String> {
	crate::options::hex_32(text)
		.map(AccountId::from)
		.or_else(|| AccountId::from_ss58check(text).ok())
		.ok_or_else(|| {
			format!("--account must be an SS58 address or 32 bytes of hex, got {text:?}")
		})
}

fn parse_32(text: &str, what: &str) -> Result<[u8; 32], String> {
	crate::options::hex_32(text)
		.ok_or_else(|| format!("{what} must be 32 bytes of hex, got {text:?}"))
}

/// A quote through configfs-tsm: a fresh report entry, the report data in `inblob`, the quote
/// out of `outblob`, the entry removed.
fn quote_from_tsm(dir: &Path, report_data: &[u8; 64]) -> Result<Vec<u8>, String> {
	let entry = dir.join(format!("opg-{}", std::process::id()));
	std::fs::create_dir(&entry)
		.map_err(|e| format!("cannot create {} (run as root?): {e}", entry.display()))?;
	let result = (|| {
		std::fs::write(entry.join("inblob"), report_data)
			.map_err(|e| format!("cannot write the report data: {e}"))?;
		std::fs::read(entry.join("outblob")).map_err(|e| format!("the TEE produced no quote: {e}"))
	})();
	let _ = std::fs::remove_dir(&entry);
	result
}

/// A quote inside a Gramine SGX enclave.
fn quote_from_gramine(dir: &Path, report_data: &[u8; 64]) -> Result<Vec<u8>, String> {
	std::fs::write(dir.join("user_report_data"), report_data)
		.map_err(|e| format!("cannot write Gramine's user_report_data: {e}"))?;
	std::fs::read(dir.join("quote")).map_err(|e| format!("Gramine produced no quote: {e}"))
}

/// A quote, its measurement (as JSON, and SCALE-encoded for `allow_measurement`), its
/// measurement id, report data and platform family; for a quote just obtained, the provider and
/// the account its report data binds.
fn describe(quote: &[u8], obtained: Option<(&str, &AccountId)>) -> Result<String, String> {
	let summary = inspect_quote(quote)
		.map_err(|_| "this is not an SGX or TDX quote (it does not parse)".to_string())?;
	let hex = |bytes: &[u8]| to_hex(bytes, false);
	let measurement = match &summary.measurement {
		Measurement::Sgx { mr_enclave, mr_signer } => serde_json::json!({
			"Sgx": { "mr_enclave": hex(mr_enclave), "mr_signer": hex(mr_signer) }
		}),
		Measurement::Tdx { mr_td, rtmr } => serde_json::json!({
			"Tdx": { "mr_td": hex(mr_td), "rtmr": rtmr.iter().map(|r| hex(r)).collect::<Vec<_>>() }
		}),
		Measurement::InsecureDevEnclave => serde_json::json!("InsecureDevEnclave"),
	};
	let value = serde_json::json!({
		"provider": obtained.map(|(provider, _)| provider),
		"account": obtained.map(|(_, account)| account.to_ss58check()),
		"tee": format!("{:?}", summary.measurement.kind()),
		"measurement": measurement,
		"measurement_scale": hex(&summary.measurement.encode()),
		"measurement_id": hex(summary.measurement.id().as_ref()),
		"fmspc": summary.platform.map(|(fmspc, _)| hex(&fmspc)),
		"pck_ca": summary.platform.map(|(_, ca)| format!("{ca:?}")),
		"report_data": hex(&summary.report_data),
		"quote": hex(quote),
	});
	serde_json::to_string_pretty(&value).map_err(|e| e.to_string())
}
