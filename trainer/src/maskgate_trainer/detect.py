"""BlazeFace ("back", 256x256) face detection with the SAME ONNX model and decoding as the daemon.

Decoding follows MediaPipe: 896 anchors (16x16 grid x2 at stride 16, then 8x8 grid x6 at
strides 32,32,32), anchor centres (x+0.5)/grid, regressors in 256-pixel units relative to the
anchor centre, sigmoid scores, weighted ("blending") NMS.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

INPUT_SIZE = 256
KEYPOINT_NAMES = ("right_eye", "left_eye", "nose", "mouth", "right_ear", "left_ear")


class DetectorError(Exception):
    """Raised for unusable detector input (stable `code`)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Detection:
    """One face in source-image pixels: box (x0, y0, x1, y1), 6 keypoints (x, y), score in [0,1]."""

    box: np.ndarray  # (4,) float64
    keypoints: np.ndarray  # (6, 2) float64
    score: float


def generate_anchors() -> np.ndarray:
    """(896, 2) anchor centres (x, y) in [0,1], in the model's output order."""
    anchors: list[tuple[float, float]] = []
    for grid, per_cell in ((16, 2), (8, 6)):
        for y in range(grid):
            for x in range(grid):
                for _ in range(per_cell):
                    anchors.append(((x + 0.5) / grid, (y + 0.5) / grid))
    return np.asarray(anchors, dtype=np.float64)


ANCHORS = generate_anchors()


def decode(regressors: np.ndarray, logits: np.ndarray, anchors: np.ndarray = ANCHORS) -> tuple[np.ndarray, np.ndarray]:
    """Raw outputs → (boxes (N,4) x0,y0,x1,y1 and keypoints (N,6,2), both in [0,1] of the 256 input; scores (N,))."""
    reg = regressors.reshape(-1, 16).astype(np.float64) / INPUT_SIZE
    cx = reg[:, 0] + anchors[:, 0]
    cy = reg[:, 1] + anchors[:, 1]
    w, h = reg[:, 2], reg[:, 3]
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    kps = reg[:, 4:].reshape(-1, 6, 2) + anchors[:, None, :]
    scores = 1.0 / (1.0 + np.exp(-np.clip(logits.reshape(-1).astype(np.float64), -100.0, 100.0)))
    return np.concatenate([boxes, kps.reshape(-1, 12)], axis=1), scores


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    x0 = np.maximum(box[0], boxes[:, 0])
    y0 = np.maximum(box[1], boxes[:, 1])
    x1 = np.minimum(box[2], boxes[:, 2])
    y1 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-12)


def weighted_nms(dets: np.ndarray, scores: np.ndarray, iou_threshold: float = 0.3) -> list[tuple[np.ndarray, float]]:
    """MediaPipe blending NMS: each cluster (IoU > threshold with the best remaining) is replaced by
    the score-weighted mean of its boxes and keypoints; the cluster keeps its best score."""
    order = np.argsort(-scores, kind="stable")
    dets, scores = dets[order], scores[order]
    out: list[tuple[np.ndarray, float]] = []
    remaining = np.arange(len(scores))
    while remaining.size:
        best = remaining[0]
        ious = _iou(dets[best, :4], dets[remaining, :4])
        cluster = remaining[ious > iou_threshold]
        if cluster.size == 0:
            cluster = np.array([best])
        w = scores[cluster]
        blended = (dets[cluster] * w[:, None]).sum(axis=0) / w.sum()
        out.append((blended, float(scores[best])))
        remaining = remaining[~np.isin(remaining, cluster)]
    return out


@dataclass(frozen=True)
class Letterbox:
    scale_x: float
    scale_y: float
    offset_x: int
    offset_y: int
    width: int
    height: int


