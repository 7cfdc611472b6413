//! Unit tests: every call, every error path, every event, and the invariants (checked by
//! `try_state` after each test through `ExtBuilder::build_and_execute`; the `invariants` module
//! corrupts state to show each check firing).

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
	content_id, Dim, IoSchema, TensorDtype, TensorSpec, MAX_DESCRIPTION_LEN, MAX_NAME_LEN,
	MAX_TENSORS,
};
use sp_runtime::traits::BadOrigin;

fn tensor(name: &str, shape: Vec<Dim>) -> TensorSpec {
	TensorSpec {
		name: name.as_bytes().to_vec().try_into().unwrap(),
		dtype: TensorDtype::Float32,
		shape: shape.try_into().unwrap(),
	}
}

fn schema_of(inputs: Vec<TensorSpec>, outputs: Vec<TensorSpec>) -> IoSchema {
	IoSchema { inputs: inputs.try_into().unwrap(), outputs: outputs.try_into().unwrap() }
}

fn schema() -> IoSchema {
	schema_of(
		vec![tensor("input", vec![Dim::Dynamic, Dim::Fixed(4)])],
		vec![tensor("output", vec![Dim::Dynamic, Dim::Fixed(2)])],
	)
}

fn vanilla() -> ModeSet {
	ModeSet { vanilla: true, attested: true, zk: false }
}

