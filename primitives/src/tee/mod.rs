//! The vocabulary of TEE mode: enclave keys, measurements, TCB statuses, and the `opg_dcap`
//! host function that verifies Intel SGX and TDX quotes.
//!
//! A TEE node proves once, at registration, that it runs approved code on genuine hardware: an
//! Intel DCAP quote whose report data binds its enclave's result-signing key ([`EnclaveKey`]), a
//! recent block hash of this chain and the registering account ([`bind_report_data`]). The
//! runtime verifies the quote with [`opg_dcap::verify_quote`] against collateral registered for
//! the platform's family (FMSPC), checks the measurement against a governed allow-list and the
//! TCB status against governance's policy, and from then on accepts that node's TEE-mode results
//! on the enclave key's signature over [`TeeResultStatement`].
//!
//! Quote verification is `dcap-qvl`'s (Phala Network), run natively by the node: the crate
//! cannot be linked into the `no_std` wasm runtime. The host function is consensus code: a pure
//! function of (quote, collateral, root certificate, time) with bounded inputs and no I/O, with
//! `dcap-qvl` pinned to one exact version; a change that could change any result is a new
//! interface version, shipped in every validator's binary before a runtime calls it.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::KeyTypeId;
use sp_runtime_interface::{
	pass_by::{AllocateAndReturnByCodec, PassFatPointerAndRead},
	runtime_interface,
};

use crate::{inference::JobId, model::ContentId, Hash};

#[cfg(feature = "std")]
mod dcap;
#[cfg(feature = "std")]
pub use dcap::{inspect_quote, QuoteSummary};

/// The keystore type of an enclave's result-signing key: `opgt`. The key is created inside the
/// TEE (the node runs in the trust domain or enclave), bound into the quote's report data at
/// registration, and signs every TEE-mode result.
pub const ENCLAVE_KEY_TYPE: KeyTypeId = KeyTypeId(*b"opgt");

/// The enclave key's application crypto: ed25519 under [`ENCLAVE_KEY_TYPE`].
pub mod enclave_key {
	use sp_application_crypto::{app_crypto, ed25519};
	app_crypto!(ed25519, super::ENCLAVE_KEY_TYPE);
}

/// An enclave's result-signing key (public part).
pub type EnclaveKey = enclave_key::Public;
/// A signature by an enclave key.
pub type EnclaveSignature = enclave_key::Signature;

/// The most bytes of a quote the runtime takes: an SGX or TDX v4/v5 quote with its PCK
/// certificate chain is about 5 KiB.
pub const MAX_QUOTE_BYTES: u32 = 8 * 1024;
/// The most bytes of collateral (Intel's JSON form: TCB info, QE identity, CRLs and issuer
/// chains) the runtime takes: the samples are 14 to 24 KiB.
pub const MAX_COLLATERAL_BYTES: u32 = 48 * 1024;

/// Intel's SGX Root CA certificate (DER), the trust anchor of every quote and collateral. The
/// runtime pins it and passes it to the host function, so trusting another root is a runtime
/// upgrade.
pub const INTEL_ROOT_CA_DER: &[u8] = include_bytes!("intel_sgx_root_ca.der");

/// A platform family: Intel's FMSPC, from the PCK certificate. Collateral is per family and PCK
/// certificate authority.
pub type Fmspc = [u8; 6];

/// Which of Intel's two PCK certificate authorities issued a platform's certificate: each has its
/// own revocation list, so each has its own collateral.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum PckCa {
	/// Intel SGX PCK Processor CA (single-socket platforms).
	Processor,
	/// Intel SGX PCK Platform CA (multi-package platforms).
	Platform,
}

/// A TEE node's result signer, as the enclave registry reports it.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct EnclaveSigner {
	/// The registered enclave key.
	pub key: EnclaveKey,
	/// Whether it was registered through the dev chain's insecure enclave: no TEE vouches
	/// for it.
	pub insecure: bool,
}

