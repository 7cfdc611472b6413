"""End-to-end fixtures, order and reporting: each test process's dev node, the order modules
start in and which share a worker, and the node logs of failed tests kept and printed (see
harness.py).

scripts/test.sh runs these tests in parallel with pytest-xdist (`-n N`): each module is one unit
of work on one worker (`pytest_xdist_make_scheduler`), with that worker's own dev node (the `node` fixture
is per test process) on ports of its own, so modules cannot see each other's transactions.
Modules that must share a node say so in `SHARED_NODE`. Run alone (plain pytest), every module
shares one node, as before."""

from __future__ import annotations

import pytest

from harness import fresh_node, keep_logs

_kept: list[str] = []


@pytest.fixture(scope="session")
def node():
    """The test chain (the dev chain on 2-second slots, Alice validating alone) shared by the
    test process."""
    with fresh_node("opg-e2e-", "dev node") as running:
        yield running


# Modules in the order they start: the longest first, so that the run ends on short ones
# (measured durations: docs/development.md). Modules not listed start after these.
LONGEST_FIRST = [
    "test_zk_ceremony.py",
    "test_governance.py",
    "test_sdk.py",
    "test_run_dev.py",
    "test_models.py",
    "test_inference.py",
    "test_attestations.py",
    "test_typescript.py",
    "test_web.py",
    "test_zk.py",
    "test_tee.py",
    "test_node.py",
]

# Modules that run on another module's worker, after it, on its node. The metadata walk decodes
# the calls, events and errors found on its node's chain: after the SDK's tests it finds real
# model uploads, requests, results, rounds, registrations, votes and failed calls, not only
# default values.
SHARED_NODE = {
    "test_metadata.py": "test_sdk.py",
}


def _unit(module: str) -> str:
    return SHARED_NODE.get(module, module)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """Orders the modules: LONGEST_FIRST, each one's guests after it."""
    def position(name: str) -> int:
        return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)

    def order(item) -> tuple:
        module = item.path.name
        host = _unit(module)
        guest = host != module
        # A guest module runs after its host's tests, in the order SHARED_NODE lists guests.
        return (position(host), host, guest, list(SHARED_NODE).index(module) if guest else -1)

    items.sort(key=order)  # stable: tests keep their order within a module


def pytest_xdist_make_scheduler(config, log):
    """xdist's scheduler with one unit of work per module, or per host with its guests
    (SHARED_NODE). (xdist's own `--dist loadgroup` does not group on pytest 9, which renamed
    the node id attribute xdist rewrites.)"""
    from xdist.scheduler import LoadScopeScheduling

    class ModuleUnits(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _unit(nodeid.split("::", 1)[0].rsplit("/", 1)[-1])

    return ModuleUnits(config, log)


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

