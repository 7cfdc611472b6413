//! Unit tests: every call, every error path, every event, and the deposit invariants (checked by
//! `try_state` after each test through `ExtBuilder::build_and_execute`).

// Tests may panic: a panic is a failed test.
#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]

use crate::{mock::*, *};
use frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold};
use opg_primitives::model::{
	content_id, Dim, IoSchemaInput, ModeSet, TensorDtype, TensorSpecInput, MAX_DESCRIPTION_LEN,
	MAX_NAME_LEN, MAX_RANK, MAX_TENSORS, MAX_TENSOR_NAME_LEN,
};

fn tensor(name: &str, shape: Vec<Dim>) -> TensorSpecInput {
	TensorSpecInput { name: name.as_bytes().to_vec(), dtype: TensorDtype::Float32, shape }
}

fn schema() -> IoSchemaInput {
	IoSchemaInput {
		inputs: vec![tensor("input", vec![Dim::Dynamic, Dim::Fixed(4)])],
		outputs: vec![tensor("output", vec![Dim::Dynamic, Dim::Fixed(2)])],
	}
}

fn vanilla() -> ModeSet {
	ModeSet { vanilla: true, attested: true, zk: false }
}

/// Model bytes of `len` bytes whose content depends on `seed`.
fn model_bytes(len: usize, seed: u8) -> Vec<u8> {
	(0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

/// A valid version spec for `bytes`.
fn spec(bytes: &[u8]) -> VersionSpec {
	VersionSpec {
		schema: schema(),
		modes: vanilla(),
		zk: None,
		content_id: content_id(bytes, CHUNK_SIZE).unwrap(),
		byte_size: bytes.len() as u64,
		chunk_hashes: bytes
			.chunks(CHUNK_SIZE as usize)
			.map(|chunk| H256(sp_io::hashing::blake2_256(chunk)))
			.collect(),
	}
}

fn register(owner: AccountId, bytes: &[u8]) -> ModelId {
	let id = NextModelId::<Test>::get();
	assert_ok!(ModelRegistry::register_model(
		RuntimeOrigin::signed(owner),
		b"mlp".to_vec(),
		b"a small classifier".to_vec(),
		10,
		spec(bytes),
	));
	id
}

fn upload_all(owner: AccountId, model_id: ModelId, version: VersionNumber, bytes: &[u8]) {
	for (index, chunk) in bytes.chunks(CHUNK_SIZE as usize).enumerate() {
		assert_ok!(ModelRegistry::upload_chunk(
			RuntimeOrigin::signed(owner),
			model_id,
			version,
			index as u32,
			chunk.to_vec(),
		));
	}
}

/// Registers and fully uploads a model of 20 bytes (three chunks).
fn active_model(owner: AccountId, seed: u8) -> (ModelId, Vec<u8>) {
	let bytes = model_bytes(20, seed);
	let id = register(owner, &bytes);
	upload_all(owner, id, 1, &bytes);
	(id, bytes)
}

fn held(who: AccountId) -> Balance {
	Balances::balance_on_hold(&HoldReason::ModelDeposit.into(), &who)
}

mod register_model {
	use super::*;

	#[test]
	fn registers_the_model_and_holds_its_deposit() {
		ExtBuilder::default().build_and_execute(|| {
			let bytes = model_bytes(20, 1);
			let id = register(ALICE, &bytes);
			assert_eq!(id, 0);
			let model = Models::<Test>::get(id).unwrap();
			assert_eq!(model.owner, ALICE);
			assert_eq!(model.name.to_vec(), b"mlp".to_vec());
			assert_eq!(model.price, 10);
			assert_eq!(model.status, ModelStatus::Active);
			assert_eq!(model.active_version, None);
			assert_eq!(model.latest_version, 1);
			let version = Versions::<Test>::get(id, 1).unwrap();
			assert_eq!(version.chunk_count, 3);
			assert_eq!(version.byte_size, 20);
			assert_eq!(
				version.upload,
				UploadState::Uploading { next_chunk: 0, expires_at: 1 + UPLOAD_TIMEOUT }
			);
			assert_eq!(ContentIndex::<Test>::get(version.content_id), Some((id, 1)));
			assert!(ModelsByOwner::<Test>::contains_key(ALICE, id));
			assert_eq!(NextModelId::<Test>::get(), 1);
			// Base deposit twice, plus bytes: the model's name and description, the version's
			// schema and chunk hashes.
			assert_eq!(held(ALICE), model.deposit + version.deposit);
			assert_eq!(model.deposit, DEPOSIT_BASE + 3 + 18);
			assert!(version.deposit > DEPOSIT_BASE + 3 * 32);
			System::assert_last_event(
				Event::ModelRegistered {
					model_id: id,
					owner: ALICE,
					version: 1,
					content_id: content_id(&bytes, CHUNK_SIZE).unwrap(),
					byte_size: 20,
					chunk_count: 3,
				}
				.into(),
			);
		});
	}

	#[test]
	fn rejects_bad_names_and_descriptions() {
		ExtBuilder::default().build_and_execute(|| {
			let bytes = model_bytes(20, 1);
			let call = |name: Vec<u8>, description: Vec<u8>| {
				ModelRegistry::register_model(
					RuntimeOrigin::signed(ALICE),
					name,
					description,
					10,
					spec(&bytes),
				)
			};
			assert_noop!(call(vec![], vec![]), Error::<Test>::EmptyName);
			assert_noop!(
				call(vec![b'n'; MAX_NAME_LEN as usize + 1], vec![]),
				Error::<Test>::NameTooLong
			);
			assert_noop!(
				call(b"ok".to_vec(), vec![b'd'; MAX_DESCRIPTION_LEN as usize + 1]),
				Error::<Test>::DescriptionTooLong
			);
		});
	}

	#[test]
	fn rejects_bad_schemas() {
		ExtBuilder::default().build_and_execute(|| {
			let bytes = model_bytes(20, 1);
			let with_schema = |schema: IoSchemaInput| {
				let mut version = spec(&bytes);
				version.schema = schema;
				ModelRegistry::register_model(
					RuntimeOrigin::signed(ALICE),
					b"m".to_vec(),
					vec![],
					1,
					version,
				)
			};
			let out = || vec![tensor("out", vec![Dim::Fixed(1)])];
			let cases: Vec<(IoSchemaInput, Error<Test>)> = vec![
				(IoSchemaInput { inputs: vec![], outputs: out() }, Error::<Test>::NoTensors),
				(IoSchemaInput { inputs: out(), outputs: vec![] }, Error::<Test>::NoTensors),
				(
					IoSchemaInput {
						inputs: (0..=MAX_TENSORS)
							.map(|i| tensor(&format!("t{i}"), vec![Dim::Fixed(1)]))
							.collect(),
						outputs: out(),
					},
					Error::<Test>::TooManyTensors,
				),
				(
					IoSchemaInput { inputs: vec![tensor("", vec![Dim::Fixed(1)])], outputs: out() },
					Error::<Test>::BadTensorName,
				),
				(
					IoSchemaInput {
						inputs: vec![
							tensor("x", vec![Dim::Fixed(1)]),
							tensor("x", vec![Dim::Fixed(2)]),
						],
						outputs: out(),
					},
					Error::<Test>::BadTensorName,
				),
				(
					IoSchemaInput {
						inputs: vec![tensor(
							&"n".repeat(MAX_TENSOR_NAME_LEN as usize + 1),
							vec![Dim::Fixed(1)],
						)],
						outputs: out(),
					},
					Error::<Test>::TensorNameTooLong,
				),
				(
					IoSchemaInput { inputs: vec![tensor("x", vec![])], outputs: out() },
					Error::<Test>::EmptyShape,
				),
				(
					IoSchemaInput {
						inputs: vec![tensor("x", vec![Dim::Fixed(1); MAX_RANK as usize + 1])],
						outputs: out(),
					},
					Error::<Test>::RankTooHigh,
				),
				(
					IoSchemaInput {
						inputs: vec![tensor("x", vec![Dim::Fixed(0)])],
						outputs: out(),
					},
					Error::<Test>::BadDimension,
				),
				(
					IoSchemaInput {
						inputs: vec![tensor("x", vec![Dim::Fixed(u32::MAX)])],
						outputs: out(),
					},
					Error::<Test>::BadDimension,
				),
				(
					IoSchemaInput {
						inputs: vec![tensor("x", vec![Dim::Fixed(1), Dim::Dynamic])],
						outputs: out(),
					},
					Error::<Test>::MisplacedDynamicDim,
				),
				(
					IoSchemaInput {
						inputs: vec![tensor("x", vec![Dim::Fixed(1 << 20), Dim::Fixed(1 << 20)])],
						outputs: out(),
					},
					Error::<Test>::TooManyElements,
				),
			];
			for (schema, error) in cases {
				assert_noop!(with_schema(schema), error);
			}
		});
	}

	#[test]
	fn rejects_bad_modes_and_zk_artifacts() {
		ExtBuilder::default().build_and_execute(|| {
			let bytes = model_bytes(20, 1);
			let with = |modes: ModeSet, zk: Option<ZkArtifactsInput>| {
				let mut version = spec(&bytes);
				version.modes = modes;
				version.zk = zk;
				ModelRegistry::register_model(
					RuntimeOrigin::signed(ALICE),
					b"m".to_vec(),
					vec![],
					1,
					version,
				)
			};
			let zk_only = ModeSet { vanilla: false, attested: false, zk: true };
			let key = |len: usize| {
				Some(ZkArtifactsInput {
					verifying_key: vec![7; len],
					proving_key_hash: H256([1; 32]),
				})
			};
			assert_noop!(with(ModeSet::default(), None), Error::<Test>::NoModes);
			assert_noop!(with(zk_only, None), Error::<Test>::ZkArtifactsMismatch);
			assert_noop!(with(vanilla(), key(32)), Error::<Test>::ZkArtifactsMismatch);
			assert_noop!(with(zk_only, key(0)), Error::<Test>::BadVerifyingKey);
			assert_noop!(
				with(zk_only, key(opg_primitives::model::MAX_VERIFYING_KEY_LEN as usize + 1)),
				Error::<Test>::BadVerifyingKey
			);
			assert_ok!(with(zk_only, key(256)));
			let version = Versions::<Test>::get(0, 1).unwrap();
			assert_eq!(version.zk.unwrap().verifying_key.len(), 256);
		});
	}

	#[test]
	fn rejects_bad_sizes_and_content_ids() {
		ExtBuilder::default().build_and_execute(|| {
			let bytes = model_bytes(20, 1);
			let with = |version: VersionSpec| {
				ModelRegistry::register_model(
					RuntimeOrigin::signed(ALICE),
					b"m".to_vec(),
					vec![],
					1,
					version,
				)
			};
			let mut empty = spec(&bytes);
			empty.byte_size = 0;
			assert_noop!(with(empty), Error::<Test>::EmptyModel);

			// 16 chunks of 8 bytes is the most the mock allows.
			let too_big = model_bytes(16 * CHUNK_SIZE as usize + 1, 1);
			assert_noop!(with(spec(&too_big)), Error::<Test>::ModelTooLarge);
			assert_ok!(with(spec(&model_bytes(16 * CHUNK_SIZE as usize, 9))));

			let mut missing_hash = spec(&bytes);
			missing_hash.chunk_hashes.pop();
			assert_noop!(with(missing_hash), Error::<Test>::ChunkCountMismatch);

			let mut wrong_size = spec(&bytes);
			wrong_size.byte_size = 19;
			assert_noop!(with(wrong_size), Error::<Test>::ContentIdMismatch);

			let mut wrong_hash = spec(&bytes);
			wrong_hash.chunk_hashes[1] = H256([0; 32]);
			assert_noop!(with(wrong_hash), Error::<Test>::ContentIdMismatch);
		});
	}

	#[test]
	fn rejects_duplicates_and_poor_owners() {
		ExtBuilder::default().build_and_execute(|| {
			let bytes = model_bytes(20, 1);
			register(ALICE, &bytes);
			assert_noop!(
				ModelRegistry::register_model(
					RuntimeOrigin::signed(BOB),
					b"copy".to_vec(),
					vec![],
					1,
					spec(&bytes),
				),
				Error::<Test>::DuplicateModel
			);
			assert_noop!(
				ModelRegistry::register_model(
					RuntimeOrigin::signed(POOR),
					b"m".to_vec(),
					vec![],
					1,
					spec(&model_bytes(20, 2)),
				),
				Error::<Test>::InsufficientDeposit
			);
			assert_eq!(held(POOR), 0);
		});
	}

	#[test]
	fn rejects_unsigned_origins() {
		ExtBuilder::default().build_and_execute(|| {
			assert_noop!(
				ModelRegistry::register_model(
					RuntimeOrigin::none(),
					b"m".to_vec(),
					vec![],
					1,
					spec(&model_bytes(20, 1)),
				),
				DispatchError::BadOrigin
			);
		});
	}

	#[test]
	fn fails_when_model_ids_run_out() {
		ExtBuilder::default().build_and_execute(|| {
			NextModelId::<Test>::put(ModelId::MAX);
			assert_noop!(
				ModelRegistry::register_model(
					RuntimeOrigin::signed(ALICE),
					b"m".to_vec(),
					vec![],
					1,
					spec(&model_bytes(20, 1)),
				),
				Error::<Test>::ModelIdsExhausted
			);
		});
	}

	#[test]
	fn fails_when_the_expiry_queue_is_full() {
		ExtBuilder::default().build_and_execute(|| {
			register(ALICE, &model_bytes(20, 1));
			register(ALICE, &model_bytes(20, 2));
			assert_noop!(
				ModelRegistry::register_model(
					RuntimeOrigin::signed(ALICE),
					b"m".to_vec(),
					vec![],
					1,
					spec(&model_bytes(20, 3)),
				),
				Error::<Test>::ExpiryQueueFull
			);
			run_to_block(2);
			register(ALICE, &model_bytes(20, 3));
		});
	}
}

mod upload_chunk {
	use super::*;

	#[test]
	fn uploads_in_order_indexes_off_chain_and_activates() {
		let mut ext = ExtBuilder::default().build();
		let bytes = model_bytes(20, 1);
		let cid = content_id(&bytes, CHUNK_SIZE).unwrap();
		ext.execute_with(|| {
			let id = register(ALICE, &bytes);
			assert_ok!(ModelRegistry::upload_chunk(
				RuntimeOrigin::signed(ALICE),
				id,
				1,
				0,
				bytes[..8].to_vec()
			));
			System::assert_last_event(
				Event::ChunkUploaded { model_id: id, version: 1, index: 0, remaining: 2 }.into(),
			);
			assert_eq!(
				Versions::<Test>::get(id, 1).unwrap().upload,
				UploadState::Uploading { next_chunk: 1, expires_at: 1 + UPLOAD_TIMEOUT }
			);
			assert_ok!(ModelRegistry::upload_chunk(
				RuntimeOrigin::signed(ALICE),
				id,
				1,
				1,
				bytes[8..16].to_vec()
			));
			assert_ok!(ModelRegistry::upload_chunk(
				RuntimeOrigin::signed(ALICE),
				id,
				1,
				2,
				bytes[16..].to_vec()
			));
			let version = Versions::<Test>::get(id, 1).unwrap();
			assert_eq!(version.upload, UploadState::Complete { at: 1 });
			// A complete upload leaves the expiry queue.
			assert!(UploadExpiries::<Test>::get(1 + UPLOAD_TIMEOUT).is_empty());
			assert!(version.approved);
			assert_eq!(Models::<Test>::get(id).unwrap().active_version, Some(1));
			System::assert_has_event(
				Event::UploadCompleted { model_id: id, version: 1, content_id: cid }.into(),
			);
			System::assert_last_event(Event::VersionActivated { model_id: id, version: 1 }.into());
			let runnable = <ModelRegistry as ModelCatalog<_, _>>::runnable(id).unwrap();
			assert_eq!(runnable.content_id, cid);
			assert_eq!(runnable.price, 10);
			assert_eq!(ModelRegistry::active_models(), vec![id]);
			ModelRegistry::do_try_state().unwrap();
		});
		// The bytes are in the off-chain database, chunk by chunk, and not in state.
		ext.persist_offchain_overlay();
		let db = ext.offchain_db();
		let stored: Vec<u8> =
			(0..3).flat_map(|index| db.get(&chunk_storage_key(&cid, index)).unwrap()).collect();
		assert_eq!(stored, bytes);
	}

	#[test]
	fn rejects_bad_chunks() {
		ExtBuilder::default().build_and_execute(|| {
			let bytes = model_bytes(20, 1);
			let id = register(ALICE, &bytes);
			let upload = |who: AccountId, version: VersionNumber, index: u32, data: &[u8]| {
				ModelRegistry::upload_chunk(
					RuntimeOrigin::signed(who),
					id,
					version,
					index,
					data.to_vec(),
				)
			};
			assert_noop!(upload(BOB, 1, 0, &bytes[..8]), Error::<Test>::NotOwner);
			assert_noop!(upload(ALICE, 2, 0, &bytes[..8]), Error::<Test>::VersionNotFound);
			assert_noop!(
				ModelRegistry::upload_chunk(
					RuntimeOrigin::signed(ALICE),
					99,
					1,
					0,
					bytes[..8].to_vec()
				),
				Error::<Test>::ModelNotFound
			);
			assert_noop!(upload(ALICE, 1, 1, &bytes[8..16]), Error::<Test>::ChunkOutOfOrder);
			assert_noop!(upload(ALICE, 1, 0, &bytes[..9]), Error::<Test>::ChunkTooLarge);
			assert_noop!(upload(ALICE, 1, 0, &bytes[..7]), Error::<Test>::WrongChunkSize);
			assert_noop!(upload(ALICE, 1, 0, &bytes[8..16]), Error::<Test>::WrongChunkHash);
			assert_ok!(upload(ALICE, 1, 0, &bytes[..8]));
			assert_noop!(upload(ALICE, 1, 0, &bytes[..8]), Error::<Test>::ChunkAlreadyUploaded);
			assert_ok!(upload(ALICE, 1, 1, &bytes[8..16]));
			// The last chunk holds the remainder: four bytes, not eight.
			assert_noop!(upload(ALICE, 1, 2, &model_bytes(8, 5)), Error::<Test>::WrongChunkSize);
			assert_ok!(upload(ALICE, 1, 2, &bytes[16..]));
			assert_noop!(upload(ALICE, 1, 2, &bytes[16..]), Error::<Test>::UploadNotInProgress);
		});
	}

	#[test]
	fn waits_for_approval_when_required() {
		ExtBuilder::default().approval_required().build_and_execute(|| {
			let bytes = model_bytes(20, 1);
			let id = register(ALICE, &bytes);
			upload_all(ALICE, id, 1, &bytes);
			let version = Versions::<Test>::get(id, 1).unwrap();
			assert!(!version.approved);
			assert_eq!(Models::<Test>::get(id).unwrap().active_version, None);
			assert!(<ModelRegistry as ModelCatalog<_, _>>::runnable(id).is_none());
			System::assert_last_event(
				Event::UploadCompleted { model_id: id, version: 1, content_id: version.content_id }
					.into(),
			);
		});
	}
}

mod add_version {
	use super::*;

	#[test]
	fn adds_and_activates_a_new_version() {
		ExtBuilder::default().build_and_execute(|| {
			let (id, _) = active_model(ALICE, 1);
			let v2 = model_bytes(12, 2);
			assert_ok!(ModelRegistry::add_version(RuntimeOrigin::signed(ALICE), id, spec(&v2)));
			System::assert_last_event(
				Event::VersionAdded {
					model_id: id,
					version: 2,
					content_id: content_id(&v2, CHUNK_SIZE).unwrap(),
					byte_size: 12,
					chunk_count: 2,
				}
				.into(),
			);
			// Version 1 keeps serving until version 2 is complete.
			assert_eq!(Models::<Test>::get(id).unwrap().active_version, Some(1));
			upload_all(ALICE, id, 2, &v2);
			assert_eq!(Models::<Test>::get(id).unwrap().active_version, Some(2));
			assert_eq!(Models::<Test>::get(id).unwrap().latest_version, 2);
		});
	}

	#[test]
	fn rejects_bad_version_requests() {
		ExtBuilder::default().build_and_execute(|| {
			let (id, v1) = active_model(ALICE, 1);
			let add = |who: AccountId, model: ModelId, bytes: &[u8]| {
				ModelRegistry::add_version(RuntimeOrigin::signed(who), model, spec(bytes))
			};
			assert_noop!(add(ALICE, 99, &model_bytes(12, 2)), Error::<Test>::ModelNotFound);
			assert_noop!(add(BOB, id, &model_bytes(12, 2)), Error::<Test>::NotOwner);
			assert_noop!(add(ALICE, id, &v1), Error::<Test>::DuplicateModel);

			assert_ok!(add(ALICE, id, &model_bytes(12, 2)));
			assert_noop!(add(ALICE, id, &model_bytes(12, 3)), Error::<Test>::UploadInProgress);
			upload_all(ALICE, id, 2, &model_bytes(12, 2));
			assert_ok!(add(ALICE, id, &model_bytes(12, 3)));
			upload_all(ALICE, id, 3, &model_bytes(12, 3));
			assert_noop!(add(ALICE, id, &model_bytes(12, 4)), Error::<Test>::TooManyVersions);
		});
	}

	#[test]
	fn refuses_deprecated_and_suspended_models() {
		ExtBuilder::default().build_and_execute(|| {
			let (id, _) = active_model(ALICE, 1);
			assert_ok!(ModelRegistry::suspend_model(RuntimeOrigin::root(), id));
			assert_noop!(
				ModelRegistry::add_version(
					RuntimeOrigin::signed(ALICE),
					id,
					spec(&model_bytes(12, 2))
				),
				Error::<Test>::ModelSuspended
			);
			assert_ok!(ModelRegistry::resume_model(RuntimeOrigin::root(), id));
			assert_ok!(ModelRegistry::deprecate_model(RuntimeOrigin::signed(ALICE), id));
			assert_noop!(
				ModelRegistry::add_version(
					RuntimeOrigin::signed(ALICE),
					id,
					spec(&model_bytes(12, 2))
				),
				Error::<Test>::ModelDeprecated
			);
		});
	}
}

mod expiry {
	use super::*;

	#[test]
	fn an_incomplete_first_upload_removes_the_model_and_returns_the_deposit() {
		ExtBuilder::default().build_and_execute(|| {
			let bytes = model_bytes(20, 1);
			let id = register(ALICE, &bytes);
			let total = Models::<Test>::get(id).unwrap().deposit
				+ Versions::<Test>::get(id, 1).unwrap().deposit;
			assert_ok!(ModelRegistry::upload_chunk(
				RuntimeOrigin::signed(ALICE),
				id,
				1,
				0,
				bytes[..8].to_vec()
			));
			run_to_block(UPLOAD_TIMEOUT);
			assert!(Models::<Test>::contains_key(id));
			run_to_block(1 + UPLOAD_TIMEOUT);
			assert!(!Models::<Test>::contains_key(id));
			assert!(!Versions::<Test>::contains_key(id, 1));
			assert!(ContentIndex::<Test>::iter().next().is_none());
			assert!(!ModelsByOwner::<Test>::contains_key(ALICE, id));
			assert_eq!(held(ALICE), 0);
			assert_eq!(Balances::free_balance(ALICE), INITIAL_BALANCE);
			System::assert_last_event(
				Event::ModelRemoved { model_id: id, deposit_released: total }.into(),
			);
			// The same bytes may be registered again.
			register(ALICE, &bytes);
		});
	}

	#[test]
	fn an_incomplete_later_version_is_dropped_alone() {
		ExtBuilder::default().build_and_execute(|| {
			let (id, _) = active_model(ALICE, 1);
			let model_deposit = Models::<Test>::get(id).unwrap().deposit
				+ Versions::<Test>::get(id, 1).unwrap().deposit;
			run_to_block(3);
			assert_ok!(ModelRegistry::add_version(
				RuntimeOrigin::signed(ALICE),
				id,
				spec(&model_bytes(12, 2))
			));
			let v2_deposit = Versions::<Test>::get(id, 2).unwrap().deposit;
			run_to_block(3 + UPLOAD_TIMEOUT);
			assert!(!Versions::<Test>::contains_key(id, 2));
			let model = Models::<Test>::get(id).unwrap();
			assert_eq!(model.latest_version, 1);
			assert_eq!(model.active_version, Some(1));
			assert_eq!(held(ALICE), model_deposit);
			System::assert_last_event(
				Event::UploadExpired { model_id: id, version: 2, deposit_released: v2_deposit }
					.into(),
			);
		});
	}

	#[test]
	fn a_complete_upload_does_not_expire() {
		ExtBuilder::default().build_and_execute(|| {
			let (id, _) = active_model(ALICE, 1);
			run_to_block(2 + UPLOAD_TIMEOUT);
			assert_eq!(Models::<Test>::get(id).unwrap().active_version, Some(1));
		});
	}
}

mod owner_calls {
	use super::*;

	#[test]
	fn set_price_works_for_the_owner_only() {
		ExtBuilder::default().build_and_execute(|| {
			let (id, _) = active_model(ALICE, 1);
			assert_ok!(ModelRegistry::set_price(RuntimeOrigin::signed(ALICE), id, 77));
			assert_eq!(Models::<Test>::get(id).unwrap().price, 77);
			System::assert_last_event(Event::PriceSet { model_id: id, price: 77 }.into());
			assert_noop!(
				ModelRegistry::set_price(RuntimeOrigin::signed(BOB), id, 1),
				Error::<Test>::NotOwner
			);
			assert_noop!(
				ModelRegistry::set_price(RuntimeOrigin::signed(ALICE), 99, 1),
				Error::<Test>::ModelNotFound
			);
		});
	}

	#[test]
	fn deprecate_then_retire_releases_every_deposit() {
		ExtBuilder::default().build_and_execute(|| {
			let (id, _) = active_model(ALICE, 1);
			let v2 = model_bytes(12, 2);
			assert_ok!(ModelRegistry::add_version(RuntimeOrigin::signed(ALICE), id, spec(&v2)));
			upload_all(ALICE, id, 2, &v2);
			let total = held(ALICE);
			assert!(total > 0);

			assert_noop!(
				ModelRegistry::retire_model(RuntimeOrigin::signed(ALICE), id),
				Error::<Test>::NotDeprecated
			);
			assert_noop!(
				ModelRegistry::deprecate_model(RuntimeOrigin::signed(BOB), id),
				Error::<Test>::NotOwner
			);
			assert_noop!(
				ModelRegistry::deprecate_model(RuntimeOrigin::signed(ALICE), 99),
				Error::<Test>::ModelNotFound
			);
			assert_ok!(ModelRegistry::deprecate_model(RuntimeOrigin::signed(ALICE), id));
			System::assert_last_event(Event::ModelDeprecated { model_id: id }.into());
			assert!(<ModelRegistry as ModelCatalog<_, _>>::runnable(id).is_none());
			assert!(ModelRegistry::active_models().is_empty());
			assert_noop!(
				ModelRegistry::deprecate_model(RuntimeOrigin::signed(ALICE), id),
				Error::<Test>::ModelDeprecated
			);

			assert_noop!(
				ModelRegistry::retire_model(RuntimeOrigin::signed(BOB), id),
				Error::<Test>::NotOwner
			);
			assert_ok!(ModelRegistry::retire_model(RuntimeOrigin::signed(ALICE), id));
			System::assert_last_event(
				Event::ModelRetired { model_id: id, deposit_released: total }.into(),
			);
			assert_eq!(held(ALICE), 0);
			assert_eq!(Balances::free_balance(ALICE), INITIAL_BALANCE);
			assert!(!Models::<Test>::contains_key(id));
			assert!(Versions::<Test>::iter_prefix(id).next().is_none());
			assert!(ChunkHashes::<Test>::iter_prefix(id).next().is_none());
			assert!(ModelRegistry::models_by_owner(&ALICE).is_empty());
			assert_noop!(
				ModelRegistry::retire_model(RuntimeOrigin::signed(ALICE), id),
				Error::<Test>::ModelNotFound
			);
			// Ids are not reused.
			assert_eq!(register(ALICE, &model_bytes(20, 5)), id + 1);
		});
	}

	#[test]
	fn models_by_owner_lists_each_owners_models() {
		ExtBuilder::default().build_and_execute(|| {
			let (a, _) = active_model(ALICE, 1);
			let (b, _) = active_model(BOB, 2);
			run_to_block(2);
			let (c, _) = active_model(ALICE, 3);
			let mut alices = ModelRegistry::models_by_owner(&ALICE);
			alices.sort();
			assert_eq!(alices, vec![a, c]);
			assert_eq!(ModelRegistry::models_by_owner(&BOB), vec![b]);
		});
	}
}

mod governance {
	use super::*;

	#[test]
	fn approve_version_activates_it() {
		ExtBuilder::default().approval_required().build_and_execute(|| {
			let bytes = model_bytes(20, 1);
			let id = register(ALICE, &bytes);
			assert_noop!(
				ModelRegistry::approve_version(RuntimeOrigin::root(), id, 1),
				Error::<Test>::VersionIncomplete
			);
			upload_all(ALICE, id, 1, &bytes);
			assert_noop!(
				ModelRegistry::approve_version(RuntimeOrigin::signed(ALICE), id, 1),
				DispatchError::BadOrigin
			);
			assert_noop!(
				ModelRegistry::approve_version(RuntimeOrigin::root(), 99, 1),
				Error::<Test>::ModelNotFound
			);
			assert_noop!(
				ModelRegistry::approve_version(RuntimeOrigin::root(), id, 2),
				Error::<Test>::VersionNotFound
			);
			assert_ok!(ModelRegistry::approve_version(RuntimeOrigin::root(), id, 1));
			System::assert_has_event(Event::VersionApproved { model_id: id, version: 1 }.into());
			System::assert_last_event(Event::VersionActivated { model_id: id, version: 1 }.into());
			assert_eq!(Models::<Test>::get(id).unwrap().active_version, Some(1));
			assert_noop!(
				ModelRegistry::approve_version(RuntimeOrigin::root(), id, 1),
				Error::<Test>::AlreadyApproved
			);
		});
	}

	#[test]
	fn suspend_and_resume() {
		ExtBuilder::default().build_and_execute(|| {
			let (id, _) = active_model(ALICE, 1);
			assert_noop!(
				ModelRegistry::suspend_model(RuntimeOrigin::signed(ALICE), id),
				DispatchError::BadOrigin
			);
			assert_noop!(
				ModelRegistry::suspend_model(RuntimeOrigin::root(), 99),
				Error::<Test>::ModelNotFound
			);
			assert_noop!(
				ModelRegistry::resume_model(RuntimeOrigin::root(), id),
				Error::<Test>::NotSuspended
			);
			assert_ok!(ModelRegistry::suspend_model(RuntimeOrigin::root(), id));
			System::assert_last_event(Event::ModelSuspended { model_id: id }.into());
			assert!(<ModelRegistry as ModelCatalog<_, _>>::runnable(id).is_none());
			assert_noop!(
				ModelRegistry::suspend_model(RuntimeOrigin::root(), id),
				Error::<Test>::ModelSuspended
			);
			assert_noop!(
				ModelRegistry::resume_model(RuntimeOrigin::signed(ALICE), id),
				DispatchError::BadOrigin
			);
			assert_ok!(ModelRegistry::resume_model(RuntimeOrigin::root(), id));
			System::assert_last_event(Event::ModelResumed { model_id: id }.into());
			assert!(<ModelRegistry as ModelCatalog<_, _>>::runnable(id).is_some());
		});
	}

	#[test]
	fn set_approval_required() {
		ExtBuilder::default().build_and_execute(|| {
			assert_noop!(
				ModelRegistry::set_approval_required(RuntimeOrigin::signed(ALICE), true),
				DispatchError::BadOrigin
			);
			assert_ok!(ModelRegistry::set_approval_required(RuntimeOrigin::root(), true));
			assert!(ApprovalRequired::<Test>::get());
			System::assert_last_event(Event::ApprovalRequirementSet { required: true }.into());
			let bytes = model_bytes(20, 1);
			let id = register(ALICE, &bytes);
			upload_all(ALICE, id, 1, &bytes);
			assert_eq!(Models::<Test>::get(id).unwrap().active_version, None);
		});
	}
}

mod invariants {
	use super::*;

	#[test]
	fn try_state_catches_a_deposit_mismatch() {
		ExtBuilder::default().build().execute_with(|| {
			let (id, _) = active_model(ALICE, 1);
			ModelRegistry::do_try_state().unwrap();
			Models::<Test>::mutate(id, |model| model.as_mut().unwrap().deposit += 1);
			assert!(ModelRegistry::do_try_state().is_err());
		});
	}

	#[test]
	fn content_id_matches_its_definition() {
		let bytes = model_bytes(20, 1);
		let hashes: Vec<H256> = bytes
			.chunks(CHUNK_SIZE as usize)
			.map(|chunk| H256(sp_io::hashing::blake2_256(chunk)))
			.collect();
		let mut preimage = b"opg:model:v1".to_vec();
		preimage.extend_from_slice(&20u64.to_le_bytes());
		for hash in &hashes {
			preimage.extend_from_slice(hash.as_bytes());
		}
		assert_eq!(
			content_id(&bytes, CHUNK_SIZE).unwrap(),
			H256(sp_io::hashing::blake2_256(&preimage))
		);
	}
}
