"""Uploads an ONNX model to OPG chain: registers it with its first version, then sends its
bytes in chunks with a progress bar, and prints the model id.

    scripts/upload-model.sh model.onnx --name my-model --price 0.01 [--url ws://127.0.0.1:9944]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from decimal import Decimal, InvalidOperation

from tqdm import tqdm

from . import chain, models

# Chunks sent per round before waiting for the last one's inclusion: 24 * 64 KiB = 1.5 MiB,
# well inside a block's normal length limit.
WINDOW = 24


def parse_price(text: str) -> int:
    try:
        value = Decimal(text)
    except InvalidOperation as error:
        raise chain.ChainError(f"--price {text!r} is not a number of OPG (for example 0.01)") from error
    if value < 0:
        raise chain.ChainError("--price cannot be negative")
    return int(value * chain.OPG)


def parse_modes(text: str) -> dict:
    modes = {part.strip().lower() for part in text.split(",") if part.strip()}
    unknown = modes - {"vanilla", "attested", "zk"}
    if unknown:
        raise chain.ChainError(f"unknown mode(s) {sorted(unknown)}: use vanilla, attested and/or zk")
    if "zk" in modes:
        raise chain.ChainError("zk mode needs a verifying key: ZK model preparation is not in this tool yet")
    return {"vanilla": "vanilla" in modes, "attested": "attested" in modes, "zk": False}


def version_spec(data: bytes, chunk_size: int, modes: dict) -> dict:
    hashes = models.chunk_hashes(data, chunk_size)
    return {
        "schema": models.schema_from_onnx(data),
        "modes": modes,
        "zk": None,
        "content_id": "0x" + models.content_id_from_hashes(len(data), hashes).hex(),
        "byte_size": len(data),
        "chunk_hashes": ["0x" + h.hex() for h in hashes],
    }


def upload_state(substrate, model_id: int, version: int):
    record = substrate.query("ModelRegistry", "Versions", [model_id, version]).value
    if record is None:
        raise chain.ChainError(f"model {model_id} version {version} is gone (did the upload expire?)")
    return record["upload"]


def upload_chunks(substrate, signer, model_id: int, version: int, data: bytes, chunk_size: int,
                  quiet: bool) -> None:
    parts = models.chunks(data, chunk_size)
    bar = tqdm(total=len(data), unit="B", unit_scale=True, desc=f"model {model_id} v{version}",
               disable=quiet, file=sys.stderr)
    state = upload_state(substrate, model_id, version)
    next_chunk = state["Uploading"]["next_chunk"] if "Uploading" in state else len(parts)
    bar.update(sum(len(p) for p in parts[:next_chunk]))
    while next_chunk < len(parts):
        end = min(next_chunk + WINDOW, len(parts))
        nonce = substrate.get_account_nonce(signer.ss58_address)
        for index in range(next_chunk, end):
            params = {"model_id": model_id, "version": version, "index": index,
                      "data": "0x" + parts[index].hex()}
            last = index == end - 1
            chain.submit(substrate, signer, "ModelRegistry", "upload_chunk", params,
                         nonce=nonce + index - next_chunk, wait=last)
        bar.update(sum(len(p) for p in parts[next_chunk:end]))
        next_chunk = end
    bar.close()
    state = upload_state(substrate, model_id, version)
    if "Complete" not in state:
        raise chain.ChainError(f"upload of model {model_id} version {version} is not complete: {state}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="the .onnx file")
    parser.add_argument("--url", default="ws://127.0.0.1:9944", help="node RPC endpoint")
    parser.add_argument("--suri", default="//Alice", help="secret URI or mnemonic of the owner")
    parser.add_argument("--name", help="model name (default: the file name)")
    parser.add_argument("--description", default="", help="what the model does")
    parser.add_argument("--price", default="0.01", help="price per call in OPG (default 0.01)")
    parser.add_argument("--modes", default="vanilla,attested", help="comma-separated: vanilla,attested")
    parser.add_argument("--model-id", type=int, help="add a new version to this model instead of registering one")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)

    try:
        with open(args.model, "rb") as file:
            data = file.read()
    except OSError as error:
        chain.fail(chain.ChainError(f"cannot read {args.model}: {error}"))
    try:
        substrate = chain.connect(args.url)
        signer = chain.keypair(args.suri)
        chunk_size = substrate.get_constant("ModelRegistry", "ChunkSize").value
        try:
            spec = version_spec(data, chunk_size, parse_modes(args.modes))
        except models.SchemaError as error:
            raise chain.ChainError(f"{args.model}: {error}") from error
        except Exception as error:  # onnx raises its own DecodeError types
            raise chain.ChainError(f"{args.model} is not a readable ONNX model: {error}") from error
        started = time.monotonic()
        if args.model_id is None:
            name = args.name or args.model.rsplit("/", 1)[-1].removesuffix(".onnx")
            included = chain.submit(substrate, signer, "ModelRegistry", "register_model", {
                "name": "0x" + name.encode().hex(),
                "description": "0x" + args.description.encode().hex(),
                "price": parse_price(args.price),
                "version": spec,
            })
            event = chain.find_event(included.events, "ModelRegistry", "ModelRegistered")
            model_id, version = event["model_id"], event["version"]
        else:
            included = chain.submit(substrate, signer, "ModelRegistry", "add_version",
                                    {"model_id": args.model_id, "version": spec})
            event = chain.find_event(included.events, "ModelRegistry", "VersionAdded")
            model_id, version = event["model_id"], event["version"]
        upload_chunks(substrate, signer, model_id, version, data, chunk_size, args.quiet)
        elapsed = time.monotonic() - started
    except chain.ChainError as error:
        chain.fail(error)
    result = {"model_id": model_id, "version": version, "content_id": spec["content_id"],
              "registered_in": included.block_hash,
              "byte_size": len(data), "chunks": len(spec["chunk_hashes"]), "seconds": round(elapsed, 1)}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"uploaded {args.model} ({len(data)} bytes, {result['chunks']} chunks) in {elapsed:.1f}s")
        print(f"model id: {model_id} (version {version}, content id {spec['content_id']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
