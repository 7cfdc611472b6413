"""Uploads an ONNX model to OPG chain: registers it with its first version (or adds a version
with --model-id), then sends its bytes in chunks with a progress bar, and prints the model id.

    scripts/upload-model.sh model.onnx --name my-model --price 0.01 [--url ws://127.0.0.1:9944]

An interrupted upload resumes: rerun the same command. The tool finds the version the signer
registered for these exact bytes (ContentByOwner) and, while the chain still has its upload
open, sends the remaining chunks from where the chain says it stopped; if the upload is
complete it says so and prints the model id. An upload left unfinished for the registry's
UploadTimeout expires: the version is dropped and part of its deposit goes to the treasury.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from tqdm import tqdm

from . import chain, models

# Chunks sent per round before waiting for the last one's inclusion: 24 * 64 KiB = 1.5 MiB,
# well inside a block's normal length limit.
WINDOW = 24
RESUME_HINT = "rerun the same command to resume the upload"


# -------------------------------------------------------------------------------------------
# Arguments, checked before anything is sent

def parse_price(text: str) -> int:
    """A price in OPG (a decimal number such as 0.01) as chain units (10^-18 OPG)."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation as error:
        raise chain.ChainError(f"--price {text!r} is not a number of OPG (for example 0.01)") from error
    if not value.is_finite():
        raise chain.ChainError(f"--price {text!r} is not a finite number of OPG (for example 0.01)")
    if value < 0:
        raise chain.ChainError(f"--price {text!r} is negative")
    if value.adjusted() > 40:  # far above u128 units; keeps the exact arithmetic below small
        raise chain.ChainError(f"--price {text!r} is more than a price can be "
                               f"({models.U128_MAX / chain.OPG:.3e} OPG)")
    numerator, denominator = value.as_integer_ratio()
    units, remainder = divmod(numerator * chain.OPG, denominator)
    if remainder:
        raise chain.ChainError(f"--price {text!r} is finer than the smallest unit of OPG "
                               "(10^-18 OPG): use at most 18 decimals")
    if units > models.U128_MAX:
        raise chain.ChainError(f"--price {text!r} is more than a price can be "
                               f"({models.U128_MAX / chain.OPG:.3e} OPG)")
    return units


def parse_modes(text: str, zk_keys: str | None = None) -> dict:
    """The registry's ModeSet from `vanilla,attested,zk` (zk needs the keys' folder)."""
    modes = {part.strip().lower() for part in text.split(",") if part.strip()}
    unknown = modes - {"vanilla", "attested", "zk"}
    if unknown:
        raise chain.ChainError(f"unknown mode(s) {sorted(unknown)}: use vanilla, attested and/or zk")
    if "zk" in modes and zk_keys is None:
        raise chain.ChainError("zk mode needs the model's keys: run scripts/zk-prepare.sh setup "
                               "MODEL --out DIR, then pass --zk DIR")
    if zk_keys is not None and "zk" not in modes:
        raise chain.ChainError("--zk given without zk in --modes (add it: --modes zk)")
    if not modes:
        raise chain.ChainError("--modes is empty: use vanilla, attested and/or zk")
    return {"vanilla": "vanilla" in modes, "attested": "attested" in modes, "zk": "zk" in modes}


def read_zk_artifacts(folder: str) -> dict:
    """The registry's ZkArtifacts from a `zk-setup` folder: verifying_key.bin and setup.json
    (the proving key's hash and the constraint count)."""
    try:
        verifying_key = Path(folder, "verifying_key.bin").read_bytes()
        report = json.loads(Path(folder, "setup.json").read_text())
    except (OSError, ValueError) as error:
        raise chain.ChainError(f"--zk {folder}: not a zk-setup folder ({error}); run "
                               "scripts/zk-prepare.sh setup MODEL --out DIR") from error
    return {"verifying_key": "0x" + verifying_key.hex(),
            "proving_key_hash": report["proving_key_hash"],
            "constraints": int(report["constraints"])}


FLOAT_DTYPES = ("Float32", "Float64")


def parse_tolerance(text: str | None, schema: dict) -> dict:
    """The registry's Tolerance: an absolute tolerance for float outputs (default 1e-5, what
    ONNX Runtime's float kernels may differ by across CPUs on small models); exact for models
    without float outputs."""
    floats = any(t["dtype"] in FLOAT_DTYPES for t in schema["outputs"])
    if text is None:
        return {"absolute_e9": 10_000 if floats else 0, "relative": 0}
    try:
        absolute = Decimal(text)
    except InvalidOperation as error:
        raise chain.ChainError(f"--tolerance {text!r} is not a number (e.g. 1e-5)") from error
    units = absolute * 10**9
    if absolute < 0 or units != units.to_integral_value() or units > 2**32 - 1:
        raise chain.ChainError(f"--tolerance {text!r}: give a multiple of 1e-9 between 0 and 4.29")
    if units and not floats:
        raise chain.ChainError("--tolerance: this model has no float outputs, so its results are "
                               "exact and its tolerance must be 0")
    return {"absolute_e9": int(units), "relative": 0}


