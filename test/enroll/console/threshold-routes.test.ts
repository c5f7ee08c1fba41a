// The Thresholds routes over a stand-in ThresholdControl: who may preview and who may apply, and
// how "too few measurements" reaches the client (422 calibration_unavailable, never a 500).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { CalibrationUnavailable, type CalibrationOutcomeType, type ThresholdControl } from '../../../enroll/console/ports.js';
import { bearer, buildApi, openTestCore, type TestCore } from '../helpers.js';

const calls: { target: unknown; apply: boolean }[] = [];
let unavailable = false;

const control: ThresholdControl = {
  view: () => ({
    operatingPoint: { threshold: 0.35, targetFmr: null, targetFpir: null, measuredFmr: null, fmrUpperBound95: null, measuredFpir: null, fnmr: null },
    byCondition: {
      masked: { threshold: 0.31, condition: 'masked' },
      unmasked: { threshold: 0.35, condition: 'single' },
      unknown: { threshold: 0.35, condition: 'unknown' },
    },
    calibration: null,
    gallery: { people: 0, templates: 0 },
    measurements: { source: 'stand-in', impostorComparisons: 0, genuineComparisons: 0 },
    plots: { roc: null, histogram: null },
  }),
  calibrate: (target, apply): CalibrationOutcomeType => {
    calls.push({ target, apply });
    if (unavailable) throw new CalibrationUnavailable('no_impostor_comparisons', 'No impostor comparisons');
    return {
      applied: apply,
      previousThreshold: 0.35,
      threshold: 0.41,
      targetFmr: 0.01,
      targetFpir: null,
      empiricalFmr: 0.01,
      fmrUpperBound95: 0.02,
      expectedFnmr: null,
      impostorComparisons: 300,
      genuineComparisons: 0,
      warnings: [],
      writtenTo: null,
    };
  },
};

describe('threshold routes', () => {
  let t: TestCore;
  let app: FastifyInstance;
  beforeAll(async () => {
    t = await openTestCore();
    app = buildApi(t, { console: { root: null, thresholds: control } });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await t?.close();
  });

  it('lets any key read and preview, but only an admin apply', async () => {
    expect((await app.inject({ method: 'GET', url: '/thresholds', headers: bearer(t.reader) })).json()).toMatchObject({ operatingPoint: { threshold: 0.35 } });
    const preview = await app.inject({ method: 'POST', url: '/thresholds/preview', headers: bearer(t.reader), payload: { targetFmr: 0.01 } });
    expect(preview.json()).toMatchObject({ applied: false, threshold: 0.41 });
    const refused = await app.inject({ method: 'POST', url: '/thresholds/calibrate', headers: bearer(t.reader), payload: { targetFmr: 0.01 } });
    expect(refused.statusCode).toBe(403);
    const applied = await app.inject({ method: 'POST', url: '/thresholds/calibrate', headers: bearer(t.admin), payload: { targetFpir: 0.05 } });
    expect(applied.json()).toMatchObject({ applied: true });
    expect(calls).toEqual([
      { target: { targetFmr: 0.01 }, apply: false },
      { target: { targetFpir: 0.05 }, apply: true },
    ]);
  });

  it('refuses targets out of range or of both kinds at once', async () => {
    for (const payload of [{ targetFmr: 0 }, { targetFmr: 0.6 }, { targetFpir: 1 }, { targetFmr: 0.01, targetFpir: 0.01 }, {}, { targetFmr: '0.01' }]) {
      const response = await app.inject({ method: 'POST', url: '/thresholds/preview', headers: bearer(t.admin), payload });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe('validation_failed');
    }
  });

  it('answers 422 calibration_unavailable with the reason when there is too little to calibrate on', async () => {
    unavailable = true;
    const response = await app.inject({ method: 'POST', url: '/thresholds/calibrate', headers: bearer(t.admin), payload: { targetFmr: 0.01 } });
    expect(response.statusCode).toBe(422);
    expect(response.json().error).toMatchObject({ code: 'calibration_unavailable', details: { reason: 'no_impostor_comparisons' } });
  });
});
