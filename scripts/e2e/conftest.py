"""End-to-end fixtures: a real `opg-node --dev` on loopback ports with a temporary base path."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from opg_tools import chain  # noqa: E402

NODE_BIN = os.environ.get(
    "OPG_NODE_BIN",
    os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/opg-chain/target")),
                 "release", "opg-node"),
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Node:
    """A running dev node and what tests need to reach it."""

    def __init__(self, base_path: str, log_path: str):
        self.rpc_port, self.p2p_port, self.prometheus_port = free_port(), free_port(), free_port()
        self.base_path = base_path
        self.log_path = log_path
        self.url = f"ws://127.0.0.1:{self.rpc_port}"
        self.http_url = f"http://127.0.0.1:{self.rpc_port}"
        self.process = None

    def start(self) -> None:
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [NODE_BIN, "--dev", "--base-path", self.base_path,
             "--rpc-port", str(self.rpc_port),
             "--prometheus-port", str(self.prometheus_port), "--listen-addr",
             f"/ip4/127.0.0.1/tcp/{self.p2p_port}", "--no-mdns", "--rpc-methods", "unsafe"],
            stdout=log, stderr=subprocess.STDOUT,
        )

    def substrate(self):
        return chain.connect(self.url)

    def wait_for_finalized(self, number: int, timeout: float = 90.0) -> int:
        """Waits until block `number` is finalized; returns the finalized number."""
        deadline = time.monotonic() + timeout
        last_error = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"opg-node exited with {self.process.returncode}; log: {self.log_path}")
            try:
                substrate = self.substrate()
                head = substrate.rpc_request("chain_getFinalizedHead", [])["result"]
                finalized = substrate.get_block_number(head)
                substrate.close()
                if finalized >= number:
                    return finalized
            except Exception as error:  # not up yet
                last_error = error
            time.sleep(1)
        raise TimeoutError(f"block {number} not finalized in {timeout}s ({last_error}); log: {self.log_path}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="session")
def node():
    if not os.access(NODE_BIN, os.X_OK):
        pytest.fail(f"no opg-node at {NODE_BIN}: build it with `cargo build --release -p opg-node`")
    with tempfile.TemporaryDirectory(prefix="opg-e2e-") as base:
        running = Node(os.path.join(base, "chain"), os.path.join(base, "node.log"))
        running.start()
        try:
            running.wait_for_finalized(1)
            yield running
        finally:
            running.stop()
            if os.environ.get("OPG_E2E_SHOW_LOG"):
                print(Path(running.log_path).read_text()[-5000:])
