"""End-to-end fixtures and reporting: the shared dev node, and the node logs of failed tests
kept and printed (see harness.py)."""

from __future__ import annotations

import os
import tempfile

import pytest

from harness import Node, keep_logs, require_node_binary

_kept: list[str] = []


@pytest.fixture(scope="session")
def node():
    """A dev chain (Alice validating alone) shared by the whole session."""
    require_node_binary()
    with tempfile.TemporaryDirectory(prefix="opg-e2e-") as base:
        running = Node(os.path.join(base, "chain"), os.path.join(base, "node.log"), "dev node")
        running.start()
        try:
            running.wait_for_finalized(1)
            yield running
        finally:
            running.stop()


def pytest_collection_modifyitems(items):
    """The metadata walk runs last: it decodes what the other tests made the dev node do."""
    items.sort(key=lambda item: item.path.name == "test_metadata.py")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        kept = keep_logs(item.nodeid)
        if kept:
            _kept.extend(kept)
            report.sections.append(("opg-node logs (kept)", "\n".join(kept)))


def pytest_terminal_summary(terminalreporter):
    if _kept:
        terminalreporter.section("opg-node logs of failed tests")
        for path in _kept:
            terminalreporter.write_line(path)
