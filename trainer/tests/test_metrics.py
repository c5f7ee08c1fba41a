from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from maskgate_trainer.metrics import MetricsError, roc_curve, verification_metrics

VECTORS = Path(__file__).resolve().parents[2] / "test" / "vectors" / "metrics" / "verification_metrics.json"


def load_cases() -> list[dict]:
    return json.loads(VECTORS.read_text())["cases"]


def test_vector_file_has_cases():
    names = {c["name"] for c in load_cases()}
    assert {"perfect_separation", "ties_across_classes", "inverted", "seeded_gaussian_3300"} <= names


@pytest.mark.parametrize("case", load_cases(), ids=lambda c: c["name"])
def test_matches_shared_vectors(case):
    got = verification_metrics(case["scores"], case["labels"])
    for key, want in case["expected"].items():
        value = got[key]
        if want is None:
            assert math.isinf(value) and value > 0, key
        else:
            assert value == pytest.approx(want, abs=1e-9), key


def test_ties_case_by_hand():
    # genuine 0.5, 0.7, 0.5; impostor 0.5, 0.3, 0.2; a score equal to t is a match.
    m = verification_metrics([0.5, 0.5, 0.7, 0.3, 0.5, 0.2], [1, 0, 1, 0, 1, 0])
    assert m["acc"] == pytest.approx(5 / 6) and m["accThreshold"] == 0.5
    assert m["eer"] == pytest.approx(1 / 6)
    assert m["fmr100"] == pytest.approx(2 / 3) and m["fmr100Threshold"] == 0.7
    assert m["fmr100AchievedFmr"] == 0.0 and m["fmr100Average"] == pytest.approx(1 / 3)
    assert m["fdr"] == pytest.approx((0.7 / 3) ** 2 / (0.026666666 / 3 + 0.046666666 / 3), rel=1e-6)
    assert m["auc"] == pytest.approx(8 / 9)


def test_perfect_separation():
    m = verification_metrics([0.9, 0.8, 0.1, 0.2], [1, 1, 0, 0])
    assert m["acc"] == 1.0 and m["eer"] == 0.0 and m["fmr1000"] == 0.0 and m["auc"] == 1.0


def test_errors_are_typed():
    with pytest.raises(MetricsError) as e:
        verification_metrics([0.1, 0.2], [1, 1])
    assert e.value.code == "ONE_CLASS"
    with pytest.raises(MetricsError):
        verification_metrics([0.1, float("nan")], [1, 0])
    with pytest.raises(MetricsError):
        verification_metrics([0.1, 0.2], [1, 2])


def test_roc_is_monotone():
    rng = np.random.default_rng(0)
    s = rng.normal(size=200)
    y = (rng.random(200) < 0.3).astype(int)
    fmr, tpr = roc_curve(s, y)
    assert np.all(np.diff(fmr) <= 0) and np.all(np.diff(tpr) <= 0)


def test_eer_exact_tie_takes_the_lowest_threshold():
    # At 0.2: FMR 2/4, FNMR 1/3; at 0.4: FMR 2/4, FNMR 2/3. |FMR - FNMR| = 1/6 at both, an exact tie
    # that floating-point rates broke towards 0.4 (EER 7/12). TypeScript agrees (metrics.test.ts).
    m = verification_metrics([0.1, 0.5, 0.2, 0.0, 0.4, 0.6, 0.0], [1, 1, 1, 0, 0, 0, 0])
    assert m["eerThreshold"] == 0.2
    assert abs(m["eer"] - 5 / 12) < 1e-12
