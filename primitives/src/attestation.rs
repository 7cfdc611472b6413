//! The vocabulary of bonded nodes and attestations.
//!
//! pallet-nodes keeps the node registry (roles, role keys, bonds, liveness, selection) and
//! implements [`NodeRegistry`], [`SlashBond`] and [`TeeRoles`]; pallet-attestations decides
//! contested results and implements [`Attestations`]; pallet-inference asks both for nodes and
//! rounds and hears outcomes back through [`OnConclusion`]. No pallet imports another: the
//! runtime wires them through the traits here. A subject is anything whose output can be
//! attested: a job, named by a 32-byte [`SubjectId`], with a claimed [`OutputHash`].

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::weights::Weight;
use scale_info::TypeInfo;
use sp_runtime::{DispatchError, DispatchResult, KeyTypeId, Perbill};

use crate::Hash;

/// The keystore type of a node's role key: `opgn`. An operator inserts it with
/// `opg-node key insert --key-type opgn --scheme sr25519`, and the node's offchain worker signs
/// heartbeats, commitments and reveals with it. The account's own key, which holds the bond,
/// stays out of the node.
pub const NODE_KEY_TYPE: KeyTypeId = KeyTypeId(*b"opgn");

/// The role key's application crypto: sr25519 under [`NODE_KEY_TYPE`].
pub mod node_key {
	use sp_application_crypto::{app_crypto, sr25519};
	app_crypto!(sr25519, super::NODE_KEY_TYPE);
}

/// A node's role key (public part).
pub type NodeKey = node_key::Public;
/// A signature by a node's role key.
pub type NodeKeySignature = node_key::Signature;

/// What is attested: a job or anything else with one claimed output.
pub type SubjectId = Hash;
/// The hash of an output, the thing verifiers agree on. A consumer that tolerates numeric
/// differences hashes a canonical (rounded) form of the output.
pub type OutputHash = Hash;

/// A job a node can do for the chain. Each role needs its own minimum bond.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	serde::Serialize,
	serde::Deserialize,
)]
pub enum NodeRole {
	/// Runs inference jobs with ONNX Runtime.
	Inference,
	/// Re-executes jobs in verification and dispute rounds.
	Verifier,
	/// Serves model bytes over HTTP to nodes that lack them.
	Data,
	/// Runs TEE-mode inference jobs inside an attested enclave. Never declared: an inference
	/// node gains it by registering a verified quote (or the dev chain's insecure enclave) and
	/// loses it when governance revokes its measurement. It needs no bond of its own.
	Tee,
}

impl NodeRole {
	/// Every role, in a fixed order.
	pub const ALL: [NodeRole; 4] =
		[NodeRole::Inference, NodeRole::Verifier, NodeRole::Data, NodeRole::Tee];

	/// The roles an account declares for itself when it registers or changes roles.
	pub const DECLARED: [NodeRole; 3] = [NodeRole::Inference, NodeRole::Verifier, NodeRole::Data];

	const fn bit(self) -> u8 {
		match self {
			NodeRole::Inference => 1,
			NodeRole::Verifier => 2,
			NodeRole::Data => 4,
			NodeRole::Tee => 8,
		}
	}
}

/// A set of [`NodeRole`]s, one bit each. Unknown bits fail to decode, so every stored set is
/// valid.
#[derive(
	Clone,
	Copy,
	Default,
	PartialEq,
	Eq,
	Encode,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	serde::Serialize,
	serde::Deserialize,
)]
pub struct RoleSet(u8);

impl Decode for RoleSet {
	fn decode<I: codec::Input>(input: &mut I) -> Result<Self, codec::Error> {
		let bits = u8::decode(input)?;
		if bits & !Self::VALID_BITS != 0 {
			return Err("RoleSet has unknown role bits".into());
		}
		Ok(RoleSet(bits))
	}
}

impl DecodeWithMemTracking for RoleSet {}

impl RoleSet {
	const VALID_BITS: u8 = 0b1111;

	/// The empty set.
	pub const fn empty() -> Self {
		RoleSet(0)
	}

	/// A set of the given roles.
	pub fn from_roles(roles: &[NodeRole]) -> Self {
		RoleSet(roles.iter().fold(0, |bits, role| bits | role.bit()))
	}

