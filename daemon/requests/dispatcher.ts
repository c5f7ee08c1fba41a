// The one dispatch point for `<base>/request/<name>`: size limit, JSON, the transaction id,
// schema validation (ajv, one schema per request) and the response envelope. Handlers only see
// valid requests; whatever goes wrong becomes an error response with a stable code, never a
// crash. Transport-free, so it is tested without a broker.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { Logger } from 'pino';
import type { Static, TSchema } from 'typebox';
import { REQUEST_MAX_BYTES, type RequestErrorCode, type RequestName, type ResponseMessage } from '../mqtt/messages.js';
import { CodedError } from '../../pipeline/coded-error.js';

/** An expected failure of a request: its code and message go back to the caller as they are. */
export class RequestError extends CodedError<RequestErrorCode> {}

export interface RequestHandler<S extends TSchema = TSchema> {
  readonly name: RequestName;
  /** Schema of the whole request payload, `transaction` included. */
  readonly schema: S;
  /** Returns the response's `data`; throws RequestError for an expected failure. */
  handle(request: Static<S>): unknown;
}

/** Keeps the handler's request type precise where it is written, and erases it for the registry. */
export function defineHandler<S extends TSchema>(handler: RequestHandler<S>): RequestHandler {
  return handler;
}

const TRANSACTION_MAX_LENGTH = 128;

export class RequestDispatcher {
  private readonly handlers = new Map<string, { handler: RequestHandler; validate: ValidateFunction }>();

  constructor(
    handlers: readonly RequestHandler[],
    private readonly logger: Logger,
    private readonly maxBytes = REQUEST_MAX_BYTES,
  ) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    for (const handler of handlers) this.handlers.set(handler.name, { handler, validate: ajv.compile(handler.schema) });
  }

  get names(): string[] {
    return [...this.handlers.keys()];
  }

  async dispatch(name: string, payload: Buffer): Promise<ResponseMessage> {
    const fail = (code: RequestErrorCode, message: string, transaction: string | null): ResponseMessage => {
      this.logger.warn({ request: name, code, transaction, bytes: payload.length }, `request rejected: ${message}`);
      return { status: 'error', data: null, error: { code, message }, transaction };
    };
    if (payload.length > this.maxBytes) {
      return fail('payload_too_large', `request payload is ${payload.length} bytes; the limit is ${this.maxBytes}`, null);
    }
    let body: unknown;
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch (err) {
      return fail('invalid_json', `request payload is not JSON: ${(err as Error).message}`, null);
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return fail('invalid_request', 'request payload must be a JSON object {"transaction": "…", …}', null);
    }
    const transaction = (body as { transaction?: unknown }).transaction;
    if (typeof transaction !== 'string' || transaction.length === 0 || transaction.length > TRANSACTION_MAX_LENGTH) {
      return fail('invalid_transaction', `"transaction" must be a string of 1 to ${TRANSACTION_MAX_LENGTH} characters`, null);
    }
    const entry = this.handlers.get(name);
    if (!entry) return fail('unknown_request', `unknown request "${name}"; known: ${this.names.join(', ')}`, transaction);
    if (!entry.validate(body)) return fail('invalid_request', describeErrors(entry.validate.errors ?? []), transaction);
    try {
      const data = await entry.handler.handle(body);
      return { status: 'ok', data: data ?? null, error: null, transaction };
    } catch (err) {
      if (err instanceof RequestError) return fail(err.code, err.message, transaction);
      this.logger.error({ request: name, transaction, err: (err as Error).message }, 'request handler failed');
      return { status: 'error', data: null, error: { code: 'internal_error', message: 'internal error; see the appliance log' }, transaction };
    }
  }
}

function describeErrors(errors: readonly ErrorObject[]): string {
  const problems = errors.map((e) => {
    const where = e.instancePath || '(payload)';
    if (e.keyword === 'additionalProperties') return `${where}: unknown key "${String(e.params['additionalProperty'])}"`;
    return `${where}: ${e.message ?? 'invalid'}`;
  });
  return `invalid request: ${[...new Set(problems)].join('; ')}`;
}