/// The registry of trusted enclaves, as other pallets see it (pallet-tee implements it).
pub trait EnclaveRegistry<AccountId> {
	/// The enclave key `who` signs TEE-mode results with, while its TEE registration stands
	/// (registered with a verified quote, its measurement still allowed).
	fn enclave_signer(who: &AccountId) -> Option<EnclaveSigner>;

	/// `who` stopped being an inference node, or left: its TEE registration, if any, ends.
	/// The node registry calls it; the enclave registry gives the role back through
	/// [`crate::attestation::TeeRoles`].
	fn deregister(who: &AccountId);
}

/// No enclave is trusted.
impl<AccountId> EnclaveRegistry<AccountId> for () {
	fn enclave_signer(_: &AccountId) -> Option<EnclaveSigner> {
		None
	}

	fn deregister(_: &AccountId) {}
}

/// Which TEE produced a quote.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum TeeKind {
	/// Intel SGX: an enclave inside a process.
	Sgx,
	/// Intel TDX: a trust domain (a confidential VM).
	Tdx,
	/// No TEE at all: the dev chain's insecure stand-in.
	InsecureDev,
}

/// What code runs in a TEE, as the quote reports it: the thing governance allow-lists.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum Measurement {
	/// An SGX enclave: its code (MRENCLAVE) and its signer (MRSIGNER), both must match.
	Sgx {
		/// Hash of the enclave's initial code and data.
		mr_enclave: [u8; 32],
		/// Hash of the key that signed the enclave.
		mr_signer: [u8; 32],
	},
	/// A TDX trust domain: its build-time measurement and its four runtime registers (firmware,
	/// kernel and command line, and what the boot extends), all must match.
	Tdx {
		/// Measurement of the TD's initial contents (MRTD).
		mr_td: [u8; 48],
		/// RTMR0 to RTMR3.
		rtmr: [[u8; 48]; 4],
	},
	/// **Insecure**: no TEE, no quote, nothing measured. Only a chain whose genesis allows it
	/// (the dev chain) can put it on the allow-list, so the TEE job path can be shown on a
	/// machine without a TEE. Every event and runtime API answer about it says so.
	InsecureDevEnclave,
}

impl Measurement {
	/// The TEE this measurement is of.
	pub fn kind(&self) -> TeeKind {
		match self {
			Measurement::Sgx { .. } => TeeKind::Sgx,
			Measurement::Tdx { .. } => TeeKind::Tdx,
			Measurement::InsecureDevEnclave => TeeKind::InsecureDev,
		}
	}

	/// Whether this is the dev chain's insecure stand-in.
	pub fn is_insecure(&self) -> bool {
		matches!(self, Measurement::InsecureDevEnclave)
	}

	/// The key under which the allow-list keeps this measurement: its blake2-256 hash.
	pub fn id(&self) -> MeasurementId {
		Hash::from(sp_io::hashing::blake2_256(&self.encode()))
	}
}

/// A measurement's key in the allow-list: the blake2-256 of its SCALE encoding.
pub type MeasurementId = Hash;

/// A platform's TCB status as Intel's collateral rates it, from best to worst.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum TcbStatus {
	/// Patched and configured as Intel recommends.
	UpToDate,
	/// Up to date, but software mitigations for an advisory are needed.
	SwHardeningNeeded,
	/// Up to date, but the platform's configuration needs changing.
	ConfigurationNeeded,
	/// Both of the above.
	ConfigurationAndSwHardeningNeeded,
	/// A TDX 1.5 trust domain launched on an out-of-date TCB that has since been updated.
	TdRelaunchAdvised,
	/// The above, with configuration needed.
	TdRelaunchAdvisedConfigurationNeeded,
	/// Microcode or firmware is behind Intel's current TCB level.
	OutOfDate,
	/// Out of date, and the configuration needs changing.
	OutOfDateConfigurationNeeded,
	/// The platform's keys are revoked. Never acceptable.
	Revoked,
}

