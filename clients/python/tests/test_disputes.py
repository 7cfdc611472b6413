"""The SDK names a job's claim and rounds as the runtime does (primitives `job_subject`: the tag
`opg/job/`, sixteen zero bytes, the id big-endian), so a challenge reaches the job it means."""

from __future__ import annotations

from opg import disputes


def test_a_job_subject_is_the_tag_zeros_and_the_id_big_endian():
    subject = bytes.fromhex(disputes.job_subject(0x0102)[2:])
    assert len(subject) == 32
    assert subject[:8] == b"opg/job/"
    assert subject[8:24] == bytes(16)
    assert subject[24:] == bytes([0, 0, 0, 0, 0, 0, 1, 2])
    assert disputes.job_subject(0) != disputes.job_subject(1)
    assert disputes.job_subject(2**64 - 1).endswith("ff" * 8)
