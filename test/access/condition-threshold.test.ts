import { describe, expect, it } from 'vitest';
import { strictestThreshold, thresholdFor } from '../../access/condition-threshold.js';

describe('thresholdFor: the threshold of the mask condition', () => {
  const both = { masked: 0.3, unmasked: 0.42 };

  it('applies the threshold of the flagged condition', () => {
    expect(thresholdFor(0.35, both, true)).toEqual({ threshold: 0.3, condition: 'masked' });
    expect(thresholdFor(0.35, both, false)).toEqual({ threshold: 0.42, condition: 'unmasked' });
  });

  it('applies the higher of the two when the mask flag is unknown, even if the single threshold is lower or higher', () => {
    expect(thresholdFor(0.35, both, null)).toEqual({ threshold: 0.42, condition: 'unknown' });
    expect(thresholdFor(0.35, { masked: 0.5, unmasked: 0.42 }, null)).toEqual({ threshold: 0.5, condition: 'unknown' });
    // A missing condition stands on the single threshold, which then takes part in the maximum.
    expect(thresholdFor(0.35, { masked: 0.3 }, null)).toEqual({ threshold: 0.35, condition: 'unknown' });
    expect(thresholdFor(0.35, { unmasked: 0.4 }, null)).toEqual({ threshold: 0.4, condition: 'unknown' });
  });

  it('falls back to the single threshold for a condition without its own value', () => {
    expect(thresholdFor(0.35, { masked: 0.3 }, false)).toEqual({ threshold: 0.35, condition: 'single' });
    expect(thresholdFor(0.35, { unmasked: 0.4 }, true)).toEqual({ threshold: 0.35, condition: 'single' });
  });

  it('is the single threshold for every flag when no per-condition threshold is configured (older configs)', () => {
    for (const masked of [true, false, null]) {
      expect(thresholdFor(0.35, undefined, masked)).toEqual({ threshold: 0.35, condition: 'single' });
      expect(thresholdFor(0.35, {}, masked)).toEqual({ threshold: 0.35, condition: 'single' });
    }
  });
});

describe('strictestThreshold: the bar below which the approximate index is confirmed', () => {
  it('is the highest of the site, door and camera thresholds over every mask condition', () => {
    expect(strictestThreshold([{ threshold: 0.35 }])).toBe(0.35);
    expect(strictestThreshold([{ threshold: 0.35, thresholds: { masked: 0.3, unmasked: 0.41 } }])).toBe(0.41);
    expect(strictestThreshold([{ threshold: 0.35 }, { thresholds: { masked: 0.44 } }, { threshold: 0.4 }])).toBe(0.44);
    expect(strictestThreshold([{ threshold: 0.35 }, {}, { threshold: 0.5 }])).toBe(0.5);
  });
});
