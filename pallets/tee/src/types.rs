//! The pallet's stored records, the evidence its calls take, and what the runtime API shows.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{pallet_prelude::ConstU32, BoundedVec};
use opg_primitives::tee::{
	EnclaveKey, EnclaveSignature, Fmspc, Freshness, Measurement, MeasurementId, PckCa, TcbStatus,
	TeeKind,
};
use scale_info::TypeInfo;

/// A quote, as the calls take it.
pub type QuoteBytes = BoundedVec<u8, ConstU32<{ opg_primitives::tee::MAX_QUOTE_BYTES }>>;
/// Collateral in Intel's JSON form, as the calls take and storage keeps it.
pub type CollateralBytes = BoundedVec<u8, ConstU32<{ opg_primitives::tee::MAX_COLLATERAL_BYTES }>>;

/// What a node offers to prove that its enclave key lives in an approved TEE.
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub enum TeeEvidence<BlockNumber> {
	/// An Intel DCAP quote (SGX or TDX) from a platform of family `fmspc` whose PCK certificate
	/// `pck_ca` issued, with report data `bind_report_data(enclave_key, hash of block anchor,
	/// registering account)`.
	Dcap {
		/// The quote, as the TEE produced it.
		quote: QuoteBytes,
		/// The platform family, which with `pck_ca` picks the collateral (`opg-node tee quote`
		/// prints both).
		fmspc: Fmspc,
		/// The platform's PCK certificate authority.
		pck_ca: PckCa,
		/// The recent block whose hash the report data binds.
		anchor: BlockNumber,
	},
	/// **Insecure**: no TEE evidence, only the enclave key's signature of
	/// `insecure_registration_message(genesis, account)` (the account holds the key). Accepted
	/// only where genesis allows the dev enclave and governance put
	/// [`Measurement::InsecureDevEnclave`] on the allow-list.
	InsecureDevEnclave {
		/// The enclave key's signature naming the registering account.
		key_proof: EnclaveSignature,
	},
}

/// A node's standing TEE registration.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct TeeRegistration<BlockNumber> {
	/// The key its enclave signs results with.
	pub enclave_key: EnclaveKey,
	/// The allow-listed measurement its quote reported.
	pub measurement: MeasurementId,
	/// SGX, TDX, or the insecure dev stand-in.
	pub kind: TeeKind,
	/// The TCB status at registration (none for the dev stand-in).
	pub tcb_status: Option<TcbStatus>,
	/// The platform family (none for the dev stand-in).
	pub fmspc: Option<Fmspc>,
	/// The block it registered in.
	pub registered_at: BlockNumber,
}

impl<BlockNumber> TeeRegistration<BlockNumber> {
	/// Whether no TEE vouches for it (the dev chain's insecure enclave).
	pub fn insecure(&self) -> bool {
		self.kind == TeeKind::InsecureDev
	}
}

/// An allow-listed measurement.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct AllowedMeasurement {
	/// The measurement.
	pub measurement: Measurement,
	/// How many nodes stand registered under it.
	pub nodes: u32,
}

/// The collateral of a platform family (and PCK certificate authority), as refreshed last.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct CollateralRecord {
	/// Intel's JSON collateral.
	pub collateral: CollateralBytes,
	/// How fresh its parts are: a refresh never moves one backwards.
	pub freshness: Freshness,
	/// Unix seconds: when its first part expires; registrations stop after it.
	pub expires_at: u64,
}

/// Where a platform family's collateral is kept: TEE kind, FMSPC and PCK certificate authority
/// (each authority has its own revocation list).
pub type CollateralKey = (TeeKind, Fmspc, PckCa);

/// A node's TEE registration as the runtime API shows it.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct TeeView<BlockNumber> {
	/// The registration.
	pub registration: TeeRegistration<BlockNumber>,
	/// The measurement it stands under.
	pub measurement: Measurement,
	/// **Whether it is the dev chain's insecure enclave**: no TEE vouches for its results.
	pub insecure: bool,
}
