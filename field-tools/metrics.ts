// Verification metrics (ISO/IEC 19795-1 terms, the G2D paper's eight plus ROC AUC), defined
// exactly as the Python trainer's `maskgate_trainer.metrics` so that both sides reproduce the
// shared vectors in test/vectors/metrics/. Conventions (see that file's "conventions"):
// - label 1 = genuine (mated), 0 = impostor; a comparison matches when score >= t.
// - Candidate thresholds: the distinct finite scores ascending, then +Infinity (reject all).
// - FMR(t) = #impostor >= t / #impostor; FNMR(t) = #genuine < t / #genuine.
// One extension the Python side does not need: a score of -Infinity marks a failure to acquire
// (no usable face on one side of the pair). It is never a candidate threshold, so it never
// matches: a genuine FTA is a false non-match and an impostor FTA a correct rejection at every
// threshold. FDR is computed over the acquired (finite) scores only; AUC ranks FTAs lowest.
import { CodedError } from '../pipeline/coded-error.js';

export type MetricsErrorCode = 'shape_mismatch' | 'non_finite' | 'bad_label' | 'one_class';

export class MetricsError extends CodedError<MetricsErrorCode> {}

/** Score given to a pair with a failure to acquire: it never matches. */
export const FTA_SCORE = Number.NEGATIVE_INFINITY;

/** Same keys as the Python dict; +Infinity thresholds (reject everything) stay Infinity here. */
export interface VerificationMetrics {
  readonly genuine: number;
  readonly impostor: number;
  readonly acc: number;
  readonly accThreshold: number;
  readonly eer: number;
  readonly eerThreshold: number;
  /** Fisher discriminant ratio; null when a class has no acquired score. */
  readonly fdr: number | null;
  readonly fmr100: number;
  readonly fmr100Threshold: number;
  readonly fmr100AchievedFmr: number;
  readonly fmr100AchievedFnmr: number;
  readonly fmr100Average: number;
  readonly fmr1000: number;
  readonly fmr1000Threshold: number;
  readonly fmr1000AchievedFmr: number;
  readonly fmr1000AchievedFnmr: number;
  readonly fmr1000Average: number;
  readonly auc: number;
}

/** FMR and FNMR at every candidate threshold (ascending; the last one is +Infinity). */
export interface RateCurve {
  readonly thresholds: Float64Array;
  /** Impostor scores >= threshold. */
  readonly falseMatches: Int32Array;
  /** Genuine scores < threshold. */
  readonly falseNonMatches: Int32Array;
  readonly genuine: number;
  readonly impostor: number;
}

export interface OperatingPoint {
  readonly threshold: number;
  readonly fmr: number;
  readonly fnmr: number;
  readonly average: number;
}

function validate(scores: ArrayLike<number>, labels: ArrayLike<number>): void {
  if (scores.length !== labels.length) {
    throw new MetricsError('shape_mismatch', `${scores.length} scores vs ${labels.length} labels`);
  }
  let genuine = 0;
  for (let k = 0; k < scores.length; k++) {
    const s = scores[k]!;
    if (Number.isNaN(s) || s === Number.POSITIVE_INFINITY) {
      throw new MetricsError('non_finite', 'scores must be finite (or -Infinity for a failure to acquire)');
    }
    const y = labels[k];
    if (y !== 0 && y !== 1) throw new MetricsError('bad_label', 'labels must be 0 (impostor) or 1 (genuine)');
    genuine += y;
  }
  if (genuine === 0 || genuine === scores.length) {
    throw new MetricsError('one_class', 'need at least one genuine and one impostor score');
  }
}

const ascending = (a: number, b: number): number => a - b;

/** Number of values in the ascending array `sorted` that are < t. */
function countBelow(sorted: Float64Array, t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function rateCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): RateCurve {
  validate(scores, labels);
  const gen: number[] = [];
  const imp: number[] = [];
  for (let k = 0; k < scores.length; k++) (labels[k] === 1 ? gen : imp).push(scores[k]!);
  const genSorted = Float64Array.from(gen).sort();
  const impSorted = Float64Array.from(imp).sort();
  const distinct = [...new Set(Array.from(scores).filter(Number.isFinite))].sort(ascending);
  const thresholds = Float64Array.from([...distinct, Number.POSITIVE_INFINITY]);
  const falseMatches = new Int32Array(thresholds.length);
  const falseNonMatches = new Int32Array(thresholds.length);
  thresholds.forEach((t, k) => {
    falseNonMatches[k] = countBelow(genSorted, t);
    falseMatches[k] = impSorted.length - countBelow(impSorted, t);
  });
  return { thresholds, falseMatches, falseNonMatches, genuine: gen.length, impostor: imp.length };
}

