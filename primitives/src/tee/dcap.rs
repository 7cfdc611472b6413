//! The native side of `opg_dcap`: `dcap-qvl` 0.7.1 (pinned exactly in the workspace) with the
//! `ring` backend, named explicitly so that no feature elsewhere in the tree can switch it.

use dcap_qvl::{
	configs::RingConfig, quote::Report, verify::QuoteVerifier, QuoteCollateralV3, QuotePolicy,
};

use super::{
	DcapError, Fmspc, Measurement, TcbStatus, VerifiedQuote, MAX_COLLATERAL_BYTES, MAX_QUOTE_BYTES,
};

/// See [`super::opg_dcap::verify_quote`].
pub(super) fn verify(
	quote: &[u8],
	collateral: &[u8],
	root_ca: &[u8],
	now: u64,
) -> Result<VerifiedQuote, DcapError> {
	if quote.len() > MAX_QUOTE_BYTES as usize || collateral.len() > MAX_COLLATERAL_BYTES as usize {
		return Err(DcapError::TooLarge);
	}
	// Parsing first tells a damaged quote from an untrusted one.
	dcap_qvl::quote::Quote::parse(quote).map_err(|_| DcapError::MalformedQuote)?;
	let collateral: QuoteCollateralV3 =
		serde_json::from_slice(collateral).map_err(|_| DcapError::MalformedCollateral)?;
	// `claims_only` applies no policy: the runtime applies its own (TCB statuses, measurements,
	// report data) to what comes back.
	let claims = QuoteVerifier::<RingConfig>::new_with_config(root_ca.to_vec())
		.verify_with_policy(quote, collateral, now, &QuotePolicy::claims_only(now))
		.map_err(|error| classify(&error))?;
	let (measurement, report_data) = measured(&claims.report)?;
	Ok(VerifiedQuote {
		measurement,
		tcb_status: tcb_status(claims.tcb.status),
		report_data,
		fmspc: claims.platform.pck.fmspc,
		collateral_issued_at: claims.latest_issue_date,
		collateral_expires_at: claims.earliest_expiration_date,
	})
}

/// `dcap-qvl` reports failures as text; its wording for time failures ("TCBInfo expired",
/// "QE Identity issue date is in the future", webpki's "CertExpired", "CertNotValidYet") is
/// fixed by the pinned version, so this mapping is as deterministic as the verification.
fn classify(error: &anyhow::Error) -> DcapError {
	let text = format!("{error:#}").to_ascii_lowercase();
	if text.contains("expired") {
		DcapError::CollateralExpired
	} else if text.contains("in the future") || text.contains("notvalidyet") {
		DcapError::CollateralNotYetValid
	} else if text.contains("decode") || text.contains("parse") && text.contains("collateral") {
		DcapError::MalformedCollateral
	} else {
		DcapError::Untrusted
	}
}

fn tcb_status(status: dcap_qvl::TcbStatus) -> TcbStatus {
	use dcap_qvl::TcbStatus as Intel;
	match status {
		Intel::UpToDate => TcbStatus::UpToDate,
		Intel::SWHardeningNeeded => TcbStatus::SwHardeningNeeded,
		Intel::ConfigurationNeeded => TcbStatus::ConfigurationNeeded,
		Intel::ConfigurationAndSWHardeningNeeded => TcbStatus::ConfigurationAndSwHardeningNeeded,
		Intel::TDRelaunchAdvised => TcbStatus::TdRelaunchAdvised,
		Intel::TDRelaunchAdvisedConfigurationNeeded => {
			TcbStatus::TdRelaunchAdvisedConfigurationNeeded
		}
		Intel::OutOfDate => TcbStatus::OutOfDate,
		Intel::OutOfDateConfigurationNeeded => TcbStatus::OutOfDateConfigurationNeeded,
		Intel::Revoked => TcbStatus::Revoked,
	}
}

/// The measurement and report data of a quote's report.
fn measured(report: &Report) -> Result<(Measurement, [u8; 64]), DcapError> {
	match report {
		Report::SgxEnclave(report) => Ok((
			Measurement::Sgx { mr_enclave: report.mr_enclave, mr_signer: report.mr_signer },
			report.report_data,
		)),
		Report::TD10(_) | Report::TD15(_) | Report::TD15Ex(_) => {
			let report = report.as_td10().ok_or(DcapError::MalformedQuote)?;
			Ok((
				Measurement::Tdx {
					mr_td: report.mr_td,
					rtmr: [report.rt_mr0, report.rt_mr1, report.rt_mr2, report.rt_mr3],
				},
				report.report_data,
			))
		}
	}
}

/// What a quote says, read without verifying it: for operators (`opg-node tee`), never for the
/// runtime, which trusts only [`verify`].
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct QuoteSummary {
	/// The measurement to put on the allow-list.
	pub measurement: Measurement,
	/// The report data the enclave put in.
	pub report_data: [u8; 64],
	/// The platform family, from the PCK certificate in the quote (absent when the quote
	/// carries no certificate chain).
	pub fmspc: Option<Fmspc>,
}

/// Parses `quote` and reads its measurement, report data and platform family.
pub fn inspect_quote(quote: &[u8]) -> Result<QuoteSummary, DcapError> {
	let parsed = dcap_qvl::quote::Quote::parse(quote).map_err(|_| DcapError::MalformedQuote)?;
	let (measurement, report_data) = measured(&parsed.report)?;
	let fmspc = parsed.raw_cert_chain().ok().and_then(|chain| {
		dcap_qvl::intel::parse_pck_extension_from_pem_with::<RingConfig>(chain)
			.ok()
			.map(|extension| extension.fmspc)
	});
	Ok(QuoteSummary { measurement, report_data, fmspc })
}
