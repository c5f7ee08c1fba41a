"""ONNX export of the small image classifiers (PAD, mask flag): dynamic batch, opset 17, sha256."""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch
from torch import nn


def export_classifier(net: nn.Module, size: int, out_path: Path, output_name: str) -> str:
    """Writes `net` (NCHW float input `input` of size x size) to `out_path`; returns the file's sha256."""
    net.eval()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(net, torch.zeros(1, 3, size, size), str(out_path), input_names=["input"], output_names=[output_name],
                      dynamic_axes={"input": {0: "n"}, output_name: {0: "n"}}, opset_version=17)
    return hashlib.sha256(out_path.read_bytes()).hexdigest()
