/**
 * The model registry: read models and their versions, and publish an ONNX model (register it,
 * then upload its bytes in chunks), as `scripts/upload-model.sh` does.
 *
 * The content id, version 2 (primitives/src/model/content.rs): the bytes cut into chunks of
 * the registry's `ChunkSize` (64 KiB on the OPG runtime, the last one shorter), each hashed
 * with blake2-256, then
 *
 *     content_id = blake2_256("opg:model:v2" ++ u32_le(chunk_size) ++ u64_le(byte_size)
 *                             ++ h_0 ++ ... ++ h_{n-1})
 */

import type { ApiPromise } from "@polkadot/api";
import type { Codec } from "@polkadot/types-codec/types";
import { stringToU8a, u8aConcat, u8aToHex, u8aToString } from "@polkadot/util";
import { blake2AsU8a } from "@polkadot/util-crypto";

import { addressOf, type Included, poolNonce, send, type Signer, submit } from "./chain.js";
import { ChainError, InvalidInput, NotIncluded } from "./errors.js";
import type { Mode } from "./events.js";
import { schemaFromOnnx } from "./onnx.js";
import { checkSchema, type Dim, type Dtype, type IoSchema, MAX_DESCRIPTION_LEN, MAX_NAME_LEN, type TensorSpec } from "./schema.js";
import { parseDecimal } from "./units.js";

export const CONTENT_ID_DOMAIN = "opg:model:v2";
/** Chunks sent before waiting for the last one's inclusion: 24 × 64 KiB = 1.5 MiB, well inside
 * a block's length limit. */
export const UPLOAD_WINDOW = 24;

/** The modes a version may run in (TEE runs any version that allows vanilla or attested). */
export interface ModeSet {
  vanilla: boolean;
  attested: boolean;
  zk: boolean;
}

/** How far verifiers' float outputs may differ from the node's and still agree with it:
 * `absoluteE9` in units of 10^-9, `relative` in parts per billion. */
export interface Tolerance {
  absoluteE9: number;
  relative: number;
}

/** A ZK version's artifacts (`opg-node zk-setup`'s verifying_key.bin and setup.json). */
export interface ZkArtifacts {
  verifyingKey: Uint8Array;
  /** `0x`-prefixed blake2-256 of the proving key. */
  provingKeyHash: string;
  constraints: number;
}

/** A model in the catalogue. */
export interface ModelInfo {
  id: number;
  owner: string;
  name: string;
  description: string;
  /** Price of one call, in planck. */
  price: bigint;
  status: "Active" | "Deprecated";
  suspended: boolean;
  /** The version new requests run (null until one is complete and approved). */
  activeVersion: number | null;
  latestVersion: number;
  uploading: number | null;
  /** Whether it takes requests now: active, not suspended, with an active version. */
  runnable: boolean;
}

/** One version of a model. */
export interface VersionInfo {
  contentId: string;
  byteSize: number;
  chunkCount: number;
  chunkSize: number;
  schema: IoSchema;
  modes: ModeSet;
  tolerance: Tolerance;
  approved: boolean;
  registeredAt: number;
  completedAt: number | null;
}

type AnyCodec = Codec & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function decodeModel(id: number, codec: AnyCodec): ModelInfo {
  const status = codec.status.type as "Active" | "Deprecated";
  const activeVersion = codec.activeVersion.isSome ? codec.activeVersion.unwrap().toNumber() : null;
  const suspended = codec.suspended.isTrue as boolean;
  return {
    id,
    owner: codec.owner.toString(),
    name: u8aToString(codec.name.toU8a(true)),
    description: u8aToString(codec.description.toU8a(true)),
    price: codec.price.toBigInt(),
    status,
    suspended,
    activeVersion,
    latestVersion: codec.latestVersion.toNumber(),
    uploading: codec.uploading.isSome ? codec.uploading.unwrap().toNumber() : null,
    runnable: status === "Active" && !suspended && activeVersion !== null,
  };
}

