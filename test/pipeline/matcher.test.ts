import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodedScanHelper, type BlockScanHelper } from '../../pipeline/coded-scan-helper.js';
import { GalleryMatcher, MatcherError, type CodedSearchOptions, type GalleryEntry, type Match } from '../../pipeline/matcher.js';
import { seededRandom } from '../../synthetic/seeded-random.js';
import { fakeScanHelper } from './fake-scan-helper.js';

function randomVector(random: () => number, dimension: number): Float32Array {
  const v = new Float32Array(dimension);
  for (let i = 0; i < dimension; i++) v[i] = random() * 2 - 1;
  return v;
}

function randomGallery(random: () => number, faces: number, people: number, dimension: number): GalleryEntry[] {
  return Array.from({ length: faces }, (_, i) => ({
    faceId: `face-${i}`,
    personId: `person-${Math.floor(random() * people)}`,
    embedding: randomVector(random, dimension),
  }));
}

/** Straightforward reference: cosine in float64 over every face, best per person, sort, cut. */
function naiveSearch(entries: Iterable<GalleryEntry>, probe: Float32Array, k: number): Match[] {
  const norm = (v: Float32Array) => Math.sqrt(v.reduce((sum, x) => sum + x * x, 0));
  const probeNorm = norm(probe);
  const best = new Map<string, Match>();
  for (const entry of entries) {
    let dot = 0;
    for (let i = 0; i < probe.length; i++) dot += probe[i]! * entry.embedding[i]!;
    const score = dot / (probeNorm * norm(entry.embedding));
    const current = best.get(entry.personId);
    if (!current || score > current.score) best.set(entry.personId, { personId: entry.personId, faceId: entry.faceId, score });
  }
  return [...best.values()].sort((a, b) => b.score - a.score).slice(0, k);
}

function expectSameMatches(actual: Match[], expected: Match[]): void {
  expect(actual.map((m) => [m.personId, m.faceId])).toEqual(expected.map((m) => [m.personId, m.faceId]));
  actual.forEach((match, i) => expect(match.score).toBeCloseTo(expected[i]!.score, 5));
}

