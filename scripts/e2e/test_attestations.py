"""Bonded nodes end to end: the dev chain's own nodes heartbeat from block 1, and a new node
joins the way an operator's would: its role key goes into its own node's keystore through RPC,
its account registers and bonds with a real client, that node's offchain worker sends the
heartbeats, and when the node stops the chain marks it inactive after the configured periods."""

from __future__ import annotations

import time

import pytest
from substrateinterface import Keypair

from harness import TEST_CHAIN, Node
from opg import chain, governance, nodes

OPG = 10**18
VERIFIER = 2  # RoleSet bit of the verifier role
DEV_NODES = ["//Alice", "//Bob", "//Charlie", "//Dave", "//Eve"]


def test_the_dev_chain_registers_its_nodes_and_their_heartbeats_land(node):
    """`opg-node --dev` starts with the dev preset's inference node and verifier committee
    registered and bonded, and its keystore holds their role keys: their heartbeats land."""
    substrate = node.substrate()
    try:
        # At genesis (other tests on this node may register more nodes afterwards).
        genesis = substrate.get_block_hash(0)
        parameters = substrate.query("Attestations", "ActiveParameters", block_hash=genesis).value
        assert parameters["committee_size"] == 3
        assert substrate.query("Nodes", "NodeCount", block_hash=genesis).value == len(DEV_NODES)
        alice = nodes.node(substrate, Keypair.create_from_uri("//Alice").ss58_address)
        assert alice["endpoint"] is not None
        for suri in DEV_NODES:
            account = Keypair.create_from_uri(suri).ss58_address
            record = governance.wait_for(
                lambda: (r := nodes.node(substrate, account)) and r["last_heartbeat"] and r,
                f"{suri}'s heartbeat",
                timeout=120,
            )
            assert record["status"] == "Active"
            assert record["bonded"] == 10_000 * OPG
    finally:
        substrate.close()


def test_registering_twice_fails_with_the_named_error(node):
    substrate = node.substrate()
    try:
        bob = Keypair.create_from_uri("//Bob")
        with pytest.raises(chain.DispatchFailed) as failure:
            chain.submit(substrate, bob, "Nodes", "register", {
                "roles": VERIFIER, "key": "0x" + bob.public_key.hex(),
                "key_proof": nodes.key_proof(substrate, bob, bob.ss58_address), "endpoint": None,
                "bond": 1_000 * OPG,
            })
        assert failure.value.name == "Nodes.AlreadyRegistered"
    finally:
        substrate.close()


def test_an_operator_node_heartbeats_then_goes_inactive_when_stopped(node, tmp_path):
    """A verifier whose role key lives only in its own (non-validator) node: the key goes in
    through `author_insertKey`, the account registers with py-substrate-interface, the node's
    offchain worker heartbeats, and once the node stops, the validator marks it inactive."""
    operator = Keypair.create_from_uri("//OpgE2eVerifier")
    role_key = Keypair.create_from_uri("//OpgE2eVerifier//role")
    substrate = node.substrate()
    verifier_node = Node(str(tmp_path / "verifier"), str(tmp_path / "verifier.log"), "verifier node")
    try:
        verifier_node.start("--chain", TEST_CHAIN, "--bootnodes", node.peer_address(),
                            "--offchain-worker", "always")
        verifier_node.wait_for_finalized(1, timeout=120)
        own = verifier_node.substrate()
        try:
            chain.rpc(own, "author_insertKey", ["opgn", "//OpgE2eVerifier//role",
                                                "0x" + role_key.public_key.hex()])
            assert chain.rpc(own, "author_hasKey", ["0x" + role_key.public_key.hex(), "opgn"])
        finally:
            own.close()

        alice = Keypair.create_from_uri("//Alice")
        chain.submit(substrate, alice, "Balances", "transfer_keep_alive",
                     {"dest": operator.ss58_address, "value": 5_000 * OPG})
        # A proof signed for another account does not register the key.
        with pytest.raises(chain.DispatchFailed) as failure:
            chain.submit(substrate, operator, "Nodes", "register", {
                "roles": VERIFIER, "key": "0x" + role_key.public_key.hex(),
                "key_proof": nodes.key_proof(substrate, role_key, alice.ss58_address), "endpoint": None,
                "bond": 2_000 * OPG,
            })
        assert failure.value.name == "Nodes.BadSignature"
        included = chain.submit(substrate, operator, "Nodes", "register", {
            "roles": VERIFIER, "key": "0x" + role_key.public_key.hex(),
            "key_proof": nodes.key_proof(substrate, role_key, operator.ss58_address), "endpoint": None,
            "bond": 2_000 * OPG,
        })
        registered = chain.find_event(included.events, "Nodes", "NodeRegistered")
        assert registered is not None
        held = substrate.query("Balances", "Holds", [operator.ss58_address]).value
        assert sum(int(h["amount"]) for h in held) == 2_000 * OPG

        record = governance.wait_for(
            lambda: (r := nodes.node(substrate, operator.ss58_address)) and r["last_heartbeat"] and r,
            "the operator node's heartbeat",
            timeout=120,
        )
        assert record["status"] == "Active"

        verifier_node.stop()
        stopped_at = time.monotonic()
        parameters = substrate.query("Nodes", "ActiveParameters").value
        # Stale once `max_missed_heartbeats` whole periods pass after the last one, and the
        # sweep marks it at once on a chain this small: at most (max_missed + 2) periods.
        periods = parameters["max_missed_heartbeats"] + 2
        block_seconds = chain.seconds_per_block(substrate)
        budget = periods * parameters["heartbeat_period"] * block_seconds + 60
        record = governance.wait_for(
            lambda: (r := nodes.node(substrate, operator.ss58_address))
            and isinstance(r["status"], dict) and "Inactive" in r["status"] and r,
            "the stopped node marked inactive",
            timeout=budget,
        )
        assert time.monotonic() - stopped_at >= parameters["heartbeat_period"] * block_seconds * 0.5
        # The dev nodes, whose keys the validator holds, are still active.
        bob = nodes.node(substrate, Keypair.create_from_uri("//Bob").ss58_address)
        assert bob["status"] == "Active"
    finally:
        verifier_node.stop()
        substrate.close()
