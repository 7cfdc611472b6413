"""Shared parts of the end-to-end tests: real `opg-node` processes on loopback ports with
temporary base paths (imported by conftest.py and the tests as `harness`).

Every node is stopped when its fixture ends, and also dies with the test process (Linux
parent-death signal), so an interrupted or timed-out run leaves none behind. When a test fails,
the logs of the nodes running at that moment are copied to $OPG_E2E_LOG_DIR (default
~/.cache/opg-chain/e2e-logs/<time>) and their paths printed in the report and at the end.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime
import pytest

sys.path[:0] = [str(Path(__file__).resolve().parents[2] / "clients" / "python"),
                str(Path(__file__).resolve().parents[1])]

from opg import chain  # noqa: E402

from opg_tools.network import NODE_BIN, NodeProcess  # noqa: E402

LOG_DIR = Path(os.environ.get("OPG_E2E_LOG_DIR")
               or Path.home() / ".cache" / "opg-chain" / "e2e-logs" / time.strftime("%Y%m%d-%H%M%S"))
# Seconds a client call may wait for one answer of a test node.
RPC_TIMEOUT = 30.0

# The chain the tests run: the dev chain on 2-second slots (runtime/src/genesis_config_presets.rs,
# `test`). Every period of the chain is counted in blocks, so the tests wait a third as long as
# on `--dev`; what the tests check does not depend on the slot. Start a node of it with
# `*TEST_CHAIN_ARGS` (a validating dev node) or `"--chain", TEST_CHAIN` (any other node).
TEST_CHAIN = "test"
TEST_CHAIN_ARGS = ("--dev", "--chain", TEST_CHAIN)

running_nodes: list["Node"] = []

# Ports of this test process: xdist runs several at once (scripts/pytest.ini), each starting
# nodes; every process takes ports from a range of its own, so that two never pick the same
# free port between checking it and the node binding it.
_PORTS_PER_WORKER = 400
_handed_out: set[int] = set()


def worker_index() -> int:
    """This xdist worker's number (0 without xdist)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0


def free_port() -> int:
    """A free loopback port from this test process's range, never handed out twice."""
    first = 20_000 + worker_index() * _PORTS_PER_WORKER
    for port in range(first, first + _PORTS_PER_WORKER):
        if port in _handed_out:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free port left in {first}..{first + _PORTS_PER_WORKER}")


class Node(NodeProcess):
    """A test node (opg_tools.network.NodeProcess) on ports of this test process, listed while
    it runs so that a failed test keeps its log."""

    def __init__(self, base_path: str, log_path: str, name: str = "node", **ports):
        for kind in ("rpc_port", "p2p_port", "prometheus_port"):
            ports.setdefault(kind, free_port())
        super().__init__(base_path, log_path, name, **ports)

    def start(self, *chain_args: str) -> None:
        # OPG_E2E_NODE_ARGS: extra arguments for every test node, e.g. `-ltxpool=debug` to see
        # why a transaction waits.
        super().start(*chain_args, *os.environ.get("OPG_E2E_NODE_ARGS", "").split())
        running_nodes.append(self)

    def substrate(self, timeout: float = RPC_TIMEOUT):
        return super().substrate(timeout)

    def stop(self) -> None:
        super().stop()
        if self in running_nodes:
            running_nodes.remove(self)


@contextlib.contextmanager
def fresh_node(prefix: str, name: str):
    """A validating node of the test chain in a fresh folder, past its first finalized block;
    stopped (and the folder removed) afterwards."""
    require_node_binary()
    with tempfile.TemporaryDirectory(prefix=prefix) as base:
        running = Node(os.path.join(base, "chain"), os.path.join(base, "node.log"), name)
        running.start(*TEST_CHAIN_ARGS)
        try:
            running.wait_for_finalized(1)
            yield running
        finally:
            running.stop()


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
