//! # Inference pallet
//!
//! Paid inference jobs, from request to a verified, settled result.
//!
//! ## Overview
//!
//! A dApp calls [`Pallet::request`] with a model, an input tensor set and a mode. The pallet
//! checks the input against the model version's schema and the size limit, quotes the fee (the
//! model's price plus the protocol's fee for the mode), holds it from the requester
//! ([`HoldReason::JobFee`]) and queues the job ([`JobStatus::Queued`]). Answers are fee-free
//! transactions, so the request pays for its answer's bytes up front: the largest answer the
//! version's declared outputs allow at the request's batch ([`Job::output_bound`], at most
//! `MaxOutputBytes`; a larger answer is refused with [`Error::OutputTooLarge`]) costs
//! [`Parameters::output_byte_fee`] a byte in the protocol fee, and
//! [`Parameters::output_byte_deposit`] a byte is held apart ([`HoldReason::OutputDeposit`],
//! [`FeeQuote::output_deposit`]) until the job is pruned, when the state it paid for is freed
//! and the deposit goes back. At the start of the next
//! block the pallet's hook draws a bonded inference node for it through [`Config::Nodes`]
//! (stake-weighted, seeded by that block's BABE VRF output mixed with the job id and the input's
//! hash), so every node knows its own work from state alone.
//!
//! The draw is in a later block on purpose: its seed mixes the VRF outputs of the block that
//! includes the request and of the next block, and nobody (the includer among them) knows both
//! when the request goes in, so nobody can steer a job to a node by choosing when or in which
//! order to send requests (front-running a victim's request with cheap ones until its job id
//! lands on a friend's node, as a draw from the job id and the parent hash allowed). What is
//! left: the author of the drawing block can withhold it (one other draw, at the cost of its
//! slot), and an author that holds both slots knows the draw early (as likely as holding two
//! slots in a row). Requests wait at most two blocks' worth of assignments: beyond that
//! backlog a request is refused ([`Error::AssignmentQueueFull`]), so a flood of requests cannot
//! push everyone's jobs back without bound. A block that
//! finds no eligible node (or has no randomness) leaves the job queued for the next block, up
//! to [`Config::AssignmentWait`] blocks, and then refunds it ([`RefundReason::NoNodeAvailable`]);
//! at most [`Config::MaxAssignmentsPerBlock`] jobs are assigned per block and the rest wait, in
//! order, for the next one.
//!
//! Each node's offchain worker reads only the jobs assigned to it ([`Assignments`], an index by
//! node), runs the model with ONNX Runtime through the `opg_inference` host function (the node's
//! engine; the runtime never links ONNX Runtime), and answers with [`Pallet::submit_result`]
//! (or [`Pallet::report_failure`] when the model cannot run on the input), a fee-free
//! transaction authorized by the node's role-key signature.
//!
//! - **Vanilla**: the result is accepted at once against the node's bond and opened to
//!   challenge ([`Config::Attestations`]'s claim); it is final when the window closes
//!   unchallenged, or when a dispute round upholds it.
//! - **ZK**: the node proves its output with the model's Groth16 proving key
//!   (`opg_zk_prover::prove`, after ONNX Runtime's output and the circuit's agree bit for bit)
//!   and sends output and proof with [`Pallet::submit_proof`]; the runtime verifies the proof
//!   against the registry's prepared verifying key, with BN254 arithmetic in host functions, and
//!   the job is final and paid in that block. A proof that does not verify is recorded against
//!   the node ([`Parameters::invalid_proof_slash`]) and the job stays open for another try
//!   until its deadline; after [`MAX_INVALID_PROOFS`] the job goes to another node.
//! - **Attested**: a verifier committee re-executes the job (the attestations pallet's offchain
//!   worker asks this pallet through [`opg_primitives::attestation::Reexecute`]), commits to its
//!   output and reveals it; a verifier stands behind the node's output when its own agrees
//!   within the version's tolerance. The job is final when a quorum upholds the result.
//! - **TEE**: the job goes only to a node holding the `Tee` role, which the registry grants for
//!   a verified Intel SGX/TDX quote whose measurement governance allows. The node runs the model
//!   inside the enclave and answers with [`Pallet::submit_tee_result`], signed by the enclave key
//!   the quote bound, over [`opg_primitives::tee::TeeResultStatement`] (genesis hash, job,
//!   content id, input and output hashes); when that signature verifies the job is final and
//!   paid in the same block. A node whose measurement was revoked can no longer answer (its job
//!   times out and moves on, without a slash).
//!
//! The attestations pallet reports how each claim or round ended
//! ([`opg_primitives::attestation::OnConclusion`]); a final job's fee is split between the
//! model owner, the node, the verifiers who agreed and the treasury by [`FeeShares`]. A result
//! that verifiers reject, an undecided round, a model that ONNX Runtime cannot run, or a node
//! that never answers (after one reassignment) refunds the requester in full. The node that
//! missed its deadline, or whose result was rejected, is slashed.
//!
//! Every change of a job's state is an event, so a dApp waits for exactly the state it trusts;
//! other pallets hear final results through [`Config::OnFinal`]. Finished jobs stay readable for
//! [`Parameters::retention`] blocks and are then pruned, and the output deposit is released.
//!
//! ## Bounds
//!
//! Inputs and outputs are limited in encoded bytes ([`Config::MaxInputBytes`],
//! [`Config::MaxOutputBytes`]) and stored encoded, so storage is bounded by those. Assignment,
//! deadlines and pruning run from three first-in first-out queues. `on_initialize` assigns as
//! many queued jobs as [`Config::AssignmentBudget`] covers (at most
//! [`Config::MaxAssignmentsPerBlock`]) and handles as many due answer deadlines as
//! [`Config::TimeoutBudget`] covers at their worst case (at most [`Config::MaxQueuedPerBlock`]);
//! pruning, which can wait, runs in `on_idle` with the room the block has left. So the hooks are
//! bounded at any load; entries left over wait, in order, for the next block.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

mod jobs;
pub use jobs::assignment_subject;
mod offchain;
mod types;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

use alloc::vec::Vec;
use codec::Encode;
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{self, InspectHold, MutateHold},
		tokens::Precision,
	},
};
use frame_system::{
	offchain::{CreateBare, SubmitTransaction},
	pallet_prelude::*,
};
use opg_primitives::{
	attestation::{Attestations, NodeKeySignature, NodeRegistry, NodeRole},
	inference::{
		batch_of, check_tensors, job_signing_message, job_subject, largest_encoded, output_hash,
		EngineMessage, FeeQuote, JobId, JobStatement, JobStatus, ModelRef, RefundReason,
		TensorError, Tensors,
	},
	model::{InferenceMode, ModelCatalog, ModelId, ModelUsage, VersionNumber},
	tee::{EnclaveRegistry, EnclaveSignature, TeeFailureStatement, TeeResultStatement},
};
use sp_runtime::{
	traits::{Bounded, CheckedAdd, CheckedDiv, Saturating, Zero},
	transaction_validity::{
		InvalidTransaction, TransactionValidityError, TransactionValidityWithRefund,
		ValidTransaction,
	},
	SaturatedConversion,
};

/// The balance type of the currency fees are paid in.
pub type BalanceOf<T> =
	<<T as Config>::Currency as fungible::Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// A job as this runtime stores it.
pub type JobOf<T> = Job<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;

/// A job's status as this runtime stores it.
pub type JobStatusOf<T> = JobStatus<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;

/// The parameters as this runtime stores them.
pub type ParametersOf<T> = Parameters<BalanceOf<T>, BlockNumberFor<T>>;
/// A change of one parameter, with this runtime's balance and block number.
pub type ParameterChangeOf<T> = ParameterChange<BalanceOf<T>, BlockNumberFor<T>>;

/// A job as the runtime API shows it.
pub type JobViewOf<T> =
	JobView<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;

