"""Weight-space interpolation between the teacher and its fine-tuned student (WiSE-FT, Wortsman et
al., CVPR 2022): theta(alpha) = (1 - alpha) * theta_teacher + alpha * theta_student.

Why: fine-tuning on synthetic masks moves the student towards what the synthesiser draws and away
from what the teacher learnt on millions of real faces; on real masks (MFR2) the fine-tuned student
lost to its teacher. Both ends share one initialisation (the student starts as the teacher's own
network), so the straight line between them stays in one basin and its middle often keeps the
teacher's robustness and most of the fine-tune's gain. alpha is chosen on the LFW development pairs
(masked and unmasked) only; MFR2 is reported, never used to choose."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from .evaluate import PROTOCOLS, DevImages, PairList, evaluate_embedder, save_json
from .real_masked import evaluate_real_masked

# A blend may lose at most this much unmasked ACC against the teacher (issue 13's bar) to be chosen.
UNMASKED_ACC_TOLERANCE = 0.002


def interpolate(teacher: dict[str, torch.Tensor], student: dict[str, torch.Tensor], alpha: float) -> dict[str, torch.Tensor]:
    """The blended state dict; integer buffers (e.g. BatchNorm's batch counter) come from the student."""
    if teacher.keys() != student.keys():
        raise ValueError("teacher and student have different parameters; they must share one architecture")
    return {k: torch.lerp(teacher[k], student[k], alpha) if student[k].is_floating_point() else student[k].clone()
            for k in student}


def choose_alpha(results: dict[float, dict]) -> float:
    """The blend with the lowest UMR-MP FNMR at FMR 1 % on the LFW dev pairs (the product's case), among
    those that lose at most UNMASKED_ACC_TOLERANCE unmasked ACC against alpha = 0 (the teacher); ties go to
    the lower MR-MP FNMR, then to the smaller alpha (closer to the teacher)."""
    base = results[0.0]["UMR-UMP"]["acc"]
    allowed = [a for a, r in results.items() if r["UMR-UMP"]["acc"] >= base - UNMASKED_ACC_TOLERANCE]
    return min(allowed, key=lambda a: (results[a]["UMR-MP"]["fmr100"], results[a]["MR-MP"]["fmr100"], a))


def sweep(embedder_for: Callable[[float], Callable[[np.ndarray], np.ndarray]], alphas: Sequence[float],
          dev: DevImages, pairs: PairList, real: tuple[object, object] | None, out_dir: Path) -> dict:
    """Measures each alpha on the dev protocols (and MFR2 when `real` = (cache, pairs)); results are
    kept per alpha in `out_dir/alpha-<a>.json` so that an interrupted sweep resumes."""
    out_dir.mkdir(parents=True, exist_ok=True)
    results: dict[float, dict] = {}
    for alpha in sorted({0.0, *alphas}):
        path = out_dir / f"alpha-{alpha:.2f}.json"
        if path.exists():
            results[alpha] = json.loads(path.read_text())
            continue
        embed = embedder_for(alpha)
        res = evaluate_embedder(embed, dev, pairs)
        row = {p: res[p] for p in PROTOCOLS}
        if real is not None:
            row["MFR2"] = evaluate_real_masked(embed, *real)
        save_json(row, path)
        results[alpha] = json.loads(path.read_text())
        print(f"alpha {alpha:.2f}: " + table_row(alpha, results[alpha]), flush=True)
    return results


def table_row(alpha: float, r: dict) -> str:
    cells = [f"{r[p]['acc']:.4f} / {r[p]['fmr100']:.4f} / {r[p]['fmr1000']:.4f}" for p in PROTOCOLS]
    for p in ("UMR-MP", "all"):
        m = r.get("MFR2", {}).get(p)
        cells.append(f"{m['acc']:.4f} / {m['fmr100']:.4f} / {m['fmr1000']:.4f}" if m else "n/a")
    return f"| {alpha:.2f} | " + " | ".join(cells) + " |"


def table(results: dict[float, dict], chosen: float) -> str:
    head = ("| alpha | LFW UMR-MP | LFW MR-MP | LFW UMR-UMP | MFR2 UMR-MP (real) | MFR2 all (real) |\n"
            "|---|---|---|---|---|---|")
    rows = [table_row(a, results[a]).replace(f"| {a:.2f} |", f"| **{a:.2f}** (chosen) |" if a == chosen else f"| {a:.2f} |", 1)
            for a in sorted(results)]
    return head + "\n" + "\n".join(rows) + "\n\nACC / FNMR@FMR1% / FNMR@FMR0.1%; alpha 0 = the teacher, 1 = the fine-tuned student."
