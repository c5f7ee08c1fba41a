import { describe, expect, it } from 'vitest';
import { landmarkRigidity } from '../../access/landmark-rigidity.js';
import { applyHomography, type Homography } from '../../pipeline/homography.js';
import type { FaceKeypoints } from '../../pipeline/types.js';
import { seededRandom } from '../../synthetic/seeded-random.js';

// A head in 3-D (units: inter-eye distances; z towards the camera): eyes, nose tip forward,
// mouth, ears well behind the face plane.
const HEAD = [
  [-0.5, 0, 0], [0.5, 0, 0], [0, 0.45, 0.45], [0, 0.9, 0.1], [-0.95, 0.2, -0.9], [0.95, 0.2, -0.9],
] as const;

function project(yawDeg: number, pitchDeg: number, noisePx: number, random: () => number): FaceKeypoints {
  const [y, p] = [(yawDeg * Math.PI) / 180, (pitchDeg * Math.PI) / 180];
  const f = 60; // px per inter-eye distance
  return HEAD.map(([x, yy, z]) => {
    const x1 = x * Math.cos(y) + z * Math.sin(y);
    const z1 = -x * Math.sin(y) + z * Math.cos(y);
    const y2 = yy * Math.cos(p) - z1 * Math.sin(p);
    return { x: 320 + f * x1 + noisePx * (random() - 0.5), y: 240 + f * y2 + noisePx * (random() - 0.5) };
  }) as unknown as FaceKeypoints;
}

describe('landmark rigidity', () => {
  it('finds a moving plane rigid and a turning head not', () => {
    const random = seededRandom(3);
    const flat = project(0, 0, 0, random);
    const plane = Array.from({ length: 8 }, (_, t) => {
      const h: Homography = [1 + 0.02 * t, 0.01 * t, 8 * t, -0.01 * t, 1 + 0.02 * t, 3 * t, 0.00005 * t, 0, 1];
      return flat.map((p) => applyHomography(h, p)) as unknown as FaceKeypoints;
    });
    const head = Array.from({ length: 8 }, (_, t) => project(3 * t, t, 0, random));
    const rigid = landmarkRigidity(plane);
    const live = landmarkRigidity(head);
    expect(rigid.nonRigidity!).toBeLessThan(1e-6);
    expect(live.nonRigidity!).toBeGreaterThan(0.02);
  });

  it('gives no evidence when nothing moved: a still head and a still photo look alike', () => {
    const random = seededRandom(4);
    const still = Array.from({ length: 6 }, () => project(0, 0, 0.5, random));
    expect(landmarkRigidity(still).nonRigidity).toBeNull();
    expect(landmarkRigidity([still[0]!])).toMatchObject({ nonRigidity: null, frames: 1 });
  });
});
