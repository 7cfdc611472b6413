"""Faults on a real network (scripts/network.sh's nodes): a validator killed in the middle of
open jobs and restarted, a data node killed while a new node needs the model, a minority
validator cut off and let back. Run in this order, on one network; each test says in the log
what it did, what it saw, and the balances at the end."""

from __future__ import annotations

import time

import pytest

from conftest import LATE, MODEL_INPUT, OWNER, REQUESTER
from ledger import JobBook, read_blocks
from opg import chain, governance, nodes
from opg.errors import NodeUnreachable
from opg_tools.network import say
from traffic import RequestSender

ALICE = chain.keypair("//Alice").ss58_address   # validator and inference node: the one killed
EVE = chain.keypair("//Eve").ss58_address       # the separate inference node
LATE_ACCOUNT = chain.keypair(LATE.role_seed).ss58_address


def finalized(network, name: str) -> int:
    return network.nodes[name].heads()[1]


def settle(network, url_node: str, since: int, job_ids: set[int], timeout: float = 600.0) -> JobBook:
    """Reads finalized blocks from `since` until every job in `job_ids` is final or refunded."""
    book = JobBook()
    read_to = since - 1
    deadline = time.monotonic() + timeout
    while True:
        head = finalized(network, url_node)
        book.add(read_blocks(network.nodes[url_node].url, read_to + 1, head))
        read_to = head
        open_jobs = [job for job in job_ids if not (job in book.jobs and book.jobs[job].settled)]
        if not open_jobs:
            return book
        if time.monotonic() > deadline:
            raise AssertionError(f"jobs never settled: {sorted(open_jobs)}")
        time.sleep(6)


def requests_in(network, url_node: str, since: int, count: int, timeout: float = 120.0) -> JobBook:
    """Waits until `count` requests of REQUESTER since block `since` and their node draws are in
    finalized blocks. A request's block names no node: it is drawn at the start of the next
    block (`JobAssigned`), or of a later one while no eligible node is free (a job no node was
    drawn for ends refunded), so a request counts once its draw or its refund is read too."""
    requester = chain.keypair(REQUESTER).ss58_address
    book = JobBook()
    read_to = since - 1

    def enough():
        nonlocal read_to
        head = finalized(network, url_node)
        book.add(read_blocks(network.nodes[url_node].url, read_to + 1, head))
        read_to = head
        mine = book.of(requester)
        return len(mine) >= count and all(r.assigned or r.settled for r in mine.values())

    governance.wait_for(enough, f"{count} requests and their node draws in finalized blocks",
                        timeout)
    return book


def answered_by(network, dapp, node: str, batch: int, attempts: int = 6) -> list[int]:
    """Sends batches of `batch` requests until one of them is assigned to `node` (the draw is
    stake-weighted), waits until those jobs settle, and returns the ones `node` answered."""
    requester = chain.keypair(REQUESTER).ss58_address
    for _ in range(attempts):
        since = finalized(network, "bob") + 1
        dapp.send(batch)
        book = requests_in(network, "bob", since, batch)
        mine = [job for job, r in book.of(requester).items() if node in r.assigned]
        if mine:
            settled = settle(network, "bob", since, set(mine))
            answered = [job for job in mine if node in settled.jobs[job].answered_by]
            assert answered, f"jobs {mine} went to {node} but it answered none: {[settled.jobs[j] for j in mine]}"
            return answered
    pytest.fail(f"no job went to {node} in {attempts} batches")


def job_fee_held(substrate, account: str) -> int:
    holds = substrate.query("Balances", "Holds", [account]).value or []
    return sum(int(hold["amount"]) for hold in holds if hold["id"] == {"Inference": "JobFee"})


def balances_line(substrate, names: dict[str, str]) -> str:
    parts = []
    for name, account in names.items():
        info = substrate.query("System", "Account", [account]).value["data"]
        parts.append(f"{name} free {int(info['free']) / chain.OPG:,.4f} held {int(info['reserved']) / chain.OPG:,.4f}")
    return "; ".join(parts)


