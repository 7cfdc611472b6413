"""Running a node: register an account as an inference, verifier or data node with its role
key and bond, add to or take from the bond, change roles, leave, and read a node's record (the
`Nodes` pallet's calls and storage; see docs/architecture.md, "Nodes, bonds and attestations").

A node proves it holds its role key (sr25519, key type `opgn`, the key its offchain worker
signs with) by signing `"opg:attest:" ++ genesis hash ++ KeyOwnership(account)`; the key itself
goes into the node's keystore with `author_insertKey` (`opg-node key insert`), never to the
chain.
"""

from __future__ import annotations

from substrateinterface import Keypair

from . import chain
from .errors import InvalidInput

# RoleSet bits of the roles an account may declare (the TEE role comes only from a verified
# enclave registration).
ROLE_BITS = {"inference": 1, "verifier": 2, "data": 4}
# SignedStatement::KeyOwnership's variant index in the attestation statements.
KEY_OWNERSHIP = 3


def role_set(roles: list[str] | tuple[str, ...]) -> int:
    """The RoleSet byte of role names (`inference`, `verifier`, `data`)."""
    unknown = sorted(set(roles) - set(ROLE_BITS))
    if unknown or not roles:
        raise InvalidInput(f"roles {sorted(roles)}: give one or more of {', '.join(ROLE_BITS)}")
    bits = 0
    for role in roles:
        bits |= ROLE_BITS[role]
    return bits


def key_proof(substrate, role_key: Keypair, account: str) -> str:
    """The role key's signature naming `account` (an SS58 address) as its holder."""
    genesis = bytes.fromhex(substrate.get_block_hash(0)[2:])
    account_id = bytes.fromhex(substrate.ss58_decode(account))
    message = b"opg:attest:" + genesis + bytes([KEY_OWNERSHIP]) + account_id
    return "0x" + role_key.sign(message).hex()


def register(substrate, account: Keypair, role_key: Keypair, roles: list[str], bond: int,
             endpoint: str | None = None) -> chain.Included:
    """Registers `account` as a node with `roles`, holding `bond` planck from its free balance
    (at least the roles' required bond: `required_bond`). A data node gives the `endpoint`
    other nodes fetch models from (`http://` or `https://`, e.g. `http://host:9944`)."""
    return chain.submit(substrate, account, "Nodes", "register", {
        "roles": role_set(roles), "key": "0x" + role_key.public_key.hex(),
        "key_proof": key_proof(substrate, role_key, account.ss58_address),
        "endpoint": None if endpoint is None else "0x" + endpoint.encode().hex(),
        "bond": bond,
    })


def bond_extra(substrate, account: Keypair, amount: int) -> chain.Included:
    """Holds `amount` more planck as the node's bond."""
    return chain.submit(substrate, account, "Nodes", "bond_extra", {"amount": amount})


def unbond(substrate, account: Keypair, amount: int) -> chain.Included:
    """Starts unbonding `amount` planck (what stays must cover the roles' required bond); it
    can be withdrawn once the unbonding period passes (`withdraw_unbonded`)."""
    return chain.submit(substrate, account, "Nodes", "unbond", {"amount": amount})


def withdraw_unbonded(substrate, account: Keypair) -> chain.Included:
    """Releases the unbonded amounts whose unbonding period has passed."""
    return chain.submit(substrate, account, "Nodes", "withdraw_unbonded", {})


def set_roles(substrate, account: Keypair, roles: list[str],
              endpoint: str | None = None) -> chain.Included:
    """Changes the node's roles (and its data endpoint)."""
    return chain.submit(substrate, account, "Nodes", "set_roles", {
        "roles": role_set(roles),
        "endpoint": None if endpoint is None else "0x" + endpoint.encode().hex()})


def leave(substrate, account: Keypair) -> chain.Included:
    """Stops serving (refused while the node holds open work) and unbonds the whole bond."""
    return chain.submit(substrate, account, "Nodes", "leave", {})


def node(substrate, account: str) -> dict | None:
    """The node record of `account` (roles, bond, status, heartbeats), or None."""
    return substrate.query("Nodes", "Nodes", [account]).value


def required_bond(substrate, roles: list[str]) -> int:
    """The least bond, in planck, the chain asks of a node with `roles` now: the sum of each
    role's minimum bond (governed parameters `min_inference_bond`, ...)."""
    role_set(roles)  # names checked
    parameters = substrate.query("Nodes", "ActiveParameters").value
    return sum(int(parameters[f"min_{role}_bond"]) for role in set(roles))
