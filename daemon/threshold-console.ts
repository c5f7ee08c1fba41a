// The Thresholds page's service: the operating point in force, the evidence behind it, and
// re-calibration for a new target from the measurements the appliance keeps.
//
// What the appliance keeps is its gallery: every enrolled template. Pairs of templates of
// different people are impostor comparisons, pairs of the same person genuine ones, exactly as
// `maskgate calibrate` counts them. Stranger photos (the CLI's --impostors) are not kept on the
// appliance, so a re-calibration here rests on the gallery alone: honest but small, and every
// shortfall (too few comparisons to support the target, no genuine pairs) is reported with the
// result. The full calibration remains `maskgate calibrate` with a stranger set.
import {
  calibrateThreshold,
  clopperPearsonUpper,
  CalibrationError,
  fmrFromFpir,
  fpirFromFmr,
  galleryComparisons,
  type GalleryComparisons,
} from '../field-tools/calibration.js';
import { rateCurve, rocPoints } from '../field-tools/metrics.js';
import { rocSvg, scoreHistogramSvg } from '../field-tools/plots.js';
import type { Gallery } from '../access/gallery.js';
import { thresholdFor } from '../access/condition-threshold.js';
import type { CalibrationRecord, MatchingConfig } from '../firmware-config/schema.js';
import {
  CalibrationUnavailable,
  type CalibrationOutcomeType,
  type CalibrationTargetType,
  type ThresholdControl,
  type ThresholdViewType,
} from '../enroll/console/ports.js';

export const MEASUREMENT_SOURCE = 'enrolled templates: different people as impostors, the same person as genuine (unmasked vs unmasked)';
const METHOD = 'empirical: smallest threshold with measured FMR <= target; impostors: gallery cross-person (console)';

export interface ThresholdConsoleDeps {
  readonly gallery: Pick<Gallery, 'currentTemplates' | 'modelId'>;
  readonly matching: () => MatchingConfig;
  /**
   * Puts a threshold in force now, for every mask condition (per-condition thresholds are
   * removed); returns where it was persisted (the config file) or null.
   */
  readonly apply: (threshold: number, record: CalibrationRecord) => string | null;
  readonly now?: () => Date;
}

interface Measurements {
  readonly comparisons: GalleryComparisons;
  readonly templates: number;
  readonly people: number;
}

const countAtOrAbove = (scores: ArrayLike<number>, t: number): number => {
  let n = 0;
  for (let k = 0; k < scores.length; k++) if (scores[k]! >= t) n++;
  return n;
};

export class ThresholdConsole implements ThresholdControl {
  constructor(private readonly deps: ThresholdConsoleDeps) {}

  private measure(): Measurements {
    const templates = [...this.deps.gallery.currentTemplates()];
    return { comparisons: galleryComparisons(templates), templates: templates.length, people: new Set(templates.map((t) => t.personId)).size };
  }

