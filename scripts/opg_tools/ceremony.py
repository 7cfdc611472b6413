"""Take part in a ZK version's key ceremony (pallet-zk-ceremony; docs/zk.md, "Where a key comes
from"), as a contributor, a checker or (by hand) a drawn attester. Drawn nodes need none of it:
their nodes contribute and attest on their own, under their role keys.

  status      where the ceremony stands: phase, head, contributions, who is drawn, the deadline
  follow      report each change until the ceremony ends (exit 1 when it failed)
  contribute  one contribution on the ceremony's head with this machine's fresh randomness
              (`opg-node zk-contribute`): in the open phase it takes the slot first (a 10 OPG
              deposit, back when the ceremony ends), in the drawn phase it needs the signer's
              turn. The head's key comes from the node's data layer into KEYS (`<head>.pk`);
              the new key is written beside it and uploaded into the data layer, where the next
              contributor, the attesters and the provers read it.
  check       check each contribution's key state against its parent (`opg-node
              zk-find-fault`) and show the first bad one on chain (`challenge_state`: free when
              it shows one; the bad contributor pays, the head goes back)
  attest      a drawn attester's check: recompute the initial key from the version's bytes and
              the pinned powers of tau (`opg-node zk-init`), compare its verifying key with the
              registered one, check the head's key against it (`opg-node zk-verify-key`), and
              approve or reject on chain.

Key states travel through the chain's data layer: each one's chunk hashes are committed on
chain (`ZkCeremony.StateChunks`) and its chunks uploaded (`ZkCeremony.upload_state`), which
puts them into the off-chain database of every node; the tool reads them back from its own node
(`offchain_localStorageGet`, allowed on a local connection) and checks each chunk's hash.
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
from opg.upload import WINDOW, pool_nonce, say, wait_for_own_pool

from opg_tools.zk import node_binary


class CeremonyError(chain.ChainError):
    """The ceremony is not where the command needs it, or a local step failed."""


KEY_CHUNK_SIZE = 64 * 1024
"""The chunk size of key states (`opg_zk::ceremony::KEY_CHUNK_SIZE`), part of their content id."""


KEY_STATE_DOMAIN = b"opg:zk-key:v1"
"""The domain of key states' content ids (`opg_zk::ceremony::KEY_STATE_DOMAIN`): never a model's."""


def state_id(data: bytes) -> str:
    """A key state's content id, as the chain names it (`0x` hex)."""
    hashes = models.chunk_hashes(data, KEY_CHUNK_SIZE)
    return "0x" + models.content_id_from_hashes(KEY_CHUNK_SIZE, len(data), hashes,
                                                KEY_STATE_DOMAIN).hex()


def layout(data: bytes) -> dict:
    """The layout of a key file (`opg_zk::ceremony::StateLayout::of_file`): its vectors'
    lengths, read from its own length prefixes, checked against its size."""
    def read(at: int) -> int:
        if at + 8 > len(data):
            raise CeremonyError("not a proving key file: it ends inside its header")
        return int.from_bytes(data[at:at + 8], "little")
    # alpha₁ beta₂ gamma₂ delta₂ | n, IC | beta₁ delta₁ | v, A | v, B₁ | v, B₂ | h, H | l, L
    inputs = read(448)
    a = 448 + 8 + 64 * inputs + 128
    variables = read(a)
    b_g1 = a + 8 + 64 * variables
    b_g2 = b_g1 + 8 + 64 * variables
    h_at = b_g2 + 8 + 128 * variables
    h = read(h_at)
    l_at = h_at + 8 + 64 * h
    l_count = read(l_at)
    if read(b_g1) != variables or read(b_g2) != variables or l_at + 8 + 64 * l_count != len(data):
        raise CeremonyError("not a proving key file: its length prefixes do not describe it")
    return {"inputs": inputs, "variables": variables, "h": h, "l": l_count}


def commitment(data: bytes) -> dict:
    """A key state's size and chunk hashes, as `publish_initial` and `contribute` take them."""
    return {"state_size": len(data),
            "chunk_hashes": chain.bounded("0x" + h.hex() for h in models.chunk_hashes(data, KEY_CHUNK_SIZE))}


