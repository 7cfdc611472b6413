//! Benchmarks of every call and of the expiry hook, worst case each: the largest verifying key,
//! the most chunk hashes, full chunks, the most versions.

// Benchmark set-up runs only in benchmark builds, never from an extrinsic: a panic there is a
// failed benchmark.
#![allow(clippy::expect_used, clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use super::*;
use frame_benchmarking::v2::*;
use frame_support::traits::{fungible::Mutate, Hooks};
use frame_system::RawOrigin;
use opg_primitives::model::{
	Dim, IoSchemaInput, TensorDtype, TensorSpecInput, MAX_DESCRIPTION_LEN, MAX_NAME_LEN, MAX_RANK,
	MAX_TENSORS, MAX_TENSOR_NAME_LEN, MAX_VERIFYING_KEY_LEN,
};
use sp_runtime::traits::Bounded;

/// The largest schema the registry accepts.
fn worst_schema() -> IoSchemaInput {
	let side = |prefix: u8| {
		(0..MAX_TENSORS)
			.map(|i| TensorSpecInput {
				name: {
					let mut name = alloc::vec![prefix; MAX_TENSOR_NAME_LEN as usize];
					if let Some(first) = name.first_mut() {
						*first = i as u8;
					}
					name
				},
				dtype: TensorDtype::Float32,
				shape: core::iter::once(Dim::Dynamic)
					.chain((1..MAX_RANK).map(|_| Dim::Fixed(2)))
					.collect(),
			})
			.collect()
	};
	IoSchemaInput { inputs: side(b'i'), outputs: side(b'o') }
}

/// A version spec of `chunks` chunks filled with `seed`, with a `key_len`-byte verifying key.
fn version_spec<T: Config>(chunks: u32, key_len: u32, seed: u8) -> VersionSpec {
	let chunk_size = T::ChunkSize::get();
	let byte_size = u64::from(chunks.max(1)) * u64::from(chunk_size);
	let chunk_hashes: Vec<H256> = (0..chunks.max(1))
		.map(|index| H256(sp_io::hashing::blake2_256(&chunk_bytes(chunk_size, index, seed))))
		.collect();
	VersionSpec {
		schema: worst_schema(),
		modes: ModeSet { vanilla: true, attested: true, zk: key_len > 0 },
		zk: (key_len > 0).then(|| ZkArtifactsInput {
			verifying_key: alloc::vec![7; key_len as usize],
			proving_key_hash: H256([1; 32]),
		}),
		content_id: content_id_from_chunk_hashes(byte_size, &chunk_hashes),
		byte_size,
		chunk_hashes,
	}
}

fn chunk_bytes(chunk_size: u32, index: u32, seed: u8) -> Vec<u8> {
	let mut bytes = alloc::vec![seed; chunk_size as usize];
	for (byte, index_byte) in bytes.iter_mut().zip(index.to_le_bytes()) {
		*byte = index_byte;
	}
	bytes
}

fn funded_owner<T: Config>() -> T::AccountId
where
	T::Currency: Mutate<T::AccountId>,
{
	let owner: T::AccountId = whitelisted_caller();
	T::Currency::set_balance(&owner, BalanceOf::<T>::max_value() / 4u32.into());
	owner
}

/// Registers a model whose version 1 has `chunks` chunks, and returns its id.
fn registered<T: Config>(owner: &T::AccountId, chunks: u32, seed: u8) -> ModelId
where
	T::Currency: Mutate<T::AccountId>,
{
	let model_id = NextModelId::<T>::get();
	Pallet::<T>::register_model(
		RawOrigin::Signed(owner.clone()).into(),
		alloc::vec![b'n'; MAX_NAME_LEN as usize],
		alloc::vec![b'd'; MAX_DESCRIPTION_LEN as usize],
		1u32.into(),
		version_spec::<T>(chunks, MAX_VERIFYING_KEY_LEN, seed),
	)
	.expect("registration of a valid model succeeds");
	model_id
}

fn upload<T: Config>(owner: &T::AccountId, model_id: ModelId, version: VersionNumber, seed: u8) {
	let record = Versions::<T>::get(model_id, version).expect("version exists");
	for index in 0..record.chunk_count {
		Pallet::<T>::upload_chunk(
			RawOrigin::Signed(owner.clone()).into(),
			model_id,
			version,
			index,
			chunk_bytes(T::ChunkSize::get(), index, seed),
		)
		.expect("upload of a matching chunk succeeds");
	}
}

fn active<T: Config>(owner: &T::AccountId, seed: u8) -> ModelId
where
	T::Currency: Mutate<T::AccountId>,
{
	let model_id = registered::<T>(owner, 1, seed);
	upload::<T>(owner, model_id, 1, seed);
	model_id
}

