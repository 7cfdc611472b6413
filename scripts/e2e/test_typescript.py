"""The TypeScript client (clients/typescript, npm `@opg/client`) end to end, run by Node.js as a
dApp would: its example program uploads a real ONNX model to the dev node and requests attested
and vanilla inference at once; the outputs it prints equal Python onnxruntime's bit for bit, and
the fee (the Python SDK's quote for that input), the output deposit, the payouts and what
verified the result agree with the chain's own records read here with a Python client. Its number conversions follow the chain's fixed-point rules exactly (the
same digits as numpy's shortest repr), and failed calls come back as typed errors carrying the
pallet's error name and docs.

Needs `node` and the built package (`scripts/setup.sh` runs `npm ci` and `npm run build`)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from substrateinterface import Keypair, SubstrateInterface

from harness import python_ort
from opg import jobs
from opg_tools import testmodels

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "clients" / "typescript"
EXAMPLE = PACKAGE / "dist" / "examples" / "infer.js"
INDEX = PACKAGE / "dist" / "index.js"
OPG = 10**18
PAYER = "//Ferdie"
# The dev chain's verifier committee members (Alice is its inference node).
VERIFIERS = {Keypair.create_from_uri(f"//{name}").ss58_address for name in ("Bob", "Charlie", "Dave", "Eve")}


@pytest.fixture(scope="module")
def node_js() -> str:
    found = shutil.which("node")
    if found is None:
        pytest.fail("no `node` on PATH: run scripts/setup.sh (it installs nodejs and npm)")
    if not EXAMPLE.exists() or not INDEX.exists():
        pytest.fail(f"{EXAMPLE} is missing: run scripts/setup.sh (or npm ci && npm run build in {PACKAGE})")
    return found


def run_node(node_js: str, script: str, stdin: str = "", timeout: float = 60) -> subprocess.CompletedProcess:
    """Runs an ES module given as text, with the built package importable as OPG."""
    prelude = f"import * as OPG from {json.dumps(INDEX.as_uri())};\n"
    return subprocess.run([node_js, "--input-type=module", "-e", prelude + script], input=stdin,
                          capture_output=True, text=True, timeout=timeout, cwd=PACKAGE)


def tensor_of(printed: dict) -> np.ndarray:
    """A tensor as the example prints it: floats as the doubles equal to them, so casting to the
    dtype is exact."""
    dtype = {"Float32": np.float32, "Float64": np.float64, "Int64": np.int64, "Int32": np.int32}[printed["dtype"]]
    return np.array([int(v) if isinstance(v, str) else v for v in printed["data"]], dtype=dtype).reshape(printed["shape"])


def same_bits(ours: np.ndarray, theirs: np.ndarray) -> bool:
    return ours.shape == theirs.shape and ours.dtype == theirs.dtype and ours.tobytes() == theirs.tobytes()


# -------------------------------------------------------------------------------------------
# Number conversions (no chain needed)

def fixed_point(x) -> tuple[int, int]:
    """The chain's rule for a float (opg_tools' `fixed_point`): numpy's shortest positional
    digits, at most 38 decimals (rounded half up on the first dropped digit)."""
    text = np.format_float_positional(x, unique=True, trim="-")
    whole, _, fraction = text.lstrip("-").partition(".")
    round_up = len(fraction) > 38 and fraction[38] >= "5"
    fraction = fraction[:38]
    value = int(whole + fraction) + int(round_up)
    return (-value if text.startswith("-") else value), len(fraction)


def test_the_typescript_number_conversions_follow_the_chain_rules(node_js):
    rng = np.random.default_rng(2061)
    f32 = np.concatenate([
        rng.standard_normal(3000).astype(np.float32) * np.float32(7),
        rng.integers(0, 2**32, 3000, dtype=np.uint64).astype(np.uint32).view(np.float32),
        np.ldexp(np.float32(1), np.arange(-149, 128)).astype(np.float32),  # uneven gaps around them
        np.array([0.1, 0.3, 1 / 3, 16777216, 16777218, 1e-45, 3e-39, 1.7e38, -2.5], np.float32),
    ])
    f32 = f32[np.isfinite(f32) & (f32 != 0) & (np.abs(f32) < 1.7e38)]  # i128 holds the digits
    f64 = np.concatenate([rng.standard_normal(2000) * 1e3, np.array([0.1, 2.0**-1022, 1e-300, 1e37])])
    decimals = [(int(v), int(d)) for v, d in zip(rng.integers(-10**15, 10**15, 2000),
                                                  rng.integers(0, 39, 2000))]
    script = """
      const input = JSON.parse(require_stdin());
      const view = new DataView(new ArrayBuffer(8));
      const out = { f32: [], f64: [], back32: [], back64: [] };
      for (const bits of input.f32) {
        view.setUint32(0, bits);
        const f = OPG.floatToFixed(view.getFloat32(0), OPG.FLOAT32);
        out.f32.push([f.value.toString(), f.decimals]);
      }
      for (const bits of input.f64) {
        view.setBigUint64(0, BigInt(bits));
        const f = OPG.floatToFixed(view.getFloat64(0), OPG.FLOAT64);
        out.f64.push([f.value.toString(), f.decimals]);
      }
      for (const [value, decimals] of input.decimals) {
        view.setFloat32(0, OPG.fixedToFloat(BigInt(value), decimals, OPG.FLOAT32));
        out.back32.push(view.getUint32(0));
        view.setFloat64(0, OPG.fixedToFloat(BigInt(value), decimals, OPG.FLOAT64));
        out.back64.push(view.getBigUint64(0).toString());
      }
      process.stdout.write(JSON.stringify(out));
    """.replace("require_stdin()", "(await import('node:fs')).readFileSync(0, 'utf8')")
    payload = {"f32": [int(b) for b in f32.view(np.uint32)],
               "f64": [str(int(b)) for b in f64.view(np.uint64)],
               "decimals": [[str(v), d] for v, d in decimals]}
    run = run_node(node_js, script, json.dumps(payload))
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    for x, (value, places) in zip(f32, out["f32"]):
        assert (int(value), places) == fixed_point(x), x
    for x, (value, places) in zip(f64, out["f64"]):
        assert (int(value), places) == fixed_point(x), x
    for (value, places), bits32, bits64 in zip(decimals, out["back32"], out["back64"]):
        # Correctly rounded to each dtype, as numpy reads the decimal.
        assert bits32 == int(np.array([np.float32(f"{value}e-{places}")]).view(np.uint32)[0])
        assert int(bits64) == int(np.array([np.float64(f"{value}e-{places}")]).view(np.uint64)[0])


# (spec, value): inputs whose chain form both clients must agree on, exactly.
TENSOR_CASES = [
    ({"name": "X", "dtype": "Float32", "shape": ["Dynamic", {"Fixed": 4}]}, [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]),
    ({"name": "X", "dtype": "Float32", "shape": ["Dynamic", {"Fixed": 4}]}, [5.1, -3.5e-9, 1e30, 0.0]),  # one item
    ({"name": "x", "dtype": "Float64", "shape": [{"Fixed": 3}]}, [0.1, 1e-7, 123456789.125]),
    ({"name": "x", "dtype": "Float32", "shape": [{"Fixed": 1}]}, 2.5),  # a scalar
    ({"name": "i", "dtype": "Int64", "shape": ["Dynamic"]}, [3, -7, 2**40]),
    ({"name": "i", "dtype": "Int8", "shape": [{"Fixed": 2}]}, [-128, 127.0]),
    ({"name": "b", "dtype": "Bool", "shape": [{"Fixed": 3}]}, [True, False, 1]),
    ({"name": "s", "dtype": "String", "shape": [{"Fixed": 2}]}, ["a", "über"]),
]


def test_the_typescript_tensors_are_the_python_sdks(node_js):
    from opg import tensors  # the Python SDK (clients/python), on the path through harness

    run = run_node(node_js, """
      const cases = JSON.parse((await import('node:fs')).readFileSync(0, 'utf8'));
      const hex = (bytes) => Buffer.from(bytes).toString('hex');
      const out = cases.map(([spec, value]) => {
        const t = OPG.toChain(spec, value);
        const values = 'Numbers' in t.values
          ? { Numbers: t.values.Numbers.map((n) => ({ value: n.value.toString(), decimals: n.decimals })) }
          : { Strings: t.values.Strings.map(hex) };
        return { name: t.name, shape: t.shape, values };
      });
      const refused = [];
      for (const [spec, value] of [[{ name: 'i', dtype: 'Int32', shape: [{ Fixed: 1 }] }, [1.5]],
                                   [{ name: 'X', dtype: 'Float32', shape: ['Dynamic', { Fixed: 4 }] }, [[1, 2]]],
                                   [{ name: 'X', dtype: 'Float32', shape: [{ Fixed: 2 }] }, [[1, 2], [3]]],
                                   [{ name: 'u', dtype: 'UInt8', shape: [{ Fixed: 1 }] }, [256]]]) {
        try { OPG.toChain(spec, value); refused.push(null); } catch (error) { refused.push(error.constructor.name + ': ' + error.message); }
      }
      process.stdout.write(JSON.stringify({ out, refused }));
    """, json.dumps(TENSOR_CASES))
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    for (spec, value), ours in zip(TENSOR_CASES, result["out"]):
        theirs = tensors.to_chain(spec, value)
        if "Strings" in theirs["values"]:
            theirs["values"] = {"Strings": [s.hex() for s in theirs["values"]["Strings"]]}
        else:
            theirs["values"] = {"Numbers": [{"value": str(n["value"]), "decimals": n["decimals"]}
                                            for n in theirs["values"]["Numbers"]]}
        assert ours == theirs, spec
    assert all(message and message.startswith("TensorError") for message in result["refused"]), result["refused"]


def test_the_typescript_onnx_reader_gives_the_registry_schema(node_js, tmp_path):
    path = tmp_path / "iris.onnx"
    path.write_bytes(testmodels.iris_classifier())
    run = run_node(node_js, f"""
      const bytes = (await import('node:fs')).readFileSync({json.dumps(str(path))});
      process.stdout.write(JSON.stringify(OPG.schemaFromOnnx(new Uint8Array(bytes))));
    """)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {
        "inputs": [{"name": "X", "dtype": "Float32", "shape": ["Dynamic", {"Fixed": 4}]}],
        "outputs": [{"name": "label", "dtype": "Int64", "shape": ["Dynamic"]},
                    {"name": "probabilities", "dtype": "Float32", "shape": ["Dynamic", {"Fixed": 3}]}],
    }


# The job statuses of the chain (JobStatus, RefundReason) in polkadot.js's type notation: what
# the TypeScript client decodes, built offline.
JOB_TYPES = {
    "RefundReason": {"_enum": {"TimedOut": "Null", "EngineFailed": "Bytes", "Rejected": "Null",
                               "Undecided": "Null", "VerificationUnavailable": "Null",
                               "InvalidProofs": "Null", "NoNodeAvailable": "Null"}},
    "JobStatus": {"_enum": {
        "Queued": {"until": "u32"},
        "Assigned": {"node": "AccountId32", "deadline": "u32", "reassigned": "bool"},
        "Accepted": {"node": "AccountId32"}, "Verifying": {"node": "AccountId32"},
        "Final": {"node": "AccountId32", "at": "u32"},
        "Refunded": {"reason": "RefundReason", "at": "u32"}}},
}


def test_the_typescript_job_states_and_stages_are_the_python_sdks(node_js):
    """A job starts queued (its node is drawn in a later block) in both clients: the same
    states, the same lines for a person, the same stages from the events, and the same
    explanation of the `NoNodeAvailable` refund."""
    alice = Keypair.create_from_uri("//Alice").ss58_address
    statuses = [
        {"Queued": {"until": 17}},
        {"Assigned": {"node": alice, "deadline": 9, "reassigned": False}},
        {"Assigned": {"node": alice, "deadline": 21, "reassigned": True}},
        {"Accepted": {"node": alice}},
        {"Verifying": {"node": alice}},
        {"Final": {"node": alice, "at": 20}},
        {"Refunded": {"reason": "NoNodeAvailable", "at": 14}},
        {"Refunded": {"reason": "TimedOut", "at": 30}},
    ]
    histories = [[], ["JobRequested"], ["JobRequested", "JobAssigned"],
                 ["JobRequested", "JobAssigned", "ResultSubmitted"],
                 ["JobRequested", "JobAssigned", "ResultSubmitted", "ResultVerified"],
                 ["JobRequested", "JobAssigned", "ResultSubmitted", "JobFinal"],
                 ["JobRequested", "JobRefunded"]]
    run = run_node(node_js, f"""
      const {{ TypeRegistry }} = await import('@polkadot/types');
      const registry = new TypeRegistry();
      registry.register({json.dumps(JOB_TYPES)});
      const statuses = {json.dumps(statuses)}.map((status) => {{
        const decoded = OPG.decodeJobStatus(registry.createType('JobStatus', status));
        return {{ decoded, line: OPG.describeJobStatus(decoded) }};
      }});
      const stages = {json.dumps(histories)}.map((names) => OPG.stageOf(names.map((name) => ({{ name }}))));
      process.stdout.write(JSON.stringify({{ statuses, stages, states: OPG.JOB_STATES, stageNames: OPG.JOB_STAGES,
        noNode: OPG.explainRefund({{ kind: 'NoNodeAvailable' }}) }}));
    """)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    for status, ours in zip(statuses, result["statuses"]):
        assert ours["decoded"]["state"] == next(iter(status))
        assert ours["line"] == jobs.describe({"status": status}), status
    assert result["statuses"][0]["decoded"] == {"state": "Queued", "until": 17}
    assert result["statuses"][6]["decoded"]["reason"] == {"kind": "NoNodeAvailable"}
    assert result["states"] == list(jobs.STATES) and result["stageNames"] == list(jobs.STAGES)
    expected = [jobs.stage_of([jobs.JobEvent(0, "", name, {}) for name in names])
                for names in histories]
    assert result["stages"] == expected
    assert expected[:3] == ["queued", "queued", "assigned"]
    assert result["noNode"] == jobs.refund_reason("NoNodeAvailable")


# -------------------------------------------------------------------------------------------
# Against the dev chain

@pytest.fixture(scope="module")
def substrate(node):
    client = SubstrateInterface(url=node.url)
    yield client
    client.close()


@pytest.fixture(scope="module")
def published(node, node_js, tmp_path_factory) -> dict:
    """The example run once: it uploads a model and requests attested and vanilla inference at
    once on the same input. Returns what it printed, the model's bytes and the input."""
    # Bytes of its own (a seed no other test uses), so no other upload of the session collides.
    data = testmodels.mlp(inputs=16, hidden=32, outputs=4, seed=2061)
    path = tmp_path_factory.mktemp("typescript") / "ts-mlp.onnx"
    path.write_bytes(data)
    x = (np.random.default_rng(2061).standard_normal((2, 16)) * 3).astype(np.float32)
    for attempt in (1, 2):
        run = subprocess.run(
            [node_js, str(EXAMPLE), "--url", node.url, "--suri", PAYER, "--onnx", str(path),
             "--name", "ts-e2e-mlp", "--price", "0.5", "--mode", "attested,vanilla", "--until", "accepted",
             "--timeout", "120", "--input", json.dumps({"input": x.tolist()})],
            capture_output=True, text=True, timeout=280, cwd=PACKAGE)
        # Exit 2 is a refund. The chain's own flake (issue 16's closing note): now and then
        # verifier commitments never reach a block and the round has no quorum, which says
        # nothing of the client; ask once more (the model is on chain by then).
        if not (run.returncode == 2 and "no quorum" in run.stderr and attempt == 1):
            break
    assert run.returncode == 0, run.stderr
    return {"printed": json.loads(run.stdout), "data": data, "x": x, "progress": run.stderr}


