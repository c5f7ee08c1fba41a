// API-key authentication and role checks for the protected routes, plus a limit on failed
// attempts per client address. Every protected route must declare its access level in its
// route config; a route that forgets is refused at start-up rather than served unprotected.
//
// Two ways in: an API key in a header (API clients), or the console's session cookie. A cookie
// is sent by the browser on its own, so a cookie-authenticated write must also carry the
// session's CSRF token in a header; a header key is never ambient and needs none.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiKeyRecord, ApiKeysRepository } from '../store/api-keys-repository.js';
import { sameToken, type SessionStore } from './console/sessions.js';
import { ApiError } from './errors.js';

/** The console's session cookie. */
export const SESSION_COOKIE = 'mg_session';
/** Header a cookie-authenticated write must carry, holding the session's CSRF token. */
export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** `read`: any valid key, GET only by convention. `admin`: admin keys only. */
export type Access = 'read' | 'admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    /** The authenticated key on protected routes; null elsewhere. */
    apiKey: ApiKeyRecord | null;
  }
}

export interface AuthOptions {
  readonly apiKeys: Pick<ApiKeysRepository, 'authenticate' | 'get'>;
  /** Console sessions; absent: header keys only. */
  readonly sessions?: SessionStore;
  /** Failed authentications per client address per minute before requests get 429 (a number: a counter of its own). */
  readonly failures: FailureLimiter | number;
}

const FAILURE_WINDOW_MS = 60_000;

/**
 * Failed authentications per client address, counted once for the whole API: a guess at a key
 * in a header and a guess at the console's sign-in add up. Counts only failures: a peek before
 * authenticating, an increment after a failed one, as @fastify/rate-limit documents for login
 * endpoints. Keyed by the socket address. Each scope that authenticates binds it; the first
 * binding makes the one counter (every createRateLimit call has a store of its own).
 */
export class FailureLimiter {
  private limit: ReturnType<FastifyInstance['createRateLimit']> | null = null;

  constructor(private readonly perMinute: number) {}

  /** Needs @fastify/rate-limit registered on a parent of `scope`. */
  bind(scope: FastifyInstance): this {
    this.limit ??= scope.createRateLimit({ max: this.perMinute, timeWindow: FAILURE_WINDOW_MS, keyGenerator: (request) => `auth-failure:${request.ip}` });
    return this;
  }

  /** Throws rate_limited once the address has used up its failures in the window. */
  async refuseIfExceeded(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const status = await this.bound()(request, { increment: false });
    // After `max` failures in the window every request from the address is refused: a peek
    // reports `remaining` 0 once the limit is reached, `isExceeded` only past it.
    if (!status.isAllowed && (status.isExceeded || status.remaining <= 0)) {
      const retryAfterSeconds = Math.max(1, Math.ceil(status.ttl / 1000));
      reply.header('retry-after', String(retryAfterSeconds));
      throw new ApiError('rate_limited', 'Too many failed authentications from this address', { retryAfterSeconds });
    }
  }

  async count(request: FastifyRequest): Promise<void> {
    await this.bound()(request);
  }

  private bound(): NonNullable<FailureLimiter['limit']> {
    if (!this.limit) throw new Error('FailureLimiter used before bind()');
    return this.limit;
  }
}

/** The key presented as `Authorization: Bearer <key>` or `X-API-Key: <key>`, if any. */
export function presentedKey(request: FastifyRequest): string | null {
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return match ? match[1]! : null;
  }
  const header = request.headers['x-api-key'];
  return typeof header === 'string' && header.length > 0 ? header : null;
}

/**
 * Adds authentication to `scope` (an encapsulated plugin context): its routes, and only its
 * routes, require a key. Needs @fastify/rate-limit registered on a parent (for createRateLimit).
 */
export function protectRoutes(scope: FastifyInstance, options: AuthOptions): void {
  const failures = (typeof options.failures === 'number' ? new FailureLimiter(options.failures) : options.failures).bind(scope);

  scope.addHook('onRoute', (route) => {
    const access = route.config?.access;
    if (access !== 'read' && access !== 'admin') {
      throw new Error(`route ${String(route.method)} ${route.url} declares no access level (config.access)`);
    }
  });

  scope.addHook('onRequest', async (request, reply) => {
    await failures.refuseIfExceeded(request, reply);
    const secret = presentedKey(request);
    const cookie = secret === null && options.sessions ? sessionCookie(request) : null;
    const key =
      secret !== null ? options.apiKeys.authenticate(secret) : cookie !== null ? sessionKey(request, cookie, options.apiKeys, options.sessions!) : null;
    if (!key) {
      await failures.count(request);
      reply.header('www-authenticate', 'Bearer realm="maskgate"');
      throw new ApiError(
        'unauthorized',
        secret !== null
          ? 'Unknown or revoked API key'
          : cookie !== null
            ? 'The console session has expired or was signed out; sign in again'
            : 'An API key is required (Authorization: Bearer <key> or X-API-Key)',
      );
    }
    if (request.routeOptions.config.access === 'admin' && key.role !== 'admin') {
      throw new ApiError('forbidden', `A ${key.role} key may not ${request.method} ${request.routeOptions.url ?? ''}`);
    }
    request.apiKey = key;
  });
}

export function sessionCookie(request: FastifyRequest): string | null {
  const value = (request as FastifyRequest & { cookies?: Record<string, string | undefined> }).cookies?.[SESSION_COOKIE];
  return typeof value === 'string' && value.length > 0 ? value : null;
}

/**
 * The key behind a live session, or null. The key is looked up on every request, so revoking it
 * ends its sessions at once. A write without the session's CSRF token is refused outright.
 */
function sessionKey(request: FastifyRequest, cookie: string, apiKeys: Pick<ApiKeysRepository, 'get'>, sessions: SessionStore): ApiKeyRecord | null {
  const session = sessions.get(cookie);
  if (!session) return null;
  const key = apiKeys.get(session.keyId);
  if (!key || key.revokedAt !== null) {
    sessions.close(cookie);
    return null;
  }
  if (!SAFE_METHODS.has(request.method)) {
    const presented = request.headers[CSRF_HEADER];
    if (typeof presented !== 'string' || !sameToken(session.csrfToken, presented)) {
      throw new ApiError('csrf_token_invalid', `A console write needs the session's CSRF token in the ${CSRF_HEADER} header`);
    }
  }
  return key;
}
