// The TypeScript detector and aligner must keep reproducing the shared vectors that the Python
// trainer is checked against (format: README.md here; regenerate with generate.mjs).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Affine2x3, alignFace, alignmentMatrix, ARCFACE_TEMPLATE_112 } from '../../../pipeline/align.js';
import { BlazeFaceDetector } from '../../../pipeline/detector.js';
import { readImageFile } from '../../../pipeline/image.js';
import type { FaceDetection, FaceKeypoints, RgbImage } from '../../../pipeline/types.js';

const HERE = import.meta.dirname;
const ROOT = join(HERE, '../../..');

interface VectorFace {
  box: { x: number; y: number; width: number; height: number };
  score: number;
  keypoints: [number, number][];
  matrix: [number[], number[]];
  crop: string;
}
interface Vector {
  format: string;
  input: string;
  width: number;
  height: number;
  template: [number, number][];
  cropSize: number;
  faces: VectorFace[];
}

const vectors = readdirSync(HERE)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => ({ file: f, vector: JSON.parse(readFileSync(join(HERE, f), 'utf8')) as Vector }));

function toDetection(f: VectorFace): FaceDetection {
  return { box: f.box, score: f.score, keypoints: f.keypoints.map(([x, y]) => ({ x, y })) as unknown as FaceKeypoints };
}

function meanAbsDiff(a: RgbImage, b: RgbImage): number {
  expect([a.width, a.height]).toEqual([b.width, b.height]);
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += Math.abs(a.data[i]! - b.data[i]!);
  return s / a.data.length;
}

describe('alignment test vectors', () => {
  let detector: BlazeFaceDetector;
  beforeAll(async () => {
    detector = await BlazeFaceDetector.create({ modelPath: join(ROOT, 'models/blazeface/blazeface_back_256.onnx'), intraOpThreads: 1 });
  });
  afterAll(async () => detector.close());

  it('has vectors to check', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(3);
  });

  it.each(vectors)('$file: detection, matrix and crop are reproduced', async ({ vector }) => {
    expect(vector.format).toBe('maskgate-alignment-vector/1');
    expect(vector.template).toEqual(ARCFACE_TEMPLATE_112.map((p) => [p.x, p.y]));
    const image = await readImageFile(join(HERE, vector.input));
    expect([image.width, image.height]).toEqual([vector.width, vector.height]);

    const detections = await detector.detectWithPadding(image);
    expect(detections).toHaveLength(vector.faces.length);
    for (const [i, expected] of vector.faces.entries()) {
      const actual = detections[i]!;
      expect(Math.abs(actual.score - expected.score)).toBeLessThan(0.01);
      actual.keypoints.forEach((p, k) => {
        expect(Math.abs(p.x - expected.keypoints[k]![0])).toBeLessThanOrEqual(0.5);
        expect(Math.abs(p.y - expected.keypoints[k]![1])).toBeLessThanOrEqual(0.5);
      });

      // The matrix is a pure function of the stored keypoints.
      const m: Affine2x3 = alignmentMatrix(toDetection(expected), vector.cropSize);
      [...expected.matrix[0], ...expected.matrix[1]].forEach((v, j) => expect(m[j]).toBeCloseTo(v, 9));

      const stored = await readImageFile(join(HERE, expected.crop));
      // Aligning the stored detection reproduces the stored crop (exactly, barring float noise)...
      expect(meanAbsDiff(alignFace(image, toDetection(expected), vector.cropSize), stored)).toBeLessThan(0.01);
      // ...and the crop from today's detection is within a grey level of it.
      expect(meanAbsDiff(alignFace(image, actual, vector.cropSize), stored)).toBeLessThan(1);
    }
  });
});
