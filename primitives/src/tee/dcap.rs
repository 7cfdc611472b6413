//! The native side of `opg_dcap`: `dcap-qvl` 0.7.1 (pinned exactly in the workspace) with the
//! `ring` backend, named explicitly so that no feature elsewhere in the tree can switch it.

use dcap_qvl::{
	configs::RingConfig, qe_identity::QeIdentity, quote::Report, tcb_info::TcbInfo,
	verify::QuoteVerifier, QuoteCollateralV3, QuotePolicy,
};

use super::{
	DcapError, Fmspc, Freshness, Measurement, PckCa, TcbStatus, VerifiedQuote,
	MAX_COLLATERAL_BYTES, MAX_QUOTE_BYTES,
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
	let mut collateral: QuoteCollateralV3 =
		serde_json::from_slice(collateral).map_err(|_| DcapError::MalformedCollateral)?;
	// A PCK certificate chain in the collateral would take the place of the quote's own (dcap-qvl
	// prefers it), so collateral fetched on one machine would fail every other machine of the
	// family. The platform's chain is the quote's.
	collateral.pck_certificate_chain = None;
	let freshness = check_dates(&collateral, now)?;
	// `claims_only` applies no policy: the runtime applies its own (TCB statuses, measurements,
	// report data) to what comes back. Every failure inside dcap-qvl is `Untrusted`: its
	// messages (and those of the certificate crates under it) are not part of this interface.
	let claims = QuoteVerifier::<RingConfig>::new_with_config(root_ca.to_vec())
		.verify_with_policy(quote, collateral, now, &QuotePolicy::claims_only(now))
		.map_err(|_| DcapError::Untrusted)?;
	let (measurement, report_data) = measured(&claims.report)?;
	let pck_ca = pck_ca(claims.platform.pck.platform_instance_id.is_some());
	Ok(VerifiedQuote {
		measurement,
		tcb_status: tcb_status(claims.tcb.status),
		report_data,
		fmspc: claims.platform.pck.fmspc,
		pck_ca,
		freshness,
		collateral_expires_at: claims.earliest_expiration_date,
	})
}

/// Checks `now` against the validity of the collateral's TCB info and QE identity (their
/// `issueDate` and `nextUpdate`) and of its two CRLs (`thisUpdate`, `nextUpdate`) with our own
/// code, so that these errors do not depend on `dcap-qvl`'s wording; returns the freshness.
fn check_dates(collateral: &QuoteCollateralV3, now: u64) -> Result<Freshness, DcapError> {
	let tcb_info: TcbInfo =
		serde_json::from_str(&collateral.tcb_info).map_err(|_| DcapError::MalformedCollateral)?;
	let qe_identity: QeIdentity = serde_json::from_str(&collateral.qe_identity)
		.map_err(|_| DcapError::MalformedCollateral)?;
	let mut freshness = Freshness::default();
	for (issue, next, issued) in [
		(&tcb_info.issue_date, &tcb_info.next_update, &mut freshness.tcb_info_issued_at),
		(&qe_identity.issue_date, &qe_identity.next_update, &mut freshness.qe_identity_issued_at),
	] {
		let (issue, next) = (unix_secs(issue)?, unix_secs(next)?);
		if now < issue {
			return Err(DcapError::CollateralNotYetValid);
		}
		if now > next {
			return Err(DcapError::CollateralExpired);
		}
		*issued = issue;
	}
	freshness.tcb_evaluation_data_number =
		tcb_info.tcb_evaluation_data_number.min(qe_identity.tcb_evaluation_data_number);
	for crl in [&collateral.root_ca_crl, &collateral.pck_crl] {
		use der::Decode;
		let list =
			x509_cert::crl::CertificateList::<x509_cert::certificate::Rfc5280>::from_der(crl)
				.map_err(|_| DcapError::MalformedCollateral)?;
		if now < list.tbs_cert_list.this_update.to_unix_duration().as_secs() {
			return Err(DcapError::CollateralNotYetValid);
		}
		if list
			.tbs_cert_list
			.next_update
			.is_some_and(|next| now > next.to_unix_duration().as_secs())
		{
			return Err(DcapError::CollateralExpired);
		}
	}
	Ok(freshness)
}

fn unix_secs(date: &str) -> Result<u64, DcapError> {
	chrono::DateTime::parse_from_rfc3339(date)
		.ok()
		.and_then(|date| u64::try_from(date.timestamp()).ok())
		.ok_or(DcapError::MalformedCollateral)
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

/// The authority of a PCK certificate: only the Platform CA's carry a platform instance id.
fn pck_ca(has_platform_instance_id: bool) -> PckCa {
	if has_platform_instance_id {
		PckCa::Platform
	} else {
		PckCa::Processor
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
	/// The platform family and its PCK certificate authority, from the PCK certificate in the
	/// quote (absent when the quote carries no certificate chain).
	pub platform: Option<(Fmspc, PckCa)>,
}

/// Parses `quote` and reads its measurement, report data and platform family.
pub fn inspect_quote(quote: &[u8]) -> Result<QuoteSummary, DcapError> {
	let parsed = dcap_qvl::quote::Quote::parse(quote).map_err(|_| DcapError::MalformedQuote)?;
	let (measurement, report_data) = measured(&parsed.report)?;
	let platform = parsed.raw_cert_chain().ok().and_then(|chain| {
		dcap_qvl::intel::parse_pck_extension_from_pem_with::<RingConfig>(chain)
			.ok()
			.map(|extension| (extension.fmspc, pck_ca(extension.platform_instance_id.is_some())))
	});
	Ok(QuoteSummary { measurement, report_data, platform })
}
