// On a replication replica the API refuses every change to people, faces and the access policy
// with 409 replica_read_only naming the authority, changes nothing, and keeps answering reads;
// the appliance's own concerns (re-embedding, API keys) and authentication come first as usual.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { bearer, buildApi, openTestCore, rowCounts, SAMPLE, type TestCore } from './helpers.js';
import { readFile } from 'node:fs/promises';

describe('a replica API is read-only for what the authority owns', () => {
  let t: TestCore;
  let api: FastifyInstance;
  let personId: string;

  beforeAll(async () => {
    t = await openTestCore();
    // A person that arrived by replication (written straight to the gallery, as the replica does).
    personId = t.core.gallery.createPerson('Replicated Ada').id;
    api = buildApi(t, { replicaOf: 'hq', access: { site: t.core.access, doorIds: () => ['lobby'] } });
  });
  afterAll(async () => {
    await api?.close();
    await t?.close();
  });

  const json = (method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload: object) =>
    api.inject({ method, url, headers: bearer(t.admin), payload });

  it('refuses enrolment, edits, deletion and policy CRUD with 409 replica_read_only, and changes nothing', async () => {
    const before = rowCounts(t);
    const photo = await readFile(SAMPLE(1));
    const writes = [
      await json('POST', '/people', { displayName: 'Local Bob' }),
      await json('PATCH', `/people/${personId}`, { displayName: 'Renamed' }),
      await api.inject({ method: 'DELETE', url: `/people/${personId}`, headers: bearer(t.admin) }),
      await api.inject({ method: 'POST', url: `/people/${personId}/faces`, headers: { ...bearer(t.admin), 'content-type': 'image/jpeg' }, payload: photo }),
      await json('POST', '/access/zones', { name: 'Lobby', doorIds: ['lobby'] }),
      await json('PUT', '/access/settings', { mode: 'enforced', timeZone: 'UTC', pin: { entrySeconds: 30, maxAttempts: 5, lockoutSeconds: 300 } }),
      await json('PUT', `/people/${personId}/access`, { groupIds: [], validFrom: null, validUntil: null }),
      await api.inject({ method: 'PUT', url: '/access/holidays/2026-12-25', headers: bearer(t.admin), payload: { name: 'Christmas' } }),
    ];
    for (const response of writes) {
      expect(response.statusCode, response.body).toBe(409);
      expect(response.json().error).toMatchObject({ code: 'replica_read_only', details: { authorityId: 'hq' } });
      expect(response.json().error.message).toContain('"hq"');
    }
    expect(rowCounts(t)).toEqual(before);
    expect(t.core.gallery.person(personId)?.displayName).toBe('Replicated Ada');
    expect(t.core.access.settings.get().mode).toBe('open');
    expect(t.core.access.zones.list()).toEqual([]);
  });

  it('keeps reads working', async () => {
    const list = await api.inject({ method: 'GET', url: '/people', headers: bearer(t.reader) });
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((p: { id: string }) => p.id)).toContain(personId);
    expect((await api.inject({ method: 'GET', url: '/access/settings', headers: bearer(t.reader) })).statusCode).toBe(200);
    expect((await api.inject({ method: 'GET', url: `/people/${personId}`, headers: bearer(t.reader) })).statusCode).toBe(200);
  });

  it('asks for a key before saying anything about replication', async () => {
    const anonymous = await api.inject({ method: 'POST', url: '/people', payload: { displayName: 'X' } });
    expect(anonymous.statusCode).toBe(401);
  });

  it('an authority or standalone appliance accepts the same writes', async () => {
    const standalone = buildApi(t, { access: { site: t.core.access, doorIds: () => ['lobby'] } });
    try {
      const created = await standalone.inject({ method: 'POST', url: '/people', headers: bearer(t.admin), payload: { displayName: 'Local Bob' } });
      expect(created.statusCode).toBe(201);
    } finally {
      await standalone.close();
    }
  });
});
