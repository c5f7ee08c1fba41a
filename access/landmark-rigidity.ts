// Temporal evidence for PAD from a track's landmarks: a photo or a screen is a plane, so however
// it is moved, its six BlazeFace keypoints in any frame follow one homography from the first
// frame; a real head turning shows parallax (nose tip and ears move differently from the eyes
// and mouth) that no homography explains. The residual of the best homography, relative to the
// inter-eye distance, is the non-rigidity; it only means something when the face moved enough.
import { applyHomography, fitHomography } from '../pipeline/homography.js';
import type { FaceKeypoints } from '../pipeline/types.js';

export interface RigidityEvidence {
  /** Median over frames of the RMS homography residual / inter-eye distance; null without enough motion. */
  readonly nonRigidity: number | null;
  /** Largest keypoint displacement from the first frame, / inter-eye distance. */
  readonly motion: number;
  readonly frames: number;
}

/** Below this much motion (in inter-eye distances) a still head and a still photo look alike. */
export const MIN_MOTION = 0.05;

const interEye = (k: FaceKeypoints) => Math.hypot(k[1].x - k[0].x, k[1].y - k[0].y);

export function landmarkRigidity(track: readonly FaceKeypoints[]): RigidityEvidence {
  if (track.length < 2) return { nonRigidity: null, motion: 0, frames: track.length };
  const first = track[0]!;
  const scale = interEye(first);
  const residuals: number[] = [];
  let motion = 0;
  for (const k of track.slice(1)) {
    motion = Math.max(motion, ...k.map((p, i) => Math.hypot(p.x - first[i]!.x, p.y - first[i]!.y) / scale));
    const h = fitHomography(first, k);
    if (!h) continue;
    const sq = first.reduce((sum, p, i) => {
      const q = applyHomography(h, p);
      return sum + (q.x - k[i]!.x) ** 2 + (q.y - k[i]!.y) ** 2;
    }, 0);
    residuals.push(Math.sqrt(sq / first.length) / scale);
  }
  residuals.sort((a, b) => a - b);
  const median = residuals.length ? residuals[Math.floor(residuals.length / 2)]! : null;
  return { nonRigidity: motion >= MIN_MOTION ? median : null, motion, frames: track.length };
}
