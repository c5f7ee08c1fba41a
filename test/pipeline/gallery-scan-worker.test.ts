// The decision path's scanner on a worker thread: same answers as the synchronous scan, the
// event loop keeps turning while it scans, a change to the gallery is seen by the next scan (the
// worker's private copy is refreshed), and rows outside shared memory still work.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerGalleryScanner } from '../../pipeline/gallery-scan-worker.js';
import { GalleryMatcher } from '../../pipeline/matcher.js';
import { seededRandom } from '../../synthetic/seeded-random.js';

const DIM = 128;

function matcherOf(faces: number, sharedRows: boolean, seed = 3): GalleryMatcher {
  const random = seededRandom(seed);
  const matcher = new GalleryMatcher({ modelId: 'm', dimension: DIM, sharedRows, initialCapacity: faces });
  for (let i = 0; i < faces; i++) {
    matcher.add({ faceId: `f${i}`, personId: `p${i % (faces / 2)}`, embedding: Float32Array.from({ length: DIM }, () => random() - 0.5) });
  }
  return matcher;
}

describe('WorkerGalleryScanner', () => {
  let scanner: WorkerGalleryScanner;
  beforeAll(() => {
    scanner = WorkerGalleryScanner.create();
  });
  afterAll(async () => {
    await scanner.close();
  });

  it('answers what the synchronous scan answers, over shared and private rows', async () => {
    for (const shared of [true, false]) {
      const matcher = matcherOf(2000, shared);
      const random = seededRandom(9);
      const probes = Array.from({ length: 4 }, () => Float32Array.from({ length: DIM }, () => random() - 0.5));
      const batched = await matcher.searchBatch(probes, 3, scanner);
      probes.forEach((probe, i) => expect(batched[i]!.map((m) => m.faceId)).toEqual(matcher.search(probe, 3).map((m) => m.faceId)));
    }
  });

  it('lets the event loop turn while it scans', async () => {
    const matcher = matcherOf(100_000, true);
    const probe = Float32Array.from({ length: DIM }, (_, i) => (i % 7) - 3);
    let turns = 0;
    let scanning = true;
    const spin = () => {
      turns++;
      if (scanning) setImmediate(spin);
    };
    setImmediate(spin);
    await matcher.searchBatch([probe], 1, scanner);
    scanning = false;
    expect(turns).toBeGreaterThan(1);
  });

  it('sees a face added or removed since the last scan', async () => {
    const matcher = matcherOf(1000, true);
    const probe = Float32Array.from({ length: DIM }, (_, i) => (i % 2 ? 1 : -1));
    await matcher.searchBatch([probe], 1, scanner); // the worker now holds a copy
    matcher.add({ faceId: 'exact', personId: 'newcomer', embedding: probe });
    expect((await matcher.searchBatch([probe], 1, scanner))[0]![0]).toMatchObject({ personId: 'newcomer', faceId: 'exact' });
    matcher.removePerson('newcomer');
    expect((await matcher.searchBatch([probe], 1, scanner))[0]![0]!.personId).not.toBe('newcomer');
  });
});
