"""How chain.py follows a submitted transaction and reads its outcome, against a stand-in for
the node's answers (the end-to-end tests do the same against a real node)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from substrateinterface.exceptions import SubstrateRequestException

from opg import chain

EXTRINSIC = SimpleNamespace(data="0x1234", extrinsic_hash=bytes.fromhex("ab" * 32))


class FakeNode:
    """Answers author_submitAndWatchExtrinsic with a list of status updates."""

    def __init__(self, statuses: list, refuse: dict | None = None):
        self.statuses, self.refuse, self.calls = statuses, refuse, []
        self.websocket = None
        self.url = "ws://fake"

    def rpc_request(self, method, params, result_handler=None):
        self.calls.append(method)
        if method == "author_unwatchExtrinsic":
            return {"result": True}
        if self.refuse:
            raise SubstrateRequestException(self.refuse)
        for number, status in enumerate(self.statuses):
            outcome = result_handler({"params": {"result": status, "subscription": "s"}}, number, "s")
            if outcome is not None:
                return outcome
        raise AssertionError("the handler never finished")


def test_the_block_that_includes_the_transaction_is_returned():
    node = FakeNode(["future", "ready", {"broadcast": ["peer"]}, {"inBlock": "0xb1"}])
    assert chain._watch_until_in_block(node, EXTRINSIC, "X.y", 10) == "0xb1"
    assert node.calls == ["author_submitAndWatchExtrinsic", "author_unwatchExtrinsic"]


@pytest.mark.parametrize("status, message", [
    ("invalid", "dropped X.y from its pool (invalid)"),
    ("dropped", "dropped X.y from its pool (dropped)"),
    ({"usurped": "0xother"}, "replaced in the pool"),
])
def test_a_transaction_that_leaves_the_pool_is_refused(status, message):
    with pytest.raises(chain.Refused, match=message.replace("(", r"\(").replace(")", r"\)")):
        chain._watch_until_in_block(FakeNode(["ready", status]), EXTRINSIC, "X.y", 10)


def test_a_transaction_the_pool_rejects_names_the_reason():
    node = FakeNode([], refuse={"code": 1010, "message": "Invalid Transaction",
                                "data": "Inability to pay some fees (e.g. account balance too low)"})
    with pytest.raises(chain.Refused, match="the node refused X.y: Invalid Transaction: Inability to pay"):
        chain._watch_until_in_block(node, EXTRINSIC, "X.y", 10)


def test_waiting_for_inclusion_is_bounded():
    with pytest.raises(chain.NotIncluded, match="not included within 0s"):
        chain._watch_until_in_block(FakeNode(["ready", "ready"]), EXTRINSIC, "X.y", 0)


def record(pallet: str, event: str, attributes) -> SimpleNamespace:
    return SimpleNamespace(value={"event": {"module_id": pallet, "event_id": event, "attributes": attributes}})


class Metadata:
    def get_pallet_by_index(self, index):
        return SimpleNamespace(name="ModelRegistry")

    def get_module_error(self, module_index, error_index):
        return SimpleNamespace(value={"name": "ChunkOutOfOrder", "docs": ["Chunks must arrive in order."]})


def test_a_failed_dispatch_raises_its_named_error_with_the_fee_paid():
    events = [
        record("TransactionPayment", "TransactionFeePaid", {"who": "x", "actual_fee": 70, "tip": 5}),
        record("System", "ExtrinsicFailed", {"dispatch_error": {"Module": {"index": 20, "error": "0x0a000000"}},
                                             "dispatch_info": {}}),
    ]
    with pytest.raises(chain.DispatchFailed) as failed:
        chain._outcome(SimpleNamespace(metadata=Metadata()), "ModelRegistry.upload_chunk", "0xb2", events, EXTRINSIC)
    assert str(failed.value) == ("ModelRegistry.upload_chunk failed: ModelRegistry.ChunkOutOfOrder: "
                                 "Chunks must arrive in order.")
    assert (failed.value.fee, failed.value.block_hash) == (75, "0xb2")


def test_a_successful_dispatch_returns_its_block_fee_and_events():
    events = [record("Balances", "Transfer", {"amount": 1}),
              record("TransactionPayment", "TransactionFeePaid", {"who": "x", "actual_fee": 70, "tip": 0}),
              record("System", "ExtrinsicSuccess", {"dispatch_info": {}})]
    included = chain._outcome(SimpleNamespace(metadata=Metadata()), "Balances.transfer", "0xb3", events, EXTRINSIC)
    assert (included.block_hash, included.fee, included.extrinsic_hash) == ("0xb3", 70, "0x" + "ab" * 32)
    assert chain.find_event(included.events, "Balances", "Transfer") == {"amount": 1}
