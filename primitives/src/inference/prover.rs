//! The ZK prover as the runtime sees it: one host function, `opg_zk_prover::prove`.
//!
//! Like the inference engine ([`super::engine`]), the node implements it
//! (`node/src/prover.rs`) and registers it as the [`ProverExt`] extension for offchain workers
//! only, so no block can depend on it. For a ZK job the offchain worker first runs the model
//! with ONNX Runtime, then asks the prover to prove that the model maps the input to exactly
//! that output: the prover compiles the model's circuit, computes the witness, refuses when
//! the circuit's output differs from ONNX Runtime's by a single bit, loads the proving key the
//! registry names (checked by hash) and proves on all cores. Proving runs in the offchain
//! worker's own thread, never on the block-production path.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode};
use scale_info::TypeInfo;
use sp_runtime_interface::{
	pass_by::{AllocateAndReturnByCodec, PassFatPointerAndDecode},
	runtime_interface,
};

use super::{engine::ModelRef, job::EngineMessage, tensor::Tensors};

/// What the prover needs to prove one job.
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub struct ProofRequest {
	/// The model's bytes (read from the off-chain database, checked by content id).
	pub model: ModelRef,
	/// The version's schema: the graph's inputs and outputs must be exactly these.
	pub schema: crate::model::IoSchema,
	/// The registry's ZK key: the proving key's hash, the prepared verifying key the node
	/// checks its proof against before sending it, and the constraint count the circuit may
	/// not exceed.
	pub key: crate::model::ZkKey,
	/// The job's input.
	pub input: Tensors,
	/// ONNX Runtime's output, which the circuit must reproduce bit for bit.
	pub output: Tensors,
	/// The job and node the proof is for (`opg_zk::packing::job_binding` of the genesis hash,
	/// the job and the node's account): the circuit's last public input.
	pub binding: [u8; 32],
}

/// Why the prover returned no proof.
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub enum ProverError {
	/// No prover here: not an offchain worker, or a node started without one.
	Unavailable,
	/// This node's off-chain database lacks chunk `chunk` of the model.
	ModelMissing {
		/// The first missing chunk.
		chunk: u32,
	},
	/// This node holds no proving key with the registry's hash (operators put it in the
	/// node's `zk-keys` directory).
	ProvingKeyMissing,
	/// The circuit's output differs from ONNX Runtime's: the node refuses to prove it.
	OutputMismatch,
	/// The model's artifacts do not fit together: the graph's inputs or outputs are not the
	/// schema's, or a proof made with the proving key does not verify under the registry's
	/// verifying key. No node can answer the job; the node reports it instead of proving.
	KeyMismatch(EngineMessage),
	/// The model is outside the ZK subset, or the input does not fit it (the compiler's
	/// message).
	Circuit(EngineMessage),
	/// Proving failed (the message).
	Failed(EngineMessage),
}

impl ProverError {
	/// A message-carrying error, cut to the recordable length.
	pub fn message(make: fn(EngineMessage) -> Self, message: &str) -> Self {
		let mut bytes = Vec::from(message.as_bytes());
		bytes.truncate(super::job::MAX_ENGINE_ERROR_LEN as usize);
		make(EngineMessage::truncate_from(bytes))
	}
}

/// What a prover implements.
#[cfg(feature = "std")]
pub trait ZkProver: Send + Sync {
	/// Proves `request`; `read_chunk(content, i)` returns chunk `i` of the content with id
	/// `content` from the off-chain database: the model's bytes, and the proving key the
	/// ceremony published into the data layer. Answers the proof's bytes.
	fn prove(
		&self,
		request: &ProofRequest,
		read_chunk: &mut dyn FnMut(&crate::model::ContentId, u32) -> Option<Vec<u8>>,
	) -> Result<Vec<u8>, ProverError>;
}

#[cfg(feature = "std")]
sp_externalities::decl_extension! {
	/// The node's ZK prover, registered for offchain workers.
	pub struct ProverExt(std::sync::Arc<dyn ZkProver>);
}

/// The prover host function.
#[runtime_interface]
pub trait OpgZkProver {
	/// Proves a ZK job with this node's prover. Offchain workers only.
	fn prove(
		&mut self,
		request: PassFatPointerAndDecode<ProofRequest>,
	) -> AllocateAndReturnByCodec<Result<Vec<u8>, ProverError>> {
		use sp_core::offchain::{DbExternalities, OffchainDbExt, StorageKind};
		use sp_externalities::ExternalitiesExt;
		let Some(prover) = self.extension::<ProverExt>().map(|prover| prover.0.clone()) else {
			return Err(ProverError::Unavailable);
		};
		let Some(db) = self.extension::<OffchainDbExt>() else {
			return Err(ProverError::Unavailable);
		};
		let mut read_chunk = |content: &crate::model::ContentId, index: u32| {
			db.local_storage_get(
				StorageKind::PERSISTENT,
				&crate::model::chunk_storage_key(content, index),
			)
		};
		prover.prove(&request, &mut read_chunk)
	}
}
