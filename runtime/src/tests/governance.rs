//! Governance played through real blocks and signed transactions: preimages, referenda on each
//! track, conviction votes, confirmation, enactment by the scheduler, and the treasury. The chain
//! has no sudo key: everything root does here, a referendum does.
//!
//! With the `try-runtime` feature (the README's test command runs these tests with it), every
//! test ends by checking every pallet's `try_state` invariants.

use super::*;
use crate::configs::governance::{
	origins::{Origin as Custom, Timing},
	tracks,
};
use frame_support::traits::{fungible::InspectHold, Bounded, Get, LockIdentifier};
use pallet_conviction_voting::{AccountVote, Conviction, Vote};
use pallet_referenda::ReferendumInfo;
use sp_runtime::{
	traits::{Dispatchable, Hash as _},
	DispatchError, DispatchResult,
};

const ENDOWMENT: Balance = 1_000_000 * OPG;

/// The accounts that vote and propose: Alice to Ferdie, a million OPG each.
fn holders() -> Vec<AccountId> {
	use Sr25519Keyring::*;
	[Alice, Bob, Charlie, Dave, Eve, Ferdie].iter().map(|k| k.to_account_id()).collect()
}

/// A chain like a production one with development periods: no sudo key, model approval
/// required, the dev parameters.
fn governed_ext() -> sp_io::TestExternalities {
	ext_of(governed_config())
}

/// The genesis of [`governed_ext`], for variants of it.
pub(super) fn governed_config() -> RuntimeGenesisConfig {
	RuntimeGenesisConfig {
		balances: BalancesConfig {
			balances: holders().into_iter().map(|who| (who, ENDOWMENT)).collect(),
			..Default::default()
		},
		babe: super::consensus::babe_config(&[Sr25519Keyring::Alice]),
		model_registry: ModelRegistryConfig { approval_required: true, ..Default::default() },
		attestations: AttestationsConfig {
			parameters: Some(configs::attestations::dev_parameters()),
		},
		nodes: NodesConfig {
			parameters: Some(configs::nodes::dev_parameters()),
			..Default::default()
		},
		inference: InferenceConfig { parameters: Some(configs::inference::dev_parameters()) },
		origins: OriginsConfig { timing: Timing::Development, ..Default::default() },
		..Default::default()
	}
}

/// The chain of `config` at block 1, checked to have no sudo key.
pub(super) fn ext_of(config: RuntimeGenesisConfig) -> sp_io::TestExternalities {
	let mut ext = sp_io::TestExternalities::new(config.build_storage().expect("genesis builds"));
	ext.execute_with(|| {
		assert_eq!(pallet_sudo::Key::<Runtime>::get(), None, "no sudo key");
		produce_block();
	});
	ext
}

/// The slot before block 1: the chain's clock starts at the DCAP samples' time, so that TEE tests
/// verify the samples with the timestamp pallet's time.
const FIRST_SLOT: u64 = opg_primitives::tee::samples::SAMPLE_TIME * 1_000 / SLOT_DURATION;

/// Builds, authors (as Alice) and finalizes the next block through `Executive`: BABE's
/// pre-digest with Alice's VRF signature, the timestamp inherent, every pallet's hooks.
pub(super) fn produce_block() {
	open_block();
	close_block();
}

/// Starts the next block, authored by Alice, through `Executive` (BABE's pre-digest, the
/// timestamp inherent, every pallet's `on_initialize`), for transactions to go in.
pub(super) fn open_block() {
	open_block_as(Sr25519Keyring::Alice);
}

/// Starts the next block, in the next slot, authored by `author` (a BABE authority of the
/// chain), as [`open_block`] does: two chains that differ only in who authored a block differ
/// only in that block's VRF output, the randomness of its draws.
pub(super) fn open_block_as(author: Sr25519Keyring) {
	let number = System::block_number() + 1;
	let slot = FIRST_SLOT + u64::from(number);
	super::consensus::initialize_block_as(number, System::parent_hash(), slot, Some(author));
	let now = RuntimeCall::Timestamp(pallet_timestamp::Call::set { now: slot * SLOT_DURATION });
	assert_eq!(Executive::apply_extrinsic(UncheckedExtrinsic::new_bare(now)), Ok(Ok(())));
}

