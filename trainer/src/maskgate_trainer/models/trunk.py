"""A teacher's ONNX graph as a trainable student trunk.

Plain Conv/PRelu/Add graphs (fr_feature's MobileFaceNet) go through our own interpreter
(`onnx_net.OnnxConvNet`), which can add generative features into a named intermediate map. Any other
graph (EdgeFace's EdgeNeXt: attention, LayerNorm, GELU, positional encoding) goes through onnx2torch,
with three repairs measured against onnxruntime (max abs diff < 1e-5 after them, ~0.3 before):

- a trailing empty optional input (Clip with no max) is dropped: onnx2torch reads '' as a dynamic bound;
- CumSum without a `reverse` attribute gets reverse=0 (the ONNX default; onnx2torch defaults to 1);
- GlobalAveragePool over an input whose shape it inferred wrongly averages over every axis: pinned to H, W.

onnx2torch keeps the initialisers as buffers; the floating ones with more than one element (weights,
LayerNorm scales, layer-scale gammas) become parameters so the trunk can be fine-tuned, while scalar
constants (epsilons, exponents) stay fixed.

Every trunk takes the student's input convention (BGR, (x-127)/128) and converts it exactly to the
teacher's own (channel order, mean, std) in its first operation."""

from __future__ import annotations

import onnx
import torch
from onnx import helper
from torch import nn

from ..teacher import STUDENT_PREPROCESS, Preprocess, TeacherSpec, require_available
from .onnx_net import SUPPORTED_OPS, OnnxConversionError, OnnxConvNet


class InputAdapter(nn.Module):
    """Exact affine map from one input convention to another (channel flip + rescale)."""

    def __init__(self, src: Preprocess, dst: Preprocess) -> None:
        super().__init__()
        self.flip = src.bgr != dst.bgr
        # pixel = x*src.std + src.mean; y = (pixel - dst.mean)/dst.std = x*scale + shift
        self.scale = src.std / dst.std
        self.shift = (src.mean - dst.mean) / dst.std

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.flip:
            x = x.flip(1)
        return x * self.scale + self.shift


class ConvertedTrunk(nn.Module):
    """An onnx2torch graph behind the trunk interface `forward(x, inject=None)` (no injection points)."""

    def __init__(self, graph: nn.Module, adapter: InputAdapter) -> None:
        super().__init__()
        self.adapter = adapter
        self.graph = graph

    def forward(self, x: torch.Tensor, inject: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
        if inject:
            raise OnnxConversionError("NO_INJECTION", "this trunk has no named injection points")
        return self.graph(self.adapter(x))


def _repair_for_onnx2torch(model: onnx.ModelProto) -> onnx.ModelProto:
    for node in model.graph.node:
        while len(node.input) and node.input[-1] == "":
            node.input.pop()
        if node.op_type == "CumSum" and not any(a.name == "reverse" for a in node.attribute):
            node.attribute.append(helper.make_attribute("reverse", 0))
    return model


def _buffers_to_parameters(module: nn.Module) -> None:
    for owner in list(module.modules()):
        for name, buf in list(owner.named_buffers(recurse=False)):
            if buf is not None and buf.is_floating_point() and buf.numel() > 1:
                del owner._buffers[name]
                owner.register_parameter(name, nn.Parameter(buf.detach().clone()))


def convert_graph(model: onnx.ModelProto) -> nn.Module:
    from onnx2torch import convert
    from onnx2torch.node_converters.global_average_pool import OnnxGlobalAveragePoolWithKnownInputShape

    graph = convert(_repair_for_onnx2torch(model))
    for m in graph.modules():
        if isinstance(m, OnnxGlobalAveragePoolWithKnownInputShape):
            m._x_dims = [2, 3]
    _buffers_to_parameters(graph)
    return graph


def is_plain_convnet(model: onnx.ModelProto) -> bool:
    return all(n.op_type in SUPPORTED_OPS for n in model.graph.node)


def load_trunk(spec: TeacherSpec) -> nn.Module:
    """The teacher's network as a trainable module taking the student's input convention."""
    model = onnx.load(str(require_available(spec).onnx))
    if is_plain_convnet(model):
        if spec.preprocess != STUDENT_PREPROCESS:
            raise OnnxConversionError("PREPROCESS", f"{spec.name}: plain trunks must use the student's input convention")
        return OnnxConvNet(model)
    return ConvertedTrunk(convert_graph(model), InputAdapter(STUDENT_PREPROCESS, spec.preprocess))
