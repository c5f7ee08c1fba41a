// The console's way in, over the real API: sign-in turns a key into a session cookie, a cookie
// write needs the session's CSRF token, a read-only session sees but cannot change, sign-out
// and key revocation end the session, and header keys keep working as before.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FailureLimiter } from '../../../enroll/auth.js';
import { sessionRoutes } from '../../../enroll/console/session-routes.js';
import { SessionStore } from '../../../enroll/console/sessions.js';
import { bearer, buildApi, openTestCore, rowCounts, type TestCore } from '../helpers.js';

let t: TestCore;
let app: FastifyInstance;
let site: string;

beforeAll(async () => {
  t = await openTestCore();
  site = mkdtempSync(join(tmpdir(), 'mg-console-site-'));
  writeFileSync(join(site, 'index.html'), '<!doctype html><title>console</title>');
  app = buildApi(t, { console: { root: site } });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await t?.close();
  rmSync(site, { recursive: true, force: true });
});

async function signIn(key: string): Promise<{ cookie: string; csrf: string; setCookie: string }> {
  const response = await app.inject({ method: 'POST', url: '/session', payload: { apiKey: key } });
  expect(response.statusCode).toBe(200);
  const setCookie = String(response.headers['set-cookie']);
  return { cookie: setCookie.split(';')[0]!, csrf: response.json<{ csrfToken: string }>().csrfToken, setCookie };
}

