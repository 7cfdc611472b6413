/**
 * Inference jobs: quote a fee, request inference in any mode, follow the job block by block to
 * its verified result (or refund), and get typed output tensors back.
 *
 * A job moves JobRequested (queued) → JobAssigned → ResultSubmitted → (ResultVerified |
 * ProofVerified | TeeResultAccepted | the vanilla challenge window closing) → JobFinal, or ends
 * JobRefunded. The request's block names no node: the job is queued, and its node is drawn at
 * the start of the next block (or a later one, while no eligible node is free, until the
 * job's `queuedUntil`; then it is refunded with `NoNodeAvailable`). The client follows the
 * events of every block from the request's on, so it sees each step and the evidence of
 * verification, whichever mode.
 *
 * What a request costs (`quote`): the model's price, the mode's protocol fee, and
 * `outputByteFee` for each byte of the largest answer the model's declared outputs allow at the
 * request's batch (`outputBound`: answers are fee-free transactions, so the request pays for the
 * block space its answer takes). That total is held until the job is final (paid out) or
 * refunded. Beside it, `outputByteDeposit` a byte of the same bound is held until the job is
 * pruned (`retention` blocks after it ended), then handed back.
 */

import type { ApiPromise } from "@polkadot/api";
import type { Codec } from "@polkadot/types-codec/types";
import type { Header } from "@polkadot/types/interfaces";
import { stringToU8a, u8aToHex } from "@polkadot/util";

import { addressOf, type Signer, submit } from "./chain.js";
import { ChainError, InvalidInput, JobRefunded, NotIncluded } from "./errors.js";
import { blockJobEvents, decodeJobEvent, explainRefund, type JobEvent, type JobEventName, type Mode, MODES, stageOf } from "./events.js";
import { runnableVersion, supportsMode } from "./models.js";
import type { IoSchema, TensorSpec } from "./schema.js";
import { jobStatus } from "./status.js";
import { type ChainTensor, decodeTensors, fromChain, type Tensor, type TensorInput, toChain } from "./tensors.js";

/** The protocol fee parameter of each mode: a TEE job is one node's execution, as a vanilla one. */
const FEE_PARAMETER: Record<Mode, "vanillaFee" | "attestedFee" | "zkFee"> = {
  vanilla: "vanillaFee",
  attested: "attestedFee",
  zk: "zkFee",
  tee: "vanillaFee",
};

/** The most bytes an answer may take encoded where the runtime does not say
 * (`Inference.MaxOutputBytes`). */
export const DEFAULT_MAX_OUTPUT_BYTES = 65536;

/** How long `followJob` follows a job when told nothing (`wait` uses `jobPatienceMs`). */
export const DEFAULT_JOB_TIMEOUT_MS = 300_000;

/** Blocks a queued job is tried for (one draw a block) where the runtime does not say
 * (`Inference.AssignmentWait`). */
export const DEFAULT_ASSIGNMENT_WAIT = 10;

/**
 * How long a job in `mode` may take on this chain before something is wrong, from the governed
 * parameters in force: the wait for a node (`Inference.AssignmentWait` blocks at most; one
 * block when a node is free), two answer periods (one reassignment), then the verifier round
 * (attested), the challenge window (vanilla) or two more proving periods (ZK), at the chain's
 * block time, with half as much again and a minute to spare. A fixed timeout would give up on
 * every vanilla job of a production chain, whose challenge window is an hour.
 */
export async function jobPatienceMs(api: ApiPromise, mode: Mode): Promise<number> {
  // The verifier round's periods and the challenge window are the attestations pallet's (the
  // bonds and heartbeats are the nodes pallet's).
  const [inference, attestations] = (await Promise.all([
    api.query.inference.activeParameters(),
    api.query.attestations.activeParameters(),
  ])) as unknown as [AnyCodec, AnyCodec];
  const response = Number(inference.responsePeriod.toString());
  const assignmentWait = api.consts.inference?.assignmentWait;
  let blocks = (assignmentWait ? Number(assignmentWait.toString()) : DEFAULT_ASSIGNMENT_WAIT) + 2 * response + 2;
  if (mode === "attested") blocks += Number(attestations.commitPeriod.toString()) + Number(attestations.revealPeriod.toString()) + 2;
  else if (mode === "vanilla") blocks += Number(attestations.challengeWindow.toString());
  else if (mode === "zk") blocks += 2 * response;
  const slot = api.consts.babe?.expectedBlockTime;
  const msPerBlock = slot ? Number(slot.toString()) : 6_000;
  return blocks * msPerBlock * 1.5 + 60_000;
}

