// Which match threshold a decision uses, from the track's fused mask flag. Masked and unmasked
// probes have different impostor score distributions, so a site calibrated for one false-match
// target needs a different threshold for each condition (`maskgate calibrate` measures both).
// The single `threshold` stays the fallback: for a condition without its own value, and for
// configurations written before per-condition thresholds existed.
import Type, { type Static } from 'typebox';

/** Per-condition thresholds as configured (matching.thresholds, doors[].thresholds); either may be absent. */
export interface ConditionThresholds {
  readonly masked?: number;
  readonly unmasked?: number;
}

/** Which threshold a decision applied; published in the decision message and kept in the audit row. */
export const ThresholdConditionSchema = Type.Union(
  [Type.Literal('masked'), Type.Literal('unmasked'), Type.Literal('unknown'), Type.Literal('single')],
  {
    title:
      'Which threshold was applied. masked/unmasked: the per-condition threshold of the mask flag; ' +
      'unknown: per-condition thresholds are configured but the mask flag is unknown, so the higher of the two; ' +
      'single: the one matching threshold (no per-condition threshold for this condition)',
  },
);
export type ThresholdCondition = Static<typeof ThresholdConditionSchema>;

export interface AppliedThreshold {
  readonly threshold: number;
  readonly condition: ThresholdCondition;
}

export function thresholdFor(threshold: number, byCondition: ConditionThresholds | undefined, masked: boolean | null): AppliedThreshold {
  const forMasked = byCondition?.masked;
  const forUnmasked = byCondition?.unmasked;
  if (forMasked === undefined && forUnmasked === undefined) return { threshold, condition: 'single' };
  if (masked === null) {
    // The mask model failed on every frame: the face may be either. Taking the lower threshold
    // would let the condition with the wider impostor tail through at the other's setting, so
    // the higher one keeps the site's false-match target whichever the face really was.
    return { threshold: Math.max(forMasked ?? threshold, forUnmasked ?? threshold), condition: 'unknown' };
  }
  const own = masked ? forMasked : forUnmasked;
  if (own === undefined) return { threshold, condition: 'single' };
  return { threshold: own, condition: masked ? 'masked' : 'unmasked' };
}

/** Where a threshold can be set: the site's matching section, a door, a camera. */
export interface ThresholdSetting {
  readonly threshold?: number;
  readonly thresholds?: ConditionThresholds;
}

/**
 * The highest threshold any setting may apply, over every mask condition. The approximate index
 * confirms its answers below this with the exact scan, so a near-miss of the index never turns
 * into a denial at the strictest door or condition.
 */
export function strictestThreshold(settings: readonly ThresholdSetting[]): number {
  const values = settings.flatMap((s) => [s.threshold, s.thresholds?.masked, s.thresholds?.unmasked]);
  return Math.max(...values.filter((t): t is number => t !== undefined));
}
