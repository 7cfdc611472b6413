//! TEE nodes on `dcap-qvl`'s real SGX and TDX samples, verified through the `opg_dcap` host
//! function as the runtime calls it, at a time inside the samples' validity window, with the mock
//! registry standing in for pallet-nodes.

// Tests may panic: a panic is a failed test.
#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects,
	clippy::panic
)]

use crate::{mock::*, *};
use frame_support::{assert_noop, assert_ok};
use opg_primitives::{
	attestation::{NodeRole, RoleSet},
	tee::{opg_dcap, read_report_data, samples, PckCa, VerifiedQuote, INTEL_ROOT_CA_DER},
};
use sp_core::H256;
use sp_runtime::{DispatchError, DispatchResult};

/// The block the sample TDX quote's report data is made to bind.
const ANCHOR: u64 = 3;

fn inference() -> RoleSet {
	NodeRole::Inference.into()
}

fn root() -> RuntimeOrigin {
	RuntimeOrigin::root()
}

/// Four inference nodes (1 to 4) and a verifier (5).
fn nodes() -> ExtBuilder {
	(1..=4)
		.fold(ExtBuilder::default(), |builder, who| builder.node(who, inference()))
		.node(5, NodeRole::Verifier.into())
}

fn verified(quote: &[u8], collateral: &[u8]) -> VerifiedQuote {
	opg_dcap::verify_quote(quote, collateral, INTEL_ROOT_CA_DER, samples::SAMPLE_TIME)
		.expect("the sample verifies")
}

fn quote(bytes: &[u8]) -> QuoteBytes {
	QuoteBytes::try_from(bytes.to_vec()).unwrap()
}

fn collateral(bytes: &[u8]) -> CollateralBytes {
	CollateralBytes::try_from(bytes.to_vec()).unwrap()
}

/// The key the TDX sample's report data binds (raw, whoever reads it), as an enclave key.
fn tdx_key() -> EnclaveKey {
	let (key, _) =
		read_report_data(&verified(samples::TDX_QUOTE, samples::TDX_COLLATERAL).report_data, &0u64);
	EnclaveKey::from(sp_core::ed25519::Public::from_raw(key))
}

/// Enclave key `n` (one whose secret the tests hold).
fn enclave_pair(n: u8) -> sp_core::ed25519::Pair {
	<sp_core::ed25519::Pair as sp_core::Pair>::from_seed(&[n; 32])
}

fn other_key(n: u8) -> EnclaveKey {
	EnclaveKey::from(sp_core::Pair::public(&enclave_pair(n)))
}

/// `who` registers enclave key `n` through the dev enclave, with the key's proof.
fn register_dev(who: AccountId, n: u8) -> DispatchResult {
	use sp_core::Pair;
	let message = opg_primitives::tee::insecure_registration_message(&Tee::genesis_hash(), &who);
	let key_proof = enclave_pair(n).sign(&message).into();
	register(who, TeeEvidence::InsecureDevEnclave { key_proof }, other_key(n))
}

/// The hash the TDX sample's report data binds when account `who` registers it: the sample's
/// fixed report data read for `who` (as `bind_report_data` with that hash would have made it).
fn tdx_block_for(who: AccountId) -> H256 {
	read_report_data(&verified(samples::TDX_QUOTE, samples::TDX_COLLATERAL).report_data, &who).1
}

/// A chain where the TDX sample can register for account `who`: at block 5, block [`ANCHOR`]'s
/// hash is the one the sample binds for `who` (a real enclave would have bound this block's hash
/// and `who`), its collateral is registered and its measurement allowed.
fn tdx_ready(who: AccountId) {
	let sample = verified(samples::TDX_QUOTE, samples::TDX_COLLATERAL);
	let block = tdx_block_for(who);
	run_to_block(5);
	frame_system::BlockHash::<Test>::insert(ANCHOR, block);
	assert_ok!(Tee::refresh_collateral(
		RuntimeOrigin::signed(9),
		quote(samples::TDX_QUOTE),
		collateral(samples::TDX_COLLATERAL)
	));
	assert_ok!(Tee::allow_measurement(root(), sample.measurement));
}

