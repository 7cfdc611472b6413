/**
 * Publish an ONNX model (or pick a published one), request verified inference in one or more
 * modes, and print the results as JSON on stdout (progress goes to stderr).
 *
 *   npm run build
 *   node dist/examples/infer.js --onnx model.onnx --name my-model --price 0.01 \
 *       --mode attested --input '{"input": [[0.1, 0.2, ...]]}'
 *   node dist/examples/infer.js --model 1 --mode attested,vanilla --until accepted \
 *       --input '{"X": [[5.1, 3.5, 1.4, 0.2]]}'
 *
 * Options: --url (default ws://127.0.0.1:9944), --suri (default //Alice), --onnx FILE with
 * --schema FILE.json (default: read from the ONNX file), --name, --description, --price OPG,
 * --modes (the modes the upload allows; default vanilla,attested); or --model ID. --mode takes
 * a comma-separated list: the requests run concurrently. --until accepted returns vanilla
 * results once accepted against the node's bond instead of after the challenge window.
 * --timeout SECONDS per job (default 300).
 *
 * Exit status: 0 when every job is final (or accepted), 2 when one was refunded, 1 on errors.
 */

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

import {
  ChainError,
  connect,
  DEFAULT_URL,
  DispatchFailed,
  formatOpg,
  type IoSchema,
  type JobEvent,
  JobRefunded,
  keypair,
  type Mode,
  quote,
  request,
  stageOf,
  type Tensor,
  tensorToJSON,
  toPlanck,
  uploadModel,
  wait,
  waitForAcceptance,
} from "@opg/client";

const USAGE = `usage: node dist/examples/infer.js (--onnx FILE [--schema FILE.json] [--name NAME]
         [--description TEXT] [--price OPG] [--modes vanilla,attested] | --model ID)
         --input JSON|FILE [--mode attested[,vanilla,...]] [--until final|accepted]
         [--url ws://127.0.0.1:9944] [--suri //Alice] [--timeout SECONDS]
Prints {model, upload, results: [...]} as JSON on stdout; progress on stderr.
Exit status 0 when every job is final (or accepted), 2 when one was refunded, 1 on errors.`;

const OPTIONS = {
  url: { type: "string", default: DEFAULT_URL },
  suri: { type: "string", default: "//Alice" },
  onnx: { type: "string" },
  schema: { type: "string" },
  name: { type: "string" },
  description: { type: "string", default: "" },
  price: { type: "string", default: "0.01" },
  modes: { type: "string", default: "vanilla,attested" },
  model: { type: "string" },
  mode: { type: "string", default: "attested" },
  input: { type: "string" },
  until: { type: "string", default: "final" },
  timeout: { type: "string", default: "300" },
  help: { type: "boolean", short: "h" },
} as const;

