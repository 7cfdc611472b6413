"""The README's run command, as a newcomer runs it: `scripts/run-dev.sh` sets up, builds (quick:
scripts/test.sh built the node already), starts a dev chain, uploads the demo models and prints
the `scripts/infer.sh` commands to try; each printed command gives a final, verified result equal
to Python onnxruntime's, in the shape the README shows; Ctrl-C stops everything it started.

The script runs on ports of this test process (`--rpc-port` and friends, which it passes to
opg-node; the printed commands then name the node's URL), with the 6-second blocks of `--dev`.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import onnxruntime
import pytest

from harness import free_port, python_ort

ROOT = Path(__file__).resolve().parents[2]
DEMO_MODELS = Path.home() / ".cache" / "opg-chain" / "demo-models"
# run-dev.sh's last line once the demo is ready.
READY = "the dev chain runs until Ctrl-C"


def _as_from_a_terminal() -> None:
    """Ctrl-C as a shell in a terminal leaves it: the default action. (`scripts/test.sh` runs
    pytest as a background job, which starts with SIGINT ignored, and an ignored signal stays
    ignored in every child and cannot be trapped: the script under test would never hear it.)"""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class RunDev:
    """`scripts/run-dev.sh ARGS` in a session of its own, as from a terminal, its output (stdout
    and stderr) read line by line as it comes."""

    def __init__(self, *args: str):
        self.process = subprocess.Popen(
            [str(ROOT / "scripts" / "run-dev.sh"), *args], cwd=ROOT, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True, errors="replace",
            start_new_session=True, preexec_fn=_as_from_a_terminal)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            # log() colours its prefix; the tests read the text.
            self.lines.append(re.sub(r"\x1b\[[0-9;]*m", "", line.rstrip("\n")))

    def wait_for(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            if self.process.poll() is not None:
                time.sleep(0.5)  # the last lines
                pytest.fail(f"run-dev.sh exited with {self.process.returncode} before "
                            f"{text!r}:\n" + "\n".join(self.lines[-40:]))
            if time.monotonic() > deadline:
                pytest.fail(f"no {text!r} from run-dev.sh in {timeout:.0f}s:\n" +
                            "\n".join(self.lines[-40:]))
            time.sleep(0.5)

    def ctrl_c(self) -> int:
        """What Ctrl-C in its terminal does: SIGINT to the whole foreground process group."""
        os.killpg(self.process.pid, signal.SIGINT)
        return self.process.wait(timeout=90)

    def kill(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def session_processes(session: int) -> list[str]:
    """The processes still in session `session`: their pid and command."""
    left = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            # Fields after the command (which may hold spaces): state, ppid, pgrp, session.
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[3]) == session:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                left.append(f"{entry.name} {command}")
        except (OSError, ValueError, IndexError):
            continue
    return left


def shape(line: str) -> str:
    """A line of infer.sh's output with what differs between runs (hashes, accounts, numbers)
    replaced by placeholders."""
    line = re.sub(r"0x[0-9a-f]+…?", "<hash>", line)
    line = re.sub(r"\b5[1-9A-HJ-NP-Za-km-z]{7,}…?", "<account>", line)
    return re.sub(r"-?\d+(\.\d+)?(e[-+]\d+)?", "<n>", line)


def readme_example() -> tuple[str, list[str]]:
    """The README's example: the command and the lines it prints."""
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```console\n\$ (scripts/infer\.sh[^\n]*)\n(.*?)```", text, re.S)
    assert block, "the README shows an infer.sh example in a console block"
    return block.group(1), block.group(2).strip("\n").split("\n")


def expected_output(model: Path, command: list[str]) -> list[str]:
    """What infer.sh prints for the outputs, computed by Python onnxruntime."""
    data = json.loads(command[command.index("--input") + 1])
    session = onnxruntime.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    dtypes = {"tensor(float)": np.float32, "tensor(int8)": np.int8, "tensor(int64)": np.int64,
              "tensor(double)": np.float64, "tensor(int32)": np.int32, "tensor(uint8)": np.uint8}
    feeds = {i.name: np.asarray(data[i.name], dtype=dtypes[i.type]) for i in session.get_inputs()}
    outputs = python_ort(model.read_bytes(), feeds)
    return [f"{name} {list(array.shape)} {array.dtype}:\n{array}" for name, array in outputs.items()]


@pytest.mark.timeout(1200)
def test_the_readme_run_command_serves_verified_inference_and_stops_on_ctrl_c():
    rpc_port = free_port()
    run = RunDev("--rpc-port", str(rpc_port), "--port", str(free_port()),
                 "--prometheus-port", str(free_port()))
    try:
        run.wait_for(READY, timeout=900)
        lines = run.lines
        # The demo models by id, as run-dev.sh names them: "0 = mlp-16-32-4 (...), 1 = ...".
        names = dict(re.findall(r"(\d+) = ([a-z0-9-]+) \(", " ".join(lines)))
        start = next(i for i, line in enumerate(lines) if "request a verified inference" in line)
        commands = [line.split("==> ", 1)[-1].strip() for line in lines[start + 1:]
                    if line.split("==> ", 1)[-1].startswith("  scripts/infer.sh")]
        assert len(commands) == 2, lines[start:]

        readme_command, readme_lines = readme_example()
        # The first printed command is the README's, with the URL of this test's node.
        assert commands[0] == readme_command.replace(
            "scripts/infer.sh", f"scripts/infer.sh --url ws://127.0.0.1:{rpc_port}", 1)

        for index, command in enumerate(commands):
            argv = shlex.split(command)
            model = DEMO_MODELS / f"{names[argv[argv.index('--model') + 1]]}.onnx"
            done = subprocess.run(["bash", "-c", command], cwd=ROOT, capture_output=True,
                                  text=True, timeout=400)
            assert done.returncode == 0, done.stderr + done.stdout
            states = done.stderr.strip().split("\n")
            printed = done.stdout.strip().split("\n")
            assert re.fullmatch(r"job \d+: final at block #\d+: verified and paid", states[-1]), states
            # The outputs are Python onnxruntime's, printed as the README shows them.
            for expected in expected_output(model, argv):
                assert expected in done.stdout, (expected, done.stdout)
            assert re.fullmatch(r"fee: [0-9.]+ OPG \(final\)", printed[-1]), printed
            if index == 0:
                # The README's example has the shape of what the command prints today: its
                # first line, and everything from the final state on. (Which intermediate states
                # a poll sees depends on timing; each is a job line.)
                final = next(i for i, line in enumerate(readme_lines) if "final at block" in line)
                assert shape(states[0]) == shape(readme_lines[0])
                assert all(re.match(r"job \d+: ", line) for line in states[1:]), states
                assert [shape(line) for line in [states[-1], *printed]] == \
                    [shape(line) for line in readme_lines[final:]]

        session = run.process.pid
        # The script stops its node and exits with the interrupt's status.
        assert run.ctrl_c() == 130, "\n".join(run.lines[-20:])
        # Nothing it started is left: not the node, not a client.
        deadline = time.monotonic() + 30
        while (left := session_processes(session)) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not left, left
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", rpc_port)) != 0, "the node's RPC port is closed"
    finally:
        run.kill()
