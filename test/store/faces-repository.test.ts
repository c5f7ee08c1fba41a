import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../store/database.js';
import { FacesRepository, MAX_CROP_BYTES } from '../../store/faces-repository.js';
import { PeopleRepository } from '../../store/people-repository.js';
import { TemplatesRepository } from '../../store/templates-repository.js';
import { fakePng, GOOD_QUALITY, randomEmbedding, sha256 } from './helpers.js';

describe('FacesRepository', () => {
  let db: Database;
  let faces: FacesRepository;
  let personId: string;

  beforeEach(() => {
    db = openDatabase(':memory:');
    faces = new FacesRepository(db, () => 42);
    personId = new PeopleRepository(db).create({ displayName: 'Ada' }).id;
  });
  afterEach(() => db.close());

  it('stores the crop with its hash and returns metadata without it', () => {
    const crop = fakePng(5000);
    const source = sha256('source image');
    const face = faces.insert({ personId, alignedCropPng: crop, sourceSha256: source, quality: GOOD_QUALITY });
    expect(face).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      personId,
      cropSha256: sha256(crop),
      sourceSha256: source,
      quality: GOOD_QUALITY,
      createdAt: 42,
    });
    expect(faces.get(face.id)).toEqual(face);
    expect(faces.getCrop(face.id)?.equals(crop)).toBe(true);
    expect(faces.listByPerson(personId)).toEqual([face]);
    expect(faces.countByPerson(personId)).toBe(1);
    expect(faces.findBySource(personId, source)).toEqual(face);
    expect(faces.findBySource(personId, sha256('other'))).toBeNull();
    expect(faces.get('missing')).toBeNull();
    expect(faces.getCrop('missing')).toBeNull();
  });

  it('rejects crops that are not PNGs or are implausibly large, and bad hashes', () => {
    const base = { personId, sourceSha256: sha256('s'), quality: GOOD_QUALITY };
    expect(() => faces.insert({ ...base, alignedCropPng: Buffer.from('GIF89a not a png') })).toThrow(
      expect.objectContaining({ code: 'STORE_INVALID_INPUT' }),
    );
    expect(() => faces.insert({ ...base, alignedCropPng: fakePng(MAX_CROP_BYTES + 1) })).toThrow(
      expect.objectContaining({ code: 'STORE_INVALID_INPUT' }),
    );
    expect(() => faces.insert({ ...base, alignedCropPng: fakePng(), sourceSha256: 'ABC' })).toThrow(
      expect.objectContaining({ code: 'STORE_INVALID_INPUT' }),
    );
  });

  it('reports an unknown person as STORE_NOT_FOUND', () => {
    expect(() =>
      faces.insert({ personId: 'nobody', alignedCropPng: fakePng(), sourceSha256: sha256('s'), quality: GOOD_QUALITY }),
    ).toThrow(expect.objectContaining({ code: 'STORE_NOT_FOUND' }));
  });

  it('lists faces missing a template for a model, for re-embedding', () => {
    const templates = new TemplatesRepository(db);
    const ids = [0, 1, 2].map(
      (i) => faces.insert({ personId, alignedCropPng: fakePng(), sourceSha256: sha256(`s${i}`), quality: GOOD_QUALITY }).id,
    );
    templates.upsert({ faceId: ids[1]!, modelId: 'new', embedding: randomEmbedding(4) });
    expect(faces.listMissingTemplate('new', 10)).toEqual([
      { faceId: ids[0], personId },
      { faceId: ids[2], personId },
    ]);
    expect(faces.listMissingTemplate('new', 1)).toHaveLength(1);
    expect(faces.listMissingTemplate('other', 10)).toHaveLength(3);
  });

  it('deletes one face with its templates', () => {
    const templates = new TemplatesRepository(db);
    const face = faces.insert({ personId, alignedCropPng: fakePng(), sourceSha256: sha256('s'), quality: GOOD_QUALITY });
    templates.upsert({ faceId: face.id, modelId: 'a', embedding: randomEmbedding(4) });
    templates.upsert({ faceId: face.id, modelId: 'b', embedding: randomEmbedding(4) });
    expect(faces.delete(face.id)).toEqual({ found: true, templatesDeleted: 2, walTruncated: true });
    expect(faces.get(face.id)).toBeNull();
    expect(templates.get(face.id, 'a')).toBeNull();
    expect(faces.delete(face.id)).toEqual({ found: false, templatesDeleted: 0, walTruncated: true });
  });
});