/// Finalizes the block [`open_block`] started and checks every pallet's invariants.
pub(super) fn close_block() {
	Executive::finalize_block();
	check_try_state();
}

/// Produces blocks until the chain is at block `number`.
pub(super) fn run_to_block(number: BlockNumber) {
	while System::block_number() < number {
		produce_block();
	}
}

/// Every pallet's invariants hold (with the `try-runtime` feature; without it, nothing to check).
pub(super) fn check_try_state() {
	#[cfg(feature = "try-runtime")]
	{
		use frame_support::traits::{TryState, TryStateSelect};
		AllPalletsWithSystem::try_state(System::block_number(), TryStateSelect::All)
			.expect("every pallet's try_state holds");
		crate::invariants::check().expect("the cross-pallet invariants hold");
	}
}

/// Sends `call` as a signed transaction from `who`, as a wallet would; returns its dispatch
/// result (the transaction itself must be valid and pay its fee).
pub(super) fn send(who: Sr25519Keyring, call: RuntimeCall) -> DispatchResult {
	let account = who.to_account_id();
	let extension = tx_extension(System::account_nonce(&account), Era::Immortal, 0);
	let payload = SignedPayload::new(call.clone(), extension.clone()).expect("payload builds");
	let signature = payload.using_encoded(|bytes| who.sign(bytes));
	let xt = UncheckedExtrinsic::new_signed(call, account.into(), signature.into(), extension);
	Executive::apply_extrinsic(xt).expect("the transaction is valid")
}

/// Notes `call` as a preimage (from Alice) and submits it as a referendum to run as `origin`;
/// returns the referendum's index.
pub(super) fn propose(origin: OriginCaller, call: RuntimeCall) -> u32 {
	let encoded = call.encode();
	let hash = <Runtime as frame_system::Config>::Hashing::hash(&encoded);
	let len = encoded.len() as u32;
	assert_eq!(
		send(
			Sr25519Keyring::Alice,
			RuntimeCall::Preimage(pallet_preimage::Call::note_preimage { bytes: encoded })
		),
		Ok(())
	);
	let index = pallet_referenda::ReferendumCount::<Runtime>::get();
	assert_eq!(
		send(
			Sr25519Keyring::Alice,
			RuntimeCall::Referenda(pallet_referenda::Call::submit {
				proposal_origin: Box::new(origin),
				proposal: Bounded::Lookup { hash, len },
				enactment_moment: frame_support::traits::schedule::DispatchTime::After(0),
			})
		),
		Ok(())
	);
	index
}

fn place_deposit(who: Sr25519Keyring, index: u32) -> DispatchResult {
	send(who, RuntimeCall::Referenda(pallet_referenda::Call::place_decision_deposit { index }))
}

fn vote(who: Sr25519Keyring, index: u32, aye: bool, balance: Balance, conviction: Conviction) {
	assert_eq!(try_vote(who, index, aye, balance, conviction), Ok(()));
}

fn try_vote(
	who: Sr25519Keyring,
	index: u32,
	aye: bool,
	balance: Balance,
	conviction: Conviction,
) -> DispatchResult {
	let vote = AccountVote::Standard { vote: Vote { aye, conviction }, balance };
	send(
		who,
		RuntimeCall::ConvictionVoting(pallet_conviction_voting::Call::vote {
			poll_index: index,
			vote,
		}),
	)
}

/// Passes referendum `index`: Bob places the decision deposit, Alice votes 500,000 OPG aye at 1x
/// (8% support, 100% approval), blocks run until it is decided and enacted; returns the
/// enacted call's result.
pub(super) fn pass(index: u32) -> DispatchResult {
	assert_eq!(place_deposit(Sr25519Keyring::Bob, index), Ok(()));
	vote(Sr25519Keyring::Alice, index, true, 500_000 * OPG, Conviction::Locked1x);
	assert!(decide(index), "referendum {index} approved");
	enactment()
}

