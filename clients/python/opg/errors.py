"""The exceptions of the OPG SDK.

Everything the SDK raises on purpose is a `ChainError`. A transaction that reached a block and
failed raises a `DispatchFailed` carrying the error's pallet, name and documentation as the
runtime's metadata gives them; failures of the OPG pallets raise the pallet's own subclass
(`InferenceError`, `ModelRegistryError`, `NodesError`, `AttestationsError`, `TeeError`), so a
dApp can catch one pallet's errors and branch on `error.error`, the variant's name:

    try:
        client.infer(model, "attested", {"X": x}, max_fee=1)
    except opg.InferenceError as error:
        if error.error == "FeeAboveMax":
            ...
        print(error.docs)  # the pallet's documentation of that error
"""

from __future__ import annotations


class ChainError(Exception):
    """A transaction or RPC call failed; the message says why and, where it can, what to do."""


class InvalidInput(ChainError):
    """An argument the SDK refused before sending anything (a tensor of the wrong shape, an
    unknown mode, a price finer than the smallest unit); the message says what to fix."""


class NodeUnreachable(ChainError):
    """No node answered at the URL, or it stopped answering."""


class Refused(ChainError):
    """The node refused a transaction before inclusion (it never reached a block)."""


class NotIncluded(ChainError):
    """A transaction the node accepted was not seen in a block in time (it may still be), or a
    job did not reach the awaited state in time."""


class JobRefunded(ChainError):
    """An inference job ended without a verified result and its fee went back to the requester.

    `reason` is the chain's `RefundReason` variant (`TimedOut`, `Rejected`, `Undecided`,
    `EngineFailed`, `VerificationUnavailable`, `InvalidProofs`, `NoNodeAvailable`: no eligible
    node could be drawn while the job was queued, so it never ran), `explanation` says it for
    a person, `amount` is what was refunded (in planck) and `job` the job's id."""

    def __init__(self, job: int, reason: str, explanation: str, amount: int):
        super().__init__(f"job {job} was refunded: {explanation}")
        self.job, self.reason, self.explanation, self.amount = job, reason, explanation, amount


class DispatchFailed(ChainError):
    """A transaction was included in a block and its call failed with a dispatch error.

    `pallet` and `error` name the error (`Token`/`FundsUnavailable` for a token error,
    `System`/`BadOrigin` for a bad origin), `docs` is its documentation from the runtime's
    metadata; the transaction's fee was paid (`fee`, in planck)."""

    def __init__(self, call: str, pallet: str, error: str, docs: str, block_hash: str,
                 fee: int, events: list):
        super().__init__(f"{call} failed: {pallet}.{error}: {docs}")
        self.call, self.pallet, self.error, self.docs = call, pallet, error, docs
        self.block_hash, self.fee, self.events = block_hash, fee, events

    @property
    def name(self) -> str:
        """`Pallet.Error`, e.g. `Inference.FeeAboveMax`."""
        return f"{self.pallet}.{self.error}"


class ModelRegistryError(DispatchFailed):
    """A failed call of the model registry (publishing, uploading, pricing, curating models)."""


class InferenceError(DispatchFailed):
    """A failed call of the inference pallet (requests, results, proofs, parameters)."""


class NodesError(DispatchFailed):
    """A failed call of the nodes pallet (node registration, bonds, roles and role keys,
    heartbeats, chilling, its parameters)."""


class AttestationsError(DispatchFailed):
    """A failed call of the attestations pallet (verifier rounds: commitments, reveals,
    challenges, its parameters)."""


class TeeError(DispatchFailed):
    """A failed call of the TEE pallet (enclave registration, attestation collateral, allowed
    measurements, accepted TCB statuses)."""


# The exception class of each OPG pallet's errors, by the pallet's name in the runtime.
PALLET_ERRORS: dict[str, type[DispatchFailed]] = {
    "ModelRegistry": ModelRegistryError,
    "Inference": InferenceError,
    "Nodes": NodesError,
    "Attestations": AttestationsError,
    "Tee": TeeError,
}


def dispatch_failed(call: str, pallet: str, error: str, docs: str, block_hash: str, fee: int,
                    events: list) -> DispatchFailed:
    """The exception for a failed dispatch: the pallet's own class for an OPG pallet, else
    `DispatchFailed`."""
    cls = PALLET_ERRORS.get(pallet, DispatchFailed)
    return cls(call, pallet, error, docs, block_hash, fee, events)
