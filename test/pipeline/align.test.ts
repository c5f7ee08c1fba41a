import { describe, expect, it } from 'vitest';
import {
  type Affine2x3,
  alignFace,
  alignmentMatrix,
  applyAffine,
  ARCFACE_TEMPLATE_112,
  estimateSimilarity,
  invertAffine,
  warpAffine,
} from '../../pipeline/align.js';
import type { FaceDetection, FaceKeypoints, Point, RgbImage } from '../../pipeline/types.js';

function expectMatrix(actual: Affine2x3, expected: readonly number[], digits = 10): void {
  actual.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, digits));
}

/** R = 2x, G = 3y, B = 100 on a 64x48 image: bilinear sampling of it is exact. */
function gradient(width = 64, height = 48): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 3;
      data[p] = 2 * x;
      data[p + 1] = 3 * y;
      data[p + 2] = 100;
    }
  }
  return { width, height, data };
}

function pixel(img: RgbImage, x: number, y: number): number[] {
  const p = (y * img.width + x) * 3;
  return Array.from(img.data.subarray(p, p + 3));
}

describe('ARCFACE_TEMPLATE_112', () => {
  it('uses the mouth-corner midpoint of the 5-point template', () => {
    expect(ARCFACE_TEMPLATE_112[3]!.x).toBeCloseTo((41.5493 + 70.7299) / 2, 4);
    expect(ARCFACE_TEMPLATE_112[3]!.y).toBeCloseTo((92.3655 + 92.2041) / 2, 4);
  });
});

describe('estimateSimilarity', () => {
  it('recovers a pure scale and translation', () => {
    const src: Point[] = [
      { x: 0, y: 0 },
      { x: 10, y: 0 },
      { x: 3, y: 7 },
      { x: -4, y: 5 },
    ];
    const dst = src.map((p) => ({ x: 2 * p.x + 5, y: 2 * p.y - 3 }));
    expectMatrix(estimateSimilarity(src, dst), [2, 0, 5, 0, 2, -3]);
  });

  it('recovers a 90 degree rotation with scale 2', () => {
    // (1,0) -> (0,2) and (0,1) -> (-2,0): a = 0, b = 2; the origin goes to (3,4).
    const src = [
      { x: 0, y: 0 },
      { x: 1, y: 0 },
      { x: 0, y: 1 },
    ];
    const dst = [
      { x: 3, y: 4 },
      { x: 3, y: 6 },
      { x: 1, y: 4 },
    ];
    expectMatrix(estimateSimilarity(src, dst), [0, -2, 3, 2, 0, 4]);
  });

  it('gives the least-squares fit for inconsistent points', () => {
    // Centred: src (-1,0),(1,0); dst (-1,-0.1),(1,0.1). dot = 2, cross = 0.2, norm = 2.
    const m = estimateSimilarity(
      [
        { x: -1, y: 0 },
        { x: 1, y: 0 },
      ],
      [
        { x: -1, y: 0 },
        { x: 1, y: 0.2 },
      ],
    );
    expectMatrix(m, [1, -0.1, 0, 0.1, 1, 0.1]);
  });

  it('never reflects: a mirrored point set maps by a rotation', () => {
    // Mirror in x. Hand-computed: dot = -4/3, cross = 0, norm = 8/3 -> a = -0.5, b = 0,
    // translation (0, 1/3 + 1/6).
    const src = [
      { x: -1, y: 0 },
      { x: 1, y: 0 },
      { x: 0, y: 1 },
    ];
    const dst = [
      { x: 1, y: 0 },
      { x: -1, y: 0 },
      { x: 0, y: 1 },
    ];
    const m = estimateSimilarity(src, dst);
    expectMatrix(m, [-0.5, 0, 0, 0, -0.5, 0.5]);
    expect(m[0] * m[4] - m[1] * m[3]).toBeGreaterThan(0);
  });

  it('rejects degenerate input', () => {
    expect(() => estimateSimilarity([{ x: 1, y: 1 }], [{ x: 1, y: 1 }])).toThrow(RangeError);
    const same = [
      { x: 1, y: 1 },
      { x: 1, y: 1 },
    ];
    expect(() => estimateSimilarity(same, same)).toThrow(RangeError);
  });
});

describe('invertAffine / applyAffine', () => {
  it('round-trips a point', () => {
    const m: Affine2x3 = [0.8, -0.6, 10, 0.6, 0.8, -4];
    const p = applyAffine(invertAffine(m), applyAffine(m, { x: 7, y: -3 }));
    expect(p.x).toBeCloseTo(7, 12);
    expect(p.y).toBeCloseTo(-3, 12);
  });
});

