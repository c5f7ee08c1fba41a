from __future__ import annotations

import numpy as np
import pytest

from maskgate_trainer.cli import main
from maskgate_trainer.config import ConfigError, load_config
from maskgate_trainer.data import DatasetError, FaceCache, scan_face_folders, split_identities
from maskgate_trainer.evaluate import make_pairs

from .conftest import REPO, tiny_cache_dir


def test_scan_face_folders(tmp_path):
    for ident, n in (("Alice", 2), ("Bob", 1)):
        (tmp_path / ident).mkdir()
        for k in range(n):
            (tmp_path / ident / f"{ident}_{k}.jpg").write_bytes(b"x")
    (tmp_path / "Bob" / "notes.txt").write_text("ignored")
    items = scan_face_folders(tmp_path)
    assert [(i, p.name) for i, p in items] == [("Alice", "Alice_0.jpg"), ("Alice", "Alice_1.jpg"), ("Bob", "Bob_0.jpg")]
    with pytest.raises(DatasetError) as e:
        scan_face_folders(tmp_path / "missing")
    assert e.value.code == "NO_DATASET"


def test_cache_roundtrip(tmp_path):
    cache = tiny_cache_dir(tmp_path)
    back = FaceCache.load(tmp_path)
    assert np.array_equal(np.asarray(back.crops), cache.crops) and back.identities == cache.identities


def test_split_is_identity_disjoint_and_seeded():
    labels = np.repeat(np.arange(50), 3)
    labels = np.concatenate([labels, np.arange(50, 60)])  # single-image identities
    a, b = split_identities(labels, 10, 0), split_identities(labels, 10, 0)
    assert np.array_equal(a.dev, b.dev)
    assert not set(labels[a.train]) & set(labels[a.dev])
    assert all(np.sum(labels == i) >= 2 for i in a.dev_identities)


def test_pairs_labels_are_right():
    labels = np.repeat(np.arange(8), 4)
    p = make_pairs(labels, np.arange(len(labels)), seed=0, max_genuine_per_identity=3, impostors=40)
    same = labels[p.left] == labels[p.right]
    assert np.array_equal(same, p.genuine == 1)
    assert p.genuine.sum() == 8 * 3 and (p.genuine == 0).sum() == 40
    assert np.all(p.left != p.right)


def test_config_base_merge_and_overrides():
    cfg = load_config(REPO / "trainer" / "configs" / "gpu_full.yaml", ["reformer.lr=0.5"])
    assert cfg["reformer"]["lr"] == 0.5 and cfg["reformer"]["epochs"] == 30 and cfg["data"]["dev_identities"] == 300
    # gpu_full runs the stronger recipe: two levels of _base_ (cpu_edgeface → base), mixed precision, all data.
    assert cfg["reformer"]["trunk"] == "edgeface_xs" and cfg["distill"]["teachers"] == ["edgeface_xs"]
    assert cfg["run"]["amp"] is True and cfg["data"]["limit_train"] is None and cfg["data"]["extra_train"]
    with pytest.raises(ConfigError):
        load_config(REPO / "trainer" / "configs" / "cpu_small.yaml", ["reformer.nope=1"])


def test_cli_reports_config_errors(capsys):
    assert main(["train", "--stage", "encoder", "--config", "/nonexistent.yaml"]) == 2
    assert "NO_CONFIG" in capsys.readouterr().err