	/// Whether `role` is in the set.
	pub const fn contains(self, role: NodeRole) -> bool {
		self.0 & role.bit() != 0
	}

	/// Whether the set has no role.
	pub const fn is_empty(self) -> bool {
		self.0 == 0
	}

	/// The roles in the set, in [`NodeRole::ALL`]'s order.
	pub fn iter(self) -> impl Iterator<Item = NodeRole> {
		NodeRole::ALL.into_iter().filter(move |role| self.contains(*role))
	}

	/// The set with `role` added.
	pub const fn with(self, role: NodeRole) -> Self {
		RoleSet(self.0 | role.bit())
	}

	/// The set with `role` taken out.
	pub const fn without(self, role: NodeRole) -> Self {
		RoleSet(self.0 & !role.bit())
	}
}

impl From<NodeRole> for RoleSet {
	fn from(role: NodeRole) -> Self {
		RoleSet(role.bit())
	}
}

/// Why a round was held.
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
pub enum RoundKind {
	/// A committee re-executes every claim of this subject (attested mode).
	Verification,
	/// A verifier challenged a claim within its window (vanilla mode).
	Dispute,
}

/// How an attested subject ended, as the attestations pallet reports it to its consumer.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub enum Conclusion<AccountId> {
	/// A claim's challenge window closed with no challenge: the claimed output stands.
	Unchallenged {
		/// The node that claimed it.
		claimant: AccountId,
		/// The output it claimed.
		output: OutputHash,
	},
	/// A round reached its quorum: at least `quorum` of the committee revealed outputs that
	/// agree (within the consumer's tolerance, [`SubjectOutputs::agrees`]) with the output whose
	/// hash is `decided`. The claim stands if and only if `claim_upheld`: the claimant revealed
	/// an output that agrees with it too (in a dispute, the claimed output did); otherwise the
	/// claimant was slashed.
	Decided {
		/// Why the round was held.
		kind: RoundKind,
		/// The node whose claim was checked.
		claimant: AccountId,
		/// The claim: the node's commitment in a verification round, the claimed output's hash
		/// in a dispute.
		claim: Hash,
		/// Whether the claimant's output agrees with the decided one.
		claim_upheld: bool,
		/// The hash of the decided output (the committee's reference output).
		decided: OutputHash,
		/// The claimant's output as it revealed it (encoded, empty for "the model cannot run"),
		/// when the claim is upheld: what the consumer publishes as the result.
		output: Option<alloc::vec::Vec<u8>>,
		/// The committee members whose outputs agree with `decided`, in committee order.
		majority: alloc::vec::Vec<AccountId>,
	},
	/// No output reached the quorum (too few reveals, or a split committee). Nobody but the
	/// non-revealers was slashed; the consumer decides what an undecided subject means (the
	/// inference pallet refunds the payer).
	Undecided {
		/// Why the round was held.
		kind: RoundKind,
		/// The node whose claim was checked.
		claimant: AccountId,
		/// The claim (see [`Conclusion::Decided`]).
		claim: Hash,
	},
}

impl<AccountId> Conclusion<AccountId> {
	/// Whether the claim stands: it was unchallenged, or a round upheld it.
	pub fn upheld(&self) -> bool {
		match self {
			Conclusion::Unchallenged { .. } => true,
			Conclusion::Decided { claim_upheld, .. } => *claim_upheld,
			Conclusion::Undecided { .. } => false,
		}
	}
}

/// Why a bond was slashed.
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
pub enum SlashReason {
	/// It revealed an output the quorum did not.
	MinorityReveal,
	/// It was on a committee and did not reveal.
	NoReveal,
	/// A round overturned its claim.
	FalseClaim,
	/// Its challenge failed: the round upheld the claim.
	FailedChallenge,
	/// The consumer proved a fault (a bad proof, a missed deadline).
	Fault,
	/// It refused a job (reported that the model cannot run) that another node then answered.
	Refusal,
	/// Its appeal of a dispute's verdict failed: the appeal committee confirmed the verdict.
	FailedAppeal,
}

