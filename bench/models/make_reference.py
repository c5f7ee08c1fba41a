"""Builds the benchmark's reference face backbone: an ONNX model of the G2D paper's scale.

What it is: IResNet-100 (the ArcFace "r100" backbone: stem conv, 3+13+30+3 improved residual
blocks BN-conv3x3-BN-PReLU-conv3x3(stride)-BN with a 1x1 conv+BN shortcut where the shape
changes, then BN-flatten-FC-BN to a 512-D embedding) with every stage 1.72x wider
(110/220/440/880 channels instead of 64/128/256/512): ~176.5M parameters, ~35.7 GMAC per
112x112 face. Weights are random (He-normal; the last BN of each residual branch scaled down so
activations stay finite through 49 blocks): it measures compute, not accuracy.

Built with onnx.helper only (no torch, no training); the output is a single ~700 MB .onnx
file with a dynamic batch dimension. Prints one JSON line describing what it built.

Usage: python make_reference.py OUTPUT.onnx [--width-multiplier 1.72] [--seed 0]
"""

import argparse
import json
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

BASE_WIDTHS = (64, 128, 256, 512)
BLOCKS = (3, 13, 30, 3)  # IResNet-100
EMBEDDING = 512
INPUT = 112


class GraphBuilder:
    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.parameters = 0
        self.macs = 0
        self.counter = 0

    def name(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}_{self.counter}"

    def weight(self, prefix: str, array: np.ndarray) -> str:
        n = self.name(prefix)
        self.initializers.append(numpy_helper.from_array(array.astype(np.float32, copy=False), n))
        self.parameters += array.size
        return n

    def conv(self, x: str, cin: int, cout: int, k: int, stride: int, out_hw: int) -> str:
        std = np.sqrt(2.0 / (cin * k * k))
        w = self.weight("conv_w", self.rng.standard_normal((cout, cin, k, k), dtype=np.float32) * std)
        y = self.name("conv")
        pad = k // 2
        self.nodes.append(
            helper.make_node("Conv", [x, w], [y], kernel_shape=[k, k], strides=[stride, stride], pads=[pad] * 4)
        )
        self.macs += cin * cout * k * k * out_hw * out_hw
        return y

    def bn(self, x: str, c: int, gamma: float = 1.0) -> str:
        scale = self.weight("bn_scale", np.full(c, gamma, np.float32))
        bias = self.weight("bn_bias", np.zeros(c, np.float32))
        mean = self.weight("bn_mean", np.zeros(c, np.float32))
        var = self.weight("bn_var", np.ones(c, np.float32))
        y = self.name("bn")
        self.nodes.append(helper.make_node("BatchNormalization", [x, scale, bias, mean, var], [y], epsilon=1e-5))
        return y

    def prelu(self, x: str, c: int) -> str:
        slope = self.weight("prelu", np.full((c, 1, 1), 0.25, np.float32))
        y = self.name("prelu")
        self.nodes.append(helper.make_node("PRelu", [x, slope], [y]))
        return y

    def add(self, a: str, b: str) -> str:
        y = self.name("add")
        self.nodes.append(helper.make_node("Add", [a, b], [y]))
        return y


def build(width_multiplier: float, seed: int) -> tuple[onnx.ModelProto, dict]:
    g = GraphBuilder(seed)
    widths = [int(round(w * width_multiplier)) for w in BASE_WIDTHS]
    hw = INPUT
    x = g.conv("input", 3, widths[0], 3, 1, hw)
    x = g.prelu(g.bn(x, widths[0]), widths[0])
    cin = widths[0]
    for width, blocks in zip(widths, BLOCKS):
        for b in range(blocks):
            stride = 2 if b == 0 else 1
            out_hw = hw // stride
            y = g.bn(x, cin)
            y = g.conv(y, cin, width, 3, 1, hw)
            y = g.prelu(g.bn(y, width), width)
            y = g.conv(y, width, width, 3, stride, out_hw)
            y = g.bn(y, width, gamma=0.2)  # small residual branch keeps random activations bounded
            shortcut = x if b > 0 else g.bn(g.conv(x, cin, width, 1, stride, out_hw), width)
            x = g.add(y, shortcut)
            cin, hw = width, out_hw
    x = g.bn(x, cin)
    flat = g.name("flatten")
    g.nodes.append(helper.make_node("Flatten", [x], [flat], axis=1))
    features = cin * hw * hw
    fc_w = g.weight("fc_w", g.rng.standard_normal((features, EMBEDDING), dtype=np.float32) / np.sqrt(features))
    fc = g.name("fc")
    g.nodes.append(helper.make_node("MatMul", [flat, fc_w], [fc]))
    g.macs += features * EMBEDDING
    scale = g.weight("bn1d_scale", np.ones(EMBEDDING, np.float32))
    bias = g.weight("bn1d_bias", np.zeros(EMBEDDING, np.float32))
    mean = g.weight("bn1d_mean", np.zeros(EMBEDDING, np.float32))
    var = g.weight("bn1d_var", np.ones(EMBEDDING, np.float32))
    g.nodes.append(helper.make_node("BatchNormalization", [fc, scale, bias, mean, var], ["embedding"], epsilon=1e-5))

    graph = helper.make_graph(
        g.nodes,
        "reference_iresnet100_wide",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 3, INPUT, INPUT])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", EMBEDDING])],
        g.initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="maskgate-bench")
    model.ir_version = 8
    summary = {
        "architecture": f"IResNet-100 ({'+'.join(map(str, BLOCKS))} IR blocks), widths {'/'.join(map(str, widths))}",
        "widthMultiplier": width_multiplier,
        "parameters": int(g.parameters),
        "macsPerFace": int(g.macs),
        "inputSize": [INPUT, INPUT],
        "embeddingSize": EMBEDDING,
        "seed": seed,
    }
    return model, summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("output")
    parser.add_argument("--width-multiplier", type=float, default=1.72)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    model, summary = build(args.width_multiplier, args.seed)
    onnx.save(model, args.output)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
