"""TEE mode end to end on a running dev node, with real clients (py-substrate-interface).

This machine has no TEE, so the job path runs through the dev chain's explicitly insecure
"unattested dev enclave": governance (root, through sudo, on the dev chain) allow-lists it,
Alice's inference node registers an enclave key (ed25519, key type `opgt`, inserted with
`author_insertKey`), a dApp requests a TEE job with the SDK's `opg.jobs`, the node's offchain
worker runs ONNX Runtime and signs (genesis, job, content id, input hash, output hash) with the
enclave key, and the job is final and its fee paid in the very block that includes the signed
result. Every event about it says `insecure`. Revoking the measurement then stops the node
receiving TEE jobs.

`opg-node tee` is exercised as an operator would: on this machine `quote` says there is no TEE,
and `inspect` reads the real TDX sample's measurement.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from substrateinterface import Keypair, KeypairType

from harness import NODE_BIN
from opg import chain, jobs
from opg_tools import testmodels
from test_inference import python_ort, same_bits, upload

ROOT = Path(__file__).resolve().parents[2]
TDX_SAMPLE = ROOT / "primitives" / "src" / "tee" / "samples" / "tdx_quote"
# The enclave key's seed: py-substrate-interface derives no ed25519 paths, and the node's
# keystore takes a hex seed as a secret URI.
ENCLAVE_SEED = "0x" + bytes(range(32)).hex()


def sudo(substrate, module: str, function: str, params: dict):
    """Root (the dev chain's governance) dispatches `module.function`; returns the events."""
    call = substrate.compose_call(call_module=module, call_function=function, call_params=params)
    included = chain.submit(substrate, chain.keypair("//Alice"), "Sudo", "sudo", {"call": call})
    sudid = chain.find_event(included.events, "Sudo", "Sudid")
    assert sudid is not None and "Ok" in sudid["sudo_result"], sudid
    return included.events


def test_the_tee_command_says_when_there_is_no_tee_and_reads_quotes(tmp_path):
    run = subprocess.run([NODE_BIN, "tee", "quote", "--enclave-key", "0x" + "11" * 32,
                          "--block-hash", "0x" + "22" * 32,
                          "--account", chain.keypair("//Alice").ss58_address,
                          "--tsm-dir", str(tmp_path / "tsm"),
                          "--gramine-dir", str(tmp_path / "attestation")],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode != 0
    assert "no TEE quote provider" in run.stderr, run.stderr
    run = subprocess.run([NODE_BIN, "tee", "inspect", str(TDX_SAMPLE)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    described = json.loads(run.stdout)
    assert described["tee"] == "Tdx"
    assert described["fmspc"] == "0xb0c06f000000"
    assert described["measurement"]["Tdx"]["mr_td"].startswith("0x91eb2b44")


@pytest.fixture(scope="module")
def mlp(tmp_path_factory, node) -> tuple[int, bytes]:
    file_name, _, build = next(m for m in testmodels.DEMO_MODELS if m[0] == "mlp-16-32-4.onnx")
    data = build()
    path = tmp_path_factory.mktemp("tee") / file_name
    path.write_bytes(data)
    return upload(node, path, "tee-mlp"), data


def test_a_tee_job_through_the_dev_enclave_is_final_and_settled_in_its_block(node, mlp):
    model_id, data = mlp
    substrate = node.substrate()
    alice = chain.keypair("//Alice")
    dapp = Keypair.create_from_uri("//opg-e2e-tee-dapp")
    chain.submit(substrate, alice, "Balances", "transfer_keep_alive",
                 {"dest": dapp.ss58_address, "value": 100 * chain.OPG})

    # No TEE node yet: a TEE request is refused and holds nothing.
    x = np.random.default_rng(19).standard_normal((1, 16)).astype(np.float32)
    with pytest.raises(chain.DispatchFailed) as refused:
        jobs.request(substrate, dapp, model_id, {"input": x.tolist()}, "tee")
    assert refused.value.name == "Inference.NoInferenceNode"

    # Governance allows the insecure dev enclave (possible only because the dev chain's
    # genesis allows it); Alice's node gets an enclave key and registers it.
    events = sudo(substrate, "Tee", "allow_measurement",
                  {"measurement": "InsecureDevEnclave"})
    allowed = chain.find_event(events, "Tee", "MeasurementAllowed")
    assert allowed["insecure"] is True
    enclave = Keypair.create_from_seed(ENCLAVE_SEED, crypto_type=KeypairType.ED25519)
    public = "0x" + enclave.public_key.hex()
    chain.rpc(substrate, "author_insertKey", ["opgt", ENCLAVE_SEED, public])
    assert chain.rpc(substrate, "author_hasKey", [public, "opgt"])
    # The key's proof that Alice's account holds it (there is no quote to bind it).
    genesis = bytes.fromhex(substrate.get_block_hash(0)[2:])
    message = b"opg:tee-register:insecure-dev:v1" + genesis + alice.public_key
    key_proof = "0x" + enclave.sign(message).hex()
    included = chain.submit(substrate, alice, "Tee", "register_tee", {
        "evidence": {"InsecureDevEnclave": {"key_proof": key_proof}}, "enclave_key": public})
    registered = chain.find_event(included.events, "Tee", "TeeRegistered")
    assert registered["insecure"] is True and registered["kind"] == "InsecureDev"
    stored = substrate.query("Tee", "TeeNodes", [alice.ss58_address]).value
    assert stored["enclave_key"] == public

    # A TEE job: assigned to Alice's node, answered with the enclave's signature.
    parameters = substrate.query("Inference", "ActiveParameters").value
    job, fee, _ = jobs.request(substrate, dapp, model_id, {"input": x.tolist()}, "tee")
    # The fee is the SDK's quote for this input: the price, the vanilla protocol fee (a TEE job
    # is one node's execution) and the output byte fee for the largest answer; the output
    # deposit is held beside it.
    _, schema, price = jobs.runnable_version(substrate, model_id)
    items = jobs.build_input(schema, {"input": x.tolist()})
    bound = jobs.output_bound(schema, items, jobs.max_output_bytes(substrate))
    assert fee == jobs.quote(substrate, "tee", price, schema, items)
    assert fee == price + int(parameters["vanilla_fee"]) + int(parameters["output_byte_fee"]) * bound
    deposit = int(parameters["output_byte_deposit"]) * bound
    record = jobs.wait(substrate, job, timeout=180)
    assert record["output_bound"] == bound
    assert record["fee"] == {"price": price, "protocol_fee": fee - price, "total": fee,
                             "output_deposit": deposit}
    name, fields = jobs.variant(record["status"])
    assert name == "Final", jobs.describe(record)
    assert fields["node"] == alice.ss58_address

    # Final and settled in the block that includes the signed result: the result, the enclave
    # signature's acceptance (named insecure) and the payment are all events of that block.
    block_hash = substrate.get_block_hash(int(fields["at"]))
    found, extrinsics = {}, set()
    for event in substrate.get_events(block_hash):
        pallet, event_name, attributes = chain.event_attributes(event)
        if pallet == "Inference" and attributes.get("job") == job:
            found[event_name] = attributes
            extrinsics.add(event.value["extrinsic_idx"])
    assert {"ResultSubmitted", "TeeResultAccepted", "JobFinal"} <= set(found), found
    # All three from one extrinsic of that block: the signed result.
    assert len(extrinsics) == 1 and None not in extrinsics, extrinsics
    assert found["TeeResultAccepted"]["insecure"] is True
    assert found["TeeResultAccepted"]["enclave_key"] == public
    final = found["JobFinal"]
    assert int(final["owner_paid"]) + int(final["node_paid"]) + int(final["treasury_paid"]) == fee
    # The fee is paid out; only the job's output deposit stays held, until it is pruned.
    at = substrate.get_chain_head()
    assert jobs.job(substrate, job, at) is not None, "the job is not pruned yet"
    assert substrate.query("Balances", "Holds", [dapp.ss58_address], block_hash=at).value == [
        {"id": {"Inference": "OutputDeposit"}, "amount": deposit}]

    # The output is ONNX Runtime's, bit for bit Python onnxruntime's on the same input.
    _, schema, _ = jobs.runnable_version(substrate, model_id)
    ours = jobs.output_arrays(substrate, job, schema)["logits"]
    assert same_bits(ours, python_ort(data, {"input": x})["logits"])

    # Governance revokes the measurement: the node loses its TEE registration at once and no
    # TEE job is given to anyone.
    events = sudo(substrate, "Tee", "revoke_measurement",
                  {"id": allowed["id"]})
    revoked = chain.find_event(events, "Tee", "MeasurementRevoked")
    assert revoked["nodes"] == 1 and revoked["insecure"] is True
    assert substrate.query("Tee", "TeeNodes", [alice.ss58_address]).value is None
    with pytest.raises(chain.DispatchFailed) as refused:
        jobs.request(substrate, dapp, model_id, {"input": x.tolist()}, "tee")
    assert refused.value.name == "Inference.NoInferenceNode"
    substrate.close()
