"""One random capture of a frame, applied alike to bona fide and attack frames when training PadNet.

The first PadNet learned "not our camera chain = attack": its bona fide were LFW news photos
through one simulated camera, so real photos of masked people (MFR2, tight 160x160 crops) and the
appliance's own door clips were flagged. Every training frame, live or attack, now passes through
the same broad capture: any framing from a tight crop to the whole frame, any face size from 40 px
to full resolution, roll, defocus, sensor noise, exposure, gamma and white balance, and JPEG at
qualities down to 20. What is left to tell the classes apart is what the capture cannot erase:
halftone, moiré, bezel, glare, paper edges and the recaptured gamut.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .pad_net import CROP_SCALE, crop_rect, pad_crop


@dataclass(frozen=True)
class Frame:
    """A source frame (RGB uint8) with its face box (x0, y0, x1, y1) in pixels."""

    image: np.ndarray
    box: tuple[float, float, float, float]


def _reframe(frame: Frame, rng: np.random.Generator) -> Frame:
    """A random window around the face: from 1.15x the box (a tight crop) to the whole frame."""
    x0, y0, x1, y1 = frame.box
    h, w = frame.image.shape[:2]
    if rng.random() < 0.35:
        return frame
    side = max(x1 - x0, y1 - y0) * rng.uniform(1.15, 3.2)
    cx = (x0 + x1) / 2 + rng.uniform(-0.12, 0.12) * (x1 - x0)
    cy = (y0 + y1) / 2 + rng.uniform(-0.12, 0.12) * (y1 - y0)
    left, top = int(max(0, cx - side / 2)), int(max(0, cy - side / 2))
    right, bottom = int(min(w, cx + side / 2)), int(min(h, cy + side / 2))
    if right - left < 16 or bottom - top < 16:
        return frame
    return Frame(frame.image[top:bottom, left:right], (x0 - left, y0 - top, x1 - left, y1 - top))


def _rescale(frame: Frame, rng: np.random.Generator) -> Frame:
    """Face width log-uniform in 40..200 px (never upscaled): low-resolution cameras and far faces, down
    to about the smallest face the door quality gate lets through (20 px between the eyes)."""
    face = frame.box[2] - frame.box[0]
    factor = min(1.0, float(np.exp(rng.uniform(np.log(40), np.log(200)))) / max(face, 1.0))
    if factor > 0.97:
        return frame
    h, w = frame.image.shape[:2]
    size = (max(8, round(w * factor)), max(8, round(h * factor)))
    small = cv2.resize(frame.image, size, interpolation=cv2.INTER_AREA)
    sx, sy = size[0] / w, size[1] / h
    x0, y0, x1, y1 = frame.box
    return Frame(small, (x0 * sx, y0 * sy, x1 * sx, y1 * sy))


def _roll(frame: Frame, rng: np.random.Generator) -> Frame:
    """A head tilted by up to 15 degrees (the box keeps its centre and size)."""
    if rng.random() < 0.5:
        return frame
    x0, y0, x1, y1 = frame.box
    centre = ((x0 + x1) / 2, (y0 + y1) / 2)
    m = cv2.getRotationMatrix2D(centre, float(rng.uniform(-15, 15)), 1.0)
    h, w = frame.image.shape[:2]
    return Frame(cv2.warpAffine(frame.image, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101), frame.box)


def _photometric(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Defocus, exposure, gamma, white balance and sensor noise, each at random strength."""
    out = image.astype(np.float32)
    if rng.random() < 0.35:
        out = cv2.GaussianBlur(out, (0, 0), float(rng.uniform(0.4, 1.6)))
    out = out * float(rng.uniform(0.6, 1.35)) * rng.uniform(0.85, 1.15, 3).astype(np.float32)
    out = 255.0 * (np.clip(out, 0, 255) / 255.0) ** float(rng.uniform(0.7, 1.4))
    if rng.random() < 0.6:
        out = out + rng.normal(0, rng.uniform(1, 7), out.shape).astype(np.float32)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def _compress(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """JPEG at quality 20..95 (sometimes twice: a re-encoded stream), or none."""
    for _ in range(int(rng.choice([0, 1, 1, 1, 2]))):
        ok, data = cv2.imencode(".jpg", image[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(20, 96))])
        if ok:
            image = cv2.imdecode(data, cv2.IMREAD_COLOR)[:, :, ::-1]
    return np.ascontiguousarray(image)


def _context(frame: Frame, scale: float = CROP_SCALE) -> Frame:
    """Only the part of the frame the PAD crop reads (plus a margin for blur and JPEG blocks): the
    photometric steps are local, and on a whole 640x480 door frame they would cost most of a step."""
    h, w = frame.image.shape[:2]
    x, y, cw, ch = crop_rect(frame.box, w, h, scale)
    left, top = max(0, int(x) - 8), max(0, int(y) - 8)
    right, bottom = min(w, int(x + cw) + 10), min(h, int(y + ch) + 10)
    x0, y0, x1, y1 = frame.box
    return Frame(frame.image[top:bottom, left:right], (x0 - left, y0 - top, x1 - left, y1 - top))


def capture(frame: Frame, rng: np.random.Generator, scale: float = CROP_SCALE) -> np.ndarray:
    """The 128x128 PAD crop at `scale` (as pipeline/pad-model.ts cuts it) of one random capture of the frame."""
    shot = _rescale(_reframe(_roll(frame, rng), rng), rng)
    context = _context(shot, scale)
    image = _compress(_photometric(context.image, rng), rng)
    crop = pad_crop(image, context.box, scale)
    return crop[:, ::-1].copy() if rng.random() < 0.5 else crop