/// A heartbeat: `node` is alive in the heartbeat period that starts at block `period_start`.
/// A block number, not a period index, so a heartbeat signed for one period can never be valid
/// for another, even after governance changes the period's length.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Heartbeat<AccountId, BlockNumber> {
	/// The node's account.
	pub node: AccountId,
	/// The first block of the period.
	pub period_start: BlockNumber,
}

/// What a role key signs: the payload, after a domain tag and the genesis hash, so a
/// signature is good for one purpose on one chain. Commitments and reveals name the round by
/// the block it opened in, so a signature for one round of a subject is void in any later one.
/// One enum for every pallet a role key signs for (pallet-nodes: key ownership, heartbeats;
/// pallet-attestations: commitments, reveals; pallet-zk-ceremony: drawn contributions and
/// attestations), so no signature for one can pass as another.
#[derive(Encode)]
pub enum SignedStatement<'a, AccountId, BlockNumber> {
	/// A heartbeat.
	Heartbeat(&'a Heartbeat<AccountId, BlockNumber>),
	/// A commitment to an output in `subject`'s round opened at block `round` on the claim
	/// `claim` about the subject whose context (a job's input hash) is `context`: the claim and
	/// the context are signed too, so after a reorg a commitment made for one request can never
	/// land in the round of another that took the same subject id.
	Commit {
		/// The subject of the round.
		subject: &'a SubjectId,
		/// The block the round opened in.
		round: &'a BlockNumber,
		/// The claim the round checks (the node's commitment, or the claimed output's hash).
		claim: &'a Hash,
		/// What the subject is about (a job's input hash).
		context: &'a Hash,
		/// The committee member committing.
		member: &'a AccountId,
		/// What it commits to.
		commitment: &'a sp_core::H256,
	},
	/// The reveal of the output whose blake2-256 hash is `output` in `subject`'s round opened
	/// at block `round` on the claim `claim` (see [`SignedStatement::Commit`]).
	Reveal {
		/// The subject of the round.
		subject: &'a SubjectId,
		/// The block the round opened in.
		round: &'a BlockNumber,
		/// The claim the round checks.
		claim: &'a Hash,
		/// What the subject is about.
		context: &'a Hash,
		/// The committee member (or claimant) revealing.
		member: &'a AccountId,
		/// The hash of the output it revealed.
		output: &'a OutputHash,
		/// The salt of its commitment.
		salt: &'a [u8; 32],
	},
	/// `account` registers (or rotates to) this role key: proof that it holds the key, so no one
	/// can claim another operator's key.
	KeyOwnership {
		/// The account the key will act for.
		account: &'a AccountId,
	},
	/// A drawn node's contribution to the key ceremony of `model`'s `version` (pallet-zk-ceremony):
	/// the `index`th, on the head `head`, with the encoded `contribution` and the content id of
	/// the key state it made. The proof of knowledge inside binds the author, index and head
	/// too; the signature binds the state, so nobody can send the contribution with other chunks.
	CeremonyContribution {
		/// The model.
		model: &'a u32,
		/// The version.
		version: &'a u32,
		/// The contribution's index in the transcript.
		index: &'a u32,
		/// The head it builds on.
		head: &'a sp_core::H256,
		/// The contribution (`delta` and the proof of knowledge), encoded.
		contribution: &'a [u8],
		/// The content id of the key state it made.
		state: &'a sp_core::H256,
	},
	/// A drawn attester's answer on the final key of `model`'s `version`: whether the registered
	/// verifying key hashing to `vk_hash` is the model's and the key state `head` follows from it.
	CeremonyAttestation {
		/// The model.
		model: &'a u32,
		/// The version.
		version: &'a u32,
		/// The registered initial verifying key's hash.
		vk_hash: &'a sp_core::H256,
		/// The final key state's content id.
		head: &'a sp_core::H256,
		/// Whether it approves.
		approve: &'a bool,
	},
}

/// The domain tag that starts every message a role key signs.
pub const SIGNING_DOMAIN: &[u8; 11] = b"opg:attest:";

/// The bytes a role key signs for `statement` on the chain with genesis hash `genesis`.
pub fn signing_message<Hash: Encode, AccountId: Encode, BlockNumber: Encode>(
	genesis: &Hash,
	statement: &SignedStatement<'_, AccountId, BlockNumber>,
) -> alloc::vec::Vec<u8> {
	(SIGNING_DOMAIN, genesis, statement).encode()
}

