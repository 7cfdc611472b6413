/**
 * The OPG web page: pick or publish a model, enter an input, pay with a dev account or the
 * browser extension, and watch the job from request to verified result, with the fee paid and
 * what verified it. Everything goes through the @opg/client package (clients/typescript); this
 * file is only the page's wiring. Built into dist/opg.js by `npm run build` there.
 *
 * The node comes from the page's `?node=ws://…` parameter (default ws://127.0.0.1:9944).
 */

import {
  type ApiPromise,
  ChainError,
  connect,
  DEFAULT_URL,
  describeShape,
  describeZkKeyOrigin,
  DispatchFailed,
  explainRefund,
  formatElement,
  formatOpg,
  type FeeQuote,
  freeBalance,
  getZkKeyOrigin,
  type InferenceResult,
  InvalidInput,
  type IoSchema,
  type JobEvent,
  JobRefunded,
  keypair,
  listModels,
  NotIncluded,
  type Mode,
  type ModelInfo,
  quote,
  request,
  type RequestedJob,
  runnableVersion,
  schemaFromOnnx,
  type Signer,
  supportsMode,
  type Tensor,
  tensorToJSON,
  toPlanck,
  uploadModel,
  wait,
} from "../../typescript/src/index.js";
import { extensionAccounts, extensionSigner, hasExtension } from "../../typescript/src/browser.js";

const DEV_ACCOUNTS = ["//Alice", "//Bob", "//Charlie", "//Dave", "//Eve", "//Ferdie"];

const element = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as T;
};

/** The output deposit beside the fee quote (`data-planck`: its amount), made here where the
 * page's markup has no place for it. */
function depositElement(): HTMLElement {
  const found = document.getElementById("output-deposit");
  if (found) return found;
  const made = document.createElement("span");
  made.id = "output-deposit";
  made.dataset.testid = "output-deposit";
  element("fee-quote").after(" ", made);
  return made;
}

const page = {
  nodeUrl: element("node-url"),
  connection: element("connection-status"),
  account: element<HTMLSelectElement>("account-select"),
  extension: element<HTMLButtonElement>("extension-connect"),
  balance: element("account-balance"),
  uploadForm: element<HTMLFormElement>("upload-form"),
  uploadFile: element<HTMLInputElement>("upload-file"),
  uploadName: element<HTMLInputElement>("upload-name"),
  uploadPrice: element<HTMLInputElement>("upload-price"),
  uploadVanilla: element<HTMLInputElement>("upload-mode-vanilla"),
  uploadAttested: element<HTMLInputElement>("upload-mode-attested"),
  uploadButton: element<HTMLButtonElement>("upload-button"),
  uploadStatus: element("upload-status"),
  model: element<HTMLSelectElement>("model-select"),
  refresh: element<HTMLButtonElement>("models-refresh"),
  schema: element("model-schema"),
  input: element<HTMLTextAreaElement>("input-json"),
  mode: element<HTMLSelectElement>("mode-select"),
  quote: element("fee-quote"),
  deposit: depositElement(),
  run: element<HTMLButtonElement>("run-button"),
  job: element("job"),
  jobId: element("job-id"),
  jobStatus: element("job-status"),
  result: element("result"),
  verification: element("verification"),
  feePaid: element("fee-paid"),
  finalBlock: element("final-block"),
  payouts: element("payouts"),
  outputs: element("outputs"),
  error: element("error"),
};

let api: ApiPromise | undefined;
let models: ModelInfo[] = [];
let schema: IoSchema | undefined;
let defaultInput = ""; // the input this page proposed, replaced when the model changes
let busy = false;
// The accounts the select offers, by option value: dev keypairs and extension accounts.
const signers = new Map<string, () => Promise<Signer>>();

function showError(error: unknown): void {
  let text = error instanceof Error ? error.message : String(error);
  if (error instanceof DispatchFailed) text = `${error.call} failed: ${error.pallet}.${error.error}: ${error.docs}`;
  page.error.textContent = text;
  page.error.hidden = false;
}

function clearError(): void {
  page.error.hidden = true;
  page.error.textContent = "";
}

const short = (address: string) => `${address.slice(0, 8)}…`;

function make<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const made = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) made.setAttribute(name, value);
  if (text !== undefined) made.textContent = text;
  return made;
}

