//! The vocabulary of bonded nodes and attestations.
//!
//! The attestations pallet keeps the node registry (roles, role keys, bonds, liveness) and
//! decides contested results; the inference pallet (and later the TEE mode) asks it for nodes
//! and rounds through the traits here, and hears outcomes back through [`OnConclusion`], so
//! neither pallet imports the other. A subject is anything whose output can be attested: a job,
//! named by a 32-byte [`SubjectId`], with a claimed [`OutputHash`].

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
	/// A round reached its quorum on `decided`. The claim stands if and only if
	/// `decided == claimed`; otherwise the claimant was slashed.
	Decided {
		/// Why the round was held.
		kind: RoundKind,
		/// The node whose claim was checked.
		claimant: AccountId,
		/// The output it claimed.
		claimed: OutputHash,
		/// The output the quorum revealed.
		decided: OutputHash,
		/// The committee members who revealed `decided`, in committee order.
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
		/// The output it claimed.
		claimed: OutputHash,
	},
}

impl<AccountId> Conclusion<AccountId> {
	/// The output that stands, if any: the claim when it was unchallenged or upheld.
	pub fn accepted_output(&self) -> Option<OutputHash> {
		match self {
			Conclusion::Unchallenged { output, .. } => Some(*output),
			Conclusion::Decided { claimed, decided, .. } if claimed == decided => Some(*decided),
			_ => None,
		}
	}
}

/// Hears how subjects end. The inference pallet implements it to settle jobs.
pub trait OnConclusion<AccountId> {
	/// `subject` ended as `conclusion`. Called once per claim or round, from the block that
	/// ends it; it must not fail.
	fn on_conclusion(subject: SubjectId, conclusion: &Conclusion<AccountId>);

	/// The most weight one call of [`Self::on_conclusion`] takes.
	fn weight() -> Weight;
}

impl<AccountId> OnConclusion<AccountId> for () {
	fn on_conclusion(_: SubjectId, _: &Conclusion<AccountId>) {}

	fn weight() -> Weight {
		Weight::zero()
	}
}

/// Re-executes subjects for this node's verifiers, in the offchain worker. The inference pallet
/// implements it; the attestations pallet's offchain worker calls it for each round in which a
/// local role key's node sits on the committee, and commits to and reveals what it returns.
pub trait Reexecute {
	/// What this verifier stands behind for `subject`, whose claimed output is `claimed`: the
	/// claimed hash when its own execution agrees with the claim within the subject's tolerance,
	/// else the hash of its own output. `None` when it cannot execute now (it then does not
	/// commit, and is slashed as a non-revealer if it never does).
	fn reexecute(subject: SubjectId, claimed: OutputHash) -> Option<OutputHash>;
}

/// Nothing to re-execute: verifiers abstain.
impl Reexecute for () {
	fn reexecute(_: SubjectId, _: OutputHash) -> Option<OutputHash> {
		None
	}
}

/// The node registry, as another pallet sees it.
pub trait NodeRegistry<AccountId, Balance> {
	/// Whether `who` may be given work of `role` now: registered for it, active, not chilled,
	/// bonded at least the role's minimum and heard from recently.
	fn is_eligible(who: &AccountId, role: NodeRole) -> bool;

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

	/// The most weight [`Self::select`] takes for `count` nodes (among the most nodes the
	/// registry takes): what a caller declares before it selects.
	fn select_weight(count: u32) -> Weight;

	/// The weight [`Self::select`] takes for `count` nodes of `role` among the pool as it is now:
	/// what a caller refunds down to once it selected.
	fn select_weight_now(role: NodeRole, count: u32) -> Weight;

	/// The endpoints of up to `limit` active data nodes, where other nodes fetch model bytes
	/// (offchain workers only: it reads the data pool).
	fn data_endpoints(limit: u32) -> alloc::vec::Vec<alloc::vec::Vec<u8>>;

	/// `who` took work that must end before it may leave.
	fn begin_work(who: &AccountId) -> DispatchResult;

	/// Work that `who` began ended: `succeeded` counts for or against its reputation.
	fn end_work(who: &AccountId, succeeded: bool);

	/// The enclave key `who` signs TEE-mode results with, while its TEE registration stands
	/// (registered with a verified quote, its measurement still allowed).
	fn enclave_signer(who: &AccountId) -> Option<crate::tee::EnclaveSigner>;

	/// Slashes `fraction` of `who`'s bond for a fault the consumer proved (a bad ZK proof, a
	/// missed deadline): `reward_share` of it to `beneficiary` when given, the rest to the
	/// treasury. Returns the amount slashed.
	fn slash(who: &AccountId, fraction: Perbill, beneficiary: Option<&AccountId>) -> Balance;
}

/// Claims and rounds, as another pallet opens them.
pub trait Attestations<AccountId> {
	/// Opens a verification round on `claimant`'s claim that `subject`'s output is `claimed`. A
	/// committee of verifiers (never the claimant) is drawn at the start of the next block, from
	/// a block hash that does not exist yet when the round opens, so whoever opens a round
	/// cannot choose its committee by choosing when; it commits and reveals, and the outcome
	/// comes back through [`OnConclusion`] (undecided, at once, if too few verifiers are
	/// eligible).
	fn open_round(subject: SubjectId, claimant: &AccountId, claimed: OutputHash) -> DispatchResult;

	/// Records `claimant`'s claim that `subject`'s output is `claimed`, open to challenge for the
	/// configured window. It concludes [`Conclusion::Unchallenged`] at the window's end, or
	/// through a dispute round when a verifier challenges it.
	fn open_claim(subject: SubjectId, claimant: &AccountId, claimed: OutputHash) -> DispatchResult;

	/// The most weight [`Self::open_round`] takes.
	fn open_round_weight() -> Weight;

	/// The most weight [`Self::open_claim`] takes.
	fn open_claim_weight() -> Weight;
}