/// Hears how subjects end. The inference pallet implements it to settle jobs.
pub trait OnConclusion<AccountId> {
	/// `subject` ended as `conclusion`. Called once per claim or round, from the block that
	/// ends it; it must not fail. Returns the weight it took: at most [`Self::weight`], and for
	/// a claim that stood at most [`Self::unchallenged_weight`]. A caller that ends many
	/// subjects in a budget charges this and keeps room for the bound, so the common cheap
	/// conclusion is not charged as the rare dear one.
	fn on_conclusion(subject: SubjectId, conclusion: &Conclusion<AccountId>) -> Weight;

	/// The most weight one call of [`Self::on_conclusion`] takes.
	fn weight() -> Weight;

	/// The most weight one call of [`Self::on_conclusion`] takes for a claim that stood
	/// ([`Conclusion::Unchallenged`]): the room the deadline hook keeps for each standing
	/// claim, the commonest conclusion, so it is worth bounding apart.
	fn unchallenged_weight() -> Weight {
		Self::weight()
	}
}

impl<AccountId> OnConclusion<AccountId> for () {
	fn on_conclusion(_: SubjectId, _: &Conclusion<AccountId>) -> Weight {
		Weight::zero()
	}

	fn weight() -> Weight {
		Weight::zero()
	}
}

/// The commitment a participant of a round (a committee member, or the claimant of a
/// verification round) makes to the output whose blake2-256 hash is `output`: a blake2-256 over
/// a domain tag, the subject, its context (a job's input hash), the participant's account, the
/// output's hash and a secret salt. Nobody can tell the output from it, copy it for another
/// account, or carry it to another request.
pub fn commitment_of<AccountId: Encode>(
	subject: &SubjectId,
	context: &Hash,
	member: &AccountId,
	output: &OutputHash,
	salt: &[u8; 32],
) -> sp_core::H256 {
	sp_core::H256(sp_io::hashing::blake2_256(
		&(b"opg:commit", subject, context, member, output, salt).encode(),
	))
}

/// The hash of a revealed output's bytes: what commitments, reveals and conclusions name it by.
pub fn revealed_hash(output: &[u8]) -> OutputHash {
	sp_core::H256(sp_io::hashing::blake2_256(output))
}

/// The key under which a participant's offchain worker keeps what it committed to for a round
/// (a [`DutyRecord`]) in the node's persistent local storage, between the commitment and the
/// reveal. The claim and the context are part of it, so after a reorg a duty for another
/// request never reuses this one's output. The runtime clears it (through offchain indexing)
/// when the round ends.
pub fn duty_storage_key<AccountId: Encode>(
	subject: &SubjectId,
	claim: &Hash,
	context: &Hash,
	member: &AccountId,
) -> alloc::vec::Vec<u8> {
	(b"opg/attestations/duty/", subject, claim, context, member).encode()
}

/// What a participant's offchain worker keeps under [`duty_storage_key`].
#[derive(Clone, PartialEq, Eq, Encode, Decode, Debug)]
pub struct DutyRecord {
	/// The output it committed to, encoded (empty: the model cannot run on the input).
	pub output: alloc::vec::Vec<u8>,
	/// The commitment's salt.
	pub salt: [u8; 32],
	/// The last transaction sent: 0 a commitment, 1 a reveal.
	pub phase: u8,
	/// The block it was sent in.
	pub sent_at: u32,
}

/// The outputs of subjects, as the consumer that knows them (the inference pallet) judges
/// them for the attestations pallet. Outputs are opaque bytes to the attestations pallet: an
/// encoded tensor set, or empty for "the model cannot run on this input".
pub trait SubjectOutputs {
	/// This node's own output for `subject`, computed from the subject's input alone (offchain
	/// workers only). `Some(empty)`: the model cannot run on the input. `None` when it cannot
	/// execute now (it then does not commit, and is slashed as a non-revealer if it never does).
	fn reexecute(subject: SubjectId) -> Option<alloc::vec::Vec<u8>>;

	/// Whether `output` is a well-formed output for `subject` (it fits the declared outputs), or
	/// empty. A reveal of anything else is refused.
	fn is_valid(subject: SubjectId, output: &[u8]) -> bool;