function requireApi(): ApiPromise {
  if (!api) throw new ChainError(`not connected to ${page.nodeUrl.textContent}`);
  return api;
}

// -------------------------------------------------------------------------------------------
// Accounts

async function addDevAccounts(): Promise<void> {
  for (const suri of DEV_ACCOUNTS) {
    const pair = await keypair(suri);
    signers.set(`dev:${suri}`, async () => pair);
    page.account.append(make("option", { value: `dev:${suri}`, "data-address": pair.address }, `${suri} (${short(pair.address)}, dev)`));
  }
}

async function addExtensionAccounts(): Promise<void> {
  const accounts = await extensionAccounts("OPG chain web");
  if (accounts.length === 0) {
    showError("the extension gave this page no accounts (none there, or access was refused)");
    return;
  }
  for (const account of accounts) {
    const value = `ext:${account.address}`;
    if (signers.has(value)) continue;
    signers.set(value, () => extensionSigner(account.address));
    page.account.append(make("option", { value, "data-address": account.address }, `${account.name ?? short(account.address)} (${account.source})`));
  }
  page.account.value = `ext:${accounts[0].address}`;
  await showBalance();
}

async function currentSigner(): Promise<Signer> {
  const get = signers.get(page.account.value);
  if (!get) throw new ChainError("pick an account to pay with");
  return get();
}

async function showBalance(): Promise<void> {
  const address = page.account.selectedOptions[0]?.dataset.address;
  if (!api || !address) return;
  page.balance.textContent = `balance ${formatOpg(await freeBalance(api, address))}`;
}

// -------------------------------------------------------------------------------------------
// Models

async function refreshModels(select?: number): Promise<void> {
  const chain = requireApi();
  const keep = select ?? (page.model.value === "" ? undefined : Number(page.model.value));
  models = await listModels(chain);
  page.model.replaceChildren(...models.map((model) =>
    make("option", { value: String(model.id) }, `${model.id}: ${model.name} (${formatOpg(model.price)} per call)`)));
  if (models.length === 0) page.model.append(make("option", { value: "", disabled: "" }, "no model takes requests yet: upload one"));
  if (keep !== undefined && models.some((model) => model.id === keep)) page.model.value = String(keep);
  await showModel();
}

/** A zero input of the schema's shapes (batch of one), as JSON: what to edit. */
function exampleInput(io: IoSchema): string {
  const zeros = (shape: number[], dtype: string): unknown =>
    shape.length === 0 ? (dtype === "String" ? "" : dtype === "Bool" ? false : 0) : Array.from({ length: shape[0] }, () => zeros(shape.slice(1), dtype));
  const input: Record<string, unknown> = {};
  for (const spec of io.inputs) input[spec.name] = zeros(spec.shape.map((dim) => (dim === "Dynamic" ? 1 : dim.Fixed)), spec.dtype);
  return JSON.stringify(input);
}

async function showModel(): Promise<void> {
  schema = undefined;
  page.schema.replaceChildren();
  const id = page.model.value === "" ? undefined : Number(page.model.value);
  if (id === undefined) {
    await showQuote();
    return;
  }
  const runnable = await runnableVersion(requireApi(), id);
  schema = runnable.info.schema;
  const table = make("table", { class: "schema" });
  const header = make("tr");
  header.append(make("th"), make("th", {}, "name"), make("th", {}, "dtype"), make("th", {}, "shape"));
  table.append(header);
  for (const [side, specs] of [["input", schema.inputs], ["output", schema.outputs]] as const) {
    for (const spec of specs) {
      const row = make("tr", { "data-side": side, "data-name": spec.name });
      row.append(make("td", {}, side), make("td", { class: "mono" }, spec.name), make("td", {}, spec.dtype), make("td", {}, describeShape(spec.shape)));
      table.append(row);
    }
  }
  const modes = (["vanilla", "attested", "zk"] as const).filter((mode) => runnable.info.modes[mode]);
  page.schema.append(
    make("p", { class: "hint" }, `version ${runnable.version}, owner ${short(runnable.model.owner)}, modes ${modes.join(", ")}${runnable.model.description ? ` — ${runnable.model.description}` : ""}`),
    table,
  );
  // Where a ZK version's key came from decides whether its proofs can be forged: say it.
  const origin = runnable.info.modes.zk ? await getZkKeyOrigin(requireApi(), id, runnable.version) : undefined;
  if (origin) page.schema.append(make("p", { class: "hint", "data-testid": "zk-key-origin", "data-kind": origin.kind }, describeZkKeyOrigin(origin)));
  const proposed = exampleInput(schema);
  if (page.input.value.trim() === "" || page.input.value === defaultInput) page.input.value = proposed;
  defaultInput = proposed;
  await showQuote();
}