/// Produces blocks until referendum `index` is no longer ongoing (at most 100); returns whether
/// it was approved.
pub(super) fn decide(index: u32) -> bool {
	for _ in 0..100 {
		match pallet_referenda::ReferendumInfoFor::<Runtime>::get(index).expect("exists") {
			ReferendumInfo::Ongoing(_) => produce_block(),
			ReferendumInfo::Approved(..) => return true,
			_ => return false,
		}
	}
	panic!("referendum {index} still undecided after 100 blocks");
}

/// Produces blocks until the scheduler has enacted an approved proposal (at most 20); returns
/// the proposal's dispatch result. (Enactments are named tasks; the referenda's own alarms are
/// anonymous.)
pub(super) fn enactment() -> DispatchResult {
	for _ in 0..20 {
		let dispatched = System::events().into_iter().find_map(|record| match record.event {
			RuntimeEvent::Scheduler(pallet_scheduler::Event::Dispatched {
				id: Some(_),
				result,
				..
			}) => Some(result),
			_ => None,
		});
		if let Some(result) = dispatched {
			return result;
		}
		produce_block();
	}
	panic!("nothing enacted in 20 blocks");
}

/// Registers a one-chunk model from Ferdie and uploads it: complete, waiting for approval.
pub(super) fn uploaded_model() -> opg_primitives::model::ModelId {
	uploaded_model_with(|_| {})
}

/// [`uploaded_model`], its version's spec changed by `adjust` (its modes, its tolerance).
pub(super) fn uploaded_model_with(
	adjust: impl FnOnce(&mut pallet_model_registry::VersionSpecOf<Runtime>),
) -> opg_primitives::model::ModelId {
	let bytes = b"an onnx model, as far as the registry can tell".to_vec();
	let mut version = one_chunk_version(&bytes);
	adjust(&mut version);
	let model_id = pallet_model_registry::NextModelId::<Runtime>::get();
	let register = pallet_model_registry::Call::register_model {
		name: b"curated".to_vec().try_into().unwrap(),
		description: Default::default(),
		price: OPG,
		version,
	};
	assert_eq!(send(Sr25519Keyring::Ferdie, RuntimeCall::ModelRegistry(register)), Ok(()));
	let upload = pallet_model_registry::Call::upload_chunk {
		model_id,
		version: 1,
		index: 0,
		data: bytes.try_into().unwrap(),
	};
	assert_eq!(send(Sr25519Keyring::Ferdie, RuntimeCall::ModelRegistry(upload)), Ok(()));
	let model = ModelRegistry::model(model_id).unwrap();
	assert_eq!(model.active_version, None, "waits for approval");
	model_id
}

pub(super) fn approve(model_id: opg_primitives::model::ModelId) -> RuntimeCall {
	RuntimeCall::ModelRegistry(pallet_model_registry::Call::approve_version {
		model_id,
		version: 1,
	})
}

/// The conviction-voting lock on `who`.
fn vote_lock(who: &AccountId) -> Balance {
	const LOCK: LockIdentifier = *b"pyconvot";
	pallet_balances::Locks::<Runtime>::get(who)
		.iter()
		.find(|lock| lock.id == LOCK)
		.map_or(0, |lock| lock.amount)
}

