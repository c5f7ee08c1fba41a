import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  FTA_SCORE,
  MetricsError,
  operatingPointAtFmr,
  rateCurve,
  rocPoints,
  verificationMetrics,
  type VerificationMetrics,
} from '../../field-tools/metrics.js';

interface VectorCase {
  readonly name: string;
  readonly scores: number[];
  readonly labels: number[];
  /** null stands for +Infinity (a threshold that rejects everything) or an infinite FDR. */
  readonly expected: Record<keyof VerificationMetrics, number | null>;
}

const VECTORS = join(import.meta.dirname, '../vectors/metrics/verification_metrics.json');
const { cases } = JSON.parse(readFileSync(VECTORS, 'utf8')) as { cases: VectorCase[] };

describe('verificationMetrics reproduces the shared Python vectors', () => {
  it('has the vector file with its cases', () => {
    expect(cases.map((c) => c.name)).toEqual(
      expect.arrayContaining(['perfect_separation', 'ties_across_classes', 'inverted', 'seeded_gaussian_3300']),
    );
  });

  it.each(cases)('$name', (c) => {
    const got = verificationMetrics(c.scores, c.labels);
    expect(Object.keys(got).sort()).toEqual(Object.keys(c.expected).sort());
    for (const [key, want] of Object.entries(c.expected)) {
      const value = got[key as keyof VerificationMetrics];
      if (want === null) expect(value, key).toBe(Number.POSITIVE_INFINITY);
      else if (key.endsWith('Threshold')) expect(value, key).toBe(want); // thresholds are data values: exact
      else expect(Math.abs((value as number) - want), `${key}: ${value} vs ${want}`).toBeLessThanOrEqual(1e-9);
    }
  });
});

describe('verificationMetrics conventions', () => {
  it('counts a score equal to the threshold as a match', () => {
    const curve = rateCurve([0.5, 0.5], [1, 0]);
    expect([...curve.thresholds]).toEqual([0.5, Number.POSITIVE_INFINITY]);
    expect([...curve.falseMatches]).toEqual([1, 0]);
    expect([...curve.falseNonMatches]).toEqual([0, 1]);
  });

  it('breaks an exact EER tie by the lowest threshold, not by rounding noise', () => {
    // At t=0.2: FMR 2/4, FNMR 1/3; at t=0.4: FMR 2/4, FNMR 2/3. Both gaps are exactly 1/6, but in
    // doubles |0.5 - 1/3| > |0.5 - 2/3|, so a float comparison would pick 0.4 (EER 7/12).
    const m = verificationMetrics([0.1, 0.5, 0.2, 0.0, 0.4, 0.6, 0.0], [1, 1, 1, 0, 0, 0, 0]);
    expect(m.eerThreshold).toBe(0.2);
    expect(m.eer).toBeCloseTo((0.5 + 1 / 3) / 2, 12);
  });

  it('treats a failure to acquire as a non-match at every threshold', () => {
    const scores = [0.9, 0.8, FTA_SCORE, 0.1, 0.2, FTA_SCORE];
    const labels = [1, 1, 1, 0, 0, 0];
    const curve = rateCurve(scores, labels);
    expect(curve.thresholds[0]).toBe(0.1); // -Infinity is never a candidate
    const m = verificationMetrics(scores, labels);
    expect(m.genuine).toBe(3);
    expect(m.fmr100AchievedFnmr).toBeCloseTo(1 / 3, 12); // the genuine FTA is a false non-match
    expect(m.acc).toBeCloseTo(5 / 6, 12); // the impostor FTA is a correct rejection
    expect(m.fdr).not.toBeNull(); // over acquired scores only
    // AUC ranks FTAs lowest: genuine FTA ties the impostor FTA (0.5) and loses to 0.1 and 0.2.
    expect(m.auc).toBeCloseTo((3 + 3 + 0.5) / 9, 12);
  });

  it('gives FDR null when a class has no acquired score', () => {
    expect(verificationMetrics([FTA_SCORE, 0.3], [1, 0]).fdr).toBeNull();
  });

  it('operatingPointAtFmr picks the lowest threshold under the FMR bound', () => {
    const curve = rateCurve([0.9, 0.7, 0.6, 0.65, 0.3, 0.2, 0.1], [1, 1, 1, 0, 0, 0, 0]);
    expect(operatingPointAtFmr(curve, 0.25)).toEqual({ threshold: 0.6, fmr: 0.25, fnmr: 0, average: 0.125 });
    expect(operatingPointAtFmr(curve, 0).threshold).toBe(0.7);
  });

  it('ROC points are monotone from (1,1) down to (0,0)', () => {
    const { fmr, tar } = rocPoints(rateCurve([0.1, 0.4, 0.35, 0.8, 0.2, 0.9], [0, 0, 1, 1, 0, 1]));
    expect([fmr[0], tar[0]]).toEqual([1, 1]);
    expect([fmr.at(-1), tar.at(-1)]).toEqual([0, 0]);
    for (let k = 1; k < fmr.length; k++) {
      expect(fmr[k]!).toBeLessThanOrEqual(fmr[k - 1]!);
      expect(tar[k]!).toBeLessThanOrEqual(tar[k - 1]!);
    }
  });

  it('rejects bad input with stable codes', () => {
    const code = (f: () => unknown): string => {
      try {
        f();
      } catch (err) {
        expect(err).toBeInstanceOf(MetricsError);
        return (err as MetricsError).code;
      }
      return 'no error';
    };
    expect(code(() => verificationMetrics([0.1, 0.2], [1, 1]))).toBe('one_class');
    expect(code(() => verificationMetrics([0.1, Number.NaN], [1, 0]))).toBe('non_finite');
    expect(code(() => verificationMetrics([0.1, Number.POSITIVE_INFINITY], [1, 0]))).toBe('non_finite');
    expect(code(() => verificationMetrics([0.1, 0.2], [1, 2]))).toBe('bad_label');
    expect(code(() => verificationMetrics([0.1], [1, 0]))).toBe('shape_mismatch');
  });
});
