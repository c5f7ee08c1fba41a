// The HNSW index with an exact re-rank: the top-1 of the exact float32 scan, near-duplicate
// people included; a deleted template is never returned, even by a search already in flight;
// faces enrolled while the index builds are not lost; it declines (null) until it is built.
import { afterEach, describe, expect, it } from 'vitest';
import { AnnSearch, type AnnSearchEvent, type AnnSearchOptions } from '../../pipeline/ann-search.js';
import { GalleryMatcher } from '../../pipeline/matcher.js';
import { seededRandom } from '../../synthetic/seeded-random.js';

const DIM = 64;
const OPTIONS: AnnSearchOptions = { connectivity: 16, expansionAdd: 64, expansionSearch: 128, candidates: 32, quantization: 'f32', addThreads: 1, buildBatch: 500 };

type Random = () => number;

function unit(v: Float32Array): Float32Array {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

function around(centre: Float32Array, spread: number, random: Random): Float32Array {
  return unit(centre.map((x) => x + (random() - 0.5) * spread));
}

/** People with a direction each and two faces near it, like a face model's embeddings. */
function galleryOf(people: number, random: Random): { matcher: GalleryMatcher; centres: Float32Array[] } {
  const matcher = new GalleryMatcher({ modelId: 'm', dimension: DIM, initialCapacity: people * 2 });
  const centres = Array.from({ length: people }, () => unit(Float32Array.from({ length: DIM }, () => random() - 0.5)));
  centres.forEach((centre, p) => {
    for (const f of [0, 1]) matcher.add({ faceId: `f${p}-${f}`, personId: `p${p}`, embedding: around(centre, 0.15, random) });
  });
  return { matcher, centres };
}

describe('AnnSearch', () => {
  const open: AnnSearch[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });

  /** A search attached to `matcher`, resolved once its index is built. */
  async function built(matcher: GalleryMatcher, options = OPTIONS): Promise<AnnSearch> {
    let done: (event: AnnSearchEvent) => void = () => {};
    const finished = new Promise<AnnSearchEvent>((resolve) => (done = resolve));
    const search = new AnnSearch(options, (event) => event.state !== 'building' && done(event));
    open.push(search);
    search.attach(matcher);
    expect((await finished).state).toBe('ready');
    return search;
  }

  it('answers the exact scan top-1 for genuine and impostor probes, near-duplicate people included', async () => {
    const random = seededRandom(5);
    const { matcher, centres } = galleryOf(1500, random);
    // Twins: a second person whose faces are almost those of p0 and of p1.
    for (const p of [0, 1]) matcher.add({ faceId: `twin${p}`, personId: `twin-of-p${p}`, embedding: around(centres[p]!, 0.02, random) });
    const search = await built(matcher);
    const probes = [
      ...centres.slice(0, 60).map((c) => around(c, 0.3, random)),
      ...Array.from({ length: 40 }, () => unit(Float32Array.from({ length: DIM }, () => random() - 0.5))),
    ];
    for (const probe of probes) {
      const [viaIndex] = (await search.search(probe, 1))!;
      const [exact] = matcher.search(probe, 1);
      expect(viaIndex!.personId).toBe(exact!.personId);
      expect(viaIndex!.score).toBeCloseTo(exact!.score, 6); // re-ranked in float32, not the index's estimate
    }
  });

  it('never returns a deleted template, even to a search already in flight', async () => {
    const random = seededRandom(8);
    const { matcher, centres } = galleryOf(800, random);
    const search = await built(matcher);
    const probe = around(centres[7]!, 0.2, random);
    expect((await search.search(probe, 1))![0]!.personId).toBe('p7');
    const inFlight = search.search(probe, 3);
    matcher.removePerson('p7');
    expect((await inFlight)!.map((m) => m.personId)).not.toContain('p7');
    matcher.removeFace('f8-0');
    const later = (await search.search(around(centres[8]!, 0.2, random), 5))!;
    expect(later.map((m) => m.faceId)).not.toContain('f8-0');
    expect(later[0]!.faceId).toBe('f8-1');
  });

  it('keeps faces enrolled while it builds', async () => {
    const random = seededRandom(13);
    const { matcher } = galleryOf(1500, random);
    let ready: () => void = () => {};
    const finished = new Promise<void>((resolve) => (ready = resolve));
    const tracked = new AnnSearch(OPTIONS, (event) => event.state === 'ready' && ready());
    open.push(tracked);
    tracked.attach(matcher);
    expect(tracked.state).toBe('building');
    expect(await tracked.search(unit(Float32Array.from({ length: DIM }, () => random() - 0.5)), 1)).toBeNull();
    const late = Array.from({ length: 20 }, (_, i) => ({ faceId: `late${i}`, personId: `late${i}`, embedding: unit(Float32Array.from({ length: DIM }, () => random() - 0.5)) }));
    for (const face of late) matcher.add(face);
    matcher.removeFace('f1499-0'); // deleted before its batch reached the index
    await finished;
    for (const face of late) expect((await tracked.search(face.embedding, 1))![0]!.faceId).toBe(face.faceId);
    expect(tracked.serves(matcher)).toBe(true);
  });

  it('starts again for a replaced gallery and declines until that one is built', async () => {
    const random = seededRandom(21);
    const { matcher } = galleryOf(300, random);
    const search = await built(matcher);
    matcher.replaceAll([{ faceId: 'only', personId: 'solo', embedding: unit(Float32Array.from({ length: DIM }, () => random() - 0.5)) }]);
    expect(search.state).toBe('building');
    expect(await search.search(unit(Float32Array.from({ length: DIM }, () => random() - 0.5)), 1)).toBeNull();
  });

  it('refuses a candidate count that cannot re-rank anything', () => {
    expect(() => new AnnSearch({ ...OPTIONS, candidates: 0 })).toThrow(/candidates/);
  });
});
