"""The web page (clients/web) end to end, in a real browser: Playwright drives Debian's
Chromium, headless, on the page scripts/serve-web.sh serves, pointed at the dev node. Through
the page a user publishes an ONNX model, picks it, enters an input, pays with //Alice and
watches the job go from requested (and queued for a node) to final; the outputs the page shows equal Python
onnxruntime's bit for bit, and the fee (the quote for the input entered), the output deposit and
the attestation it shows are the chain's.

Needs Chromium (`/usr/bin/chromium`, or $OPG_CHROMIUM) and the page's bundle (`scripts/setup.sh`
installs the one and builds the other)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from substrateinterface import Keypair, SubstrateInterface

from harness import free_port, python_ort
from opg import jobs
from opg_tools import testmodels

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("OPG_CHROMIUM", "/usr/bin/chromium")
BUNDLE = ROOT / "clients" / "web" / "dist" / "opg.js"
OPG = 10**18
VERIFIERS = {Keypair.create_from_uri(f"//{name}").ss58_address for name in ("Bob", "Charlie", "Dave", "Eve")}
# Slowest step: an attested job whose committee member's commitment is late waits for the round
# deadline (about a dozen blocks; 6 s each on a dev chain, 2 s on the test chain).
JOB_TIMEOUT_MS = 180_000


@pytest.fixture(scope="module")
def site(node):
    """scripts/serve-web.sh on a free port: the page's address for the dev node."""
    if not BUNDLE.exists():
        pytest.fail(f"{BUNDLE} is missing: run scripts/setup.sh (it builds the page with npm)")
    port = free_port()
    server = subprocess.Popen([str(ROOT / "scripts" / "serve-web.sh"), "--port", str(port), "--node", node.url],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"scripts/serve-web.sh did not serve: {server.stderr.read() if server.poll() is not None else 'no answer'}")
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/?node={node.url}"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"no Chromium at {CHROMIUM}: run scripts/setup.sh (Debian package chromium), or set OPG_CHROMIUM")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield launched
        finally:
            launched.close()


