// Authentication, roles, the failed-authentication limiter and log hygiene. The list of
// protected routes comes from the published OpenAPI document, so a route added later is
// covered without touching this file.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { protectRoutes } from '../../enroll/auth.js';
import { bearer, buildApi, capturingLogger, openTestCore, rowCounts, sampleFacePhotos, type TestCore } from './helpers.js';

interface RouteRef {
  method: string;
  url: string;
}

/** Every documented route with a concrete URL (path parameters filled with random ids). */
async function documentedRoutes(api: FastifyInstance): Promise<(RouteRef & { secured: boolean })[]> {
  const doc = (await api.inject({ method: 'GET', url: '/openapi.json' })).json<{
    paths: Record<string, Record<string, { security?: unknown[] }>>;
  }>();
  return Object.entries(doc.paths).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, operation]) => ({
      method: method.toUpperCase(),
      url: path.replace(/\{[^}]+\}/g, () => randomUUID()),
      secured: (operation.security ?? []).length > 0,
    })),
  );
}

describe('authentication and roles', () => {
  let t: TestCore;
  let api: FastifyInstance;

  beforeAll(async () => {
    t = await openTestCore();
    api = buildApi(t);
  });
  afterAll(async () => {
    await api?.close();
    await t?.close();
  });

  it('refuses every protected route without a key (401) and documents them as secured', async () => {
    const routes = await documentedRoutes(api);
    const secured = routes.filter((r) => r.secured);
    expect(secured.length).toBeGreaterThanOrEqual(11);
    // The probes, and the console's sign-in/out (which authenticates by itself).
    expect(routes.filter((r) => !r.secured).map((r) => r.url).sort()).toEqual(['/healthz', '/readyz', '/session', '/session', '/session']);
    for (const route of secured) {
      const response = await api.inject({ method: route.method as 'GET', url: route.url, remoteAddress: `10.0.${Math.floor(Math.random() * 250)}.1` });
      expect({ route, status: response.statusCode, code: response.json().error.code }).toEqual({ route, status: 401, code: 'unauthorized' });
      expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
    }
  });

  it('accepts a key as Bearer token or X-API-Key, and refuses unknown, malformed and revoked keys', async () => {
    expect((await api.inject({ method: 'GET', url: '/people', headers: bearer(t.reader) })).statusCode).toBe(200);
    expect((await api.inject({ method: 'GET', url: '/people', headers: { 'x-api-key': t.reader } })).statusCode).toBe(200);
    for (const headers of [
      bearer('mgk_not-a-real-key'),
      { authorization: `Basic ${Buffer.from(`user:${t.admin}`).toString('base64')}` },
      { authorization: 'Bearer' },
      { 'x-api-key': '' },
    ]) {
      const response = await api.inject({ method: 'GET', url: '/people', headers, remoteAddress: '10.1.0.1' });
      expect(response.statusCode).toBe(401);
    }
    const temporary = t.apiKeys.create({ name: 'temporary', role: 'admin' });
    expect((await api.inject({ method: 'GET', url: '/people', headers: bearer(temporary.secret) })).statusCode).toBe(200);
    t.apiKeys.revoke(temporary.record.id);
    const revoked = await api.inject({ method: 'GET', url: '/people', headers: bearer(temporary.secret), remoteAddress: '10.1.0.2' });
    expect(revoked.statusCode).toBe(401);
    expect(revoked.json().error).toEqual({ code: 'unauthorized', message: 'Unknown or revoked API key' });
  });

  it('lets a read-only key read but not write, delete or fetch crops (403), changing nothing', async () => {
    const admin = bearer(t.admin);
    const reader = bearer(t.reader);
    const person = (await api.inject({ method: 'POST', url: '/people', headers: admin, payload: { displayName: 'Read Only Target' } })).json();
    const [photo] = await sampleFacePhotos(t.core, 5);
    const upload = await api.inject({ method: 'POST', url: `/people/${person.id}/faces`, headers: { ...admin, 'content-type': 'image/jpeg' }, payload: photo! });
    const faceId = upload.json().results[0].face.id as string;

    for (const url of ['/people', `/people/${person.id}`, `/people/${person.id}/faces`, '/decisions', '/reembed']) {
      expect({ url, status: (await api.inject({ method: 'GET', url, headers: reader })).statusCode }).toEqual({ url, status: 200 });
    }
    const before = rowCounts(t);
    const refused: [string, string, object?][] = [
      ['POST', '/people', { displayName: 'Nope' }],
      ['PATCH', `/people/${person.id}`, { active: false }],
      ['DELETE', `/people/${person.id}`],
      ['POST', `/people/${person.id}/faces`],
      ['GET', `/people/${person.id}/faces/${faceId}/crop`],
      ['DELETE', `/people/${person.id}/faces/${faceId}`],
      ['POST', '/reembed'],
    ];
    for (const [method, url, payload] of refused) {
      const response = await api.inject({ method: method as 'GET', url, headers: reader, ...(payload ? { payload } : {}) });
      expect({ method, url, status: response.statusCode, code: response.json().error.code }).toEqual({ method, url, status: 403, code: 'forbidden' });
    }
    expect(rowCounts(t)).toEqual(before);
    expect(t.core.gallery.person(person.id)?.active).toBe(true);
  });

  it('answers probes and docs without a key', async () => {
    expect((await api.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await api.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', modelId: t.core.embedder.modelId });
    expect((await api.inject({ method: 'GET', url: '/docs' })).statusCode).toBeLessThan(400);
  });

  it('answers 503 degraded while a camera is down, logged as a warning with its code and no stack trace', async () => {
    const lines: string[] = [];
    const camera = { cameraId: 'door-cam', doorId: 'front', state: 'starting', restarts: 0, up: false };
    const probed = buildApi(t, { logger: capturingLogger(lines), cameras: () => [camera] });
    try {
      const ready = await probed.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json().error.code).toBe('degraded');
      const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['code'] === 'degraded');
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({ level: 40, msg: 'request not served' });
      expect(JSON.stringify(logged[0])).not.toMatch(/stack/);
    } finally {
      await probed.close();
    }
  });

  it('refuses to start when a protected route forgets to declare its access level', async () => {
    const app = Fastify();
    await app.register(rateLimit, { global: false });
    app.register(async (scope) => {
      protectRoutes(scope, { apiKeys: t.apiKeys, failures: 5 });
      scope.get('/forgotten', async () => 'open');
    });
    await expect(app.ready()).rejects.toThrow(/GET \/forgotten declares no access level/);
    await app.close().catch(() => undefined);
  });
});