impl TcbStatus {
	/// Every status, in [`TcbStatusSet`]'s bit order.
	pub const ALL: [TcbStatus; 9] = [
		TcbStatus::UpToDate,
		TcbStatus::SwHardeningNeeded,
		TcbStatus::ConfigurationNeeded,
		TcbStatus::ConfigurationAndSwHardeningNeeded,
		TcbStatus::TdRelaunchAdvised,
		TcbStatus::TdRelaunchAdvisedConfigurationNeeded,
		TcbStatus::OutOfDate,
		TcbStatus::OutOfDateConfigurationNeeded,
		TcbStatus::Revoked,
	];

	const fn bit(self) -> u16 {
		1 << (self as u16)
	}
}

/// A set of [`TcbStatus`]es: the statuses governance accepts. `Revoked` can never be in it.
#[derive(
	Clone,
	Copy,
	Default,
	PartialEq,
	Eq,
	Encode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct TcbStatusSet(u16);

impl Decode for TcbStatusSet {
	fn decode<I: codec::Input>(input: &mut I) -> Result<Self, codec::Error> {
		let bits = u16::decode(input)?;
		if bits & !Self::VALID_BITS != 0 {
			return Err("TcbStatusSet has unknown or revoked bits".into());
		}
		Ok(TcbStatusSet(bits))
	}
}

impl TcbStatusSet {
	/// Every status but `Revoked`.
	const VALID_BITS: u16 = TcbStatus::Revoked.bit() - 1;

	/// A set of the given statuses (`Revoked` is left out).
	pub fn from_statuses(statuses: &[TcbStatus]) -> Self {
		TcbStatusSet(statuses.iter().fold(0, |bits, status| bits | status.bit()) & Self::VALID_BITS)
	}

	/// Whether `status` is in the set.
	pub const fn contains(self, status: TcbStatus) -> bool {
		self.0 & status.bit() != 0
	}

	/// The statuses in the set, in [`TcbStatus::ALL`]'s order.
	pub fn iter(self) -> impl Iterator<Item = TcbStatus> {
		TcbStatus::ALL.into_iter().filter(move |status| self.contains(*status))
	}
}

/// What a quote proves once verified: which TEE, what code, how well patched, on which
/// platform family, and the 64 bytes the enclave put in it.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct VerifiedQuote {
	/// The measurement of the code in the TEE.
	pub measurement: Measurement,
	/// The platform's TCB status under the collateral used.
	pub tcb_status: TcbStatus,
	/// The enclave's report data: [`bind_report_data`] for OPG registrations.
	pub report_data: [u8; 64],
	/// The platform family (from the PCK certificate).
	pub fmspc: Fmspc,
	/// The certificate authority of the platform's PCK certificate.
	pub pck_ca: PckCa,
	/// How fresh the collateral is, part by part.
	pub freshness: Freshness,
	/// Unix seconds: when the first part of the collateral (TCB info, QE identity, a CRL or a
	/// certificate) expires.
	pub collateral_expires_at: u64,
}

/// How fresh a collateral bundle is, part by part: what a refresh may never move backwards.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	Default,
)]
pub struct Freshness {
	/// Unix seconds: the TCB info's issue date.
	pub tcb_info_issued_at: u64,
	/// Unix seconds: the QE identity's issue date.
	pub qe_identity_issued_at: u64,
	/// The lower of the TCB info's and QE identity's TCB evaluation data numbers: Intel raises
	/// it with each TCB recovery.
	pub tcb_evaluation_data_number: u32,
}

impl Freshness {
	/// Whether `self` may replace `current`: no part older, and something newer. A bundle that
	/// only extends the expiry (fresh CRLs) counts as newer through `expires_at`.
	pub fn replaces(&self, expires_at: u64, current: &Freshness, current_expires_at: u64) -> bool {
		let no_part_older = self.tcb_info_issued_at >= current.tcb_info_issued_at
			&& self.qe_identity_issued_at >= current.qe_identity_issued_at
			&& self.tcb_evaluation_data_number >= current.tcb_evaluation_data_number;
		let something_newer = self != current || expires_at > current_expires_at;
		no_part_older && something_newer
	}
}

