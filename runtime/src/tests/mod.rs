//! Runtime-level tests: real signed transactions through `Executive`, paying fees in OPG.

// Tests may panic: a panic is a failed test.
#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects,
	clippy::panic
)]

use crate::{configs::monetary::LENGTH_FEE, *};
use codec::Encode;
use frame_support::traits::{fungible::Inspect, Get};
use sp_keyring::Sr25519Keyring;
use sp_runtime::generic::Era;

mod consensus;
mod draws;
mod fuzz;
mod governance;
mod hooks;
#[cfg(feature = "try-runtime")]
mod migrations;
mod tee;
mod verification;

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
		babe: consensus::babe_config(&[Sr25519Keyring::Alice]),
		..Default::default()
	};
	sp_io::TestExternalities::new(config.build_storage().expect("genesis builds"))
}

/// Starts block 1 in slot 1, authored by Alice (the only BABE authority) when `with_author` is
/// set.
fn start_block(with_author: bool) {
	let author = with_author.then_some(Sr25519Keyring::Alice);
	consensus::initialize_block_as(1, System::block_hash(0), 1, author);
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

/// The spec of a version whose ONNX bytes are `bytes`, in one chunk: a float model of four
/// inputs and four outputs that runs in vanilla mode.
pub(super) fn one_chunk_version(bytes: &[u8]) -> pallet_model_registry::VersionSpecOf<Runtime> {
	use opg_primitives::model::{
		chunk_hash, content_id_from_chunk_hashes, Dim, IoSchema, ModeSet, TensorDtype, TensorSpec,
	};
	let tensor = |name: &[u8]| TensorSpec {
		name: name.to_vec().try_into().unwrap(),
		dtype: TensorDtype::Float32,
		shape: vec![Dim::Fixed(4)].try_into().unwrap(),
	};
	let hashes = vec![chunk_hash(bytes)];
	pallet_model_registry::VersionSpec {
		schema: IoSchema {
			inputs: vec![tensor(b"x")].try_into().unwrap(),
			outputs: vec![tensor(b"y")].try_into().unwrap(),
		},
		modes: ModeSet { vanilla: true, attested: false, zk: false },
		tolerance: opg_primitives::inference::Tolerance::EXACT,
		zk: None,
		content_id: content_id_from_chunk_hashes(
			configs::models::MODEL_CHUNK_SIZE,
			bytes.len() as u64,
			&hashes,
		),
		byte_size: bytes.len() as u64,
		chunk_hashes: hashes.try_into().unwrap(),
	}
}

/// An upload that never completes forfeits part of its deposit to the treasury account, where
/// `pallet_treasury` will find it.
#[test]
fn an_expired_upload_pays_the_treasury() {
	use frame_support::traits::Hooks;

	new_ext().execute_with(|| {
		start_block(true);
		let bob = Sr25519Keyring::Bob.to_account_id();
		let treasury = configs::monetary::TreasuryAccount::get();
		let spec = one_chunk_version(b"never uploaded");
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
		// pallet_treasury's genesis gave the account its existential deposit.
		assert_eq!(Balances::balance(&treasury), EXISTENTIAL_DEPOSIT + forfeited);
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

/// Merges a JSON patch into `base`, as a chain spec applies a preset to the default genesis.
fn merge_patch(base: &mut serde_json::Value, patch: serde_json::Value) {
	match (base, patch) {
		(serde_json::Value::Object(base), serde_json::Value::Object(patch)) => {
			for (key, value) in patch {
				merge_patch(base.entry(key).or_insert(serde_json::Value::Null), value);
			}
		}
		(base, patch) => *base = patch,
	}
}

/// The externalities of a preset's genesis, at block 0.
fn preset_ext(preset: &str) -> sp_io::TestExternalities {
	let patch = genesis_config_presets::get_preset(&preset.into()).expect("preset exists");
	let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).expect("serializes");
	merge_patch(&mut config, serde_json::from_slice(&patch).expect("preset is JSON"));
	let config: RuntimeGenesisConfig = serde_json::from_value(config).expect("config decodes");
	sp_io::TestExternalities::new(config.build_storage().expect("genesis builds"))
}

/// Each preset's slot duration and epoch length reach BABE, the timestamp's minimum period and
/// the runtime API the node reads at start: 6 s on the production-like presets, 2 s on `test`;
/// an hour of slots on `local_testnet`, shorter epochs on the development chains.
#[test]
fn each_preset_sets_its_slot_duration_and_epoch_length_for_babe_and_the_timestamp() {
	use genesis_config_presets::*;
	for (preset, slot, epoch) in [
		("development", MILLI_SECS_PER_BLOCK, DEV_EPOCH_LENGTH),
		("local_testnet", MILLI_SECS_PER_BLOCK, LOCAL_EPOCH_LENGTH),
		(TEST_RUNTIME_PRESET, TEST_SLOT_DURATION, TEST_EPOCH_LENGTH),
	] {
		preset_ext(preset).execute_with(|| {
			assert_eq!(configs::consensus::SlotDuration::<Runtime>::get(), slot, "{preset}");
			assert_eq!(configs::consensus::EpochLength::<Runtime>::get(), epoch, "{preset}");
			assert_eq!(Babe::slot_duration(), slot, "{preset}");
			assert_eq!(<Runtime as pallet_babe::Config>::ExpectedBlockTime::get(), slot);
			assert_eq!(<Runtime as pallet_babe::Config>::EpochDuration::get(), epoch);
			assert_eq!(
				<Runtime as pallet_timestamp::Config>::MinimumPeriod::get(),
				slot / 2,
				"{preset}"
			);
			let config = <Runtime as sp_consensus_babe::runtime_decl_for_babe_api::BabeApiV2<
				Block,
			>>::configuration();
			assert_eq!(config.slot_duration, slot, "{preset}");
			assert_eq!(config.epoch_length, epoch, "{preset}");
			assert_eq!(config.c, BABE_GENESIS_EPOCH_CONFIG.c, "{preset}");
			assert_eq!(config.allowed_slots, BABE_GENESIS_EPOCH_CONFIG.allowed_slots);
			assert!(!config.authorities.is_empty(), "{preset}");
			assert_eq!(
				pallet_babe::Authorities::<Runtime>::get().len(),
				pallet_grandpa::Authorities::<Runtime>::get().len(),
				"{preset}: every validator authors and votes"
			);
		});
	}
	assert_eq!(TEST_SLOT_DURATION * 3, MILLI_SECS_PER_BLOCK);
	assert_eq!(LOCAL_EPOCH_LENGTH * MILLI_SECS_PER_BLOCK, 3_600_000, "an hour");
}

/// A chain spec's slot duration must be even (the minimum period is half of it) and at least
/// a second, its epoch length at least a slot; the genesis build refuses anything else. An
/// absent slot duration means 6 s, an absent epoch length 600 slots.
#[test]
fn a_chain_spec_slot_duration_and_epoch_length_are_checked_at_genesis() {
	let build = |slot_duration: u64, epoch_length: u64| {
		std::panic::catch_unwind(|| {
			RuntimeGenesisConfig {
				slots: SlotsConfig { slot_duration, epoch_length, ..Default::default() },
				..Default::default()
			}
			.build_storage()
		})
	};
	let epoch = configs::consensus::DEFAULT_EPOCH_LENGTH;
	for bad in [configs::consensus::MIN_SLOT_DURATION - 2, 2_001] {
		assert!(build(bad, epoch).is_err(), "{bad} ms is refused");
	}
	assert!(build(4_000, 0).is_err(), "epochs of no slot are refused");
	assert!(build(0, 0).is_err(), "epochs of no slot are refused");
	let storage = build(0, epoch).expect("no slot duration builds").expect("genesis builds");
	sp_io::TestExternalities::new(storage).execute_with(|| {
		assert_eq!(Babe::slot_duration(), MILLI_SECS_PER_BLOCK);
	});
	assert!(build(4_000, 1).is_ok());
	// A chain spec that names no epoch length gets the default.
	assert_eq!(SlotsConfig::default().epoch_length, 600);
	sp_io::TestExternalities::new(RuntimeGenesisConfig::default().build_storage().unwrap())
		.execute_with(|| {
			assert_eq!(<Runtime as pallet_babe::Config>::EpochDuration::get(), 600);
		});
}

/// Bob's heartbeat for the period starting at block 0, signed by his role key as his node's
/// offchain worker signs it.
fn bob_heartbeat_call() -> RuntimeCall {
	use opg_primitives::attestation::{Heartbeat, NodeKeySignature, SignedStatement};
	use sp_core::Pair as _;

	let heartbeat = Heartbeat { node: Sr25519Keyring::Bob.to_account_id(), period_start: 0 };
	let message = opg_primitives::attestation::signing_message(
		&System::block_hash(0),
		&SignedStatement::Heartbeat(&heartbeat),
	);
	let signature = NodeKeySignature::from(Sr25519Keyring::Bob.pair().sign(&message));
	RuntimeCall::Nodes(pallet_nodes::Call::heartbeat { heartbeat, signature })
}

/// A node's fee-free call as its offchain worker sends it: bare (format 4, unsigned).
fn bare(call: RuntimeCall) -> UncheckedExtrinsic {
	<Runtime as frame_system::offchain::CreateBare<RuntimeCall>>::create_bare(call)
}

/// The dev preset registers Alice's inference node and a verifier committee with their bonds
/// held, and their heartbeats (bare transactions authorized by the role key's signature) apply
/// through `Executive` without paying a fee, charged the call's weight and its authorization's.
#[test]
fn the_dev_preset_registers_nodes_whose_heartbeats_apply_for_free() {
	use frame_support::{dispatch::DispatchClass, traits::fungible::InspectHold};
	use opg_primitives::attestation::NodeKey;
	use pallet_nodes::WeightInfo as _;

	preset_ext("development").execute_with(|| {
		let bob = Sr25519Keyring::Bob.to_account_id();
		assert_eq!(pallet_nodes::NodeCount::<Runtime>::get(), 5);
		assert_eq!(
			Balances::balance_on_hold(&pallet_nodes::HoldReason::NodeBond.into(), &bob),
			genesis_config_presets::NODE_BOND
		);
		assert_eq!(
			pallet_nodes::NodeByKey::<Runtime>::get(NodeKey::from(Sr25519Keyring::Bob.public())),
			Some(bob.clone())
		);

		start_block(true);
		let free_before = Balances::balance(&bob);
		let weight_before = System::block_weight().get(DispatchClass::Normal).ref_time();
		assert_eq!(Executive::apply_extrinsic(bare(bob_heartbeat_call())), Ok(Ok(())));
		assert_eq!(Balances::balance(&bob), free_before);
		let node = pallet_nodes::Nodes::<Runtime>::get(&bob).expect("registered");
		assert_eq!(node.last_heartbeat, Some(1));
		// A bare transaction carries no extension weight: the call's own covers its
		// authorization, which ran when the block applied it.
		type NodeWeights = pallet_nodes::weights::SubstrateWeight<Runtime>;
		let charged = System::block_weight().get(DispatchClass::Normal).ref_time() - weight_before;
		assert!(
			charged
				>= NodeWeights::heartbeat_active()
					.saturating_add(NodeWeights::authorize_heartbeat())
					.ref_time(),
			"{charged}"
		);
		// Another heartbeat in the period is refused before it runs, in either form.
		assert!(Executive::apply_extrinsic(bare(bob_heartbeat_call())).is_err());
		let general = <Runtime as frame_system::offchain::CreateAuthorizedTransaction<
			RuntimeCall,
		>>::create_authorized_transaction(bob_heartbeat_call());
		assert!(Executive::apply_extrinsic(general).is_err());
	});
}

/// The general form of a call that authorizes itself (format 5, checked by `AuthorizeCall`) is
/// accepted as well as the bare one the nodes send, for clients built on it.
#[test]
fn a_heartbeat_sent_as_a_general_transaction_applies_too() {
	use frame_system::offchain::CreateAuthorizedTransaction;

	preset_ext("development").execute_with(|| {
		start_block(true);
		let xt =
			<Runtime as CreateAuthorizedTransaction<RuntimeCall>>::create_authorized_transaction(
				bob_heartbeat_call(),
			);
		assert_eq!(Executive::apply_extrinsic(xt), Ok(Ok(())));
		let bob = Sr25519Keyring::Bob.to_account_id();
		assert_eq!(pallet_nodes::Nodes::<Runtime>::get(&bob).unwrap().last_heartbeat, Some(1));
	});
}

/// A bare transaction is checked by its call's `authorize` closure in the pool and again when a
/// block applies it, so a forged one is refused even when a block author puts it in a block
/// itself; a bare call that authorizes nothing (and no pallet validates) is refused too.
#[test]
fn a_bare_transaction_without_a_valid_authorization_is_refused() {
	use sp_runtime::transaction_validity::{
		InvalidTransaction, TransactionSource, TransactionValidityError,
	};

	preset_ext("development").execute_with(|| {
		start_block(true);
		let RuntimeCall::Nodes(pallet_nodes::Call::heartbeat { heartbeat, .. }) =
			bob_heartbeat_call()
		else {
			unreachable!()
		};
		let forged = bare(RuntimeCall::Nodes(pallet_nodes::Call::heartbeat {
			heartbeat,
			signature: sp_core::sr25519::Signature::from_raw([7; 64]).into(),
		}));
		assert_eq!(
			Executive::validate_transaction(
				TransactionSource::External,
				forged.clone(),
				System::parent_hash()
			),
			Err(TransactionValidityError::Invalid(InvalidTransaction::BadProof))
		);
		assert_eq!(
			Executive::apply_extrinsic(forged),
			Err(TransactionValidityError::Invalid(InvalidTransaction::BadProof))
		);
		let bob = Sr25519Keyring::Bob.to_account_id();
		assert_eq!(pallet_nodes::Nodes::<Runtime>::get(&bob).unwrap().last_heartbeat, None);

		let remark =
			bare(RuntimeCall::System(SystemCall::remark_with_event { remark: b"x".to_vec() }));
		assert_eq!(
			Executive::validate_transaction(
				TransactionSource::External,
				remark.clone(),
				System::parent_hash()
			),
			Err(TransactionValidityError::Invalid(InvalidTransaction::Call))
		);
		assert!(Executive::apply_extrinsic(remark).is_err());
	});
}

/// An offchain worker that resends an answer signs it again: role-key (sr25519) signatures are
/// randomized, so the copy is other bytes (the pool's half-hour ban of a hash one of its views
/// found invalid cannot hold it back), and each copy is valid where it is sent.
#[test]
fn an_offchain_workers_resent_transaction_is_new_bytes() {
	use sp_runtime::transaction_validity::TransactionSource;

	preset_ext("development").execute_with(|| {
		start_block(true);
		let validate = |xt: UncheckedExtrinsic| {
			Executive::validate_transaction(TransactionSource::Local, xt, System::parent_hash())
		};
		// Bob's heartbeat for this period (blocks 0 to 4), signed and sent twice.
		let first = bare(bob_heartbeat_call());
		let again = bare(bob_heartbeat_call());
		assert_ne!(first.encode(), again.encode(), "a resend is other bytes");
		assert!(validate(first).is_ok());
		let second = validate(again);
		assert!(second.is_ok(), "{second:?}");
	});
}

/// Every call of the node registry, the rounds and the TEE registry at its worst case fits in a
/// block: the largest committee, the most nodes.
#[test]
fn the_attestations_worst_cases_fit_in_a_block() {
	use frame_support::{dispatch::DispatchClass, traits::Get};
	use pallet_attestations::WeightInfo as _;
	use pallet_nodes::WeightInfo as _;
	use pallet_tee::WeightInfo as _;
	type N = <Runtime as pallet_nodes::Config>::WeightInfo;
	type A = <Runtime as pallet_attestations::Config>::WeightInfo;
	type T = <Runtime as pallet_tee::Config>::WeightInfo;
	type C = Runtime;

	let weights = configs::RuntimeBlockWeights::get();
	let max_extrinsic = weights.get(DispatchClass::Normal).max_extrinsic.expect("a limit");
	let k = <C as pallet_attestations::Config>::MaxCommitteeSize::get();
	let nodes = <C as pallet_nodes::Config>::MaxNodes::get();
	for (call, weight) in [
		("register", N::register()),
		// A heartbeat's weight includes its authorization, which it pays no other way.
		("heartbeat", N::heartbeat().saturating_add(N::authorize_heartbeat())),
		("reveal (concluding)", A::reveal().saturating_add(A::conclude_round(k))),
		("challenge", A::challenge()),
		("appeal", A::appeal()),
		("open_round", A::open_round()),
		("select", N::select(nodes, k)),
		("refresh_collateral", T::refresh_collateral()),
		("register_tee", T::register_tee()),
		(
			"revoke_measurement",
			T::revoke_measurement(<C as pallet_tee::Config>::MaxTeeNodesPerMeasurement::get()),
		),
	] {
		assert!(weight.all_lte(max_extrinsic), "{call} at its worst case weighs {weight:?}");
	}
	// The hooks: `hooks::the_hooks_together_stay_under_a_third_of_the_normal_block`.
}

/// Every inference call at its worst case fits in a block: the largest input and output.
#[test]
fn the_inference_worst_cases_fit_in_a_block() {
	use frame_support::dispatch::DispatchClass;
	use pallet_inference::WeightInfo;
	type W = <Runtime as pallet_inference::Config>::WeightInfo;

	let weights = configs::RuntimeBlockWeights::get();
	let max_extrinsic = weights.get(DispatchClass::Normal).max_extrinsic.expect("a limit");
	// The most values a request or an answer can carry within the byte limits.
	let most = configs::inference::MAX_TENSOR_BYTES / 17;
	for (call, weight) in
		[
			("request", W::request(most)),
			// Answers' weights include their authorization, which they pay no other way.
			(
				"submit_result",
				W::submit_result_vanilla(most)
					.max(W::submit_result_attested(most))
					.saturating_add(W::authorize_submit_result(most))
					.saturating_add(<Attestations as opg_primitives::attestation::Attestations<
						_,
					>>::open_claim_weight()),
			),
			("report_failure", W::report_failure().saturating_add(W::authorize_report_failure())),
			(
				"submit_tee_result",
				W::submit_tee_result(most).saturating_add(W::authorize_submit_tee_result(most)),
			),
		] {
		assert!(weight.all_lte(max_extrinsic), "{call} at its worst case weighs {weight:?}");
	}
	// The hooks: `hooks::the_hooks_together_stay_under_a_third_of_the_normal_block`.
}

/// For `scripts/bench.sh`: how many requests and answers fit in one block, by weight and by
/// length, for a request on the 16-input demo MLP and its 4-output answer, with selection among
/// the most nodes the registry takes (10,000). Prints one JSON line.
#[test]
#[ignore = "a report for scripts/bench.sh, not a check"]
fn block_capacity_report() {
	use frame_support::dispatch::DispatchClass;
	use opg_primitives::inference::{FixedPoint, Tensor, TensorValues, Tensors};
	use pallet_inference::WeightInfo;
	type W = <Runtime as pallet_inference::Config>::WeightInfo;

	let tensor = |name: &[u8], n: u32| Tensor {
		name: name.to_vec().try_into().unwrap(),
		shape: vec![1, n].try_into().unwrap(),
		values: TensorValues::Numbers(
			vec![FixedPoint { value: -1_234_567, decimals: 7 }; n as usize].try_into().unwrap(),
		),
	};
	let input: Tensors = vec![tensor(b"input", 16)].try_into().unwrap();
	let output: Tensors = vec![tensor(b"logits", 4)].try_into().unwrap();
	let request = RuntimeCall::Inference(pallet_inference::Call::request {
		model: 0,
		version: None,
		input,
		mode: opg_primitives::model::InferenceMode::Vanilla,
		max_fee: OPG,
	});
	// A signed transaction adds its address, signature and extensions: about 110 bytes.
	let request_len = request.encoded_size() + 110;
	let answer = RuntimeCall::Inference(pallet_inference::Call::submit_result {
		job: 0,
		node: Sr25519Keyring::Alice.to_account_id(),
		output,
		signature: sp_core::sr25519::Signature::from_raw([0; 64]).into(),
	});
	let answer_len = answer.encoded_size() + 10;
	let weights = configs::RuntimeBlockWeights::get();
	let normal = weights.get(DispatchClass::Normal);
	let budget =
		normal.max_total.unwrap_or(weights.max_block).saturating_sub(normal.base_extrinsic);
	let per_tx = |w: frame_support::weights::Weight| {
		budget.ref_time() / w.saturating_add(normal.base_extrinsic).ref_time().max(1)
	};
	type Selection = <Runtime as pallet_nodes::Config>::WeightInfo;
	// A request pays for its own work; the next block's hook draws its node. Counted against
	// the same block: the hook's cost per job when it assigns a full block of jobs
	// (`MaxAssignmentsPerBlock`) among pools of 128 and of 10,000 nodes (tree capacity 16,384).
	let jobs = configs::inference::MAX_ASSIGNMENTS_PER_BLOCK;
	let hook_per_job = |capacity: u32| {
		W::process_assignments(jobs)
			.saturating_add(<Selection as pallet_nodes::WeightInfo>::select_each(capacity, jobs))
			.saturating_add(<Runtime as frame_system::Config>::DbWeight::get().reads(1))
			.ref_time()
			/ u64::from(jobs)
	};
	let hook_128 = frame_support::weights::Weight::from_parts(hook_per_job(128), 0);
	let hook_10k = frame_support::weights::Weight::from_parts(
		hook_per_job(configs::nodes::MAX_NODES.next_power_of_two()),
		0,
	);
	let request_weight = W::request(16).saturating_add(hook_10k);
	let request_weight_128 = W::request(16).saturating_add(hook_128);
	let answer_weight = W::submit_result_vanilla(4)
		.max(W::submit_result_attested(4))
		.saturating_add(W::authorize_submit_result(4))
		.saturating_add(
			<Attestations as opg_primitives::attestation::Attestations<_>>::open_claim_weight(),
		);
	let zk_answer_weight = W::submit_proof()
		.saturating_add(W::submit_result_vanilla(4).saturating_sub(W::submit_result_vanilla(0)))
		.saturating_add(W::authorize_submit_result(4));
	type Tee = <Runtime as pallet_tee::Config>::WeightInfo;
	let tee_register = <Tee as pallet_tee::WeightInfo>::register_tee();
	let tee_refresh = <Tee as pallet_tee::WeightInfo>::refresh_collateral();
	let tee_answer_weight =
		W::submit_tee_result(4).saturating_add(W::authorize_submit_tee_result(4));
	let length = *configs::system::RuntimeBlockLength::get().max.get(DispatchClass::Normal);
	// An attested job whose answer is the largest output allowed, with a production committee:
	// the node's commitment, the draw, every member's commitment, every member's and the
	// node's full reveal (judged against the others), the conclusion and the settlement, each
	// transaction with its authorization.
	type A = <Runtime as pallet_attestations::Config>::WeightInfo;
	use pallet_attestations::WeightInfo as _;
	let committee = configs::attestations::production_parameters().committee_size;
	let largest = configs::inference::MAX_TENSOR_BYTES;
	let participants = u64::from(committee) + 1;
	let attested_job = W::submit_result_attested(0)
		.saturating_add(W::authorize_report_failure())
		.saturating_add(A::open_round())
		.saturating_add(A::draw_committee(committee))
		.saturating_add(
			A::commit().saturating_add(A::authorize_commit()).saturating_mul(committee.into()),
		)
		.saturating_add(
			Attestations::reveal_weight_for(largest, committee)
				.saturating_add(A::authorize_reveal())
				.saturating_mul(participants),
		)
		.saturating_add(A::conclude_round(committee))
		.saturating_add(<Inference as opg_primitives::attestation::OnConclusion<_>>::weight())
		// Each of its 1 + committee + participants transactions' base weight.
		.saturating_add(
			normal.base_extrinsic.saturating_mul(1 + u64::from(committee) + participants),
		);
	// A reveal carries the output, a commitment about 200 bytes.
	let attested_len =
		(u64::from(largest) + 200).saturating_mul(participants) + 200 * u64::from(committee);
	println!(
		"OPG-BENCH {}",
		serde_json::json!({
			"block_ref_time_ms": weights.max_block.ref_time() / 1_000_000_000,
			"normal_ref_time_ms": budget.ref_time() / 1_000_000_000,
			"block_length": length,
			"request_weight_us": request_weight.ref_time() / 1_000_000,
			"request_own_us": W::request(16).ref_time() / 1_000_000,
			"hook_per_job_128_us": hook_128.ref_time() / 1_000_000,
			"hook_per_job_10k_us": hook_10k.ref_time() / 1_000_000,
			"assignments_per_block_10k": (configs::inference::AssignmentBudget::get().ref_time()
				/ hook_10k.ref_time().max(1))
				.min(u64::from(jobs)),
			"request_len": request_len,
			"requests_by_weight": per_tx(request_weight),
			"request_weight_128_us": request_weight_128.ref_time() / 1_000_000,
			"requests_by_weight_128": per_tx(request_weight_128),
			"requests_by_length": u64::from(length) / request_len as u64,
			"answer_weight_us": answer_weight.ref_time() / 1_000_000,
			"answer_len": answer_len,
			"answers_by_weight": per_tx(answer_weight),
			"answers_by_length": u64::from(length) / answer_len as u64,
			// A ZK answer: verification and settlement (the fixture's 4-value output) plus its
			// authorization.
			"submit_proof_us": zk_answer_weight.ref_time() / 1_000_000,
			"zk_answers_by_weight": per_tx(zk_answer_weight),
			// TEE mode: a registration and a collateral refresh with the real TDX sample (the
			// host function's verification included), and an enclave-signed answer.
			"register_tee_us": tee_register.ref_time() / 1_000_000,
			"register_tee_proof_kb": tee_register.proof_size() / 1_024,
			"refresh_collateral_us": tee_refresh.ref_time() / 1_000_000,
			"refresh_collateral_proof_kb": tee_refresh.proof_size() / 1_024,
			"registrations_by_weight": per_tx(tee_register),
			"tee_answer_us": tee_answer_weight.ref_time() / 1_000_000,
			"tee_answers_by_weight": per_tx(tee_answer_weight),
			// Attested mode with full reveals at the largest output (issue 34).
			"attested_committee": committee,
			"attested_output_bytes": largest,
			"attested_job_us": attested_job.ref_time() / 1_000_000,
			"attested_jobs_by_weight": budget.ref_time() / attested_job.ref_time().max(1),
			"attested_job_len": attested_len,
			"attested_jobs_by_length": u64::from(length) / attested_len.max(1),
		})
	);
}

/// For `scripts/bench.sh`: the inference offchain worker's time in one block when the chain
/// holds `others` open jobs of other nodes beside this node's 10, for 0 and 10,000 others.
/// The engine answers at once, so the figure is the worker's own cost: finding its jobs,
/// decoding them, signing and submitting. Prints one JSON line.
#[test]
#[ignore = "a report for scripts/bench.sh, not a check"]
fn offchain_worker_cost_report() {
	use frame_support::traits::Hooks;
	use opg_primitives::{
		inference::{
			EngineError, FeeQuote, InferenceEngine, InferenceExt, JobStatus, ModelRef, Tensor,
			Tensors, Tolerance,
		},
		model::InferenceMode,
	};
	use sp_core::offchain::{testing, OffchainDbExt, OffchainWorkerExt, TransactionPoolExt};
	use sp_keystore::{testing::MemoryKeystore, Keystore, KeystoreExt};

	struct Instant;
	impl InferenceEngine for Instant {
		fn run(
			&self,
			_: &ModelRef,
			input: &[Tensor],
			_: &mut dyn FnMut(u32) -> Option<Vec<u8>>,
		) -> Result<Tensors, EngineError> {
			Ok(input.to_vec().try_into().expect("as many as the input"))
		}
	}

	let measure = |others: u64| -> f64 {
		let mut ext = preset_ext("development");
		let (offchain, _) = testing::TestOffchainExt::new();
		let (pool, pool_state) = testing::TestTransactionPoolExt::new();
		let keystore = MemoryKeystore::new();
		keystore
			.sr25519_generate_new(opg_primitives::attestation::NODE_KEY_TYPE, Some("//Alice"))
			.unwrap();
		ext.register_extension(OffchainWorkerExt::new(offchain.clone()));
		ext.register_extension(OffchainDbExt::new(offchain));
		ext.register_extension(TransactionPoolExt::new(pool));
		ext.register_extension(KeystoreExt::new(keystore));
		ext.register_extension(InferenceExt(std::sync::Arc::new(Instant)));
		ext.execute_with(|| {
			let alice = Sr25519Keyring::Alice.to_account_id();
			let bob = Sr25519Keyring::Bob.to_account_id();
			let input: Tensors = Default::default();
			for job in 0..others + 10 {
				let node = if job < others { bob.clone() } else { alice.clone() };
				pallet_inference::Jobs::<Runtime>::insert(
					job,
					pallet_inference::Job {
						requester: bob.clone(),
						model: 0,
						version: 1,
						owner: bob.clone(),
						model_ref: ModelRef {
							content_id: Default::default(),
							byte_size: 1,
							chunk_size: 1,
						},
						input_hash: Default::default(),
						mode: InferenceMode::Vanilla,
						fee: FeeQuote { price: 0, protocol_fee: 0, total: 0, output_deposit: 0 },
						tolerance: Tolerance::EXACT,
						status: JobStatus::Assigned {
							node: node.clone(),
							deadline: 100,
							reassigned: false,
						},
						output: None,
						requested_at: 1,
						output_bound: 64,
					},
				);
				pallet_inference::Inputs::<Runtime>::insert(
					job,
					pallet_inference::EncodedInput::<Runtime>::truncate_from(input.encode()),
				);
				pallet_inference::Assignments::<Runtime>::insert(&node, job, ());
			}
			System::set_block_number(2);
			let started = std::time::Instant::now();
			Inference::offchain_worker(2);
			let elapsed = started.elapsed().as_secs_f64() * 1e3;
			assert_eq!(pool_state.read().transactions.len(), 10, "one answer per own job");
			elapsed
		})
	};
	let few = measure(0);
	let many = measure(10_000);
	println!(
		"OPG-BENCH {}",
		serde_json::json!({ "ocw_ms_10_jobs": few, "ocw_ms_10_of_10010_jobs": many })
	);
}
