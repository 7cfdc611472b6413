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

    scripts/network-tests/load.py --minutes 10 --per-block 200 --report docs/load-test.md

What counts as lost: a request a pool accepted that never reached a finalized block (an
account's nonce on chain says how many of its transactions were included), or a job that was
not final or refunded when the test gave up waiting.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[2] / "clients" / "python"),
                str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]

from heartbeats import genesis_patch, send_heartbeats  # noqa: E402
from ledger import JobBook, read_blocks  # noqa: E402
from opg import chain, nodes  # noqa: E402
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


def wait_settled(network: LocalNetwork, watch: str, first: int, addresses: set[str],
                 expected_included: int, timeout: float) -> tuple[JobBook, list[dict], int]:
    """Reads finalized blocks from `first` until all `expected_included` requests are in and
    every job they made is settled, or `timeout` passes. Returns the book, the blocks and the
    last block read."""
    book, blocks = JobBook(), []
    read_to = first - 1
    deadline = time.monotonic() + timeout
    while True:
        head = network.nodes[watch].heads()[1]
        new = read_blocks(network.nodes[watch].url, read_to + 1, head)
        blocks += new
        book.add(new)
        read_to = head
        ours = [r for r in book.jobs.values() if r.requester in addresses]
        unsettled = [r for r in ours if not r.settled]
        say(f"read to #{head}: {len(ours)} jobs of the load, {len(unsettled)} not settled yet")
        if len(ours) >= expected_included and not unsettled:
            return book, blocks, read_to
        if time.monotonic() > deadline:
            return book, blocks, read_to
        time.sleep(30)


