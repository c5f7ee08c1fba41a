"""A small presentation-attack CNN (PadNet) trained on the project's recapture simulations.

The pretrained candidates do not separate our door-camera bona fide frames from our attacks
(faceplugin's fr_liveness.onnx: BPCER10 100% either way round; a logistic head on its 128-D
penultimate features: BPCER10 65%; see docs/pad.md). PadNet is trained on an attack set made by
`maskgate attack-set --split train` (identities disjoint from the evaluation set), checked across
attack types (fit on prints, test on replay, and the reverse) and on the held-out set, and
exported to ONNX with the sidecar the daemon's PAD wrapper (pipeline/pad-model.ts) reads.

Crops replicate pipeline/pad-model.ts: BlazeFace box scaled 2.7x about its centre (less where
the image is too small), shifted inside the image, bilinear to 128x128, RGB, raw 0..255.
"""

from __future__ import annotations

import csv
import itertools
import json
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn

from .classifier_export import export_classifier
from .detect import BlazeFaceDetector

MEAN, STD = 127.5, 128.0
CROP_SCALE = 2.7
CROP_SIZE = 128


class PadHeadError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Presentation:
    path: Path
    attack: bool
    kind: str


def read_list(list_csv: Path) -> list[Presentation]:
    rows = []
    for line in csv.reader(list_csv.read_text().splitlines()):
        if not line or line[0].startswith("#"):
            continue
        path, label, kind = [*line, ""][:3]
        if label not in ("bona_fide", "attack"):
            raise PadHeadError("bad_list", f"{list_csv}: label must be bona_fide or attack, got {label!r}")
        rows.append(Presentation(list_csv.parent / path, label == "attack", kind))
    return rows


def crop_rect(
    box: tuple[float, float, float, float], width: int, height: int, scale: float = CROP_SCALE
) -> tuple[float, float, float, float]:
    """(x, y, w, h) exactly as padCropRect in pipeline/pad-model.ts."""
    x0, y0, x1, y1 = box
    bw, bh = x1 - x0, y1 - y0
    s = min((height - 1) / bh, (width - 1) / bw, scale)
    w, h = bw * s, bh * s
    cx, cy = x0 + bw / 2, y0 + bh / 2
    x = max(0.0, min(max(cx - w / 2, 0.0), width - 1 - w))
    y = max(0.0, min(max(cy - h / 2, 0.0), height - 1 - h))
    return x, y, w, h


