//! The host function on `dcap-qvl`'s real samples, as the runtime calls it.

// Tests may panic: a panic is a failed test.
#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects,
	clippy::panic
)]

use super::{samples::*, *};

fn verify(quote: &[u8], collateral: &[u8], now: u64) -> Result<VerifiedQuote, DcapError> {
	opg_dcap::verify_quote(quote, collateral, INTEL_ROOT_CA_DER, now)
}

#[test]
fn sgx_sample_verifies() {
	let verified = verify(SGX_QUOTE, SGX_COLLATERAL, SAMPLE_TIME).expect("the SGX sample verifies");
	assert_eq!(verified.measurement.kind(), TeeKind::Sgx);
	assert_eq!(verified.tcb_status, TcbStatus::ConfigurationAndSwHardeningNeeded);
	assert_eq!(verified.fmspc, [0x00, 0xA0, 0x67, 0x11, 0x00, 0x00]);
	assert_eq!(&verified.report_data[..13], b"Hello, world!");
	assert_eq!(verified.pck_ca, PckCa::Processor);
	assert!(verified.freshness.tcb_info_issued_at <= SAMPLE_TIME);
	assert_eq!(verified.freshness.tcb_evaluation_data_number, 17);
	assert!(SAMPLE_TIME < verified.collateral_expires_at);
}

#[test]
fn tdx_sample_verifies() {
	let verified = verify(TDX_QUOTE, TDX_COLLATERAL, SAMPLE_TIME).expect("the TDX sample verifies");
	let Measurement::Tdx { mr_td, rtmr } = &verified.measurement else {
		panic!("a TDX measurement, got {:?}", verified.measurement);
	};
	assert_eq!(mr_td[..4], [0x91, 0xeb, 0x2b, 0x44]);
	assert_eq!(rtmr[3], [0u8; 48]);
	assert_eq!(verified.tcb_status, TcbStatus::UpToDate);
	assert_eq!(verified.fmspc, [0xB0, 0xC0, 0x6F, 0x00, 0x00, 0x00]);
}

#[test]
fn collateral_expired_one_second_after_its_expiry() {
	for (quote, collateral) in [(SGX_QUOTE, SGX_COLLATERAL), (TDX_QUOTE, TDX_COLLATERAL)] {
		let expires =
			verify(quote, collateral, SAMPLE_TIME).expect("verifies").collateral_expires_at;
		assert_eq!(verify(quote, collateral, expires + 1), Err(DcapError::CollateralExpired));
	}
}

#[test]
fn collateral_not_yet_issued() {
	let freshness = verify(SGX_QUOTE, SGX_COLLATERAL, SAMPLE_TIME).expect("verifies").freshness;
	let issued = freshness.tcb_info_issued_at.max(freshness.qe_identity_issued_at);
	assert_eq!(
		verify(SGX_QUOTE, SGX_COLLATERAL, issued - 1),
		Err(DcapError::CollateralNotYetValid)
	);
}

#[test]
fn truncated_or_unparsable_quotes_are_malformed() {
	for quote in [&SGX_QUOTE[..40], &SGX_QUOTE[..SGX_QUOTE.len() / 2], &[][..], &TDX_QUOTE[..600]] {
		assert_eq!(verify(quote, SGX_COLLATERAL, SAMPLE_TIME), Err(DcapError::MalformedQuote));
	}
	let mut unknown_version = SGX_QUOTE.to_vec();
	unknown_version[0] = 9;
	assert_eq!(
		verify(&unknown_version, SGX_COLLATERAL, SAMPLE_TIME),
		Err(DcapError::MalformedQuote)
	);
}

#[test]
fn corrupted_quotes_are_untrusted() {
	// A byte of the enclave report (its MRENCLAVE), then a byte of the signature over it: the
	// attestation key's signature no longer verifies.
	for position in [112, 440] {
		let mut corrupted = SGX_QUOTE.to_vec();
		corrupted[position] ^= 1;
		assert_eq!(verify(&corrupted, SGX_COLLATERAL, SAMPLE_TIME), Err(DcapError::Untrusted));
	}
}

