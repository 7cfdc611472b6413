//! `opg-node`: the OPG chain node.
//!
//! BABE block production, GRANDPA finality, ParityDB storage, offchain workers and offchain
//! indexing on (the model registry's data layer writes model bytes to every node's off-chain
//! database), JSON-RPC with OPG's own methods, and Prometheus metrics.

// Node-side integer arithmetic is on lengths and counts far from overflow; the workspace's
// overflow lint guards runtime code, where a panic would halt block production.
#![allow(clippy::arithmetic_side_effects)]
// `sc_cli::Error` and `sc_service::Error` are upstream's large error types; boxing them here
// would only move the allocation.
#![allow(clippy::result_large_err)]

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod ceremony;
mod chain_spec;
mod cli;
mod command;
mod inference;
mod options;
mod prover;
mod rpc;
mod service;
mod tee;

fn main() {
	// Print errors with their message (`Display`), not their structure (`Debug`).
	if let Err(error) = command::run() {
		eprintln!("Error: {error}");
		std::process::exit(1);
	}
}
