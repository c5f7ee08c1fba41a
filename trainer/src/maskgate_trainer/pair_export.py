"""The trainer's development pairs written as files that `maskgate eval --aligned` reads, so that the
field tool and the trainer score the same crops with the same model and must report the same figures.

The trainer evaluates pre-aligned 112x112 crops (its own detector and alignment, run once by
`prepare`) with masks drawn by its own synthesiser; `maskgate eval` normally detects, aligns and masks
photos itself. Those acquisition differences are real but they are not the model: writing the
trainer's crops (PNG, lossless) and pair list lets the two code paths be compared on the model and
the metrics alone.

Layout of the output folder:
    crops/<variant>/<cache index>.png   variant: unmasked, masked-a, masked-b (LFW dev), mfr2 (real masks)
    <protocol>.csv                      img1,img2,label, paths relative to the folder
    trainer-metrics.json                the trainer's metrics on exactly those pairs (when a model is given)
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from .data import FaceCache
from .evaluate import PROTOCOLS, Embedder, PairList, build_dev_images, evaluate_embedder, save_json
from .real_masked import RealMaskedPairs, evaluate_real_masked, read_pairs

# Which crop variant each side of a synthetic-mask protocol reads (as `evaluate_embedder` scores them).
SIDES = {"UMR-MP": ("unmasked", "masked-a"), "MR-MP": ("masked-a", "masked-b"), "UMR-UMP": ("unmasked", "unmasked")}


def subsample(genuine: np.ndarray, limit: int | None, seed: int) -> np.ndarray:
    """Indices of at most `limit` pairs, half genuine and half impostor where both are available
    (seeded), in list order; all pairs when `limit` is None."""
    n = len(genuine)
    if limit is None or limit >= n:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    gen, imp = np.flatnonzero(genuine == 1), np.flatnonzero(genuine == 0)
    take_gen = min(len(gen), limit // 2)
    take_imp = min(len(imp), limit - take_gen)
    pick = np.concatenate([rng.choice(gen, take_gen, replace=False), rng.choice(imp, take_imp, replace=False)])
    return np.sort(pick)


def _write_crop(path: Path, crop_rgb: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), cv2.cvtColor(np.asarray(crop_rgb), cv2.COLOR_RGB2BGR)):
        raise OSError(f"cannot write {path}")


def _write_csv(path: Path, left: list[str], right: list[str], genuine: np.ndarray) -> None:
    rows = ["img1,img2,label", *(f"{a},{b},{int(g)}" for a, b, g in zip(left, right, genuine.tolist(), strict=True))]
    path.write_text("\n".join(rows) + "\n")


def crop_name(variant: str, cache_index: int) -> str:
    return f"crops/{variant}/{cache_index}.png"


def write_dev_pairs(out: Path, crops: np.ndarray, keypoints: np.ndarray, pairs: PairList, mask_seed: int,
                    embed: Embedder | None) -> dict:
    """The synthetic-mask protocols of `pairs` (already subsampled) as crops + one CSV per protocol;
    the trainer's metrics on them when `embed` is given."""
    dev = build_dev_images(crops, keypoints, pairs, mask_seed)
    for k, i in enumerate(dev.index.tolist()):
        for variant, images in (("unmasked", dev.unmasked), ("masked-a", dev.masked_a), ("masked-b", dev.masked_b)):
            _write_crop(out / crop_name(variant, i), images[k])
    for proto in PROTOCOLS:
        left_variant, right_variant = SIDES[proto]
        _write_csv(out / f"{proto}.csv", [crop_name(left_variant, int(i)) for i in pairs.left],
                   [crop_name(right_variant, int(i)) for i in pairs.right], pairs.genuine)
    if embed is None:
        return {}
    result = evaluate_embedder(embed, dev, pairs)
    return {proto: result[proto] for proto in PROTOCOLS}


def subset_real_pairs(pairs: RealMaskedPairs, keep: np.ndarray) -> RealMaskedPairs:
    return replace(pairs, left=pairs.left[keep], right=pairs.right[keep], genuine=pairs.genuine[keep],
                   protocol=pairs.protocol[keep])


def write_real_pairs(out: Path, cache: FaceCache, pairs: RealMaskedPairs, embed: Embedder | None) -> dict:
    """Real masked pairs (MFR2): the crops as the trainer aligned them, one CSV per protocol
    (`MFR2-<protocol>.csv`), and the trainer's metrics per protocol when `embed` is given."""
    for i in np.unique(np.concatenate([pairs.left, pairs.right])).tolist():
        _write_crop(out / crop_name("mfr2", i), cache.crops[i])
    for proto in ("all", "UMR-MP", "MR-MP", "UMR-UMP"):
        sel = np.ones(len(pairs.genuine), bool) if proto == "all" else pairs.protocol == proto
        if sel.any():
            _write_csv(out / f"MFR2-{proto}.csv", [crop_name("mfr2", int(i)) for i in pairs.left[sel]],
                       [crop_name("mfr2", int(i)) for i in pairs.right[sel]], pairs.genuine[sel])
    if embed is None:
        return {}
    return {f"MFR2-{proto}": m for proto, m in evaluate_real_masked(embed, cache, pairs).items()}


def export_pairs(out: Path, dev: tuple[np.ndarray, np.ndarray, PairList, int] | None,
                 real: tuple[FaceCache, Path] | None, embed: Embedder | None, model_id: str | None,
                 limit: int | None, seed: int = 0) -> dict:
    """Writes the dev protocols (`dev` = crops, keypoints, pairs, mask seed) and/or the real masked
    pairs (`real` = aligned cache, dataset root) under `out`; returns (and writes) the trainer's metrics."""
    out.mkdir(parents=True, exist_ok=True)
    metrics: dict = {}
    counts: dict = {}
    if dev is not None:
        crops, keypoints, pairs, mask_seed = dev
        keep = subsample(pairs.genuine, limit, seed)
        sub = PairList(pairs.left[keep], pairs.right[keep], pairs.genuine[keep])
        metrics.update(write_dev_pairs(out, crops, keypoints, sub, mask_seed, embed))
        counts["dev"] = {"pairs": int(len(keep)), "genuine": int(sub.genuine.sum())}
    if real is not None:
        cache, root = real
        real_pairs = read_pairs(root, cache)
        sub_real = subset_real_pairs(real_pairs, subsample(real_pairs.genuine, limit, seed))
        metrics.update(write_real_pairs(out, cache, sub_real, embed))
        counts["mfr2"] = {"pairs": int(len(sub_real.genuine)), "genuine": int(sub_real.genuine.sum()),
                          "skippedNoFace": real_pairs.skipped}
    report = {"modelId": model_id, "limit": limit, "seed": seed, "counts": counts, "metrics": metrics}
    if embed is not None:
        save_json(report, out / "trainer-metrics.json")
    return report