def test_a_user_publishes_a_model_and_gets_a_verified_result_in_the_browser(node, site, browser, tmp_path):
    data = testmodels.mlp(inputs=16, hidden=32, outputs=4, seed=2062)  # bytes no other test uses
    path = tmp_path / "web-mlp.onnx"
    path.write_bytes(data)
    x = (np.random.default_rng(2062).standard_normal((1, 16)) * 2).astype(np.float32)

    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(site)
    page.wait_for_selector('[data-testid=connection-status][data-state=connected]', timeout=30_000)

    # Publish the model from the page, paying with //Alice.
    page.select_option("[data-testid=account-select]", "dev://Alice")
    page.set_input_files("[data-testid=upload-file]", str(path))
    page.fill("[data-testid=upload-name]", "web-e2e-mlp")
    page.fill("[data-testid=upload-price]", "0.25")
    page.click("[data-testid=upload-button]")
    page.wait_for_selector("[data-testid=upload-status][data-state=done], [data-testid=upload-status][data-state=failed]", timeout=90_000)
    assert page.get_attribute("[data-testid=upload-status]", "data-state") == "done", page.inner_text("[data-testid=error]")
    model = page.get_attribute("[data-testid=upload-status]", "data-model-id")
    # The page picked the new model and shows its schema.
    page.wait_for_function(f"document.querySelector('[data-testid=model-select]').value === '{model}'")
    page.wait_for_selector("[data-testid=model-schema] tr[data-side=input][data-name=input]")

    # Request attested inference on our input.
    page.fill("[data-testid=input-json]", json.dumps({"input": x.tolist()}))
    page.select_option("[data-testid=mode-select]", "attested")
    page.wait_for_function("!document.querySelector('[data-testid=run-button]').disabled")
    quoted = int(page.get_attribute("[data-testid=fee-quote]", "data-planck"))
    deposit_shown = int(page.get_attribute("[data-testid=output-deposit]", "data-planck"))
    assert "held until the job is pruned" in page.inner_text("[data-testid=output-deposit]")
    for attempt in (1, 2):
        page.wait_for_function("!document.querySelector('[data-testid=run-button]').disabled")
        page.click("[data-testid=run-button]")
        page.wait_for_selector("[data-testid=job-status][data-state=final], [data-testid=job-status][data-state=refunded], "
                               "[data-testid=job-status][data-state=error]", timeout=JOB_TIMEOUT_MS)
        # The chain's own flake (issue 16's closing note): now and then verifier commitments
        # never reach a block, the round has no quorum and the job is refunded. That says
        # nothing of the page, which shows the refund; ask once more.
        refunded = page.get_attribute("[data-testid=job-status]", "data-state") == "refunded"
        if not (refunded and "no quorum" in page.inner_text("[data-testid=job-status]") and attempt == 1):
            break
    assert page.get_attribute("[data-testid=job-status]", "data-state") == "final", (
        page.inner_text("[data-testid=job]"), page.inner_text("[data-testid=error]"))
    assert not errors, errors
    # The page's own error line (where its handlers report failures) stayed hidden.
    assert page.is_hidden("[data-testid=error]"), page.inner_text("[data-testid=error]")

    # Every stage was seen, in order, live: the job was queued in its request's block and its
    # node drawn in a later one.
    for stage in ("requested", "queued", "assigned", "submitted", "verified", "final"):
        assert page.get_attribute(f"[data-testid=stage-{stage}]", "data-state") == "done", stage
    queued = page.inner_text("[data-testid=stage-queued] .detail")
    assert "after the request" in queued and "0 blocks" not in queued, queued

    # The outputs the page shows are ONNX Runtime's, bit for bit.
    shown = page.query_selector_all("[data-testid=output]")
    assert [o.get_attribute("data-name") for o in shown] == ["logits"]
    assert shown[0].get_attribute("data-dtype") == "Float32"
    logits = np.array(json.loads(shown[0].get_attribute("data-values")), dtype=np.float32)
    logits = logits.reshape(json.loads(shown[0].get_attribute("data-shape")))
    expected = python_ort(data, {"input": x})["logits"]
    assert logits.shape == expected.shape and logits.tobytes() == expected.tobytes()

    # The fee it shows is the quote for the input entered (0.25 OPG + the attested protocol
    # fee + the output byte fee for each byte of the largest answer, as the Python SDK quotes
    # it), split as the chain paid it, beside the output deposit the chain holds until the job
    # is pruned; what verified it is the committee's quorum.
    substrate = SubstrateInterface(url=node.url)
    try:
        parameters = substrate.query("Inference", "ActiveParameters").value
        _, schema, price = jobs.runnable_version(substrate, int(model))
        assert price == OPG // 4
        items = jobs.build_input(schema, {"input": x.tolist()})
        bound = jobs.output_bound(schema, items, jobs.max_output_bytes(substrate))
        assert quoted == jobs.quote(substrate, "attested", price, schema, items)
        assert quoted == price + int(parameters["attested_fee"]) + int(parameters["output_byte_fee"]) * bound
        assert deposit_shown == int(parameters["output_byte_deposit"]) * bound
        assert int(page.get_attribute("[data-testid=fee-paid]", "data-planck")) == quoted
        paid = {key: int(page.get_attribute(f"[data-testid=payout-{key}]", "data-planck"))
                for key in ("owner", "node", "verifiers", "treasury")}
        assert sum(paid.values()) == quoted and paid["verifiers"] > 0
        assert page.get_attribute("[data-testid=verification]", "data-kind") == "attested"
        verifiers = [item.inner_text() for item in page.query_selector_all("[data-testid=verifiers] li")]
        assert 2 <= len(verifiers) <= 3 and set(verifiers) <= VERIFIERS
        job = int(page.inner_text("[data-testid=job-id]"))
        record = substrate.query("Inference", "Jobs", [job]).value
        alice = Keypair.create_from_uri("//Alice").ss58_address
        assert record["model"] == int(model) and record["requester"] == alice
        final_block = int(page.inner_text("[data-testid=final-block]").lstrip("#"))
        assert record["status"] == {"Final": {"node": alice, "at": final_block}}
        assert record["output_bound"] == bound
        assert record["fee"] == {"price": price, "protocol_fee": quoted - price, "total": quoted,
                                 "output_deposit": deposit_shown}
        # The fee is paid out; the deposit stays held until the job is pruned. Alice's Inference
        # holds are the fees of her jobs still open (none of this page's) and the output
        # deposits of her jobs not yet pruned, this one's among them.
        at = substrate.get_chain_head()
        mine = jobs.jobs_of(substrate, alice, at)
        assert job in mine and jobs.variant(mine[job]["status"])[0] == "Final"
        held = {hold["id"]["Inference"]: int(hold["amount"])
                for hold in substrate.query("Balances", "Holds", [alice], block_hash=at).value
                if "Inference" in hold["id"]}
        open_fees = sum(int(r["fee"]["total"]) for r in mine.values()
                        if jobs.variant(r["status"])[0] not in ("Final", "Refunded"))
        deposits = jobs.output_deposits(substrate, alice, at)
        assert held == {reason: amount for reason, amount in (("JobFee", open_fees),
                                                               ("OutputDeposit", deposits)) if amount}
        assert deposits >= deposit_shown
    finally:
        substrate.close()
        page.close()
