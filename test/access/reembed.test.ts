// Re-embedding after a model change: a gallery enrolled with one model is opened with another
// (the same weights under a new model id, so a correct re-embedding of the stored crops must
// reproduce the enrolment embeddings). Progress shows at GET /reembed, each face becomes
// matchable again, and a broken crop is counted as failed instead of stopping the run.
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { Core } from '../../daemon/appliance.js';
import { ReembedJob } from '../../access/reembed.js';
import type { Embedder } from '../../pipeline/embedder.js';
import { decodeImage } from '../../pipeline/image.js';
import { ApiKeysRepository } from '../../store/api-keys-repository.js';
import { bearer, buildApi, openTestCore, REPO, sampleFacePhotos, testConfig, type TestCore } from '../enroll/helpers.js';
import { TemplatesRepository } from '../../store/templates-repository.js';

const NEW_MODEL_ID = 'fr_feature-reexport@2';

/** The shipped recogniser under a new model id: a "new model" whose embeddings we can predict. */
function renamedModel(dir: string): string {
  const onnx = join(dir, 'fr_feature_v2.onnx');
  symlinkSync(join(REPO, 'models/fr_feature/fr_feature.onnx'), onnx);
  const sidecar = JSON.parse(readFileSync(join(REPO, 'models/fr_feature/fr_feature.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(dir, 'fr_feature_v2.json'), JSON.stringify({ ...sidecar, modelId: NEW_MODEL_ID }));
  return onnx;
}

/** Delegates to a real embedder but holds every call until released, so tests can look mid-run. */
function gatedEmbedder(inner: Embedder): { embedder: Embedder; release: () => void } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  return {
    release,
    embedder: {
      modelId: inner.modelId,
      dimension: inner.dimension,
      embed: async (faces) => {
        await gate;
        return inner.embed(faces);
      },
      close: () => inner.close(),
    },
  };
}

describe('re-embedding after a model change', () => {
  let old: TestCore;
  let core: Core;
  let api: FastifyInstance;
  let reader: Record<string, string>;
  let admin: Record<string, string>;
  let people: { personId: string; faceId: string; embedding: Float32Array }[];
  let modelDir: string;

  beforeAll(async () => {
    // Enrol three people with the shipped model.
    old = await openTestCore();
    const photos = (await sampleFacePhotos(old.core, 4)).slice(0, 3);
    people = [];
    for (const [i, photo] of photos.entries()) {
      const person = old.core.gallery.createPerson(`Person ${i}`);
      const { face } = await old.core.gallery.enrolPhoto(person.id, photo);
      people.push({ personId: person.id, faceId: face.id, embedding: new TemplatesRepository(old.core.db).get(face.id, old.core.gallery.modelId)!.embedding });
    }
    // Corrupt a fourth face's crop behind the store's back: it must count as failed.
    const broken = old.core.gallery.createPerson('Broken crop');
    const { face } = await old.core.gallery.enrolPhoto(broken.id, (await sampleFacePhotos(old.core, 5))[0]!);
    const crop = old.core.gallery.crop(face.id)!;
    old.core.db.prepare('UPDATE faces SET aligned_crop = ? WHERE id = ?').run(Buffer.concat([crop.subarray(0, 40), Buffer.alloc(200, 7)]), face.id);
    await old.core.close();

    // Reopen the same data directory with the "new" model.
    modelDir = mkdtempSync(join(tmpdir(), 'mg-model-'));
    core = await Core.open(testConfig(old.dataDir, { model: { detector: join(REPO, 'models/blazeface/blazeface_back_256.onnx'), embedder: renamedModel(modelDir) } }), pino({ level: 'silent' }));
    const keys = new ApiKeysRepository(core.db);
    admin = bearer(old.admin);
    reader = bearer(old.reader);
    expect(keys.countActive('admin')).toBe(1);
  });

  afterAll(async () => {
    await api?.close();
    await core?.close();
    rmSync(old.dataDir, { recursive: true, force: true });
    rmSync(modelDir, { recursive: true, force: true });
  });

  it('matches nobody before re-embedding: old templates belong to another embedding space', () => {
    expect(core.gallery.modelId).toBe(NEW_MODEL_ID);
    expect(core.gallery.size).toBe(0);
    expect(core.gallery.search(people[0]!.embedding, 1)).toEqual([]);
  });

  it('re-embeds every stored crop in the background, reporting progress, and makes each face matchable', async () => {
    const { embedder, release } = gatedEmbedder(core.embedder);
    const job = new ReembedJob({ gallery: core.gallery, embedder, logger: pino({ level: 'silent' }) });
    api = buildApi({ ...old, core, apiKeys: new ApiKeysRepository(core.db) }, { reembed: job });

    const idle = await api.inject({ method: 'GET', url: '/reembed', headers: reader });
    expect(idle.json()).toEqual({ modelId: NEW_MODEL_ID, running: false, total: 0, done: 0, failed: 0, startedAt: null, finishedAt: null });

    const started = await api.inject({ method: 'POST', url: '/reembed', headers: admin });
    expect(started.statusCode).toBe(202);
    expect(started.json()).toMatchObject({ running: true, total: 4, done: 0 });
    const again = await api.inject({ method: 'POST', url: '/reembed', headers: admin });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('reembed_running');
    expect((await api.inject({ method: 'GET', url: '/reembed', headers: reader })).json()).toMatchObject({ running: true, done: 0 });

    release();
    await job.whenIdle();
    const finished = (await api.inject({ method: 'GET', url: '/reembed', headers: reader })).json();
    expect(finished).toMatchObject({ modelId: NEW_MODEL_ID, running: false, total: 4, done: 3, failed: 1 });
    expect(finished.finishedAt).toBeGreaterThanOrEqual(finished.startedAt);

    expect(core.gallery.size).toBe(3);
    for (const { personId, faceId, embedding } of people) {
      // Same weights: the crop re-embedded must reproduce the enrolment embedding.
      const [best] = core.gallery.search(embedding, 1);
      expect(best).toMatchObject({ personId, faceId });
      expect(best!.score).toBeGreaterThan(0.999);
      const faces = (await api.inject({ method: 'GET', url: `/people/${personId}/faces`, headers: reader })).json();
      expect(faces.items[0].matchable).toBe(true);
    }
    // Both models' templates are kept: switching back needs no re-embedding.
    expect(new TemplatesRepository(core.db).models()).toEqual(
      expect.arrayContaining([{ modelId: NEW_MODEL_ID, templates: 3 }, { modelId: old.core.gallery.modelId, templates: 4 }]),
    );
  });

  it('a second run only picks up what is still missing', async () => {
    const job = new ReembedJob({ gallery: core.gallery, embedder: core.embedder, logger: pino({ level: 'silent' }) });
    expect(job.pendingCount()).toBe(1); // the broken crop
    job.start();
    await job.whenIdle();
    expect(job.progress).toMatchObject({ total: 1, done: 0, failed: 1, running: false });
  });

  it('refuses an embedder that does not serve the gallery', () => {
    const other: Embedder = { modelId: 'something-else', dimension: 512, embed: async () => [], close: async () => undefined };
    expect(() => new ReembedJob({ gallery: core.gallery, embedder: other, logger: pino({ level: 'silent' }) })).toThrow(/gallery's embedder/);
  });
});

describe('Gallery.addTemplate', () => {
  let t: TestCore;
  beforeAll(async () => {
    t = await openTestCore();
  });
  afterAll(async () => t?.close());

  it('adds to the matcher only for active people, and refuses a deleted face', async () => {
    const gallery = t.core.gallery;
    const [photo] = await sampleFacePhotos(t.core, 6);
    const person = gallery.createPerson('Template Target');
    const { face } = await gallery.enrolPhoto(person.id, photo!);
    const embedding = new TemplatesRepository(t.core.db).get(face.id, gallery.modelId)!.embedding;
    gallery.setActive(person.id, false);
    gallery.addTemplate(face.id, embedding);
    expect(gallery.size).toBe(0);
    gallery.setActive(person.id, true);
    expect(gallery.size).toBe(1);
    gallery.addTemplate(face.id, embedding); // already matchable: no duplicate row
    expect(gallery.size).toBe(1);
    gallery.deleteFace(face.id);
    expect(() => gallery.addTemplate(face.id, embedding)).toThrow(expect.objectContaining({ code: 'STORE_NOT_FOUND' }));
    expect(gallery.size).toBe(0);
  });

  it('decodes a stored crop to the 112x112 input the embedder takes', async () => {
    const [photo] = await sampleFacePhotos(t.core, 3);
    const person = t.core.gallery.createPerson('Crop Shape');
    const { face } = await t.core.gallery.enrolPhoto(person.id, photo!);
    const image = await decodeImage(t.core.gallery.crop(face.id)!);
    expect([image.width, image.height]).toEqual([112, 112]);
  });
});