#[test]
fn a_referendum_on_the_curation_track_approves_a_model() {
	governed_ext().execute_with(|| {
		let model_id = uploaded_model();
		let alice = Sr25519Keyring::Alice.to_account_id();

		let index = propose(OriginCaller::Origins(Custom::ModelCurator), approve(model_id));
		let status = match pallet_referenda::ReferendumInfoFor::<Runtime>::get(index) {
			Some(ReferendumInfo::Ongoing(status)) => status,
			other => panic!("not ongoing: {other:?}"),
		};
		assert_eq!(status.track, tracks::MODEL_CURATION);
		// The submission deposit is held; the preimage's too.
		assert!(
			Balances::balance_on_hold(
				&RuntimeHoldReason::Preimage(pallet_preimage::HoldReason::Preimage),
				&alice
			) > 0
		);

		// Bob places the decision deposit: the track's, reserved from him.
		let bob = Sr25519Keyring::Bob.to_account_id();
		let reserved_before = Balances::reserved_balance(&bob);
		assert_eq!(place_deposit(Sr25519Keyring::Bob, index), Ok(()));
		assert_eq!(Balances::reserved_balance(&bob) - reserved_before, 1_000 * OPG);

		// Votes with conviction: Alice 300,000 OPG at 3x, Charlie 100,000 against at 1x, Dave
		// 50,000 at 6x. Ayes: 900,000 + 300,000; nays 100,000: 92% approval; support
		// 350,000 of 6 million: 5.8%, above the curation track's 1-10% curve.
		vote(Sr25519Keyring::Alice, index, true, 300_000 * OPG, Conviction::Locked3x);
		vote(Sr25519Keyring::Charlie, index, false, 100_000 * OPG, Conviction::Locked1x);
		vote(Sr25519Keyring::Dave, index, true, 50_000 * OPG, Conviction::Locked6x);
		let tally = match pallet_referenda::ReferendumInfoFor::<Runtime>::get(index) {
			Some(ReferendumInfo::Ongoing(status)) => status.tally,
			other => panic!("not ongoing: {other:?}"),
		};
		assert_eq!(tally.ayes, 300_000 * OPG * 3 + 50_000 * OPG * 6);
		assert_eq!(tally.nays, 100_000 * OPG);
		assert_eq!(tally.support, 350_000 * OPG);
		assert_eq!(vote_lock(&alice), 300_000 * OPG);

		assert!(decide(index), "approved");
		System::assert_has_event(RuntimeEvent::Referenda(pallet_referenda::Event::Confirmed {
			index,
			tally,
		}));
		assert_eq!(enactment(), Ok(()));
		System::assert_has_event(RuntimeEvent::ModelRegistry(
			pallet_model_registry::Event::VersionApproved { model_id, version: 1 },
		));
		let model = ModelRegistry::model(model_id).unwrap();
		assert_eq!(model.active_version, Some(1), "the model is active");

		// The deposits come back on request once it is decided; the vote stays locked.
		assert_eq!(
			send(
				Sr25519Keyring::Bob,
				RuntimeCall::Referenda(pallet_referenda::Call::refund_decision_deposit { index })
			),
			Ok(())
		);
		assert_eq!(Balances::reserved_balance(&bob), reserved_before);
		assert_eq!(vote_lock(&alice), 300_000 * OPG);
		produce_block();
	});
}

#[test]
fn a_rejected_referendum_changes_nothing() {
	governed_ext().execute_with(|| {
		let model_id = uploaded_model();
		let index = propose(OriginCaller::Origins(Custom::ModelCurator), approve(model_id));
		assert_eq!(place_deposit(Sr25519Keyring::Bob, index), Ok(()));
		vote(Sr25519Keyring::Alice, index, true, 10_000 * OPG, Conviction::None);
		vote(Sr25519Keyring::Bob, index, false, 500_000 * OPG, Conviction::Locked2x);
		let parameters = pallet_inference::ActiveParameters::<Runtime>::get();
		assert!(!decide(index), "rejected");
		assert!(matches!(
			pallet_referenda::ReferendumInfoFor::<Runtime>::get(index),
			Some(ReferendumInfo::Rejected(..))
		));
		run_to_block(System::block_number() + 5);
		assert_eq!(ModelRegistry::model(model_id).unwrap().active_version, None);
		assert!(!ModelRegistry::version(model_id, 1).unwrap().approved);
		assert_eq!(pallet_inference::ActiveParameters::<Runtime>::get(), parameters);
	});
}

