"""A local OPG network on loopback: the `local` chain's four validators (Alice, Bob, Charlie,
Dave; GRANDPA finalizes with any three) and separate inference, verifier and data nodes, each
an `opg-node` process with its own base path, keystore, node key, log and ports.

`scripts/network.sh` runs it until Ctrl-C; the fault and load tests (scripts/network-tests/)
drive it. What a node is, is a `NodeSpec`; `NodeProcess` is one running `opg-node` (also used
by the end-to-end tests' harness); `LocalNetwork` makes the chain spec and the keys, starts the
nodes, registers the data nodes with their endpoints, and stops everything it started, also
when the Python process dies (Linux parent-death signal).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from opg import chain, nodes
from opg.errors import ChainError

NODE_BIN = os.environ.get(
    "OPG_NODE_BIN",
    os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/opg-chain/target")),
                 "release", "opg-node"),
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:
    """Runs in the node's process before exec: SIGTERM it when the starting process dies."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


class NodeProcess:
    """One `opg-node` process: its ports, base path and log, and how to reach, stop or kill it."""

    def __init__(self, base_path: str, log_path: str, name: str = "node", binary: str = NODE_BIN,
                 rpc_port: int | None = None, p2p_port: int | None = None,
                 prometheus_port: int | None = None):
        self.rpc_port = rpc_port or free_port()
        self.p2p_port = p2p_port or free_port()
        self.prometheus_port = prometheus_port or free_port()
        self.base_path = base_path
        self.log_path = log_path
        self.name = name
        self.binary = binary
        self.url = f"ws://127.0.0.1:{self.rpc_port}"
        self.http_url = f"http://127.0.0.1:{self.rpc_port}"
        self.process: subprocess.Popen | None = None

    def start(self, *chain_args: str) -> None:
        """Starts the node: `--dev` unless `chain_args` say which chain and role."""
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [self.binary, *(chain_args or ("--dev",)), "--base-path", self.base_path,
                 "--rpc-port", str(self.rpc_port), "--prometheus-port", str(self.prometheus_port),
                 "--listen-addr", f"/ip4/127.0.0.1/tcp/{self.p2p_port}", "--no-mdns",
                 "--rpc-methods", "unsafe"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent,
            )

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.running else None

    def substrate(self, timeout: float = 30.0):
        return chain.connect(self.url, timeout)

    def peer_address(self) -> str:
        """This node's multiaddress with its peer id, for another node's --bootnodes."""
        substrate = self.substrate()
        try:
            peer_id = substrate.rpc_request("system_localPeerId", [])["result"]
        finally:
            substrate.close()
        return f"/ip4/127.0.0.1/tcp/{self.p2p_port}/p2p/{peer_id}"

    def heads(self) -> tuple[int, int]:
        """(best, finalized) block numbers."""
        substrate = chain.connect(self.url, 10)
        try:
            best = substrate.get_block_number(substrate.rpc_request("chain_getHead", [])["result"])
            head = substrate.rpc_request("chain_getFinalizedHead", [])["result"]
            return best, substrate.get_block_number(head)
        finally:
            substrate.close()

    def wait_for_finalized(self, number: int, timeout: float = 90.0) -> int:
        """Waits until block `number` is finalized; returns the finalized number."""
        deadline = time.monotonic() + timeout
        last_error = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; log: {self.log_path}")
            try:
                finalized = self.heads()[1]
                if finalized >= number:
                    return finalized
            except Exception as error:  # noqa: BLE001 - not up yet
                last_error = error
            time.sleep(1)
        raise TimeoutError(f"{self.name}: block {number} not finalized in {timeout}s ({last_error}); "
                           f"log: {self.log_path}")

    def rss_mib(self) -> float | None:
        """The process's resident memory, MiB (None when it is not running)."""
        try:
            with open(f"/proc/{self.process.pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024
        except (OSError, AttributeError):
            return None
        return None

    def stop(self) -> None:
        """Stops the node gracefully (SIGTERM, then SIGKILL after 30 s)."""
        if self.running:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self) -> None:
        """Kills the node at once (SIGKILL), as a crash or a pulled plug would."""
        if self.running:
            self.process.kill()
            self.process.wait()


@dataclass
class NodeSpec:
    """A node of the network: `validator` is the dev seed of its BABE and GRANDPA keys (None
    for a node that does not validate); `role_seed` the dev seed of its role key and of the
    account that registers it; `roles` what that account is registered for."""

    name: str
    validator: str | None = None
    role_seed: str | None = None
    roles: tuple[str, ...] = ()
    registered_at_genesis: bool = True
    extra_args: tuple[str, ...] = ()
    node: NodeProcess | None = field(default=None, repr=False)
    node_key: str = ""
    peer_id: str = ""

    def describe(self) -> str:
        parts = ["validator"] if self.validator else []
        parts += list(self.roles)
        return "+".join(parts) or "full node"


