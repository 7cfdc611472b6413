"""A ZK key nobody can forge, end to end on a node of its own: the chain's key ceremony.

The model owner computes the version's initial key from the model and the pinned powers of tau
(`opg-node zk-init`; on the test chain the insecure dev ptau), uploads the model and publishes
the initial key into the data layer (`scripts/upload-model.sh`); governance approves the version
(the sudo key, as a curation referendum would). A dApp contributes in the open phase; when it
ends the chain draws two verifier nodes (never the owner), and their operators contribute in
turn; then it draws inference nodes, whose operators recompute the initial key and check the
final one. Each party uses `scripts/zk-ceremony.sh` with a key folder of its own: it reads the
head's key state from the node's data layer, runs `opg-node zk-contribute` (or `zk-init` and
`zk-verify-key`), sends the transaction and uploads the new state. When the attesters approve,
the version runs with the ceremony's key, which the inference node reads from its own data
layer (no key file on the node): a ZK job on it is final in the block that includes its proof,
its output equal to Python onnxruntime's, and the Python SDK and the TypeScript package show
the key's provenance (three contributions, two of them drawn). Nobody in the ceremony knew the
final key's secret but through their own contribution.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import onnxruntime
import pytest
from substrateinterface import Keypair

from harness import NODE_BIN, fresh_node
from opg import Client, chain, governance, jobs, models
from opg_tools import ceremony, zk

SCRIPTS = Path(__file__).resolve().parents[1]
TYPESCRIPT = SCRIPTS.parent / "clients" / "typescript" / "dist" / "index.js"
OWNER = "//opg-e2e-ceremony-owner"
DAPP = "//opg-e2e-ceremony-dapp"
SABOTEUR = "//opg-e2e-ceremony-saboteur"
# The dev chain's nodes (runtime/src/genesis_config_presets.rs): the node runs them all, so its
# operator (this test) signs for whichever of them the chain draws.
OPERATORS = {Keypair.create_from_uri(f"//{name}").ss58_address: f"//{name}"
             for name in ("Alice", "Bob", "Charlie", "Dave", "Eve")}


@pytest.fixture(scope="module")
def node():
    """A node of its own: the ceremony draws from the dev chain's nodes, whose keys this test
    holds, and no other module's registrations join the draw."""
    with fresh_node("opg-e2e-ceremony-", "ceremony node") as running:
        yield running