type AnyCodec = Codec & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function checkMode(mode: string): asserts mode is Mode {
  if (!MODES.includes(mode as Mode)) throw new InvalidInput(`unknown mode ${JSON.stringify(mode)}: use one of ${MODES.join(", ")}`);
}

/** The protocol fees now in force (`Inference.ActiveParameters`), in planck. */
export async function protocolFees(api: ApiPromise): Promise<Record<Mode, bigint>> {
  const parameters = (await api.query.inference.activeParameters()) as AnyCodec;
  const fee = (mode: Mode) => (parameters[FEE_PARAMETER[mode]] as AnyCodec).toBigInt() as bigint;
  return { vanilla: fee("vanilla"), attested: fee("attested"), zk: fee("zk"), tee: fee("tee") };
}

// The widths `largestEncoded` counts, as primitives/src/inference/tensor.rs does: a compact
// length takes at most 5 bytes for any u32, a number 17 (an i128 and its decimals). The runtime
// computes in u64: a bound beyond it is no bound.
const COMPACT = 5n;
const NUMBER = 17n;
const U64_MAX = (1n << 64n) - 1n;

const utf8Length = (text: string): number => new TextEncoder().encode(text).length;

/** The batch of a request: the largest first dimension among its `tensors` whose spec (in
 * `specs`, the schema's inputs, in the same order) has a dynamic first dimension; 1 when none
 * has. An answer's dynamic dimensions may be as large as this, so it sizes the answer a request
 * pays for (the runtime's `batch_of`). */
export function batchOf(tensors: ChainTensor[], specs: TensorSpec[]): number {
  let batch: number | undefined;
  tensors.forEach((tensor, i) => {
    const spec = specs[i];
    if (spec === undefined || spec.shape[0] !== "Dynamic" || tensor.shape.length === 0) return;
    batch = Math.max(batch ?? 0, tensor.shape[0]);
  });
  return batch ?? 1;
}

/** The most bytes a SCALE-encoded tensor set fitting `specs` (a schema's outputs) can take when
 * each dynamic dimension is `batch`, exactly as the runtime's `largest_encoded` counts them;
 * undefined when a string tensor makes it unbounded (strings have no size limit of their own),
 * or when it overflows the runtime's u64. */
export function largestEncoded(specs: TensorSpec[], batch: number): bigint | undefined {
  let total = COMPACT;
  for (const spec of specs) {
    if (spec.dtype === "String") return undefined;
    let elements = 1n;
    for (const dim of spec.shape) {
      elements *= BigInt(dim === "Dynamic" ? batch : dim.Fixed);
      if (elements > U64_MAX) return undefined;
    }
    if (elements * NUMBER > U64_MAX) return undefined;
    const name = COMPACT + BigInt(utf8Length(spec.name));
    const shape = COMPACT + 4n * BigInt(spec.shape.length);
    const values = 1n + COMPACT + elements * NUMBER;
    total += name + shape + values;
    if (total > U64_MAX) total = U64_MAX; // the runtime's adds saturate
  }
  return total;
}

/** The most bytes the answer to a request of `tensors` (the chain tensors `buildInput` makes;
 * undefined: a request of batch 1) may take encoded: what the request pays for, as the runtime
 * computes it. `most` is `Inference.MaxOutputBytes` (`maxOutputBytes`), the bound of a model
 * whose outputs do not bound their answer (strings). */
export function outputBound(schema: IoSchema, tensors: ChainTensor[] | undefined, most: number): number {
  const batch = tensors ? batchOf(tensors, schema.inputs) : 1;
  const largest = largestEncoded(schema.outputs, batch);
  return largest === undefined || largest > BigInt(most) ? most : Number(largest);
}

