import { describe, expect, it } from 'vitest';
import { FaceScreen } from '../../pipeline/face-screen.js';
import type { AlignedFace, RgbImage } from '../../pipeline/types.js';

const frame: RgbImage = { width: 4, height: 4, data: new Uint8Array(48) };
const face = (x: number): AlignedFace => ({
  width: 112,
  height: 112,
  data: new Uint8Array(112 * 112 * 3),
  detection: { box: { x, y: 0, width: 2, height: 2 }, score: 0.9, keypoints: Array(6).fill({ x, y: 0 }) as unknown as AlignedFace['detection']['keypoints'] },
});

describe('FaceScreen', () => {
  it('gives each face its PAD score and mask flag, in order', async () => {
    const screen = new FaceScreen(
      { modelId: 'p', score: async (faces) => faces.map((f) => f.box.x / 10), close: async () => {} },
      { classify: async (faces) => faces.map((_, i) => i === 0), close: async () => {} },
    );
    expect(await screen.screen(frame, [face(1), face(2)])).toEqual([
      { padScore: 0.1, masked: true },
      { padScore: 0.2, masked: false },
    ]);
  });

  it('turns a model failure into missing evidence for that frame and reports it', async () => {
    const errors: string[] = [];
    const screen = new FaceScreen(
      { modelId: 'p', score: async () => Promise.reject(new Error('PAD session died')), close: async () => {} },
      { classify: async (faces) => faces.map(() => true), close: async () => {} },
      (stage, err) => errors.push(`${stage}: ${err.message}`),
    );
    expect(await screen.screen(frame, [face(1)])).toEqual([{ padScore: null, masked: true }]);
    expect(errors).toEqual(['pad: PAD session died']);
  });
});
