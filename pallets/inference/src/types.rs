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
	/// The most bytes its answer may take encoded (its model's declared outputs at its batch,
	/// at most `MaxOutputBytes`): what the request paid for.
	pub output_bound: u32,
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

/// Shares compare share by share (a product order): one set is at most another when each of its
/// shares is, and two sets that differ both ways are unordered. So a set lies within governance's
/// bounds exactly when each share lies within its own.
impl PartialOrd for FeeShares {
	fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
		use core::cmp::Ordering;
		let pairs = [(self.owner, other.owner), (self.node, other.node)];
		let pairs = pairs.into_iter().chain([(self.verifiers, other.verifiers)]);
		pairs.map(|(mine, theirs)| mine.cmp(&theirs)).try_fold(Ordering::Equal, |all, one| {
			match (all, one) {
				(all, Ordering::Equal) => Some(all),
				(Ordering::Equal, one) => Some(one),
				(all, one) if all == one => Some(all),
				_ => None,
			}
		})
	}
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

opg_primitives::governed_parameters! {
	/// What governance sets: protocol fees per mode, the fee split, deadlines, slashing,
	/// retention. Changed one at a time with [`crate::Pallet::set_parameter`], within the
	/// runtime's bounds (each fee share on its own).
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
		pub vanilla_fee: Balance => VanillaFee = 0,
		/// The protocol's fee on an attested request (verifiers re-execute it).
		pub attested_fee: Balance => AttestedFee = 1,
		/// The protocol's fee on a ZK request (the node proves, the runtime verifies).
		pub zk_fee: Balance => ZkFee = 2,
		/// How a final job's fee is split: the three shares change together, since their sum
		/// is bounded.
		pub shares: FeeShares => Shares = 3,
		/// Blocks an assigned node has to answer.
		pub response_period: BlockNumber => ResponsePeriod = 4,
		/// What a node that does not answer in time loses of its bond.
		pub timeout_slash: Perbill => TimeoutSlash = 5,
		/// What a node loses of its bond for each ZK proof that does not verify.
		pub invalid_proof_slash: Perbill => InvalidProofSlash = 6,
		/// Blocks a finished job (its input, output and status) stays in state before it is
		/// pruned.
		pub retention: BlockNumber => Retention = 7,
		/// The fee for each byte of the largest answer a request may get (its model's declared
		/// outputs at its batch), added to the protocol fee: answers are fee-free transactions,
		/// so the request pays for the block space its answer takes, as the length fee makes it
		/// pay for its own.
		pub output_byte_fee: Balance => OutputByteFee = 8,
		/// The deposit for each byte of the largest answer a request may get, held from the
		/// requester until the job (its input, output and status) is pruned: the state the
		/// answer takes for the retention period is paid for, and handed back when it is freed.
		pub output_byte_deposit: Balance => OutputByteDeposit = 9,
	}
	/// One parameter with its new value: what a referendum changes, so that referenda on
	/// different parameters never undo each other. Fees and shares are changed on the fees
	/// track ([`crate::Config::FeeOrigin`]), the rest on the node-parameters track
	/// ([`crate::Config::GovernanceOrigin`]).
	#[derive(
		Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
	)]
	pub enum ParameterChange;
}

impl<Balance, BlockNumber> ParameterChange<Balance, BlockNumber> {
	/// Whether this changes what users pay or how it is split (the fees track's business).
	pub fn is_fee(&self) -> bool {
		matches!(
			self,
			Self::VanillaFee(_)
				| Self::AttestedFee(_)
				| Self::ZkFee(_)
				| Self::Shares(_)
				| Self::OutputByteFee(_)
				| Self::OutputByteDeposit(_)
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

/// The queues of jobs waiting for a block: jobs to assign, answers due (timeouts) and finished
/// jobs due for pruning. Both are first-in first-out, so each entry is written once and read once and neither
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
	/// Queued jobs to draw a node for from the entry's block on.
	Assignments,
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
