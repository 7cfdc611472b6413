//! The pallet's invariants (see the crate docs), checked by `try_state` and after every unit
//! test. Those that read the node registry too (the `Tee` role held exactly by the registered
//! nodes) are the runtime's to check.

use super::*;

impl<T: Config> Pallet<T> {
	/// Checks the invariants listed in the crate docs.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		opg_primitives::check_storage_version::<Self>()?;
		let mut registrations = 0usize;
		for (who, registration) in TeeNodes::<T>::iter() {
			registrations = registrations.saturating_add(1);
			ensure!(
				AllowedMeasurements::<T>::contains_key(registration.measurement),
				"a TEE registration under a measurement no longer allowed"
			);
			ensure!(
				TeeNodesByMeasurement::<T>::contains_key(registration.measurement, &who),
				"a TEE registration missing from its measurement's index"
			);
			ensure!(
				EnclaveKeys::<T>::get(&registration.enclave_key).as_ref() == Some(&who),
				"an enclave key does not map back to its node"
			);
		}
		ensure!(EnclaveKeys::<T>::iter().count() == registrations, "enclave keys without nodes");
		ensure!(
			TeeNodesByMeasurement::<T>::iter().count() == registrations,
			"the measurement index lists nodes without registrations"
		);
		for (id, allowed) in AllowedMeasurements::<T>::iter() {
			ensure!(allowed.measurement.id() == id, "a measurement under another id");
			ensure!(
				TeeNodesByMeasurement::<T>::iter_prefix(id).count() as u32 == allowed.nodes,
				"a measurement's node count is off"
			);
			ensure!(
				!allowed.measurement.is_insecure() || InsecureDevEnclaveAllowed::<T>::get(),
				"the insecure dev enclave is allowed on a chain that forbids it"
			);
		}
		Ok(())
	}
}
