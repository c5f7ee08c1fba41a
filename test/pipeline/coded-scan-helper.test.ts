// The helper thread's scan is the main thread's kernel on the helper's own copy: the same rows and
// code dots for the same blocks, whether a block arrived whole or as changed rows; it refuses to
// scan once closed, and a scan already posted still gets its answer.
import { afterEach, describe, expect, it } from 'vitest';
import { CodedScanHelper } from '../../pipeline/coded-scan-helper.js';
import { topRowsByCodeDot } from '../../pipeline/int8-top-rows.js';
import { seededRandom } from '../../synthetic/seeded-random.js';

const DIMENSION = 64;
const BLOCK_ROWS = 1000;

function randomCodes(rows: number, random: () => number): Int8Array<ArrayBuffer> {
  return Int8Array.from({ length: rows * DIMENSION }, () => Math.round((random() - 0.5) * 200));
}

describe('CodedScanHelper', () => {
  const open: CodedScanHelper[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((helper) => helper.close()));
  });
  const created = (): CodedScanHelper => {
    const helper = CodedScanHelper.create();
    open.push(helper);
    return helper;
  };

  it('finds what the main thread finds in the same codes, whole blocks and changed rows alike', async () => {
    const random = seededRandom(3);
    const helper = created();
    const blocks = [randomCodes(BLOCK_ROWS, random), randomCodes(600, random)];
    blocks.forEach((codes, block) => helper.putBlock(block, BLOCK_ROWS * DIMENSION, codes.slice()));
    // Rows 5 and 599 of block 1 change after it was sent.
    const changed = randomCodes(2, random);
    blocks[1]!.set(changed.subarray(0, DIMENSION), 5 * DIMENSION);
    blocks[1]!.set(changed.subarray(DIMENSION), 599 * DIMENSION);
    helper.putRows(1, DIMENSION, Int32Array.of(5, 599), changed.slice());
    const probe = randomCodes(1, random);
    const found = await helper.scan(probe, 8, [{ block: 0, rows: BLOCK_ROWS }, { block: 1, rows: 600 }]);
    expect(found).toEqual([topRowsByCodeDot(blocks[0]!, probe, 8), topRowsByCodeDot(blocks[1]!, probe, 8)]);
    // A probe equal to a changed row finds that row first.
    const [[again]] = [await helper.scan(changed.subarray(DIMENSION), 1, [{ block: 1, rows: 600 }])];
    expect(again!.rows).toEqual([599]);
  });

  it('answers a scan posted before it closes, then refuses', async () => {
    const helper = created();
    helper.putBlock(0, BLOCK_ROWS * DIMENSION, randomCodes(BLOCK_ROWS, seededRandom(4)));
    const probe = randomCodes(1, seededRandom(5));
    const inFlight = helper.scan(probe, 3, [{ block: 0, rows: BLOCK_ROWS }]);
    await helper.close();
    expect((await inFlight)[0]!.rows).toHaveLength(3);
    expect(helper.broken?.message).toMatch(/closed/);
    await expect(helper.scan(probe, 3, [{ block: 0, rows: BLOCK_ROWS }])).rejects.toThrow(/closed/);
  });
});
