"""Governance end to end on a running dev node, with a real client (py-substrate-interface):

- A model uploaded to a chain that requires approval waits; a referendum on the model-curation
  track (preimage, submission, decision deposit, votes with conviction) approves it, and once
  enacted the model is active.
- A runtime upgrade: a wasm of the same runtime with the next spec_version
  (`scripts/build-upgrade-runtime.sh`) authorized by a referendum on the root track, applied,
  and the chain producing and finalizing blocks on the new version, accepting transactions.

The node runs the dev chain spec with model approval required, which is what a public network
does; the dev chain's tracks decide in a few blocks.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest

from harness import NODE_BIN, TEST_CHAIN, Node, require_node_binary
from opg import chain, governance
from opg_tools import testmodels

SCRIPTS = Path(__file__).resolve().parents[1]
OPG = 10**18
# Every endowed dev account (a million OPG each): together well above the root track's support.
HOLDERS = ["//Alice", "//Bob", "//Charlie", "//Dave", "//Eve", "//Ferdie",
           "//Alice//stash", "//Bob//stash", "//Charlie//stash", "//Dave//stash",
           "//Eve//stash", "//Ferdie//stash"]


@pytest.fixture(scope="module")
def governed(tmp_path_factory):
    """A node of the test chain, changed to require model approval."""
    require_node_binary()
    base = tmp_path_factory.mktemp("governed")
    spec = json.loads(subprocess.run([NODE_BIN, "build-spec", "--chain", TEST_CHAIN], check=True,
                                     capture_output=True, text=True).stdout)
    patch = spec["genesis"]["runtimeGenesis"]["patch"]
    patch["modelRegistry"]["approvalRequired"] = True
    spec_path = base / "governed.json"
    spec_path.write_text(json.dumps(spec))
    node = Node(str(base / "chain"), str(base / "node.log"), "governed dev node")
    # A validator needs a stable network key; a test node gets a throwaway one.
    node.start("--chain", str(spec_path), "--alice", "--validator", "--force-authoring",
               "--node-key", os.urandom(32).hex())
    try:
        node.wait_for_finalized(1)
        yield node
    finally:
        node.stop()


def upload(node: Node, path: Path) -> dict:
    run = subprocess.run([str(SCRIPTS / "upload-model.sh"), str(path), "--url", node.url, "--json",
                          "--quiet", "--name", "curated", "--price", "0.1"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_a_referendum_on_the_curation_track_approves_a_model(governed, tmp_path):
    path = tmp_path / "mlp.onnx"
    path.write_bytes(testmodels.mlp(inputs=8, hidden=16, outputs=4))
    model_id = upload(governed, path)["model_id"]
    substrate = governed.substrate()
    try:
        model = substrate.query("ModelRegistry", "Models", [model_id]).value
        assert model["active_version"] is None, "waits for approval"

        alice, bob, charlie = (chain.keypair(s) for s in ("//Alice", "//Bob", "//Charlie"))
        index = governance.propose(substrate, alice, governance.MODEL_CURATOR, "ModelRegistry",
                                   "approve_version", {"model_id": model_id, "version": 1})
        ongoing = governance.referendum(substrate, index)["Ongoing"]
        assert ongoing["track"] == 1  # model curation
        governance.place_decision_deposit(substrate, bob, index)
        governance.vote(substrate, alice, index, True, 400_000 * OPG, "Locked3x")
        governance.vote(substrate, bob, index, True, 300_000 * OPG, "Locked1x")
        governance.vote(substrate, charlie, index, False, 50_000 * OPG)
        tally = governance.referendum(substrate, index)["Ongoing"]["tally"]
        assert int(tally["ayes"]) == (400_000 * 3 + 300_000) * OPG
        assert int(tally["nays"]) == 5_000 * OPG  # no conviction: a tenth of the balance
        # Conviction locks the vote's balance.
        locks = substrate.query("Balances", "Locks", [alice.ss58_address]).value
        assert any(lock["amount"] == 400_000 * OPG for lock in locks)

        assert governance.wait_until_decided(substrate, index) == "Approved"
        governance.wait_for(
            lambda: substrate.query("ModelRegistry", "Models", [model_id]).value["active_version"] == 1,
            "the model active after enactment")
        assert substrate.query("ModelRegistry", "Versions", [model_id, 1]).value["approved"] is True
    finally:
        substrate.close()


def upgrade_wasm() -> bytes:
    path = os.environ.get("OPG_UPGRADE_WASM")
    if not path:
        run = subprocess.run([str(SCRIPTS / "build-upgrade-runtime.sh")], capture_output=True,
                             text=True, timeout=1800)
        assert run.returncode == 0, run.stderr
        path = run.stdout.strip().splitlines()[-1]
    return Path(path).read_bytes()


def test_a_referendum_on_the_root_track_upgrades_the_runtime(governed):
    wasm = upgrade_wasm()
    substrate = governed.substrate()
    try:
        before = substrate.rpc_request("state_getRuntimeVersion", [])["result"]["specVersion"]
        alice = chain.keypair("//Alice")
        code_hash = "0x" + hashlib.blake2b(wasm, digest_size=32).hexdigest()
        index = governance.propose(substrate, alice, governance.ROOT, "System",
                                   "authorize_upgrade", {"code_hash": code_hash})
        assert governance.referendum(substrate, index)["Ongoing"]["track"] == 0
        governance.place_decision_deposit(substrate, alice, index)
        # The root track wants support from half the holders' OPG at first: every dev holder
        # votes 900,000 OPG.
        for suri in HOLDERS:
            governance.vote(substrate, chain.keypair(suri), index, True, 900_000 * OPG, "Locked1x",
                            wait=False)
        assert governance.wait_until_decided(substrate, index) == "Approved"
        governance.wait_for(lambda: substrate.query("System", "AuthorizedUpgrade").value,
                            "the upgrade authorized after enactment")

        # Anyone may now supply the authorized code.
        chain.submit(substrate, alice, "System", "apply_authorized_upgrade",
                     {"code": "0x" + wasm.hex()}, inclusion_timeout=120)
        upgraded_at = substrate.get_block_number(substrate.get_chain_head())
    finally:
        substrate.close()

    def new_version():
        fresh = governed.substrate()
        try:
            return fresh.rpc_request("state_getRuntimeVersion", [])["result"]["specVersion"]
        finally:
            fresh.close()

    after = governance.wait_for(lambda: (v := new_version()) > before and v, "the new spec version")
    assert after == before + 1
    # Blocks go on being produced and finalized on the new runtime, and it takes transactions.
    governed.wait_for_finalized(upgraded_at + 3)
    substrate = governed.substrate()
    try:
        last = substrate.query("System", "LastRuntimeUpgrade").value
        assert last["spec_version"] == after
        included = chain.submit(substrate, chain.keypair("//Bob"), "Balances",
                                "transfer_keep_alive",
                                {"dest": chain.keypair("//Two").ss58_address, "value": OPG})
        assert chain.find_event(included.events, "Balances", "Transfer") is not None
    finally:
        substrate.close()
