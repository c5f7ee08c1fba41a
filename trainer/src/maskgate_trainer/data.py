"""Face-folder datasets (root/<identity>/<image>), the aligned-crop cache, identity splits.

The cache is built once by `prepare`: every image is detected with BlazeFace, the face nearest the
image centre is aligned to 112x112, and crops (uint8 RGB), crop-space keypoints and identity labels
are written under a cache directory (default /work/main/var/trainer-cache, gitignored)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from .align import align_face
from .detect import BlazeFaceDetector

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp"}


class DatasetError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def scan_face_folders(root: str | Path) -> list[tuple[str, Path]]:
    """Sorted (identity, image path) pairs of a root/<identity>/<image> tree."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError("NO_DATASET", f"dataset root {root} is not a directory")
    items: list[tuple[str, Path]] = []
    for ident in sorted(p for p in root.iterdir() if p.is_dir()):
        for img in sorted(ident.iterdir()):
            if img.suffix.lower() in IMAGE_SUFFIXES:
                items.append((ident.name, img))
    if not items:
        raise DatasetError("EMPTY_DATASET", f"no images under {root}")
    return items


@dataclass
class FaceCache:
    """Aligned crops with their identities. crops: (N,112,112,3) uint8 RGB; keypoints: (N,6,2) crop px."""

    crops: np.ndarray
    keypoints: np.ndarray
    labels: np.ndarray  # (N,) int64 index into identities
    identities: list[str]
    paths: list[str]

    def __len__(self) -> int:
        return len(self.labels)

    def save(self, directory: str | Path) -> None:
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        np.save(d / "crops.npy", self.crops)
        np.savez(d / "meta.npz", keypoints=self.keypoints, labels=self.labels)
        (d / "index.json").write_text(json.dumps({"identities": self.identities, "paths": self.paths}))

    @classmethod
    def load(cls, directory: str | Path, mmap: bool = True) -> FaceCache:
        d = Path(directory)
        if not (d / "crops.npy").exists():
            raise DatasetError("NO_CACHE", f"no crop cache in {d}; run `python -m maskgate_trainer prepare` first")
        meta = np.load(d / "meta.npz")
        index = json.loads((d / "index.json").read_text())
        crops = np.load(d / "crops.npy", mmap_mode="r" if mmap else None)
        return cls(crops, meta["keypoints"], meta["labels"], index["identities"], index["paths"])


    @classmethod
    def concatenate(cls, caches: list[FaceCache]) -> FaceCache:
        """One cache over several face sets (read into memory); identities stay distinct per set."""
        labels, offset = [], 0
        for c in caches:
            labels.append(c.labels + offset)
            offset += len(c.identities)
        return cls(np.concatenate([np.asarray(c.crops) for c in caches]), np.concatenate([c.keypoints for c in caches]),
                   np.concatenate(labels), [i for c in caches for i in c.identities], [p for c in caches for p in c.paths])


def identity_weights(labels: np.ndarray, balance: float) -> np.ndarray:
    """Sampling weight of each image: 1 / (images of its identity)^balance, normalised to sum 1.
    balance 0 samples images uniformly; 1 gives every identity the same share, so a few prolific
    identities (LFW's politicians) do not dominate; 0.5 sits between."""
    counts = np.bincount(labels)[labels].astype(np.float64)
    w = counts ** -float(balance)
    return w / w.sum()


def pick_central(dets: list, width: int, height: int):
    """The detection whose box centre is nearest the image centre (LFW centres the named person)."""
    centre = np.array([width / 2, height / 2])

    def dist(d) -> float:
        return float(np.linalg.norm((d.box[:2] + d.box[2:]) / 2 - centre))

    return min(dets, key=dist)


def build_cache(root: str | Path, detector_path: str | Path, limit: int | None = None) -> tuple[FaceCache, dict]:
    """Detect + align every image. Returns the cache and stats (failures to acquire are reported, not hidden)."""
    items = scan_face_folders(root)
    if limit is not None:
        items = items[:limit]
    detector = BlazeFaceDetector(detector_path)
    identities = sorted({i for i, _ in items})
    id_index = {n: k for k, n in enumerate(identities)}
    crops, kps, labels, paths, failed = [], [], [], [], []
    t0 = time.time()
    for ident, path in tqdm(items, desc="prepare", unit="img"):
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            failed.append(str(path))
            continue
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        dets = detector.detect(rgb)
        if not dets:
            failed.append(str(path))
            continue
        det = pick_central(dets, rgb.shape[1], rgb.shape[0])
        crop, crop_kps = align_face(rgb, det.keypoints)
        crops.append(crop)
        kps.append(crop_kps.astype(np.float32))
        labels.append(id_index[ident])
        paths.append(str(Path(path).relative_to(Path(root))))
    seconds = time.time() - t0
    cache = FaceCache(np.stack(crops), np.stack(kps), np.asarray(labels, dtype=np.int64), identities, paths)
    stats = {
        "images": len(items),
        "aligned": len(crops),
        "failedToAcquire": len(failed),
        "failedPaths": failed[:50],
        "seconds": round(seconds, 1),
        "imagesPerSecond": round(len(items) / max(seconds, 1e-9), 1),
    }
    return cache, stats


@dataclass(frozen=True)
class Split:
    train: np.ndarray  # indices into the cache
    dev: np.ndarray
    dev_identities: list[int]


def split_identities(labels: np.ndarray, dev_identities: int, seed: int) -> Split:
    """Identity-disjoint split: `dev_identities` identities with >=2 images go to dev (fixed seed),
    everything else (including single-image identities) is training data."""
    counts = np.bincount(labels)
    multi = np.flatnonzero(counts >= 2)
    rng = np.random.default_rng(seed)
    n_dev = min(dev_identities, len(multi))
    dev_ids = np.sort(rng.choice(multi, size=n_dev, replace=False))
    is_dev = np.isin(labels, dev_ids)
    return Split(np.flatnonzero(~is_dev), np.flatnonzero(is_dev), dev_ids.tolist())