describe('failed-authentication limiter', () => {
  let t: TestCore;
  let api: FastifyInstance;

  beforeAll(async () => {
    t = await openTestCore({ api: { authFailureLimitPerMinute: 3 } });
    api = buildApi(t);
  });
  afterAll(async () => {
    await api?.close();
    await t?.close();
  });

  it('answers 429 after repeated bad keys from one address, counting only failures', async () => {
    const from = (remoteAddress: string, headers: Record<string, string>) => api.inject({ method: 'GET', url: '/people', headers, remoteAddress });
    // Successful requests do not count.
    for (let i = 0; i < 10; i++) expect((await from('192.0.2.7', bearer(t.reader))).statusCode).toBe(200);
    for (let i = 0; i < 3; i++) expect((await from('192.0.2.7', bearer(`mgk_guess${i}`))).statusCode).toBe(401);
    const limited = await from('192.0.2.7', bearer('mgk_guess-again'));
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe('rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // The address is locked out for the window, even with a valid key: guessing gains nothing.
    expect((await from('192.0.2.7', bearer(t.reader))).statusCode).toBe(429);
    // Other addresses and the probes are unaffected.
    expect((await from('192.0.2.8', bearer(t.reader))).statusCode).toBe(200);
    expect((await api.inject({ method: 'GET', url: '/healthz', remoteAddress: '192.0.2.7' })).statusCode).toBe(200);
  });
});

describe('logs', () => {
  it('never contain API keys, embeddings or images', async () => {
    const lines: string[] = [];
    const t = await openTestCore();
    const api = buildApi(t, { logger: capturingLogger(lines) });
    try {
      const admin = bearer(t.admin);
      const person = (await api.inject({ method: 'POST', url: '/people', headers: admin, payload: { displayName: 'Logged Person' } })).json();
      const [photo] = await sampleFacePhotos(t.core, 6);
      const upload = await api.inject({ method: 'POST', url: `/people/${person.id}/faces`, headers: { 'x-api-key': t.admin, 'content-type': 'image/jpeg' }, payload: photo! });
      expect(upload.statusCode).toBe(201);
      const faceId = upload.json().results[0].face.id as string;
      await api.inject({ method: 'GET', url: `/people/${person.id}/faces/${faceId}/crop`, headers: admin });
      await api.inject({ method: 'GET', url: '/people', headers: bearer('mgk_wrong-secret-value') });
      await api.inject({ method: 'GET', url: '/people', headers: { 'x-api-key': t.reader.toUpperCase() } });
      await api.inject({ method: 'GET', url: '/no/such/route', headers: admin });

      expect(lines.length).toBeGreaterThan(5); // requests were logged...
      const all = lines.join('\n');
      expect(all).toContain(person.id);
      for (const secret of [t.admin, t.reader, t.reader.toUpperCase(), 'mgk_wrong-secret-value']) expect(all).not.toContain(secret);
      expect(all).not.toContain('mgk_');
      expect(all).not.toMatch(/embedding/i);
      // ...but no image: no PNG/JPEG signature in any encoding, and no long opaque blobs.
      const crop = t.core.gallery.crop(faceId)!;
      expect(all).not.toContain(crop.subarray(0, 48).toString('base64'));
      expect(all).not.toContain(photo!.subarray(0, 48).toString('base64'));
      expect(all).not.toMatch(/[A-Za-z0-9+/=]{200,}/);
    } finally {
      await api.close();
      await t.close();
    }
  });
});
