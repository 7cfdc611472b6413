"""Fetches a model a node lacks from a data node, verifying every chunk by hash before use.

A node holds a model's bytes when it imported the upload blocks with offchain indexing on (the
default). One that did not (it warp-synced, or ran with indexing off) fetches them here: each
chunk is read from the data node (`opgModel_chunk`), checked against the chunk hash this node's
own chain state holds, and written to this node's off-chain database
(`offchain_localStorageSet`, an unsafe RPC method, which a node serves on localhost by default:
reach the local node on localhost, never expose unsafe methods to a network). The chunk hashes are checked against the
content id (v2, with the version's chunk size) first, and every chunk is read back through the
local node (which checks its hash again) at the end.

    scripts/fetch-model.sh --from ws://data-node:9944 --to ws://127.0.0.1:9944 --model 0
"""

from __future__ import annotations

import argparse
import sys

from tqdm import tqdm

from opg import chain, models


def unhex(text: str) -> bytes:
    return bytes.fromhex(text[2:] if text.startswith("0x") else text)


def chain_hashes(target, model: int, version: int, content: bytes) -> list[bytes]:
    """The version's chunk hashes from the target node's state, checked against its content id."""
    record = chain.registry(target, "Versions", [model, version])
    if record is None:
        raise chain.ChainError(f"model {model} has no version {version} on this chain")
    upload = chain.registry(target, "Uploads", [model, version])
    if upload is not None:
        raise chain.ChainError(f"model {model} version {version} is still uploading (next chunk "
                               f"{upload['next_chunk']} of {record['chunk_count']}): nothing to fetch yet")
    hashes = [unhex(h) for h in chain.registry(target, "ChunkHashes", [model, version])]
    if models.content_id_from_hashes(int(record["chunk_size"]), int(record["byte_size"]), hashes) != content:
        raise chain.ChainError("the chain's chunk hashes do not define its content id")
    return hashes


def fetch(args: argparse.Namespace) -> str:
    """Fetches and stores the chunks the target lacks; returns the report line."""
    target = chain.connect(args.target, args.timeout)
    source = chain.connect(args.source, args.timeout)
    local = chain.rpc(target, "opgModel_localChunks", [args.model, args.version])
    version, content, count = int(local["version"]), unhex(local["contentId"]), int(local["chunkCount"])
    hashes = chain_hashes(target, args.model, version, content)
    held = set(local["held"])
    missing = [index for index in range(count) if index not in held]
    for index in tqdm(missing, desc=f"model {args.model} v{version}", disable=args.quiet, file=sys.stderr):
        data = unhex(chain.rpc(source, "opgModel_chunk", [args.model, version, index]))
        if models.blake2_256(data) != hashes[index]:
            raise chain.ChainError(f"the data node served chunk {index} with the wrong hash: refusing it")
        key = models.chunk_storage_key(content, index)
        chain.rpc(target, "offchain_localStorageSet", ["PERSISTENT", "0x" + key.hex(), "0x" + data.hex()])
    # The node's own read path checks each chunk's hash: every chunk must come back right.
    for index in range(count):
        data = unhex(chain.rpc(target, "opgModel_chunk", [args.model, version, index]))
        if models.blake2_256(data) != hashes[index]:
            raise chain.ChainError(f"chunk {index} held by {args.target} has the wrong hash; "
                                   "fetch it again")
    return (f"model {args.model} version {version}: fetched {len(missing)} chunk(s), "
            f"all {count} verified against content id 0x{content.hex()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fetch-model.sh", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from", dest="source", required=True, help="RPC endpoint of a data node holding the model")
    parser.add_argument("--to", dest="target", default="ws://127.0.0.1:9944", help="RPC endpoint of the node that lacks it")
    parser.add_argument("--model", type=int, required=True, help="model id")
    parser.add_argument("--version", type=int, help="version (default: the active one)")
    parser.add_argument("--timeout", type=float, default=chain.DEFAULT_TIMEOUT,
                        help="longest wait in seconds for any one answer of a node (default %(default)s)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)

    def run() -> int:
        print(fetch(args))
        return 0

    return chain.run_cli(run, on_interrupt=lambda: "rerun the same command: chunks already stored are kept")


if __name__ == "__main__":
    sys.exit(main())
