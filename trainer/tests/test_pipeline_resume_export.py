"""Stages on a tiny synthetic cache: checkpoints, --resume, student build and ONNX export parity."""

from __future__ import annotations

import json

import numpy as np
import onnxruntime as ort
import pytest
import torch

from maskgate_trainer.export import export_student
from maskgate_trainer.train import TrainingError, build_student, load_checkpoint, train_stage


def test_resume_continues_from_the_saved_epoch(tiny_config):
    cfg = tiny_config
    train_stage(cfg, "encoder", evaluate=False)
    assert load_checkpoint(cfg, "encoder")["epoch"] == 0
    cfg["encoder"]["epochs"] = 2
    res = train_stage(cfg, "encoder", resume=True, evaluate=False)
    assert [h["epoch"] for h in res["history"]] == [0, 1]  # the resumed run keeps the earlier epoch's record
    assert load_checkpoint(cfg, "encoder")["epoch"] == 1
    train_stage(cfg, "reformer", evaluate=False)
    cfg["reformer"]["epochs"] = 2
    res = train_stage(cfg, "reformer", resume=True, evaluate=False)
    assert [h["epoch"] for h in res["history"]] == [0, 1]


def test_missing_checkpoint_is_a_typed_error(tiny_config):
    with pytest.raises(TrainingError) as e:
        train_stage(tiny_config, "reformer", evaluate=False)
    assert e.value.code == "NO_CHECKPOINT"


def test_all_stages_then_export_parity(tiny_config, tmp_path):
    cfg = tiny_config
    for stage in ("encoder", "reformer", "classifier"):
        train_stage(cfg, stage, evaluate=False)
    out = tmp_path / "g2d.onnx"
    info = export_student(cfg, "classifier", out, measure_speed=False)
    assert info["parityMaxAbsDiff"] <= 1e-5
    side = json.loads(out.with_suffix(".json").read_text())
    assert side["modelId"].startswith("g2d-") and len(side["modelId"]) == 12
    assert side["inputName"] == "input" and side["outputName"] == "embedding"
    assert side["layout"] == "NCHW" and side["channelOrder"] == "BGR" and side["normalized"] is True
    assert side["embeddingSize"] == 512 and side["maxBatch"] is None
    daemon_keys = {"modelId", "inputName", "outputName", "inputSize", "layout", "channelOrder", "mean", "std",
                   "embeddingSize", "maxBatch", "normalized", "licence", "source"}
    assert daemon_keys <= set(side)
    assert set(side) == daemon_keys | {"provenance"}  # the daemon rejects other keys
    assert {"card", "config", "metrics"} <= set(side["provenance"])
    card = side["provenance"]["card"]  # what `maskgate models` lists
    assert [t["name"] for t in card["teachers"]] == ["fr_feature"] and card["initialisedFrom"]["name"] == "fr_feature"
    assert card["trainingData"][0].startswith("LFW") and card["commercialUse"] is False  # LFW: research use
    assert "research use" in card["licenceConsequences"] and side["licence"].startswith("NON-COMMERCIAL")
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    for n in (1, 3):  # dynamic batch
        x = np.random.default_rng(n).uniform(-1, 1, (n, 3, 112, 112)).astype(np.float32)
        y = sess.run(None, {"input": x})[0]
        assert y.shape == (n, 512) and np.allclose(np.linalg.norm(y, axis=1), 1, atol=1e-5)
    student = build_student(cfg, "classifier")
    with torch.no_grad():
        want = student(torch.from_numpy(x), normalise=True).numpy()
    assert np.abs(y - want).max() < 1e-4


def test_mixed_precision_and_identity_balanced_sampling_train_on_cpu(tiny_config):
    """The gpu_full switches (bf16 autocast, balanced sampling), at tiny scale on CPU."""
    cfg = tiny_config
    cfg["run"]["amp"] = True
    cfg["data"]["identity_balance"] = 1.0
    cfg["reformer"]["use_generative"] = False
    res = train_stage(cfg, "reformer", evaluate=False)
    assert np.isfinite(res["history"][0]["loss"]) and res["history"][0]["imagesPerSecond"] > 0


def test_too_little_data_is_a_typed_error(tiny_config):
    tiny_config["encoder"]["batch_size"] = 1000
    with pytest.raises(TrainingError) as e:
        train_stage(tiny_config, "encoder", evaluate=False)
    assert e.value.code == "TOO_FEW_SAMPLES"
