"""More faces than LFW: extra identity-labelled sets keep their own held-out identities; sampling
can be balanced per identity; MFR2-style real-mask pairs are read by protocol."""

from __future__ import annotations

import numpy as np
import pytest

from maskgate_trainer.data import FaceCache, identity_weights
from maskgate_trainer.real_masked import read_pairs
from maskgate_trainer.train import load_training_data

from .conftest import tiny_cache_dir


def test_identity_weights_balance_prolific_identities():
    labels = np.array([0] * 8 + [1] * 2)
    uniform = identity_weights(labels, 0.0)
    balanced = identity_weights(labels, 1.0)
    assert uniform.sum() == pytest.approx(1) and balanced.sum() == pytest.approx(1)
    assert uniform[labels == 0].sum() == pytest.approx(0.8)
    assert balanced[labels == 0].sum() == pytest.approx(0.5)  # every identity the same share
    assert 0.5 < identity_weights(labels, 0.5)[labels == 0].sum() < 0.8


def test_extra_sets_join_training_with_their_own_identities_held_out(tiny_config, tmp_path):
    extra_dir = tmp_path / "extra"
    tiny_cache_dir(extra_dir, identities=4, per_identity=3)
    cfg = tiny_config
    cfg["data"]["extra_train"] = [{"root": "unused", "cache_dir": str(extra_dir), "dev_identities": 2,
                                   "name": "extra", "licence": "test", "commercial_use": False}]
    primary = FaceCache.load(cfg["data"]["cache_dir"])
    data = load_training_data(cfg)
    assert len(data.cache) == len(primary) + 12 and len(data.teacher) == len(data.cache)
    extra_train = data.train[data.train >= len(primary)]
    extra_ids = set(data.cache.labels[extra_train].tolist())
    assert len(extra_ids) == 2  # 4 identities, 2 held out
    assert not extra_ids & set(data.cache.labels[data.split.dev].tolist())  # labels stay distinct per set
    assert set(data.split.dev.tolist()) < set(range(len(primary)))  # dev pairs come from the primary set only


def test_real_masked_pairs_are_split_by_the_masked_flags(tmp_path):
    cache = FaceCache(np.zeros((4, 112, 112, 3), np.uint8), np.zeros((4, 6, 2), np.float32), np.array([0, 0, 1, 1]),
                      ["Ann", "Bo"], ["Ann/Ann_0001.png", "Ann/Ann_0002.png", "Bo/Bo_0001.png", "Bo/Bo_0002.png"])
    (tmp_path / "manifest.csv").write_text("path,identity,masked,mask_type\nAnn/Ann_0001.png,Ann,1,cloth\n"
                                           "Ann/Ann_0002.png,Ann,0,no-mask\nBo/Bo_0001.png,Bo,1,kn95\nBo/Bo_0002.png,Bo,1,kn95\n")
    (tmp_path / "pairs.txt").write_text("Ann 1 2\nBo 1 2\nAnn 2 Bo 2\nAnn 1 Cy 1\n\n")
    pairs = read_pairs(tmp_path, cache)
    assert pairs.genuine.tolist() == [1, 1, 0]
    assert pairs.protocol.tolist() == ["UMR-MP", "MR-MP", "UMR-MP"]
    assert pairs.skipped == 1  # Cy was never acquired: counted, not silently dropped
