//! Benchmarks of every call and of the expiry hook, worst case each: the largest schema, name
//! and description, the largest verifying key, the most chunk hashes (whose bytes are cleared
//! from the off-chain database on removal), full chunks, the most versions, and expiries of
//! distinct owners mixing first versions (the model goes too) and later ones.

// Benchmark set-up runs only in benchmark builds, never from an extrinsic: a panic there is a
// failed benchmark.
#![allow(clippy::expect_used, clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use super::*;
use frame_benchmarking::v2::*;
use frame_support::traits::{fungible::Mutate, Hooks};
use frame_system::RawOrigin;
use opg_primitives::model::{
	Dim, TensorDtype, TensorSpec, MAX_DESCRIPTION_LEN, MAX_NAME_LEN, MAX_RANK, MAX_TENSORS,
	MAX_TENSOR_NAME_LEN, MAX_VERIFYING_KEY_LEN,
};
use sp_runtime::traits::Bounded;

/// The largest schema the registry accepts.
fn worst_schema() -> IoSchema {
	let side = |prefix: u8| {
		let specs: Vec<TensorSpec> = (0..MAX_TENSORS)
			.map(|i| TensorSpec {
				name: {
					let mut name = alloc::vec![prefix; MAX_TENSOR_NAME_LEN as usize];
					if let Some(first) = name.first_mut() {
						*first = i as u8;
					}
					BoundedVec::truncate_from(name)
				},
				dtype: TensorDtype::Float32,
				shape: BoundedVec::truncate_from(
					core::iter::once(Dim::Dynamic)
						.chain((1..MAX_RANK).map(|_| Dim::Fixed(2)))
						.collect(),
				),
			})
			.collect();
		BoundedVec::truncate_from(specs)
	};
	IoSchema { inputs: side(b'i'), outputs: side(b'o') }
}

/// A provable schema and a well-formed verifying key of about `key_len` bytes for it: the key
/// has `n` public inputs (264 + 32n bytes compressed): `3(n - 1)` int64 values pack into
/// `n - 1`, and the job binding is the last.
fn zk_schema_and_key(key_len: u32) -> (IoSchema, Vec<u8>) {
	let n = (key_len.saturating_sub(264) / 32).max(2);
	let packed = n - 1;
	let spec = |name: u8, len: u32| TensorSpec {
		name: BoundedVec::truncate_from(alloc::vec![name; MAX_TENSOR_NAME_LEN as usize]),
		dtype: TensorDtype::Int64,
		shape: BoundedVec::truncate_from(alloc::vec![Dim::Fixed(len)]),
	};
	let schema = IoSchema {
		inputs: BoundedVec::truncate_from(alloc::vec![spec(b'i', 3 * packed - 1)]),
		outputs: BoundedVec::truncate_from(alloc::vec![spec(b'o', 1)]),
	};
	(schema, opg_zk::verifier::placeholder_verifying_key(n as usize))
}

/// A version spec of `chunks` chunks made from `seed` (the last one `last_len` bytes, the others
/// full), with a `key_len`-byte verifying key.
fn version_spec<T: Config>(
	chunks: u32,
	last_len: u32,
	key_len: u32,
	seed: u32,
) -> VersionSpecOf<T> {
	let chunk_size = T::ChunkSize::get();
	let chunks = chunks.max(1);
	let byte_size = u64::from(chunks - 1) * u64::from(chunk_size) + u64::from(last_len.max(1));
	// Only the last chunk is ever uploaded in a benchmark: the others get distinct hashes
	// without hashing megabytes of set-up data.
	let chunk_hashes: Vec<H256> = (0..chunks)
		.map(|index| {
			if index == chunks - 1 {
				chunk_hash(&chunk_bytes::<T>(byte_size, index, seed))
			} else {
				chunk_hash(&(seed, index).encode())
			}
		})
		.collect();
	let (schema, zk) = if key_len > 0 {
		let (schema, key) = zk_schema_and_key(key_len);
		let zk = ZkArtifacts {
			verifying_key: BoundedVec::truncate_from(key),
			proving_key_hash: H256([1; 32]),
			constraints: 1,
		};
		(schema, Some(zk))
	} else {
		(worst_schema(), None)
	};
	VersionSpec {
		schema,
		modes: ModeSet { vanilla: true, attested: true, zk: key_len > 0 },
		tolerance: opg_primitives::inference::Tolerance::EXACT,
		zk,
		content_id: content_id_from_chunk_hashes(chunk_size, byte_size, &chunk_hashes),
		byte_size,
		chunk_hashes: BoundedVec::truncate_from(chunk_hashes),
	}
}

