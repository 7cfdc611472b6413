//! Runtime-level tests: real signed transactions through `Executive`, paying fees in OPG.

// Tests may panic: a panic is a failed test.
#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]

use crate::{configs::monetary::LENGTH_FEE, *};
use codec::Encode;
use frame_support::traits::fungible::Inspect;
use sp_consensus_aura::{Slot, AURA_ENGINE_ID};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{generic::Era, traits::Header as _, Digest, DigestItem};

const TRANSFER: Balance = 5 * OPG;

fn new_ext() -> sp_io::TestExternalities {
	let config = RuntimeGenesisConfig {
		balances: BalancesConfig {
			balances: vec![
				(Sr25519Keyring::Alice.to_account_id(), 1_000 * OPG),
				(Sr25519Keyring::Bob.to_account_id(), 1_000 * OPG),
			],
			..Default::default()
		},
		aura: AuraConfig { authorities: vec![Sr25519Keyring::Alice.public().into()] },
		..Default::default()
	};
	sp_io::TestExternalities::new(config.build_storage().expect("genesis builds"))
}

/// Starts block 1, authored by Alice (the only Aura authority) when `with_author` is set.
fn start_block(with_author: bool) {
	let logs = if with_author {
		vec![DigestItem::PreRuntime(AURA_ENGINE_ID, Slot::from(1u64).encode())]
	} else {
		vec![]
	};
	let header = Header::new(
		1,
		Default::default(),
		Default::default(),
		System::block_hash(0),
		Digest { logs },
	);
	Executive::initialize_block(&header);
}

/// A transfer from Bob to Charlie, signed by Bob, as a wallet would build it.
fn signed_transfer(nonce: Nonce) -> UncheckedExtrinsic {
	let call = RuntimeCall::Balances(BalancesCall::transfer_allow_death {
		dest: Sr25519Keyring::Charlie.to_account_id().into(),
		value: TRANSFER,
	});
	let extension = tx_extension(nonce, Era::Immortal, 0);
	let payload = SignedPayload::new(call.clone(), extension.clone()).expect("payload builds");
	let signature = payload.using_encoded(|bytes| Sr25519Keyring::Bob.sign(bytes));
	UncheckedExtrinsic::new_signed(
		call,
		Sr25519Keyring::Bob.to_account_id().into(),
		signature.into(),
		extension,
	)
}

/// The fee the `TransactionFeePaid` event reports for `who`.
fn fee_paid_by(who: &AccountId) -> Balance {
	System::events()
		.into_iter()
		.find_map(|record| match record.event {
			RuntimeEvent::TransactionPayment(
				pallet_transaction_payment::Event::TransactionFeePaid {
					who: payer,
					actual_fee,
					tip,
				},
			) if &payer == who => Some(actual_fee + tip),
			_ => None,
		})
		.expect("a TransactionFeePaid event")
}

#[test]
fn a_transfer_pays_its_fee_in_opg_to_the_block_author() {
	new_ext().execute_with(|| {
		let alice = Sr25519Keyring::Alice.to_account_id();
		let bob = Sr25519Keyring::Bob.to_account_id();
		let charlie = Sr25519Keyring::Charlie.to_account_id();
		let issuance = Balances::total_issuance();
		start_block(true);
		assert_eq!(Authorship::author(), Some(alice.clone()));

		let xt = signed_transfer(0);
		let length = xt.encoded_size() as u32;
		// What the fee should be: length and weight (call plus transaction extensions), priced
		// in OPG.
		let expected_fee = TransactionPayment::compute_fee(
			length,
			&frame_support::dispatch::GetDispatchInfo::get_dispatch_info(&xt),
			0,
		);
		assert_eq!(Executive::apply_extrinsic(xt), Ok(Ok(())));

		let fee = fee_paid_by(&bob);
		assert_eq!(fee, expected_fee);
		assert!(fee > Balance::from(length) * LENGTH_FEE, "fee {fee} covers the length fee");
		// About 0.0065 OPG for a transfer.
		assert!(
			fee > MILLI_OPG && fee < 10 * MILLI_OPG,
			"fee {fee} is a few thousandths of an OPG"
		);
		assert_eq!(Balances::balance(&bob), 1_000 * OPG - TRANSFER - fee);
		assert_eq!(Balances::balance(&charlie), TRANSFER);
		// The fee went to the author: no OPG was created or destroyed.
		assert_eq!(Balances::balance(&alice), 1_000 * OPG + fee);
		assert_eq!(Balances::total_issuance(), issuance);
		System::assert_has_event(RuntimeEvent::Balances(pallet_balances::Event::Transfer {
			from: bob,
			to: charlie,
			amount: TRANSFER,
		}));
	});
}