describe('GalleryMatcher', () => {
  it.each([
    { dimension: 64, faces: 400, people: 150 },
    { dimension: 37, faces: 120, people: 40 }, // not a multiple of 8: exercises the unrolled loop's tail
  ])('returns exactly the naive top-k people ($dimension-D, $faces faces)', ({ dimension, faces, people }) => {
    const random = seededRandom(dimension);
    const gallery = randomGallery(random, faces, people, dimension);
    const matcher = new GalleryMatcher({ modelId: 'm', dimension, initialCapacity: 1 });
    for (const entry of gallery) matcher.add(entry);
    expect(matcher.size).toBe(faces);
    expect(matcher.personCount).toBe(new Set(gallery.map((e) => e.personId)).size);

    for (let trial = 0; trial < 20; trial++) {
      const probe = randomVector(random, dimension);
      for (const k of [1, 5, 17, 1000]) expectSameMatches(matcher.search(probe, k), naiveSearch(gallery, probe, k));
    }
  });

  it('aggregates per person: one result per person, carrying their best face', () => {
    const matcher = new GalleryMatcher({ modelId: 'm', dimension: 3 });
    matcher.add({ faceId: 'a1', personId: 'ada', embedding: new Float32Array([1, 0, 0]) });
    matcher.add({ faceId: 'a2', personId: 'ada', embedding: new Float32Array([0.8, 0.6, 0]) });
    matcher.add({ faceId: 'a3', personId: 'ada', embedding: new Float32Array([0, 1, 0]) });
    matcher.add({ faceId: 'b1', personId: 'bob', embedding: new Float32Array([0, 0, 1]) });
    matcher.add({ faceId: 'b2', personId: 'bob', embedding: new Float32Array([0.6, 0, 0.8]) });

    const results = matcher.search(new Float32Array([7, 0, 0]), 5); // scale must not matter: cosine
    expect(results.map((m) => m.personId)).toEqual(['ada', 'bob']);
    expect(results[0]).toMatchObject({ faceId: 'a1' });
    expect(results[0]!.score).toBeCloseTo(1, 6);
    expect(results[1]).toMatchObject({ faceId: 'b2' });
    expect(results[1]!.score).toBeCloseTo(0.6, 6);
    expect(matcher.search(new Float32Array([0, 0.1, 0]), 1)).toEqual([
      { personId: 'ada', faceId: 'a3', score: expect.closeTo(1, 6) },
    ]);
  });

  it('stays consistent with a reference through random adds and removals', () => {
    const dimension = 24;
    const random = seededRandom(7);
    const matcher = new GalleryMatcher({ modelId: 'm', dimension, initialCapacity: 2 });
    const reference = new Map<string, GalleryEntry>();
    let nextFace = 0;

    for (let step = 0; step < 600; step++) {
      const roll = random();
      const faceIds = [...reference.keys()];
      if (roll < 0.6 || faceIds.length === 0) {
        const entry = { faceId: `f${nextFace++}`, personId: `p${Math.floor(random() * 30)}`, embedding: randomVector(random, dimension) };
        matcher.add(entry);
        reference.set(entry.faceId, entry);
      } else if (roll < 0.9) {
        const faceId = faceIds[Math.floor(random() * faceIds.length)]!;
        expect(matcher.removeFace(faceId)).toBe(true);
        reference.delete(faceId);
      } else {
        const personId = `p${Math.floor(random() * 30)}`;
        const owned = [...reference.values()].filter((e) => e.personId === personId);
        expect(matcher.removePerson(personId)).toBe(owned.length);
        for (const entry of owned) reference.delete(entry.faceId);
      }

      expect(matcher.size).toBe(reference.size);
      if (step % 10 === 0) {
        const probe = randomVector(random, dimension);
        expectSameMatches(matcher.search(probe, 8), naiveSearch(reference.values(), probe, 8));
        expect(matcher.personCount).toBe(new Set([...reference.values()].map((e) => e.personId)).size);
      }
    }
    for (const faceId of reference.keys()) expect(matcher.has(faceId)).toBe(true);
    expect(matcher.removeFace('never-added')).toBe(false);
    expect(matcher.removePerson('nobody')).toBe(0);
  });

  it('finds each face exactly when probed with its own embedding after removals shuffled the rows', () => {
    const random = seededRandom(99);
    const gallery = randomGallery(random, 50, 50, 16).map((e, i) => ({ ...e, personId: `p${i}` }));
    const matcher = new GalleryMatcher({ modelId: 'm', dimension: 16 });
    matcher.replaceAll(gallery);
    for (let i = 0; i < 50; i += 3) matcher.removeFace(`face-${i}`);
    for (const entry of gallery) {
      const [top] = matcher.search(entry.embedding, 1);
      if (matcher.has(entry.faceId)) {
        expect(top).toMatchObject({ faceId: entry.faceId, personId: entry.personId });
        expect(top!.score).toBeCloseTo(1, 6);
      } else {
        expect(top?.faceId).not.toBe(entry.faceId);
      }
    }
  });

  it('replaceAll swaps the whole gallery, and leaves it untouched when an entry is invalid', () => {
    const matcher = new GalleryMatcher({ modelId: 'm', dimension: 2 });
    matcher.add({ faceId: 'old', personId: 'p', embedding: new Float32Array([1, 0]) });
    matcher.replaceAll([
      { faceId: 'x', personId: 'px', embedding: new Float32Array([0, 1]) },
      { faceId: 'y', personId: 'py', embedding: new Float32Array([1, 1]) },
    ]);
    expect(matcher.size).toBe(2);
    expect(matcher.has('old')).toBe(false);

    const bad = [
      { faceId: 'z', personId: 'pz', embedding: new Float32Array([1, 0]) },
      { faceId: 'w', personId: 'pw', embedding: new Float32Array([1, 0, 0]) },
    ];
    expect(() => matcher.replaceAll(bad)).toThrow(expect.objectContaining({ code: 'MATCHER_DIMENSION_MISMATCH' }));
    expect(matcher.size).toBe(2);
    expect(matcher.has('x') && matcher.has('y')).toBe(true);
    expect(matcher.search(new Float32Array([0, 1]), 1)[0]?.faceId).toBe('x');
  });

  it('loadFrom reads the active model from a template source', () => {
    const requested: string[] = [];
    const source = {
      loadAll(modelId: string): Iterable<GalleryEntry> {
        requested.push(modelId);
        return [{ faceId: 'f', personId: 'p', embedding: new Float32Array([3, 4]) }];
      },
    };
    const matcher = GalleryMatcher.loadFrom(source, 'fr_feature@1', 2);
    expect(requested).toEqual(['fr_feature@1']);
    expect(matcher.modelId).toBe('fr_feature@1');
    expect(matcher.search(new Float32Array([3, 4]), 3)).toEqual([{ personId: 'p', faceId: 'f', score: expect.closeTo(1, 6) }]);
  });

  it('rerank scores only the listed faces, like search restricted to them, skipping faces no longer here', () => {
    const random = seededRandom(41);
    const entries = randomGallery(random, 60, 20, 16);
    const matcher = new GalleryMatcher({ modelId: 'm', dimension: 16 });
    matcher.replaceAll(entries);
    const probe = randomVector(random, 16);
    const listed = entries.filter((_, i) => i % 3 === 0);
    const removed = listed[0]!;
    matcher.removeFace(removed.faceId);
    const kept = listed.filter((e) => e !== removed);
    const found = matcher.rerank(probe, [...listed.map((e) => e.faceId), 'never-enrolled'], 4);
    const expected = naiveSearch(kept, probe, 4);
    expect(found.map((m) => [m.personId, m.faceId])).toEqual(expected.map((m) => [m.personId, m.faceId]));
    found.forEach((m, i) => expect(m.score).toBeCloseTo(expected[i]!.score, 6));
  });

  it('tells its listener every change in order, with the normalised template of each face added', () => {
    const matcher = new GalleryMatcher({ modelId: 'm', dimension: 2 });
    const events: string[] = [];
    matcher.observe({
      added: (faceId, template) => events.push(`+${faceId} ${Array.from(template, (x) => x.toFixed(1)).join(',')}`),
      removed: (faceId) => events.push(`-${faceId}`),
      replaced: () => events.push('replaced'),
    });
    matcher.add({ faceId: 'a', personId: 'p', embedding: Float32Array.of(3, 4) });
    matcher.add({ faceId: 'b', personId: 'p', embedding: Float32Array.of(0, 2) });
    matcher.add({ faceId: 'c', personId: 'q', embedding: Float32Array.of(1, 0) });
    matcher.removeFace('c');
    matcher.removePerson('p');
    matcher.replaceAll([]);
    matcher.observe(null);
    matcher.add({ faceId: 'd', personId: 'p', embedding: Float32Array.of(1, 0) });
    expect(events).toEqual(['+a 0.6,0.8', '+b 0.0,1.0', '+c 1.0,0.0', '-c', '-b', '-a', 'replaced']);
  });

  it('returns nothing for an empty gallery', () => {
    expect(new GalleryMatcher({ modelId: 'm', dimension: 4 }).search(new Float32Array([1, 2, 3, 4]), 3)).toEqual([]);
  });

  it('rejects bad embeddings, probes, ids and arguments with typed errors', () => {
    const matcher = new GalleryMatcher({ modelId: 'm', dimension: 4 });
    matcher.add({ faceId: 'f', personId: 'p', embedding: new Float32Array([1, 2, 3, 4]) });
    const code = (c: string) => expect.objectContaining({ name: 'MatcherError', code: c });

    expect(() => matcher.add({ faceId: 'g', personId: 'p', embedding: new Float32Array(5) })).toThrow(
      code('MATCHER_DIMENSION_MISMATCH'),
    );
    expect(() => matcher.search(new Float32Array(3), 1)).toThrow(code('MATCHER_DIMENSION_MISMATCH'));
    expect(() => matcher.add({ faceId: 'g', personId: 'p', embedding: new Float32Array([1, Number.NaN, 0, 0]) })).toThrow(
      code('MATCHER_NON_FINITE'),
    );
    expect(() => matcher.search(new Float32Array([Number.POSITIVE_INFINITY, 0, 0, 0]), 1)).toThrow(code('MATCHER_NON_FINITE'));
    expect(() => matcher.add({ faceId: 'g', personId: 'p', embedding: new Float32Array(4) })).toThrow(code('MATCHER_ZERO_VECTOR'));
    expect(() => matcher.search(new Float32Array(4), 1)).toThrow(code('MATCHER_ZERO_VECTOR'));
    expect(() => matcher.add({ faceId: 'f', personId: 'q', embedding: new Float32Array([1, 0, 0, 0]) })).toThrow(
      code('MATCHER_DUPLICATE_FACE'),
    );
    expect(() => matcher.add({ faceId: '', personId: 'q', embedding: new Float32Array([1, 0, 0, 0]) })).toThrow(
      code('MATCHER_INVALID_ARGUMENT'),
    );
    for (const k of [0, -1, 1.5, Number.NaN]) {
      expect(() => matcher.search(new Float32Array([1, 0, 0, 0]), k)).toThrow(code('MATCHER_INVALID_ARGUMENT'));
    }
    expect(() => new GalleryMatcher({ modelId: 'm', dimension: 0 })).toThrow(MatcherError);
    // Nothing invalid got in.
    expect(matcher.size).toBe(1);
  });
});

