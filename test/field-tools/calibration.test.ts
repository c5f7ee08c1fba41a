import { describe, expect, it } from 'vitest';
import {
  calibrateCondition,
  calibrateThreshold,
  CalibrationError,
  clopperPearsonUpper,
  fmrFromFpir,
  fpirFromFmr,
  galleryComparisons,
  minimumComparisonsFor,
  probeComparisons,
  thresholdAbove,
} from '../../field-tools/calibration.js';
import { FTA_SCORE } from '../../field-tools/metrics.js';

/** P(X <= k) for X ~ Binomial(n, p), summed term by term (independent of the implementation). */
function binomialCdf(k: number, n: number, p: number): number {
  let logTerm = n * Math.log(1 - p);
  let sum = Math.exp(logTerm);
  for (let j = 0; j < k; j++) {
    logTerm += Math.log((n - j) / (j + 1)) + Math.log(p / (1 - p));
    sum += Math.exp(logTerm);
  }
  return sum;
}

describe('FMR and FPIR', () => {
  it('converts with FPIR = 1 - (1 - FMR)^N both ways', () => {
    expect(fpirFromFmr(1e-3, 100)).toBeCloseTo(1 - 0.999 ** 100, 14);
    expect(fpirFromFmr(1e-3, 1)).toBeCloseTo(1e-3, 15);
    expect(fmrFromFpir(fpirFromFmr(2e-4, 500), 500)).toBeCloseTo(2e-4, 15);
    // Small rates: FPIR is about N * FMR.
    expect(fpirFromFmr(1e-7, 1000) / 1e-4).toBeCloseTo(1, 4);
  });

  it('rejects impossible inputs', () => {
    expect(() => fpirFromFmr(1, 10)).toThrow(RangeError);
    expect(() => fmrFromFpir(0.1, 0)).toThrow(RangeError);
    expect(() => fmrFromFpir(0.1, 2.5)).toThrow(RangeError);
  });
});

describe('clopperPearsonUpper', () => {
  it('is 1 - 0.05^(1/n) with no events, about 3/n (rule of three)', () => {
    expect(clopperPearsonUpper(0, 1000)).toBeCloseTo(1 - 0.05 ** (1 / 1000), 15);
    expect(clopperPearsonUpper(0, 30000) * 30000).toBeCloseTo(3, 1);
  });

  it('matches the textbook value for 1 event in 10 trials', () => {
    expect(clopperPearsonUpper(1, 10)).toBeCloseTo(0.3942, 4);
  });

  it('is the p at which k or fewer events have probability 5%', () => {
    for (const [k, n] of [
      [1, 10],
      [5, 200],
      [37, 5000],
      [1000, 1_000_000],
    ] as const) {
      const p = clopperPearsonUpper(k, n);
      expect(p).toBeGreaterThan(k / n);
      expect(binomialCdf(k, n, p)).toBeCloseTo(0.05, 8);
    }
  });

  it('rises with the count and handles the edges', () => {
    expect(clopperPearsonUpper(3, 100)).toBeGreaterThan(clopperPearsonUpper(2, 100));
    expect(clopperPearsonUpper(10, 10)).toBe(1);
    expect(clopperPearsonUpper(0, 0)).toBe(1);
    expect(() => clopperPearsonUpper(11, 10)).toThrow(RangeError);
  });

  it('minimumComparisonsFor is where zero errors first support the target', () => {
    const n = minimumComparisonsFor(1e-3);
    expect(n).toBe(2995);
    expect(clopperPearsonUpper(0, n)).toBeLessThanOrEqual(1e-3);
    expect(clopperPearsonUpper(0, n - 1)).toBeGreaterThan(1e-3);
  });
});

describe('thresholdAbove', () => {
  it('is the next value on the 1e-6 grid strictly above the score', () => {
    expect(thresholdAbove(0.4)).toBe(0.400001);
    expect(thresholdAbove(0.4123456)).toBe(0.412346);
    expect(thresholdAbove(-0.25)).toBe(-0.249999);
    for (const s of [0.1, 0.7, 0.29, 0.57, 1 / 3, 0.123456999]) expect(thresholdAbove(s)).toBeGreaterThan(s);
    expect(thresholdAbove(1.2)).toBe(1);
  });
});

