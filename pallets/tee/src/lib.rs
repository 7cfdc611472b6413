//! # TEE
//!
//! Which enclaves OPG chain trusts: the Intel DCAP collateral of each platform family, the
//! measurement allow-list, the TCB statuses governance accepts, and the TEE registrations of
//! inference nodes by verified quote. Other pallets see it through
//! [`opg_primitives::tee::EnclaveRegistry`] (which enclave key signs a TEE node's results; ending
//! a node's registration when it stops being an inference node or leaves) and never import it.
//!
//! ## TEE nodes
//!
//! An inference node gains the [`Tee`](opg_primitives::attestation::NodeRole::Tee) role, and with
//! it TEE-mode jobs, by proving once that its enclave key lives in approved code on genuine Intel
//! hardware ([`Pallet::register_tee`]): an SGX or TDX DCAP quote whose report data binds that key,
//! the hash of a recent block of this chain (at most [`Config::MaxQuoteAge`] blocks old) and the
//! registering account ([`opg_primitives::tee::bind_report_data`]), so that no other account can
//! register a quote it copies from the transaction pool. The runtime verifies the quote with the `opg_dcap` host function (`dcap-qvl`, run natively) against
//! Intel's root certificate ([`Config::TeeTrustAnchor`]), at the time of [`Config::UnixTime`], with
//! the collateral (TCB info, QE identity, CRLs) registered for the platform's family
//! ([`Pallet::refresh_collateral`], by anyone, with a quote it verifies; only newer collateral
//! replaces older, and expired collateral stops registrations until refreshed). The TCB status must
//! be one governance accepts ([`AcceptedTcbStatuses`]) and the measurement (MRENCLAVE and MRSIGNER,
//! or MRTD and RTMR0-3) on the allow-list that [`Config::TeeOrigin`] (the model-curation track)
//! keeps ([`Pallet::allow_measurement`]). Revoking a measurement ([`Pallet::revoke_measurement`])
//! revokes every node registered under it at once: their `Tee` role and enclave keys go, so they
//! neither receive nor answer TEE jobs. An enclave key registers once; a new key needs a new quote.
//!
//! A chain whose genesis allows it (`allow_insecure_dev_enclave`, the dev preset only) may put
//! the explicitly insecure [`Measurement::InsecureDevEnclave`] on the allow-list, by
//! governance alone; nodes then register with no quote, and every event and view of them says
//! `insecure`. On any other chain that entry cannot be added.
//!
//! ## The `Tee` role
//!
//! The role itself lives in the node registry (pallet-nodes), with the node's other roles: this
//! pallet asks the registry whether an account may hold it (a registered inference node that is
//! not leaving), grants it on registration and takes it back when the registration ends, all
//! through [`Config::Nodes`] ([`TeeRoles`]). The registry, in turn, ends a node's registration
//! ([`EnclaveRegistry::deregister`]) when the node stops being an inference node or is removed
//! after leaving.
//!
//! ## Invariants (checked by `try_state`)
//!
//! - Each registration's measurement is allowed and counts it, its enclave key maps back to it,
//!   and the per-measurement index lists exactly the registrations; enclave keys map one to one
//!   to registrations.
//! - Each allowed measurement is stored under its own id, and the insecure dev enclave is
//!   allowed only where genesis allows it.
//! - Across pallets, checked by the runtime: a node holds the `Tee` role exactly when it has a
//!   TEE registration, and every registration belongs to a registered node.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(any(feature = "try-runtime", test))]
mod invariants;
#[cfg(test)]
mod mock;
mod registration;
#[cfg(test)]
mod tests;
mod types;
pub mod weights;

use alloc::vec::Vec;
use frame_support::pallet_prelude::*;
use frame_system::pallet_prelude::*;
use opg_primitives::{
	attestation::TeeRoles,
	tee::{
		EnclaveKey, EnclaveRegistry, EnclaveSigner, Fmspc, Freshness, Measurement, MeasurementId,
		PckCa, TcbStatus, TcbStatusSet, TeeKind,
	},
};
use sp_runtime::traits::Zero;