#[benchmarks(where T::Currency: Mutate<T::AccountId>)]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register_model(h: Linear<1, { T::MaxChunks::get() }>, k: Linear<0, MAX_VERIFYING_KEY_LEN>) {
		let owner = funded_owner::<T>();
		let spec = version_spec::<T>(h, k, 1);
		#[extrinsic_call]
		_(
			RawOrigin::Signed(owner.clone()),
			alloc::vec![b'n'; MAX_NAME_LEN as usize],
			alloc::vec![b'd'; MAX_DESCRIPTION_LEN as usize],
			1u32.into(),
			spec,
		);
		assert!(Models::<T>::contains_key(0));
	}

	#[benchmark]
	fn add_version(h: Linear<1, { T::MaxChunks::get() }>, k: Linear<0, MAX_VERIFYING_KEY_LEN>) {
		let owner = funded_owner::<T>();
		let model_id = active::<T>(&owner, 1);
		let spec = version_spec::<T>(h, k, 2);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner.clone()), model_id, spec);
		assert!(Versions::<T>::contains_key(model_id, 2));
	}

	/// The last chunk of a two-chunk version: checks, indexes, completes and activates.
	#[benchmark]
	fn upload_chunk(c: Linear<1, { T::ChunkSize::get() }>) {
		let owner = funded_owner::<T>();
		let chunk_size = T::ChunkSize::get();
		let first = chunk_bytes(chunk_size, 0, 3);
		// Differs from `first` even when both are full chunks.
		let last = alloc::vec![4u8; c as usize];
		let chunk_hashes = alloc::vec![
			H256(sp_io::hashing::blake2_256(&first)),
			H256(sp_io::hashing::blake2_256(&last)),
		];
		let byte_size = u64::from(chunk_size) + u64::from(c);
		let spec = VersionSpec {
			schema: worst_schema(),
			modes: ModeSet { vanilla: true, attested: false, zk: false },
			zk: None,
			content_id: content_id_from_chunk_hashes(byte_size, &chunk_hashes),
			byte_size,
			chunk_hashes,
		};
		let model_id = NextModelId::<T>::get();
		Pallet::<T>::register_model(
			RawOrigin::Signed(owner.clone()).into(),
			alloc::vec![b'n'],
			alloc::vec![],
			1u32.into(),
			spec,
		)
		.expect("registration succeeds");
		Pallet::<T>::upload_chunk(RawOrigin::Signed(owner.clone()).into(), model_id, 1, 0, first)
			.expect("first chunk uploads");
		#[extrinsic_call]
		_(RawOrigin::Signed(owner.clone()), model_id, 1, 1, last);
		assert_eq!(Models::<T>::get(model_id).and_then(|m| m.active_version), Some(1));
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
		assert_eq!(Models::<T>::get(model_id).map(|m| m.status), Some(ModelStatus::Deprecated));
	}

	#[benchmark]
	fn retire_model(v: Linear<1, { T::MaxVersions::get() }>) {
		let owner = funded_owner::<T>();
		let model_id = active::<T>(&owner, 1);
		for number in 2..=v {
			Pallet::<T>::add_version(
				RawOrigin::Signed(owner.clone()).into(),
				model_id,
				version_spec::<T>(1, MAX_VERIFYING_KEY_LEN, number as u8),
			)
			.expect("adding a version succeeds");
			upload::<T>(&owner, model_id, number, number as u8);
		}
		Pallet::<T>::deprecate_model(RawOrigin::Signed(owner.clone()).into(), model_id)
			.expect("deprecation succeeds");
		#[extrinsic_call]
		_(RawOrigin::Signed(owner.clone()), model_id);
		assert!(!Models::<T>::contains_key(model_id));
	}

	#[benchmark]
	fn approve_version() -> Result<(), BenchmarkError> {
		ApprovalRequired::<T>::put(true);
		let owner = funded_owner::<T>();
		let model_id = active::<T>(&owner, 1);
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

	/// `e` first-version uploads expire: each removes its model and releases its deposits.
	#[benchmark]
	fn on_initialize(e: Linear<0, { T::MaxExpiriesPerBlock::get() }>) {
		let owner = funded_owner::<T>();
		let ids: Vec<ModelId> =
			(0..e).map(|i| registered::<T>(&owner, T::MaxChunks::get(), i as u8)).collect();
		let expires_at =
			frame_system::Pallet::<T>::block_number().saturating_add(T::UploadTimeout::get());
		#[block]
		{
			Pallet::<T>::on_initialize(expires_at);
		}
		assert!(ids.iter().all(|id| !Models::<T>::contains_key(id)));
	}

	impl_benchmark_test_suite!(
		Pallet,
		crate::mock::ExtBuilder::default().build(),
		crate::mock::Test
	);
}
