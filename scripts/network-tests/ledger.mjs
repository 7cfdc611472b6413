// Reads blocks FROM..TO of a node with polkadot.js and prints one JSON line per block: its
// number, hash and timestamp, how many extrinsics it holds (and their hashes) and how many
// failed (and with which error), its encoded length, the weight it used per dispatch class
// (ref time, picoseconds), how many heartbeats it took, its Inference events (the job's
// lifecycle: requested, assigned, reassigned, result, final, refunded) with the fields the
// fault and load tests count, its Attestations events that open or end rounds early (rounds
// opened, challenges, no committee, undecided), and how full the hooks' queues were after it
// (`queues`: the round and dispute deadline lists of the blocks ahead, how far the deadline
// cursors and the timeout queue lag behind), which the load test's attacker fills.
// polkadot.js decodes a full block in milliseconds, where the Python client takes seconds, so
// the tests read long runs through this.
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
const ROUND_EVENTS = new Set(["RoundOpened", "Challenged", "NoCommittee", "RoundUndecided"]);
// The attestations pallet knows job `n` as this tag, sixteen zero bytes and `n` big-endian.
const JOB_SUBJECT = "0x" + Buffer.from("opg/job/").toString("hex");
// How many round deadlines a block's lists hold (verification rounds, disputes).
const ROUND_CAP = api.consts.attestations.maxDeadlinesPerBlock.toNumber();
const DISPUTE_CAP = api.consts.attestations.maxDisputeDeadlinesPerBlock.toNumber();

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
  if (named.reason !== undefined) out.reason = reasonText(event.data[names.indexOf("reason")]);
  if (named.deadline !== undefined) out.deadline = Number(named.deadline);
  return out;
}

// A refund's reason: its variant's name, with the engine's message after an `EngineFailed`.
function reasonText(reason) {
  return reason.value.isEmpty ? reason.type : `${reason.type}: ${reason.value.toHuman()}`;
}

// A round's event: the job its subject names (null for another subject), the round's kind and
// the challenger where the event has them.
function roundEvent(event) {
  const names = event.meta.fields.map((field) => field.name.toString());
  const field = (name) => event.data[names.indexOf(name)];
  const subject = field("subject").toHex();
  const out = {
    event: event.method,
    job: subject.startsWith(JOB_SUBJECT) ? Number(BigInt("0x" + subject.slice(-16))) : null,
  };
  if (names.includes("kind")) out.kind = field("kind").type;
  if (names.includes("challenger")) out.challenger = field("challenger").toString();
  return out;
}

// A failed dispatch's error: `pallet.Error` for a pallet's, the variant's name otherwise.
function errorText(error) {
  if (!error.isModule) return error.type;
  const { section, name } = api.registry.findMetaError(error.asModule);
  return `${section}.${name}`;
}

// How full the hooks' queues are after block `number`: the round and dispute deadlines listed
// for the blocks ahead and how many of those blocks' lists are full, how many blocks each
// deadline cursor lags (0: it ended everything due), and the timeout queue's length and how
// many blocks its oldest deadline is past due (0: the timeout hook keeps up).
async function queues(at, number) {
  const [rounds, disputes, dueFrom, claimsDueFrom, ends] = await Promise.all([
    at.query.attestations.deadlines.entries(), at.query.attestations.disputeDeadlines.entries(),
    at.query.attestations.dueFrom(), at.query.attestations.claimsDueFrom(),
    at.query.inference.queueEnds("Timeouts")]);
  const ahead = (entries, cap) => {
    const lengths = entries.filter(([key]) => key.args[0].toNumber() > number).map(([, list]) => list.length);
    return { listed: lengths.reduce((sum, length) => sum + length, 0), full: lengths.filter((length) => length >= cap).length };
  };
  const [head, tail] = [ends[0].toNumber(), ends[1].toNumber()];
  const oldest = head < tail ? await at.query.inference.queue("Timeouts", head) : null;
  const due = oldest && oldest.isSome ? oldest.unwrap()[1].toNumber() : number + 1;
  return {
    rounds: ahead(rounds, ROUND_CAP),
    disputes: ahead(disputes, DISPUTE_CAP),
    roundLag: Math.max(0, number + 1 - dueFrom.toNumber()),
    claimLag: Math.max(0, number + 1 - claimsDueFrom.toNumber()),
    timeoutsQueued: tail - head,
    timeoutLag: Math.max(0, number + 1 - due),
  };
}

async function readBlock(number) {
  const hash = await api.rpc.chain.getBlockHash(number);
  const [signed, at] = await Promise.all([api.rpc.chain.getBlock(hash), api.at(hash)]);
  const [events, weight, timestamp, queued] = await Promise.all([
    at.query.system.events(), at.query.system.blockWeight(), at.query.timestamp.now(), queues(at, number)]);
  const hashes = signed.block.extrinsics.map((extrinsic) => extrinsic.hash.toHex());
  const inference = [];
  const rounds = [];
  const failures = [];
  let heartbeats = 0;
  for (const { event, phase } of events) {
    if (event.section === "system" && event.method === "ExtrinsicFailed") {
      const index = phase.isApplyExtrinsic ? phase.asApplyExtrinsic.toNumber() : -1;
      failures.push({ hash: hashes[index] ?? null, error: errorText(event.data[0]) });
    }
    if (event.section === "nodes" && event.method === "HeartbeatReceived") heartbeats += 1;
    if (event.section === "inference" && JOB_EVENTS.has(event.method)) inference.push(jobEvent(event));
    if (event.section === "attestations" && ROUND_EVENTS.has(event.method)) rounds.push(roundEvent(event));
  }
  return {
    number,
    hash: hash.toHex(),
    timestamp: timestamp.toNumber(),
    extrinsics: signed.block.extrinsics.length,
    hashes,
    heartbeats,
    failed: failures.length,
    failures,
    bytes: signed.block.encodedLength,
    weight: {
      normal: weight.normal.refTime.toString(),
      operational: weight.operational.refTime.toString(),
      mandatory: weight.mandatory.refTime.toString(),
    },
    events: inference,
    rounds,
    queues: queued,
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
