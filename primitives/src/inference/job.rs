//! Jobs: their ids, how a job is named to the attestations pallet, what a request costs, how a
//! job ended, and what a node signs when it answers.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{traits::ConstU32, BoundedVec};
use scale_info::TypeInfo;
use sp_core::H256;

use super::tensor::Tensor;
use crate::attestation::{OutputHash, SubjectId};

/// Identifies a job; assigned in request order, never reused.
pub type JobId = u64;

/// Longest engine error message a job records, in bytes.
pub const MAX_ENGINE_ERROR_LEN: u32 = 256;

/// An engine error message, as recorded on a job that could not run.
pub type EngineMessage = BoundedVec<u8, ConstU32<MAX_ENGINE_ERROR_LEN>>;

/// The tag in the first eight bytes of a job's [`SubjectId`].
const JOB_SUBJECT_TAG: [u8; 8] = *b"opg/job/";

/// The subject under which the attestations pallet knows job `job`: the tag `opg/job/`, zeros,
/// and the id big-endian in the last eight bytes, so the id reads back without a lookup.
pub fn job_subject(job: JobId) -> SubjectId {
	let mut bytes = [0u8; 32];
	for (slot, byte) in bytes.iter_mut().zip(JOB_SUBJECT_TAG) {
		*slot = byte;
	}
	// Big-endian in the last eight bytes: the least significant byte last.
	for (slot, byte) in bytes.iter_mut().rev().zip(job.to_le_bytes()) {
		*slot = byte;
	}
	H256(bytes)
}

/// The job a subject names, if it names one.
pub fn subject_job(subject: &SubjectId) -> Option<JobId> {
	let (tag, rest) = subject.as_fixed_bytes().split_first_chunk::<8>()?;
	let (zeros, id) = rest.split_last_chunk::<8>()?;
	(*tag == JOB_SUBJECT_TAG && zeros.iter().all(|byte| *byte == 0))
		.then(|| JobId::from_be_bytes(*id))
}

/// The hash verifiers agree on for an output: blake2-256 of a domain tag and the SCALE-encoded
/// tensors.
pub fn output_hash(output: &[Tensor]) -> OutputHash {
	H256(sp_io::hashing::blake2_256(&(b"opg:output:", output).encode()))
}

/// What a request costs, before anything is paid.
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
pub struct FeeQuote<Balance> {
	/// The model's price of one call.
	pub price: Balance,
	/// The protocol's fee for the requested mode.
	pub protocol_fee: Balance,
	/// What is held from the requester and paid out when the job is final: `price +
	/// protocol_fee`.
	pub total: Balance,
	/// What is held beside the fee for the state the job's answer takes (the largest answer the
	/// model's outputs allow at the request's batch), and handed back to the requester when
	/// the job is pruned: paid to nobody.
	pub output_deposit: Balance,
}

/// Why a job's fee went back to its requester.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum RefundReason {
	/// No node answered before the deadline, twice (the job was reassigned once).
	TimedOut,
	/// The node's ONNX Runtime could not run the model on this input; the message says why.
	EngineFailed(EngineMessage),
	/// Verifiers decided that the node's result was wrong; the node was slashed.
	Rejected,
	/// No verifier quorum was reached: the result is neither accepted nor refuted.
	Undecided,
	/// The node answered, but no claim or round could be opened to verify it (the attestations
	/// pallet's deadlines were full for the blocks ahead); the node is not blamed.
	VerificationUnavailable,
	/// ZK mode: the nodes' proofs did not verify, `MAX_INVALID_PROOFS` times (after one
	/// reassignment); they were slashed.
	InvalidProofs,
	/// No eligible node could be drawn for the queued job in any block of its wait (every
	/// node of its role stale, chilled or gone since the request).
	NoNodeAvailable,
}