/// The TDX sample's PCK certificate authority.
fn tdx_ca() -> PckCa {
	verified(samples::TDX_QUOTE, samples::TDX_COLLATERAL).pck_ca
}

fn other_ca(ca: PckCa) -> PckCa {
	match ca {
		PckCa::Processor => PckCa::Platform,
		PckCa::Platform => PckCa::Processor,
	}
}

fn tdx_evidence(bytes: &[u8]) -> TeeEvidence<u64> {
	let fmspc = verified(samples::TDX_QUOTE, samples::TDX_COLLATERAL).fmspc;
	TeeEvidence::Dcap { quote: quote(bytes), fmspc, pck_ca: tdx_ca(), anchor: ANCHOR }
}

fn register(who: AccountId, evidence: TeeEvidence<u64>, key: EnclaveKey) -> DispatchResult {
	Tee::register_tee(RuntimeOrigin::signed(who), evidence, key)
}

/// Nothing of a TEE registration exists for `who`.
fn assert_unregistered(who: AccountId) {
	assert!(TeeNodes::<Test>::get(who).is_none());
	assert!(!has_tee_role(who));
	assert!(Tee::enclave_signer(&who).is_none());
}

#[test]
fn sample_collateral_registers_per_platform_family() {
	nodes().build_and_execute(|| {
		for (q, c) in [
			(samples::SGX_QUOTE, samples::SGX_COLLATERAL),
			(samples::TDX_QUOTE, samples::TDX_COLLATERAL),
		] {
			let sample = verified(q, c);
			assert_ok!(Tee::refresh_collateral(RuntimeOrigin::signed(9), quote(q), collateral(c)));
			let kind = sample.measurement.kind();
			let record = TeeCollateral::<Test>::get((kind, sample.fmspc, sample.pck_ca)).unwrap();
			assert_eq!(record.expires_at, sample.collateral_expires_at);
			assert!(events().contains(&Event::CollateralRefreshed {
				kind,
				fmspc: sample.fmspc,
				pck_ca: sample.pck_ca,
				freshness: sample.freshness,
				expires_at: sample.collateral_expires_at,
			}));
			// The same collateral again is not newer.
			assert_noop!(
				Tee::refresh_collateral(RuntimeOrigin::signed(9), quote(q), collateral(c)),
				Error::<Test>::CollateralNotNewer
			);
		}
	});
}

#[test]
fn collateral_that_does_not_verify_is_refused() {
	nodes().build_and_execute(|| {
		let refresh = |q: &[u8], c: &[u8]| {
			Tee::refresh_collateral(RuntimeOrigin::signed(9), quote(q), collateral(c))
		};
		let expires = verified(samples::SGX_QUOTE, samples::SGX_COLLATERAL).collateral_expires_at;
		UnixNow::set(expires + 1);
		assert_noop!(
			refresh(samples::SGX_QUOTE, samples::SGX_COLLATERAL),
			Error::<Test>::CollateralExpired
		);
		UnixNow::set(samples::SAMPLE_TIME);
		assert_noop!(
			refresh(&samples::SGX_QUOTE[..100], samples::SGX_COLLATERAL),
			Error::<Test>::MalformedQuote
		);
		assert_noop!(refresh(samples::SGX_QUOTE, b"[]"), Error::<Test>::MalformedCollateral);
		assert_noop!(
			refresh(samples::SGX_QUOTE, samples::TDX_COLLATERAL),
			Error::<Test>::UntrustedQuote
		);
		assert_eq!(TeeCollateral::<Test>::iter().count(), 0);
	});
}