function decodeSpec(codec: AnyCodec): TensorSpec {
  return {
    name: u8aToString(codec.name.toU8a(true)),
    dtype: codec.dtype.type as Dtype,
    shape: Array.from(codec.shape as AnyCodec[], (dim): Dim => (dim.isFixed ? { Fixed: dim.asFixed.toNumber() } : "Dynamic")),
  };
}

function decodeVersion(codec: AnyCodec): VersionInfo {
  return {
    contentId: codec.contentId.toHex(),
    byteSize: codec.byteSize.toNumber(),
    chunkCount: codec.chunkCount.toNumber(),
    chunkSize: codec.chunkSize.toNumber(),
    schema: {
      inputs: Array.from(codec.schema.inputs as AnyCodec[], decodeSpec),
      outputs: Array.from(codec.schema.outputs as AnyCodec[], decodeSpec),
    },
    modes: { vanilla: codec.modes.vanilla.isTrue, attested: codec.modes.attested.isTrue, zk: codec.modes.zk.isTrue },
    tolerance: { absoluteE9: codec.tolerance.absoluteE9.toNumber(), relative: codec.tolerance.relative.toNumber() },
    approved: codec.approved.isTrue,
    registeredAt: codec.registeredAt.toNumber(),
    completedAt: codec.completedAt.isSome ? codec.completedAt.unwrap().toNumber() : null,
  };
}

/** The model's record, or undefined when there is no such model. */
export async function getModel(api: ApiPromise, id: number): Promise<ModelInfo | undefined> {
  const found = (await api.query.modelRegistry.models(id)) as AnyCodec;
  return found.isSome ? decodeModel(id, found.unwrap()) : undefined;
}

/** A version's record, or undefined when there is no such version. */
export async function getVersion(api: ApiPromise, id: number, version: number): Promise<VersionInfo | undefined> {
  const found = (await api.query.modelRegistry.versions(id, version)) as AnyCodec;
  return found.isSome ? decodeVersion(found.unwrap()) : undefined;
}

/** Every model in the catalogue (only those that take requests now, unless `all`), by id. */
export async function listModels(api: ApiPromise, options: { all?: boolean } = {}): Promise<ModelInfo[]> {
  const entries = await api.query.modelRegistry.models.entries();
  return entries
    .map(([key, value]) => decodeModel((key.args[0] as AnyCodec).toNumber(), (value as AnyCodec).unwrap()))
    .filter((model) => options.all || model.runnable)
    .sort((a, b) => a.id - b.id);
}

/**
 * How a ZK version's key was made, as the registry records it (`ModelRegistry.ZkKeyOrigins`):
 * by the chain's ceremony (`contributions` in all, `drawn` of them by drawn verifier nodes: the
 * key is sound if any one contributor destroyed its secret), still in its ceremony (the version
 * does not run yet), or by one party on a dev chain (INSECURE: whoever made it forges proofs).
 */
export type ZkKeyOrigin =
  | { kind: "ceremony"; contributions: number; drawn: number }
  | { kind: "ceremonyRunning" }
  | { kind: "insecureTestSetup" };

/** The origin of `version`'s ZK key, or undefined for a version without ZK mode. */
export async function getZkKeyOrigin(api: ApiPromise, id: number, version: number): Promise<ZkKeyOrigin | undefined> {
  const found = (await api.query.modelRegistry.zkKeyOrigins(id, version)) as AnyCodec;
  if (!found.isSome) return undefined;
  const origin = found.unwrap();
  if (origin.isCeremony) {
    return { kind: "ceremony", contributions: origin.asCeremony.contributions.toNumber(), drawn: origin.asCeremony.drawn.toNumber() };
  }
  return origin.isCeremonyRunning ? { kind: "ceremonyRunning" } : { kind: "insecureTestSetup" };
}

/** A ZK key's origin in words, as a page shows it beside the model. */
export function describeZkKeyOrigin(origin: ZkKeyOrigin): string {
  switch (origin.kind) {
    case "ceremony":
      return `ZK key made by the chain's ceremony: ${origin.contributions} contributions, ${origin.drawn} by drawn verifier nodes`;
    case "ceremonyRunning":
      return "ZK key ceremony still running: the version does not run yet";
    case "insecureTestSetup":
      return "INSECURE ZK key made by one party (dev chains only): whoever made it can forge proofs";
  }
}