@dataclass
class Request:
    """What the user asked for, read and checked before connecting to a node."""

    path: str
    data: bytes
    schema: dict
    modes: dict
    zk: dict | None
    price: int
    tolerance: dict
    metadata: models.Metadata | None  # None when adding a version to an existing model
    model_id: int | None


def read_request(args: argparse.Namespace) -> Request:
    """Reads the file and checks every argument; raises ChainError with what is wrong."""
    try:
        data = Path(args.model).read_bytes()
    except OSError as error:
        raise chain.ChainError(f"cannot read {args.model}: {error.strerror or error}") from error
    try:
        schema = models.schema_from_onnx(data)
    except models.SchemaError as error:
        raise chain.ChainError(f"{args.model}: {error}") from error
    modes, price = parse_modes(args.modes, args.zk), parse_price(args.price)
    zk = read_zk_artifacts(args.zk) if args.zk is not None else None
    tolerance = parse_tolerance(args.tolerance, schema)
    chain.keypair(args.suri)  # a bad secret URI is said before connecting
    if args.window < 1 or args.timeout <= 0:
        raise chain.ChainError("--window and --timeout must be positive")
    metadata = None
    if args.model_id is None:
        name = args.name if args.name is not None else Path(args.model).name.removesuffix(".onnx")
        try:
            metadata = models.Metadata.of(name, args.description)
        except models.LimitError as error:
            raise chain.ChainError(str(error)) from error
    return Request(args.model, data, schema, modes, zk, price, tolerance, metadata, args.model_id)


def version_spec(data: bytes, schema: dict, modes: dict, chunk_size: int,
                 tolerance: dict | None = None, zk: dict | None = None) -> dict:
    """The registry's VersionSpec for `data` uploaded in chunks of `chunk_size` bytes (with the
    default tolerance for its outputs unless one is given, and ZK artifacts for ZK mode)."""
    hashes = models.chunk_hashes(data, chunk_size)
    return {
        "schema": {side: chain.bounded([{**tensor, "shape": chain.bounded(tensor["shape"])}
                                        for tensor in schema[side]])
                   for side in ("inputs", "outputs")},
        "modes": modes,
        "tolerance": tolerance if tolerance is not None else parse_tolerance(None, schema),
        "zk": zk,
        "content_id": "0x" + models.content_id_from_hashes(chunk_size, len(data), hashes).hex(),
        "byte_size": len(data),
        "chunk_hashes": chain.bounded("0x" + h.hex() for h in hashes),
    }


# -------------------------------------------------------------------------------------------
# Chain state

def pool_nonce(substrate, address: str) -> int:
    """The next nonce of `address` counting its transactions in the node's pool
    (substrate-interface's get_account_nonce counts only those in blocks)."""
    return int(chain.rpc(substrate, "system_accountNextIndex", [address]))


def wait_for_own_pool(substrate, address: str, timeout: float = chain.DEFAULT_INCLUSION_TIMEOUT) -> None:
    """Waits until none of `address`'s transactions is still in the node's pool (an interrupted
    run may have left chunks there), so that the upload progress read next is final."""
    deadline = time.monotonic() + timeout
    while pool_nonce(substrate, address) > substrate.query("System", "Account", [address]).value["nonce"]:
        if time.monotonic() > deadline:
            raise chain.ChainError(f"transactions of {address} stayed in the node's pool for "
                                   f"{timeout:.0f}s; try again later")
        time.sleep(1)


@dataclass
class Progress:
    """Where an upload stands; what the interrupt handler reports."""

    model_id: int | None = None
    version: int | None = None
    expires_at: int | None = None
    registered_in: str | None = None
    completed_in: str | None = None
    resumed_from: int | None = None
    already_complete: bool = False

    def hint(self) -> str:
        where = (f" (model {self.model_id} version {self.version}"
                 + (f"; unfinished, it expires at block {self.expires_at}" if self.expires_at else "")
                 + ")") if self.model_id is not None else ""
        return RESUME_HINT + where


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def find_existing(substrate, owner: str, content: str, progress: Progress) -> bool:
    """Looks for a version of these bytes that `owner` registered. Returns True when there is
    one to finish or already finished (filling `progress`), False when there is none."""
    found = chain.registry(substrate, "ContentByOwner", [owner, content])
    if found is None:
        return False
    model_id, version = int(found[0]), int(found[1])
    progress.model_id, progress.version = model_id, version
    upload = chain.registry(substrate, "Uploads", [model_id, version])
    if upload is not None:
        progress.expires_at = int(upload["expires_at"])
        return True
    record = chain.registry(substrate, "Versions", [model_id, version])
    if record is None:
        raise chain.ChainError(f"the chain lists these bytes as model {model_id} version {version} "
                               "of yours, but that version is gone")
    progress.already_complete = record.get("completed_at") is not None
    if not progress.already_complete:
        raise chain.ChainError(f"model {model_id} version {version} holds these bytes but is "
                               "neither uploading nor complete")
    return True


