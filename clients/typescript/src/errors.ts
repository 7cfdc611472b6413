/**
 * The errors of the OPG client, the same classes as the Python SDK's (`opg.errors`).
 *
 * Everything the client throws on purpose is a `ChainError`. A transaction that reached a block
 * and failed throws a `DispatchFailed` carrying the error's pallet, name and documentation as the
 * runtime's metadata gives them; failures of the OPG pallets throw the pallet's own subclass
 * (`InferenceError`, `ModelRegistryError`, `NodesError`, `AttestationsError`, `TeeError`), so a
 * dApp can catch one pallet's errors and branch on `error.error`:
 *
 *     try {
 *       await infer(api, signer, { model: 1, mode: "attested", input, maxFee: 1n });
 *     } catch (error) {
 *       if (error instanceof InferenceError && error.error === "FeeAboveMax") ...
 *     }
 */

import type { JobEvent, RefundReason } from "./events.js";

/** A transaction or RPC call failed; the message says why and, where it can, what to do. */
export class ChainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** An argument the client refused before sending anything (a tensor of the wrong shape, an
 * unknown mode, a price finer than the smallest unit); the message says what to fix. */
export class InvalidInput extends ChainError {}

/** No node answered at the URL, or it stopped answering. */
export class NodeUnreachable extends ChainError {}

/** The node refused a transaction before inclusion (it never reached a block): a bad
 * signature, a stale nonce, too little balance for the transaction fee. */
export class Refused extends ChainError {}

/** A transaction the node accepted was not seen in a block in time (it may still be), or a job
 * did not reach the awaited state in time. */
export class NotIncluded extends ChainError {}

/** A transaction was included in a block and its call failed with a dispatch error.
 *
 * `pallet` and `error` name the error (`Token`/`FundsUnavailable` for a token error,
 * `System`/`BadOrigin` for a bad origin), `docs` is its documentation from the runtime's
 * metadata; the transaction's fee was paid (`fee`, in planck). */
export class DispatchFailed extends ChainError {
  constructor(
    /** The call, `Pallet.call`, e.g. `Inference.request`. */
    readonly call: string,
    readonly pallet: string,
    readonly error: string,
    readonly docs: string,
    /** The block that holds the failed transaction. */
    readonly blockHash: string,
    /** The transaction fee it paid, in planck. */
    readonly fee: bigint,
  ) {
    super(`${call} failed: ${pallet}.${error}: ${docs}`);
  }

  /** `Pallet.Error`, e.g. `Inference.FeeAboveMax`. */
  get qualifiedName(): string {
    return `${this.pallet}.${this.error}`;
  }
}

/** A failed call of the model registry (publishing, uploading, pricing, curating models). */
export class ModelRegistryError extends DispatchFailed {}

/** A failed call of the inference pallet (requests, results, proofs, parameters). */
export class InferenceError extends DispatchFailed {}

/** A failed call of the nodes pallet (node registration, bonds, roles and role keys,
 * heartbeats, chilling, its parameters). */
export class NodesError extends DispatchFailed {}

/** A failed call of the attestations pallet (verifier rounds: commitments, reveals, challenges,
 * its parameters). */
export class AttestationsError extends DispatchFailed {}

/** A failed call of the TEE pallet (enclave registration, attestation collateral, allowed
 * measurements, accepted TCB statuses). */
export class TeeError extends DispatchFailed {}

const PALLET_ERRORS: Record<string, typeof DispatchFailed> = {
  ModelRegistry: ModelRegistryError,
  Inference: InferenceError,
  Nodes: NodesError,
  Attestations: AttestationsError,
  Tee: TeeError,
};

/** The exception for a failed dispatch: the pallet's own class for an OPG pallet. */
export function dispatchFailed(
  call: string,
  pallet: string,
  error: string,
  docs: string,
  blockHash: string,
  fee: bigint,
): DispatchFailed {
  const Class = PALLET_ERRORS[pallet] ?? DispatchFailed;
  return new Class(call, pallet, error, docs, blockHash, fee);
}

/** An inference job ended without a verified result and its fee went back to the requester.
 *
 * `reason` is the chain's `RefundReason` (`TimedOut`, `Rejected`, `Undecided`, `EngineFailed`
 * with the engine's message, `VerificationUnavailable`, `InvalidProofs`), `explanation` says it
 * for a person, `amount` is what was refunded (planck). */
export class JobRefunded extends ChainError {
  constructor(
    readonly job: number,
    readonly reason: RefundReason,
    readonly explanation: string,
    readonly amount: bigint,
    /** The block in which the job was refunded. */
    readonly blockNumber: number,
    /** Every event about the job, from its request to the refund. */
    readonly history: JobEvent[],
  ) {
    super(`job ${job} was refunded: ${explanation}`);
  }
}
