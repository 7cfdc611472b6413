"""The model data layer, end to end: upload a real ONNX model with the upload command, read it
back byte for byte through the node RPC, decode its records with a generic client, and fetch it
into a node that lacks it."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from substrateinterface.exceptions import SubstrateRequestException

from conftest import NODE_BIN, Node
from opg_tools import chain, models, testmodels

SCRIPTS = Path(__file__).resolve().parents[1]


def upload(node, path: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SCRIPTS / "upload-model.sh"), path, "--url", node.url, "--json", "--quiet", *extra],
        capture_output=True, text=True, timeout=300,
    )


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    data = testmodels.mlp()
    # A real model: ONNX Runtime runs it.
    assert testmodels.run(data, np.ones((3, 64), dtype=np.float32)).shape == (3, 10)
    path = tmp_path_factory.mktemp("models") / "mlp.onnx"
    path.write_bytes(data)
    return path


@pytest.fixture(scope="module")
def uploaded(node, model_file):
    result = upload(node, str(model_file), "--name", "e2e-mlp", "--description", "end-to-end test MLP",
                    "--price", "0.5")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_model_is_at_least_100_kb_and_uploads_in_chunks(model_file, uploaded):
    data = model_file.read_bytes()
    assert len(data) >= 100 * 1024
    assert uploaded["byte_size"] == len(data)
    assert uploaded["chunks"] == -(-len(data) // (64 * 1024))
    assert uploaded["content_id"] == "0x" + models.content_id(data, 64 * 1024).hex()


def test_the_node_rpc_returns_the_bytes_byte_for_byte(node, model_file, uploaded):
    substrate = node.substrate()
    data = model_file.read_bytes()
    whole = substrate.rpc_request("opgModel_bytes", [uploaded["model_id"], None])["result"]
    assert bytes.fromhex(whole[2:]) == data
    chunks = [bytes.fromhex(substrate.rpc_request("opgModel_chunk", [uploaded["model_id"], 1, i])["result"][2:])
              for i in range(uploaded["chunks"])]
    assert b"".join(chunks) == data
    local = substrate.rpc_request("opgModel_localChunks", [uploaded["model_id"], None])["result"]
    assert local["held"] == list(range(uploaded["chunks"]))


def rpc_error(substrate, method: str, params: list) -> dict:
    with pytest.raises(SubstrateRequestException) as raised:
        substrate.rpc_request(method, params)
    return raised.value.args[0]


def test_rpc_errors_are_clear(node, uploaded):
    substrate = node.substrate()
    assert rpc_error(substrate, "opgModel_bytes", [9999, None]) == {"code": 7001, "message": "no model 9999"}
    beyond = rpc_error(substrate, "opgModel_chunk", [uploaded["model_id"], 1, 99])
    assert beyond["code"] == 7001
    assert "has 3 chunks; there is no chunk 99" in beyond["message"]


def test_storage_and_events_decode_with_a_generic_client(node, uploaded):
    substrate = node.substrate()
    alice = chain.keypair("//Alice")
    model = substrate.query("ModelRegistry", "Models", [uploaded["model_id"]]).value
    assert model["owner"] == alice.ss58_address
    # Valid UTF-8 byte strings decode as text.
    assert model["name"] == "e2e-mlp"
    assert model["description"] == "end-to-end test MLP"
    assert model["price"] == chain.OPG // 2
    assert model["active_version"] == 1
    assert model["status"] == "Active"
    version = substrate.query("ModelRegistry", "Versions", [uploaded["model_id"], 1]).value
    assert version["content_id"] == uploaded["content_id"]
    assert version["byte_size"] == uploaded["byte_size"]
    assert "Complete" in version["upload"]
    assert version["schema"]["inputs"][0]["dtype"] == "Float32"
    assert version["schema"]["inputs"][0]["shape"] == ["Dynamic", {"Fixed": 64}]
    assert version["schema"]["outputs"][0]["shape"] == ["Dynamic", {"Fixed": 10}]
    held = substrate.query("Balances", "Holds", [alice.ss58_address]).value
    assert held and held[0]["id"] == {"ModelRegistry": "ModelDeposit"}
    assert held[0]["amount"] == model["deposit"] + version["deposit"]

    events = substrate.get_events(uploaded["registered_in"])
    registered = [e.value["event"]["attributes"] for e in events
                  if e.value["event"]["event_id"] == "ModelRegistered"]
    assert registered and registered[0]["model_id"] == uploaded["model_id"]
    assert registered[0]["content_id"] == uploaded["content_id"]

    # The runtime API: active models, as SCALE Vec<u32>.
    raw = substrate.rpc_request("state_call", ["ModelRegistryApi_active_models", "0x"])["result"]
    active = substrate.decode_scale("Vec<u32>", raw)
    assert uploaded["model_id"] in active


def test_a_duplicate_upload_is_refused_with_the_pallet_error(node, model_file, uploaded):
    result = upload(node, str(model_file), "--suri", "//Bob")
    assert result.returncode == 1
    assert "DuplicateModel" in result.stderr


def test_a_file_that_is_not_onnx_is_refused(node, tmp_path):
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"definitely not a protobuf" * 10)
    result = upload(node, str(junk))
    assert result.returncode == 1
    assert "not a readable ONNX model" in result.stderr


def test_a_node_without_the_model_fetches_it_from_a_data_node(node, model_file, uploaded):
    substrate = node.substrate()
    peer_id = substrate.rpc_request("system_localPeerId", [])["result"]
    with tempfile.TemporaryDirectory(prefix="opg-e2e-peer-") as base:
        peer = Node(os.path.join(base, "chain"), os.path.join(base, "node.log"))
        log = open(peer.log_path, "ab")
        peer.process = subprocess.Popen(
            [NODE_BIN, "--chain", "dev", "--base-path", peer.base_path, "--rpc-port", str(peer.rpc_port),
             "--listen-addr", f"/ip4/127.0.0.1/tcp/{peer.p2p_port}",
             "--prometheus-port", str(peer.prometheus_port), "--no-mdns", "--rpc-methods", "unsafe",
             "--enable-offchain-indexing", "false",
             "--bootnodes", f"/ip4/127.0.0.1/tcp/{node.p2p_port}/p2p/{peer_id}"],
            stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            registered_at = substrate.get_block_number(uploaded["registered_in"])
            peer.wait_for_finalized(registered_at + 2, timeout=120)
            peer_substrate = peer.substrate()
            lacking = rpc_error(peer_substrate, "opgModel_bytes", [uploaded["model_id"], None])
            assert lacking["code"] == 7002
            assert "does not hold chunk 0" in lacking["message"]

            fetched = subprocess.run(
                [str(SCRIPTS / "fetch-model.sh"), "--from", node.http_url, "--to", peer.url,
                 "--model", str(uploaded["model_id"]), "--quiet"],
                capture_output=True, text=True, timeout=120,
            )
            assert fetched.returncode == 0, fetched.stderr
            assert "verified against content id" in fetched.stdout
            whole = peer_substrate.rpc_request("opgModel_bytes", [uploaded["model_id"], None])["result"]
            assert bytes.fromhex(whole[2:]) == model_file.read_bytes()
        finally:
            peer.stop()
