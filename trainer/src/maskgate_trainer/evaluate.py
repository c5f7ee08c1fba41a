"""Development pairs (identity-disjoint from training) and evaluation of embedders on them.

Protocols (all from the same pair list, so numbers are comparable):
- UMR-MP: reference unmasked, probe masked (the product's case: unmasked enrolment, masked visitor).
- MR-MP: both masked, with independently drawn masks on each side (seeded per image and side).
- UMR-UMP: both unmasked (sanity check that masked training did not break ordinary faces).
Scores are cosine similarities of the embeddings."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .masks import NO_REALISM, Realism, synthesize_mask
from .metrics import roc_curve, verification_metrics

Embedder = Callable[[np.ndarray], np.ndarray]  # (N,112,112,3) uint8 RGB -> (N,D) float
PROTOCOLS = ("UMR-MP", "MR-MP", "UMR-UMP")


@dataclass(frozen=True)
class PairList:
    left: np.ndarray  # cache indices
    right: np.ndarray
    genuine: np.ndarray  # 1 / 0

    def to_json(self) -> dict:
        return {"left": self.left.tolist(), "right": self.right.tolist(), "genuine": self.genuine.tolist()}


def make_pairs(labels: np.ndarray, indices: np.ndarray, seed: int, max_genuine_per_identity: int = 30,
               impostors: int = 20000) -> PairList:
    """Genuine: up to `max_genuine_per_identity` random same-identity pairs per identity. Impostor:
    `impostors` pairs of two distinct identities drawn uniformly (so prolific identities do not
    dominate), each with a random image."""
    rng = np.random.default_rng(seed)
    by_id: dict[int, list[int]] = {}
    for i in indices.tolist():
        by_id.setdefault(int(labels[i]), []).append(i)
    ids = sorted(by_id)
    left, right, gen = [], [], []
    for ident in ids:
        imgs = by_id[ident]
        allpairs = [(a, b) for x, a in enumerate(imgs) for b in imgs[x + 1 :]]
        if len(allpairs) > max_genuine_per_identity:
            pick = rng.choice(len(allpairs), max_genuine_per_identity, replace=False)
            allpairs = [allpairs[k] for k in sorted(pick)]
        for a, b in allpairs:
            left.append(a), right.append(b), gen.append(1)
    for _ in range(impostors):
        a_id, b_id = rng.choice(len(ids), 2, replace=False)
        left.append(int(rng.choice(by_id[ids[a_id]])))
        right.append(int(rng.choice(by_id[ids[b_id]])))
        gen.append(0)
    return PairList(np.asarray(left), np.asarray(right), np.asarray(gen))


def masked_versions(crops: np.ndarray, keypoints: np.ndarray, indices: np.ndarray, side: int, seed: int,
                    realism: Realism = NO_REALISM) -> np.ndarray:
    """Deterministic masked copy of each listed crop; `side` 0/1 gives independent masks."""
    out = np.empty((len(indices), 112, 112, 3), np.uint8)
    for k, i in enumerate(indices.tolist()):
        rng = np.random.default_rng([seed, int(i), side])
        out[k] = synthesize_mask(np.asarray(crops[i]), keypoints[i], rng, realism=realism).image
    return out


@dataclass
class DevImages:
    """The images the pair list needs, under each condition, embedded once per embedder."""

    index: np.ndarray  # cache indices in the pairs, sorted
    unmasked: np.ndarray
    masked_a: np.ndarray
    masked_b: np.ndarray


def build_dev_images(crops: np.ndarray, keypoints: np.ndarray, pairs: PairList, seed: int) -> DevImages:
    idx = np.unique(np.concatenate([pairs.left, pairs.right]))
    unmasked = np.stack([np.asarray(crops[i]) for i in idx])
    return DevImages(idx, unmasked, masked_versions(crops, keypoints, idx, 0, seed), masked_versions(crops, keypoints, idx, 1, seed))


def _normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def evaluate_embedder(embed: Embedder, dev: DevImages, pairs: PairList) -> dict[str, dict]:
    """Metrics per protocol, plus the raw scores (for plots) under key '_scores'."""
    pos = {int(i): k for k, i in enumerate(dev.index.tolist())}
    u = _normalise(embed(dev.unmasked))
    ma = _normalise(embed(dev.masked_a))
    mb = _normalise(embed(dev.masked_b))
    li = np.array([pos[int(i)] for i in pairs.left])
    ri = np.array([pos[int(i)] for i in pairs.right])
    scores = {
        "UMR-MP": (u[li] * ma[ri]).sum(1),
        "MR-MP": (ma[li] * mb[ri]).sum(1),
        "UMR-UMP": (u[li] * u[ri]).sum(1),
    }
    result: dict[str, dict] = {p: verification_metrics(scores[p], pairs.genuine) for p in PROTOCOLS}
    result["_scores"] = {p: scores[p].tolist() for p in PROTOCOLS}
    return result


def plot_results(results: dict[str, dict], genuine: np.ndarray, out_dir: str | Path) -> list[Path]:
    """ROC (log FMR) per protocol with every model, and score histograms. Returns written files."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    fig, axes = plt.subplots(1, len(PROTOCOLS), figsize=(5 * len(PROTOCOLS), 4.2))
    for ax, proto in zip(axes, PROTOCOLS, strict=True):
        for name, res in results.items():
            s = np.asarray(res["_scores"][proto])
            fmr, tpr = roc_curve(s, genuine)
            ax.plot(np.maximum(fmr, 1e-5), tpr, label=f"{name} (FMR100 {res[proto]['fmr100']:.3f})")
        ax.set_xscale("log")
        ax.set_xlim(1e-4, 1)
        ax.set_xlabel("FMR")
        ax.set_ylabel("1 - FNMR")
        ax.set_title(proto)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    p = out / "roc.png"
    fig.savefig(p, dpi=110)
    plt.close(fig)
    written.append(p)
    fig, axes = plt.subplots(len(results), len(PROTOCOLS), figsize=(5 * len(PROTOCOLS), 2.6 * len(results)), squeeze=False)
    for r, (name, res) in enumerate(results.items()):
        for c, proto in enumerate(PROTOCOLS):
            s = np.asarray(res["_scores"][proto])
            ax = axes[r][c]
            ax.hist(s[genuine == 0], bins=80, alpha=0.6, density=True, label="impostor")
            ax.hist(s[genuine == 1], bins=80, alpha=0.6, density=True, label="genuine")
            ax.axvline(res[proto]["fmr100Threshold"] if np.isfinite(res[proto]["fmr100Threshold"]) else 1.0, color="k", ls="--", lw=0.8)
            ax.set_title(f"{name} {proto}", fontsize=9)
            ax.legend(fontsize=7)
    fig.tight_layout()
    p = out / "scores.png"
    fig.savefig(p, dpi=100)
    plt.close(fig)
    written.append(p)
    return written


