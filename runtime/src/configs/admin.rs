//! `pallet_sudo`: a root key for dev and local chains. Only the `development` and
//! `local_testnet` presets set a key; governance takes over root on public networks.

use crate::{Runtime, RuntimeCall, RuntimeEvent};

impl pallet_sudo::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type WeightInfo = pallet_sudo::weights::SubstrateWeight<Runtime>;
}