	/// Whether `output` agrees with `reference` within `subject`'s tolerance. Both are valid.
	fn agrees(subject: SubjectId, output: &[u8], reference: &[u8]) -> bool;

	/// The output `subject`'s claimant published with its claim (vanilla mode), encoded.
	fn claimed_output(subject: SubjectId) -> Option<alloc::vec::Vec<u8>>;

	/// The most weight one [`Self::is_valid`] or [`Self::agrees`] takes (of the largest
	/// outputs).
	fn judge_weight() -> Weight;
}

/// No outputs: nothing re-executes, every valid output is empty, outputs agree when equal.
impl SubjectOutputs for () {
	fn reexecute(_: SubjectId) -> Option<alloc::vec::Vec<u8>> {
		None
	}

	fn is_valid(_: SubjectId, _: &[u8]) -> bool {
		true
	}

	fn agrees(_: SubjectId, output: &[u8], reference: &[u8]) -> bool {
		output == reference
	}

	fn claimed_output(_: SubjectId) -> Option<alloc::vec::Vec<u8>> {
		None
	}

	fn judge_weight() -> Weight {
		Weight::zero()
	}
}

/// The node registry, as another pallet sees it (pallet-nodes implements it).
pub trait NodeRegistry<AccountId, Balance> {
	/// Whether `who` may be given work of `role` now: registered for it, active, not chilled,
	/// bonded at least the role's minimum and heard from recently.
	fn is_eligible(who: &AccountId, role: NodeRole) -> bool;

	/// `who`'s roles and whether it is leaving; `None` for an account that is no node.
	fn standing(who: &AccountId) -> Option<NodeStanding>;

	/// The role key of `who`, which signs what its node submits.
	fn role_key(who: &AccountId) -> Option<NodeKey>;

	/// The node whose role key is `key`.
	fn node_of_key(key: &NodeKey) -> Option<AccountId>;

	/// A stake-weighted choice of `count` distinct eligible nodes of `role` for `subject`,
	/// none of them in `exclude`, from on-chain randomness: every node computes the same
	/// choice from the same state. Fails with the registry's `NotEnoughNodes` error when fewer
	/// than `count` can be found.
	fn select(
		role: NodeRole,
		subject: SubjectId,
		count: u32,
		exclude: &[AccountId],
	) -> Result<alloc::vec::Vec<AccountId>, DispatchError>;

	/// The most weight [`Self::select`] takes for `count` nodes with `excluded` nodes
	/// excluded, among the most nodes the registry takes: the draws it may skip past (stale or
	/// under-bonded nodes) and the exclusions included. What a caller declares before it
	/// selects.
	fn select_weight(count: u32, excluded: u32) -> Weight;

	/// One stake-weighted draw of an eligible node of `role` for each of `subjects`, from one
	/// read of the pool: a node may be drawn for several subjects; `None` for a subject whose
	/// draws found no eligible node. Cheaper per subject than [`Self::select`] when a block
	/// assigns many jobs at once, since the draws share the pool's tree. Fails with the
	/// registry's error when the block has no randomness.
	fn select_each(
		role: NodeRole,
		subjects: &[SubjectId],
	) -> Result<alloc::vec::Vec<Option<AccountId>>, DispatchError>;

	/// The weight [`Self::select_each`] takes for `count` subjects among the pool of `role` as
	/// it is now.
	fn select_each_weight(role: NodeRole, count: u32) -> Weight;

	/// How many nodes are in `role`'s pool (bonded, active, not chilled; some may be stale):
	/// zero means no job of that role can be assigned.
	fn pool_size(role: NodeRole) -> u32;

	/// The weight [`Self::select`] takes for `count` nodes of `role` among the pool as it is now:
	/// what a caller refunds down to once it selected.
	fn select_weight_now(role: NodeRole, count: u32) -> Weight;

	/// The endpoints of up to `limit` active data nodes, where other nodes fetch model bytes
	/// (offchain workers only: it reads the data pool).
	fn data_endpoints(limit: u32) -> alloc::vec::Vec<alloc::vec::Vec<u8>>;