def compute_letterbox(width: int, height: int, size: int = INPUT_SIZE, padding: float = 0.0) -> Letterbox:
    """Fit width x height into size x size keeping aspect, centred; `padding` shrinks the image as if
    padded with black by that fraction of its longer side on each side (same as the daemon)."""
    scale = size / (max(width, height) * (1 + 2 * padding))
    rw = max(1, min(size, _round_half_up(width * scale)))
    rh = max(1, min(size, _round_half_up(height * scale)))
    return Letterbox(rw / width, rh / height, (size - rw) // 2, (size - rh) // 2, rw, rh)


def _round_half_up(x: float) -> int:
    return int(np.floor(x + 0.5))  # JavaScript Math.round


def letterbox(image_rgb: np.ndarray, size: int = INPUT_SIZE, padding: float = 0.0) -> tuple[np.ndarray, Letterbox]:
    """Model input (size x size x 3 float32 in [-1,1], black = -1) and the letterbox geometry.
    Resizing is Lanczos-3 (as the daemon's sharp resize)."""
    h, w = image_rgb.shape[:2]
    lb = compute_letterbox(w, h, size, padding)
    if (lb.width, lb.height) == (w, h):
        resized = image_rgb
    else:
        # Lanczos-3 with antialiasing (Pillow) is the closest readily available match for the daemon's
        # sharp/libvips resize; keypoints still differ by up to ~2 px on some images (see tests).
        resized = np.asarray(Image.fromarray(np.ascontiguousarray(image_rgb)).resize((lb.width, lb.height), Image.LANCZOS))
    x = np.full((size, size, 3), -1.0, dtype=np.float32)
    x[lb.offset_y : lb.offset_y + lb.height, lb.offset_x : lb.offset_x + lb.width] = resized.astype(np.float32) / 127.5 - 1.0
    return x, lb


def _same_face(a: np.ndarray, b: np.ndarray, iou_threshold: float) -> bool:
    """Boxes (x0,y0,x1,y1): IoU above threshold, or one lies mostly inside the other."""
    iou = float(_iou(a, b[None])[0])
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    area = lambda r: (r[2] - r[0]) * (r[3] - r[1])  # noqa: E731
    return iou > iou_threshold or ix * iy > 0.5 * min(area(a), area(b))


class BlazeFaceDetector:
    """Runs `blazeface_back_256.onnx` with onnxruntime and decodes detections in source pixels
    (continuous coordinates: pixel (i, j) covers [i, i+1) x [j, j+1)), mirroring pipeline/detector.ts."""

    def __init__(
        self,
        model_path: str | Path,
        score_threshold: float = 0.6,
        iou_threshold: float = 0.3,
        large_face_fraction: float = 0.4,
        redetect_padding: float = 0.5,
        num_threads: int = 1,
    ) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = num_threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        self._session = ort.InferenceSession(str(model_path), opts, providers=["CPUExecutionProvider"])
        self._input_name = self._session.get_inputs()[0].name
        # Outputs are split per anchor layer: scores [1,512,1] + [1,384,1] and regressors
        # [1,512,16] + [1,384,16]; order each kind by anchor count (the 16x16 layer comes first).
        outs = self._session.get_outputs()
        self._reg_indices = self._ordered(outs, 16)
        self._score_indices = self._ordered(outs, 1)
        if sum(outs[i].shape[1] for i in self._reg_indices) != len(ANCHORS):
            raise DetectorError("BAD_MODEL", "detector outputs do not cover 896 anchors")
        self.score_threshold = score_threshold
        self.iou_threshold = iou_threshold
        self.large_face_fraction = large_face_fraction
        self.redetect_padding = redetect_padding

    @staticmethod
    def _ordered(outs: list, last_dim: int) -> list[int]:
        idx = [i for i, o in enumerate(outs) if o.shape[-1] == last_dim]
        return sorted(idx, key=lambda i: -int(outs[i].shape[1]))

    def detect_once(self, image_rgb: np.ndarray, padding: float = 0.0) -> list[Detection]:
        x, lb = letterbox(image_rgb, INPUT_SIZE, padding)
        outputs = self._session.run(None, {self._input_name: x[None]})
        regs = np.concatenate([outputs[i].reshape(-1, 16) for i in self._reg_indices])
        logits = np.concatenate([outputs[i].reshape(-1) for i in self._score_indices])
        dets, scores = decode(regs, logits)
        keep = scores >= self.score_threshold
        result: list[Detection] = []
        for blended, score in weighted_nms(dets[keep], scores[keep], self.iou_threshold):
            pts = blended.reshape(-1, 2) * INPUT_SIZE
            pts[:, 0] = (pts[:, 0] - lb.offset_x) / lb.scale_x
            pts[:, 1] = (pts[:, 1] - lb.offset_y) / lb.scale_y
            result.append(Detection(box=pts[:2].reshape(4), keypoints=pts[2:], score=score))
        return result

    def detect(self, image_rgb: np.ndarray) -> list[Detection]:
        """All faces, best first (the daemon's detectWithPadding). When the plain pass finds nothing or
        a face spanning >= large_face_fraction of the longer side, a second pass on the image padded by
        50% per side runs and its large faces replace the overlapping plain ones."""
        if image_rgb.ndim != 3 or image_rgb.shape[2] != 3 or image_rgb.dtype != np.uint8:
            raise DetectorError("BAD_IMAGE", f"expected HxWx3 uint8 RGB, got {image_rgb.shape} {image_rgb.dtype}")
        h, w = image_rgb.shape[:2]
        plain = self.detect_once(image_rgb, 0.0)

        def is_large(d: Detection) -> bool:
            return max(d.box[2] - d.box[0], d.box[3] - d.box[1]) >= self.large_face_fraction * max(w, h)

        if plain and not any(is_large(d) for d in plain):
            return plain
        preferred = [d for d in self.detect_once(image_rgb, self.redetect_padding) if is_large(d)]
        kept = [o for o in plain if not any(_same_face(p.box, o.box, self.iou_threshold) for p in preferred)]
        return sorted(preferred + kept, key=lambda d: -d.score)