def inference_holds(substrate, who: str, at: str) -> dict:
    """What the Inference pallet holds from `who` at block `at`, by hold reason."""
    held = substrate.query("Balances", "Holds", [who], block_hash=at).value
    return {hold["id"]["Inference"]: int(hold["amount"]) for hold in held if "Inference" in hold["id"]}


def owed_holds(substrate, who: str, at: str) -> dict:
    """What the Inference pallet must hold from `who` at block `at`, by hold reason: the fees of
    its jobs still open (`JobFee`) and the output deposits of its jobs not yet pruned
    (`OutputDeposit`)."""
    mine = jobs.jobs_of(substrate, who, at).values()
    fees = sum(int(record["fee"]["total"]) for record in mine
               if jobs.variant(record["status"])[0] not in ("Final", "Refunded"))
    deposits = sum(int(record["fee"]["output_deposit"]) for record in mine)
    return {reason: amount for reason, amount in (("JobFee", fees), ("OutputDeposit", deposits))
            if amount}


def test_a_model_published_and_run_from_typescript_equals_python_onnxruntime(published, substrate):
    printed, data, x = published["printed"], published["data"], published["x"]
    model = printed["model"]
    assert printed["upload"]["modelId"] == model and printed["upload"]["active"]
    assert printed["upload"]["chunks"] == 1 and printed["upload"]["byteSize"] == len(data)

    expected = python_ort(data, {"input": x})["logits"]
    parameters = substrate.query("Inference", "ActiveParameters").value
    alice = Keypair.create_from_uri("//Alice").ss58_address
    attested, vanilla = printed["results"]

    # Attested: final once a quorum of the committee re-executed it; paid as the chain says.
    assert attested["mode"] == "attested" and attested["state"] == "final"
    assert same_bits(tensor_of(attested["outputs"]["logits"]), expected)
    verification = attested["verification"]
    assert verification["kind"] == "attested" and verification["node"] == alice
    # A quorum (2 of 3) or all three; issue 16's closing note explains the occasional 2.
    assert 2 <= len(verification["verifiers"]) <= 3
    assert set(verification["verifiers"]) <= VERIFIERS
    payouts = attested["payouts"]
    assert sum(payouts.values()) == attested["fee"]
    assert payouts["ownerPaid"] == attested["fee"] * int(parameters["shares"]["owner"]) // 10**9
    assert payouts["verifiersPaid"] > 0 and payouts["verifiersPaid"] % len(verification["verifiers"]) == 0
    record = substrate.query("Inference", "Jobs", [attested["job"]]).value
    assert record["status"] == {"Final": {"node": alice, "at": attested["finalBlock"]["number"]}}
    assert record["requester"] == Keypair.create_from_uri(PAYER).ss58_address
    assert attested["finalBlock"]["hash"] == substrate.get_block_hash(attested["finalBlock"]["number"])

    # Vanilla: the same output, accepted against Alice's bond (final after the challenge window).
    assert vanilla["mode"] == "vanilla" and vanilla["state"] == "accepted"
    assert same_bits(tensor_of(vanilla["outputs"]["logits"]), expected)
    assert vanilla["node"] == alice

    # Each fee is the Python SDK's quote for the input (a batch of two rows): the price, the
    # mode's protocol fee and the output byte fee for each byte of the largest answer; the
    # TypeScript quote says the same bound and the output deposit held beside the fee.
    _, schema, price = jobs.runnable_version(substrate, model)
    assert price == OPG // 2
    items = jobs.build_input(schema, {"input": x.tolist()})
    assert jobs.batch_of(items, schema["inputs"]) == 2
    bound = jobs.output_bound(schema, items, jobs.max_output_bytes(substrate))
    deposit = int(parameters["output_byte_deposit"]) * bound
    for result in (attested, vanilla):
        mode = result["mode"]
        assert result["fee"] == jobs.quote(substrate, mode, price, schema, items)
        assert result["fee"] == (price + int(parameters[jobs.FEE_PARAMETER[mode]])
                                 + int(parameters["output_byte_fee"]) * bound)
        assert (result["outputBound"], result["outputDeposit"]) == (bound, deposit)
        record = substrate.query("Inference", "Jobs", [result["job"]]).value
        assert record["output_bound"] == bound
        assert record["fee"] == {"price": price, "protocol_fee": result["fee"] - price,
                                 "total": result["fee"], "output_deposit": deposit}
    # The payer holds the fee of each job still open (the vanilla one until its challenge
    # window closes) and the output deposit of each job not yet pruned, both of these among them.
    payer = Keypair.create_from_uri(PAYER).ss58_address
    at = substrate.get_chain_head()
    assert {attested["job"], vanilla["job"]} <= set(jobs.jobs_of(substrate, payer, at))
    held = inference_holds(substrate, payer, at)
    assert held == owed_holds(substrate, payer, at) and held["OutputDeposit"] >= 2 * deposit

    # Each job was queued in its request's block (no node named there) and its node drawn at
    # the start of a later block, as the example's progress lines say.
    progress = published["progress"]
    for result in (attested, vanilla):
        mode, job = result["mode"], result["job"]
        requested = re.search(rf"{mode}: job {job} requested in block #(\d+), .* held; "
                              rf"queued for a node until block #(\d+)", progress)
        assert requested, progress
        in_block = re.search(rf"{mode}: job {job}: JobRequested in block #(\d+) \(queued\)", progress)
        drawn = re.search(rf"{mode}: job {job}: JobAssigned in block #(\d+) \(assigned\)", progress)
        assert in_block and drawn, progress
        request_block = int(requested.group(1))
        assert int(in_block.group(1)) == request_block
        assert request_block < int(drawn.group(1)) <= int(requested.group(2)), progress


