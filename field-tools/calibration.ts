// Threshold calibration from a false-match target: pure arithmetic over comparison scores, no
// I/O. Conventions are those of metrics.ts: a comparison matches when score >= threshold.
//
// FMR is per comparison. One 1:N search compares a visitor with every template of the gallery,
// so a stranger is falsely accepted with probability FPIR = 1 - (1 - FMR)^N (independence
// assumed; about N * FMR while that is small). Both are shown to the technician.
import { dot, l2Normalize } from '../pipeline/vector.js';
import { CodedError } from '../pipeline/coded-error.js';

/** Decimal places of a calibrated threshold: readable in a config file; rounding is always up. */
export const THRESHOLD_DECIMALS = 6;
/** One-sided confidence of the reported FMR upper bound. */
export const BOUND_CONFIDENCE = 0.95;

export function fpirFromFmr(fmr: number, gallerySize: number): number {
  checkRate(fmr, 'FMR');
  checkGallerySize(gallerySize);
  return -Math.expm1(gallerySize * Math.log1p(-fmr));
}

export function fmrFromFpir(fpir: number, gallerySize: number): number {
  checkRate(fpir, 'FPIR');
  checkGallerySize(gallerySize);
  return -Math.expm1(Math.log1p(-fpir) / gallerySize);
}

function checkRate(rate: number, what: string): void {
  if (!(rate >= 0 && rate < 1)) throw new RangeError(`${what} must be in [0, 1), got ${rate}`);
}

function checkGallerySize(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`gallery size must be a positive integer, got ${n}`);
}

/** log P(X <= k) for X ~ Binomial(n, p), summed in log space so that n may be in the millions. */
function logBinomialCdf(k: number, n: number, p: number): number {
  if (p <= 0) return 0;
  if (p >= 1) return k >= n ? 0 : Number.NEGATIVE_INFINITY;
  const logRatio = Math.log(p) - Math.log1p(-p);
  let logTerm = n * Math.log1p(-p); // P(X = 0)
  let max = logTerm;
  let sum = 1; // sum of exp(logTerm_j - max)
  for (let j = 0; j < k; j++) {
    logTerm += Math.log(n - j) - Math.log(j + 1) + logRatio;
    if (logTerm > max) {
      sum = sum * Math.exp(max - logTerm) + 1;
      max = logTerm;
    } else {
      sum += Math.exp(logTerm - max);
    }
  }
  return max + Math.log(sum);
}

/**
 * One-sided Clopper–Pearson (exact binomial) upper confidence bound on a rate observed as `k`
 * events in `n` trials: the p at which seeing k or fewer events has probability 1 - confidence.
 * With k = 0 it is 1 - 0.05^(1/n), about 3/n (the rule of three).
 */
