"""Real masked development pairs: MFR2 (`pairs.txt` LFW-style lines, `manifest.csv` masked flags).

The images are run through the trainer's own detect + align (`prepare`-style cache), so they are
scored exactly as the synthetic dev pairs are. Each pair is put under a protocol by the masked flags
of its two images: UMR-MP (one masked, one not), MR-MP (both masked), UMR-UMP (neither); `all` is the
whole list as distributed."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .data import DatasetError, FaceCache
from .evaluate import Embedder
from .metrics import verification_metrics

PROTOCOLS = ("all", "UMR-MP", "MR-MP", "UMR-UMP")


@dataclass(frozen=True)
class RealMaskedPairs:
    left: np.ndarray  # cache indices
    right: np.ndarray
    genuine: np.ndarray
    protocol: np.ndarray  # one of PROTOCOLS[1:] per pair
    skipped: int  # pairs whose image the detector could not acquire (reported, not hidden)


def _image_name(identity: str, number: str) -> str:
    return f"{identity}/{identity}_{int(number):04d}.png"


def read_pairs(root: Path, cache: FaceCache) -> RealMaskedPairs:
    """Pairs of `root/pairs.txt` over the images present in `cache` (built from the same root)."""
    pairs_file, manifest = root / "pairs.txt", root / "manifest.csv"
    if not pairs_file.is_file() or not manifest.is_file():
        raise DatasetError("NO_REAL_PAIRS", f"{root} lacks pairs.txt or manifest.csv")
    with manifest.open(newline="") as f:
        masked = {row["path"]: row["masked"] == "1" for row in csv.DictReader(f)}
    where = {p: k for k, p in enumerate(cache.paths)}
    left, right, genuine, protocol, skipped = [], [], [], [], 0
    for line in pairs_file.read_text().splitlines():
        parts = line.split()
        if len(parts) == 3:
            a, b, same = _image_name(parts[0], parts[1]), _image_name(parts[0], parts[2]), 1
        elif len(parts) == 4:
            a, b, same = _image_name(parts[0], parts[1]), _image_name(parts[2], parts[3]), 0
        else:
            continue
        if a not in where or b not in where:
            skipped += 1
            continue
        ma, mb = masked.get(a, False), masked.get(b, False)
        left.append(where[a]), right.append(where[b]), genuine.append(same)
        protocol.append("MR-MP" if ma and mb else "UMR-MP" if ma != mb else "UMR-UMP")
    return RealMaskedPairs(np.asarray(left), np.asarray(right), np.asarray(genuine), np.asarray(protocol), skipped)


def evaluate_real_masked(embed: Embedder, cache: FaceCache, pairs: RealMaskedPairs) -> dict[str, dict]:
    """Verification metrics per protocol (with the pair counts), cosine scores."""
    idx = np.unique(np.concatenate([pairs.left, pairs.right]))
    emb = embed(np.stack([np.asarray(cache.crops[i]) for i in idx])).astype(np.float64)
    emb /= np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
    pos = {int(i): k for k, i in enumerate(idx.tolist())}
    li = np.array([pos[int(i)] for i in pairs.left])
    ri = np.array([pos[int(i)] for i in pairs.right])
    scores = (emb[li] * emb[ri]).sum(1)
    out: dict[str, dict] = {}
    for proto in PROTOCOLS:
        sel = np.ones(len(scores), bool) if proto == "all" else pairs.protocol == proto
        g = pairs.genuine[sel]
        if g.sum() == 0 or (g == 0).sum() == 0:
            continue  # a protocol without both classes has no metrics
        out[proto] = {**verification_metrics(scores[sel], g), "genuine": int(g.sum()), "impostor": int((g == 0).sum())}
    return out
