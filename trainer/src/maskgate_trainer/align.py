"""Similarity alignment of BlazeFace keypoints onto the 112x112 ArcFace template (same as the daemon)."""

from __future__ import annotations

import cv2
import numpy as np

CROP_SIZE = 112
# right eye, left eye, nose tip, mouth centre (subject's right eye is on the image left).
TEMPLATE = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [56.1396, 92.2848]], dtype=np.float64
)
# BlazeFace keypoint indices used for alignment: right eye, left eye, nose, mouth.
ALIGN_KEYPOINTS = (0, 1, 2, 3)


class AlignmentError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def umeyama(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity (rotation, uniform scale, translation; no reflection) mapping src→dst.
    Returns the 2x3 affine matrix."""
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    if src.shape != dst.shape or src.ndim != 2 or src.shape[1] != 2 or src.shape[0] < 2:
        raise AlignmentError("BAD_POINTS", f"need matching (N>=2, 2) point sets, got {src.shape} and {dst.shape}")
    n = src.shape[0]
    mu_s, mu_d = src.mean(axis=0), dst.mean(axis=0)
    sc, dc = src - mu_s, dst - mu_d
    var_s = (sc**2).sum() / n
    if var_s <= 1e-12:
        raise AlignmentError("DEGENERATE", "source points coincide")
    cov = dc.T @ sc / n
    u, s, vt = np.linalg.svd(cov)
    d = np.ones(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        d[1] = -1.0
    rot = u @ np.diag(d) @ vt
    scale = (s * d).sum() / var_s
    t = mu_d - scale * rot @ mu_s
    return np.hstack([scale * rot, t[:, None]])


def align_matrix(keypoints: np.ndarray) -> np.ndarray:
    """2x3 matrix (pixel-index coordinates, as cv2.warpAffine) taking the source image to the 112x112
    crop, from the 6 BlazeFace keypoints given in continuous coordinates (pixel centre at +0.5),
    hence the -0.5 (same convention as pipeline/align.ts)."""
    kps = np.asarray(keypoints, dtype=np.float64)
    if kps.shape != (6, 2):
        raise AlignmentError("BAD_POINTS", f"expected (6,2) keypoints, got {kps.shape}")
    return umeyama(kps[list(ALIGN_KEYPOINTS)] - 0.5, TEMPLATE)


def warp(image: np.ndarray, matrix: np.ndarray, size: int = CROP_SIZE) -> np.ndarray:
    """Bilinear warp with black border."""
    return cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def transform_points(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    pts = np.asarray(points, dtype=np.float64)
    return pts @ matrix[:, :2].T + matrix[:, 2]


def align_face(image: np.ndarray, keypoints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Aligned 112x112 crop and the 6 keypoints in crop pixel-index coordinates."""
    m = align_matrix(keypoints)
    return warp(image, m), transform_points(np.asarray(keypoints, dtype=np.float64) - 0.5, m)