// Each quote the page starts has a number: one that ends after a later one started (the input,
// model or mode changed meanwhile) shows nothing.
let quotes = 0;

/** The input the textarea holds, undefined while it is not JSON. */
function enteredInput(): Record<string, never> | undefined {
  try {
    return JSON.parse(page.input.value);
  } catch {
    return undefined;
  }
}

/** Shows `fees`, the quote for a request in `mode` (for the input entered, or for one item
 * when `forOneItem`); its total is the most the request may hold. */
function showFees(fees: FeeQuote, mode: Mode, forOneItem: boolean): void {
  page.quote.textContent = `${formatOpg(fees.total)} (the model's price ${formatOpg(fees.price)} + the ${mode} protocol fee ${formatOpg(fees.protocolFee)}, which includes the fee for the answer's ${fees.outputBound} bytes at most), held until the job ends${forOneItem ? "; for one item: the input entered does not fit the model yet" : ""}`;
  page.quote.dataset.planck = fees.total.toString();
  page.deposit.textContent = `and a deposit of ${formatOpg(fees.outputDeposit)} for those ${fees.outputBound} bytes in the chain's state, held until the job is pruned`;
  page.deposit.dataset.planck = fees.outputDeposit.toString();
}

/** Quotes the request the page would send: the model, the mode and the input entered (a larger
 * batch pays for its larger answer). */
async function showQuote(): Promise<void> {
  const serial = ++quotes;
  const id = page.model.value === "" ? undefined : Number(page.model.value);
  const mode = page.mode.value as Mode;
  page.run.disabled = true;
  delete page.quote.dataset.planck; // no quote, no request
  delete page.deposit.dataset.planck;
  page.deposit.textContent = "";
  if (id === undefined || !api) {
    page.quote.textContent = "–";
    return;
  }
  const runnable = await runnableVersion(api, id);
  if (serial !== quotes) return;
  if (!supportsMode(runnable.info.modes, mode)) {
    page.quote.textContent = `model ${id} does not run in ${mode} mode`;
    return;
  }
  const input = enteredInput();
  let fees: FeeQuote;
  let forOneItem = false;
  try {
    fees = await quote(api, id, mode, input);
  } catch (error) {
    // An input still being written is quoted as one item; `run` refuses it with the reason.
    if (!(error instanceof InvalidInput) || input === undefined) throw error;
    fees = await quote(api, id, mode);
    forOneItem = true;
  }
  if (serial !== quotes) return;
  showFees(fees, mode, forOneItem || input === undefined);
  page.run.disabled = busy;
}
async function upload(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  clearError();
  const file = page.uploadFile.files?.[0];
  if (!file) throw new ChainError("choose an .onnx file to upload");
  const bytes = new Uint8Array(await file.arrayBuffer());
  const io = schemaFromOnnx(bytes); // refuses a file the registry cannot describe, before paying
  const modes: Mode[] = [];
  if (page.uploadVanilla.checked) modes.push("vanilla");
  if (page.uploadAttested.checked) modes.push("attested");
  const name = page.uploadName.value.trim() || file.name.replace(/\.onnx$/i, "");
  const price = toPlanck(page.uploadPrice.value);
  setBusy(true);
  page.uploadStatus.dataset.state = "uploading";
  page.uploadStatus.textContent = `registering ${name} (${bytes.length} bytes)…`;
  try {
    const result = await uploadModel(requireApi(), await currentSigner(), bytes, {
      name,
      price,
      modes,
      schema: io,
      onProgress: ({ modelId, uploaded, chunks }) => {
        page.uploadStatus.textContent = `model ${modelId}: ${uploaded} of ${chunks} chunks on chain…`;
      },
    });
    page.uploadStatus.dataset.state = "done";
    page.uploadStatus.dataset.modelId = String(result.modelId);
    page.uploadStatus.textContent = result.alreadyUploaded
      ? `you uploaded these bytes before: model ${result.modelId} version ${result.version}`
      : `uploaded: model ${result.modelId} version ${result.version} (content id ${result.contentId.slice(0, 18)}…)${result.active ? "" : "; waiting for governance approval"}`;
    await refreshModels(result.modelId);
  } catch (error) {
    page.uploadStatus.dataset.state = "failed";
    page.uploadStatus.textContent = "upload failed";
    throw error;
  } finally {
    setBusy(false);
    void showBalance();
  }
}

