"""The CPU-sized student: closed-form distilled head on a frozen teacher, exported into its graph."""

from __future__ import annotations

import numpy as np

from maskgate_trainer.config import load_config
from maskgate_trainer.head_fit import choose_lambda, export_with_head, fit_ridge, head_parity
from maskgate_trainer.teacher import OnnxEmbedder, l2_normalise, load_teachers

from .conftest import REPO


def test_ridge_recovers_a_linear_map_and_shrinks_to_identity():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 8)).astype(np.float32)
    w_true = rng.normal(size=(8, 8)).astype(np.float32)
    assert np.abs(fit_ridge(x, x @ w_true, 1e-6) - w_true).max() < 1e-3
    assert np.abs(fit_ridge(x, x @ w_true, 1e6) - np.eye(8)).max() < 1e-2  # little evidence: stay at the teacher


def test_lambda_is_chosen_on_held_out_training_identities():
    rng = np.random.default_rng(1)
    target = l2_normalise(rng.normal(size=(300, 6)))
    masked = l2_normalise(target + rng.normal(scale=0.5, size=target.shape))
    lam, scores = choose_lambda(masked, target, target, np.repeat(np.arange(60), 5), seed=0)
    assert scores[str(lam)] == min(scores.values()) and len(scores) > 1


def test_exported_graph_is_teacher_then_normalised_head(tmp_path, faces):
    spec = load_teachers(load_config(REPO / "trainer" / "configs" / "base.yaml"), REPO)["fr_feature"]
    w = (np.eye(512) + np.random.default_rng(2).normal(scale=0.01, size=(512, 512))).astype(np.float32)
    io = export_with_head(spec.onnx, w, tmp_path / "head.onnx")
    assert io["embeddingSize"] == 512 and io["maxBatch"] == 1  # fr_feature's graph runs one face at a time
    diff = head_parity(OnnxEmbedder.for_teacher(spec, 1), tmp_path / "head.onnx", w, faces[:3], spec.preprocess)
    assert diff < 1e-5
    out = OnnxEmbedder(tmp_path / "head.onnx", spec.preprocess, 1).embed(faces[:2])
    assert np.allclose(np.linalg.norm(out, axis=1), 1, atol=1e-5)
