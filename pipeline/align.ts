// Similarity alignment of a detected face onto the 112x112 ArcFace template.
//
// Coordinate conventions (the Python trainer must match them, see
// test/vectors/alignment/README.md): detections use continuous image coordinates, where pixel
// (i, j) covers [i, i+1) x [j, j+1) and its centre is (i+0.5, j+0.5). The template and the 2x3
// matrices use pixel-index coordinates, where the centre of pixel (i, j) is (i, j), as OpenCV's
// warpAffine does. alignFace converts by subtracting 0.5 from the keypoints.
import { assertRgbImage } from './image.js';
import type { AlignedFace, FaceDetection, Point, RgbImage } from './types.js';

/** Row-major [a, b, c, d, e, f]: x' = a*x + b*y + c, y' = d*x + e*y + f. */
export type Affine2x3 = readonly [number, number, number, number, number, number];

export const ALIGNED_FACE_SIZE = 112;

/**
 * ArcFace template for 112x112 crops, restricted to the four points BlazeFace gives us:
 * subject's right eye, left eye, nose tip, and mouth centre (the midpoint of the standard
 * template's mouth corners (41.5493, 92.3655) and (70.7299, 92.2041)).
 */
export const ARCFACE_TEMPLATE_112: readonly Point[] = [
  { x: 38.2946, y: 51.6963 },
  { x: 73.5318, y: 51.5014 },
  { x: 56.0252, y: 71.7366 },
  { x: 56.1396, y: 92.2848 },
];

/**
 * Least-squares similarity transform (rotation, uniform scale, translation; no reflection)
 * mapping `src` onto `dst` — Umeyama's estimate. In 2-D it has the closed form below:
 * with centred points, a = sum(x.u + y.v) / sum(x^2 + y^2), b = sum(x.v - y.u) / sum(x^2 + y^2),
 * giving the matrix [a -b tx; b a ty]. Equal to skimage's SimilarityTransform.estimate.
 */
export function estimateSimilarity(src: readonly Point[], dst: readonly Point[]): Affine2x3 {
  const n = src.length;
  if (n < 2 || dst.length !== n) {
    throw new RangeError(`estimateSimilarity needs >= 2 matching point pairs, got ${n} and ${dst.length}`);
  }
  let sx = 0;
  let sy = 0;
  let dx = 0;
  let dy = 0;
  for (let i = 0; i < n; i++) {
    sx += src[i]!.x;
    sy += src[i]!.y;
    dx += dst[i]!.x;
    dy += dst[i]!.y;
  }
  sx /= n;
  sy /= n;
  dx /= n;
  dy /= n;
  let dot = 0;
  let cross = 0;
  let norm = 0;
  for (let i = 0; i < n; i++) {
    const x = src[i]!.x - sx;
    const y = src[i]!.y - sy;
    const u = dst[i]!.x - dx;
    const v = dst[i]!.y - dy;
    dot += x * u + y * v;
    cross += x * v - y * u;
    norm += x * x + y * y;
  }
  if (!(norm > 1e-12)) throw new RangeError('estimateSimilarity: source points coincide');
  const a = dot / norm;
  const b = cross / norm;
  return [a, -b, dx - (a * sx - b * sy), b, a, dy - (b * sx + a * sy)];
}

export function invertAffine(m: Affine2x3): Affine2x3 {
  const [a, b, c, d, e, f] = m;
  const det = a * e - b * d;
  if (Math.abs(det) < 1e-12) throw new RangeError('Affine matrix is singular');
  const ia = e / det;
  const ib = -b / det;
  const id = -d / det;
  const ie = a / det;
  return [ia, ib, -(ia * c + ib * f), id, ie, -(id * c + ie * f)];
}

export function applyAffine(m: Affine2x3, p: Point): Point {
  return { x: m[0] * p.x + m[1] * p.y + m[2], y: m[3] * p.x + m[4] * p.y + m[5] };
}

/**
 * Warps `image` by `matrix` (source -> destination, pixel-index coordinates) into an
 * outW x outH image: each destination pixel samples the source bilinearly at the inverse-mapped
 * position; neighbours outside the source count as black (OpenCV's BORDER_CONSTANT, value 0).
 */
export function warpAffine(image: RgbImage, matrix: Affine2x3, outW: number, outH: number): RgbImage {
  assertRgbImage(image);
  if (!Number.isInteger(outW) || !Number.isInteger(outH) || outW <= 0 || outH <= 0) {
    throw new RangeError(`Invalid output size ${outW}x${outH}`);
  }
  const [ia, ib, ic, id, ie, ifv] = invertAffine(matrix);
  const { width: w, height: h, data: src } = image;
  const out = new Uint8Array(outW * outH * 3);
  const stride = w * 3;
  let o = 0;
  for (let v = 0; v < outH; v++) {
    // Source position of (0, v), advanced by (ia, id) per destination column.
    let x = ib * v + ic;
    let y = ie * v + ifv;
    for (let u = 0; u < outW; u++, x += ia, y += id, o += 3) {
      const x0 = Math.floor(x);
      const y0 = Math.floor(y);
      if (x0 < -1 || y0 < -1 || x0 >= w || y0 >= h) continue; // all four neighbours outside: stays 0
      const fx = x - x0;
      const fy = y - y0;
      const w00 = (1 - fx) * (1 - fy);
      const w01 = fx * (1 - fy);
      const w10 = (1 - fx) * fy;
      const w11 = fx * fy;
      const inX0 = x0 >= 0;
      const inX1 = x0 + 1 < w;
      const inY0 = y0 >= 0;
      const inY1 = y0 + 1 < h;
      const p00 = y0 * stride + x0 * 3;
      const p10 = p00 + stride;
      for (let c = 0; c < 3; c++) {
        let s = 0;
        if (inY0) {
          if (inX0) s += w00 * src[p00 + c]!;
          if (inX1) s += w01 * src[p00 + 3 + c]!;
        }
        if (inY1) {
          if (inX0) s += w10 * src[p10 + c]!;
          if (inX1) s += w11 * src[p10 + 3 + c]!;
        }
        out[o + c] = s + 0.5; // s is in [0, 255]; the Uint8Array store truncates, so this rounds
      }
    }
  }
  return { width: outW, height: outH, data: out };
}

/** The four template points for a `size` x `size` crop (the 112 template scaled). */
export function templateForSize(size: number): Point[] {
  const k = size / ALIGNED_FACE_SIZE;
  return ARCFACE_TEMPLATE_112.map((p) => ({ x: p.x * k, y: p.y * k }));
}

/** Source (pixel-index) -> crop matrix for a detection: eyes, nose and mouth onto the template. */
export function alignmentMatrix(detection: FaceDetection, size = ALIGNED_FACE_SIZE): Affine2x3 {
  const src = detection.keypoints.slice(0, 4).map((p) => ({ x: p.x - 0.5, y: p.y - 0.5 }));
  return estimateSimilarity(src, templateForSize(size));
}

export function alignFace(image: RgbImage, detection: FaceDetection, size = ALIGNED_FACE_SIZE): AlignedFace {
  const crop = warpAffine(image, alignmentMatrix(detection, size), size, size);
  return { ...crop, detection };
}