/// Where a job stands, as clients see it.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum JobStatus<AccountId, BlockNumber> {
	/// Requested, its fee held, waiting for a node: one is drawn at the start of the next
	/// block, from that block's randomness, which nobody knew when the request went in. A block
	/// that finds no eligible node leaves the job queued for the next one, until `until`
	/// (the last block that tries); then the job is refunded.
	Queued {
		/// The last block in which a node is drawn for the job.
		until: BlockNumber,
	},
	/// Waiting for `node`'s result until `deadline` (the first block in which it is too late).
	Assigned {
		/// The inference node that must answer.
		node: AccountId,
		/// The first block in which its answer is refused.
		deadline: BlockNumber,
		/// Whether this is the job's second node, after the first one never answered.
		reassigned: bool,
	},
	/// Vanilla: `node`'s result is accepted against its bond; any verifier may challenge it
	/// until the attestations pallet's challenge window closes, and it is final after that.
	Accepted {
		/// The node whose result it is.
		node: AccountId,
	},
	/// Attested (or a challenged vanilla result): a verifier committee is re-executing `node`'s
	/// result.
	Verifying {
		/// The node whose result it is.
		node: AccountId,
	},
	/// The result is final and the fee was paid out.
	Final {
		/// The node whose result it is.
		node: AccountId,
		/// The block in which it became final.
		at: BlockNumber,
	},
	/// The fee went back to the requester.
	Refunded {
		/// Why.
		reason: RefundReason,
		/// The block in which it was refunded.
		at: BlockNumber,
	},
}

impl<AccountId, BlockNumber> JobStatus<AccountId, BlockNumber> {
	/// Whether the job ended (final or refunded): its fee is no longer held.
	pub fn is_over(&self) -> bool {
		matches!(self, JobStatus::Final { .. } | JobStatus::Refunded { .. })
	}
}

/// The domain tag that starts every message an inference node's role key signs for a job.
pub const JOB_SIGNING_DOMAIN: &[u8; 10] = b"opg:infer:";

/// What an inference node signs with its role key when it answers a job.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub enum JobStatement<AccountId> {
	/// `node` answers `job` with the output whose [`output_hash`] is `output`.
	Result {
		/// The job.
		job: JobId,
		/// The node's account.
		node: AccountId,
		/// The output's hash.
		output: OutputHash,
	},
	/// `node` could not run `job`'s model: ONNX Runtime said `error`.
	Failure {
		/// The job.
		job: JobId,
		/// The node's account.
		node: AccountId,
		/// The engine's message.
		error: EngineMessage,
	},
	/// `node` answers ZK `job` with the output whose [`output_hash`] is `output` and the
	/// proof whose blake2-256 hash is `proof`: signing the proof too means nobody else can
	/// send a corrupted copy of the node's answer and have the node counted for a bad proof.
	ZkResult {
		/// The job.
		job: JobId,
		/// The node's account.
		node: AccountId,
		/// The output's hash.
		output: OutputHash,
		/// The proof's hash.
		proof: H256,
		/// How many of the job's proofs were rejected before this one: a rejected proof cannot
		/// be included again.
		attempt: u8,
	},
	/// `node` answers attested `job` with `commitment`, the attestations'
	/// `commitment_of` its output: the output stays hidden until the verifier committee has
	/// committed, and the node reveals it beside them.
	Commitment {
		/// The job.
		job: JobId,
		/// The node's account.
		node: AccountId,
		/// The commitment.
		commitment: H256,
	},
}

/// The bytes a role key signs for `statement` about a job whose input hashes to `input`, on
/// the chain with genesis hash `genesis`. The input hash ties the answer to the request itself:
/// job ids are sequential, so on a competing fork the same id can be another request, and an
/// answer signed for one must not land on the other.
pub fn job_signing_message<Hash: Encode, AccountId: Encode>(
	genesis: &Hash,
	input: &H256,
	statement: &JobStatement<AccountId>,
) -> alloc::vec::Vec<u8> {
	(JOB_SIGNING_DOMAIN, genesis, input, statement).encode()
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_job_subject_names_its_job_and_nothing_else_does() {
		for job in [0, 1, 42, JobId::MAX] {
			assert_eq!(subject_job(&job_subject(job)), Some(job));
		}
		assert_eq!(subject_job(&H256::zero()), None);
		let mut other = job_subject(7);
		other.0[12] = 1;
		assert_eq!(subject_job(&other), None);
	}
}