	/// `who` took work that must end before it may leave. Fails with the registry's error when
	/// `who` is no node or is leaving.
	fn begin_work(who: &AccountId) -> DispatchResult;

	/// Work that `who` began ended: `Some(succeeded)` counts for or against its reputation,
	/// `None` (an undecided round) counts neither way.
	fn end_work(who: &AccountId, outcome: Option<bool>);

	/// Slashes `fraction` of `who`'s bond (active first, then the newest unbonding chunks) for
	/// a fault the consumer proved (a bad ZK proof, a missed deadline); it goes to the
	/// treasury. Returns the amount slashed.
	fn slash(who: &AccountId, fraction: Perbill) -> Balance;
}

/// Where a node stands, as [`NodeRegistry::standing`] tells another pallet.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct NodeStanding {
	/// The roles it declared, and `Tee` when its enclave is registered.
	pub roles: RoleSet,
	/// Whether it is leaving: its whole bond is unbonding, so it backs no new work.
	pub leaving: bool,
}

/// Slashing a bond for a pallet that pays the slashed funds out itself (pallet-attestations pays
/// the winners of a round from them). pallet-nodes implements it.
pub trait SlashBond<AccountId, Credit> {
	/// Slashes `fraction` of everything `who` holds as a bond, records it in `who`'s
	/// reputation and events (with `reason`), and returns the slashed funds.
	fn slash_bond(who: &AccountId, fraction: Perbill, reason: SlashReason) -> Credit;
}

/// Why a node may not hold the TEE role.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TeeIneligible {
	/// It is not a registered node.
	NotRegistered,
	/// It is leaving.
	Leaving,
	/// It is not an inference node.
	NotAnInferenceNode,
}

/// The TEE role, as the pallet that verifies enclaves grants it: pallet-nodes implements it and
/// decides who may hold the role; pallet-tee decides whose enclave is trusted.
pub trait TeeRoles<AccountId> {
	/// Whether `who` may hold the TEE role: a registered inference node that is not leaving.
	fn check_tee_candidate(who: &AccountId) -> Result<(), TeeIneligible>;

	/// Gives `who` the TEE role (and with it the TEE selection pool). Does nothing for an
	/// account that is no node.
	fn grant_tee_role(who: &AccountId);

	/// Takes the TEE role from `who`, if it holds it.
	fn revoke_tee_role(who: &AccountId);
}

/// Claims and rounds, as another pallet opens them.
pub trait Attestations<AccountId> {
	/// Opens a verification round on `claimant`'s claim about `subject`, whose context (a job's
	/// input hash) is `context`: `commitment` is the claimant's [`commitment_of`] its output,
	/// which nobody can read. A committee of verifiers (never the claimant) is drawn at the start
	/// of the next block from randomness nobody knows when the round opens; the members
	/// re-execute the subject from its input alone and commit; then members and claimant reveal
	/// their full outputs, the runtime groups them by [`SubjectOutputs::agrees`], and the outcome
	/// comes back through [`OnConclusion`] (undecided, at once, if too few verifiers are
	/// eligible).
	fn open_round(
		subject: SubjectId,
		claimant: &AccountId,
		commitment: Hash,
		context: Hash,
	) -> DispatchResult;

	/// Records `claimant`'s public claim that `subject`'s output is the one hashing to
	/// `claimed` ([`revealed_hash`] of the bytes [`SubjectOutputs::claimed_output`] returns), open
	/// to challenge for the configured window. It concludes [`Conclusion::Unchallenged`] at the
	/// window's end, or through a dispute round when someone challenges it.
	fn open_claim(
		subject: SubjectId,
		claimant: &AccountId,
		claimed: OutputHash,
		context: Hash,
	) -> DispatchResult;

	/// Whether claims are taken now: false while standing claims back up in the pallet's
	/// deadline hook (it ends them later than it should), so that a consumer refuses the work
	/// that would make one (a request) up front, with nothing held, rather than pile more
	/// claims, and the fees they hold, behind them. [`Self::open_claim`] itself still takes
	/// a claim whose work was requested before.
	fn accepting_claims() -> bool;

	/// The most weight [`Self::open_round`] takes.
	fn open_round_weight() -> Weight;

	/// The most weight [`Self::open_claim`] takes.
	fn open_claim_weight() -> Weight;
}