#[test]
fn the_tdx_sample_registers_its_enclave_key() {
	nodes().build_and_execute(|| {
		tdx_ready(1);
		let sample = verified(samples::TDX_QUOTE, samples::TDX_COLLATERAL);
		assert_ok!(register(1, tdx_evidence(samples::TDX_QUOTE), tdx_key()));
		let registration = TeeNodes::<Test>::get(1).unwrap();
		assert_eq!(registration.kind, TeeKind::Tdx);
		assert_eq!(registration.tcb_status, Some(TcbStatus::UpToDate));
		assert_eq!(registration.measurement, sample.measurement.id());
		assert!(has_tee_role(1));
		assert_eq!(EnclaveKeys::<Test>::get(tdx_key()), Some(1));
		assert_eq!(
			Tee::enclave_signer(&1),
			Some(opg_primitives::tee::EnclaveSigner { key: tdx_key(), insecure: false })
		);
		assert_eq!(AllowedMeasurements::<Test>::get(registration.measurement).unwrap().nodes, 1);
		// It alone holds the Tee role (selection for TEE jobs is the registry's).
		assert_eq!(tee_role_holders(), vec![1]);
		assert!(events().contains(&Event::TeeRegistered {
			node: 1,
			enclave_key: tdx_key(),
			measurement: sample.measurement.id(),
			kind: TeeKind::Tdx,
			tcb_status: Some(TcbStatus::UpToDate),
			insecure: false,
		}));
		let view = Tee::tee_view(1).unwrap();
		assert!(!view.insecure);
		assert_eq!(view.measurement, sample.measurement);
	});
}

/// Front-running: account 2 sees account 1's `register_tee` in the pool and submits the very
/// same call (same quote, same key, same anchor) first. The quote binds account 1, so the copy
/// is refused and takes nothing; account 1's own registration then goes through.
#[test]
fn a_copied_registration_by_another_account_is_refused() {
	nodes().build_and_execute(|| {
		tdx_ready(1);
		assert_noop!(
			register(2, tdx_evidence(samples::TDX_QUOTE), tdx_key()),
			Error::<Test>::QuoteNotForCaller
		);
		// Nor does another anchor help the copier: no recent block has the hash the quote names
		// for it.
		for anchor in [1, 2, 4] {
			frame_system::BlockHash::<Test>::insert(anchor, H256::repeat_byte(anchor as u8));
		}
		for anchor in 1..5 {
			let copied = TeeEvidence::Dcap {
				quote: quote(samples::TDX_QUOTE),
				fmspc: verified(samples::TDX_QUOTE, samples::TDX_COLLATERAL).fmspc,
				pck_ca: tdx_ca(),
				anchor,
			};
			assert_noop!(register(2, copied, tdx_key()), Error::<Test>::QuoteNotForCaller);
		}
		assert_unregistered(2);
		assert!(EnclaveKeys::<Test>::get(tdx_key()).is_none());
		assert_ok!(register(1, tdx_evidence(samples::TDX_QUOTE), tdx_key()));
		assert_eq!(EnclaveKeys::<Test>::get(tdx_key()), Some(1));
		assert_eq!(tee_role_holders(), vec![1]);
	});
}

