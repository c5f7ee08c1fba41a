"""Measure every configured teacher, and their ensembles, on the development protocols: synthetic
masks on held-out LFW identities (UMR-MP, MR-MP, UMR-UMP) and real masked MFR2 pairs. This is how a
distillation target is chosen: by measurement, not assumption."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from .data import FaceCache, build_cache
from .evaluate import Embedder, evaluate_embedder, save_json, strip_scores
from .real_masked import evaluate_real_masked, read_pairs
from .teacher import OnnxEmbedder, l2_normalise


def real_masked_cache(cfg: dict, repo_path: Callable[[str], Path]) -> tuple[FaceCache, Path] | None:
    """The aligned MFR2 crops (built on first use, ~264 images); None when the set is absent."""
    rm = cfg["data"].get("real_masked")
    if not rm or not repo_path(rm["root"]).is_dir():
        return None
    d = repo_path(rm["cache_dir"])
    if not (d / "crops.npy").exists():
        cache, _ = build_cache(repo_path(rm["root"]), repo_path(cfg["data"]["detector"]))
        cache.save(d)
    return FaceCache.load(d), repo_path(rm["root"])


def ensemble(embedders: list[Embedder], combine: str) -> Embedder:
    """`mean`: average of L2-normalised embeddings; `concat`: their concatenation (cosine of the
    concatenation = mean of the per-teacher cosines)."""

    def embed(crops: np.ndarray) -> np.ndarray:
        parts = [l2_normalise(e(crops)) for e in embedders]
        return np.mean(parts, axis=0) if combine == "mean" else np.concatenate(parts, axis=1)

    return embed


def remembered(embed: Embedder) -> Embedder:
    """Embeds each input array once: the ensembles reuse their members' embeddings of the same images."""
    seen: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def run(crops: np.ndarray) -> np.ndarray:
        key = id(crops)
        if key not in seen or seen[key][0] is not crops:
            seen[key] = (crops, embed(crops))
        return seen[key][1]

    return run


def candidate_embedders(cfg: dict, specs: dict) -> dict[str, Embedder]:
    present = {n: remembered(OnnxEmbedder.for_teacher(s, cfg["run"]["threads"]).embed) for n, s in specs.items() if s.available}
    out: dict[str, Embedder] = {f"teacher {n}": e for n, e in present.items()}
    if len(present) > 1:
        names = "+".join(present)
        out[f"ensemble mean({names})"] = ensemble(list(present.values()), "mean")
        out[f"ensemble concat({names})"] = ensemble(list(present.values()), "concat")
    return out


def measure(cfg: dict, embedders: dict[str, Embedder], pairs, dev, out_dir: Path,
            repo_path: Callable[[str], Path]) -> dict:
    """Dev-protocol and real-mask metrics of every embedder; writes teachers.json."""
    real = real_masked_cache(cfg, repo_path)
    real_pairs = read_pairs(real[1], real[0]) if real else None
    report: dict[str, dict] = {}
    for name, embed in embedders.items():
        report[name] = strip_scores({"x": evaluate_embedder(embed, dev, pairs)})["x"]
        if real and real_pairs is not None:
            report[name]["MFR2"] = evaluate_real_masked(embed, real[0], real_pairs)
    if real_pairs is not None:
        report["_meta"] = {"mfr2PairsSkipped": real_pairs.skipped, "mfr2Pairs": len(real_pairs.genuine)}
    out_dir.mkdir(parents=True, exist_ok=True)
    save_json(report, out_dir / "teachers.json")
    return report


def report_table(report: dict) -> str:
    """Markdown: per model, ACC and FNMR at FMR 1% / 0.1% on each synthetic protocol and on MFR2."""
    rows = ["| model | set | protocol | ACC | FNMR@FMR1% | FNMR@FMR0.1% | pairs (gen/imp) |", "|---|---|---|---|---|---|---|"]
    for name, res in report.items():
        if name.startswith("_"):
            continue
        for proto in ("UMR-MP", "MR-MP", "UMR-UMP"):
            m = res[proto]
            rows.append(f"| {name} | LFW dev (synthetic masks) | {proto} | {m['acc']:.4f} | {m['fmr100']:.4f} | {m['fmr1000']:.4f} | |")
        for proto, m in res.get("MFR2", {}).items():
            rows.append(f"| {name} | MFR2 (real masks) | {proto} | {m['acc']:.4f} | {m['fmr100']:.4f} | {m['fmr1000']:.4f} "
                        f"| {m['genuine']}/{m['impostor']} |")
    return "\n".join(rows)
