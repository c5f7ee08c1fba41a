"""PadNet, a small presentation-attack CNN, and what its training and the daemon share: the
presentation list format, the context crop, the ISO/IEC 30107-3 operating point, the export.

The pretrained candidates do not separate our door-camera bona fide frames from our attacks
(faceplugin's fr_liveness.onnx: BPCER10 100% either way round; a logistic head on its 128-D
penultimate features: BPCER10 65%; see docs/pad.md). How PadNet is trained (sources, capture
augmentation, cross-type check) is pad_training.py.

Crops replicate pipeline/pad-model.ts: BlazeFace box scaled about its centre (2.7x by default; a
tighter scale keeps more of the skin's texture in the 128 pixels, a wider one more of the
surroundings; less where the image is too small), shifted inside the image, bilinear to 128x128, RGB.
"""

from __future__ import annotations

import csv
import itertools
import json
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
LICENCE = (
    "This project's; trained on LFW-dev and CASIA-FaceV5 photos (research / non-commercial terms) "
    "and renderings of them (research use, see models/README.md)"
)
# What `maskgate models` shows of the card: the data decides the licence (no teacher is distilled).
CARD = {
    "trainingData": [
        "LFW deep-funneled, development split (lfw-dev) (no formal licence; news photographs; research use)",
        "CASIA-FaceV5 subset, even-numbered identities (non-commercial research terms)",
        "this project's renderings of both: attack set (print, replay, cut-out) and door clips",
    ],
    "commercialUse": False,
}


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


def pad_crop(image_rgb: np.ndarray, box: tuple[float, float, float, float], scale: float = CROP_SCALE) -> np.ndarray:
    """128x128 RGB uint8: output pixel i samples source x = rect.x + (i + 0.5) * sx - 0.5, as resampleRect does."""
    x, y, w, h = crop_rect(box, image_rgb.shape[1], image_rgb.shape[0], scale)
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


def extract_crops(rows: list[Presentation], detector_path: Path, scale: float = CROP_SCALE) -> tuple[np.ndarray, np.ndarray]:
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
        crops[i] = pad_crop(rgb, tuple(float(v) for v in face.box), scale)
        kept[i] = True
    return crops, kept


def to_tensor(crops: np.ndarray) -> torch.Tensor:
    return torch.from_numpy((crops.astype(np.float32) - MEAN) / STD).permute(0, 3, 1, 2).contiguous()


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


def export_net(net: PadNet, out_path: Path, provenance: dict, scale: float = CROP_SCALE) -> dict:
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
        "cropScale": scale,
        "classes": 2,
        "liveClass": 0,
        "maxBatch": None,
        "licence": LICENCE,
        "source": f"trainer/src/maskgate_trainer/pad_net.py (PadNet); sha256 {digest}",
        "provenance": {**provenance, "card": CARD},
    }
    out_path.with_suffix(".json").write_text(json.dumps(sidecar, indent=2) + "\n")
    return sidecar