describe('console sign-in', () => {
  it('sets an HttpOnly, SameSite=Strict session cookie (not Secure over plain HTTP) and never echoes the key', async () => {
    const response = await app.inject({ method: 'POST', url: '/session', payload: { apiKey: t.admin } });
    expect(response.statusCode).toBe(200);
    const setCookie = String(response.headers['set-cookie']);
    expect(setCookie).toMatch(/^mg_session=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/');
    expect(setCookie).toMatch(/Max-Age=3600/);
    expect(setCookie).not.toContain('Secure');
    expect(response.body).not.toContain(t.admin);
    expect(response.json()).toMatchObject({ keyName: 'test admin', role: 'admin', csrfToken: expect.any(String) });
  });

  it('refuses an unknown key without a cookie, and counts it against the address limit', async () => {
    const bad = await app.inject({ method: 'POST', url: '/session', payload: { apiKey: 'mgk_not-a-key' } });
    expect(bad.statusCode).toBe(401);
    expect(bad.headers['set-cookie']).toBeUndefined();
    expect(bad.json().error.code).toBe('unauthorized');
    const empty = await app.inject({ method: 'POST', url: '/session', payload: { apiKey: '' } });
    expect(empty.statusCode).toBe(400);
  });

  it('shares the failure limit with header keys: guessing through either door adds up', async () => {
    const strict = buildApi(t, { config: { ...t.core.config.api, authFailureLimitPerMinute: 3 }, console: { root: null } });
    try {
      for (const key of ['mgk_a', 'mgk_b']) expect((await strict.inject({ method: 'GET', url: '/people', headers: bearer(key) })).statusCode).toBe(401);
      expect((await strict.inject({ method: 'POST', url: '/session', payload: { apiKey: 'mgk_c' } })).statusCode).toBe(401);
      const blocked = await strict.inject({ method: 'POST', url: '/session', payload: { apiKey: t.admin } });
      expect(blocked.statusCode).toBe(429);
      expect(blocked.headers['set-cookie']).toBeUndefined();
      expect((await strict.inject({ method: 'GET', url: '/people', headers: bearer(t.admin) })).statusCode).toBe(429);
    } finally {
      await strict.close();
    }
  });

  it('GET /session restores a reloaded page; without a cookie it is 401', async () => {
    const s = await signIn(t.reader);
    const again = await app.inject({ method: 'GET', url: '/session', headers: { cookie: s.cookie } });
    expect(again.json()).toMatchObject({ role: 'read-only', csrfToken: s.csrf });
    expect((await app.inject({ method: 'GET', url: '/session' })).statusCode).toBe(401);
  });
});

describe('cookie-authenticated requests', () => {
  it('reads with the cookie alone', async () => {
    const s = await signIn(t.admin);
    const response = await app.inject({ method: 'GET', url: '/people', headers: { cookie: s.cookie } });
    expect(response.statusCode).toBe(200);
  });

  it('refuses a write without the CSRF token, or with another session’s, and changes nothing', async () => {
    const s = await signIn(t.admin);
    const other = await signIn(t.admin);
    const before = rowCounts(t);
    for (const headers of [{ cookie: s.cookie }, { cookie: s.cookie, 'x-csrf-token': other.csrf }, { cookie: s.cookie, 'x-csrf-token': '' }]) {
      const response = await app.inject({ method: 'POST', url: '/people', headers, payload: { displayName: 'Forged' } });
      expect(response.statusCode).toBe(403);
      expect(response.json().error.code).toBe('csrf_token_invalid');
    }
    expect(rowCounts(t)).toEqual(before);
    const ok = await app.inject({ method: 'POST', url: '/people', headers: { cookie: s.cookie, 'x-csrf-token': s.csrf }, payload: { displayName: 'Real' } });
    expect(ok.statusCode).toBe(201);
  });

  it('lets a read-only session look but not change', async () => {
    const s = await signIn(t.reader);
    expect((await app.inject({ method: 'GET', url: '/people', headers: { cookie: s.cookie } })).statusCode).toBe(200);
    const before = rowCounts(t);
    const write = await app.inject({ method: 'POST', url: '/people', headers: { cookie: s.cookie, 'x-csrf-token': s.csrf }, payload: { displayName: 'Nope' } });
    expect(write.statusCode).toBe(403);
    expect(write.json().error.code).toBe('forbidden');
    expect(rowCounts(t)).toEqual(before);
  });

  it('ends the session on sign-out (which itself needs the token) and on key revocation', async () => {
    const s = await signIn(t.admin);
    expect((await app.inject({ method: 'DELETE', url: '/session', headers: { cookie: s.cookie } })).statusCode).toBe(403);
    const out = await app.inject({ method: 'DELETE', url: '/session', headers: { cookie: s.cookie, 'x-csrf-token': s.csrf } });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/mg_session=;/);
    const after = await app.inject({ method: 'GET', url: '/people', headers: { cookie: s.cookie } });
    expect(after.statusCode).toBe(401);
    expect(after.json().error.message).toMatch(/session/);

    const temporary = t.apiKeys.create({ name: 'temp', role: 'admin' });
    const r = await signIn(temporary.secret);
    t.apiKeys.revoke(temporary.record.id);
    expect((await app.inject({ method: 'GET', url: '/people', headers: { cookie: r.cookie } })).statusCode).toBe(401);
  });

  it('keeps header keys working for API clients, without any CSRF token', async () => {
    const response = await app.inject({ method: 'POST', url: '/people', headers: bearer(t.admin), payload: { displayName: 'From HR sync' } });
    expect(response.statusCode).toBe(201);
  });
});

describe('the console site', () => {
  it('is served at / under a strict Content-Security-Policy', async () => {
    const response = await app.inject({ method: 'GET', url: '/' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('<title>console</title>');
    const csp = String(response.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });

  it('leaves API routes and unknown paths to the API', async () => {
    expect((await app.inject({ method: 'GET', url: '/people' })).statusCode).toBe(401);
    const missing = await app.inject({ method: 'GET', url: '/nope.js' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('route_not_found');
  });
});

describe('under TLS', () => {
  it('marks the session cookie Secure', async () => {
    const bare = Fastify();
    await bare.register(rateLimit, { global: false });
    await bare.register(cookie);
    await bare.register(sessionRoutes, { apiKeys: t.apiKeys, sessions: new SessionStore({ ttlMs: 60_000 }), failures: new FailureLimiter(10), secure: true });
    const response = await bare.inject({ method: 'POST', url: '/session', payload: { apiKey: t.admin } });
    expect(response.statusCode).toBe(200);
    expect(String(response.headers['set-cookie'])).toMatch(/; Secure/);
    await bare.close();
  });
});
