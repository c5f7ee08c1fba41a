"""Shared fixtures: tiny synthetic data made on the fly; real LFW only where available (else skip)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

REPO = Path(__file__).resolve().parents[2]
# The development set's path lives in one place: the trainer's base config.
LFW = Path(yaml.safe_load((REPO / "trainer" / "configs" / "base.yaml").read_text())["data"]["root"])
TEACHER = REPO / "models" / "fr_feature" / "fr_feature.onnx"
DETECTOR = REPO / "models" / "blazeface" / "blazeface_back_256.onnx"

torch.set_num_threads(2)


def synthetic_face(seed: int) -> np.ndarray:
    """A 112x112 face-like RGB crop: skin ellipse, dark eyes, nose and mouth at template positions."""
    import cv2

    rng = np.random.default_rng(seed)
    img = np.full((112, 112, 3), rng.integers(40, 200, 3), np.uint8)
    skin = tuple(int(v) for v in rng.integers(90, 230, 3))
    cv2.ellipse(img, (56, 64), (40, 52), 0, 0, 360, skin, -1)
    for x in (38, 73):
        cv2.circle(img, (x, 52), 5, (30, 30, 30), -1)
    cv2.line(img, (56, 58), (56, 72), (max(skin[0] - 60, 0), 60, 60), 2)
    cv2.ellipse(img, (56, 92), (12, 4), 0, 0, 360, (150, 40, 50), -1)
    noise = rng.normal(0, 6, img.shape)
    return np.clip(img + noise, 0, 255).astype(np.uint8)


@pytest.fixture(scope="session")
def faces() -> np.ndarray:
    return np.stack([synthetic_face(s) for s in range(16)])


def tiny_cache_dir(tmp: Path, identities: int = 6, per_identity: int = 4):
    """Write a FaceCache of synthetic faces (identity = base face + per-image noise) under tmp."""
    from maskgate_trainer.data import FaceCache
    from maskgate_trainer.masks import DEFAULT_KEYPOINTS

    crops, labels, paths = [], [], []
    for ident in range(identities):
        base = synthetic_face(100 + ident).astype(np.int16)
        for k in range(per_identity):
            rng = np.random.default_rng(1000 * ident + k)
            crops.append(np.clip(base + rng.normal(0, 8, base.shape), 0, 255).astype(np.uint8))
            labels.append(ident)
            paths.append(f"id{ident}/img{k}.png")
    n = len(crops)
    cache = FaceCache(np.stack(crops), np.repeat(DEFAULT_KEYPOINTS[None].astype(np.float32), n, 0),
                      np.asarray(labels, dtype=np.int64), [f"id{i}" for i in range(identities)], paths)
    cache.save(tmp)
    return cache


@pytest.fixture()
def tiny_config(tmp_path: Path) -> dict:
    """cpu_small config pointed at a synthetic cache and a temporary run directory."""
    from maskgate_trainer.config import load_config

    cache_dir = tmp_path / "cache"
    tiny_cache_dir(cache_dir)
    cfg = load_config(REPO / "trainer" / "configs" / "cpu_small.yaml")
    cfg["data"]["cache_dir"] = str(cache_dir)
    cfg["data"]["dev_identities"] = 2
    cfg["data"]["impostor_pairs"] = 50
    cfg["run"]["out_dir"] = str(tmp_path / "run")
    for stage in ("encoder", "reformer", "classifier"):
        cfg[stage]["epochs"] = 1
        cfg[stage]["batch_size"] = 4
    cfg["encoder"]["width"] = 8
    cfg["encoder"]["channels"] = 16
    cfg["encoder"]["blocks"] = 1
    cfg["encoder"]["decoder_width"] = 8
    return cfg