/// Sets what the benchmarks need from the pallets around this one.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Sets the chain's clock ([`Config::UnixTime`]) to `secs` unix seconds, so that the DCAP
	/// samples' collateral is current.
	fn set_unix_time(secs: u64);

	/// Account `index` (distinct indices, distinct accounts), registered in the node registry
	/// as an inference node and funded: one that may register a TEE. In the runtime, registered
	/// in pools as deep as the registry allows, so that granting and taking the `Tee` role cost
	/// their worst case.
	fn inference_node(index: u32) -> AccountId;
}

/// The TCB statuses accepted until governance says otherwise: those Intel rates as current.
pub struct DefaultAcceptedTcbStatuses;
impl Get<TcbStatusSet> for DefaultAcceptedTcbStatuses {
	fn get() -> TcbStatusSet {
		TcbStatusSet::from_statuses(&[TcbStatus::UpToDate, TcbStatus::SwHardeningNeeded])
	}
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The node registry: who may hold the `Tee` role, and where it is granted and taken
		/// back (pallet-nodes).
		type Nodes: TeeRoles<Self::AccountId>;

		/// Who keeps the TEE measurement allow-list and the accepted TCB statuses (the
		/// model-curation track).
		type TeeOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The time quotes and collateral are checked at (pallet-timestamp).
		type UnixTime: frame_support::traits::UnixTime;

		/// The DER certificate every quote and collateral must chain to: Intel's SGX Root CA.
		type TeeTrustAnchor: Get<&'static [u8]>;

		/// How many blocks old the block a quote binds may be: bounds a quote's age.
		#[pallet::constant]
		type MaxQuoteAge: Get<BlockNumberFor<Self>>;

		/// Most nodes registered under one measurement: bounds a revocation's work.
		#[pallet::constant]
		type MaxTeeNodesPerMeasurement: Get<u32>;

