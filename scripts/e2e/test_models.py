"""The model data layer, end to end: upload a real ONNX model with the upload command, read it
back byte for byte through the node RPC, decode its records with a generic client, resume an
interrupted upload, and replicate the bytes to other nodes: one that fetches them (indexing off)
and one that gets them by importing the blocks (indexing on)."""

from __future__ import annotations

import json
import os
import signal
import struct
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from substrateinterface.exceptions import SubstrateRequestException

from harness import TEST_CHAIN, Node, require_node_binary
from opg import chain, models
from opg.upload import parse_modes, version_spec
from opg_tools import testmodels

SCRIPTS = Path(__file__).resolve().parents[1]
CHUNK = 64 * 1024


def upload(node, path, *extra: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SCRIPTS / "upload-model.sh"), str(path), "--url", node.url, "--json", "--quiet", *extra],
        capture_output=True, text=True, timeout=timeout,
    )


def result_of(run: subprocess.CompletedProcess) -> dict:
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


def model_bytes(substrate, model_id: int, version: int | None = None) -> bytes:
    return bytes.fromhex(chain.rpc(substrate, "opgModel_bytes", [model_id, version])[2:])


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
    return result_of(upload(node, model_file, "--name", "e2e-mlp", "--description",
                            "end-to-end test MLP", "--price", "0.5"))


