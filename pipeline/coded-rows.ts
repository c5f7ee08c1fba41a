// The int8 codes of a matcher's rows (template-codes.ts), kept in step with the float32 rows by
// GalleryRows: same row numbers, same swap-remove. Stored in blocks, each its own ArrayBuffer,
// because the scan kernel (int8-top-rows.ts) reads a typed array from the start of its buffer,
// because a campus-sized scan yields to the event loop between blocks, and because blocks are
// what the scanning threads share out (coded-scan-helper.ts): a block of 16,384 rows of 512
// values (8 MiB) is scanned in about 0.5 ms here.
//
// A helper thread scans its own copy of the blocks it owns. CodedRows remembers which rows
// changed since a block was last sent, so a scan first sends just those (or the whole block when
// many changed, or when the helper last held another gallery's rows).
import { encodeRow } from './template-codes.js';

/** Where a block's codes are copied to: a helper thread (CodedScanHelper). */
export interface CodedBlockCopy {
  /** Whose rows the copy holds (set by CodedRows.mirrorTo). */
  mirrorOf: object | null;
  /** Block `block` (`blockBytes` long) holds `codes` from its start. */
  putBlock(block: number, blockBytes: number, codes: Int8Array<ArrayBuffer>): void;
  /** Rows `offsets` of block `block` (`dimension` codes each, in order) are `codes`. */
  putRows(block: number, dimension: number, offsets: Int32Array<ArrayBuffer>, codes: Int8Array<ArrayBuffer>): void;
}

export const CODED_BLOCK_ROWS = 16_384;
/** Above this many changed rows a block is sent whole: one copy beats many small ones. */
const MAX_CHANGED_ROWS = 1024;

export class CodedRows {
  private readonly codeBlocks: Int8Array<ArrayBuffer>[] = [];
  private readonly errorBlocks: Float32Array[] = [];
  /** Per block, the rows changed since it was last sent to its helper ('whole': all of them). */
  private readonly unsent: (Set<number> | 'whole')[] = [];
  /**
   * The largest rounding error of any row stored since this gallery was built. Never lowered
   * when a row leaves: an upper bound that stays true is all the scan needs, and the next
   * reload (replaceAll) starts afresh.
   */
  largestError = 0;
  private mirroredLayout = '';

  constructor(
    readonly dimension: number,
    readonly blockRows = CODED_BLOCK_ROWS,
  ) {
    if (!Number.isInteger(blockRows) || blockRows < 1) throw new RangeError(`blockRows must be a positive integer, got ${blockRows}`);
  }

  /** Blocks that hold the first `rowCount` rows. */
  blockCount(rowCount: number): number {
    return Math.ceil(rowCount / this.blockRows);
  }

  /** How many of the first `rowCount` rows lie in block `index`. */
  rowsInBlock(index: number, rowCount: number): number {
    return Math.min(this.blockRows, rowCount - index * this.blockRows);
  }

  /** Block `index`'s codes for its first `rows` rows: a view from the start of its own buffer. */
  block(index: number, rows: number): Int8Array {
    return this.codeBlocks[index]!.subarray(0, rows * this.dimension);
  }

  /** Encodes the L2-normalised `template` as row `row`. */
  set(row: number, template: Float32Array): void {
    const { block, offset } = this.locate(row);
    while (this.codeBlocks.length <= block) {
      this.codeBlocks.push(new Int8Array(this.blockRows * this.dimension));
      this.errorBlocks.push(new Float32Array(this.blockRows));
      this.unsent.push('whole');
    }
    const error = encodeRow(template, this.codeBlocks[block]!, offset * this.dimension);
    this.errorBlocks[block]![offset] = error;
    if (error > this.largestError) this.largestError = error;
    this.changed(block, offset);
  }

  /** Row `from`'s codes become row `to`'s (the matcher's swap-remove). */
  move(from: number, to: number): void {
    const source = this.locate(from);
    const target = this.locate(to);
    const dim = this.dimension;
    const codes = this.codeBlocks[source.block]!.subarray(source.offset * dim, (source.offset + 1) * dim);
    this.codeBlocks[target.block]!.set(codes, target.offset * dim);
    this.errorBlocks[target.block]![target.offset] = this.errorBlocks[source.block]![source.offset]!;
    this.changed(target.block, target.offset);
  }

  /**
   * Makes these rows the ones `helpers` copy, each block going to the helper that `layout` names
   * (any string that changes when the share-out does): when any of them last held another
   * gallery's rows (a first scan, a reload) or the layout changed, every block is sent whole again.
   */
  mirrorTo(helpers: readonly CodedBlockCopy[], layout = ''): void {
    if (layout === this.mirroredLayout && helpers.every((helper) => helper.mirrorOf === this)) return;
    for (const helper of helpers) helper.mirrorOf = this;
    this.mirroredLayout = layout;
    this.unsent.fill('whole');
  }

  /**
   * Makes `helper`'s copy of block `block` (its first `rows` rows) equal to this one, sending
   * only what changed since it was last sent (mirrorTo first). Returns the bytes of codes sent.
   */
  sendBlock(block: number, rows: number, helper: CodedBlockCopy): number {
    const changed = this.unsent[block]!;
    const dim = this.dimension;
    this.unsent[block] = new Set();
    if (changed === 'whole') {
      helper.putBlock(block, this.blockRows * dim, this.codeBlocks[block]!.slice(0, rows * dim));
      return rows * dim;
    }
    const offsets = Int32Array.from(changed);
    if (offsets.length === 0) return 0;
    const codes = new Int8Array(offsets.length * dim);
    offsets.forEach((offset, i) => codes.set(this.codeBlocks[block]!.subarray(offset * dim, (offset + 1) * dim), i * dim));
    helper.putRows(block, dim, offsets, codes);
    return codes.length;
  }

  private changed(block: number, offset: number): void {
    const rows = this.unsent[block]!;
    if (rows === 'whole') return;
    rows.add(offset);
    if (rows.size > MAX_CHANGED_ROWS) this.unsent[block] = 'whole';
  }

  private locate(row: number): { block: number; offset: number } {
    return { block: Math.floor(row / this.blockRows), offset: row % this.blockRows };
  }
}
