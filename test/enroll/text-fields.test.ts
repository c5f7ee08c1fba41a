// Every free-text field of the enrolment API under random and hostile strings (fast-check): the
// answer is 2xx or 4xx, never 5xx; a 4xx leaves the database as it was; what is stored is the
// normalised text. Plus the cases from the field report (issue #11) as plain examples.
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkText, TEXT_RULES } from '../../access/text-field.js';
import { bearer, buildApi, openTestCore, type TestCore } from './helpers.js';

let t: TestCore;
let app: FastifyInstance;
let personId: string;

beforeAll(async () => {
  t = await openTestCore();
  app = buildApi(t);
  await app.ready();
  personId = t.core.gallery.createPerson('Fixed Person', 'FIXED-1').id;
}, 60_000);
afterAll(async () => {
  await app?.close();
  await t?.close();
});

const snapshot = (): string => JSON.stringify(t.core.db.prepare('SELECT * FROM people ORDER BY id').all());

async function send(method: 'POST' | 'PATCH', url: string, payload: string | Buffer, contentType = 'application/json') {
  return app.inject({ method, url, headers: { ...bearer(t.admin), 'content-type': contentType }, payload });
}

/** Strings a fuzzer should try: any code unit (lone surrogates), controls, combining marks, long ones. */
const hostile = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 40 }),
  fc.string({ unit: fc.constantFrom('\u0000', '\t', '\n', '\u007f', '\u0085', '\u202e', 'e', '\u0301', ' ', 'Z', '😀', '\uFFFD'), maxLength: 30 }),
  fc.string({ unit: 'grapheme', minLength: 190, maxLength: 230 }),
  // Astral characters near the limit: 200 characters are 400 UTF-16 units.
  fc.string({ unit: fc.constantFrom('😀', '𐀀', 'a', ' '), minLength: 195, maxLength: 205 }),
);

function expectClientOrSuccess(status: number, body: string): void {
  expect(status, body).toBeGreaterThanOrEqual(200);
  expect(status, body).toBeLessThan(500);
}

describe('free-text fields under random strings (fast-check)', () => {
  it.each([['displayName'], ['externalId']])('POST /people with a random %s: 2xx with the normalised text, or 4xx and nothing changed', async (field) => {
    await fc.assert(
      fc.asyncProperty(hostile, async (value) => {
        const before = snapshot();
        const body = field === 'displayName' ? { displayName: value } : { displayName: 'Somebody', externalId: value };
        const res = await send('POST', '/people', JSON.stringify(body));
        expectClientOrSuccess(res.statusCode, res.body);
        const expected = checkText(value, field === 'displayName' ? TEXT_RULES.displayName : TEXT_RULES.externalId, field);
        // Text the rules accept is stored (an external id may only clash with the fixed person's).
        if (expected.ok) expect([201, 409], res.body).toContain(res.statusCode);
        else expect(res.json()).toMatchObject({ error: { code: expected.problem, details: { field } } });
        if (res.statusCode >= 400) {
          expect(snapshot()).toBe(before);
          return;
        }
        const stored = res.json<Record<string, string>>()[field];
        expect(expected.ok && expected.value).toBe(stored);
        await app.inject({ method: 'DELETE', url: `/people/${res.json<{ id: string }>().id}`, headers: bearer(t.admin) });
      }),
      { numRuns: 150 },
    );
  }, 120_000);

  it.each([['displayName'], ['externalId']])('PATCH /people/:id with a random %s never answers 5xx, and a 4xx changes nothing', async (field) => {
    await fc.assert(
      fc.asyncProperty(hostile, async (value) => {
        const before = snapshot();
        const res = await send('PATCH', `/people/${personId}`, JSON.stringify({ [field]: value }));
        expectClientOrSuccess(res.statusCode, res.body);
        if (res.statusCode >= 400) expect(snapshot()).toBe(before);
      }),
      { numRuns: 150 },
    );
  }, 120_000);

  it('random bytes as a JSON string value: invalid UTF-8 is a 400 naming the field, nothing is stored as U+FFFD', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 40 }), async (bytes) => {
        const before = snapshot();
        const payload = Buffer.concat([Buffer.from('{"displayName":"'), Buffer.from(bytes), Buffer.from('"}')]);
        const res = await send('POST', '/people', payload);
        expectClientOrSuccess(res.statusCode, res.body);
        if (res.statusCode >= 400) expect(snapshot()).toBe(before);
        else {
          expect(res.json<{ displayName: string }>().displayName).not.toContain('\uFFFD');
          await app.inject({ method: 'DELETE', url: `/people/${res.json<{ id: string }>().id}`, headers: bearer(t.admin) });
        }
      }),
      { numRuns: 200 },
    );
  }, 120_000);

  it.each([['/people?q='], ['/decisions?doorId='], ['/decisions?cameraId='], ['/decisions?personId=']])('GET %s<random> answers 2xx or 4xx', async (prefix) => {
    await fc.assert(
      fc.asyncProperty(hostile, async (value) => {
        const res = await app.inject({ method: 'GET', url: `${prefix}${encodeURIComponent(value.replace(/[\uD800-\uDFFF]/g, '?'))}`, headers: bearer(t.reader) });
        expectClientOrSuccess(res.statusCode, res.body);
      }),
      { numRuns: 100 },
    );
  }, 120_000);
});