/** The most bytes any answer may take encoded (`Inference.MaxOutputBytes`). */
export function maxOutputBytes(api: ApiPromise): number {
  const most = api.consts.inference?.maxOutputBytes;
  return most ? Number(most.toString()) : DEFAULT_MAX_OUTPUT_BYTES;
}

/** What a request holds, in planck, as the chain's `FeeQuote` of its job says. */
export interface FeeQuote {
  /** The model's price. */
  price: bigint;
  /** The mode's protocol fee plus `outputByteFee` for each of the `outputBound` bytes. */
  protocolFee: bigint;
  /** `price + protocolFee`: held until the job is final (paid out) or refunded. `maxFee`
   * bounds this only. */
  total: bigint;
  /** `outputByteDeposit` for each of the `outputBound` bytes: held beside the fee until the
   * job is pruned, then handed back (paid to nobody). The requester needs `total +
   * outputDeposit` free. */
  outputDeposit: bigint;
  /** The most bytes the job's answer may take encoded, which the request pays for. */
  outputBound: number;
}

/** The per-byte parameters now in force (`Inference.ActiveParameters`), in planck: the fee and
 * the deposit for each byte of a request's largest answer (0 on a runtime from before output
 * fees). */
export async function outputByteRates(api: ApiPromise): Promise<{ fee: bigint; deposit: bigint }> {
  const parameters = (await api.query.inference.activeParameters()) as AnyCodec;
  const rate = (name: string) => (parameters[name] === undefined ? 0n : ((parameters[name] as AnyCodec).toBigInt() as bigint));
  return { fee: rate("outputByteFee"), deposit: rate("outputByteDeposit") };
}

/** The quote of a request in `mode` for a model priced `price` whose answer may take `bound`
 * bytes (`outputBound`), from the protocol fees and byte rates in force. */
function feeQuote(price: bigint, modeFee: bigint, rates: { fee: bigint; deposit: bigint }, bound: number): FeeQuote {
  const protocolFee = modeFee + rates.fee * BigInt(bound);
  return { price, protocolFee, total: price + protocolFee, outputDeposit: rates.deposit * BigInt(bound), outputBound: bound };
}

/** What a request for `model` in `mode` on `input` holds now (see `FeeQuote`): the fee, held
 * until the job ends, and the output deposit, held until it is pruned. Without `input` it
 * quotes a request of batch 1 (a larger batch pays for its larger answer). Throws InvalidInput
 * for an unknown mode, a model that takes no requests, or an input the model does not take. */
export async function quote(api: ApiPromise, model: number, mode: Mode, input?: Record<string, TensorInput>): Promise<FeeQuote> {
  checkMode(mode);
  const runnable = await runnableVersion(api, model);
  const tensors = input === undefined ? undefined : buildInput(runnable.info.schema, input);
  const [fees, rates] = await Promise.all([protocolFees(api), outputByteRates(api)]);
  return feeQuote(runnable.model.price, fees[mode], rates, outputBound(runnable.info.schema, tensors, maxOutputBytes(api)));
}

/** The fee, in planck, a request for `model` in `mode` on `input` holds until its job ends:
 * the model's price plus the protocol fee (the mode's, and the output byte fee of its largest
 * answer), the `total` of `quote` (which also says the output deposit held beside it until the
 * job is pruned). Without `input`, a request of batch 1. Throws InvalidInput for an unknown
 * mode or a model that takes no requests. */
export async function quoteFee(api: ApiPromise, model: number, mode: Mode, input?: Record<string, TensorInput>): Promise<bigint> {
  return (await quote(api, model, mode, input)).total;
}

/** The request's tensors, in the schema's order, from `input` (input name → values). */
export function buildInput(schema: IoSchema, input: Record<string, TensorInput>): ChainTensor[] {
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    throw new InvalidInput("the input must be an object from input name to values, e.g. {\"X\": [[5.1, 3.5, 1.4, 0.2]]}");
  }
  const names = schema.inputs.map((spec) => spec.name);
  const unknown = Object.keys(input).filter((name) => !names.includes(name));
  const missing = names.filter((name) => !(name in input));
  if (unknown.length || missing.length) {
    throw new InvalidInput(`the model takes inputs ${JSON.stringify(names)}; missing ${JSON.stringify(missing)}, unknown ${JSON.stringify(unknown.sort())}`);
  }
  return schema.inputs.map((spec) => toChain(spec, input[spec.name]));
}

