// The scan kernel of the coded search: the rows of one block with the largest int8 dot product
// with a probe, from usearch's exact (brute-force) search, which uses the CPU's int8 dot-product
// instructions (AVX-512 VNNI here, NEON on a Jetson's Arm cores). One thread per call: usearch's
// own threads gave 2.74 ms against 3.16 for 100,000 rows here, while giving each thread its own
// blocks (coded-scan-helper.ts) gave 1.8. Synchronous: the caller keeps
// blocks small enough (coded-rows.ts) that one call holds the event loop for a couple of ms.
import { createRequire } from 'node:module';

interface UsearchExact {
  exactSearch(dataset: Int8Array, queries: Int8Array, dimensions: number, count: number, metric: 'ip', threads: number): { keys: BigUint64Array; distances: Float32Array };
}

// usearch ships CommonJS with prebuilt binaries; loaded once, on first use.
let usearch: UsearchExact | null = null;

export interface TopRows {
  /** Row numbers, 0-based within the codes given, best first. */
  readonly rows: number[];
  /** Their code dot products (integers). */
  readonly dots: number[];
}

/**
 * The `count` rows whose codes have the largest dot product with `probe`, best first. `codes`
 * must start at the beginning of its buffer (usearch reads from the buffer's start) and hold
 * whole rows of `probe.length` values.
 */
export function topRowsByCodeDot(codes: Int8Array, probe: Int8Array, count: number): TopRows {
  const dimension = probe.length;
  if (codes.byteOffset !== 0) throw new RangeError('topRowsByCodeDot: the codes must start at the beginning of their buffer');
  if (dimension === 0 || codes.length % dimension !== 0) throw new RangeError(`topRowsByCodeDot: ${codes.length} codes are not whole rows of ${dimension}`);
  const rows = codes.length / dimension;
  const wanted = Math.min(count, rows);
  if (wanted < 1) return { rows: [], dots: [] };
  usearch ??= createRequire(import.meta.url)('usearch') as UsearchExact;
  const { keys, distances } = usearch.exactSearch(codes, probe, dimension, wanted, 'ip', 1);
  // usearch's inner-product distance is 1 - dot, computed in integers: |dot| ≤ 512 x 127 x 127
  // is below 2^24, so the float32 distance holds it exactly (checked in test/pipeline/int8-top-rows.test.ts).
  return { rows: Array.from(keys, Number), dots: Array.from(distances, (distance) => 1 - distance) };
}