def default_specs() -> list[NodeSpec]:
    """The `local` chain's network: the genesis validators and nodes (runtime/src/
    genesis_config_presets.rs, `local_nodes`) and two data nodes registered at start."""
    return [
        NodeSpec("alice", validator="//Alice", role_seed="//Alice", roles=("inference",)),
        NodeSpec("bob", validator="//Bob"),
        NodeSpec("charlie", validator="//Charlie"),
        NodeSpec("dave", validator="//Dave"),
        NodeSpec("inference", role_seed="//Eve", roles=("inference",)),
        NodeSpec("verifier", role_seed="//Ferdie", roles=("verifier",)),
        NodeSpec("data-1", role_seed="//Alice//stash", roles=("data",), registered_at_genesis=False),
        NodeSpec("data-2", role_seed="//Bob//stash", roles=("data",), registered_at_genesis=False),
    ]


class LocalNetwork:
    """The network's nodes under `workdir` (one folder and one log each). `base_port` gives
    fixed ports (RPC base_port+i, p2p 30333+i, Prometheus 9615+i for the i-th node); without
    it every port is a free one."""

    def __init__(self, workdir: str | Path, specs: list[NodeSpec] | None = None,
                 binary: str = NODE_BIN, base_port: int | None = None,
                 node_args: tuple[str, ...] = (),
                 genesis_patch: Callable[[dict], None] | None = None):
        self.workdir = Path(workdir)
        # Changes the `local` preset's genesis (the patch's JSON, by pallet) before the raw spec
        # is made: the load test registers thousands of nodes this way.
        self.genesis_patch = genesis_patch
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.specs = {spec.name: spec for spec in (specs or default_specs())}
        self.binary = binary
        self.node_args = node_args
        self.spec_path = self.workdir / "local.json"
        for index, spec in enumerate(self.specs.values()):
            ports = {} if base_port is None else {
                "rpc_port": base_port + index, "p2p_port": 30333 + index,
                "prometheus_port": 9615 + index}
            spec.node = NodeProcess(str(self.workdir / spec.name), str(self.workdir / f"{spec.name}.log"),
                                    spec.name, binary, **ports)

    # ---- set-up -------------------------------------------------------------------------

    def _opg_node(self, *args: str) -> str:
        result = subprocess.run([self.binary, *args], capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"opg-node {' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout.strip()

    def prepare(self) -> None:
        """The raw chain spec every node starts from, each node's node key (so every peer id
        is known before any node starts) and its keystore: BABE (sr25519) and GRANDPA (ed25519)
        keys for validators, the role key (sr25519, type `opgn`) for nodes with roles. Keys
        go in with `opg-node key insert`, as an operator would."""
        if self.genesis_patch is None:
            self.spec_path.write_text(self._opg_node("build-spec", "--chain", "local", "--raw",
                                                      "--disable-default-bootnode"))
        else:
            plain = json.loads(self._opg_node("build-spec", "--chain", "local",
                                              "--disable-default-bootnode"))
            self.genesis_patch(plain["genesis"]["runtimeGenesis"]["patch"])
            plain_path = self.workdir / "local-plain.json"
            plain_path.write_text(json.dumps(plain))
            self.spec_path.write_text(self._opg_node("build-spec", "--chain", str(plain_path), "--raw",
                                                      "--disable-default-bootnode"))
        for index, spec in enumerate(self.specs.values()):
            spec.node_key = f"{index + 1:064x}"
            key_file = self.workdir / f"{spec.name}.node-key"
            key_file.write_text(spec.node_key)
            spec.peer_id = self._opg_node("key", "inspect-node-key", "--file", str(key_file))
            keys = []
            if spec.validator:
                keys += [("babe", "sr25519", spec.validator), ("gran", "ed25519", spec.validator)]
            if spec.role_seed:
                keys.append(("opgn", "sr25519", spec.role_seed))
            for key_type, scheme, suri in keys:
                self._opg_node("key", "insert", "--base-path", spec.node.base_path, "--chain",
                               str(self.spec_path), "--key-type", key_type, "--scheme", scheme,
                               "--suri", suri)

    def bootnodes(self, exclude: str) -> list[str]:
        """Every validator's address but `exclude`'s: any of them gets a node into the network."""
        return [f"/ip4/127.0.0.1/tcp/{spec.node.p2p_port}/p2p/{spec.peer_id}"
                for spec in self.specs.values() if spec.validator and spec.name != exclude]

    def node_command(self, name: str, *extra: str) -> list[str]:
        """The arguments `name` starts with (besides base path, ports and RPC methods)."""
        spec = self.specs[name]
        args = ["--chain", str(self.spec_path), "--name", name, "--node-key", spec.node_key,
                "--bootnodes", *self.bootnodes(name), *self.node_args, *spec.extra_args, *extra]
        if spec.validator:
            args.append("--validator")
        elif spec.roles:
            # A node that is not a validator runs its offchain worker only when asked to.
            args += ["--offchain-worker", "always"]
        return args

    def start_node(self, name: str, *extra: str) -> NodeProcess:
        node = self.specs[name].node
        node.start(*self.node_command(name, *extra))
        return node

    def start(self, names: list[str] | None = None, timeout: float = 180.0) -> None:
        """Prepares every node and starts those named (default: all), waits until block 1 is
        finalized on each, then registers the data nodes with their RPC endpoints."""
        self.prepare()
        names = list(self.specs) if names is None else names
        for name in names:
            self.start_node(name)
        for name in names:
            self.specs[name].node.wait_for_finalized(1, timeout=timeout)
        self.register_data_nodes()

    def register_data_nodes(self) -> None:
        """Registers each data node not registered at genesis, its bond the least its roles
        need and its endpoint its own RPC address."""
        pending = [spec for spec in self.specs.values()
                   if "data" in spec.roles and not spec.registered_at_genesis]
        if not pending:
            return
        substrate = self.nodes["alice"].substrate()
        try:
            for spec in pending:
                account = chain.keypair(spec.role_seed)
                if nodes.node(substrate, account.ss58_address) is not None:
                    continue
                endpoint = spec.node.http_url
                nodes.register(substrate, account, account, list(spec.roles),
                               nodes.required_bond(substrate, list(spec.roles)), endpoint)
                say(f"registered {spec.name} ({account.ss58_address}) as {'+'.join(spec.roles)}, "
                    f"endpoint {endpoint}")
        finally:
            substrate.close()

    # ---- running ------------------------------------------------------------------------

    @property
    def nodes(self) -> dict[str, NodeProcess]:
        return {name: spec.node for name, spec in self.specs.items()}

    def table(self) -> str:
        """Each node's name, roles, pid, ports and log, one line each."""
        lines = [f"{'node':<10} {'roles':<20} {'pid':>7}  {'rpc':<22} {'p2p':>5} {'prometheus':>10}  log"]
        for spec in self.specs.values():
            node = spec.node
            lines.append(f"{spec.name:<10} {spec.describe():<20} {node.pid or '-':>7}  {node.url:<22} "
                         f"{node.p2p_port:>5} {node.prometheus_port:>10}  {node.log_path}")
        return "\n".join(lines)

    def stop(self) -> None:
        for node in self.nodes.values():
            node.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="network.sh", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", default=None,
                        help="where the chain spec, databases, keystores and logs go (default: a fresh "
                             "folder under ~/.cache/opg-chain/network/)")
    parser.add_argument("--base-port", type=int, default=9944,
                        help="RPC port of the first node; the others follow (default 9944); p2p ports "
                             "start at 30333 and Prometheus ports at 9615")
    parser.add_argument("--free-ports", action="store_true", help="pick free ports instead")
    parser.add_argument("node_args", nargs="*", help="extra arguments for every opg-node (after --)")
    args = parser.parse_args(argv)
    if not os.access(NODE_BIN, os.X_OK):
        print(f"no opg-node at {NODE_BIN}: build it with `cargo build --release -p opg-node` "
              "or set OPG_NODE_BIN", file=sys.stderr)
        return 2
    workdir = Path(args.dir or Path.home() / ".cache" / "opg-chain" / "network" / time.strftime("%Y%m%d-%H%M%S"))
    network = LocalNetwork(workdir, base_port=None if args.free_ports else args.base_port,
                           node_args=tuple(args.node_args))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        say(f"starting the local network in {workdir}")
        network.start()
        say("the network is up: block 1 is final on every node")
        print(network.table(), flush=True)
        say("Ctrl-C stops every node")
        reported: set[str] = set()
        while True:
            time.sleep(5)
            for name, node in network.nodes.items():
                if not node.running and name not in reported:
                    reported.add(name)
                    say(f"{name} stopped on its own (log: {node.log_path}); the others keep running")
    except KeyboardInterrupt:
        return 130
    except (RuntimeError, TimeoutError, ChainError) as error:
        print(f"error: {error}", file=sys.stderr)
        print(network.table(), file=sys.stderr)
        return 1
    finally:
        say("stopping every node")
        network.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