/** Chain tensors as the `request` call's argument. Byte strings go as hex: polkadot.js would
 * read text that looks like hex (`0x…`) as hex, and a Uint8Array as already SCALE-encoded. */
function callTensors(tensors: ChainTensor[]): unknown[] {
  return tensors.map((tensor) => ({
    name: u8aToHex(stringToU8a(tensor.name)),
    shape: tensor.shape,
    values: "Strings" in tensor.values ? { Strings: tensor.values.Strings.map((s) => u8aToHex(s)) } : tensor.values,
  }));
}

export interface RequestOptions {
  /** The model's id. */
  model: number;
  /** `vanilla`, `attested`, `zk` or `tee`. */
  mode: Mode;
  /** Input name → values: nested arrays (`[[5.1, 3.5, 1.4, 0.2]]`), a scalar, or `{shape, data}`
   * with flat row-major data (a typed array). One item without the batch dimension is taken as
   * a batch of one. */
  input: Record<string, TensorInput>;
  /** The most fee the request may hold, in planck (default: the quote for this input). The
   * output deposit, held beside the fee until the job is pruned, is not bounded by it. */
  maxFee?: bigint;
}

/** A request the chain accepted. */
export interface RequestedJob {
  job: number;
  model: number;
  version: number;
  mode: Mode;
  /** The fee held for the job, in planck (the model's price plus the protocol fee), until it
   * ends. Its output deposit is held beside it until the job is pruned (`quote`). */
  fee: bigint;
  /** The transaction fee the request itself paid, in planck. */
  transactionFee: bigint;
  requester: string;
  /** The block that holds the request (where the job's history starts). */
  blockNumber: number;
  blockHash: string;
  /** The version's I/O schema (the outputs' declared dtypes). */
  schema: IoSchema;
  /** The job is queued in the request's block: its node is drawn at the start of the next
   * block (`JobAssigned`), or of a later one while no eligible node is free, up to this block;
   * after it the job is refunded (`NoNodeAvailable`). Undefined where the chain did not say. */
  queuedUntil?: number;
}

/**
 * Sends an inference request, holding the fee (at most `maxFee`; default the quote for its
 * input) and, until the job is pruned, its output deposit, and
 * returns once it is in a block, the job queued (its node is drawn in a later block: see
 * `RequestedJob.queuedUntil`). Throws InvalidInput before paying anything when the model, mode
 * or input is wrong, and the errors of `submit` after (`InferenceError` with the pallet's error
 * name and docs when the call fails; `NoInferenceNode` when the mode has no node at all).
 */
export async function request(api: ApiPromise, signer: Signer, options: RequestOptions): Promise<RequestedJob> {
  const { model, mode } = options;
  checkMode(mode);
  const runnable = await runnableVersion(api, model);
  if (!supportsMode(runnable.info.modes, mode)) {
    const allowed = (["vanilla", "attested", "zk"] as const).filter((m) => runnable.info.modes[m]);
    throw new InvalidInput(`model ${model} version ${runnable.version} does not run in ${mode} mode (it allows ${[...allowed, ...(runnable.info.modes.vanilla || runnable.info.modes.attested ? ["tee"] : [])].join(", ")})`);
  }
  const tensors = buildInput(runnable.info.schema, options.input);
  let maxFee = options.maxFee;
  if (maxFee === undefined) {
    const [fees, rates] = await Promise.all([protocolFees(api), outputByteRates(api)]);
    maxFee = feeQuote(runnable.model.price, fees[mode], rates, outputBound(runnable.info.schema, tensors, maxOutputBytes(api))).total;
  }
  const tx = api.tx.inference.request(model, runnable.version, callTensors(tensors), mode[0].toUpperCase() + mode.slice(1), maxFee);
  const included = await submit(api, signer, tx, { label: "Inference.request" });
  const requested = included.events
    .map((record) => decodeJobEvent(record, included.blockNumber, included.blockHash))
    .find((event): event is Extract<JobEvent, { name: "JobRequested" }> => event?.name === "JobRequested");
  if (!requested) throw new ChainError("the request is in a block but emitted no JobRequested event");
  // The job is paid for by now: a status this client cannot read leaves `queuedUntil` unknown.
  const status = await jobStatus(api, requested.job, included.blockHash).catch(() => undefined);
  return {
    job: requested.job,
    model,
    version: runnable.version,
    mode,
    fee: requested.fee,
    transactionFee: included.fee,
    requester: addressOf(signer),
    blockNumber: included.blockNumber,
    blockHash: included.blockHash,
    schema: runnable.info.schema,
    queuedUntil: status?.state === "Queued" ? status.until : undefined,
  };
}

