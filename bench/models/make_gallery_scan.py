"""Builds the tiny ONNX graph behind pipeline/gallery-scanner.ts and prints it as base64.

One MatMul: rows [n, d] x probes [d, k] -> scores [n, k], every dimension symbolic, so a
single model serves any gallery size, embedding length and number of probes. onnxruntime's
MLAS kernels run it with SIMD, several times faster than a JavaScript dot-product loop.

Usage: python make_gallery_scan.py  (paste the output into GALLERY_SCAN_ONNX_BASE64)
"""

import base64

import onnx
from onnx import TensorProto, helper


def build() -> onnx.ModelProto:
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["rows", "probes"], ["scores"])],
        "gallery_scan",
        [
            helper.make_tensor_value_info("rows", TensorProto.FLOAT, ["rows", "dimension"]),
            helper.make_tensor_value_info("probes", TensorProto.FLOAT, ["dimension", "probes"]),
        ],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["rows", "probes"])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="maskgate")
    model.ir_version = 7
    onnx.checker.check_model(model)
    return model


if __name__ == "__main__":
    print(base64.b64encode(build().SerializeToString()).decode())
