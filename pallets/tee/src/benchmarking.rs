//! Benchmarks of every call, worst case each: the real TDX sample verified by the host
//! function, a node that registers anew (its old registration goes), a revocation of as many
//! nodes as a measurement takes. The nodes come from [`Config::BenchmarkHelper`], registered in
//! the node registry as the runtime's worst case has them.

// Benchmark set-up runs only in benchmark builds, never from an extrinsic: a panic there is a
// failed benchmark.
#![allow(clippy::expect_used, clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use super::*;
use frame_benchmarking::v2::*;
use frame_system::RawOrigin;
use opg_primitives::tee::samples;
use sp_runtime::RuntimeAppPublic;

/// The TDX sample as the host function verifies it.
fn tdx_sample() -> opg_primitives::tee::VerifiedQuote {
	opg_primitives::tee::opg_dcap::verify_quote(
		samples::TDX_QUOTE,
		samples::TDX_COLLATERAL,
		opg_primitives::tee::INTEL_ROOT_CA_DER,
		samples::SAMPLE_TIME,
	)
	.expect("the sample verifies")
}

/// Registers `who` through the dev enclave with a fresh enclave key from the keystore.
fn register_dev_enclave<T: Config>(who: &T::AccountId) {
	let key = EnclaveKey::generate_pair(None);
	let message =
		opg_primitives::tee::insecure_registration_message(&Pallet::<T>::genesis_hash(), who);
	let key_proof = key.sign(&message).expect("the keystore holds the key");
	Pallet::<T>::do_register_tee(who, TeeEvidence::InsecureDevEnclave { key_proof }, key)
		.expect("registers through the dev enclave");
}

/// Allows the insecure dev enclave (as on a dev chain); returns its measurement id.
fn allow_dev_enclave<T: Config>() -> MeasurementId {
	InsecureDevEnclaveAllowed::<T>::put(true);
	Pallet::<T>::do_allow_measurement(Measurement::InsecureDevEnclave).expect("allowed");
	Measurement::InsecureDevEnclave.id()
}

/// A chain where the TDX sample registers: the clock in its window, its collateral and
/// measurement registered, an inference node registered before through the dev enclave, and
/// block 3's hash the one the sample binds for that node. Returns the node, the evidence and the
/// key.
fn tdx_registration<T: Config>() -> (T::AccountId, TeeEvidence<BlockNumberFor<T>>, EnclaveKey) {
	T::BenchmarkHelper::set_unix_time(samples::SAMPLE_TIME);
	let sample = tdx_sample();
	let anchor: BlockNumberFor<T> = 3u32.into();
	frame_system::Pallet::<T>::set_block_number(5u32.into());
	let node = T::BenchmarkHelper::inference_node(1);
	let (key, block) = opg_primitives::tee::read_report_data(&sample.report_data, &node);
	let hash = T::Hash::decode(&mut &block.as_ref()[..]).expect("32 bytes");
	frame_system::BlockHash::<T>::insert(anchor, hash);
	Pallet::<T>::do_refresh_collateral(
		samples::TDX_QUOTE,
		CollateralBytes::truncate_from(samples::TDX_COLLATERAL.to_vec()),
	)
	.expect("the sample's collateral registers");
	Pallet::<T>::do_allow_measurement(sample.measurement).expect("allowed");
	allow_dev_enclave::<T>();
	register_dev_enclave::<T>(&node);
	let evidence = TeeEvidence::Dcap {
		quote: QuoteBytes::truncate_from(samples::TDX_QUOTE.to_vec()),
		fmspc: sample.fmspc,
		pck_ca: sample.pck_ca,
		anchor,
	};
	(node, evidence, EnclaveKey::from(sp_core::ed25519::Public::from_raw(key)))
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// Collateral refreshed with the larger real sample (TDX: a 5 KiB quote, 16 KiB of
	/// collateral), the host function's verification included.
	#[benchmark]
	fn refresh_collateral() {
		T::BenchmarkHelper::set_unix_time(samples::SAMPLE_TIME);
		let caller: T::AccountId = account("refresher", 0, 0);
		#[extrinsic_call]
		_(
			RawOrigin::Signed(caller),
			QuoteBytes::truncate_from(samples::TDX_QUOTE.to_vec()),
			CollateralBytes::truncate_from(samples::TDX_COLLATERAL.to_vec()),
		);
		assert_eq!(TeeCollateral::<T>::iter().count(), 1);
	}

	/// The real TDX sample registered by a node that had registered before (its old
	/// registration goes), the host function's verification included.
	#[benchmark]
	fn register_tee() {
		let (node, evidence, key) = tdx_registration::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(node.clone()), evidence, key.clone());
		assert_eq!(TeeNodes::<T>::get(&node).map(|r| r.enclave_key), Some(key));
	}

	#[benchmark]
	fn allow_measurement() {
		let measurement = tdx_sample().measurement;
		#[extrinsic_call]
		_(RawOrigin::Root, measurement.clone());
		assert!(AllowedMeasurements::<T>::contains_key(measurement.id()));
	}

	/// Revoking a measurement with `n` nodes registered under it.
	#[benchmark]
	fn revoke_measurement(n: Linear<0, { T::MaxTeeNodesPerMeasurement::get() }>) {
		let id = allow_dev_enclave::<T>();
		for index in 0..n {
			let who = T::BenchmarkHelper::inference_node(index + 1);
			register_dev_enclave::<T>(&who);
		}
		#[extrinsic_call]
		_(RawOrigin::Root, id);
		assert_eq!(TeeNodes::<T>::iter().count(), 0);
	}

	/// Revoking one node's registration.
	#[benchmark]
	fn revoke_tee() {
		allow_dev_enclave::<T>();
		let who = T::BenchmarkHelper::inference_node(1);
		register_dev_enclave::<T>(&who);
		#[extrinsic_call]
		_(RawOrigin::Root, who.clone());
		assert!(!TeeNodes::<T>::contains_key(&who));
	}

	#[benchmark]
	fn set_accepted_tcb_statuses() {
		let statuses = TcbStatusSet::from_statuses(&TcbStatus::ALL);
		#[extrinsic_call]
		_(RawOrigin::Root, statuses);
		assert_eq!(AcceptedTcbStatuses::<T>::get(), statuses);
	}

	impl_benchmark_test_suite!(
		Pallet,
		crate::mock::ExtBuilder::default().build_with_keystore(),
		crate::mock::Test
	);
}