#[test]
fn without_an_author_the_fee_is_burned_and_issuance_drops_by_it() {
	new_ext().execute_with(|| {
		let bob = Sr25519Keyring::Bob.to_account_id();
		let issuance = Balances::total_issuance();
		start_block(false);
		assert_eq!(Authorship::author(), None);
		assert_eq!(Executive::apply_extrinsic(signed_transfer(0)), Ok(Ok(())));
		let fee = fee_paid_by(&bob);
		assert!(fee > 0);
		assert_eq!(Balances::balance(&bob), 1_000 * OPG - TRANSFER - fee);
		assert_eq!(Balances::total_issuance(), issuance - fee);
	});
}

#[test]
fn a_transaction_with_a_bad_nonce_is_refused_and_pays_nothing() {
	new_ext().execute_with(|| {
		let bob = Sr25519Keyring::Bob.to_account_id();
		start_block(true);
		assert!(Executive::apply_extrinsic(signed_transfer(5)).is_err());
		assert_eq!(Balances::balance(&bob), 1_000 * OPG);
	});
}

#[test]
fn presets_build_and_name_the_token() {
	for preset in genesis_config_presets::preset_names() {
		let patch = genesis_config_presets::get_preset(&preset).expect("preset exists");
		let value: serde_json::Value = serde_json::from_slice(&patch).expect("preset is JSON");
		assert!(value["balances"]["balances"].as_array().is_some_and(|b| !b.is_empty()));
	}
	assert_eq!(currency::TOKEN_SYMBOL, "OPG");
	assert_eq!(currency::TOKEN_DECIMALS, 18);
	assert_eq!(OPG, 10u128.pow(18));
	assert_eq!(VERSION.spec_name, "opg");
}

/// A key type for offchain-worker signing in these tests, as a pallet's `crypto` module
/// declares one.
mod test_crypto {
	use sp_runtime::{
		app_crypto::{app_crypto, sr25519},
		MultiSignature, MultiSigner,
	};
	app_crypto!(sr25519, sp_core::crypto::KeyTypeId(*b"tst!"));

	pub struct TestAuthId;
	impl frame_system::offchain::AppCrypto<MultiSigner, MultiSignature> for TestAuthId {
		type RuntimeAppPublic = Public;
		type GenericSignature = sp_core::sr25519::Signature;
		type GenericPublic = sp_core::sr25519::Public;
	}
}

/// An offchain worker's signed transaction, built by the runtime from a keystore key, applies
/// like a wallet's.
#[test]
fn the_runtime_builds_signed_transactions_from_keystore_keys() {
	use frame_system::offchain::CreateSignedTransaction;
	use sp_keystore::{testing::MemoryKeystore, Keystore, KeystoreExt};

	let keystore = MemoryKeystore::new();
	let public = keystore
		.sr25519_generate_new(sp_core::crypto::KeyTypeId(*b"tst!"), Some("//Bob"))
		.expect("key generates");
	let mut ext = new_ext();
	ext.register_extension(KeystoreExt::new(keystore));
	ext.execute_with(|| {
		start_block(true);
		let bob = Sr25519Keyring::Bob.to_account_id();
		let call = RuntimeCall::System(SystemCall::remark_with_event { remark: b"ocw".to_vec() });
		let xt = <Runtime as CreateSignedTransaction<RuntimeCall>>::create_signed_transaction::<
			test_crypto::TestAuthId,
		>(call, public.into(), bob.clone(), 0)
		.expect("the runtime signs with the keystore key");
		assert_eq!(Executive::apply_extrinsic(xt), Ok(Ok(())));
		assert!(fee_paid_by(&bob) > 0);
		assert_eq!(System::account_nonce(&bob), 1);
	});
}

/// A general transaction whose call authorizes nothing is refused before it runs: the
/// `AuthorizeCall` extension lets no unauthorized call through.
#[test]
fn an_unauthorized_general_transaction_is_refused() {
	use frame_system::offchain::CreateAuthorizedTransaction;
	use sp_runtime::transaction_validity::{
		InvalidTransaction, TransactionSource, TransactionValidityError,
	};
	new_ext().execute_with(|| {
		start_block(true);
		let call = RuntimeCall::System(SystemCall::remark_with_event { remark: b"x".to_vec() });
		let xt =
			<Runtime as CreateAuthorizedTransaction<RuntimeCall>>::create_authorized_transaction(
				call,
			);
		assert!(matches!(
			Executive::validate_transaction(TransactionSource::External, xt, System::parent_hash()),
			Err(TransactionValidityError::Invalid(InvalidTransaction::UnknownOrigin))
		));
	});
}