/// Encoded input tensors, bounded by [`Config::MaxInputBytes`].
pub type EncodedInput<T> = BoundedVec<u8, <T as Config>::MaxInputBytes>;

/// Encoded output tensors, bounded by [`Config::MaxOutputBytes`].
pub type EncodedOutput<T> = BoundedVec<u8, <T as Config>::MaxOutputBytes>;

/// What the weights of calls carrying tensors scale with: their number of values, or their
/// encoded size over 17 bytes (a fixed-point number's size) where strings make them larger.
pub fn weight_units(tensors: &Tensors) -> u32 {
	let values =
		tensors.iter().map(|tensor| tensor.values.len() as u32).fold(0, u32::saturating_add);
	let bytes = u32::try_from(tensors.encoded_size() / 17).unwrap_or(u32::MAX);
	values.max(bytes)
}

/// Proofs that fail to verify before a ZK job is taken from its node.
pub const MAX_INVALID_PROOFS: u8 = 3;

/// A Groth16 proof as [`Pallet::submit_proof`] carries it: uncompressed BN254 points.
pub type ProofBytes = BoundedVec<u8, ConstU32<{ opg_zk::verifier::PROOF_LEN as u32 }>>;

/// Sets up what the benchmarks need from the pallets around this one.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// A runnable model that supports vanilla and attested mode, taking `x: float32[batch,
	/// width]` and giving `y: float32[batch, width]`.
	fn runnable_model(width: u32) -> ModelId;

	/// Registers an eligible inference node (`index` tells nodes apart) whose role key is
	/// `key`; returns its account.
	fn inference_node(index: u32, key: opg_primitives::attestation::NodeKey) -> AccountId;

	/// Registers inference node `index` with role key `key` as a TEE node whose enclave key is
	/// `enclave_key` (both in the keystore), and returns its account.
	fn tee_node(
		index: u32,
		key: opg_primitives::attestation::NodeKey,
		enclave_key: opg_primitives::tee::EnclaveKey,
	) -> AccountId;

	/// Registers node `index` for inference and verification at exactly the bond those roles
	/// need, with an enclave (so it sits in the inference, verifier and TEE pools), its role and
	/// enclave keys in the keystore: a slash takes it out of every pool. Returns its account.
	fn slashable_node(index: u32) -> AccountId;

	/// Spreads every pool's nodes among stale entries, as among 10,000 registered nodes, so
	/// that pool updates and draws touch as many tree entries as they would on a live chain.
	fn spread_pools();

	/// A runnable ZK model with the real key of `opg_zk::fixture::mlp`, and the fixture's input
	/// and output. The fixture's proofs are bound to job 0 and the nodes
	/// `opg_zk::fixture::BINDINGS` names: the nodes `inference_node` registers.
	fn zk_model() -> (ModelId, Tensors, Tensors);
}

/// Hears final results: other runtime pallets that act on an inference's output.
pub trait OnFinal<AccountId> {
	/// Whether anyone hears: when nobody does (`()`), a final job's output is not read back
	/// and decoded for [`Self::on_final`].
	const LISTENS: bool = true;

	/// `job`, requested by `requester`, is final with `output`. Must not fail.
	fn on_final(job: JobId, requester: &AccountId, output: &Tensors);

	/// The most weight one call takes, with reading and decoding the job's output: up to
	/// `MaxOutputBytes` of any element type (strings decode into more elements per byte than
	/// numbers, which the pallet's own benchmarks measure).
	fn weight() -> Weight;
}

impl<AccountId> OnFinal<AccountId> for () {
	const LISTENS: bool = false;

	fn on_final(_: JobId, _: &AccountId, _: &Tensors) {}