/** What a request for `model` runs now: its active version, that version's record, the price. */
export interface RunnableVersion {
  model: ModelInfo;
  version: number;
  info: VersionInfo;
}

/** The version `model` runs now; InvalidInput when it does not exist or takes no requests. */
export async function runnableVersion(api: ApiPromise, model: number): Promise<RunnableVersion> {
  const info = await getModel(api, model);
  if (!info) throw new InvalidInput(`model ${model} does not exist`);
  if (!info.runnable || info.activeVersion === null) {
    throw new InvalidInput(`model ${model} accepts no requests now (suspended, deprecated or without an approved complete version)`);
  }
  const version = await getVersion(api, model, info.activeVersion);
  if (!version) throw new ChainError(`model ${model} names version ${info.activeVersion}, which the chain does not hold`);
  return { model: info, version: info.activeVersion, info: version };
}

/** Whether a version with `modes` runs requests in `mode`. */
export function supportsMode(modes: ModeSet, mode: Mode): boolean {
  return mode === "tee" ? modes.vanilla || modes.attested : modes[mode];
}

// -------------------------------------------------------------------------------------------
// Content ids

/** `data` cut into chunks of `chunkSize` bytes, the last one shorter. */
export function chunks(data: Uint8Array, chunkSize: number): Uint8Array[] {
  if (!(chunkSize > 0)) throw new RangeError("the chunk size must be positive");
  const parts: Uint8Array[] = [];
  for (let at = 0; at < data.length; at += chunkSize) parts.push(data.subarray(at, at + chunkSize));
  return parts;
}

/** The blake2-256 hash of each chunk of `data`. */
export function chunkHashes(data: Uint8Array, chunkSize: number): Uint8Array[] {
  return chunks(data, chunkSize).map((chunk) => blake2AsU8a(chunk, 256));
}

/** The content id (v2) of a model of `byteSize` bytes whose chunks hash to `hashes`. */
export function contentIdFromHashes(chunkSize: number, byteSize: number, hashes: Uint8Array[]): Uint8Array {
  const sizes = new Uint8Array(12);
  const view = new DataView(sizes.buffer);
  view.setUint32(0, chunkSize, true);
  view.setBigUint64(4, BigInt(byteSize), true);
  return blake2AsU8a(u8aConcat(stringToU8a(CONTENT_ID_DOMAIN), sizes, ...hashes), 256);
}

/** The content id (v2) of `data` uploaded in chunks of `chunkSize` bytes. */
export function contentId(data: Uint8Array, chunkSize: number): Uint8Array {
  return contentIdFromHashes(chunkSize, data.length, chunkHashes(data, chunkSize));
}

// -------------------------------------------------------------------------------------------
// Publishing

/** The registry's ModeSet of mode names (`vanilla`, `attested`, `zk`). */
export function modeSet(names: readonly string[], hasZkArtifacts: boolean): ModeSet {
  const modes = new Set(names.map((name) => name.trim().toLowerCase()).filter(Boolean));
  const unknown = [...modes].filter((mode) => !["vanilla", "attested", "zk"].includes(mode));
  if (unknown.length) throw new InvalidInput(`unknown mode(s) ${JSON.stringify(unknown)}: use vanilla, attested and/or zk (TEE mode runs any model that allows vanilla or attested)`);
  if (modes.has("zk") && !hasZkArtifacts) throw new InvalidInput("zk mode needs the model's ZK artifacts (scripts/zk-prepare.sh setup MODEL --out DIR): pass them as `zk`");
  if (hasZkArtifacts && !modes.has("zk")) throw new InvalidInput("ZK artifacts given without zk among the modes (add \"zk\")");
  if (modes.size === 0) throw new InvalidInput("no mode given: use vanilla, attested and/or zk");
  return { vanilla: modes.has("vanilla"), attested: modes.has("attested"), zk: modes.has("zk") };
}