export interface FollowOptions {
  /** Give up (NotIncluded) after this long; default: `jobPatienceMs` in `wait`, 300 s in
   * `followJob`. The job goes on after a timeout; its fee stays held until it ends. */
  timeoutMs?: number;
  /** Sees each event about the job as its block arrives: for live progress (`stageOf` the
   * events so far names the stage: `queued` from `JobRequested` until `JobAssigned`, which
   * comes a block later at the earliest). */
  onEvent?: (event: JobEvent) => void;
  /** Follow finalized blocks only (GRANDPA), not the best chain: slower, never reorganized. */
  finalized?: boolean;
}

/**
 * Reads each block from `since` (the request's block) on, collecting the events about `job`,
 * until one named in `until` appears; returns the history so far. Throws NotIncluded after
 * the timeout.
 */
export function followJob(
  api: ApiPromise,
  job: number,
  since: number,
  until: readonly JobEventName[],
  options: FollowOptions = {},
): Promise<JobEvent[]> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_JOB_TIMEOUT_MS;
  const history: JobEvent[] = [];
  return new Promise<JobEvent[]>((resolve, reject) => {
    let next = since;
    let head = -1;
    let busy = false;
    let done = false;
    let unsubscribe: (() => void) | undefined;
    const timer = setTimeout(() => {
      const seen = history.length ? history[history.length - 1].name : "nothing";
      const queued = history.length && stageOf(history) === "queued" ? "; the job is still queued: no node drawn for it yet" : "";
      finish(new NotIncluded(`job ${job}: no ${until.join(" or ")} within ${timeoutMs / 1000}s (last seen: ${seen}${queued})`));
    }, timeoutMs);
    function finish(error?: Error): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unsubscribe?.();
      if (error) reject(error);
      else resolve(history);
    }
    // Blocks are read in order, each once, however the head notifications arrive (several
    // blocks between two notifications are all read).
    async function pump(): Promise<void> {
      if (busy) return;
      busy = true;
      try {
        while (!done && next <= head) {
          for (const event of await blockJobEvents(api, job, next)) {
            history.push(event);
            options.onEvent?.(event);
            if (until.includes(event.name)) return finish();
          }
          next += 1;
        }
      } catch (error) {
        finish(error instanceof Error ? error : new ChainError(String(error)));
      } finally {
        busy = false;
      }
    }
    const onHead = (header: Header): void => {
      head = Math.max(head, header.number.toNumber());
      void pump();
    };
    (options.finalized ? api.rpc.chain.subscribeFinalizedHeads(onHead) : api.rpc.chain.subscribeNewHeads(onHead)).then(
      (unsub) => {
        if (done) unsub();
        else unsubscribe = unsub;
      },
      (error) => finish(new ChainError(`cannot follow the chain's blocks: ${error instanceof Error ? error.message : String(error)}`)),
    );
  });
}

