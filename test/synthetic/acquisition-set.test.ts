import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { readImageFile } from '../../pipeline/image.js';
import type { FaceKeypoints } from '../../pipeline/types.js';
import { ACQUISITION_CONDITIONS, cropRect, renderVariant, variantRecipe } from '../../synthetic/acquisition-set.js';

const ROOT = join(import.meta.dirname, '../..');

describe('acquisition-set recipes', () => {
  it('are reproducible from the seed and differ between photos', () => {
    for (const c of ACQUISITION_CONDITIONS) {
      expect(variantRecipe(c, 7, 3)).toEqual(variantRecipe(c, 7, 3));
      expect(variantRecipe(c, 7, 3)).not.toEqual(variantRecipe(c, 7, 4));
    }
  });

  it('stay within the ranges of the issue: tight 80-100% at 112-200 px, JPEG 30-50, low-res shrunk below 80 px', () => {
    for (let i = 0; i < 300; i++) {
      const tight = variantRecipe('tight', 1, i);
      expect(tight.faceFraction).toBeGreaterThanOrEqual(0.8);
      expect(tight.faceFraction).toBeLessThanOrEqual(1);
      expect(tight.outputSize).toBeGreaterThanOrEqual(112);
      expect(tight.outputSize).toBeLessThanOrEqual(200);
      const jpeg = variantRecipe('jpeg', 1, i);
      expect(jpeg.jpegQuality).toBeGreaterThanOrEqual(30);
      expect(jpeg.jpegQuality).toBeLessThanOrEqual(50);
      const combined = variantRecipe('combined', 1, i);
      expect(combined.lowResSize).toBeLessThan(combined.outputSize);
      expect(combined.lowResSize).toBeLessThanOrEqual(80);
    }
  });

  it('crops a square whose side makes the face box the asked fraction', () => {
    const face = { x: 70, y: 80, width: 100, height: 90 };
    const r = cropRect(face, { ...variantRecipe('tight', 1, 0), faceFraction: 0.8, shiftX: 0, shiftY: 0 });
    expect(r.side).toBe(125);
    // Centred on the face box to within the rounding of whole pixels.
    expect(Math.abs(r.left + r.side / 2 - 120)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(r.top + r.side / 2 - 125)).toBeLessThanOrEqual(0.5);
  });
});

describe('renderVariant', () => {
  it('writes a JPEG of the recipe size, masked and unmasked from the same crop, black where it leaves the photo', async () => {
    const photo = await readImageFile(join(ROOT, 'demo-assets/sample6.jpg'));
    // A face in the photo's top-left corner so that the crop leaves the photo.
    const box = { x: -20, y: -20, width: 120, height: 120 };
    const keypoints = [
      { x: 15, y: 20 },
      { x: 60, y: 20 },
      { x: 38, y: 45 },
      { x: 38, y: 70 },
      { x: -10, y: 30 },
      { x: 90, y: 30 },
    ] as unknown as FaceKeypoints;
    const recipe = { ...variantRecipe('tight', 1, 0), outputSize: 150, shiftX: 0, shiftY: 0, faceFraction: 0.8 };
    const plain = await sharp(await renderVariant(photo, { box, keypoints }, recipe, null)).raw().toBuffer({ resolveWithObject: true });
    const masked = await sharp(await renderVariant(photo, { box, keypoints }, recipe, '#303030')).raw().toBuffer({ resolveWithObject: true });
    expect([plain.info.width, plain.info.height, plain.info.format]).toEqual([150, 150, 'raw']);
    expect(plain.data[0]! + plain.data[1]! + plain.data[2]!).toBeLessThan(30); // padded corner
    let differing = 0;
    for (let i = 0; i < plain.data.length; i++) if (Math.abs(plain.data[i]! - masked.data[i]!) > 40) differing++;
    expect(differing / plain.data.length).toBeGreaterThan(0.05);
  });
});
