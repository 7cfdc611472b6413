"""Uploads an ONNX model to OPG chain: registers it with its first version (or adds a version
with --model-id), then sends its bytes in chunks with a progress bar, and prints the model id.

    scripts/upload-model.sh model.onnx --name my-model --price 0.01 [--url ws://127.0.0.1:9944]

An interrupted upload resumes: rerun the same command. The tool finds the version the signer
registered for these exact bytes (ContentByOwner) and, while the chain still has its upload
open, sends the remaining chunks from where the chain says it stopped; if the upload is
complete it says so and prints the model id. An upload left unfinished for the registry's
UploadTimeout expires: the version is dropped and part of its deposit goes to the treasury.
The work is the SDK's (`opg.upload.upload_model`); this is its command line.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from opg import chain, models
from opg_tools import ceremony
from opg.upload import (WINDOW, Progress, parse_modes, parse_price, parse_tolerance,
                        read_zk_artifacts, say, upload_model)


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
    name: str | None  # None when adding a version to an existing model


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
    name = None
    if args.model_id is None:
        name = args.name if args.name is not None else Path(args.model).name.removesuffix(".onnx")
        try:
            models.Metadata.of(name, args.description)
        except models.LimitError as error:
            raise chain.ChainError(str(error)) from error
    return Request(args.model, data, schema, modes, zk, price, tolerance, name)


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
    parse.add_argument("--sudo-approve", metavar="SURI",
                       help="dev and local chains only: approve the version with this sudo key "
                            "(e.g. //Alice) where the chain waits for governance's approval, as a "
                            "curation referendum does on a live chain. ZK versions always wait")
    parse.add_argument("--follow-ceremony", action="store_true",
                       help="zk mode with an initial key (opg-node zk-init): wait for the version's "
                            "key ceremony to end, reporting each step (exit 1 if it fails)")
    parse.add_argument("--json", action="store_true", help="print the result as JSON")
    parse.add_argument("--quiet", action="store_true", help="no progress bar")
    return parse


def upload(args: argparse.Namespace, progress: Progress) -> dict:
    """Registers (or finds) the version and uploads what the chain lacks; returns the result."""
    request = read_request(args)  # the file and arguments are checked before connecting
    substrate = chain.connect(args.url, args.timeout)
    try:
        result = upload_model(
            substrate, chain.keypair(args.suri), request.data, name=request.name,
            description=args.description, price=request.price, modes=request.modes,
            tolerance=request.tolerance, zk=request.zk, model_id=args.model_id,
            schema=request.schema, window=args.window, quiet=args.quiet,
            progress=progress, report=say).as_dict()
        result["approved"] = approve(substrate, result["model_id"], result["version"], args.sudo_approve)
        model, version = result["model_id"], result["version"]
        if ceremony.key_origin(substrate, model, version) == "CeremonyRunning":
            initial_key = request.zk and Path(args.zk, request.zk["proving_key_hash"][2:] + ".pk")
            if initial_key and initial_key.exists():
                ceremony.publish_initial(substrate, chain.keypair(args.suri), model, version,
                                         initial_key)
            record = ceremony.ceremony(substrate, model, version)
            if record is not None:
                say(f"model {model} version {version} runs once its key ceremony ends: "
                    f"{ceremony.describe(record)}")
            if args.follow_ceremony:
                result["key_origin"] = ceremony.follow(substrate, model, version, say)
        return result
    except (chain.NodeUnreachable, chain.NotIncluded) as error:
        raise type(error)(f"{error}; {progress.hint()}") from error
    except chain.NETWORK_ERRORS as error:
        raise chain.NodeUnreachable(f"{chain.unreachable(args.url, error)}; {progress.hint()}") from error


def approve(substrate, model_id: int, version: int, sudo_suri: str | None) -> bool:
    """Whether the version is approved, approving it with `sudo_suri`'s sudo key first when
    given and it waits. Without one, says what a waiting version needs."""
    approved = lambda: bool(substrate.query("ModelRegistry", "Versions", [model_id, version]).value["approved"])  # noqa: E731
    if approved():
        return True
    if sudo_suri is None:
        say(f"model {model_id} version {version} waits for governance's approval "
            "(ModelRegistry.approve_version, on the model curation track) before it runs")
        return False
    if substrate.query("Sudo", "Key").value is None:
        raise chain.ChainError("--sudo-approve: this chain has no sudo key (a live chain approves "
                               "versions by referendum)")
    call = substrate.compose_call("ModelRegistry", "approve_version", {"model_id": model_id, "version": version})
    chain.submit(substrate, chain.keypair(sudo_suri), "Sudo", "sudo", {"call": call})
    if not approved():
        raise chain.ChainError(f"--sudo-approve: {sudo_suri} is not this chain's sudo key, so the "
                               "version still waits for approval")
    say(f"model {model_id} version {version} approved with the sudo key")
    return True


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
