import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxGalleryScanner } from '../../pipeline/gallery-scanner.js';
import { GalleryMatcher, MatcherError, type GalleryScanner, type Match } from '../../pipeline/matcher.js';
import { seededRandom } from '../../synthetic/seeded-random.js';

const DIM = 64;

function vector(random: () => number): Float32Array {
  return Float32Array.from({ length: DIM }, () => random() * 2 - 1);
}

function filledMatcher(faces: number, people: number, seed = 1): GalleryMatcher {
  const random = seededRandom(seed);
  const matcher = new GalleryMatcher({ modelId: 'm', dimension: DIM });
  for (let i = 0; i < faces; i++) matcher.add({ faceId: `face-${i}`, personId: `person-${i % people}`, embedding: vector(random) });
  return matcher;
}

function expectSameMatches(actual: readonly Match[], expected: readonly Match[]): void {
  expect(actual.map((m) => [m.personId, m.faceId])).toEqual(expected.map((m) => [m.personId, m.faceId]));
  actual.forEach((m, i) => expect(m.score).toBeCloseTo(expected[i]!.score, 5));
}

describe('GalleryMatcher.searchBatch with OnnxGalleryScanner', () => {
  let scanner: OnnxGalleryScanner;
  beforeAll(async () => {
    scanner = await OnnxGalleryScanner.create();
  });
  afterAll(async () => {
    await scanner.close();
  });

  it('returns what search returns, for every probe of the batch', async () => {
    const matcher = filledMatcher(500, 170);
    const random = seededRandom(99);
    const probes = Array.from({ length: 5 }, () => vector(random));
    const batch = await matcher.searchBatch(probes, 7, scanner);
    expect(batch).toHaveLength(5);
    batch.forEach((found, p) => expectSameMatches(found, matcher.search(probes[p]!, 7)));
  });

  it('keeps search semantics after removals (free person slots, swapped rows)', async () => {
    const matcher = filledMatcher(60, 20, 3);
    matcher.removePerson('person-4');
    matcher.removeFace('face-10');
    const probe = vector(seededRandom(5));
    const [found] = await matcher.searchBatch([probe], 25, scanner);
    expect(found).toHaveLength(19);
    expectSameMatches(found!, matcher.search(probe, 25));
  });

  it('answers empty galleries and empty batches without scanning', async () => {
    const empty = new GalleryMatcher({ modelId: 'm', dimension: DIM });
    expect(await empty.searchBatch([vector(seededRandom(1))], 3, scanner)).toEqual([[]]);
    expect(await filledMatcher(5, 5).searchBatch([], 3, scanner)).toEqual([]);
  });

  it('rejects bad probes and k with the matcher error codes', async () => {
    const matcher = filledMatcher(5, 5);
    await expect(matcher.searchBatch([new Float32Array(DIM)], 1, scanner)).rejects.toMatchObject({ code: 'MATCHER_ZERO_VECTOR' });
    await expect(matcher.searchBatch([new Float32Array(3)], 1, scanner)).rejects.toMatchObject({ code: 'MATCHER_DIMENSION_MISMATCH' });
    await expect(matcher.searchBatch([vector(seededRandom(2))], 0, scanner)).rejects.toBeInstanceOf(MatcherError);
  });
});

describe('GalleryMatcher.searchBatch with a racing gallery change', () => {
  const exactScanner = (onScan: () => void): GalleryScanner => ({
    async scan(rows, rowCount, dimension, probes, probeCount) {
      const scores = new Float32Array(rowCount * probeCount);
      for (let r = 0; r < rowCount; r++) {
        for (let p = 0; p < probeCount; p++) {
          let dot = 0;
          for (let i = 0; i < dimension; i++) dot += rows[r * dimension + i]! * probes[i * probeCount + p]!;
          scores[r * probeCount + p] = dot;
        }
      }
      onScan();
      return scores;
    },
  });

  it('redoes the search on the changed gallery instead of mixing two', async () => {
    const matcher = filledMatcher(30, 30, 8);
    const probe = vector(seededRandom(4));
    const best = matcher.search(probe, 1)[0]!;
    const [found] = await matcher.searchBatch([probe], 1, exactScanner(() => matcher.removePerson(best.personId)));
    expect(found![0]!.personId).not.toBe(best.personId);
    expectSameMatches(found!, matcher.search(probe, 1));
  });

  it('rejects a scanner that returns the wrong number of scores', async () => {
    const matcher = filledMatcher(4, 4);
    const broken: GalleryScanner = { scan: async () => new Float32Array(1) };
    await expect(matcher.searchBatch([vector(seededRandom(1))], 1, broken)).rejects.toThrow(/scanner returned 1 scores/);
  });
});
