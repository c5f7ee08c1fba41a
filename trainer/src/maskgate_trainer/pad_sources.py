"""The frames PadNet trains on, with their detected face boxes.

Bona fide come from every identity-labelled set except the evaluation ones: LFW-dev photos of the
identities outside the PAD held-out slice, the even-numbered half of CASIA-FaceV5, the attack
set's rendered bona fide and the appliance's door-clip frames (scripts/door-clip-frames.mjs). The
photos are masked at a high rate with the trainer's synthetic masks, realism additions included.
Attacks come from `maskgate attack-set --split train`. MFR2 is never read here: it stays for
evaluation only.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from .align import align_matrix, transform_points
from .detect import BlazeFaceDetector
from .masks import CROP_SIZE, Realism, synthesize_mask
from .pad_capture import Frame
from .pad_net import Presentation

# LFW's funnelled photos have rotated black borders (they would look like a bezel); keep the centre,
# as synthetic/attack-set.ts does.
LFW_KEEP = 0.72
PHOTO_EXTENSIONS = (".jpg", ".jpeg", ".png")


def casia_held_out(identity: str) -> bool:
    """CASIA-FaceV5 `casia5_NNN`: odd NNN are evaluated on (scripts/pad-eval-lists.py), even NNN trained on."""
    return int(identity.rsplit("_", 1)[1]) % 2 == 1


def _read_rgb(path: Path) -> np.ndarray | None:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    return None if bgr is None else np.ascontiguousarray(bgr[:, :, ::-1])


def _largest_face(detector: BlazeFaceDetector, image: np.ndarray):
    faces = detector.detect(image)
    return max(faces, key=lambda d: (d.box[2] - d.box[0]) * (d.box[3] - d.box[1])) if faces else None


def mask_in_place(image: np.ndarray, keypoints: np.ndarray, rng: np.random.Generator, realism: Realism) -> np.ndarray:
    """The frame with a synthetic mask: drawn on the aligned crop, warped back over the face."""
    m = align_matrix(keypoints)
    aligned = cv2.warpAffine(image, m, (CROP_SIZE, CROP_SIZE), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
    sample = synthesize_mask(aligned, transform_points(keypoints - 0.5, m), rng, realism=realism)
    changed = (np.abs(sample.image.astype(np.int16) - aligned.astype(np.int16)).max(axis=2) > 0).astype(np.float32)
    h, w = image.shape[:2]
    inverse = cv2.invertAffineTransform(m)
    back = cv2.warpAffine(sample.image, inverse, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    alpha = cv2.warpAffine(changed, inverse, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)[..., None]
    return np.clip(image * (1 - alpha) + back * alpha + 0.5, 0, 255).astype(np.uint8)


def photo_frames(root: Path, keep_identity, per_identity: int, limit: int, keep_fraction: float,
                 detector: BlazeFaceDetector, rng: np.random.Generator, mask_rate: float, realism: Realism) -> list[Frame]:
    """Bona fide frames from `<root>/<identity>/*` photos of the kept identities, a share of them masked."""
    frames: list[Frame] = []
    identities = sorted(d.name for d in root.iterdir() if d.is_dir() and keep_identity(d.name))
    for identity in rng.permutation(identities):
        photos = sorted(p for p in (root / identity).iterdir() if p.suffix.lower() in PHOTO_EXTENSIONS)[:per_identity]
        for path in photos:
            image = _read_rgb(path)
            if image is None:
                continue
            h, w = image.shape[:2]
            top, left = round(h * (1 - keep_fraction) / 2), round(w * (1 - keep_fraction) / 2)
            image = np.ascontiguousarray(image[top : h - top, left : w - left])
            face = _largest_face(detector, image)
            if face is None:
                continue
            if rng.random() < mask_rate:
                image = mask_in_place(image, face.keypoints, rng, realism)
            frames.append(Frame(image, tuple(float(v) for v in face.box)))
        if len(frames) >= limit:
            break
    return frames[:limit]


def listed_frames(rows: list[Presentation], detector: BlazeFaceDetector) -> tuple[list[Frame], list[Presentation]]:
    """Frames of a presentation list with a detected face, and their rows (the others are skipped)."""
    frames, kept = [], []
    for row in rows:
        image = _read_rgb(row.path)
        face = None if image is None else _largest_face(detector, image)
        if face is not None:
            frames.append(Frame(image, tuple(float(v) for v in face.box)))
            kept.append(row)
    return frames, kept
