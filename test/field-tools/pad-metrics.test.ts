import { describe, expect, it } from 'vitest';
import { apcerBpcerCurve, operatingPoint, padMetrics, PadMetricsError, thresholdForApcer, type ScoredPresentation } from '../../field-tools/pad-metrics.js';

const bona = (score: number | null, kind = 'unmasked'): ScoredPresentation => ({ score, attack: false, kind });
const attack = (score: number | null, kind: string): ScoredPresentation => ({ score, attack: true, kind });

// 10 prints scored 0.1..1.0, 10 replays 0.55..1.0 step 0.05; bona fide 0.0..0.9 (5 masked, 5 unmasked).
const rows: ScoredPresentation[] = [
  ...Array.from({ length: 10 }, (_, i) => attack((i + 1) / 10, 'print')),
  ...Array.from({ length: 10 }, (_, i) => attack(0.55 + i * 0.05, 'replay')),
  ...Array.from({ length: 10 }, (_, i) => bona(i / 10, i % 2 ? 'masked' : 'unmasked')),
  attack(null, 'print'),
  bona(null),
];

describe('PAD metrics (ISO/IEC 30107-3)', () => {
  it('computes APCER per attack type and its maximum, BPCER overall and per condition, at a threshold', () => {
    const p = operatingPoint(rows, 0.5);
    expect(p.apcerByType).toEqual({ print: 0.4, replay: 0 }); // prints 0.1..0.4 pass as bona fide
    expect(p.apcerMax).toBe(0.4);
    expect(p.bpcer).toBe(0.5); // 0.5..0.9 flagged
    expect(p.bpcerByCondition).toEqual({ unmasked: 0.4, masked: 0.6 });
  });

  it('finds the highest threshold meeting an APCER target for every type (BPCER10)', () => {
    // At most 1 of 10 prints may pass: threshold 0.2 (only 0.1 is below it).
    expect(thresholdForApcer(rows, 0.1)).toBeCloseTo(0.2, 12);
    const m = padMetrics(rows, 0.5);
    expect(m.bpcer10.apcerMax).toBeLessThanOrEqual(0.1);
    expect(m.bpcer10.bpcer).toBeCloseTo(0.8, 12); // bona fide 0.2..0.9
    expect(m.bpcer100.threshold).toBeCloseTo(0.1, 12);
    expect(m.bpcer100.apcerMax).toBe(0);
  });

  it('counts failures to acquire apart from APCER and BPCER', () => {
    const m = padMetrics(rows, 0.5);
    expect([m.attacks, m.ftaAttacks, m.bonaFide, m.ftaBonaFide]).toEqual([21, 1, 11, 1]);
  });

  it('refuses a list without scored attacks or without scored bona fide', () => {
    expect(() => padMetrics([bona(0.1), attack(null, 'print')], 0.5)).toThrow(PadMetricsError);
    expect(() => padMetrics([attack(0.9, 'print')], 0.5)).toThrow(/bona fide/);
  });

  it('traces the APCER–BPCER curve from (0, 1) to (1, 0)', () => {
    const c = apcerBpcerCurve(rows);
    expect([c.apcer[0], c.bpcer[0]]).toEqual([0, 1]);
    expect([c.apcer.at(-1), c.bpcer.at(-1)]).toEqual([1, 0]);
  });
});
