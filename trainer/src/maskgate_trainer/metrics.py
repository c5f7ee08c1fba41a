"""Verification metrics (G2D paper's 8 + ROC AUC), defined exactly so the TypeScript port matches.

Conventions (shared with test/vectors/metrics/):
- A comparison is a *match* when score >= t. label 1 = genuine (mated), 0 = impostor (non-mated).
- Candidate thresholds are the distinct scores in ascending order plus +Infinity (reject everything).
- FMR(t) = #{impostor score >= t} / #impostors;  FNMR(t) = #{genuine score < t} / #genuines.
- ACC: max over candidates of (#genuine >= t + #impostor < t) / #all; `accThreshold` is the lowest
  candidate reaching that maximum.
- EER: at the candidate minimising |FMR - FNMR| (lowest such candidate on ties), EER = (FMR + FNMR) / 2.
- FDR = (mean_g - mean_i)^2 / (var_g + var_i), population variances (divide by n).
- FMR100 / FMR1000: the lowest candidate t with FMR(t) <= 0.01 / 0.001 (FNMR is non-decreasing in t,
  so that is the lowest FNMR under the FMR bound); report FNMR there (the metric), and at that threshold
  the achieved FMR, FNMR and their average. The +Infinity candidate always satisfies the bound.
- AUC = P(s_g > s_i) + 0.5 * P(s_g == s_i) over all genuine x impostor pairs (Mann-Whitney).
"""

from __future__ import annotations

import math

import numpy as np


class MetricsError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _rates(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    """Candidate thresholds (ascending, last = +inf) with FMR and FNMR at each."""
    gen = np.sort(scores[labels == 1])
    imp = np.sort(scores[labels == 0])
    cand = np.append(np.unique(scores), np.inf)
    # #genuine < t  == index of first genuine >= t
    fn = np.searchsorted(gen, cand, side="left")
    fp = len(imp) - np.searchsorted(imp, cand, side="left")
    return cand, fp / len(imp), fn / len(gen), len(gen), len(imp)


def _at_fmr(cand: np.ndarray, fmr: np.ndarray, fnmr: np.ndarray, target: float) -> dict:
    k = int(np.flatnonzero(fmr <= target)[0])
    return {
        "threshold": float(cand[k]),
        "fmr": float(fmr[k]),
        "fnmr": float(fnmr[k]),
        "average": float((fmr[k] + fnmr[k]) / 2),
    }


def verification_metrics(scores: np.ndarray | list[float], labels: np.ndarray | list[int]) -> dict:
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    y = np.asarray(labels).reshape(-1).astype(np.int64)
    if s.shape != y.shape:
        raise MetricsError("SHAPE_MISMATCH", f"{s.shape} scores vs {y.shape} labels")
    if not np.all(np.isfinite(s)):
        raise MetricsError("NON_FINITE", "scores must be finite")
    if not set(np.unique(y).tolist()) <= {0, 1}:
        raise MetricsError("BAD_LABEL", "labels must be 0 (impostor) or 1 (genuine)")
    if (y == 1).sum() == 0 or (y == 0).sum() == 0:
        raise MetricsError("ONE_CLASS", "need at least one genuine and one impostor score")
    cand, fmr, fnmr, n_g, n_i = _rates(s, y)
    correct = (1 - fnmr) * n_g + (1 - fmr) * n_i
    k_acc = int(np.argmax(np.round(correct).astype(np.int64)))  # argmax = lowest index on ties
    # |FMR - FNMR| compared on integer counts (|fp*nG - fn*nI|): floating-point rates would let
    # rounding noise break exact ties, and the rule is "lowest threshold on ties".
    fp_count = np.rint(fmr * n_i).astype(np.int64)
    fn_count = np.rint(fnmr * n_g).astype(np.int64)
    gap = np.abs(fp_count * n_g - fn_count * n_i)
    k_eer = int(np.flatnonzero(gap == gap.min())[0])
    g, i = s[y == 1], s[y == 0]
    var = g.var() + i.var()
    diff2 = (g.mean() - i.mean()) ** 2
    fdr = float(diff2 / var) if var > 0 else (math.inf if diff2 > 0 else 0.0)
    # AUC by ranks with average ranks for ties.
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), dtype=np.float64)
    sorted_s = s[order]
    uniq, first, counts = np.unique(sorted_s, return_index=True, return_counts=True)
    avg_rank = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(avg_rank, counts)
    auc = (ranks[y == 1].sum() - n_g * (n_g + 1) / 2) / (n_g * n_i)
    at100 = _at_fmr(cand, fmr, fnmr, 0.01)
    at1000 = _at_fmr(cand, fmr, fnmr, 0.001)
    return {
        "genuine": n_g,
        "impostor": n_i,
        "acc": float(correct[k_acc] / (n_g + n_i)),
        "accThreshold": float(cand[k_acc]),
        "eer": float((fmr[k_eer] + fnmr[k_eer]) / 2),
        "eerThreshold": float(cand[k_eer]),
        "fdr": fdr,
        "fmr100": at100["fnmr"],
        "fmr100Threshold": at100["threshold"],
        "fmr100AchievedFmr": at100["fmr"],
        "fmr100AchievedFnmr": at100["fnmr"],
        "fmr100Average": at100["average"],
        "fmr1000": at1000["fnmr"],
        "fmr1000Threshold": at1000["threshold"],
        "fmr1000AchievedFmr": at1000["fmr"],
        "fmr1000AchievedFnmr": at1000["fnmr"],
        "fmr1000Average": at1000["average"],
        "auc": float(auc),
    }


def roc_curve(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(FMR, 1-FNMR) at every candidate threshold, for plotting."""
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels).astype(np.int64)
    _, fmr, fnmr, _, _ = _rates(s, y)
    return fmr, 1 - fnmr