def metrics_table(results: dict[str, dict]) -> str:
    """Markdown table: one row per (protocol, model)."""
    cols = [("ACC", "acc"), ("EER", "eer"), ("FDR", "fdr"), ("FMR100", "fmr100"), ("FMR1000", "fmr1000"),
            ("@FMR100 FMR/FNMR/avg", None), ("@FMR1000 FMR/FNMR/avg", None), ("AUC", "auc")]
    lines = ["| protocol | model | " + " | ".join(c for c, _ in cols) + " |", "|" + "---|" * (len(cols) + 2)]
    for proto in PROTOCOLS:
        for name, res in results.items():
            m = res[proto]
            cells = []
            for label, key in cols:
                if key is not None:
                    cells.append(f"{m[key]:.4f}")
                elif "1000" in label:
                    cells.append(f"{m['fmr1000AchievedFmr']:.4f}/{m['fmr1000AchievedFnmr']:.4f}/{m['fmr1000Average']:.4f}")
                else:
                    cells.append(f"{m['fmr100AchievedFmr']:.4f}/{m['fmr100AchievedFnmr']:.4f}/{m['fmr100Average']:.4f}")
            lines.append(f"| {proto} | {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def strip_scores(results: dict[str, dict]) -> dict:
    return {name: {k: v for k, v in res.items() if k != "_scores"} for name, res in results.items()}


def save_json(obj: dict, path: str | Path) -> None:
    def fix(o):
        if isinstance(o, float) and not np.isfinite(o):
            return None
        if isinstance(o, dict):
            return {k: fix(v) for k, v in o.items()}
        if isinstance(o, list):
            return [fix(v) for v in o]
        return o

    Path(path).write_text(json.dumps(fix(obj), indent=1))