#[test]
fn a_referendum_on_the_node_parameters_track_raises_the_inference_bond() {
	governed_ext().execute_with(|| {
		let bond = 2_000 * OPG;
		assert_ne!(pallet_nodes::ActiveParameters::<Runtime>::get().min_inference_bond, bond);
		let change = pallet_nodes::ParameterChange::MinInferenceBond(bond);
		let call = RuntimeCall::Nodes(pallet_nodes::Call::set_parameter { change });
		// Any other origin, a user's included, is refused the call.
		assert_eq!(send(Sr25519Keyring::Alice, call.clone()), Err(DispatchError::BadOrigin));

		let index = propose(OriginCaller::Origins(Custom::NodeAdmin), call);
		assert_eq!(pass(index), Ok(()));
		assert_eq!(pallet_nodes::ActiveParameters::<Runtime>::get().min_inference_bond, bond);
		produce_block();
	});
}

#[test]
fn a_referendum_on_the_fees_track_changes_the_fee_shares() {
	governed_ext().execute_with(|| {
		let shares = pallet_inference::FeeShares {
			owner: sp_runtime::Perbill::from_percent(60),
			node: sp_runtime::Perbill::from_percent(20),
			verifiers: sp_runtime::Perbill::from_percent(10),
		};
		let change = pallet_inference::ParameterChange::Shares(shares);
		let call = RuntimeCall::Inference(pallet_inference::Call::set_parameter { change });
		let index = propose(OriginCaller::Origins(Custom::FeeAdmin), call);
		assert_eq!(pass(index), Ok(()));
		assert_eq!(pallet_inference::ActiveParameters::<Runtime>::get().shares, shares);
		produce_block();
	});
}

#[test]
fn each_track_governs_only_its_own_calls_and_parameters_keep_their_bounds() {
	governed_ext().execute_with(|| {
		let model_id = uploaded_model();
		// A model approval proposed on the node-parameters track passes the vote but its
		// dispatch is refused: the registry takes only the curation track's origin.
		let index = propose(OriginCaller::Origins(Custom::NodeAdmin), approve(model_id));
		assert_eq!(pass(index), Err(DispatchError::BadOrigin));
		assert!(!ModelRegistry::version(model_id, 1).unwrap().approved);

		// A fee change on the node-parameters track: refused likewise.
		let fee = pallet_inference::ParameterChange::VanillaFee(OPG);
		let call = RuntimeCall::Inference(pallet_inference::Call::set_parameter { change: fee });
		let origin = RuntimeOrigin::from(Custom::NodeAdmin);
		assert_eq!(
			call.clone().dispatch(origin).map_err(|e| e.error),
			Err(DispatchError::BadOrigin)
		);
		assert!(call.dispatch(RuntimeOrigin::from(Custom::FeeAdmin)).is_ok());

		// A parameter beyond its bound is refused even to its own track (and to root).
		let above = configs::inference::maximum_parameters().vanilla_fee + 1;
		let fee = pallet_inference::ParameterChange::VanillaFee(above);
		let call = RuntimeCall::Inference(pallet_inference::Call::set_parameter { change: fee });
		for origin in [RuntimeOrigin::from(Custom::FeeAdmin), RuntimeOrigin::root()] {
			assert_eq!(
				call.clone().dispatch(origin).map_err(|e| e.error),
				Err(pallet_inference::Error::<Runtime>::BadParameters.into())
			);
		}
		// A free bad proof: refused (each of a node's three tries a job must cost it).
		let free =
			pallet_inference::ParameterChange::InvalidProofSlash(sp_runtime::Perbill::zero());
		let call = RuntimeCall::Inference(pallet_inference::Call::set_parameter { change: free });
		assert_eq!(
			call.dispatch(RuntimeOrigin::root()).map_err(|e| e.error),
			Err(pallet_inference::Error::<Runtime>::BadParameters.into())
		);
		let bond = configs::nodes::maximum_parameters().min_verifier_bond + 1;
		let change = pallet_nodes::ParameterChange::MinVerifierBond(bond);
		let call = RuntimeCall::Nodes(pallet_nodes::Call::set_parameter { change });
		assert_eq!(
			call.dispatch(RuntimeOrigin::from(Custom::NodeAdmin)).map_err(|e| e.error),
			Err(pallet_nodes::Error::<Runtime>::ParametersOutOfBounds.into())
		);
		let window = configs::attestations::maximum_parameters().challenge_window + 1;
		let change = pallet_attestations::ParameterChange::ChallengeWindow(window);
		let call = RuntimeCall::Attestations(pallet_attestations::Call::set_parameter { change });
		assert_eq!(
			call.dispatch(RuntimeOrigin::from(Custom::NodeAdmin)).map_err(|e| e.error),
			Err(pallet_attestations::Error::<Runtime>::ParametersOutOfBounds.into())
		);
	});
}

