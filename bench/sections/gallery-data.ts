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

/**
 * A gallery shaped like face embeddings rather than uniform noise: each person has a random
 * direction and each of their faces lies near it (cosine ≈ 0.8 to it, ≈ 0.64 between a person's
 * two faces), while different people are nearly orthogonal, as a face model's identities are in
 * 512-D. Returns the directions of `keepCentres` people (evenly spread), for genuine probes.
 */
export function clusteredGallery(matcher: GalleryMatcher, count: number, seed: number, keepCentres: number): Float32Array[] {
  const rng = new Xorshift32(seed);
  const dim = matcher.dimension;
  const people = Math.ceil(count / FACES_PER_PERSON);
  const every = Math.max(1, Math.floor(people / Math.max(1, keepCentres)));
  const centre = new Float32Array(dim);
  const face = new Float32Array(dim);
  const kept: Float32Array[] = [];
  for (let i = 0; i < count; i++) {
    const person = Math.floor(i / FACES_PER_PERSON);
    if (i % FACES_PER_PERSON === 0) {
      unitInPlace(rng.fill(centre));
      if (person % every === 0 && kept.length < keepCentres) kept.push(Float32Array.from(centre));
    }
    matcher.add({ faceId: `f${i}`, personId: `p${person}`, embedding: nearby(centre, FACE_SPREAD, rng, face) });
  }
  return kept;
}

// Uniform noise in [-0.5, 0.5) has variance 1/12 per value; scaled by s, a d-dimensional offset has
// squared length d s² / 12, and cos(centre + offset, centre) = 1 / sqrt(1 + d s² / 12).
/** Noise scale (512-D) for cosine 0.8 between a face and its person's direction. */
export const FACE_SPREAD = Math.sqrt((12 * (1 / 0.8 ** 2 - 1)) / 512);
/** Noise scale (512-D) for a masked probe: cosine 0.65 to the direction, ≈ 0.52 to a template. */
export const PROBE_SPREAD = Math.sqrt((12 * (1 / 0.65 ** 2 - 1)) / 512);

/** `centre` (unit) plus uniform noise of scale `spread`, written into `target`. */
export function nearby(centre: Float32Array, spread: number, rng: Xorshift32, target = new Float32Array(centre.length)): Float32Array {
  for (let i = 0; i < centre.length; i++) target[i] = centre[i]! + rng.next() * spread;
  return target;
}

function unitInPlace(v: Float32Array): Float32Array {
  let sum = 0;
  for (const x of v) sum += x * x;
  const scale = 1 / Math.sqrt(sum);
  for (let i = 0; i < v.length; i++) v[i]! *= scale;
  return v;
}
