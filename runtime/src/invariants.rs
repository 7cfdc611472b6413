//! The invariants that span pallets, which no single pallet's `try_state` can see because no
//! pallet imports another. try-runtime checks them after every block it executes (see
//! `apis.rs`), and the runtime tests after each scenario (`tests::governance::check_try_state`).
//!
//! - The `Tee` role of the node registry (pallet-nodes) is held exactly by the nodes with a TEE
//!   registration (pallet-tee), and every registered enclave belongs to an inference node.
//! - Every node's open work (pallet-nodes) covers the claims and rounds it takes part in
//!   (pallet-attestations): a node with open work cannot leave, so work counted short would let
//!   a node walk away from a dispute it backs.

use frame_support::ensure;
use opg_primitives::attestation::NodeRole;
use sp_runtime::TryRuntimeError;

use crate::Runtime;

/// Checks every cross-pallet invariant listed above.
pub fn check() -> Result<(), TryRuntimeError> {
	for (who, _) in pallet_tee::TeeNodes::<Runtime>::iter() {
		let node =
			pallet_nodes::Nodes::<Runtime>::get(&who).ok_or("a TEE registration without a node")?;
		ensure!(node.roles.contains(NodeRole::Tee), "a registered TEE node lacks the Tee role");
		ensure!(
			node.roles.contains(NodeRole::Inference),
			"a registered TEE node is no inference node"
		);
	}
	for (who, node) in pallet_nodes::Nodes::<Runtime>::iter() {
		ensure!(
			node.roles.contains(NodeRole::Tee)
				== pallet_tee::TeeNodes::<Runtime>::contains_key(&who),
			"the Tee role without a TEE registration"
		);
	}
	for (who, units) in pallet_attestations::Pallet::<Runtime>::open_work_units() {
		let node =
			pallet_nodes::Nodes::<Runtime>::get(&who).ok_or("a claimant or member is no node")?;
		ensure!(node.open_work >= units, "a node's open work misses its claims or rounds");
	}
	Ok(())
}
