"""Publishing a model: register it with its first version (or add a version to a model), then
send its bytes in chunks with a progress bar, resuming an interrupted upload.

`upload_model` finds the version the signer registered for these exact bytes (the registry's
`ContentByOwner`) and, while the chain still has its upload open, sends the remaining chunks
from where the chain says it stopped; if the upload is complete it says so. An upload left
unfinished for the registry's `UploadTimeout` expires: the version is dropped and part of its
deposit goes to the treasury. `scripts/upload-model.sh` is its command line.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from typing import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path

from tqdm import tqdm

from . import chain, models
from .errors import InvalidInput

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
        raise InvalidInput(f"price {text!r} is not a number of OPG (for example 0.01)") from error
    if not value.is_finite():
        raise InvalidInput(f"price {text!r} is not a finite number of OPG (for example 0.01)")
    if value < 0:
        raise InvalidInput(f"price {text!r} is negative")
    if value.adjusted() > 40:  # far above u128 units; keeps the exact arithmetic below small
        raise InvalidInput(f"price {text!r} is more than a price can be "
                               f"({models.U128_MAX / chain.OPG:.3e} OPG)")
    # The smallest power of ten the number uses, read exactly (normalize() would round): a
    # price finer than a planck is refused before the arithmetic below builds 10**huge.
    _, digits, exponent = value.as_tuple()
    written = "".join(map(str, digits))
    if any(digits) and exponent + len(written) - len(written.rstrip("0")) < -18:
        raise InvalidInput(f"price {text!r} is finer than the smallest unit of OPG "
                           "(10^-18 OPG): use at most 18 decimals")
    numerator, denominator = value.as_integer_ratio()
    units, remainder = divmod(numerator * chain.OPG, denominator)
    if remainder:
        raise InvalidInput(f"price {text!r} is finer than the smallest unit of OPG "
                               "(10^-18 OPG): use at most 18 decimals")
    if units > models.U128_MAX:
        raise InvalidInput(f"price {text!r} is more than a price can be "
                               f"({models.U128_MAX / chain.OPG:.3e} OPG)")
    return units


def parse_modes(text: str, zk_keys: str | None = None) -> dict:
    """The registry's ModeSet from `vanilla,attested,zk` (zk needs the keys' folder)."""
    return mode_set([part for part in text.split(",")], zk_keys is not None)


def mode_set(names: list[str] | tuple[str, ...], has_zk_keys: bool) -> dict:
    """The registry's ModeSet of mode names (`vanilla`, `attested`, `zk`); `has_zk_keys` says
    whether the model's ZK artifacts come with it (zk mode needs them)."""
    modes = {name.strip().lower() for name in names if name.strip()}
    unknown = modes - {"vanilla", "attested", "zk"}
    if unknown:
        raise InvalidInput(f"unknown mode(s) {sorted(unknown)}: use vanilla, attested and/or zk "
                           "(TEE mode runs any model that allows vanilla or attested)")
    if "zk" in modes and not has_zk_keys:
        raise InvalidInput("zk mode needs the model's keys: run scripts/zk-prepare.sh setup "
                           "MODEL --out DIR, then pass that folder (--zk DIR)")
    if has_zk_keys and "zk" not in modes:
        raise InvalidInput("zk keys given without zk among the modes (add it: --modes zk)")
    if not modes:
        raise InvalidInput("no mode given: use vanilla, attested and/or zk")
    return {"vanilla": "vanilla" in modes, "attested": "attested" in modes, "zk": "zk" in modes}


