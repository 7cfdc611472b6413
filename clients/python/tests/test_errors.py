"""How the tools name failures, without a node: every dispatch error as `Pallet.Error: docs`,
JSON-RPC errors, and the --price argument."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from substrateinterface.exceptions import SubstrateRequestException

import opg
from opg import chain, errors, upload


class FakeMetadata:
    """The two lookups describe_dispatch_error makes, as scalecodec's metadata answers them."""

    def __init__(self, docs):
        self.docs = docs

    def get_pallet_by_index(self, index: int):
        if index != 8:
            raise ValueError(f'Pallet for index "{index}" not found')
        return SimpleNamespace(name="ModelRegistry")

    def get_module_error(self, module_index: int, error_index: int):
        names = {17: "DuplicateModel"}
        return SimpleNamespace(value={"name": names[error_index], "docs": self.docs})


@pytest.mark.parametrize("docs", [
    ["A model with this content id is already registered", "by this owner."],
    "A model with this content id is already registered by this owner.",
])
def test_module_errors_name_the_pallet_and_error_with_their_docs(docs):
    described = chain.describe_dispatch_error(FakeMetadata(docs), {"Module": {"index": 8, "error": "0x11000000"}})
    assert described == ("ModelRegistry", "DuplicateModel",
                         "A model with this content id is already registered by this owner.")
    # Older encodings: a tuple, an integer error index.
    assert chain.describe_dispatch_error(FakeMetadata(docs), {"Module": (8, 17)})[:2] == ("ModelRegistry", "DuplicateModel")


def test_a_module_error_without_docs_or_metadata_is_still_named():
    assert chain.describe_dispatch_error(FakeMetadata([]), {"Module": {"index": 8, "error": "0x11000000"}})[2] \
        == "no documentation"
    pallet, error, docs = chain.describe_dispatch_error(FakeMetadata([]), {"Module": {"index": 99, "error": "0x00000000"}})
    assert (pallet, error) == ("Pallet99", "Error0") and docs


@pytest.mark.parametrize("error, expected", [
    ("BadOrigin", ("System", "BadOrigin", "A bad origin.")),
    ("Other", ("System", "Other", "Some error occurred.")),
    ("CannotLookup", ("System", "CannotLookup", "Failed to lookup some data.")),
    ("RootNotAllowed", ("System", "RootNotAllowed", "Root origin is not allowed.")),
    ({"Token": "FundsUnavailable"}, ("Token", "FundsUnavailable", "Funds are unavailable.")),
    ({"Token": "BelowMinimum"}, ("Token", "BelowMinimum", "Account cannot exist with the funds that would be given.")),
    ({"Arithmetic": "Overflow"}, ("Arithmetic", "Overflow", "An overflow would occur.")),
    ({"Transactional": "NoLayer"}, ("Transactional", "NoLayer",
                                    "A transactional layer was expected, but does not exist.")),
])
def test_other_dispatch_errors_are_named_with_docs(error, expected):
    assert chain.describe_dispatch_error(FakeMetadata([]), error) == expected


@pytest.mark.parametrize("error", ["SomethingNew", {"Trie": "InvalidHash"}, {"Token": "Brandnew"}, 42])
def test_unknown_dispatch_errors_never_give_none(error):
    described = chain.describe_dispatch_error(FakeMetadata([]), error)
    assert all(isinstance(part, str) and part and part != "None" for part in described)


def test_a_failed_dispatch_reads_pallet_error_docs():
    failed = chain.DispatchFailed("Balances.transfer_keep_alive", "Token", "FundsUnavailable",
                                  "Funds are unavailable.", "0xab", 10, [])
    assert str(failed) == "Balances.transfer_keep_alive failed: Token.FundsUnavailable: Funds are unavailable."
    assert failed.name == "Token.FundsUnavailable"


@pytest.mark.parametrize("pallet, cls", [
    ("ModelRegistry", errors.ModelRegistryError), ("Inference", errors.InferenceError),
    ("Nodes", errors.NodesError), ("Attestations", errors.AttestationsError),
    ("Tee", errors.TeeError), ("Balances", errors.DispatchFailed),
])
def test_each_opg_pallet_fails_with_its_own_class(pallet, cls):
    failed = errors.dispatch_failed("X.y", pallet, "SomeError", "Docs.", "0xab", 10, [])
    assert type(failed) is cls and isinstance(failed, errors.DispatchFailed)
    assert failed.name == f"{pallet}.SomeError"
    assert getattr(opg, cls.__name__) is cls


def test_rpc_errors_keep_their_data():
    refused = SubstrateRequestException({"code": 1010, "message": "Invalid Transaction",
                                         "data": "Inability to pay some fees (e.g. account balance too low)"})
    assert chain.rpc_message(refused) == ("Invalid Transaction: Inability to pay some fees "
                                          "(e.g. account balance too low)")
    assert chain.rpc_message(SubstrateRequestException("plain")) == "plain"


@pytest.mark.parametrize("url, expected", [
    ("ws://127.0.0.1:9944", "ws://127.0.0.1:9944"),
    ("http://node:9944", "ws://node:9944"),
    ("https://node", "wss://node"),
])
def test_node_urls_become_websocket_urls(url, expected):
    assert chain._websocket_url(url) == expected


def test_a_url_without_scheme_is_refused_clearly():
    with pytest.raises(chain.ChainError, match="ws://HOST:PORT"):
        chain._websocket_url("127.0.0.1:9944")


@pytest.mark.parametrize("text, units", [
    ("0.01", 10**16), ("1", 10**18), ("0", 0), ("1e-18", 1), ("0.000000000000000001", 1),
    ("340282366920938463463.374607431768211455", 2**128 - 1), (" 2.5 ", 25 * 10**17),
])
def test_prices_convert_exactly_to_units(text, units):
    assert upload.parse_price(text) == units


@pytest.mark.parametrize("text, message", [
    ("nan", "not a finite number"), ("NaN", "not a finite number"), ("inf", "not a finite number"),
    ("-Infinity", "not a finite number"), ("-1", "negative"), ("-0.5", "negative"),
    ("1e-19", "smallest unit"), ("0.0000000000000000015", "smallest unit"),
    ("340282366920938463463.374607431768211456", "more than a price can be"),
    ("1e40", "more than a price can be"), ("1e999999999", "more than a price can be"),
    ("abc", "not a number"), ("", "not a number"), ("0x10", "not a number"),
])
def test_bad_prices_are_refused_with_a_reason(text, message):
    with pytest.raises(chain.ChainError, match=message):
        upload.parse_price(text)
