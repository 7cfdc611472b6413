//! The vocabulary of inference: tensors ([`tensor`]), jobs, fees and what nodes sign ([`job`]),
//! and the engine's host function ([`engine`]). Everything is re-exported here.

pub mod engine;
pub mod job;
pub mod prover;
pub mod tensor;

pub use engine::*;
pub use job::*;
pub use prover::*;
pub use tensor::*;
