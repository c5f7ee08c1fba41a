"""Model cards: licence consequences are derived from the teachers, initial weights and data."""

from __future__ import annotations

from maskgate_trainer.config import load_config
from maskgate_trainer.model_card import licence_line, model_card
from maskgate_trainer.teacher import load_teachers

from .conftest import REPO

METRICS = {"student (x)": {p: {"acc": 0.99, "fmr100": 0.03, "fmr1000": 0.09} for p in ("UMR-MP", "MR-MP", "UMR-UMP")}}


def _card(config: str) -> dict:
    cfg = load_config(REPO / "trainer" / "configs" / config)
    return model_card(cfg, load_teachers(cfg, REPO), METRICS)


def test_an_edgeface_student_inherits_non_commercial_share_alike_terms():
    card = _card("cpu_edgeface.yaml")
    assert [t["name"] for t in card["teachers"]] == ["edgeface_xs"] and card["initialisedFrom"]["name"] == "edgeface_xs"
    assert card["commercialUse"] is False
    assert "edgeface_xs (non-commercial weights)" in card["licenceConsequences"]
    assert "CC BY-NC-SA 4.0" in card["licenceConsequences"]  # share-alike travels with the model
    assert any(d.startswith("CASIA") for d in card["trainingData"])
    assert card["devUmrMp"] == {"acc": 0.99, "fnmrAtFmr1": 0.03, "fnmrAtFmr01": 0.09}
    assert licence_line(card).startswith("NON-COMMERCIAL")


def test_a_fr_feature_student_is_limited_by_its_data_not_its_teacher():
    card = _card("cpu_small.yaml")
    assert card["commercialUse"] is False
    assert "non-commercial weights" not in card["licenceConsequences"]
    assert "LFW" in card["licenceConsequences"] and "BY-NC-SA" not in card["licenceConsequences"]