	fn weight() -> Weight {
		Weight::zero()
	}
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A job's fee, from request until the job is final (paid out) or refunded.
		JobFee,
		/// The deposit for a job's answer in state, from request until the job is pruned.
		OutputDeposit,
	}

	#[pallet::config]
	pub trait Config: frame_system::Config + CreateBare<Call<Self>> {
		/// The currency fees are paid in.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ fungible::Mutate<Self::AccountId>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// Who may change the deadlines, slashes and retention.
		type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Who may change the protocol fees and the fee shares.
		type FeeOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The model catalogue (the model registry).
		type Models: ModelCatalog<Self::AccountId, BalanceOf<Self>>;

		/// The node registry, which selects and slashes inference nodes (pallet-nodes).
		type Nodes: NodeRegistry<Self::AccountId, BalanceOf<Self>>;

		/// The enclave registry, which knows the enclave key each TEE node signs results with
		/// (pallet-tee).
		type Enclaves: EnclaveRegistry<Self::AccountId>;

		/// Claims and verifier rounds (the attestations pallet).
		type Attestations: Attestations<Self::AccountId>;

		/// Where the treasury's share of fees goes.
		type TreasuryAccount: Get<Self::AccountId>;

		/// Who hears final results.
		type OnFinal: OnFinal<Self::AccountId>;

		/// The parameters until genesis or governance sets others.
		type DefaultParameters: Get<ParametersOf<Self>>;

		/// The least each parameter may be: [`Pallet::set_parameter`] refuses a value below it.
		#[pallet::constant]
		type MinimumParameters: Get<ParametersOf<Self>>;

		/// The most each parameter may be: [`Pallet::set_parameter`] refuses a value above it.
		#[pallet::constant]
		type MaximumParameters: Get<ParametersOf<Self>>;

		/// The largest input, SCALE-encoded, in bytes.
		#[pallet::constant]
		type MaxInputBytes: Get<u32>;

		/// The largest output, SCALE-encoded, in bytes.
		#[pallet::constant]
		type MaxOutputBytes: Get<u32>;

		/// The most entries of each queue (timeouts, pruning) handled in one block.
		#[pallet::constant]
		type MaxQueuedPerBlock: Get<u32>;

		/// The most weight the timeout hook takes in one block: it handles due answer deadlines
		/// while one more timeout at its worst fits (each may slash a node and draw another;
		/// the deadline of a job answered already costs a read and a removal), and the rest
		/// wait, in order, for the next block.
		#[pallet::constant]
		type TimeoutBudget: Get<Weight>;

		/// The most queued jobs assigned in one block (their node draws share one read of the
		/// pool); the rest wait, in order, for the next block.
		#[pallet::constant]
		type MaxAssignmentsPerBlock: Get<u32>;

		/// The most weight the assignment hook takes in one block: it assigns as many queued
		/// jobs as fit (draws among the inference pool as it is included), at most
		/// `MaxAssignmentsPerBlock`, and the rest wait for the next block.
		#[pallet::constant]
		type AssignmentBudget: Get<Weight>;

		/// How many blocks a queued job is tried (one draw a block) before it is refunded for
		/// want of an eligible node.
		#[pallet::constant]
		type AssignmentWait: Get<BlockNumberFor<Self>>;

		/// The largest verifier committee (the attestations pallet's): the most verifiers one
		/// job pays.
		#[pallet::constant]
		type MaxCommitteeSize: Get<u32>;

		/// Sets up models and nodes for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;

		/// Weights of this pallet's calls and hooks.
		type WeightInfo: WeightInfo;
	}

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// The parameters in force.
	#[pallet::storage]
	pub type ActiveParameters<T: Config> =
		StorageValue<_, ParametersOf<T>, ValueQuery, T::DefaultParameters>;

	/// The id the next job gets.
	#[pallet::storage]
	pub type NextJobId<T> = StorageValue<_, JobId, ValueQuery>;

	/// Jobs, from request until pruned.
	#[pallet::storage]
	pub type Jobs<T: Config> = StorageMap<_, Twox64Concat, JobId, JobOf<T>>;

	/// Each job's input tensors, SCALE-encoded; pruned with the job.
	#[pallet::storage]
	pub type Inputs<T: Config> = StorageMap<_, Twox64Concat, JobId, EncodedInput<T>>;

	/// Each answered job's output tensors, SCALE-encoded; pruned with the job.
	#[pallet::storage]
	pub type Outputs<T: Config> = StorageMap<_, Twox64Concat, JobId, EncodedOutput<T>>;

	/// The jobs waiting for each node's answer: what its offchain worker reads, so it never
	/// reads another node's jobs.
	#[pallet::storage]
	pub type Assignments<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Twox64Concat, JobId, ()>;

	/// Proofs that failed to verify, per ZK job still waiting for an answer.
	#[pallet::storage]
	pub type InvalidProofs<T> = StorageMap<_, Twox64Concat, JobId, u8, ValueQuery>;

	/// The node that refused each open job (reported that the model cannot run), which then went
	/// to another node: the refuser is slashed if that node's answer becomes final, and let go
	/// if that node fails too.
	#[pallet::storage]
	pub type Refusals<T: Config> = StorageMap<_, Twox64Concat, JobId, T::AccountId>;

	/// Open (unfinished) jobs per model: a model with open jobs cannot be removed.
	#[pallet::storage]
	pub type OpenJobs<T> = StorageMap<_, Twox64Concat, ModelId, u32, ValueQuery>;

	/// Where each queue starts and ends: entries `head..tail` are waiting.
	#[pallet::storage]
	pub type QueueEnds<T> = StorageMap<_, Twox64Concat, QueueKind, (u64, u64), ValueQuery>;

	/// The queues' entries: a job and the block from which it is due.
	#[pallet::storage]
	pub type Queue<T: Config> =
		StorageDoubleMap<_, Twox64Concat, QueueKind, Twox64Concat, u64, (JobId, BlockNumberFor<T>)>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The parameters; [`Config::DefaultParameters`] when absent.
		pub parameters: Option<ParametersOf<T>>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if let Some(parameters) = &self.parameters {
				assert!(
					Pallet::<T>::check_parameters(parameters).is_ok(),
					"genesis inference parameters are invalid"
				);
				ActiveParameters::<T>::put(parameters);
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A dApp requested inference; `fee` is held until the job ends.
		JobRequested {
			job: JobId,
			requester: T::AccountId,
			model: ModelId,
			version: VersionNumber,
			mode: InferenceMode,
			fee: BalanceOf<T>,
		},
		/// The job was given to `node`, which must answer before block `deadline`.
		JobAssigned { job: JobId, node: T::AccountId, deadline: BlockNumberFor<T> },
		/// `node`'s `output` (hash `output_hash`) is public. Vanilla: accepted against its bond,
		/// open to challenge. Attested: revealed and upheld by the verifier committee (this
		/// block's `ResultVerified` and `JobFinal` follow).
		ResultSubmitted {
			job: JobId,
			node: T::AccountId,
			output: Tensors,
			output_hash: opg_primitives::attestation::OutputHash,
		},
		/// `node` answered attested `job` with `commitment` to its output, which stays hidden
		/// until the verifier committee has committed (`ResultSubmitted` follows when the round
		/// decides).
		AnswerCommitted { job: JobId, node: T::AccountId, commitment: sp_core::H256 },
		/// `node` reported that the model cannot run on `job`'s input (`error`): the job went to
		/// another node (`JobReassigned`), and the refuser is slashed if that node succeeds.
		JobRefused { job: JobId, node: T::AccountId, error: EngineMessage },
		/// `node` refused `job`, which another node then answered: it lost `slashed`.
		RefusalSlashed { job: JobId, node: T::AccountId, slashed: BalanceOf<T> },
		/// Verifiers re-executed the job and a quorum upheld the node's result.
		ResultVerified { job: JobId, verifiers: Vec<T::AccountId> },
		/// The runtime verified `node`'s Groth16 proof of the result (ZK mode): the job is
		/// final in this block.
		ProofVerified { job: JobId, node: T::AccountId },
		/// The enclave key `enclave_key` of `node` signed the result of TEE `job`: the job is
		/// final in this block. `insecure`: the key was registered through the dev chain's
		/// insecure enclave, so no hardware vouches for this result.
		TeeResultAccepted {
			job: JobId,
			node: T::AccountId,
			enclave_key: opg_primitives::tee::EnclaveKey,
			insecure: bool,
		},
		/// `node`'s proof for `job` did not verify (`reason`): the node lost `slashed` of its
		/// bond; this was its `attempts`-th bad proof for the job. The job waits for another
		/// answer until its deadline (or goes to another node after `MAX_INVALID_PROOFS`).
		ProofRejected {
			job: JobId,
			node: T::AccountId,
			reason: opg_zk::ZkError,
			attempts: u8,
			slashed: BalanceOf<T>,
		},
		/// The result is final and the fee was paid out.
		JobFinal {
			job: JobId,
			node: T::AccountId,
			owner_paid: BalanceOf<T>,
			node_paid: BalanceOf<T>,
			verifiers_paid: BalanceOf<T>,
			treasury_paid: BalanceOf<T>,
		},
		/// `from` did not answer in time and was slashed; the job went to `to`.
		JobReassigned {
			job: JobId,
			from: T::AccountId,
			to: T::AccountId,
			deadline: BlockNumberFor<T>,
		},
		/// The requester got `amount`, the whole fee, back.
		JobRefunded {
			job: JobId,
			requester: T::AccountId,
			amount: BalanceOf<T>,
			reason: RefundReason,
		},
		/// Governance set new parameters.
		ParametersSet { parameters: ParametersOf<T> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The model does not exist, or accepts no requests: suspended by governance,
		/// deprecated by its owner, or without an approved complete version.
		ModelNotRunnable,
		/// The requested version is not the one the model runs now.
		VersionNotRunnable,
		/// The model version does not support the requested mode.
		ModeNotSupported,
		/// The input is larger than `MaxInputBytes` encoded.
		InputTooLarge,
		/// The input does not have as many tensors as the model declares.
		InputTensorCount,
		/// An input tensor's name differs from the one the model declares at its position.
		InputTensorName,
		/// An input tensor's shape does not fit the declared shape.
		InputShape,
		/// An input tensor does not hold as many values as its shape says.
		InputValueCount,
		/// Numbers given for a string input, or strings for a numeric one.
		InputKind,
		/// An integer input with decimals, or a number with more than 38 decimals.
		InputDecimals,
		/// An integer input outside its dtype's range.
		InputRange,
		/// The fee does not fit the balance type.
		FeeOverflow,
		/// The fee is higher than the `max_fee` the request allows.
		FeeAboveMax,
		/// The requester cannot hold the fee and the output deposit from its free balance.
		InsufficientBalance,
		/// The mode's pool has no bonded, active node (for a TEE job: no node with a standing
		/// TEE registration), so the job could never be assigned.
		NoInferenceNode,
		/// No job has this id (it never existed, or it was pruned).
		NoSuchJob,
		/// The job is not assigned to this node.
		NotAssigned,
		/// The job was answered already.
		AlreadyAnswered,
		/// The job's deadline has passed.
		TooLate,
		/// The role-key signature does not match the node and the statement.
		BadSignature,
		/// The output is larger than `MaxOutputBytes` encoded, or than the job's `output_bound`
		/// (the largest answer its request paid for: the model's declared outputs at the
		/// request's batch).
		OutputTooLarge,
		/// The output does not fit the model's declared outputs.
		OutputMismatch,
		/// The parameter is outside its bounds ([`Config::MinimumParameters`],
		/// [`Config::MaximumParameters`]), the shares add up to more than 100%, or a period is
		/// zero.
		BadParameters,
		/// No job id is left.
		JobIdsExhausted,
		/// Two blocks' worth of jobs (`2 * MaxAssignmentsPerBlock`) already wait for a node:
		/// try again in a later block.
		AssignmentQueueFull,
		/// The answer does not fit the job's mode: a proof for a job not in ZK mode, an
		/// enclave-signed result for one not in TEE mode, a commitment for one not in attested
		/// mode, a plain result for any of those, or a failure report in attested mode (an
		/// attested node commits to the failure instead, and the committee judges it).
		WrongMode,
		/// The proof is not an uncompressed BN254 Groth16 proof of `PROOF_LEN` bytes.
		MalformedProof,
		/// The job's model version has no ZK key (it cannot be proved).
		NoZkKey,
		/// The node has no standing TEE registration (none, or its measurement was revoked), so
		/// no enclave key of its can answer a TEE job.
		NotTeeCapable,
		/// Vanilla results are settling late (the attestations pallet's standing claims back
		/// up, [`opg_primitives::attestation::Attestations::accepting_claims`]): a new one
		/// would wait behind them with its fee held. Try again in a few blocks, or ask for
		/// another mode.
		VerificationBacklogged,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			Self::process_timeouts(now).saturating_add(Self::process_assignments(now))
		}

		fn on_idle(now: BlockNumberFor<T>, remaining: Weight) -> Weight {
			match Self::prunings_within(remaining) {
				0 => Weight::zero(),
				limit => Self::process_pruning(now, limit),
			}
		}

		fn offchain_worker(now: BlockNumberFor<T>) {
			Self::answer_assigned_jobs(now);
		}

		fn integrity_test() {
			assert!(T::MaxQueuedPerBlock::get() > 0, "MaxQueuedPerBlock must be positive");
			assert!(
				T::MaxAssignmentsPerBlock::get() > 0,
				"MaxAssignmentsPerBlock must be positive"
			);
			assert!(!T::AssignmentWait::get().is_zero(), "AssignmentWait must be positive");
			assert!(
				Self::timeouts_within_budget() > 0,
				"TimeoutBudget must fit one deadline at its worst case"
			);
			assert!(
				Self::check_parameters(&T::DefaultParameters::get()).is_ok(),
				"DefaultParameters are out of bounds"
			);
			// What a standing claim is charged (`on_conclusion`) may not exceed the bound the
			// attestations pallet keeps room for.
			assert!(
				T::WeightInfo::finalize_unchallenged()
					.saturating_add(T::OnFinal::weight())
					.all_lte(<Self as opg_primitives::attestation::OnConclusion<T::AccountId>>::unchallenged_weight()),
				"a standing claim's measured weight exceeds its bound"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Requests inference of `model` (pinned to `version` when given) on `input` in
		/// `mode`, paying at most `max_fee`. The fee is held until the job is final or
		/// refunded; the job is queued, and a bonded node is drawn for it at the start of the
		/// next block (`JobAssigned`), from that block's randomness. The draw's cost is the
		/// hook's, not the request's.
		#[pallet::call_index(0)]
		// (And the claim cursor's reads, for vanilla requests: `Attestations::accepting_claims`.)
		#[pallet::weight(
			T::WeightInfo::request(weight_units(input)).saturating_add(T::DbWeight::get().reads(2))
		)]
		pub fn request(
			origin: OriginFor<T>,
			model: ModelId,
			version: Option<VersionNumber>,
			input: Tensors,
			mode: InferenceMode,
			max_fee: BalanceOf<T>,
		) -> DispatchResultWithPostInfo {
			let requester = ensure_signed(origin)?;
			let checked = Self::check_request(&requester, model, version, &input, mode, max_fee)?;
			Self::open_job(requester, checked)?;
			Ok(().into())
		}

		/// An inference node's answer to vanilla `job`: `output`, signed with the node's role
		/// key. Pays no fee: the call authorizes itself, and refuses anything but the assigned
		/// node's first answer before the deadline. (Attested jobs are answered by commitment,
		/// [`Pallet::submit_commitment`].)
		#[pallet::call_index(1)]
		// The claim it opens may search the full claim lists of the blocks ahead, which the
		// benchmark (empty lists) does not: that is charged on top.
		#[pallet::weight(
			T::WeightInfo::submit_result_attested(weight_units(output))
				.max(T::WeightInfo::submit_result_vanilla(weight_units(output)))
				.saturating_add(T::WeightInfo::authorize_submit_result(weight_units(output)))
				.saturating_add(T::Attestations::open_claim_weight())
		)]
		#[pallet::authorize(|_source, job, node, output, signature| {
			// An output over the limit is refused before it is hashed, and one that does not fit
			// the schema before it reaches a block: the call is fee-free, so nothing that would
			// fail may take block space.
			Pallet::<T>::check_output_size(output)
				// Assigned first: the pool hashes the output only for the node that may answer.
				.and_then(|_| Pallet::<T>::check_assignment(*job, node))
				.and_then(|_| Pallet::<T>::check_answer(*job, node, &Pallet::<T>::result_statement(*job, node, output_hash(output)), signature))
				.and_then(|record| Pallet::<T>::check_mode(record, AnswerKind::Result))
				.and_then(|record| Pallet::<T>::check_output(&record, output))
				.map_err(Pallet::<T>::invalid)
				.and_then(|_| Pallet::<T>::answer_validity(*job))
		})]
		// Charged in the call's weight, which bare transactions pay too (see
		// `opg_primitives::ensure_self_authorized`).
		#[pallet::weight_of_authorize(Weight::zero())]
		pub fn submit_result(
			origin: OriginFor<T>,
			job: JobId,
			node: T::AccountId,
			output: Tensors,
			signature: NodeKeySignature,
		) -> DispatchResult {
			opg_primitives::ensure_self_authorized(origin)?;
			let hash = output_hash(&output);
			let record = Self::check_answer(
				job,
				&node,
				&Self::result_statement(job, &node, hash),
				&signature,
			)?;
			let record = Self::check_mode(record, AnswerKind::Result)?;
			Self::accept_result(job, record, node, output, hash)
		}

		/// An inference node's report that ONNX Runtime cannot run `job`'s model on its input
		/// (`error` is the engine's message), signed with its role key. A report is a claim, not
		/// a free exit: the job goes to another node (its reputation counts the refusal as a
		/// failure), and if that node's answer becomes final the refuser loses
		/// [`Parameters::timeout_slash`], as if it had never answered; when the second node
		/// fails too, two independent nodes agree and the requester is refunded with nobody
		/// slashed. Refused in attested mode ([`Error::WrongMode`]): there the node commits to
		/// the failure like to any output and the committee judges it; and in TEE mode, where the
		/// enclave reports it ([`Pallet::report_tee_failure`]).
		#[pallet::call_index(2)]
		#[pallet::weight(
			T::WeightInfo::report_failure()
				.saturating_add(T::Nodes::select_weight(1, 1))
				.saturating_add(T::WeightInfo::authorize_report_failure())
		)]
		#[pallet::authorize(|_source, job, node, error, signature| {
			let statement = JobStatement::Failure { job: *job, node: node.clone(), error: error.clone() };
			Pallet::<T>::check_answer(*job, node, &statement, signature)
				.and_then(Pallet::<T>::check_refusable)
				.map_err(Pallet::<T>::invalid)
				.and_then(|_| Pallet::<T>::answer_validity(*job))
		})]
		// Charged in the call's weight, which bare transactions pay too (see
		// `opg_primitives::ensure_self_authorized`).
		#[pallet::weight_of_authorize(Weight::zero())]
		pub fn report_failure(
			origin: OriginFor<T>,
			job: JobId,
			node: T::AccountId,
			error: EngineMessage,
			signature: NodeKeySignature,
		) -> DispatchResult {
			opg_primitives::ensure_self_authorized(origin)?;
			let statement = JobStatement::Failure { job, node: node.clone(), error: error.clone() };
			let record = Self::check_answer(job, &node, &statement, &signature)?;
			let record = Self::check_refusable(record)?;
			Self::refuse(job, record, node, error);
			Ok(())
		}

		/// A TEE node's report that the model cannot run on TEE `job`'s input (`error` is the
		/// engine's message), signed inside the enclave with the enclave key its registered quote
		/// bound, over [`TeeFailureStatement`]. Pays no fee. Like [`Pallet::report_failure`], it
		/// sends the job to another TEE node and costs the refuser the timeout slash if that node
		/// succeeds.
		#[pallet::call_index(8)]
		#[pallet::weight(
			T::WeightInfo::submit_tee_result(0)
				.saturating_add(T::Nodes::select_weight(1, 1))
				.saturating_add(T::WeightInfo::authorize_submit_tee_result(0))
		)]
		#[pallet::authorize(|_source, job, node, error, signature| {
			Pallet::<T>::check_enclave_failure(*job, node, error, signature)
				.map_err(Pallet::<T>::invalid)
				.and_then(|_| Pallet::<T>::answer_validity(*job))
		})]
		// Charged in the call's weight, which bare transactions pay too (see
		// `opg_primitives::ensure_self_authorized`).
		#[pallet::weight_of_authorize(Weight::zero())]
		pub fn report_tee_failure(
			origin: OriginFor<T>,
			job: JobId,
			node: T::AccountId,
			error: EngineMessage,
			signature: EnclaveSignature,
		) -> DispatchResult {
			opg_primitives::ensure_self_authorized(origin)?;
			let record = Self::check_enclave_failure(job, &node, &error, &signature)?;
			Self::refuse(job, record, node, error);
			Ok(())
		}

		/// An inference node's answer to attested `job`: `commitment`, the attestations'
		/// `commitment_of` its output (or of the empty output, when the model cannot run on the
		/// input), signed with its role key. Pays no fee. Nothing of the output is on chain
		/// until the verifier committee, which re-executes the job from its input alone, has
		/// committed; then the node reveals its output beside the committee, and the round
		/// decides whether it is paid.
		#[pallet::call_index(7)]
		// The round it opens may search the full round lists of the blocks ahead, which the
		// benchmark (empty lists) does not: that is charged on top.
		#[pallet::weight(
			T::WeightInfo::submit_result_attested(0)
				.saturating_add(T::WeightInfo::authorize_report_failure())
				.saturating_add(T::Attestations::open_round_weight())
		)]
		#[pallet::authorize(|_source, job, node, commitment, signature| {
			let statement = JobStatement::Commitment { job: *job, node: node.clone(), commitment: *commitment };
			Pallet::<T>::check_answer(*job, node, &statement, signature)
				.and_then(|record| Pallet::<T>::check_mode(record, AnswerKind::Commitment))
				.map_err(Pallet::<T>::invalid)
				.and_then(|_| Pallet::<T>::answer_validity(*job))
		})]
		// Charged in the call's weight, which bare transactions pay too (see
		// `opg_primitives::ensure_self_authorized`).
		#[pallet::weight_of_authorize(Weight::zero())]
		pub fn submit_commitment(
			origin: OriginFor<T>,
			job: JobId,
			node: T::AccountId,
			commitment: sp_core::H256,
			signature: NodeKeySignature,
		) -> DispatchResult {
			opg_primitives::ensure_self_authorized(origin)?;
			let statement = JobStatement::Commitment { job, node: node.clone(), commitment };
			let record = Self::check_answer(job, &node, &statement, &signature)?;
			let record = Self::check_mode(record, AnswerKind::Commitment)?;
			Self::accept_commitment(job, record, node, commitment)
		}

		/// Changes one parameter, within its bounds: fees and shares by [`Config::FeeOrigin`], the
		/// rest by [`Config::GovernanceOrigin`]. Open jobs keep the fee they hold and the deadline
		/// they were given. (Call index 3, which replaced the whole set, is retired.)
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::set_parameter())]
		pub fn set_parameter(origin: OriginFor<T>, change: ParameterChangeOf<T>) -> DispatchResult {
			if change.is_fee() {
				T::FeeOrigin::ensure_origin(origin)?;
			} else {
				T::GovernanceOrigin::ensure_origin(origin)?;
			}
			let mut parameters = ActiveParameters::<T>::get();
			parameters.apply(change);
			Self::check_parameters(&parameters)?;
			ActiveParameters::<T>::put(&parameters);
			Self::deposit_event(Event::ParametersSet { parameters });
			Ok(())
		}

		/// An inference node's answer to ZK `job`: `output` and a Groth16 `proof` that the
		/// model maps the job's input to it, signed with the node's role key (over the output's
		/// and the proof's hashes). Pays no fee. The proof is verified here: when it holds the
		/// job is final and paid in this block; when it does not, the node is slashed
		/// [`Parameters::invalid_proof_slash`] and the job waits for another answer until its
		/// deadline (after [`MAX_INVALID_PROOFS`] it goes to another node). The transaction
		/// succeeds either way, so the record of a bad proof stays.
		#[pallet::call_index(4)]
		#[pallet::weight(
			Pallet::<T>::submit_proof_weight(output)
				.saturating_add(T::WeightInfo::authorize_submit_result(weight_units(output)))
				// Beyond a result's checks: whether the version has a key (two lookups, no key
				// read).
				.saturating_add(T::DbWeight::get().reads(2))
		)]
		#[pallet::authorize(|_source, job, node, output, proof, signature| {
			Pallet::<T>::check_output_size(output)
				// Assigned first, as for a result: the statement hashes the output and the proof.
				.and_then(|_| Pallet::<T>::check_assignment(*job, node))
				.and_then(|_| Pallet::<T>::check_answer(*job, node, &Pallet::<T>::proof_statement(*job, node, output, proof), signature))
				.and_then(|record| Pallet::<T>::check_mode(record, AnswerKind::Proof))
				.and_then(|record| Pallet::<T>::check_proof_attempt(&record, output, proof))
				.map_err(Pallet::<T>::invalid)
				.and_then(|_| Pallet::<T>::answer_validity(*job))
		})]
		// Charged in the call's weight, which bare transactions pay too (see
		// `opg_primitives::ensure_self_authorized`).
		#[pallet::weight_of_authorize(Weight::zero())]
		pub fn submit_proof(
			origin: OriginFor<T>,
			job: JobId,
			node: T::AccountId,
			output: Tensors,
			proof: ProofBytes,
			signature: NodeKeySignature,
		) -> DispatchResult {
			opg_primitives::ensure_self_authorized(origin)?;
			let statement = Self::proof_statement(job, &node, &output, &proof);
			let record = Self::check_answer(job, &node, &statement, &signature)?;
			let record = Self::check_mode(record, AnswerKind::Proof)?;
			Self::check_proof_attempt(&record, &output, &proof)?;
			Self::accept_proof(job, record, node, output, &proof)
		}

		/// A TEE node's answer to TEE `job`: `output`, signed inside the enclave with the
		/// enclave key its registered quote bound, over
		/// [`TeeResultStatement`] (genesis hash, job, content id, input and output hashes). Pays
		/// no fee. When the signature verifies the job is final and paid in this block.
		#[pallet::call_index(6)]
		#[pallet::weight(
			T::WeightInfo::submit_tee_result(weight_units(output))
				.saturating_add(T::OnFinal::weight())
				.saturating_add(T::WeightInfo::authorize_submit_tee_result(weight_units(output)))
		)]
		#[pallet::authorize(|_source, job, node, output, signature| {
			Pallet::<T>::check_output_size(output)
				.and_then(|_| Pallet::<T>::check_enclave_answer(*job, node, output, signature))
				.map_err(Pallet::<T>::invalid)
				.and_then(|_| Pallet::<T>::answer_validity(*job))
		})]
		// Charged in the call's weight, which bare transactions pay too (see
		// `opg_primitives::ensure_self_authorized`).
		#[pallet::weight_of_authorize(Weight::zero())]
		pub fn submit_tee_result(
			origin: OriginFor<T>,
			job: JobId,
			node: T::AccountId,
			output: Tensors,
			signature: EnclaveSignature,
		) -> DispatchResult {
			opg_primitives::ensure_self_authorized(origin)?;
			let (record, signer) = Self::check_enclave_answer(job, &node, &output, &signature)?;
			Self::accept_tee_result(job, record, node, output, signer)
		}
	}
}