describe('the cases from the field report', () => {
  it('a display name starting with NUL is a 400 text_control_character naming the field (was 500)', async () => {
    const before = snapshot();
    for (const res of [await send('POST', '/people', JSON.stringify({ displayName: '\u0000Ada' })), await send('PATCH', `/people/${personId}`, JSON.stringify({ displayName: '\u0000Ada' }))]) {
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: { code: 'text_control_character', details: { field: 'displayName', in: 'body' } } });
    }
    expect(snapshot()).toBe(before);
  });

  it('invalid UTF-8 bytes in a name are a 400 text_invalid_encoding, not a 201 with U+FFFD', async () => {
    const res = await send('POST', '/people', Buffer.concat([Buffer.from('{"displayName":"Ad'), Buffer.from([0xff, 0xfe]), Buffer.from('a"}')]));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: 'text_invalid_encoding', details: { field: 'displayName' } } });
  });

  it('an external id of "\\u0000" is refused', async () => {
    const res = await send('POST', '/people', JSON.stringify({ displayName: 'Ada', externalId: '\u0000' }));
    expect(res.json()).toMatchObject({ error: { code: 'text_control_character', details: { field: 'externalId' } } });
  });

  it('a name is stored trimmed and NFC-normalised, and too long a name is text_too_long', async () => {
    const created = await send('POST', '/people', JSON.stringify({ displayName: '  Zoe\u0308  ' }));
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ displayName: 'Zoë' });
    const long = await send('POST', '/people', JSON.stringify({ displayName: 'x'.repeat(201) }));
    expect(long.json()).toMatchObject({ error: { code: 'text_too_long', details: { field: 'displayName' } } });
  });

  it('a JSON body sent as text/plain or as a form is 415, not 400', async () => {
    const before = snapshot();
    const plain = await send('POST', '/people', JSON.stringify({ displayName: 'Ada' }), 'text/plain');
    expect(plain.statusCode).toBe(415);
    expect(plain.json()).toMatchObject({ error: { code: 'unsupported_media_type' } });
    const patch = await send('PATCH', `/people/${personId}`, JSON.stringify({ displayName: 'Ada' }), 'application/x-www-form-urlencoded');
    expect(patch.statusCode).toBe(415);
    expect(snapshot()).toBe(before);
  });

  it('still accepts an ordinary JSON body', async () => {
    const res = await send('POST', '/people', JSON.stringify({ displayName: 'Grace Hopper', externalId: 'HR-7' }), 'application/json; charset=utf-8');
    expect(res.statusCode).toBe(201);
  });
});