export function clopperPearsonUpper(k: number, n: number, confidence = BOUND_CONFIDENCE): number {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(k) || k < 0 || k > n) {
    throw new RangeError(`need integers 0 <= k <= n, got k=${k}, n=${n}`);
  }
  if (!(confidence > 0 && confidence < 1)) throw new RangeError('confidence must be in (0, 1)');
  if (n === 0 || k === n) return 1;
  const alpha = 1 - confidence;
  if (k === 0) return -Math.expm1(Math.log(alpha) / n);
  const logAlpha = Math.log(alpha);
  // P(X <= k) falls as p rises: bisect for the p where it equals alpha.
  let lo = k / n;
  let hi = 1;
  for (let iteration = 0; iteration < 200 && hi - lo > 1e-15 * hi; iteration++) {
    const mid = (lo + hi) / 2;
    if (logBinomialCdf(k, n, mid) > logAlpha) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * Impostor comparisons needed before a target FMR can be supported at all: the smallest n whose
 * 95% upper bound with zero false matches, 1 - 0.05^(1/n), is within the target (about 3/target,
 * the rule of three).
 */
export function minimumComparisonsFor(targetFmr: number): number {
  return Math.ceil(Math.log(1 - BOUND_CONFIDENCE) / Math.log1p(-targetFmr));
}

/** The smallest value on the THRESHOLD_DECIMALS grid strictly above `score`, within [-1, 1]. */
export function thresholdAbove(score: number): number {
  const scale = 10 ** THRESHOLD_DECIMALS;
  let t = Math.floor(score * scale + 1) / scale;
  if (t <= score) t = (Math.floor(score * scale) + 2) / scale; // guard against rounding in the product
  return Math.min(1, Math.max(-1, t));
}

export type CalibrationMethod = 'empirical' | 'upper-bound-95';

export interface CalibrationInput {
  readonly impostorScores: ArrayLike<number>;
  /** Genuine comparisons, when any, for the expected FNMR. */
  readonly genuineScores?: ArrayLike<number>;
  readonly targetFmr: number;
  /**
   * 'empirical': the smallest threshold whose measured FMR is <= the target.
   * 'upper-bound-95': the smallest threshold whose 95% upper bound on FMR is <= the target
   * (stricter; needs at least minimumComparisonsFor(target) impostor comparisons).
   */
  readonly method?: CalibrationMethod;
}

export type CalibrationWarningCode =
  | 'too_few_impostor_comparisons'
  | 'bound_above_target'
  | 'no_genuine_comparisons'
  | 'threshold_at_limit';

export interface CalibrationWarning {
  readonly code: CalibrationWarningCode;
  readonly message: string;
}

export interface CalibrationResult {
  readonly method: CalibrationMethod;
  readonly threshold: number;
  readonly targetFmr: number;
  readonly impostorComparisons: number;
  /** Impostor scores >= threshold. */
  readonly falseMatches: number;
  readonly empiricalFmr: number;
  readonly fmrUpperBound95: number;
  readonly genuineComparisons: number;
  /** Genuine scores < threshold over genuine comparisons; null without genuine comparisons. */
  readonly expectedFnmr: number | null;
  readonly warnings: readonly CalibrationWarning[];
}

export class CalibrationError extends CodedError<'no_impostor_comparisons' | 'invalid_target' | 'invalid_scores'> {}

/** Counts of scores >= t in a descending array. */
function countAtOrAbove(descending: Float64Array, t: number): number {
  let lo = 0;
  let hi = descending.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (descending[mid]! >= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function calibrateThreshold(input: CalibrationInput): CalibrationResult {
  const { targetFmr } = input;
  const method = input.method ?? 'empirical';
  if (!(targetFmr > 0 && targetFmr <= 0.5)) {
    throw new CalibrationError('invalid_target', `target FMR must be in (0, 0.5], got ${targetFmr}`);
  }
  const impostors = Float64Array.from(input.impostorScores).sort().reverse();
  const n = impostors.length;
  if (n === 0) throw new CalibrationError('no_impostor_comparisons', 'no impostor comparisons to calibrate on');
  if (!impostors.every(Number.isFinite)) throw new CalibrationError('invalid_scores', 'impostor scores must be finite');
  const warnings: CalibrationWarning[] = [];

  // Largest number of false matches the target allows, checked in the same division the report uses.
  let allowed = Math.floor(targetFmr * n);
  while ((allowed + 1) / n <= targetFmr) allowed++;
  while (allowed > 0 && allowed / n > targetFmr) allowed--;
  if (method === 'upper-bound-95') {
    while (allowed > 0 && clopperPearsonUpper(allowed, n) > targetFmr) allowed--;
  }
  // Every impostor at or above impostors[allowed] would match at t <= that score, one too many:
  // the threshold goes just above it (rounded up, which can only lower the FMR).
  const threshold = allowed >= n ? -1 : thresholdAbove(impostors[allowed]!);
  const falseMatches = countAtOrAbove(impostors, threshold);
  const empiricalFmr = falseMatches / n;
  const fmrUpperBound95 = clopperPearsonUpper(falseMatches, n);

  const needed = minimumComparisonsFor(targetFmr);
  if (n < needed) {
    warnings.push({
      code: 'too_few_impostor_comparisons',
      message:
        `only ${n} impostor comparisons: even with no false match they show FMR <= ${fmt(clopperPearsonUpper(0, n))} ` +
        `at 95% confidence, above the target ${fmt(targetFmr)}; at least ${needed} are needed (rule of three)`,
    });
  } else if (fmrUpperBound95 > targetFmr) {
    warnings.push({
      code: 'bound_above_target',
      message:
        `measured FMR ${fmt(empiricalFmr)} meets the target, but its 95% upper bound ${fmt(fmrUpperBound95)} does not; ` +
        `more impostor comparisons (or --conservative) would support the target with confidence`,
    });
  }
  if (threshold >= 1 && falseMatches > 0) {
    warnings.push({ code: 'threshold_at_limit', message: 'impostor scores reach 1.0: the target cannot be met by any threshold' });
  }

  let expectedFnmr: number | null = null;
  const genuine = input.genuineScores ? Array.from(input.genuineScores) : [];
  if (genuine.length > 0) {
    expectedFnmr = genuine.filter((s) => !(s >= threshold)).length / genuine.length;
  } else {
    warnings.push({ code: 'no_genuine_comparisons', message: 'no genuine comparisons: the false non-match rate at this threshold is unknown' });
  }
  return {
    method,
    threshold,
    targetFmr,
    impostorComparisons: n,
    falseMatches,
    empiricalFmr,
    fmrUpperBound95,
    genuineComparisons: genuine.length,
    expectedFnmr,
    warnings,
  };
}

/** One probe condition's own threshold (masked or unmasked probes), by the same rule as the pooled one. */
export interface ConditionCalibration {
  readonly threshold: number;
  readonly impostorComparisons: number;
  readonly empiricalFmr: number;
  readonly fmrUpperBound95: number;
  /**
   * Whether the condition has the comparisons to support the target at all (the rule of three,
   * minimumComparisonsFor): a threshold from fewer is an artefact of how few impostors happened to
   * score high, and is reported but not put in force.
   */
  readonly sufficient: boolean;
}

export function calibrateCondition(impostorScores: ArrayLike<number>, targetFmr: number, method: CalibrationMethod): ConditionCalibration | null {
  if (impostorScores.length === 0) return null;
  const r = calibrateThreshold({ impostorScores, targetFmr, method });
  return {
    threshold: r.threshold,
    impostorComparisons: r.impostorComparisons,
    empiricalFmr: r.empiricalFmr,
    fmrUpperBound95: r.fmrUpperBound95,
    sufficient: r.impostorComparisons >= minimumComparisonsFor(targetFmr),
  };
}

function fmt(rate: number): string {
  return rate.toPrecision(3);
}

/** A gallery template as calibration sees it. */
export interface LabelledEmbedding {
  readonly personId: string;
  readonly embedding: Float32Array;
}

export interface GalleryComparisons {
  /** Different people. */
  readonly impostorScores: Float64Array;
  /** Different templates of the same person. */
  readonly genuineScores: Float64Array;
  /** Pairs in the gallery, and whether only every `stride`-th was scored to stay under the cap. */
  readonly totalPairs: number;
  readonly stride: number;
}

/** Unit-length copies, laid out for dot products. */
export function normalizedRows(embeddings: readonly Float32Array[]): Float32Array[] {
  return embeddings.map((e) => l2Normalize(Float32Array.from(e)));
}

/**
 * Every template pair of the gallery, cross-person pairs as impostor comparisons and
 * same-person pairs as genuine ones. Beyond `maxComparisons` pairs, every stride-th pair of the
 * enumeration is kept, a deterministic and nearly uniform subsample.
 */
export function galleryComparisons(templates: readonly LabelledEmbedding[], maxComparisons = 5_000_000): GalleryComparisons {
  const rows = normalizedRows(templates.map((t) => t.embedding));
  const n = rows.length;
  const totalPairs = (n * (n - 1)) / 2;
  const stride = Math.max(1, Math.ceil(totalPairs / maxComparisons));
  const impostor: number[] = [];
  const genuine: number[] = [];
  let index = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++, index++) {
      if (index % stride !== 0) continue;
      const score = dot(rows[i]!, rows[j]!);
      (templates[i]!.personId === templates[j]!.personId ? genuine : impostor).push(score);
    }
  }
  return { impostorScores: Float64Array.from(impostor), genuineScores: Float64Array.from(genuine), totalPairs, stride };
}

/** Scores of each probe against every template: masked strangers vs the gallery. */
export function probeComparisons(probes: readonly Float32Array[], templates: readonly Float32Array[]): Float64Array {
  const p = normalizedRows(probes);
  const g = normalizedRows(templates);
  const out = new Float64Array(p.length * g.length);
  let k = 0;
  for (const probe of p) for (const template of g) out[k++] = dot(probe, template);
  return out;
}
