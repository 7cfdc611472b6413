//! Fuzz target: the quote parser and verifier. Quotes and collateral come from the
//! `register_tee` and `refresh_collateral` extrinsics of anyone, and the runtime hands them to
//! [`opg_dcap::verify_quote`] (natively, `dcap-qvl`); operators read quotes with
//! [`inspect_quote`]. Fed arbitrary bytes (alone or behind a sample's header) and mutated
//! samples of both kinds (SGX and TDX) and of their collateral: nothing panics, random bytes
//! never verify, and a mutated quote or collateral that still verifies proves exactly what the
//! sample proves.

// Tests may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::{samples::*, *};
use crate::fuzzing::{fuzz_cases, mutate};
use proptest::prelude::*;

fn verify(quote: &[u8], collateral: &[u8]) -> Result<VerifiedQuote, DcapError> {
	opg_dcap::verify_quote(quote, collateral, INTEL_ROOT_CA_DER, SAMPLE_TIME)
}

/// The SGX sample or the TDX one, with its collateral.
fn sample(tdx: bool) -> (&'static [u8], &'static [u8]) {
	if tdx {
		(TDX_QUOTE, TDX_COLLATERAL)
	} else {
		(SGX_QUOTE, SGX_COLLATERAL)
	}
}

/// What the unmutated sample proves.
fn proven(tdx: bool) -> VerifiedQuote {
	let (quote, collateral) = sample(tdx);
	verify(quote, collateral).expect("the sample verifies")
}

fn edits() -> impl Strategy<Value = Vec<(u8, u32, u8)>> {
	prop::collection::vec(any::<(u8, u32, u8)>(), 1..6)
}

proptest! {
	#![proptest_config(ProptestConfig { cases: fuzz_cases(500), ..ProptestConfig::default() })]

	/// Arbitrary bytes as a quote, alone or behind the first `header` bytes of a sample (its
	/// header: version, key type, TEE type), so that parsing gets past the version checks.
	#[test]
	fn fuzz_quote_bytes(
		tdx in any::<bool>(),
		header in prop_oneof![Just(0usize), Just(48), 0usize..700],
		bytes in prop::collection::vec(any::<u8>(), 0..2048),
	) {
		let (sample, collateral) = sample(tdx);
		let mut quote = sample[..header.min(sample.len())].to_vec();
		quote.extend(bytes);
		let _ = inspect_quote(&quote);
		prop_assert!(verify(&quote, collateral).is_err());
	}

	/// Mutated samples.
	#[test]
	fn fuzz_mutated_quotes(tdx in any::<bool>(), edits in edits()) {
		let (sample, collateral) = sample(tdx);
		let mut quote = sample.to_vec();
		mutate(&mut quote, &edits);
		let _ = inspect_quote(&quote);
		if let Ok(verified) = verify(&quote, collateral) {
			prop_assert_eq!(verified, proven(tdx));
		}
	}

	/// Mutated collateral (Intel's JSON: TCB info, QE identity, CRLs, issuer chains), and
	/// arbitrary bytes as collateral.
	#[test]
	fn fuzz_mutated_collateral(
		tdx in any::<bool>(),
		edits in edits(),
		bytes in prop::collection::vec(any::<u8>(), 0..256),
	) {
		let (quote, sample) = sample(tdx);
		let mut collateral = sample.to_vec();
		mutate(&mut collateral, &edits);
		if let Ok(verified) = verify(quote, &collateral) {
			prop_assert_eq!(verified, proven(tdx));
		}
		prop_assert!(verify(quote, &bytes).is_err());
	}
}