def fetch_state(substrate, model: int, version: int, state_hash: str, keys: Path) -> Path:
    """The key state `state_hash` of `model`'s `version` as the file `<hash>.pk` in `keys`:
    the file if it is there and right, else read from this node's data layer, each chunk
    checked against its committed hash."""
    path = keys / f"{state_hash[2:]}.pk"
    if path.exists() and state_id(path.read_bytes()) == state_hash:
        return path
    hashes = substrate.query("ZkCeremony", "StateChunks", [[model, version], state_hash]).value
    if hashes is None:
        raise CeremonyError(f"the chain holds no key state {state_hash} of model {model} "
                            f"version {version}")
    parts = []
    for index, expected in enumerate(hashes):
        key = models.chunk_storage_key(bytes.fromhex(state_hash[2:]), index)
        found = substrate.rpc_request("offchain_localStorageGet", ["PERSISTENT", "0x" + key.hex()])
        data = bytes.fromhex((found.get("result") or "0x")[2:])
        if not data or "0x" + models.blake2_256(data).hex() != expected:
            raise CeremonyError(f"this node does not hold chunk {index} of key state {state_hash} "
                                "(it was not uploaded yet, or the node runs without offchain "
                                "indexing)")
        parts.append(data)
    data = b"".join(parts)
    if state_id(data) != state_hash:
        raise CeremonyError(f"the chunks of key state {state_hash} do not make its content id")
    keys.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def upload_state(substrate, signer, model: int, version: int, data: bytes,
                 window: int = WINDOW) -> None:
    """Sends the chunks of the key state being uploaded from the one the chain takes next,
    `window` at a time (the last of each window awaited in a block)."""
    parts = models.chunks(data, KEY_CHUNK_SIZE)
    wait_for_own_pool(substrate, signer.ss58_address)
    while True:
        record = ceremony(substrate, model, version)
        upload = record and record["upload"]
        if not upload:
            return
        start = int(upload["next"])
        end = min(start + window, len(parts))
        nonce = pool_nonce(substrate, signer.ss58_address)
        for index in range(start, end):
            chain.submit(substrate, signer, "ZkCeremony", "upload_state",
                         {"model": model, "version": version, "index": index,
                          "chunk": "0x" + parts[index].hex()},
                         nonce=nonce + index - start, wait=index == end - 1)
        if end == len(parts):
            return


def publish_initial(substrate, signer, model: int, version: int, key_file: Path) -> bool:
    """Publishes the initial key (`zk-init`'s `<init_hash>.pk`) of a running ceremony into the
    data layer, from where an earlier run left off; False when there is nothing to publish."""
    record = ceremony(substrate, model, version)
    if record is None or record["head_published"]:
        return False
    data = key_file.read_bytes()
    if state_id(data) != record["init_hash"]:
        raise CeremonyError(f"{key_file} is not the initial key of model {model} version "
                            f"{version} ({record['init_hash']})")
    if record["upload"] is None:
        chain.submit(substrate, signer, "ZkCeremony", "publish_initial",
                     {"model": model, "version": version, **commitment(data),
                      "layout": layout(data)})
    upload_state(substrate, signer, model, version, data)
    say(f"published the initial key of model {model} version {version} "
        f"({len(data)} bytes) into the data layer")
    return True


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
    if record["contributions"] > 0 and record["upload"] is None:
        # Never build on a bad state: check the head's transition first, and show it if it is
        # bad (the head goes back; this contributes on the state before it).
        last = record["contributions"] - 1
        if check_contribution(substrate, signer, model, version, keys, last,
                              parent_of(substrate, model, version, record, last)):
            record = ceremony(substrate, model, version)
            if record is None:
                raise CeremonyError(f"the ceremony of model {model} version {version} failed: "
                                    "its last drawn contribution was bad")
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
    if not record["head_published"]:
        raise CeremonyError(f"the initial key ({head}) is not in the data layer yet: its owner "
                            "publishes it (scripts/upload-model.sh)")
    head_file = fetch_state(substrate, model, version, head, keys)
    genesis = substrate.get_block_hash(0)
    made = run_node("zk-contribute", "--key", str(head_file), "--genesis", genesis[2:],
                    "--model", str(model), "--version", str(version),
                    "--index", str(record["contributions"]),
                    "--author", signer.public_key.hex(), "--out", str(keys))
    state = Path(made["key_file"]).read_bytes()
    chain.submit(substrate, signer, "ZkCeremony", "contribute", {
        "model": model, "version": version, "head": made["head"],
        "contribution": made["contribution"], **commitment(state)})
    upload_state(substrate, signer, model, version, state)
    say(f"contributed to model {model} version {version}: the head is now {made['state_hash']}")
    return {"index": record["contributions"], "state_hash": made["state_hash"],
            "key_file": made["key_file"], "contribute_ms": made["contribute_ms"]}


