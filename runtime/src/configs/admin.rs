//! `pallet_sudo`: a root key for dev and local chains. Only the `development` and
//! `local_testnet` presets set a key; on any other chain the pallet has no key and does
//! nothing, and root is what the root track's referenda dispatch.

use crate::{Runtime, RuntimeCall, RuntimeEvent};

impl pallet_sudo::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type WeightInfo = pallet_sudo::weights::SubstrateWeight<Runtime>;
}
