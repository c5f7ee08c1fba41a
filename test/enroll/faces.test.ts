// Face upload, listing, crop and deletion through app.inject. Every bad input must give a clear
// 4xx with its code and leave the database exactly as it was (row counts before and after).
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, InjectOptions } from 'fastify';
import sharp from 'sharp';
import {
  bearer,
  buildApi,
  capturingLogger,
  corruptJpeg,
  noFacePhoto,
  openTestCore,
  pngBomb,
  rowCounts,
  SAMPLE,
  sampleFacePhotos,
  type TestCore,
} from './helpers.js';

/** A multipart/form-data body with one part per file (what curl -F and browsers send). */
function multipart(files: { name?: string; filename: string; type: string; bytes: Buffer }[], fields: Record<string, string> = {}): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----maskgate${randomUUID()}`;
  const chunks: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  for (const file of files) {
    chunks.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${file.name ?? 'photo'}"; filename="${file.filename}"\r\nContent-Type: ${file.type}\r\n\r\n`),
      file.bytes,
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

describe('face routes', () => {
  let t: TestCore;
  let api: FastifyInstance;
  let admin: Record<string, string>;
  let faces: Buffer[]; // one-face photos of three different people (demo sample 1)
  let group: Buffer; // demo sample 1 itself: three faces

  beforeAll(async () => {
    t = await openTestCore();
    api = buildApi(t);
    admin = bearer(t.admin);
    faces = await sampleFacePhotos(t.core, 1);
    group = await readFile(SAMPLE(1));
    expect(faces.length).toBe(3);
  });
  afterAll(async () => {
    await api?.close();
    await t?.close();
  });

  async function newPerson(displayName = 'Test Person'): Promise<string> {
    const response = await api.inject({ method: 'POST', url: '/people', headers: admin, payload: { displayName } });
    return response.json().id as string;
  }

  const rawUpload = (personId: string, bytes: Buffer, type = 'image/jpeg', query = ''): InjectOptions => ({
    method: 'POST',
    url: `/people/${personId}/faces${query}`,
    headers: { ...admin, 'content-type': type },
    payload: bytes,
  });

  /** Sends `request`, expects `status` with error `code`, and that no row changed anywhere. */
  async function expectRefused(request: InjectOptions, status: number, code: string) {
    const before = rowCounts(t);
    const response = await api.inject(request);
    expect({ status: response.statusCode, code: response.json().error?.code }).toEqual({ status, code });
    expect(typeof response.json().error.message).toBe('string');
    expect(rowCounts(t)).toEqual(before);
    return response.json().error as { code: string; message: string; details?: Record<string, unknown> };
  }

  it('enrols one photo sent as a raw JPEG body and lists it without any biometric data', async () => {
    const personId = await newPerson('Raw Upload');
    const response = await api.inject(rawUpload(personId, faces[0]!));
    expect(response.statusCode).toBe(201);
    const report = response.json();
    expect(report).toMatchObject({ enrolled: 1, rejected: 0 });
    expect(report.results[0]).toMatchObject({ index: 0, filename: null, status: 'enrolled', face: { personId, matchable: true, quality: { ok: true } } });

    const list = await api.inject({ method: 'GET', url: `/people/${personId}/faces`, headers: bearer(t.reader) });
    expect(list.statusCode).toBe(200);
    const [face] = list.json().items;
    expect(face).toEqual(report.results[0].face);
    expect(Object.keys(face).sort()).toEqual(['createdAt', 'id', 'matchable', 'personId', 'quality', 'sourceSha256']);
    expect(list.body).not.toMatch(/embedding|crop|png/i);
  });

  it('enrols several photos from one multipart upload and reports each', async () => {
    const personId = await newPerson('Multipart Upload');
    const noFace = await noFacePhoto();
    const { payload, headers } = multipart([
      { filename: 'front.jpg', type: 'image/jpeg', bytes: faces[1]! },
      { filename: 'gradient.jpg', type: 'image/jpeg', bytes: noFace },
      { filename: 'front-again.png', type: 'image/png', bytes: await sharp(faces[1]).resize({ width: 300 }).png().toBuffer() },
    ]);
    const response = await api.inject({ method: 'POST', url: `/people/${personId}/faces`, headers: { ...admin, ...headers }, payload });
    expect(response.statusCode).toBe(201);
    const report = response.json();
    expect(report).toMatchObject({ enrolled: 2, rejected: 1 });
    expect(report.results.map((r: { filename: string; status: string }) => [r.filename, r.status])).toEqual([
      ['front.jpg', 'enrolled'],
      ['gradient.jpg', 'rejected'],
      ['front-again.png', 'enrolled'],
    ]);
    expect(report.results[1].error.code).toBe('no_face');
    expect(t.core.gallery.faceCount(personId)).toBe(2);
  });

  it('echoes a file name only as a clean label: no directory, nothing that breaks the text rules, never logged', async () => {
    const lines: string[] = [];
    const logged = buildApi(t, { logger: capturingLogger(lines) });
    const personId = await newPerson('Odd File Names');
    const names = [
      'C:\\Users\\ada\\front.jpg', // an old browser's full client path
      '../../etc/passwd.jpg',
      'bell\u0007ring.jpg',
      'esc\u001b[31mred.jpg',
      'gpj.\u202Eexe.jpg', // right-to-left override: displays as something else
      `${'a'.repeat(300)}.jpg`,
      'Zoe\u0308 front.jpg', // decomposed: stored as composed (NFC)
    ];
    const small = await sharp(faces[2]).resize({ width: 200 }).jpeg().toBuffer();
    const { payload, headers } = multipart(names.map((filename) => ({ filename, type: 'image/jpeg', bytes: small })));
    const response = await logged.inject({ method: 'POST', url: `/people/${personId}/faces?force=true`, headers: { ...admin, ...headers }, payload });
    await logged.close();
    expect(response.statusCode).toBe(201);
    const results = response.json().results as { index: number; filename: string | null; status: string; error?: { code: string } }[];
    expect(results.map((r) => r.filename)).toEqual(['front.jpg', 'passwd.jpg', null, null, null, null, 'Zo\u00eb front.jpg']);
    // The photos themselves are judged on their content: the first is enrolled, the rest are the same photo again.
    expect(results[0]!.status).toBe('enrolled');
    for (const r of results.slice(1)) expect(r.error?.code).toBe('duplicate_photo');
    const log = lines.join('\n');
    expect(log).toContain('photos enrolled'); // the upload was logged, without any file name
    for (const fragment of ['ring.jpg', 'red.jpg', 'exe.jpg', 'aaaaaaaa', 'passwd', 'front']) expect(log).not.toContain(fragment);
    t.core.gallery.deletePerson(personId); // the face of faces[2] belongs to another person in later tests
  });

  it('answers with the single error when every photo of a multipart upload fails, and photos_rejected for several', async () => {
    const personId = await newPerson();
    const one = multipart([{ filename: 'group.jpg', type: 'image/jpeg', bytes: group }]);
    const single = await expectRefused({ method: 'POST', url: `/people/${personId}/faces`, headers: { ...admin, ...one.headers }, payload: one.payload }, 422, 'multiple_faces');
    expect(single.details?.['boxes']).toHaveLength(3);

    const two = multipart([
      { filename: 'group.jpg', type: 'image/jpeg', bytes: group },
      { filename: 'empty.jpg', type: 'image/jpeg', bytes: Buffer.alloc(0) },
    ]);
    const both = await expectRefused({ method: 'POST', url: `/people/${personId}/faces`, headers: { ...admin, ...two.headers }, payload: two.payload }, 422, 'photos_rejected');
    const results = both.details?.['results'] as { error: { code: string } }[];
    expect(results.map((r) => r.error.code)).toEqual(['multiple_faces', 'empty_upload']);
  });

  describe('refuses bad input with a clear 4xx and leaves the database unchanged', () => {
    let personId: string;
    beforeAll(async () => {
      personId = await newPerson('Target');
    });

    it('a corrupt JPEG: 400 image_unreadable', async () => {
      await expectRefused(rawUpload(personId, corruptJpeg(faces[2]!)), 400, 'image_unreadable');
    });

    it('a PNG bomb (20000x20000, a few KB): 413 image_too_large, refused before decoding', async () => {
      const bomb = pngBomb(20_000);
      expect(bomb.length).toBeLessThan(100 * 1024);
      // A genuine PNG, not a lying header: a decoder with no limit sees all 400 MP.
      expect(await sharp(bomb, { limitInputPixels: false }).metadata()).toMatchObject({ format: 'png', width: 20_000, height: 20_000 });
      const corner = await sharp(bomb, { limitInputPixels: false }).extract({ left: 19_990, top: 19_990, width: 10, height: 10 }).raw().toBuffer();
      expect(corner.length).toBeGreaterThanOrEqual(100); // 10x10 pixels decoded (grey may come back as RGB)
      await expectRefused(rawUpload(personId, bomb, 'image/png'), 413, 'image_too_large');
    });

    it('a zero-byte upload: 400 empty_upload', async () => {
      await expectRefused(rawUpload(personId, Buffer.alloc(0)), 400, 'empty_upload');
      const empty = multipart([]);
      await expectRefused({ method: 'POST', url: `/people/${personId}/faces`, headers: { ...admin, ...empty.headers }, payload: empty.payload }, 400, 'empty_upload');
    });

    it('a 50 MB body: 413 body_too_large, raw or multipart', async () => {
      const huge = Buffer.alloc(50 * 1024 * 1024, 0xff);
      await expectRefused(rawUpload(personId, huge), 413, 'body_too_large');
      const form = multipart([{ filename: 'huge.jpg', type: 'image/jpeg', bytes: huge }]);
      await expectRefused({ method: 'POST', url: `/people/${personId}/faces`, headers: { ...admin, ...form.headers }, payload: form.payload }, 413, 'body_too_large');
    });

    it('a wrong content type: 415 unsupported_media_type', async () => {
      await expectRefused(rawUpload(personId, faces[2]!, 'image/gif'), 415, 'unsupported_media_type');
      await expectRefused(rawUpload(personId, Buffer.from('{"photo":"base64…"}'), 'application/json'), 415, 'unsupported_media_type');
      await expectRefused(rawUpload(personId, Buffer.from('GIF89a not really'), 'image/jpeg'), 415, 'unsupported_media_type');
      const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>');
      await expectRefused(rawUpload(personId, svg, 'image/png'), 415, 'unsupported_media_type');
    });

    it('an unknown person: 404 person_not_found', async () => {
      await expectRefused(rawUpload(randomUUID(), faces[2]!), 404, 'person_not_found');
    });

    it('a photo with no face: 422 no_face', async () => {
      await expectRefused(rawUpload(personId, await noFacePhoto()), 422, 'no_face');
    });

    it('a photo with three faces: 422 multiple_faces with their boxes', async () => {
      const error = await expectRefused(rawUpload(personId, group), 422, 'multiple_faces');
      const boxes = error.details?.['boxes'] as { x: number; y: number; width: number; height: number }[];
      expect(boxes).toHaveLength(3);
      for (const box of boxes) expect(box.width).toBeGreaterThan(20);
    });

    it('too many files in one upload: 413 too_many_files', async () => {
      const eleven = multipart(Array.from({ length: 11 }, (_, i) => ({ filename: `${i}.jpg`, type: 'image/jpeg', bytes: Buffer.alloc(0) })));
      await expectRefused({ method: 'POST', url: `/people/${personId}/faces`, headers: { ...admin, ...eleven.headers }, payload: eleven.payload }, 422, 'photos_rejected');
      const onlyLimit = buildApi(t, { maxPhotosPerUpload: 1 });
      try {
        const two = multipart([
          { filename: 'a.jpg', type: 'image/jpeg', bytes: Buffer.alloc(0) },
          { filename: 'b.jpg', type: 'image/jpeg', bytes: Buffer.alloc(0) },
        ]);
        const response = await onlyLimit.inject({ method: 'POST', url: `/people/${personId}/faces`, headers: { ...admin, ...two.headers }, payload: two.payload });
        expect(response.statusCode).toBe(422);
        const results = response.json().error.details.results as { error: { code: string } }[];
        expect(results.map((r) => r.error.code)).toEqual(['empty_upload', 'too_many_files']);
      } finally {
        await onlyLimit.close();
      }
    });

    it('a form field in a multipart upload: 400 unexpected_field', async () => {
      const form = multipart([], { note: 'hello' });
      await expectRefused({ method: 'POST', url: `/people/${personId}/faces`, headers: { ...admin, ...form.headers }, payload: form.payload }, 400, 'unexpected_field');
    });

    it('a photo of someone already enrolled as another person: 409 duplicate_person naming them, unless forced', async () => {
      const first = await newPerson('Original');
      expect((await api.inject(rawUpload(first, faces[2]!))).statusCode).toBe(201);
      // A re-encoded, smaller copy of the same face: different bytes, same person.
      const sameFace = await sharp(faces[2]).resize({ width: 220 }).jpeg({ quality: 80 }).toBuffer();
      const error = await expectRefused(rawUpload(personId, sameFace), 409, 'duplicate_person');
      expect(error.details).toMatchObject({ matchedPersonId: first });
      const forced = await api.inject(rawUpload(personId, sameFace, 'image/jpeg', '?force=true'));
      expect(forced.statusCode).toBe(201);
      expect(forced.json().results[0].nearestOther.personId).toBe(first);
    });

    it('the same photo twice for one person: 409 duplicate_photo naming the face', async () => {
      const owner = await newPerson('Twice');
      const first = await api.inject(rawUpload(owner, faces[1]!, 'image/jpeg', '?force=true'));
      expect(first.statusCode).toBe(201);
      const error = await expectRefused(rawUpload(owner, faces[1]!, 'image/jpeg', '?force=true'), 409, 'duplicate_photo');
      expect(error.details?.['faceId']).toBe(first.json().results[0].face.id);
    });
  });

  it('serves the aligned crop as a PNG to admins only, never cached', async () => {
    const personId = await newPerson('Crop Review');
    const report = (await api.inject(rawUpload(personId, faces[0]!, 'image/jpeg', '?force=true'))).json();
    const faceId = report.results[0].face.id as string;
    const url = `/people/${personId}/faces/${faceId}/crop`;
    const crop = await api.inject({ method: 'GET', url, headers: admin });
    expect(crop.statusCode).toBe(200);
    expect(crop.headers['content-type']).toBe('image/png');
    expect(crop.headers['cache-control']).toBe('no-store');
    expect(await sharp(crop.rawPayload).metadata()).toMatchObject({ width: 112, height: 112, format: 'png' });
    expect(crop.rawPayload.equals(t.core.gallery.crop(faceId)!)).toBe(true);

    const asReader = await api.inject({ method: 'GET', url, headers: bearer(t.reader) });
    expect(asReader.statusCode).toBe(403);
    expect(asReader.json().error.code).toBe('forbidden');
    const otherPerson = await newPerson();
    const wrongOwner = await api.inject({ method: 'GET', url: `/people/${otherPerson}/faces/${faceId}/crop`, headers: admin });
    expect(wrongOwner.statusCode).toBe(404);
    expect(wrongOwner.json().error.code).toBe('face_not_found');
  });

  it('deletes one face: gone from the store and the matcher', async () => {
    const personId = await newPerson('Face Delete');
    const report = (await api.inject(rawUpload(personId, faces[0]!, 'image/jpeg', '?force=true'))).json();
    const faceId = report.results[0].face.id as string;
    const sizeBefore = t.core.gallery.size;
    const before = rowCounts(t);
    const response = await api.inject({ method: 'DELETE', url: `/people/${personId}/faces/${faceId}`, headers: admin });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ id: faceId, personId });
    expect(rowCounts(t)).toEqual({ ...before, faces: before.faces - 1, templates: before.templates - 1 });
    expect(t.core.gallery.size).toBe(sizeBefore - 1);
    const again = await api.inject({ method: 'DELETE', url: `/people/${personId}/faces/${faceId}`, headers: admin });
    expect(again.statusCode).toBe(404);
    expect(again.json().error.code).toBe('face_not_found');
  });
});
