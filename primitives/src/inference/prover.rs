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
	/// This node holds no proving key (or ceremony key state) with the hash asked for: not in
	/// its off-chain database (the ceremony's uploads put it there), nor, for a one-party dev
	/// key, in its `zk-keys` directory.
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
	/// This node has no powers-of-tau file the chain pins (`--zk-ptau`), so it cannot
	/// recompute a version's initial key.
	PhaseOneMissing,
}

impl ProverError {
	/// A message-carrying error, cut to the recordable length.
	pub fn message(make: fn(EngineMessage) -> Self, message: &str) -> Self {
		let mut bytes = Vec::from(message.as_bytes());
		bytes.truncate(super::job::MAX_ENGINE_ERROR_LEN as usize);
		make(EngineMessage::truncate_from(bytes))
	}
}

/// What a drawn node's contribution to a key ceremony needs (`opg_zk_prover::contribute`).
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub struct ContributionRequest {
	/// The ceremony's head: the content id of the key state to build on, which the chain's
	/// uploads put into this node's off-chain database.
	pub head: crate::model::ContentId,
	/// What the contribution's proof of knowledge binds
	/// (`opg_zk::ceremony::contribution_context` of the chain, the version, the index, the
	/// author and the head).
	pub context: Vec<u8>,
	/// The head's `delta` in G1 as the chain holds it (uncompressed): the contribution builds on
	/// it, whatever the head's file says, since the chain checks the proof of knowledge against
	/// it (a head whose file spells another `delta` is its author's fault, shown on chain).
	pub delta_g1: Vec<u8>,
	/// The head's `delta` in G2 as the chain holds it (uncompressed).
	pub delta_g2: Vec<u8>,
}

/// A contribution the prover made: the arguments of its `contribute` transaction. Its key
/// state waits in this node's off-chain database, chunk by chunk under
/// `opg_primitives::model::chunk_storage_key(state_hash, i)`, for the node to upload it.
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub struct MadeContribution {
	/// The new `delta` and the proof of knowledge (`opg_zk::ceremony::encode_contribution`).
	pub contribution: Vec<u8>,
	/// The new key state's content id (`opg_zk::ceremony::state_id`).
	pub state_hash: sp_core::H256,
	/// Its size in bytes.
	pub state_size: u64,
	/// The hashes of its chunks.
	pub chunk_hashes: Vec<sp_core::H256>,
}

/// What an attester checks a ceremony's final key with (`opg_zk_prover::check_key`).
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub struct KeyCheckRequest {
	/// The version's ONNX bytes.
	pub model: ModelRef,
	/// The hashes of the powers-of-tau files the chain pins: the prover computes the initial
	/// key from one of them.
	pub ptau_hashes: Vec<[u8; 32]>,
	/// The blake2-256 hash of the initial verifying key the version registered.
	pub vk_hash: sp_core::H256,
	/// The most constraints the version's circuit may have (the registered key's).
	pub constraints: u32,
	/// The final key state's content id, in the off-chain database.
	pub key: crate::model::ContentId,
	/// The ceremony's last `delta` in G1 as the chain holds it (uncompressed): the version's
	/// verifying key will carry it, so the final key must too.
	pub delta_g1: Vec<u8>,
	/// The ceremony's last `delta` in G2 (uncompressed).
	pub delta_g2: Vec<u8>,
}

/// An attester's answer on a ceremony's key.
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub enum KeyVerdict {
	/// The registered verifying key is the model's initial key, and the final key follows
	/// from it.
	Approve,
	/// One of them is not (the reason, for the node's log).
	Reject(EngineMessage),
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

	/// Contributes to a key ceremony with fresh randomness of this machine's (the secret is
	/// gone when this returns): reads the head's key state whole, makes the new state over the
	/// head's own bytes and hands its chunks to `write_chunk(state_hash, i, bytes)`.
	/// A prover that only proves (a test's) answers [`ProverError::Unavailable`].
	fn contribute(
		&self,
		_request: &ContributionRequest,
		_read_chunk: &mut dyn FnMut(&crate::model::ContentId, u32) -> Option<Vec<u8>>,
		_write_chunk: &mut dyn FnMut(&crate::model::ContentId, u32, &[u8]),
	) -> Result<MadeContribution, ProverError> {
		Err(ProverError::Unavailable)
	}

	/// Checks a ceremony's final key as an attester: recomputes the initial key from the
	/// model's bytes and a pinned powers-of-tau file, compares its verifying key with the
	/// registered one and checks the final key against it. An error means this node cannot
	/// tell (no ptau file, bytes missing): it does not answer.
	/// A prover that only proves (a test's) answers [`ProverError::Unavailable`].
	fn check_key(
		&self,
		_request: &KeyCheckRequest,
		_read_chunk: &mut dyn FnMut(&crate::model::ContentId, u32) -> Option<Vec<u8>>,
	) -> Result<KeyVerdict, ProverError> {
		Err(ProverError::Unavailable)
	}
}

