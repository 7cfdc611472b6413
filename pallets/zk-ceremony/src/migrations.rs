//! Storage migrations of the ceremony pallet.

/// Version 1: [`crate::StateUses`] counts the ceremonies holding each key state, so a state's
/// chunks leave the nodes only when the last lets it go. Counted from [`crate::StateChunks`]'
/// keys: a few entries per running ceremony and one per finished version.
pub mod v1 {
	use crate::{Config, Pallet, StateChunks, StateUses};
	use frame_support::{
		migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
	};

	/// Counts every committed key state's holders.
	pub struct CountStateUses<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for CountStateUses<T> {
		fn on_runtime_upgrade() -> Weight {
			let (mut reads, mut writes) = (0u64, 0u64);
			for (_, state) in StateChunks::<T>::iter_keys() {
				reads = reads.saturating_add(2);
				writes = writes.saturating_add(1);
				StateUses::<T>::mutate(state, |uses| {
					*uses = Some(uses.unwrap_or(0).saturating_add(1))
				});
			}
			T::DbWeight::get().reads_writes(reads, writes)
		}
	}

	/// [`CountStateUses`] from storage version 0 to 1.
	pub type MigrateV0ToV1<T> = VersionedMigration<
		0,
		1,
		CountStateUses<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
