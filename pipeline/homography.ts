// Plane-to-plane projective maps (3x3, row-major, h[8] = 1): fitted from point correspondences by
// least squares (direct linear transform with h33 fixed), applied to points. Used to render planar
// attack artefacts and to test whether a track's landmarks move like one rigid plane.
import type { Point } from './types.js';

export type Homography = readonly [number, number, number, number, number, number, number, number, number];

export const IDENTITY: Homography = [1, 0, 0, 0, 1, 0, 0, 0, 1];

export function applyHomography(h: Homography, p: Point): Point {
  const w = h[6] * p.x + h[7] * p.y + h[8];
  return { x: (h[0] * p.x + h[1] * p.y + h[2]) / w, y: (h[3] * p.x + h[4] * p.y + h[5]) / w };
}

/** Solves the square system `a x = b` by Gaussian elimination with partial pivoting; null when singular. */
function solve(a: number[][], b: number[]): number[] | null {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    if (Math.abs(m[pivot]![col]!) < 1e-12) return null;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = m[r]![col]! / m[col]![col]!;
      for (let c = col; c <= n; c++) m[r]![c]! -= f * m[col]![c]!;
    }
  }
  return m.map((row, i) => row[n]! / row[i]!);
}

/**
 * The homography taking `from[i]` to `to[i]` (at least 4 pairs), least squares on the linearised
 * equations. Points are normalised first (centroid at 0, mean distance √2) for conditioning.
 * Null when the points are degenerate (collinear, coincident).
 */
export function fitHomography(from: readonly Point[], to: readonly Point[]): Homography | null {
  if (from.length !== to.length || from.length < 4) throw new RangeError('fitHomography needs at least 4 point pairs of equal count');
  const nf = normaliser(from);
  const nt = normaliser(to);
  if (!nf || !nt) return null;
  const ata = Array.from({ length: 8 }, () => new Array<number>(8).fill(0));
  const atb = new Array<number>(8).fill(0);
  const accumulate = (row: number[], rhs: number) => {
    for (let i = 0; i < 8; i++) {
      atb[i]! += row[i]! * rhs;
      for (let j = 0; j < 8; j++) ata[i]![j]! += row[i]! * row[j]!;
    }
  };
  for (let k = 0; k < from.length; k++) {
    const p = applyHomography(nf, from[k]!);
    const q = applyHomography(nt, to[k]!);
    accumulate([p.x, p.y, 1, 0, 0, 0, -p.x * q.x, -p.y * q.x], q.x);
    accumulate([0, 0, 0, p.x, p.y, 1, -p.x * q.y, -p.y * q.y], q.y);
  }
  const x = solve(ata, atb);
  if (!x) return null;
  const hn: Homography = [x[0]!, x[1]!, x[2]!, x[3]!, x[4]!, x[5]!, x[6]!, x[7]!, 1];
  const inv = invertHomography(nt);
  if (!inv) return null;
  return normalise(multiply(inv, multiply(hn, nf)));
}

export function multiply(a: Homography, b: Homography): Homography {
  const out = new Array<number>(9);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) out[r * 3 + c] = a[r * 3]! * b[c]! + a[r * 3 + 1]! * b[3 + c]! + a[r * 3 + 2]! * b[6 + c]!;
  return out as unknown as Homography;
}

export function invertHomography(h: Homography): Homography | null {
  const [a, b, c, d, e, f, g, k, l] = h;
  const det = a * (e * l - f * k) - b * (d * l - f * g) + c * (d * k - e * g);
  if (Math.abs(det) < 1e-15) return null;
  const inv = [
    (e * l - f * k) / det, (c * k - b * l) / det, (b * f - c * e) / det,
    (f * g - d * l) / det, (a * l - c * g) / det, (c * d - a * f) / det,
    (d * k - e * g) / det, (b * g - a * k) / det, (a * e - b * d) / det,
  ] as unknown as Homography;
  return normalise(inv);
}

function normalise(h: Homography): Homography {
  const s = h[8];
  return (Math.abs(s) < 1e-15 ? h : h.map((v) => v / s)) as unknown as Homography;
}

/** Similarity taking the points' centroid to 0 and their mean distance from it to √2. */
function normaliser(points: readonly Point[]): Homography | null {
  const cx = points.reduce((s, p) => s + p.x, 0) / points.length;
  const cy = points.reduce((s, p) => s + p.y, 0) / points.length;
  const mean = points.reduce((s, p) => s + Math.hypot(p.x - cx, p.y - cy), 0) / points.length;
  if (!(mean > 1e-9)) return null;
  const s = Math.SQRT2 / mean;
  return [s, 0, -s * cx, 0, s, -s * cy, 0, 0, 1];
}
