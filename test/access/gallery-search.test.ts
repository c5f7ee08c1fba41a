// The decision path's search: a campus-sized gallery is searched on onnxruntime in a worker
// thread (a promise; the event loop keeps turning) with the same answers as the synchronous
// scan; a small one stays synchronous; from the index threshold on, the HNSW index answers once
// built, with the exact scan serving until then.
import { TemplatesRepository } from '../../store/templates-repository.js';
import { FacesRepository } from '../../store/faces-repository.js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ASYNC_SEARCH_MIN_TEMPLATES, Gallery } from '../../access/gallery.js';
import { GalleryMatcher, type CodedSearchOptions, type Match } from '../../pipeline/matcher.js';
import type { FaceAnalyzer } from '../../pipeline/face-analyzer.js';
import { WorkerGalleryScanner } from '../../pipeline/gallery-scan-worker.js';
import { AnnSearch } from '../../pipeline/ann-search.js';
import { openDatabase, type Database } from '../../store/database.js';
import { fakePng, GOOD_QUALITY, randomEmbedding, sha256 } from '../store/helpers.js';

const DIMENSION = 32;

function galleryOf(db: Database, templates: number, coded: CodedSearchOptions | null = null): Gallery {
  const gallery = new Gallery(db, { modelId: 'm@1', dimension: DIMENSION } as unknown as FaceAnalyzer, () => 1, pino({ level: 'silent' }), coded);
  const crop = fakePng(64);
  db.transaction(() => {
    for (let i = 0; i < templates; i += 2) {
      const person = gallery.createPerson(`P${i}`);
      for (const n of [i, i + 1]) {
        const face = new FacesRepository(db).insert({ personId: person.id, alignedCropPng: crop, sourceSha256: sha256(`${n}`), quality: GOOD_QUALITY });
        new TemplatesRepository(db).upsert({ faceId: face.id, modelId: 'm@1', embedding: randomEmbedding(DIMENSION) });
      }
    }
  })();
  gallery.reload();
  return gallery;
}

describe('Gallery.searchForDecision', () => {
  let scanner: WorkerGalleryScanner;
  let db: Database;
  beforeAll(async () => {
    scanner = WorkerGalleryScanner.create();
    db = openDatabase(':memory:');
  });
  afterAll(async () => {
    await scanner.close();
    db.close();
  });

  it('scans a campus-sized gallery on the scanner, with the answers of the synchronous scan', async () => {
    const gallery = galleryOf(db, ASYNC_SEARCH_MIN_TEMPLATES);
    gallery.useScanner(scanner);
    for (let i = 0; i < 5; i++) {
      const probe = randomEmbedding(DIMENSION);
      const pending = gallery.searchForDecision(probe, 3);
      expect(pending).toBeInstanceOf(Promise);
      const found = await pending;
      const exact = gallery.search(probe, 3);
      expect(found.map((m) => m.personId)).toEqual(exact.map((m) => m.personId));
      found.forEach((m, j) => expect(m.score).toBeCloseTo(exact[j]!.score, 5));
    }
  });

  it('answers from the int8 codes when they prove the answer, else from the float32 scan', async () => {
    const coded = openDatabase(':memory:');
    try {
      const gallery = galleryOf(coded, ASYNC_SEARCH_MIN_TEMPLATES, { candidates: 16 });
      gallery.useScanner(scanner);
      const scan = vi.spyOn(GalleryMatcher.prototype, 'searchBatch');
      const [template] = gallery.currentTemplates();
      // The template itself as the probe: its face wins by far, the codes prove it, no float32 scan.
      const [found] = await gallery.searchForDecision(template!.embedding, 1);
      expect(found!.faceId).toBe(template!.faceId);
      expect(scan).not.toHaveBeenCalled();
      // A proof that fails hands the search to the float32 scan, with the exact answer.
      const unproven = vi.spyOn(GalleryMatcher.prototype, 'searchCoded').mockResolvedValue(null);
      const probe = randomEmbedding(DIMENSION);
      expect((await gallery.searchForDecision(probe, 3)).map((m) => m.personId)).toEqual(gallery.search(probe, 3).map((m) => m.personId));
      expect(scan).toHaveBeenCalledTimes(1);
      unproven.mockRestore();
      scan.mockRestore();
    } finally {
      coded.close();
    }
  });

  it('keeps a small gallery on the synchronous scan, where the call overhead is not worth it', () => {
    // Another model id over the same store: no templates for it, a gallery far below the threshold.
    const small = new Gallery(db, { modelId: 'other@1', dimension: DIMENSION } as unknown as FaceAnalyzer, () => 1, pino({ level: 'silent' }));
    small.useScanner(scanner);
    expect(small.searchForDecision(randomEmbedding(DIMENSION), 1)).toEqual([]);
  });
});

describe('Gallery.searchForDecision with the HNSW index', () => {
  it('scans exactly while the index builds, then answers from the index with the same people', async () => {
    const scanner = WorkerGalleryScanner.create();
    const db = openDatabase(':memory:');
    const index = new AnnSearch({ connectivity: 16, expansionAdd: 64, expansionSearch: 128, candidates: 64, quantization: 'f32', addThreads: 1 });
    try {
      const gallery = galleryOf(db, ASYNC_SEARCH_MIN_TEMPLATES);
      gallery.useScanner(scanner);
      gallery.useIndex(index, 1000);
      expect(index.state).toBe('building');
      const probe = randomEmbedding(DIMENSION);
      // Not built yet: the exact scan answers.
      expect((await gallery.searchForDecision(probe, 1))[0]!.personId).toBe(gallery.search(probe, 1)[0]!.personId);
      await vi.waitUntil(() => index.state === 'ready', { timeout: 60_000, interval: 20 });
      // A template of the gallery as the probe: its own person must come first, via the index.
      const [template] = gallery.currentTemplates();
      const [found] = await gallery.searchForDecision(template!.embedding, 1);
      expect(found!.faceId).toBe(template!.faceId);
      // Deleting that person reaches the index at once.
      gallery.deletePerson(template!.personId);
      expect((await gallery.searchForDecision(template!.embedding, 3)).map((m) => m.personId)).not.toContain(template!.personId);
    } finally {
      await index.close();
      await scanner.close();
      db.close();
    }
  });

  it('checks with the exact scan an index answer that would deny, and keeps one that grants', async () => {
    const scanner = WorkerGalleryScanner.create();
    const db = openDatabase(':memory:');
    // An index that is built but misses everyone (as HNSW can miss a genuine person), or finds `hit`.
    let answer: Match[] = [];
    const missing = { serves: () => true, follows: () => true, attach: () => {}, search: async () => answer } as unknown as AnnSearch;
    try {
      const gallery = galleryOf(db, ASYNC_SEARCH_MIN_TEMPLATES);
      gallery.useScanner(scanner);
      const [template] = gallery.currentTemplates();
      const exact = gallery.search(template!.embedding, 1);
      gallery.useIndex(missing, 1000);
      expect(await gallery.searchForDecision(template!.embedding, 1)).toEqual([]); // unconfirmed: the miss stands
      gallery.useIndex(missing, 1000, () => 0.35);
      expect((await gallery.searchForDecision(template!.embedding, 1)).map((m) => m.faceId)).toEqual(exact.map((m) => m.faceId));
      answer = [{ personId: 'someone', faceId: 'their-face', score: 0.9 }];
      expect(await gallery.searchForDecision(template!.embedding, 1)).toEqual(answer); // above the bound: no exact scan
    } finally {
      await scanner.close();
      db.close();
    }
  });
});
