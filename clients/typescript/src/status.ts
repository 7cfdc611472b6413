/**
 * Where a job stands now: its status as the chain holds it (`Inference.Jobs`), decoded, and one
 * line for a person. The same states as the Python SDK's `opg.jobs` (`describe`).
 *
 * A job starts `Queued`: the block that includes its request names no node; one is drawn at the
 * start of the next block, from that block's randomness, or of a later one when no eligible
 * node is free then, up to the block `until`, after which the job is refunded
 * (`NoNodeAvailable`). Then `Assigned` → `Accepted` (vanilla) or `Verifying` → `Final`, or
 * `Refunded`.
 */

import type { ApiPromise } from "@polkadot/api";
import type { Codec } from "@polkadot/types-codec/types";

import { decodeRefundReason, explainRefund, type RefundReason } from "./events.js";

/** A job's status (`JobStatus`), accounts as SS58 addresses. */
export type JobStatus =
  | {
      /** Waiting for a node: one is drawn at the start of the next block; `until` is the last
       * block that tries (the job is refunded with `NoNodeAvailable` after it). */
      state: "Queued";
      until: number;
    }
  | {
      /** `node` must answer before block `deadline`; `reassigned` when it is the job's second
       * node, after the first one never answered. */
      state: "Assigned";
      node: string;
      deadline: number;
      reassigned: boolean;
    }
  | {
      /** Vanilla: `node`'s result is accepted against its bond, open to challenge. */
      state: "Accepted";
      node: string;
    }
  | {
      /** A verifier committee is re-executing `node`'s result. */
      state: "Verifying";
      node: string;
    }
  | {
      /** Final (and paid out) in block `at`. */
      state: "Final";
      node: string;
      at: number;
    }
  | {
      /** The fee went back to the requester in block `at`. */
      state: "Refunded";
      reason: RefundReason;
      at: number;
    };

export type JobState = JobStatus["state"];

/** The states in the order a job moves through them; `Final` and `Refunded` end it. */
export const JOB_STATES: readonly JobState[] = ["Queued", "Assigned", "Accepted", "Verifying", "Final", "Refunded"];

type AnyCodec = Codec & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const num = (codec: AnyCodec): number => Number(codec.toString());

/** A `JobStatus` as polkadot.js decodes it (the `status` of an `Inference.Jobs` record). */
export function decodeJobStatus(codec: Codec): JobStatus {
  const status = codec as AnyCodec;
  const state = status.type as JobState;
  const fields = status[`as${state}`] as AnyCodec;
  switch (state) {
    case "Queued":
      return { state, until: num(fields.until) };
    case "Assigned":
      return { state, node: fields.node.toString(), deadline: num(fields.deadline), reassigned: fields.reassigned.isTrue };
    case "Accepted":
    case "Verifying":
      return { state, node: fields.node.toString() };
    case "Final":
      return { state, node: fields.node.toString(), at: num(fields.at) };
    case "Refunded":
      return { state, reason: decodeRefundReason(fields.reason), at: num(fields.at) };
    default:
      throw new Error(`unknown job status ${String(state)}: this client is older than the chain's runtime`);
  }
}

/** The status of `job` in the best block (or in the block `blockHash`); undefined when the chain
 * holds no such job (it never existed, or it was pruned). */
export async function jobStatus(api: ApiPromise, job: number, blockHash?: string): Promise<JobStatus | undefined> {
  const at = blockHash === undefined ? api : await api.at(blockHash);
  const stored = (await at.query.inference.jobs(job)) as AnyCodec;
  if (stored.isNone) return undefined;
  return decodeJobStatus((stored.unwrap() as AnyCodec).status);
}

/** One line for a person saying where a job stands. */
export function describeJobStatus(status: JobStatus): string {
  const short = (address: string) => `${address.slice(0, 8)}…`;
  switch (status.state) {
    case "Queued":
      return `queued: its node is drawn at the start of the next block (tried until block #${status.until}; refunded if none is free by then)`;
    case "Assigned":
      return `assigned to ${short(status.node)}, answer due by block #${status.deadline}${status.reassigned ? " (reassigned)" : ""}`;
    case "Accepted":
      return `result from ${short(status.node)} accepted against its bond; final when the challenge window closes`;
    case "Verifying":
      return `result from ${short(status.node)}; verifiers re-executing it`;
    case "Final":
      return `final at block #${status.at}: verified and paid`;
    case "Refunded":
      return `refunded at block #${status.at}: ${explainRefund(status.reason)}`;
  }
}
