"""The load test: sustained inference requests on a local network (scripts/network.sh's nodes)
from several clients, while thousands of registered nodes heartbeat, then a report of what
became of every request.

Each client is a process with its own account, connected to its own node; at every new block it
sees, it sends its share of `--per-block` vanilla requests (signed with consecutive nonces,
handed to the pool without waiting). After `--minutes` the clients stop, and the test waits
until every job the requests made is final or refunded. Then it reads every block of the run
(ledger.mjs) and writes the report: requests sent, included, finalised, failed, refunded, lost
(must be zero), how long each request waited for a block, block times and fullness, finality
lag, and each node's memory over time.

Beside the network's own nodes, `--nodes` more are registered at genesis (default: enough to
fill the registry's 10,000) as data nodes at the least bond, an attacker's cheapest way to send
fee-free transactions, and a sender heartbeats for all of them as their offchain workers would
(heartbeats.py), with the period set to the shortest the registry allows for that many nodes.

Meanwhile an attacker (`--no-attack` leaves it out) pushes each of the runtime hooks' queues to
its cap, as anyone with money could: a process with accounts of its own, endowed at genesis,
that at every block sends

- `--attack-attested` (default 4) attested requests: each answer's commitment opens a
  verification round, whose committee draw, audit roll and reveal deadline each take a place in
  the round deadline lists, 3 a block (`MaxDeadlinesPerBlock`); a round that finds no room
  within 16 blocks is refused and its job refunded `VerificationUnavailable`;
- a challenge of one of the load's standing claims (vanilla results), holding the chain's
  challenge bond while its account can: a dispute, whose draw, reveal deadline and appeal window
  take places in lists of their own, 1 a block (`MaxDisputeDeadlinesPerBlock`); a challenge that
  finds no room fails (`DeadlineQueueFull`, nothing held), and the bond is lost when the claim
  stands;
- bond top-ups for its `--silent-nodes` (default 1) silent inference nodes: registered at genesis
  among the heartbeating nodes, bonded 1.2 times the least inference bond, they heartbeat, so
  they are drawn for jobs (the load's too) in proportion to their bond, and never answer. Each
  such job waits out its answer deadline in the timeout queue, whose hook slashes the node 1%
  and draws another one, as many a block as `TimeoutBudget` covers at their worst (about 6,
  fewer beside the load's answered deadlines). On this network one node at that bond is about
  5% of the inference stake, about 10 of the load's jobs a block: more than the hook ends, so
  the queue backs up while the load runs and the jobs settle late (hence the longer default
  `--settle-minutes`).

The attacker's jobs are counted apart from the load's and none of them may be lost. A job is
never given back to the node that missed it, so a load job refunded because both its nodes were
silent ones (possible only with two or more) is the protocol's answer, reported and not a
failure; any other refund of the load's, one that follows a challenge included, is.

    scripts/network-tests/load.py --minutes 10 --per-block 200 --report docs/load-test.md

What counts as lost: a request a pool accepted that never reached a finalized block (an
account's nonce on chain says how many of its transactions were included), or a job that was
not final or refunded when the test gave up waiting.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import statistics
import sys
import threading
import time
from collections import Counter
from fractions import Fraction
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[2] / "clients" / "python"),
                str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]

from heartbeats import genesis_patch, keys, send_heartbeats  # noqa: E402
from ledger import JobBook, JobRecord, read_blocks  # noqa: E402
from opg import chain, disputes, nodes  # noqa: E402
from opg.errors import Refused  # noqa: E402
from opg_tools.network import LocalNetwork, say  # noqa: E402
from traffic import RequestSender, publish_model  # noqa: E402

OWNER = "//Charlie"
# The clients: their accounts (none of them a node) and the node each sends to.
CLIENTS = [("//Dave", "bob"), ("//Bob", "charlie"), ("//Dave//stash", "dave"), ("//Eve//stash", "verifier"),
           ("//Ferdie//stash", "inference"), ("//Charlie//stash", "data-2")]
INPUT = {"input": [[0.5 * i for i in range(8)]]}
# The runtime's limits the report measures fullness against (runtime/src/configs/system.rs):
# 2 s of compute a block, 75 % of it for normal transactions; 5 MiB, 75 % for normal ones.
NORMAL_WEIGHT = 0.75 * 2e12
NORMAL_LENGTH = 0.75 * 5 * 1024 * 1024
# The registry's limits (runtime/src/configs/nodes.rs): the most nodes, the most heartbeats a
# block includes. A period must have room for two heartbeats of every node.
MAX_NODES = 10_000
MAX_HEARTBEATS_PER_BLOCK = 64
# The nodes the `local` network registers itself (three at genesis, two data nodes at start).
NETWORK_NODES = 5
SLOT_SECONDS = 6.0
# The network's own inference nodes, by name.
INFERENCE_NODES = (("alice", "//Alice"), ("eve (inference)", "//Eve"))
# The attacker's accounts (none of them endowed by the `local` preset), and the node it sends to.
ATTACKER = "//Mallory"
CHALLENGER = "//Mallory//challenger"
ATTACK_NODE = "data-1"
ATTACKER_ENDOWMENT = 1_000_000 * chain.OPG
# Its silent nodes bond this much of the least inference bond: room for a block's timeout
# slashes (1% each, at most about 6 a block) before it tops them up again.
SILENT_BOND = Fraction(6, 5)
# Which claims it challenges: of jobs requested this many blocks ago (answered by then, with
# part of their 10-block window left), looking at this many of them a block at most.
CLAIM_AGES = (3, 8)
CLAIM_TRIES = 8


def client(signer: str, url: str, model: int, share: int, seconds: float, results) -> None:
    """One client: `share` requests at each new block for `seconds`."""
    substrate = chain.connect(url, 60)
    sender = RequestSender(substrate, signer, model, "vanilla", INPUT)
    first_nonce = sender.nonce
    stop_at = time.monotonic() + seconds
    last = None
    sends = []
    sent_at = []  # (transaction hash, the best block when it was sent)
    while time.monotonic() < stop_at:
        head = int(substrate.rpc_request("chain_getHeader", [])["result"]["number"], 16)
        if last is None or head > last:
            # A share for every block since the last one seen, so a slow send skips none.
            blocks = 1 if last is None else head - last
            last = head
            started = time.monotonic()
            sent_at += [(h, head) for h in sender.send(share * blocks)]
            sends.append((time.monotonic() - started) / blocks)
        time.sleep(0.2)
    results.put({"signer": signer, "address": sender.signer.ss58_address, "first_nonce": first_nonce,
                 "sent": sender.sent, "refused": len(sender.refused), "refusals": sender.refused[:3],
                 "send_seconds": statistics.median(sends) if sends else 0.0, "sent_at": sent_at})
    substrate.close()


class Attacker:
    """The attacker (see the module's docstring), through the node `substrate` is connected to:
    `attested` attested requests of `model` a block, a challenge a block, and top-ups of its
    `silent` nodes' bonds."""

    def __init__(self, substrate, model: int, attested: int, silent: int):
        self.substrate = substrate
        self.attested = attested
        self.sender = RequestSender(substrate, ATTACKER, model, "attested", INPUT)
        self.challenger = chain.keypair(CHALLENGER)
        self.bond = int(disputes.parameters(substrate)["challenge_bond"])
        self.silent = keys(silent)
        # What each silent node bonded at genesis: what its top-ups restore.
        self.targets = {key.ss58_address: int(nodes.node(substrate, key.ss58_address)["bonded"])
                        for key in self.silent}
        pool = substrate.query("Nodes", "PoolSizes", ["Inference"]).value
        stake = int(substrate.query("Nodes", "PoolTree", ["Inference", pool["capacity"]]).value)
        self.share = sum(self.targets.values()) / stake if stake else 0.0
        self.first_nonces = {address: self.next_nonce(address)
                             for address in (self.challenger.ss58_address, *self.targets)}
        self.first_nonces[self.sender.signer.ss58_address] = self.sender.nonce
        self.challenged: set[int] = set()
        self.challenges: list[tuple[str, int]] = []  # (transaction hash, job)
        self.topups: list[str] = []
        self.refusals: list[str] = []
        self.unaffordable = self.no_claim = 0

    def next_nonce(self, address: str) -> int:
        return int(chain.rpc(self.substrate, "system_accountNextIndex", [address]))

    def act(self, head: int, blocks: int) -> None:
        """Its share of `blocks` blocks (one but when a slow turn skipped some), `head` the best."""
        self.sender.send(self.attested * blocks, retry_for=2.0)
        self.challenge(head, blocks)
        self.top_up()

    def challenge(self, head: int, count: int) -> None:
        """Challenges up to `count` of the load's standing claims while the challenger's free
        balance holds the bond."""
        for _ in range(count):
            account = self.substrate.query("System", "Account", [self.challenger.ss58_address]).value
            if int(account["data"]["free"]) < self.bond + chain.OPG:
                self.unaffordable += 1
                return
            job = self.standing_claim(head)
            if job is None:
                self.no_claim += 1
                return
            self.challenged.add(job)
            try:
                self.challenges.append((chain.submit(self.substrate, self.challenger, "Attestations",
                                                     "challenge", {"subject": disputes.job_subject(job)},
                                                     wait=False), job))
            except Refused as error:
                self.refusals.append(str(error))

    def standing_claim(self, head: int) -> int | None:
        """A job requested `CLAIM_AGES` blocks before `head` whose claim is open for two more
        blocks at least and not challenged yet, among `CLAIM_TRIES` looked at; None if none is.
        (The attacker's own jobs are attested: they have rounds, not claims.)"""
        if head <= CLAIM_AGES[1]:
            return None
        low, high = (int(self.substrate.query("Inference", "NextJobId",
                                              block_hash=self.substrate.get_block_hash(head - age)).value)
                     for age in (CLAIM_AGES[1] + 1, CLAIM_AGES[0]))
        for job in range(high - 1, low - 1, -max(1, (high - low) // CLAIM_TRIES)):
            if job in self.challenged:
                continue
            claim = disputes.claim(self.substrate, job)
            if claim and int(claim["challenge_deadline"]) > head + 2:
                return job
        return None

    def top_up(self) -> None:
        """Bonds each silent node back up to what it bonded at genesis (the timeout slashes take
        1% each), unless its last top-up still waits in the pool."""
        for key in self.silent:
            address = key.ss58_address
            bonded = int(nodes.node(self.substrate, address)["bonded"])
            if bonded >= self.targets[address]:
                continue
            if self.next_nonce(address) > int(self.substrate.query("System", "Account", [address]).value["nonce"]):
                continue
            try:
                self.topups.append(chain.submit(self.substrate, key, "Nodes", "bond_extra",
                                                {"amount": self.targets[address] - bonded}, wait=False))
            except Refused as error:
                self.refusals.append(str(error))

    def summary(self) -> dict:
        """What it sent, for the report (which reads the rest from the blocks)."""
        return {"requester": self.sender.signer.ss58_address, "challenger": self.challenger.ss58_address,
                "first_nonces": self.first_nonces, "attested_per_block": self.attested, "sent": self.sender.sent,
                "refused": len(self.sender.refused), "refusals": (self.sender.refused + self.refusals)[:3],
                "bond": self.bond, "challenges": self.challenges, "unaffordable": self.unaffordable,
                "no_claim": self.no_claim, "silent_bonds": self.targets, "silent_share": self.share,
                "topups": self.topups}


def attack(url: str, model: int, attested: int, silent: int, seconds: float, results) -> None:
    """The attacker's process: acts at each new block for `seconds`, then puts its summary on
    `results`."""
    substrate = chain.connect(url, 60)
    attacker = Attacker(substrate, model, attested, silent)
    stop_at = time.monotonic() + seconds
    last = None
    while time.monotonic() < stop_at:
        head = int(substrate.rpc_request("chain_getHeader", [])["result"]["number"], 16)
        if last is None or head > last:
            blocks = 1 if last is None else head - last
            last = head
            attacker.act(head, blocks)
        time.sleep(0.2)
    results.put(attacker.summary())
    substrate.close()


def attacker_accounts(minutes: float):
    """A patch of the `local` genesis that endows the attacker: its requester as a dev account
    is, its challenger with a challenge bond for every block of a `minutes` run and ten more."""
    def patch(genesis: dict) -> None:
        bond = int(genesis["attestations"]["parameters"]["challengeBond"])
        blocks = math.ceil(minutes * 60 / SLOT_SECONDS)
        genesis["balances"]["balances"] += [
            [chain.keypair(ATTACKER).ss58_address, ATTACKER_ENDOWMENT],
            [chain.keypair(CHALLENGER).ss58_address, bond * (blocks + 10)]]
    return patch


def silent_names(attack_summary: dict | None) -> dict[str, str]:
    """The attacker's silent nodes' names in the report, by address."""
    return {address: f"silent-{i + 1} (attacker)"
            for i, address in enumerate(attack_summary["silent_bonds"] if attack_summary else ())}


class Sampler(threading.Thread):
    """Every `every` seconds: best and finalized block of a node, and each node's memory."""

    def __init__(self, network: LocalNetwork, watch: str, every: float = 10.0):
        super().__init__(daemon=True)
        self.network, self.watch, self.every = network, watch, every
        self.samples: list[dict] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        started = time.monotonic()
        while not self.stopped.is_set():
            try:
                best, final = self.network.nodes[self.watch].heads()
            except Exception:  # noqa: BLE001 - a busy node may answer late; skip this sample
                best = final = None
            memory = {name: node.rss_mib() for name, node in self.network.nodes.items()}
            self.samples.append({"t": time.monotonic() - started, "best": best, "final": final,
                                 "memory": memory})
            self.stopped.wait(self.every)


def wait_settled(network: LocalNetwork, watch: str, first: int, addresses: set[str], hashes: set[str],
                 expected_included: int, timeout: float,
                 attackers: frozenset[str] = frozenset()) -> tuple[JobBook, list[dict], int]:
    """Reads finalized blocks from `first` until all `expected_included` requests (of the
    transactions `hashes`, which `addresses` sent) are in and every job they made, and every job
    of `attackers` read so far, is settled, or `timeout` passes. A request counts once its block
    is read, whether it made a job or failed. Returns the book, the blocks and the last block
    read."""
    book, blocks = JobBook(), []
    seen = 0
    read_to = first - 1
    deadline = time.monotonic() + timeout
    while True:
        head = network.nodes[watch].heads()[1]
        new = read_blocks(network.nodes[watch].url, read_to + 1, head)
        blocks += new
        book.add(new)
        seen += sum(1 for b in new for h in b["hashes"] if h in hashes)
        read_to = head
        ours = [r for r in book.jobs.values() if r.requester in addresses]
        theirs = [r for r in book.jobs.values() if r.requester in attackers]
        unsettled = [r for r in ours + theirs if not r.settled]
        say(f"read to #{head}: {len(ours)} jobs of the load, {len(theirs)} of the attacker, "
            f"{len(unsettled)} not settled yet")
        if seen >= expected_included and not unsettled:
            return book, blocks, read_to
        if time.monotonic() > deadline:
            return book, blocks, read_to
        time.sleep(30)


def stats(values, fmt="{:.0f}") -> str:
    """min / median / mean / max of `values`, or a dash for none."""
    if not values:
        return "-"
    return (f"{fmt.format(min(values))} / {fmt.format(statistics.median(values))} / "
            f"{fmt.format(statistics.mean(values))} / {fmt.format(max(values))}")


def outcome(record: JobRecord | None) -> str:
    """How a job ended: final, refunded (and why), or open."""
    if record is None or not record.settled:
        return "open"
    return "final" if record.final_in is not None else f"refunded {record.refund_reason}"


def attack_report(attack_summary: dict, book: JobBook, blocks: list[dict], load: list[dict],
                  nonces: dict[str, int]) -> tuple[list[str], list[str]]:
    """The report's Attacker section, and what went wrong in it: any transaction of the
    attacker's that a pool accepted and no block included, or a job of its left open."""
    requester, challenger = attack_summary["requester"], attack_summary["challenger"]
    first_nonces = attack_summary["first_nonces"]
    silent = attack_summary["silent_bonds"]
    theirs = [r for r in book.jobs.values() if r.requester == requester]
    included = nonces[requester] - first_nonces[requester]
    refunds = Counter(r.refund_reason for r in theirs if r.refunded_in is not None)
    unsettled = sum(1 for r in theirs if not r.settled)
    challenges = attack_summary["challenges"]
    challenges_included = nonces[challenger] - first_nonces[challenger]
    rounds = [e for b in blocks for e in b["rounds"]]
    opened = [e["job"] for e in rounds if e["event"] == "Challenged" and e["challenger"] == challenger]
    sent_hashes = {transaction for transaction, _ in challenges}
    errors = Counter(f["error"] for b in blocks for f in b["failures"] if f["hash"] in sent_hashes)
    topups_included = sum(nonces[address] - first_nonces[address] for address in silent)
    lost = ((attack_summary["sent"] - included) + unsettled + (len(challenges) - challenges_included)
            + (len(attack_summary["topups"]) - topups_included))
    drawn = Counter("attacker's" if r.requester == requester else "load's" for r in book.jobs.values()
                    for node in r.assigned if node in silent)
    # Silent nodes never refuse a job: every time one was taken from them, it was a timeout.
    missed = sum(1 for b in blocks for e in b["events"] if e["event"] == "JobReassigned" and e["from"] in silent)
    missed += sum(1 for r in book.jobs.values()
                  if r.refund_reason == "TimedOut" and r.assigned and r.assigned[-1] in silent)
    ended = Counter(at for r in book.jobs.values() for at, _ in r.timeouts)
    late = [at - deadline for r in book.jobs.values() for at, deadline in r.timeouts]
    queues = [b["queues"] for b in load]
    verifications = [sum(1 for e in b["rounds"] if e["event"] == "RoundOpened" and e["kind"] == "Verification")
                     for b in load]
    disputed = [sum(1 for e in b["rounds"] if e["event"] == "Challenged") for b in load]
    undecided = Counter(e["kind"] for e in rounds if e["event"] == "RoundUndecided")
    bonded = ", ".join(f"{int(bond) / chain.OPG:,.0f}" for bond in silent.values()) or "-"
    lines = [
        "", "## Attacker", "",
        f"Beside the load, an attacker (`{ATTACKER}` requesting, `{CHALLENGER}` challenging, through "
        f"the node {ATTACK_NODE}) at every block it saw sent {attack_summary['attested_per_block']} "
        "attested requests, challenged one of the load's standing claims while it could hold the "
        f"challenge bond ({attack_summary['bond'] / chain.OPG:,.0f} OPG, the chain's), and topped "
        f"up the bonds of its {len(silent)} silent inference node(s), registered at genesis among the "
        f"heartbeating nodes (bonded {bonded} OPG, {attack_summary['silent_share']:.1%} of the "
        "inference stake at the start), which never answer.",
        "",
        "| | count |",
        "|---|---|",
        f"| attested requests sent (accepted by a pool) / refused by a pool | {attack_summary['sent']} / "
        f"{attack_summary['refused']} |",
        f"| included in finalized blocks (nonces on chain) / failed at dispatch | {included} / "
        f"{included - len(theirs)} |",
        f"| jobs final | {sum(1 for r in theirs if r.final_in is not None)} |",
        "| jobs refunded, by reason (`VerificationUnavailable`: no round deadline list had room; "
        f"`Undecided`: no committee or quorum) | {sum(refunds.values())} {dict(refunds) or ''} |",
        f"| jobs still open when the test stopped waiting | {unsettled} |",
        f"| challenges sent / included / disputes they opened | {len(challenges)} / {challenges_included} / "
        f"{len(opened)} |",
        f"| challenges failed at dispatch, by error | {sum(errors.values())} {dict(errors) or ''} |",
        f"| blocks without a challenge: bond not affordable / no standing claim found | "
        f"{attack_summary['unaffordable']} / {attack_summary['no_claim']} |",
        f"| the challenged jobs (the load's), by outcome | "
        f"{dict(Counter(outcome(book.jobs.get(job)) for job in opened))} |",
        f"| jobs drawn for a silent node (first or reassigned) | {sum(drawn.values())} {dict(drawn) or ''} |",
        f"| deadlines the silent nodes missed (each slashed 1% of the bond) | {missed} |",
        f"| bond top-ups sent / included | {len(attack_summary['topups'])} / {topups_included} |",
        f"| **lost** (sent, never included; or a job never settled) | **{lost}** |",
        "",
        "The hooks' queues per block of the load (min / median / mean / max), against their caps: 3 "
        "verification round deadlines a block (`MaxDeadlinesPerBlock`: each round's draw, audit roll "
        "and reveal deadline), 1 dispute deadline a block (`MaxDisputeDeadlinesPerBlock`: draw, "
        "reveal deadline, appeal window), each searched up to 16 blocks ahead for room; as many "
        "timeouts as `TimeoutBudget` covers at their worst (about 6):",
        "",
        "| | value |",
        "|---|---|",
        f"| verification rounds opened | {stats(verifications)} |",
        f"| disputes opened | {stats(disputed)} |",
        f"| timeouts ended (a silent node's, or a late answer's) | {stats([ended[b['number']] for b in load])} |",
        f"| blocks a timeout was ended after its deadline (whole run) | {stats(late)} |",
        f"| verification round deadlines listed ahead | {stats([q['rounds']['listed'] for q in queues])} |",
        f"| blocks ahead whose verification round list is full | {stats([q['rounds']['full'] for q in queues])} |",
        f"| dispute deadlines listed ahead | {stats([q['disputes']['listed'] for q in queues])} |",
        f"| blocks ahead whose dispute list is full | {stats([q['disputes']['full'] for q in queues])} |",
        f"| blocks the round deadline cursor lagged | {stats([q['roundLag'] for q in queues])} |",
        f"| blocks the claim deadline cursor lagged | {stats([q['claimLag'] for q in queues])} |",
        f"| answer deadlines in the timeout queue | {stats([q['timeoutsQueued'] for q in queues])} |",
        f"| blocks the oldest of them was past due | {stats([q['timeoutLag'] for q in queues])} |",
        "",
        f"Rounds that found no committee (whole run): {sum(1 for e in rounds if e['event'] == 'NoCommittee')}; "
        f"rounds that ended undecided: {dict(undecided) or 0}."
        + (f" First refusals of its transactions by a pool: {attack_summary['refusals']}"
           if attack_summary["refusals"] else ""),
    ]
    problems = [f"{lost} of the attacker's transactions or jobs lost"] if lost else []
    return lines, problems


def report(args, network, results, book, blocks, first, last, load_blocks, samples, nonces,
           started_at, load_seconds, standing, beats, attack_summary) -> tuple[str, list[str]]:
    """The report's markdown, and what went wrong (nothing when the test passed): a lost,
    refused, failed or refunded request (but one refunded because both its nodes were the
    attacker's silent ones), a rate under the one asked for, a request that waited more than
    one block beyond the next, blocks more than 10% slower or faster than 6 s on average, a
    heartbeat sent that no block took, or a transaction or job of the attacker's lost."""
    addresses = {r["address"] for r in results}
    sent = sum(r["sent"] for r in results)
    refused = sum(r["refused"] for r in results)
    included = sum(nonces[r["address"]] - r["first_nonce"] for r in results)
    ours = [r for r in book.jobs.values() if r.requester in addresses]
    final = sum(1 for r in ours if r.final_in is not None)
    refunds: dict[str, int] = {}
    for r in ours:
        if r.refunded_in is not None:
            refunds[r.refund_reason] = refunds.get(r.refund_reason, 0) + 1
    silent_nodes = silent_names(attack_summary)
    # Refunded in full by design: a job goes to another node once, never back to the one that
    # missed it, so only two silent nodes of the attacker's can both miss one.
    both_silent = sum(1 for r in ours if r.refund_reason == "TimedOut" and r.assigned
                      and set(r.assigned) <= set(silent_nodes))
    unsettled = sum(1 for r in ours if not r.settled)
    failed = included - len(ours)
    lost = (sent - included) + unsettled
    load_block_count = max(1, load_blocks[1] - load_blocks[0] + 1)
    rate = included / load_block_count
    load = [b for b in blocks if load_blocks[0] <= b["number"] <= load_blocks[1]]
    per_block = [sum(1 for e in b["events"] if e["event"] == "JobRequested" and e["requester"] in addresses)
                 for b in load]
    answers = [sum(1 for e in b["events"] if e["event"] == "ResultSubmitted") for b in load]
    finals = [sum(1 for e in b["events"] if e["event"] == "JobFinal") for b in blocks]
    weight = [int(b["weight"]["normal"]) / NORMAL_WEIGHT * 100 for b in load]
    length = [b["bytes"] / NORMAL_LENGTH * 100 for b in load]
    all_weight = [(int(b["weight"]["normal"]) + int(b["weight"]["mandatory"]) + int(b["weight"]["operational"]))
                  / 2e12 * 100 for b in load]
    lags = [s["best"] - s["final"] for s in samples if s["best"] is not None]
    latency = [r.final_in - r.requested_in for r in ours if r.final_in is not None]
    block_times = (load_seconds / len(load)) if load else 0
    intervals = [(b["timestamp"] - a["timestamp"]) / 1000 for a, b in zip(load, load[1:])]
    mean_interval = statistics.mean(intervals) if intervals else 0.0
    # How long each request waited: blocks from the best block its client saw when it sent it
    # to the block that included it (1: the next block).
    included_in = {h: b["number"] for b in blocks for h in b["hashes"]}
    waits = [included_in[h] - head for r in results for h, head in r["sent_at"] if h in included_in]
    sent_hashes = {h for r in results for h, _ in r["sent_at"]}
    errors = Counter(f["error"] for b in blocks for f in b["failures"] if f["hash"] in sent_hashes)
    starved = sum(1 for wait in waits if wait > 2)
    beats_in_load = [b["heartbeats"] for b in load]
    beats_landed = sum(b["heartbeats"] for b in blocks)
    beats_sent = beats["heartbeats_sent"] if beats else 0
    beats_unlanded = max(0, beats_sent - beats_landed)

    lines = [
        "# Load test",
        "",
        "Written by `scripts/network-tests/load.py` (the long tests, `scripts/long-test.sh`) on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(started_at))}, on this machine "
        "(2 cores, 24 GiB): every node of the local network (`scripts/network.sh`: four validators, "
        "an inference node, a verifier node, two data nodes) and every client ran on it at once.",
        "",
        f"Load: {len(results)} clients, each its own account and node, sending {args.per_block} vanilla "
        f"requests per block between them ({args.per_block // len(results)} each at every new block they "
        f"saw) for {args.minutes} minutes, blocks #{load_blocks[0]}-#{load_blocks[1]}; then the test "
        f"waited until every job was final or refunded (read to #{last}). Nodes had "
        f"{args.response_period} blocks to answer (production's response period; the local chain's "
        "own is 5 blocks, for demos), the challenge window was 10 blocks. "
        f"{args.nodes + NETWORK_NODES} nodes were registered: the network's {NETWORK_NODES} and "
        f"{args.nodes - len(silent_nodes)} data nodes at the least bond"
        + (f" and the attacker's {len(silent_nodes)} silent inference node(s)" if silent_nodes else "")
        + " registered at genesis, for which a sender "
        f"sent one heartbeat a period from each node's own block of its first half, as their "
        f"offchain workers would (bare transactions, fee-free), the period {args.heartbeat_period} "
        f"blocks (the shortest with room for two heartbeats of each node at "
        f"{MAX_HEARTBEATS_PER_BLOCK} a block)."
        + (f" Every node ran with `{' '.join(args.node_args)}`." if args.node_args else "")
        + (" An attacker pushed the hooks' queues to their caps meanwhile (see Attacker below)."
           if attack_summary else " No attacker (`--no-attack`)."),
        "",
        "| | count |",
        "|---|---|",
        f"| requests sent (accepted by a pool) | {sent} |",
        f"| refused by a pool after 30 s of retries (not sent) | {refused} |",
        f"| included in finalized blocks (nonces on chain) | {included} |",
        f"| failed at dispatch (included, no job), by error | {failed} {dict(errors) or ''} |",
        f"| jobs final (result paid) | {final} |",
        f"| jobs refunded | {sum(refunds.values())} {refunds or ''} |",
        *([f"| of which both their nodes were the attacker's silent ones (fee back in full) | {both_silent} |"]
          if attack_summary else []),
        f"| jobs still open when the test stopped waiting | {unsettled} |",
        f"| **lost** (sent, never included; or never settled) | **{lost}** |",
        f"| requests included per block of the load (all included / {load_block_count} blocks) | {rate:.0f} |",
        f"| requests included more than one block after the next (blocks waited > 2) | {starved} |",
        f"| heartbeats sent for the registered nodes / refused by a pool | {beats_sent} / "
        f"{beats['heartbeats_refused'] if beats else 0} |",
        f"| heartbeats taken by blocks (#{first}-#{last}, the network's own nodes' included) | {beats_landed} |",
        "",
        "Per block of the load (min / median / mean / max):",
        "",
        "| | value |",
        "|---|---|",
        f"| requests included | {stats(per_block)} |",
        f"| blocks a request waited (from the best block when sent to its block) | {stats(waits)} |",
        f"| heartbeats included | {stats(beats_in_load)} |",
        f"| results submitted | {stats(answers)} |",
        f"| jobs made final (whole run) | {stats(finals)} |",
        f"| normal-class weight used, % of its 1.5 s | {stats(weight, '{:.1f}')} |",
        f"| all weight (hooks included), % of 2 s | {stats(all_weight, '{:.1f}')} |",
        f"| length, % of the normal 3.75 MiB | {stats(length, '{:.2f}')} |",
        f"| seconds a block (load time / blocks) | {block_times:.2f} |",
        f"| seconds between blocks (timestamps) | {stats(intervals, '{:.1f}')} |",
        f"| finality lag, blocks (best - finalized, sampled every 10 s) | {stats(lags)} |",
        f"| blocks from request to final (challenge window 10) | {stats(latency)} |",
        "",
        "Node memory (resident, MiB) at the start, every two minutes, and at the end:",
        "",
    ]
    names = list(network.nodes)
    lines.append("| time | " + " | ".join(names) + " |")
    lines.append("|---|" + "---|" * len(names))
    shown = samples[::12] + ([samples[-1]] if samples else [])
    for sample in shown:
        cells = [f"{sample['memory'][n]:.0f}" if sample["memory"].get(n) else "-" for n in names]
        lines.append(f"| {sample['t'] / 60:.0f} min | " + " | ".join(cells) + " |")
    per_node: dict[str, int] = {}
    for r in ours:
        for node in r.assigned:
            per_node[node] = per_node.get(node, 0) + 1
    names_of = {chain.keypair(seed).ss58_address: name for name, seed in INFERENCE_NODES} | silent_nodes
    silent = sum(1 for r in ours if r.refunded_in is not None and not r.answered_by)
    lines += ["", "Assignments (first and re-assignments) per inference node: "
              + ", ".join(f"{names_of.get(node, node[:8])} {count}" for node, count in per_node.items())
              + f". Refunded jobs no answer of which reached a block: {silent}. The inference nodes "
              "at the end: " + "; ".join(f"{name} {record['status']}, bond {int(record['bonded']) / chain.OPG:,.0f} OPG"
                                        for name, record in standing.items()) + "."]
    lines += ["", "Clients:", ""]
    for r in results:
        lines.append(f"- `{r['signer']}`: sent {r['sent']}, refused {r['refused']}, "
                     f"median {r['send_seconds']:.2f} s to send its share of a block"
                     + (f"; first refusals: {r['refusals']}" if r["refusals"] else ""))
    attack_lines, attack_problems = (attack_report(attack_summary, book, blocks, load, nonces)
                                     if attack_summary else ([], []))
    lines += attack_lines
    refunded = sum(refunds.values()) - both_silent
    problems = [what for what, bad in (
        (f"{lost} lost", lost), (f"{refused} refused", refused), (f"{failed} failed at dispatch", failed),
        (f"{refunded} refunded", refunded),
        (f"{rate:.0f} requests a block, under {args.per_block}", rate < args.per_block),
        (f"{starved} requests waited more than one block beyond the next", starved),
        (f"blocks every {mean_interval:.2f} s on average, not within 10% of {SLOT_SECONDS:.0f} s",
         abs(mean_interval - SLOT_SECONDS) > 0.1 * SLOT_SECONDS),
        (f"{beats_unlanded} heartbeats sent that no block took", beats_unlanded)) if bad] + attack_problems
    lines += ["", "Verdict: " + ("passed: every request sent was included within a block of the next "
                                 "and settled final"
                                 + (f" ({both_silent} refunded in full: both their nodes were the "
                                    "attacker's silent ones)" if both_silent else "")
                                 + f", at the rate asked, blocks every {mean_interval:.2f} s, every "
                                 "heartbeat in a block"
                                 + ("; nothing of the attacker's lost." if attack_summary else ".")
                                 if not problems else "FAILED: " + "; ".join(problems) + ".")]
    return "\n".join(lines) + "\n", problems


def finalized_nonces(substrate, addresses: set[str]) -> dict[str, int]:
    """Each account's nonce at the finalized block: transactions included for good. (Not at
    the best block, which a busy network may leave for another fork, its state discarded.)"""
    head = substrate.get_chain_finalised_head()
    return {a: int(substrate.query("System", "Account", [a], block_hash=head).value["nonce"])
            for a in addresses}


def set_response_period(url: str, blocks: int) -> None:
    """Gives nodes `blocks` blocks to answer (sudo, as a node-parameters referendum would): the
    local chain's five-block demo deadline is stricter than production's twenty."""
    substrate = chain.connect(url, 60)
    try:
        change = substrate.compose_call("Inference", "set_parameter", {"change": {"ResponsePeriod": blocks}})
        chain.submit(substrate, chain.keypair("//Alice"), "Sudo", "sudo", {"call": change})
        period = substrate.query("Inference", "ActiveParameters").value["response_period"]
        assert period == blocks, period
        say(f"response period set to {blocks} blocks")
    finally:
        substrate.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--per-block", type=int, default=200)
    parser.add_argument("--clients", type=int, default=4, choices=range(1, len(CLIENTS) + 1))
    parser.add_argument("--settle-minutes", type=float, default=None,
                        help="how long to wait for the last jobs to settle (default 15; with the attacker "
                             "15 more than 1.5 times --minutes: its silent nodes' missed deadlines come "
                             "faster than the timeout hook ends them, and drain after the load)")
    parser.add_argument("--response-period", type=int, default=20,
                        help="blocks a node has to answer (default 20, production's two minutes; the "
                             "local chain's own is 5, for demos)")
    parser.add_argument("--nodes", type=int, default=MAX_NODES - NETWORK_NODES,
                        help="data nodes registered at genesis that heartbeat during the load (default: "
                             "enough to fill the registry's 10,000)")
    parser.add_argument("--heartbeat-period", type=int, default=None,
                        help="blocks a heartbeat period lasts (default: the shortest with room for two "
                             "heartbeats of every node)")
    parser.add_argument("--attack", action=argparse.BooleanOptionalAction, default=True,
                        help="run the attacker beside the load (default; --no-attack leaves it out)")
    parser.add_argument("--attack-attested", type=int, default=4,
                        help="attested requests the attacker sends a block (default 4, one over the 3 "
                             "verification round deadlines a block holds)")
    parser.add_argument("--silent-nodes", type=int, default=1,
                        help="the attacker's silent inference nodes, taken from the --nodes that "
                             "heartbeat (default 1)")
    parser.add_argument("--report", default=None, help="write the report here (default: print it)")
    parser.add_argument("node_args", nargs="*", help="extra arguments for every opg-node (after --)")
    args = parser.parse_args(argv)
    if args.heartbeat_period is None:
        args.heartbeat_period = max(5, -(-2 * (args.nodes + NETWORK_NODES) // MAX_HEARTBEATS_PER_BLOCK))
    if args.settle_minutes is None:
        args.settle_minutes = 15.0 + (1.5 * args.minutes if args.attack else 0.0)

    workdir = Path.home() / ".cache" / "opg-chain" / "load-test" / time.strftime("%Y%m%d-%H%M%S")
    # The report reads every block's events after the load: keep the state of all of them
    # (the default keeps 256 blocks, less than a long run).
    network = LocalNetwork(workdir, node_args=("--state-pruning", "archive-canonical", *args.node_args))
    silent = min(args.silent_nodes, args.nodes) if args.attack else 0
    changes = []
    if args.nodes:
        # A silent node's funds: its bond, and a bond a minute to top it up (timeout slashes
        # take at most about 6% of it a block).
        changes.append(genesis_patch(args.nodes, network.nodes["data-1"].http_url, args.heartbeat_period,
                                     inference=silent, inference_bond=SILENT_BOND,
                                     inference_funds=1 + math.ceil(args.minutes)))
    if args.attack:
        changes.append(attacker_accounts(args.minutes))
    if changes:
        def patch(genesis: dict) -> None:
            for change in changes:
                change(genesis)
        network.genesis_patch = patch
    try:
        say(f"load test: starting the local network in {workdir}")
        network.start()
        print(network.table(), flush=True)
        model = publish_model(network.nodes["bob"].url, OWNER)
        set_response_period(network.nodes["bob"].url, args.response_period)
        watch = "bob"
        first = network.nodes[watch].heads()[0] + 1
        sampler = Sampler(network, watch)
        sampler.start()
        started_at = time.time()
        results = multiprocessing.Queue()
        share = args.per_block // args.clients
        processes = [multiprocessing.Process(target=client, args=(
            signer, network.nodes[node].url, model, share, args.minutes * 60, results))
            for signer, node in CLIENTS[:args.clients]]
        beat_results = multiprocessing.Queue()
        if args.nodes:
            processes.append(multiprocessing.Process(target=send_heartbeats, args=(
                network.nodes["data-2"].url, args.nodes, args.minutes * 60, beat_results)))
        attack_results = multiprocessing.Queue()
        if args.attack:
            processes.append(multiprocessing.Process(target=attack, args=(
                network.nodes[ATTACK_NODE].url, model, args.attack_attested, silent, args.minutes * 60,
                attack_results)))
        say(f"load: {args.clients} clients, {share * args.clients} requests a block, {args.minutes} minutes; "
            f"heartbeats of {args.nodes} more nodes every {args.heartbeat_period} blocks"
            + (f"; an attacker with {args.attack_attested} attested requests and a challenge a block, "
               f"{silent} silent inference node(s)" if args.attack else ""))
        load_started = time.monotonic()
        for process in processes:
            process.start()
        collected = [results.get(timeout=args.minutes * 60 + 600) for _ in range(args.clients)]
        beats = beat_results.get(timeout=600) if args.nodes else None
        attack_summary = attack_results.get(timeout=600) if args.attack else None
        for process in processes:
            process.join()
        load_seconds = time.monotonic() - load_started
        load_last = network.nodes[watch].heads()[0]
        say(f"load done: {sum(r['sent'] for r in collected)} requests sent; waiting for every job to settle")
        addresses = {r["address"] for r in collected}
        # The accounts of the attacker whose nonces count its transactions.
        attackers = set(attack_summary["first_nonces"]) if attack_summary else set()
        substrate = network.nodes[watch].substrate()
        try:
            nonces = finalized_nonces(substrate, addresses | attackers)
        finally:
            substrate.close()
        included = sum(nonces[r["address"]] - r["first_nonce"] for r in collected)
        book, blocks, last = wait_settled(
            network, watch, first, addresses, {h for r in collected for h, _ in r["sent_at"]}, included,
            args.settle_minutes * 60,
            frozenset({attack_summary["requester"]}) if attack_summary else frozenset())
        substrate = network.nodes[watch].substrate()
        try:  # included transactions, counted again once everything is finalized
            nonces = finalized_nonces(substrate, addresses | attackers)
            inference_nodes = {chain.keypair(seed).ss58_address: name for name, seed in INFERENCE_NODES}
            standing = {name: nodes.node(substrate, address)
                        for address, name in (inference_nodes | silent_names(attack_summary)).items()}
        finally:
            substrate.close()
        sampler.stopped.set()
        sampler.join()
        text, problems = report(args, network, collected, book, blocks, first, last, (first, load_last),
                                sampler.samples, nonces, started_at, load_seconds, standing, beats,
                                attack_summary)
        if args.report:
            Path(args.report).write_text(text)
            say(f"report written to {args.report}")
        print(text, flush=True)
        return 1 if problems else 0
    finally:
        network.stop()


if __name__ == "__main__":
    sys.exit(main())
