//! The inference pallet's records: a job, its parameters, the fee shares, and the two queues.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use opg_primitives::{
	attestation::OutputHash,
	inference::{FeeQuote, JobStatus, ModelRef, Tensors, Tolerance},
	model::{InferenceMode, ModelId, VersionNumber},
};
use scale_info::TypeInfo;
use sp_core::H256;
use sp_runtime::{traits::Zero, Perbill};

/// A job from request to pruning.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct Job<AccountId, Balance, BlockNumber> {
	/// Who asked, and whose fee is held.
	pub requester: AccountId,
	/// The model.
	pub model: ModelId,
	/// The version that runs it, fixed at request time.
	pub version: VersionNumber,
	/// The model's owner at request time, paid the owner's share.
	pub owner: AccountId,
	/// Where the version's bytes are, for the engine.
	pub model_ref: ModelRef,
	/// Blake2-256 of the encoded input, which every answer's signature covers.
	pub input_hash: H256,
	/// How the result is verified.
	pub mode: InferenceMode,
	/// What was quoted and is held.
	pub fee: FeeQuote<Balance>,
	/// How far verifiers' outputs may differ from the node's.
	pub tolerance: Tolerance,
	/// Where it stands.
	pub status: JobStatus<AccountId, BlockNumber>,
	/// The hash of the node's output, once it answered.
	pub output: Option<OutputHash>,
	/// The block it was requested in.
	pub requested_at: BlockNumber,
}

/// How a final job's fee is split. Each share is of the whole fee (price and protocol fee);
/// what the three shares leave goes to the treasury, and so does the verifiers' share when no
/// verifier re-executed (an unchallenged vanilla result).
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	serde::Serialize,
	serde::Deserialize,
)]
pub struct FeeShares {
	/// The model owner's share.
	pub owner: Perbill,
	/// The inference node's share.
	pub node: Perbill,
	/// The share split evenly among the verifiers who agreed with the accepted result.
	pub verifiers: Perbill,
}

impl FeeShares {
	/// Whether the shares add up to at most the whole fee.
	pub fn is_valid(&self) -> bool {
		[self.owner, self.node, self.verifiers]
			.iter()
			.map(|share| u64::from(share.deconstruct()))
			.sum::<u64>()
			<= u64::from(Perbill::one().deconstruct())
	}
}

/// What governance sets: protocol fees per mode, the fee split, deadlines, slashing, retention.
/// Changed one at a time with [`crate::Pallet::set_parameter`], within the runtime's bounds.
#[derive(
	Clone,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	serde::Serialize,
	serde::Deserialize,
)]
pub struct Parameters<Balance, BlockNumber> {
	/// The protocol's fee on a vanilla request.
	pub vanilla_fee: Balance,
	/// The protocol's fee on an attested request (verifiers re-execute it).
	pub attested_fee: Balance,
	/// The protocol's fee on a ZK request (the node proves, the runtime verifies).
	pub zk_fee: Balance,
	/// How a final job's fee is split.
	pub shares: FeeShares,
	/// Blocks an assigned node has to answer.
	pub response_period: BlockNumber,
	/// What a node that does not answer in time loses of its bond.
	pub timeout_slash: Perbill,
	/// What a node loses of its bond for each ZK proof that does not verify.
	pub invalid_proof_slash: Perbill,
	/// Blocks a finished job (its input, output and status) stays in state before it is pruned.
	pub retention: BlockNumber,
}

