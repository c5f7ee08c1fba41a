// People routes through app.inject: create, list and search with paging, read, update and
// activation (the matcher follows), delete, and the validation and conflict errors.
import { readFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { bearer, buildApi, openTestCore, rowCounts, SAMPLE, sampleFacePhotos, type TestCore } from './helpers.js';

describe('people routes', () => {
  let t: TestCore;
  let api: FastifyInstance;
  let admin: Record<string, string>;

  beforeAll(async () => {
    t = await openTestCore();
    api = buildApi(t);
    admin = bearer(t.admin);
  });
  afterAll(async () => {
    await api?.close();
    await t?.close();
  });

  const create = (body: unknown) => api.inject({ method: 'POST', url: '/people', headers: admin, payload: body as object });

  it('creates a person and reads it back', async () => {
    const created = await create({ displayName: '  Ada Lovelace ', externalId: 'HR-0042' });
    expect(created.statusCode).toBe(201);
    const person = created.json();
    expect(person).toMatchObject({ displayName: 'Ada Lovelace', externalId: 'HR-0042', active: true, faceCount: 0 });
    expect(person.id).toMatch(/^[0-9a-f-]{36}$/);
    const read = await api.inject({ method: 'GET', url: `/people/${person.id}`, headers: bearer(t.reader) });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual(person);
  });

  it('refuses a second person with the same external id, and changes nothing', async () => {
    await create({ displayName: 'First', externalId: 'HR-DUP' });
    const before = rowCounts(t);
    const second = await create({ displayName: 'Second', externalId: 'HR-DUP' });
    expect(second.statusCode).toBe(409);
    expect(second.json().error.code).toBe('external_id_conflict');
    expect(rowCounts(t)).toEqual(before);
  });

  it.each([
    ['no name', {}],
    ['unknown property', { displayName: 'Eve', role: 'admin' }],
    ['wrong type', { displayName: 'Eve', active: 'yes' }],
  ])('answers 400 validation_failed for %s', async (_label, body) => {
    const before = rowCounts(t);
    const response = await create(body);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('validation_failed');
    expect(response.json().error.details.issues.length).toBeGreaterThan(0);
    expect(rowCounts(t)).toEqual(before);
  });

  // Free text breaks its own rules (access/text-field.ts): a field-level code names the field.
  it.each([
    ['blank name', { displayName: '   ' }, 'text_empty', 'displayName'],
    ['name too long', { displayName: 'x'.repeat(201) }, 'text_too_long', 'displayName'],
    ['empty external id', { displayName: 'Eve', externalId: '' }, 'text_empty', 'externalId'],
  ])('answers 400 with a field-level code for %s', async (_label, body, code, field) => {
    const before = rowCounts(t);
    const response = await create(body);
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code, details: { field, in: 'body' } });
    expect(rowCounts(t)).toEqual(before);
  });

  it('answers 400 invalid_json for a malformed JSON body', async () => {
    const response = await api.inject({ method: 'POST', url: '/people', headers: { ...admin, 'content-type': 'application/json' }, payload: '{"displayName": ' });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('invalid_json');
  });

  it('answers 415 for a photo posted to /people', async () => {
    const response = await api.inject({
      method: 'POST',
      url: '/people',
      headers: { ...admin, 'content-type': 'image/jpeg' },
      payload: await readFile(SAMPLE(1)),
    });
    expect(response.statusCode).toBe(415);
    expect(response.json().error.code).toBe('unsupported_media_type');
  });

  it('lists with paging and searches names and external ids', async () => {
    for (const [displayName, externalId] of [['Grace Hopper', 'NAVY-1'], ['Alan Turing', 'GCHQ-7'], ['Grace Kelly', null]] as const) {
      expect((await create({ displayName, externalId })).statusCode).toBe(201);
    }
    const all = (await api.inject({ method: 'GET', url: '/people?limit=1000', headers: admin })).json();
    expect(all.total).toBe(all.items.length);
    const page = (await api.inject({ method: 'GET', url: '/people?limit=2&offset=1', headers: admin })).json();
    expect(page).toMatchObject({ limit: 2, offset: 1, total: all.total });
    expect(page.items.map((p: { id: string }) => p.id)).toEqual(all.items.slice(1, 3).map((p: { id: string }) => p.id));

    const grace = (await api.inject({ method: 'GET', url: '/people?q=grace', headers: admin })).json();
    expect(grace.items.map((p: { displayName: string }) => p.displayName)).toEqual(['Grace Hopper', 'Grace Kelly']);
    expect(grace.total).toBe(2);
    const byBadge = (await api.inject({ method: 'GET', url: '/people?q=gchq', headers: admin })).json();
    expect(byBadge.items.map((p: { displayName: string }) => p.displayName)).toEqual(['Alan Turing']);

    const tooBig = await api.inject({ method: 'GET', url: '/people?limit=5000', headers: admin });
    expect(tooBig.statusCode).toBe(400);
    expect(tooBig.json().error.code).toBe('validation_failed');
  });

  it('answers 404 person_not_found for an unknown id and 400 for a malformed one', async () => {
    for (const method of ['GET', 'PATCH', 'DELETE'] as const) {
      const response = await api.inject({ method, url: `/people/${randomUUID()}`, headers: admin, ...(method === 'PATCH' ? { payload: { active: false } } : {}) });
      expect(response.statusCode).toBe(404);
      expect(response.json().error.code).toBe('person_not_found');
    }
    const malformed = await api.inject({ method: 'GET', url: '/people/not-a-uuid', headers: admin });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error.code).toBe('validation_failed');
  });

  it('deactivation stops a person matching at once and activation restores them', async () => {
    const person = (await create({ displayName: 'Sample Face' })).json();
    const [photo] = await sampleFacePhotos(t.core, 3);
    const upload = await api.inject({
      method: 'POST',
      url: `/people/${person.id}/faces`,
      headers: { ...admin, 'content-type': 'image/jpeg' },
      payload: photo!,
    });
    expect(upload.statusCode).toBe(201);
    const probe = (await t.core.analyzer.analyze(await import('../../pipeline/image.js').then((m) => m.decodeImage(photo!)), { padded: true }))[0]!.embedding!;
    const matches = () => t.core.gallery.search(probe, 1).filter((m) => m.personId === person.id);
    expect(matches()).toHaveLength(1);

    const off = await api.inject({ method: 'PATCH', url: `/people/${person.id}`, headers: admin, payload: { active: false } });
    expect(off.statusCode).toBe(200);
    expect(off.json()).toMatchObject({ active: false, faceCount: 1 });
    expect(matches()).toHaveLength(0);

    const on = await api.inject({ method: 'PATCH', url: `/people/${person.id}`, headers: admin, payload: { active: true, displayName: 'Renamed' } });
    expect(on.json()).toMatchObject({ active: true, displayName: 'Renamed' });
    expect(matches()).toHaveLength(1);

    const empty = await api.inject({ method: 'PATCH', url: `/people/${person.id}`, headers: admin, payload: {} });
    expect(empty.statusCode).toBe(400);
  });

  it('deletes a person with their faces; a second delete is 404', async () => {
    const person = (await create({ displayName: 'To Forget' })).json();
    const [photo] = await sampleFacePhotos(t.core, 4);
    expect((await api.inject({ method: 'POST', url: `/people/${person.id}/faces`, headers: { ...admin, 'content-type': 'image/jpeg' }, payload: photo! })).statusCode).toBe(201);
    const before = rowCounts(t);
    const deleted = await api.inject({ method: 'DELETE', url: `/people/${person.id}`, headers: admin });
    expect(deleted.statusCode).toBe(200);
    expect(deleted.json()).toEqual({ id: person.id, facesDeleted: 1, templatesDeleted: 1, walTruncated: true });
    expect(rowCounts(t)).toEqual({ people: before.people - 1, faces: before.faces - 1, templates: before.templates - 1 });
    expect((await api.inject({ method: 'DELETE', url: `/people/${person.id}`, headers: admin })).statusCode).toBe(404);
  });
});
