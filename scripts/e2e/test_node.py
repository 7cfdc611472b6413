"""The foundation, end to end: a dev chain that produces and finalizes blocks and moves OPG."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request

import pytest

from harness import NODE_BIN, Node, require_node_binary
from opg import chain

AMOUNT = 3 * chain.OPG  # 3 OPG


def free_balance(substrate, address: str, block_hash: str | None = None) -> int:
    return substrate.query("System", "Account", [address], block_hash=block_hash).value["data"]["free"]


def parent_of(substrate, block_hash: str) -> str:
    return substrate.get_block_header(block_hash)["header"]["parentHash"]


def fee_multiplier(substrate, block_hash: str) -> int:
    return substrate.query("TransactionPayment", "NextFeeMultiplier", block_hash=block_hash).value


def as_int(value) -> int:
    """A balance as the RPC serializes it: a number, a decimal string or a 0x hex string."""
    if isinstance(value, str):
        return int(value, 16) if value.startswith("0x") else int(value)
    return int(value)


def test_blocks_are_produced_and_finalized(node):
    first = node.wait_for_finalized(1)
    later = node.wait_for_finalized(first + 2)
    assert later >= first + 2


def babe_configuration(substrate) -> tuple[int, int]:
    """The slot duration (ms) and epoch length (slots) the runtime gives the node's BABE: the
    first two fields of `BabeApi_configuration`'s answer, two little-endian u64s."""
    answer = bytes.fromhex(substrate.rpc_request("state_call", ["BabeApi_configuration", "0x"])["result"][2:])
    return int.from_bytes(answer[:8], "little"), int.from_bytes(answer[8:16], "little")


def test_the_test_chain_runs_two_second_slots(node):
    """The tests' chain (`--chain test`) has the dev chain's genesis on 2-second slots and
    30-slot epochs: the runtime says so to the node, each block's slot is its timestamp in
    2-second units, and its epoch is its slot's, counted from the first block's."""
    substrate = node.substrate()
    try:
        assert babe_configuration(substrate) == (2_000, 30)
        assert substrate.get_constant("Babe", "ExpectedBlockTime").value == 2_000
        assert substrate.get_constant("Babe", "EpochDuration").value == 30
        head = substrate.get_block_number(substrate.get_chain_head())
        node.wait_for_finalized(head + 2)
        for number in (head + 1, head + 2):
            block = substrate.get_block_hash(number)
            now = substrate.query("Timestamp", "Now", block_hash=block).value
            slot = substrate.query("Babe", "CurrentSlot", block_hash=block).value
            assert now // 2_000 == slot, (number, now, slot)
            genesis_slot = substrate.query("Babe", "GenesisSlot", block_hash=block).value
            epoch = substrate.query("Babe", "EpochIndex", block_hash=block).value
            assert epoch == (slot - genesis_slot) // 30, (number, slot, genesis_slot, epoch)
    finally:
        substrate.close()


def test_every_block_carries_a_vrf_output(node):
    """Every block's BABE claim signs the slot's VRF (primary or secondary VRF, never plain):
    the chain's draws take their randomness from it. The runtime keeps the output of the
    block's author after the block (`Babe.AuthorVrfRandomness`)."""
    substrate = node.substrate()
    try:
        blocks = range(1, node.wait_for_finalized(6) + 1)
        outputs = set()
        for number in blocks:
            block = substrate.get_block_hash(number)
            output = substrate.query("Babe", "AuthorVrfRandomness", block_hash=block).value
            assert output, (number, output)
            outputs.add(output)
        assert len(outputs) == len(blocks), "each block its own output"
    finally:
        substrate.close()


def test_prometheus_exports_block_metrics(node):
    with urllib.request.urlopen(f"http://127.0.0.1:{node.prometheus_port}/metrics", timeout=10) as response:
        metrics = response.read().decode()
    assert 'substrate_block_height{status="finalized"' in metrics
    assert 'substrate_block_height{status="best"' in metrics


def test_chain_properties_name_the_opg_token(node):
    substrate = node.substrate()
    properties = substrate.rpc_request("system_properties", [])["result"]
    assert properties["tokenSymbol"] == "OPG"
    assert properties["tokenDecimals"] == 18
    assert substrate.runtime_config  # metadata decoded by a generic client
    assert substrate.rpc_request("state_getRuntimeVersion", [])["result"]["specName"] == "opg"