/// An upload that never completes forfeits part of its deposit to the treasury account, where
/// `pallet_treasury` will find it.
#[test]
fn an_expired_upload_pays_the_treasury() {
	use frame_support::traits::Hooks;
	use opg_primitives::model::{chunk_hash, content_id_from_chunk_hashes, Dim, TensorDtype};
	use pallet_model_registry::VersionSpec;

	new_ext().execute_with(|| {
		start_block(true);
		let bob = Sr25519Keyring::Bob.to_account_id();
		let treasury = configs::monetary::TreasuryAccount::get();
		let tensor = |name: &[u8]| opg_primitives::model::TensorSpec {
			name: name.to_vec().try_into().unwrap(),
			dtype: TensorDtype::Float32,
			shape: vec![Dim::Fixed(4)].try_into().unwrap(),
		};
		let hashes = vec![chunk_hash(b"never uploaded")];
		let spec = VersionSpec {
			schema: opg_primitives::model::IoSchema {
				inputs: vec![tensor(b"x")].try_into().unwrap(),
				outputs: vec![tensor(b"y")].try_into().unwrap(),
			},
			modes: opg_primitives::model::ModeSet { vanilla: true, attested: false, zk: false },
			zk: None,
			content_id: content_id_from_chunk_hashes(
				configs::models::MODEL_CHUNK_SIZE,
				14,
				&hashes,
			),
			byte_size: 14,
			chunk_hashes: hashes.try_into().unwrap(),
		};
		assert_eq!(
			ModelRegistry::register_model(
				RuntimeOrigin::signed(bob.clone()),
				b"m".to_vec().try_into().unwrap(),
				Default::default(),
				OPG,
				spec,
			),
			Ok(())
		);
		let version_deposit = ModelRegistry::version(0, 1).unwrap().deposit;
		let expires_at = System::block_number() + configs::models::ModelUploadTimeout::get();
		System::set_block_number(expires_at);
		ModelRegistry::on_initialize(expires_at);
		assert!(ModelRegistry::model(0).is_none());
		let forfeited =
			configs::models::ModelExpiredUploadForfeit::get().mul_floor(version_deposit);
		assert!(forfeited > EXISTENTIAL_DEPOSIT);
		assert_eq!(Balances::balance(&treasury), forfeited);
		assert_eq!(Balances::balance(&bob), 1_000 * OPG - forfeited);
	});
}

/// Every registry call at its worst case fits in one block beside the block's fixed work, and
/// so does the expiry hook at its per-block limit: no argument can make a call impossible to
/// include or a block overweight.
#[test]
fn the_registry_worst_cases_fit_in_a_block() {
	use frame_support::{dispatch::DispatchClass, traits::Get};
	use opg_primitives::model::MAX_VERIFYING_KEY_LEN;
	use pallet_model_registry::WeightInfo;
	type W = <Runtime as pallet_model_registry::Config>::WeightInfo;

	let weights = configs::RuntimeBlockWeights::get();
	let max_extrinsic = weights.get(DispatchClass::Normal).max_extrinsic.expect("a limit");
	let chunks = configs::models::MAX_MODEL_CHUNKS;
	let versions = <Runtime as pallet_model_registry::Config>::MaxVersions::get();
	for (call, weight) in [
		("register_model", W::register_model(chunks, MAX_VERIFYING_KEY_LEN)),
		("add_version", W::add_version(chunks, MAX_VERIFYING_KEY_LEN)),
		("upload_chunk", W::upload_chunk(configs::models::MODEL_CHUNK_SIZE)),
		("retire_model", W::retire_model(versions)),
		("force_remove_model", W::force_remove_model(versions)),
	] {
		assert!(weight.all_lte(max_extrinsic), "{call} at its worst case weighs {weight:?}");
	}
	let expiries = <Runtime as pallet_model_registry::Config>::MaxExpiriesPerBlock::get();
	let hook = W::on_initialize(expiries);
	assert!(
		hook.all_lte(weights.max_block / 10),
		"the expiry hook may take {hook:?}, over a tenth of a block"
	);
}