/** The lowest candidate threshold whose FMR is <= `targetFmr` (so the lowest FNMR under it). */
export function operatingPointAtFmr(curve: RateCurve, targetFmr: number): OperatingPoint {
  for (let k = 0; k < curve.thresholds.length; k++) {
    const fmr = curve.falseMatches[k]! / curve.impostor;
    if (fmr <= targetFmr) {
      const fnmr = curve.falseNonMatches[k]! / curve.genuine;
      return { threshold: curve.thresholds[k]!, fmr, fnmr, average: (fmr + fnmr) / 2 };
    }
  }
  // Unreachable: at +Infinity nothing matches, so FMR is 0.
  throw new RangeError(`no threshold reaches FMR ${targetFmr}`);
}

/** ROC points (FMR, TAR = 1 - FNMR) at every candidate threshold, thresholds ascending. */
export function rocPoints(curve: RateCurve): { fmr: Float64Array; tar: Float64Array } {
  const n = curve.thresholds.length;
  const fmr = new Float64Array(n);
  const tar = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    fmr[k] = curve.falseMatches[k]! / curve.impostor;
    tar[k] = 1 - curve.falseNonMatches[k]! / curve.genuine;
  }
  return { fmr, tar };
}

function meanAndVariance(values: readonly number[]): { mean: number; variance: number } {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
  return { mean, variance };
}

/** (mu_g - mu_i)^2 / (var_g + var_i) with population variances, over finite scores. */
export function fisherDiscriminantRatio(genuine: readonly number[], impostor: readonly number[]): number | null {
  const g = genuine.filter(Number.isFinite);
  const i = impostor.filter(Number.isFinite);
  if (g.length === 0 || i.length === 0) return null;
  const a = meanAndVariance(g);
  const b = meanAndVariance(i);
  const variance = a.variance + b.variance;
  const diff2 = (a.mean - b.mean) ** 2;
  if (variance > 0) return diff2 / variance;
  return diff2 > 0 ? Number.POSITIVE_INFINITY : 0;
}

/** P(s_g > s_i) + 0.5 P(s_g == s_i) over all genuine x impostor pairs, by average ranks. */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, k) => k).sort((a, b) => {
    const sa = scores[a]!;
    const sb = scores[b]!;
    return sa === sb ? 0 : sa < sb ? -1 : 1; // -Infinity - -Infinity is NaN, hence no subtraction
  });
  let genuineRankSum = 0;
  let genuine = 0;
  for (let start = 0; start < n; ) {
    let end = start;
    while (end + 1 < n && scores[order[end + 1]!] === scores[order[start]!]) end++;
    const averageRank = (start + 1 + end + 1) / 2; // ranks are 1-based
    for (let k = start; k <= end; k++) {
      if (labels[order[k]!] === 1) {
        genuineRankSum += averageRank;
        genuine++;
      }
    }
    start = end + 1;
  }
  const impostor = n - genuine;
  return (genuineRankSum - (genuine * (genuine + 1)) / 2) / (genuine * impostor);
}

export function verificationMetrics(scores: ArrayLike<number>, labels: ArrayLike<number>): VerificationMetrics {
  const curve = rateCurve(scores, labels);
  const { thresholds, falseMatches: fp, falseNonMatches: fn, genuine: nG, impostor: nI } = curve;
  // ACC: most correct decisions; the first (lowest) candidate wins ties. Integer counts, so no
  // floating-point tie can be broken by rounding noise.
  let kAcc = 0;
  let bestCorrect = -1;
  // EER: smallest |FMR - FNMR|, lowest candidate on ties. |fp/nI - fn/nG| is compared as the
  // exact integer |fp*nG - fn*nI| (same order, no rounding), see the report note on the Python side.
  let kEer = 0;
  let bestGap = Number.POSITIVE_INFINITY;
  for (let k = 0; k < thresholds.length; k++) {
    const correct = nG - fn[k]! + (nI - fp[k]!);
    if (correct > bestCorrect) {
      bestCorrect = correct;
      kAcc = k;
    }
    const gap = Math.abs(fp[k]! * nG - fn[k]! * nI);
    if (gap < bestGap) {
      bestGap = gap;
      kEer = k;
    }
  }
  const genuineScores: number[] = [];
  const impostorScores: number[] = [];
  for (let k = 0; k < scores.length; k++) (labels[k] === 1 ? genuineScores : impostorScores).push(scores[k]!);
  const at100 = operatingPointAtFmr(curve, 0.01);
  const at1000 = operatingPointAtFmr(curve, 0.001);
  return {
    genuine: nG,
    impostor: nI,
    acc: bestCorrect / (nG + nI),
    accThreshold: thresholds[kAcc]!,
    eer: (fp[kEer]! / nI + fn[kEer]! / nG) / 2,
    eerThreshold: thresholds[kEer]!,
    fdr: fisherDiscriminantRatio(genuineScores, impostorScores),
    fmr100: at100.fnmr,
    fmr100Threshold: at100.threshold,
    fmr100AchievedFmr: at100.fmr,
    fmr100AchievedFnmr: at100.fnmr,
    fmr100Average: at100.average,
    fmr1000: at1000.fnmr,
    fmr1000Threshold: at1000.threshold,
    fmr1000AchievedFmr: at1000.fmr,
    fmr1000AchievedFnmr: at1000.fnmr,
    fmr1000Average: at1000.average,
    auc: rocAuc(scores, labels),
  };
}