#[test]
fn quotes_signed_under_another_root_are_untrusted() {
	// Trust Intel's TCB signing certificate instead of Intel's root: every chain fails.
	let collateral: serde_json::Value = serde_json::from_slice(SGX_COLLATERAL).expect("json");
	let chain = collateral["tcb_info_issuer_chain"].as_str().expect("chain");
	let pem = chain.split_inclusive("-----END CERTIFICATE-----").next().expect("first");
	let body: String = pem.lines().filter(|line| !line.starts_with("-----")).collect();
	let der = base64_decode(body.trim());
	assert_eq!(
		opg_dcap::verify_quote(SGX_QUOTE, SGX_COLLATERAL, &der, SAMPLE_TIME),
		Err(DcapError::Untrusted)
	);
}

#[test]
fn collateral_of_another_platform_is_untrusted() {
	assert_eq!(verify(SGX_QUOTE, TDX_COLLATERAL, SAMPLE_TIME), Err(DcapError::Untrusted));
	assert_eq!(verify(TDX_QUOTE, SGX_COLLATERAL, SAMPLE_TIME), Err(DcapError::Untrusted));
}

#[test]
fn bad_or_oversized_collateral() {
	assert_eq!(
		verify(SGX_QUOTE, b"{\"not\": 1}", SAMPLE_TIME),
		Err(DcapError::MalformedCollateral)
	);
	let big = vec![b' '; MAX_COLLATERAL_BYTES as usize + 1];
	assert_eq!(verify(SGX_QUOTE, &big, SAMPLE_TIME), Err(DcapError::TooLarge));
	let big_quote = vec![3u8; MAX_QUOTE_BYTES as usize + 1];
	assert_eq!(verify(&big_quote, SGX_COLLATERAL, SAMPLE_TIME), Err(DcapError::TooLarge));
}

#[test]
fn report_data_binding_round_trips() {
	let key = EnclaveKey::from(sp_core::ed25519::Public::from_raw([7; 32]));
	let block = Hash::repeat_byte(9);
	let account = [5u8; 32];
	let data = bind_report_data(&key, &block, &account);
	assert_eq!(read_report_data(&data, &account), ([7; 32], block));
	// The key is raw; the block hash is masked by the account's hash.
	assert_eq!(data[..32], [7; 32]);
	let mask = sp_io::hashing::blake2_256(&[&b"opg:tee-register:v1"[..], &account].concat());
	assert_eq!(account_mask(&account), mask);
	let masked: Vec<u8> = mask.iter().map(|byte| byte ^ 9).collect();
	assert_eq!(data[32..], masked[..]);
}

/// Read for another account, the report data names another block hash (so a quote bound for one
/// account registers no other): the binding a copied registration fails on.
#[test]
fn report_data_read_for_another_account_names_another_block() {
	let key = EnclaveKey::from(sp_core::ed25519::Public::from_raw([7; 32]));
	let block = Hash::repeat_byte(9);
	let data = bind_report_data(&key, &block, &[1u8; 32]);
	for other in [[2u8; 32], [0u8; 32]] {
		let (bound_key, bound_block) = read_report_data(&data, &other);
		assert_eq!(bound_key, [7; 32]);
		assert_ne!(bound_block, block);
	}
}

/// A known answer for other implementations of the binding (docs/tee.md gives the same): key
/// `0x11..`, block hash `0x22..`, account `0x33..`.
#[test]
fn report_data_known_answer() {
	let key = EnclaveKey::from(sp_core::ed25519::Public::from_raw([0x11; 32]));
	let data = bind_report_data(&key, &Hash::repeat_byte(0x22), &[0x33u8; 32]);
	assert_eq!(
		sp_core::hexdisplay::HexDisplay::from(&&data[32..]).to_string(),
		"c2cbaba17ced30bb18d03935d23cea63b9a52f11befbcd7d16c72128ccd1183c"
	);
}

#[test]
fn tcb_status_sets_never_hold_revoked() {
	let set = TcbStatusSet::from_statuses(&[TcbStatus::UpToDate, TcbStatus::Revoked]);
	assert!(set.contains(TcbStatus::UpToDate));
	assert!(!set.contains(TcbStatus::Revoked));
	assert_eq!(set.iter().collect::<Vec<_>>(), vec![TcbStatus::UpToDate]);
	let revoked_bit = (1u16 << 8).encode();
	assert!(TcbStatusSet::decode(&mut &revoked_bit[..]).is_err());
}

