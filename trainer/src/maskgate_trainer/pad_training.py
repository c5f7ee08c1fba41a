"""Trains PadNet for real bona fide faces: every source of live faces we may train on, masked at a
high rate, and one broad random capture (pad_capture.py) drawn afresh every epoch for live and
attack frames alike. Evaluated on the held-out attack set (no augmentation) and, optionally,
across attack types (fit without one family, test on it). Exports ONNX + sidecar.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .detect import BlazeFaceDetector
from .mask_classifier import is_pad_held_out
from .masks import Realism
from .pad_capture import Frame, capture
from .pad_net import CROP_SCALE, PadNet, Presentation, attack_scores, bpcer_at_apcer, export_net, extract_crops, read_list, to_tensor
from .pad_sources import LFW_KEEP, casia_held_out, listed_frames, photo_frames

PRINT_FAMILY = {"print", "cutout", "photo_mask"}
REPLAY_FAMILY = {"replay"}


@dataclass(frozen=True)
class PadTrainingConfig:
    """What `python -m maskgate_trainer pad-net` trains on (trainer/configs/pad_net.yaml)."""

    attack_lists: list[Path]
    bona_fide_lists: list[Path]
    lfw_root: Path
    casia_root: Path | None
    lfw_photos: int = 1500
    exclude_identities: frozenset[str] = frozenset()
    mask_rate: float = 0.6
    realism: Realism = field(default_factory=Realism)
    epochs: int = 8
    # The context crop: the detector box scaled by this (2.7 sees paper edges and bezels; 1.2 sees
    # the skin's texture at over twice the resolution). Written into the sidecar as cropScale.
    crop_scale: float = CROP_SCALE
    # Start from this exported PadNet (ONNX, converted back by onnx2torch) instead of from scratch.
    init: Path | None = None
    lr: float = 3e-3
    seed: int = 0
    threads: int = 2


def training_config(cfg: dict, resolve) -> tuple[PadTrainingConfig, Path]:
    """The `pad_net` section of a trainer config (paths resolved by `resolve`) and its evaluation list."""
    section = cfg["pad_net"]
    casia = section.get("casia_root")
    return PadTrainingConfig(
        attack_lists=[resolve(p) for p in section["attack_lists"]],
        bona_fide_lists=[resolve(p) for p in section["bona_fide_lists"]],
        lfw_root=resolve(cfg["data"]["root"]),
        casia_root=resolve(casia) if casia else None,
        lfw_photos=int(section["lfw_photos"]),
        exclude_identities=frozenset(section["exclude_identities"]),
        mask_rate=float(section["mask_rate"]),
        realism=Realism.from_config(section["realism"]),
        epochs=int(section["epochs"]),
        crop_scale=float(section["crop_scale"]),
        init=resolve(section["init"]) if section.get("init") else None,
        lr=float(section["lr"]),
        seed=int(cfg["run"]["seed"]),
        threads=int(cfg["run"]["threads"]),
    ), resolve(section["eval_list"])


@dataclass
class TrainingFrames:
    frames: list[Frame]
    attack: np.ndarray  # (n,) bool
    kind: list[str]
    sources: dict[str, int]


def gather(cfg: PadTrainingConfig, detector: BlazeFaceDetector, rng: np.random.Generator) -> TrainingFrames:
    frames: list[Frame] = []
    attack: list[bool] = []
    kind: list[str] = []
    sources: dict[str, int] = {}

    def add(name: str, got: list[Frame], rows: list[Presentation] | None = None) -> None:
        frames.extend(got)
        attack.extend(r.attack for r in rows) if rows else attack.extend([False] * len(got))
        kind.extend(r.kind for r in rows) if rows else kind.extend(["bona_fide"] * len(got))
        sources[name] = len(got)

    def lfw_training(name: str) -> bool:
        return not is_pad_held_out(name) and name not in cfg.exclude_identities

    add("lfw-photos", photo_frames(cfg.lfw_root, lfw_training, 2, cfg.lfw_photos, LFW_KEEP, detector, rng, cfg.mask_rate, cfg.realism))
    if cfg.casia_root is not None:
        casia = photo_frames(cfg.casia_root, lambda n: not casia_held_out(n), 5, 10**6, 1.0, detector, rng, cfg.mask_rate, cfg.realism)
        add("casia-photos", casia)
    for lst in cfg.bona_fide_lists + cfg.attack_lists:
        got, rows = listed_frames(read_list(lst), detector)
        add(str(lst), got, rows)
    return TrainingFrames(frames, np.array(attack), kind, sources)


def _initial_net(cfg: PadTrainingConfig) -> nn.Module:
    if cfg.init is None:
        return PadNet()
    import onnx
    from onnx2torch import convert

    return convert(onnx.load(str(cfg.init)))


def train_net(data: TrainingFrames, use: np.ndarray, cfg: PadTrainingConfig) -> nn.Module:
    """Class-balanced cross-entropy, AdamW with cosine decay; each epoch a fresh capture of every frame."""
    rng = np.random.default_rng(cfg.seed)
    torch.manual_seed(cfg.seed)
    net = _initial_net(cfg)
    index = np.flatnonzero(use)
    y = data.attack[index].astype(np.int64)
    steps = cfg.epochs * ((len(index) + 31) // 32)
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-3)
    schedule = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=steps, pct_start=0.15)
    weight = torch.tensor([0.5 / max(1e-9, 1 - y.mean()), 0.5 / max(1e-9, y.mean())], dtype=torch.float32)
    for epoch in range(cfg.epochs):
        print(f"pad-net: epoch {epoch + 1}/{cfg.epochs}, {len(index)} frames", file=sys.stderr, flush=True)
        net.train()
        order = rng.permutation(len(index))
        for start in range(0, len(order), 32):
            pick = order[start : start + 32]
            batch = to_tensor(np.stack([capture(data.frames[index[i]], rng, cfg.crop_scale) for i in pick]))
            loss = nn.functional.cross_entropy(net(batch), torch.from_numpy(y[pick]), weight=weight)
            opt.zero_grad()
            loss.backward()
            opt.step()
            schedule.step()
    net.eval()
    return net


def evaluate(net: PadNet, rows: list[Presentation], x: torch.Tensor, kept: np.ndarray, test_types: set[str]) -> dict:
    scores = attack_scores(net, x)
    bona = np.array([not r.attack for r in rows]) & kept
    attacks: dict[str, list[float]] = {}
    for r, s, k in zip(rows, scores, kept, strict=True):
        if k and r.attack and r.kind in test_types:
            attacks.setdefault(r.kind, []).append(float(s))
    by_type = {k: np.asarray(v) for k, v in attacks.items()}
    t10, b10 = bpcer_at_apcer(scores[bona], by_type, 0.10)
    t100, b100 = bpcer_at_apcer(scores[bona], by_type, 0.01)
    out = {"test": sorted(test_types), "bpcer10": b10, "threshold10": t10, "bpcer100": b100, "threshold100": t100}
    for condition in ("masked", "unmasked"):
        sel = np.array([r.kind == condition for r in rows]) & bona
        out[f"bpcer10{condition.capitalize()}"] = float(np.mean(scores[sel] >= t10)) if sel.any() else None
    return out


def run(cfg: PadTrainingConfig, eval_list: Path, detector_path: Path, out_path: Path | None, cross_type: bool) -> dict:
    """Trains on everything and exports to `out_path`; with `cross_type`, also fits print-family-only
    and replay-only networks and tests each on the family it never saw."""
    torch.set_num_threads(cfg.threads)
    started = time.time()
    rng = np.random.default_rng(cfg.seed)
    detector = BlazeFaceDetector(str(detector_path))
    data = gather(cfg, detector, rng)
    print(f"pad-net: frames by source {data.sources}", file=sys.stderr, flush=True)
    eval_rows = read_list(eval_list)
    crops, kept = extract_crops(eval_rows, detector_path, cfg.crop_scale)
    x_eval = to_tensor(crops)
    all_types = {k for k, a in zip(data.kind, data.attack, strict=True) if a}
    report: dict = {"sources": data.sources, "evalPresentations": int(kept.sum()), "evalFta": int((~kept).sum()), "crossType": {}}
    if cross_type:
        for name, seen, unseen in (("print->replay", PRINT_FAMILY, REPLAY_FAMILY), ("replay->print", REPLAY_FAMILY, PRINT_FAMILY)):
            use = ~data.attack | np.array([k in seen for k in data.kind])
            report["crossType"][name] = evaluate(train_net(data, use, cfg), eval_rows, x_eval, kept, unseen & all_types)
    if out_path is not None:
        net = train_net(data, np.ones(len(data.frames), dtype=bool), cfg)
        report["all"] = evaluate(net, eval_rows, x_eval, kept, all_types)
        report["sidecar"] = export_net(net, out_path, {
            "attackLists": [str(p) for p in cfg.attack_lists], "bonaFideLists": [str(p) for p in cfg.bona_fide_lists],
            "sources": data.sources, "evalList": str(eval_list), "seed": cfg.seed, "epochs": cfg.epochs,
            "maskRate": cfg.mask_rate, "cropScale": cfg.crop_scale, "metrics": report["all"],
        }, cfg.crop_scale)
    report["seconds"] = round(time.time() - started)
    return report