/// How a job of each mode is answered.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum AnswerKind {
	/// [`Pallet::submit_result`]: vanilla jobs.
	Result,
	/// [`Pallet::submit_commitment`]: attested jobs.
	Commitment,
	/// [`Pallet::submit_proof`]: ZK jobs.
	Proof,
	/// [`Pallet::submit_tee_result`]: TEE jobs.
	Enclave,
}

impl AnswerKind {
	fn of(mode: InferenceMode) -> Self {
		match mode {
			InferenceMode::Vanilla => AnswerKind::Result,
			InferenceMode::Attested => AnswerKind::Commitment,
			InferenceMode::Zk => AnswerKind::Proof,
			InferenceMode::Tee => AnswerKind::Enclave,
		}
	}
}

/// The nodes a job of `mode` goes to: TEE-capable nodes for TEE jobs, any inference node
/// otherwise.
pub fn node_role(mode: InferenceMode) -> NodeRole {
	match mode {
		InferenceMode::Tee => NodeRole::Tee,
		_ => NodeRole::Inference,
	}
}

/// A request that passed every check: what [`Pallet::open_job`] needs to open it.
pub struct CheckedRequest<T: Config> {
	model: ModelId,
	version: VersionNumber,
	owner: T::AccountId,
	model_ref: ModelRef,
	mode: InferenceMode,
	fee: FeeQuote<BalanceOf<T>>,
	tolerance: opg_primitives::inference::Tolerance,
	input: EncodedInput<T>,
	output_bound: u32,
}