		/// Sets what the benchmarks need from the pallets around this one.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;

		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
	}

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// The collateral of each platform family (TEE kind, FMSPC, PCK certificate authority).
	#[pallet::storage]
	pub type TeeCollateral<T> = StorageMap<_, Blake2_128Concat, CollateralKey, CollateralRecord>;

	/// The measurements TEE nodes may run, with how many nodes stand under each.
	#[pallet::storage]
	pub type AllowedMeasurements<T> = StorageMap<_, Identity, MeasurementId, AllowedMeasurement>;

	/// The standing TEE registration of each TEE node.
	#[pallet::storage]
	pub type TeeNodes<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, TeeRegistration<BlockNumberFor<T>>>;

	/// The TEE nodes under each measurement: what a revocation walks.
	#[pallet::storage]
	pub type TeeNodesByMeasurement<T: Config> =
		StorageDoubleMap<_, Identity, MeasurementId, Blake2_128Concat, T::AccountId, ()>;

	/// The node of each registered enclave key.
	#[pallet::storage]
	pub type EnclaveKeys<T: Config> = StorageMap<_, Blake2_128Concat, EnclaveKey, T::AccountId>;

	/// The TCB statuses a quote may have: up to date and software hardening needed unless
	/// governance says otherwise.
	#[pallet::storage]
	pub type AcceptedTcbStatuses<T> =
		StorageValue<_, TcbStatusSet, ValueQuery, DefaultAcceptedTcbStatuses>;

	/// Whether this chain's genesis allows the insecure dev enclave on the allow-list. Set at
	/// genesis only; no call changes it.
	#[pallet::storage]
	pub type InsecureDevEnclaveAllowed<T> = StorageValue<_, bool, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// **Insecure**: lets governance allow-list the dev enclave, which needs no TEE. For
		/// development chains only.
		pub allow_insecure_dev_enclave: bool,
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			InsecureDevEnclaveAllowed::<T>::put(self.allow_insecure_dev_enclave);
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	// `MeasurementAllowed` carries a whole TDX measurement (five 48-byte registers), as the
	// original pallet's event did; events are rare and short-lived, so no box.
	#[allow(clippy::large_enum_variant)]
	pub enum Event<T: Config> {
		/// The collateral of platform family (`kind`, `fmspc`, `pck_ca`) was registered or
		/// replaced; it expires at `expires_at` (unix seconds).
		CollateralRefreshed {
			kind: TeeKind,
			fmspc: Fmspc,
			pck_ca: PckCa,
			freshness: Freshness,
			expires_at: u64,
		},
		/// Governance allowed a measurement. `insecure`: it is the dev chain's insecure enclave.
		MeasurementAllowed { id: MeasurementId, measurement: Measurement, insecure: bool },
		/// Governance revoked a measurement and the registrations of the `nodes` nodes under it.
		MeasurementRevoked { id: MeasurementId, nodes: u32, insecure: bool },
		/// A node registered its enclave key: it takes TEE jobs. `insecure`: through the dev
		/// chain's insecure enclave, with no TEE vouching for it.
		TeeRegistered {
			node: T::AccountId,
			enclave_key: EnclaveKey,
			measurement: MeasurementId,
			kind: TeeKind,
			tcb_status: Option<TcbStatus>,
			insecure: bool,
		},
		/// A node's TEE registration ended (its measurement or the node itself revoked by
		/// governance, its inference role dropped, or the node removed): it takes no more TEE
		/// jobs.
		TeeRevoked { node: T::AccountId, enclave_key: EnclaveKey, insecure: bool },
		/// Governance set the TCB statuses a quote may have.
		AcceptedTcbStatusesSet { statuses: TcbStatusSet },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The account is not a registered node.
		NotRegistered,
		/// The node is leaving.
		NodeLeaving,
		/// Only an inference node can register a TEE.
		NotAnInferenceNode,
		/// The enclave key's proof of a dev-enclave registration does not verify.
		BadSignature,
		/// The quote does not parse: truncated, corrupted, or of an unknown version or TEE type.
		MalformedQuote,
		/// The collateral is not Intel's JSON collateral.
		MalformedCollateral,
		/// The quote or its collateral does not verify against Intel's root: a signature by an
		/// unknown key, a broken or revoked certificate chain, collateral of another platform,
		/// a debug enclave.
		UntrustedQuote,
		/// The platform family's collateral has expired: refresh it with
		/// [`Pallet::refresh_collateral`].
		CollateralExpired,
		/// The collateral is issued after the chain's current time.
		CollateralNotYetValid,
		/// No collateral is registered for the quote's platform family: register it with
		/// [`Pallet::refresh_collateral`].
		NoCollateral,
		/// The quote is not from the platform family (or TEE kind) it was submitted for.
		CollateralMismatch,
		/// The collateral would move a part of the registered one backwards (an older TCB info
		/// or QE identity, a lower TCB evaluation data number), or brings nothing newer.
		CollateralNotNewer,
		/// The platform's TCB status is not one governance accepts.
		TcbStatusNotAccepted,
		/// The quote's measurement is not on the allow-list.
		MeasurementNotAllowed,
		/// The measurement is on the allow-list already.
		MeasurementAlreadyAllowed,
		/// The report data does not bind the submitted enclave key.
		ReportDataMismatch,
		/// The report data does not bind the caller's account with this chain's block `anchor`: a
		/// quote made for another account (a registration copied from the transaction pool), or
		/// for another chain or another block. A quote's report data must be
		/// [`opg_primitives::tee::bind_report_data`] of the enclave key, the anchor's hash and the
		/// account that sends `register_tee`.
		QuoteNotForCaller,
		/// The block the quote binds is not one of the last [`Config::MaxQuoteAge`] blocks.
		QuoteTooOld,
		/// Another registration used this enclave key already: a replayed quote. A new key
		/// needs a new quote.
		EnclaveKeyInUse,
		/// The measurement has [`Config::MaxTeeNodesPerMeasurement`] nodes already.
		TooManyTeeNodes,
		/// This chain's genesis does not allow the insecure dev enclave.
		DevEnclaveNotAllowed,
		/// The node has no TEE registration.
		NotTeeRegistered,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(
				T::MaxTeeNodesPerMeasurement::get() > 0,
				"MaxTeeNodesPerMeasurement must be positive"
			);
			assert!(!T::MaxQuoteAge::get().is_zero(), "MaxQuoteAge must be positive");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Registers or replaces the collateral (Intel's JSON: TCB info, QE identity, CRLs and
		/// their issuer chains) of a platform family, shown genuine by a `quote` of that family
		/// that it verifies now (any node's quote will do; its measurement and TCB status do not
		/// matter here). Only collateral issued later than the registered one replaces it. Open
		/// to anyone: only Intel-signed collateral gets in.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::refresh_collateral())]
		pub fn refresh_collateral(
			origin: OriginFor<T>,
			quote: QuoteBytes,
			collateral: CollateralBytes,
		) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_refresh_collateral(&quote, collateral)
		}

		/// Registers the caller's TEE: `evidence` shows that `enclave_key` lives in an
		/// allow-listed measurement on genuine hardware, and names the caller (a quote's report
		/// data binds the caller's account, a dev-enclave key proof is signed for it; see the crate
		/// docs, TEE nodes). The caller must be an inference node that is not leaving; it gains the `Tee` role. A node
		/// registered before is registered anew (a new key, a new quote).
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::register_tee())]
		pub fn register_tee(
			origin: OriginFor<T>,
			evidence: TeeEvidence<BlockNumberFor<T>>,
			enclave_key: EnclaveKey,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_register_tee(&who, evidence, enclave_key)
		}

		/// Puts `measurement` on the allow-list. [`Measurement::InsecureDevEnclave`] only where
		/// genesis allows it.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::allow_measurement())]
		pub fn allow_measurement(origin: OriginFor<T>, measurement: Measurement) -> DispatchResult {
			T::TeeOrigin::ensure_origin(origin)?;
			Self::do_allow_measurement(measurement)
		}

		/// Takes measurement `id` off the allow-list and revokes every node registered under it:
		/// they lose the `Tee` role and their enclave keys at once.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::revoke_measurement(T::MaxTeeNodesPerMeasurement::get()))]
		pub fn revoke_measurement(
			origin: OriginFor<T>,
			id: MeasurementId,
		) -> DispatchResultWithPostInfo {
			T::TeeOrigin::ensure_origin(origin)?;
			let revoked = Self::do_revoke_measurement(id)?;
			Ok(Some(T::WeightInfo::revoke_measurement(revoked)).into())
		}

		/// Sets the TCB statuses a quote may have at registration (`Revoked` never can).
		/// Registered nodes keep their registration.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::set_accepted_tcb_statuses())]
		pub fn set_accepted_tcb_statuses(
			origin: OriginFor<T>,
			statuses: TcbStatusSet,
		) -> DispatchResult {
			T::TeeOrigin::ensure_origin(origin)?;
			AcceptedTcbStatuses::<T>::put(statuses);
			Self::deposit_event(Event::AcceptedTcbStatusesSet { statuses });
			Ok(())
		}

		/// Ends `node`'s TEE registration (a single platform found compromised, say), without
		/// touching the measurement's other nodes.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::revoke_tee())]
		pub fn revoke_tee(origin: OriginFor<T>, node: T::AccountId) -> DispatchResult {
			T::TeeOrigin::ensure_origin(origin)?;
			ensure!(TeeNodes::<T>::contains_key(&node), Error::<T>::NotTeeRegistered);
			Self::drop_tee(&node);
			Ok(())
		}
	}
}

impl<T: Config> Pallet<T> {
	/// The genesis hash, which every dev-enclave key proof covers.
	pub(crate) fn genesis_hash() -> T::Hash {
		frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero())
	}

	/// The measurement allow-list and the TCB statuses accepted, for the runtime API.
	pub fn tee_policy() -> (Vec<AllowedMeasurement>, TcbStatusSet) {
		(AllowedMeasurements::<T>::iter_values().collect(), AcceptedTcbStatuses::<T>::get())
	}

	/// How fresh the collateral of platform family `key` is and when it expires (unix
	/// seconds), without its bytes, for the runtime API.
	pub fn tee_collateral(key: CollateralKey) -> Option<(Freshness, u64)> {
		TeeCollateral::<T>::get(key).map(|record| (record.freshness, record.expires_at))
	}
}

impl<T: Config> EnclaveRegistry<T::AccountId> for Pallet<T> {
	fn enclave_signer(who: &T::AccountId) -> Option<EnclaveSigner> {
		TeeNodes::<T>::get(who).map(|registration| EnclaveSigner {
			insecure: registration.insecure(),
			key: registration.enclave_key,
		})
	}

	fn deregister(who: &T::AccountId) {
		Self::drop_tee(who);
	}
}
