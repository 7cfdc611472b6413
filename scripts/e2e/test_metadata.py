"""Generic clients work from the runtime's metadata alone: polkadot.js (scripts/e2e/metadata_walk.mjs)
and py-substrate-interface decode every call, event, error and storage item of the OPG pallets,
and agree on what each holds.

Runs last in the session (conftest.py orders it), on the dev node every other end-to-end test
used, so the chain holds what a test run produced: the walk decodes the first extrinsic of each
call and the first event of each variant found in its blocks, and builds the rest from default
values; every error variant by the (pallet, error) index pair a failed dispatch carries; every
storage item's first entries, or its default when the chain holds none. A plain
py-substrate-interface client, with nothing of the SDK, then follows the chain from its first
block: it decodes every extrinsic and event (the nodes' fee-free heartbeats and answers are bare
transactions, the one fee-free form it reads) and gets the receipt of a transaction it
submitted and waited for."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import time
from collections import Counter

import pytest
from scalecodec.base import ScaleBytes
from substrateinterface import Keypair, SubstrateInterface

from opg import chain

PALLETS = ["ModelRegistry", "Attestations", "Inference", "Nodes", "Tee"]
WALK = Path(__file__).with_name("metadata_walk.mjs")
NODE_MODULES = Path(__file__).resolve().parents[2] / "clients" / "typescript" / "node_modules"


def same(js, py) -> bool:
    """Whether polkadot.js's JSON of a value (`toJSON()`) and py-substrate-interface's decoded
    value say the same thing, across the two libraries' conventions: camelCase and snake_case
    field names, enum variants as `{"variant": ...}` or `"Variant"`, big numbers as hex or
    integers, byte strings as hex or text."""
    if isinstance(py, bool) or isinstance(js, bool):
        return py == js
    if isinstance(py, int):
        if isinstance(js, str):
            return int(js, 16 if js.startswith("0x") else 10) == py
        return js == py
    if js is None and py == ():  # py-substrate-interface reads Option<()>'s None as ()
        return True
    if py is None or js is None:
        return py is None and js is None
    if isinstance(py, str):
        if isinstance(js, dict) and len(js) == 1 and next(iter(js.values())) is None:
            return key(next(iter(js))) == key(py)  # a unit variant
        if not isinstance(js, str):
            return False
        if js.lower() == py.lower():
            return True
        if js.startswith("0x") and not py.startswith("0x"):  # bytes py read as text
            try:
                return bytes.fromhex(js[2:]).decode() == py
            except (ValueError, UnicodeDecodeError):
                return False
        return False
    if isinstance(py, (list, tuple)):
        if isinstance(js, str) and js.startswith("0x"):  # a byte array py kept as numbers
            return bytes.fromhex(js[2:]) == bytes(py)
        return isinstance(js, list) and len(js) == len(py) and all(map(same, js, py))
    if isinstance(py, dict):
        if isinstance(js, list):  # an event's fields, by position in polkadot.js
            return len(js) == len(py) and all(map(same, js, py.values()))
        if isinstance(js, str) and len(py) == 1 and next(iter(py.values())) is None:
            return key(js) == key(next(iter(py)))  # a unit variant
        if not isinstance(js, dict):
            return False
        js_by_key = {key(k): v for k, v in js.items()}
        py_by_key = {key(k): v for k, v in py.items()}
        return js_by_key.keys() == py_by_key.keys() and all(
            same(js_by_key[k], py_by_key[k]) for k in py_by_key)
    return False


def key(name: str) -> str:
    return re.sub(r"_", "", str(name)).lower()


@pytest.fixture(scope="module")
def walk(node) -> dict:
    if not shutil.which("node") or not NODE_MODULES.is_dir():
        pytest.fail("the walk needs node and clients/typescript/node_modules: run scripts/setup.sh")
    run = subprocess.run(["node", str(WALK), node.url, ",".join(PALLETS)], capture_output=True,
                         text=True, timeout=240)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


@pytest.fixture(scope="module")
def substrate(node):
    client = node.substrate()
    client.init_runtime()
    yield client
    client.close()


def decode(substrate, type_string: str, hex_bytes: str):
    """py-substrate-interface's decoding of `hex_bytes` as `type_string`, all bytes consumed."""
    scale = substrate.runtime_config.create_scale_object(
        type_string, ScaleBytes(hex_bytes), metadata=substrate.metadata)
    return scale.decode(check_remaining=True)


def variants(substrate, pallet: str, kind: str) -> list[str]:
    """The variant names of a pallet's calls, events or errors in py-substrate-interface's view
    of the metadata."""
    module = substrate.metadata.get_metadata_pallet(pallet)
    if kind == "calls":
        return [call.name for call in module.calls]
    if kind == "events":
        return [event.name for event in module.events]
    return [variant.value["name"] for variant in module.errors]


def test_every_call_decodes_in_both_clients(walk, substrate):
    for pallet in PALLETS:
        assert [c["name"] for c in walk["calls"] if c["pallet"] == pallet] == \
            variants(substrate, pallet, "calls")
    for call in walk["calls"]:
        label = f"{call['pallet']}.{call['name']}"
        assert call["roundtrip"], label
        assert key(call["decoded"]) == key(f"{call['pallet']}.{call['name']}"), label
        for hex_bytes in filter(None, [call["hex"], (call.get("seen") or {}).get("hex")]):
            decoded = decode(substrate, "Call", hex_bytes)
            assert (decoded["call_module"], decoded["call_function"]) == \
                (call["pallet"], call["name"]), label
            assert [key(a["name"]) for a in decoded["call_args"]] == list(map(key, call["args"])), label
        if call.get("seen"):
            assert call["seen"]["roundtrip"], label
            py_args = {a["name"]: a["value"] for a in decode(substrate, "Call", call["seen"]["hex"])["call_args"]}
            assert same(call["seen"]["args"], py_args), (label, call["seen"]["args"], py_args)
    seen = sorted(f"{c['pallet']}.{c['name']}" for c in walk["calls"] if c.get("seen"))
    print(f"{len(walk['calls'])} calls decoded; {len(seen)} from the chain's blocks: {seen}")
    assert len(seen) >= 10, seen