impl<T: Config> Pallet<T> {
	/// Whether `parameters` may be in force: each within its bounds, the shares at most the
	/// whole fee, no period zero.
	pub fn check_parameters(parameters: &ParametersOf<T>) -> Result<(), Error<T>> {
		let within = parameters.within(&T::MinimumParameters::get(), &T::MaximumParameters::get());
		ensure!(within, Error::<T>::BadParameters);
		parameters.check().map_err(|_| Error::<T>::BadParameters)
	}

	/// Checks a request as [`Pallet::request`] would, without changing anything: the model
	/// and version, the mode, the input against the schema and the size limit, that the mode's
	/// pool has nodes, the fee against `max_fee` and the requester's balance. (Which node takes
	/// the job is drawn in the next block.)
	pub fn check_request(
		requester: &T::AccountId,
		model: ModelId,
		version: Option<VersionNumber>,
		input: &Tensors,
		mode: InferenceMode,
		max_fee: BalanceOf<T>,
	) -> Result<CheckedRequest<T>, DispatchError> {
		let runnable = T::Models::runnable(model).ok_or(Error::<T>::ModelNotRunnable)?;
		ensure!(version.is_none_or(|v| v == runnable.version), Error::<T>::VersionNotRunnable);
		ensure!(runnable.modes.contains(mode), Error::<T>::ModeNotSupported);
		let parameters = ActiveParameters::<T>::get();
		let mode_fee = match mode {
			// One node's execution and no verifiers, as in vanilla mode.
			InferenceMode::Vanilla | InferenceMode::Tee => parameters.vanilla_fee,
			InferenceMode::Attested => parameters.attested_fee,
			InferenceMode::Zk => parameters.zk_fee,
		};
		let encoded =
			EncodedInput::<T>::try_from(input.encode()).map_err(|_| Error::<T>::InputTooLarge)?;
		check_tensors(input, &runnable.schema.inputs).map_err(Self::input_error)?;
		// The answer's bytes are paid for now: block space by the fee, state by a deposit.
		let most = T::MaxOutputBytes::get();
		let batch = batch_of(input, &runnable.schema.inputs);
		let output_bound = largest_encoded(&runnable.schema.outputs, batch)
			.map_or(most, |bound| u32::try_from(bound).unwrap_or(most).min(most));
		let bytes = BalanceOf::<T>::from(output_bound);
		let protocol_fee = parameters
			.output_byte_fee
			.checked_mul(&bytes)
			.and_then(|fee| fee.checked_add(&mode_fee))
			.ok_or(Error::<T>::FeeOverflow)?;
		let deposit =
			parameters.output_byte_deposit.checked_mul(&bytes).ok_or(Error::<T>::FeeOverflow)?;
		if mode == InferenceMode::Zk {
			ensure!(T::Models::zk_key(model, runnable.version).is_some(), Error::<T>::NoZkKey);
		}
		ensure!(T::Nodes::pool_size(node_role(mode)) > 0, Error::<T>::NoInferenceNode);
		let (head, tail) = QueueEnds::<T>::get(QueueKind::Assignments);
		let backlog = tail.saturating_sub(head);
		ensure!(
			backlog < u64::from(T::MaxAssignmentsPerBlock::get()).saturating_mul(2),
			Error::<T>::AssignmentQueueFull
		);
		// A vanilla answer becomes a claim: while standing claims back up, refused up front.
		ensure!(
			mode != InferenceMode::Vanilla || T::Attestations::accepting_claims(),
			Error::<T>::VerificationBacklogged
		);
		let total = runnable.price.checked_add(&protocol_fee).ok_or(Error::<T>::FeeOverflow)?;
		ensure!(total <= max_fee, Error::<T>::FeeAboveMax);
		ensure!(
			T::Currency::can_hold(
				&HoldReason::JobFee.into(),
				requester,
				total.checked_add(&deposit).ok_or(Error::<T>::FeeOverflow)?
			),
			Error::<T>::InsufficientBalance
		);
		Ok(CheckedRequest {
			model,
			version: runnable.version,
			owner: runnable.owner,
			model_ref: ModelRef {
				content_id: runnable.content_id,
				byte_size: runnable.byte_size,
				chunk_size: runnable.chunk_size,
			},
			mode,
			fee: FeeQuote { price: runnable.price, protocol_fee, total, output_deposit: deposit },
			tolerance: runnable.tolerance,
			input: encoded,
			output_bound,
		})
	}