/** What made the chain accept a result. */
export type Verification =
  | {
      /** Accepted against the node's bond when submitted (`acceptedAt`), final once the
       * challenge window closed (`blockNumber`) unchallenged, or once a dispute round upheld it
       * (`verifiers`, empty when nobody challenged). */
      kind: "vanilla";
      node: string;
      acceptedAt: number;
      blockNumber: number;
      verifiers: string[];
    }
  | {
      /** A quorum of the verifier committee (`verifiers`) re-executed it and agreed
       * (`ResultVerified` in `blockNumber`). */
      kind: "attested";
      node: string;
      blockNumber: number;
      verifiers: string[];
    }
  | {
      /** The node's Groth16 proof verified on chain (`ProofVerified` in `blockNumber`). */
      kind: "zk";
      node: string;
      blockNumber: number;
    }
  | {
      /** Signed by `enclaveKey`, the key of an enclave whose attestation the chain verified
       * (`TeeResultAccepted` in `blockNumber`); `insecure` for the dev chain's software
       * enclave, which no hardware vouches for. */
      kind: "tee";
      node: string;
      blockNumber: number;
      enclaveKey: string;
      insecure: boolean;
    };

/** How the chain split the fee (`JobFinal`), in planck. */
export interface Payouts {
  ownerPaid: bigint;
  nodePaid: bigint;
  verifiersPaid: bigint;
  treasuryPaid: bigint;
}

/** A verified, final result. */
export interface InferenceResult {
  job: number;
  model: number;
  version: number;
  mode: Mode;
  /** Each output by name, in its declared dtype (float32 bit for bit as ONNX Runtime computed
   * it). */
  outputs: Record<string, Tensor>;
  /** The fee the job paid, in planck (the model's price plus the protocol fee). */
  fee: bigint;
  /** How the fee was split. */
  payouts: Payouts;
  /** The transaction fee of the request itself, in planck. */
  transactionFee: bigint;
  verification: Verification;
  /** The block that holds the request. */
  requestBlock: { number: number; hash: string };
  /** The block in which the job became final (`JobFinal`). */
  finalBlock: { number: number; hash: string };
  /** Every event about the job, from JobRequested to JobFinal. */
  history: JobEvent[];
}

function last<N extends JobEventName>(history: JobEvent[], name: N): Extract<JobEvent, { name: N }> | undefined {
  for (let i = history.length - 1; i >= 0; i--) if (history[i].name === name) return history[i] as Extract<JobEvent, { name: N }>;
  return undefined;
}

/** The outputs of the accepted result: the last ResultSubmitted of the history (a reassigned
 * job's earlier answers never count), in each output's declared dtype. */
export function outputsOf(history: JobEvent[], schema: IoSchema): Record<string, Tensor> {
  const submitted = last(history, "ResultSubmitted");
  if (!submitted) throw new ChainError("the job's history holds no result");
  return tensorsByName(submitted.output, schema);
}

function tensorsByName(tensors: ChainTensor[], schema: IoSchema): Record<string, Tensor> {
  const dtypes = new Map(schema.outputs.map((spec) => [spec.name, spec.dtype]));
  const outputs: Record<string, Tensor> = {};
  for (const tensor of tensors) outputs[tensor.name] = fromChain(tensor, dtypes.get(tensor.name));
  return outputs;
}

/** The verification of a final job in `mode`, from its history. */
export function verificationOf(mode: Mode, history: JobEvent[]): Verification {
  const final = last(history, "JobFinal");
  if (!final) throw new ChainError("the job's history holds no JobFinal");
  const verified = last(history, "ResultVerified");
  switch (mode) {
    case "attested":
      return { kind: "attested", node: final.node, blockNumber: verified?.blockNumber ?? final.blockNumber, verifiers: verified?.verifiers ?? [] };
    case "zk":
      return { kind: "zk", node: final.node, blockNumber: last(history, "ProofVerified")?.blockNumber ?? final.blockNumber };
    case "tee": {
      const tee = last(history, "TeeResultAccepted");
      if (!tee) throw new ChainError("a final TEE job without TeeResultAccepted in its history");
      return { kind: "tee", node: final.node, blockNumber: tee.blockNumber, enclaveKey: tee.enclaveKey, insecure: tee.insecure };
    }
    case "vanilla":
      return { kind: "vanilla", node: final.node, acceptedAt: last(history, "ResultSubmitted")?.blockNumber ?? final.blockNumber, blockNumber: final.blockNumber, verifiers: verified?.verifiers ?? [] };
  }
}

function refunded(requested: RequestedJob, history: JobEvent[]): JobRefunded {
  const refund = last(history, "JobRefunded") as Extract<JobEvent, { name: "JobRefunded" }>;
  return new JobRefunded(requested.job, refund.reason, explainRefund(refund.reason), refund.amount, refund.blockNumber, history);
}

