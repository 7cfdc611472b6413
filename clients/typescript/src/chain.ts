/**
 * The connection to an OPG node, signers, and transactions with typed failures.
 */

import { ApiPromise, WsProvider } from "@polkadot/api";
import type { SubmittableExtrinsic } from "@polkadot/api/promise/types";
import type { Signer as InjectedSigner } from "@polkadot/api/types";
import { Keyring } from "@polkadot/keyring";
import type { KeyringPair } from "@polkadot/keyring/types";
import type { DispatchError, EventRecord } from "@polkadot/types/interfaces";
import type { ISubmittableResult } from "@polkadot/types/types";
import { cryptoWaitReady } from "@polkadot/util-crypto";

import { ChainError, dispatchFailed, InvalidInput, NodeUnreachable, NotIncluded, Refused } from "./errors.js";

/** The dev chain's RPC endpoint (`scripts/run-dev.sh`). */
export const DEFAULT_URL = "ws://127.0.0.1:9944";
/** How long to wait for the node to answer when connecting. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
/** How long to wait for a transaction to reach a block. */
export const DEFAULT_INCLUSION_TIMEOUT_MS = 120_000;

/**
 * Who signs: a keypair (`await keypair("//Alice")`), or an address with the signer of a
 * browser extension (`@opg/client/browser`'s `extensionSigner`).
 */
export type Signer = KeyringPair | { address: string; signer: InjectedSigner };

/** The SS58 address of a signer. */
export function addressOf(signer: Signer): string {
  return signer.address;
}

export interface ConnectOptions {
  /** Give up when the node has not answered (connected and sent its metadata) in this time. */
  timeoutMs?: number;
}