	/// What a request would cost, or the error it would fail with: the runtime API's quote.
	/// It never says which node would take the job: that is drawn in the block after the
	/// request, from randomness nobody knows yet.
	pub fn quote(
		requester: &T::AccountId,
		model: ModelId,
		version: Option<VersionNumber>,
		input: &Tensors,
		mode: InferenceMode,
	) -> Result<FeeQuote<BalanceOf<T>>, DispatchError> {
		let most = <BalanceOf<T> as Bounded>::max_value();
		Ok(Self::check_request(requester, model, version, input, mode, most)?.fee)
	}

	fn input_error(error: TensorError) -> Error<T> {
		match error {
			TensorError::Count => Error::<T>::InputTensorCount,
			TensorError::Name => Error::<T>::InputTensorName,
			TensorError::Shape => Error::<T>::InputShape,
			TensorError::ValueCount => Error::<T>::InputValueCount,
			TensorError::Kind => Error::<T>::InputKind,
			TensorError::Decimals => Error::<T>::InputDecimals,
			TensorError::Range => Error::<T>::InputRange,
		}
	}

	/// Refuses an output larger than `MaxOutputBytes` encoded.
	fn check_output_size(output: &Tensors) -> Result<(), Error<T>> {
		ensure!(
			output.encoded_size() <= T::MaxOutputBytes::get() as usize,
			Error::<T>::OutputTooLarge
		);
		Ok(())
	}