describe('warpAffine', () => {
  const img = gradient();

  it('reproduces the image under the identity', () => {
    const out = warpAffine(img, [1, 0, 0, 0, 1, 0], img.width, img.height);
    expect(Array.from(out.data)).toEqual(Array.from(img.data));
  });

  it('shifts by a half pixel with exact bilinear values', () => {
    // dst(u, v) = src(u - 2.5, v): R = 2u - 5.
    const out = warpAffine(img, [1, 0, 2.5, 0, 1, 0], 32, 16);
    expect(pixel(out, 10, 3)).toEqual([15, 9, 100]);
    expect(pixel(out, 31, 15)).toEqual([57, 45, 100]);
    // u = 2 samples x = -0.5: half of the pixel at x = 0, half black border.
    expect(pixel(out, 2, 5)).toEqual([0, 8, 50]); // 0.5*(0) | 0.5*15 = 7.5 -> 8 | 0.5*100
    // u = 1 samples x = -1.5: entirely outside.
    expect(pixel(out, 1, 5)).toEqual([0, 0, 0]);
  });

  it('scales by 2 (destination samples half-pixel positions)', () => {
    const out = warpAffine(img, [2, 0, 0, 0, 2, 0], 100, 90);
    // dst(u, v) = src(u/2, v/2): R = u, G = 1.5 v.
    expect(pixel(out, 21, 10)).toEqual([21, 15, 100]);
    expect(pixel(out, 40, 31)).toEqual([40, 47, 100]); // G = 46.5 rounds half up
  });

  it('rotates by 90 degrees', () => {
    // x' = -y + 47, y' = x: the source's left column becomes the top row, reversed.
    const out = warpAffine(img, [0, -1, img.height - 1, 1, 0, 0], img.height, img.width);
    expect([out.width, out.height]).toEqual([48, 64]);
    // dst(u, v) = src(x = v, y = 47 - u).
    expect(pixel(out, 0, 0)).toEqual([0, 141, 100]);
    expect(pixel(out, 47, 0)).toEqual([0, 0, 100]);
    expect(pixel(out, 10, 20)).toEqual([40, 111, 100]);
  });

  it('validates its arguments', () => {
    expect(() => warpAffine(img, [1, 0, 0, 0, 1, 0], 0, 10)).toThrow(RangeError);
    expect(() => warpAffine(img, [0, 0, 0, 0, 0, 0], 10, 10)).toThrow(RangeError);
    expect(() => warpAffine({ width: 2, height: 2, data: new Uint8Array(3) }, [1, 0, 0, 0, 1, 0], 2, 2)).toThrow(RangeError);
  });
});

describe('alignFace', () => {
  it('maps keypoints placed on a scaled template onto the template', () => {
    // Keypoints (continuous coordinates) = 2 * template + (30, 20) + 0.5.
    const kp = ARCFACE_TEMPLATE_112.map((p) => ({ x: 2 * p.x + 30.5, y: 2 * p.y + 20.5 }));
    const keypoints = [...kp, { x: 0, y: 0 }, { x: 0, y: 0 }] as unknown as FaceKeypoints;
    const detection: FaceDetection = { box: { x: 30, y: 20, width: 224, height: 224 }, score: 0.9, keypoints };
    expectMatrix(alignmentMatrix(detection), [0.5, 0, -15, 0, 0.5, -10]);

    const img = gradient(300, 280);
    const face = alignFace(img, detection);
    expect([face.width, face.height]).toEqual([112, 112]);
    expect(face.detection).toBe(detection);
    // dst(u, v) = src(2u + 30, 2v + 20) = src(50, 40) at (10, 10): R = 100, G = 120.
    expect(pixel(face, 10, 10)).toEqual([100, 120, 100]);
  });

  it('scales the template for other crop sizes', () => {
    const kp = ARCFACE_TEMPLATE_112.map((p) => ({ x: p.x + 0.5, y: p.y + 0.5 }));
    const detection: FaceDetection = {
      box: { x: 0, y: 0, width: 112, height: 112 },
      score: 0.9,
      keypoints: [...kp, { x: 0, y: 0 }, { x: 0, y: 0 }] as unknown as FaceKeypoints,
    };
    expectMatrix(alignmentMatrix(detection, 224), [2, 0, 0, 0, 2, 0], 6);
  });
});
