"""EZKL proving an ONNX model on this machine, offline: the anchor beside our own proving figures.

    cd scripts && python -m opg_tools.ezkl_bench MODEL.onnx --input '[[0.1, 0.2, ...]]' \\
        --workdir /tmp/ezkl-work

EZKL (the `ezkl` package, pinned at 23.0.5 in requirements.txt) turns a float ONNX model into
a halo2 circuit with KZG commitments over BN254 (PLONKish arithmetization, lookups and range
checks), quantizing the model itself: inputs and weights become fixed-point integers at EZKL's
scales (its default 2^7 for both), so its outputs are the float model's up to that rounding.
`measure()` runs EZKL's own pipeline with its defaults except for the visibilities: public
input, public output and fixed weights (constants of the circuit, in its verifying key; neither
public inputs nor committed):

    gen_settings   settings.json (logrows, rows) from the model and the run arguments
    compile_circuit
    gen_srs        a KZG structured reference string of 2^logrows points, made here
    gen_witness    the quantized forward pass on input.json
    setup          the proving key pk.key and the verifying key vk.key      (timed: setup_s)
    prove          proof.json                                               (timed: prove_s)
    verify         the proof against vk.key and the public input and output (timed: verify_s)

`calibrate_settings` is not run: it only searches scales and logrows for cheaper or more
precise settings, and EZKL's defaults (scales 7, logrows 17) already give proofs that verify,
with outputs close to the float model's (`max_abs_error` in the result; on one random input
0.02 for the 16-32-4 test MLP, 0.04 for a 784-56-10 MLP). Those defaults fix logrows at 17
whatever the model: a circuit with more rows than 2^17 is laid over more columns (a 784-512-10
MLP, 224k rows: a 906 MB proving key), and a small one still pays for 2^17 rows (the 16-32-4
and the 784-56-10 MLPs, 2.3k and 28k rows, both have a 554 MB proving key). Calibrated, the
16-32-4 MLP would get logrows 15 and scales 13 (a 138 MB proving key, setup and proving about
4x faster).

Offline SRS. KZG needs a structured reference string, normally from a public powers-of-tau
ceremony, which `ezkl.get_srs` downloads. This module never calls it: `ezkl.gen_srs` makes an
SRS locally from a random secret (EZKL's "for testing" SRS). A prover who knew that secret
could forge proofs, so such an SRS is not for production, but setup, proving and verifying do
exactly the same work with it as with a ceremony's SRS of the same size, which is what is
measured. The SRS is written once per workdir and logrows (`kzg<logrows>.srs`) and reused; its
generation time (`srs_s`, null when reused) is reported apart and is in none of the three
timings.

The EZKL work runs in a child process (`python -m opg_tools.ezkl_bench --worker DIR`, which
imports nothing but the standard library and ezkl) so that its peak memory is its own: the
child reports its `ru_maxrss` (KiB on Linux) at its end, the peak resident set over the whole
pipeline, setup and prove being the largest steps. Times are `time.perf_counter` seconds around
each EZKL call; EZKL's functions that return an awaitable are awaited inside the timing.

EZKL needs fixed shapes: a model whose inputs have a symbolic batch dimension (our test MLPs
have "batch") is copied into the workdir with that dimension set to 1 wherever it appears, and
EZKL proves the copy; the file given is not changed.

The result: setup_s, prove_s, verify_s (seconds); pk_bytes, vk_bytes, proof_bytes (the sizes
of EZKL's files; proof.json holds the proof as JSON, proof_raw_bytes is the proof itself);
peak_rss_bytes; logrows; num_rows (the rows the circuit uses, from settings.json);
ezkl_version; verified (bool); and srs_s, witness_s, outputs (EZKL's dequantized outputs) and
max_abs_error (against ONNX Runtime running the float model).
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[1]
RESULT_FILE = "result.json"


class EzklBenchError(RuntimeError):
    """The model or input does not fit, or the EZKL child failed."""


def measure(onnx_path: str, input_values: list[list[float]], workdir: str) -> dict:
    """EZKL's setup, prove and verify on the model with this input (one flat list of values
    per graph input, batch 1), its key and proof sizes and peak memory; see the module's
    docstring. The workdir (created if needed) keeps EZKL's files, the keys included: with
    logrows 17 the proving key alone is about 550 MB."""
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    sizes = fixed_batch_copy(Path(onnx_path), work / "model.onnx")
    if len(input_values) != len(sizes):
        raise EzklBenchError(f"the model takes {len(sizes)} input(s), {len(input_values)} given")
    for index, (values, size) in enumerate(zip(input_values, sizes)):
        if size is not None and len(values) != size:
            raise EzklBenchError(f"input {index} takes {size} values at batch 1, {len(values)} "
                                 "given")
    data = [[float(value) for value in values] for values in input_values]
    (work / "input.json").write_text(json.dumps({"input_data": data}))
    (work / RESULT_FILE).unlink(missing_ok=True)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SCRIPTS.parent / "clients" / "python"),
                                                      str(SCRIPTS), env.get("PYTHONPATH")]))
    child = subprocess.run([sys.executable, "-m", "opg_tools.ezkl_bench", "--worker", str(work)],
                           env=env, capture_output=True, text=True)
    if child.returncode != 0 or not (work / RESULT_FILE).is_file():
        tail = "\n".join((child.stderr or child.stdout).strip().splitlines()[-20:])
        raise EzklBenchError(f"the EZKL child process failed (exit status {child.returncode}):\n"
                             f"{tail}")
    result = json.loads((work / RESULT_FILE).read_text())
    result["max_abs_error"] = max_abs_error(work / "model.onnx", data, result["outputs"])
    return result


def fixed_batch_copy(source: Path, target: Path) -> list[int | None]:
    """Writes the model to `target` with the symbolic leading (batch) dimensions of its inputs
    set to 1, in its inputs, outputs and value infos; returns each input's number of values
    at batch 1 (None where the model leaves a dimension out)."""
    from opg.models import SchemaError, load_onnx

    try:
        model = load_onnx(source.read_bytes())
    except (OSError, SchemaError) as error:
        raise EzklBenchError(f"cannot read the model {source}: {error}") from None
    initializers = {tensor.name for tensor in model.graph.initializer}
    inputs = [info for info in model.graph.input if info.name not in initializers]
    batch = set()
    for info in inputs:
        dims = info.type.tensor_type.shape.dim
        if dims and dims[0].HasField("dim_param"):
            batch.add(dims[0].dim_param)
    for info in [*model.graph.input, *model.graph.output, *model.graph.value_info]:
        for dim in info.type.tensor_type.shape.dim:
            if dim.HasField("dim_param") and dim.dim_param in batch:
                dim.dim_value = 1  # clears dim_param: the two are a oneof
    sizes: list[int | None] = []
    for info in inputs:
        size: int | None = 1
        for dim in info.type.tensor_type.shape.dim:
            if dim.HasField("dim_param"):
                raise EzklBenchError(f"input {info.name!r} has the symbolic dimension "
                                     f"{dim.dim_param!r} besides the batch: EZKL needs fixed "
                                     "shapes")
            size = size * dim.dim_value if size is not None and dim.HasField("dim_value") else None
        sizes.append(size)
    target.write_bytes(model.SerializeToString())
    return sizes


def max_abs_error(model_path: Path, inputs: list[list[float]], outputs: list[list[float]]) -> float:
    """The largest difference between EZKL's dequantized outputs and ONNX Runtime's float
    outputs of the same (batch 1) model on the same input."""
    import numpy as np
    import onnxruntime

    session = onnxruntime.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    feeds = {}
    for spec, values in zip(session.get_inputs(), inputs):
        shape = [dim if isinstance(dim, int) else 1 for dim in spec.shape]
        feeds[spec.name] = np.asarray(values, dtype=np.float32).reshape(shape)
    expected = session.run(None, feeds)
    return max(float(np.max(np.abs(np.asarray(ours, dtype=np.float64).ravel()
                                   - np.asarray(theirs, dtype=np.float64).ravel())))
               for ours, theirs in zip(outputs, expected))


def _call(function, *args, **kwargs):
    """Calls an EZKL function, awaiting its result where it returns an awaitable (some of
    EZKL's Python functions are async in some versions)."""
    result = function(*args, **kwargs)
    if inspect.isawaitable(result):
        async def wait():
            return await result
        result = asyncio.run(wait())
    return result


def _timed(function, *args, **kwargs) -> tuple[object, float]:
    started = time.perf_counter()
    result = _call(function, *args, **kwargs)
    return result, time.perf_counter() - started


def _check(result: object, step: str) -> None:
    if result is False:
        raise EzklBenchError(f"ezkl.{step} returned False")


def run_ezkl(work: Path) -> dict:
    """The EZKL pipeline on work/model.onnx and work/input.json, in this process; see the
    module's docstring."""
    import ezkl

    model = str(work / "model.onnx")
    settings = str(work / "settings.json")
    compiled = str(work / "model.compiled")
    witness = str(work / "witness.json")
    vk, pk, proof = str(work / "vk.key"), str(work / "pk.key"), str(work / "proof.json")

    run_args = ezkl.PyRunArgs()
    run_args.input_visibility = "public"
    run_args.output_visibility = "public"
    run_args.param_visibility = "fixed"
    _check(_call(ezkl.gen_settings, model=model, output=settings, py_run_args=run_args),
           "gen_settings")
    _check(_call(ezkl.compile_circuit, model=model, compiled_circuit=compiled,
                 settings_path=settings), "compile_circuit")
    circuit = json.loads(Path(settings).read_text())
    logrows = int(circuit["run_args"]["logrows"])

    srs = work / f"kzg{logrows}.srs"
    srs_s = None
    if not srs.is_file():
        partial = work / f"kzg{logrows}.srs.partial"
        _, srs_s = _timed(ezkl.gen_srs, str(partial), logrows)
        os.replace(partial, srs)

    _, witness_s = _timed(ezkl.gen_witness, data=str(work / "input.json"), model=compiled,
                          output=witness, vk_path=None, srs_path=str(srs))
    done, setup_s = _timed(ezkl.setup, model=compiled, vk_path=vk, pk_path=pk,
                           srs_path=str(srs))
    _check(done, "setup")
    done, prove_s = _timed(ezkl.prove, witness=witness, model=compiled, pk_path=pk,
                           proof_path=proof, srs_path=str(srs))
    _check(done, "prove")
    try:
        verified, verify_s = _timed(ezkl.verify, proof_path=proof, settings_path=settings,
                                    vk_path=vk, srs_path=str(srs), reduced_srs=False)
    except RuntimeError as error:  # EZKL raises on a proof that does not verify
        print(f"ezkl.verify: {error}", file=sys.stderr)
        verified, verify_s = False, None

    proof_json = json.loads(Path(proof).read_text())
    outputs = json.loads(Path(witness).read_text())["pretty_elements"]["rescaled_outputs"]
    return {
        "setup_s": setup_s,
        "prove_s": prove_s,
        "verify_s": verify_s,
        "pk_bytes": os.path.getsize(pk),
        "vk_bytes": os.path.getsize(vk),
        "proof_bytes": os.path.getsize(proof),
        "proof_raw_bytes": len(proof_json["proof"]),
        # ru_maxrss is in KiB on Linux.
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "logrows": logrows,
        "num_rows": circuit.get("num_rows"),
        "ezkl_version": getattr(ezkl, "__version__", None),
        "verified": bool(verified),
        "srs_s": srs_s,
        "witness_s": witness_s,
        "outputs": [[float(value) for value in output] for output in outputs],
    }


def parse_input(text: str) -> list[list[float]]:
    """The input values, from JSON text or the file it names: EZKL's {"input_data": [[...]]},
    an object from input name to (nested) values in the model's input order, a list of lists
    (one per input) or a flat list (the one input)."""
    source = text
    if not text.lstrip().startswith(("{", "[")) and Path(text).is_file():
        source = Path(text).read_text()
    try:
        data = json.loads(source)
    except json.JSONDecodeError as error:
        raise EzklBenchError(f"--input is not JSON ({error})") from None
    if isinstance(data, dict):
        data = data["input_data"] if "input_data" in data else list(data.values())
    if isinstance(data, list) and data and not isinstance(data[0], list):
        data = [data]

    def flat(values) -> list[float]:
        if isinstance(values, list):
            return [value for item in values for value in flat(item)]
        if isinstance(values, (int, float)) and not isinstance(values, bool):
            return [float(values)]
        raise EzklBenchError(f"--input holds {values!r}, not a number")

    if not isinstance(data, list):
        raise EzklBenchError("--input must be a JSON list or object")
    return [flat(values) for values in data]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Measure EZKL (halo2/KZG, offline SRS) proving an ONNX model: setup, "
                    "prove and verify times, key and proof sizes, peak memory. Prints JSON.")
    parser.add_argument("model", nargs="?", help="the .onnx file")
    parser.add_argument("--input", help='the input as JSON or a JSON file: {"input_data": '
                        '[[...]]}, {"name": [[...]]}, [[...], ...] or a flat list')
    parser.add_argument("--workdir", help="where EZKL's files go (kept); default: a temporary "
                        "folder, removed after")
    parser.add_argument("--worker", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        result = run_ezkl(Path(args.worker))
        (Path(args.worker) / RESULT_FILE).write_text(json.dumps(result))
        return 0
    if not args.model or args.input is None:
        parser.error("give MODEL and --input")
    try:
        values = parse_input(args.input)
        if args.workdir:
            result = measure(args.model, values, args.workdir)
        else:
            with tempfile.TemporaryDirectory(prefix="opg-ezkl-") as folder:
                result = measure(args.model, values, folder)
    except EzklBenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
