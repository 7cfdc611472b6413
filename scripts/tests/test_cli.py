"""The upload and fetch commands as a user runs them, without a node: every mistake and an
unreachable or silent node end in one clear line on stderr and exit code 1, never a traceback.
Arguments and the file are checked before connecting (the URLs here lead nowhere)."""

from __future__ import annotations

import socket
import subprocess
import threading
from pathlib import Path

import pytest

from opg import chain
from opg_tools import testmodels

SCRIPTS = Path(__file__).resolve().parents[1]


def closed_port_url() -> str:
    """A websocket URL on which nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"ws://127.0.0.1:{port}"


@pytest.fixture
def silent_node():
    """A URL of a server that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    accepted = []

    def accept() -> None:
        try:
            while True:
                accepted.append(server.accept()[0])
        except OSError:
            pass

    threading.Thread(target=accept, daemon=True).start()
    yield f"ws://127.0.0.1:{server.getsockname()[1]}"
    server.close()
    for connection in accepted:
        connection.close()


@pytest.fixture(scope="module")
def model_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "small.onnx"
    path.write_bytes(testmodels.mlp(hidden=8))
    return path


def run(tool: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    result = subprocess.run([str(SCRIPTS / tool), *args], capture_output=True, text=True,
                            timeout=timeout, stdin=subprocess.DEVNULL)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def assert_refused(result: subprocess.CompletedProcess, *phrases: str) -> None:
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert result.stderr.startswith("error: "), result.stderr
    for phrase in phrases:
        assert phrase in result.stderr, result.stderr


def test_a_node_that_is_down_is_named_with_what_to_check(model_file):
    url = closed_port_url()
    result = run("upload-model.sh", str(model_file), "--url", url)
    assert_refused(result, f"cannot reach a node at {url}", "connection refused", "Is opg-node running")


def test_a_node_that_does_not_answer_times_out(model_file, silent_node):
    result = run("upload-model.sh", str(model_file), "--url", silent_node, "--timeout", "2")
    assert_refused(result, f"cannot reach a node at {silent_node}", "did not answer in time")


def test_fetch_from_a_node_that_is_down_is_refused_cleanly():
    url = closed_port_url()
    result = run("fetch-model.sh", "--from", url, "--to", url, "--model", "0")
    assert_refused(result, f"cannot reach a node at {url}")


@pytest.mark.parametrize("price, reason", [
    ("nan", "not a finite number"), ("inf", "not a finite number"), ("-0.01", "negative"),
    ("1e-19", "smallest unit"), ("1e39", "more than a price can be"), ("cheap", "not a number"),
])
def test_a_bad_price_is_refused_before_connecting(model_file, price, reason):
    result = run("upload-model.sh", str(model_file), "--url", closed_port_url(), f"--price={price}")
    assert_refused(result, "price", reason)
    assert "cannot reach" not in result.stderr


def test_a_file_that_is_not_onnx_is_refused_before_connecting(tmp_path):
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"definitely not a protobuf" * 10)
    result = run("upload-model.sh", str(junk), "--url", closed_port_url())
    assert_refused(result, f"{junk}: not a readable ONNX model")
    assert "cannot reach" not in result.stderr


def test_a_missing_file_is_named(tmp_path):
    result = run("upload-model.sh", str(tmp_path / "nope.onnx"), "--url", closed_port_url())
    assert_refused(result, "cannot read", "nope.onnx", "No such file")


def test_a_name_beyond_the_registry_limit_is_refused_before_connecting(model_file):
    result = run("upload-model.sh", str(model_file), "--url", closed_port_url(), "--name", "n" * 65)
    assert_refused(result, "the name is 65 bytes; the registry allows at most 64")


def test_unknown_modes_are_refused(model_file):
    result = run("upload-model.sh", str(model_file), "--url", closed_port_url(), "--modes", "fast")
    assert_refused(result, "unknown mode(s) ['fast']")


def test_a_url_without_scheme_is_refused(model_file):
    result = run("upload-model.sh", str(model_file), "--url", "127.0.0.1:9944")
    assert_refused(result, "ws://HOST:PORT")


@pytest.mark.parametrize("suri, reason", [("", "the secret URI is empty"),
                                          ("//", "not a valid secret URI")])
def test_a_bad_secret_uri_is_refused_before_connecting(model_file, suri, reason):
    result = run("upload-model.sh", str(model_file), "--url", closed_port_url(), f"--suri={suri}")
    assert_refused(result, reason)
    assert "cannot reach" not in result.stderr


@pytest.fixture
def forbidding_node():
    """A URL of a server that answers every websocket handshake with HTTP 403, as a node does
    to another host's connection without --rpc-external and --rpc-cors."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)

    def answer() -> None:
        try:
            while True:
                connection = server.accept()[0]
                connection.recv(4096)
                connection.sendall(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n")
                connection.close()
        except OSError:
            pass

    threading.Thread(target=answer, daemon=True).start()
    yield f"ws://127.0.0.1:{server.getsockname()[1]}"
    server.close()


def test_a_node_that_refuses_other_hosts_names_the_flags(forbidding_node):
    result = run("fetch-model.sh", "--from", forbidding_node, "--to", forbidding_node,
                 "--model", "0")
    assert_refused(result, "HTTP 403", "--rpc-external", "--rpc-cors all")


def test_make_test_model_names_an_unwritable_path(tmp_path):
    result = run("make-test-model.sh", str(tmp_path / "missing-dir" / "m.onnx"))
    assert result.returncode != 0
    assert result.stderr.startswith("error: cannot write"), result.stderr


def test_a_ctrl_c_that_a_library_swallowed_stops_the_next_call_to_the_node(monkeypatch):
    # websocket-client's close() ends in a bare `except: pass`; the flag survives it.
    monkeypatch.setattr(chain, "_interrupted", False)
    try:
        chain._on_sigint(2, None)
    except KeyboardInterrupt:
        pass  # swallowed, as the library would
    with pytest.raises(KeyboardInterrupt):
        chain.rpc(None, "system_health", [])
