"""How each mask-realism addition changes a recogniser's errors on the development pairs.

Each variant re-renders the probe-side dev masks with one addition always on (same seeds, so the
mask underneath is the same) and scores UMR-MP (unmasked reference, masked probe). Read with the
same recogniser's MFR2 (real masks) figures: an addition that raises FNMR towards the real-mask
level makes the synthetic masks more like real ones for that recogniser; one that changes nothing
adds no training signal. This is a measurement of the masks, not of a trained student."""

from __future__ import annotations

import numpy as np

from .evaluate import DevImages, Embedder, PairList, masked_versions
from .masks import NO_REALISM, REALISM_ADDITIONS, Realism
from .metrics import verification_metrics


def variants() -> dict[str, Realism]:
    out = {"baseline": NO_REALISM}
    out.update({name: Realism(**{name: 1.0}) for name in REALISM_ADDITIONS})
    out["all"] = Realism(**dict.fromkeys(REALISM_ADDITIONS, 1.0))
    return out


def measure_realism(embed: Embedder, crops: np.ndarray, keypoints: np.ndarray, dev: DevImages, pairs: PairList,
                    mask_seed: int) -> dict[str, dict]:
    pos = {int(i): k for k, i in enumerate(dev.index.tolist())}
    li = np.array([pos[int(i)] for i in pairs.left])
    ri = np.array([pos[int(i)] for i in pairs.right])
    u = embed(dev.unmasked).astype(np.float64)
    u /= np.maximum(np.linalg.norm(u, axis=1, keepdims=True), 1e-12)
    out: dict[str, dict] = {}
    for name, realism in variants().items():
        m = embed(masked_versions(crops, keypoints, dev.index, 0, mask_seed, realism)).astype(np.float64)
        m /= np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)
        out[name] = verification_metrics((u[li] * m[ri]).sum(1), pairs.genuine)
    return out


def realism_table(results: dict[str, dict[str, dict]]) -> str:
    rows = ["| recogniser | masks | UMR-MP ACC | FNMR@FMR1% | FNMR@FMR0.1% | EER |", "|---|---|---|---|---|---|"]
    for model, res in results.items():
        for name, m in res.items():
            rows.append(f"| {model} | {name} | {m['acc']:.4f} | {m['fmr100']:.4f} | {m['fmr1000']:.4f} | {m['eer']:.4f} |")
    return "\n".join(rows)