def final_balances(network) -> None:
    substrate = network.nodes["bob"].substrate()
    try:
        accounts = {"dApp (Dave)": chain.keypair(REQUESTER).ss58_address,
                    "owner (Charlie)": chain.keypair(OWNER).ss58_address,
                    "alice": ALICE, "eve": EVE, "late": LATE_ACCOUNT}
        say("balances (OPG): " + balances_line(substrate, accounts))
        say(f"fees still held for the dApp's jobs: {job_fee_held(substrate, accounts['dApp (Dave)'])}")
    finally:
        substrate.close()


@pytest.fixture
def dapp(network, model):
    """The dApp's request sender, on a fresh connection for each test (a connection left idle
    through a long wait may have been closed by the node)."""
    substrate = network.nodes["bob"].substrate()
    yield RequestSender(substrate, REQUESTER, model, "vanilla", MODEL_INPUT)
    substrate.close()


def test_killing_a_validator_keeps_finality_and_loses_no_job(network, dapp):
    """Alice validates and runs inference. She is killed just as a batch of requests reaches
    the pools, so the jobs drawn for her are open on a dead node: the other three validators
    keep finalizing, each of her jobs times out and goes to another node, every job ends, and
    no fee stays held."""
    since = finalized(network, "bob") + 1
    dapp.send(12)
    network.nodes["alice"].kill()
    say(f"KILL: alice (validator + inference node) killed with SIGKILL right after 12 requests "
        f"were sent; finalized #{since - 1}")
    book = requests_in(network, "bob", since, 12)
    requester = chain.keypair(REQUESTER).ss58_address
    jobs = book.of(requester)
    to_alice = sorted(job for job, record in jobs.items() if record.assigned and record.assigned[0] == ALICE)
    say(f"requests in blocks: jobs {sorted(jobs)}; assigned to alice (dead): {to_alice}")
    before = finalized(network, "bob")
    after = network.nodes["bob"].wait_for_finalized(before + 3, timeout=120)
    say(f"finality continues without alice: #{before} -> #{after} on bob")
    settled = settle(network, "bob", since, set(jobs))
    for job in to_alice:
        record = settled.jobs[job]
        assert ALICE not in record.answered_by
        assert len(record.assigned) >= 2 and record.assigned[1] != ALICE, record
    outcomes = {job: ("final" if r.final_in else f"refunded ({r.refund_reason})")
                for job, r in settled.jobs.items() if job in jobs}
    say(f"RECOVERY: every job settled: {outcomes}; alice's jobs went to "
        f"{sorted({settled.jobs[j].assigned[1][:8] for j in to_alice})}")
    assert to_alice, "no job went to alice: the kill tested nothing (stake-weighted draw; rerun)"
    substrate = network.nodes["bob"].substrate()
    try:
        assert job_fee_held(substrate, requester) == 0
    finally:
        substrate.close()
    final_balances(network)


def test_a_restarted_validator_catches_up_and_serves_jobs_again(network, dapp):
    """Alice comes back: she syncs what she missed, finalizes with the others, and her offchain
    worker answers the jobs assigned to her again."""
    target = finalized(network, "bob")
    started = time.monotonic()
    network.start_node("alice")
    say(f"RESTART: alice restarted at finalized #{target}")
    network.nodes["alice"].wait_for_finalized(target, timeout=180)
    say(f"RECOVERY: alice caught up to #{target} in {time.monotonic() - started:.0f}s")
    substrate = network.nodes["bob"].substrate()
    try:
        say(f"alice's node after her downtime: {nodes.node(substrate, ALICE)['status']}, bond "
            f"{nodes.node(substrate, ALICE)['bonded'] / chain.OPG:,.4f} OPG (slashed for the missed deadlines)")
        governance.wait_for(lambda: nodes.node(substrate, ALICE)["status"] == "Active",
                   "alice's heartbeat to make her active again", 180)
        say("RECOVERY: alice's offchain worker sent a heartbeat: she is active again")
    finally:
        substrate.close()
    answered = answered_by(network, dapp, ALICE, 6)
    say(f"RECOVERY: alice's offchain worker answered jobs {answered} after her restart")
    final_balances(network)