	/// Refuses an output that does not fit `record`'s model version's declared outputs, or is
	/// larger than the answer its request paid for.
	fn check_output(record: &JobOf<T>, output: &Tensors) -> Result<(), Error<T>> {
		ensure!(output.encoded_size() <= record.output_bound as usize, Error::<T>::OutputTooLarge);
		let schema = T::Models::model_version(record.model, record.version)
			.ok_or(Error::<T>::OutputMismatch)?
			.schema;
		check_tensors(output, &schema.outputs).map_err(|_| Error::<T>::OutputMismatch)
	}

	/// What a node signs to answer ZK `job` with `output` and `proof`: the count of the job's
	/// rejected proofs is part of it, so a rejected proof cannot be included again (by a block
	/// author, say) to have the node slashed twice.
	fn proof_statement(
		job: JobId,
		node: &T::AccountId,
		output: &Tensors,
		proof: &ProofBytes,
	) -> JobStatement<T::AccountId> {
		JobStatement::ZkResult {
			job,
			node: node.clone(),
			output: output_hash(output),
			proof: sp_core::H256(sp_io::hashing::blake2_256(proof)),
			attempt: InvalidProofs::<T>::get(job),
		}
	}

	/// `submit_proof`'s weight: the benchmarked verification and settlement or rejection (of
	/// the fixture's small tensors), plus what the output's and the largest input's values add to decoding,
	/// hashing and packing (the vanilla answer's cost per value), plus a node selection for
	/// the reassignment after the last bad proof.
	pub fn submit_proof_weight(output: &Tensors) -> Weight {
		let per_value = |units: u32| {
			T::WeightInfo::submit_result_vanilla(units)
				.saturating_sub(T::WeightInfo::submit_result_vanilla(0))
		};
		let largest_input = T::MaxInputBytes::get() / 17;
		// The larger of an accepted proof and the last rejected one (slash and reassignment).
		T::WeightInfo::submit_proof()
			.max(T::WeightInfo::submit_proof_rejected())
			.saturating_add(per_value(weight_units(output)))
			.saturating_add(per_value(largest_input))
			.saturating_add(T::Nodes::select_weight(1, 1))
			// A verified proof makes the job final at once.
			.saturating_add(T::OnFinal::weight())
	}

	/// Refuses a role-key failure report in attested mode, where the node commits to the
	/// failure instead, and in TEE mode, where the enclave must sign it.
	fn check_refusable(record: JobOf<T>) -> Result<JobOf<T>, Error<T>> {
		ensure!(
			!matches!(record.mode, InferenceMode::Attested | InferenceMode::Tee),
			Error::<T>::WrongMode
		);
		Ok(record)
	}