def test_transfer_pays_the_fee_the_node_quoted(node):
    substrate = node.substrate()
    bob = chain.keypair("//Bob")
    dave = chain.keypair("//Dave")
    alice = chain.keypair("//Alice")  # the only validator: authors every block
    quoted_at = substrate.get_chain_head()

    # Quote the very extrinsic that is submitted next (same signature, nonce and length).
    extrinsic = chain.sign(substrate, bob, "Balances", "transfer_keep_alive",
                           {"dest": dave.ss58_address, "value": AMOUNT})
    raw = str(extrinsic.data)
    quoted = as_int(chain.rpc(substrate, "payment_queryInfo", [raw, quoted_at])["partialFee"])
    details = chain.rpc(substrate, "payment_queryFeeDetails", [raw, quoted_at])
    inclusion = details["inclusionFee"]
    parts = [as_int(inclusion[key]) for key in ("baseFee", "lenFee", "adjustedWeightFee")]
    assert sum(parts) == quoted, details
    # About 0.0065 OPG (README): more than 0.001 OPG, less than 0.01 OPG.
    assert 10**15 < quoted < 10**16

    included = chain.submit_signed(substrate, extrinsic, "Balances.transfer_keep_alive")

    transfer = chain.find_event(included.events, "Balances", "Transfer")
    assert transfer == {"from": bob.ss58_address, "to": dave.ss58_address, "amount": AMOUNT}
    fee_paid = chain.find_event(included.events, "TransactionPayment", "TransactionFeePaid")
    assert fee_paid["who"] == bob.ss58_address and fee_paid["tip"] == 0
    fee = included.fee

    block = included.block_hash
    parent = parent_of(substrate, block)
    # The runtime charges with the fee multiplier stored in the parent's state. When it is the
    # one the quote used, the quote is exact; when blocks between the quote and the inclusion
    # moved it, the quote for the same bytes at the parent is.
    if fee_multiplier(substrate, quoted_at) == fee_multiplier(substrate, parent):
        assert fee == quoted
    else:
        assert fee == as_int(chain.rpc(substrate, "payment_queryInfo", [raw, parent])["partialFee"])

    assert free_balance(substrate, bob.ss58_address, block) == free_balance(substrate, bob.ss58_address, parent) - AMOUNT - fee
    assert free_balance(substrate, dave.ss58_address, block) == free_balance(substrate, dave.ss58_address, parent) + AMOUNT
    # The fee went to the block author; issuance did not change.
    author_gain = (free_balance(substrate, alice.ss58_address, block)
                   - free_balance(substrate, alice.ss58_address, parent))
    assert author_gain == fee
    issuance_before = substrate.query("Balances", "TotalIssuance", block_hash=parent).value
    assert substrate.query("Balances", "TotalIssuance", block_hash=block).value == issuance_before


def test_a_transfer_beyond_the_balance_fails_with_the_named_error(node):
    substrate = node.substrate()
    sender, receiver = chain.keypair("//Ferdie"), chain.keypair("//Charlie")
    funds = free_balance(substrate, sender.ss58_address)
    assert funds > 1000 * chain.OPG  # a funded dev account: it can pay the fee, not the amount

    with pytest.raises(chain.DispatchFailed) as failed:
        chain.submit(substrate, sender, "Balances", "transfer_keep_alive",
                     {"dest": receiver.ss58_address, "value": funds + chain.OPG})

    error = failed.value
    assert error.name in ("Token.FundsUnavailable", "Balances.InsufficientBalance"), str(error)
    assert f"{error.name}: " in str(error) and "None" not in str(error)
    assert error.docs and error.docs != "no documentation"
    # Included and failed: the fee is paid, nothing else moves.
    block = error.block_hash
    parent = parent_of(substrate, block)
    assert error.fee > 0
    assert chain.find_event(error.events, "Balances", "Transfer") is None
    assert free_balance(substrate, sender.ss58_address, block) == free_balance(substrate, sender.ss58_address, parent) - error.fee
    assert free_balance(substrate, receiver.ss58_address, block) == free_balance(substrate, receiver.ss58_address, parent)
    assert free_balance(substrate, sender.ss58_address, parent) == funds


def test_help_lists_the_standard_subcommands():
    output = subprocess.run([NODE_BIN, "--help"], capture_output=True, text=True, check=True,
                            timeout=60).stdout
    for subcommand in ["key", "build-spec", "export-chain-spec", "check-block", "export-blocks",
                       "import-blocks", "purge-chain", "revert", "benchmark", "chain-info"]:
        assert f"\n  {subcommand}" in output, subcommand


