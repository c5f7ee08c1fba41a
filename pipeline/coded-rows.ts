// The int8 codes of a matcher's rows (template-codes.ts), kept in step with the float32 rows by
// GalleryRows: same row numbers, same swap-remove. Stored in blocks, each its own ArrayBuffer,
// because the scan kernel (int8-top-rows.ts) reads a typed array from the start of its buffer,
// and because a campus-sized scan yields to the event loop between blocks: a block of 65,536
// rows of 512 values (32 MiB) is scanned in about 2 ms here, so decisions never hold the loop
// longer than that, at any gallery size.
import { encodeRow } from './template-codes.js';

export const CODED_BLOCK_ROWS = 65_536;

export class CodedRows {
  private readonly codeBlocks: Int8Array[] = [];
  private readonly errorBlocks: Float32Array[] = [];
  /**
   * The largest rounding error of any row stored since this gallery was built. Never lowered
   * when a row leaves: an upper bound that stays true is all the scan needs, and the next
   * reload (replaceAll) starts afresh.
   */
  largestError = 0;

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
    }
    const error = encodeRow(template, this.codeBlocks[block]!, offset * this.dimension);
    this.errorBlocks[block]![offset] = error;
    if (error > this.largestError) this.largestError = error;
  }

  /** Row `from`'s codes become row `to`'s (the matcher's swap-remove). */
  move(from: number, to: number): void {
    const source = this.locate(from);
    const target = this.locate(to);
    const dim = this.dimension;
    const codes = this.codeBlocks[source.block]!.subarray(source.offset * dim, (source.offset + 1) * dim);
    this.codeBlocks[target.block]!.set(codes, target.offset * dim);
    this.errorBlocks[target.block]![target.offset] = this.errorBlocks[source.block]![source.offset]!;
  }

  private locate(row: number): { block: number; offset: number } {
    return { block: Math.floor(row / this.blockRows), offset: row % this.blockRows };
  }
}