/// Chunk `index` of a model of `byte_size` bytes made from `seed`: distinct for every
/// (seed, index).
fn chunk_bytes<T: Config>(byte_size: u64, index: u32, seed: u32) -> Vec<u8> {
	let len = chunk_len(byte_size, T::ChunkSize::get(), index) as usize;
	let mut bytes = alloc::vec![0xa5; len];
	for (byte, tag) in
		bytes.iter_mut().zip(index.to_le_bytes().into_iter().chain(seed.to_le_bytes()))
	{
		*byte = tag;
	}
	bytes
}

fn funded<T: Config>(who: &T::AccountId)
where
	T::Currency: Mutate<T::AccountId>,
{
	// Plenty for any number of deposits, and room for many such accounts in total issuance.
	T::Currency::set_balance(who, BalanceOf::<T>::max_value() / 1_000_000u32.into());
}

fn funded_owner<T: Config>() -> T::AccountId
where
	T::Currency: Mutate<T::AccountId>,
{
	let owner: T::AccountId = whitelisted_caller();
	funded::<T>(&owner);
	owner
}

fn name() -> ModelName {
	BoundedVec::truncate_from(alloc::vec![b'n'; MAX_NAME_LEN as usize])
}

fn description() -> ModelDescription {
	BoundedVec::truncate_from(alloc::vec![b'd'; MAX_DESCRIPTION_LEN as usize])
}

/// Registers a model whose version 1 has the most chunks and the largest key; returns its id.
fn registered<T: Config>(owner: &T::AccountId, seed: u32) -> ModelId
where
	T::Currency: Mutate<T::AccountId>,
{
	let model_id = NextModelId::<T>::get();
	Pallet::<T>::register_model(
		RawOrigin::Signed(owner.clone()).into(),
		name(),
		description(),
		1u32.into(),
		version_spec::<T>(T::MaxChunks::get(), T::ChunkSize::get(), MAX_VERIFYING_KEY_LEN, seed),
	)
	.expect("registration of a valid model succeeds");
	model_id
}

/// Marks an uploading version complete and active as if its last chunk had arrived (uploading
/// thousands of chunks one call at a time would dominate the set-up).
fn complete<T: Config>(model_id: ModelId, version: VersionNumber) {
	Uploads::<T>::remove(model_id, version);
	Versions::<T>::mutate(model_id, version, |record| {
		let record = record.as_mut().expect("version exists");
		record.completed_at = Some(frame_system::Pallet::<T>::block_number());
		record.approved = true;
	});
	Models::<T>::mutate(model_id, |model| {
		let model = model.as_mut().expect("model exists");
		model.uploading = None;
		model.active_version = Some(version);
	});
}

/// A model with one complete version of the most chunks.
fn active<T: Config>(owner: &T::AccountId, seed: u32) -> ModelId
where
	T::Currency: Mutate<T::AccountId>,
{
	let model_id = registered::<T>(owner, seed);
	complete::<T>(model_id, 1);
	model_id
}

/// Adds an uploading version of the most chunks and the largest key, made from `seed`.
fn add_pending_version<T: Config>(owner: &T::AccountId, model_id: ModelId, seed: u32) {
	Pallet::<T>::add_version(
		RawOrigin::Signed(owner.clone()).into(),
		model_id,
		version_spec::<T>(T::MaxChunks::get(), T::ChunkSize::get(), MAX_VERIFYING_KEY_LEN, seed),
	)
	.expect("adding a version succeeds");
}

/// A model with `versions` complete versions, each of the most chunks and the largest key.
fn with_versions<T: Config>(owner: &T::AccountId, versions: u32) -> ModelId
where
	T::Currency: Mutate<T::AccountId>,
{
	let model_id = active::<T>(owner, 0);
	for number in 2..=versions {
		add_pending_version::<T>(owner, model_id, number);
		complete::<T>(model_id, number);
	}
	model_id
}