def test_failures_come_back_as_typed_errors_with_the_pallets_docs(node, node_js, published):
    script = f"""
      const api = await OPG.connect({json.dumps(node.url)});
      const payer = await OPG.keypair("//Charlie");
      const found = {{}};
      const attempt = async (name, body) => {{
        try {{ await body(); found[name] = "no error"; }}
        catch (error) {{
          found[name] = {{ class: error.constructor.name, pallet: error.pallet, error: error.error,
                           docs: error.docs, message: error.message }};
        }}
      }};
      const model = {{ id: {published["printed"]["model"]} }};
      const input = {{ input: [Array(16).fill(0.5)] }};
      await attempt("feeAboveMax", () => OPG.request(api, payer, {{ model: model.id, mode: "attested", input, maxFee: 1n }}));
      await attempt("badShape", () => OPG.request(api, payer, {{ model: model.id, mode: "attested", input: {{ input: [[1, 2]] }} }}));
      await attempt("noModel", () => OPG.quoteFee(api, 4000000, "vanilla"));
      await attempt("badUrl", () => OPG.connect("127.0.0.1:1"));
      process.stdout.write(JSON.stringify(found));
      await api.disconnect();
    """
    run = run_node(node_js, script, timeout=120)
    assert run.returncode == 0, run.stderr
    found = json.loads(run.stdout)
    # Included and failed: the pallet's own error class, with the name and docs from metadata.
    assert found["feeAboveMax"]["class"] == "InferenceError"
    assert (found["feeAboveMax"]["pallet"], found["feeAboveMax"]["error"]) == ("Inference", "FeeAboveMax")
    assert "max_fee" in found["feeAboveMax"]["docs"]
    # Refused before paying anything.
    assert found["badShape"]["class"] == "TensorError" and "[batch, 16]" in found["badShape"]["message"]
    assert found["noModel"]["class"] == "InvalidInput" and "does not exist" in found["noModel"]["message"]
    assert found["badUrl"]["class"] == "InvalidInput"


