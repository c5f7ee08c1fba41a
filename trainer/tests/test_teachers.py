"""Teachers as configuration: sidecar parsing, preprocessing, ensembles, and the EdgeFace trunk."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from maskgate_trainer.config import load_config
from maskgate_trainer.models.trunk import InputAdapter, load_trunk
from maskgate_trainer.teacher import (
    STUDENT_PREPROCESS,
    OnnxEmbedder,
    Preprocess,
    TeacherError,
    combine_targets,
    load_teachers,
    read_teacher_sidecar,
)

from .conftest import REPO

CONFIG = REPO / "trainer" / "configs" / "base.yaml"


def _sidecar(tmp_path: Path, **over) -> Path:
    raw = json.loads((REPO / "trainer" / "teachers" / "fr_feature.json").read_text())
    raw.update(over)
    p = tmp_path / "t.json"
    p.write_text(json.dumps(raw))
    return p


def test_configured_teachers_are_read_from_their_sidecars():
    specs = load_teachers(load_config(CONFIG), REPO)
    assert list(specs) == ["fr_feature", "edgeface_xs"]
    assert specs["fr_feature"].preprocess == STUDENT_PREPROCESS
    assert specs["edgeface_xs"].preprocess == Preprocess(bgr=False, mean=127.5, std=127.5)
    assert specs["fr_feature"].commercial_use and not specs["edgeface_xs"].commercial_use
    assert specs["fr_feature"].available  # committed under models/


@pytest.mark.parametrize(("over", "fragment"), [
    ({"inputSize": [128, 128]}, "inputSize"),
    ({"alignment": "mtcnn-96"}, "alignment"),
    ({"channelOrder": "YUV"}, "channelOrder"),
    ({"std": 0}, "std"),
    ({"surprise": 1}, "unknown"),
])
def test_a_sidecar_the_trainer_cannot_honour_is_refused(tmp_path, over, fragment):
    with pytest.raises(TeacherError) as e:
        read_teacher_sidecar(_sidecar(tmp_path, **over), REPO)
    assert e.value.code == "BAD_TEACHER_SIDECAR" and fragment in str(e.value)


def test_a_missing_teacher_file_is_a_typed_error_not_a_crash(tmp_path):
    spec = read_teacher_sidecar(_sidecar(tmp_path, onnx=str(tmp_path / "absent.onnx")), REPO)
    assert not spec.available
    with pytest.raises(TeacherError) as e:
        OnnxEmbedder.for_teacher(spec)
    assert e.value.code == "TEACHER_MISSING"


def test_preprocess_applies_channel_order_and_normalisation():
    crops = np.zeros((1, 112, 112, 3), np.uint8)
    crops[..., 0] = 255  # pure red
    rgb = Preprocess(bgr=False, mean=127.5, std=127.5).apply(crops)
    bgr = Preprocess(bgr=True, mean=127.0, std=128.0).apply(crops)
    assert rgb.shape == (1, 3, 112, 112)
    assert rgb[0, 0, 0, 0] == pytest.approx(1.0) and rgb[0, 2, 0, 0] == pytest.approx(-1.0)
    assert bgr[0, 2, 0, 0] == pytest.approx(1.0) and bgr[0, 0, 0, 0] == pytest.approx(-127 / 128)


def test_input_adapter_maps_the_student_convention_exactly_onto_the_teachers(faces):
    dst = Preprocess(bgr=False, mean=127.5, std=127.5)
    adapted = InputAdapter(STUDENT_PREPROCESS, dst)(torch.from_numpy(STUDENT_PREPROCESS.apply(faces)))
    assert np.abs(adapted.numpy() - dst.apply(faces)).max() < 1e-5


def test_ensemble_targets_mean_and_concat_of_normalised_embeddings():
    a = np.array([[3.0, 4.0]], np.float32)
    b = np.array([[0.0, 2.0]], np.float32)
    assert np.allclose(combine_targets([a], "mean"), a)  # one teacher: its raw embedding
    assert np.allclose(combine_targets([a, b], "mean"), [[0.3, 0.9]])
    assert np.allclose(combine_targets([a, b], "concat"), [[0.6, 0.8, 0.0, 1.0]])
    with pytest.raises(TeacherError):
        combine_targets([a, np.ones((1, 3), np.float32)], "mean")
    with pytest.raises(TeacherError):
        combine_targets([a, b], "median")


EDGEFACE = load_teachers(load_config(CONFIG), REPO)["edgeface_xs"]


@pytest.mark.skipif(not EDGEFACE.available, reason=f"EdgeFace-XS weights not present ({EDGEFACE.onnx})")
def test_edgeface_trunk_is_trainable_and_equals_onnxruntime(faces):
    trunk = load_trunk(EDGEFACE).eval()
    assert sum(p.numel() for p in trunk.parameters()) > 1_500_000  # weights became parameters, not buffers
    want = OnnxEmbedder.for_teacher(EDGEFACE).embed(faces[:4])
    with torch.no_grad():
        got = trunk(torch.from_numpy(STUDENT_PREPROCESS.apply(faces[:4]))).numpy()
    assert np.abs(got - want).max() < 1e-4
