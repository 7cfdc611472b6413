"""The network the fault tests share: scripts/network.sh's nodes (opg_tools.network), a model
published and approved on it, and a narrative log (each kill, each recovery, the final
balances) printed as the tests go. Logs and databases stay under
~/.cache/opg-chain/network-tests/<time>/ for a look afterwards."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

sys.path[:0] = [str(Path(__file__).resolve().parents[2] / "clients" / "python"),
                str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]

from opg_tools.network import NODE_BIN, LocalNetwork, NodeSpec, default_specs, say  # noqa: E402
from traffic import publish_model  # noqa: E402

OWNER = "//Charlie"        # publishes the model
REQUESTER = "//Dave"       # the dApp
# The node that joins late, without offchain indexing: it must fetch models from data nodes.
LATE = NodeSpec("late", role_seed="//Charlie//stash", roles=("inference",),
                registered_at_genesis=False, extra_args=("--enable-offchain-indexing", "false"))
MODEL_INPUT = {"input": [[0.25 * i for i in range(8)]]}


@pytest.fixture(scope="session")
def network():
    if not Path(NODE_BIN).exists():
        pytest.fail(f"no opg-node at {NODE_BIN}: build it with `cargo build --release -p opg-node`")
    workdir = Path.home() / ".cache" / "opg-chain" / "network-tests" / time.strftime("%Y%m%d-%H%M%S")
    say(f"network-tests: starting the local network in {workdir}")
    net = LocalNetwork(workdir, default_specs() + [LATE])
    try:
        net.start([name for name in net.specs if name != "late"])  # late joins in its test
        print(net.table(), flush=True)
        yield net
    finally:
        say("network-tests: stopping every node")
        net.stop()


@pytest.fixture(scope="session")
def model(network):
    """A fresh MLP published by OWNER and approved (the `local` chain asks for approval)."""
    return publish_model(network.nodes["bob"].url, OWNER)
