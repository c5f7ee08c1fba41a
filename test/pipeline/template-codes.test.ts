// The int8 codes' error bound is what lets the coded scan prove its answer: it must hold for any
// unit probe and row, clipped values included, and be tight enough to be useful.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { approximateScore, CODE_CLIP, encodeProbe, encodeRow, scoreErrorBound } from '../../pipeline/template-codes.js';

function unit(values: number[]): Float32Array {
  const norm = Math.hypot(...values) || 1;
  return Float32Array.from(values, (v) => v / norm);
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

const vectors = (dimension: number) => fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: dimension, maxLength: dimension }).filter((v) => v.some((x) => Math.abs(x) > 1e-3));

describe('template codes', () => {
  it('report the exact length of their rounding error', () => {
    const row = unit(Array.from({ length: 512 }, (_, i) => Math.sin(i * 1.7)));
    const codes = new Int8Array(512);
    const error = encodeRow(row, codes, 0);
    const decoded = Array.from(codes, (c) => (c * CODE_CLIP) / 127);
    const actual = Math.sqrt(row.reduce((s, v, i) => s + (v - decoded[i]!) ** 2, 0));
    expect(error).toBeGreaterThanOrEqual(actual);
    expect(error).toBeCloseTo(actual, 9);
  });

  it('bound the approximate score of any unit probe and row, clipped values included', () => {
    fc.assert(
      fc.property(vectors(64), vectors(64), (p, r) => {
        const probe = unit(p);
        const row = unit(r); // 64-D unit rows often have values beyond the clip
        const codes = new Int8Array(64);
        const rowError = encodeRow(row, codes, 0);
        const probeCodes = encodeProbe(probe);
        const approx = approximateScore(dot(probeCodes.codes, codes), probeCodes);
        expect(Math.abs(dot(probe, row) - approx)).toBeLessThanOrEqual(scoreErrorBound(rowError, probeCodes));
      }),
      { numRuns: 500 },
    );
  });

  it('are tight on face-like 512-D templates: the bound is a few hundredths', () => {
    let seed = 7;
    const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    const row = unit(Array.from({ length: 512 }, next));
    const probe = unit(Array.from({ length: 512 }, next));
    const rowError = encodeRow(row, new Int8Array(512), 0);
    expect(scoreErrorBound(rowError, encodeProbe(probe))).toBeLessThan(0.03);
  });

  it('keep a zero probe finite', () => {
    const probeCodes = encodeProbe(new Float32Array(8));
    expect(Array.from(probeCodes.codes)).toEqual(new Array(8).fill(0));
    expect(probeCodes.error).toBeLessThan(1e-9);
  });
});
