import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { attackProbability, OnnxPadScorer, padCropRect, resampleRect } from '../../pipeline/pad-model.js';
import { readImageFile } from '../../pipeline/image.js';

const MODEL = join(import.meta.dirname, '../../models/padnet/padnet.onnx');

describe('PAD crop', () => {
  it('scales the box about its centre and keeps it inside the image', () => {
    expect(padCropRect({ x: 100, y: 100, width: 40, height: 50 }, { width: 640, height: 480 }, 2)).toEqual({ x: 80, y: 75, width: 80, height: 100 });
    // Near the left edge: shifted right, not cut.
    const r = padCropRect({ x: 5, y: 200, width: 40, height: 40 }, { width: 640, height: 480 }, 2.7);
    expect(r.x).toBe(0);
    expect(r.width).toBeCloseTo(108, 9);
    // A face filling a small image: the scale shrinks to what fits.
    const tight = padCropRect({ x: 10, y: 10, width: 100, height: 100 }, { width: 120, height: 120 }, 2.7);
    expect(tight.width).toBeLessThanOrEqual(119);
    expect(tight.x + tight.width).toBeLessThanOrEqual(119);
  });

  it('resamples a rectangle bilinearly (a uniform image stays uniform, a ramp stays a ramp)', () => {
    const data = new Uint8Array(4 * 4 * 3);
    for (let x = 0; x < 4; x++) for (let y = 0; y < 4; y++) data.set([x * 60, 100, 100], (y * 4 + x) * 3);
    const out = resampleRect({ width: 4, height: 4, data }, { x: 0, y: 0, width: 4, height: 4 }, 8, 8);
    const row = Array.from({ length: 8 }, (_, i) => out.data[i * 3]!);
    expect(row).toEqual([...row].sort((a, b) => a - b));
    expect(out.data[1]).toBe(100);
  });
});

describe('attackProbability', () => {
  it('is 1 - softmax(live)', () => {
    expect(attackProbability([0, 0], 0)).toBeCloseTo(0.5, 12);
    expect(attackProbability([10, -10, -10], 0)).toBeLessThan(1e-6);
    expect(attackProbability([10, -10, -10], 1)).toBeGreaterThan(1 - 1e-6);
  });
});

describe.skipIf(!existsSync(MODEL))('the shipped PAD model', () => {
  it('loads with its sidecar and scores a face in [0, 1]', async () => {
    const scorer = await OnnxPadScorer.create(MODEL);
    try {
      const image = await readImageFile(join(import.meta.dirname, '../../demo-assets/sample1.jpg'));
      const [score] = await scorer.score([{ image, box: { x: image.width * 0.3, y: image.height * 0.2, width: image.width * 0.3, height: image.height * 0.4 } }]);
      expect(score).toBeGreaterThanOrEqual(0);
      expect(score).toBeLessThanOrEqual(1);
    } finally {
      await scorer.close();
    }
  });
});