#[test]
fn every_bad_registration_is_refused_and_registers_nothing() {
	nodes().build_and_execute(|| {
		tdx_ready(1);
		let mut truncated = samples::TDX_QUOTE.to_vec();
		truncated.truncate(600);
		assert_noop!(
			register(1, tdx_evidence(&truncated), tdx_key()),
			Error::<Test>::MalformedQuote
		);
		assert_noop!(
			register(1, tdx_evidence(&[1, 2, 3]), tdx_key()),
			Error::<Test>::MalformedQuote
		);
		// A flipped byte in the TD report: the attestation key's signature no longer covers it.
		let mut corrupted = samples::TDX_QUOTE.to_vec();
		corrupted[200] ^= 0x40;
		assert_noop!(
			register(1, tdx_evidence(&corrupted), tdx_key()),
			Error::<Test>::UntrustedQuote
		);
		// The report data binds another key than the one submitted.
		assert_noop!(
			register(1, tdx_evidence(samples::TDX_QUOTE), other_key(7)),
			Error::<Test>::ReportDataMismatch
		);
		// This chain's block `ANCHOR` has another hash: the quote was made for another chain.
		let bound = frame_system::BlockHash::<Test>::get(ANCHOR);
		frame_system::BlockHash::<Test>::insert(ANCHOR, H256::repeat_byte(0x42));
		assert_noop!(
			register(1, tdx_evidence(samples::TDX_QUOTE), tdx_key()),
			Error::<Test>::QuoteNotForCaller
		);
		// The block hash the sample binds for another account: the quote was made for it.
		frame_system::BlockHash::<Test>::insert(ANCHOR, tdx_block_for(2));
		assert_noop!(
			register(1, tdx_evidence(samples::TDX_QUOTE), tdx_key()),
			Error::<Test>::QuoteNotForCaller
		);
		frame_system::BlockHash::<Test>::insert(ANCHOR, bound);
		// The anchor is too old, or not yet a past block.
		let fmspc = verified(samples::TDX_QUOTE, samples::TDX_COLLATERAL).fmspc;
		for anchor in [5, 6] {
			let evidence = TeeEvidence::Dcap {
				quote: quote(samples::TDX_QUOTE),
				fmspc,
				pck_ca: tdx_ca(),
				anchor,
			};
			assert_noop!(register(1, evidence, tdx_key()), Error::<Test>::QuoteTooOld);
		}
		run_to_block(ANCHOR + 11);
		frame_system::BlockHash::<Test>::insert(ANCHOR, bound);
		assert_noop!(
			register(1, tdx_evidence(samples::TDX_QUOTE), tdx_key()),
			Error::<Test>::QuoteTooOld
		);
		System::set_block_number(5);
		// Collateral expired one second ago: refreshed collateral is needed.
		let expires = verified(samples::TDX_QUOTE, samples::TDX_COLLATERAL).collateral_expires_at;
		UnixNow::set(expires + 1);
		assert_noop!(
			register(1, tdx_evidence(samples::TDX_QUOTE), tdx_key()),
			Error::<Test>::CollateralExpired
		);
		UnixNow::set(samples::SAMPLE_TIME);
		// A TCB status governance does not accept.
		assert_ok!(Tee::set_accepted_tcb_statuses(
			root(),
			TcbStatusSet::from_statuses(&[TcbStatus::SwHardeningNeeded])
		));
		assert_noop!(
			register(1, tdx_evidence(samples::TDX_QUOTE), tdx_key()),
			Error::<Test>::TcbStatusNotAccepted
		);
		assert_ok!(Tee::set_accepted_tcb_statuses(
			root(),
			TcbStatusSet::from_statuses(&[TcbStatus::UpToDate])
		));
		// A platform family with no collateral, and collateral filed under the wrong family.
		let other_family = TeeEvidence::Dcap {
			quote: quote(samples::TDX_QUOTE),
			fmspc: [1, 2, 3, 4, 5, 6],
			pck_ca: tdx_ca(),
			anchor: ANCHOR,
		};
		assert_noop!(register(1, other_family.clone(), tdx_key()), Error::<Test>::NoCollateral);
		let record = TeeCollateral::<Test>::get((TeeKind::Tdx, fmspc, tdx_ca())).unwrap();
		TeeCollateral::<Test>::insert((TeeKind::Tdx, [1, 2, 3, 4, 5, 6], tdx_ca()), record);
		assert_noop!(register(1, other_family, tdx_key()), Error::<Test>::CollateralMismatch);
		TeeCollateral::<Test>::remove((TeeKind::Tdx, [1, 2, 3, 4, 5, 6], tdx_ca()));
		// Filed under the other PCK certificate authority: no collateral for this quote's.
		let platform_ca = TeeEvidence::Dcap {
			quote: quote(samples::TDX_QUOTE),
			fmspc,
			pck_ca: other_ca(tdx_ca()),
			anchor: ANCHOR,
		};
		assert_noop!(register(1, platform_ca, tdx_key()), Error::<Test>::NoCollateral);
		// Not an inference node, not a node.
		assert_noop!(
			register(5, tdx_evidence(samples::TDX_QUOTE), tdx_key()),
			Error::<Test>::NotAnInferenceNode
		);
		assert_noop!(
			register(9, tdx_evidence(samples::TDX_QUOTE), tdx_key()),
			Error::<Test>::NotRegistered
		);
		for who in 1..=4 {
			assert_unregistered(who);
		}
		// The good registration, then its replay by another node.
		assert_ok!(register(1, tdx_evidence(samples::TDX_QUOTE), tdx_key()));
		assert_noop!(
			register(2, tdx_evidence(samples::TDX_QUOTE), tdx_key()),
			Error::<Test>::EnclaveKeyInUse
		);
		assert_noop!(
			register(1, tdx_evidence(samples::TDX_QUOTE), tdx_key()),
			Error::<Test>::EnclaveKeyInUse
		);
		assert_unregistered(2);
	});
}

