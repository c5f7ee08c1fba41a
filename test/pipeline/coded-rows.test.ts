// The codes follow the float32 rows by row number: set, swap-remove's move, blocks that each
// start their own buffer (the scan kernel needs that), and an error bound that only grows.
import { describe, expect, it } from 'vitest';
import { CodedRows, type CodedBlockCopy } from '../../pipeline/coded-rows.js';
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

describe('CodedRows copies for a helper thread', () => {
  /** Records what a helper would receive, and applies it to its own copy of the blocks. */
  class RecordingCopy implements CodedBlockCopy {
    mirrorOf: object | null = null;
    readonly sent: string[] = [];
    readonly blocks: Int8Array[] = [];
    putBlock(block: number, blockBytes: number, codes: Int8Array<ArrayBuffer>): void {
      this.sent.push(`block ${block}: ${codes.length} bytes`);
      this.blocks[block] = new Int8Array(blockBytes);
      this.blocks[block].set(codes);
    }
    putRows(block: number, dimension: number, offsets: Int32Array<ArrayBuffer>, codes: Int8Array<ArrayBuffer>): void {
      this.sent.push(`block ${block}: rows ${Array.from(offsets).join(',')}`);
      offsets.forEach((offset, i) => this.blocks[block]!.set(codes.subarray(i * dimension, (i + 1) * dimension), offset * dimension));
    }
  }

  const row = (i: number): Float32Array => unit([Math.cos(i), Math.sin(i), 0.5, (i % 7) - 3]);

  it('sends a block whole first, then only the rows that changed, and whole again past 1,024 changes', () => {
    const rows = new CodedRows(4, 2048);
    for (let i = 0; i < 3000; i++) rows.set(i, row(i));
    const copy = new RecordingCopy();
    rows.mirrorTo([copy]);
    expect(rows.sendBlock(1, 952, copy)).toBe(952 * 4);
    expect(rows.sendBlock(1, 952, copy)).toBe(0); // nothing changed
    rows.set(2100, row(-1));
    rows.move(2999, 2050); // a swap-remove into block 1
    expect(rows.sendBlock(1, 952, copy)).toBe(2 * 4);
    for (let i = 0; i < 1100; i++) rows.set(2048 + i, row(i + 5000));
    rows.sendBlock(1, 1100, copy);
    expect(copy.sent).toEqual(['block 1: 3808 bytes', 'block 1: rows 52,2', 'block 1: 4400 bytes']);
    expect(Array.from(copy.blocks[1]!.subarray(0, 1100 * 4))).toEqual(Array.from(rows.block(1, 1100)));
  });

  it('sends every block whole again to a helper that last held other rows', () => {
    const first = new CodedRows(4, 16);
    const second = new CodedRows(4, 16);
    for (let i = 0; i < 20; i++) {
      first.set(i, row(i));
      second.set(i, row(-i));
    }
    const copy = new RecordingCopy();
    first.mirrorTo([copy]);
    first.sendBlock(1, 4, copy);
    second.mirrorTo([copy]);
    expect(second.sendBlock(1, 4, copy)).toBe(16);
    first.mirrorTo([copy]); // back to the first rows: its copy is gone, so whole again
    expect(first.sendBlock(1, 4, copy)).toBe(16);
    expect(Array.from(copy.blocks[1]!.subarray(0, 16))).toEqual(Array.from(first.block(1, 4)));
  });

  it('sends every block whole again when the blocks are shared out differently', () => {
    const rows = new CodedRows(4, 16);
    for (let i = 0; i < 20; i++) rows.set(i, row(i));
    const copy = new RecordingCopy();
    rows.mirrorTo([copy], 'one helper and this thread');
    expect(rows.sendBlock(1, 4, copy)).toBe(16);
    rows.mirrorTo([copy], 'one helper and this thread');
    expect(rows.sendBlock(1, 4, copy)).toBe(0); // same share-out: its copy is current
    rows.mirrorTo([copy], 'two helpers'); // block 0 may now be this helper's: it has never had it
    expect(rows.sendBlock(0, 16, copy)).toBe(64);
    expect(rows.sendBlock(1, 4, copy)).toBe(16);
  });
});
