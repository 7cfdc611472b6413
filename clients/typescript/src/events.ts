/**
 * What the chain says about a job: the inference pallet's events, decoded into typed objects,
 * and the stage of its progress they show.
 *
 * A request's block emits only `JobRequested`: the job is queued, and its node is drawn at the
 * start of the next block (`JobAssigned`, one block after the request at the earliest), from
 * that block's randomness. A block that finds no eligible node leaves it queued for the next
 * one, up to `Inference.AssignmentWait` blocks; then it is refunded (`NoNodeAvailable`).
 */

import type { ApiPromise } from "@polkadot/api";
import type { Codec } from "@polkadot/types-codec/types";
import type { Event, EventRecord } from "@polkadot/types/interfaces";
import { u8aToString } from "@polkadot/util";

import { type ChainTensor, decodeTensors } from "./tensors.js";

/** The inference modes: how a result is verified before it is final. */
export type Mode = "vanilla" | "attested" | "zk" | "tee";
export const MODES: readonly Mode[] = ["vanilla", "attested", "zk", "tee"];

/** Why a job's fee went back to its requester (`RefundReason`); `message` is the engine's
 * error for `EngineFailed`. `NoNodeAvailable`: no eligible node could be drawn while the job
 * was queued, so it never ran. */
export interface RefundReason {
  kind: "TimedOut" | "EngineFailed" | "Rejected" | "Undecided" | "VerificationUnavailable" | "InvalidProofs" | "NoNodeAvailable";
  message?: string;
}

/** Where and about which job an event was emitted. */
export interface EventPlace {
  job: number;
  blockNumber: number;
  blockHash: string;
}

/** One event the chain emitted about a job, with its fields decoded (accounts as SS58
 * addresses, balances in planck as bigint). */
export type JobEvent = EventPlace &
  (
    | { name: "JobRequested"; requester: string; model: number; version: number; mode: Mode; fee: bigint }
    | { name: "JobAssigned"; node: string; deadline: number }
    | { name: "JobReassigned"; from: string; to: string; deadline: number }
    | { name: "AnswerCommitted"; node: string; commitment: string }
    | { name: "ResultSubmitted"; node: string; output: ChainTensor[]; outputHash: string }
    | { name: "ResultVerified"; verifiers: string[] }
    | { name: "ProofVerified"; node: string }
    | { name: "ProofRejected"; node: string; reason: string; attempts: number; slashed: bigint }
    | { name: "TeeResultAccepted"; node: string; enclaveKey: string; insecure: boolean }
    | { name: "JobFinal"; node: string; ownerPaid: bigint; nodePaid: bigint; verifiersPaid: bigint; treasuryPaid: bigint }
    | { name: "JobRefunded"; requester: string; amount: bigint; reason: RefundReason }
  );

export type JobEventName = JobEvent["name"];

type Field = Codec & { toNumber(): number; toBigInt(): bigint; isTrue: boolean; type: string };

/** The fields of an event by their metadata names (`output_hash`, `owner_paid`). */
function named(event: Event): Record<string, Field> {
  const fields: Record<string, Field> = {};
  event.meta.fields.forEach((field, index) => {
    fields[field.name.unwrapOr(`${index}`).toString()] = event.data[index] as Field;
  });
  return fields;
}

/** A `RefundReason` as polkadot.js decodes it (in an event or a job's status). */
export function decodeRefundReason(codec: Codec): RefundReason {
  const reason = codec as unknown as { type: RefundReason["kind"]; isEngineFailed: boolean; asEngineFailed: Codec };
  return reason.isEngineFailed
    ? { kind: "EngineFailed", message: u8aToString(reason.asEngineFailed.toU8a(true)) }
    : { kind: reason.type };
}

/** The job event of one event record, or undefined when it is not an inference event about a
 * job. */
