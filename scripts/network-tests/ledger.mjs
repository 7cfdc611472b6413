// Reads blocks FROM..TO of a node with polkadot.js and prints one JSON line per block: its
// number, hash and timestamp, how many extrinsics it holds (and their hashes) and how many
// failed, its encoded length, the weight it used per dispatch class (ref time, picoseconds),
// how many heartbeats it took, and its Inference events (the job's lifecycle: requested,
// assigned, reassigned, result, final, refunded) with the fields the fault and load tests
// count. polkadot.js decodes a full block in milliseconds, where the
// Python client takes seconds, so the tests read long runs through this.
//
//   node scripts/network-tests/ledger.mjs ws://127.0.0.1:9945 1 120
import { createRequire } from "node:module";

const require = createRequire(new URL("../../clients/typescript/package.json", import.meta.url));
const { ApiPromise, WsProvider } = require("@polkadot/api");

const [url, fromText, toText] = process.argv.slice(2);
if (!url || fromText === undefined || toText === undefined) {
  console.error("usage: node ledger.mjs WS_URL FROM TO");
  process.exit(2);
}
const from = Number(fromText);
const to = Number(toText);
const api = await ApiPromise.create({ provider: new WsProvider(url), noInitWarn: true, throwOnConnect: true });

const JOB_EVENTS = new Set(["JobRequested", "JobAssigned", "JobReassigned", "ResultSubmitted", "JobFinal", "JobRefunded"]);

function jobEvent(event) {
  const fields = event.data.toJSON();
  const names = event.meta.fields.map((field) => field.name.toString());
  const named = Object.fromEntries(names.map((name, i) => [name, fields[i]]));
  const out = { event: event.method, job: Number(named.job) };
  for (const key of ["requester", "node", "from", "to"]) {
    if (named[key] !== undefined) out[key] = event.data[names.indexOf(key)].toString();
  }
  if (named.fee !== undefined) out.fee = event.data[names.indexOf("fee")].toString();
  if (named.amount !== undefined) out.amount = event.data[names.indexOf("amount")].toString();
  if (named.reason !== undefined) out.reason = event.data[names.indexOf("reason")].toString();
  return out;
}

async function readBlock(number) {
  const hash = await api.rpc.chain.getBlockHash(number);
  const [signed, at] = await Promise.all([api.rpc.chain.getBlock(hash), api.at(hash)]);
  const [events, weight, timestamp] = await Promise.all([
    at.query.system.events(), at.query.system.blockWeight(), at.query.timestamp.now()]);
  const inference = [];
  let failed = 0;
  let heartbeats = 0;
  for (const { event } of events) {
    if (event.section === "system" && event.method === "ExtrinsicFailed") failed += 1;
    if (event.section === "nodes" && event.method === "HeartbeatReceived") heartbeats += 1;
    if (event.section === "inference" && JOB_EVENTS.has(event.method)) inference.push(jobEvent(event));
  }
  return {
    number,
    hash: hash.toHex(),
    timestamp: timestamp.toNumber(),
    extrinsics: signed.block.extrinsics.length,
    hashes: signed.block.extrinsics.map((extrinsic) => extrinsic.hash.toHex()),
    heartbeats,
    failed,
    bytes: signed.block.encodedLength,
    weight: {
      normal: weight.normal.refTime.toString(),
      operational: weight.operational.refTime.toString(),
      mandatory: weight.mandatory.refTime.toString(),
    },
    events: inference,
  };
}

const BATCH = 8;
for (let start = from; start <= to; start += BATCH) {
  const numbers = [];
  for (let n = start; n < Math.min(start + BATCH, to + 1); n++) numbers.push(n);
  for (const block of await Promise.all(numbers.map(readBlock))) {
    process.stdout.write(JSON.stringify(block) + "\n");
  }
}
await api.disconnect();
