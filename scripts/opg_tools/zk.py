"""ZK model preparation: quantize a float MLP into the integer ONNX subset the circuit compiler
takes, report the accuracy drift, and run the Groth16 setup.

    scripts/zk-prepare.sh quantize model.onnx --out model-zk.onnx [--samples x.npy | --digits]
    scripts/zk-prepare.sh setup model-zk.onnx --out keys/ [--seed HEX]

`quantize` reads a float ONNX model exported from torch or scikit-learn (skl2onnx) whose graph
is a chain of dense layers: `MatMul` (+ `Add`) or `Gemm`, with `Relu` between them; whatever
follows the last dense layer (Softmax, ArgMax, skl2onnx's label and probability outputs) is
dropped, so the integer model answers the logits. It writes:

    x:int8[1, n] -> Cast(int32) -> MatMul(W1) -> Add(b1) -> Div(2^k1) -> Clip(0, 127)
                 -> MatMul(W2) -> Add(b2) [-> Div -> Clip ...] -> logits:int32[1, m]

Weights are int8-range integers in int32 tensors, scaled per layer by their largest magnitude;
biases are int32 at the accumulator's scale; between layers the accumulator is rescaled by a
power of two (Div, which truncates toward zero exactly as ONNX Runtime's integer Div does) and
clipped to [0, 127], which is the ReLU and the int8 saturation in one operator. The input is
quantized by the dApp: `round(x / input_scale)` clipped to [-128, 127]; the scale is printed
and kept in the report. Every operator is one ONNX Runtime runs exactly on integers, so a
node's ONNX Runtime output and the circuit's output agree bit for bit.

The drift report compares the integer model (run with ONNX Runtime) against the float model
on the sample set: top-1 agreement and the largest error of the dequantized logits.

`setup` calls `opg-node zk-setup`, which compiles the circuit, refuses a model over the chain's
constraint limit (pointing to ATTESTED or TEE mode), and writes the proving key (named by its
hash, as nodes look it up), the verifying key and `setup.json`. The seed is the setup's toxic
waste: whoever knows it can forge proofs for the model (docs/zk.md).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


INT8_MAX = 127


@dataclass
class Dense:
    """One dense layer of the float model: y = x @ weight + bias, then ReLU or not."""

    weight: np.ndarray  # [inputs, outputs]
    bias: np.ndarray  # [outputs]
    relu: bool = False


@dataclass
class FloatMlp:
    """The dense chain read from a float ONNX model."""

    input_name: str
    inputs: int
    layers: list[Dense] = field(default_factory=list)


class PrepareError(Exception):
    """The model cannot be prepared; the message says why and what to do."""


def read_mlp(data: bytes) -> FloatMlp:
    """The chain of dense layers of a float ONNX model, from its first input on."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load_from_string(data)
    graph = model.graph
    constants = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    for node in graph.node:
        if node.op_type == "Constant":
            constants[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
    inputs = [v for v in graph.input if v.name not in constants]
    if len(inputs) != 1:
        raise PrepareError("the model must have one input tensor")
    dims = inputs[0].type.tensor_type.shape.dim
    features = dims[-1].dim_value if dims else 0
    if features <= 0:
        raise PrepareError("the input's last dimension must be fixed (the feature count)")
    mlp = FloatMlp(inputs[0].name, features)
    current = inputs[0].name
    aliases = {current}

    def consumers(name: str):
        return [n for n in graph.node if name in n.input]

    while True:
        following = consumers(current)
        if not following:
            break
        node = following[0]
        other = [i for i in node.input if i not in aliases]
        if node.op_type in ("Cast", "Identity", "Flatten"):
            aliases.add(node.output[0])
            current = node.output[0]
            continue
        if node.op_type == "MatMul" and other and other[0] in constants:
            weight = constants[other[0]].astype(np.float64)
            mlp.layers.append(Dense(weight, np.zeros(weight.shape[1])))
        elif node.op_type == "Gemm" and len(other) >= 1 and other[0] in constants:
            attrs = {a.name: a for a in node.attribute}
            if attrs.get("transA") and attrs["transA"].i:
                raise PrepareError("Gemm with transA is not a dense layer of this form")
            weight = constants[other[0]].astype(np.float64)
            if attrs.get("transB") and attrs["transB"].i:
                weight = weight.T
            weight = weight * (attrs["alpha"].f if "alpha" in attrs else 1.0)
            bias = constants[other[1]].astype(np.float64).reshape(-1) if len(other) > 1 else np.zeros(weight.shape[1])
            bias = bias * (attrs["beta"].f if "beta" in attrs else 1.0)
            mlp.layers.append(Dense(weight, np.broadcast_to(bias, (weight.shape[1],)).copy()))
        elif node.op_type == "Add" and mlp.layers and other and other[0] in constants:
            mlp.layers[-1].bias = mlp.layers[-1].bias + constants[other[0]].astype(np.float64).reshape(-1)
        elif node.op_type == "Relu" and mlp.layers:
            mlp.layers[-1].relu = True
        else:
            # Softmax, ArgMax, skl2onnx's probability and label outputs: the logits end here.
            break
        aliases = {node.output[0]}
        current = node.output[0]
    if not mlp.layers:
        raise PrepareError("no dense layer (MatMul with constant weights, or Gemm) follows the input")
    for layer in mlp.layers[:-1]:
        if not layer.relu:
            raise PrepareError("every dense layer but the last must be followed by Relu")
    return mlp


def float_logits(mlp: FloatMlp, x: np.ndarray) -> np.ndarray:
    """The float model's logits (the chain read by read_mlp), in float64."""
    for layer in mlp.layers:
        x = x @ layer.weight + layer.bias
        if layer.relu:
            x = np.maximum(x, 0)
    return x


@dataclass
class Quantized:
    """The integer model and what the dApp needs to use it."""

    model: bytes
    input_scale: float
    output_scale: float
    shifts: list[int]

    def quantize_input(self, x: np.ndarray) -> np.ndarray:
        """A float input as the integer model takes it."""
        return np.clip(np.round(x / self.input_scale), -128, INT8_MAX).astype(np.int8)


def quantize(mlp: FloatMlp, samples: np.ndarray, input_name: str | None = None,
             output_name: str = "logits") -> Quantized:
    """The integer model of `mlp`, with scales calibrated on `samples` ([count, inputs])."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    input_name = input_name or mlp.input_name
    input_scale = float(np.max(np.abs(samples))) / INT8_MAX or 1.0
    scale = input_scale
    x_q = np.clip(np.round(samples / input_scale), -128, INT8_MAX).astype(np.int64)
    nodes, initializers, shifts = [], [], []
    current = "x32"
    nodes.append(helper.make_node("Cast", [input_name], [current], to=TensorProto.INT32))

    def constant(name: str, values: np.ndarray) -> str:
        initializers.append(numpy_helper.from_array(values.astype(np.int32), name))
        return name

    for index, layer in enumerate(mlp.layers):
        w_scale = float(np.max(np.abs(layer.weight))) / INT8_MAX or 1.0
        w_q = np.round(layer.weight / w_scale).astype(np.int64)
        accumulator = scale * w_scale
        b_q = np.round(layer.bias / accumulator).astype(np.int64)
        nodes.append(helper.make_node("MatMul", [current, constant(f"w{index}", w_q)], [f"mm{index}"]))
        nodes.append(helper.make_node("Add", [f"mm{index}", constant(f"b{index}", b_q)], [f"acc{index}"]))
        h_q = x_q @ w_q + b_q
        if np.max(np.abs(h_q)) >= 2**31:
            raise PrepareError(f"layer {index}'s accumulator overflows int32 on the samples")
        last = index == len(mlp.layers) - 1
        if last:
            nodes[-1].output[0] = output_name
            scale = accumulator
            break
        # Rescale to int8 by a power of two: the largest sample activation maps near 127.
        peak = max(float(np.max(h_q)), 1.0)
        shift = max(0, int(np.ceil(np.log2(peak / INT8_MAX))))
        shifts.append(shift)
        nodes.append(helper.make_node("Div", [f"acc{index}", constant(f"shift{index}", np.array(2**shift))],
                                      [f"div{index}"]))
        nodes.append(helper.make_node("Clip", [f"div{index}", constant(f"zero{index}", np.array(0)),
                                               constant(f"max{index}", np.array(INT8_MAX))],
                                      [f"act{index}"]))
        x_q = np.clip(np.trunc(h_q / 2**shift), 0, INT8_MAX).astype(np.int64)
        scale = accumulator * 2**shift
        current = f"act{index}"
    outputs = mlp.layers[-1].weight.shape[1]
    graph = helper.make_graph(
        nodes, "opg_zk_mlp",
        [helper.make_tensor_value_info(input_name, TensorProto.INT8, [1, mlp.inputs])],
        [helper.make_tensor_value_info(output_name, TensorProto.INT32, [1, outputs])],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="opg-zk-prepare")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return Quantized(model.SerializeToString(), input_scale, scale, shifts)


def run_integer(quantized: Quantized, x: np.ndarray) -> np.ndarray:
    """The integer model's logits on float inputs `x` ([count, inputs]), with ONNX Runtime,
    one row at a time (the model takes a batch of one)."""
    import onnxruntime

    session = onnxruntime.InferenceSession(quantized.model, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    rows = [session.run(None, {name: quantized.quantize_input(row[None, :])})[0][0] for row in x]
    return np.array(rows)


def drift(mlp: FloatMlp, quantized: Quantized, samples: np.ndarray) -> dict:
    """How far the integer model is from the float model on `samples`."""
    reference = float_logits(mlp, samples)
    integer = run_integer(quantized, samples).astype(np.float64) * quantized.output_scale
    agree = float(np.mean(np.argmax(reference, axis=1) == np.argmax(integer, axis=1)))
    spread = float(np.max(np.abs(reference))) or 1.0
    return {
        "samples": int(len(samples)),
        "top1_agreement": agree,
        "max_abs_logit_error": float(np.max(np.abs(reference - integer))),
        "max_relative_logit_error": float(np.max(np.abs(reference - integer)) / spread),
        "input_scale": quantized.input_scale,
        "output_scale": quantized.output_scale,
        "shifts": quantized.shifts,
    }


def digits_mlp(hidden: int = 32, seed: int = 0) -> tuple[bytes, np.ndarray, np.ndarray]:
    """A scikit-learn MLP classifier trained on the digits data set (8x8 images, shipped with
    scikit-learn), exported with skl2onnx: the float model, its held-out samples and labels."""
    from skl2onnx import to_onnx
    from sklearn.datasets import load_digits
    from sklearn.neural_network import MLPClassifier

    features, labels = load_digits(return_X_y=True)
    features = (features / 16.0).astype(np.float32)
    train, test = slice(0, 1400), slice(1400, None)
    model = MLPClassifier(hidden_layer_sizes=(hidden,), max_iter=400, random_state=seed)
    model.fit(features[train], labels[train])
    onnx_model = to_onnx(model, features[:1], options={id(model): {"zipmap": False}},
                         target_opset=17)
    onnx_model.producer_version = ""
    return onnx_model.SerializeToString(), features[test], labels[test]


def dense_mlp(inputs: int, hidden: int, outputs: int, seed: int) -> bytes:
    """A two-layer float MLP with random weights and a batch of one (`input`: float32[1,
    inputs] -> `logits`: float32[1, outputs]): the benchmark's model sizes."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    w1 = (rng.standard_normal((inputs, hidden)) * np.sqrt(2.0 / inputs)).astype(np.float32)
    w2 = (rng.standard_normal((hidden, outputs)) * np.sqrt(2.0 / hidden)).astype(np.float32)
    b1 = (rng.standard_normal(hidden) * 0.01).astype(np.float32)
    b2 = (rng.standard_normal(outputs) * 0.01).astype(np.float32)
    nodes = [
        helper.make_node("MatMul", ["input", "w1"], ["h"]),
        helper.make_node("Add", ["h", "b1"], ["hb"]),
        helper.make_node("Relu", ["hb"], ["a"]),
        helper.make_node("MatMul", ["a", "w2"], ["o"]),
        helper.make_node("Add", ["o", "b2"], ["logits"]),
    ]
    graph = helper.make_graph(
        nodes, "opg_dense_mlp",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, inputs])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, outputs])],
        [numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(b1, "b1"),
         numpy_helper.from_array(w2, "w2"), numpy_helper.from_array(b2, "b2")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="opg-zk-bench")
    model.ir_version = 8
    return model.SerializeToString()