#[cfg(feature = "std")]
sp_externalities::decl_extension! {
	/// The node's ZK prover, registered for offchain workers.
	pub struct ProverExt(std::sync::Arc<dyn ZkProver>);
}

/// Runs `run` with this node's prover and off-chain database; [`ProverError::Unavailable`]
/// outside an offchain worker or on a node without a prover.
#[cfg(feature = "std")]
fn with_prover<R>(
	mut ext: &mut dyn sp_externalities::Externalities,
	run: impl FnOnce(
		&dyn ZkProver,
		&mut dyn sp_core::offchain::DbExternalities,
	) -> Result<R, ProverError>,
) -> Result<R, ProverError> {
	use sp_core::offchain::OffchainDbExt;
	use sp_externalities::ExternalitiesExt;
	let Some(prover) = ext.extension::<ProverExt>().map(|prover| prover.0.clone()) else {
		return Err(ProverError::Unavailable);
	};
	let Some(db) = ext.extension::<OffchainDbExt>() else {
		return Err(ProverError::Unavailable);
	};
	run(&*prover, &mut **db)
}

/// Chunk `index` of the content with id `content` in the off-chain database, where the chain's
/// uploads put model bytes and key states.
#[cfg(feature = "std")]
fn read_chunk(
	db: &mut dyn sp_core::offchain::DbExternalities,
	content: &crate::model::ContentId,
	index: u32,
) -> Option<Vec<u8>> {
	db.local_storage_get(
		sp_core::offchain::StorageKind::PERSISTENT,
		&crate::model::chunk_storage_key(content, index),
	)
}

/// The prover host function.
#[runtime_interface]
pub trait OpgZkProver {
	/// Proves a ZK job with this node's prover. Offchain workers only.
	fn prove(
		&mut self,
		request: PassFatPointerAndDecode<ProofRequest>,
	) -> AllocateAndReturnByCodec<Result<Vec<u8>, ProverError>> {
		with_prover(&mut **self, |prover, db| {
			prover.prove(&request, &mut |content, index| read_chunk(db, content, index))
		})
	}

	/// Contributes to a key ceremony as a drawn node; the new key state's chunks go into the
	/// off-chain database under the keys the chain's upload indexes them under. Offchain
	/// workers only.
	fn contribute(
		&mut self,
		request: PassFatPointerAndDecode<ContributionRequest>,
	) -> AllocateAndReturnByCodec<Result<MadeContribution, ProverError>> {
		with_prover(&mut **self, |prover, db| {
			// Both closures reach the one database, never at once.
			let db = core::cell::RefCell::new(db);
			prover.contribute(
				&request,
				&mut |content, index| read_chunk(*db.borrow_mut(), content, index),
				&mut |content, index, bytes| {
					db.borrow_mut().local_storage_set(
						sp_core::offchain::StorageKind::PERSISTENT,
						&crate::model::chunk_storage_key(content, index),
						bytes,
					)
				},
			)
		})
	}

	/// Checks a ceremony's final key as a drawn attester. Offchain workers only.
	fn check_key(
		&mut self,
		request: PassFatPointerAndDecode<KeyCheckRequest>,
	) -> AllocateAndReturnByCodec<Result<KeyVerdict, ProverError>> {
		with_prover(&mut **self, |prover, db| {
			prover.check_key(&request, &mut |content, index| read_chunk(db, content, index))
		})
	}
}
