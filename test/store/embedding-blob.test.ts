import { describe, expect, it } from 'vitest';
import { decodeEmbedding, encodeEmbedding } from '../../store/embedding-blob.js';

describe('embedding blobs', () => {
  it('encodes float32 little-endian', () => {
    const blob = encodeEmbedding(new Float32Array([1, -2.5]));
    expect(blob.readFloatLE(0)).toBe(1);
    expect(blob.readFloatLE(4)).toBe(-2.5);
    expect(blob.length).toBe(8);
  });

  it('encodes a view into a larger buffer without leaking its neighbours', () => {
    const backing = new Float32Array([9, 1, 2, 9]);
    const blob = encodeEmbedding(backing.subarray(1, 3));
    expect(Array.from(decodeEmbedding(blob, 2))).toEqual([1, 2]);
  });

  it('decodes from an unaligned buffer', () => {
    const blob = Buffer.alloc(13);
    blob.writeFloatLE(0.5, 1);
    blob.writeFloatLE(-7, 5);
    blob.writeFloatLE(3, 9);
    expect(Array.from(decodeEmbedding(blob.subarray(1), 3))).toEqual([0.5, -7, 3]);
  });

  it('refuses a blob whose length disagrees with the dimension', () => {
    expect(() => decodeEmbedding(Buffer.alloc(10), 3)).toThrow(expect.objectContaining({ code: 'STORE_CORRUPT_ROW' }));
  });
});
