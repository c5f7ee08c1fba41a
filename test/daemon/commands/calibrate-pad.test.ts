import { describe, expect, it } from 'vitest';
import { padThreshold } from '../../../daemon/commands/calibrate-pad.js';
import { operatingPoint, type ScoredPresentation } from '../../../field-tools/pad-metrics.js';

// 100 bona fide scores 0.00..0.99; 100 prints 0.30..0.99 (step 0.007); 100 replays 0.50..0.995.
const rows: ScoredPresentation[] = [
  ...Array.from({ length: 100 }, (_, i) => ({ score: i / 100, attack: false, kind: i % 2 ? 'masked' : 'unmasked' })),
  ...Array.from({ length: 100 }, (_, i) => ({ score: 0.3 + i * 0.007, attack: true, kind: 'print' })),
  ...Array.from({ length: 100 }, (_, i) => ({ score: 0.5 + i * 0.005, attack: true, kind: 'replay' })),
  { score: null, attack: true, kind: 'print' },
];

describe('calibrate --pad threshold', () => {
  it('meets a BPCER target on the bona fide scores', () => {
    const { threshold, upperBound95 } = padThreshold(rows, 'bpcer', 0.05, 'empirical');
    expect(operatingPoint(rows, threshold).bpcer).toBeLessThanOrEqual(0.05);
    expect(operatingPoint(rows, threshold - 0.011).bpcer).toBeGreaterThan(0.05); // and is not needlessly high
    expect(upperBound95).toBeGreaterThan(0.05);
  });

  it('meets an APCER target for every attack type: the weakest type sets the threshold', () => {
    const { threshold } = padThreshold(rows, 'apcer', 0.1, 'empirical');
    const at = operatingPoint(rows, threshold);
    expect(at.apcerByType['print']).toBeLessThanOrEqual(0.1);
    expect(at.apcerByType['replay']).toBeLessThanOrEqual(0.1);
    expect(threshold).toBeLessThanOrEqual(0.3 + 10 * 0.007 + 1e-6); // prints set it, not replays
  });

  it('is stricter with the 95% bound than empirically', () => {
    expect(padThreshold(rows, 'apcer', 0.1, 'upper-bound-95').threshold).toBeLessThan(padThreshold(rows, 'apcer', 0.1, 'empirical').threshold);
  });
});
