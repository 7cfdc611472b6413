"""Take part in a ZK version's key ceremony (pallet-zk-ceremony; docs/zk.md, "Where a key comes
from"), as a contributor or a drawn attester.

  status      where the ceremony stands: phase, head, contributions, who is drawn, the deadline
  follow      report each change until the ceremony ends (exit 1 when it failed)
  contribute  one contribution on the ceremony's head with this machine's fresh randomness
              (`opg-node zk-contribute`): in the open phase it takes the slot first (a 10 OPG
              deposit, back when the ceremony ends), in the drawn phase it needs the signer's
              turn. KEYS must hold the head's key, `<head>.pk`; the new key is written beside it.
  attest      a drawn attester's check: recompute the initial key from the version's bytes and
              the pinned powers of tau (`opg-node zk-init`), compare its verifying key with the
              registered one, check the head's key against it (`opg-node zk-verify-key`), and
              approve or reject on chain.

Key files travel between contributors by hand until the data layer carries them (docs/zk.md).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from opg import chain, models
from opg.upload import say

from opg_tools.zk import node_binary


class CeremonyError(chain.ChainError):
    """The ceremony is not where the command needs it, or a local step failed."""


def ceremony(substrate, model: int, version: int) -> dict | None:
    """The running ceremony of `model`'s `version` as the chain stores it, or None."""
    return substrate.query("ZkCeremony", "Ceremonies", [[model, version]]).value


def key_origin(substrate, model: int, version: int):
    return substrate.query("ModelRegistry", "ZkKeyOrigins", [model, version]).value


