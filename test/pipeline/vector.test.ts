import { describe, expect, it } from 'vitest';
import { dot, l2Norm, l2Normalize } from '../../pipeline/vector.js';

describe('vector maths', () => {
  it('dot sums the products; l2Norm is the Euclidean length', () => {
    expect(dot(Float32Array.from([1, 2, 3]), Float32Array.from([4, -5, 6]))).toBe(12);
    expect(l2Norm(Float32Array.from([3, 4]))).toBe(5);
  });

  it('l2Normalize scales to unit length in place and leaves zero alone', () => {
    const v = Float32Array.from([3, 4]);
    expect(l2Normalize(v)).toBe(v);
    expect(Array.from(v)).toEqual([Math.fround(0.6), Math.fround(0.8)]);
    expect(Array.from(l2Normalize(new Float32Array(3)))).toEqual([0, 0, 0]);
  });
});
