// A threshold holds for the model(s) it was measured on. After `model.embedder` or `model.pad`
// changes (an upgrade that ships another model, a site's own), a calibrated threshold says nothing
// about the new scores until `maskgate calibrate` runs again: say so at start, once, loudly.
import type { Logger } from 'pino';
import type { Config } from '../firmware-config/schema.js';

export interface LoadedModelIds {
  readonly embedder: string;
  readonly pad: string;
}

/** One warning per calibration record that names other models than the ones loaded. */
export function warnOnStaleCalibrations(config: Pick<Config, 'matching' | 'pad'>, loaded: LoadedModelIds, logger: Pick<Logger, 'warn'>): void {
  const matchingFor = config.matching.calibration?.modelId;
  if (matchingFor !== undefined && matchingFor !== loaded.embedder) {
    logger.warn({ calibratedFor: matchingFor, loaded: loaded.embedder }, 'matching thresholds were calibrated for another embedding model: run maskgate calibrate again');
  }
  const padFor = config.pad.calibration?.modelId;
  if (padFor !== undefined && padFor !== loaded.pad) {
    logger.warn({ calibratedFor: padFor, loaded: loaded.pad }, 'pad.threshold was calibrated for other PAD models: run maskgate calibrate --pad again');
  }
}
