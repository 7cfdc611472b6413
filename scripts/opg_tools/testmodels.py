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


def run(model: bytes, batch: np.ndarray) -> np.ndarray:
    """Runs the model with ONNX Runtime (to show it is a real, runnable model)."""
    import onnxruntime

    session = onnxruntime.InferenceSession(model, providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: batch})[0]


def main() -> None:
    parser = argparse.ArgumentParser(description="Write a deterministic test MLP as ONNX.")
    parser.add_argument("output", help="where to write the .onnx file")
    parser.add_argument("--hidden", type=int, default=256, help="hidden layer width")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
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