#[test]
fn a_measurement_off_the_list_is_refused() {
	nodes().build_and_execute(|| {
		tdx_ready(1);
		let id = verified(samples::TDX_QUOTE, samples::TDX_COLLATERAL).measurement.id();
		assert_ok!(Tee::revoke_measurement(root(), id));
		assert_noop!(
			register(1, tdx_evidence(samples::TDX_QUOTE), tdx_key()),
			Error::<Test>::MeasurementNotAllowed
		);
		// SGX: the sample's status (configuration and software hardening needed) is not
		// accepted by default, and its measurement is not allowed.
		assert_ok!(Tee::refresh_collateral(
			RuntimeOrigin::signed(9),
			quote(samples::SGX_QUOTE),
			collateral(samples::SGX_COLLATERAL)
		));
		let sgx = verified(samples::SGX_QUOTE, samples::SGX_COLLATERAL);
		let evidence = || TeeEvidence::Dcap {
			quote: quote(samples::SGX_QUOTE),
			fmspc: sgx.fmspc,
			pck_ca: sgx.pck_ca,
			anchor: ANCHOR,
		};
		assert_noop!(register(1, evidence(), other_key(1)), Error::<Test>::TcbStatusNotAccepted);
		assert_ok!(Tee::set_accepted_tcb_statuses(
			root(),
			TcbStatusSet::from_statuses(&[TcbStatus::ConfigurationAndSwHardeningNeeded])
		));
		// Accepted, the SGX sample verifies, but its report data ("Hello, world!") binds no OPG
		// key, allowed or not.
		assert_noop!(register(1, evidence(), other_key(1)), Error::<Test>::ReportDataMismatch);
		assert_ok!(Tee::allow_measurement(root(), sgx.measurement.clone()));
		assert_noop!(register(1, evidence(), other_key(1)), Error::<Test>::ReportDataMismatch);
		assert_noop!(
			Tee::allow_measurement(root(), sgx.measurement),
			Error::<Test>::MeasurementAlreadyAllowed
		);
	});
}

#[test]
fn governance_alone_keeps_the_allow_list() {
	nodes().build_and_execute(|| {
		let sample = verified(samples::TDX_QUOTE, samples::TDX_COLLATERAL);
		assert_noop!(
			Tee::allow_measurement(RuntimeOrigin::signed(1), sample.measurement.clone()),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Tee::revoke_measurement(RuntimeOrigin::signed(1), sample.measurement.id()),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Tee::set_accepted_tcb_statuses(RuntimeOrigin::signed(1), TcbStatusSet::default()),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Tee::revoke_measurement(root(), sample.measurement.id()),
			Error::<Test>::MeasurementNotAllowed
		);
	});
}

#[test]
fn the_insecure_dev_enclave_is_impossible_where_genesis_forbids_it() {
	nodes().build_and_execute(|| {
		assert!(!InsecureDevEnclaveAllowed::<Test>::get());
		assert_noop!(
			Tee::allow_measurement(root(), Measurement::InsecureDevEnclave),
			Error::<Test>::DevEnclaveNotAllowed
		);
		assert_noop!(register_dev(1, 1), Error::<Test>::DevEnclaveNotAllowed);
	});
}

#[test]
fn the_insecure_dev_enclave_is_named_insecure_everywhere() {
	DevEnclaveAllowed::set(true);
	nodes().build_and_execute(|| {
		// Allowed by genesis, but not on the list until governance puts it there.
		assert_noop!(register_dev(1, 1), Error::<Test>::MeasurementNotAllowed);
		assert_noop!(
			Tee::allow_measurement(RuntimeOrigin::signed(1), Measurement::InsecureDevEnclave),
			DispatchError::BadOrigin
		);
		assert_ok!(Tee::allow_measurement(root(), Measurement::InsecureDevEnclave));
		let id = Measurement::InsecureDevEnclave.id();
		assert!(events().contains(&Event::MeasurementAllowed {
			id,
			measurement: Measurement::InsecureDevEnclave,
			insecure: true
		}));
		assert_ok!(register_dev(1, 1));
		assert!(events().contains(&Event::TeeRegistered {
			node: 1,
			enclave_key: other_key(1),
			measurement: id,
			kind: TeeKind::InsecureDev,
			tcb_status: None,
			insecure: true,
		}));
		assert!(Tee::enclave_signer(&1).unwrap().insecure);
		assert!(Tee::tee_view(1).unwrap().insecure);
	});
	DevEnclaveAllowed::set(false);
}