function parse() {
  try {
    return parseArgs({ options: OPTIONS });
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\n${USAGE}\n`);
    process.exit(1);
  }
}

const { values: args } = parse();
if (args.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const say = (message: string) => process.stderr.write(`${message}\n`);

/** JSON with bigints (planck amounts) written as plain numbers. */
function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, item) => (typeof item === "bigint" ? `__bigint__${item}` : item)).replace(/"__bigint__(-?\d+)"/g, "$1");
}

/** The text of `--input`, or of the file it names. */
function readJsonArgument(text: string, what: string): unknown {
  const source = /^\s*[[{]/.test(text) ? text : readFileSync(text, "utf8");
  try {
    return JSON.parse(source);
  } catch (error) {
    throw new ChainError(`${what} is not JSON (${(error as Error).message})`);
  }
}

function outputsJson(outputs: Record<string, Tensor>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(outputs).map(([name, tensor]) => [name, tensorToJSON(tensor)]));
}

async function main(): Promise<number> {
  if (args.input === undefined) throw new ChainError("--input is required: a JSON object from input name to values, or a file holding one");
  if ((args.onnx === undefined) === (args.model === undefined)) throw new ChainError("give either --onnx FILE (to upload) or --model ID");
  if (!["final", "accepted"].includes(args.until as string)) throw new ChainError("--until is final or accepted");
  if (args.model !== undefined && !/^\d+$/.test(args.model)) throw new ChainError(`--model ${args.model} is not a model id`);
  if (!(Number(args.timeout) > 0)) throw new ChainError(`--timeout ${args.timeout} is not a number of seconds`);
  const input = readJsonArgument(args.input, "--input") as Record<string, never>;
  const modes = (args.mode as string).split(",").map((mode) => mode.trim()) as Mode[];
  const timeoutMs = Number(args.timeout) * 1000;
  const signer = await keypair(args.suri as string);
  const api = await connect(args.url);
  try {
    let model = Number(args.model);
    let upload: unknown;
    if (args.onnx !== undefined) {
      const bytes = new Uint8Array(readFileSync(args.onnx));
      const schema = args.schema === undefined ? undefined : (readJsonArgument(args.schema, "--schema") as IoSchema);
      const result = await uploadModel(api, signer, bytes, {
        name: args.name ?? args.onnx.replace(/^.*\//, "").replace(/\.onnx$/, ""),
        description: args.description,
        price: toPlanck(args.price as string),
        modes: (args.modes as string).split(",") as Mode[],
        schema,
        onProgress: ({ modelId, version, uploaded, chunks }) => say(`model ${modelId} version ${version}: ${uploaded}/${chunks} chunks on chain`),
      });
      say(result.alreadyUploaded ? `already uploaded as model ${result.modelId}` : `uploaded model ${result.modelId} version ${result.version} (${result.byteSize} bytes)`);
      model = result.modelId;
      upload = result;
    }
    // The requests go out concurrently (the client signs one account's transactions in turn).
    const results = await Promise.all(modes.map(async (mode) => {
      // The quote for this input: its batch sizes the answer the request pays for.
      const fees = await quote(api, model, mode, input);
      say(`${mode}: quoted ${formatOpg(fees.total)} and a deposit of ${formatOpg(fees.outputDeposit)} for its answer's ${fees.outputBound} bytes, held until the job is pruned`);
      const requested = await request(api, signer, { model, mode, input, maxFee: fees.total });
      const deposit = { outputDeposit: fees.outputDeposit, outputBound: fees.outputBound };
      const queued = requested.queuedUntil === undefined ? "" : `; queued for a node until block #${requested.queuedUntil}`;
      say(`${mode}: job ${requested.job} requested in block #${requested.blockNumber}, ${formatOpg(requested.fee)} held${queued}`);
      // Each event with the stage the job is in after it: queued from JobRequested until
      // JobAssigned, which comes a block after the request at the earliest.
      const seen: JobEvent[] = [];
      const onEvent = (event: JobEvent) => {
        seen.push(event);
        say(`${mode}: job ${requested.job}: ${event.name} in block #${event.blockNumber} (${stageOf(seen)})`);
      };
      if (mode === "vanilla" && args.until === "accepted") {
        const accepted = await waitForAcceptance(api, requested, { timeoutMs, onEvent });
        return { job: accepted.job, mode, state: "accepted", fee: accepted.fee, ...deposit, node: accepted.node, acceptedAt: accepted.acceptedAt, outputs: outputsJson(accepted.outputs) };
      }
      const result = await wait(api, requested, { timeoutMs, onEvent });
      return {
        job: result.job,
        mode,
        state: "final",
        fee: result.fee,
        ...deposit,
        payouts: result.payouts,
        transactionFee: result.transactionFee,
        verification: result.verification,
        requestBlock: result.requestBlock,
        finalBlock: result.finalBlock,
        outputs: outputsJson(result.outputs),
      };
    }));
    process.stdout.write(`${toJson({ model, upload, results })}\n`);
    return 0;
  } finally {
    await api.disconnect();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    if (error instanceof JobRefunded) {
      say(`error: ${error.message}`);
      process.exit(2);
    }
    say(`error: ${error instanceof ChainError ? error.message : (error as Error)?.stack ?? String(error)}`);
    if (error instanceof DispatchFailed) say(`  (${error.pallet}.${error.error}, in block ${error.blockHash})`);
    process.exit(1);
  },
);
