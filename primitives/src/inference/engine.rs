//! The inference engine as the runtime sees it: one host function, `opg_inference::run`.
//!
//! The runtime's offchain worker calls it; the node implements it with ONNX Runtime
//! (`node/src/inference.rs`), registered as the [`InferenceExt`] externalities extension for
//! offchain workers only. Inference is not consensus code: outside an offchain worker (block
//! import, block production) the extension is absent and the call returns
//! [`EngineError::Unavailable`], so no block can depend on it. The runtime never links ONNX
//! Runtime.
//!
//! The engine reads the model's bytes from the node's off-chain database, where offchain
//! indexing put them during upload (see [`crate::model::chunk_storage_key`]), and checks them
//! against the content id before building a session, so a node never runs bytes the chain did
//! not register.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime_interface::{
	pass_by::{AllocateAndReturnByCodec, PassFatPointerAndDecode},
	runtime_interface,
};

use super::{job::EngineMessage, tensor::Tensors};
use crate::model::ContentId;

/// Where a model's bytes are and how they were chunked, enough to load and check them.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct ModelRef {
	/// Content id of the ONNX bytes.
	pub content_id: ContentId,
	/// Their size.
	pub byte_size: u64,
	/// The chunk size the content id was computed with.
	pub chunk_size: u32,
}

/// Why the engine returned no output.
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub enum EngineError {
	/// No engine here: not an offchain worker, or a node started without ONNX Runtime.
	Unavailable,
	/// This node's off-chain database lacks chunk `chunk` of the model.
	ModelMissing {
		/// The first missing chunk.
		chunk: u32,
	},
	/// The bytes this node holds do not hash to the model's content id.
	ModelCorrupt,
	/// ONNX Runtime refused the model, the input or the output: the model cannot run on this
	/// input anywhere, so the job is refunded and no node is blamed.
	Model(EngineMessage),
}

impl EngineError {
	/// Whether the error is the model's (or its input's) and not this node's: every honest
	/// node would meet it.
	pub fn is_model_fault(&self) -> bool {
		matches!(self, EngineError::Model(_))
	}

	/// An [`EngineError::Model`] with `message`, cut to the recordable length.
	pub fn model(message: &str) -> Self {
		let mut bytes = alloc::vec::Vec::from(message.as_bytes());
		bytes.truncate(super::job::MAX_ENGINE_ERROR_LEN as usize);
		EngineError::Model(EngineMessage::truncate_from(bytes))
	}
}

/// What an engine implements: run a model on an input and return its outputs in the order the
/// graph declares them.
#[cfg(feature = "std")]
pub trait InferenceEngine: Send + Sync {
	/// Runs `model` on `input`. `read_chunk(i)` returns chunk `i` of the model's bytes from the
	/// off-chain database, if this node holds it; the engine calls it only for a model it has
	/// not loaded yet.
	fn run(
		&self,
		model: &ModelRef,
		input: &[super::tensor::Tensor],
		read_chunk: &mut dyn FnMut(u32) -> Option<alloc::vec::Vec<u8>>,
	) -> Result<Tensors, EngineError>;
}

#[cfg(feature = "std")]
sp_externalities::decl_extension! {
	/// The node's inference engine, registered for offchain workers.
	pub struct InferenceExt(std::sync::Arc<dyn InferenceEngine>);
}

/// The inference host functions.
#[runtime_interface]
pub trait OpgInference {
	/// Runs `model` on `input` with this node's engine. Offchain workers only.
	fn run(
		&mut self,
		model: PassFatPointerAndDecode<ModelRef>,
		input: PassFatPointerAndDecode<Tensors>,
	) -> AllocateAndReturnByCodec<Result<Tensors, EngineError>> {
		use sp_core::offchain::{DbExternalities, OffchainDbExt, StorageKind};
		use sp_externalities::ExternalitiesExt;
		let Some(engine) = self.extension::<InferenceExt>().map(|engine| engine.0.clone()) else {
			return Err(EngineError::Unavailable);
		};
		let Some(db) = self.extension::<OffchainDbExt>() else {
			return Err(EngineError::Unavailable);
		};
		let mut read_chunk = |index: u32| {
			db.local_storage_get(
				StorageKind::PERSISTENT,
				&crate::model::chunk_storage_key(&model.content_id, index),
			)
		};
		engine.run(&model, &input, &mut read_chunk)
	}
}