#[test]
fn revoking_a_measurement_revokes_every_node_under_it() {
	DevEnclaveAllowed::set(true);
	nodes().build_and_execute(|| {
		tdx_ready(3);
		assert_ok!(Tee::allow_measurement(root(), Measurement::InsecureDevEnclave));
		assert_ok!(register_dev(1, 1));
		assert_ok!(register_dev(2, 2));
		assert_ok!(register(3, tdx_evidence(samples::TDX_QUOTE), tdx_key()));
		let id = Measurement::InsecureDevEnclave.id();
		assert_ok!(Tee::revoke_measurement(root(), id));
		assert!(events().contains(&Event::MeasurementRevoked { id, nodes: 2, insecure: true }));
		for who in [1, 2] {
			assert_unregistered(who);
			assert!(events().contains(&Event::TeeRevoked {
				node: who,
				enclave_key: other_key(who as u8),
				insecure: true
			}));
		}
		// Node 3, under the TDX measurement, stands; only it holds the Tee role.
		assert!(Tee::enclave_signer(&3).is_some());
		assert_eq!(tee_role_holders(), vec![3]);
		// Allowing the measurement again restores nobody: each node must register anew.
		assert_ok!(Tee::allow_measurement(root(), Measurement::InsecureDevEnclave));
		assert_unregistered(1);
		assert_eq!(AllowedMeasurements::<Test>::get(id).unwrap().nodes, 0);
		assert_ok!(register_dev(1, 1));
	});
	DevEnclaveAllowed::set(false);
}

/// (That the registry refuses to declare the `Tee` role is the registry's to test.)
#[test]
fn the_tee_role_comes_only_from_a_registration_and_goes_with_inference() {
	DevEnclaveAllowed::set(true);
	nodes().build_and_execute(|| {
		assert_eq!(tee_role_holders(), Vec::<AccountId>::new());
		assert_ok!(Tee::allow_measurement(root(), Measurement::InsecureDevEnclave));
		assert_ok!(register_dev(1, 1));
		assert_eq!(node(1).unwrap().roles, inference().with(NodeRole::Tee));
		// Still an inference node (now a verifier too): the Tee role stays.
		let both = RoleSet::from_roles(&[NodeRole::Inference, NodeRole::Verifier]);
		set_roles(1, both);
		assert_eq!(node(1).unwrap().roles, both.with(NodeRole::Tee));
		assert!(Tee::enclave_signer(&1).is_some());
		// No longer an inference node: the registry deregisters it, and the registration goes.
		set_roles(1, NodeRole::Verifier.into());
		assert_unregistered(1);
		assert_eq!(node(1).unwrap().roles, RoleSet::from(NodeRole::Verifier));
		assert!(events().contains(&Event::TeeRevoked {
			node: 1,
			enclave_key: other_key(1),
			insecure: true
		}));
		assert_eq!(
			AllowedMeasurements::<Test>::get(Measurement::InsecureDevEnclave.id()).unwrap().nodes,
			0
		);
	});
	DevEnclaveAllowed::set(false);
}

#[test]
fn one_measurement_takes_at_most_its_node_limit() {
	DevEnclaveAllowed::set(true);
	nodes().build_and_execute(|| {
		assert_ok!(Tee::allow_measurement(root(), Measurement::InsecureDevEnclave));
		for who in 1..=3 {
			assert_ok!(register_dev(who, who as u8));
		}
		assert_noop!(register_dev(4, 4), Error::<Test>::TooManyTeeNodes);
		// A node registering anew under the same measurement does not count twice.
		assert_ok!(register_dev(3, 33));
		assert!(EnclaveKeys::<Test>::get(other_key(3)).is_none());
		assert_eq!(EnclaveKeys::<Test>::get(other_key(33)), Some(3));
	});
	DevEnclaveAllowed::set(false);
}

