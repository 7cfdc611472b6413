"""The governance client's encodings, checked against what the runtime expects."""

from opg import governance


def test_the_vote_byte_carries_the_aye_bit_and_the_conviction():
    # pallet_conviction_voting::Vote: bit 7 aye, the low bits the conviction's index.
    assert governance.vote_value(True, "None") == 0x80
    assert governance.vote_value(True, "Locked3x") == 0x83
    assert governance.vote_value(False, "Locked6x") == 0x06
    assert governance.vote_value(False, "None") == 0


def test_proposals_are_looked_up_by_their_blake2_256_hash():
    # The runtime's hashing (BlakeTwo256) of the empty string.
    assert governance.blake2_256(b"") == (
        "0x0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8")
