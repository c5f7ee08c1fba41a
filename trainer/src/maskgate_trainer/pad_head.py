"""A presentation-attack head on the pretrained fr_liveness network.

The pretrained model (faceplugin's fr_liveness.onnx, 3 classes) barely separates our door-camera
bona fide frames from our recapture simulations (docs/pad.md), but its 128-D penultimate
features carry the texture cues. This module keeps that trunk frozen, fits an L2-regularised
logistic regression [live, attack] on its features over an attack set made by
`maskgate attack-set --split train` (identities disjoint from the evaluation set), checks that it
generalises across attack types (fit on print, test on replay and the reverse), and exports
trunk + head as one ONNX file whose sidecar the daemon's PAD wrapper reads.

Crops replicate pipeline/pad-model.ts: BlazeFace box scaled 2.7x about its centre (less where
the image is too small), shifted inside the image, bilinear to 128x128, RGB, raw 0..255.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper

from .detect import BlazeFaceDetector

FEATURE_TENSOR = "581"  # output of the trunk's final BatchNormalization, (1, 128)
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
        path, label, kind = (line + [""])[:3]
        if label not in ("bona_fide", "attack"):
            raise PadHeadError("bad_list", f"{list_csv}: label must be bona_fide or attack, got {label!r}")
        rows.append(Presentation(list_csv.parent / path, label == "attack", kind))
    return rows


def crop_rect(box: tuple[float, float, float, float], width: int, height: int, scale: float = CROP_SCALE) -> tuple[float, float, float, float]:
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
    return cv2.warpAffine(image_rgb, m, (CROP_SIZE, CROP_SIZE), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE)


def feature_session(model_path: Path) -> ort.InferenceSession:
    """The pretrained model with its penultimate features exposed as a second output."""
    model = onnx.load(str(model_path))
    model.graph.output.append(helper.make_tensor_value_info(FEATURE_TENSOR, onnx.TensorProto.FLOAT, [1, 128]))
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


def extract_features(rows: list[Presentation], model_path: Path, detector_path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(features (n, 128), kept mask (n,)): presentations without a detected face are not kept."""
    detector = BlazeFaceDetector(str(detector_path))
    session = feature_session(model_path)
    feats = np.zeros((len(rows), 128), dtype=np.float32)
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
        crop = pad_crop(rgb, tuple(float(v) for v in face.box))
        x = crop.astype(np.float32).transpose(2, 0, 1)[None]
        feats[i] = session.run([FEATURE_TENSOR], {"input": x})[0][0]
        kept[i] = True
    return feats, kept


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-2, steps: int = 2000, lr: float = 0.5) -> tuple[np.ndarray, float]:
    """Balanced, L2-regularised logistic regression by gradient descent on standardised features;
    returns (w, b) on the raw features. y = 1 for attacks."""
    mean, std = x.mean(0), x.std(0) + 1e-6
    z = (x - mean) / std
    pos = y.mean()
    weight = np.where(y == 1, 0.5 / max(pos, 1e-9), 0.5 / max(1 - pos, 1e-9))
    w = np.zeros(x.shape[1])
    b = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        g = weight * (p - y)
        w -= lr * (z.T @ g / len(y) + l2 * w)
        b -= lr * g.mean()
    return w / std, float(b - (w / std) @ mean)