#[test]
fn a_dev_enclave_registration_needs_the_keys_proof_naming_the_account() {
	DevEnclaveAllowed::set(true);
	nodes().build_and_execute(|| {
		use sp_core::Pair;
		assert_ok!(Tee::allow_measurement(root(), Measurement::InsecureDevEnclave));
		// Signed for account 2, submitted by account 1: someone else's key.
		let message =
			opg_primitives::tee::insecure_registration_message(&Tee::genesis_hash(), &2u64);
		let key_proof = enclave_pair(1).sign(&message).into();
		assert_noop!(
			register(1, TeeEvidence::InsecureDevEnclave { key_proof }, other_key(1)),
			Error::<Test>::BadSignature
		);
		assert_ok!(register_dev(1, 1));
	});
	DevEnclaveAllowed::set(false);
}

#[test]
fn governance_revokes_one_node_and_leaves_the_others() {
	DevEnclaveAllowed::set(true);
	nodes().build_and_execute(|| {
		assert_ok!(Tee::allow_measurement(root(), Measurement::InsecureDevEnclave));
		assert_ok!(register_dev(1, 1));
		assert_ok!(register_dev(2, 2));
		assert_noop!(Tee::revoke_tee(RuntimeOrigin::signed(1), 2), DispatchError::BadOrigin);
		assert_ok!(Tee::revoke_tee(root(), 1));
		assert_unregistered(1);
		assert!(Tee::enclave_signer(&2).is_some());
		assert_eq!(
			AllowedMeasurements::<Test>::get(Measurement::InsecureDevEnclave.id()).unwrap().nodes,
			1
		);
		assert_noop!(Tee::revoke_tee(root(), 1), Error::<Test>::NotTeeRegistered);
	});
	DevEnclaveAllowed::set(false);
}

/// A node holding work may not drop the inference role (the registry refuses it, and tests
/// that); once it does, the registry deregisters it and only then is its registration gone.
#[test]
fn a_node_that_stops_being_an_inference_node_loses_its_registration() {
	DevEnclaveAllowed::set(true);
	nodes().build_and_execute(|| {
		assert_ok!(Tee::allow_measurement(root(), Measurement::InsecureDevEnclave));
		assert_ok!(register_dev(1, 1));
		assert_ok!(register_dev(2, 2));
		let verifier = RoleSet::from(NodeRole::Verifier);
		set_roles(1, verifier);
		assert_unregistered(1);
		assert!(EnclaveKeys::<Test>::get(other_key(1)).is_none());
		assert!(Tee::enclave_signer(&2).is_some());
		assert_eq!(
			AllowedMeasurements::<Test>::get(Measurement::InsecureDevEnclave.id()).unwrap().nodes,
			1
		);
		// No longer an inference node: it cannot register again.
		assert_noop!(register_dev(1, 11), Error::<Test>::NotAnInferenceNode);
	});
	DevEnclaveAllowed::set(false);
}

#[test]
fn a_leaving_node_cannot_register_and_keeps_its_registration_until_removed() {
	DevEnclaveAllowed::set(true);
	nodes().build_and_execute(|| {
		assert_ok!(Tee::allow_measurement(root(), Measurement::InsecureDevEnclave));
		assert_ok!(register_dev(1, 1));
		leave(1);
		leave(2);
		// The registry's checks come first, before any evidence is looked at.
		assert_noop!(register_dev(2, 2), Error::<Test>::NodeLeaving);
		assert_noop!(register(2, tdx_evidence(&[1, 2, 3]), tdx_key()), Error::<Test>::NodeLeaving);
		assert_noop!(
			register(9, tdx_evidence(&[1, 2, 3]), tdx_key()),
			Error::<Test>::NotRegistered
		);
		assert_noop!(
			register(5, tdx_evidence(&[1, 2, 3]), tdx_key()),
			Error::<Test>::NotAnInferenceNode
		);
		// A leaving node cannot register anew, but its registration stands while it unbonds.
		assert_noop!(register_dev(1, 11), Error::<Test>::NodeLeaving);
		assert!(Tee::enclave_signer(&1).is_some());
		assert!(has_tee_role(1));
		// Its bond withdrawn, the registry removes it: the registration goes first.
		remove_node(1);
		assert!(TeeNodes::<Test>::get(1).is_none());
		assert!(EnclaveKeys::<Test>::get(other_key(1)).is_none());
		assert!(Tee::enclave_signer(&1).is_none());
		assert!(node(1).is_none());
		assert!(events().contains(&Event::TeeRevoked {
			node: 1,
			enclave_key: other_key(1),
			insecure: true
		}));
		assert_eq!(
			AllowedMeasurements::<Test>::get(Measurement::InsecureDevEnclave.id()).unwrap().nodes,
			0
		);
	});
	DevEnclaveAllowed::set(false);
}