#[test]
fn bad_governance_input_gets_a_documented_error() {
	governed_ext().execute_with(|| {
		let model_id = uploaded_model();
		// A referendum for an origin no track decides (a user's): `NoTrack`.
		let encoded = approve(model_id).encode();
		let hash = <Runtime as frame_system::Config>::Hashing::hash(&encoded);
		let submit = pallet_referenda::Call::submit {
			proposal_origin: Box::new(OriginCaller::system(frame_system::RawOrigin::Signed(
				Sr25519Keyring::Alice.to_account_id(),
			))),
			proposal: Bounded::Lookup { hash, len: encoded.len() as u32 },
			enactment_moment: frame_support::traits::schedule::DispatchTime::After(0),
		};
		assert_eq!(
			send(Sr25519Keyring::Alice, RuntimeCall::Referenda(submit)),
			Err(pallet_referenda::Error::<Runtime>::NoTrack.into())
		);

		let index = propose(OriginCaller::Origins(Custom::ModelCurator), approve(model_id));
		// A vote of more than one holds: `InsufficientFunds`.
		assert_eq!(
			try_vote(Sr25519Keyring::Eve, index, true, ENDOWMENT + 1, Conviction::None),
			Err(pallet_conviction_voting::Error::<Runtime>::InsufficientFunds.into())
		);
		// A decision deposit from an account that cannot cover the track's: the balance
		// error, and no deposit placed. (The amount is the track's; nobody chooses it.)
		let poor = Sr25519Keyring::One;
		assert_eq!(
			send(
				Sr25519Keyring::Eve,
				RuntimeCall::Balances(BalancesCall::transfer_allow_death {
					dest: poor.to_account_id().into(),
					value: 999 * OPG,
				})
			),
			Ok(())
		);
		assert!(matches!(
			place_deposit(poor, index),
			Err(DispatchError::Module(_)) | Err(DispatchError::Token(_))
		));
		match pallet_referenda::ReferendumInfoFor::<Runtime>::get(index) {
			Some(ReferendumInfo::Ongoing(status)) => assert!(status.decision_deposit.is_none()),
			other => panic!("not ongoing: {other:?}"),
		}
		// The same deposit twice: `HasDeposit`.
		assert_eq!(place_deposit(Sr25519Keyring::Bob, index), Ok(()));
		assert_eq!(
			place_deposit(Sr25519Keyring::Charlie, index),
			Err(pallet_referenda::Error::<Runtime>::HasDeposit.into())
		);
	});
}

