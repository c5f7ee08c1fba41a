import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FusedPadScorer, fuseAttackProbabilities, openPadScorer } from '../../pipeline/fused-pad-scorer.js';
import { ModelLoadError } from '../../pipeline/execution-providers.js';
import { readImageFile } from '../../pipeline/image.js';
import type { PadScorer } from '../../pipeline/pad-model.js';
import type { Box, RgbImage } from '../../pipeline/types.js';

const PADNET = join(import.meta.dirname, '../../models/padnet/padnet.onnx');
const PADNET_TIGHT = join(import.meta.dirname, '../../models/padnet/padnet-tight.onnx');

/** A scorer that answers fixed scores per face and records whether it was closed. */
class FixedScorer implements PadScorer {
  closed = false;
  constructor(
    readonly modelId: string,
    private readonly scores: number[],
  ) {}
  score(faces: readonly { readonly image: RgbImage; readonly box: Box }[]): Promise<number[]> {
    return Promise.resolve(faces.map((_, i) => this.scores[i]!));
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

const face = { image: { width: 1, height: 1, data: new Uint8Array(3) }, box: { x: 0, y: 0, width: 1, height: 1 } };

describe('fuseAttackProbabilities', () => {
  it('is the sigmoid of the mean log-odds', () => {
    expect(fuseAttackProbabilities([0.8])).toBeCloseTo(0.8, 9);
    expect(fuseAttackProbabilities([0.9, 0.1])).toBeCloseTo(0.5, 9);
    // odds 9 and 1: geometric mean 3, probability 0.75 (a plain mean would give 0.7).
    expect(fuseAttackProbabilities([0.9, 0.5])).toBeCloseTo(0.75, 9);
  });

  it('stays finite and ordered when a model is certain', () => {
    const fused = fuseAttackProbabilities([1, 0.2]);
    expect(fused).toBeGreaterThan(0.2);
    expect(fused).toBeLessThan(1);
    expect(fuseAttackProbabilities([0, 0])).toBeGreaterThanOrEqual(0);
    expect(() => fuseAttackProbabilities([])).toThrow(RangeError);
  });
});

describe('FusedPadScorer', () => {
  it('fuses each face over every model, in order, and names every model', async () => {
    const wide = new FixedScorer('wide', [0.9, 0.1]);
    const tight = new FixedScorer('tight', [0.5, 0.1]);
    const fused = new FusedPadScorer([wide, tight]);
    expect(fused.modelId).toBe('wide+tight');
    const [first, second] = await fused.score([face, face]);
    expect(first).toBeCloseTo(0.75, 9);
    expect(second).toBeCloseTo(0.1, 9);
    await fused.close();
    expect(wide.closed && tight.closed).toBe(true);
  });

  it('needs two models to fuse', () => {
    expect(() => new FusedPadScorer([new FixedScorer('one', [])])).toThrow(RangeError);
  });
});

describe.skipIf(!existsSync(PADNET) || !existsSync(PADNET_TIGHT))('the shipped PAD models', () => {
  it('are one context crop and one tight crop, fused by openPadScorer', async () => {
    const cropScale = (path: string): number => (JSON.parse(readFileSync(path.replace(/\.onnx$/, '.json'), 'utf8')) as { cropScale: number }).cropScale;
    expect([cropScale(PADNET), cropScale(PADNET_TIGHT)]).toEqual([2.7, 1.2]);
    const one = await openPadScorer([PADNET]);
    const both = await openPadScorer([PADNET, PADNET_TIGHT]);
    const tight = await openPadScorer([PADNET_TIGHT]);
    try {
      expect(both.modelId).toBe(`${one.modelId}+${tight.modelId}`);
      const image = await readImageFile(join(import.meta.dirname, '../../demo-assets/sample1.jpg'));
      const faces = [{ image, box: { x: image.width * 0.3, y: image.height * 0.2, width: image.width * 0.3, height: image.height * 0.4 } }];
      const [[wide], [fused], [close]] = await Promise.all([one.score(faces), both.score(faces), tight.score(faces)]);
      expect(fused).toBeCloseTo(fuseAttackProbabilities([wide!, close!]), 6);
    } finally {
      await Promise.all([one.close(), both.close(), tight.close()]);
    }
  });

  it('refuses a list with a missing model, naming it', async () => {
    const missing = join(import.meta.dirname, 'no-such-pad.onnx');
    await expect(openPadScorer([PADNET, missing])).rejects.toBeInstanceOf(ModelLoadError);
  });
});