/// Why a quote did not verify.
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub enum DcapError {
	/// The quote is over [`MAX_QUOTE_BYTES`] or the collateral over [`MAX_COLLATERAL_BYTES`].
	TooLarge,
	/// The quote does not parse (truncated, corrupted, unknown version or TEE type).
	MalformedQuote,
	/// The collateral is not Intel's JSON collateral.
	MalformedCollateral,
	/// The collateral's TCB info, QE identity or a CRL expired before `now` (its `nextUpdate`).
	CollateralExpired,
	/// The collateral's TCB info, QE identity or a CRL is issued after `now`.
	CollateralNotYetValid,
	/// The quote or its collateral does not verify: a signature or certificate chain that does
	/// not lead to the pinned root, a revoked or expired certificate or CRL, collateral of
	/// another platform, a debug enclave, a revoked TCB. One error for every failure inside
	/// `dcap-qvl`, whose messages are not part of the interface.
	Untrusted,
}

/// The domain tag of the account mask in a registration's report data ([`account_mask`]).
pub const REPORT_DATA_TAG: &[u8; 19] = b"opg:tee-register:v1";

/// What masks the block hash in the report data of a quote that `account` registers:
/// `blake2_256("opg:tee-register:v1" ++ SCALE(account))` (for a 32-byte account id, its raw
/// bytes).
pub fn account_mask<AccountId: Encode>(account: &AccountId) -> [u8; 32] {
	sp_io::hashing::blake2_256(&(REPORT_DATA_TAG, account).encode())
}

/// The report data an OPG enclave puts in its quote for `account` to register it: its enclave
/// key, then the hash of a recent block of the chain it registers on, XORed with
/// [`account_mask`]`(account)`.
///
/// - The key is raw, so anyone can read it in a quote.
/// - The block hash names the chain (a quote for another chain binds another hash) and dates the
///   quote (the runtime accepts only recent blocks).
/// - The mask binds the registering account: read for any other account, the same bytes name a
///   block hash no chain has (matching one is a 256-bit preimage), so a registration copied
///   from the transaction pool by another account fails.
///
/// The account goes in as a mask rather than under a hash of the whole binding so that the
/// block half stays invertible: tests and benchmarks register `dcap-qvl`'s real sample quotes,
/// whose report data is fixed, by standing in the block hash the sample binds for their account
/// ([`read_report_data`]), as they stood in the sample's raw block hash before.
pub fn bind_report_data<AccountId: Encode>(
	key: &EnclaveKey,
	block_hash: &Hash,
	account: &AccountId,
) -> [u8; 64] {
	let mut data = [0u8; 64];
	let (first, second) = data.split_at_mut(32);
	first.copy_from_slice(key.as_ref());
	for ((out, block), mask) in
		second.iter_mut().zip(block_hash.as_bytes()).zip(account_mask(account))
	{
		*out = block ^ mask;
	}
	data
}

/// The key and the block hash that `report_data` binds for `account` (the inverse of
/// [`bind_report_data`] for that account). For any other account than the one the enclave
/// bound, the block hash read is one no chain has.
pub fn read_report_data<AccountId: Encode>(
	report_data: &[u8; 64],
	account: &AccountId,
) -> ([u8; 32], Hash) {
	let mut key = [0u8; 32];
	let mut block = [0u8; 32];
	let (first, second) = report_data.split_at(32);
	key.copy_from_slice(first);
	for ((out, bound), mask) in block.iter_mut().zip(second).zip(account_mask(account)) {
		*out = bound ^ mask;
	}
	(key, Hash::from(block))
}