#[test]
fn the_treasury_is_where_fees_and_slashes_go_and_it_pays_by_referendum() {
	governed_ext().execute_with(|| {
		// One account: what the pallets pay to is what the treasury spends from.
		assert_eq!(configs::monetary::TreasuryAccount::get(), Treasury::account_id());
		let treasury = Treasury::account_id();
		assert_eq!(send(Sr25519Keyring::Eve, transfer_to(&treasury, 50_000 * OPG)), Ok(()));

		// A spend above the treasurer track's limit is refused to it.
		let beneficiary = Sr25519Keyring::Two.to_account_id();
		let limit = configs::governance::TREASURER_SPEND_LIMIT;
		let spend = |amount| {
			RuntimeCall::Treasury(pallet_treasury::Call::spend_local {
				amount,
				beneficiary: beneficiary.clone().into(),
			})
		};
		assert_eq!(
			spend(limit + 1).dispatch(RuntimeOrigin::from(Custom::Treasurer)).map_err(|e| e.error),
			Err(pallet_treasury::Error::<Runtime>::InsufficientPermission.into())
		);

		// The treasurer track spends 20,000 OPG; the beneficiary claims it.
		let spend = RuntimeCall::Treasury(pallet_treasury::Call::spend {
			asset_kind: Box::new(()),
			amount: 20_000 * OPG,
			beneficiary: Box::new(beneficiary.clone()),
			valid_from: None,
		});
		let index = propose(OriginCaller::Origins(Custom::Treasurer), spend);
		assert_eq!(
			pallet_referenda::ReferendumInfoFor::<Runtime>::get(index).map(|info| match info {
				ReferendumInfo::Ongoing(status) => status.track,
				_ => u16::MAX,
			}),
			Some(tracks::TREASURER)
		);
		assert_eq!(pass(index), Ok(()));
		let payout = RuntimeCall::Treasury(pallet_treasury::Call::payout { index: 0 });
		assert_eq!(send(Sr25519Keyring::Charlie, payout), Ok(()));
		assert_eq!(Balances::balance(&beneficiary), 20_000 * OPG);

		// A spend that would close the treasury's account fails to pay: it stays to receive
		// fee shares below the existential deposit.
		let everything = Balances::balance(&treasury);
		let spend_all = RuntimeCall::Treasury(pallet_treasury::Call::spend {
			asset_kind: Box::new(()),
			amount: everything,
			beneficiary: Box::new(beneficiary.clone()),
			valid_from: None,
		});
		assert!(spend_all.dispatch(RuntimeOrigin::root()).is_ok());
		let payout = RuntimeCall::Treasury(pallet_treasury::Call::payout { index: 1 });
		assert_eq!(
			send(Sr25519Keyring::Charlie, payout),
			Err(pallet_treasury::Error::<Runtime>::PayoutError.into())
		);
		assert_eq!(Balances::balance(&treasury), everything);
	});
}

#[test]
fn the_canceller_track_cancels_a_referendum_and_refunds_its_deposits() {
	governed_ext().execute_with(|| {
		let model_id = uploaded_model();
		let index = propose(OriginCaller::Origins(Custom::ModelCurator), approve(model_id));
		assert_eq!(place_deposit(Sr25519Keyring::Bob, index), Ok(()));
		let cancel = RuntimeCall::Referenda(pallet_referenda::Call::cancel { index });
		// A user may not; the canceller track's origin may.
		assert_eq!(send(Sr25519Keyring::Alice, cancel.clone()), Err(DispatchError::BadOrigin));
		let canceller = propose(OriginCaller::Origins(Custom::ReferendumCanceller), cancel);
		assert_eq!(pass(canceller), Ok(()));
		let bob = Sr25519Keyring::Bob.to_account_id();
		let held = Balances::reserved_balance(&bob);
		assert!(matches!(
			pallet_referenda::ReferendumInfoFor::<Runtime>::get(index),
			Some(ReferendumInfo::Cancelled(..))
		));
		let refund = pallet_referenda::Call::refund_decision_deposit { index };
		assert_eq!(send(Sr25519Keyring::Bob, RuntimeCall::Referenda(refund)), Ok(()));
		assert_eq!(Balances::reserved_balance(&bob), held - 1_000 * OPG);
		assert!(!ModelRegistry::version(model_id, 1).unwrap().approved);
	});
}

fn transfer_to(who: &AccountId, value: Balance) -> RuntimeCall {
	RuntimeCall::Balances(BalancesCall::transfer_allow_death { dest: who.clone().into(), value })
}

