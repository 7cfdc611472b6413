"""The foundation, end to end: a dev chain that produces and finalizes blocks and moves OPG."""

from __future__ import annotations

import json
import subprocess
import urllib.request

from conftest import NODE_BIN
from opg_tools import chain

AMOUNT = 3 * chain.OPG  # 3 OPG


def free_balance(substrate, address: str, block_hash: str | None = None) -> int:
    return substrate.query("System", "Account", [address], block_hash=block_hash).value["data"]["free"]


def test_blocks_are_produced_and_finalized(node):
    first = node.wait_for_finalized(1)
    later = node.wait_for_finalized(first + 2)
    assert later >= first + 2


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


def test_transfer_pays_its_fee_in_opg(node):
    substrate = node.substrate()
    bob = chain.keypair("//Bob")
    dave = chain.keypair("//Dave")
    alice = chain.keypair("//Alice")  # the only validator: authors every block
    head = substrate.get_chain_head()
    bob_before = free_balance(substrate, bob.ss58_address, head)
    dave_before = free_balance(substrate, dave.ss58_address, head)

    included = chain.submit(substrate, bob, "Balances", "transfer_keep_alive",
                            {"dest": dave.ss58_address, "value": AMOUNT})

    transfer = chain.find_event(included.events, "Balances", "Transfer")
    assert transfer == {"from": bob.ss58_address, "to": dave.ss58_address, "amount": AMOUNT}
    fee_paid = chain.find_event(included.events, "TransactionPayment", "TransactionFeePaid")
    assert fee_paid["who"] == bob.ss58_address
    fee = fee_paid["actual_fee"] + fee_paid["tip"]
    assert fee == included.fee
    # About 0.0065 OPG: more than 0.001 OPG, less than 0.01 OPG.
    assert 10**15 < fee < 10**16

    block = included.block_hash
    parent = substrate.get_block_header(block)["header"]["parentHash"]
    assert free_balance(substrate, bob.ss58_address, block) == bob_before - AMOUNT - fee
    assert free_balance(substrate, dave.ss58_address, block) == dave_before + AMOUNT
    # The fee went to the block author; issuance did not change.
    author_gain = (free_balance(substrate, alice.ss58_address, block)
                   - free_balance(substrate, alice.ss58_address, parent))
    assert author_gain == fee
    issuance_before = substrate.query("Balances", "TotalIssuance", block_hash=parent).value
    assert substrate.query("Balances", "TotalIssuance", block_hash=block).value == issuance_before


def test_a_transfer_beyond_the_balance_fails_cleanly(node):
    substrate = node.substrate()
    poor = chain.keypair("//OPG-e2e-empty-account")
    try:
        chain.submit(substrate, poor, "Balances", "transfer_keep_alive",
                     {"dest": chain.keypair("//Dave").ss58_address, "value": AMOUNT})
    except chain.ChainError as error:
        assert "Inability to pay some fees" in str(error) or "refused" in str(error)
    else:
        raise AssertionError("an account without funds could transfer")


def test_help_lists_the_standard_subcommands():
    output = subprocess.run([NODE_BIN, "--help"], capture_output=True, text=True, check=True).stdout
    for subcommand in ["key", "build-spec", "export-chain-spec", "check-block", "export-blocks",
                       "import-blocks", "purge-chain", "revert", "benchmark", "chain-info"]:
        assert f"\n  {subcommand}" in output, subcommand


def test_a_bad_chain_value_gives_a_clear_error():
    result = subprocess.run([NODE_BIN, "--chain", "no-such-chain", "--tmp"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0
    assert "unknown chain `no-such-chain`" in result.stderr
    assert "`dev`, `local`" in result.stderr


def test_exported_chain_spec_carries_the_token(tmp_path):
    result = subprocess.run([NODE_BIN, "export-chain-spec", "--chain", "local"], capture_output=True,
                            text=True, check=True, timeout=60)
    spec = json.loads(result.stdout)
    assert spec["properties"]["tokenSymbol"] == "OPG"
    assert spec["properties"]["tokenDecimals"] == 18
    assert spec["id"] == "opg_local"
