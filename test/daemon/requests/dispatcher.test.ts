// The one request dispatch point, without a broker: every way a request can be wrong gets an
// error response with a stable code (and a transaction when one can be read), and every
// response matches the published envelope schema.
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { pino } from 'pino';
import Type, { type TSchema } from 'typebox';
import { describe, expect, it } from 'vitest';
import { REQUESTS, REQUEST_MAX_BYTES, responseSchema, type RequestErrorCode, type RequestName } from '../../../daemon/mqtt/messages.js';
import { RequestDispatcher, RequestError, defineHandler } from '../../../daemon/requests/dispatcher.js';

function logged() {
  const lines: Array<Record<string, unknown> & { msg: string }> = [];
  return { logger: pino({ level: 'debug' }, { write: (l: string) => lines.push(JSON.parse(l) as { msg: string }) }), lines };
}

const ajv = new Ajv({ strict: false });
addFormats.default(ajv);
const envelope = (name: RequestName) => ajv.compile(responseSchema(name, REQUESTS[name].data as TSchema));

function dispatcher(handle: (request: { transaction: string }) => unknown = () => ({ restartNeeded: [] })) {
  const { logger, lines } = logged();
  const d = new RequestDispatcher(
    [
      defineHandler({ name: 'reload-config', schema: REQUESTS['reload-config'].request, handle }),
      defineHandler({ name: 'last-decision', schema: REQUESTS['last-decision'].request, handle: () => null }),
    ],
    logger,
  );
  return { d, lines };
}

const bytes = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

describe('RequestDispatcher', () => {
  it('answers a valid request with status ok, the data and the echoed transaction', async () => {
    const { d } = dispatcher();
    const response = await d.dispatch('reload-config', bytes({ transaction: 'abc-1' }));
    expect(response).toEqual({ status: 'ok', data: { restartNeeded: [] }, error: null, transaction: 'abc-1' });
    expect(envelope('reload-config')(response)).toBe(true);
  });

  it('passes only schema-valid requests to the handler', async () => {
    const seen: unknown[] = [];
    const { d } = dispatcher((r) => (seen.push(r), { restartNeeded: [] }));
    await d.dispatch('reload-config', bytes({ transaction: 't', surprise: 1 }));
    expect(seen).toEqual([]);
    await d.dispatch('reload-config', bytes({ transaction: 't' }));
    expect(seen).toEqual([{ transaction: 't' }]);
  });

  const cases: Array<[string, string, Buffer, RequestErrorCode, string | null]> = [
    ['more than 64 KiB', 'reload-config', Buffer.alloc(REQUEST_MAX_BYTES + 1, 0x7b), 'payload_too_large', null],
    ['not JSON', 'reload-config', bytes('{"transaction": "x",'), 'invalid_json', null],
    ['JSON but not an object', 'reload-config', bytes('"hello"'), 'invalid_request', null],
    ['null', 'reload-config', bytes('null'), 'invalid_request', null],
    ['no transaction', 'reload-config', bytes({}), 'invalid_transaction', null],
    ['an empty transaction', 'reload-config', bytes({ transaction: '' }), 'invalid_transaction', null],
    ['a 129-character transaction', 'reload-config', bytes({ transaction: 'x'.repeat(129) }), 'invalid_transaction', null],
    ['an unknown request', 'unlock', bytes({ transaction: 'u1' }), 'unknown_request', 'u1'],
    ['a parameter of the wrong type', 'last-decision', bytes({ transaction: 'p1', doorId: ['lobby'] }), 'invalid_request', 'p1'],
    ['a door id with a topic wildcard', 'last-decision', bytes({ transaction: 'p2', doorId: 'lobby/#' }), 'invalid_request', 'p2'],
  ];

  it.each(cases)('rejects a payload with %s', async (_what, name, payload, code, transaction) => {
    const { d, lines } = dispatcher();
    const response = await d.dispatch(name, payload);
    expect(response).toMatchObject({ status: 'error', data: null, error: { code }, transaction });
    expect(envelope('status')(response)).toBe(true);
    expect(lines.some((l) => l.msg.startsWith('request rejected') && l['code'] === code)).toBe(true);
  });

  it('names the offending field of an invalid request', async () => {
    const { d } = dispatcher();
    const response = await d.dispatch('last-decision', bytes({ transaction: 't', doorId: 7, colour: 'red' }));
    expect(response.error?.message).toMatch(/\/doorId: must be string/);
    expect(response.error?.message).toMatch(/unknown key "colour"/);
  });

  it('lists the known requests when the name is unknown', async () => {
    const { d } = dispatcher();
    expect((await d.dispatch('nope', bytes({ transaction: 't' }))).error?.message).toMatch(/reload-config, last-decision/);
  });

  it("returns a handler's RequestError as it is", async () => {
    const { d } = dispatcher(() => {
      throw new RequestError('config_invalid', 'Invalid configuration: /mqtt/port: must be integer');
    });
    expect(await d.dispatch('reload-config', bytes({ transaction: 'r' }))).toEqual({
      status: 'error',
      data: null,
      error: { code: 'config_invalid', message: 'Invalid configuration: /mqtt/port: must be integer' },
      transaction: 'r',
    });
  });

  it('turns an unexpected failure into internal_error without leaking its message, and logs it', async () => {
    const { d, lines } = dispatcher(() => {
      throw new Error('SQLITE_CORRUPT at /var/lib/maskgate/maskgate.db');
    });
    const response = await d.dispatch('reload-config', bytes({ transaction: 'r' }));
    expect(response).toMatchObject({ status: 'error', error: { code: 'internal_error' }, transaction: 'r' });
    expect(JSON.stringify(response)).not.toContain('SQLITE');
    expect(lines.find((l) => l.msg === 'request handler failed')?.['err']).toContain('SQLITE_CORRUPT');
  });

  it('awaits asynchronous handlers and maps undefined data to null', async () => {
    const { logger } = logged();
    const d = new RequestDispatcher(
      [defineHandler({ name: 'status', schema: Type.Object({ transaction: Type.String() }), handle: async () => undefined })],
      logger,
    );
    expect(await d.dispatch('status', bytes({ transaction: 's' }))).toEqual({ status: 'ok', data: null, error: null, transaction: 's' });
  });
});
