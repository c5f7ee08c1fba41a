"""Load a Conv/PRelu/Add/Reshape ONNX graph (the fr_feature MobileFaceNet teacher) as a trainable
PyTorch module.

Why not onnx2torch: its converted graph keeps the teacher's hard-coded Reshape to [1,-1] (batch 1),
and we need named access to intermediate feature maps to inject the generative representation.
The interpreter below is small, exports to ONNX with a dynamic batch, and is checked for parity
against onnxruntime in the tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn

SUPPORTED_OPS = {"Conv", "PRelu", "Add", "Reshape", "Flatten"}


class OnnxConversionError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class _Step:
    op: str
    inputs: tuple[str, ...]
    output: str
    module: str  # key in the ModuleDict ("" for parameter-free ops)


def _attr(node: onnx.NodeProto, name: str, default):
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


class OnnxConvNet(nn.Module):
    """Executes the ONNX node list in order. `forward(x, inject)` adds inject[name] to the output of the
    node that produces tensor `name` (used to fuse features into an intermediate map)."""

    def __init__(self, model: onnx.ModelProto) -> None:
        super().__init__()
        graph = model.graph
        inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
        self.input_name = graph.input[0].name
        self.output_name = graph.output[0].name
        self.layers = nn.ModuleDict()
        steps: list[_Step] = []
        for k, node in enumerate(graph.node):
            if node.op_type not in SUPPORTED_OPS:
                raise OnnxConversionError("UNSUPPORTED_OP", f"op {node.op_type} is not supported")
            key = ""
            if node.op_type == "Conv":
                w = inits[node.input[1]]
                b = inits[node.input[2]] if len(node.input) > 2 else None
                pads = _attr(node, "pads", [0, 0, 0, 0])
                if pads[0] != pads[2] or pads[1] != pads[3]:
                    raise OnnxConversionError("ASYMMETRIC_PAD", f"asymmetric padding in {node.name}")
                conv = nn.Conv2d(
                    in_channels=w.shape[1] * _attr(node, "group", 1),
                    out_channels=w.shape[0],
                    kernel_size=tuple(w.shape[2:]),
                    stride=tuple(_attr(node, "strides", [1, 1])),
                    padding=(pads[0], pads[1]),
                    dilation=tuple(_attr(node, "dilations", [1, 1])),
                    groups=_attr(node, "group", 1),
                    bias=b is not None,
                )
                conv.weight.data.copy_(torch.from_numpy(w.copy()))
                if b is not None:
                    conv.bias.data.copy_(torch.from_numpy(b.copy()))
                key = f"conv{k}"
                self.layers[key] = conv
                inputs = (node.input[0],)
            elif node.op_type == "PRelu":
                slope = inits[node.input[1]].reshape(-1)
                act = nn.PReLU(num_parameters=slope.size)
                act.weight.data.copy_(torch.from_numpy(slope.copy()))
                key = f"prelu{k}"
                self.layers[key] = act
                inputs = (node.input[0],)
            elif node.op_type == "Add":
                inputs = tuple(node.input)
            else:  # Reshape / Flatten of the final [N,512,1,1] map: always flatten keeping the batch.
                inputs = (node.input[0],)
            steps.append(_Step(node.op_type, inputs, node.output[0], key))
        self._steps = steps
        self.tensor_names = [s.output for s in steps]

    def forward(self, x: torch.Tensor, inject: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
        values: dict[str, torch.Tensor] = {self.input_name: x}
        for s in self._steps:
            if s.op in ("Conv", "PRelu"):
                y = self.layers[s.module](values[s.inputs[0]])
            elif s.op == "Add":
                y = values[s.inputs[0]] + values[s.inputs[1]]
            else:
                y = torch.flatten(values[s.inputs[0]], 1)
            if inject is not None and s.output in inject:
                y = y + inject[s.output]
            values[s.output] = y
        return values[self.output_name]

    def feature_shapes(self, size: int = 112) -> dict[str, tuple[int, ...]]:
        """Shape (C,H,W) of every intermediate tensor for a size x size input."""
        shapes: dict[str, tuple[int, ...]] = {}
        values: dict[str, torch.Tensor] = {self.input_name: torch.zeros(1, 3, size, size)}
        with torch.no_grad():
            for s in self._steps:
                if s.op in ("Conv", "PRelu"):
                    y = self.layers[s.module](values[s.inputs[0]])
                elif s.op == "Add":
                    y = values[s.inputs[0]] + values[s.inputs[1]]
                else:
                    y = torch.flatten(values[s.inputs[0]], 1)
                values[s.output] = y
                shapes[s.output] = tuple(y.shape[1:])
        return shapes


def load_onnx_net(path: str | Path) -> OnnxConvNet:
    return OnnxConvNet(onnx.load(str(path)))


def teacher_preprocess_bgr(crops_rgb_uint8: np.ndarray) -> np.ndarray:
    """fr_feature preprocessing: NHWC RGB uint8 → NCHW BGR float32, (x-127)/128."""
    bgr = crops_rgb_uint8[..., ::-1].astype(np.float32)
    return np.ascontiguousarray(((bgr - 127.0) / 128.0).transpose(0, 3, 1, 2))
