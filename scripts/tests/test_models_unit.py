"""The content id (v2), chunk layout and registry bounds of the SDK's opg.models, without a node.

The known-answer vector is the one `primitives/src/model/content.rs` tests: both sides must
give the same chunk hashes and content id."""

from __future__ import annotations

import pytest

from opg import models
from opg_tools import testmodels

KAT_DATA = bytes((i * 31 + 7) % 251 for i in range(150_000))
KAT_CHUNK_HASHES = [
    "1f19838270108e4cde9671a2e6cc3d80a08a7a5fe678857f0cd6e0b203191b67",
    "db4a46443fafefa802ef3b37b42d6420683dabe84794691d7a16b47e0e6f2022",
    "378e18f7632ae9d4d079892a3b973a8c65690e4acdb2d9aa442c1072432c940e",
]
KAT_CONTENT_ID = "6280369964097c216322a0e933f213bbbc623784199e39d89b7cb9c4f8cae9bf"


def test_known_answer_vector():
    assert [h.hex() for h in models.chunk_hashes(KAT_DATA, 65536)] == KAT_CHUNK_HASHES
    assert models.content_id(KAT_DATA, 65536).hex() == KAT_CONTENT_ID
    hashes = [bytes.fromhex(h) for h in KAT_CHUNK_HASHES]
    assert models.content_id_from_hashes(65536, len(KAT_DATA), hashes).hex() == KAT_CONTENT_ID


def test_the_chunk_size_is_bound_into_the_content_id():
    data = bytes([7]) * 100
    hashes = models.chunk_hashes(data, 50)
    assert models.content_id_from_hashes(50, 100, hashes) != models.content_id_from_hashes(64, 100, hashes)
    # v1 (no chunk size, another tag) gives another id for the same bytes.
    v1 = models.blake2_256(b"opg:model:v1" + (150_000).to_bytes(8, "little")
                           + b"".join(models.chunk_hashes(KAT_DATA, 65536)))
    assert v1.hex() != KAT_CONTENT_ID


def test_chunks_and_their_count():
    assert [len(c) for c in models.chunks(KAT_DATA, 65536)] == [65536, 65536, 150_000 - 2 * 65536]
    assert models.chunk_count(150_000, 65536) == 3
    assert models.chunk_count(131072, 65536) == 2
    with pytest.raises(ValueError):
        models.chunks(b"abc", 0)


def test_chunk_storage_key_matches_the_runtime_layout():
    content = bytes(range(32))
    key = models.chunk_storage_key(content, 258)
    assert key == b"opg/model/chunk/" + content + bytes([0, 0, 1, 2])


def test_the_chunk_count_limit_is_checked():
    assert models.check_chunk_count(4096 * 65536, 65536) == 4096
    with pytest.raises(models.LimitError, match="at most 4096 chunks"):
        models.check_chunk_count(4096 * 65536 + 1, 65536)
    with pytest.raises(models.LimitError, match="empty"):
        models.check_chunk_count(0, 65536)


def test_name_and_description_limits_count_utf8_bytes():
    assert models.Metadata.of("n" * 64, "d" * 1024).name == b"n" * 64
    with pytest.raises(models.LimitError, match="65 bytes; the registry allows at most 64"):
        models.Metadata.of("n" * 65, "")
    with pytest.raises(models.LimitError, match="66 bytes"):
        models.Metadata.of("é" * 33, "")  # 33 characters, 66 bytes
    with pytest.raises(models.LimitError, match="1025 bytes"):
        models.Metadata.of("ok", "d" * 1025)
    with pytest.raises(models.LimitError, match="empty"):
        models.Metadata.of("", "")


def tensor(name: str = "x", shape: list | None = None) -> dict:
    return {"name": name, "dtype": "Float32", "shape": shape or ["Dynamic", {"Fixed": 4}]}


@pytest.mark.parametrize("schema, message", [
    ({"inputs": [tensor(f"x{i}") for i in range(17)], "outputs": [tensor()]}, "17 inputs"),
    ({"inputs": [tensor()], "outputs": [tensor(f"y{i}") for i in range(17)]}, "17 outputs"),
    ({"inputs": [tensor("x" * 65)], "outputs": [tensor()]}, "is 65 bytes"),
    ({"inputs": [tensor(shape=[{"Fixed": 1}] * 9)], "outputs": [tensor()]}, "rank 9"),
    ({"inputs": [tensor(shape=[{"Fixed": 2**20 + 1}])], "outputs": [tensor()]}, "dimension"),
    ({"inputs": [tensor(shape=[{"Fixed": 2**12}] * 3)], "outputs": [tensor()]}, "elements"),
    ({"inputs": [], "outputs": [tensor()]}, "no inputs"),
    ({"inputs": [tensor("a"), tensor("a")], "outputs": [tensor()]}, "distinct, non-empty names"),
    ({"inputs": [tensor("")], "outputs": [tensor()]}, "distinct, non-empty names"),
])
def test_schema_bounds_are_checked_before_submission(schema, message):
    with pytest.raises(models.SchemaError, match=message):
        models.check_schema(schema)


def test_the_largest_schema_the_registry_takes_passes():
    models.check_schema({"inputs": [tensor(f"{i:064d}", [{"Fixed": 2}] * 8) for i in range(16)],
                         "outputs": [tensor(f"y{i}") for i in range(16)]})


def test_the_test_model_schema_is_read_from_onnx():
    schema = models.schema_from_onnx(testmodels.mlp(hidden=8))
    assert schema == {
        "inputs": [{"name": "input", "dtype": "Float32", "shape": ["Dynamic", {"Fixed": 64}]}],
        "outputs": [{"name": "logits", "dtype": "Float32", "shape": ["Dynamic", {"Fixed": 10}]}],
    }


@pytest.mark.parametrize("data", [b"", b"definitely not a protobuf" * 10, b"\x08\x07", bytes(100)],
                         ids=["empty", "text", "near-empty-protobuf", "zeros"])
def test_bytes_that_are_not_onnx_are_refused(data):
    with pytest.raises(models.SchemaError, match="empty|not a readable ONNX model"):
        models.schema_from_onnx(data)