def test_the_benchmark_command_of_a_build_without_benchmarks_says_how_to_get_one():
    """The default build leaves the benchmarking CLI out (a fifth of its build time,
    docs/development.md); `benchmark` is still listed and says what to build instead."""
    result = subprocess.run([NODE_BIN, "benchmark", "machine", "--chain", "dev"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "--features runtime-benchmarks" in result.stderr, result.stderr
    assert "scripts/benchmark.sh" in result.stderr


def test_a_bad_chain_value_gives_a_clear_error():
    result = subprocess.run([NODE_BIN, "--chain", "no-such-chain", "--tmp"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0
    assert "unknown chain `no-such-chain`" in result.stderr
    assert "`dev`, `test`, `local`" in result.stderr


def test_exported_chain_spec_carries_the_token(tmp_path):
    result = subprocess.run([NODE_BIN, "export-chain-spec", "--chain", "local"], capture_output=True,
                            text=True, check=True, timeout=60)
    spec = json.loads(result.stdout)
    assert spec["properties"]["tokenSymbol"] == "OPG"
    assert spec["properties"]["tokenDecimals"] == 18
    assert spec["id"] == "opg_local"


# The README's local-network recipe: the node keys and Alice's peer id it prints.
ALICE_NODE_KEY = "00" * 31 + "01"
BOB_NODE_KEY = "00" * 31 + "02"
CHARLIE_NODE_KEY = "00" * 31 + "03"
ALICE_PEER_ID = "12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp"


@pytest.mark.timeout(300)
def test_the_readme_three_validator_recipe_finalizes_blocks(tmp_path):
    """Alice, Bob and Charlie, three of the `local` chain's four authorities, each with the
    README's node key: all start, Bob and Charlie find Alice through the peer id the README
    gives, and GRANDPA (which needs three of the four) finalizes; with two it could not."""
    require_node_binary()
    nodes = {name: Node(str(tmp_path / name), str(tmp_path / f"{name}.log"), name)
             for name in ("alice", "bob", "charlie")}
    try:
        nodes["alice"].start("--chain", "local", "--alice", "--node-key", ALICE_NODE_KEY)
        nodes["alice"].wait_for_finalized(0)  # its RPC answers
        assert nodes["alice"].peer_address().endswith(f"/p2p/{ALICE_PEER_ID}")
        bootnode = f"/ip4/127.0.0.1/tcp/{nodes['alice'].p2p_port}/p2p/{ALICE_PEER_ID}"
        nodes["bob"].start("--chain", "local", "--bob", "--node-key", BOB_NODE_KEY, "--bootnodes", bootnode)
        nodes["bob"].wait_for_finalized(0)  # its RPC answers
        # Two of four authorities produce blocks (in their own slots) but cannot finalize them.
        deadline = time.monotonic() + 90
        while nodes["bob"].heads()[0] < 2 and time.monotonic() < deadline:
            time.sleep(2)
        best, finalized = nodes["bob"].heads()
        assert best >= 2 and finalized == 0, (best, finalized)
        nodes["charlie"].start("--chain", "local", "--charlie", "--node-key", CHARLIE_NODE_KEY,
                               "--bootnodes", bootnode)
        for node in nodes.values():
            assert node.wait_for_finalized(2, timeout=180) >= 2
    finally:
        for node in nodes.values():
            node.stop()


def test_the_test_chain_changes_epochs_and_keeps_finalizing(node):
    """The test chain's BABE epochs are 30 slots (a minute): by the end of this module the
    chain has left epoch 0, every epoch change announced the next epoch's randomness, and
    blocks go on being produced and finalized in the new epoch. (Last in the module, so that
    the tests before it spend most of the minute.)"""
    substrate = node.substrate()
    try:
        deadline = time.monotonic() + 120
        while True:
            head = substrate.get_chain_finalised_head()
            epoch = substrate.query("Babe", "EpochIndex", block_hash=head).value
            if epoch >= 1:
                break
            assert time.monotonic() < deadline, f"still in epoch {epoch} after two minutes"
            time.sleep(2)
        _previous, current = substrate.query("Babe", "EpochStart", block_hash=head).value
        assert current > 1, current  # the first block of this epoch, after epoch 0's blocks
        assert substrate.query("Babe", "NextRandomness", block_hash=head).value != "0x" + "00" * 32
        number = substrate.get_block_number(head)
        assert node.wait_for_finalized(number + 3) >= number + 3
    finally:
        substrate.close()