/** `http(s)://` is taken as the node's `ws(s)://` (the same port serves both). */
function websocketUrl(url: string): string {
  const trimmed = url.trim();
  if (/^wss?:\/\//i.test(trimmed)) return trimmed;
  if (/^https?:\/\//i.test(trimmed)) return trimmed.replace(/^http/i, "ws");
  throw new InvalidInput(`${JSON.stringify(url)} is not a node URL: use ws://host:port or wss://host:port (e.g. ${DEFAULT_URL})`);
}

/**
 * Connects to the OPG node at `url` and returns the polkadot.js API, ready (metadata loaded).
 * Throws NodeUnreachable when no node answers within the timeout. Close it with
 * `api.disconnect()`.
 */
export async function connect(url: string = DEFAULT_URL, options: ConnectOptions = {}): Promise<ApiPromise> {
  const endpoint = websocketUrl(url);
  const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  // Reconnects after a drop once connected (a web page outlives a node restart); the first
  // connection is bounded by the timeout below.
  const provider = new WsProvider(endpoint, 2_500);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const ready = ApiPromise.create({
      provider,
      throwOnConnect: true,
      // The RPC methods polkadot.js has no definitions for (opgModel_*, the new chainHead
      // group) are fine to leave undecorated; say nothing about them.
      noInitWarn: true,
      // The runtime's AuthorizeCall extension (transactions that authorize themselves, used by
      // the nodes' offchain workers) adds nothing to a signed transaction's encoding.
      signedExtensions: { AuthorizeCall: { extrinsic: {}, payload: {} } },
    });
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000}s`)), timeoutMs);
    });
    return await Promise.race([ready, timeout]);
  } catch (error) {
    await provider.disconnect().catch(() => undefined);
    throw new NodeUnreachable(`no OPG node answered at ${endpoint} (${messageOf(error)}): is it running? (scripts/run-dev.sh starts a dev chain at ${DEFAULT_URL})`);
  } finally {
    clearTimeout(timer);
  }
}

/** The sr25519 keypair of a secret URI (`//Alice` on a dev chain) or a mnemonic. */
export async function keypair(suri: string): Promise<KeyringPair> {
  await cryptoWaitReady();
  try {
    return new Keyring({ type: "sr25519", ss58Format: 42 }).addFromUri(suri);
  } catch (error) {
    throw new InvalidInput(`not a secret URI or mnemonic (${messageOf(error)}): use e.g. //Alice on a dev chain`);
  }
}

/** A thrown value as text. polkadot.js rejects a failed connection with the websocket's error
 * event, which has no message of its own. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === "object" && error !== null) {
    const { message, type } = error as { message?: unknown; type?: unknown };
    if (typeof message === "string" && message) return message;
    if (type === "error" || type === "close") return "the connection was refused or closed";
  }
  return String(error);
}

// -------------------------------------------------------------------------------------------
// Dispatch errors

// Documentation of sp_runtime's dispatch errors that are not pallet errors (the metadata does
// not carry it); the same table as the Python SDK's.
const DISPATCH_DOCS: Record<string, string> = {
  Other: "Some error occurred.",
  CannotLookup: "Failed to lookup some data.",
  BadOrigin: "A bad origin.",
  ConsumerRemaining: "At least one consumer is remaining so the account cannot be destroyed.",
  NoProviders: "There are no providers so the account cannot be created.",
  TooManyConsumers: "There are too many consumers so the account cannot be created.",
  Exhausted: "Resources exhausted, e.g. attempt to read/write data which is too large to manipulate.",
  Corruption: "The state is corrupt; this is generally not going to fix itself.",
  Unavailable: "Some resource (e.g. a preimage) is unavailable right now. This might fix itself later.",
  RootNotAllowed: "Root origin is not allowed.",
};
const NESTED_DOCS: Record<string, Record<string, string>> = {
  Token: {
    FundsUnavailable: "Funds are unavailable.",
    OnlyProvider: "Some part of the balance gives the only provider reference to the account and thus cannot be (re)moved.",
    BelowMinimum: "Account cannot exist with the funds that would be given.",
    CannotCreate: "Account cannot be created.",
    UnknownAsset: "The asset in question is unknown.",
    Frozen: "Funds exist but are frozen.",
    Unsupported: "Operation is not supported by the asset.",
    CannotCreateHold: "Account cannot be created for a held balance.",
    NotExpendable: "Withdrawal would cause unwanted loss of account.",
    Blocked: "Account cannot receive the assets.",
  },
  Arithmetic: { Underflow: "An underflow would occur.", Overflow: "An overflow would occur.", DivisionByZero: "Division by zero." },
  Transactional: { LimitReached: "Too many transactional layers have been spawned.", NoLayer: "A transactional layer was expected, but does not exist." },
};

/** (pallet, error, docs) of a dispatch error: a pallet's error from the runtime metadata,
 * `Token`/`Arithmetic`/`Transactional` errors under those names, other variants as `System`
 * errors (`System.BadOrigin`). */
export function describeDispatchError(api: ApiPromise, error: DispatchError): { pallet: string; error: string; docs: string } {
  if (error.isModule) {
    const module = error.asModule;
    const index = module.index.toNumber();
    const pallet = api.registry.metadata.pallets.find((p) => p.index.toNumber() === index)?.name.toString() ?? `Pallet${index}`;
    try {
      const meta = api.registry.findMetaError(module);
      const docs = meta.docs.join(" ").split(/\s+/).filter(Boolean).join(" ");
      return { pallet, error: meta.name, docs: docs || "no documentation" };
    } catch {
      return { pallet, error: `Error${module.error[0]}`, docs: "an error this client's metadata does not describe" };
    }
  }
  for (const kind of ["Token", "Arithmetic", "Transactional"] as const) {
    if (error[`is${kind}`]) {
      const name = (error[`as${kind}`] as unknown as { type: string }).type;
      return { pallet: kind, error: name, docs: NESTED_DOCS[kind][name] ?? "no documentation" };
    }
  }
  return { pallet: "System", error: error.type, docs: DISPATCH_DOCS[error.type] ?? "no documentation" };
}

// -------------------------------------------------------------------------------------------
// Transactions

/** A transaction that made it into a block and succeeded. */
export interface Included {
  blockHash: string;
  blockNumber: number;
  /** The transaction's hash. */
  txHash: string;
  /** The events the transaction emitted. */
  events: EventRecord[];
  /** The transaction fee and tip it paid, in planck. */
  fee: bigint;
}

export interface SubmitOptions {
  /** Name of the call for messages, e.g. `Inference.request`. */
  label?: string;
  /** The nonce to sign with (default: the next one, counting the node's pool). */
  nonce?: number;
  /** Give up waiting for the block after this long (the transaction may still land). */
  timeoutMs?: number;
}

// Transactions of one account are signed and handed to the node one at a time (until the node
// has the previous one in its pool), so that concurrent calls never pick the same nonce.
const queues = new WeakMap<ApiPromise, Map<string, Promise<void>>>();

async function exclusively<T>(api: ApiPromise, address: string, send: (release: () => void) => Promise<T>): Promise<T> {
  let perApi = queues.get(api);
  if (!perApi) queues.set(api, (perApi = new Map()));
  const previous = perApi.get(address) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  perApi.set(address, previous.then(() => mine));
  await previous;
  let released = false;
  const releaseOnce = () => {
    if (!released) {
      released = true;
      release();
    }
  };
  try {
    return await send(releaseOnce);
  } finally {
    releaseOnce();
  }
}

/** The account and signing options of `signer` with `nonce`. The nonce is always explicit:
 * polkadot.js's own choice (`nonce: -1`) is memoized while an earlier transaction of the account
 * is still being watched, and would repeat that transaction's nonce. */
async function signOptions(api: ApiPromise, signer: Signer, nonce: number | undefined): Promise<[string | KeyringPair, Record<string, unknown>]> {
  const options: Record<string, unknown> = { nonce: nonce ?? (await poolNonce(api, signer.address)) };
  if ("signer" in signer && !("sign" in signer)) {
    options.signer = signer.signer;
    return [signer.address, options];
  }
  return [signer as KeyringPair, options];
}

function refusal(api: ApiPromise, label: string, error: unknown): ChainError {
  if (!api.isConnected) return new NodeUnreachable(`the node stopped answering while sending ${label} (${messageOf(error)})`);
  return new Refused(`the node refused ${label}: ${messageOf(error)}`);
}

/** The fee and tip a transaction paid, from its TransactionFeePaid event (0 without one). */
function paidFee(events: EventRecord[]): bigint {
  for (const { event } of events) {
    if (event.section === "transactionPayment" && event.method === "TransactionFeePaid") {
      const [, actualFee, tip] = event.data as unknown as { toBigInt(): bigint }[];
      return actualFee.toBigInt() + tip.toBigInt();
    }
  }
  return 0n;
}

/**
 * Signs and submits `tx`, and waits until it is in a block. Returns its inclusion, or throws
 * DispatchFailed (included, its call failed; the pallet's subclass for OPG pallets), Refused
 * (never included: bad nonce, no funds for the fee, the user cancelled signing), NotIncluded
 * (not in a block within the timeout) or NodeUnreachable.
 */
export function submit(api: ApiPromise, signer: Signer, tx: SubmittableExtrinsic, options: SubmitOptions = {}): Promise<Included> {
  const label = options.label ?? `${tx.method.section}.${tx.method.method}`;
  const timeoutMs = options.timeoutMs ?? DEFAULT_INCLUSION_TIMEOUT_MS;
  return exclusively(api, signer.address, async (release) => {
    let signing: [string | KeyringPair, Record<string, unknown>];
    try {
      signing = await signOptions(api, signer, options.nonce);
    } catch (error) {
      throw refusal(api, label, error);
    }
    return watch(api, tx, signing, label, timeoutMs, release);
  });
}

/** Signs and sends `tx`, calls `accepted` once the node holds it in its pool, and resolves
 * once it is in a block (see `submit`). */
function watch(
  api: ApiPromise,
  tx: SubmittableExtrinsic,
  [account, signOpts]: [string | KeyringPair, Record<string, unknown>],
  label: string,
  timeoutMs: number,
  accepted: () => void,
): Promise<Included> {
  return new Promise<Included>((resolve, reject) => {
    let unsubscribe: (() => void) | undefined;
    let settled = false;
    const timer = setTimeout(
      () => finish(new NotIncluded(`${label} was not included within ${timeoutMs / 1000}s (it may still be in the node's pool)`)),
      timeoutMs,
    );
    function finish(error: Error | undefined, included?: Included): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      unsubscribe?.();
      accepted();
      if (error) reject(error);
      else resolve(included as Included);
    }
    const onStatus = (result: ISubmittableResult): void => {
      const { status } = result;
      if (status.isInBlock || status.isFinalized) {
        const blockHash = (status.isInBlock ? status.asInBlock : status.asFinalized).toHex();
        const fee = paidFee(result.events);
        if (result.dispatchError) {
          const { pallet, error, docs } = describeDispatchError(api, result.dispatchError);
          finish(dispatchFailed(label, pallet, error, docs, blockHash, fee));
          return;
        }
        api.rpc.chain.getHeader(blockHash).then(
          (header) => finish(undefined, { blockHash, blockNumber: header.number.toNumber(), txHash: tx.hash.toHex(), events: result.events, fee }),
          (error) => finish(refusal(api, label, error)),
        );
      } else if (status.isDropped || status.isInvalid) {
        finish(new Refused(`the node dropped ${label} from its pool (${status.type})`));
      } else if (status.isUsurped) {
        finish(new Refused(`${label} was replaced in the pool by another transaction with the same nonce`));
      } else if (status.isFinalityTimeout) {
        finish(new NotIncluded(`${label}: its block was not finalized in time`));
      }
    };
    tx.signAndSend(account, signOpts, onStatus).then(
      (unsub) => {
        // The node holds the transaction now: the account's next one may take the next nonce.
        accepted();
        if (settled) unsub();
        else unsubscribe = unsub;
      },
      (error) => finish(refusal(api, label, error)),
    );
  });
}

/**
 * Signs and hands `tx` to the node without waiting for a block; returns its hash once the
 * node has it in its pool. Throws Refused when the node does not take it.
 */
export function send(api: ApiPromise, signer: Signer, tx: SubmittableExtrinsic, options: SubmitOptions = {}): Promise<string> {
  const label = options.label ?? `${tx.method.section}.${tx.method.method}`;
  return exclusively(api, signer.address, async () => {
    try {
      const [account, signOpts] = await signOptions(api, signer, options.nonce);
      return (await tx.signAndSend(account, signOpts)).toHex();
    } catch (error) {
      throw refusal(api, label, error);
    }
  });
}

/** The next nonce of `address`, counting its transactions in the node's pool. */
export async function poolNonce(api: ApiPromise, address: string): Promise<number> {
  return (await api.rpc.system.accountNextIndex(address)).toNumber();
}

/** The free balance of `address`, in planck. */
export async function freeBalance(api: ApiPromise, address: string): Promise<bigint> {
  const account = (await api.query.system.account(address)) as unknown as { data: { free: { toBigInt(): bigint } } };
  return account.data.free.toBigInt();
}