def test_the_model_is_at_least_100_kb_and_uploads_in_chunks(model_file, uploaded):
    data = model_file.read_bytes()
    assert len(data) >= 100 * 1024
    assert uploaded["byte_size"] == len(data)
    assert uploaded["chunks"] == -(-len(data) // CHUNK)
    assert uploaded["content_id"] == "0x" + models.content_id(data, CHUNK).hex()
    assert uploaded["resumed_from"] is None and not uploaded["already_uploaded"]


def test_the_node_rpc_returns_the_bytes_byte_for_byte(node, model_file, uploaded):
    substrate = node.substrate()
    data = model_file.read_bytes()
    assert model_bytes(substrate, uploaded["model_id"]) == data
    chunks = [bytes.fromhex(chain.rpc(substrate, "opgModel_chunk", [uploaded["model_id"], 1, i])[2:])
              for i in range(uploaded["chunks"])]
    assert b"".join(chunks) == data
    local = chain.rpc(substrate, "opgModel_localChunks", [uploaded["model_id"], None])
    assert local["held"] == list(range(uploaded["chunks"]))
    assert local["chunkCount"] == uploaded["chunks"] and local["contentId"] == uploaded["content_id"]


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


def test_storage_and_events_decode_with_a_generic_client(node, model_file, uploaded):
    substrate = node.substrate()
    alice = chain.keypair("//Alice")
    model_id = uploaded["model_id"]
    model = chain.registry(substrate, "Models", [model_id])
    assert model["owner"] == alice.ss58_address
    # Valid UTF-8 byte strings decode as text.
    assert model["name"] == "e2e-mlp"
    assert model["description"] == "end-to-end test MLP"
    assert model["price"] == chain.OPG // 2
    assert model["status"] == "Active" and model["suspended"] is False
    assert model["active_version"] == 1 and model["latest_version"] == 1
    assert model["uploading"] is None
    version = chain.registry(substrate, "Versions", [model_id, 1])
    assert "upload" not in version  # upload progress lives in Uploads, and only while uploading
    assert version["content_id"] == uploaded["content_id"]
    assert version["byte_size"] == uploaded["byte_size"]
    assert version["chunk_count"] == uploaded["chunks"]
    assert version["completed_at"] is not None
    assert version["schema"]["inputs"][0]["dtype"] == "Float32"
    assert version["schema"]["inputs"][0]["shape"] == ["Dynamic", {"Fixed": 64}]
    assert version["schema"]["outputs"][0]["shape"] == ["Dynamic", {"Fixed": 10}]
    assert chain.registry(substrate, "Uploads", [model_id, 1]) is None
    assert chain.registry(substrate, "VerifyingKeys", [model_id, 1]) is None  # not a ZK version
    assert tuple(chain.registry(substrate, "ContentByOwner", [alice.ss58_address, uploaded["content_id"]])) == (model_id, 1)
    # Alice also bonds as a dev node: pick the registry's hold among hers.
    held = substrate.query("Balances", "Holds", [alice.ss58_address]).value
    deposits = [h for h in held if h["id"] == {"ModelRegistry": "ModelDeposit"}]
    assert len(deposits) == 1
    assert deposits[0]["amount"] == model["deposit"] + version["deposit"]

    events = substrate.get_events(uploaded["registered_in"])
    registered = [e.value["event"]["attributes"] for e in events
                  if e.value["event"]["event_id"] == "ModelRegistered"]
    assert registered and registered[0]["model_id"] == model_id
    assert registered[0]["content_id"] == uploaded["content_id"]

    # The runtime API, paginated: the active models among ids 0..256, as a SCALE
    # ModelPage { models: Vec<u32>, next: Option<u32> }; this chain has fewer, so `next` is None.
    raw = bytes.fromhex(chain.rpc(substrate, "state_call", [
        "ModelRegistryApi_active_models", "0x" + struct.pack("<II", 0, 256).hex()])[2:])
    assert raw[-1:] == b"\x00"
    assert model_id in substrate.decode_scale("Vec<u32>", "0x" + raw[:-1].hex())
    # One chunk's hash, without the version's whole list: Option<H256>.
    raw = bytes.fromhex(chain.rpc(substrate, "state_call", [
        "ModelRegistryApi_chunk_hash", "0x" + struct.pack("<III", model_id, 1, 0).hex()])[2:])
    assert raw == b"\x01" + models.blake2_256(model_file.read_bytes()[:CHUNK])


def register_by_hand(substrate, signer, data: bytes, name: str) -> int:
    """Registers `data` as a new model without uploading it, as an interrupted run leaves it."""
    spec = version_spec(data, models.schema_from_onnx(data), parse_modes("vanilla"), CHUNK)
    included = chain.submit(substrate, signer, "ModelRegistry", "register_model", {
        "name": "0x" + name.encode().hex(), "description": "0x", "price": 0, "version": spec})
    return int(chain.find_event(included.events, "ModelRegistry", "ModelRegistered")["model_id"])


def test_the_same_owner_cannot_register_the_same_bytes_twice(node, model_file, uploaded):
    substrate = node.substrate()
    with pytest.raises(chain.DispatchFailed) as failed:
        register_by_hand(substrate, chain.keypair("//Alice"), model_file.read_bytes(), "again")
    assert failed.value.name == "ModelRegistry.DuplicateModel"
    assert "ModelRegistry.DuplicateModel: " in str(failed.value)


def test_rerunning_a_finished_upload_says_so_and_prints_the_model_id(node, model_file, uploaded):
    again = upload(node, model_file)
    result = result_of(again)
    assert result["already_uploaded"] is True
    assert (result["model_id"], result["version"]) == (uploaded["model_id"], 1)
    assert f"already uploaded: model {uploaded['model_id']} version 1" in again.stderr
    plain = subprocess.run([str(SCRIPTS / "upload-model.sh"), str(model_file), "--url", node.url],
                           capture_output=True, text=True, timeout=120)
    assert plain.returncode == 0, plain.stderr
    assert f"model id: {uploaded['model_id']}" in plain.stdout


def test_another_owner_may_register_the_same_bytes(node, model_file, uploaded):
    result = result_of(upload(node, model_file, "--suri", "//Bob", "--name", "bobs-copy"))
    assert result["model_id"] != uploaded["model_id"]
    assert result["content_id"] == uploaded["content_id"]
    assert model_bytes(node.substrate(), result["model_id"]) == model_file.read_bytes()


def test_an_interrupted_upload_resumes_from_the_chunk_the_chain_expects(node, tmp_path):
    data = testmodels.mlp(seed=21)
    path = tmp_path / "resume.onnx"
    path.write_bytes(data)
    substrate = node.substrate()
    eve = chain.keypair("//Eve")
    model_id = register_by_hand(substrate, eve, data, "resume")
    chain.submit(substrate, eve, "ModelRegistry", "upload_chunk",
                 {"model_id": model_id, "version": 1, "index": 0, "data": "0x" + data[:CHUNK].hex()})
    assert chain.registry(substrate, "Uploads", [model_id, 1])["next_chunk"] == 1

    resumed = upload(node, path, "--suri", "//Eve")
    result = result_of(resumed)
    count = models.chunk_count(len(data), CHUNK)
    assert f"resuming the upload of model {model_id} version 1 from chunk 1 of {count}" in resumed.stderr
    assert (result["model_id"], result["version"], result["resumed_from"]) == (model_id, 1, 1)
    assert chain.registry(substrate, "Uploads", [model_id, 1]) is None
    assert chain.registry(substrate, "Versions", [model_id, 1])["completed_at"] is not None
    assert model_bytes(substrate, model_id) == data


def test_ctrl_c_says_how_to_resume_and_the_same_command_finishes(node, tmp_path):
    data = testmodels.mlp(hidden=512, seed=22)
    path = tmp_path / "interrupted.onnx"
    path.write_bytes(data)
    command = [str(SCRIPTS / "upload-model.sh"), str(path), "--url", node.url, "--suri", "//Eve",
               "--window", "1", "--json", "--quiet"]
    interrupted = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        line = ""
        while "registered model" not in line and time.monotonic() < deadline:
            line = interrupted.stderr.readline()
            assert line or interrupted.poll() is None, "the upload ended before registering"
        assert "registered model" in line
        interrupted.send_signal(signal.SIGINT)
        _, stderr = interrupted.communicate(timeout=60)
    finally:
        if interrupted.poll() is None:
            interrupted.kill()
    assert interrupted.returncode == 130, stderr
    assert "rerun the same command to resume the upload" in stderr
    assert "Traceback" not in stderr
    model_id = int(line.split("registered model ")[1].split()[0])

    finished = subprocess.run(command, capture_output=True, text=True, timeout=300)
    result = result_of(finished)
    assert result["model_id"] == model_id
    assert result["resumed_from"] is not None or result["already_uploaded"]
    assert model_bytes(node.substrate(), model_id) == data


# -------------------------------------------------------------------------------------------
# Replication to other nodes

@pytest.fixture(scope="module")
def peers(node, uploaded):
    """Two non-validating nodes of the dev chain that sync from the dev node: one with offchain
    indexing off (it must fetch the bytes) and one with it on, the default (block import
    writes the bytes)."""
    require_node_binary()
    bootnode = node.peer_address()
    with tempfile.TemporaryDirectory(prefix="opg-e2e-peers-") as base:
        started = {}
        try:
            for name, extra in (("no-indexing", ("--enable-offchain-indexing", "false")),
                                ("indexing", ())):
                peer = Node(os.path.join(base, name), os.path.join(base, f"{name}.log"), f"{name} peer")
                peer.start("--chain", TEST_CHAIN, "--bootnodes", bootnode, *extra)
                started[name] = peer
            completed_at = node.substrate().get_block_number(uploaded["completed_in"])
            for peer in started.values():
                peer.wait_for_finalized(completed_at + 1, timeout=240)
            yield started
        finally:
            for peer in started.values():
                peer.stop()


@pytest.mark.timeout(600)
def test_a_node_without_indexing_holds_nothing_until_it_fetches_every_chunk(node, model_file, uploaded, peers):
    peer = peers["no-indexing"].substrate()
    model_id, count = uploaded["model_id"], uploaded["chunks"]
    before = chain.rpc(peer, "opgModel_localChunks", [model_id, None])
    assert before["chunkCount"] == count and before["contentId"] == uploaded["content_id"]
    assert before["held"] == []
    lacking = rpc_error(peer, "opgModel_bytes", [model_id, None])
    assert lacking["code"] == 7002 and "does not hold chunk 0" in lacking["message"]

    fetched = subprocess.run(
        [str(SCRIPTS / "fetch-model.sh"), "--from", node.http_url, "--to", peers["no-indexing"].url,
         "--model", str(model_id), "--quiet"],
        capture_output=True, text=True, timeout=180,
    )
    assert fetched.returncode == 0, fetched.stderr
    assert f"fetched {count} chunk(s), all {count} verified against content id" in fetched.stdout
    after = chain.rpc(peer, "opgModel_localChunks", [model_id, None])
    assert after["held"] == list(range(count))
    assert model_bytes(peer, model_id) == model_file.read_bytes()


@pytest.mark.timeout(600)
def test_a_node_that_syncs_with_indexing_gets_every_chunk_by_block_import(model_file, uploaded, peers):
    peer = peers["indexing"].substrate()
    model_id, count = uploaded["model_id"], uploaded["chunks"]
    local = chain.rpc(peer, "opgModel_localChunks", [model_id, None])
    assert local["held"] == list(range(count))
    assert model_bytes(peer, model_id) == model_file.read_bytes()
    for index in range(count):  # each chunk passes the node's hash check
        chunk = bytes.fromhex(chain.rpc(peer, "opgModel_chunk", [model_id, None, index])[2:])
        assert models.blake2_256(chunk) == bytes.fromhex(
            chain.registry(peer, "ChunkHashes", [model_id, 1])[index][2:])