describe('GalleryMatcher.searchCoded', () => {
  // 128-D rows: several blocks of codes (16,384 rows each), and wider rows make the test slow.
  const DIMENSION = 128;
  const CODED = { candidates: 16 };

  function codedGallery(faces: number, seed = 5): { matcher: GalleryMatcher; entries: GalleryEntry[] } {
    const random = seededRandom(seed);
    const entries = randomGallery(random, faces, Math.ceil(faces / 2), DIMENSION);
    const matcher = new GalleryMatcher({ modelId: 'm', dimension: DIMENSION, codedRows: true });
    matcher.replaceAll(entries);
    return { matcher, entries };
  }

  it('answers exactly what the exact scan answers, across blocks of codes, for genuine and impostor probes', async () => {
    const { matcher, entries } = codedGallery(70_000);
    const random = seededRandom(9);
    let proven = 0;
    for (let i = 0; i < 20; i++) {
      // Even probes: a noisy view of an enrolled face; odd: nobody in particular.
      const probe = randomVector(random, DIMENSION);
      if (i % 2 === 0) {
        const face = entries[Math.floor(random() * entries.length)]!.embedding;
        for (let j = 0; j < DIMENSION; j++) probe[j] = face[j]! + probe[j]! * 0.6;
      }
      const found = await matcher.searchCoded(probe, 3, CODED);
      if (found === null) continue; // unproven: the caller would scan exactly
      proven++;
      expectSameMatches(found, matcher.search(probe, 3));
    }
    expect(proven).toBeGreaterThanOrEqual(18);
  });

  it('follows enrolments and swap-removes: the codes keep the rows they describe', async () => {
    const { matcher, entries } = codedGallery(3000);
    for (let i = 0; i < 1000; i++) matcher.removeFace(entries[i * 3]!.faceId);
    matcher.removePerson(entries[1]!.personId);
    matcher.add({ faceId: 'late', personId: 'late-person', embedding: entries[2]!.embedding.map((v) => -v) });
    for (const probe of [entries[4]!.embedding, entries[2999]!.embedding, entries[2]!.embedding.map((v) => -v)]) {
      const found = await matcher.searchCoded(probe, 2, CODED);
      expect(found).not.toBeNull();
      expectSameMatches(found!, matcher.search(probe, 2));
    }
  });

  describe('with a helper thread scanning every other block', () => {
    let helper: CodedScanHelper;
    beforeAll(() => {
      helper = CodedScanHelper.create();
    });
    afterAll(async () => {
      await helper.close();
    });

    /** Genuine probes (a noisy view of an enrolled face) all answered, and answered exactly. */
    async function expectExact(matcher: GalleryMatcher, entries: readonly GalleryEntry[], options: CodedSearchOptions, seed: number): Promise<void> {
      const random = seededRandom(seed);
      for (let i = 0; i < 6; i++) {
        const probe = randomVector(random, DIMENSION);
        const face = entries[Math.floor(random() * entries.length)]!.embedding;
        for (let j = 0; j < DIMENSION; j++) probe[j] = face[j]! + probe[j]! * 0.5;
        const found = await matcher.searchCoded(probe, 2, options);
        expect(found).not.toBeNull();
        expectSameMatches(found!, matcher.search(probe, 2));
      }
    }

    it('answers exactly, and follows enrolments, deletions and a reload into its copy', async () => {
      const { matcher, entries } = codedGallery(40_000, 11);
      const options = { candidates: 16, helpers: [helper] };
      await expectExact(matcher, entries, options, 1);
      // A few changes travel as rows, many as whole blocks; both must reach the helper's copy.
      // Swap-remove moves the last rows (block 2, the main thread's) into the helper's block 1.
      for (let i = 0; i < 5; i++) matcher.removeFace(entries[16_384 + i * 7]!.faceId);
      await expectExact(matcher, entries.slice(39_995), options, 5); // the faces that moved into block 1
      const moved = entries.slice(20_000, 22_000).map((e, i) => ({ ...e, faceId: `again-${i}`, personId: `again-${i}`, embedding: e.embedding.map((v) => -v) }));
      for (const entry of moved) matcher.add(entry); // rows 39,995.. : blocks 2, the main thread's
      for (let i = 0; i < 1500; i++) matcher.removeFace(entries[17_000 + i]!.faceId); // > 1,024 rows of block 1
      await expectExact(matcher, [...entries.slice(0, 16_000), ...moved], options, 2);
      const probe = moved[3]!.embedding;
      expect((await matcher.searchCoded(probe, 1, options))![0]!.personId).toBe('again-3');
      // A reload: the helper's copy is of the old rows and is sent again whole.
      const reloaded = randomGallery(seededRandom(12), 36_000, 18_000, DIMENSION);
      matcher.replaceAll(reloaded);
      await expectExact(matcher, reloaded, options, 3);
    });

    it('scans the blocks of a helper that fails during a search itself, and scans alone after', async () => {
      // 140,000 rows, so that this thread's share (every other block of 16,384) passes the 65,536
      // rows after which it releases the event loop: the helper fails while it is released.
      const random = seededRandom(17);
      const entries = randomGallery(random, 140_000, 70_000, DIMENSION);
      const matcher = new GalleryMatcher({ modelId: 'm', dimension: DIMENSION, codedRows: true });
      matcher.replaceAll(entries);
      let failure: Error | null = null;
      const failing: BlockScanHelper = {
        mirrorOf: null,
        get broken() {
          return failure;
        },
        putBlock: () => {},
        putRows: () => {},
        scan: () =>
          new Promise((_, reject) =>
            setImmediate(() => {
              failure = new Error('helper thread died');
              reject(failure);
            }),
          ),
      };
      const probe = entries[5]!.embedding;
      const during = await matcher.searchCoded(probe, 1, { candidates: 16, helpers: [failing] });
      expect(failure).not.toBeNull();
      expectSameMatches(during!, matcher.search(probe, 1));
      // Failed once, never trusted again: this thread scans every block.
      const alone = await matcher.searchCoded(probe, 1, { candidates: 16, helpers: [failing] });
      expectSameMatches(alone!, matcher.search(probe, 1));
    });

    it('sends a helper its blocks ahead of the first search', async () => {
      const { matcher, entries } = codedGallery(40_000, 19);
      const sent: string[] = [];
      const recording = { mirrorOf: null as object | null, putBlock: (block: number) => sent.push(`block ${block}`), putRows: () => sent.push('rows') };
      expect(await matcher.prepareCodedScan({ helpers: [{ ...recording, broken: null, scan: () => Promise.resolve([]) }] })).toBe(true);
      expect(sent).toEqual(['block 1']); // blocks 0 and 2 are this thread's
      // With the real helper: prepared, then the first search sends nothing and is exact.
      expect(await matcher.prepareCodedScan({ helpers: [helper] })).toBe(true);
      await expectExact(matcher, entries, { candidates: 16, helpers: [helper] }, 6);
    });

    it('leaves every block to the helpers when this thread is not to scan, and re-sends them when the share-out changes', async () => {
      const { matcher, entries } = codedGallery(40_000, 23);
      const sent: string[][] = [[], []];
      const scanned: number[][] = [[], []];
      const recording = (i: number): BlockScanHelper => ({
        mirrorOf: null,
        broken: null,
        putBlock: (block) => sent[i]!.push(`block ${block}`),
        putRows: () => sent[i]!.push('rows'),
        scan: (_probe, _count, parts) => {
          scanned[i]!.push(...parts.map((part) => part.block));
          return Promise.resolve(parts.map(() => ({ rows: [], dots: [] })));
        },
      });
      const helpers = [recording(0), recording(1)];
      expect(await matcher.prepareCodedScan({ helpers, scanHere: false })).toBe(true);
      expect(sent).toEqual([['block 0', 'block 2'], ['block 1']]);
      await matcher.searchCoded(entries[0]!.embedding, 1, { candidates: 16, helpers, scanHere: false });
      expect(scanned).toEqual([[0, 2], [1]]); // and none here
      // This thread takes a share again: the helpers' copies are laid out afresh, whole.
      sent[0] = [];
      sent[1] = [];
      expect(await matcher.prepareCodedScan({ helpers, scanHere: true })).toBe(true);
      expect(sent).toEqual([['block 1'], ['block 2']]);

      // Two real helpers, this thread only re-ranking: exact, and it follows changes.
      const second = CodedScanHelper.create();
      try {
        const options = { candidates: 16, helpers: [helper, second], scanHere: false };
        await expectExact(matcher, entries, options, 7);
        for (let i = 0; i < 3000; i++) matcher.removeFace(entries[i * 5]!.faceId);
        await expectExact(matcher, entries.filter((_, i) => i % 5 !== 0 || i >= 15_000), options, 8);
      } finally {
        await second.close();
      }
    });

    it('stops waiting for a helper whose core is busy and scans its blocks itself', async () => {
      const { matcher, entries } = codedGallery(40_000, 31);
      let lateMs = 0;
      const prompt = fakeScanHelper();
      const late = fakeScanHelper(() => lateMs);
      const options = { candidates: 16, helpers: [prompt.helper, late.helper], scanHere: false };
      // Both answer promptly at first: the matcher learns how long an answer takes.
      for (let i = 0; i < 4; i++) expectSameMatches((await matcher.searchCoded(entries[i]!.embedding, 1, options))!, matcher.search(entries[i]!.embedding, 1));
      expect(late.scans).toHaveLength(4);
      lateMs = Number.POSITIVE_INFINITY; // its core never comes back
      const probe = entries[30_000]!.embedding; // in block 1, the late helper's
      const found = await matcher.searchCoded(probe, 2, options);
      expect(late.scans).toHaveLength(4); // answered without it
      expectSameMatches(found!, matcher.search(probe, 2));
      expect(found![0]!.personId).toBe(entries[30_000]!.personId);
      prompt.cancel();
      late.cancel();
    });

    it('scans the blocks itself once a helper has failed', async () => {
      const { matcher, entries } = codedGallery(40_000, 13);
      const failed = CodedScanHelper.create();
      await failed.close();
      expect(failed.broken).not.toBeNull();
      await expectExact(matcher, entries, { candidates: 16, helpers: [failed] }, 4);
    });
  });

  it('gives up rather than guess when it cannot prove the winner', async () => {
    // Every face is the same direction within the codes' rounding (each nudged a different amount,
    // so float32 still has one winner): the codes cannot tell who is first.
    const base = randomVector(seededRandom(1), DIMENSION);
    const entries = Array.from({ length: 500 }, (_, i) => ({
      faceId: `f${i}`,
      personId: `p${i}`,
      embedding: base.map((v, j) => v + (j === i % DIMENSION ? 1e-4 * (1 + i / 100) : 0)),
    }));
    const matcher = new GalleryMatcher({ modelId: 'm', dimension: DIMENSION, codedRows: true });
    matcher.replaceAll(entries);
    expect(await matcher.searchCoded(base, 1, { candidates: 4 })).toBeNull();
    // Asked for every row, it needs no proof.
    expectSameMatches((await matcher.searchCoded(base, 1, { candidates: 500 }))!, matcher.search(base, 1));
  });

  it('gives up when the gallery changes between blocks, and without codes', async () => {
    const { matcher, entries } = codedGallery(70_000);
    const pending = matcher.searchCoded(entries[0]!.embedding, 1, CODED);
    matcher.removeFace(entries[0]!.faceId); // while the search waits for its second block
    expect(await pending).toBeNull();
    const plain = new GalleryMatcher({ modelId: 'm', dimension: DIMENSION });
    plain.replaceAll(entries.slice(0, 10));
    expect(await plain.searchCoded(entries[1]!.embedding, 1, CODED)).toBeNull();
    expect(await new GalleryMatcher({ modelId: 'm', dimension: DIMENSION, codedRows: true }).searchCoded(entries[1]!.embedding, 1, CODED)).toEqual([]);
    await expect(matcher.searchCoded(entries[1]!.embedding, 1, { candidates: 0 })).rejects.toThrow(/candidates/);
  });
});
