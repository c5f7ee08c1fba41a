import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GalleryMatcher } from '../../pipeline/matcher.js';
import { openDatabase, type Database } from '../../store/database.js';
import { FacesRepository } from '../../store/faces-repository.js';
import { PeopleRepository } from '../../store/people-repository.js';
import { TemplatesRepository, type GalleryTemplate } from '../../store/templates-repository.js';
import { fakePng, GOOD_QUALITY, randomEmbedding, sha256 } from './helpers.js';

describe('TemplatesRepository', () => {
  let db: Database;
  let people: PeopleRepository;
  let faces: FacesRepository;
  let templates: TemplatesRepository;
  let clock = 0;

  function enrolFace(personId: string): string {
    return faces.insert({ personId, alignedCropPng: fakePng(), sourceSha256: sha256(String(Math.random())), quality: GOOD_QUALITY })
      .id;
  }

  beforeEach(() => {
    db = openDatabase(':memory:');
    people = new PeopleRepository(db);
    faces = new FacesRepository(db);
    templates = new TemplatesRepository(db, () => ++clock);
  });
  afterEach(() => db.close());

  it('round-trips an embedding bit for bit and replaces it on upsert', () => {
    const faceId = enrolFace(people.create({ displayName: 'Ada' }).id);
    const first = new Float32Array([1.5, -0, Number.MIN_VALUE, -3.4e38, 0.1]);
    templates.upsert({ faceId, modelId: 'm', embedding: first });
    const stored = templates.get(faceId, 'm');
    expect(stored).toMatchObject({ faceId, modelId: 'm', dimension: 5 });
    expect(Buffer.from(stored!.embedding.buffer).equals(Buffer.from(first.buffer))).toBe(true);

    const second = randomEmbedding(7);
    templates.upsert({ faceId, modelId: 'm', embedding: second });
    expect(templates.get(faceId, 'm')?.embedding).toEqual(second);
    expect(templates.get(faceId, 'm')?.dimension).toBe(7);
    expect(templates.count('m')).toBe(1);
    expect(templates.get(faceId, 'other')).toBeNull();
  });

  it('validates embeddings, model ids and faces', () => {
    const faceId = enrolFace(people.create({ displayName: 'Ada' }).id);
    const code = (c: string) => expect.objectContaining({ code: c });
    expect(() => templates.upsert({ faceId, modelId: 'm', embedding: new Float32Array(0) })).toThrow(code('STORE_INVALID_INPUT'));
    expect(() => templates.upsert({ faceId, modelId: 'm', embedding: new Float32Array([1, Number.NaN]) })).toThrow(
      code('STORE_INVALID_INPUT'),
    );
    expect(() => templates.upsert({ faceId, modelId: '', embedding: randomEmbedding(4) })).toThrow(code('STORE_INVALID_INPUT'));
    expect(() => templates.upsert({ faceId: 'nope', modelId: 'm', embedding: randomEmbedding(4) })).toThrow(
      code('STORE_NOT_FOUND'),
    );
  });

  it('loadAll yields only the requested model and only active people', () => {
    const ada = people.create({ displayName: 'Ada' });
    const bob = people.create({ displayName: 'Bob', active: false });
    const adaFaces = [enrolFace(ada.id), enrolFace(ada.id)];
    const bobFace = enrolFace(bob.id);
    const expected = new Map<string, Float32Array>();
    for (const faceId of [...adaFaces, bobFace]) {
      const embedding = randomEmbedding(16);
      templates.upsert({ faceId, modelId: 'current', embedding });
      templates.upsert({ faceId, modelId: 'old', embedding: randomEmbedding(8) });
      expected.set(faceId, embedding);
    }

    const loaded: GalleryTemplate[] = [...templates.loadAll('current')];
    expect(loaded.map((t) => t.faceId).sort()).toEqual([...adaFaces].sort());
    for (const template of loaded) {
      expect(template.personId).toBe(ada.id);
      expect(template.embedding).toEqual(expected.get(template.faceId));
    }
    expect(templates.count('current')).toBe(3);
    expect(templates.count('current', { activeOnly: true })).toBe(2);

    people.update(bob.id, { active: true });
    expect([...templates.loadAll('current')]).toHaveLength(3);
  });

  it('feeds GalleryMatcher.loadFrom directly', () => {
    const ada = people.create({ displayName: 'Ada' });
    const faceId = enrolFace(ada.id);
    const embedding = randomEmbedding(32);
    templates.upsert({ faceId, modelId: 'm', embedding });
    const matcher = GalleryMatcher.loadFrom(templates, 'm', 32);
    expect(matcher.size).toBe(1);
    const [best] = matcher.search(embedding, 1);
    expect(best).toMatchObject({ personId: ada.id, faceId });
    expect(best!.score).toBeCloseTo(1, 6);
  });

  it('lists models and drops a retired one', () => {
    const ada = people.create({ displayName: 'Ada' });
    const [f1, f2] = [enrolFace(ada.id), enrolFace(ada.id)];
    templates.upsert({ faceId: f1, modelId: 'a', embedding: randomEmbedding(4) });
    templates.upsert({ faceId: f2, modelId: 'a', embedding: randomEmbedding(4) });
    templates.upsert({ faceId: f1, modelId: 'b', embedding: randomEmbedding(4) });
    expect(templates.models()).toEqual([
      { modelId: 'a', templates: 2 },
      { modelId: 'b', templates: 1 },
    ]);
    expect(templates.deleteModel('a')).toEqual({ deleted: 2, walTruncated: true });
    expect(templates.models()).toEqual([{ modelId: 'b', templates: 1 }]);
  });
});