def register(substrate, signer, request: Request, spec: dict, progress: Progress) -> None:
    """Registers the model (or adds the version) and records its ids in `progress`."""
    if request.model_id is None:
        included = chain.submit(substrate, signer, "ModelRegistry", "register_model", {
            "name": "0x" + request.metadata.name.hex(),
            "description": "0x" + request.metadata.description.hex(),
            "price": request.price,
            "version": spec,
        })
        event = chain.find_event(included.events, "ModelRegistry", "ModelRegistered")
    else:
        included = chain.submit(substrate, signer, "ModelRegistry", "add_version",
                                {"model_id": request.model_id, "version": spec})
        event = chain.find_event(included.events, "ModelRegistry", "VersionAdded")
    progress.model_id, progress.version = int(event["model_id"]), int(event["version"])
    progress.registered_in = included.block_hash
    upload = chain.registry(substrate, "Uploads", [progress.model_id, progress.version])
    progress.expires_at = int(upload["expires_at"]) if upload else None


def next_chunk(substrate, progress: Progress, count: int) -> int:
    """The chunk the chain expects next (`count` once the upload is complete)."""
    upload = chain.registry(substrate, "Uploads", [progress.model_id, progress.version])
    if upload is not None:
        progress.expires_at = int(upload["expires_at"])
        return int(upload["next_chunk"])
    record = chain.registry(substrate, "Versions", [progress.model_id, progress.version])
    if record is None:
        raise chain.ChainError(f"model {progress.model_id} version {progress.version} is gone: "
                               "its upload expired before it was complete; rerun to register it again")
    return count


def upload_chunks(substrate, signer, progress: Progress, data: bytes, chunk_size: int,
                  quiet: bool, window: int = WINDOW) -> None:
    """Sends every chunk from the one the chain expects next, `window` at a time (the last of
    each window is awaited in a block before the next window goes)."""
    parts = models.chunks(data, chunk_size)
    wait_for_own_pool(substrate, signer.ss58_address)
    start = next_chunk(substrate, progress, len(parts))
    if progress.registered_in is None:  # registered by an earlier run
        progress.resumed_from = start
        if start < len(parts):
            say(f"resuming the upload of model {progress.model_id} version {progress.version} "
                f"from chunk {start} of {len(parts)}")
        else:
            say(f"the upload of model {progress.model_id} version {progress.version} is complete "
                "(its last chunks were still in the node's pool)")
    bar = tqdm(total=len(data), unit="B", unit_scale=True, disable=quiet, file=sys.stderr,
               desc=f"model {progress.model_id} v{progress.version}", initial=sum(map(len, parts[:start])))
    try:
        while start < len(parts):
            end = min(start + window, len(parts))
            nonce = pool_nonce(substrate, signer.ss58_address)
            for index in range(start, end):
                params = {"model_id": progress.model_id, "version": progress.version,
                          "index": index, "data": "0x" + parts[index].hex()}
                try:
                    included = chain.submit(substrate, signer, "ModelRegistry", "upload_chunk", params,
                                            nonce=nonce + index - start, wait=index == end - 1)
                except chain.ChainError as error:
                    raise chain.ChainError(f"chunk {index} of {len(parts)}: {error}. "
                                           f"{progress.hint()}") from error
            progress.completed_in = included.block_hash
            bar.update(sum(map(len, parts[start:end])))
            reached = next_chunk(substrate, progress, len(parts))
            if reached < end:
                raise chain.ChainError(f"the chain accepted chunks up to {reached} of {len(parts)} "
                                       f"only. {progress.hint()}")
            start = end
    finally:
        bar.close()


# -------------------------------------------------------------------------------------------
# The command

