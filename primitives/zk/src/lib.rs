//! ZK mode: integer ONNX graphs as Groth16 circuits over BN254.
//!
//! A ZK-capable model version is an integer ONNX graph in the operator subset of
//! [`circuit`] (prover feature). Its circuit proves "running this graph, whose weights are
//! circuit constants, on these input values gives these output values", so a verifying key
//! belongs to one model and one set of weights.
//!
//! The public inputs are the input and output values, each offset to be non-negative and
//! packed [`packing::PACK_BITS`] bits to a field element (an `int8` tensor of 784 values
//! takes 26 field elements), so verification does one small multi-scalar multiplication and
//! one three-pair pairing check whatever the tensor sizes. The circuit range-checks every
//! input value bit by bit, which makes the packing injective; output values are fixed by the
//! circuit and bounded by the compiler's interval analysis.
//!
//! What runs where:
//! - [`verifier`] and [`packing`] are `no_std`: the runtime verifies proofs with them.
//! - [`host`] is the BN254 `#[runtime_interface]` the runtime's arithmetic goes through (the
//!   `ark-bn254-ext` hooks), so pairings and multi-scalar multiplications run natively.
//! - `circuit`, `onnx` and `groth16` (feature `prover`) compile models, run the trusted setup
//!   and prove; only the node and the tools link them.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod host;
pub mod packing;
pub mod verifier;

#[cfg(feature = "prover")]
pub mod circuit;
#[cfg(feature = "prover")]
pub mod groth16;
#[cfg(feature = "prover")]
pub mod onnx;

pub use packing::IntType;
pub use verifier::ZkError;

/// The scalar field of BN254, which the circuits are written over.
pub type Fr = ark_bn254::Fr;
