//! The referendum tracks: one per kind of decision, each with its own deposit, periods and
//! approval and support curves. `docs/governance.md` lists them with their reasoning.
//!
//! Every track has a production timing (days, so holders can read, discuss and vote) and a
//! development timing (blocks, for the dev chain); the chain spec picks one at genesis
//! ([`super::origins::TrackTiming`]). Deposits and curves are the same in both.
//!
//! The curves are functions of the time into the decision period, so they do not depend on its
//! length: approval (aye votes over all votes, conviction-weighted) falls linearly from its
//! ceiling to its floor over the whole period; support (aye votes over the active issuance,
//! without conviction) falls likewise. A referendum passes once both have stayed above their
//! curves for the confirmation period.

use alloc::borrow::Cow;
use opg_primitives::currency::OPG;
use pallet_referenda::{Curve, Track, TrackInfo};
use sp_runtime::Perbill;

use super::origins::{self, Origin};
use crate::{Balance, BlockNumber, OriginCaller, Runtime, DAYS, HOURS, MINUTES};

/// A track's identifier: what `Referenda::submit` records and events report.
pub type TrackId = u16;

/// Runtime upgrades and anything only root may do.
pub const ROOT: TrackId = 0;
/// Model approval (and with it ZK verifying keys), suspension, resumption and removal.
pub const MODEL_CURATION: TrackId = 1;
/// Bonds, slash fractions, committee size and periods; chilling nodes.
pub const NODE_PARAMETERS: TrackId = 2;
/// Protocol fees and fee shares.
pub const FEES: TrackId = 3;
/// Treasury spends up to [`super::TREASURER_SPEND_LIMIT`].
pub const TREASURER: TrackId = 4;
/// Cancelling (deposits refunded) or killing (deposits slashed) other referenda.
pub const REFERENDUM_CANCELLER: TrackId = 5;

/// How long each stage of a referendum on a track lasts, in blocks.
struct Periods {
	prepare: BlockNumber,
	decision: BlockNumber,
	confirm: BlockNumber,
	min_enactment: BlockNumber,
}

/// A curve falling linearly over the whole decision period from `ceil` to `floor` (percent).
const fn linear(floor: u32, ceil: u32) -> Curve {
	Curve::LinearDecreasing {
		length: Perbill::one(),
		floor: Perbill::from_percent(floor),
		ceil: Perbill::from_percent(ceil),
	}
}

/// `name` padded with zeros to the track name's fixed length. Called only in constant
/// evaluation, where an index out of range would fail the build rather than a block.
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
const fn name(name: &str) -> [u8; 25] {
	let bytes = name.as_bytes();
	let mut padded = [0u8; 25];
	let mut i = 0;
	while i < bytes.len() && i < padded.len() {
		padded[i] = bytes[i];
		i += 1;
	}
	padded
}

#[allow(clippy::too_many_arguments)]
const fn track(
	id: TrackId,
	track_name: &str,
	max_deciding: u32,
	decision_deposit: Balance,
	periods: Periods,
	min_approval: Curve,
	min_support: Curve,
) -> Track<TrackId, Balance, BlockNumber> {
	Track {
		id,
		info: TrackInfo {
			name: name(track_name),
			max_deciding,
			decision_deposit,
			prepare_period: periods.prepare,
			decision_period: periods.decision,
			confirm_period: periods.confirm,
			min_enactment_period: periods.min_enactment,
			min_approval,
			min_support,
		},
	}
}

/// `production` on a production chain, `dev` on dev chains.
const fn periods(development: bool, production: Periods, dev: Periods) -> Periods {
	if development {
		dev
	} else {
		production
	}
}

/// Development periods: decided within a minute, with a few blocks to spare for votes.
const DEV: Periods = Periods { prepare: 1, decision: 50, confirm: 2, min_enactment: 1 };

/// A track that changes what nodes risk or dApps pay: node parameters and fees decide alike.
const fn parameter_track(
	id: TrackId,
	track_name: &str,
	development: bool,
) -> Track<TrackId, Balance, BlockNumber> {
	track(
		id,
		track_name,
		10,
		10_000 * OPG,
		periods(
			development,
			Periods { prepare: HOURS, decision: 14 * DAYS, confirm: DAYS, min_enactment: DAYS },
			DEV,
		),
		linear(50, 100),
		linear(2, 20),
	)
}