// -------------------------------------------------------------------------------------------
// Jobs

function setBusy(value: boolean): void {
  busy = value;
  page.uploadButton.disabled = value;
  page.run.disabled = value || page.quote.dataset.planck === undefined;
}

// The job's stages as the page shows them, the package's `JOB_STAGES` after the request: the
// request in a block (the fee held), the wait for a node (queued: no node is named in the
// request's block; one is drawn at the start of the next, or of a later one while none is free),
// assigned, result submitted, verified, final.
const STAGES = ["requested", "queued", "assigned", "submitted", "verified", "final"];

function stage(name: string, state: "pending" | "active" | "done" | "failed", detail?: string): void {
  const item = page.job.querySelector<HTMLElement>(`[data-stage="${name}"]`);
  if (!item) return;
  item.dataset.state = state;
  if (detail !== undefined) (item.querySelector(".detail") as HTMLElement).textContent = detail;
}

function resetJob(): void {
  page.job.hidden = false;
  page.result.hidden = true;
  page.jobId.textContent = "";
  for (const name of STAGES) stage(name, "pending", "");
  stage("requested", "active", "signing and sending…");
  page.jobStatus.dataset.state = "running";
  page.jobStatus.textContent = "";
}

function onJobEvent(mode: Mode, requested: RequestedJob, event: JobEvent): void {
  const at = `block #${event.blockNumber}`;
  switch (event.name) {
    case "JobRequested":
      stage("requested", "done", `${at}, ${formatOpg(event.fee)} held`);
      stage("queued", "active", `waiting for a node: one is drawn at the start of the next block${requested.queuedUntil === undefined ? "" : ` (tried until block #${requested.queuedUntil}, refunded if none is free by then)`}`);
      break;
    case "JobAssigned": {
      const waited = event.blockNumber - requested.blockNumber;
      stage("queued", "done", `node drawn in ${at}, ${waited} block${waited === 1 ? "" : "s"} after the request`);
      stage("assigned", "done", `to node ${short(event.node)} in ${at}, answer due by block #${event.deadline}`);
      stage("submitted", "active");
      break;
    }
    case "JobReassigned":
      stage("assigned", "done", `reassigned to ${short(event.to)} in ${at} (${short(event.from)} did not answer)`);
      break;
    case "ResultSubmitted":
      stage("submitted", "done", `by ${short(event.node)} in ${at}, output hash ${event.outputHash.slice(0, 12)}…`);
      stage("verified", "active", {
        vanilla: "accepted against the node's bond; final when the challenge window closes unchallenged",
        attested: "the verifier committee is re-executing it",
        zk: "checking the node's Groth16 proof",
        tee: "checking the enclave's signature",
      }[mode]);
      break;
    case "ResultVerified":
      stage("verified", "done", `${event.verifiers.length} verifiers re-executed it and agreed (${at})`);
      break;
    case "ProofVerified":
      stage("verified", "done", `Groth16 proof verified on chain (${at})`);
      break;
    case "ProofRejected":
      stage("verified", "active", `a proof did not verify (${event.reason}, attempt ${event.attempts}); waiting for another`);
      break;
    case "TeeResultAccepted":
      stage("verified", "done", `signed by enclave key ${event.enclaveKey.slice(0, 14)}…${event.insecure ? " (dev enclave: no hardware vouches for it)" : ""} (${at})`);
      break;
    case "JobFinal":
      if (mode === "vanilla") stage("verified", "done", "the challenge window closed unchallenged");
      stage("final", "done", `${at}: paid out`);
      break;
    case "JobRefunded":
      if (event.reason.kind === "NoNodeAvailable") stage("queued", "failed", `no node could be drawn by ${at}`);
      for (const name of STAGES.slice(1)) {
        const item = page.job.querySelector<HTMLElement>(`[data-stage="${name}"]`);
        if (item && item.dataset.state !== "done") item.dataset.state = "failed";
      }
      break;
  }
}

function showVerification(result: InferenceResult): void {
  const { verification } = result;
  page.verification.dataset.kind = verification.kind;
  const list = make("dl");
  const add = (term: string, value: string | HTMLElement, testid?: string) => {
    const dd = make("dd", testid ? { "data-testid": testid } : {});
    dd.append(value);
    list.append(make("dt", {}, term), dd);
  };
  add("mode", verification.kind, "verification-kind");
  add("node", make("code", {}, verification.node), "verification-node");
  switch (verification.kind) {
    case "attested": {
      const verifiers = make("ul", { "data-testid": "verifiers" });
      for (const verifier of verification.verifiers) verifiers.append(make("li", { class: "mono" }, verifier));
      add(`verifiers (ResultVerified, block #${verification.blockNumber})`, verifiers);
      break;
    }
    case "zk":
      add("proof", `the node's Groth16 proof verified on chain (ProofVerified, block #${verification.blockNumber})`, "proof-verified");
      break;
    case "tee":
      add(`enclave key (TeeResultAccepted, block #${verification.blockNumber})`, make("code", {}, verification.enclaveKey), "enclave-key");
      if (verification.insecure) add("warning", "the dev chain's software enclave: no hardware vouches for this result");
      break;
    case "vanilla":
      add("accepted", `against the node's bond in block #${verification.acceptedAt}`);
      add("final", verification.verifiers.length
        ? `a dispute round upheld it: ${verification.verifiers.join(", ")}`
        : `the challenge window closed unchallenged (block #${verification.blockNumber})`);
      break;
  }
  page.verification.replaceChildren(list);
}

/** The tensor as nested arrays of readable numbers: `[[0.1, -2.5]]`. */
function formatNested(tensor: Tensor): string {
  const flat = Array.from(tensor.data as ArrayLike<number | bigint | string>, (value) => formatElement(tensor, value));
  const build = (depth: number, offset: number): string => {
    if (depth === tensor.shape.length) return flat[offset];
    const stride = tensor.shape.slice(depth + 1).reduce((a, b) => a * b, 1);
    return `[${Array.from({ length: tensor.shape[depth] }, (_, i) => build(depth + 1, offset + i * stride)).join(", ")}]`;
  };
  return build(0, 0);
}

function showResult(result: InferenceResult): void {
  showVerification(result);
  page.feePaid.textContent = formatOpg(result.fee);
  page.feePaid.dataset.planck = result.fee.toString();
  page.finalBlock.textContent = `#${result.finalBlock.number}`;
  page.payouts.replaceChildren();
  const { ownerPaid, nodePaid, verifiersPaid, treasuryPaid } = result.payouts;
  for (const [term, amount, key] of [["model owner", ownerPaid, "owner"], ["node", nodePaid, "node"], ["verifiers", verifiersPaid, "verifiers"], ["treasury", treasuryPaid, "treasury"]] as const) {
    page.payouts.append(make("dt", {}, term), make("dd", { "data-testid": `payout-${key}`, "data-planck": amount.toString() }, formatOpg(amount)));
  }
  page.outputs.replaceChildren();
  for (const [name, tensor] of Object.entries(result.outputs)) {
    // data-values holds the exact values (each float as the double equal to it) for programs;
    // the text shows each float's shortest decimal in its own dtype.
    const box = make("div", {
      class: "output",
      "data-testid": "output",
      "data-name": name,
      "data-dtype": tensor.dtype,
      "data-shape": JSON.stringify(tensor.shape),
      "data-values": JSON.stringify(tensorToJSON(tensor).data),
    });
    box.append(make("strong", { class: "mono" }, name), ` ${tensor.dtype} ${JSON.stringify(tensor.shape)}`, make("pre", {}, formatNested(tensor)));
    page.outputs.append(box);
  }
  page.result.hidden = false;
}

async function run(): Promise<void> {
  clearError();
  const id = Number(page.model.value);
  const mode = page.mode.value as Mode;
  let input: Record<string, never>;
  try {
    input = JSON.parse(page.input.value);
  } catch (error) {
    throw new ChainError(`the input is not JSON (${(error as Error).message}): give an object such as ${defaultInput || '{"X": [[1.0, 2.0]]}'}`);
  }
  setBusy(true);
  // The fee the page showed is the most the request may hold: a price raised since then makes
  // the chain refuse it (Inference.FeeAboveMax) rather than charge more than the user saw. It
  // must be the quote for this very input (its batch sizes the answer it pays for): when it is
  // not, the page shows the new quote and sends nothing.
  let maxFee: bigint;
  try {
    const shown = page.quote.dataset.planck;
    const fees = await quote(requireApi(), id, mode, input);
    if (shown === undefined || fees.total !== BigInt(shown)) {
      showFees(fees, mode, false);
      throw new ChainError(`the fee for this input is ${formatOpg(fees.total)}${shown === undefined ? "" : `, not the ${formatOpg(BigInt(shown))} shown`}: check the quote and press again`);
    }
    maxFee = fees.total;
  } catch (error) {
    setBusy(false);
    throw error;
  }
  resetJob();
  try {
    const chain = requireApi();
    const requested = await request(chain, await currentSigner(), { model: id, mode, input, maxFee });
    page.jobId.textContent = String(requested.job);
    page.jobStatus.textContent = `job ${requested.job}: waiting for the verified result…`;
    const result = await wait(chain, requested, { onEvent: (event) => onJobEvent(mode, requested, event) });
    page.jobStatus.dataset.state = "final";
    page.jobStatus.textContent = `job ${result.job} is final: verified (${result.verification.kind}) and paid in block #${result.finalBlock.number}`;
    showResult(result);
  } catch (error) {
    if (error instanceof JobRefunded) {
      page.jobStatus.dataset.state = "refunded";
      page.jobStatus.textContent = `job ${error.job} was refunded (${formatOpg(error.amount)} back): ${explainRefund(error.reason)}`;
    } else if (error instanceof NotIncluded && page.jobId.textContent) {
      page.jobStatus.dataset.state = "waiting";
      page.jobStatus.textContent = `job ${page.jobId.textContent} is not over yet (it took longer than this chain's periods allow): its fee stays held until it is final or refunded (its output deposit until it is pruned); reload to follow it`;
    } else {
      page.jobStatus.dataset.state = "error";
      page.jobStatus.textContent = "the request failed";
      const requested = page.job.querySelector<HTMLElement>('[data-stage="requested"]');
      if (requested?.dataset.state === "active") stage("requested", "failed", "");
      throw error;
    }
  } finally {
    setBusy(false);
    void showBalance();
  }
}

// -------------------------------------------------------------------------------------------
// Start

/** Runs a handler, showing what went wrong on the page instead of in the console only. */
const guarded = <A extends unknown[]>(handler: (...args: A) => Promise<void>) => (...args: A) => {
  handler(...args).catch(showError);
};

async function start(): Promise<void> {
  const nodeUrl = new URLSearchParams(window.location.search).get("node") || DEFAULT_URL;
  page.nodeUrl.textContent = nodeUrl;
  page.extension.hidden = !hasExtension();
  page.extension.addEventListener("click", guarded(addExtensionAccounts));
  page.account.addEventListener("change", guarded(showBalance));
  page.uploadForm.addEventListener("submit", guarded(upload));
  page.model.addEventListener("change", guarded(showModel));
  page.refresh.addEventListener("click", guarded(() => refreshModels()));
  page.mode.addEventListener("change", guarded(showQuote));
  page.input.addEventListener("input", guarded(showQuote));
  page.run.addEventListener("click", guarded(run));
  try {
    api = await connect(nodeUrl);
  } catch (error) {
    page.connection.dataset.state = "failed";
    page.connection.textContent = "not connected";
    throw error;
  }
  const chain = api;
  // Dev accounts' keys are public: offer them only on a development or local chain, so a link
  // with ?node= naming a live chain never gets the page to sign with them there.
  const chainType = await chain.rpc.system.chainType();
  if (chainType.isDevelopment || chainType.isLocal) await addDevAccounts();
  // The genesis hash names the chain whatever the node calls itself: a user who followed a
  // link to another node sees which chain their signature is for.
  const connected = () => {
    page.connection.dataset.state = "connected";
    page.connection.textContent = `connected: ${chain.runtimeChain.toString()} (${chain.runtimeVersion.specName.toString()} ${chain.runtimeVersion.specVersion.toString()}, genesis ${chain.genesisHash.toHex().slice(0, 18)}…)`;
  };
  connected();
  chain.on("connected", connected);
  chain.on("disconnected", () => {
    page.connection.dataset.state = "failed";
    page.connection.textContent = "disconnected: reconnecting…";
  });
  await Promise.all([refreshModels(), showBalance()]);
}

guarded(start)();
