//! The runtime upgrade's migrations, checked as `try-runtime on-runtime-upgrade --checks all`
//! checks them: on a dev chain that ran jobs, claims and rounds, with the storage the previous
//! runtime left (the pallets' earlier storage versions, the cursors they did not have), every
//! migration's pre- and post-upgrade check and every pallet's `try_state` pass; a migration
//! that forgets to record its storage version fails them.

use super::*;
use frame_support::traits::{GetStorageVersion, StorageVersion};
use frame_try_runtime::UpgradeCheckSelect;

/// The fuzz fixture's chain as the previous runtime stored it.
fn previous_runtime_ext() -> sp_io::TestExternalities {
	let mut ext = super::fuzz::fixture().ext();
	ext.execute_with(|| {
		StorageVersion::new(0).put::<Attestations>();
		pallet_attestations::DueFrom::<Runtime>::kill();
		pallet_attestations::ClaimsDueFrom::<Runtime>::kill();
		StorageVersion::new(1).put::<ZkCeremony>();
		pallet_zk_ceremony::DueFrom::<Runtime>::kill();
	});
	ext
}

#[test]
fn the_upgrade_migrates_a_used_dev_chain_and_every_check_passes() {
	previous_runtime_ext().execute_with(|| {
		let now = System::block_number();
		let weight = Executive::try_runtime_upgrade(UpgradeCheckSelect::All)
			.expect("the migrations and every check pass");
		assert!(weight.all_lte(configs::RuntimeBlockWeights::get().max_block));
		assert_eq!(Attestations::on_chain_storage_version(), StorageVersion::new(2));
		assert_eq!(ZkCeremony::on_chain_storage_version(), StorageVersion::new(2));
		assert_eq!(pallet_attestations::DueFrom::<Runtime>::get(), now);
		assert_eq!(pallet_attestations::ClaimsDueFrom::<Runtime>::get(), now);
		// Once is enough: a second upgrade finds nothing to migrate and still passes.
		Executive::try_runtime_upgrade(UpgradeCheckSelect::All).expect("a second run passes");
	});
}

/// The attestations migration run without `VersionedMigration`: the cursor set, the pallet's
/// storage version never recorded.
struct UnversionedStartDueFrom;

impl frame_support::traits::OnRuntimeUpgrade for UnversionedStartDueFrom {
	fn on_runtime_upgrade() -> frame_support::weights::Weight {
		<pallet_attestations::migrations::v1::StartDueFrom<Runtime> as
			frame_support::traits::UncheckedOnRuntimeUpgrade>::on_runtime_upgrade()
	}
}

/// The migrations of this upgrade with the attestations one broken.
type BrokenMigrations = (
	pallet_model_registry::migrations::v3::MigrateV2ToV3<Runtime>,
	pallet_zk_ceremony::migrations::v1::MigrateV0ToV1<Runtime>,
	pallet_zk_ceremony::migrations::v2::MigrateV1ToV2<Runtime>,
	UnversionedStartDueFrom,
	pallet_attestations::migrations::v2::MigrateV1ToV2<Runtime>,
);

type BrokenExecutive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	configs::transactions::BareTransactions,
	AllPalletsWithSystem,
	BrokenMigrations,
>;

#[test]
fn a_migration_that_forgets_its_storage_version_fails_the_checks() {
	previous_runtime_ext().execute_with(|| {
		let error = BrokenExecutive::try_runtime_upgrade(UpgradeCheckSelect::All)
			.expect_err("the checks catch the missing version");
		println!("{error:?}");
		assert_eq!(Attestations::on_chain_storage_version(), StorageVersion::new(0));
	});
}
