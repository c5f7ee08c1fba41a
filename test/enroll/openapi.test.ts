// The published contract: /openapi.json lists every route the server serves, with schemas;
// /docs serves the interactive docs; the error catalogue is documented; HTTPS when configured;
// no CORS headers by default; audit-log queries with filters.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ERROR_CATALOGUE } from '../../enroll/errors.js';
import { bearer, buildApi, openTestCore, REPO, type TestCore } from './helpers.js';
import { DecisionsRepository } from '../../store/decisions-repository.js';

const openssl = spawnSync('sh', ['-c', 'command -v openssl'], { encoding: 'utf8' }).status === 0;

interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, unknown>; parameters?: unknown[]; requestBody?: { content: Record<string, unknown> } }>>;
  components: { securitySchemes: Record<string, unknown> };
}

describe('OpenAPI document and docs', () => {
  let t: TestCore;
  let api: FastifyInstance;
  let doc: OpenApiDoc;

  beforeAll(async () => {
    t = await openTestCore();
    api = buildApi(t);
    const response = await api.inject({ method: 'GET', url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    doc = response.json();
  });
  afterAll(async () => {
    await api?.close();
    await t?.close();
  });

  it('lists every route the server serves', async () => {
    // Every route as Fastify registers it, minus HEAD twins, the docs UI and the document itself.
    const fresh = buildApi(t);
    const registered = new Set<string>();
    fresh.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) {
        if (method !== 'HEAD' && !route.url.startsWith('/docs') && route.url !== '/openapi.json') registered.add(`${method} ${route.url}`);
      }
    });
    await fresh.ready();
    const freshDoc = (await fresh.inject({ method: 'GET', url: '/openapi.json' })).json<OpenApiDoc>();
    await fresh.close();
    const documented = Object.entries(freshDoc.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    expect(documented.sort()).toEqual([...registered].sort());
    expect(documented.sort()).toEqual(
      [
        'GET /healthz',
        'GET /readyz',
        'POST /session',
        'GET /session',
        'DELETE /session',
        'POST /people',
        'GET /people',
        'GET /people/:id',
        'PATCH /people/:id',
        'DELETE /people/:id',
        'POST /people/:id/faces',
        'GET /people/:id/faces',
        'GET /people/:id/faces/:faceId/crop',
        'DELETE /people/:id/faces/:faceId',
        'GET /decisions',
        'GET /reembed',
        'POST /reembed',
      ].sort(),
    );
  });

  it('documents schemas, security and the upload body', () => {
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['apiKeyHeader', 'bearerAuth']);
    expect(Object.keys(doc.paths['/people']!['post']!.responses)).toEqual(expect.arrayContaining(['201', '4XX', '5XX']));
    expect(Object.keys(doc.paths['/people/{id}/faces']!['post']!.requestBody!.content).sort()).toEqual(
      ['image/jpeg', 'image/png', 'image/webp', 'multipart/form-data'],
    );
    expect(JSON.stringify(doc)).not.toMatch(/"embedding"/);
  });

  it('serves the interactive docs at /docs', async () => {
    const page = await api.inject({ method: 'GET', url: '/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toMatch(/swagger/i);
  });

  it('documents every error code in docs/enrolment-api.md', () => {
    const guide = readFileSync(join(REPO, 'docs/enrolment-api.md'), 'utf8');
    for (const [code, { status }] of Object.entries(ERROR_CATALOGUE)) {
      expect(guide, code).toMatch(new RegExp(`\\|\\s*\`${code}\`\\s*\\|\\s*${status}\\s*\\|`));
    }
  });

  it('answers unknown routes with route_not_found and sends no CORS headers', async () => {
    const missing = await api.inject({ method: 'GET', url: '/nope?x=1' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toEqual({ code: 'route_not_found', message: 'No route GET /nope' });
    const preflight = await api.inject({
      method: 'OPTIONS',
      url: '/people',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'DELETE' },
    });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const cross = await api.inject({ method: 'GET', url: '/people', headers: { ...bearer(t.reader), origin: 'https://evil.example' } });
    expect(cross.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('GET /decisions', () => {
  let t: TestCore;
  let api: FastifyInstance;

  beforeAll(async () => {
    t = await openTestCore();
    api = buildApi(t);
    const base = { cameraId: 'cam-1', trackId: null, score: 0.5, threshold: 0.42, modelId: t.core.gallery.modelId, masked: true, expiresAt: null, payload: {} };
    const rows = [
      { id: 'e1', decidedAt: 1000, doorId: 'lobby', outcome: 'grant', personId: 'p1' },
      { id: 'e2', decidedAt: 2000, doorId: 'lobby', outcome: 'deny', personId: null },
      { id: 'e3', decidedAt: 3000, doorId: 'lab', outcome: 'grant', personId: 'p1' },
      { id: 'e4', decidedAt: 4000, doorId: 'lab', outcome: 'unknown', personId: null, cameraId: 'cam-2' },
    ] as const;
    for (const row of rows) new DecisionsRepository(t.core.db).insert({ ...base, ...row });
  });
  afterAll(async () => {
    await api?.close();
    await t?.close();
  });

  const ids = async (query: string) => {
    const response = await api.inject({ method: 'GET', url: `/decisions${query}`, headers: bearer(t.reader) });
    expect(response.statusCode).toBe(200);
    const body = response.json<{ items: { id: string }[]; total: number }>();
    return { ids: body.items.map((d) => d.id), total: body.total };
  };

  it('filters by door, camera, person, outcome and time, newest first, with paging', async () => {
    expect(await ids('')).toEqual({ ids: ['e4', 'e3', 'e2', 'e1'], total: 4 });
    expect(await ids('?doorId=lobby')).toEqual({ ids: ['e2', 'e1'], total: 2 });
    expect(await ids('?cameraId=cam-2')).toEqual({ ids: ['e4'], total: 1 });
    expect(await ids('?personId=p1&outcome=grant')).toEqual({ ids: ['e3', 'e1'], total: 2 });
    expect(await ids('?from=2000&to=4000')).toEqual({ ids: ['e3', 'e2'], total: 2 });
    expect(await ids('?limit=1&offset=1')).toEqual({ ids: ['e3'], total: 4 });
  });

  it('refuses unknown filters and bad values', async () => {
    for (const query of ['?outcome=maybe', '?from=yesterday', '?limit=0', '?door=lobby']) {
      const response = await api.inject({ method: 'GET', url: `/decisions${query}`, headers: bearer(t.reader) });
      expect({ query, status: response.statusCode, code: response.json().error.code }).toEqual({ query, status: 400, code: 'validation_failed' });
    }
  });
});

describe.skipIf(!openssl)('HTTPS when api.tls is configured', () => {
  let dir: string;
  let t: TestCore;
  let api: FastifyInstance;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mg-tls-'));
    const made = spawnSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
        '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
      { encoding: 'utf8' },
    );
    expect(made.status, made.stderr).toBe(0);
    t = await openTestCore({ api: { tls: { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') } } });
    api = buildApi(t);
  });
  afterAll(async () => {
    await api?.close();
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves over TLS with the configured certificate', async () => {
    const url = await api.listen({ host: '127.0.0.1', port: 0 });
    expect(url).toMatch(/^https:\/\//);
    const ca = readFileSync(join(dir, 'cert.pem'));
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpsRequest(`${url}/people`, { ca, headers: bearer(t.reader) }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(200);
    expect(JSON.parse(body)).toMatchObject({ items: [], total: 0 });
  });
});