def attack_scores(x: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    return 1 / (1 + np.exp(-(x @ w + b)))


def bpcer_at_apcer(bona: np.ndarray, attacks_by_type: dict[str, np.ndarray], apcer: float) -> tuple[float, float]:
    """(threshold, BPCER) where every type's APCER <= apcer; attack when score >= threshold (as pad-metrics.ts)."""
    t = np.inf
    for scores in attacks_by_type.values():
        s = np.sort(scores)
        k = int(np.floor(apcer * len(s) + 1e-9))
        t = min(t, s[k] if k < len(s) else np.inf)
    return float(t), float(np.mean(bona >= t))


def export_head(model_path: Path, w: np.ndarray, b: float, out_path: Path, provenance: dict) -> dict:
    """Trunk + head as one ONNX: logits [live, attack] = [0, w.f + b] on the trunk's features."""
    model = onnx.load(str(model_path))
    graph = model.graph
    last = [n for n in graph.node if "output" in n.output]
    for n in last:
        graph.node.remove(n)
    weight = np.stack([np.zeros_like(w), w], axis=1).astype(np.float32)  # (128, 2)
    bias = np.array([0.0, b], dtype=np.float32)
    graph.initializer.extend([numpy_helper.from_array(weight, "pad_head.weight"), numpy_helper.from_array(bias, "pad_head.bias")])
    graph.node.extend([
        helper.make_node("MatMul", [FEATURE_TENSOR, "pad_head.weight"], ["pad_head.logits"]),
        helper.make_node("Add", ["pad_head.logits", "pad_head.bias"], ["output"]),
    ])
    del graph.output[:]
    graph.output.append(helper.make_tensor_value_info("output", onnx.TensorProto.FLOAT, [1, 2]))
    onnx.checker.check_model(model)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(out_path))
    digest = hashlib.sha256(out_path.read_bytes()).hexdigest()
    sidecar = {
        "modelId": f"fr_liveness_head-{digest[:8]}",
        "inputName": "input",
        "outputName": "output",
        "inputSize": [CROP_SIZE, CROP_SIZE],
        "layout": "NCHW",
        "channelOrder": "RGB",
        "mean": [0, 0, 0],
        "std": [1, 1, 1],
        "cropScale": CROP_SCALE,
        "classes": 2,
        "liveClass": 0,
        "maxBatch": 1,
        "licence": "Trunk: MIT as declared by npm faceplugin-face-recognition-js@0.0.1 (LICENSE beside this file); head: this project's",
        "source": f"models/fr_liveness/fr_liveness.onnx trunk + logistic head fitted by trainer/src/maskgate_trainer/pad_head.py; sha256 {digest}",
        "provenance": provenance,
    }
    out_path.with_suffix(".json").write_text(json.dumps(sidecar, indent=2) + "\n")
    return sidecar


def _by_type(rows: list[Presentation], scores: np.ndarray, kept: np.ndarray, types: set[str]) -> dict[str, np.ndarray]:
    out: dict[str, list[float]] = {}
    for r, s, k in zip(rows, scores, kept):
        if k and r.attack and r.kind in types:
            out.setdefault(r.kind, []).append(float(s))
    return {k: np.asarray(v) for k, v in out.items()}


def run(train_list: Path, eval_list: Path, model_path: Path, detector_path: Path, out_path: Path) -> dict:
    train_rows, eval_rows = read_list(train_list), read_list(eval_list)
    xt, kt = extract_features(train_rows, model_path, detector_path)
    xe, ke = extract_features(eval_rows, model_path, detector_path)
    yt = np.array([r.attack for r in train_rows], dtype=np.float64)
    bona_eval = np.array([not r.attack for r in eval_rows]) & ke
    attack_types = sorted({r.kind for r in train_rows if r.attack})
    report: dict = {"trainPresentations": int(kt.sum()), "evalPresentations": int(ke.sum()), "crossType": {}}

    def evaluate(train_types: set[str], test_types: set[str]) -> dict:
        use = kt & np.array([(not r.attack) or r.kind in train_types for r in train_rows])
        w, b = fit_logistic(xt[use], yt[use])
        se = attack_scores(xe, w, b)
        attacks = _by_type(eval_rows, se, ke, test_types)
        t10, b10 = bpcer_at_apcer(se[bona_eval], attacks, 0.10)
        t100, b100 = bpcer_at_apcer(se[bona_eval], attacks, 0.01)
        masked = np.array([r.kind == "masked" for r in eval_rows]) & bona_eval
        unmasked = np.array([r.kind == "unmasked" for r in eval_rows]) & bona_eval
        return {
            "train": sorted(train_types), "test": sorted(test_types),
            "bpcer10": b10, "threshold10": t10, "bpcer100": b100,
            "bpcer10Masked": float(np.mean(se[masked] >= t10)) if masked.any() else None,
            "bpcer10Unmasked": float(np.mean(se[unmasked] >= t10)) if unmasked.any() else None,
            "w": w, "b": b,
        }

    prints, screens = {"print", "cutout", "photo_mask"} & set(attack_types), {"replay"} & set(attack_types)
    for name, tr, te in (("print->replay", prints, screens), ("replay->print", screens, prints)):
        if tr and te:
            r = evaluate(tr, te)
            report["crossType"][name] = {k: v for k, v in r.items() if k not in ("w", "b")}
    final = evaluate(set(attack_types), set(attack_types))
    report["all"] = {k: v for k, v in final.items() if k not in ("w", "b")}
    report["sidecar"] = export_head(model_path, final["w"], final["b"], out_path, {
        "trainList": str(train_list), "evalList": str(eval_list), "metrics": report["all"], "crossType": report["crossType"],
    })
    return report
