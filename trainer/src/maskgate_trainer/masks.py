"""Procedural face-mask synthesis on aligned 112x112 crops.

A mask is placed from the crop's landmarks (eyes, nose, mouth, ears) with jitter, drawn with one of
several shape families (surgical with pleats, N95 cup, KN95 folded, cloth, shaped cloth) and one of
several surface styles (plain, fabric noise, stripes, dots, checks, plaid, camouflage, floral
blobs), shaded for curvature and relit to the face's own brightness. Returns the masked image and
the binary occlusion map. Everything is drawn from a numpy Generator, so a seed fixes the result.

Aim: variety rather than one look, because the product is measured on other artwork and real masks.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .align import CROP_SIZE, TEMPLATE

SHAPES = ("surgical", "n95", "kn95", "cloth", "cloth_shaped")
SURFACES = ("plain", "fabric", "stripes", "dots", "checks", "plaid", "camo", "floral", "gradient")

# Default crop keypoints when none are known: template eyes/nose/mouth, typical BlazeFace ears.
DEFAULT_KEYPOINTS = np.vstack([TEMPLATE, [[24.0, 62.0], [88.0, 62.0]]]).astype(np.float64)


class MaskError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Realism:
    """Probabilities of the realism additions (0 = never). All default to off, so the development
    masks (and every mask drawn before these existed) stay exactly as they were for a seed; the
    additions draw from their own generator, seeded from the mask's, for the same reason.

    - folds: cloth folds and creases (soft bands of shading across the mask);
    - nose_shadow: the shadow the nose bridge casts under the nose wire, and the wire's own ridge;
    - light_match: the mask takes the colour cast of the light on the face (white balance);
    - chin_shape: the wearer's chin and mouth shape showing through (shading along the jaw curve);
    - glasses: spectacles worn over the mask (frames over the eyes, resting on the mask's top edge);
    - hand: a hand partly over the mask (skin from the face's own colour)."""

    folds: float = 0.0
    nose_shadow: float = 0.0
    light_match: float = 0.0
    chin_shape: float = 0.0
    glasses: float = 0.0
    hand: float = 0.0

    @classmethod
    def from_config(cls, raw: dict | None) -> Realism:
        raw = raw or {}
        unknown = set(raw) - set(cls.__dataclass_fields__)
        if unknown:
            raise MaskError("BAD_REALISM", f"unknown realism additions {sorted(unknown)}")
        return cls(**{k: float(v) for k, v in raw.items()})


NO_REALISM = Realism()
REALISM_ADDITIONS = tuple(Realism.__dataclass_fields__)


@dataclass(frozen=True)
class MaskSample:
    image: np.ndarray  # (112,112,3) uint8 RGB, masked
    occlusion: np.ndarray  # (112,112) uint8 {0,1}
    shape: str
    surface: str


def _random_colour(rng: np.random.Generator, shape: str) -> np.ndarray:
    """RGB colour in 0..255. Medical masks favour a small palette, cloth anything."""
    if shape in ("surgical",) and rng.random() < 0.7:
        palette = [(150, 200, 230), (235, 240, 245), (120, 190, 170), (40, 40, 45), (240, 170, 190), (200, 200, 205)]
        base = np.array(palette[rng.integers(len(palette))], dtype=np.float64)
    elif shape in ("n95", "kn95") and rng.random() < 0.75:
        palette = [(238, 238, 235), (245, 245, 240), (30, 30, 32), (225, 215, 195), (120, 120, 125), (180, 200, 225)]
        base = np.array(palette[rng.integers(len(palette))], dtype=np.float64)
    else:
        hsv = np.uint8([[[rng.integers(0, 180), rng.integers(0, 256), rng.integers(25, 256)]]])
        base = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0].astype(np.float64)
    return np.clip(base + rng.normal(0, 8, 3), 0, 255)


def _value_noise(rng: np.random.Generator, cells: int, size: int = CROP_SIZE) -> np.ndarray:
    """Smooth noise in [0,1] by upsampling a random grid (cheap, fully seeded)."""
    grid = rng.random((cells + 1, cells + 1)).astype(np.float32)
    return cv2.resize(grid, (size, size), interpolation=cv2.INTER_CUBIC).clip(0, 1)


def _surface(rng: np.random.Generator, surface: str, base: np.ndarray, size: int = CROP_SIZE) -> np.ndarray:
    """(size,size,3) float texture in 0..255."""
    second = _random_colour(rng, "cloth")
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    tex = np.broadcast_to(base, (size, size, 3)).copy()
    if surface == "fabric":
        weave = 0.5 + 0.5 * np.sin(xx * rng.uniform(1.5, 3.0)) * np.sin(yy * rng.uniform(1.5, 3.0))
        tex *= (0.85 + 0.15 * weave)[..., None]
        tex += rng.normal(0, rng.uniform(3, 12), (size, size, 1))
    elif surface == "stripes":
        ang = rng.uniform(0, np.pi)
        period = rng.uniform(4, 16)
        proj = xx * np.cos(ang) + yy * np.sin(ang)
        band = (np.mod(proj, period) < period * rng.uniform(0.3, 0.6))[..., None]
        tex = np.where(band, second, tex)
    elif surface == "dots":
        step = rng.uniform(6, 14)
        radius = step * rng.uniform(0.15, 0.35)
        offset = rng.uniform(0, step, 2)
        gx = np.mod(xx + offset[0] + (np.floor((yy + offset[1]) / step) % 2) * step / 2, step) - step / 2
        gy = np.mod(yy + offset[1], step) - step / 2
        tex = np.where((gx**2 + gy**2 < radius**2)[..., None], second, tex)
    elif surface == "checks":
        step = rng.uniform(5, 14)
        cell = (np.floor(xx / step) + np.floor(yy / step)) % 2 == 1
        tex = np.where(cell[..., None], second, tex)
    elif surface == "plaid":
        step = rng.uniform(8, 18)
        width = step * rng.uniform(0.2, 0.4)
        h = (np.mod(yy, step) < width)[..., None]
        v = (np.mod(xx, step) < width)[..., None]
        tex = tex * (1 - 0.45 * h - 0.45 * v) + second * (0.45 * h + 0.45 * v)
    elif surface == "camo":
        third = _random_colour(rng, "cloth")
        n1 = _value_noise(rng, int(rng.integers(3, 7)))[..., None]
        n2 = _value_noise(rng, int(rng.integers(3, 7)))[..., None]
        tex = np.where(n1 > 0.55, second, tex)
        tex = np.where(n2 > 0.6, third, tex)
    elif surface == "floral":
        for _ in range(int(rng.integers(6, 20))):
            c = rng.uniform(0, size, 2)
            r = rng.uniform(2, 7)
            col = _random_colour(rng, "cloth")
            for k in range(5):
                a = 2 * np.pi * k / 5 + rng.uniform(0, 1)
                p = (int(c[0] + r * np.cos(a)), int(c[1] + r * np.sin(a)))
                cv2.circle(tex, p, max(1, int(r * 0.6)), col.tolist(), -1, cv2.LINE_AA)
            cv2.circle(tex, (int(c[0]), int(c[1])), max(1, int(r * 0.4)), second.tolist(), -1, cv2.LINE_AA)
    elif surface == "gradient":
        ang = rng.uniform(0, np.pi)
        t = ((xx * np.cos(ang) + yy * np.sin(ang)) / (size * 1.42))[..., None]
        tex = tex * (1 - t) + second * t
    # "plain": flat base colour, plus the global fine noise below.
    tex += rng.normal(0, rng.uniform(0.5, 4), (size, size, 1))
    return tex


def _outline(rng: np.random.Generator, shape: str, kps: np.ndarray) -> tuple[np.ndarray, dict]:
    """Polygon (M,2) of the mask edge in crop pixels, plus geometry used for decorations."""
    reye, leye, nose, mouth, rear, lear = kps
    eye_y = (reye[1] + leye[1]) / 2
    eye_dist = max(np.linalg.norm(leye - reye), 10.0)
    cx = (nose[0] + mouth[0]) / 2 + rng.normal(0, 1.0)
    top = eye_y + (nose[1] - eye_y) * rng.uniform(0.4, 0.75)
    bottom = mouth[1] + (mouth[1] - nose[1]) * rng.uniform(0.95, 1.6)
    half_w = eye_dist * rng.uniform(0.95, 1.3)
    left, right = cx - half_w, cx + half_w
    # Ears: loops/straps attach here; clamp to a plausible range.
    ear_y = lambda y: float(np.clip(y + rng.normal(0, 2), top - 4, top + 12))  # noqa: E731
    ear_l = np.array([float(np.clip(rear[0], left - 18, left - 2)), ear_y(rear[1])])
    ear_r = np.array([float(np.clip(lear[0], right + 2, right + 18)), ear_y(lear[1])])
    t = np.linspace(0, 1, 24)
    if shape == "surgical":
        arch = rng.uniform(1, 3)
        top_y = top + arch * (1 - np.cos(2 * np.pi * t)) / 2 * 0  # flat with a bump at the nose
        top_edge = np.stack([left + (right - left) * t, top_y - arch * np.sin(np.pi * t)], 1)
        bot_edge = np.stack([right - (right - left) * t * 1.0, bottom - rng.uniform(0, 6) * np.sin(np.pi * t)], 1)
        side_in = rng.uniform(0, 5)
        bot_edge[:, 0] = np.where(t < 0.5, bot_edge[:, 0] - side_in * (1 - 2 * t), bot_edge[:, 0] + side_in * (2 * t - 1))
        bot_edge[:, 1] = bottom - (bottom - mouth[1]) * 0.15 * (np.abs(2 * t - 1) ** 2) + rng.uniform(0, 4) * np.sin(np.pi * t)
        poly = np.vstack([top_edge, bot_edge])
    elif shape == "n95":
        a = half_w * rng.uniform(0.85, 1.0)
        b_top = (mouth[1] + top) / 2 - top
        mid_y = (top + bottom) / 2 + rng.uniform(-3, 3)
        ang = np.linspace(0, 2 * np.pi, 48, endpoint=False)
        rx = a
        ry = (bottom - top) / 2 * rng.uniform(0.95, 1.05)
        poly = np.stack([cx + rx * np.cos(ang), mid_y + ry * np.sin(ang) * np.where(np.sin(ang) < 0, 1.0, 1.0)], 1)
        # flatten the top a little over the nose bridge
        poly[:, 1] = np.maximum(poly[:, 1], top + b_top * 0.05)
    elif shape == "kn95":
        s = rng.uniform(0.9, 1.1)
        poly = np.array(
            [
                [cx, top - rng.uniform(0, 3)],
                [cx + half_w * 0.55 * s, top + 2],
                [right, nose[1] + rng.uniform(-2, 4)],
                [right - half_w * 0.1, mouth[1] + rng.uniform(2, 8)],
                [cx + half_w * 0.45, bottom - rng.uniform(2, 8)],
                [cx, bottom + rng.uniform(0, 4)],
                [cx - half_w * 0.45, bottom - rng.uniform(2, 8)],
                [left + half_w * 0.1, mouth[1] + rng.uniform(2, 8)],
                [left, nose[1] + rng.uniform(-2, 4)],
                [cx - half_w * 0.55 * s, top + 2],
            ]
        )
    elif shape == "cloth":
        top_edge = np.stack([left + (right - left) * t, top + rng.uniform(-1, 2) - rng.uniform(1, 4) * np.sin(np.pi * t)], 1)
        sag = rng.uniform(2, 12)
        bot_edge = np.stack([right - (right - left) * t, bottom + sag * np.sin(np.pi * t) - sag * 0.6], 1)
        poly = np.vstack([top_edge, bot_edge])
        poly[:, 0] += np.where(poly[:, 0] < cx, 1, -1) * rng.uniform(0, 4) * (poly[:, 1] > mouth[1])
    else:  # cloth_shaped: pointed chin, curved upper edge (common fashion masks)
        top_edge = np.stack([left + (right - left) * t, top + 3 - rng.uniform(2, 6) * np.sin(np.pi * t)], 1)
        chin = bottom + rng.uniform(0, 6)
        bot_edge = np.stack([right - (right - left) * t, mouth[1] + (chin - mouth[1]) * np.sin(np.pi * t) ** 0.6], 1)
        poly = np.vstack([top_edge, bot_edge])
    poly = poly + rng.normal(0, 0.4, poly.shape)
    geom = {"cx": cx, "top": top, "bottom": bottom, "left": left, "right": right, "ear_l": ear_l, "ear_r": ear_r,
            "nose": nose, "mouth": mouth}
    return poly, geom


def _shade(rng: np.random.Generator, alpha: np.ndarray, geom: dict, shape: str) -> np.ndarray:
    """Multiplicative shading: rounder toward the sides and under the chin."""
    size = alpha.shape[0]
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    half = max((geom["right"] - geom["left"]) / 2, 1.0)
    u = np.clip((xx - geom["cx"]) / half, -1.2, 1.2)
    curv = rng.uniform(0.15, 0.45) if shape in ("n95",) else rng.uniform(0.05, 0.35)
    shade = 1 - curv * u**2
    light = rng.uniform(-0.25, 0.25)  # light from one side
    shade *= 1 + light * u
    vspan = max(geom["bottom"] - geom["top"], 1.0)
    v = np.clip((yy - geom["top"]) / vspan, 0, 1.2)
    shade *= 1 - rng.uniform(0, 0.25) * np.clip(v - 0.6, 0, None) * 2
    return np.clip(shade, 0.3, 1.3)


def _decorate(rng: np.random.Generator, img: np.ndarray, alpha: np.ndarray, geom: dict, shape: str, base: np.ndarray) -> None:
    """Pleats, seams, valves, nose wire; drawn inside the mask only (then multiplied by alpha later)."""
    darker = (base * rng.uniform(0.55, 0.8)).tolist()
    lighter = np.clip(base * 1.15 + 10, 0, 255).tolist()
    left, r, top, bottom = geom["left"], geom["right"], geom["top"], geom["bottom"]
    if shape == "surgical":
        n = int(rng.integers(2, 5))
        for k in range(n):
            y = top + (bottom - top) * (0.25 + 0.55 * k / max(n - 1, 1)) + rng.normal(0, 1)
            cv2.line(img, (int(left - 5), int(y)), (int(r + 5), int(y + rng.normal(0, 1.5))), darker, 1, cv2.LINE_AA)
            cv2.line(img, (int(left - 5), int(y + 1)), (int(r + 5), int(y + 1)), lighter, 1, cv2.LINE_AA)
        if rng.random() < 0.7:  # nose wire
            cv2.line(img, (int(geom["cx"] - 10), int(top + 2)), (int(geom["cx"] + 10), int(top + 2)), lighter, 1, cv2.LINE_AA)
    elif shape == "kn95":
        cv2.line(img, (int(geom["cx"]), int(top - 5)), (int(geom["cx"]), int(bottom + 5)), darker, 1, cv2.LINE_AA)
        pts = cv2.findContours((alpha > 0.5).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)[0]
        if pts:
            cv2.drawContours(img, pts, -1, darker, 2, cv2.LINE_AA)
    elif shape == "n95":
        if rng.random() < 0.4:  # exhalation valve
            side = 1 if rng.random() < 0.5 else -1
            c = (int(geom["cx"] + side * (r - left) * 0.22), int((geom["nose"][1] + geom["mouth"][1]) / 2 + 6))
            rad = int(rng.integers(6, 10))
            cv2.circle(img, c, rad, darker, -1, cv2.LINE_AA)
            cv2.circle(img, c, rad - 2, lighter, 1, cv2.LINE_AA)
        if rng.random() < 0.5:
            cv2.ellipse(img, (int(geom["cx"]), int((top + bottom) / 2)), (int((r - left) * 0.38), int((bottom - top) * 0.36)),
                        0, 0, 360, darker, 1, cv2.LINE_AA)
    elif shape.startswith("cloth") and rng.random() < 0.5:
        cv2.line(img, (int(geom["cx"]), int(top)), (int(geom["cx"]), int(bottom)), darker, 1, cv2.LINE_AA)


def _folds(rng: np.random.Generator, geom: dict) -> np.ndarray:
    """Multiplicative shading of 2-4 soft creases running roughly across the mask."""
    yy, xx = np.mgrid[0:CROP_SIZE, 0:CROP_SIZE].astype(np.float64)
    shade = np.ones((CROP_SIZE, CROP_SIZE))
    for _ in range(int(rng.integers(2, 5))):
        y0 = rng.uniform(geom["top"], geom["bottom"])
        tilt = rng.normal(0, 0.15)
        width = rng.uniform(1.5, 4.0)
        d = (yy - y0 - tilt * (xx - geom["cx"])) / width
        shade *= 1 - rng.uniform(0.08, 0.25) * np.exp(-d**2) + rng.uniform(0.0, 0.1) * np.exp(-((d - 1.2) ** 2))
    return shade


def _nose_shadow(rng: np.random.Generator, geom: dict) -> np.ndarray:
    """Darkening just below the nose-wire line on both sides of the bridge, plus a lit ridge on it."""
    yy, xx = np.mgrid[0:CROP_SIZE, 0:CROP_SIZE].astype(np.float64)
    below = yy - geom["top"]
    side = np.abs(xx - geom["cx"]) / max((geom["right"] - geom["left"]) / 2, 1.0)
    shadow = np.exp(-((below - rng.uniform(3, 7)) / rng.uniform(2, 4)) ** 2) * np.clip(side * 1.5, 0.2, 1.0)
    ridge = np.exp(-((below - 1.5) / 1.2) ** 2) * np.exp(-(((xx - geom["cx"]) / 10) ** 2))
    return 1 - rng.uniform(0.2, 0.45) * shadow + rng.uniform(0.05, 0.2) * ridge


def _chin_shape(rng: np.random.Generator, geom: dict) -> np.ndarray:
    """Shading along the chin curve and a faint hollow at the mouth: the face under the fabric."""
    yy, xx = np.mgrid[0:CROP_SIZE, 0:CROP_SIZE].astype(np.float64)
    mouth = geom["mouth"]
    chin_y = mouth[1] + (geom["bottom"] - mouth[1]) * rng.uniform(0.45, 0.75)
    half = max((geom["right"] - geom["left"]) / 2, 1.0)
    jaw = chin_y - 0.5 * ((xx - geom["cx"]) / half) ** 2 * (chin_y - geom["top"]) * 0.6
    under = np.clip((yy - jaw) / 6.0, 0, 1)
    mouth_hollow = np.exp(-(((xx - mouth[0]) / 9) ** 2 + ((yy - mouth[1]) / 3.5) ** 2))
    return (1 - rng.uniform(0.1, 0.3) * under) * (1 - rng.uniform(0.03, 0.12) * mouth_hollow)


def _light_cast(face: np.ndarray, region: np.ndarray) -> np.ndarray:
    """Per-channel gain that gives a neutral surface the colour cast of the light on the face
    (grey-world on the visible skin around the mask)."""
    skin = face[~region] if (~region).any() else face.reshape(-1, 3)
    mean = skin.reshape(-1, 3).mean(axis=0) + 1e-3
    gain = mean / mean.mean()
    # Skin is warm by itself: keep only part of its cast so every mask does not turn orange.
    return np.clip(1 + 0.5 * (gain - 1), 0.75, 1.3)


def _glasses(rng: np.random.Generator, out: np.ndarray, kps: np.ndarray, geom: dict) -> None:
    """Spectacle frames over the eyes; the bridge and lower rims rest on the mask's top edge."""
    reye, leye = kps[0], kps[1]
    eye_dist = max(float(np.linalg.norm(leye - reye)), 10.0)
    colour = [float(v) for v in (rng.uniform(10, 70, 3) if rng.random() < 0.7 else rng.uniform(80, 200, 3))]
    thick = int(rng.integers(1, 3))
    axes = (int(eye_dist * rng.uniform(0.32, 0.42)), int(eye_dist * rng.uniform(0.22, 0.3)))
    centres = [(int(reye[0]), int(reye[1] + 1)), (int(leye[0]), int(leye[1] + 1))]
    tint = rng.random() < 0.3  # sunglasses-like tint inside the rims
    for c in centres:
        if tint:
            lens = np.zeros(out.shape[:2], np.uint8)
            cv2.ellipse(lens, c, axes, 0, 0, 360, 1, -1)
            out[lens > 0] *= rng.uniform(0.35, 0.7)
        cv2.ellipse(out, c, axes, 0, 0, 360, colour, thick, cv2.LINE_AA)
    cv2.line(out, (centres[0][0] + axes[0], centres[0][1]), (centres[1][0] - axes[0], centres[1][1]), colour, thick, cv2.LINE_AA)
    for c, ear in ((centres[0], geom["ear_l"]), (centres[1], geom["ear_r"])):
        edge = c[0] - axes[0] if c is centres[0] else c[0] + axes[0]
        cv2.line(out, (int(edge), int(c[1])), (int(ear[0]), int(c[1] - 2)), colour, thick, cv2.LINE_AA)


def _hand(rng: np.random.Generator, out: np.ndarray, face: np.ndarray, geom: dict) -> np.ndarray:
    """A hand (palm and fingers, the face's own skin colour, slightly shaded) over one side of the mask;
    returns its coverage map."""
    # Skin: the bright end of the band between the eyes and the mask (cheeks, nose bridge), not brows or frames.
    top = int(np.clip(geom["top"], 12, CROP_SIZE))
    band = face[top - 10 : top - 1, int(max(geom["left"], 0)) : int(geom["right"])].reshape(-1, 3)
    lum = band.mean(axis=1)
    skin = np.median(band[lum >= np.percentile(lum, 60)], axis=0) if len(band) else np.array([180.0, 140.0, 120.0])
    colour = np.clip(skin * rng.uniform(0.85, 1.1) + rng.normal(0, 6, 3), 0, 255)
    side = 1 if rng.random() < 0.5 else -1
    x_edge = geom["cx"] + side * (geom["right"] - geom["left"]) * rng.uniform(0.05, 0.3)
    y0 = rng.uniform(geom["top"] + 5, geom["bottom"])
    cover = np.zeros(out.shape[:2], np.uint8)
    palm_centre = (int(x_edge + side * 22), int(y0 + 12))
    cv2.ellipse(cover, palm_centre, (22, 18), rng.uniform(-30, 30), 0, 360, 1, -1)
    for k in range(4):  # fingers reaching across the mask
        fy = int(y0 - 6 + 7 * k)
        cv2.line(cover, palm_centre, (int(x_edge - side * rng.uniform(0, 12)), fy), 1, int(rng.integers(5, 8)))
    cov = cv2.GaussianBlur(cover.astype(np.float64), (3, 3), 0)
    xx = np.arange(out.shape[1])[None, :]
    shade = 1 - 0.15 * np.clip(side * (x_edge - xx) / 20, 0, 1)
    out[:] = out * (1 - cov[..., None]) + (colour * shade[..., None]) * cov[..., None]
    return cov


def synthesize_mask(face_rgb: np.ndarray, keypoints: np.ndarray | None, rng: np.random.Generator | int,
                    shape: str | None = None, surface: str | None = None, realism: Realism = NO_REALISM) -> MaskSample:
    """Paint a random mask over nose and mouth of an aligned crop. Returns the masked image and the
    binary occlusion map (1 = pixel covered by the mask, straps excluded)."""
    if face_rgb.shape != (CROP_SIZE, CROP_SIZE, 3) or face_rgb.dtype != np.uint8:
        raise MaskError("BAD_IMAGE", f"expected ({CROP_SIZE},{CROP_SIZE},3) uint8, got {face_rgb.shape} {face_rgb.dtype}")
    if not isinstance(rng, np.random.Generator):
        rng = np.random.default_rng(rng)
    kps = DEFAULT_KEYPOINTS if keypoints is None else np.asarray(keypoints, dtype=np.float64).reshape(6, 2)
    # Landmark jitter: real masks sit differently on every face.
    kps = kps + rng.normal(0, 1.2, kps.shape)
    shape = shape or SHAPES[rng.integers(len(SHAPES))]
    if surface is None:
        if shape in ("surgical", "n95", "kn95"):
            surface = "plain" if rng.random() < 0.7 else SURFACES[rng.integers(len(SURFACES))]
        else:
            surface = SURFACES[rng.integers(len(SURFACES))]
    if shape not in SHAPES or surface not in SURFACES:
        raise MaskError("BAD_STYLE", f"unknown mask style {shape}/{surface}")
    poly, geom = _outline(rng, shape, kps)
    # Draw the outline at 4x and downsample for anti-aliased edges.
    scale = 4
    big = np.zeros((CROP_SIZE * scale, CROP_SIZE * scale), np.uint8)
    cv2.fillPoly(big, [np.round(poly * scale).astype(np.int32)], 255, cv2.LINE_AA)
    alpha = cv2.resize(big, (CROP_SIZE, CROP_SIZE), interpolation=cv2.INTER_AREA).astype(np.float64) / 255.0
    base = _random_colour(rng, shape)
    tex = _surface(rng, surface, base)
    _decorate(rng, tex, alpha, geom, shape, base)
    tex *= _shade(rng, alpha, geom, shape)[..., None]
    # Relight to the face: a mask in a dark photo is dark too.
    face = face_rgb.astype(np.float64)
    lum = face.mean(axis=2)
    region = alpha > 0.5
    face_lum = float(lum[region].mean()) if region.any() else float(lum.mean())
    tex *= np.clip((face_lum / 140.0) ** rng.uniform(0.3, 0.8), 0.35, 1.4)
    # Realism additions use their own generator so that the draws below stay those of the original.
    extra = np.random.default_rng(rng.integers(2**63)) if realism != NO_REALISM else None
    if extra is not None:
        if extra.random() < realism.folds:
            tex *= _folds(extra, geom)[..., None]
        if extra.random() < realism.nose_shadow:
            tex *= _nose_shadow(extra, geom)[..., None]
        if extra.random() < realism.chin_shape:
            tex *= _chin_shape(extra, geom)[..., None]
        if extra.random() < realism.light_match:
            tex *= _light_cast(face, region)
    out = face * (1 - alpha[..., None]) + np.clip(tex, 0, 255) * alpha[..., None]
    # Ear loops / straps (not part of the occlusion map: thin, and over cheeks/background).
    if rng.random() < 0.85:
        strap = (np.clip(base * rng.uniform(0.7, 1.0), 0, 255)).tolist()
        thick = int(rng.integers(1, 3))
        ends = [(geom["left"] + 2, geom["top"] + 4), (geom["left"] + 2, geom["bottom"] - 10),
                (geom["right"] - 2, geom["top"] + 4), (geom["right"] - 2, geom["bottom"] - 10)]
        low = np.array([0.0, 8.0])
        ears = [geom["ear_l"], geom["ear_l"] + low, geom["ear_r"], geom["ear_r"] + low]
        for (x0, y0), e in zip(ends, ears, strict=True):
            cv2.line(out, (int(x0), int(y0)), (int(e[0]), int(e[1])), strap, thick, cv2.LINE_AA)
    if rng.random() < 0.3:  # slight blur: print/real-world softness
        k = 3
        blurred = cv2.GaussianBlur(out, (k, k), 0)
        out = np.where(alpha[..., None] > 0.02, blurred, out)
    occlusion = (alpha > 0.5).astype(np.uint8)
    if extra is not None:
        if extra.random() < realism.glasses:
            _glasses(extra, out, kps, geom)
        if extra.random() < realism.hand:
            occlusion = np.maximum(occlusion, (_hand(extra, out, face, geom) > 0.5).astype(np.uint8))
    return MaskSample(np.clip(out + 0.5, 0, 255).astype(np.uint8), occlusion, shape, surface)


def augment_pair(images: list[np.ndarray], rng: np.random.Generator, max_shift: int = 4,
                 flip_p: float = 0.5) -> tuple[list[np.ndarray], bool]:
    """Apply the same random horizontal flip and translation (black fill) to aligned arrays
    (HxW or HxWxC). Returns the arrays and whether they were flipped."""
    flip = bool(rng.random() < flip_p)
    dx, dy = (int(v) for v in rng.integers(-max_shift, max_shift + 1, 2))
    m = np.float32([[1, 0, dx], [0, 1, dy]])
    out = []
    for im in images:
        a = im[:, ::-1] if flip else im
        a = cv2.warpAffine(np.ascontiguousarray(a), m, (a.shape[1], a.shape[0]), flags=cv2.INTER_NEAREST,
                           borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        out.append(a)
    return out, flip


def contact_sheet(crops: np.ndarray, keypoints: np.ndarray | None, rows: int = 6, cols: int = 8, seed: int = 0) -> np.ndarray:
    """Grid of masked faces (RGB uint8) for eyeballing the synthesiser."""
    rng = np.random.default_rng(seed)
    tiles = []
    for k in range(rows * cols):
        i = k % len(crops)
        kp = None if keypoints is None else keypoints[i]
        tiles.append(synthesize_mask(np.asarray(crops[i]), kp, rng).image)
    grid = np.array(tiles).reshape(rows, cols, CROP_SIZE, CROP_SIZE, 3)
    return grid.transpose(0, 2, 1, 3, 4).reshape(rows * CROP_SIZE, cols * CROP_SIZE, 3)
