// The best crop of a track: a face that passed the quality gate beats one that did not, a larger
// face beats a smaller one; a take hands it over once and forgets it.
import { describe, expect, it } from 'vitest';
import { BestFaceCrops } from '../../daemon/best-face-crops.js';
import type { AlignedFace, QualityReport } from '../../pipeline/types.js';

const face = (fill: number): AlignedFace => ({
  width: 112,
  height: 112,
  data: new Uint8Array(112 * 112 * 3).fill(fill),
  detection: { box: { x: 0, y: 0, width: 50, height: 50 }, score: 0.9, keypoints: [{ x: 0, y: 0 }, { x: 0, y: 0 }, { x: 0, y: 0 }, { x: 0, y: 0 }, { x: 0, y: 0 }, { x: 0, y: 0 }] },
});
const quality = (ok: boolean, interEyeDistancePx: number): QualityReport => ({ ok, reasons: ok ? [] : ['blurry'], interEyeDistancePx, sharpness: 100, yawDeg: 0, rollDeg: 0 });

describe('BestFaceCrops', () => {
  it('keeps a usable face over a larger unusable one, then the larger usable face', () => {
    const crops = new BestFaceCrops();
    const blurryClose = face(1);
    const usableFar = face(2);
    const usableClose = face(3);
    crops.offer('t1', blurryClose, quality(false, 80));
    crops.offer('t1', usableFar, quality(true, 30));
    crops.offer('t1', face(4), quality(false, 90));
    expect(crops.take('t1')).toBe(usableFar);
    crops.offer('t1', usableFar, quality(true, 30));
    crops.offer('t1', usableClose, quality(true, 45));
    crops.offer('t1', face(5), quality(true, 40));
    expect(crops.take('t1')).toBe(usableClose);
  });

  it('hands a crop over once, keeps tracks apart and holds nothing after the take', () => {
    const crops = new BestFaceCrops();
    const a = face(1);
    const b = face(2);
    crops.offer('a', a, quality(true, 30));
    crops.offer('b', b, quality(false, 30));
    expect(crops.size).toBe(2);
    expect(crops.take('b')).toBe(b);
    expect(crops.take('b')).toBeNull();
    expect(crops.take('a')).toBe(a);
    expect(crops.size).toBe(0);
    expect(crops.take('never-seen')).toBeNull();
  });
});
