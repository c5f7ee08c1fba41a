"""export-pairs: the files `maskgate eval --aligned` reads hold exactly the trainer's crops and pairs."""

from __future__ import annotations

import csv

import cv2
import numpy as np

from maskgate_trainer.evaluate import PROTOCOLS, build_dev_images, evaluate_embedder, make_pairs
from maskgate_trainer.pair_export import export_pairs, subsample

from .conftest import tiny_cache_dir


def _mean_colour_embedder(crops: np.ndarray) -> np.ndarray:
    """A stand-in model: per-quadrant mean colours (deterministic, sensitive to every pixel)."""
    q = crops.reshape(len(crops), 2, 56, 2, 56, 3).astype(np.float64).mean(axis=(2, 4))
    return q.reshape(len(crops), -1) - 127.0


def test_subsample_is_balanced_seeded_and_in_list_order():
    genuine = np.array([1] * 10 + [0] * 90)
    keep = subsample(genuine, 20, seed=3)
    assert len(keep) == 20 and genuine[keep].sum() == 10
    assert np.all(np.diff(keep) > 0)
    assert np.array_equal(keep, subsample(genuine, 20, seed=3))
    assert np.array_equal(subsample(genuine, None, 0), np.arange(100))
    assert len(subsample(genuine, 1000, 0)) == 100


def test_exported_crops_and_pair_lists_reproduce_the_trainer_metrics(tmp_path):
    cache = tiny_cache_dir(tmp_path / "cache")
    pairs = make_pairs(cache.labels, np.arange(len(cache.labels)), seed=0, impostors=40)
    out = tmp_path / "pairs"
    report = export_pairs(out, (cache.crops, cache.keypoints, pairs, 7), None, _mean_colour_embedder, "stand-in", None)
    # The trainer's own evaluation of the same pairs, from its in-memory arrays.
    direct = evaluate_embedder(_mean_colour_embedder, build_dev_images(cache.crops, cache.keypoints, pairs, 7), pairs)
    for proto in PROTOCOLS:
        assert report["metrics"][proto]["fmr100"] == direct[proto]["fmr100"]
        # Re-score from the files alone, as the field tool does: PNG is lossless, so the metrics agree exactly.
        rows = list(csv.DictReader((out / f"{proto}.csv").open()))
        assert len(rows) == len(pairs.genuine)
        read = {p: cv2.cvtColor(cv2.imread(str(out / p)), cv2.COLOR_BGR2RGB) for r in rows for p in (r["img1"], r["img2"])}
        emb = {p: e / np.linalg.norm(e) for p, e in zip(read, _mean_colour_embedder(np.stack(list(read.values()))), strict=True)}
        scores = np.array([emb[r["img1"]] @ emb[r["img2"]] for r in rows])
        assert np.allclose(scores, direct["_scores"][proto], atol=1e-12)
        assert [int(r["label"]) for r in rows] == pairs.genuine.tolist()
    # Masked variants differ from the unmasked crop; the two masked sides differ from each other.
    i = int(pairs.left[0])
    a, b, u = (cv2.imread(str(out / f"crops/{v}/{i}.png")) for v in ("masked-a", "masked-b", "unmasked"))
    assert not np.array_equal(a, u) and not np.array_equal(a, b)
    assert (out / "trainer-metrics.json").is_file()