def check_contribution(substrate, signer, model: int, version: int, keys: Path, index: int,
                       parent_hash: str) -> dict | None:
    """Checks contribution `index`'s state against its parent's (`opg-node zk-find-fault`) and,
    if it is bad, shows it on chain; returns the challenge, or None when the state is right."""
    entry = substrate.query("ZkCeremony", "Transcript", [[model, version], index]).value
    parent = fetch_state(substrate, model, version, parent_hash, keys)
    child = fetch_state(substrate, model, version, entry["state_hash"], keys)
    found = run_node("zk-find-fault", "--parent", str(parent), "--child", str(child),
                     "--delta-g1", entry["delta_g1"][2:], "--delta-g2", entry["delta_g2"][2:])
    if found["fault"] is None:
        return None
    offset, length = int(found["fault"]), int(found["length"])
    first, last = offset // KEY_CHUNK_SIZE, (offset + length - 1) // KEY_CHUNK_SIZE

    def held(path: Path) -> list[str]:
        parts = models.chunks(path.read_bytes(), KEY_CHUNK_SIZE)
        return ["0x" + part.hex() for part in parts[first:last + 1]]
    chain.submit(substrate, signer, "ZkCeremony", "challenge_state", {
        "model": model, "version": version, "index": index, "offset": offset,
        "parent": chain.bounded(held(parent)), "child": chain.bounded(held(child))})
    say(f"showed contribution {index} of model {model} version {version} bad at byte {offset}: "
        f"its author ({entry['author']}) pays, the head went back")
    return {"challenged": index, "offset": offset, "author": entry["author"]}


def parent_of(substrate, model: int, version: int, record: dict, index: int) -> str:
    """The content id of the state contribution `index` built on."""
    if index == 0:
        return record["init_hash"]
    return substrate.query("ZkCeremony", "Transcript", [[model, version], index - 1]).value["state_hash"]


def check(substrate, signer, model: int, version: int, keys: Path) -> dict:
    """Checks each counted contribution's state against its parent's and challenges the first
    bad one on chain; returns what it found."""
    record = ceremony(substrate, model, version)
    if record is None:
        raise CeremonyError(f"model {model} version {version} has no running ceremony")
    for index in range(record["contributions"]):
        shown = check_contribution(substrate, signer, model, version, keys, index,
                                   parent_of(substrate, model, version, record, index))
        if shown is not None:
            return shown
    say(f"all {record['contributions']} contribution(s) of model {model} version {version} "
        "follow from their parents")
    return {"challenged": None, "checked": record["contributions"]}


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
        head_file = fetch_state(substrate, model, version, record["head"], keys)
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
    for name in ("status", "follow", "contribute", "check", "attest"):
        command = commands.add_parser(name)
        command.add_argument("--model", type=int, required=True, help="the model id")
        command.add_argument("--version", type=int, default=1, help="the version (default 1)")
        if name not in ("status", "follow"):
            command.add_argument("--suri", required=True, help="the contributor's or attester's account")
            command.add_argument("--keys", required=True, type=Path,
                                 help="a folder for key files, named <hash>.pk (the head's is "
                                      "read from the node into it)")
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
            elif args.command == "check":
                result = check(substrate, chain.keypair(args.suri), args.model, args.version, args.keys)
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