def node_json(*args: str) -> dict:
    run = subprocess.run([NODE_BIN, *args], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


# About 260 s alone (two turns, the attesters' window, a proof), more beside three other
# workers on two cores: past the default 300 s.
@pytest.mark.timeout(480)
def test_a_zk_version_runs_on_the_key_its_ceremony_made(node, tmp_path):
    substrate = node.substrate()
    alice = chain.keypair("//Alice")
    owner, dapp, saboteur = chain.keypair(OWNER), chain.keypair(DAPP), chain.keypair(SABOTEUR)
    for who in (owner, dapp, saboteur):
        chain.submit(substrate, alice, "Balances", "transfer_keep_alive",
                     {"dest": who.ss58_address, "value": 200 * chain.OPG})

    # The owner: the digits demo quantized, its initial key from the dev ptau, the upload.
    data, samples, _ = zk.digits_mlp()
    quantized = zk.quantize(zk.read_mlp(data), samples)
    model_file = tmp_path / "digits-zk.onnx"
    model_file.write_bytes(quantized.model)
    ptau = tmp_path / "dev.ptau"
    node_json("zk-dev-ptau", "--out", str(ptau))
    initial = node_json("zk-init", str(model_file), "--ptau", str(ptau), "--out", str(tmp_path / "init"))
    run = subprocess.run(
        [str(SCRIPTS / "upload-model.sh"), str(model_file), "--url", node.url, "--json", "--quiet",
         "--suri", OWNER, "--name", "digits-ceremony", "--price", "0.1", "--modes", "zk",
         "--zk", str(tmp_path / "init"), "--sudo-approve", "//Alice"],
        capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    uploaded = json.loads(run.stdout.strip().splitlines()[-1])
    model = int(uploaded["model_id"])
    assert uploaded["approved"] is True
    # The upload tool says what the version waits for (`--follow-ceremony` would wait for it).
    assert f"model {uploaded['model_id']} version 1 runs once its key ceremony ends: open to any contributor" in run.stderr
    client = Client(substrate)
    # Approved, but its key is not made yet: it does not run.
    assert client.zk_key_origin(model, 1) == "CeremonyRunning"
    assert client.model(model)["active_version"] is None
    record = ceremony.ceremony(substrate, model, 1)
    assert record["phase"] == "Open" and record["head"] == initial["proving_key_hash"]
    # The upload tool published the initial key: its chunks are in the data layer.
    assert record["head_published"] is True and record["upload"] is None
    assert "published the initial key" in run.stderr

    # Each party has a key folder of its own: key states travel through the data layer only.
    def keys_of(who: str) -> Path:
        return tmp_path / f"keys-{who.strip('/')}"

    # The open phase: the dApp takes the slot, reads the initial key from the node and
    # contributes.
    made = ceremony.contribute(substrate, dapp, model, 1, keys_of(DAPP))
    assert made["index"] == 0
    assert ceremony.ceremony(substrate, model, 1)["head"] == made["state_hash"]

    # A saboteur makes a right contribution (delta and proof of knowledge) but publishes a
    # state with one point of L left undivided, hoping the attesters reject the key and the
    # owner loses its fee. The chain cannot see it and counts it.
    chain.submit(substrate, saboteur, "ZkCeremony", "take_slot", {"model": model, "version": 1})
    parent_file = ceremony.fetch_state(substrate, model, 1, made["state_hash"], keys_of(SABOTEUR))
    honest = node_json("zk-contribute", "--key", str(parent_file),
                       "--genesis", substrate.get_block_hash(0)[2:], "--model", str(model),
                       "--version", "1", "--index", "1", "--author", saboteur.public_key.hex(),
                       "--out", str(keys_of(SABOTEUR)))
    parent, bad = parent_file.read_bytes(), bytearray(Path(honest["key_file"]).read_bytes())
    shape = ceremony.layout(parent)
    b_g1 = 448 + 8 + 64 * shape["inputs"] + 128 + 8 + 64 * shape["variables"]
    first_l = b_g1 + 8 + 64 * shape["variables"] + 8 + 128 * shape["variables"] + 8 + 64 * shape["h"] + 8
    at = next(first_l + 64 * i for i in range(shape["l"])
              if parent[first_l + 64 * i:first_l + 64 * i + 64] != bad[first_l + 64 * i:first_l + 64 * i + 64])
    bad[at:at + 64] = parent[at:at + 64]
    bad = bytes(bad)
    chain.submit(substrate, saboteur, "ZkCeremony", "contribute", {
        "model": model, "version": 1, "head": made["state_hash"],
        "contribution": honest["contribution"], **ceremony.commitment(bad)})
    ceremony.upload_state(substrate, saboteur, model, 1, bad)
    assert ceremony.ceremony(substrate, model, 1)["head"] == ceremony.state_id(bad)
    # Anyone who checks the transcript (`zk-ceremony.sh check`) shows it on chain, for free:
    # the saboteur forfeits its 10 OPG deposit and the head goes back to the dApp's state.
    def balance(who: str) -> tuple[int, int]:
        data = substrate.query("System", "Account", [who]).value["data"]
        return int(data["free"]), int(data["reserved"])
    free_before, held_before = balance(saboteur.ss58_address)
    assert held_before == 10 * chain.OPG
    shown = ceremony.check(substrate, dapp, model, 1, keys_of("checker"))
    assert shown == {"challenged": 1, "offset": at, "author": saboteur.ss58_address}, shown
    record = ceremony.ceremony(substrate, model, 1)
    assert (record["head"], record["contributions"]) == (made["state_hash"], 1)
    assert balance(saboteur.ss58_address) == (free_before, 0)
    assert ceremony.check(substrate, dapp, model, 1, keys_of("checker"))["challenged"] is None

    # The drawn phase and the attestations need nobody at a keyboard: the node holds the role
    # keys of the dev chain's nodes, and its offchain worker contributes for each drawn
    # verifier in its turn (fresh randomness in the node's prover, the new state uploaded
    # fee-free under the role key), then, for each drawn inference node, recomputes the
    # initial key from the model's bytes and the pinned (dev) ptau, checks the final key
    # against it and approves.
    def drawn_balances() -> dict:
        return {who: balance(who) for who in OPERATORS}
    before = drawn_balances()
    governance.wait_for(
        lambda: (lambda r: r if r and r["phase"] == "Attesting" and r["attesters"] else None)(
            ceremony.ceremony(substrate, model, 1)),
        "the drawn contributions and the attesters' draw", timeout=600)
    transcript = {int(key.value if hasattr(key, "value") else key): value.value
                  for key, value in substrate.query_map("ZkCeremony", "Transcript", [[model, 1]])}
    drawn = [transcript[index] for index in (1, 2)]
    assert all(entry["drawn"] and entry["author"] in OPERATORS for entry in drawn), drawn
    assert all(entry["author"] != owner.ss58_address for entry in drawn)
    final_state = drawn[-1]["state_hash"]
    # The version runs on the ceremony's key, whose provenance the SDK shows.
    governance.wait_for(lambda: client.model(model)["active_version"] == 1, "the version active",
                        timeout=60)
    assert client.zk_key_origin(model, 1) == {"Ceremony": {"contributions": 3, "drawn": 2}}
    # The drawn nodes' work cost them no fee: each was paid its share of the ceremony's fee.
    after = drawn_balances()
    for entry in drawn:
        assert after[entry["author"]][0] > before[entry["author"]][0], (entry["author"], before, after)

    # The TypeScript package (and the web page, which shows its words beside the model) agrees.
    typescript = subprocess.run(
        ["node", "--input-type=module", "-e",
         f"import * as OPG from {json.dumps(TYPESCRIPT.as_uri())};\n"
         f"const api = await OPG.connect({json.dumps(node.url)});\n"
         f"const origin = await OPG.getZkKeyOrigin(api, {model}, 1);\n"
         "console.log(JSON.stringify({origin, words: OPG.describeZkKeyOrigin(origin)}));\n"
         "await api.disconnect();"],
        capture_output=True, text=True, timeout=60)
    assert typescript.returncode == 0, typescript.stderr
    shown = json.loads(typescript.stdout.strip().splitlines()[-1])
    assert shown["origin"] == {"kind": "ceremony", "contributions": 3, "drawn": 2}
    assert shown["words"].startswith("ZK key made by the chain's ceremony: 3 contributions")
    assert ceremony.ceremony(substrate, model, 1) is None
    key = substrate.query("ModelRegistry", "VerifyingKeys", [model, 1]).value
    assert key["proving_key_hash"] == final_state
    # The chain keeps the final state's chunk hashes (for nodes that check the key), no other.
    def state_of(key):
        value = key.value if hasattr(key, "value") else key
        return value[-1] if isinstance(value, (list, tuple)) else value
    kept = [state_of(key) for key, _ in substrate.query_map("ZkCeremony", "StateChunks", [[model, 1]])]
    assert kept == [final_state], kept

    # A data node serves the key, chunk by chunk checked against the ceremony's commitment, to
    # a proving node that lacks it (`opgModel_keyChunk`; the offchain worker fetches it so).
    final_key = ceremony.fetch_state(substrate, model, 1, final_state, keys_of("reader")).read_bytes()
    served = chain.rpc(substrate, "opgModel_keyChunk", [model, 1, 0])
    assert served == "0x" + final_key[:ceremony.KEY_CHUNK_SIZE].hex()
    past = models.chunk_count(len(final_key), ceremony.KEY_CHUNK_SIZE)
    with pytest.raises(chain.ChainError, match="no proving key in the data layer"):
        chain.rpc(substrate, "opgModel_keyChunk", [model, 1, past])

    # The inference node proves with the final key from its own data layer: no operator put
    # a key file on it.
    zk_keys = Path(node.base_path) / "zk-keys"
    assert not zk_keys.exists() or not any(zk_keys.iterdir())
    x = quantized.quantize_input(samples[:1])
    job, _, _ = jobs.request(substrate, dapp, model, {"X": x.tolist()}, "zk")
    record = jobs.wait(substrate, job, timeout=180)
    name, fields = jobs.variant(record["status"])
    assert name == "Final", record
    block = substrate.get_block_hash(int(fields["at"]))
    events = [chain.event_attributes(event)[:2] for event in substrate.get_events(block)]
    assert ("Inference", "ProofVerified") in events and ("Inference", "JobFinal") in events
    session = onnxruntime.InferenceSession(quantized.model, providers=["CPUExecutionProvider"])
    expected = session.run(None, {"X": x})[0]
    arrays = jobs.output_arrays(substrate, job, jobs.runnable_version(substrate, model)[1])
    assert np.array_equal(arrays["logits"].astype(np.int64), expected.astype(np.int64))
    substrate.close()