/// Model bytes of `len` bytes whose content depends on `seed`.
fn model_bytes(len: usize, seed: u8) -> Vec<u8> {
	(0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

fn hashes_of(bytes: &[u8]) -> Vec<H256> {
	bytes.chunks(CHUNK_SIZE as usize).map(chunk_hash).collect()
}

/// A valid version spec for `bytes`.
fn spec(bytes: &[u8]) -> VersionSpecOf<Test> {
	VersionSpec {
		schema: schema(),
		modes: vanilla(),
		tolerance: Tolerance::EXACT,
		zk: None,
		content_id: content_id(bytes, CHUNK_SIZE).unwrap(),
		byte_size: bytes.len() as u64,
		chunk_hashes: hashes_of(bytes).try_into().unwrap(),
	}
}

fn name(text: &[u8]) -> ModelName {
	text.to_vec().try_into().unwrap()
}

fn register_as(owner: AccountId, bytes: &[u8]) -> DispatchResult {
	ModelRegistry::register_model(
		RuntimeOrigin::signed(owner),
		name(b"mlp"),
		b"a small classifier".to_vec().try_into().unwrap(),
		10,
		spec(bytes),
	)
}

fn register(owner: AccountId, bytes: &[u8]) -> ModelId {
	let id = NextModelId::<Test>::get();
	assert_ok!(register_as(owner, bytes));
	id
}

fn chunk(bytes: &[u8]) -> BoundedVec<u8, ConstU32<CHUNK_SIZE>> {
	bytes.to_vec().try_into().unwrap()
}

fn add_version(owner: AccountId, model_id: ModelId, bytes: &[u8]) -> DispatchResult {
	ModelRegistry::add_version(RuntimeOrigin::signed(owner), model_id, spec(bytes))
}

fn upload(owner: AccountId, model_id: ModelId, version: VersionNumber, index: u32, bytes: &[u8]) {
	let part = bytes.chunks(CHUNK_SIZE as usize).nth(index as usize).unwrap();
	assert_ok!(ModelRegistry::upload_chunk(
		RuntimeOrigin::signed(owner),
		model_id,
		version,
		index,
		chunk(part)
	));
}

fn upload_all(owner: AccountId, model_id: ModelId, version: VersionNumber, bytes: &[u8]) {
	for index in 0..bytes.len().div_ceil(CHUNK_SIZE as usize) {
		upload(owner, model_id, version, index as u32, bytes);
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

fn treasury() -> Balance {
	Balances::free_balance(TREASURY)
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
			assert_eq!(model.uploading, Some(1));
			let version = Versions::<Test>::get(id, 1).unwrap();
			assert_eq!(version.chunk_count, 3);
			assert_eq!(version.chunk_size, CHUNK_SIZE);
			assert_eq!(version.byte_size, 20);
			assert_eq!(version.completed_at, None);
			assert_eq!(
				Uploads::<Test>::get(id, 1),
				Some(UploadProgress { next_chunk: 0, expires_at: 1 + UPLOAD_TIMEOUT })
			);
			let cid = content_id(&bytes, CHUNK_SIZE).unwrap();
			assert_eq!(ContentByOwner::<Test>::get(ALICE, cid), Some((id, 1)));
			assert_eq!(ContentRefs::<Test>::get(cid), 1);
			assert_eq!(ExpiryQueueBounds::<Test>::get(), (0, 1));
			assert_eq!(ExpiryQueue::<Test>::get(0), Some((id, 1)));
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
					content_id: cid,
					byte_size: 20,
					chunk_count: 3,
				}
				.into(),
			);
		});
	}

	#[test]
	fn rejects_an_empty_name() {
		ExtBuilder::default().build_and_execute(|| {
			assert_noop!(
				ModelRegistry::register_model(
					RuntimeOrigin::signed(ALICE),
					name(b""),
					Default::default(),
					10,
					spec(&model_bytes(20, 1)),
				),
				Error::<Test>::EmptyName
			);
		});
	}

	/// Names, descriptions, schemas, keys and hash lists beyond their bounds fail to decode:
	/// the runtime never sees them.
	#[test]
	fn oversized_arguments_do_not_decode() {
		use codec::{Decode, Encode};
		let too_long_name = vec![b'n'; MAX_NAME_LEN as usize + 1];
		assert!(ModelName::decode(&mut &too_long_name.encode()[..]).is_err());
		let too_long_description = vec![b'd'; MAX_DESCRIPTION_LEN as usize + 1];
		assert!(ModelDescription::decode(&mut &too_long_description.encode()[..]).is_err());
		let too_many_hashes = vec![H256::zero(); 17];
		assert!(ChunkHashesOf::<Test>::decode(&mut &too_many_hashes.encode()[..]).is_err());
		let too_big_chunk = vec![0u8; CHUNK_SIZE as usize + 1];
		assert!(<BoundedVec<u8, ConstU32<CHUNK_SIZE>>>::decode(&mut &too_big_chunk.encode()[..])
			.is_err());
		// A whole call with a 17-tensor schema side.
		let side: Vec<TensorSpec> =
			(0..=MAX_TENSORS).map(|i| tensor(&format!("t{i}"), vec![Dim::Fixed(1)])).collect();
		let mut encoded = side.encode();
		encoded.extend(side.encode());
		assert!(IoSchema::decode(&mut &encoded[..]).is_err());
	}

	#[test]
	fn rejects_bad_schemas() {
		ExtBuilder::default().build_and_execute(|| {
			let bytes = model_bytes(20, 1);
			let with_schema = |schema: IoSchema| {
				let mut version = spec(&bytes);
				version.schema = schema;
				ModelRegistry::register_model(
					RuntimeOrigin::signed(ALICE),
					name(b"m"),
					Default::default(),
					1,
					version,
				)
			};
			let out = || vec![tensor("out", vec![Dim::Fixed(1)])];
			let cases: Vec<(IoSchema, Error<Test>)> = vec![
				(schema_of(vec![], out()), Error::<Test>::NoTensors),
				(schema_of(out(), vec![]), Error::<Test>::NoTensors),
				(
					schema_of(vec![tensor("", vec![Dim::Fixed(1)])], out()),
					Error::<Test>::BadTensorName,
				),
				(
					schema_of(
						vec![tensor("x", vec![Dim::Fixed(1)]), tensor("x", vec![Dim::Fixed(2)])],
						out(),
					),
					Error::<Test>::BadTensorName,
				),
				(schema_of(vec![tensor("x", vec![])], out()), Error::<Test>::EmptyShape),
				(
					schema_of(vec![tensor("x", vec![Dim::Fixed(0)])], out()),
					Error::<Test>::BadDimension,
				),
				(
					schema_of(vec![tensor("x", vec![Dim::Fixed(1), Dim::Dynamic])], out()),
					Error::<Test>::MisplacedDynamicDim,
				),
				(
					schema_of(
						vec![tensor("x", vec![Dim::Fixed(1 << 20), Dim::Fixed(1 << 20)])],
						out(),
					),
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
			// int8[1, 40] in, int32[1, 3] out: 40 × 8 + 3 × 32 = 416 bits, two public inputs.
			let int_schema = || {
				let mut input = tensor("input", vec![Dim::Fixed(1), Dim::Fixed(40)]);
				input.dtype = TensorDtype::Int8;
				let mut output = tensor("output", vec![Dim::Fixed(1), Dim::Fixed(3)]);
				output.dtype = TensorDtype::Int32;
				schema_of(vec![input], vec![output])
			};
			let with = |modes: ModeSet, zk: Option<ZkArtifacts>, schema: IoSchema| {
				let mut version = spec(&bytes);
				version.modes = modes;
				version.zk = zk;
				version.schema = schema;
				ModelRegistry::register_model(
					RuntimeOrigin::signed(ALICE),
					name(b"m"),
					Default::default(),
					1,
					version,
				)
			};
			let key = |verifying_key: Vec<u8>, constraints: u32| ZkArtifacts {
				verifying_key: verifying_key.try_into().unwrap(),
				proving_key_hash: H256::repeat_byte(2),
				constraints,
			};
			let good = || key(opg_zk::verifier::placeholder_verifying_key(3), 1_000);
			let zk = ModeSet { vanilla: false, attested: false, zk: true };
			assert_noop!(with(ModeSet::default(), None, int_schema()), Error::<Test>::NoModes);
			assert_noop!(with(zk, None, int_schema()), Error::<Test>::ZkArtifactsMismatch);
			assert_noop!(
				with(vanilla(), Some(good()), int_schema()),
				Error::<Test>::ZkArtifactsMismatch
			);
			assert_noop!(
				with(zk, Some(key(vec![], 1)), int_schema()),
				Error::<Test>::BadVerifyingKey
			);
			// A truncated key, a corrupted point, a key for another tensor size.
			let mut truncated = opg_zk::verifier::placeholder_verifying_key(3);
			truncated.pop();
			assert_noop!(
				with(zk, Some(key(truncated, 1)), int_schema()),
				Error::<Test>::BadVerifyingKey
			);
			let mut corrupted = opg_zk::verifier::placeholder_verifying_key(3);
			// alpha's x coordinate set above the field's modulus.
			corrupted[..31].fill(0xff);
			corrupted[31] = 0x3f;
			assert_noop!(
				with(zk, Some(key(corrupted, 1)), int_schema()),
				Error::<Test>::BadVerifyingKey
			);
			assert_noop!(
				with(
					zk,
					Some(key(opg_zk::verifier::placeholder_verifying_key(4), 1)),
					int_schema()
				),
				Error::<Test>::ZkPublicInputCount
			);
			// Float tensors or a dynamic batch cannot be proved.
			assert_noop!(with(zk, Some(good()), schema()), Error::<Test>::ZkSchemaNotProvable);
			assert_noop!(
				with(
					zk,
					Some(key(opg_zk::verifier::placeholder_verifying_key(3), 2_000_000)),
					int_schema()
				),
				Error::<Test>::ZkCircuitTooLarge
			);
			// A degenerate key: gamma copied over delta (compressed: alpha's 32 bytes, then
			// beta, gamma and delta, 64 each). Whoever made it proves anything.
			let mut degenerate = opg_zk::verifier::placeholder_verifying_key(3);
			let gamma = degenerate[96..160].to_vec();
			degenerate[160..224].copy_from_slice(&gamma);
			assert_noop!(
				with(zk, Some(key(degenerate, 1)), int_schema()),
				Error::<Test>::DegenerateZkKey
			);
			// A ZK version keeps its key, and the key prepared, in records of their own.
			assert_ok!(with(zk, Some(good()), int_schema()));
			assert_eq!(VerifyingKeys::<Test>::get(0, 1), Some(good()));
			assert_eq!(ModelRegistry::verifying_key(0, 1), Some(good()));
			let prepared = PreparedKeys::<Test>::get(0, 1).unwrap();
			assert_eq!(
				opg_zk::verifier::prepared_public_inputs::<opg_zk::host::HostBn254>(&prepared),
				Ok(3)
			);
		});
	}

	#[test]
	fn only_versions_with_float_outputs_declare_a_tolerance() {
		ExtBuilder::default().build_and_execute(|| {
			let bytes = model_bytes(20, 1);
			let register = |dtype: TensorDtype, tolerance: Tolerance| {
				let mut version = spec(&bytes);
				version.schema.outputs[0].dtype = dtype;
				version.tolerance = tolerance;
				ModelRegistry::register_model(
					RuntimeOrigin::signed(ALICE),
					name(b"m"),
					Default::default(),
					1,
					version,
				)
			};
			let loose = Tolerance { absolute_e9: 1_000, relative: Default::default() };
			assert_noop!(
				register(TensorDtype::Int64, loose),
				Error::<Test>::ToleranceWithoutFloats
			);
			assert_ok!(register(TensorDtype::Float32, loose));
			assert_eq!(ModelRegistry::version(0, 1).unwrap().tolerance, loose);
		});
	}

	#[test]
	fn rejects_bad_sizes_and_content_ids() {
		ExtBuilder::default().build_and_execute(|| {
			let bytes = model_bytes(20, 1);
			let with = |change: &dyn Fn(&mut VersionSpecOf<Test>)| {
				let mut version = spec(&bytes);
				change(&mut version);
				ModelRegistry::register_model(
					RuntimeOrigin::signed(ALICE),
					name(b"m"),
					Default::default(),
					1,
					version,
				)
			};
			assert_noop!(with(&|v| v.byte_size = 0), Error::<Test>::EmptyModel);
			assert_noop!(with(&|v| v.byte_size = 16 * 8 + 1), Error::<Test>::ModelTooLarge);
			assert_noop!(with(&|v| v.byte_size = 30), Error::<Test>::ChunkCountMismatch);
			assert_noop!(
				with(&|v| v.content_id = H256::repeat_byte(9)),
				Error::<Test>::ContentIdMismatch
			);
			// The v1 content id (without the chunk size) is refused: v2 binds the chunk size.
			let hashes = hashes_of(&bytes);
			let mut v1 = b"opg:model:v1".to_vec();
			v1.extend_from_slice(&20u64.to_le_bytes());
			hashes.iter().for_each(|hash| v1.extend_from_slice(hash.as_bytes()));
			let v1 = H256(sp_io::hashing::blake2_256(&v1));
			assert_noop!(with(&|v| v.content_id = v1), Error::<Test>::ContentIdMismatch);
		});
	}

	#[test]
	fn one_owner_cannot_register_the_same_bytes_twice() {
		ExtBuilder::default().build_and_execute(|| {
			let bytes = model_bytes(20, 1);
			register(ALICE, &bytes);
			assert_noop!(register_as(ALICE, &bytes), Error::<Test>::DuplicateModel);
		});
	}

	/// A squatter who copies a pending registration's hashes blocks nobody: the owner registers
	/// the same bytes too, and the squatter's never-finished upload costs the squatter.
	#[test]
	fn a_squatter_cannot_block_an_owner() {
		ExtBuilder::default().build_and_execute(|| {
			let bytes = model_bytes(20, 1);
			let squatted = register(BOB, &bytes);
			let owned = register(ALICE, &bytes);
			upload_all(ALICE, owned, 1, &bytes);
			assert_eq!(Models::<Test>::get(owned).unwrap().active_version, Some(1));
			let cid = content_id(&bytes, CHUNK_SIZE).unwrap();
			assert_eq!(ContentRefs::<Test>::get(cid), 2);

			let bob_before = Balances::free_balance(BOB) + held(BOB);
			let version_deposit = Versions::<Test>::get(squatted, 1).unwrap().deposit;
			run_to_block(1 + UPLOAD_TIMEOUT);
			assert!(!Models::<Test>::contains_key(squatted));
			let forfeited = Perbill::from_percent(20).mul_floor(version_deposit);
			assert_eq!(Balances::free_balance(BOB) + held(BOB), bob_before - forfeited);
			assert_eq!(ContentRefs::<Test>::get(cid), 1);
			// The owner's model and its bytes are untouched.
			assert!(ModelRegistry::runnable(owned).is_some());
		});
	}

	#[test]
	fn rejects_poor_owners_and_unsigned_origins() {
		ExtBuilder::default().build_and_execute(|| {
			let bytes = model_bytes(20, 1);
			assert_noop!(register_as(POOR, &bytes), Error::<Test>::InsufficientDeposit);
			assert_noop!(
				ModelRegistry::register_model(
					RuntimeOrigin::none(),
					name(b"m"),
					Default::default(),
					1,
					spec(&bytes)
				),
				BadOrigin
			);
		});
	}

	#[test]
	fn fails_when_model_ids_run_out() {
		ExtBuilder::default().build_and_execute(|| {
			NextModelId::<Test>::put(ModelId::MAX);
			assert_noop!(register_as(ALICE, &model_bytes(20, 1)), Error::<Test>::ModelIdsExhausted);
		});
	}

	/// Any number of registrations in one block succeed: the expiry queue has no per-block
	/// bucket to fill.
	#[test]
	fn many_registrations_in_one_block_all_succeed() {
		ExtBuilder::default().build_and_execute(|| {
			for seed in 0..10 {
				register(ALICE, &model_bytes(20, seed));
			}
			assert_eq!(ExpiryQueueBounds::<Test>::get(), (0, 10));
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
			upload(ALICE, id, 1, 0, &bytes);
			System::assert_last_event(
				Event::ChunkUploaded { model_id: id, version: 1, index: 0, remaining: 2 }.into(),
			);
			assert_eq!(
				Uploads::<Test>::get(id, 1),
				Some(UploadProgress { next_chunk: 1, expires_at: 1 + UPLOAD_TIMEOUT })
			);
			// A chunk does not rewrite the version's metadata.
			assert_eq!(Versions::<Test>::get(id, 1).unwrap().completed_at, None);
			upload(ALICE, id, 1, 1, &bytes);
			upload(ALICE, id, 1, 2, &bytes);
			let version = Versions::<Test>::get(id, 1).unwrap();
			assert_eq!(version.completed_at, Some(1));
			assert!(version.approved);
			assert_eq!(Uploads::<Test>::get(id, 1), None);
			let model = Models::<Test>::get(id).unwrap();
			assert_eq!(model.active_version, Some(1));
			assert_eq!(model.uploading, None);
			System::assert_has_event(
				Event::UploadCompleted { model_id: id, version: 1, content_id: cid }.into(),
			);
			System::assert_last_event(Event::VersionActivated { model_id: id, version: 1 }.into());
			let runnable = <ModelRegistry as ModelCatalog<_, _>>::runnable(id).unwrap();
			assert_eq!(runnable.content_id, cid);
			assert_eq!(runnable.price, 10);
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
	fn reads_single_chunk_hashes_from_state() {
		ExtBuilder::default().build_and_execute(|| {
			let bytes = model_bytes(20, 1);
			let id = register(ALICE, &bytes);
			let hashes = hashes_of(&bytes);
			for (index, hash) in hashes.iter().enumerate() {
				assert_eq!(ModelRegistry::chunk_hash(id, 1, index as u32), Some(*hash));
			}
			assert_eq!(ModelRegistry::chunk_hash(id, 1, 3), None);
			assert_eq!(ModelRegistry::chunk_hash(id, 2, 0), None);
			assert_eq!(ModelRegistry::chunk_hashes(id, 1), Some(hashes));
		});
	}

	#[test]
	fn rejects_bad_chunks() {
		ExtBuilder::default().build_and_execute(|| {
			let bytes = model_bytes(20, 1);
			let id = register(ALICE, &bytes);
			let call = |who: AccountId, model: ModelId, version: u32, index: u32, data: &[u8]| {
				ModelRegistry::upload_chunk(
					RuntimeOrigin::signed(who),
					model,
					version,
					index,
					chunk(data),
				)
			};
			assert_noop!(call(ALICE, 9, 1, 0, &bytes[..8]), Error::<Test>::ModelNotFound);
			assert_noop!(call(BOB, id, 1, 0, &bytes[..8]), Error::<Test>::NotOwner);
			assert_noop!(call(ALICE, id, 2, 0, &bytes[..8]), Error::<Test>::VersionNotFound);
			assert_noop!(call(ALICE, id, 1, 1, &bytes[8..16]), Error::<Test>::ChunkOutOfOrder);
			assert_noop!(call(ALICE, id, 1, 0, &bytes[..7]), Error::<Test>::WrongChunkSize);
			assert_noop!(call(ALICE, id, 1, 0, &bytes[1..9]), Error::<Test>::WrongChunkHash);
			upload(ALICE, id, 1, 0, &bytes);
			assert_noop!(call(ALICE, id, 1, 0, &bytes[..8]), Error::<Test>::ChunkAlreadyUploaded);
			upload(ALICE, id, 1, 1, &bytes);
			assert_noop!(call(ALICE, id, 1, 2, &bytes[16..19]), Error::<Test>::WrongChunkSize);
			upload(ALICE, id, 1, 2, &bytes);
			assert_noop!(call(ALICE, id, 1, 2, &bytes[16..]), Error::<Test>::UploadNotInProgress);
			assert_noop!(
				ModelRegistry::upload_chunk(RuntimeOrigin::none(), id, 1, 0, chunk(&bytes[..8])),
				BadOrigin
			);
		});
	}

	#[test]
	fn refuses_chunks_while_suspended() {
		ExtBuilder::default().build_and_execute(|| {
			let bytes = model_bytes(20, 1);
			let id = register(ALICE, &bytes);
			assert_ok!(ModelRegistry::suspend_model(RuntimeOrigin::root(), id));
			assert_noop!(
				ModelRegistry::upload_chunk(
					RuntimeOrigin::signed(ALICE),
					id,
					1,
					0,
					chunk(&bytes[..8])
				),
				Error::<Test>::ModelSuspended
			);
		});
	}

	#[test]
	fn waits_for_approval_when_required() {
		ExtBuilder::default().approval_required().build_and_execute(|| {
			let (id, _) = active_model(ALICE, 1);
			let version = Versions::<Test>::get(id, 1).unwrap();
			assert!(version.is_complete());
			assert!(!version.approved);
			assert_eq!(Models::<Test>::get(id).unwrap().active_version, None);
			assert!(ModelRegistry::runnable(id).is_none());
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
			let bytes = model_bytes(12, 2);
			assert_ok!(add_version(ALICE, id, &bytes));
			System::assert_last_event(
				Event::VersionAdded {
					model_id: id,
					version: 2,
					content_id: content_id(&bytes, CHUNK_SIZE).unwrap(),
					byte_size: 12,
					chunk_count: 2,
				}
				.into(),
			);
			// Version 1 keeps running while version 2 uploads.
			assert_eq!(ModelRegistry::runnable(id).unwrap().version, 1);
			upload_all(ALICE, id, 2, &bytes);
			assert_eq!(ModelRegistry::runnable(id).unwrap().version, 2);
		});
	}

	#[test]
	fn rejects_bad_version_requests() {
		ExtBuilder::default().build_and_execute(|| {
			let (id, first) = active_model(ALICE, 1);
			assert_noop!(add_version(ALICE, 7, &model_bytes(12, 2)), Error::<Test>::ModelNotFound);
			assert_noop!(add_version(BOB, id, &model_bytes(12, 2)), Error::<Test>::NotOwner);
			assert_noop!(add_version(ALICE, id, &first), Error::<Test>::DuplicateModel);
			assert_ok!(add_version(ALICE, id, &model_bytes(12, 2)));
			assert_noop!(
				add_version(ALICE, id, &model_bytes(12, 3)),
				Error::<Test>::UploadInProgress
			);
			upload_all(ALICE, id, 2, &model_bytes(12, 2));
			assert_ok!(add_version(ALICE, id, &model_bytes(12, 3)));
			upload_all(ALICE, id, 3, &model_bytes(12, 3));
			// MaxVersions is 3.
			assert_noop!(
				add_version(ALICE, id, &model_bytes(12, 4)),
				Error::<Test>::TooManyVersions
			);
		});
	}

	#[test]
	fn refuses_deprecated_and_suspended_models() {
		ExtBuilder::default().build_and_execute(|| {
			let (id, _) = active_model(ALICE, 1);
			let add = || add_version(ALICE, id, &model_bytes(12, 2));
			assert_ok!(ModelRegistry::suspend_model(RuntimeOrigin::root(), id));
			assert_noop!(add(), Error::<Test>::ModelSuspended);
			assert_ok!(ModelRegistry::resume_model(RuntimeOrigin::root(), id));
			assert_ok!(ModelRegistry::deprecate_model(RuntimeOrigin::signed(ALICE), id));
			assert_noop!(add(), Error::<Test>::ModelDeprecated);
		});
	}

	/// A version number is never given twice, even after the version that had it expired.
	#[test]
	fn version_numbers_are_never_reused() {
		ExtBuilder::default().build_and_execute(|| {
			let (id, _) = active_model(ALICE, 1);
			assert_ok!(add_version(ALICE, id, &model_bytes(12, 2)));
			run_to_block(1 + UPLOAD_TIMEOUT);
			assert!(!Versions::<Test>::contains_key(id, 2));
			assert_eq!(Models::<Test>::get(id).unwrap().latest_version, 2);
			assert_ok!(add_version(ALICE, id, &model_bytes(12, 2)));
			System::assert_last_event(
				Event::VersionAdded {
					model_id: id,
					version: 3,
					content_id: content_id(&model_bytes(12, 2), CHUNK_SIZE).unwrap(),
					byte_size: 12,
					chunk_count: 2,
				}
				.into(),
			);
		});
	}
}

mod expiry {
	use super::*;

	#[test]
	fn an_incomplete_first_upload_removes_the_model_and_forfeits_part_of_its_deposit() {
		let mut ext = ExtBuilder::default().build();
		let bytes = model_bytes(20, 1);
		let cid = content_id(&bytes, CHUNK_SIZE).unwrap();
		ext.execute_with(|| {
			let id = register(ALICE, &bytes);
			upload(ALICE, id, 1, 0, &bytes);
			let model_deposit = Models::<Test>::get(id).unwrap().deposit;
			let version_deposit = Versions::<Test>::get(id, 1).unwrap().deposit;
			let forfeited = Perbill::from_percent(20).mul_floor(version_deposit);
			let (alice_before, treasury_before) = (Balances::free_balance(ALICE), treasury());
			run_to_block(UPLOAD_TIMEOUT);
			assert!(Models::<Test>::contains_key(id));
			run_to_block(1 + UPLOAD_TIMEOUT);
			assert!(!Models::<Test>::contains_key(id));
			assert!(!Versions::<Test>::contains_key(id, 1));
			assert!(!Uploads::<Test>::contains_key(id, 1));
			assert!(!ChunkHashes::<Test>::contains_key(id, 1));
			assert_eq!(ContentRefs::<Test>::get(cid), 0);
			assert_eq!(held(ALICE), 0);
			assert_eq!(
				Balances::free_balance(ALICE),
				alice_before + model_deposit + version_deposit - forfeited
			);
			assert_eq!(treasury(), treasury_before + forfeited);
			// Each deposit is reported once.
			System::assert_has_event(
				Event::UploadExpired {
					model_id: id,
					version: 1,
					deposit_released: version_deposit - forfeited,
					deposit_forfeited: forfeited,
				}
				.into(),
			);
			System::assert_last_event(
				Event::ModelRemoved { model_id: id, deposit_released: model_deposit }.into(),
			);
			// The bytes leave the nodes with the spare weight of a later block.
			assert_eq!(StaleContent::<Test>::get(cid), Some(3));
			idle();
			assert_eq!(StaleContent::<Test>::get(cid), None);
		});
		// The uploaded chunk left the off-chain database.
		ext.persist_offchain_overlay();
		assert_eq!(ext.offchain_db().get(&chunk_storage_key(&cid, 0)), None);
	}

	#[test]
	fn an_incomplete_later_version_is_dropped_alone() {
		ExtBuilder::default().build_and_execute(|| {
			let (id, _) = active_model(ALICE, 1);
			run_to_block(3);
			assert_ok!(add_version(ALICE, id, &model_bytes(12, 2)));
			run_to_block(3 + UPLOAD_TIMEOUT);
			let model = Models::<Test>::get(id).unwrap();
			assert_eq!(model.active_version, Some(1));
			assert_eq!(model.uploading, None);
			assert!(!Versions::<Test>::contains_key(id, 2));
			assert!(ModelRegistry::runnable(id).is_some());
			assert!(matches!(
				System::events().last().unwrap().event,
				RuntimeEvent::ModelRegistry(Event::UploadExpired { version: 2, .. })
			));
		});
	}

	#[test]
	fn a_complete_upload_does_not_expire() {
		ExtBuilder::default().build_and_execute(|| {
			let (id, _) = active_model(ALICE, 1);
			run_to_block(2 + UPLOAD_TIMEOUT);
			assert!(ModelRegistry::runnable(id).is_some());
			// Its queue entry was dropped when it reached the head.
			assert_eq!(ExpiryQueueBounds::<Test>::get(), (1, 1));
			assert_eq!(ExpiryQueue::<Test>::iter().count(), 0);
		});
	}

	/// While a model is suspended its owner cannot upload, so its upload does not expire: the
	/// clock restarts when the upload comes due, and nothing is forfeited.
	#[test]
	fn suspension_stops_the_upload_clock() {
		ExtBuilder::default().build_and_execute(|| {
			let bytes = model_bytes(20, 1);
			let id = register(ALICE, &bytes);
			let held_before = held(ALICE);
			assert_ok!(ModelRegistry::suspend_model(RuntimeOrigin::root(), id));
			run_to_block(1 + UPLOAD_TIMEOUT);
			assert!(Models::<Test>::contains_key(id));
			assert_eq!(held(ALICE), held_before);
			assert_eq!(Uploads::<Test>::get(id, 1).unwrap().expires_at, 1 + 2 * UPLOAD_TIMEOUT);
			assert_ok!(ModelRegistry::resume_model(RuntimeOrigin::root(), id));
			upload_all(ALICE, id, 1, &bytes);
			assert!(ModelRegistry::runnable(id).is_some());
		});
	}

	/// Stale bytes are cleared only as far as the spare weight goes.
	#[test]
	fn stale_bytes_are_cleared_within_the_spare_weight() {
		use frame_support::traits::Hooks;
		ExtBuilder::default().build_and_execute(|| {
			let cid = H256::repeat_byte(7);
			StaleContent::<Test>::insert(cid, 16);
			let one_chunk = ModelRegistry::clear_weight(1);
			assert_eq!(ModelRegistry::on_idle(1, one_chunk / 2), Weight::zero());
			assert_eq!(StaleContent::<Test>::get(cid), Some(16));
			assert_eq!(
				ModelRegistry::on_idle(1, ModelRegistry::clear_weight(5)),
				ModelRegistry::clear_weight(5)
			);
			assert_eq!(StaleContent::<Test>::get(cid), Some(11));
			idle();
			assert_eq!(StaleContent::<Test>::get(cid), None);
		});
	}

	/// Bytes that are wanted again before they were cleared stay.
	#[test]
	fn re_registered_bytes_are_not_cleared() {
		ExtBuilder::default().build_and_execute(|| {
			let bytes = model_bytes(20, 1);
			register(ALICE, &bytes);
			run_to_block(1 + UPLOAD_TIMEOUT);
			let cid = content_id(&bytes, CHUNK_SIZE).unwrap();
			assert!(StaleContent::<Test>::contains_key(cid));
			register(ALICE, &bytes);
			assert!(!StaleContent::<Test>::contains_key(cid));
		});
	}

	/// More expiries than a block takes spill over into the following blocks.
	#[test]
	fn expiries_beyond_the_block_limit_spill_over() {
		ExtBuilder::default().build_and_execute(|| {
			let ids: Vec<ModelId> =
				(0..5).map(|seed| register(ALICE, &model_bytes(20, seed))).collect();
			run_to_block(1 + UPLOAD_TIMEOUT);
			// MaxExpiriesPerBlock is 2.
			assert_eq!(ids.iter().filter(|id| Models::<Test>::contains_key(id)).count(), 3);
			run_to_block(2 + UPLOAD_TIMEOUT);
			assert_eq!(ids.iter().filter(|id| Models::<Test>::contains_key(id)).count(), 1);
			run_to_block(3 + UPLOAD_TIMEOUT);
			assert!(ids.iter().all(|id| !Models::<Test>::contains_key(id)));
			assert_eq!(held(ALICE), 0);
		});
	}

	#[test]
	fn the_hook_reports_the_entries_it_examined() {
		ExtBuilder::default().build_and_execute(|| {
			use frame_support::traits::Hooks;
			for seed in 0..3 {
				register(ALICE, &model_bytes(20, seed));
			}
			System::set_block_number(1 + UPLOAD_TIMEOUT);
			let weight = ModelRegistry::on_initialize(1 + UPLOAD_TIMEOUT);
			assert_eq!(weight, <Test as Config>::WeightInfo::on_initialize(2));
		});
	}
}

mod owner_calls {
	use super::*;

	#[test]
	fn set_price_works_for_the_owner_only() {
		ExtBuilder::default().build_and_execute(|| {
			let (id, _) = active_model(ALICE, 1);
			assert_ok!(ModelRegistry::set_price(RuntimeOrigin::signed(ALICE), id, 42));
			assert_eq!(Models::<Test>::get(id).unwrap().price, 42);
			System::assert_last_event(Event::PriceSet { model_id: id, price: 42 }.into());
			assert_noop!(
				ModelRegistry::set_price(RuntimeOrigin::signed(BOB), id, 1),
				Error::<Test>::NotOwner
			);
			assert_noop!(
				ModelRegistry::set_price(RuntimeOrigin::signed(ALICE), 9, 1),
				Error::<Test>::ModelNotFound
			);
		});
	}

	#[test]
	fn deprecate_then_retire_after_the_delay_releases_every_deposit() {
		let mut ext = ExtBuilder::default().build();
		let (mut cid_1, mut cid_2) = (H256::zero(), H256::zero());
		ext.execute_with(|| {
			let (id, bytes) = active_model(ALICE, 1);
			let second = model_bytes(12, 2);
			assert_ok!(add_version(ALICE, id, &second));
			upload_all(ALICE, id, 2, &second);
			(cid_1, cid_2) =
				(content_id(&bytes, CHUNK_SIZE).unwrap(), content_id(&second, CHUNK_SIZE).unwrap());
			let free_before = Balances::free_balance(ALICE);
			let total_held = held(ALICE);

			assert_noop!(
				ModelRegistry::retire_model(RuntimeOrigin::signed(ALICE), id),
				Error::<Test>::NotDeprecated
			);
			assert_noop!(
				ModelRegistry::deprecate_model(RuntimeOrigin::signed(BOB), id),
				Error::<Test>::NotOwner
			);
			assert_ok!(ModelRegistry::deprecate_model(RuntimeOrigin::signed(ALICE), id));
			System::assert_last_event(
				Event::ModelDeprecated { model_id: id, retirable_at: 1 + RETIREMENT_DELAY }.into(),
			);
			assert_eq!(
				Models::<Test>::get(id).unwrap().status,
				ModelStatus::Deprecated { since: 1 }
			);
			assert!(ModelRegistry::runnable(id).is_none());
			assert_noop!(
				ModelRegistry::deprecate_model(RuntimeOrigin::signed(ALICE), id),
				Error::<Test>::ModelDeprecated
			);
			assert_noop!(
				ModelRegistry::retire_model(RuntimeOrigin::signed(ALICE), id),
				Error::<Test>::RetirementTooEarly
			);
			run_to_block(1 + RETIREMENT_DELAY);
			assert_noop!(
				ModelRegistry::retire_model(RuntimeOrigin::signed(BOB), id),
				Error::<Test>::NotOwner
			);
			// The inference pallet vetoes while jobs are open.
			ModelInUse::set(Some(id));
			assert_noop!(
				ModelRegistry::retire_model(RuntimeOrigin::signed(ALICE), id),
				Error::<Test>::ModelInUse
			);
			ModelInUse::set(None);
			assert_ok!(ModelRegistry::retire_model(RuntimeOrigin::signed(ALICE), id));
			System::assert_last_event(
				Event::ModelRetired { model_id: id, deposit_released: total_held }.into(),
			);
			assert_eq!(held(ALICE), 0);
			assert_eq!(Balances::free_balance(ALICE), free_before + total_held);
			assert!(!Models::<Test>::contains_key(id));
			assert!(!ModelsByOwner::<Test>::contains_key(ALICE, id));
			assert_eq!(ContentRefs::<Test>::get(cid_1), 0);
			idle();
			idle();
			assert_eq!(StaleContent::<Test>::iter().count(), 0);
		});
		// The bytes of both versions left the off-chain database.
		ext.persist_offchain_overlay();
		let db = ext.offchain_db();
		assert!((0..3).all(|index| db.get(&chunk_storage_key(&cid_1, index)).is_none()));
		assert!((0..2).all(|index| db.get(&chunk_storage_key(&cid_2, index)).is_none()));
	}

	#[test]
	fn a_model_with_an_upload_in_progress_cannot_be_retired() {
		ExtBuilder::default().build_and_execute(|| {
			let (id, _) = active_model(ALICE, 1);
			assert_ok!(add_version(ALICE, id, &model_bytes(12, 2)));
			assert_ok!(ModelRegistry::deprecate_model(RuntimeOrigin::signed(ALICE), id));
			// Suspended, the upload does not expire; resumed, its clock starts again.
			assert_ok!(ModelRegistry::suspend_model(RuntimeOrigin::root(), id));
			run_to_block(1 + RETIREMENT_DELAY);
			assert_ok!(ModelRegistry::resume_model(RuntimeOrigin::root(), id));
			assert_noop!(
				ModelRegistry::retire_model(RuntimeOrigin::signed(ALICE), id),
				Error::<Test>::UploadInProgress
			);
		});
	}

	#[test]
	fn a_suspended_model_cannot_be_retired() {
		ExtBuilder::default().build_and_execute(|| {
			let (id, _) = active_model(ALICE, 1);
			assert_ok!(ModelRegistry::deprecate_model(RuntimeOrigin::signed(ALICE), id));
			assert_ok!(ModelRegistry::suspend_model(RuntimeOrigin::root(), id));
			run_to_block(1 + RETIREMENT_DELAY);
			assert_noop!(
				ModelRegistry::retire_model(RuntimeOrigin::signed(ALICE), id),
				Error::<Test>::ModelSuspended
			);
		});
	}

	/// Bytes shared by two owners stay on the nodes until neither uses them.
	#[test]
	fn shared_bytes_stay_until_their_last_version_goes() {
		let mut ext = ExtBuilder::default().build();
		let bytes = model_bytes(20, 1);
		let cid = content_id(&bytes, CHUNK_SIZE).unwrap();
		ext.execute_with(|| {
			let alice_model = register(ALICE, &bytes);
			upload_all(ALICE, alice_model, 1, &bytes);
			let bob_model = register(BOB, &bytes);
			upload_all(BOB, bob_model, 1, &bytes);
			assert_ok!(ModelRegistry::deprecate_model(RuntimeOrigin::signed(ALICE), alice_model));
			run_to_block(1 + RETIREMENT_DELAY);
			assert_ok!(ModelRegistry::retire_model(RuntimeOrigin::signed(ALICE), alice_model));
			assert_eq!(ContentRefs::<Test>::get(cid), 1);
		});
		ext.persist_offchain_overlay();
		assert!(
			(0..3).all(|index| ext.offchain_db().get(&chunk_storage_key(&cid, index)).is_some())
		);
	}

	#[test]
	fn lists_models_by_owner_and_active_models_in_pages() {
		ExtBuilder::default().build_and_execute(|| {
			let ids: Vec<ModelId> = (0..5).map(|seed| active_model(ALICE, seed).0).collect();
			let bob = active_model(BOB, 9).0;
			let first = ModelRegistry::models_by_owner(&ALICE, None, 2);
			assert_eq!(first.models.len(), 2);
			let second = ModelRegistry::models_by_owner(&ALICE, first.next, 2);
			let third = ModelRegistry::models_by_owner(&ALICE, second.next, 2);
			assert_eq!(third.models.len(), 1);
			assert_eq!(third.next, None);
			let mut all: Vec<ModelId> =
				[first.models, second.models, third.models].into_iter().flatten().collect();
			all.sort();
			assert_eq!(all, ids);
			assert_eq!(ModelRegistry::models_by_owner(&BOB, None, 10).models, vec![bob]);
			// The page size is capped.
			assert_eq!(ModelRegistry::models_by_owner(&ALICE, None, u32::MAX).models.len(), 5);

			assert_ok!(ModelRegistry::suspend_model(RuntimeOrigin::root(), 1));
			let page = ModelRegistry::active_models(0, 3);
			assert_eq!(page, ModelPage { models: vec![0, 2], next: Some(3) });
			let page = ModelRegistry::active_models(3, 3);
			assert_eq!(page, ModelPage { models: vec![3, 4, 5], next: None });
			assert_eq!(ModelRegistry::active_models(0, u32::MAX).models.len(), 5);
			// A zero limit means one: no page that never advances.
			assert_eq!(
				ModelRegistry::active_models(0, 0),
				ModelPage { models: vec![0], next: Some(1) }
			);
			assert_eq!(ModelRegistry::models_by_owner(&ALICE, None, 0).models.len(), 1);
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
				BadOrigin
			);
			assert_noop!(
				ModelRegistry::approve_version(RuntimeOrigin::root(), 9, 1),
				Error::<Test>::ModelNotFound
			);
			assert_noop!(
				ModelRegistry::approve_version(RuntimeOrigin::root(), id, 2),
				Error::<Test>::VersionNotFound
			);
			assert_ok!(ModelRegistry::approve_version(RuntimeOrigin::root(), id, 1));
			System::assert_has_event(Event::VersionApproved { model_id: id, version: 1 }.into());
			System::assert_last_event(Event::VersionActivated { model_id: id, version: 1 }.into());
			assert_eq!(ModelRegistry::runnable(id).unwrap().version, 1);
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
			assert_noop!(ModelRegistry::suspend_model(RuntimeOrigin::signed(ALICE), id), BadOrigin);
			assert_noop!(
				ModelRegistry::resume_model(RuntimeOrigin::root(), id),
				Error::<Test>::NotSuspended
			);
			assert_ok!(ModelRegistry::suspend_model(RuntimeOrigin::root(), id));
			System::assert_last_event(Event::ModelSuspended { model_id: id }.into());
			assert!(ModelRegistry::runnable(id).is_none());
			assert_noop!(
				ModelRegistry::suspend_model(RuntimeOrigin::root(), id),
				Error::<Test>::ModelSuspended
			);
			assert_ok!(ModelRegistry::resume_model(RuntimeOrigin::root(), id));
			System::assert_last_event(Event::ModelResumed { model_id: id }.into());
			assert!(ModelRegistry::runnable(id).is_some());
			assert_noop!(
				ModelRegistry::suspend_model(RuntimeOrigin::root(), 9),
				Error::<Test>::ModelNotFound
			);
		});
	}

	#[test]
	fn set_approval_required() {
		ExtBuilder::default().build_and_execute(|| {
			assert_noop!(
				ModelRegistry::set_approval_required(RuntimeOrigin::signed(ALICE), true),
				BadOrigin
			);
			assert_ok!(ModelRegistry::set_approval_required(RuntimeOrigin::root(), true));
			assert!(ApprovalRequired::<Test>::get());
			System::assert_last_event(Event::ApprovalRequirementSet { required: true }.into());
		});
	}

	#[test]
	fn force_remove_forfeits_or_releases_the_deposits() {
		ExtBuilder::default().build_and_execute(|| {
			let (forfeited, _) = active_model(ALICE, 1);
			let (released, _) = active_model(BOB, 2);
			let alice_held = held(ALICE);
			let treasury_before = treasury();
			assert_noop!(
				ModelRegistry::force_remove_model(RuntimeOrigin::signed(ALICE), forfeited, true),
				BadOrigin
			);
			assert_noop!(
				ModelRegistry::force_remove_model(RuntimeOrigin::root(), 9, true),
				Error::<Test>::ModelNotFound
			);
			ModelInUse::set(Some(forfeited));
			assert_noop!(
				ModelRegistry::force_remove_model(RuntimeOrigin::root(), forfeited, true),
				Error::<Test>::ModelInUse
			);
			ModelInUse::set(None);
			assert_ok!(ModelRegistry::suspend_model(RuntimeOrigin::root(), forfeited));
			assert_ok!(ModelRegistry::force_remove_model(RuntimeOrigin::root(), forfeited, true));
			System::assert_last_event(
				Event::ModelForceRemoved {
					model_id: forfeited,
					deposit_released: 0,
					deposit_forfeited: alice_held,
				}
				.into(),
			);
			assert_eq!(held(ALICE), 0);
			assert_eq!(treasury(), treasury_before + alice_held);

			let bob_held = held(BOB);
			let bob_free = Balances::free_balance(BOB);
			assert_ok!(ModelRegistry::force_remove_model(RuntimeOrigin::root(), released, false));
			System::assert_last_event(
				Event::ModelForceRemoved {
					model_id: released,
					deposit_released: bob_held,
					deposit_forfeited: 0,
				}
				.into(),
			);
			assert_eq!(Balances::free_balance(BOB), bob_free + bob_held);
			assert!(!Models::<Test>::contains_key(released));
		});
	}
}

/// Each `try_state` check fires on the corruption it exists for.
mod invariants {
	use super::*;

	fn fails_with(corrupt: impl FnOnce(ModelId), message: &'static str) {
		ExtBuilder::default().build().execute_with(|| {
			let (id, _) = active_model(ALICE, 1);
			register(ALICE, &model_bytes(12, 5));
			ModelRegistry::do_try_state().unwrap();
			corrupt(id);
			assert_eq!(ModelRegistry::do_try_state(), Err(message.into()));
		});
	}

	#[test]
	fn a_deposit_mismatch() {
		fails_with(
			|id| Models::<Test>::mutate(id, |model| model.as_mut().unwrap().deposit += 1),
			"held deposit differs from the registry's deposits",
		);
	}

	#[test]
	fn a_hold_on_an_account_that_owns_nothing() {
		fails_with(
			|_| {
				Balances::hold(&HoldReason::ModelDeposit.into(), &BOB, 5).unwrap();
			},
			"held deposit differs from the registry's deposits",
		);
	}

	#[test]
	fn chunk_hashes_that_do_not_define_the_content_id() {
		fails_with(
			|id| {
				ChunkHashes::<Test>::mutate(id, 1, |hashes| {
					hashes.as_mut().unwrap()[0] = H256::repeat_byte(1)
				})
			},
			"chunk hashes do not define the content id",
		);
	}

	#[test]
	fn orphaned_versions_and_chunk_hashes() {
		fails_with(
			|id| {
				let record = Versions::<Test>::get(id, 1).unwrap();
				Versions::<Test>::insert(77, 1, record);
			},
			"orphaned version",
		);
		fails_with(
			|_| ChunkHashes::<Test>::insert(77, 1, BoundedVec::new()),
			"orphaned chunk hashes",
		);
		fails_with(
			|_| Uploads::<Test>::insert(77, 1, UploadProgress { next_chunk: 0, expires_at: 1 }),
			"orphaned upload",
		);
	}

	#[test]
	fn more_than_one_uploading_version() {
		fails_with(
			|id| {
				Versions::<Test>::mutate(id, 1, |record| {
					record.as_mut().unwrap().completed_at = None
				});
				Uploads::<Test>::insert(id, 1, UploadProgress { next_chunk: 0, expires_at: 99 });
				let (head, tail) = ExpiryQueueBounds::<Test>::get();
				ExpiryQueue::<Test>::insert(tail, (id, 1));
				ExpiryQueueBounds::<Test>::put((head, tail + 1));
				Models::<Test>::mutate(id, |model| model.as_mut().unwrap().uploading = Some(1));
				// A second upload on the same model.
				let second = model_bytes(12, 7);
				let mut record = Versions::<Test>::get(id, 1).unwrap();
				record.content_id = content_id(&second, CHUNK_SIZE).unwrap();
				record.chunk_count = 2;
				record.byte_size = 12;
				Versions::<Test>::insert(id, 2, record.clone());
				ChunkHashes::<Test>::insert(id, 2, BoundedVec::truncate_from(hashes_of(&second)));
				ContentByOwner::<Test>::insert(ALICE, record.content_id, (id, 2));
				ContentRefs::<Test>::insert(record.content_id, 1);
				Uploads::<Test>::insert(id, 2, UploadProgress { next_chunk: 0, expires_at: 99 });
				ExpiryQueue::<Test>::insert(tail + 1, (id, 2));
				ExpiryQueueBounds::<Test>::put((head, tail + 2));
				Models::<Test>::mutate(id, |model| model.as_mut().unwrap().latest_version = 2);
			},
			"more than one uploading version",
		);
	}

	#[test]
	fn an_upload_missing_from_the_expiry_queue() {
		fails_with(
			|_| {
				ExpiryQueue::<Test>::remove(1);
			},
			"uploading version not queued to expire",
		);
	}

	#[test]
	fn a_wrong_content_reference_count() {
		fails_with(
			|id| {
				let cid = Versions::<Test>::get(id, 1).unwrap().content_id;
				ContentRefs::<Test>::insert(cid, 2);
			},
			"ContentRefs differs from the versions' content ids",
		);
	}

	#[test]
	fn an_active_version_that_is_not_approved() {
		fails_with(
			|id| {
				Versions::<Test>::mutate(id, 1, |record| record.as_mut().unwrap().approved = false)
			},
			"active version not complete and approved",
		);
	}

	#[test]
	fn an_orphaned_verifying_key() {
		fails_with(
			|_| {
				VerifyingKeys::<Test>::insert(
					77,
					1,
					ZkArtifacts {
						verifying_key: vec![1].try_into().unwrap(),
						proving_key_hash: H256::zero(),
						constraints: 0,
					},
				)
			},
			"orphaned verifying key",
		);
	}

	#[test]
	fn a_missing_content_by_owner_entry() {
		fails_with(
			|id| {
				let cid = Versions::<Test>::get(id, 1).unwrap().content_id;
				ContentByOwner::<Test>::remove(ALICE, cid);
			},
			"version missing from ContentByOwner",
		);
	}

	#[test]
	fn a_model_without_its_first_version() {
		fails_with(
			|id| {
				let record = Versions::<Test>::take(id, 1).unwrap();
				Versions::<Test>::insert(id, 2, record);
				ChunkHashes::<Test>::insert(id, 2, ChunkHashes::<Test>::take(id, 1).unwrap());
			},
			"model without its version 1",
		);
	}

	#[test]
	fn an_uploading_field_that_names_another_version() {
		fails_with(
			|id| Models::<Test>::mutate(id, |model| model.as_mut().unwrap().uploading = Some(1)),
			"model.uploading differs",
		);
	}

	#[test]
	fn an_expiry_entry_outside_the_queue() {
		fails_with(
			|id| ExpiryQueue::<Test>::insert(1_000, (id, 1)),
			"expiry queue entry outside head..tail",
		);
	}

	#[test]
	fn bytes_in_use_queued_for_clearing() {
		fails_with(
			|id| StaleContent::<Test>::insert(Versions::<Test>::get(id, 1).unwrap().content_id, 3),
			"bytes in use queued to be cleared",
		);
	}
}

/// ZK keys on a chain that takes them only from its ceremony (issue 35): initial keys from the
/// pinned phase 1 start a ceremony, the version runs no ZK job until the ceremony hands its key
/// back, one-party keys are refused.
mod ceremony {
	use super::*;
	use opg_primitives::model::{CeremonyKeys, Phase1Pin, ZkKeyOrigin};

	/// int8[1, 40] in, int32[1, 3] out: two public inputs.
	fn int_schema() -> IoSchema {
		let mut input = tensor("input", vec![Dim::Fixed(1), Dim::Fixed(40)]);
		input.dtype = TensorDtype::Int8;
		let mut output = tensor("output", vec![Dim::Fixed(1), Dim::Fixed(3)]);
		output.dtype = TensorDtype::Int32;
		schema_of(vec![input], vec![output])
	}

	/// The placeholder initial key and its phase 1's pin.
	fn initial() -> (ZkArtifacts, Phase1Pin) {
		let (key, alpha, beta) = opg_zk::verifier::placeholder_initial_key(3);
		let artifacts = ZkArtifacts {
			verifying_key: key.try_into().unwrap(),
			proving_key_hash: H256::repeat_byte(0x11),
			constraints: 1_000,
		};
		let pin = Phase1Pin {
			alpha_g1: alpha.try_into().unwrap(),
			beta_g2: beta.try_into().unwrap(),
			files: vec![(12, H256::repeat_byte(0x22))].try_into().unwrap(),
		};
		(artifacts, pin)
	}

	fn register_zk(bytes: &[u8], zk: ZkArtifacts) -> DispatchResult {
		let mut version = spec(bytes);
		version.modes = ModeSet { vanilla: false, attested: true, zk: true };
		version.zk = Some(zk);
		version.schema = int_schema();
		ModelRegistry::register_model(
			RuntimeOrigin::signed(ALICE),
			name(b"zk"),
			Default::default(),
			1,
			version,
		)
	}

	/// A G2 point other than the generator, uncompressed: a ceremony's last `delta`.
	fn final_delta() -> Vec<u8> {
		let (_, _, beta) = opg_zk::verifier::placeholder_initial_key(0);
		beta
	}

	#[test]
	fn an_initial_key_starts_a_ceremony_and_the_version_waits_for_its_key() {
		let (zk, pin) = initial();
		ExtBuilder::default().ceremony_only(Some(pin)).build_and_execute(|| {
			let bytes = model_bytes(20, 1);
			assert_ok!(register_zk(&bytes, zk.clone()));
			assert_eq!(ZkKeyOrigins::<Test>::get(0, 1), Some(ZkKeyOrigin::CeremonyRunning));
			assert!(PreparedKeys::<Test>::get(0, 1).is_none());
			assert!(<ModelRegistry as CeremonyKeys>::exists(0, 1));
			// The ceremony starts when the bytes are complete (anyone can then compute the
			// initial key), on the initial key's hash and the registered key's.
			assert!(Ceremonies::get().is_empty());
			upload_all(ALICE, 0, 1, &bytes);
			let vk_hash = H256(sp_io::hashing::blake2_256(&zk.verifying_key));
			assert_eq!(Ceremonies::get(), vec![(0, 1, ALICE, zk.proving_key_hash, vk_hash)]);
			assert!(<ModelRegistry as CeremonyKeys>::exists(0, 1));
			// Complete, but no key yet and no approval: a ZK version waits for governance
			// although this chain requires no approval of other versions.
			assert!(!ApprovalRequired::<Test>::get());
			assert!(!Versions::<Test>::get(0, 1).unwrap().approved);
			assert_ok!(ModelRegistry::approve_version(RuntimeOrigin::root(), 0, 1));
			// Approved, but no key yet: it does not run.
			assert_eq!(Models::<Test>::get(0).unwrap().active_version, None);
			assert!(ModelRegistry::zk_key(0, 1).is_none());

			let origin = ZkKeyOrigin::Ceremony { contributions: 3, drawn: 2 };
			let head = H256::repeat_byte(0x33);
			assert_ok!(ModelRegistry::finish(0, 1, &final_delta(), head, origin));
			System::assert_has_event(
				Event::ZkKeySettled { model_id: 0, version: 1, origin }.into(),
			);
			assert_eq!(Models::<Test>::get(0).unwrap().active_version, Some(1));
			let key = ModelRegistry::zk_key(0, 1).unwrap();
			assert_eq!(key.proving_key_hash, head);
			// The published key is the initial key with the ceremony's delta: same size (the
			// deposit covers it), another key.
			let published = VerifyingKeys::<Test>::get(0, 1).unwrap();
			assert_eq!(published.verifying_key.len(), zk.verifying_key.len());
			assert_ne!(published.verifying_key, zk.verifying_key);
			assert_eq!(ZkKeyOrigins::<Test>::get(0, 1), Some(origin));
		});
	}

	#[test]
	fn a_finished_ceremony_waits_for_governance_before_its_version_runs() {
		let (zk, pin) = initial();
		ExtBuilder::default().ceremony_only(Some(pin)).build_and_execute(|| {
			let bytes = model_bytes(20, 1);
			assert_ok!(register_zk(&bytes, zk));
			upload_all(ALICE, 0, 1, &bytes);
			let origin = ZkKeyOrigin::Ceremony { contributions: 3, drawn: 2 };
			assert_ok!(ModelRegistry::finish(0, 1, &final_delta(), H256::repeat_byte(3), origin));
			// The key is made, but a ZK key alone decides which results are final: governance
			// looks at the version first, whatever the approval flag says.
			assert!(ModelRegistry::zk_key(0, 1).is_some());
			assert_eq!(Models::<Test>::get(0).unwrap().active_version, None);
			assert_ok!(ModelRegistry::approve_version(RuntimeOrigin::root(), 0, 1));
			assert_eq!(Models::<Test>::get(0).unwrap().active_version, Some(1));
		});
	}

	#[test]
	fn a_one_party_key_or_a_key_from_another_phase_1_is_refused() {
		let (zk, pin) = initial();
		ExtBuilder::default().ceremony_only(Some(pin.clone())).build_and_execute(|| {
			let bytes = model_bytes(20, 1);
			// Today's seed setup: delta already random, made by one party.
			let one_party = ZkArtifacts {
				verifying_key: opg_zk::verifier::placeholder_verifying_key(3).try_into().unwrap(),
				..zk.clone()
			};
			assert_noop!(register_zk(&bytes, one_party), Error::<Test>::ZkKeyNeedsCeremony);
			// A pin whose points are no points is refused.
			let mut broken = pin.clone();
			broken.alpha_g1 = vec![1; 64].try_into().unwrap();
			assert_noop!(
				ModelRegistry::set_phase1(RuntimeOrigin::root(), Some(broken)),
				Error::<Test>::InvalidPhase1
			);
			// Another phase 1 (its maker may know its secrets): another alpha.
			let mut other = pin.clone();
			other.alpha_g1 =
				opg_zk::ceremony::initial_delta::<opg_zk::host::HostBn254>().0.try_into().unwrap();
			assert_ok!(ModelRegistry::set_phase1(RuntimeOrigin::root(), Some(other)));
			assert_noop!(register_zk(&bytes, zk.clone()), Error::<Test>::ZkKeyNotFromPhase1);
			assert_ok!(ModelRegistry::set_phase1(RuntimeOrigin::root(), None));
			assert_noop!(register_zk(&bytes, zk.clone()), Error::<Test>::NoPhase1Pinned);
			assert_noop!(
				ModelRegistry::set_phase1(RuntimeOrigin::signed(ALICE), Some(pin)),
				BadOrigin
			);
			assert!(Ceremonies::get().is_empty());
		});
	}

	#[test]
	fn a_failed_ceremony_removes_its_version_and_the_bytes_register_again() {
		let (zk, pin) = initial();
		ExtBuilder::default().ceremony_only(Some(pin)).build_and_execute(|| {
			let bytes = model_bytes(20, 1);
			// Version 1 of a model with a working version...
			let (model, _) = active_model(ALICE, 9);
			let mut version = spec(&bytes);
			version.modes = ModeSet { vanilla: false, attested: true, zk: true };
			version.zk = Some(zk.clone());
			version.schema = int_schema();
			assert_ok!(ModelRegistry::add_version(RuntimeOrigin::signed(ALICE), model, version));
			upload_all(ALICE, model, 2, &bytes);
			let held_before = held(ALICE);
			// ...and version 2, whose ceremony fails: it never ran, and it goes.
			ModelRegistry::fail(model, 2);
			assert!(Versions::<Test>::get(model, 2).is_none());
			assert!(ZkKeyOrigins::<Test>::get(model, 2).is_none());
			assert!(VerifyingKeys::<Test>::get(model, 2).is_none());
			assert_eq!(Models::<Test>::get(model).unwrap().active_version, Some(1));
			assert!(held(ALICE) < held_before);
			assert!(System::events().iter().any(|record| matches!(
				record.event,
				RuntimeEvent::ModelRegistry(Event::VersionDropped { model_id, version: 2, .. })
					if model_id == model
			)));
			// The same bytes register again, as version 3.
			let mut again = spec(&bytes);
			again.modes = ModeSet { vanilla: false, attested: true, zk: true };
			again.zk = Some(zk);
			again.schema = int_schema();
			assert_ok!(ModelRegistry::add_version(RuntimeOrigin::signed(ALICE), model, again));
			assert!(Versions::<Test>::get(model, 3).is_some());
		});
	}

	#[test]
	fn a_failed_first_version_takes_its_model_along() {
		let (zk, pin) = initial();
		ExtBuilder::default().ceremony_only(Some(pin)).build_and_execute(|| {
			let bytes = model_bytes(20, 1);
			assert_ok!(register_zk(&bytes, zk));
			upload_all(ALICE, 0, 1, &bytes);
			ModelRegistry::fail(0, 1);
			assert!(Models::<Test>::get(0).is_none());
			assert_eq!(held(ALICE), 0);
		});
	}

	#[test]
	fn a_ceremony_the_chain_cannot_start_leaves_the_upload_to_complete_later() {
		let (zk, pin) = initial();
		ExtBuilder::default().ceremony_only(Some(pin)).build_and_execute(|| {
			let bytes = model_bytes(20, 1);
			assert_ok!(register_zk(&bytes, zk));
			upload(ALICE, 0, 1, 0, &bytes);
			upload(ALICE, 0, 1, 1, &bytes);
			CeremoniesFull::set(true);
			let last = bytes.chunks(CHUNK_SIZE as usize).nth(2).unwrap();
			assert_noop!(
				ModelRegistry::upload_chunk(RuntimeOrigin::signed(ALICE), 0, 1, 2, chunk(last)),
				sp_runtime::DispatchError::Other("TooManyCeremonies")
			);
			CeremoniesFull::set(false);
			upload(ALICE, 0, 1, 2, &bytes);
			assert_eq!(Ceremonies::get().len(), 1);
		});
	}

	#[test]
	fn a_dev_chain_takes_a_one_party_key_and_says_so() {
		ExtBuilder::default().build_and_execute(|| {
			let bytes = model_bytes(20, 1);
			let one_party = ZkArtifacts {
				verifying_key: opg_zk::verifier::placeholder_verifying_key(3).try_into().unwrap(),
				proving_key_hash: H256::repeat_byte(2),
				constraints: 1_000,
			};
			assert_ok!(register_zk(&bytes, one_party));
			assert_eq!(ZkKeyOrigins::<Test>::get(0, 1), Some(ZkKeyOrigin::InsecureTestSetup));
			assert!(PreparedKeys::<Test>::get(0, 1).is_some());
			assert!(Ceremonies::get().is_empty());
		});
	}

	#[test]
	fn a_removed_model_takes_its_ceremony_made_key_along_and_key_states_are_cleared() {
		let (zk, pin) = initial();
		ExtBuilder::default().ceremony_only(Some(pin)).build_and_execute(|| {
			let bytes = model_bytes(20, 1);
			assert_ok!(register_zk(&bytes, zk));
			upload_all(ALICE, 0, 1, &bytes);
			let origin = ZkKeyOrigin::Ceremony { contributions: 3, drawn: 2 };
			assert_ok!(ModelRegistry::finish(0, 1, &final_delta(), H256::repeat_byte(3), origin));
			// Key states the ceremony no longer needs leave the nodes' off-chain databases with
			// spare weight, as stale model bytes do; one committed again stays.
			let (stale, wanted) = (H256::repeat_byte(4), H256::repeat_byte(5));
			<ModelRegistry as CeremonyKeys>::discard_state(stale, 3);
			<ModelRegistry as CeremonyKeys>::discard_state(wanted, 2);
			<ModelRegistry as CeremonyKeys>::keep_state(wanted);
			assert_eq!(StaleContent::<Test>::get(stale), Some(3));
			assert_eq!(StaleContent::<Test>::get(wanted), None);
			idle();
			assert_eq!(StaleContent::<Test>::get(stale), None);
			// The model goes: the ceremony forgets its transcript and final key.
			assert!(Forgotten::get().is_empty());
			assert_ok!(ModelRegistry::force_remove_model(RuntimeOrigin::root(), 0, false));
			assert_eq!(Forgotten::get(), vec![(0, 1)]);
		});
	}

	#[test]
	fn a_removed_version_is_gone_for_its_ceremony() {
		let (zk, pin) = initial();
		ExtBuilder::default().ceremony_only(Some(pin)).build_and_execute(|| {
			let bytes = model_bytes(20, 1);
			assert_ok!(register_zk(&bytes, zk));
			run_to_block(1 + UPLOAD_TIMEOUT);
			assert!(!<ModelRegistry as CeremonyKeys>::exists(0, 1));
			assert!(ZkKeyOrigins::<Test>::get(0, 1).is_none());
			assert!(ModelRegistry::finish(
				0,
				1,
				&final_delta(),
				H256::zero(),
				ZkKeyOrigin::CeremonyRunning
			)
			.is_err());
		});
	}
}

mod migrations {
	use super::*;
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	use opg_primitives::model::ZkKeyOrigin;

	#[test]
	fn v3_records_the_one_party_keys_registered_before() {
		ExtBuilder::default().build_and_execute(|| {
			let bytes = model_bytes(20, 1);
			let mut version = spec(&bytes);
			version.modes = ModeSet { vanilla: false, attested: true, zk: true };
			let mut input = tensor("input", vec![Dim::Fixed(1), Dim::Fixed(40)]);
			input.dtype = TensorDtype::Int8;
			let mut output = tensor("output", vec![Dim::Fixed(1), Dim::Fixed(3)]);
			output.dtype = TensorDtype::Int32;
			version.schema = schema_of(vec![input], vec![output]);
			version.zk = Some(ZkArtifacts {
				verifying_key: opg_zk::verifier::placeholder_verifying_key(3).try_into().unwrap(),
				proving_key_hash: H256::repeat_byte(2),
				constraints: 1_000,
			});
			assert_ok!(ModelRegistry::register_model(
				RuntimeOrigin::signed(ALICE),
				name(b"zk"),
				Default::default(),
				1,
				version
			));
			// As a chain at version 2 stored it: no origin.
			ZkKeyOrigins::<Test>::remove(0, 1);
			StorageVersion::new(2).put::<ModelRegistry>();
			crate::migrations::v3::MigrateV2ToV3::<Test>::on_runtime_upgrade();
			assert_eq!(ZkKeyOrigins::<Test>::get(0, 1), Some(ZkKeyOrigin::InsecureTestSetup));
			assert_eq!(ModelRegistry::on_chain_storage_version(), StorageVersion::new(3));
		});
	}
}
