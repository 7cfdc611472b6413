//! How other pallets see the model catalogue: read access to runnable models, and a veto over
//! removing a model that still has work in flight. The registry implements [`ModelCatalog`]; the
//! inference pallet implements [`ModelUsage`]; the runtime wires them together, so neither
//! pallet imports the other.

use crate::inference::Tolerance;

use super::{
	content::ContentId,
	record::{ModelId, VersionNumber},
	schema::{IoSchema, ModeSet},
};
use codec::{Decode, Encode};
use scale_info::TypeInfo;

/// What the inference and attestation pallets need to know about a model to run it.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct RunnableModel<AccountId, Balance> {
	/// The model's owner, who is paid the model's share of fees.
	pub owner: AccountId,
	/// The version that new requests run.
	pub version: VersionNumber,
	/// Content id of that version's ONNX bytes.
	pub content_id: ContentId,
	/// Size of those bytes.
	pub byte_size: u64,
	/// The version's input and output tensors.
	pub schema: IoSchema,
	/// The modes the version supports.
	pub modes: ModeSet,
	/// How far verifiers' outputs may differ from a claimed output and still agree with it.
	pub tolerance: Tolerance,
	/// The chunk size the content id was computed with.
	pub chunk_size: u32,
	/// Price of one call, in the smallest OPG unit.
	pub price: Balance,
}

/// Read access to the model catalogue for other pallets.
pub trait ModelCatalog<AccountId, Balance> {
	/// The model's current version if the model accepts new requests (active, approved, not
	/// deprecated or suspended), else `None`.
	fn runnable(model: ModelId) -> Option<RunnableModel<AccountId, Balance>>;

	/// Version `version` of `model` as it was registered, runnable now or not: what a job in
	/// flight reads (its output schema) after the model was suspended or moved on. `None` when
	/// the version does not exist or is incomplete.
	fn model_version(
		model: ModelId,
		version: VersionNumber,
	) -> Option<RunnableModel<AccountId, Balance>>;

	/// The blake2-256 hash of chunk `index` of `model`'s `version`, against which a node checks
	/// a chunk it fetched from a data node.
	fn chunk_hash(model: ModelId, version: VersionNumber, index: u32) -> Option<sp_core::H256>;

	/// The ZK key of a ZK-capable version (`None` for other versions).
	fn zk_key(model: ModelId, version: VersionNumber) -> Option<super::ZkKey>;

	/// Whether [`Self::zk_key`] has a key for the version, without reading it (up to
	/// [`super::MAX_VERIFYING_KEY_LEN`] and [`super::MAX_PREPARED_KEY_LEN`] bytes): what a
	/// transaction pool checks of every proof it is offered.
	fn has_zk_key(model: ModelId, version: VersionNumber) -> bool {
		Self::zk_key(model, version).is_some()
	}

	/// The blake2-256 hash of chunk `index` (of 64 KiB) of the proving key of `model`'s
	/// `version`, where its ceremony published it into the data layer: against which a node
	/// checks a key chunk it fetched from a data node. `None` past the last chunk, and for a
	/// key that never passed through the data layer (a dev chain's one-party key).
	fn zk_key_chunk_hash(
		_model: ModelId,
		_version: VersionNumber,
		_index: u32,
	) -> Option<sp_core::H256> {
		None
	}
}

/// Whether a model still has work in flight (open jobs, results inside their dispute window).
/// The registry refuses to retire or remove a model while this says so, so no job loses the
/// model it runs.
pub trait ModelUsage {
	/// Whether `model` has open work.
	fn in_use(model: ModelId) -> bool;
}

/// No pallet uses models: nothing vetoes a removal.
impl ModelUsage for () {
	fn in_use(_model: ModelId) -> bool {
		false
	}
}

/// One page of model ids from a paginated runtime API call.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug, Default)]
pub struct ModelPage {
	/// The model ids on this page.
	pub models: alloc::vec::Vec<ModelId>,
	/// Where the next page starts (pass it back to get it); `None` on the last page.
	pub next: Option<ModelId>,
}
