//! ZK mode: integer ONNX graphs as Groth16 circuits over BN254.
//!
//! A ZK-capable model version is an integer ONNX graph in the operator subset of
//! [`circuit`] (prover feature). Its circuit proves "running this graph, whose weights are
//! circuit constants, on these input values gives these output values", so a verifying key
//! belongs to one model and one set of weights.
//!
//! The public inputs are the input and output values, each offset to be non-negative and
//! packed [`packing::PACK_BITS`] bits to a field element (an `int8` tensor of 784 values
//! takes 26 field elements), then the job's binding ([`packing::job_binding`]: genesis, job
//! and node, so a proof is good for the one job and node it was made for), so verification
//! does one small multi-scalar multiplication and one three-pair pairing check whatever the
//! tensor sizes. The circuit range-checks every input value bit by bit, which makes the
//! packing injective; output values are fixed by the circuit and bounded by the compiler's
//! interval analysis.
//!
//! What runs where:
//! - [`verifier`] and [`packing`] are `no_std`: the runtime verifies proofs with them.
//! - [`host`] is the BN254 `#[runtime_interface]` the runtime's arithmetic goes through (the
//!   `ark-bn254-ext` hooks), so pairings and multi-scalar multiplications run natively.
//! - `circuit`, `onnx` and `groth16` (feature `prover`) compile models, run the trusted setup
//!   and prove; only the node and the tools link them.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod ceremony;
pub mod dev;
pub mod fixture;
pub mod host;
pub mod packing;
pub mod verifier;

#[cfg(feature = "prover")]
pub mod circuit;
#[cfg(feature = "prover")]
pub mod groth16;
#[cfg(feature = "prover")]
pub mod onnx;
#[cfg(feature = "prover")]
pub mod ptau;

pub use ceremony::CeremonyError;
pub use packing::IntType;
pub use verifier::{Phase1Elements, RegisteredKey, ZkError};

/// The scalar field of BN254, which the circuits are written over.
pub type Fr = ark_bn254::Fr;

use alloc::vec::Vec;
use opg_primitives::{
	inference::Tensor,
	model::{Dim, IoSchema, TensorSpec},
};

/// How many values a tensor of this spec holds, if its shape is fixed.
fn fixed_len(spec: &TensorSpec) -> Option<usize> {
	spec.shape.iter().try_fold(1usize, |count, dim| match dim {
		Dim::Fixed(size) => count.checked_mul(*size as usize),
		Dim::Dynamic => None,
	})
}

/// The number of public inputs of a circuit for `schema` (the constant one not counted), or
/// `None` when the schema cannot be proved: a tensor that is not an integer tensor, or a
/// dynamic dimension.
pub fn schema_public_inputs(schema: &IoSchema) -> Option<usize> {
	let tensors = schema
		.inputs
		.iter()
		.chain(schema.outputs.iter())
		.map(|spec| Some((IntType::from_dtype(spec.dtype)?, fixed_len(spec)?)))
		.collect::<Option<Vec<_>>>()?;
	Some(packing::public_input_count(tensors))
}

/// Checks a compressed verifying key for `schema` and prepares it, with the runtime's
/// host-function arithmetic: what the registry stores.
pub fn prepare_key_for(schema: &IoSchema, verifying_key: &[u8]) -> Result<Vec<u8>, ZkError> {
	let public_inputs = schema_public_inputs(schema).ok_or(ZkError::SchemaNotProvable)?;
	verifier::prepare_verifying_key::<host::HostBn254>(verifying_key, public_inputs)
}

/// Checks a verifying key a model owner registers for `schema`, with the runtime's
/// host-function arithmetic: an initial key (a ceremony's start) against the pinned `phase1`,
/// or a finished key, prepared ([`verifier::register_key`]).
pub fn register_key_for(
	schema: &IoSchema,
	verifying_key: &[u8],
	phase1: Option<Phase1Elements<'_>>,
) -> Result<RegisteredKey, ZkError> {
	let public_inputs = schema_public_inputs(schema).ok_or(ZkError::SchemaNotProvable)?;
	verifier::register_key::<host::HostBn254>(verifying_key, public_inputs, phase1)
}

