// The scanning half of the coded search: every block scanned exactly once, by this thread or a
// helper, with the kernel's own answer for it; a late or failed helper's blocks scanned here;
// nothing returned when the rows change while the event loop is released.
import { describe, expect, it } from 'vitest';
import { CodedBlockScan, type BlockTop } from '../../pipeline/coded-block-scan.js';
import type { BlockScanHelper } from '../../pipeline/coded-scan-helper.js';
import { CodedRows } from '../../pipeline/coded-rows.js';
import { topRowsByCodeDot } from '../../pipeline/int8-top-rows.js';
import { seededRandom } from '../../synthetic/seeded-random.js';
import { fakeScanHelper } from './fake-scan-helper.js';

const DIMENSION = 16;
const BLOCK_ROWS = 100;

function randomRows(count: number, seed: number): CodedRows {
  const random = seededRandom(seed);
  const rows = new CodedRows(DIMENSION, BLOCK_ROWS);
  for (let i = 0; i < count; i++) {
    const row = Float32Array.from({ length: DIMENSION }, () => random() - 0.5);
    const norm = Math.hypot(...row);
    rows.set(i, row.map((v) => v / norm));
  }
  return rows;
}

const probe = Int8Array.from({ length: DIMENSION }, (_, i) => ((i * 37) % 255) - 127);

/** What scanning every block directly gives, block by block. */
function direct(rows: CodedRows, count: number, candidates: number): BlockTop[] {
  return Array.from({ length: rows.blockCount(count) }, (_, block) => ({
    block,
    found: topRowsByCodeDot(rows.block(block, Math.min(BLOCK_ROWS, count - block * BLOCK_ROWS)), probe, candidates),
  }));
}

const byBlock = (tops: readonly BlockTop[] | null): BlockTop[] => [...tops!].sort((a, b) => a.block - b.block);

describe('CodedBlockScan', () => {
  it('scans every block once, here and on the helpers alike, with the kernel’s answer', async () => {
    const rows = randomRows(750, 1); // 8 blocks, the last one part full
    const scan = new CodedBlockScan();
    expect(byBlock(await scan.scan(rows, 750, probe, 5, {}, () => true))).toEqual(direct(rows, 750, 5));
    const [a, b] = [fakeScanHelper(), fakeScanHelper()];
    expect(byBlock(await scan.scan(rows, 750, probe, 5, { helpers: [a.helper, b.helper] }, () => true))).toEqual(direct(rows, 750, 5));
    expect([a.scans, b.scans]).toEqual([[[1, 4, 7]], [[2, 5]]]); // blocks 0, 3 and 6 here
    expect(byBlock(await scan.scan(rows, 750, probe, 5, { helpers: [a.helper, b.helper], scanHere: false }, () => true))).toEqual(direct(rows, 750, 5));
    expect([a.scans[1], b.scans[1]]).toEqual([[0, 2, 4, 6], [1, 3, 5, 7]]);
  });

  it('scans a failed helper’s blocks here, and leaves that helper out from then on', async () => {
    const rows = randomRows(400, 2);
    let failure: Error | null = null;
    const failing: BlockScanHelper = {
      ...fakeScanHelper().helper,
      get broken() {
        return failure;
      },
      scan: () => Promise.reject((failure = new Error('helper thread died'))),
    };
    const other = fakeScanHelper();
    const scan = new CodedBlockScan();
    const layout = { helpers: [failing, other.helper], scanHere: false };
    expect(byBlock(await scan.scan(rows, 400, probe, 3, layout, () => true))).toEqual(direct(rows, 400, 3));
    expect(byBlock(await scan.scan(rows, 400, probe, 3, layout, () => true))).toEqual(direct(rows, 400, 3));
    expect(other.scans).toHaveLength(1); // the second scan ran here alone
  });

  it('does not wait for ever on a helper that never answers, even before it has learnt how long answers take', async () => {
    const rows = randomRows(400, 4);
    const wedged = fakeScanHelper(() => Number.POSITIVE_INFINITY);
    const tops = await new CodedBlockScan().scan(rows, 400, probe, 3, { helpers: [wedged.helper], scanHere: false }, () => true);
    expect(byBlock(tops)).toEqual(direct(rows, 400, 3));
    expect(wedged.scans).toHaveLength(0);
  });

  it('gives up when the rows change while the event loop is released', async () => {
    const rows = new CodedRows(DIMENSION, 16_384);
    const row = new Float32Array(DIMENSION).fill(1 / Math.sqrt(DIMENSION));
    for (let i = 0; i < 70_000; i++) rows.set(i, row);
    let asked = 0;
    // Unchanged when the scan begins; changed by the time this thread first releases the loop
    // (after 65,536 rows).
    const unchanged = (): boolean => asked++ < 1;
    expect(await new CodedBlockScan().scan(rows, 70_000, probe, 3, {}, unchanged)).toBeNull();
    expect(asked).toBe(2);
    expect(await new CodedBlockScan().scan(rows, 70_000, probe, 3, {}, () => true)).toHaveLength(5);
  });
});
