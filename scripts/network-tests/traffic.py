"""Sending many inference requests fast: the call is composed once, then signed with
consecutive nonces and handed to a node's pool without waiting for inclusion (what a busy
dApp backend does). The tests count what became of each request from the blocks (ledger.py)."""

from __future__ import annotations

import time

from opg import chain, governance, jobs
from opg.client import Client
from opg.errors import Refused
from opg_tools import testmodels
from opg_tools.network import say


class RequestSender:
    """Requests of `model` (its runnable version) in `mode` on `inputs`, signed by `signer`
    and sent to the node `substrate` is connected to."""

    def __init__(self, substrate, signer: str, model: int, mode: str, inputs: dict):
        self.substrate = substrate
        self.signer = chain.keypair(signer)
        version, schema, price = jobs.runnable_version(substrate, model)
        items = jobs.build_input(schema, inputs)
        fee = jobs.quote(substrate, mode, price, schema, items)
        self.call = substrate.compose_call("Inference", "request", {
            "model": model, "version": version,
            "input": jobs.call_tensors(items),
            "mode": mode.capitalize(), "max_fee": fee})
        self.nonce = int(chain.rpc(substrate, "system_accountNextIndex", [self.signer.ss58_address]))
        self.sent = 0
        self.refused: list[str] = []

    def send(self, count: int, retry_for: float = 30.0) -> list[str]:
        """Sends `count` requests; returns their transaction hashes. A request the pool refuses
        (full, or the node busy) is sent again with the same nonce until `retry_for` seconds
        pass, then counted as refused: a request never enters the count of sent ones unless a
        pool took it."""
        hashes = []
        for _ in range(count):
            extrinsic = self.substrate.create_signed_extrinsic(call=self.call, keypair=self.signer,
                                                              nonce=self.nonce)
            deadline = time.monotonic() + retry_for
            while True:
                try:
                    hashes.append(chain.submit_signed(self.substrate, extrinsic, "Inference.request",
                                                      wait=False))
                    self.nonce += 1
                    self.sent += 1
                    break
                except Refused as error:
                    if time.monotonic() > deadline:
                        self.refused.append(str(error))
                        return hashes
                    time.sleep(0.5)
        return hashes


def publish_model(url: str, owner: str) -> int:
    """Publishes a fresh MLP (8 inputs, 3 outputs, two chunks) from `owner` and approves it
    with sudo (the `local` chain's test key) as a curation referendum would; returns its id."""
    client = Client.connect(url, owner)
    try:
        data = testmodels.mlp(inputs=8, hidden=128, outputs=3, seed=21)
        uploaded = client.upload_model(data, name="network-test-mlp", price=chain.OPG // 100, quiet=True)
        approve = client.substrate.compose_call("ModelRegistry", "approve_version",
                                                {"model_id": uploaded.model_id, "version": uploaded.version})
        chain.submit(client.substrate, chain.keypair("//Alice"), "Sudo", "sudo", {"call": approve})
        governance.wait_for(lambda: client.substrate.query(
            "ModelRegistry", "Versions", [uploaded.model_id, uploaded.version]).value["approved"],
            "the model's approval")
        say(f"model {uploaded.model_id} published ({len(data)} bytes, {uploaded.chunks} chunks) and approved")
        return uploaded.model_id
    finally:
        client.close()
