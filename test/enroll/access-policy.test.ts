// Access-policy routes through app.inject: the contract of docs/access-policy.md, roles,
// validation with control characters and bad references, and that edits reach the policy at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { bearer, buildApi, openTestCore, type TestCore } from './helpers.js';

const DOORS = ['front', 'lab', 'side'];
const mondayNoonBerlin = '2026-06-08T12:00:00+02:00';
const mondayNightBerlin = '2026-06-08T23:00:00+02:00';

describe('access policy routes', () => {
  let t: TestCore;
  let api: FastifyInstance;
  let admin: Record<string, string>;
  let reader: Record<string, string>;

  beforeAll(async () => {
    t = await openTestCore();
    api = buildApi(t, { access: { site: t.core.access, doorIds: () => DOORS } });
    admin = bearer(t.admin);
    reader = bearer(t.reader);
  });
  afterAll(async () => {
    await api?.close();
    await t?.close();
  });

  const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown, headers = admin) =>
    api.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
  const person = async (displayName: string): Promise<string> => (await call('POST', '/people', { displayName })).json().id;
  const officeHours = { windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', end: '18:00' }], holidayWindows: [] };
  const check = async (personId: string, doorId: string, at: string) =>
    (await call('GET', `/access/check?personId=${personId}&doorId=${doorId}&at=${encodeURIComponent(at)}`, undefined, reader)).json();

  it('starts open in UTC, and switches to enforced in a named zone; an unknown zone is refused', async () => {
    expect((await call('GET', '/access/settings', undefined, reader)).json()).toEqual({ mode: 'open', timeZone: 'UTC', pin: { entrySeconds: 30, maxAttempts: 5, lockoutSeconds: 300 } });
    const bad = await call('PUT', '/access/settings', { mode: 'enforced', timeZone: 'Mars/Olympus', pin: { entrySeconds: 30, maxAttempts: 5, lockoutSeconds: 300 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('invalid_time_zone');
    expect((await call('GET', '/access/settings')).json().mode).toBe('open');
    const ok = await call('PUT', '/access/settings', { mode: 'enforced', timeZone: 'Europe/Berlin', pin: { entrySeconds: 20, maxAttempts: 3, lockoutSeconds: 60 } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ mode: 'enforced', timeZone: 'Europe/Berlin' });
  });

  it('builds zones, a schedule and a group, and the next check follows each edit', async () => {
    const ada = await person('Ada');
    const zone = await call('POST', '/access/zones', { name: 'Lobby', doorIds: ['front', 'side'] });
    expect(zone.statusCode).toBe(201);
    expect(zone.json()).toMatchObject({ name: 'Lobby', doorIds: ['front', 'side'] });
    const schedule = await call('POST', '/access/schedules', { name: 'Office hours', ...officeHours });
    expect(schedule.statusCode).toBe(201);
    const group = await call('POST', '/access/groups', { name: 'Staff', grants: [{ zoneId: zone.json().id, scheduleId: schedule.json().id }] });
    expect(group.statusCode).toBe(201);
    expect(group.json()).toMatchObject({ memberCount: 0, grants: [{ zoneId: zone.json().id, scheduleId: schedule.json().id }] });

    expect(await check(ada, 'front', mondayNoonBerlin)).toMatchObject({ allowed: false, reason: 'door_not_permitted', mode: 'enforced' });
    const access = await call('PUT', `/people/${ada}/access`, { groupIds: [group.json().id], validFrom: null, validUntil: null });
    expect(access.statusCode).toBe(200);
    expect(access.json()).toEqual({ personId: ada, groupIds: [group.json().id], validFrom: null, validUntil: null, pin: { set: false, lockedUntil: null } });
    expect(await check(ada, 'front', mondayNoonBerlin)).toMatchObject({ allowed: true, reason: 'match' });
    expect(await check(ada, 'lab', mondayNoonBerlin)).toMatchObject({ allowed: false, reason: 'door_not_permitted' });
    expect(await check(ada, 'front', mondayNightBerlin)).toMatchObject({ allowed: false, reason: 'outside_schedule' });

    expect((await call('PUT', '/access/holidays/2026-06-08', { name: 'Whit Monday' })).json()).toEqual({ date: '2026-06-08', name: 'Whit Monday' });
    expect(await check(ada, 'front', mondayNoonBerlin)).toMatchObject({ reason: 'outside_schedule' });
    expect((await call('DELETE', '/access/holidays/2026-06-08')).statusCode).toBe(204);
    expect((await call('DELETE', '/access/holidays/2026-06-08')).json().error.code).toBe('holiday_not_found');

    await call('PUT', `/people/${ada}/access`, { groupIds: [group.json().id], validFrom: '2026-06-08T12:00:01+02:00', validUntil: null });
    expect(await check(ada, 'front', mondayNoonBerlin)).toMatchObject({ reason: 'not_yet_valid' });
    await call('PUT', `/people/${ada}/access`, { groupIds: [group.json().id], validFrom: null, validUntil: mondayNoonBerlin });
    expect(await check(ada, 'front', mondayNoonBerlin)).toMatchObject({ reason: 'expired' });
    expect((await call('GET', `/people/${ada}/access`, undefined, reader)).json().validUntil).toBe('2026-06-08T10:00:00.000Z');

    const members = await call('GET', `/access/groups/${group.json().id}/members`, undefined, reader);
    expect(members.json()).toEqual({ items: [{ personId: ada, displayName: 'Ada' }] });
    const doors = (await call('GET', '/access/doors', undefined, reader)).json().items;
    expect(doors).toEqual([
      { doorId: 'front', factors: 'face', zoneIds: [zone.json().id], configured: true },
      { doorId: 'lab', factors: 'face', zoneIds: [], configured: true },
      { doorId: 'side', factors: 'face', zoneIds: [zone.json().id], configured: true },
    ]);

    // A schedule in use cannot go; deleting the zone removes the grant, then it can.
    const inUse = await call('DELETE', `/access/schedules/${schedule.json().id}`);
    expect(inUse.statusCode).toBe(409);
    expect(inUse.json().error).toMatchObject({ code: 'schedule_in_use', details: { groupIds: [group.json().id] } });
    expect((await call('DELETE', `/access/zones/${zone.json().id}`)).statusCode).toBe(204);
    expect((await call('GET', `/access/groups/${group.json().id}`)).json().grants).toEqual([]);
    expect((await call('DELETE', `/access/schedules/${schedule.json().id}`)).statusCode).toBe(204);
    expect((await call('GET', `/access/schedules/${schedule.json().id}`)).json().error.code).toBe('schedule_not_found');
  });

  it('refuses bad input with a clear 4xx and writes nothing', async () => {
    const zone = (await call('POST', '/access/zones', { name: 'Lab', doorIds: ['lab'] })).json();
    const cases: Array<[string, string, unknown, number, string]> = [
      ['POST', '/access/zones', { name: 'Ghost', doorIds: ['no-such-door'] }, 422, 'reference_not_found'],
      ['POST', '/access/zones', { name: 'Lab', doorIds: [] }, 409, 'name_conflict'],
      ['POST', '/access/zones', { name: 'Bad\u0000door', doorIds: ['lab\n'] }, 400, 'validation_failed'],
      ['POST', '/access/zones', { name: 'x', doorIds: [], extra: 1 }, 400, 'validation_failed'],
      ['POST', '/access/zones', { name: 'Bell\u0007', doorIds: [] }, 400, 'validation_failed'],
      ['POST', '/access/groups', { name: 'Line\nbreak', grants: [] }, 400, 'validation_failed'],
      ['PUT', '/access/holidays/2026-12-25', { name: '\u001b[31mred' }, 400, 'validation_failed'],
      ['POST', '/access/schedules', { name: 'Empty', windows: [{ days: ['mon'], start: '08:00', end: '08:00' }], holidayWindows: null }, 400, 'validation_failed'],
      ['POST', '/access/schedules', { name: 'Late', windows: [{ days: ['mon'], start: '25:00', end: '08:00' }], holidayWindows: null }, 400, 'validation_failed'],
      ['POST', '/access/schedules', { name: 'Days', windows: [{ days: ['monday'], start: '08:00', end: '09:00' }], holidayWindows: null }, 400, 'validation_failed'],
      ['POST', '/access/groups', { name: 'G', grants: [{ zoneId: zone.id, scheduleId: '00000000-0000-4000-8000-000000000000' }] }, 422, 'reference_not_found'],
      ['POST', '/access/groups', { name: 'G', grants: [{ zoneId: 'not-a-uuid', scheduleId: null }] }, 400, 'validation_failed'],
      ['PUT', '/access/holidays/2026-02-30', { name: 'Nope' }, 400, 'validation_failed'],
      ['PUT', '/access/doors/nowhere', { factors: 'face+pin' }, 404, 'door_not_found'],
      ['PUT', '/access/doors/lab', { factors: 'iris' }, 400, 'validation_failed'],
      ['PUT', `/access/zones/00000000-0000-4000-8000-000000000000`, { name: 'Z', doorIds: [] }, 404, 'zone_not_found'],
    ];
    const before = JSON.stringify([(await call('GET', '/access/zones')).json(), (await call('GET', '/access/schedules')).json(), (await call('GET', '/access/groups')).json(), (await call('GET', '/access/holidays')).json()]);
    for (const [method, url, body, status, code] of cases) {
      const response = await call(method as 'POST', url, body);
      expect({ url, body, status: response.statusCode, code: response.json().error?.code }).toEqual({ url, body, status, code });
    }
    const after = JSON.stringify([(await call('GET', '/access/zones')).json(), (await call('GET', '/access/schedules')).json(), (await call('GET', '/access/groups')).json(), (await call('GET', '/access/holidays')).json()]);
    expect(after).toBe(before);
  });

  it('refuses bad person access and PINs', async () => {
    const bob = await person('Bob');
    const unknownGroup = await call('PUT', `/people/${bob}/access`, { groupIds: ['00000000-0000-4000-8000-000000000000'], validFrom: null, validUntil: null });
    expect(unknownGroup.statusCode).toBe(422);
    expect(unknownGroup.json().error.details).toEqual({ field: 'groupIds/0', id: '00000000-0000-4000-8000-000000000000' });
    const backwards = await call('PUT', `/people/${bob}/access`, { groupIds: [], validFrom: '2026-01-02T00:00:00Z', validUntil: '2026-01-01T00:00:00Z' });
    expect(backwards.json().error.code).toBe('validation_failed');
    const noZone = await call('PUT', `/people/${bob}/access`, { groupIds: [], validFrom: '2026-01-02T00:00:00', validUntil: null });
    expect(noZone.json().error.code).toBe('validation_failed');
    for (const pin of ['123', '1234567890123', '12a4', '１２３４', ' 1234', 1234]) {
      const response = await call('PUT', `/people/${bob}/pin`, { pin });
      expect(response.statusCode).toBe(400);
    }
    expect((await call('PUT', '/people/00000000-0000-4000-8000-000000000000/pin', { pin: '1234' })).json().error.code).toBe('person_not_found');
    expect((await call('GET', `/people/${bob}/access`)).json().pin.set).toBe(false);
  });

  it('sets and clears a PIN without ever returning it, and deleting the person erases access and PIN', async () => {
    const cy = await person('Cy');
    const group = (await call('POST', '/access/groups', { name: 'Visitors', grants: [] })).json();
    await call('PUT', `/people/${cy}/access`, { groupIds: [group.id], validFrom: null, validUntil: '2030-01-01T00:00:00Z' });
    const set = await call('PUT', `/people/${cy}/pin`, { pin: '246810' });
    expect(set.statusCode).toBe(204);
    expect(set.body).toBe('');
    const read = await call('GET', `/people/${cy}/access`, undefined, reader);
    expect(read.json().pin).toEqual({ set: true, lockedUntil: null });
    expect(read.body).not.toContain('246810');
    expect(read.body).not.toContain('scrypt');
    expect((await call('DELETE', `/people/${cy}`)).statusCode).toBe(200);
    const rows = (table: string) => t.core.db.prepare(`SELECT COUNT(*) FROM ${table} WHERE person_id = ?`).pluck().get(cy);
    expect([rows('access_memberships'), rows('access_validity'), rows('access_pins')]).toEqual([0, 0, 0]);
    expect((await call('GET', `/access/groups/${group.id}`)).json().memberCount).toBe(0);
    expect((await call('GET', `/people/${cy}/access`)).json().error.code).toBe('person_not_found');
  });

  it('lets a read-only key read everything and change nothing', async () => {
    for (const url of ['/access/settings', '/access/doors', '/access/zones', '/access/schedules', '/access/groups', '/access/holidays']) {
      expect((await call('GET', url, undefined, reader)).statusCode).toBe(200);
    }
    const writes: Array<[string, string, unknown]> = [
      ['PUT', '/access/settings', { mode: 'open', timeZone: 'UTC', pin: { entrySeconds: 30, maxAttempts: 5, lockoutSeconds: 300 } }],
      ['POST', '/access/zones', { name: 'Sneaky', doorIds: [] }],
      ['PUT', '/access/doors/lab', { factors: 'face' }],
      ['PUT', '/access/holidays/2026-01-01', { name: 'New Year' }],
      ['POST', '/access/groups', { name: 'Sneaky', grants: [] }],
    ];
    for (const [method, url, body] of writes) {
      const response = await call(method as 'PUT', url, body, reader);
      expect(response.statusCode).toBe(403);
      expect(response.json().error.code).toBe('forbidden');
    }
    expect((await call('GET', '/access/zones', undefined, {})).statusCode).toBe(401);
  });

  it('publishes the routes in OpenAPI under the access tag', async () => {
    const spec = (await api.inject({ method: 'GET', url: '/openapi.json' })).json();
    for (const path of ['/access/zones', '/access/zones/{id}', '/access/schedules', '/access/groups/{id}/members', '/access/holidays/{date}', '/people/{id}/access', '/people/{id}/pin', '/access/check']) {
      expect(Object.keys(spec.paths)).toContain(path);
    }
    expect(spec.paths['/access/zones'].post.tags).toEqual(['access']);
  });
});