	/// What the enclave of a TEE job's node signs to report that the model cannot run on the
	/// job's input, `error` being the engine's message.
	pub fn tee_failure_message(job: JobId, record: &JobOf<T>, error: &EngineMessage) -> Vec<u8> {
		let statement = TeeFailureStatement {
			job,
			content_id: record.model_ref.content_id,
			input_hash: record.input_hash,
			error_hash: sp_core::H256(sp_io::hashing::blake2_256(error)),
		};
		statement
			.signing_message(&frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero()))
	}

	/// Checks an enclave-signed failure report: the TEE job waits for `node`, before its
	/// deadline, the node's TEE registration stands, and `signature` is its enclave key's over
	/// the job's [`TeeFailureStatement`]. Returns the job.
	fn check_enclave_failure(
		job: JobId,
		node: &T::AccountId,
		error: &EngineMessage,
		signature: &EnclaveSignature,
	) -> Result<JobOf<T>, Error<T>> {
		let record = Self::check_assignment(job, node)?;
		let record = Self::check_mode(record, AnswerKind::Enclave)?;
		let signer = T::Enclaves::enclave_signer(node).ok_or(Error::<T>::NotTeeCapable)?;
		let message = Self::tee_failure_message(job, &record, error);
		ensure!(
			sp_runtime::RuntimeAppPublic::verify(&signer.key, &message, signature),
			Error::<T>::BadSignature
		);
		Ok(record)
	}

	/// Refuses an answer of another kind than `mode` takes: a plain result answers vanilla
	/// jobs, a commitment attested jobs, a proof ZK jobs, an enclave-signed result TEE jobs.
	fn check_mode(record: JobOf<T>, mode: AnswerKind) -> Result<JobOf<T>, Error<T>> {
		ensure!(AnswerKind::of(record.mode) == mode, Error::<T>::WrongMode);
		Ok(record)
	}

	/// What the enclave of a TEE job's node signs to answer it with the output whose hash is
	/// `output`: this chain's genesis hash and the job's [`TeeResultStatement`].
	pub fn tee_signing_message(
		job: JobId,
		record: &JobOf<T>,
		output: opg_primitives::attestation::OutputHash,
	) -> Vec<u8> {
		let statement = TeeResultStatement {
			job,
			content_id: record.model_ref.content_id,
			input_hash: record.input_hash,
			output_hash: output,
		};
		statement
			.signing_message(&frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero()))
	}

	/// Checks an enclave-signed answer: the TEE job waits for `node`, before its deadline, the
	/// node's TEE registration stands, `signature` is its enclave key's over the job's
	/// [`TeeResultStatement`], and the output fits the schema. Returns the job and the signer.
	fn check_enclave_answer(
		job: JobId,
		node: &T::AccountId,
		output: &Tensors,
		signature: &EnclaveSignature,
	) -> Result<(JobOf<T>, opg_primitives::tee::EnclaveSigner), Error<T>> {
		let record = Self::check_assignment(job, node)?;
		let record = Self::check_mode(record, AnswerKind::Enclave)?;
		let signer = T::Enclaves::enclave_signer(node).ok_or(Error::<T>::NotTeeCapable)?;
		let message = Self::tee_signing_message(job, &record, output_hash(output));
		ensure!(
			sp_runtime::RuntimeAppPublic::verify(&signer.key, &message, signature),
			Error::<T>::BadSignature
		);
		Self::check_output(&record, output)?;
		Ok((record, signer))
	}

	/// What can be checked of a ZK answer short of verifying the proof: the output fits the
	/// schema, the proof has the right length, the version has a key. (A node out of tries is
	/// no longer assigned: `check_answer` refuses it.)
	fn check_proof_attempt(
		record: &JobOf<T>,
		output: &Tensors,
		proof: &ProofBytes,
	) -> Result<(), Error<T>> {
		Self::check_output(record, output)?;
		ensure!(proof.len() == opg_zk::verifier::PROOF_LEN, Error::<T>::MalformedProof);
		ensure!(T::Models::has_zk_key(record.model, record.version), Error::<T>::NoZkKey);
		Ok(())
	}

	/// What a node signs to answer `job` with the output whose hash is `output`.
	fn result_statement(
		job: JobId,
		node: &T::AccountId,
		output: opg_primitives::attestation::OutputHash,
	) -> JobStatement<T::AccountId> {
		JobStatement::Result { job, node: node.clone(), output }
	}

	/// Checks an answer (a result or a failure report): the job waits for `node`'s answer,
	/// before its deadline, and `signature` is `node`'s role key's over `statement`. Returns
	/// the job.
	fn check_answer(
		job: JobId,
		node: &T::AccountId,
		statement: &JobStatement<T::AccountId>,
		signature: &NodeKeySignature,
	) -> Result<JobOf<T>, Error<T>> {
		let record = Self::check_assignment(job, node)?;
		let key = T::Nodes::role_key(node).ok_or(Error::<T>::NotAssigned)?;
		let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
		ensure!(
			sp_runtime::RuntimeAppPublic::verify(
				&key,
				&job_signing_message(&genesis, &record.input_hash, statement),
				signature
			),
			Error::<T>::BadSignature
		);
		Ok(record)
	}

	/// Checks that `job` waits for `node`'s answer, before its deadline. Returns the job.
	fn check_assignment(job: JobId, node: &T::AccountId) -> Result<JobOf<T>, Error<T>> {
		let record = Jobs::<T>::get(job).ok_or(Error::<T>::NoSuchJob)?;
		let JobStatus::Assigned { node: assigned, deadline, .. } = &record.status else {
			return Err(Error::<T>::AlreadyAnswered);
		};
		ensure!(assigned == node, Error::<T>::NotAssigned);
		ensure!(frame_system::Pallet::<T>::block_number() < *deadline, Error::<T>::TooLate);
		Ok(record)
	}

	/// Pool validity of an answer: one per job, valid until the deadline.
	fn answer_validity(job: JobId) -> TransactionValidityWithRefund {
		let now = frame_system::Pallet::<T>::block_number();
		let left: u64 = match Jobs::<T>::get(job).map(|record| record.status) {
			Some(JobStatus::Assigned { deadline, .. }) => {
				deadline.saturating_sub(now).saturated_into()
			}
			_ => 1,
		};
		ValidTransaction::with_tag_prefix("OpgJobAnswer")
			.priority(TransactionPriority::MAX / 2)
			.and_provides(job)
			.longevity(left.max(1))
			.propagate(true)
			.build()
			.map(|validity| (validity, Weight::zero()))
	}

	/// A pallet error as a transaction-validity error: `Custom(index)` where `index` is the
	/// error's index in this pallet's `Error` enum.
	fn invalid(error: Error<T>) -> TransactionValidityError {
		let index = error.encode().first().copied().unwrap_or(u8::MAX);
		match error {
			Error::<T>::BadSignature => InvalidTransaction::BadProof.into(),
			Error::<T>::TooLate => InvalidTransaction::Stale.into(),
			_ => InvalidTransaction::Custom(index).into(),
		}
	}

	/// A job with its input and output decoded, for the runtime API.
	pub fn job_view(job: JobId) -> Option<JobViewOf<T>> {
		let record = Jobs::<T>::get(job)?;
		let input = Self::input_of(job)?;
		Some(JobView { job: record, input, output: Self::output_of(job) })
	}

	/// A job's input tensors.
	pub fn input_of(job: JobId) -> Option<Tensors> {
		Inputs::<T>::get(job).and_then(|bytes| Tensors::decode(&mut &bytes[..]).ok())
	}

	/// A job's output tensors, once its node answered.
	pub fn output_of(job: JobId) -> Option<Tensors> {
		Outputs::<T>::get(job).and_then(|bytes| Tensors::decode(&mut &bytes[..]).ok())
	}

	/// The node whose answer `job` waits for, if it waits.
	pub fn assignee(job: JobId) -> Option<T::AccountId> {
		match Jobs::<T>::get(job)?.status {
			JobStatus::Assigned { node, .. } => Some(node),
			_ => None,
		}
	}

	/// Checks the pallet's invariants: every open job's fee is held from its requester and
	/// nothing else is; every unpruned job's output deposit is held, and no stored output is
	/// larger than its job paid for; every queued job is in the assignment queue exactly once, due by its
	/// last try; every waiting job has an assignee, an assignment index entry and
	/// a deadline in the timeout queue; open-job counts match; bad-proof counts exist only for
	/// waiting jobs, below the limit.
	#[cfg(any(feature = "try-runtime", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::BTreeMap;
		opg_primitives::check_storage_version::<Self>()?;
		let mut held: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let mut deposits: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let mut open: BTreeMap<ModelId, u32> = BTreeMap::new();
		let mut waiting = 0usize;
		let mut timeouts: BTreeMap<JobId, BlockNumberFor<T>> = BTreeMap::new();
		let (head, tail) = QueueEnds::<T>::get(QueueKind::Timeouts);
		for index in head..tail {
			let (job, at) =
				Queue::<T>::get(QueueKind::Timeouts, index).ok_or("a queue entry is missing")?;
			timeouts.insert(job, at);
		}
		let mut queued: BTreeMap<JobId, (u32, BlockNumberFor<T>)> = BTreeMap::new();
		let (head, tail) = QueueEnds::<T>::get(QueueKind::Assignments);
		for index in head..tail {
			let (job, at) = Queue::<T>::get(QueueKind::Assignments, index)
				.ok_or("an assignment queue entry is missing")?;
			let entry = queued.entry(job).or_insert((0, at));
			entry.0 = entry.0.saturating_add(1);
		}
		for (job, record) in Jobs::<T>::iter() {
			ensure!(Inputs::<T>::contains_key(job), "a job has no input");
			let deposit = deposits.entry(record.requester.clone()).or_default();
			*deposit = deposit.saturating_add(record.fee.output_deposit);
			ensure!(
				Outputs::<T>::get(job)
					.is_none_or(|output| output.len() <= record.output_bound as usize),
				"a stored output is larger than its job paid for"
			);
			if record.status.is_over() {
				continue;
			}
			let entry = held.entry(record.requester.clone()).or_default();
			*entry = entry.saturating_add(record.fee.total);
			let count = open.entry(record.model).or_default();
			*count = count.saturating_add(1);
			if let JobStatus::Queued { until } = &record.status {
				let (entries, at) = queued.get(&job).copied().unwrap_or_default();
				ensure!(entries == 1, "a queued job is not in the assignment queue exactly once");
				ensure!(at <= *until, "a queued job is queued past its last try");
				ensure!(record.output.is_none(), "a queued job has an output");
			} else if let JobStatus::Assigned { node, deadline, .. } = &record.status {
				waiting = waiting.saturating_add(1);
				ensure!(Assignments::<T>::contains_key(node, job), "an assignment is not indexed");
				ensure!(
					timeouts.get(&job) == Some(deadline),
					"a waiting job's deadline is not queued"
				);
			} else if record.mode == InferenceMode::Attested {
				// Committed to, not revealed: its output is public only once its round decides.
				ensure!(
					record.output.is_none() && !Outputs::<T>::contains_key(job),
					"an attested job's output is public before its round decided"
				);
			} else {
				ensure!(
					record.output.is_some() && Outputs::<T>::contains_key(job),
					"an answered job has no output"
				);
			}
		}
		ensure!(
			Assignments::<T>::iter().count() == waiting,
			"an assignment is indexed for no waiting job"
		);
		ensure!(
			Refusals::<T>::iter().all(|(job, refuser)| {
				Jobs::<T>::get(job).is_some_and(|record| match record.status {
					JobStatus::Assigned { node, reassigned, .. } => reassigned && node != refuser,
					JobStatus::Accepted { node } | JobStatus::Verifying { node } => node != refuser,
					_ => false,
				})
			}),
			"a refusal is kept for a job that is over, or names its own node"
		);
		ensure!(
			InvalidProofs::<T>::iter().all(|(job, count)| {
				count > 0
					&& count < MAX_INVALID_PROOFS
					&& Jobs::<T>::get(job)
						.is_some_and(|r| matches!(r.status, JobStatus::Assigned { .. }))
			}),
			"bad-proof counts kept for a job that waits for no answer"
		);
		for (who, amount) in &held {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::JobFee.into(), who) == *amount,
				"held fees differ from the open jobs' fees"
			);
		}
		for (who, amount) in &deposits {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::OutputDeposit.into(), who) == *amount,
				"held output deposits differ from the unpruned jobs' deposits"
			);
		}
		ensure!(
			OpenJobs::<T>::iter().all(|(model, count)| open.get(&model) == Some(&count))
				&& open.iter().all(|(model, count)| OpenJobs::<T>::get(model) == *count),
			"open-job counts differ from the open jobs"
		);
		Ok(())
	}
}

impl<T: Config> ModelUsage for Pallet<T> {
	fn in_use(model: ModelId) -> bool {
		OpenJobs::<T>::get(model) > 0
	}
}
