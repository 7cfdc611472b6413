"""Real, runnable ONNX models for tests and demos, built deterministically with onnx."""

from __future__ import annotations

import argparse

import numpy as np


def mlp(inputs: int = 64, hidden: int = 256, outputs: int = 10, seed: int = 7) -> bytes:
    """A three-layer float32 MLP classifier with a dynamic batch dimension. With the default
    sizes its weights make the file about 133 KB."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)

    def weight(name, rows, cols):
        scale = np.sqrt(2.0 / rows)
        return numpy_helper.from_array((rng.standard_normal((rows, cols)) * scale).astype(np.float32), name)

    def bias(name, size):
        return numpy_helper.from_array((rng.standard_normal(size) * 0.01).astype(np.float32), name)

    initializers = [
        weight("w1", inputs, hidden), bias("b1", hidden),
        weight("w2", hidden, inputs), bias("b2", inputs),
        weight("w3", inputs, outputs), bias("b3", outputs),
    ]
    nodes = [
        helper.make_node("MatMul", ["input", "w1"], ["h1"]),
        helper.make_node("Add", ["h1", "b1"], ["h1b"]),
        helper.make_node("Relu", ["h1b"], ["a1"]),
        helper.make_node("MatMul", ["a1", "w2"], ["h2"]),
        helper.make_node("Add", ["h2", "b2"], ["h2b"]),
        helper.make_node("Relu", ["h2b"], ["a2"]),
        helper.make_node("MatMul", ["a2", "w3"], ["h3"]),
        helper.make_node("Add", ["h3", "b3"], ["logits"]),
    ]
    graph = helper.make_graph(
        nodes, "opg_test_mlp",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", inputs])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", outputs])],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="opg-testmodels")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def iris_classifier() -> bytes:
    """A scikit-learn logistic regression on the iris data set (shipped with scikit-learn),
    exported with skl2onnx without the ZipMap (outputs `label`: int64 and `probabilities`:
    float32 [batch, 3]), as dApps export real classifiers."""
    from skl2onnx import to_onnx
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    features, labels = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=500).fit(features.astype(np.float32), labels)
    onnx_model = to_onnx(model, features[:1].astype(np.float32),
                         options={id(model): {"zipmap": False}}, target_opset=17)
    onnx_model.producer_version = ""  # the file depends on the model alone, not on versions
    return onnx_model.SerializeToString()


# The demo models `scripts/run-dev.sh` uploads: (file name, description, builder).
DEMO_MODELS = (
    ("mlp-16-32-4.onnx", "a 16-32-4 float32 MLP (random weights, seed 3)",
     lambda: mlp(inputs=16, hidden=32, outputs=4, seed=3)),
    ("iris-logistic.onnx", "scikit-learn logistic regression on iris, exported with skl2onnx",
     iris_classifier),
)


def run(model: bytes, batch: np.ndarray) -> np.ndarray:
    """Runs the model with ONNX Runtime (to show it is a real, runnable model)."""
    import onnxruntime

    session = onnxruntime.InferenceSession(model, providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: batch})[0]


def main() -> None:
    parser = argparse.ArgumentParser(description="Write a deterministic test MLP as ONNX.")
    parser.add_argument("output", help="where to write the .onnx file (a folder with --demo)")
    parser.add_argument("--hidden", type=int, default=256, help="hidden layer width")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--demo", action="store_true", help="write the demo models into OUTPUT")
    args = parser.parse_args()
    if args.demo:
        import os
        os.makedirs(args.output, exist_ok=True)
        for name, _, build in DEMO_MODELS:
            path = os.path.join(args.output, name)
            with open(path, "wb") as out:
                out.write(build())
            print(path)
        return
    data = mlp(hidden=args.hidden, seed=args.seed)
    logits = run(data, np.ones((2, 64), dtype=np.float32))
    try:
        with open(args.output, "wb") as out:
            out.write(data)
    except OSError as error:
        raise SystemExit(f"error: cannot write {args.output}: {error.strerror or error}") from None
    print(f"wrote {args.output}: {len(data)} bytes; ONNX Runtime output shape {logits.shape}")


if __name__ == "__main__":
    main()