/// What an enclave key signs to register without a quote (the dev chain's insecure enclave):
/// proof that the registering account holds the key, on the chain of `genesis`.
pub fn insecure_registration_message<Genesis: Encode, AccountId: Encode>(
	genesis: &Genesis,
	account: &AccountId,
) -> alloc::vec::Vec<u8> {
	(b"opg:tee-register:insecure-dev:v1", genesis, account).encode()
}

/// What an enclave signs, after the chain's genesis hash, to answer a TEE-mode job: the job, the
/// model's content id, and the hashes of the input and the output. No signature is good for
/// another job, another model's bytes, another input or another chain.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct TeeResultStatement {
	/// The job answered.
	pub job: JobId,
	/// The content id of the model version run.
	pub content_id: ContentId,
	/// blake2-256 of the job's SCALE-encoded input.
	pub input_hash: Hash,
	/// blake2-256 of the SCALE-encoded output.
	pub output_hash: Hash,
}

impl TeeResultStatement {
	/// The bytes the enclave key signs: a domain tag, the genesis hash of the chain, then the
	/// statement.
	pub fn signing_message<Genesis: Encode>(&self, genesis: &Genesis) -> alloc::vec::Vec<u8> {
		(b"opg:tee-result:v1", genesis, self).encode()
	}
}

/// What an enclave signs, after the chain's genesis hash, to report that the model cannot run on
/// a TEE-mode job's input: the job, the model's content id, the input's hash and the hash of
/// the engine's message. A refusal of a TEE job must come from the enclave, like its answers:
/// a node whose enclave is gone cannot refuse in its name.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct TeeFailureStatement {
	/// The job refused.
	pub job: JobId,
	/// The content id of the model version that could not run.
	pub content_id: ContentId,
	/// blake2-256 of the job's SCALE-encoded input.
	pub input_hash: Hash,
	/// blake2-256 of the engine's message.
	pub error_hash: Hash,
}

impl TeeFailureStatement {
	/// The bytes the enclave key signs: a domain tag, the genesis hash of the chain, then the
	/// statement.
	pub fn signing_message<Genesis: Encode>(&self, genesis: &Genesis) -> alloc::vec::Vec<u8> {
		(b"opg:tee-failure:v1", genesis, self).encode()
	}
}

/// Intel DCAP quote verification, run natively by the node (version 1: `dcap-qvl` 0.7.1).
#[runtime_interface]
pub trait OpgDcap {
	/// Verifies `quote` against `collateral` (Intel's JSON form) and the trust anchor `root_ca`
	/// (a DER certificate) at `now` (unix seconds), and returns what it proves. Pure: the same
	/// inputs give the same answer on every node.
	fn verify_quote(
		quote: PassFatPointerAndRead<&[u8]>,
		collateral: PassFatPointerAndRead<&[u8]>,
		root_ca: PassFatPointerAndRead<&[u8]>,
		now: u64,
	) -> AllocateAndReturnByCodec<Result<VerifiedQuote, DcapError>> {
		dcap::verify(quote, collateral, root_ca, now)
	}
}

/// The samples of `dcap-qvl` (see `samples/README.md`): real quotes and the collateral that
/// verifies them, for tests and benchmarks.
pub mod samples {
	/// A time (unix seconds, 2025-06-20T00:00:00Z) inside the validity window of both samples'
	/// collateral.
	pub const SAMPLE_TIME: u64 = 1_750_377_600;
	/// An SGX (v3) quote.
	pub const SGX_QUOTE: &[u8] = include_bytes!("samples/sgx_quote");
	/// Its collateral.
	pub const SGX_COLLATERAL: &[u8] = include_bytes!("samples/sgx_quote_collateral.json");
	/// A TDX (v4) quote.
	pub const TDX_QUOTE: &[u8] = include_bytes!("samples/tdx_quote");
	/// Its collateral.
	pub const TDX_COLLATERAL: &[u8] = include_bytes!("samples/tdx_quote_collateral.json");
}

#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod tests;
