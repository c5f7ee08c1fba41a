// The full enrol → recognise → delete cycle over a real HTTP listener on 127.0.0.1, with the real
// models and real photos: LFW (two different photos of one person) when the development set is
// present, else two different crops of a face from the bundled demo photos. After the delete,
// neither the aligned crop, nor the embedding, nor the name may be left anywhere on disk.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { decodeImage, readImageFile } from '../../pipeline/image.js';
import { encodeEmbedding } from '../../store/embedding-blob.js';
import { bearer, buildApi, cropAround, LFW, lfwPhoto, openTestCore, SAMPLE, type TestCore } from './helpers.js';
import { TemplatesRepository } from '../../store/templates-repository.js';

const WINDOW = 16;

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** How many 16-byte windows of `needle` (at a 16-byte stride) occur in any file under `dir`. */
function survivingWindows(dir: string, needle: Buffer): number {
  const haystacks = filesUnder(dir).map((file) => readFileSync(file));
  let found = 0;
  for (let at = 0; at + WINDOW <= needle.length; at += WINDOW) {
    const window = needle.subarray(at, at + WINDOW);
    if (haystacks.some((haystack) => haystack.includes(window))) found++;
  }
  return found;
}

/** An enrolment photo and a different photo of the same person. */
async function twoPhotosOfOnePerson(t: TestCore): Promise<{ name: string; enrol: Buffer; probe: Buffer }> {
  if (existsSync(lfwPhoto('Jacques_Chirac', 2))) {
    return { name: 'Jacques Chirac', enrol: await readFile(lfwPhoto('Jacques_Chirac', 1)), probe: await readFile(lfwPhoto('Jacques_Chirac', 2)) };
  }
  const image = await readImageFile(SAMPLE(3));
  const [face] = (await t.core.analyzer.analyze(image, { padded: true })).sort((a, b) => b.detection.box.width - a.detection.box.width);
  return { name: 'Demo Person', enrol: await cropAround(image, face!.detection.box, 1.6, 92), probe: await cropAround(image, face!.detection.box, 2.2, 70) };
}

describe(`enrol → recognise → delete over HTTP (${existsSync(LFW) ? 'LFW' : 'demo photos'})`, () => {
  let t: TestCore;
  let api: FastifyInstance;
  let base: string;
  let admin: Record<string, string>;

  beforeAll(async () => {
    t = await openTestCore();
    api = buildApi(t);
    base = await api.listen({ host: '127.0.0.1', port: 0 });
    admin = bearer(t.admin);
  });
  afterAll(async () => {
    await api?.close();
    await t?.close();
  });

  it('listens on a real socket and refuses callers without a key', async () => {
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const refused = await fetch(`${base}/people`);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });

  it('answers 413 to a 50 MB body without reading it', async () => {
    const created = await fetch(`${base}/people`, { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify({ displayName: 'Big Upload' }) });
    const { id } = (await created.json()) as { id: string };
    const response = await fetch(`${base}/people/${id}/faces`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'image/jpeg' },
      body: Buffer.alloc(50 * 1024 * 1024, 0xff),
    }).catch((err: Error) => err);
    // The server answers as soon as it sees the Content-Length; the client may or may not get
    // to read the answer before the socket closes under the rest of its upload.
    if (response instanceof Response) {
      expect(response.status).toBe(413);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('body_too_large');
    }
    expect(t.core.gallery.faceCount(id)).toBe(0);
  });

  it('enrols from a multipart upload, recognises a different photo, then forgets every byte', async () => {
    const { name, enrol, probe } = await twoPhotosOfOnePerson(t);
    const displayName = `${name} (lifecycle test)`;

    // Enrol.
    const created = await fetch(`${base}/people`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ displayName, externalId: 'HR-LIFECYCLE-1' }),
    });
    expect(created.status).toBe(201);
    const person = (await created.json()) as { id: string };
    const form = new FormData();
    form.append('photo', new Blob([new Uint8Array(enrol)], { type: 'image/jpeg' }), 'reference.jpg');
    const upload = await fetch(`${base}/people/${person.id}/faces`, { method: 'POST', headers: admin, body: form });
    expect(upload.status).toBe(201);
    const report = (await upload.json()) as { results: { status: string; face: { id: string } }[] };
    expect(report.results[0]!.status).toBe('enrolled');
    const faceId = report.results[0]!.face.id;

    // Recognise: the camera loop's search finds them from a different photo, above threshold.
    const [probeFace] = await t.core.analyzer.analyze(await decodeImage(probe), { padded: true });
    const [best] = t.core.gallery.search(probeFace!.embedding!, 1);
    expect(best?.personId).toBe(person.id);
    expect(best!.score).toBeGreaterThanOrEqual(t.core.config.matching.threshold);

    // What must disappear: the crop (as the API serves it), the embedding and the name.
    const cropResponse = await fetch(`${base}/people/${person.id}/faces/${faceId}/crop`, { headers: admin });
    expect(cropResponse.status).toBe(200);
    const crop = Buffer.from(await cropResponse.arrayBuffer());
    const embeddingBytes = encodeEmbedding(new TemplatesRepository(t.core.db).get(faceId, t.core.gallery.modelId)!.embedding);
    const nameBytes = Buffer.from(displayName);
    // The scan can see them before the delete (so it could fail after it).
    expect(survivingWindows(t.dataDir, crop)).toBeGreaterThan(0);
    expect(survivingWindows(t.dataDir, embeddingBytes)).toBeGreaterThan(0);
    expect(survivingWindows(t.dataDir, nameBytes)).toBeGreaterThan(0);

    // Delete.
    const deleted = await fetch(`${base}/people/${person.id}`, { method: 'DELETE', headers: admin });
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toEqual({ id: person.id, facesDeleted: 1, templatesDeleted: 1, walTruncated: true });

    expect(t.core.gallery.search(probeFace!.embedding!, 5).map((m) => m.personId)).not.toContain(person.id);
    expect((await fetch(`${base}/people/${person.id}`, { headers: admin })).status).toBe(404);
    const files = filesUnder(t.dataDir);
    expect(files.some((f) => f.endsWith('.db'))).toBe(true);
    expect(survivingWindows(t.dataDir, crop)).toBe(0);
    expect(survivingWindows(t.dataDir, embeddingBytes)).toBe(0);
    expect(survivingWindows(t.dataDir, nameBytes)).toBe(0);
  });
});
