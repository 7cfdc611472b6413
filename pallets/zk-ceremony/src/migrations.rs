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

/// Version 2: the hook ends what is due from a cursor, [`crate::DueFrom`], within a weight
/// budget, where it ended exactly the current block's ceremonies before. Before the upgrade
/// block's hook every earlier block's list was taken, so the cursor starts at the current
/// block.
pub mod v2 {
	use crate::{Config, DueFrom, Pallet};
	use frame_support::{
		migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
	};

	/// Starts the due cursor at the current block.
	pub struct StartDueFrom<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for StartDueFrom<T> {
		fn on_runtime_upgrade() -> Weight {
			DueFrom::<T>::put(frame_system::Pallet::<T>::block_number());
			T::DbWeight::get().reads_writes(1, 1)
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(_: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			ensure!(
				DueFrom::<T>::get() == frame_system::Pallet::<T>::block_number(),
				"the due cursor does not start at the upgrade block"
			);
			Ok(())
		}
	}

	/// [`StartDueFrom`] from storage version 1 to 2.
	pub type MigrateV1ToV2<T> =
		VersionedMigration<1, 2, StartDueFrom<T>, Pallet<T>, <T as frame_system::Config>::DbWeight>;
}
