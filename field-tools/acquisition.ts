// Acquisition accounting for `maskgate eval`: failures to acquire by reason and by condition, and
// for each quality measure the error-versus-reject curve of ISO/IEC 29794-1 (FNMR at a fixed
// threshold as the worst-quality share of genuine comparisons is set aside) plus FNMR per bin of
// the measure. These are the curves the quality gate's thresholds are read from
// (docs/detection-alignment.md). Pure functions: no I/O.
import type { QualityMeasures } from '../pipeline/quality.js';

/** One distinct image (per mask variant) as eval embedded it. */
export interface AcquiredImage {
  /** Where the image belongs, e.g. its folder relative to the pairs root ("tight/masked"). */
  readonly condition: string;
  readonly ok: boolean;
  /** Error code, or the quality checks that refused it; empty when acquired. */
  readonly reasons: readonly string[];
  /** Quality checks the face failed without being refused. */
  readonly warnings: readonly string[];
}

export interface AcquisitionCounts {
  readonly images: number;
  readonly failed: number;
  readonly rate: number;
  /** Failures per reason; an image refused for two checks counts under both. */
  readonly byReason: Readonly<Record<string, number>>;
  /** Acquired images with at least one warning, and warnings per check. */
  readonly warned: number;
  readonly warningsByReason: Readonly<Record<string, number>>;
}

export interface AcquisitionReport {
  readonly overall: AcquisitionCounts;
  readonly byCondition: Readonly<Record<string, AcquisitionCounts>>;
}

function count(images: readonly AcquiredImage[]): AcquisitionCounts {
  const byReason: Record<string, number> = {};
  const warningsByReason: Record<string, number> = {};
  let failed = 0;
  let warned = 0;
  for (const image of images) {
    if (!image.ok) failed++;
    for (const r of image.reasons) byReason[r] = (byReason[r] ?? 0) + 1;
    if (image.ok && image.warnings.length > 0) warned++;
    for (const w of image.warnings) warningsByReason[w] = (warningsByReason[w] ?? 0) + 1;
  }
  return { images: images.length, failed, rate: images.length ? failed / images.length : 0, byReason, warned, warningsByReason };
}

export function acquisitionReport(images: readonly AcquiredImage[]): AcquisitionReport {
  const groups = new Map<string, AcquiredImage[]>();
  for (const image of images) groups.set(image.condition, [...(groups.get(image.condition) ?? []), image]);
  const byCondition: Record<string, AcquisitionCounts> = {};
  for (const condition of [...groups.keys()].sort()) byCondition[condition] = count(groups.get(condition)!);
  return { overall: count(images), byCondition };
}

/**
 * A quality measure oriented so that higher is better, with the bin edges used to show FNMR per
 * range of its natural value. `natural` converts back for reporting (|yaw| in degrees, etc.).
 */
export interface QualityAxis {
  readonly name: 'score' | 'interEyePx' | 'sharpness' | 'absYawDeg' | 'outOfFrame';
  readonly goodness: (m: QualityMeasures) => number;
  readonly natural: (goodness: number) => number;
  readonly binEdges: readonly number[];
}

export const QUALITY_AXES: readonly QualityAxis[] = [
  { name: 'score', goodness: (m) => m.score, natural: (g) => g, binEdges: [0, 0.6, 0.7, 0.8, 0.9, 1] },
  { name: 'interEyePx', goodness: (m) => m.interEyeDistancePx, natural: (g) => g, binEdges: [0, 10, 15, 20, 25, 30, 40, 60, 1e9] },
  { name: 'sharpness', goodness: (m) => m.sharpness, natural: (g) => g, binEdges: [0, 5, 10, 15, 25, 50, 100, 1e9] },
  { name: 'absYawDeg', goodness: (m) => -Math.abs(m.yawDeg), natural: (g) => -g, binEdges: [0, 10, 20, 30, 40, 50, 60, 90.001] },
  { name: 'outOfFrame', goodness: (m) => -m.outOfFrame, natural: (g) => Math.max(0, -g), binEdges: [0, 1e-9, 0.1, 0.2, 0.3, 0.5, 1.001] },
];

/** A genuine comparison whose two faces were acquired: its score and both faces' measures. */
export interface GenuineComparison {
  readonly score: number;
  readonly img1: QualityMeasures;
  readonly img2: QualityMeasures;
}

export interface ErrorRejectPoint {
  /** Share of genuine comparisons set aside, worst quality first. */
  readonly rejected: number;
  /** The measure's value at the cut (natural units): faces worse than this were set aside. */
  readonly cut: number;
  readonly fnmr: number;
}

export interface QualityBin {
  readonly from: number;
  readonly to: number;
  readonly comparisons: number;
  readonly meanScore: number;
  readonly fnmr: number;
}

export interface QualityCurve {
  readonly measure: QualityAxis['name'];
  readonly errorVersusReject: readonly ErrorRejectPoint[];
  readonly bins: readonly QualityBin[];
}

export const REJECT_FRACTIONS: readonly number[] = [0, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3];

/**
 * Error versus reject for one measure: a comparison's quality is the worse of its two faces
 * (ISO/IEC 29794-1), comparisons are sorted worst first, and FNMR at `threshold` is computed over
 * what remains after each fraction is set aside. Bins use the worse face's natural value.
 */
export function qualityCurve(comparisons: readonly GenuineComparison[], axis: QualityAxis, threshold: number): QualityCurve {
  const rows = comparisons
    .map((c) => ({ q: Math.min(axis.goodness(c.img1), axis.goodness(c.img2)), miss: !(c.score >= threshold), score: c.score }))
    .sort((a, b) => a.q - b.q);
  const errorVersusReject: ErrorRejectPoint[] = [];
  if (rows.length > 0) {
    // Suffix sums of misses give FNMR of what remains after any cut in one pass.
    const missesFrom = new Array<number>(rows.length + 1).fill(0);
    for (let k = rows.length - 1; k >= 0; k--) missesFrom[k] = missesFrom[k + 1]! + (rows[k]!.miss ? 1 : 0);
    for (const fraction of REJECT_FRACTIONS) {
      const cut = Math.min(rows.length - 1, Math.floor(fraction * rows.length));
      errorVersusReject.push({ rejected: cut / rows.length, cut: axis.natural(rows[cut]!.q), fnmr: missesFrom[cut]! / (rows.length - cut) });
    }
  }
  const bins: QualityBin[] = [];
  for (let b = 0; b + 1 < axis.binEdges.length; b++) {
    const from = axis.binEdges[b]!;
    const to = axis.binEdges[b + 1]!;
    const inBin = rows.filter((r) => {
      const v = axis.natural(r.q);
      return v >= from && v < to;
    });
    if (inBin.length === 0) continue;
    bins.push({
      from,
      to,
      comparisons: inBin.length,
      meanScore: inBin.reduce((s, r) => s + r.score, 0) / inBin.length,
      fnmr: inBin.filter((r) => r.miss).length / inBin.length,
    });
  }
  return { measure: axis.name, errorVersusReject, bins };
}

export function qualityCurves(comparisons: readonly GenuineComparison[], threshold: number): QualityCurve[] {
  return QUALITY_AXES.map((axis) => qualityCurve(comparisons, axis, threshold));
}