/// Whether a phase-1 pin's points decode (on the curve, in the prime-order subgroup), with the
/// runtime's host-function arithmetic.
pub fn phase1_elements_valid(elements: Phase1Elements<'_>) -> bool {
	ceremony::decode_g1::<host::HostBn254>(elements.alpha_g1).is_ok()
		&& ceremony::decode_g2::<host::HostBn254>(elements.beta_g2).is_ok()
}

/// The key a ceremony on `schema`'s initial key finished with, compressed and prepared, with
/// the runtime's host-function arithmetic ([`verifier::finish_key`]).
pub fn finish_key_for(
	schema: &IoSchema,
	initial_key: &[u8],
	delta_g2: &[u8],
) -> Result<(Vec<u8>, Vec<u8>), ZkError> {
	let public_inputs = schema_public_inputs(schema).ok_or(ZkError::SchemaNotProvable)?;
	verifier::finish_key::<host::HostBn254>(initial_key, public_inputs, delta_g2)
}

/// Checks an encoded ceremony contribution as the chain does, with the runtime's
/// host-function arithmetic ([`ceremony::verify_encoded`]); returns the new `delta`.
pub fn verify_contribution_on_chain(
	context: &[u8],
	previous_g1: &[u8],
	previous_g2: &[u8],
	contribution: &[u8],
) -> Result<(Vec<u8>, Vec<u8>), CeremonyError> {
	ceremony::verify_encoded::<host::HostBn254>(context, previous_g1, previous_g2, contribution)
}

/// Whether a contribution's state breaks phase 2 at one place, with the runtime's
/// host-function arithmetic ([`ceremony::breaks_transition`]).
pub fn breaks_transition_on_chain(
	part: ceremony::StatePart,
	parent: &[u8],
	child: &[u8],
	parent_delta_g2: &[u8],
	child_delta: (&[u8], &[u8]),
) -> bool {
	ceremony::breaks_transition::<host::HostBn254>(
		part,
		parent,
		child,
		parent_delta_g2,
		child_delta,
	)
}

/// A real contribution with the known secret `secret` to a key whose `delta` is the encoded
/// `previous_g1` and `previous_g2`, encoded as the chain takes it: for benchmarks, which need
/// contributions the runtime accepts (a contributor uses `ceremony::contribute`, with fresh
/// randomness).
pub fn contribution_with_secret(
	context: &[u8],
	previous_g1: &[u8],
	previous_g2: &[u8],
	secret: u64,
) -> Result<Vec<u8>, CeremonyError> {
	type E = host::HostBn254;
	let contribution = ceremony::contribution_from::<E>(
		context,
		&ceremony::decode_g1::<E>(previous_g1)?,
		&ceremony::decode_g2::<E>(previous_g2)?,
		Fr::from(secret.max(2)),
		Fr::from(secret.wrapping_mul(0x9e37_79b9_7f4a_7c15).max(3)),
	);
	Ok(ceremony::encode_contribution(&contribution))
}

/// A ZK job's public inputs for `schema`: `inputs` and `outputs` packed in the schema's types,
/// then the job's `binding` ([`packing::job_binding`]). What the prover proves and the runtime
/// verifies against.
pub fn job_public_inputs(
	schema: &IoSchema,
	inputs: &[Tensor],
	outputs: &[Tensor],
	binding: &[u8; 32],
) -> Result<Vec<Fr>, ZkError> {
	let dtypes = |specs: &[TensorSpec]| specs.iter().map(|s| s.dtype).collect::<Vec<_>>();
	packing::public_inputs::<Fr>(
		&dtypes(&schema.inputs),
		inputs,
		&dtypes(&schema.outputs),
		outputs,
		binding,
	)
	.map_err(|_| ZkError::ValueOutOfRange)
}

/// Verifies a ZK job's `proof` that the model with key `prepared` maps `inputs` to `outputs`,
/// made for the job and node `binding` names, with the runtime's host-function arithmetic. The
/// tensors must already fit `schema` (the pallets check them).
pub fn verify_job(
	schema: &IoSchema,
	prepared: &[u8],
	inputs: &[Tensor],
	outputs: &[Tensor],
	binding: &[u8; 32],
	proof: &[u8],
) -> Result<(), ZkError> {
	let public = job_public_inputs(schema, inputs, outputs, binding)?;
	verifier::verify::<host::HostBn254>(prepared, proof, &public)
}
