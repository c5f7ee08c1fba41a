import { describe, expect, it } from 'vitest';
import { acquisitionReport, QUALITY_AXES, qualityCurve, type GenuineComparison } from '../../field-tools/acquisition.js';
import type { QualityMeasures } from '../../pipeline/quality.js';

const good: QualityMeasures = { score: 0.9, interEyeDistancePx: 50, sharpness: 200, yawDeg: 5, rollDeg: 0, outOfFrame: 0 };
const axis = (name: string) => QUALITY_AXES.find((a) => a.name === name)!;

describe('acquisitionReport', () => {
  it('counts failures by reason and condition, and warnings of acquired images', () => {
    const r = acquisitionReport([
      { condition: 'tight/masked', ok: false, reasons: ['no_face'], warnings: [] },
      { condition: 'tight/masked', ok: false, reasons: ['pose', 'blurry'], warnings: [] },
      { condition: 'tight/masked', ok: true, reasons: [], warnings: ['out_of_frame'] },
      { condition: 'reference', ok: true, reasons: [], warnings: [] },
    ]);
    expect(r.overall).toMatchObject({ images: 4, failed: 2, rate: 0.5, byReason: { no_face: 1, pose: 1, blurry: 1 }, warned: 1 });
    expect(Object.keys(r.byCondition)).toEqual(['reference', 'tight/masked']);
    expect(r.byCondition['tight/masked']).toMatchObject({ images: 3, failed: 2, warningsByReason: { out_of_frame: 1 } });
    expect(r.byCondition['reference']!.rate).toBe(0);
  });
});

describe('qualityCurve (error versus reject)', () => {
  // 100 genuine comparisons; the 10 with the largest yaw all fail the threshold, the rest pass.
  const comparisons: GenuineComparison[] = Array.from({ length: 100 }, (_, k) => ({
    score: k >= 90 ? 0.1 : 0.6,
    img1: good,
    img2: { ...good, yawDeg: k % 2 ? k * 0.5 : -k * 0.5 },
  }));

  it('falls to zero FNMR once the worst faces of a predictive measure are set aside', () => {
    const c = qualityCurve(comparisons, axis('absYawDeg'), 0.35);
    expect(c.errorVersusReject[0]).toMatchObject({ rejected: 0, fnmr: 0.1 });
    const at10 = c.errorVersusReject.find((p) => p.rejected === 0.1)!;
    expect(at10.fnmr).toBe(0);
    expect(at10.cut).toBeCloseTo(44.5, 6); // faces turned more than this were set aside
    expect(c.bins.find((b) => b.from === 40)).toMatchObject({ comparisons: 20, fnmr: 0.5 }); // yaw 40-49.5
    expect(c.bins.find((b) => b.from === 0)).toMatchObject({ comparisons: 20, fnmr: 0 });
  });

  it('stays flat for a measure that does not predict (ties keep the order of the data)', () => {
    const c = qualityCurve(comparisons, axis('sharpness'), 0.35);
    expect(c.errorVersusReject.every((p) => p.fnmr >= 0.1)).toBe(true);
  });

  it('takes the worse face of a comparison', () => {
    const c = qualityCurve([{ score: 0.6, img1: { ...good, interEyeDistancePx: 12 }, img2: good }], axis('interEyePx'), 0.35);
    expect(c.bins).toEqual([{ from: 10, to: 15, comparisons: 1, meanScore: 0.6, fnmr: 0 }]);
  });
});
