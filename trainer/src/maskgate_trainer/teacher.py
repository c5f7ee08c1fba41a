"""The teacher: fr_feature.onnx (faceplugin MobileFaceNet, 512-D, batch fixed at 1) via onnxruntime."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from tqdm import tqdm

from .models.onnx_net import teacher_preprocess_bgr


class OnnxEmbedder:
    """Embeds aligned RGB uint8 crops (N,112,112,3) with an ONNX face model; returns raw (N,D) float32.

    `bgr`/`mean`/`std` describe the model's preprocessing; a fixed batch of 1 is handled by looping."""

    def __init__(self, path: str | Path, bgr: bool = True, mean: float = 127.0, std: float = 128.0, num_threads: int = 2) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = num_threads
        opts.log_severity_level = 3
        self._session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        inp = self._session.get_inputs()[0]
        self._input_name = inp.name
        self._fixed_batch = inp.shape[0] if isinstance(inp.shape[0], int) else None
        self.bgr, self.mean, self.std = bgr, mean, std

    def _prep(self, crops: np.ndarray) -> np.ndarray:
        if self.bgr and self.mean == 127.0 and self.std == 128.0:
            return teacher_preprocess_bgr(crops)
        x = crops[..., ::-1] if self.bgr else crops
        return np.ascontiguousarray(((x.astype(np.float32) - self.mean) / self.std).transpose(0, 3, 1, 2))

    def embed(self, crops: np.ndarray, batch: int = 64, progress: bool = False) -> np.ndarray:
        out = []
        step = self._fixed_batch or batch
        rng = range(0, len(crops), step)
        for s in tqdm(rng, desc="embed", unit="batch", disable=not progress):
            x = self._prep(np.asarray(crops[s : s + step]))
            out.append(self._session.run(None, {self._input_name: x})[0])
        return np.concatenate(out).astype(np.float32)


def l2_normalise(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