#[test]
fn deregistering_a_node_without_a_registration_does_nothing() {
	DevEnclaveAllowed::set(true);
	nodes().build_and_execute(|| {
		assert_ok!(Tee::allow_measurement(root(), Measurement::InsecureDevEnclave));
		assert_ok!(register_dev(1, 1));
		let before = events().len();
		for who in [2, 5, 9] {
			<Tee as EnclaveRegistry<AccountId>>::deregister(&who);
		}
		assert_eq!(events().len(), before);
		assert!(Tee::enclave_signer(&1).is_some());
		assert_eq!(node(2).unwrap().roles, inference());
		assert_eq!(node(5).unwrap().roles, RoleSet::from(NodeRole::Verifier));
		assert!(node(9).is_none());
		// Deregistering twice ends the registration once.
		<Tee as EnclaveRegistry<AccountId>>::deregister(&1);
		<Tee as EnclaveRegistry<AccountId>>::deregister(&1);
		assert_unregistered(1);
		let revoked = events()
			.into_iter()
			.filter(|event| matches!(event, Event::TeeRevoked { node: 1, .. }))
			.count();
		assert_eq!(revoked, 1);
	});
	DevEnclaveAllowed::set(false);
}

#[test]
fn registering_anew_replaces_the_key_and_keeps_the_role() {
	DevEnclaveAllowed::set(true);
	nodes().build_and_execute(|| {
		tdx_ready(1);
		assert_ok!(Tee::allow_measurement(root(), Measurement::InsecureDevEnclave));
		assert_ok!(register_dev(1, 1));
		// From the dev enclave to the TDX sample: the old registration goes, the role stays.
		assert_ok!(register(1, tdx_evidence(samples::TDX_QUOTE), tdx_key()));
		assert!(events().contains(&Event::TeeRevoked {
			node: 1,
			enclave_key: other_key(1),
			insecure: true
		}));
		assert!(has_tee_role(1));
		assert_eq!(
			Tee::enclave_signer(&1),
			Some(opg_primitives::tee::EnclaveSigner { key: tdx_key(), insecure: false })
		);
		assert!(EnclaveKeys::<Test>::get(other_key(1)).is_none());
		let dev = Measurement::InsecureDevEnclave.id();
		assert_eq!(AllowedMeasurements::<Test>::get(dev).unwrap().nodes, 0);
		let tdx = verified(samples::TDX_QUOTE, samples::TDX_COLLATERAL).measurement;
		assert_eq!(AllowedMeasurements::<Test>::get(tdx.id()).unwrap().nodes, 1);
	});
	DevEnclaveAllowed::set(false);
}

#[test]
fn the_runtime_api_reads_policy_and_collateral() {
	nodes().build_and_execute(|| {
		assert_eq!(Tee::tee_policy(), (Vec::new(), DefaultAcceptedTcbStatuses::get()));
		tdx_ready(1);
		let sample = verified(samples::TDX_QUOTE, samples::TDX_COLLATERAL);
		let (allowed, statuses) = Tee::tee_policy();
		assert_eq!(allowed, vec![AllowedMeasurement { measurement: sample.measurement, nodes: 0 }]);
		assert_eq!(statuses, DefaultAcceptedTcbStatuses::get());
		assert_eq!(
			Tee::tee_collateral((TeeKind::Tdx, sample.fmspc, sample.pck_ca)),
			Some((sample.freshness, sample.collateral_expires_at))
		);
		assert_eq!(Tee::tee_collateral((TeeKind::Sgx, sample.fmspc, sample.pck_ca)), None);
		assert!(Tee::tee_view(1).is_none());
	});
}