def test_every_event_decodes_in_both_clients(walk, substrate):
    for pallet in PALLETS:
        assert [e["name"] for e in walk["events"] if e["pallet"] == pallet] == \
            variants(substrate, pallet, "events")
    for event in walk["events"]:
        label = f"{event['pallet']}.{event['name']}"
        assert event["roundtrip"] and key(event["decoded"]) == key(label), label
        if event["seen"]:
            records = substrate.get_events(event["seen"]["block_hash"])
            pallet, name, attributes = chain.event_attributes(records[event["seen"]["index"]])
        else:  # built by the walk: the pallet's index, then its event enum
            event_type = substrate.metadata.get_metadata_pallet(event["pallet"]).value["event"]["ty"]
            decoded = decode(substrate, f"scale_info::{event_type}", "0x" + event["hex"][4:])
            pallet = event["pallet"]
            (name, attributes), = decoded.items() if isinstance(decoded, dict) else [(decoded, None)]
        assert (pallet, name) == (event["pallet"], event["name"]), label
        assert same(event["fields"], attributes if attributes is not None else {}), \
            (label, event["fields"], attributes)
    seen = sorted(f"{e['pallet']}.{e['name']}" for e in walk["events"] if e["seen"])
    print(f"{len(walk['events'])} events decoded; {len(seen)} emitted by the chain: {seen}")
    assert len(seen) >= 15, seen


def test_every_error_is_named_and_documented_alike(walk, substrate):
    for pallet in PALLETS:
        assert [e["name"] for e in walk["errors"] if e["pallet"] == pallet] == \
            variants(substrate, pallet, "errors")
    for error in walk["errors"]:
        # What the SDK tells a dApp for the dispatch error the chain would report.
        module = {"Module": {"index": error["pallet_index"],
                             "error": "0x" + bytes([error["index"], 0, 0, 0]).hex()}}
        pallet, name, docs = chain.describe_dispatch_error(substrate.metadata, module)
        assert (pallet, name) == (error["pallet"], error["name"])
        assert docs == error["docs"] and docs, (name, docs, error["docs"])
    seen = sorted(e["name"] for e in walk["errors"] if e["seen"])
    print(f"{len(walk['errors'])} errors decoded; {len(seen)} carried by failed extrinsics: {seen}")
    assert len(seen) >= 3, seen


def test_every_storage_item_decodes_in_both_clients(walk, substrate):
    for pallet in PALLETS:
        module = substrate.metadata.get_metadata_pallet(pallet)
        assert [s["name"] for s in walk["storage"] if s["pallet"] == pallet] == \
            [item.name for item in module.storage if not item.name.startswith(":")]
    with_entries = []
    for item in walk["storage"]:
        label = f"{item['pallet']}.{item['name']}"
        function = substrate.get_metadata_storage_function(item["pallet"], item["name"])
        value_type = function.get_value_type_string()
        default = item["default"]
        assert default["roundtrip"], label
        default_type = f"Option<{value_type}>" if item["optional"] else value_type
        assert same(default["value"], decode(substrate, default_type, default["raw"])), label
        for entry in item["entries"]:
            assert entry["roundtrip"], label
            py_value = decode(substrate, value_type, entry["raw"])
            assert same(entry["value"], py_value), (label, entry["value"], py_value)
        if item["entries"]:
            with_entries.append(label)
    print(f"{len(walk['storage'])} storage items decoded; {len(with_entries)} with entries on "
          f"chain: {with_entries}")
    assert len(with_entries) >= 15, with_entries


# Blocks the plain client follows at least: the chain's blocks so far, then new ones as they come.
FOLLOWED_BLOCKS = 100


def test_a_plain_py_substrate_interface_client_follows_the_chain(node):
    plain = SubstrateInterface(url=node.url)
    try:
        calls = Counter()
        events = 0
        number = 1
        deadline = time.monotonic() + 600
        while number <= FOLLOWED_BLOCKS or number <= plain.get_block_number(None):
            assert time.monotonic() < deadline, f"only {number - 1} blocks decoded in 10 minutes"
            if number > plain.get_block_number(None):
                time.sleep(1)
                continue
            block = plain.get_block(block_number=number)
            for extrinsic in block["extrinsics"]:
                call = extrinsic.value["call"]
                calls[f"{call['call_module']}.{call['call_function']}"] += 1
            events += len(plain.get_events(block["header"]["hash"]))
            number += 1
        print(f"{number - 1} blocks, {sum(calls.values())} extrinsics, {events} events decoded: "
              f"{dict(calls)}")
        # The fee-free transactions of the dev chain's own nodes were among them.
        assert calls["Nodes.heartbeat"] > 0, calls
        assert calls["Inference.submit_result"] + calls["Inference.submit_commitment"] > 0, calls

        remark = plain.compose_call(call_module="System", call_function="remark_with_event",
                                    call_params={"remark": "0x" + b"plain client".hex()})
        extrinsic = plain.create_signed_extrinsic(remark, Keypair.create_from_uri("//Ferdie"))
        receipt = plain.submit_extrinsic(extrinsic, wait_for_inclusion=True)
        assert receipt.is_success, receipt.error_message
        assert any(event.value["event_id"] == "Remarked" for event in receipt.triggered_events)
    finally:
        plain.close()