def node_binary() -> str:
    """The opg-node binary: $OPG_NODE_BIN, else the build's in $CARGO_TARGET_DIR."""
    target = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/opg-chain/target"))
    return os.environ.get("OPG_NODE_BIN") or os.path.join(target, "release", "opg-node")


def setup(model: str, out: str, seed: str | None = None) -> dict:
    """Runs `opg-node zk-setup` on an integer model; returns its report (which it also writes
    to OUT/setup.json, where the upload tool reads the proving key's hash)."""
    seed = seed or secrets.token_hex(32)
    # The seed goes through standard input: on the command line any local user could read it.
    result = subprocess.run([node_binary(), "zk-setup", model, "--seed", "-", "--out", out],
                            input=seed, capture_output=True, text=True)
    if result.returncode != 0:
        raise PrepareError(result.stderr.strip().splitlines()[-1] if result.stderr.strip()
                           else f"opg-node zk-setup failed ({result.returncode})")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    q = commands.add_parser("quantize", help="float ONNX MLP -> integer ONNX, with a drift report")
    q.add_argument("model", help="the float ONNX model")
    q.add_argument("--out", required=True, help="where to write the integer model")
    q.add_argument("--samples", help="calibration and drift samples: a .npy array [count, inputs]")
    q.add_argument("--digits", action="store_true",
                   help="train the demo: scikit-learn's MLP on the digits data (MODEL is written)")
    s = commands.add_parser("setup", help="Groth16 setup of an integer model (opg-node zk-setup)")
    s.add_argument("model", help="the integer ONNX model")
    s.add_argument("--out", required=True, help="the folder for the keys and setup.json")
    s.add_argument("--seed", help="64 hex digits; default: random, printed nowhere")
    args = parser.parse_args()
    try:
        if args.command == "quantize":
            if args.digits:
                data, samples, _ = digits_mlp()
                Path(args.model).write_bytes(data)
            else:
                data = Path(args.model).read_bytes()
                if not args.samples:
                    raise PrepareError("--samples x.npy is needed to calibrate and measure drift")
                samples = np.load(args.samples).astype(np.float64)
            mlp = read_mlp(data)
            quantized = quantize(mlp, samples)
            Path(args.out).write_bytes(quantized.model)
            print(json.dumps({"model": args.out, **drift(mlp, quantized, samples)}))
        else:
            print(json.dumps(setup(args.model, args.out, args.seed)))
    except (PrepareError, OSError, ValueError) as error:
        raise SystemExit(f"error: {error}") from None


if __name__ == "__main__":
    main()
