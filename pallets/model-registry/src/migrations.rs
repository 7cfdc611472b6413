//! Storage migrations of the registry.

/// Version 3: ZK versions record how their keys were made ([`crate::ZkKeyOrigins`]). Every
/// ZK version registered before had a key its owner made alone (a seed setup): it is recorded
/// as [`ZkKeyOrigin::InsecureTestSetup`], so dApps see what it is, and it keeps running where it
/// ran. One pass over [`crate::VerifyingKeys`], which holds one entry per ZK version: few on a
/// young chain.
pub mod v3 {
	use crate::{Config, Pallet, VerifyingKeys, ZkKeyOrigins};
	use frame_support::{
		migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
	};
	use opg_primitives::model::ZkKeyOrigin;

	/// Records the origin of every ZK version's key that has none.
	pub struct RecordKeyOrigins<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for RecordKeyOrigins<T> {
		fn on_runtime_upgrade() -> Weight {
			let (mut reads, mut writes) = (0u64, 0u64);
			for (model, version) in VerifyingKeys::<T>::iter_keys() {
				reads = reads.saturating_add(2);
				if !ZkKeyOrigins::<T>::contains_key(model, version) {
					ZkKeyOrigins::<T>::insert(model, version, ZkKeyOrigin::InsecureTestSetup);
					writes = writes.saturating_add(1);
				}
			}
			T::DbWeight::get().reads_writes(reads, writes)
		}
	}

	/// [`RecordKeyOrigins`] from storage version 2 to 3.
	pub type MigrateV2ToV3<T> = VersionedMigration<
		2,
		3,
		RecordKeyOrigins<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
