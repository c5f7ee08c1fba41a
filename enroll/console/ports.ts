// What the console's routes need from the running appliance, declared here and implemented by
// the daemon (the composition root), so that enroll/ never imports daemon/. Each port is
// optional in the API's dependencies: a bare API (tests, tools) simply has no such page.
import Type, { type Static } from 'typebox';
import type { DecisionMessage } from '../../access/decision-message.js';
import { ThresholdConditionSchema } from '../../access/condition-threshold.js';

/**
 * A decision on the Live page: the message the doors receive, plus, where the site enables it
 * (api.liveThumbnails), a small JPEG of the face as a data URL that exists only in this event.
 */
export type LiveDecisionMessage = DecisionMessage & { readonly thumbnail?: string };

/** Every decision as it is recorded. Returns an unsubscribe function. */
export interface DecisionFeed {
  subscribe(listener: (message: LiveDecisionMessage) => void): () => void;
}

export const RecentError = Type.Object(
  {
    at: Type.String({ format: 'date-time' }),
    component: Type.Union([Type.String(), Type.Null()]),
    message: Type.String(),
  },
  { title: 'RecentError' },
);
export type RecentErrorType = Static<typeof RecentError>;

/** The health page's data: the status summary of the MQTT `status` request, and recent errors. */
export interface ApplianceHealth {
  /** As the `status` request answers it (docs/mqtt.md): cameras, broker, model, outbox, matching. */
  status(): Record<string, unknown>;
  recentErrors(): readonly RecentErrorType[];
}

export const CalibrationTarget = Type.Union(
  [
    Type.Object({ targetFmr: Type.Number({ exclusiveMinimum: 0, maximum: 0.5, description: 'False match rate per comparison' }) }, { additionalProperties: false }),
    Type.Object(
      { targetFpir: Type.Number({ exclusiveMinimum: 0, maximum: 0.99, description: 'False positive identification rate per search over the current gallery' }) },
      { additionalProperties: false },
    ),
  ],
  { title: 'CalibrationTarget' },
);
export type CalibrationTargetType = Static<typeof CalibrationTarget>;

const Rate = Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()]);

export const OperatingPoint = Type.Object({
  threshold: Type.Number(),
  targetFmr: Rate,
  /** FPIR the FMR target means for the current gallery size: 1 - (1 - FMR)^N. */
  targetFpir: Rate,
  /** Measured on the comparisons the appliance holds (see `measurements`). */
  measuredFmr: Rate,
  fmrUpperBound95: Rate,
  measuredFpir: Rate,
  fnmr: Rate,
});

const AppliedThresholdView = Type.Object({
  threshold: Type.Number(),
  condition: ThresholdConditionSchema,
});

/** The threshold each mask flag gets (matching.thresholds; read-only here, set by `maskgate calibrate`). */
export const ConditionThresholdsView = Type.Object(
  { masked: AppliedThresholdView, unmasked: AppliedThresholdView, unknown: AppliedThresholdView },
  { description: "The threshold a decision applies for a masked, an unmasked and an unknown mask flag, and which configured value it is (single: matching.threshold)" },
);

export const ThresholdView = Type.Object(
  {
    operatingPoint: OperatingPoint,
    byCondition: ConditionThresholdsView,
    calibration: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()], { description: 'matching.calibration, as written by the last calibration' }),
    gallery: Type.Object({ people: Type.Integer({ minimum: 0 }), templates: Type.Integer({ minimum: 0 }) }),
    measurements: Type.Object({
      source: Type.String({ description: 'Where the comparison scores come from' }),
      impostorComparisons: Type.Integer({ minimum: 0 }),
      genuineComparisons: Type.Integer({ minimum: 0 }),
    }),
    plots: Type.Object({
      roc: Type.Union([Type.String(), Type.Null()], { description: 'SVG; null without both genuine and impostor comparisons' }),
      histogram: Type.Union([Type.String(), Type.Null()], { description: 'SVG; null without comparisons' }),
    }),
  },
  { title: 'ThresholdView' },
);
export type ThresholdViewType = Static<typeof ThresholdView>;

export const CalibrationOutcome = Type.Object(
  {
    applied: Type.Boolean(),
    previousThreshold: Type.Number(),
    threshold: Type.Number(),
    targetFmr: Type.Number(),
    targetFpir: Rate,
    empiricalFmr: Type.Number(),
    fmrUpperBound95: Type.Number(),
    expectedFnmr: Rate,
    impostorComparisons: Type.Integer({ minimum: 0 }),
    genuineComparisons: Type.Integer({ minimum: 0 }),
    warnings: Type.Array(Type.Object({ code: Type.String(), message: Type.String() })),
    /** Where the new threshold was persisted, or null when it holds until the next restart only. */
    writtenTo: Type.Union([Type.String(), Type.Null()]),
  },
  { title: 'CalibrationOutcome' },
);
export type CalibrationOutcomeType = Static<typeof CalibrationOutcome>;

export type CalibrationFailureCode = 'no_impostor_comparisons' | 'gallery_empty';

export class CalibrationUnavailable extends Error {
  override readonly name = 'CalibrationUnavailable';
  constructor(
    readonly code: CalibrationFailureCode,
    message: string,
  ) {
    super(message);
  }
}

/** The Thresholds page: the operating point and its evidence; re-calibration for a new target. */
export interface ThresholdControl {
  view(): ThresholdViewType;
  /** Re-runs calibration for `target`; applies it to the running appliance when `apply`. Throws CalibrationUnavailable. */
  calibrate(target: CalibrationTargetType, apply: boolean): CalibrationOutcomeType;
}
