"""Shared parts of the end-to-end tests: real `opg-node` processes on loopback ports with
temporary base paths (imported by conftest.py and the tests as `harness`).

Every node is stopped when its fixture ends, and also dies with the test process (Linux
parent-death signal), so an interrupted or timed-out run leaves none behind. When a test fails,
the logs of the nodes running at that moment are copied to $OPG_E2E_LOG_DIR (default
~/.cache/opg-chain/e2e-logs/<time>) and their paths printed in the report and at the end.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime
import pytest

sys.path[:0] = [str(Path(__file__).resolve().parents[2] / "clients" / "python"),
                str(Path(__file__).resolve().parents[1])]

from opg import chain  # noqa: E402

NODE_BIN = os.environ.get(
    "OPG_NODE_BIN",
    os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/opg-chain/target")),
                 "release", "opg-node"),
)
LOG_DIR = Path(os.environ.get("OPG_E2E_LOG_DIR")
               or Path.home() / ".cache" / "opg-chain" / "e2e-logs" / time.strftime("%Y%m%d-%H%M%S"))
# Seconds a client call may wait for one answer of a test node.
RPC_TIMEOUT = 30.0

running_nodes: list["Node"] = []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:
    """Runs in the node's process before exec: SIGTERM it when the test process dies."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Node:
    """A running node and what tests need to reach it."""

    def __init__(self, base_path: str, log_path: str, name: str = "node"):
        self.rpc_port, self.p2p_port, self.prometheus_port = free_port(), free_port(), free_port()
        self.base_path = base_path
        self.log_path = log_path
        self.name = name
        self.url = f"ws://127.0.0.1:{self.rpc_port}"
        self.http_url = f"http://127.0.0.1:{self.rpc_port}"
        self.process: subprocess.Popen | None = None

    def start(self, *chain_args: str) -> None:
        """Starts the node: `--dev` unless `chain_args` say which chain and role."""
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [NODE_BIN, *(chain_args or ("--dev",)), "--base-path", self.base_path,
                 "--rpc-port", str(self.rpc_port), "--prometheus-port", str(self.prometheus_port),
                 "--listen-addr", f"/ip4/127.0.0.1/tcp/{self.p2p_port}", "--no-mdns",
                 "--rpc-methods", "unsafe"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent,
            )
        running_nodes.append(self)

    def substrate(self):
        return chain.connect(self.url, RPC_TIMEOUT)

    def peer_address(self) -> str:
        """This node's multiaddress with its peer id, for another node's --bootnodes."""
        substrate = self.substrate()
        try:
            peer_id = substrate.rpc_request("system_localPeerId", [])["result"]
        finally:
            substrate.close()
        return f"/ip4/127.0.0.1/tcp/{self.p2p_port}/p2p/{peer_id}"

    def wait_for_finalized(self, number: int, timeout: float = 90.0) -> int:
        """Waits until block `number` is finalized; returns the finalized number."""
        deadline = time.monotonic() + timeout
        last_error = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; log: {self.log_path}")
            try:
                substrate = chain.connect(self.url, 10)
                try:
                    head = substrate.rpc_request("chain_getFinalizedHead", [])["result"]
                    finalized = substrate.get_block_number(head)
                finally:
                    substrate.close()
                if finalized >= number:
                    return finalized
            except Exception as error:  # noqa: BLE001 - not up yet
                last_error = error
            time.sleep(1)
        raise TimeoutError(f"{self.name}: block {number} not finalized in {timeout}s ({last_error}); "
                           f"log: {self.log_path}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self in running_nodes:
            running_nodes.remove(self)


def require_node_binary() -> None:
    if not os.access(NODE_BIN, os.X_OK):
        pytest.fail(f"no opg-node at {NODE_BIN}: build it with `cargo build --release -p opg-node`")


def keep_logs(test_id: str) -> list[str]:
    """Copies the logs of the running nodes to LOG_DIR; returns the copies' paths."""
    kept = []
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in test_id)[-120:]
    for running in list(running_nodes):
        if os.path.exists(running.log_path):
            LOG_DIR.mkdir(parents=True, exist_ok=True)
            target = LOG_DIR / f"{safe}--{running.name.replace(' ', '-')}.log"
            shutil.copyfile(running.log_path, target)
            kept.append(str(target))
    return kept


# -------------------------------------------------------------------------------------------
# Checking results against Python onnxruntime

def python_ort(data: bytes, feeds: dict) -> dict:
    session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    names = [output.name for output in session.get_outputs()]
    return dict(zip(names, session.run(None, feeds)))


def same_bits(ours: np.ndarray, theirs: np.ndarray) -> bool:
    theirs = np.asarray(theirs)
    if ours.shape != theirs.shape:
        return False
    if theirs.dtype.kind == "f":
        return np.array_equal(ours.astype(theirs.dtype).view(np.uint8), theirs.view(np.uint8))
    return np.array_equal(ours, theirs)