/// One parameter with its new value: what a referendum changes, so that referenda on
/// different parameters never undo each other. Fees and shares are changed on the fees track
/// ([`crate::Config::FeeOrigin`]), the rest on the node-parameters track
/// ([`crate::Config::GovernanceOrigin`]).
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum ParameterChange<Balance, BlockNumber> {
	/// [`Parameters::vanilla_fee`].
	#[codec(index = 0)]
	VanillaFee(Balance),
	/// [`Parameters::attested_fee`].
	#[codec(index = 1)]
	AttestedFee(Balance),
	/// [`Parameters::zk_fee`].
	#[codec(index = 2)]
	ZkFee(Balance),
	/// [`Parameters::shares`]: the three shares together, since their sum is bounded.
	#[codec(index = 3)]
	Shares(FeeShares),
	/// [`Parameters::response_period`].
	#[codec(index = 4)]
	ResponsePeriod(BlockNumber),
	/// [`Parameters::timeout_slash`].
	#[codec(index = 5)]
	TimeoutSlash(Perbill),
	/// [`Parameters::invalid_proof_slash`].
	#[codec(index = 6)]
	InvalidProofSlash(Perbill),
	/// [`Parameters::retention`].
	#[codec(index = 7)]
	Retention(BlockNumber),
}

impl<Balance, BlockNumber> ParameterChange<Balance, BlockNumber> {
	/// Whether this changes what users pay or how it is split (the fees track's business).
	pub fn is_fee(&self) -> bool {
		matches!(
			self,
			Self::VanillaFee(_) | Self::AttestedFee(_) | Self::ZkFee(_) | Self::Shares(_)
		)
	}
}

impl<Balance, BlockNumber> Parameters<Balance, BlockNumber> {
	/// Sets the parameter that `change` names.
	pub fn apply(&mut self, change: ParameterChange<Balance, BlockNumber>) {
		use ParameterChange::*;
		match change {
			VanillaFee(value) => self.vanilla_fee = value,
			AttestedFee(value) => self.attested_fee = value,
			ZkFee(value) => self.zk_fee = value,
			Shares(value) => self.shares = value,
			ResponsePeriod(value) => self.response_period = value,
			TimeoutSlash(value) => self.timeout_slash = value,
			InvalidProofSlash(value) => self.invalid_proof_slash = value,
			Retention(value) => self.retention = value,
		}
	}
}

impl<Balance: PartialOrd, BlockNumber: PartialOrd> Parameters<Balance, BlockNumber> {
	/// Whether every parameter (each share on its own) lies between its value in `minimum` and
	/// in `maximum`, inclusive: the bounds no referendum can leave.
	pub fn within(&self, minimum: &Self, maximum: &Self) -> bool {
		macro_rules! all_within {
			($($($field:ident).+),* $(,)?) => {
				true $(&& minimum.$($field).+ <= self.$($field).+ && self.$($field).+ <= maximum.$($field).+)*
			};
		}
		all_within!(
			vanilla_fee,
			attested_fee,
			zk_fee,
			shares.owner,
			shares.node,
			shares.verifiers,
			response_period,
			timeout_slash,
			invalid_proof_slash,
			retention,
		)
	}
}

/// Why parameters were refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ParametersError {
	/// The shares add up to more than the whole fee.
	Shares,
	/// A period is zero.
	Period,
}

impl<Balance, BlockNumber: Zero> Parameters<Balance, BlockNumber> {
	/// Checks the bounds no parameter set may leave.
	pub fn check(&self) -> Result<(), ParametersError> {
		if !self.shares.is_valid() {
			return Err(ParametersError::Shares);
		}
		if self.response_period.is_zero() || self.retention.is_zero() {
			return Err(ParametersError::Period);
		}
		Ok(())
	}
}

/// The two queues of jobs waiting for a block: answers due (timeouts) and finished jobs due for
/// pruning. Both are first-in first-out, so each entry is written once and read once and neither
/// ever refuses a job; an entry that no longer applies (the node answered) is skipped when it
/// comes up.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum QueueKind {
	/// Jobs whose node must answer by the entry's block.
	Timeouts,
	/// Finished jobs to remove at the entry's block.
	Pruning,
}

/// A job as the runtime API shows it: its record with its input and output decoded.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct JobView<AccountId, Balance, BlockNumber> {
	/// The job's record.
	pub job: Job<AccountId, Balance, BlockNumber>,
	/// Its input.
	pub input: Tensors,
	/// The node's output, once it answered.
	pub output: Option<Tensors>,
}