  view(): ThresholdViewType {
    const matching = this.deps.matching();
    const { comparisons, templates, people } = this.measure();
    const { impostorScores: impostor, genuineScores: genuine } = comparisons;
    const threshold = matching.threshold;
    const targetFmr = matching.calibration?.targetFmr ?? null;
    const falseMatches = countAtOrAbove(impostor, threshold);
    const measuredFmr = impostor.length > 0 ? falseMatches / impostor.length : null;
    const plots = { roc: null as string | null, histogram: null as string | null };
    if (impostor.length + genuine.length > 0) {
      plots.histogram = scoreHistogramSvg({
        genuine: Array.from(genuine),
        impostor: Array.from(impostor),
        title: 'Scores between enrolled templates',
        thresholds: [{ label: 'threshold', value: threshold }],
        width: 640,
        height: 360,
      });
    }
    if (impostor.length > 0 && genuine.length > 0) {
      const scores = [...impostor, ...genuine];
      const labels = [...new Array<number>(impostor.length).fill(0), ...new Array<number>(genuine.length).fill(1)];
      const roc = rocPoints(rateCurve(scores, labels));
      plots.roc = rocSvg({ ...roc, impostor: impostor.length, title: 'ROC on enrolled templates', fmrMarks: targetFmr ? [targetFmr] : [], width: 640, height: 360 });
    }
    return {
      operatingPoint: {
        threshold,
        targetFmr,
        targetFpir: targetFmr !== null && templates > 0 ? fpirFromFmr(targetFmr, templates) : null,
        measuredFmr,
        fmrUpperBound95: impostor.length > 0 ? clopperPearsonUpper(falseMatches, impostor.length) : null,
        measuredFpir: measuredFmr !== null && templates > 0 ? fpirFromFmr(Math.min(measuredFmr, 1 - 1e-16), templates) : null,
        fnmr: genuine.length > 0 ? (genuine.length - countAtOrAbove(genuine, threshold)) / genuine.length : null,
      },
      // Shown, not changed here: the gallery holds no masked probes to calibrate them on.
      byCondition: {
        masked: thresholdFor(threshold, matching.thresholds, true),
        unmasked: thresholdFor(threshold, matching.thresholds, false),
        unknown: thresholdFor(threshold, matching.thresholds, null),
      },
      calibration: (matching.calibration as Record<string, unknown> | undefined) ?? null,
      gallery: { people, templates },
      measurements: { source: MEASUREMENT_SOURCE, impostorComparisons: impostor.length, genuineComparisons: genuine.length },
      plots,
    };
  }

  calibrate(target: CalibrationTargetType, apply: boolean): CalibrationOutcomeType {
    const { comparisons, templates } = this.measure();
    if ('targetFpir' in target && templates === 0) {
      throw new CalibrationUnavailable('gallery_empty', 'The gallery is empty: an FPIR target needs a gallery size; give an FMR target');
    }
    const targetFmr = 'targetFpir' in target ? fmrFromFpir(target.targetFpir, templates) : target.targetFmr;
    let result;
    try {
      result = calibrateThreshold({ impostorScores: comparisons.impostorScores, genuineScores: comparisons.genuineScores, targetFmr });
    } catch (err) {
      if (err instanceof CalibrationError && err.code === 'no_impostor_comparisons') {
        throw new CalibrationUnavailable(
          'no_impostor_comparisons',
          'No impostor comparisons: the gallery needs templates of at least two people (or run `maskgate calibrate` with stranger photos)',
        );
      }
      throw err;
    }
    const targetFpir = templates > 0 ? ('targetFpir' in target ? target.targetFpir : fpirFromFmr(targetFmr, templates)) : null;
    const previousThreshold = this.deps.matching().threshold;
    let writtenTo: string | null = null;
    if (apply) {
      const record: CalibrationRecord = {
        method: METHOD,
        targetFmr,
        ...(targetFpir !== null ? { targetFpir } : {}),
        galleryTemplates: templates,
        impostorComparisons: result.impostorComparisons,
        genuineComparisons: result.genuineComparisons,
        expectedFnmr: result.expectedFnmr,
        fmrUpperBound95: result.fmrUpperBound95,
        empiricalFmr: result.empiricalFmr,
        ...(templates > 0 ? { fpirGallerySize: templates } : {}),
        modelId: this.deps.gallery.modelId,
        calibratedAt: (this.deps.now?.() ?? new Date()).toISOString(),
      };
      writtenTo = this.deps.apply(result.threshold, record);
    }
    return {
      applied: apply,
      previousThreshold,
      threshold: result.threshold,
      targetFmr,
      targetFpir,
      empiricalFmr: result.empiricalFmr,
      fmrUpperBound95: result.fmrUpperBound95,
      expectedFnmr: result.expectedFnmr,
      impostorComparisons: result.impostorComparisons,
      genuineComparisons: result.genuineComparisons,
      warnings: result.warnings.map((w) => ({ code: w.code, message: w.message })),
      writtenTo,
    };
  }
}
