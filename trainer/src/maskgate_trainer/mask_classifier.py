"""Masked/unmasked classifier on the daemon's aligned 112x112 crop (the `masked` flag of every decision).

Trained on LFW faces of identities outside the PAD held-out slice (the same SHA-1 rule as
synthetic/attack-set.ts), each shown once unmasked and once with a synthetic mask from masks.py;
evaluated on MFR2's real masked and unmasked photos, which it never sees in training. A small CNN
(four stride-2 convolutions, global pooling, 2 logits), exported to ONNX with a sidecar JSON.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn

from .align import align_face
from .classifier_export import export_classifier
from .data import scan_face_folders
from .detect import BlazeFaceDetector
from .masks import synthesize_mask
from .train import repo_path

MEAN, STD = 127.5, 128.0


def is_pad_held_out(identity: str) -> bool:
    """Mirrors isPadHeldOut in synthetic/attack-set.ts."""
    return hashlib.sha1(identity.encode()).digest()[0] % 8 == 0


class MaskNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = [3, 16, 32, 48, 64]
        for a, b in itertools.pairwise(channels):
            layers += [nn.Conv2d(a, b, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(b), nn.ReLU(inplace=True)]
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(channels[-1], 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).mean(dim=(2, 3)))


def _aligned(detector: BlazeFaceDetector, path: Path) -> tuple[np.ndarray, np.ndarray] | None:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        return None
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    faces = detector.detect(rgb)
    if not faces:
        return None
    face = max(faces, key=lambda d: (d.box[2] - d.box[0]) * (d.box[3] - d.box[1]))
    return align_face(rgb, face.keypoints)


def _tensor(crops: list[np.ndarray]) -> torch.Tensor:
    return torch.from_numpy((np.stack(crops).astype(np.float32) - MEAN) / STD).permute(0, 3, 1, 2).contiguous()


def _accuracy(model: nn.Module, x: torch.Tensor, y: np.ndarray) -> dict:
    model.eval()
    with torch.no_grad():
        pred = model(x).argmax(1).numpy()
    masked, unmasked = y == 1, y == 0
    return {
        "n": int(len(y)),
        "accuracy": float(np.mean(pred == y)),
        "maskedRecall": float(np.mean(pred[masked] == 1)) if masked.any() else None,
        "unmaskedRecall": float(np.mean(pred[unmasked] == 0)) if unmasked.any() else None,
    }


def run(cfg: dict, out_path: Path, mfr2_root: Path, images: int, seed: int = 0, epochs: int = 6) -> dict:
    started = time.time()
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    detector = BlazeFaceDetector(repo_path(cfg["data"]["detector"]))
    faces = [(name, p) for name, p in scan_face_folders(repo_path(cfg["data"]["root"])) if not is_pad_held_out(name)]
    order = rng.permutation(len(faces))[: images]
    crops, labels = [], []
    for i in order:
        got = _aligned(detector, faces[i][1])
        if got is None:
            continue
        crop, kps = got
        crops += [crop, synthesize_mask(crop, kps, rng).image]
        labels += [0, 1]
    x, y = _tensor(crops), np.asarray(labels)
    held = rng.random(len(y) // 2).repeat(2) < 0.1  # a face and its masked copy fall on the same side
    model = MaskNet()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    yt = torch.from_numpy(y)
    train_idx = np.flatnonzero(~held)
    for _ in range(epochs):
        model.train()
        shuffled = rng.permutation(train_idx)
        for start in range(0, len(shuffled), 64):
            idx = shuffled[start : start + 64]
            batch = x[idx]
            if rng.random() < 0.5:
                batch = batch.flip(3)
            loss = nn.functional.cross_entropy(model(batch), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    report = {"trainFaces": int((~held).sum() // 2), "synthetic_val": _accuracy(model, x[held], y[held])}
    # MFR2: real masks, never trained on.
    import csv

    rows = list(csv.DictReader((mfr2_root / "manifest.csv").read_text().splitlines()))
    real, real_y, missed = [], [], 0
    for r in rows:
        got = _aligned(detector, mfr2_root / r["path"])
        if got is None:
            missed += 1
            continue
        real.append(got[0])
        real_y.append(int(r["masked"]))
    report["mfr2"] = {**_accuracy(model, _tensor(real), np.asarray(real_y)), "noFace": missed}
    digest = export_classifier(model, 112, out_path, "logits")
    sidecar = {
        "modelId": f"maskflag-{digest[:8]}",
        "inputName": "input",
        "outputName": "logits",
        "inputSize": [112, 112],
        "layout": "NCHW",
        "channelOrder": "RGB",
        "mean": [MEAN] * 3,
        "std": [STD] * 3,
        "maskedClass": 1,
        "licence": "This project's; trained on LFW (research use, see models/README.md)",
        "source": f"trainer/src/maskgate_trainer/mask_classifier.py, seed {seed}; sha256 {digest}",
        "provenance": {**report, "epochs": epochs, "seconds": round(time.time() - started)},
    }
    out_path.with_suffix(".json").write_text(json.dumps(sidecar, indent=2) + "\n")
    return sidecar
