"""Fetches a model a node lacks from a data node, verifying every chunk by hash before use.

A node holds a model's bytes when it imported the upload blocks with offchain indexing on (the
default). One that did not (it warp-synced, or ran with indexing off) fetches them here: each
chunk is read from the data node (`opgModel_chunk`), checked against the chunk hash this node's
own chain state holds, and written to this node's off-chain database
(`offchain_localStorageSet`, an unsafe RPC method: run the local node with
`--rpc-methods unsafe` or reach it on localhost). The content id is checked at the end.

    scripts/fetch-model.sh --from http://data-node:9944 --to ws://127.0.0.1:9944 --model 0
"""

from __future__ import annotations

import argparse
import sys

from substrateinterface.exceptions import SubstrateRequestException
from tqdm import tqdm

from . import chain, models


def rpc(substrate, method: str, params: list):
    try:
        response = substrate.rpc_request(method, params)
    except SubstrateRequestException as error:
        detail = error.args[0] if error.args else error
        message = detail.get("message", detail) if isinstance(detail, dict) else detail
        raise chain.ChainError(f"{method} failed: {message}") from error
    return response["result"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from", dest="source", required=True, help="RPC endpoint of a data node holding the model")
    parser.add_argument("--to", dest="target", default="ws://127.0.0.1:9944", help="RPC endpoint of the node that lacks it")
    parser.add_argument("--model", type=int, required=True, help="model id")
    parser.add_argument("--version", type=int, help="version (default: the active one)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    try:
        source, target = chain.connect(args.source), chain.connect(args.target)
        local = rpc(target, "opgModel_localChunks", [args.model, args.version])
        version, content = local["version"], bytes.fromhex(local["contentId"][2:])
        record = target.query("ModelRegistry", "Versions", [args.model, version]).value
        hashes = [bytes.fromhex(h[2:]) for h in
                  target.query("ModelRegistry", "ChunkHashes", [args.model, version]).value]
        if models.content_id_from_hashes(record["byte_size"], hashes) != content:
            raise chain.ChainError("the chain's chunk hashes do not define its content id")
        missing = [i for i in range(local["chunkCount"]) if i not in set(local["held"])]
        for index in tqdm(missing, desc=f"model {args.model} v{version}", disable=args.quiet, file=sys.stderr):
            data = bytes.fromhex(rpc(source, "opgModel_chunk", [args.model, version, index])[2:])
            if models.blake2_256(data) != hashes[index]:
                raise chain.ChainError(f"the data node served chunk {index} with the wrong hash: refusing it")
            key = models.chunk_storage_key(content, index)
            rpc(target, "offchain_localStorageSet", ["PERSISTENT", "0x" + key.hex(), "0x" + data.hex()])
        after = rpc(target, "opgModel_localChunks", [args.model, version])
        if len(after["held"]) != after["chunkCount"]:
            raise chain.ChainError(f"still missing chunks after the fetch: holds {after['held']}")
    except chain.ChainError as error:
        chain.fail(error)
    print(f"model {args.model} version {version}: fetched {len(missing)} chunk(s), "
          f"all {local['chunkCount']} verified against content id 0x{content.hex()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
