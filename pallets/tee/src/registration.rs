//! TEE nodes: collateral per platform family, the measurement allow-list, registrations by
//! verified quote, and revocation (see the crate docs, TEE nodes).

use opg_primitives::{
	attestation::TeeIneligible,
	tee::{opg_dcap, read_report_data, DcapError, VerifiedQuote},
};
use sp_runtime::traits::Saturating;

use super::*;

impl<T: Config> Pallet<T> {
	/// The chain's time in unix seconds, as quotes and collateral are checked at.
	fn unix_now() -> u64 {
		<T::UnixTime as frame_support::traits::UnixTime>::now().as_secs()
	}

	/// Verifies `quote` with `collateral` now, through the `opg_dcap` host function.
	fn verify_quote(quote: &[u8], collateral: &[u8]) -> Result<VerifiedQuote, Error<T>> {
		opg_dcap::verify_quote(quote, collateral, T::TeeTrustAnchor::get(), Self::unix_now())
			.map_err(|error| match error {
				DcapError::TooLarge | DcapError::MalformedQuote => Error::<T>::MalformedQuote,
				DcapError::MalformedCollateral => Error::<T>::MalformedCollateral,
				DcapError::CollateralExpired => Error::<T>::CollateralExpired,
				DcapError::CollateralNotYetValid => Error::<T>::CollateralNotYetValid,
				DcapError::Untrusted => Error::<T>::UntrustedQuote,
			})
	}

	/// Registers or replaces a platform family's collateral (see [`Pallet::refresh_collateral`]).
	pub(crate) fn do_refresh_collateral(
		quote: &[u8],
		collateral: CollateralBytes,
	) -> DispatchResult {
		let verified = Self::verify_quote(quote, &collateral)?;
		let (kind, fmspc, pck_ca) = (verified.measurement.kind(), verified.fmspc, verified.pck_ca);
		let (freshness, expires_at) = (verified.freshness, verified.collateral_expires_at);
		if let Some(current) = TeeCollateral::<T>::get((kind, fmspc, pck_ca)) {
			ensure!(
				freshness.replaces(expires_at, &current.freshness, current.expires_at),
				Error::<T>::CollateralNotNewer
			);
		}
		TeeCollateral::<T>::insert(
			(kind, fmspc, pck_ca),
			CollateralRecord { collateral, freshness, expires_at },
		);
		Self::deposit_event(Event::CollateralRefreshed {
			kind,
			fmspc,
			pck_ca,
			freshness,
			expires_at,
		});
		Ok(())
	}

	/// Checks DCAP evidence for `enclave_key`, registered by `who`: the quote verifies with its
	/// family's current collateral, comes from that family, has an accepted TCB status, and binds
	/// the key, a recent block of this chain and `who`. Returns what the quote proves.
	fn check_dcap(
		who: &T::AccountId,
		quote: &[u8],
		fmspc: Fmspc,
		pck_ca: PckCa,
		anchor: BlockNumberFor<T>,
		enclave_key: &EnclaveKey,
	) -> Result<VerifiedQuote, DispatchError> {
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(
			anchor < now && now.saturating_sub(anchor) <= T::MaxQuoteAge::get(),
			Error::<T>::QuoteTooOld
		);
		let anchor_hash = frame_system::Pallet::<T>::block_hash(anchor);
		ensure!(anchor_hash != Default::default(), Error::<T>::QuoteTooOld);
		let kind = Self::quote_kind(quote)?;
		let record =
			TeeCollateral::<T>::get((kind, fmspc, pck_ca)).ok_or(Error::<T>::NoCollateral)?;
		ensure!(Self::unix_now() <= record.expires_at, Error::<T>::CollateralExpired);
		let verified = Self::verify_quote(quote, &record.collateral)?;
		ensure!(
			verified.fmspc == fmspc
				&& verified.pck_ca == pck_ca
				&& verified.measurement.kind() == kind,
			Error::<T>::CollateralMismatch
		);
		ensure!(
			AcceptedTcbStatuses::<T>::get().contains(verified.tcb_status),
			Error::<T>::TcbStatusNotAccepted
		);
		// The block half is read for the caller: for any other account than the one the enclave
		// bound (a registration copied from the pool) it names a block hash no chain has.
		let (bound_key, bound_block) = read_report_data(&verified.report_data, who);
		ensure!(bound_key == enclave_key.as_ref(), Error::<T>::ReportDataMismatch);
		ensure!(bound_block.as_ref() == anchor_hash.as_ref(), Error::<T>::QuoteNotForCaller);
		Ok(verified)
	}

	/// The TEE a quote says it is from, read from its header (bytes 4..8, little endian: 0 for
	/// SGX, 0x81 for TDX) to pick the collateral; the verification confirms it.
	fn quote_kind(quote: &[u8]) -> Result<TeeKind, Error<T>> {
		match quote.get(4..8) {
			Some([0, 0, 0, 0]) => Ok(TeeKind::Sgx),
			Some([0x81, 0, 0, 0]) => Ok(TeeKind::Tdx),
			_ => Err(Error::<T>::MalformedQuote),
		}
	}