/// The tracks, with production or development periods: the one table of them.
const fn tracks(development: bool) -> [Track<TrackId, Balance, BlockNumber>; 6] {
	// Root waits a little longer even on dev chains, as its enactment does in production.
	const DEV_DELAYED: Periods = Periods { prepare: 1, decision: 50, confirm: 3, min_enactment: 2 };
	[
		// Root: a runtime upgrade changes everything, so it waits longest, needs the most
		// support and enacts a day later (time for validators to see what comes). Ten at once,
		// so one junk referendum cannot hold the track for its whole decision period.
		track(
			ROOT,
			"root",
			10,
			100_000 * OPG,
			periods(
				development,
				Periods {
					prepare: 2 * HOURS,
					decision: 28 * DAYS,
					confirm: DAYS,
					min_enactment: DAYS,
				},
				DEV_DELAYED,
			),
			linear(50, 100),
			linear(5, 50),
		),
		// Model curation: frequent and reversible (a model can be suspended again), so
		// quick and cheap; many at once.
		track(
			MODEL_CURATION,
			"model_curation",
			20,
			1_000 * OPG,
			periods(
				development,
				Periods {
					prepare: 30 * MINUTES,
					decision: 7 * DAYS,
					confirm: 3 * HOURS,
					min_enactment: 10 * MINUTES,
				},
				DEV,
			),
			linear(50, 100),
			linear(1, 10),
		),
		// Node parameters: what every node must bond and risks; nodes get a day between the
		// decision and the change to bond more or leave.
		parameter_track(NODE_PARAMETERS, "node_parameters", development),
		// Fees: what every dApp pays and how it is split; as careful as node parameters.
		parameter_track(FEES, "fees", development),
		// Treasurer: spends up to the track's limit; larger ones go through root.
		track(
			TREASURER,
			"treasurer",
			10,
			5_000 * OPG,
			periods(
				development,
				Periods {
					prepare: 2 * HOURS,
					decision: 14 * DAYS,
					confirm: DAYS,
					min_enactment: DAYS,
				},
				DEV,
			),
			linear(50, 100),
			linear(1, 10),
		),
		// Referendum canceller: removes a referendum that should not run (spam filling a
		// track, or one passed by mistake before its enactment): quick, many at once, with a
		// deposit that makes abusing it as costly as the spam it removes.
		track(
			REFERENDUM_CANCELLER,
			"referendum_canceller",
			100,
			10_000 * OPG,
			periods(
				development,
				Periods {
					prepare: HOURS,
					decision: 7 * DAYS,
					confirm: 3 * HOURS,
					min_enactment: 10 * MINUTES,
				},
				DEV,
			),
			linear(50, 100),
			linear(1, 10),
		),
	]
}

static PRODUCTION_TRACKS: [Track<TrackId, Balance, BlockNumber>; 6] = tracks(false);
static DEVELOPMENT_TRACKS: [Track<TrackId, Balance, BlockNumber>; 6] = tracks(true);

/// The tracks of this chain, as `pallet_referenda` reads them.
pub struct TracksInfo;

impl pallet_referenda::TracksInfo<Balance, BlockNumber> for TracksInfo {
	type Id = TrackId;
	type RuntimeOrigin = OriginCaller;

	fn tracks() -> impl Iterator<Item = Cow<'static, Track<Self::Id, Balance, BlockNumber>>> {
		let tracks = if origins::Pallet::<Runtime>::is_development() {
			&DEVELOPMENT_TRACKS
		} else {
			&PRODUCTION_TRACKS
		};
		tracks.iter().map(Cow::Borrowed)
	}

	fn track_for(origin: &Self::RuntimeOrigin) -> Result<Self::Id, ()> {
		match origin {
			OriginCaller::system(frame_system::RawOrigin::Root) => Ok(ROOT),
			OriginCaller::Origins(Origin::ModelCurator) => Ok(MODEL_CURATION),
			OriginCaller::Origins(Origin::NodeAdmin) => Ok(NODE_PARAMETERS),
			OriginCaller::Origins(Origin::FeeAdmin) => Ok(FEES),
			OriginCaller::Origins(Origin::Treasurer) => Ok(TREASURER),
			OriginCaller::Origins(Origin::ReferendumCanceller) => Ok(REFERENDUM_CANCELLER),
			// Signed, none, authorized: no referendum dispatches as a user.
			_ => Err(()),
		}
	}
}
