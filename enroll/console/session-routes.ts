// Console sign-in and sign-out. POST /session trades an API key for a session cookie
// (HttpOnly, SameSite=Strict, Secure under TLS) and hands the session's CSRF token to the page;
// GET /session tells a reloaded page who it is and gives the token again; DELETE /session signs
// out. Failed sign-ins count against the same per-address limit as failed API keys (one counter).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import type { ApiKeysRepository } from '../../store/api-keys-repository.js';
import { CSRF_HEADER, SESSION_COOKIE, sessionCookie, type FailureLimiter } from '../auth.js';
import { ApiError } from '../errors.js';
import { ERROR_RESPONSES } from '../schemas.js';
import { sameToken, type Session, type SessionStore } from './sessions.js';

export interface SessionRoutesOptions {
  readonly apiKeys: Pick<ApiKeysRepository, 'authenticate' | 'get'>;
  readonly sessions: SessionStore;
  /** The API's one failure counter, shared with header-key authentication. */
  readonly failures: FailureLimiter;
  /** Cookies get `Secure` when the API serves HTTPS. */
  readonly secure: boolean;
}

const SignIn = Type.Object({ apiKey: Type.String({ minLength: 1, maxLength: 200, description: 'An API key (mgk_…)' }) }, { additionalProperties: false });

export const SessionView = Type.Object(
  {
    keyName: Type.String({ description: 'Name of the API key the session was opened with' }),
    role: Type.Union([Type.Literal('admin'), Type.Literal('read-only')]),
    csrfToken: Type.String({ description: `Send it back in the ${CSRF_HEADER} header on every write` }),
    expiresAt: Type.Integer({ minimum: 0, description: 'Milliseconds since the Unix epoch' }),
  },
  { title: 'ConsoleSession' },
);

export const sessionRoutes: FastifyPluginAsyncTypebox<SessionRoutesOptions> = async (app, options) => {
  const { apiKeys, sessions } = options;
  const failures = options.failures.bind(app);
  const tags = ['console'];

  const view = (session: Session) => {
    const key = apiKeys.get(session.keyId);
    if (!key || key.revokedAt !== null) return null;
    return { keyName: key.name, role: key.role, csrfToken: session.csrfToken, expiresAt: session.expiresAt };
  };

  const live = (request: FastifyRequest): { id: string; session: Session } | null => {
    const id = sessionCookie(request);
    const session = id === null ? null : sessions.get(id);
    return id !== null && session ? { id, session } : null;
  };

  const clearCookie = (reply: FastifyReply) =>
    reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict', secure: options.secure });

  app.post(
    '/session',
    { schema: { tags, summary: 'Console sign-in: trade an API key for a session cookie', body: SignIn, response: { 200: SessionView, ...ERROR_RESPONSES } } },
    async (request, reply) => {
      await failures.refuseIfExceeded(request, reply);
      const key = apiKeys.authenticate(request.body.apiKey);
      if (!key) {
        await failures.count(request);
        throw new ApiError('unauthorized', 'Unknown or revoked API key');
      }
      const { id, session } = sessions.open(key);
      reply.setCookie(SESSION_COOKIE, id, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: options.secure,
        maxAge: Math.floor(sessions.ttl / 1000),
      });
      request.log.info({ keyId: key.id, role: key.role }, 'console session opened');
      return view(session)!;
    },
  );

  app.get(
    '/session',
    { schema: { tags, summary: 'The current console session', response: { 200: SessionView, ...ERROR_RESPONSES } } },
    async (request, reply) => {
      const current = live(request);
      const body = current ? view(current.session) : null;
      if (!body) {
        clearCookie(reply);
        throw new ApiError('unauthorized', 'Not signed in, or the session has expired');
      }
      return body;
    },
  );

  app.delete(
    '/session',
    { schema: { tags, summary: 'Console sign-out', response: { 204: Type.Null(), ...ERROR_RESPONSES } } },
    async (request, reply) => {
      const current = live(request);
      if (current) {
        const presented = request.headers[CSRF_HEADER];
        if (typeof presented !== 'string' || !sameToken(current.session.csrfToken, presented)) {
          throw new ApiError('csrf_token_invalid', `Sign-out needs the session's CSRF token in the ${CSRF_HEADER} header`);
        }
        sessions.close(current.id);
      }
      clearCookie(reply);
      return reply.code(204).send(null);
    },
  );
};
