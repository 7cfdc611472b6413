//! Storage migrations of the attestations pallet.

/// Version 1: the deadline hook ends what is due from a cursor, [`crate::DueFrom`], within a
/// weight budget, where it ended exactly the current block's deadlines before. Before the
/// upgrade block's hook every list of an earlier block was ended (and taken), so the cursor
/// starts at the current block.
pub mod v1 {
	use crate::{Config, DueFrom, Pallet};
	use frame_support::{
		migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
	};

	/// Starts the deadline cursor at the current block.
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
				"the deadline cursor does not start at the upgrade block"
			);
			Ok(())
		}
	}

	/// [`StartDueFrom`] from storage version 0 to 1.
	pub type MigrateV0ToV1<T> =
		VersionedMigration<0, 1, StartDueFrom<T>, Pallet<T>, <T as frame_system::Config>::DbWeight>;
}

/// Version 2: claims have a cursor of their own, [`crate::ClaimsDueFrom`], beside the rounds'
/// [`crate::DueFrom`], which until now the hook walked for all three lists. The claim lists
/// before `DueFrom` are empty (the hook ended them), so the claim cursor starts where the
/// shared one stood.
pub mod v2 {
	use crate::{ClaimsDueFrom, Config, DueFrom, Pallet};
	use frame_support::{
		migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
	};

	/// Starts the claim cursor at the shared cursor.
	pub struct StartClaimsDueFrom<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for StartClaimsDueFrom<T> {
		fn on_runtime_upgrade() -> Weight {
			ClaimsDueFrom::<T>::put(DueFrom::<T>::get());
			T::DbWeight::get().reads_writes(1, 1)
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(_: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			ensure!(
				ClaimsDueFrom::<T>::get() == DueFrom::<T>::get(),
				"the claim cursor does not start at the shared cursor"
			);
			Ok(())
		}
	}

	/// [`StartClaimsDueFrom`] from storage version 1 to 2.
	pub type MigrateV1ToV2<T> = VersionedMigration<
		1,
		2,
		StartClaimsDueFrom<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