/**
 * Follows a requested job until it is final and returns its verified result. Throws
 * JobRefunded when the job ends without one (its `reason` says why), NotIncluded after the
 * timeout.
 */
export async function wait(api: ApiPromise, requested: RequestedJob, options: FollowOptions = {}): Promise<InferenceResult> {
  const timeoutMs = options.timeoutMs ?? (await jobPatienceMs(api, requested.mode));
  const history = await followJob(api, requested.job, requested.blockNumber, ["JobFinal", "JobRefunded"], { ...options, timeoutMs });
  const end = history[history.length - 1];
  if (end.name === "JobRefunded") throw refunded(requested, history);
  const final = end as Extract<JobEvent, { name: "JobFinal" }>;
  return {
    job: requested.job,
    model: requested.model,
    version: requested.version,
    mode: requested.mode,
    outputs: outputsOf(history, requested.schema),
    fee: requested.fee,
    payouts: { ownerPaid: final.ownerPaid, nodePaid: final.nodePaid, verifiersPaid: final.verifiersPaid, treasuryPaid: final.treasuryPaid },
    transactionFee: requested.transactionFee,
    verification: verificationOf(requested.mode, history),
    requestBlock: { number: requested.blockNumber, hash: requested.blockHash },
    finalBlock: { number: final.blockNumber, hash: final.blockHash },
    history,
  };
}

/** A vanilla result accepted against its node's bond, not final yet: anyone may challenge it
 * until the challenge window closes. */
export interface AcceptedResult {
  job: number;
  mode: "vanilla";
  outputs: Record<string, Tensor>;
  node: string;
  /** The block in which the result was accepted. */
  acceptedAt: number;
  fee: bigint;
  history: JobEvent[];
}

/**
 * Follows a vanilla job until its node's result is accepted against the node's bond (the
 * result is known then; `wait` continues until the challenge window closed and the job is
 * final). Throws InvalidInput for other modes (their results count only once verified).
 */
export async function waitForAcceptance(api: ApiPromise, requested: RequestedJob, options: FollowOptions = {}): Promise<AcceptedResult> {
  if (requested.mode !== "vanilla") throw new InvalidInput(`a ${requested.mode} result counts only once verified: use wait()`);
  const history = await followJob(api, requested.job, requested.blockNumber, ["ResultSubmitted", "JobFinal", "JobRefunded"], options);
  const end = history[history.length - 1];
  if (end.name === "JobRefunded") throw refunded(requested, history);
  const submitted = last(history, "ResultSubmitted") as Extract<JobEvent, { name: "ResultSubmitted" }>;
  return { job: requested.job, mode: "vanilla", outputs: outputsOf(history, requested.schema), node: submitted.node, acceptedAt: submitted.blockNumber, fee: requested.fee, history };
}

/**
 * Requests inference of `model` in `mode` on `input` and waits for the verified result:
 * `request` then `wait`. See those for the options and errors.
 */
export async function infer(api: ApiPromise, signer: Signer, options: RequestOptions & FollowOptions): Promise<InferenceResult> {
  const requested = await request(api, signer, options);
  return wait(api, requested, options);
}

/** The outputs the chain holds for `job` (`Inference.Outputs`, kept until the job is pruned),
 * in the declared dtypes of `schema` when given; undefined when it holds none. */
export async function jobOutput(api: ApiPromise, job: number, schema?: IoSchema): Promise<Record<string, Tensor> | undefined> {
  const stored = (await api.query.inference.outputs(job)) as AnyCodec;
  if (stored.isNone) return undefined;
  // The storage holds the SCALE encoding of `Tensors`: decode it with the type the request
  // call's `input` argument has in this runtime's metadata.
  const type = api.tx.inference.request.meta.args.find((arg) => arg.name.toString() === "input")?.type.toString() ?? "Vec<OpgPrimitivesInferenceTensor>";
  const tensors = decodeTensors(api.registry.createType(type, stored.unwrap().toU8a(true)));
  return tensorsByName(tensors, schema ?? { inputs: [], outputs: [] });
}