	/// Registers `who`'s TEE (see [`Pallet::register_tee`]): the registry's checks of the node
	/// first, then the evidence, then the measurement's room.
	pub(crate) fn do_register_tee(
		who: &T::AccountId,
		evidence: TeeEvidence<BlockNumberFor<T>>,
		enclave_key: EnclaveKey,
	) -> DispatchResult {
		T::Nodes::check_tee_candidate(who).map_err(|ineligible| match ineligible {
			TeeIneligible::NotRegistered => Error::<T>::NotRegistered,
			TeeIneligible::Leaving => Error::<T>::NodeLeaving,
			TeeIneligible::NotAnInferenceNode => Error::<T>::NotAnInferenceNode,
		})?;
		ensure!(!EnclaveKeys::<T>::contains_key(&enclave_key), Error::<T>::EnclaveKeyInUse);
		let (measurement, tcb_status, fmspc) = match evidence {
			TeeEvidence::Dcap { quote, fmspc, pck_ca, anchor } => {
				let verified = Self::check_dcap(who, &quote, fmspc, pck_ca, anchor, &enclave_key)?;
				(verified.measurement, Some(verified.tcb_status), Some(fmspc))
			}
			TeeEvidence::InsecureDevEnclave { key_proof } => {
				ensure!(InsecureDevEnclaveAllowed::<T>::get(), Error::<T>::DevEnclaveNotAllowed);
				let message =
					opg_primitives::tee::insecure_registration_message(&Self::genesis_hash(), who);
				ensure!(
					sp_runtime::RuntimeAppPublic::verify(&enclave_key, &message, &key_proof),
					Error::<T>::BadSignature
				);
				(Measurement::InsecureDevEnclave, None, None)
			}
		};
		// The node's previous registration goes first, so that it does not count against the
		// measurement it may register under again (an error below undoes it with the call).
		Self::drop_tee(who);
		let id = measurement.id();
		let mut allowed =
			AllowedMeasurements::<T>::get(id).ok_or(Error::<T>::MeasurementNotAllowed)?;
		ensure!(allowed.nodes < T::MaxTeeNodesPerMeasurement::get(), Error::<T>::TooManyTeeNodes);
		allowed.nodes = allowed.nodes.saturating_add(1);
		AllowedMeasurements::<T>::insert(id, allowed);
		TeeNodesByMeasurement::<T>::insert(id, who, ());
		EnclaveKeys::<T>::insert(&enclave_key, who);
		let registration = TeeRegistration {
			enclave_key: enclave_key.clone(),
			measurement: id,
			kind: measurement.kind(),
			tcb_status,
			fmspc,
			registered_at: frame_system::Pallet::<T>::block_number(),
		};
		let insecure = registration.insecure();
		TeeNodes::<T>::insert(who, registration);
		T::Nodes::grant_tee_role(who);
		Self::deposit_event(Event::TeeRegistered {
			node: who.clone(),
			enclave_key,
			measurement: id,
			kind: measurement.kind(),
			tcb_status,
			insecure,
		});
		Ok(())
	}

	/// Puts `measurement` on the allow-list (see [`Pallet::allow_measurement`]).
	pub(crate) fn do_allow_measurement(measurement: Measurement) -> DispatchResult {
		let insecure = measurement.is_insecure();
		ensure!(
			!insecure || InsecureDevEnclaveAllowed::<T>::get(),
			Error::<T>::DevEnclaveNotAllowed
		);
		let id = measurement.id();
		ensure!(!AllowedMeasurements::<T>::contains_key(id), Error::<T>::MeasurementAlreadyAllowed);
		AllowedMeasurements::<T>::insert(
			id,
			AllowedMeasurement { measurement: measurement.clone(), nodes: 0 },
		);
		Self::deposit_event(Event::MeasurementAllowed { id, measurement, insecure });
		Ok(())
	}

	/// Revokes measurement `id` and every registration under it; returns how many.
	pub(crate) fn do_revoke_measurement(id: MeasurementId) -> Result<u32, DispatchError> {
		let allowed = AllowedMeasurements::<T>::get(id).ok_or(Error::<T>::MeasurementNotAllowed)?;
		let nodes: Vec<T::AccountId> = TeeNodesByMeasurement::<T>::iter_key_prefix(id)
			.take(T::MaxTeeNodesPerMeasurement::get() as usize)
			.collect();
		for who in &nodes {
			Self::drop_tee(who);
		}
		AllowedMeasurements::<T>::remove(id);
		let revoked = nodes.len() as u32;
		Self::deposit_event(Event::MeasurementRevoked {
			id,
			nodes: revoked,
			insecure: allowed.measurement.is_insecure(),
		});
		Ok(revoked)
	}

	/// Ends `who`'s TEE registration, if any: its enclave key, its place under its measurement
	/// and its `Tee` role (taken back through [`Config::Nodes`]) go.
	pub(crate) fn drop_tee(who: &T::AccountId) {
		let Some(registration) = TeeNodes::<T>::take(who) else { return };
		EnclaveKeys::<T>::remove(&registration.enclave_key);
		TeeNodesByMeasurement::<T>::remove(registration.measurement, who);
		AllowedMeasurements::<T>::mutate(registration.measurement, |entry| {
			if let Some(entry) = entry {
				entry.nodes = entry.nodes.saturating_sub(1);
			}
		});
		T::Nodes::revoke_tee_role(who);
		Self::deposit_event(Event::TeeRevoked {
			node: who.clone(),
			insecure: registration.insecure(),
			enclave_key: registration.enclave_key,
		});
	}

	/// `who`'s TEE registration as the runtime API shows it.
	pub fn tee_view(who: T::AccountId) -> Option<TeeView<BlockNumberFor<T>>> {
		let registration = TeeNodes::<T>::get(&who)?;
		let measurement = AllowedMeasurements::<T>::get(registration.measurement)?.measurement;
		Some(TeeView { insecure: registration.insecure(), registration, measurement })
	}
}
