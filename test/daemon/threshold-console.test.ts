// The Thresholds page's service over a gallery of known templates: what it measures, what it
// shows, and that a new target is calibrated from those measurements and applied (or only
// previewed), with every shortfall reported rather than hidden.
import { describe, expect, it } from 'vitest';
import { fpirFromFmr } from '../../field-tools/calibration.js';
import { parseConfig } from '../../firmware-config/load.js';
import type { CalibrationRecord, MatchingConfig } from '../../firmware-config/schema.js';
import { CalibrationUnavailable } from '../../enroll/console/ports.js';
import { ThresholdConsole } from '../../daemon/threshold-console.js';

/** A unit vector at `angle` in a plane: the cosine between two of them is cos(difference). */
const at = (angle: number): Float32Array => Float32Array.from([Math.cos(angle), Math.sin(angle), 0, 0]);

function service(templates: { personId: string; embedding: Float32Array }[], threshold = 0.5) {
  let matching: MatchingConfig = { ...parseConfig({}).matching, threshold };
  const applied: { threshold: number; record: CalibrationRecord }[] = [];
  const thresholds = new ThresholdConsole({
    gallery: { modelId: 'm1', currentTemplates: () => templates.map((t, k) => ({ faceId: `f${k}`, ...t })) },
    matching: () => matching,
    apply: (t, record) => {
      applied.push({ threshold: t, record });
      matching = { ...matching, threshold: t, calibration: record };
      return '/etc/maskgate/config.json';
    },
    now: () => new Date('2026-12-05T00:00:00Z'),
  });
  return { thresholds, applied, matching: () => matching };
}

// Four people, the first two with two templates each: 15 pairs, 2 genuine and 13 impostor.
const GALLERY = [
  { personId: 'a', embedding: at(0) },
  { personId: 'a', embedding: at(0.3) },
  { personId: 'b', embedding: at(1.2) },
  { personId: 'b', embedding: at(1.45) },
  { personId: 'c', embedding: at(2.4) },
  { personId: 'd', embedding: at(3.1) },
];

describe('ThresholdConsole', () => {
  it('measures the operating point on the enrolled templates and draws ROC and histogram', () => {
    const { thresholds } = service(GALLERY, 0.5);
    const view = thresholds.view();
    expect(view.gallery).toEqual({ people: 4, templates: 6 });
    expect(view.measurements).toMatchObject({ impostorComparisons: 13, genuineComparisons: 2 });
    // Impostor cosines >= 0.5: a1-b1 cos(0.9)=0.62, a0-b0 cos(1.2)=0.36 no, b1-c cos(0.95)=0.58, b0-c cos(1.2) no, c-d cos(0.7)=0.76.
    expect(view.operatingPoint.measuredFmr).toBeCloseTo(3 / 13, 10);
    expect(view.operatingPoint.fnmr).toBe(0); // both genuine pairs score cos(0.3), cos(0.25) > 0.5
    expect(view.operatingPoint.measuredFpir).toBeCloseTo(fpirFromFmr(3 / 13, 6), 10);
    expect(view.operatingPoint.targetFmr).toBeNull();
    expect(view.plots.roc).toMatch(/^<svg/);
    expect(view.plots.histogram).toMatch(/^<svg/);
  });

  it('shows the threshold each mask flag gets, read-only', () => {
    const plain = service(GALLERY, 0.5).thresholds.view().byCondition;
    expect(plain).toEqual({
      masked: { threshold: 0.5, condition: 'single' },
      unmasked: { threshold: 0.5, condition: 'single' },
      unknown: { threshold: 0.5, condition: 'single' },
    });
    const { thresholds, matching } = service(GALLERY, 0.5);
    const perCondition = new ThresholdConsole({
      gallery: { modelId: 'm1', currentTemplates: () => [] },
      matching: () => ({ ...matching(), thresholds: { masked: 0.42, unmasked: 0.55 } }),
      apply: () => null,
    }).view().byCondition;
    expect(perCondition).toEqual({
      masked: { threshold: 0.42, condition: 'masked' },
      unmasked: { threshold: 0.55, condition: 'unmasked' },
      unknown: { threshold: 0.55, condition: 'unknown' },
    });
    expect(thresholds.view().operatingPoint.threshold).toBe(0.5);
  });

  it('previews a target without applying it', () => {
    const { thresholds, applied, matching } = service(GALLERY, 0.5);
    const outcome = thresholds.calibrate({ targetFmr: 0.1 }, false);
    expect(outcome.applied).toBe(false);
    expect(applied).toHaveLength(0);
    expect(matching().threshold).toBe(0.5);
    // 13 impostors, 10%: at most 1 false match, so the threshold sits just above the 2nd highest (0.62).
    expect(outcome.threshold).toBeCloseTo(Math.cos(0.9) + 1e-6, 5);
    expect(outcome.empiricalFmr).toBeCloseTo(1 / 13, 10);
    expect(outcome.warnings.map((w) => w.code)).toContain('too_few_impostor_comparisons');
  });

  it('applies a calibrated threshold with a full calibration record, and the view follows', () => {
    const { thresholds, applied } = service(GALLERY, 0.5);
    const outcome = thresholds.calibrate({ targetFmr: 0.1 }, true);
    expect(outcome).toMatchObject({ applied: true, previousThreshold: 0.5, writtenTo: '/etc/maskgate/config.json' });
    expect(applied[0]!.threshold).toBe(outcome.threshold);
    expect(applied[0]!.record).toMatchObject({
      targetFmr: 0.1,
      galleryTemplates: 6,
      impostorComparisons: 13,
      genuineComparisons: 2,
      fpirGallerySize: 6,
      modelId: 'm1',
      calibratedAt: '2026-12-05T00:00:00.000Z',
    });
    const view = thresholds.view();
    expect(view.operatingPoint.threshold).toBe(outcome.threshold);
    expect(view.operatingPoint.targetFmr).toBe(0.1);
    expect(view.operatingPoint.targetFpir).toBeCloseTo(fpirFromFmr(0.1, 6), 12);
  });

  it('converts an FPIR target for the current gallery size', () => {
    const { thresholds } = service(GALLERY);
    const outcome = thresholds.calibrate({ targetFpir: 0.3 }, false);
    expect(outcome.targetFpir).toBe(0.3);
    expect(fpirFromFmr(outcome.targetFmr, 6)).toBeCloseTo(0.3, 12);
  });

  it('says why it cannot calibrate a gallery with fewer than two people', () => {
    const { thresholds } = service([{ personId: 'a', embedding: at(0) }, { personId: 'a', embedding: at(0.2) }]);
    expect(() => thresholds.calibrate({ targetFmr: 0.01 }, true)).toThrow(CalibrationUnavailable);
    expect(thresholds.view().plots.roc).toBeNull(); // no impostor pair: no ROC
    const empty = service([]).thresholds;
    expect(() => empty.calibrate({ targetFpir: 0.01 }, false)).toThrow(/gallery is empty/);
    expect(empty.view().plots.histogram).toBeNull();
  });
});