describe('calibrateThreshold', () => {
  const impostors = Array.from({ length: 1000 }, (_, k) => (k + 1) / 1000); // 0.001 .. 1.000

  it('picks the smallest threshold whose measured FMR meets the target (score >= t matches)', () => {
    const r = calibrateThreshold({ impostorScores: impostors, targetFmr: 0.01 });
    // Ten impostors (0.991..1.000) may match; the eleventh highest, 0.990, must not.
    expect(r.threshold).toBe(0.990001);
    expect(r.falseMatches).toBe(10);
    expect(r.empiricalFmr).toBe(0.01);
    // Any threshold at or below 0.990 lets an eleventh impostor match.
    expect(impostors.filter((s) => s >= 0.99).length / impostors.length).toBeGreaterThan(0.01);
    expect(r.fmrUpperBound95).toBeCloseTo(clopperPearsonUpper(10, 1000), 15);
    expect(r.warnings.map((w) => w.code)).toEqual(['bound_above_target', 'no_genuine_comparisons']);
    expect(r.expectedFnmr).toBeNull();
  });

  it('goes above a tie that straddles the allowance', () => {
    const tied = [...Array<number>(20).fill(0.5), ...Array.from({ length: 80 }, (_, k) => k / 1000)];
    const r = calibrateThreshold({ impostorScores: tied, targetFmr: 0.1 });
    expect(r.threshold).toBe(0.500001);
    expect(r.falseMatches).toBe(0);
  });

  it('reports the expected FNMR, counting failures to acquire as non-matches', () => {
    const r = calibrateThreshold({
      impostorScores: impostors,
      genuineScores: [0.995, 0.999, 0.5, FTA_SCORE],
      targetFmr: 0.01,
    });
    expect(r.genuineComparisons).toBe(4);
    expect(r.expectedFnmr).toBe(0.5);
  });

  it('warns when there are too few comparisons for the target (rule of three)', () => {
    const r = calibrateThreshold({ impostorScores: impostors, genuineScores: [0.9], targetFmr: 1e-3 });
    expect(r.falseMatches).toBe(1);
    expect(r.warnings.map((w) => w.code)).toEqual(['too_few_impostor_comparisons']);
    expect(r.warnings[0]!.message).toMatch(/at least 2995/);
  });

  it('the conservative method keeps the 95% upper bound under the target', () => {
    const many = Array.from({ length: 20000 }, (_, k) => Math.sin(k) * 0.3);
    const empirical = calibrateThreshold({ impostorScores: many, targetFmr: 0.01 });
    const conservative = calibrateThreshold({ impostorScores: many, targetFmr: 0.01, method: 'upper-bound-95' });
    expect(empirical.fmrUpperBound95).toBeGreaterThan(0.01);
    expect(conservative.fmrUpperBound95).toBeLessThanOrEqual(0.01);
    expect(conservative.threshold).toBeGreaterThan(empirical.threshold);
    expect(conservative.warnings.map((w) => w.code)).toEqual(['no_genuine_comparisons']);
  });

  it('refuses bad targets and an empty impostor set with stable codes', () => {
    const code = (f: () => unknown): string => {
      try {
        f();
      } catch (err) {
        expect(err).toBeInstanceOf(CalibrationError);
        return (err as CalibrationError).code;
      }
      return 'no error';
    };
    expect(code(() => calibrateThreshold({ impostorScores: [], targetFmr: 0.01 }))).toBe('no_impostor_comparisons');
    expect(code(() => calibrateThreshold({ impostorScores: [0.1], targetFmr: 0 }))).toBe('invalid_target');
    expect(code(() => calibrateThreshold({ impostorScores: [0.1], targetFmr: 0.6 }))).toBe('invalid_target');
    expect(code(() => calibrateThreshold({ impostorScores: [Number.NaN], targetFmr: 0.1 }))).toBe('invalid_scores');
  });
});

describe('gallery comparisons', () => {
  const unit = (k: number): Float32Array => {
    const v = new Float32Array(4);
    v[k % 4] = 2; // not unit length: the stored templates are raw model outputs
    return v;
  };
  const templates = [
    { personId: 'a', embedding: unit(0) },
    { personId: 'a', embedding: unit(0) },
    { personId: 'b', embedding: unit(1) },
    { personId: 'c', embedding: unit(2) },
  ];

  it('scores same-person pairs as genuine and the rest as impostor, as cosines', () => {
    const g = galleryComparisons(templates);
    expect(g.totalPairs).toBe(6);
    expect(g.stride).toBe(1);
    expect([...g.genuineScores]).toEqual([1]);
    expect([...g.impostorScores]).toEqual([0, 0, 0, 0, 0]);
  });

  it('subsamples every stride-th pair beyond the cap', () => {
    const many = Array.from({ length: 100 }, (_, k) => ({ personId: `p${k}`, embedding: unit(k) }));
    const g = galleryComparisons(many, 1000);
    expect(g.totalPairs).toBe(4950);
    expect(g.stride).toBe(5);
    expect(g.impostorScores.length).toBe(990);
  });

  it('compares every probe with every template', () => {
    const scores = probeComparisons([unit(0), unit(1)], templates.map((t) => t.embedding));
    expect([...scores]).toEqual([1, 1, 0, 0, 0, 0, 1, 0]);
  });
});

describe('calibrateCondition: one probe condition by the pooled rule', () => {
  // Two conditions with different impostor tails: masked probes score lower against the
  // (unmasked) gallery than unmasked ones do.
  const spread = (n: number, low: number, high: number) => Array.from({ length: n }, (_, k) => low + ((high - low) * k) / (n - 1));
  const masked = spread(4000, -0.2, 0.3);
  const unmasked = spread(4000, -0.1, 0.45);

  it('gives each condition the threshold of its own impostor tail, by the same rule as the pooled threshold', () => {
    const m = calibrateCondition(masked, 1e-3, 'empirical')!;
    const u = calibrateCondition(unmasked, 1e-3, 'empirical')!;
    expect(m.threshold).toBe(calibrateThreshold({ impostorScores: masked, targetFmr: 1e-3 }).threshold);
    expect(m.threshold).toBeLessThan(u.threshold);
    const pooled = calibrateThreshold({ impostorScores: [...masked, ...unmasked], targetFmr: 1e-3 }).threshold;
    expect(m.threshold).toBeLessThan(pooled);
    expect(u.threshold).toBeGreaterThan(pooled);
    expect(m).toMatchObject({ impostorComparisons: 4000, sufficient: true });
    expect(m.empiricalFmr).toBeLessThanOrEqual(1e-3);
    // The 95% rule is stricter here too.
    expect(calibrateCondition(masked, 1e-3, 'upper-bound-95')!.threshold).toBeGreaterThan(m.threshold);
  });

  it('marks a condition with fewer comparisons than the target needs as insufficient, and has nothing for none', () => {
    const few = calibrateCondition(masked.slice(0, minimumComparisonsFor(1e-3) - 1), 1e-3, 'empirical')!;
    expect(few.sufficient).toBe(false);
    expect(calibrateCondition(masked.slice(0, minimumComparisonsFor(1e-3)), 1e-3, 'empirical')!.sufficient).toBe(true);
    expect(calibrateCondition([], 1e-3, 'empirical')).toBeNull();
  });
});
