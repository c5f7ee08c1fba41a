// The Thresholds page's API: GET /thresholds shows the operating point with its evidence;
// POST /thresholds/calibrate re-runs calibration for a new target and, with apply=true (admin),
// puts the new threshold in force. Previewing (apply=false) changes nothing and needs only read.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

import { ApiError } from '../errors.js';
import { ERROR_RESPONSES, SECURITY } from '../schemas.js';
import { CalibrationOutcome, CalibrationTarget, CalibrationUnavailable, ThresholdView, type ThresholdControl } from './ports.js';

export const thresholdRoutes: FastifyPluginAsyncTypebox<{ thresholds: ThresholdControl }> = async (app, { thresholds }) => {
  const tags = ['console'];
  app.get(
    '/thresholds',
    { config: { access: 'read' }, schema: { tags, security: SECURITY, summary: 'Threshold, calibration record, ROC and score histogram', response: { 200: ThresholdView, ...ERROR_RESPONSES } } },
    async () => thresholds.view(),
  );

  const run = (target: Parameters<ThresholdControl['calibrate']>[0], apply: boolean) => {
    try {
      return thresholds.calibrate(target, apply);
    } catch (err) {
      if (err instanceof CalibrationUnavailable) throw new ApiError('calibration_unavailable', err.message, { reason: err.code });
      throw err;
    }
  };

  app.post(
    '/thresholds/preview',
    {
      config: { access: 'read' },
      schema: { tags, security: SECURITY, summary: 'What calibrating for a target would give; changes nothing', body: CalibrationTarget, response: { 200: CalibrationOutcome, ...ERROR_RESPONSES } },
    },
    async (request) => run(request.body, false),
  );

  app.post(
    '/thresholds/calibrate',
    {
      config: { access: 'admin' },
      schema: { tags, security: SECURITY, summary: 'Re-calibrate for a target and apply the new threshold at once', body: CalibrationTarget, response: { 200: CalibrationOutcome, ...ERROR_RESPONSES } },
    },
    async (request) => run(request.body, true),
  );
};

