"""opg_tools.ezkl_bench's own preparation, without running EZKL (a real run takes minutes and
writes a 550 MB proving key): the batch-1 copy of the model, the input forms, the checks."""

from __future__ import annotations

import json

import onnx
import pytest

from opg_tools import ezkl_bench, testmodels


def test_the_batch_dimension_becomes_1_in_a_copy(tmp_path):
    source = tmp_path / "mlp.onnx"
    source.write_bytes(testmodels.mlp(inputs=16, hidden=32, outputs=4, seed=3))
    target = tmp_path / "fixed.onnx"
    assert ezkl_bench.fixed_batch_copy(source, target) == [16]
    model = onnx.load(str(target))
    for info in [*model.graph.input, *model.graph.output]:
        dims = info.type.tensor_type.shape.dim
        assert not any(dim.HasField("dim_param") for dim in dims)
        assert dims[0].dim_value == 1
    assert onnx.load(str(source)).graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"


def test_other_symbolic_dimensions_and_unreadable_models_are_refused(tmp_path):
    model = onnx.load_model_from_string(testmodels.mlp(inputs=16, hidden=32, outputs=4))
    model.graph.input[0].type.tensor_type.shape.dim[1].dim_param = "n"
    source = tmp_path / "symbolic.onnx"
    source.write_bytes(model.SerializeToString())
    with pytest.raises(ezkl_bench.EzklBenchError, match="'n' besides the batch"):
        ezkl_bench.fixed_batch_copy(source, tmp_path / "out.onnx")
    (tmp_path / "junk.onnx").write_bytes(b"junk")
    with pytest.raises(ezkl_bench.EzklBenchError, match="cannot read the model"):
        ezkl_bench.fixed_batch_copy(tmp_path / "junk.onnx", tmp_path / "out.onnx")


def test_a_wrong_input_is_refused_before_ezkl_runs(tmp_path):
    source = tmp_path / "mlp.onnx"
    source.write_bytes(testmodels.mlp(inputs=16, hidden=32, outputs=4))
    with pytest.raises(ezkl_bench.EzklBenchError, match="takes 16 values at batch 1, 15 given"):
        ezkl_bench.measure(str(source), [[0.0] * 15], str(tmp_path / "work"))
    with pytest.raises(ezkl_bench.EzklBenchError, match="takes 1 input"):
        ezkl_bench.measure(str(source), [[0.0] * 16, [0.0]], str(tmp_path / "work"))


def test_the_input_forms(tmp_path):
    assert ezkl_bench.parse_input("[1, 2.5]") == [[1.0, 2.5]]
    assert ezkl_bench.parse_input("[[1], [2, 3]]") == [[1.0], [2.0, 3.0]]
    assert ezkl_bench.parse_input('{"input_data": [[1, 2]]}') == [[1.0, 2.0]]
    assert ezkl_bench.parse_input('{"input": [[1, 2], [3, 4]]}') == [[1.0, 2.0, 3.0, 4.0]]
    path = tmp_path / "in.json"
    path.write_text(json.dumps({"input_data": [[0.5]]}))
    assert ezkl_bench.parse_input(str(path)) == [[0.5]]
    for bad in ("nope", '["a"]', "3"):
        with pytest.raises(ezkl_bench.EzklBenchError):
            ezkl_bench.parse_input(bad)