#[test]
fn production_chains_run_the_tracks_on_production_periods() {
	use pallet_referenda::TracksInfo as _;
	let mut ext = new_ext();
	ext.execute_with(|| {
		let track = |id| tracks::TracksInfo::info(id).expect("a track");
		// No genesis timing: production.
		assert_eq!(track(tracks::ROOT).decision_period, 28 * DAYS);
		assert_eq!(track(tracks::ROOT).max_deciding, 10);
		assert_eq!(track(tracks::MODEL_CURATION).confirm_period, 3 * HOURS);
		assert_eq!(
			<Runtime as pallet_conviction_voting::Config>::VoteLockingPeriod::get(),
			7 * DAYS
		);
		assert!(tracks::TracksInfo::check_integrity().is_ok());
		let ids: Vec<_> = tracks::TracksInfo::track_ids().collect();
		assert_eq!(
			ids,
			vec![
				tracks::ROOT,
				tracks::MODEL_CURATION,
				tracks::NODE_PARAMETERS,
				tracks::FEES,
				tracks::TREASURER,
				tracks::REFERENDUM_CANCELLER
			]
		);
		let origin = |caller| tracks::TracksInfo::track_for(&caller);
		assert_eq!(origin(OriginCaller::system(frame_system::RawOrigin::Root)), Ok(tracks::ROOT));
		assert_eq!(origin(OriginCaller::Origins(Custom::FeeAdmin)), Ok(tracks::FEES));
		assert_eq!(
			origin(OriginCaller::Origins(Custom::ReferendumCanceller)),
			Ok(tracks::REFERENDUM_CANCELLER)
		);
		assert_eq!(origin(OriginCaller::system(frame_system::RawOrigin::None)), Err(()));
	});
}

#[test]
fn only_the_dev_preset_runs_referenda_on_development_periods() {
	let timing = |preset: &str| {
		preset_ext(preset).execute_with(configs::governance::origins::TrackTiming::<Runtime>::get)
	};
	assert_eq!(timing(sp_genesis_builder::DEV_RUNTIME_PRESET), Timing::Development);
	assert_eq!(timing(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET), Timing::Production);
}

/// The node registry's unbonding period outlasts the longest claim or round (a challenge window,
/// a committee draw a block later, the commit and reveal periods, the appeal window and an
/// appeal's round, and the slack of moved deadlines), whichever pallet's parameter a referendum
/// changes: each pallet checks the relation against the other's parameters in force.
#[test]
fn the_unbonding_period_outlasts_a_dispute_whichever_side_changes() {
	governed_ext().execute_with(|| {
		let set_nodes = |change| {
			RuntimeCall::Nodes(pallet_nodes::Call::set_parameter { change })
				.dispatch(RuntimeOrigin::root())
				.map(|_| ())
				.map_err(|e| e.error)
		};
		let set_rounds = |change| {
			RuntimeCall::Attestations(pallet_attestations::Call::set_parameter { change })
				.dispatch(RuntimeOrigin::root())
				.map(|_| ())
				.map_err(|e| e.error)
		};
		let longest = pallet_attestations::LongestWork::<Runtime>::get();
		let rounds = pallet_attestations::ActiveParameters::<Runtime>::get();
		// The dispute's round, the appeal window and an appeal's round, with the slack of six
		// deadlines moved by full blocks.
		let round = rounds.commit_period + rounds.reveal_period;
		assert_eq!(longest, rounds.challenge_window + round + rounds.appeal_window + round + 98);
		assert_eq!(
			set_nodes(pallet_nodes::ParameterChange::UnbondingPeriod(longest)),
			Err(pallet_nodes::Error::<Runtime>::ParametersOutOfBounds.into())
		);
		assert_eq!(set_nodes(pallet_nodes::ParameterChange::UnbondingPeriod(longest + 1)), Ok(()));
		// Now one more block of challenge window would reach the unbonding period.
		let window = rounds.challenge_window;
		assert_eq!(
			set_rounds(pallet_attestations::ParameterChange::ChallengeWindow(window + 1)),
			Err(pallet_attestations::Error::<Runtime>::ParametersOutOfBounds.into())
		);
		assert_eq!(
			set_rounds(pallet_attestations::ParameterChange::ChallengeWindow(window - 1)),
			Ok(())
		);
		produce_block();
	});
}
