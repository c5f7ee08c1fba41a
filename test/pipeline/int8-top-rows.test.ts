// The coded scan's kernel: usearch's exact int8 search must return the rows with the largest
// integer dot product and that dot product itself (its distance is 1 - dot), or the coded scan's
// proof would rest on a wrong premise.
import { describe, expect, it } from 'vitest';
import { topRowsByCodeDot } from '../../pipeline/int8-top-rows.js';
import { seededRandom } from '../../synthetic/seeded-random.js';

function codesOf(random: () => number, length: number): Int8Array {
  return Int8Array.from({ length }, () => Math.round((random() * 2 - 1) * 127));
}

describe('topRowsByCodeDot', () => {
  it('returns the rows with the largest integer dot products, and those products, best first', () => {
    const random = seededRandom(3);
    const dimension = 512;
    const rows = 3000;
    const codes = codesOf(random, rows * dimension);
    for (let trial = 0; trial < 5; trial++) {
      const probe = codesOf(random, dimension);
      const dots = Array.from({ length: rows }, (_, r) => {
        let s = 0;
        for (let i = 0; i < dimension; i++) s += codes[r * dimension + i]! * probe[i]!;
        return s;
      });
      const expected = dots.map((d, r) => [d, r] as const).sort((a, b) => b[0] - a[0]).slice(0, 20);
      const found = topRowsByCodeDot(codes, probe, 20);
      expect(found.dots).toEqual(expected.map(([d]) => d));
      found.rows.forEach((row, i) => expect(dots[row]).toBe(found.dots[i]));
    }
  });

  it('stays exact at the largest dot product 512-D codes can have', () => {
    const codes = new Int8Array(512).fill(127);
    expect(topRowsByCodeDot(codes, new Int8Array(512).fill(127), 1)).toEqual({ rows: [0], dots: [512 * 127 * 127] });
    expect(topRowsByCodeDot(codes, new Int8Array(512).fill(-127), 1).dots).toEqual([-512 * 127 * 127]);
  });

  it('returns every row when fewer than asked, and refuses codes that do not start their buffer', () => {
    const codes = new Int8Array(4 * 8).fill(1);
    expect(topRowsByCodeDot(codes, new Int8Array(8).fill(1), 10).rows).toHaveLength(4);
    expect(() => topRowsByCodeDot(codes.subarray(8), new Int8Array(8), 1)).toThrow(/beginning of their buffer/);
    expect(() => topRowsByCodeDot(codes.subarray(0, 5), new Int8Array(8), 1)).toThrow(/whole rows/);
  });
});