def run_node(*args: str) -> dict:
    """Runs an `opg-node` command that prints one JSON line; its error otherwise."""
    result = subprocess.run([node_binary(), *args], capture_output=True, text=True)
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines()
        raise CeremonyError(f"opg-node {args[0]}: {lines[-1] if lines else f'exit {result.returncode}'}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def status(substrate, model: int, version: int) -> dict:
    record = ceremony(substrate, model, version)
    if record is None:
        return {"model": model, "version": version, "running": False,
                "key_origin": key_origin(substrate, model, version)}
    return {"model": model, "version": version, "running": True, **record}


def describe(record: dict) -> str:
    """Where a running ceremony stands, in one line."""
    counted = f"{record['contributions']} contribution(s), head {record['head']}"
    if record["phase"] == "Open":
        return (f"open to any contributor until block {record['due']} ({counted}): "
                "scripts/zk-ceremony.sh contribute")
    if record["phase"] == "Drawn":
        turn, drawn = record["turn"], record["drawn"]
        whose = drawn[turn] if turn < len(drawn) else "a node about to be drawn"
        return f"drawn verifier nodes contribute in turn: {whose}'s turn, until block {record['due']} ({counted})"
    attesters = ", ".join(f"{account} ({'approved' if done else 'waiting'})" for account, done in record["attesters"])
    return f"drawn inference nodes check the key until block {record['due']}: {attesters or 'being drawn'}"


def follow(substrate, model: int, version: int, report, every: float = 6.0,
           timeout: float | None = None, sleep=time.sleep) -> dict:
    """Reports each change of `model`'s `version` ceremony until it ends; returns the key's
    origin (`{"Ceremony": {...}}`). Raises CeremonyError when the ceremony failed (the version
    is removed, its fee forfeited) or `timeout` seconds passed."""
    waited, last = 0.0, None
    while True:
        record = ceremony(substrate, model, version)
        if record is None:
            origin = key_origin(substrate, model, version)
            if origin is None:
                raise CeremonyError(f"the ceremony of model {model} version {version} failed: the "
                                    "version is removed (ZkCeremony.CeremonyFailed says why)")
            if origin != "CeremonyRunning":
                report(f"model {model} version {version}: key settled, {json.dumps(origin)}")
                return origin
        else:
            line = describe(record)
            if line != last:
                report(f"model {model} version {version}: {line}")
                last = line
        if timeout is not None and waited >= timeout:
            raise CeremonyError(f"the ceremony of model {model} version {version} did not end "
                                f"within {timeout:.0f}s")
        sleep(every)
        waited += every


def contribute(substrate, signer, model: int, version: int, keys: Path) -> dict:
    """One contribution by `signer` on the head's key in `keys`; returns what was sent."""
    record = ceremony(substrate, model, version)
    if record is None:
        raise CeremonyError(f"model {model} version {version} has no running ceremony")
    me = signer.ss58_address
    if record["phase"] == "Open":
        slot = record["slot"]
        if slot is None or slot["holder"] != me:
            chain.submit(substrate, signer, "ZkCeremony", "take_slot", {"model": model, "version": version})
            say(f"took the open phase's slot of model {model} version {version}")
    elif record["phase"] == "Drawn":
        turn = record["turn"]
        if turn >= len(record["drawn"]) or record["drawn"][turn] != me:
            raise CeremonyError(f"it is not {me}'s turn: the drawn contributors are "
                                f"{record['drawn']}, turn {turn}")
    else:
        raise CeremonyError("the ceremony takes no contributions now: its attesters check the key")
    head = record["head"]
    head_file = keys / f"{head[2:]}.pk"
    if not head_file.exists():
        raise CeremonyError(f"{head_file} is missing: fetch the head's key ({head}) from its "
                            "contributor first")
    genesis = substrate.get_block_hash(0)
    made = run_node("zk-contribute", "--key", str(head_file), "--genesis", genesis[2:],
                    "--model", str(model), "--version", str(version),
                    "--index", str(record["contributions"]),
                    "--author", signer.public_key.hex(), "--out", str(keys))
    chain.submit(substrate, signer, "ZkCeremony", "contribute", {
        "model": model, "version": version, "head": made["head"],
        "contribution": made["contribution"], "state_hash": made["state_hash"]})
    say(f"contributed to model {model} version {version}: the head is now {made['state_hash']}")
    return {"index": record["contributions"], "state_hash": made["state_hash"],
            "key_file": made["key_file"], "contribute_ms": made["contribute_ms"]}


def attest(substrate, signer, model: int, version: int, keys: Path, model_file: Path,
           ptau: Path, ptau_hash: str | None) -> dict:
    """A drawn attester's check and answer; returns it."""
    record = ceremony(substrate, model, version)
    if record is None or record["phase"] != "Attesting":
        raise CeremonyError(f"model {model} version {version} is not being attested")
    if signer.ss58_address not in [account for account, _ in record["attesters"]]:
        raise CeremonyError(f"{signer.ss58_address} is not a drawn attester: "
                            f"{[account for account, _ in record['attesters']]}")
    data = model_file.read_bytes()
    stored = substrate.query("ModelRegistry", "Versions", [model, version]).value
    if "0x" + models.content_id(data, stored["chunk_size"]).hex() != stored["content_id"]:
        raise CeremonyError(f"{model_file} is not the bytes of model {model} version {version} "
                            "(fetch them with scripts/fetch-model.sh)")
    reasons = []
    with tempfile.TemporaryDirectory() as scratch:
        init_args = ["zk-init", str(model_file), "--ptau", str(ptau), "--out", scratch]
        if ptau_hash:
            init_args += ["--ptau-hash", ptau_hash.removeprefix("0x")]
        initial = run_node(*init_args)
        vk_hash = "0x" + models.blake2_256((Path(scratch) / "verifying_key.bin").read_bytes()).hex()
        if vk_hash != record["vk_hash"]:
            reasons.append(f"the registered verifying key ({record['vk_hash']}) is not the initial "
                           f"key's ({vk_hash})")
        head_file = keys / f"{record['head'][2:]}.pk"
        if not head_file.exists():
            raise CeremonyError(f"{head_file} is missing: fetch the head's key first")
        try:
            run_node("zk-verify-key", "--initial", initial["proving_key_file"], "--key", str(head_file))
        except CeremonyError as error:
            reasons.append(str(error))
    approve = not reasons
    chain.submit(substrate, signer, "ZkCeremony", "attest", {
        "model": model, "version": version, "vk_hash": record["vk_hash"], "head": record["head"],
        "approve": approve})
    say(f"{'approved' if approve else 'rejected'} the key of model {model} version {version}"
        + ("" if approve else f": {'; '.join(reasons)}"))
    return {"approved": approve, "reasons": reasons, "head": record["head"]}


def parser() -> argparse.ArgumentParser:
    parse = argparse.ArgumentParser(prog="zk-ceremony.sh", description=__doc__,
                                    formatter_class=argparse.RawDescriptionHelpFormatter)
    parse.add_argument("--url", default="ws://127.0.0.1:9944", help="node RPC endpoint")
    parse.add_argument("--timeout", type=float, default=chain.DEFAULT_TIMEOUT,
                       help="longest wait in seconds for any one answer of the node")
    commands = parse.add_subparsers(dest="command", required=True)
    for name in ("status", "follow", "contribute", "attest"):
        command = commands.add_parser(name)
        command.add_argument("--model", type=int, required=True, help="the model id")
        command.add_argument("--version", type=int, default=1, help="the version (default 1)")
        if name not in ("status", "follow"):
            command.add_argument("--suri", required=True, help="the contributor's or attester's account")
            command.add_argument("--keys", required=True, type=Path,
                                 help="the folder of key files, named <hash>.pk")
    attest_command = commands.choices["attest"]
    attest_command.add_argument("--model-file", required=True, type=Path,
                                help="the version's ONNX bytes (scripts/fetch-model.sh)")
    attest_command.add_argument("--ptau", required=True, type=Path,
                                help="the powers-of-tau file the chain pins (ModelRegistry.Phase1)")
    attest_command.add_argument("--ptau-hash", help="its pinned hash (default: the dev presets' pin)")
    return parse


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)

    def run() -> int:
        substrate = chain.connect(args.url, args.timeout)
        try:
            if args.command == "status":
                result = status(substrate, args.model, args.version)
            elif args.command == "follow":
                result = {"key_origin": follow(substrate, args.model, args.version, say)}
            elif args.command == "contribute":
                result = contribute(substrate, chain.keypair(args.suri), args.model, args.version, args.keys)
            else:
                result = attest(substrate, chain.keypair(args.suri), args.model, args.version, args.keys,
                                args.model_file, args.ptau, args.ptau_hash)
        finally:
            substrate.close()
        print(json.dumps(result))
        return 0

    return chain.run_cli(run)


if __name__ == "__main__":
    sys.exit(main())