export function decodeJobEvent(record: EventRecord, blockNumber: number, blockHash: string): JobEvent | undefined {
  const { event } = record;
  if (event.section !== "inference") return undefined;
  const f = named(event);
  if (!f.job) return undefined;
  const place: EventPlace = { job: f.job.toNumber(), blockNumber, blockHash };
  const account = (name: string) => f[name].toString();
  switch (event.method) {
    case "JobRequested":
      return { ...place, name: "JobRequested", requester: account("requester"), model: f.model.toNumber(), version: f.version.toNumber(), mode: f.mode.type.toLowerCase() as Mode, fee: f.fee.toBigInt() };
    case "JobAssigned":
      return { ...place, name: "JobAssigned", node: account("node"), deadline: f.deadline.toNumber() };
    case "JobReassigned":
      return { ...place, name: "JobReassigned", from: account("from"), to: account("to"), deadline: f.deadline.toNumber() };
    case "AnswerCommitted":
      return { ...place, name: "AnswerCommitted", node: account("node"), commitment: f.commitment.toHex() };
    case "ResultSubmitted":
      return { ...place, name: "ResultSubmitted", node: account("node"), output: decodeTensors(f.output), outputHash: f.output_hash.toHex() };
    case "ResultVerified":
      return { ...place, name: "ResultVerified", verifiers: Array.from(f.verifiers as unknown as Codec[], (v) => v.toString()) };
    case "ProofVerified":
      return { ...place, name: "ProofVerified", node: account("node") };
    case "ProofRejected":
      return { ...place, name: "ProofRejected", node: account("node"), reason: f.reason.type, attempts: f.attempts.toNumber(), slashed: f.slashed.toBigInt() };
    case "TeeResultAccepted":
      return { ...place, name: "TeeResultAccepted", node: account("node"), enclaveKey: f.enclave_key.toHex(), insecure: f.insecure.isTrue };
    case "JobFinal":
      return { ...place, name: "JobFinal", node: account("node"), ownerPaid: f.owner_paid.toBigInt(), nodePaid: f.node_paid.toBigInt(), verifiersPaid: f.verifiers_paid.toBigInt(), treasuryPaid: f.treasury_paid.toBigInt() };
    case "JobRefunded":
      return { ...place, name: "JobRefunded", requester: account("requester"), amount: f.amount.toBigInt(), reason: decodeRefundReason(f.reason) };
    default:
      return undefined;
  }
}

/** The refund reason for a person. */
export function explainRefund(reason: RefundReason): string {
  switch (reason.kind) {
    case "EngineFailed":
      return `ONNX Runtime cannot run the model on this input: ${reason.message ?? ""}`;
    case "TimedOut":
      return "no node answered in time";
    case "Rejected":
      return "verifiers rejected the result";
    case "Undecided":
      return "verifiers reached no quorum";
    case "VerificationUnavailable":
      return "no verifier round could be opened; the node is not blamed";
    case "InvalidProofs":
      return "the nodes' ZK proofs did not verify";
    case "NoNodeAvailable":
      return "no eligible inference node could be drawn for the job while it was queued (every node of its mode stale, chilled or gone); it never ran";
  }
}

/** A job's progress as a person follows it, in order: its request is in a block and it waits
 * for a node to be drawn (queued), a node must answer (assigned), it answered (submitted), the
 * answer was verified the mode's way (verified), it is paid out (final); or it ended without a
 * result (refunded). The web page shows these stages. */
export type JobStage = "queued" | "assigned" | "submitted" | "verified" | "final" | "refunded";
export const JOB_STAGES: readonly JobStage[] = ["queued", "assigned", "submitted", "verified", "final", "refunded"];

/** The stage a job's history so far (from its request on) shows: `queued` until a
 * `JobAssigned`, which comes a block after the request at the earliest. */
export function stageOf(history: readonly JobEvent[]): JobStage {
  let stage: JobStage = "queued";
  for (const event of history) {
    switch (event.name) {
      case "JobAssigned":
      case "JobReassigned":
        stage = "assigned";
        break;
      case "AnswerCommitted":
      case "ResultSubmitted":
        stage = "submitted";
        break;
      case "ResultVerified":
      case "ProofVerified":
      case "TeeResultAccepted":
        stage = "verified";
        break;
      case "JobFinal":
        stage = "final";
        break;
      case "JobRefunded":
        stage = "refunded";
        break;
    }
  }
  return stage;
}

/** The events about `job` in the block at `blockNumber` of the best chain (decoded with the
 * runtime of that block, so a runtime upgrade in between changes nothing). */
export async function blockJobEvents(api: ApiPromise, job: number, blockNumber: number): Promise<JobEvent[]> {
  const blockHash = (await api.rpc.chain.getBlockHash(blockNumber)).toHex();
  const at = await api.at(blockHash);
  const records = (await at.query.system.events()) as unknown as EventRecord[];
  const found: JobEvent[] = [];
  for (const record of records) {
    const decoded = decodeJobEvent(record, blockNumber, blockHash);
    if (decoded && decoded.job === job) found.push(decoded);
  }
  return found;
}