fn base64_decode(text: &str) -> Vec<u8> {
	const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	let mut out = Vec::new();
	let (mut buffer, mut bits) = (0u32, 0u32);
	for byte in text.bytes().filter(|byte| *byte != b'=') {
		let value = ALPHABET.iter().position(|c| *c == byte).expect("base64") as u32;
		buffer = (buffer << 6) | value;
		bits += 6;
		if bits >= 8 {
			bits -= 8;
			out.push((buffer >> bits) as u8);
		}
	}
	out
}

#[test]
fn inspecting_a_quote_reads_what_verification_proves() {
	for (quote, collateral) in [(SGX_QUOTE, SGX_COLLATERAL), (TDX_QUOTE, TDX_COLLATERAL)] {
		let verified = verify(quote, collateral, SAMPLE_TIME).expect("verifies");
		let summary = inspect_quote(quote).expect("parses");
		assert_eq!(summary.measurement, verified.measurement);
		assert_eq!(summary.report_data, verified.report_data);
		assert_eq!(summary.platform, Some((verified.fmspc, verified.pck_ca)));
	}
	assert_eq!(inspect_quote(&TDX_QUOTE[..100]), Err(DcapError::MalformedQuote));
}

/// For `scripts/bench.sh`: the median native time of verifying each sample, the anchor of the
/// registration benchmarks. Prints one JSON line.
#[test]
#[ignore = "a report for scripts/bench.sh, not a check"]
fn dcap_native_report() {
	let median = |quote: &[u8], collateral: &[u8]| {
		let mut times: Vec<f64> = (0..200)
			.map(|_| {
				let started = std::time::Instant::now();
				verify(quote, collateral, SAMPLE_TIME).expect("verifies");
				started.elapsed().as_secs_f64() * 1e6
			})
			.collect();
		times.sort_by(f64::total_cmp);
		times[times.len() / 2]
	};
	println!(
		"OPG-BENCH {{\"dcap_native_sgx_us\": {:.1}, \"dcap_native_tdx_us\": {:.1}}}",
		median(SGX_QUOTE, SGX_COLLATERAL),
		median(TDX_QUOTE, TDX_COLLATERAL)
	);
}

#[test]
fn a_pck_chain_in_the_collateral_is_ignored_for_the_quotes_own() {
	// Collateral fetched on another machine carries that machine's PCK chain; dcap-qvl would
	// check this quote against it. Here it is garbage, and the quote still verifies.
	let mut collateral: serde_json::Value = serde_json::from_slice(SGX_COLLATERAL).unwrap();
	collateral["pck_certificate_chain"] = serde_json::Value::String(
		"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".into(),
	);
	let collateral = serde_json::to_vec(&collateral).unwrap();
	assert!(verify(SGX_QUOTE, &collateral, SAMPLE_TIME).is_ok());
}

#[test]
fn collateral_freshness_never_moves_backwards() {
	let current = Freshness {
		tcb_info_issued_at: 100,
		qe_identity_issued_at: 100,
		tcb_evaluation_data_number: 17,
	};
	let newer_tcb = Freshness { tcb_info_issued_at: 200, ..current };
	assert!(newer_tcb.replaces(1_000, &current, 1_000));
	// Fresh CRLs alone: the same parts, a later expiry.
	assert!(current.replaces(2_000, &current, 1_000));
	// Nothing new at all.
	assert!(!current.replaces(1_000, &current, 1_000));
	// A newer QE identity with an older TCB info, or an older evaluation number: a downgrade.
	let mixed = Freshness { tcb_info_issued_at: 50, qe_identity_issued_at: 300, ..current };
	assert!(!mixed.replaces(5_000, &current, 1_000));
	let older_eval = Freshness { tcb_evaluation_data_number: 16, ..newer_tcb };
	assert!(!older_eval.replaces(5_000, &current, 1_000));
}
