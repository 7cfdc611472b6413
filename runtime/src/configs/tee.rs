//! Trusted enclaves: DCAP collateral, the measurement allow-list, accepted TCB statuses and the
//! TEE registrations of inference nodes (see `docs/tee.md`).

use frame_support::traits::ConstU32;

use crate::{Runtime, HOURS};

/// Intel's SGX Root CA, which every quote and collateral must chain to.
pub struct IntelRootCa;
impl frame_support::traits::Get<&'static [u8]> for IntelRootCa {
	fn get() -> &'static [u8] {
		opg_primitives::tee::INTEL_ROOT_CA_DER
	}
}

impl pallet_tee::Config for Runtime {
	/// The node registry grants and removes the `Tee` role.
	type Nodes = crate::Nodes;
	/// The model-curation track (or root): measurements and accepted TCB statuses.
	type TeeOrigin = super::models::ModelCurationOrigin;
	type UnixTime = crate::Timestamp;
	type TeeTrustAnchor = IntelRootCa;
	/// A quote binds a block of the last hour: an operator quotes, then registers.
	type MaxQuoteAge = ConstU32<{ HOURS }>;
	/// A revocation walks at most this many registrations (a fraction of a block).
	type MaxTeeNodesPerMeasurement = ConstU32<256>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = crate::benchmarks::Helper;
	type WeightInfo = pallet_tee::weights::SubstrateWeight<Runtime>;
}
