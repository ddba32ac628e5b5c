"""Builds the tiny test model of libs/reasoning: a real ONNX graph whose logit depends on the pixels
in a known way, so tests can construct images the model calls AI (red) or real (blue).

    logit = K * (mean(R) - mean(B))   over a 32 x 32 crop, channels normalised to [-1, 1]

A pure red crop scores +2K, a pure blue one -2K, grey 0. Run once with a Python that has `onnx`
(e.g. /work/venvs/train/bin/python); the output is committed, so tests need no Python.
"""

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

K = 2.0
CROP = 32
OUT = Path(__file__).parent / "tiny-model" / "model.onnx"

weights = numpy_helper.from_array(np.array([[K], [0.0], [-K]], dtype=np.float32), "w")
bias = numpy_helper.from_array(np.array([0.0], dtype=np.float32), "b")
shape = numpy_helper.from_array(np.array([-1, 3], dtype=np.int64), "shape")
graph = helper.make_graph(
    [
        helper.make_node("GlobalAveragePool", ["input"], ["pooled"]),
        helper.make_node("Reshape", ["pooled", "shape"], ["flat"]),
        helper.make_node("MatMul", ["flat", "w"], ["scaled"]),
        helper.make_node("Add", ["scaled", "b"], ["logit"]),
    ],
    "tiny-red-minus-blue",
    [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, CROP, CROP])],
    [helper.make_tensor_value_info("logit", TensorProto.FLOAT, ["N", 1])],
    initializer=[weights, bias, shape],
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="mirage-tests")
model.ir_version = 8
onnx.checker.check_model(model)
OUT.write_bytes(model.SerializeToString())
print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")
