//! The test models come from `opg_zk::onnx::build`.
#![allow(unused_imports)]
pub use opg_zk::onnx::build::*;