/** The registry's Tolerance: an absolute tolerance for float outputs (default 1e-5, what ONNX
 * Runtime's float kernels may differ by across CPUs on small models); exact (0) for models
 * without float outputs. `text` is a decimal such as `"1e-5"`. */
export function parseTolerance(text: string | undefined, schema: IoSchema): Tolerance {
  const floats = schema.outputs.some((tensor) => tensor.dtype === "Float32" || tensor.dtype === "Float64");
  if (text === undefined) return { absoluteE9: floats ? 10_000 : 0, relative: 0 };
  const parsed = parseDecimal(text);
  if (!parsed) throw new InvalidInput(`tolerance ${JSON.stringify(text)} is not a number (e.g. 1e-5)`);
  if (parsed.value < 0n || parsed.decimals > 9) throw new InvalidInput(`tolerance ${JSON.stringify(text)}: give a multiple of 1e-9 between 0 and 4.29`);
  const units = parsed.value * 10n ** BigInt(9 - parsed.decimals);
  if (units > 0xffffffffn) throw new InvalidInput(`tolerance ${JSON.stringify(text)}: give a multiple of 1e-9 between 0 and 4.29`);
  if (units > 0n && !floats) throw new InvalidInput("tolerance: this model has no float outputs, so its results are exact and its tolerance must be 0");
  return { absoluteE9: Number(units), relative: 0 };
}

/** The registry's VersionSpec (the `version` argument of register_model and add_version). */
export function versionSpec(data: Uint8Array, schema: IoSchema, modes: ModeSet, chunkSize: number, tolerance: Tolerance, zk?: ZkArtifacts): Record<string, unknown> {
  const hashes = chunkHashes(data, chunkSize);
  // Byte strings go as hex: polkadot.js would read text that looks like hex (`0x…`) as hex,
  // and a Uint8Array as already SCALE-encoded (length first).
  const spec = (tensor: TensorSpec) => ({ name: u8aToHex(stringToU8a(tensor.name)), dtype: tensor.dtype, shape: tensor.shape });
  return {
    schema: { inputs: schema.inputs.map(spec), outputs: schema.outputs.map(spec) },
    modes,
    tolerance,
    zk: zk ? { verifyingKey: u8aToHex(zk.verifyingKey), provingKeyHash: zk.provingKeyHash, constraints: zk.constraints } : null,
    contentId: contentIdFromHashes(chunkSize, data.length, hashes),
    byteSize: data.length,
    chunkHashes: hashes,
  };
}

export interface UploadOptions {
  /** The model's name, at most 64 bytes (required unless `modelId` adds a version). */
  name?: string;
  /** What the model does, at most 1024 bytes. */
  description?: string;
  /** Price of one call, in planck (`toPlanck("0.01")`); default 0. */
  price?: bigint;
  /** The modes it may run in (default vanilla and attested; zk needs `zk`). */
  modes?: readonly Mode[] | ModeSet;
  /** The I/O schema; default: read from the ONNX bytes (`schemaFromOnnx`). */
  schema?: IoSchema;
  /** Absolute tolerance of float outputs, e.g. `"1e-5"` (the default for float outputs). */
  tolerance?: string;
  /** ZK artifacts (zk mode). */
  zk?: ZkArtifacts;
  /** Add the bytes as a new version of this model (owned by the signer) instead. */
  modelId?: number;
  /** Chunks sent before waiting for a block (default 24). */
  window?: number;
  /** Sees the upload's progress: chunks the chain holds of all. */
  onProgress?: (progress: { modelId: number; version: number; uploaded: number; chunks: number }) => void;
}

export interface UploadResult {
  modelId: number;
  version: number;
  /** `0x`-prefixed content id of the bytes. */
  contentId: string;
  byteSize: number;
  chunks: number;
  /** The block that holds the registration (undefined when an earlier run registered it). */
  registeredIn?: string;
  /** The block that holds the last chunk (undefined when nothing was left to send). */
  completedIn?: string;
  /** The chunk an interrupted upload resumed from, if it was one. */
  resumedFrom?: number;
  /** Whether the signer had uploaded these exact bytes before (nothing was sent). */
  alreadyUploaded: boolean;
  /** Whether the version is the one requests run now (false while governance approval is
   * pending, where the chain requires it). */
  active: boolean;
}