def test_the_typescript_docs_example_runs(node, node_js, tmp_path):
    """docs/clients/typescript.md's program, as written, as an ES module importing the package
    by its name, against this node with the demo MLP as its model.onnx."""
    subprocess.run([str(ROOT / "scripts" / "make-test-model.sh"), "--demo", str(tmp_path)],
                   check=True, capture_output=True, timeout=120)
    page = (ROOT / "docs" / "clients" / "typescript.md").read_text()
    program = page.split("## In your program", 1)[1].split("```ts\n", 1)[1].split("```", 1)[0]
    program = program.replace("ws://127.0.0.1:9944", node.url).replace(
        '"model.onnx"', json.dumps(str(tmp_path / "mlp-16-32-4.onnx")))
    program += ('console.log(JSON.stringify({kind: result.verification.kind, '
                'outputs: result.outputs.logits.data.length, fee: result.fee.toString()}));\n')
    script = PACKAGE / f".docs-example-{tmp_path.name}.mjs"  # inside the package: imports resolve
    script.write_text(program)
    try:
        run = subprocess.run([node_js, str(script)], capture_output=True, text=True, timeout=300,
                             cwd=PACKAGE)
    finally:
        script.unlink()
    assert run.returncode == 0, run.stderr
    printed = json.loads(run.stdout.strip().splitlines()[-1])
    assert printed["kind"] == "attested" and printed["outputs"] == 4 and int(printed["fee"]) > 0
