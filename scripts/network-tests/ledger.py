"""What the chain recorded, read back block by block (ledger.mjs, polkadot.js) and summed up
per job: every request's job, who it was assigned to, who answered, which deadlines it missed,
and how it ended."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

LEDGER = Path(__file__).with_name("ledger.mjs")


def read_blocks(url: str, first: int, last: int, timeout: float = 1800.0) -> list[dict]:
    """Blocks `first`..`last` of the node at `url`, each as ledger.mjs describes it."""
    if last < first:
        return []
    result = subprocess.run(["node", str(LEDGER), url, str(first), str(last)], capture_output=True,
                            text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"ledger.mjs failed: {result.stderr.strip()[-2000:]}")
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


@dataclass
class JobRecord:
    """One job as its events tell it."""

    job: int
    requester: str = ""
    requested_in: int = 0
    assigned: list[str] = field(default_factory=list)
    answered_by: list[str] = field(default_factory=list)
    final_in: int | None = None
    refunded_in: int | None = None
    refund_reason: str = ""
    # The answer deadline it waits for, and each timeout: (the block that ended it, the deadline
    # it ended), so how late the timeout hook came to it.
    deadline: int | None = None
    timeouts: list[tuple[int, int]] = field(default_factory=list)

    @property
    def settled(self) -> bool:
        return self.final_in is not None or self.refunded_in is not None


class JobBook:
    """Every job the blocks read so far mention, by id."""

    def __init__(self) -> None:
        self.jobs: dict[int, JobRecord] = {}

    def add(self, blocks: list[dict]) -> None:
        for block in blocks:
            for event in block["events"]:
                record = self.jobs.setdefault(event["job"], JobRecord(event["job"]))
                name = event["event"]
                if name == "JobRequested":
                    record.requester, record.requested_in = event["requester"], block["number"]
                elif name == "JobAssigned":
                    record.assigned.append(event["node"])
                    record.deadline = event["deadline"]
                elif name == "JobReassigned":
                    record.assigned.append(event["to"])
                    self._timed_out(record, block["number"])
                    record.deadline = event["deadline"]
                elif name == "ResultSubmitted":
                    record.answered_by.append(event["node"])
                elif name == "JobFinal":
                    record.final_in = block["number"]
                elif name == "JobRefunded":
                    record.refunded_in, record.refund_reason = block["number"], event["reason"]
                    if event["reason"] == "TimedOut":
                        self._timed_out(record, block["number"])

    @staticmethod
    def _timed_out(record: JobRecord, number: int) -> None:
        """Block `number` took the job from its node: a timeout if its deadline had come (a
        node's refusal, which also moves a job on, comes before it)."""
        if record.deadline is not None and number >= record.deadline:
            record.timeouts.append((number, record.deadline))

    def of(self, requester: str) -> dict[int, JobRecord]:
        return {job: record for job, record in self.jobs.items() if record.requester == requester}