def parser() -> argparse.ArgumentParser:
    parse = argparse.ArgumentParser(prog="upload-model.sh", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parse.add_argument("model", help="the .onnx file")
    parse.add_argument("--url", default="ws://127.0.0.1:9944", help="node RPC endpoint")
    parse.add_argument("--suri", default="//Alice", help="secret URI or mnemonic of the owner")
    parse.add_argument("--name", help=f"model name, at most {models.MAX_NAME_LEN} bytes "
                                      "(default: the file name)")
    parse.add_argument("--description", default="",
                       help=f"what the model does, at most {models.MAX_DESCRIPTION_LEN} bytes")
    parse.add_argument("--price", default="0.01", help="price per call in OPG (default 0.01)")
    parse.add_argument("--modes", default="vanilla,attested",
                       help="comma-separated: vanilla, attested, zk (zk needs --zk)")
    parse.add_argument("--zk", metavar="DIR",
                       help="the zk-setup folder of an integer model (verifying_key.bin, setup.json)")
    parse.add_argument("--tolerance", help="absolute difference allowed between verifiers' float "
                       "outputs, e.g. 1e-5 (default 1e-5 with float outputs, else 0)")
    parse.add_argument("--model-id", type=int, help="add a new version to this model instead of registering one")
    parse.add_argument("--timeout", type=float, default=chain.DEFAULT_TIMEOUT,
                       help="longest wait in seconds for any one answer of the node (default %(default)s)")
    parse.add_argument("--window", type=int, default=WINDOW,
                       help="chunks sent before waiting for the last one's inclusion (default %(default)s)")
    parse.add_argument("--json", action="store_true", help="print the result as JSON")
    parse.add_argument("--quiet", action="store_true", help="no progress bar")
    return parse


def upload(args: argparse.Namespace, progress: Progress) -> dict:
    """Registers (or finds) the version and uploads what the chain lacks; returns the result."""
    request = read_request(args)  # the file and arguments are checked before connecting
    substrate = chain.connect(args.url, args.timeout)
    try:
        return upload_to(substrate, args, request, progress)
    except (chain.NodeUnreachable, chain.NotIncluded) as error:
        raise type(error)(f"{error}; {progress.hint()}") from error
    except chain.NETWORK_ERRORS as error:
        raise chain.NodeUnreachable(f"{chain.unreachable(args.url, error)}; {progress.hint()}") from error


def upload_to(substrate, args: argparse.Namespace, request: Request, progress: Progress) -> dict:
    """`upload` once connected."""
    started = time.monotonic()
    signer = chain.keypair(args.suri)
    chunk_size = chain.registry_constant(substrate, "ChunkSize", 64 * 1024)
    count = models.chunk_count(len(request.data), chunk_size)
    try:
        models.check_chunk_count(len(request.data), chunk_size, chain.registry_constant(substrate, "MaxChunks", models.MAX_CHUNKS))
    except models.LimitError as error:
        raise chain.ChainError(f"{args.model}: {error}") from error
    spec = version_spec(request.data, request.schema, request.modes, chunk_size, request.tolerance,
                        request.zk)
    if find_existing(substrate, signer.ss58_address, spec["content_id"], progress):
        if progress.already_complete:
            say(f"already uploaded: model {progress.model_id} version {progress.version} holds "
                f"these bytes (content id {spec['content_id']})")
        elif request.model_id is not None and request.model_id != progress.model_id:
            raise chain.ChainError(f"these bytes are already being uploaded as model "
                                   f"{progress.model_id} version {progress.version}: rerun without "
                                   f"--model-id {request.model_id} (or with --model-id "
                                   f"{progress.model_id}) to finish that upload")
    else:
        register(substrate, signer, request, spec, progress)
        say(f"registered model {progress.model_id} version {progress.version} "
            f"(content id {spec['content_id']}); uploading {count} chunk(s)")
    if not progress.already_complete:
        upload_chunks(substrate, signer, progress, request.data, chunk_size, args.quiet, args.window)
    return {"model_id": progress.model_id, "version": progress.version,
            "content_id": spec["content_id"], "registered_in": progress.registered_in,
            "completed_in": progress.completed_in, "byte_size": len(request.data), "chunks": count,
            "resumed_from": progress.resumed_from, "already_uploaded": progress.already_complete,
            "seconds": round(time.monotonic() - started, 1)}


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    progress = Progress()

    def run() -> int:
        result = upload(args, progress)
        if args.json:
            print(json.dumps(result))
        elif not result["already_uploaded"]:
            print(f"uploaded {args.model} ({result['byte_size']} bytes, {result['chunks']} chunks) "
                  f"in {result['seconds']:.1f}s")
        if not args.json:
            print(f"model id: {result['model_id']} (version {result['version']}, content id "
                  f"{result['content_id']})")
        return 0

    return chain.run_cli(run, on_interrupt=progress.hint)


if __name__ == "__main__":
    sys.exit(main())
