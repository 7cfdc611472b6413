"""Disputing a vanilla result: a vanilla job's answer is a public claim that stands only if
nobody challenges it within its challenge window. Anyone but the node, the job's requester
included, may challenge it (`challenge`), holding the chain's challenge bond: a committee of
verifiers drawn from the next block's randomness re-runs the job from its input and decides.
The verdict is provisional for the appeal window, in which its loser may appeal once
(`appeal`, holding twice the bond) to a committee twice the size; then it settles. Until the
committee's reveals open, others may join the challenge with the same bond (`join`). A claim
that falls is refunded to the requester, the node loses part of its bond and the challenger is
paid from it; a claim that stands costs the challenger its bond. See docs/vanilla.md for each
side's payoffs, and the `Attestations` pallet's errors for what a refused challenge means.
"""

from __future__ import annotations

from substrateinterface import Keypair

from . import chain

# The attestations pallet knows job `n` as this tag, sixteen zero bytes and `n` big-endian.
JOB_SUBJECT_TAG = b"opg/job/"


def job_subject(job: int) -> str:
    """The subject (hex) under which the attestations pallet knows job `job`'s claim and
    rounds."""
    return "0x" + (JOB_SUBJECT_TAG + bytes(16) + int(job).to_bytes(8, "big")).hex()


def claim(substrate, job: int) -> dict | None:
    """The job's open claim (claimant, output hash, challenge deadline), or None when it has
    none: not answered yet, challenged already, or settled."""
    return substrate.query("Attestations", "Claims", [job_subject(job)]).value


def dispute(substrate, job: int) -> dict | None:
    """The job's open round (its committee's progress, a provisional verdict, an appeal), or
    None."""
    return substrate.query("Attestations", "Rounds", [job_subject(job)]).value


def parameters(substrate) -> dict:
    """The round parameters in force: challenge bond, dispute fee, windows, slashes."""
    return substrate.query("Attestations", "ActiveParameters").value


def challenge(substrate, signer: Keypair, job: int) -> chain.Included:
    """Challenges the job's claim, holding the challenge bond until the dispute settles.
    Raises DispatchFailed with `Attestations.NoSuchClaim` when the job has no open claim (not
    vanilla, not answered yet, or its window is over) and `Attestations.OwnClaim` for the node
    itself."""
    return chain.submit(substrate, signer, "Attestations", "challenge",
                        {"subject": job_subject(job)})


def join(substrate, signer: Keypair, job: int) -> chain.Included:
    """Joins the job's running dispute before its reveals open, holding the challenge bond: if
    the claim falls the bond comes back with a share of the treasury's part of the node's
    slash; if it stands the bond is lost. Raises DispatchFailed with
    `Attestations.NotJoinable` when no dispute of the job is running or its reveals are open."""
    return chain.submit(substrate, signer, "Attestations", "join_challenge",
                        {"subject": job_subject(job)})


def appeal(substrate, signer: Keypair, job: int) -> chain.Included:
    """Appeals the job's provisional verdict within its appeal window, holding twice the
    challenge bond (the claimant when its claim fell; anyone else when it stood)."""
    return chain.submit(substrate, signer, "Attestations", "appeal",
                        {"subject": job_subject(job)})