def report(args, network, results, book, blocks, first, last, load_blocks, samples, nonces,
           started_at, load_seconds, standing, beats) -> tuple[str, list[str]]:
    """The report's markdown, and what went wrong (nothing when the test passed): a lost,
    refused, failed or refunded request, a rate under the one asked for, a request that waited
    more than one block beyond the next, blocks more than 10% slower or faster than 6 s on
    average, or a heartbeat sent that no block took."""
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
    unsettled = sum(1 for r in ours if not r.settled)
    failed = included - len(ours)
    lost = (sent - included) + unsettled
    load_block_count = max(1, load_blocks[1] - load_blocks[0] + 1)
    rate = included / load_block_count
    load = [b for b in blocks if load_blocks[0] <= b["number"] <= load_blocks[1]]
    per_block = [sum(1 for e in b["events"] if e["event"] == "JobRequested") for b in load]
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
    starved = sum(1 for wait in waits if wait > 2)
    beats_in_load = [b["heartbeats"] for b in load]
    beats_landed = sum(b["heartbeats"] for b in blocks)
    beats_sent = beats["heartbeats_sent"] if beats else 0
    beats_unlanded = max(0, beats_sent - beats_landed)

    def stats(values, fmt="{:.0f}"):
        if not values:
            return "-"
        return (f"{fmt.format(min(values))} / {fmt.format(statistics.median(values))} / "
                f"{fmt.format(statistics.mean(values))} / {fmt.format(max(values))}")

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
        f"{args.nodes} data nodes at the least bond registered at genesis, for which a sender "
        f"sent one heartbeat a period from each node's own block of its first half, as their "
        f"offchain workers would (bare transactions, fee-free), the period {args.heartbeat_period} "
        f"blocks (the shortest with room for two heartbeats of each node at "
        f"{MAX_HEARTBEATS_PER_BLOCK} a block)."
        + (f" Every node ran with `{' '.join(args.node_args)}`." if args.node_args else ""),
        "",
        "| | count |",
        "|---|---|",
        f"| requests sent (accepted by a pool) | {sent} |",
        f"| refused by a pool after 30 s of retries (not sent) | {refused} |",
        f"| included in finalized blocks (nonces on chain) | {included} |",
        f"| failed at dispatch (included, no job) | {failed} |",
        f"| jobs final (result paid) | {final} |",
        f"| jobs refunded | {sum(refunds.values())} {refunds or ''} |",
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
    names_of = {chain.keypair(seed).ss58_address: name for name, seed in
                (("alice", "//Alice"), ("eve (inference)", "//Eve"))}
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
    problems = [what for what, bad in (
        (f"{lost} lost", lost), (f"{refused} refused", refused), (f"{failed} failed at dispatch", failed),
        (f"{sum(refunds.values())} refunded", sum(refunds.values())),
        (f"{rate:.0f} requests a block, under {args.per_block}", rate < args.per_block),
        (f"{starved} requests waited more than one block beyond the next", starved),
        (f"blocks every {mean_interval:.2f} s on average, not within 10% of {SLOT_SECONDS:.0f} s",
         abs(mean_interval - SLOT_SECONDS) > 0.1 * SLOT_SECONDS),
        (f"{beats_unlanded} heartbeats sent that no block took", beats_unlanded)) if bad]
    lines += ["", "Verdict: " + ("passed: every request sent was included within a block of the next "
                                 "and settled final, at the rate asked, blocks every "
                                 f"{mean_interval:.2f} s, every heartbeat in a block."
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
    parser.add_argument("--settle-minutes", type=float, default=15.0,
                        help="how long to wait for the last jobs to settle")
    parser.add_argument("--response-period", type=int, default=20,
                        help="blocks a node has to answer (default 20, production's two minutes; the "
                             "local chain's own is 5, for demos)")
    parser.add_argument("--nodes", type=int, default=MAX_NODES - NETWORK_NODES,
                        help="data nodes registered at genesis that heartbeat during the load (default: "
                             "enough to fill the registry's 10,000)")
    parser.add_argument("--heartbeat-period", type=int, default=None,
                        help="blocks a heartbeat period lasts (default: the shortest with room for two "
                             "heartbeats of every node)")
    parser.add_argument("--report", default=None, help="write the report here (default: print it)")
    parser.add_argument("node_args", nargs="*", help="extra arguments for every opg-node (after --)")
    args = parser.parse_args(argv)
    if args.heartbeat_period is None:
        args.heartbeat_period = max(5, -(-2 * (args.nodes + NETWORK_NODES) // MAX_HEARTBEATS_PER_BLOCK))

    workdir = Path.home() / ".cache" / "opg-chain" / "load-test" / time.strftime("%Y%m%d-%H%M%S")
    # The report reads every block's events after the load: keep the state of all of them
    # (the default keeps 256 blocks, less than a long run).
    network = LocalNetwork(workdir, node_args=("--state-pruning", "archive-canonical", *args.node_args))
    if args.nodes:
        network.genesis_patch = genesis_patch(args.nodes, network.nodes["data-1"].http_url,
                                              args.heartbeat_period)
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
        say(f"load: {args.clients} clients, {share * args.clients} requests a block, {args.minutes} minutes; "
            f"heartbeats of {args.nodes} more nodes every {args.heartbeat_period} blocks")
        load_started = time.monotonic()
        for process in processes:
            process.start()
        collected = [results.get(timeout=args.minutes * 60 + 600) for _ in range(args.clients)]
        beats = beat_results.get(timeout=600) if args.nodes else None
        for process in processes:
            process.join()
        load_seconds = time.monotonic() - load_started
        load_last = network.nodes[watch].heads()[0]
        say(f"load done: {sum(r['sent'] for r in collected)} requests sent; waiting for every job to settle")
        addresses = {r["address"] for r in collected}
        substrate = network.nodes[watch].substrate()
        try:
            nonces = finalized_nonces(substrate, addresses)
        finally:
            substrate.close()
        included = sum(nonces[r["address"]] - r["first_nonce"] for r in collected)
        book, blocks, last = wait_settled(network, watch, first, addresses, included,
                                          args.settle_minutes * 60)
        substrate = network.nodes[watch].substrate()
        try:  # included transactions, counted again once everything is finalized
            nonces = finalized_nonces(substrate, addresses)
            standing = {name: nodes.node(substrate, chain.keypair(seed).ss58_address)
                        for name, seed in (("alice", "//Alice"), ("eve (inference)", "//Eve"))}
        finally:
            substrate.close()
        sampler.stopped.set()
        sampler.join()
        text, problems = report(args, network, collected, book, blocks, first, last, (first, load_last),
                      sampler.samples, nonces, started_at, load_seconds, standing, beats)
        if args.report:
            Path(args.report).write_text(text)
            say(f"report written to {args.report}")
        print(text, flush=True)
        return 1 if problems else 0
    finally:
        network.stop()


if __name__ == "__main__":
    sys.exit(main())