type Found = { modelId: number; version: number; complete: boolean };

/** The version of these bytes `owner` registered, if any, and whether its upload is complete. */
async function findExisting(api: ApiPromise, owner: string, content: Uint8Array): Promise<Found | undefined> {
  const found = (await api.query.modelRegistry.contentByOwner(owner, content)) as AnyCodec;
  if (found.isNone) return undefined;
  const [modelId, version] = (found.unwrap() as AnyCodec[]).map((n) => n.toNumber() as number);
  const upload = (await api.query.modelRegistry.uploads(modelId, version)) as AnyCodec;
  if (upload.isSome) return { modelId, version, complete: false };
  const record = await getVersion(api, modelId, version);
  if (!record) throw new ChainError(`the chain lists these bytes as model ${modelId} version ${version} of yours, but that version is gone`);
  if (record.completedAt === null) throw new ChainError(`model ${modelId} version ${version} holds these bytes but is neither uploading nor complete`);
  return { modelId, version, complete: true };
}

/** The chunk the chain expects next (`count` once the upload is complete). */
async function nextChunk(api: ApiPromise, modelId: number, version: number, count: number): Promise<number> {
  const upload = (await api.query.modelRegistry.uploads(modelId, version)) as AnyCodec;
  if (upload.isSome) return upload.unwrap().nextChunk.toNumber();
  if (!(await getVersion(api, modelId, version))) {
    throw new ChainError(`model ${modelId} version ${version} is gone: its upload expired before it was complete; upload again to register it anew`);
  }
  return count;
}

/** Waits until none of `address`'s transactions is still in the node's pool (an interrupted
 * run may have left chunks there), so that the progress read next is final. */