def read_zk_artifacts(folder: str) -> dict:
    """The registry's ZkArtifacts from a `zk-setup` folder: verifying_key.bin and setup.json
    (the proving key's hash and the constraint count)."""
    try:
        verifying_key = Path(folder, "verifying_key.bin").read_bytes()
        report = json.loads(Path(folder, "setup.json").read_text())
    except (OSError, ValueError) as error:
        raise InvalidInput(f"zk {folder}: not a zk-setup folder ({error}); run "
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
        raise InvalidInput(f"tolerance {text!r} is not a number (e.g. 1e-5)") from error
    units = absolute * 10**9
    if absolute < 0 or units != units.to_integral_value() or units > 2**32 - 1:
        raise InvalidInput(f"tolerance {text!r}: give a multiple of 1e-9 between 0 and 4.29")
    if units and not floats:
        raise InvalidInput("tolerance: this model has no float outputs, so its results are "
                               "exact and its tolerance must be 0")
    return {"absolute_e9": int(units), "relative": 0}


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


def register(substrate, signer, spec: dict, progress: Progress, price: int,
             metadata: models.Metadata | None, model_id: int | None) -> None:
    """Registers a model with `metadata` and `price` (or adds the version to `model_id`) and
    records its ids in `progress`."""
    if model_id is None:
        included = chain.submit(substrate, signer, "ModelRegistry", "register_model", {
            "name": "0x" + metadata.name.hex(),
            "description": "0x" + metadata.description.hex(),
            "price": price,
            "version": spec,
        })
        event = chain.find_event(included.events, "ModelRegistry", "ModelRegistered")
    else:
        included = chain.submit(substrate, signer, "ModelRegistry", "add_version",
                                {"model_id": model_id, "version": spec})
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
                  quiet: bool, window: int = WINDOW, report: Callable[[str], None] = say) -> None:
    """Sends every chunk from the one the chain expects next, `window` at a time (the last of
    each window is awaited in a block before the next window goes)."""
    parts = models.chunks(data, chunk_size)
    wait_for_own_pool(substrate, signer.ss58_address)
    start = next_chunk(substrate, progress, len(parts))
    if progress.registered_in is None:  # registered by an earlier run
        progress.resumed_from = start
        if start < len(parts):
            report(f"resuming the upload of model {progress.model_id} version {progress.version} "
                f"from chunk {start} of {len(parts)}")
        else:
            report(f"the upload of model {progress.model_id} version {progress.version} is complete "
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




@dataclass
class UploadResult:
    """A published model version: its ids, its content id (`0x` hex), the blocks that
    registered it and completed it (None when an earlier run did), its size and chunk count,
    where this upload resumed from (None when it started afresh) and whether the bytes were
    already on chain (nothing was sent)."""

    model_id: int
    version: int
    content_id: str
    registered_in: str | None
    completed_in: str | None
    byte_size: int
    chunks: int
    resumed_from: int | None
    already_uploaded: bool
    seconds: float

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def upload_model(substrate, signer, data: bytes, *, name: str | None = None,
                 description: str = "", price: int = 0, modes: dict | None = None,
                 tolerance: dict | None = None, zk: dict | None = None,
                 model_id: int | None = None, schema: dict | None = None,
                 window: int = WINDOW, quiet: bool = False,
                 progress: Progress | None = None,
                 report: Callable[[str], None] | None = None) -> UploadResult:
    """Publishes the ONNX model `data`: registers it as a new model named `name` at `price`
    planck per call (or as a new version of `model_id`), then uploads its chunks with a
    progress bar on stderr (none when `quiet`), resuming an earlier upload of the same bytes.

    `modes` is the registry's ModeSet (default vanilla and attested; `parse_modes` reads
    `"vanilla,attested,zk"`), `tolerance` its Tolerance (default: `parse_tolerance(None, ...)`),
    `zk` its ZkArtifacts (`read_zk_artifacts`), `schema` the I/O schema (default: read from the
    ONNX file). `progress` is filled as the upload goes, so a caller can say where an
    interrupted upload stopped; `report` receives what the upload says on the way (registered,
    resuming, already uploaded; default: stderr, or nothing when `quiet`). Raises InvalidInput before sending anything when an argument is
    wrong, and the exceptions of `chain.submit` after."""
    started = time.monotonic()
    progress = progress if progress is not None else Progress()
    if report is None:
        report = (lambda _message: None) if quiet else say
    if schema is None:
        try:
            schema = models.schema_from_onnx(data)
        except models.SchemaError as error:
            raise InvalidInput(f"not a model the registry can hold: {error}") from error
    modes = modes if modes is not None else {"vanilla": True, "attested": True, "zk": False}
    if modes.get("zk") and zk is None:
        raise InvalidInput("zk mode needs the model's ZK artifacts (read_zk_artifacts)")
    metadata = None
    if model_id is None:
        if name is None:
            raise InvalidInput("a new model needs a name")
        try:
            metadata = models.Metadata.of(name, description)
        except models.LimitError as error:
            raise InvalidInput(str(error)) from error
    if price < 0 or price > models.U128_MAX:
        raise InvalidInput(f"price {price} is outside 0..2^128-1 planck")
    if window < 1:
        raise InvalidInput("window must be positive")
    chunk_size = chain.registry_constant(substrate, "ChunkSize", 64 * 1024)
    count = models.chunk_count(len(data), chunk_size)
    try:
        models.check_chunk_count(len(data), chunk_size,
                                 chain.registry_constant(substrate, "MaxChunks", models.MAX_CHUNKS))
    except models.LimitError as error:
        raise InvalidInput(str(error)) from error
    spec = version_spec(data, schema, modes, chunk_size, tolerance, zk)
    if find_existing(substrate, signer.ss58_address, spec["content_id"], progress):
        if progress.already_complete:
            report(f"already uploaded: model {progress.model_id} version {progress.version} "
                   f"holds these bytes (content id {spec['content_id']})")
        elif model_id is not None and model_id != progress.model_id:
            raise InvalidInput(f"these bytes are already being uploaded as model "
                               f"{progress.model_id} version {progress.version}: upload them "
                               f"without model id {model_id} (or with model id "
                               f"{progress.model_id}) to finish that upload")
    else:
        register(substrate, signer, spec, progress, price, metadata, model_id)
        report(f"registered model {progress.model_id} version {progress.version} "
               f"(content id {spec['content_id']}); uploading {count} chunk(s)")
    if not progress.already_complete:
        upload_chunks(substrate, signer, progress, data, chunk_size, quiet, window, report)
    return UploadResult(progress.model_id, progress.version, spec["content_id"],
                        progress.registered_in, progress.completed_in, len(data), count,
                        progress.resumed_from, progress.already_complete,
                        round(time.monotonic() - started, 1))