def test_a_new_node_gets_the_model_from_a_surviving_data_node(network, dapp, model):
    """data-1 is killed; a new inference node that keeps no model bytes of its own (offchain
    indexing off) joins, is assigned jobs, fetches the model from data-2, checks every chunk
    against the registry's hashes, and answers."""
    network.nodes["data-1"].kill()
    say("KILL: data-1 killed with SIGKILL")
    late = network.start_node("late")
    late.wait_for_finalized(finalized(network, "bob"), timeout=180)
    substrate = network.nodes["bob"].substrate()
    try:
        account = chain.keypair(LATE.role_seed)
        nodes.register(substrate, account, account, ["inference"], 30 * nodes.required_bond(substrate, ["inference"]))
    finally:
        substrate.close()
    say("the late node (indexing off, no model bytes) synced and registered as an inference node "
        "with a large bond, so it draws most jobs")
    late_substrate = late.substrate()
    try:
        local = chain.rpc(late_substrate, "opgModel_localChunks", [model, None])
        say(f"model chunks in the late node's database before any job: {local}")
    finally:
        late_substrate.close()
    answered = answered_by(network, dapp, LATE_ACCOUNT, 4)
    log = open(late.log_path, encoding="utf-8", errors="replace").read()
    assert f"fetched model {model} version 1 from data nodes" in log
    late_substrate = late.substrate()
    try:
        local = chain.rpc(late_substrate, "opgModel_localChunks", [model, None])
    finally:
        late_substrate.close()
    say(f"RECOVERY: the late node fetched model {model} from data-2 (data-1 dead), checked it by "
        f"hash and answered jobs {answered}; its chunks now: {local}")
    final_balances(network)


def test_a_partitioned_minority_rejoins(network):
    """Dave is cut off from every peer (restarted with --reserved-only and no reserved peers):
    the majority keeps finalizing, Dave cannot; let back in, he drops whatever he built alone
    and follows the majority's finalized chain."""
    dave = network.nodes["dave"]
    dave.stop()
    network.start_node("dave", "--reserved-only")
    say("PARTITION: dave restarted with --reserved-only and no reserved peers: he reaches no node")
    governance.wait_for(lambda: dave.running and _peers(dave) == 0, "dave's RPC, with no peers", 120, 2)
    dave_final = dave.heads()[1]
    before = finalized(network, "bob")
    after = network.nodes["bob"].wait_for_finalized(before + 4, timeout=180)
    dave_best, dave_final_now = dave.heads()
    say(f"majority finalized #{before} -> #{after}; dave alone: best #{dave_best}, finalized "
        f"#{dave_final} -> #{dave_final_now}")
    assert dave_final_now == dave_final < after, "dave finalized alone, or the majority did not"
    assert _peers(dave) == 0
    dave.stop()
    network.start_node("dave")
    say("REJOIN: dave restarted with his peers")
    target = finalized(network, "bob")
    dave.wait_for_finalized(target, timeout=180)
    bob = network.nodes["bob"].substrate()
    dave_rpc = dave.substrate()
    try:
        assert dave_rpc.get_block_hash(target) == bob.get_block_hash(target)
    finally:
        bob.close()
        dave_rpc.close()
    say(f"RECOVERY: dave follows the majority's finalized chain again (#{target}, same hash); peers {_peers(dave)}")
    final_balances(network)


def _peers(node) -> int | None:
    """How many peers `node` has (None while its RPC does not answer yet)."""
    try:
        substrate = node.substrate()
    except NodeUnreachable:
        return None
    try:
        return int(substrate.rpc_request("system_health", [])["result"]["peers"])
    finally:
        substrate.close()
