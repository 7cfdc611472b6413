/**
 * `@opg/client`: the TypeScript client of OPG chain. Connect to any OPG node, publish ONNX
 * models, request verified inference and get typed tensors back.
 *
 *     import { connect, keypair, infer } from "@opg/client";
 *
 *     const api = await connect("ws://127.0.0.1:9944");
 *     const alice = await keypair("//Alice");
 *     const result = await infer(api, alice, { model: 1, mode: "attested", input: { X: [[5.1, 3.5, 1.4, 0.2]] } });
 *     result.outputs.probabilities.data;   // Float32Array, as ONNX Runtime computed it
 *     result.verification;                 // { kind: "attested", verifiers: [...], ... }
 *     result.fee;                          // planck paid (formatOpg(result.fee) for people)
 *
 * The same API as the Python SDK (`clients/python`), in TypeScript's idiom; docs/clients/
 * typescript.md describes it.
 */

export type { ApiPromise } from "@polkadot/api";
export { addressOf, connect, DEFAULT_URL, describeDispatchError, freeBalance, keypair, send, submit } from "./chain.js";
export type { ConnectOptions, Included, Signer, SubmitOptions } from "./chain.js";
export {
  AttestationsError,
  ChainError,
  DispatchFailed,
  InferenceError,
  InvalidInput,
  JobRefunded,
  ModelRegistryError,
  NodesError,
  NodeUnreachable,
  NotIncluded,
  Refused,
  TeeError,
} from "./errors.js";
export { blockJobEvents, decodeJobEvent, decodeRefundReason, explainRefund, JOB_STAGES, MODES, stageOf } from "./events.js";
export type { JobEvent, JobEventName, JobStage, Mode, RefundReason } from "./events.js";
export {
  batchOf,
  buildInput,
  DEFAULT_ASSIGNMENT_WAIT,
  DEFAULT_MAX_OUTPUT_BYTES,
  followJob,
  infer,
  jobOutput,
  jobPatienceMs,
  largestEncoded,
  maxOutputBytes,
  outputBound,
  outputByteRates,
  outputsOf,
  protocolFees,
  quote,
  quoteFee,
  request,
  verificationOf,
  wait,
  waitForAcceptance,
} from "./inference.js";
export type { AcceptedResult, FeeQuote, FollowOptions, InferenceResult, Payouts, RequestedJob, RequestOptions, Verification } from "./inference.js";
export {
  chunkHashes,
  chunks,
  contentId,
  contentIdFromHashes,
  describeZkKeyOrigin,
  getModel,
  getVersion,
  getZkKeyOrigin,
  listModels,
  modeSet,
  parseTolerance,
  runnableVersion,
  supportsMode,
  uploadModel,
  versionSpec,
} from "./models.js";
export type { ModelInfo, ModeSet, RunnableVersion, Tolerance, UploadOptions, UploadResult, VersionInfo, ZkArtifacts, ZkKeyOrigin } from "./models.js";
export { FLOAT32, FLOAT64, fixedToFloat, floatToFixed, formatFloat, shortestDecimal } from "./numbers.js";
export type { FixedPoint, FloatFormat } from "./numbers.js";
export { schemaFromOnnx } from "./onnx.js";
export { decodeJobStatus, describeJobStatus, JOB_STATES, jobStatus } from "./status.js";
export type { JobState, JobStatus } from "./status.js";
export { checkSchema, describeShape, DTYPES, SchemaError } from "./schema.js";
export type { Dim, Dtype, IoSchema, TensorSpec } from "./schema.js";
export { decodeTensors, formatElement, fromChain, TensorError, tensorToJSON, tensorToNested, toChain } from "./tensors.js";
export type { ChainTensor, NestedArray, Scalar, Tensor, TensorData, TensorInput, TypedArray } from "./tensors.js";
export { formatOpg, OPG, parseDecimal, toPlanck } from "./units.js";