#[benchmarks(where T::Currency: Mutate<T::AccountId>)]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register_model(h: Linear<1, { T::MaxChunks::get() }>, k: Linear<0, MAX_VERIFYING_KEY_LEN>) {
		let owner = funded_owner::<T>();
		let spec = version_spec::<T>(h, T::ChunkSize::get(), k, 1);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner.clone()), name(), description(), 1u32.into(), spec);
		assert!(Models::<T>::contains_key(0));
	}

	#[benchmark]
	fn add_version(h: Linear<1, { T::MaxChunks::get() }>, k: Linear<0, MAX_VERIFYING_KEY_LEN>) {
		let owner = funded_owner::<T>();
		let model_id = active::<T>(&owner, 1);
		let spec = version_spec::<T>(h, T::ChunkSize::get(), k, 2);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner.clone()), model_id, spec);
		assert!(Versions::<T>::contains_key(model_id, 2));
	}

	/// The last chunk, `c` bytes, of a version of the most chunks with the largest key: checks
	/// its hash against the full hash list, indexes it and completes the version, reading its
	/// key. (A ZK version then waits for governance; activating a version without a key, which
	/// its completion may do instead, writes the model record this call writes anyway.)
	#[benchmark]
	fn upload_chunk(c: Linear<1, { T::ChunkSize::get() }>) {
		let owner = funded_owner::<T>();
		let chunks = T::MaxChunks::get();
		let spec = version_spec::<T>(chunks, c, MAX_VERIFYING_KEY_LEN, 3);
		let byte_size = spec.byte_size;
		let model_id = NextModelId::<T>::get();
		Pallet::<T>::register_model(
			RawOrigin::Signed(owner.clone()).into(),
			name(),
			description(),
			1u32.into(),
			spec,
		)
		.expect("registration succeeds");
		Uploads::<T>::mutate(model_id, 1, |progress| {
			if let Some(progress) = progress {
				progress.next_chunk = chunks - 1;
			}
		});
		let last = BoundedVec::truncate_from(chunk_bytes::<T>(byte_size, chunks - 1, 3));
		#[extrinsic_call]
		_(RawOrigin::Signed(owner.clone()), model_id, 1, chunks - 1, last);
		assert!(Versions::<T>::get(model_id, 1).is_some_and(|version| version.is_complete()));
	}

	#[benchmark]
	fn set_price() {
		let owner = funded_owner::<T>();
		let model_id = active::<T>(&owner, 1);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner.clone()), model_id, 5u32.into());
		assert_eq!(Models::<T>::get(model_id).map(|m| m.price), Some(5u32.into()));
	}

	#[benchmark]
	fn deprecate_model() {
		let owner = funded_owner::<T>();
		let model_id = active::<T>(&owner, 1);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner.clone()), model_id);
		assert!(Models::<T>::get(model_id)
			.is_some_and(|m| matches!(m.status, ModelStatus::Deprecated { .. })));
	}

	/// `v` complete versions, each of the most chunks (all cleared off-chain) and the largest key.
	#[benchmark]
	fn retire_model(v: Linear<1, { T::MaxVersions::get() }>) {
		let owner = funded_owner::<T>();
		let model_id = with_versions::<T>(&owner, v);
		Pallet::<T>::deprecate_model(RawOrigin::Signed(owner.clone()).into(), model_id)
			.expect("deprecation succeeds");
		let retirable =
			frame_system::Pallet::<T>::block_number().saturating_add(T::RetirementDelay::get());
		frame_system::Pallet::<T>::set_block_number(retirable);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner.clone()), model_id);
		assert!(!Models::<T>::contains_key(model_id));
	}

	/// As `retire_model`, with every deposit forfeited.
	#[benchmark]
	fn force_remove_model(v: Linear<1, { T::MaxVersions::get() }>) -> Result<(), BenchmarkError> {
		let owner = funded_owner::<T>();
		let model_id = with_versions::<T>(&owner, v);
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, model_id, true);
		assert!(!Models::<T>::contains_key(model_id));
		Ok(())
	}

	#[benchmark]
	fn approve_version() -> Result<(), BenchmarkError> {
		let owner = funded_owner::<T>();
		let model_id = registered::<T>(&owner, 1);
		complete::<T>(model_id, 1);
		Versions::<T>::mutate(model_id, 1, |record| {
			if let Some(record) = record {
				record.approved = false;
			}
		});
		Models::<T>::mutate(model_id, |model| {
			if let Some(model) = model {
				model.active_version = None;
			}
		});
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, model_id, 1);
		assert_eq!(Models::<T>::get(model_id).and_then(|m| m.active_version), Some(1));
		Ok(())
	}

	#[benchmark]
	fn suspend_model() -> Result<(), BenchmarkError> {
		let owner = funded_owner::<T>();
		let model_id = active::<T>(&owner, 1);
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, model_id);
		assert_eq!(Models::<T>::get(model_id).map(|m| m.suspended), Some(true));
		Ok(())
	}

	#[benchmark]
	fn resume_model() -> Result<(), BenchmarkError> {
		let owner = funded_owner::<T>();
		let model_id = active::<T>(&owner, 1);
		Models::<T>::mutate(model_id, |model| {
			if let Some(model) = model {
				model.suspended = true;
			}
		});
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, model_id);
		assert_eq!(Models::<T>::get(model_id).map(|m| m.suspended), Some(false));
		Ok(())
	}

	#[benchmark]
	fn set_approval_required() -> Result<(), BenchmarkError> {
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, true);
		assert!(ApprovalRequired::<T>::get());
		Ok(())
	}

	/// `e` uploads expire, each of a distinct owner, each of the most chunks (cleared off-chain)
	/// and the largest key; every other one is a model's first version (the model goes too), the
	/// rest later versions of models that stay.
	#[benchmark]
	fn on_initialize(e: Linear<0, { T::MaxExpiriesPerBlock::get() }>) {
		let mut expiring = Vec::new();
		for i in 0..e {
			let owner: T::AccountId = account("owner", i, 0);
			funded::<T>(&owner);
			if i % 2 == 0 {
				expiring.push((registered::<T>(&owner, i), 1));
			} else {
				let model_id = active::<T>(&owner, i);
				add_pending_version::<T>(&owner, model_id, i + 1_000_000);
				expiring.push((model_id, 2));
			}
		}
		let expires_at =
			frame_system::Pallet::<T>::block_number().saturating_add(T::UploadTimeout::get());
		// One more upload, due a block later: the hook reads it and stops there.
		let later: T::AccountId = account("later", 0, 0);
		funded::<T>(&later);
		frame_system::Pallet::<T>::set_block_number(
			frame_system::Pallet::<T>::block_number().saturating_add(1u32.into()),
		);
		let not_due = registered::<T>(&later, u32::MAX);
		// The queue holds exactly the expiring uploads, then the one not due (the completed
		// ones' entries would be dropped for less).
		let _ = ExpiryQueue::<T>::clear(u32::MAX, None);
		for (position, entry) in expiring.iter().chain([(not_due, 1)].iter()).enumerate() {
			ExpiryQueue::<T>::insert(position as u64, *entry);
		}
		ExpiryQueueBounds::<T>::put((0, expiring.len() as u64 + 1));
		#[block]
		{
			Pallet::<T>::on_initialize(expires_at);
		}
		assert!(expiring.iter().all(|(id, number)| !Versions::<T>::contains_key(id, number)));
		assert!(Uploads::<T>::contains_key(not_due, 1));
		assert_eq!(ExpiryQueueBounds::<T>::get(), (e as u64, e as u64 + 1));
	}

	/// `c` chunks of one stale content id cleared from the off-chain database.
	#[benchmark]
	fn clear_stale_chunks(c: Linear<0, { T::MaxChunks::get() }>) {
		let content_id = H256::repeat_byte(0xcc);
		StaleContent::<T>::insert(content_id, T::MaxChunks::get());
		#[block]
		{
			Pallet::<T>::clear_stale_chunks(c);
		}
		assert_eq!(StaleContent::<T>::get(content_id).unwrap_or(0), T::MaxChunks::get() - c);
	}

	impl_benchmark_test_suite!(
		Pallet,
		crate::mock::ExtBuilder::default().build(),
		crate::mock::Test
	);
}
