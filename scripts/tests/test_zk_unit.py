"""The ZK preparation tool without a node: quantizing float MLPs into the integer subset, the
drift report, and the refusals that say what to do."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from opg_tools import zk


def test_a_float_mlp_quantizes_into_the_integer_subset_with_little_drift():
    data = zk.dense_mlp(32, 24, 5, seed=1)
    mlp = zk.read_mlp(data)
    assert [(layer.weight.shape, layer.relu) for layer in mlp.layers] == [((32, 24), True), ((24, 5), False)]
    samples = np.random.default_rng(2).standard_normal((200, 32))
    quantized = zk.quantize(mlp, samples)
    model = onnx.load_from_string(quantized.model)
    ops = [node.op_type for node in model.graph.node]
    assert ops == ["Cast", "MatMul", "Add", "Div", "Clip", "MatMul", "Add"]
    assert model.graph.input[0].type.tensor_type.elem_type == TensorProto.INT8
    assert model.graph.output[0].type.tensor_type.elem_type == TensorProto.INT32
    # Every weight is an int8-range integer; the requantization divides by a power of two.
    for init in model.graph.initializer:
        values = numpy_helper.to_array(init)
        if init.name.startswith("w"):
            assert np.abs(values).max() <= 127
        if init.name.startswith("shift"):
            assert int(values) & (int(values) - 1) == 0
    report = zk.drift(mlp, quantized, samples)
    assert report["samples"] == 200
    assert report["top1_agreement"] > 0.9
    assert report["max_relative_logit_error"] < 0.1


def test_the_digits_demo_keeps_the_float_models_accuracy():
    data, samples, labels = zk.digits_mlp()
    mlp = zk.read_mlp(data)
    quantized = zk.quantize(mlp, samples)
    float_accuracy = np.mean(np.argmax(zk.float_logits(mlp, samples), axis=1) == labels)
    int_accuracy = np.mean(np.argmax(zk.run_integer(quantized, samples), axis=1) == labels)
    assert float_accuracy > 0.85
    assert abs(float_accuracy - int_accuracy) < 0.02


def graph_model(nodes, initializers, inputs=16) -> bytes:
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, inputs])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])], initializers)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


def test_models_that_are_not_dense_chains_are_refused_with_a_reason():
    w = numpy_helper.from_array(np.ones((16, 4), dtype=np.float32), "w")
    no_dense = graph_model([helper.make_node("Softmax", ["x"], ["y"])], [])
    with pytest.raises(zk.PrepareError, match="no dense layer"):
        zk.read_mlp(no_dense)
    w2 = numpy_helper.from_array(np.ones((4, 4), dtype=np.float32), "w2")
    no_relu = graph_model([helper.make_node("MatMul", ["x", "w"], ["h"]),
                           helper.make_node("MatMul", ["h", "w2"], ["y"])], [w, w2])
    with pytest.raises(zk.PrepareError, match="Relu"):
        zk.read_mlp(no_relu)
