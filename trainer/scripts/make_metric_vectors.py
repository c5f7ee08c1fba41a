"""Regenerate test/vectors/metrics/verification_metrics.json from the reference Python implementation.

The small cases are also checked by hand in trainer/tests/test_metrics.py; the larger seeded case pins
the implementation so the TypeScript port can match it bit-for-bit (to ~1e-12)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from maskgate_trainer.metrics import verification_metrics

OUT = Path(__file__).resolve().parents[2] / "test" / "vectors" / "metrics" / "verification_metrics.json"


def case(name: str, description: str, scores, labels) -> dict:
    m = verification_metrics(scores, labels)
    expected = {k: (None if isinstance(v, float) and math.isinf(v) else v) for k, v in m.items()}
    return {"name": name, "description": description, "scores": [float(s) for s in scores],
            "labels": [int(v) for v in labels], "expected": expected}


def main() -> None:
    rng = np.random.default_rng(20241128)
    g = np.round(rng.normal(0.55, 0.15, 300), 3)
    i = np.round(rng.normal(0.15, 0.12, 3000), 3)  # rounding to 3 decimals creates many ties
    cases = [
        case("perfect_separation", "every genuine above every impostor",
             [0.9, 0.8, 0.7, 0.1, 0.2, 0.3, 0.4], [1, 1, 1, 0, 0, 0, 0]),
        case("ties_across_classes", "genuine and impostor share the score 0.5 (score >= t matches)",
             [0.5, 0.5, 0.7, 0.3, 0.5, 0.2], [1, 0, 1, 0, 1, 0]),
        case("inverted", "every impostor above every genuine: FMR100 needs t=+Infinity (null)",
             [0.1, 0.2, 0.8, 0.9], [1, 1, 0, 0]),
        case("all_equal", "one score for everything", [0.3, 0.3, 0.3, 0.3], [1, 0, 1, 0]),
        case("negative_cosines", "cosine scores below zero",
             [-0.2, 0.35, 0.6, -0.5, -0.1, 0.4, 0.0, -0.3], [1, 1, 1, 0, 0, 0, 0, 0]),
        case("seeded_gaussian_3300", "300 genuine, 3000 impostor, 3-decimal scores with ties",
             np.concatenate([g, i]).tolist(), [1] * 300 + [0] * 3000),
    ]
    doc = {
        "description": "Verification metric vectors shared by the Python trainer and the TypeScript calibration code.",
        "conventions": [
            "label 1 = genuine (mated), 0 = impostor; a comparison matches when score >= threshold",
            "candidate thresholds: distinct scores ascending, then +Infinity (written as null)",
            "FMR(t) = #impostor>=t / #impostor; FNMR(t) = #genuine<t / #genuine",
            "acc: max over candidates of (#genuine>=t + #impostor<t)/#all; accThreshold = lowest candidate reaching it",
            "eer: (FMR+FNMR)/2 at the lowest candidate minimising |FMR-FNMR|",
            "fdr: (mean_g-mean_i)^2/(var_g+var_i), population variances",
            "fmr100/fmr1000: FNMR at the lowest candidate with FMR<=0.01/0.001; *AchievedFmr/*AchievedFnmr/*Average at that threshold",
            "auc: P(g>i) + 0.5 P(g==i)",
            "compare floats with an absolute tolerance of 1e-9",
        ],
        "cases": cases,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=1) + "\n")
    print(OUT)


if __name__ == "__main__":
    main()
