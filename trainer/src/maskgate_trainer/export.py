"""ONNX export of the student (dynamic batch, L2-normalised 512-D output) plus the daemon's sidecar JSON."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .model_card import licence_line, model_card
from .models.trunk import ConvertedTrunk

INPUT_NAME = "input"
OUTPUT_NAME = "embedding"
PARITY_TOLERANCE = 1e-5  # the bar: exported ONNX equal to PyTorch within 1e-5
MAX_BYTES = 30 * 1024 * 1024

class ExportError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class NormalisedEmbedder(nn.Module):
    """Wraps the student so the exported graph returns unit-length embeddings."""

    def __init__(self, student: nn.Module) -> None:
        super().__init__()
        self.student = student

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.student(x, normalise=True)


def fixed_batch(model: nn.Module) -> int | None:
    """1 when the student holds a converted (onnx2torch) trunk: its shape arithmetic is traced as
    constants, so the graph only runs at the batch it was traced with; None (dynamic) otherwise."""
    return 1 if any(isinstance(m, ConvertedTrunk) for m in model.modules()) else None


def export_onnx(model: nn.Module, path: str | Path, opset: int = 17) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wrapped = NormalisedEmbedder(model).eval()
    batch = fixed_batch(model)
    dummy = torch.zeros(batch or 2, 3, 112, 112)
    dynamic = None if batch else {INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}}
    torch.onnx.export(
        wrapped, (dummy,), str(path), input_names=[INPUT_NAME], output_names=[OUTPUT_NAME], opset_version=opset,
        dynamic_axes=dynamic, do_constant_folding=True, dynamo=False,
    )


def parity(model: nn.Module, path: str | Path, inputs: np.ndarray) -> float:
    """Max |onnxruntime - torch| on `inputs` (N,3,112,112 float32)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    batch = sess.get_inputs()[0].shape[0]
    step = batch if isinstance(batch, int) else len(inputs)
    got = np.concatenate([sess.run(None, {INPUT_NAME: inputs[k : k + step].astype(np.float32)})[0]
                          for k in range(0, len(inputs), step)])
    with torch.no_grad():
        want = NormalisedEmbedder(model).eval()(torch.from_numpy(inputs.astype(np.float32))).numpy()
    if got.shape != want.shape:
        raise ExportError("PARITY_SHAPE", f"onnx {got.shape} vs torch {want.shape}")
    return float(np.abs(got - want).max())


def throughput(path: str | Path, batch: int, threads: int = 1, repeats: int = 20) -> float:
    """Images per second of onnxruntime (CPU, `threads` intra-op threads) at a fixed batch size."""
    import time

    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.log_severity_level = 3
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    fixed = sess.get_inputs()[0].shape[0]
    if isinstance(fixed, int) and fixed != batch:
        raise ExportError("FIXED_BATCH", f"{path} only runs at batch {fixed}")
    x = np.random.default_rng(0).uniform(-1, 1, (batch, 3, 112, 112)).astype(np.float32)
    sess.run(None, {INPUT_NAME: x})  # warm-up
    t0 = time.perf_counter()
    for _ in range(repeats):
        sess.run(None, {INPUT_NAME: x})
    return batch * repeats / (time.perf_counter() - t0)


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sidecar(onnx_path: str | Path, config: dict, metrics: dict | None, card: dict, max_batch: int | None,
            extra: dict | None = None, layout: dict | None = None) -> dict:
    """The daemon's sidecar (validated by pipeline/embedder.ts, which rejects unknown keys). The card
    (teachers, training data, licence consequences, figures), config and metrics go under one
    `provenance` object the daemon does not read; `maskgate models` reads its card."""
    digest = sha256_file(onnx_path)
    provenance = {"sha256": digest, "card": card, "config": config, "metrics": metrics, **(extra or {})}
    return {
        "modelId": f"{Path(onnx_path).stem}-{digest[:8]}",
        "inputName": INPUT_NAME,
        "outputName": OUTPUT_NAME,
        "inputSize": [112, 112],
        "layout": "NCHW",
        "channelOrder": "BGR",
        "mean": [127.0, 127.0, 127.0],
        "std": [128.0, 128.0, 128.0],
        "embeddingSize": 512,
        "maxBatch": max_batch,
        "normalized": True,
        "licence": licence_line(card),
        "source": "maskgate trainer (trainer/), G2D recipe: teacher-initialised reformer (+ generative inpainting "
                  "encoder when configured) distilled with relational KD (+ optional classifier head)",
        "provenance": provenance,
        **(layout or {}),  # input name, channel order, normalisation, size of a graph not built by export_onnx
    }


def export_student(cfg: dict, stage: str, out: str | Path, metrics_path: str | Path | None = None,
                   measure_speed: bool = True) -> dict:
    """Build the student from checkpoints, export, verify parity on real-looking inputs, write the sidecar."""
    from .train import build_student, repo_path, teacher_specs

    out = repo_path(out)
    model = build_student(cfg, stage)
    export_onnx(model, out)
    rng = np.random.default_rng(0)
    inputs = rng.uniform(-1, 1, (4, 3, 112, 112)).astype(np.float32)
    diff = parity(model, out, inputs)
    if diff >= PARITY_TOLERANCE:
        raise ExportError("PARITY", f"onnxruntime vs torch max abs diff {diff:.2e} >= {PARITY_TOLERANCE}")
    size = out.stat().st_size
    if size > MAX_BYTES:
        raise ExportError("TOO_LARGE", f"{out} is {size} bytes (> {MAX_BYTES})")
    metrics = json.loads(Path(metrics_path).read_text()) if metrics_path else None
    batches = (fixed_batch(model),) if fixed_batch(model) else (1, 16)
    speed = {f"batch{b}_threads1": round(throughput(out, b), 1) for b in batches} if measure_speed else None
    card = model_card(cfg, teacher_specs(cfg), metrics)
    info = sidecar(out, {"stage": stage, **cfg}, metrics, card, fixed_batch(model),
                   {"exportParityMaxAbsDiff": diff, "opset": 17, "cpuImagesPerSecond": speed})
    out.with_suffix(".json").write_text(json.dumps(info, indent=1) + "\n")
    return {"onnx": str(out), "bytes": size, "modelId": info["modelId"], "parityMaxAbsDiff": diff,
            "cpuImagesPerSecond": speed}
