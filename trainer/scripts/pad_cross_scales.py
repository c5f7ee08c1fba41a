"""Cross-type check of the two-scale PAD pair (docs/pad.md, "Two crop scales").

For each attack family left out of training (print family -> replay, replay -> print family), fits
the 2.7x recipe (10 epochs) and the 1.2x recipe (20 epochs) on the pad_tight.yaml sources without
that family, scores the held-out list, and reports BPCER10 on the unseen family for each scale and
for their fusion (sigmoid of the mean log-odds, as pipeline/fused-pad-scorer.ts). About 15 min here:

    PYTHONPATH=trainer/src .venv/bin/python trainer/scripts/pad_cross_scales.py var/pad-eval/by-source-door-attacks.csv
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from maskgate_trainer import pad_training
from maskgate_trainer.config import load_config
from maskgate_trainer.detect import BlazeFaceDetector
from maskgate_trainer.pad_net import attack_scores, bpcer_at_apcer, extract_crops, read_list, to_tensor
from maskgate_trainer.train import repo_path

SCALES = ((2.7, 10), (1.2, 20))


def fuse(probabilities: list[np.ndarray]) -> np.ndarray:
    p = np.clip(np.stack(probabilities), 1e-6, 1 - 1e-6)
    return 1 / (1 + np.exp(-np.log(p / (1 - p)).mean(axis=0)))


def main(eval_list: Path) -> dict:
    cfg = load_config(repo_path("trainer/configs/pad_tight.yaml"))
    base, _ = pad_training.training_config(cfg, repo_path)
    torch.set_num_threads(base.threads)
    detector_path = repo_path(cfg["data"]["detector"])
    data = pad_training.gather(base, BlazeFaceDetector(str(detector_path)), np.random.default_rng(base.seed))
    rows = read_list(eval_list)
    attack = np.array([r.attack for r in rows])
    kind = np.array([r.kind for r in rows])
    families = (
        ("print->replay", pad_training.PRINT_FAMILY, pad_training.REPLAY_FAMILY),
        ("replay->print", pad_training.REPLAY_FAMILY, pad_training.PRINT_FAMILY),
    )
    report: dict = {}
    for name, seen, unseen in families:
        use = ~data.attack | np.array([k in seen for k in data.kind])
        scores, kept = {}, np.ones(len(rows), dtype=bool)
        for scale, epochs in SCALES:
            net = pad_training.train_net(data, use, replace(base, crop_scale=scale, epochs=epochs))
            crops, got = extract_crops(rows, detector_path, scale)
            scores[f"{scale}x"], kept = attack_scores(net, to_tensor(crops)), kept & got
        scores["fused"] = fuse([scores[f"{s}x"] for s, _ in SCALES])
        report[name] = {}
        for label, s in scores.items():
            by_type = {t: s[kept & attack & (kind == t)] for t in unseen if (kept & attack & (kind == t)).any()}
            threshold, bpcer = bpcer_at_apcer(s[kept & ~attack], by_type, 0.10)
            report[name][label] = {"bpcer10": round(100 * bpcer, 1), "threshold": round(threshold, 3)}
        print(name, report[name], file=sys.stderr, flush=True)
    return report


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1])), indent=1))
