// The codes follow the float32 rows by row number: set, swap-remove's move, blocks that each
// start their own buffer (the scan kernel needs that), and an error bound that only grows.
import { describe, expect, it } from 'vitest';
import { CodedRows } from '../../pipeline/coded-rows.js';
import { CODE_SCALE } from '../../pipeline/template-codes.js';

const unit = (values: number[]): Float32Array => {
  const norm = Math.hypot(...values);
  return Float32Array.from(values, (v) => v / norm);
};

describe('CodedRows', () => {
  it('stores each row in its block, every block starting its own buffer', () => {
    const rows = new CodedRows(4, 2);
    [unit([1, 0, 0, 0]), unit([0, 1, 0, 0]), unit([0, 0, 1, 0])].forEach((row, i) => rows.set(i, row));
    expect(rows.blockCount(3)).toBe(2);
    expect(Array.from(rows.block(0, 2))).toEqual([127, 0, 0, 0, 0, 127, 0, 0]); // values beyond the clip saturate
    expect(rows.block(1, 1).byteOffset).toBe(0);
    expect(Array.from(rows.block(1, 1))).toEqual([0, 0, 127, 0]);
  });

  it('moves a row across blocks, as the matcher swap-removes', () => {
    const rows = new CodedRows(2, 2);
    rows.set(0, unit([1, 1]));
    rows.set(1, unit([1, -1]));
    rows.set(2, unit([-1, 1]));
    rows.move(2, 0);
    expect(Array.from(rows.block(0, 2))).toEqual([-127, 127, 127, -127]);
  });

  it('keeps the largest rounding error seen, including what clipping cut', () => {
    const rows = new CodedRows(512);
    const small = new Float32Array(512).fill(1 / Math.sqrt(512)); // 0.0442 each: no clipping
    rows.set(0, small);
    const rounding = rows.largestError;
    expect(rounding).toBeLessThan(Math.sqrt(512) / (2 * CODE_SCALE));
    const spike = new Float32Array(512);
    spike[0] = 1; // far beyond the clip: the error is what was cut, 1 - 0.25
    rows.set(1, spike);
    expect(rows.largestError).toBeCloseTo(0.75, 6);
    rows.move(0, 1); // the spike's row is overwritten; the bound stays an upper bound
    expect(rows.largestError).toBeCloseTo(0.75, 6);
  });
});
