// API-key authentication and role checks for the protected routes, plus a limit on failed
// attempts per client address. Every protected route must declare its access level in its
// route config; a route that forgets is refused at start-up rather than served unprotected.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiKeyRecord, ApiKeysRepository } from '../store/api-keys-repository.js';
import { ApiError } from './errors.js';

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
  readonly apiKeys: Pick<ApiKeysRepository, 'authenticate'>;
  /** Failed authentications per client address per minute before requests get 429. */
  readonly failureLimitPerMinute: number;
}

const FAILURE_WINDOW_MS = 60_000;

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
  // Counts only failures: a peek before authenticating, an increment after a failed one, as
  // @fastify/rate-limit documents for login endpoints. Keyed by the socket address.
  const failures = scope.createRateLimit({
    max: options.failureLimitPerMinute,
    timeWindow: FAILURE_WINDOW_MS,
    keyGenerator: (request) => `auth-failure:${request.ip}`,
  });

  scope.addHook('onRoute', (route) => {
    const access = route.config?.access;
    if (access !== 'read' && access !== 'admin') {
      throw new Error(`route ${String(route.method)} ${route.url} declares no access level (config.access)`);
    }
  });

  scope.addHook('onRequest', async (request, reply) => {
    const status = await failures(request, { increment: false });
    // After `max` failures in the window every request from the address is refused: a peek
    // reports `remaining` 0 once the limit is reached, `isExceeded` only past it.
    if (!status.isAllowed && (status.isExceeded || status.remaining <= 0)) {
      const retryAfterSeconds = Math.max(1, Math.ceil(status.ttl / 1000));
      reply.header('retry-after', String(retryAfterSeconds));
      throw new ApiError('rate_limited', 'Too many failed authentications from this address', { retryAfterSeconds });
    }
    const secret = presentedKey(request);
    const key = secret === null ? null : options.apiKeys.authenticate(secret);
    if (!key) {
      await failures(request);
      reply.header('www-authenticate', 'Bearer realm="maskgate"');
      throw new ApiError('unauthorized', secret === null ? 'An API key is required (Authorization: Bearer <key> or X-API-Key)' : 'Unknown or revoked API key');
    }
    if (request.routeOptions.config.access === 'admin' && key.role !== 'admin') {
      throw new ApiError('forbidden', `A ${key.role} key may not ${request.method} ${request.routeOptions.url ?? ''}`);
    }
    request.apiKey = key;
  });
}