async function waitForOwnPool(api: ApiPromise, address: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const onChain = ((await api.query.system.account(address)) as AnyCodec).nonce.toNumber();
    if ((await poolNonce(api, address)) <= onChain) return;
    if (Date.now() > deadline) throw new NotIncluded(`transactions of ${address} stayed in the node's pool for ${timeoutMs / 1000}s; try again later`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function findEvent(included: Included, method: string): AnyCodec | undefined {
  return included.events.find(({ event }) => event.section === "modelRegistry" && event.method === method)?.event as AnyCodec | undefined;
}

/**
 * Publishes the ONNX model `data`: registers it as a new model (or, with `modelId`, a new
 * version of that model), then uploads its chunks, `window` at a time. An interrupted upload
 * of the same bytes by the same signer resumes where the chain says it stopped; bytes the
 * signer already uploaded are not sent again (`alreadyUploaded`).
 *
 * Throws InvalidInput before sending anything when an argument is wrong (the schema, the name,
 * the modes), and the errors of `submit` after.
 */
export async function uploadModel(api: ApiPromise, signer: Signer, data: Uint8Array, options: UploadOptions = {}): Promise<UploadResult> {
  // Everything is checked before the first transaction.
  const schema = options.schema ?? schemaFromOnnx(data);
  checkSchema(schema);
  const modes: ModeSet = Array.isArray(options.modes) || options.modes === undefined
    ? modeSet((options.modes as readonly string[] | undefined) ?? ["vanilla", "attested"], options.zk !== undefined)
    : (options.modes as ModeSet);
  const tolerance = parseTolerance(options.tolerance, schema);
  const price = options.price ?? 0n;
  if (price < 0n || price >= 1n << 128n) throw new InvalidInput(`price ${price} is not an amount of planck`);
  const window = options.window ?? UPLOAD_WINDOW;
  if (!Number.isInteger(window) || window < 1) throw new InvalidInput("window must be a positive integer");
  const name = stringToU8a(options.name ?? "");
  const description = stringToU8a(options.description ?? "");
  if (options.modelId === undefined) {
    if (name.length === 0) throw new InvalidInput("the model name is empty: give a name");
    if (name.length > MAX_NAME_LEN) throw new InvalidInput(`the name is ${name.length} bytes; the registry allows at most ${MAX_NAME_LEN} (UTF-8)`);
    if (description.length > MAX_DESCRIPTION_LEN) throw new InvalidInput(`the description is ${description.length} bytes; the registry allows at most ${MAX_DESCRIPTION_LEN} (UTF-8)`);
  }
  if (data.length === 0) throw new InvalidInput("the model is empty");
  const chunkSize = (api.consts.modelRegistry.chunkSize as AnyCodec).toNumber() as number;
  const maxChunks = (api.consts.modelRegistry.maxChunks as AnyCodec).toNumber() as number;
  const parts = chunks(data, chunkSize);
  if (parts.length > maxChunks) {
    throw new InvalidInput(`the model is ${data.length} bytes, ${parts.length} chunks of ${chunkSize} bytes; the registry holds at most ${maxChunks} chunks (${maxChunks * chunkSize} bytes)`);
  }
  const spec = versionSpec(data, schema, modes, chunkSize, tolerance, options.zk);
  const content = spec.contentId as Uint8Array;
  const owner = addressOf(signer);
  const result: UploadResult = { modelId: -1, version: -1, contentId: u8aToHex(content), byteSize: data.length, chunks: parts.length, alreadyUploaded: false, active: false };

  const existing = await findExisting(api, owner, content);
  if (existing) {
    if (options.modelId !== undefined && options.modelId !== existing.modelId) {
      throw new InvalidInput(`these bytes are already ${existing.complete ? "uploaded" : "being uploaded"} as model ${existing.modelId} version ${existing.version}`);
    }
    result.modelId = existing.modelId;
    result.version = existing.version;
    result.alreadyUploaded = existing.complete;
  } else {
    const tx = options.modelId === undefined
      ? api.tx.modelRegistry.registerModel(u8aToHex(name), u8aToHex(description), price, spec)
      : api.tx.modelRegistry.addVersion(options.modelId, spec);
    const included = await submit(api, signer, tx);
    const event = findEvent(included, options.modelId === undefined ? "ModelRegistered" : "VersionAdded");
    if (!event) throw new ChainError("the registration is in a block but emitted no registration event");
    const [modelId, second, third] = event.data as AnyCodec[];
    result.modelId = modelId.toNumber();
    // ModelRegistered(model_id, owner, version, ...); VersionAdded(model_id, version, ...)
    result.version = (options.modelId === undefined ? third : second).toNumber();
    result.registeredIn = included.blockHash;
  }

  if (!result.alreadyUploaded) {
    await waitForOwnPool(api, owner);
    let start = await nextChunk(api, result.modelId, result.version, parts.length);
    if (result.registeredIn === undefined) result.resumedFrom = start;
    options.onProgress?.({ modelId: result.modelId, version: result.version, uploaded: start, chunks: parts.length });
    while (start < parts.length) {
      const end = Math.min(start + window, parts.length);
      const nonce = await poolNonce(api, owner);
      for (let index = start; index < end; index++) {
        const tx = api.tx.modelRegistry.uploadChunk(result.modelId, result.version, index, u8aToHex(parts[index]));
        const label = `ModelRegistry.upload_chunk (chunk ${index} of ${parts.length})`;
        try {
          if (index < end - 1) await send(api, signer, tx, { label, nonce: nonce + index - start });
          else result.completedIn = (await submit(api, signer, tx, { label, nonce: nonce + index - start })).blockHash;
        } catch (error) {
          if (error instanceof ChainError) {
            error.message += `; upload again with the same bytes to resume (model ${result.modelId} version ${result.version})`;
          }
          throw error;
        }
      }
      const reached = await nextChunk(api, result.modelId, result.version, parts.length);
      options.onProgress?.({ modelId: result.modelId, version: result.version, uploaded: reached, chunks: parts.length });
      if (reached < end) {
        throw new ChainError(`the chain accepted chunks up to ${reached} of ${parts.length} only; upload again with the same bytes to resume (model ${result.modelId} version ${result.version})`);
      }
      start = end;
    }
  }
  const model = await getModel(api, result.modelId);
  result.active = model?.activeVersion === result.version;
  return result;
}