def pad_crop(image_rgb: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """128x128 RGB uint8: output pixel i samples source x = rect.x + (i + 0.5) * sx - 0.5, as resampleRect does."""
    x, y, w, h = crop_rect(box, image_rgb.shape[1], image_rgb.shape[0])
    sx, sy = w / CROP_SIZE, h / CROP_SIZE
    m = np.array([[sx, 0, x + 0.5 * sx - 0.5], [0, sy, y + 0.5 * sy - 0.5]], dtype=np.float64)
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    return cv2.warpAffine(image_rgb, m, (CROP_SIZE, CROP_SIZE), flags=flags, borderMode=cv2.BORDER_REPLICATE)


class PadNet(nn.Module):
    """Five stride-2 convolutions over the 128x128 context crop, global pooling, logits [live, attack]."""

    def __init__(self) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = [3, 16, 32, 48, 64, 96]
        for a, b in itertools.pairwise(channels):
            layers += [nn.Conv2d(a, b, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(b), nn.ReLU(inplace=True)]
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(channels[-1], 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).mean(dim=(2, 3)))


def extract_crops(rows: list[Presentation], detector_path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(crops (n, 128, 128, 3) uint8, kept (n,)): presentations without a detected face are not kept."""
    detector = BlazeFaceDetector(str(detector_path))
    crops = np.zeros((len(rows), CROP_SIZE, CROP_SIZE, 3), dtype=np.uint8)
    kept = np.zeros(len(rows), dtype=bool)
    for i, row in enumerate(rows):
        bgr = cv2.imread(str(row.path), cv2.IMREAD_COLOR)
        if bgr is None:
            continue
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        faces = detector.detect(rgb)
        if not faces:
            continue
        face = max(faces, key=lambda d: (d.box[2] - d.box[0]) * (d.box[3] - d.box[1]))
        crops[i] = pad_crop(rgb, tuple(float(v) for v in face.box))
        kept[i] = True
    return crops, kept


def _tensor(crops: np.ndarray) -> torch.Tensor:
    return torch.from_numpy((crops.astype(np.float32) - MEAN) / STD).permute(0, 3, 1, 2).contiguous()


def train_net(x: torch.Tensor, y: np.ndarray, seed: int, epochs: int) -> PadNet:
    """Class-balanced cross-entropy, AdamW, flips and brightness jitter (the camera, not the instrument)."""
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    net = PadNet()
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-3)
    yt = torch.from_numpy(y.astype(np.int64))
    weight = torch.tensor([0.5 / max(1e-9, 1 - y.mean()), 0.5 / max(1e-9, y.mean())], dtype=torch.float32)
    for _ in range(epochs):
        net.train()
        order = rng.permutation(len(y))
        for start in range(0, len(order), 32):
            idx = order[start : start + 32]
            batch = x[idx]
            if rng.random() < 0.5:
                batch = batch.flip(3)
            batch = batch * float(rng.uniform(0.8, 1.2)) + float(rng.uniform(-0.15, 0.15))
            loss = nn.functional.cross_entropy(net(batch), yt[idx], weight=weight)
            opt.zero_grad()
            loss.backward()
            opt.step()
    net.eval()
    return net


def attack_scores(net: PadNet, x: torch.Tensor) -> np.ndarray:
    with torch.no_grad():
        return torch.softmax(net(x), dim=1)[:, 1].numpy()


def bpcer_at_apcer(bona: np.ndarray, attacks_by_type: dict[str, np.ndarray], apcer: float) -> tuple[float, float]:
    """(threshold, BPCER) where every type's APCER <= apcer; attack when score >= threshold (as pad-metrics.ts)."""
    t = np.inf
    for scores in attacks_by_type.values():
        s = np.sort(scores)
        k = int(np.floor(apcer * len(s) + 1e-9))
        t = min(t, s[k] if k < len(s) else np.inf)
    return float(t), float(np.mean(bona >= t))


def export_net(net: PadNet, out_path: Path, provenance: dict) -> dict:
    digest = export_classifier(net, CROP_SIZE, out_path, "output")
    sidecar = {
        "modelId": f"padnet-{digest[:8]}",
        "inputName": "input",
        "outputName": "output",
        "inputSize": [CROP_SIZE, CROP_SIZE],
        "layout": "NCHW",
        "channelOrder": "RGB",
        "mean": [MEAN] * 3,
        "std": [STD] * 3,
        "cropScale": CROP_SCALE,
        "classes": 2,
        "liveClass": 0,
        "maxBatch": None,
        "licence": "This project's; trained on renderings of LFW photos (research use, see models/README.md)",
        "source": f"trainer/src/maskgate_trainer/pad_net.py (PadNet); sha256 {digest}",
        "provenance": provenance,
    }
    out_path.with_suffix(".json").write_text(json.dumps(sidecar, indent=2) + "\n")
    return sidecar


def _by_type(rows: list[Presentation], scores: np.ndarray, kept: np.ndarray, types: set[str]) -> dict[str, np.ndarray]:
    out: dict[str, list[float]] = {}
    for r, s, k in zip(rows, scores, kept, strict=False):
        if k and r.attack and r.kind in types:
            out.setdefault(r.kind, []).append(float(s))
    return {k: np.asarray(v) for k, v in out.items()}


def run(train_lists: list[Path], eval_list: Path, detector_path: Path, out_path: Path, seed: int = 0, epochs: int = 12) -> dict:
    started = time.time()
    train_rows = [r for lst in train_lists for r in read_list(lst)]
    eval_rows = read_list(eval_list)
    ct, kt = extract_crops(train_rows, detector_path)
    ce, ke = extract_crops(eval_rows, detector_path)
    xt, xe = _tensor(ct[kt]), _tensor(ce)
    train_kept = [r for r, k in zip(train_rows, kt, strict=False) if k]
    yt = np.array([r.attack for r in train_kept], dtype=np.int64)
    bona_eval = np.array([not r.attack for r in eval_rows]) & ke
    attack_types = sorted({r.kind for r in train_rows if r.attack})
    report: dict = {"trainPresentations": int(kt.sum()), "evalPresentations": int(ke.sum()), "evalFta": int((~ke).sum()), "crossType": {}}

    def evaluate(train_types: set[str], test_types: set[str]) -> tuple[dict, PadNet]:
        use = np.array([(not r.attack) or r.kind in train_types for r in train_kept])
        net = train_net(xt[use], yt[use], seed, epochs)
        se = attack_scores(net, xe)
        attacks = _by_type(eval_rows, se, ke, test_types)
        t10, b10 = bpcer_at_apcer(se[bona_eval], attacks, 0.10)
        t100, b100 = bpcer_at_apcer(se[bona_eval], attacks, 0.01)
        masked = np.array([r.kind == "masked" for r in eval_rows]) & bona_eval
        unmasked = np.array([r.kind == "unmasked" for r in eval_rows]) & bona_eval
        return {
            "train": sorted(train_types), "test": sorted(test_types),
            "bpcer10": b10, "threshold10": t10, "bpcer100": b100, "threshold100": t100,
            "bpcer10Masked": float(np.mean(se[masked] >= t10)) if masked.any() else None,
            "bpcer10Unmasked": float(np.mean(se[unmasked] >= t10)) if unmasked.any() else None,
        }, net

    prints, screens = {"print", "cutout", "photo_mask"} & set(attack_types), {"replay"} & set(attack_types)
    for name, tr, te in (("print->replay", prints, screens), ("replay->print", screens, prints)):
        if tr and te:
            report["crossType"][name] = evaluate(tr, te)[0]
    report["all"], net = evaluate(set(attack_types), set(attack_types))
    report["seconds"] = round(time.time() - started)
    report["sidecar"] = export_net(net, out_path, {
        "trainLists": [str(p) for p in train_lists], "evalList": str(eval_list), "seed": seed, "epochs": epochs,
        "metrics": report["all"], "crossType": report["crossType"],
    })
    return report
