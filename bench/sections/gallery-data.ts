// Synthetic galleries: random 512-D templates (two faces per person) added through the
// matcher's public API one row at a time into a pre-sized matcher, so a million templates are
// built with no second copy of the rows. A tiny xorshift generator keeps it fast and repeatable.
import type { GalleryMatcher } from '../../pipeline/matcher.js';

export const FACES_PER_PERSON = 2;

/** Deterministic uniform values in [-0.5, 0.5). */
export class Xorshift32 {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }

  next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state / 4294967296 - 0.5;
  }

  fill(target: Float32Array): Float32Array {
    for (let i = 0; i < target.length; i++) target[i] = this.next();
    return target;
  }
}

/** Adds `count` random templates to `matcher` (face ids `f<i>`, person ids `p<i / 2>`). */
export function randomGallery(matcher: GalleryMatcher, count: number, seed: number): void {
  const rng = new Xorshift32(seed);
  const scratch = new Float32Array(matcher.dimension);
  for (let i = 0; i < count; i++) {
    matcher.add({ faceId: `f${i}`, personId: `p${Math.floor(i / FACES_PER_PERSON)}`, embedding: rng.fill(scratch) });
  }
}

/** Random probes: a brute-force scan costs the same wherever the best match is. */
export function randomProbes(dimension: number, count: number, seed: number): Float32Array[] {
  const rng = new Xorshift32(seed);
  return Array.from({ length: count }, () => rng.fill(new Float32Array(dimension)));
}
