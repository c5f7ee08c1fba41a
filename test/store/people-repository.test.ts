import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../store/database.js';
import { FacesRepository } from '../../store/faces-repository.js';
import { PeopleRepository } from '../../store/people-repository.js';
import { TemplatesRepository } from '../../store/templates-repository.js';
import { fakePng, GOOD_QUALITY, randomEmbedding, sha256 } from './helpers.js';

describe('PeopleRepository', () => {
  let db: Database;
  let clock: number;
  let people: PeopleRepository;

  beforeEach(() => {
    db = openDatabase(':memory:');
    clock = 1_700_000_000_000;
    people = new PeopleRepository(db, () => clock);
  });
  afterEach(() => db.close());

  it('creates and reads back a person', () => {
    const created = people.create({ displayName: '  Ada Lovelace ', externalId: 'badge-1' });
    expect(created).toMatchObject({ displayName: 'Ada Lovelace', externalId: 'badge-1', active: true });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.createdAt).toBe(clock);
    expect(people.get(created.id)).toEqual(created);
    expect(people.getByExternalId('badge-1')).toEqual(created);
    expect(people.get('missing')).toBeNull();
  });

  it('allows many people without an external id but no two with the same one', () => {
    people.create({ displayName: 'A' });
    people.create({ displayName: 'B' });
    people.create({ displayName: 'C', externalId: 'x' });
    expect(() => people.create({ displayName: 'D', externalId: 'x' })).toThrow(
      expect.objectContaining({ code: 'STORE_CONFLICT' }),
    );
    expect(people.count()).toBe(3);
  });

  it('validates names and external ids', () => {
    expect(() => people.create({ displayName: '   ' })).toThrow(expect.objectContaining({ code: 'STORE_INVALID_INPUT' }));
    expect(() => people.create({ displayName: 'x'.repeat(201) })).toThrow(
      expect.objectContaining({ code: 'STORE_INVALID_INPUT' }),
    );
    expect(() => people.create({ displayName: 'ok', externalId: '' })).toThrow(
      expect.objectContaining({ code: 'STORE_INVALID_INPUT' }),
    );
  });

  it('updates fields, bumps updatedAt and reports conflicts and unknown ids', () => {
    const ada = people.create({ displayName: 'Ada' });
    people.create({ displayName: 'Bob', externalId: 'bob' });
    clock += 5_000;
    const updated = people.update(ada.id, { displayName: 'Ada L.', active: false, externalId: 'ada' });
    expect(updated).toMatchObject({ displayName: 'Ada L.', active: false, externalId: 'ada', updatedAt: clock });
    expect(updated.createdAt).toBe(ada.createdAt);
    expect(people.get(ada.id)).toEqual(updated);
    expect(people.update(ada.id, { externalId: null }).externalId).toBeNull();
    expect(() => people.update(ada.id, { externalId: 'bob' })).toThrow(expect.objectContaining({ code: 'STORE_CONFLICT' }));
    expect(() => people.update('missing', { active: true })).toThrow(expect.objectContaining({ code: 'STORE_NOT_FOUND' }));
  });

  it('searches display names and external ids by substring, case-insensitively, with paging', () => {
    const names = ['Ada Lovelace', 'Grace Hopper', 'Alan Turing', 'ada_bot', 'Adam 100%'];
    const ids = names.map((displayName, i) => {
      clock += 1;
      return people.create({ displayName, externalId: i === 1 ? 'HR-ADA-7' : `HR-${i}` }).id;
    });
    expect(people.search('ada').map((p) => p.displayName)).toEqual(['Ada Lovelace', 'Grace Hopper', 'ada_bot', 'Adam 100%']);
    expect(people.countSearch('ada')).toBe(4);
    expect(people.search('ada', { limit: 2, offset: 1 }).map((p) => p.id)).toEqual([ids[1], ids[3]]);
    // LIKE wildcards in the text are literal characters, not patterns.
    expect(people.search('_').map((p) => p.displayName)).toEqual(['ada_bot']);
    expect(people.search('%').map((p) => p.displayName)).toEqual(['Adam 100%']);
    expect(people.search('hr-2').map((p) => p.displayName)).toEqual(['Alan Turing']);
    expect(people.search('nobody')).toEqual([]);
    expect(people.countSearch('nobody')).toBe(0);
  });

  it('lists oldest first with paging and an active-only view', () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      clock += 1;
      ids.push(people.create({ displayName: `P${i}`, active: i % 2 === 0 }).id);
    }
    expect(people.list().map((p) => p.id)).toEqual(ids);
    expect(people.list({ limit: 2, offset: 1 }).map((p) => p.id)).toEqual(ids.slice(1, 3));
    expect(people.list({ activeOnly: true }).map((p) => p.displayName)).toEqual(['P0', 'P2', 'P4']);
    expect(people.count({ activeOnly: true })).toBe(3);
    expect(people.list({ limit: 0 })).toHaveLength(1); // clamped to at least one row
  });

  it('deletes a person with their faces and templates, and is idempotent', () => {
    const faces = new FacesRepository(db);
    const templates = new TemplatesRepository(db);
    const ada = people.create({ displayName: 'Ada' });
    const bob = people.create({ displayName: 'Bob' });
    for (const person of [ada, ada, bob]) {
      const face = faces.insert({
        personId: person.id,
        alignedCropPng: fakePng(),
        sourceSha256: sha256(person.id + Math.random()),
        quality: GOOD_QUALITY,
      });
      templates.upsert({ faceId: face.id, modelId: 'm1', embedding: randomEmbedding(8) });
      templates.upsert({ faceId: face.id, modelId: 'm2', embedding: randomEmbedding(8) });
    }

    const report = people.delete(ada.id);
    expect(report).toEqual({ found: true, facesDeleted: 2, templatesDeleted: 4, walTruncated: true });
    expect(people.get(ada.id)).toBeNull();
    expect(faces.countByPerson(ada.id)).toBe(0);
    expect(db.prepare('SELECT COUNT(*) FROM templates').pluck().get()).toBe(2);
    expect(faces.countByPerson(bob.id)).toBe(1);
    expect(people.delete(ada.id)).toEqual({ found: false, facesDeleted: 0, templatesDeleted: 0, walTruncated: true });
  });
});
