// Builds the enrolment API as one Fastify instance over the appliance's own Gallery, so an
// enrolment or deletion is live for the camera loop at once. No cameras or MQTT are needed,
// which is what lets the tests build it directly.
//
// Layout: the root holds error handling, OpenAPI and the failure rate limiter; a public child
// context serves the probes and the docs; a protected child context (API key required) serves
// everything else. Hooks added in a child never reach its siblings.
import { readFileSync } from 'node:fs';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Logger } from 'pino';
import type { Gallery } from '../access/gallery.js';
import type { ApiConfig } from '../firmware-config/schema.js';
import type { Embedder } from '../pipeline/embedder.js';
import type { ApiKeysRepository } from '../store/api-keys-repository.js';
import type { DecisionsRepository } from '../store/decisions-repository.js';
import { FailureLimiter, protectRoutes } from './auth.js';
import { useStrictJsonParser } from './json-body.js';
import { liveRoutes } from './console/live-routes.js';
import type { ApplianceHealth, DecisionFeed, ThresholdControl } from './console/ports.js';
import { sessionRoutes } from './console/session-routes.js';
import { SessionStore } from './console/sessions.js';
import { consoleSite } from './console/site.js';
import { statusRoutes } from './console/status-routes.js';
import { thresholdRoutes } from './console/threshold-routes.js';
import { ApiError, toApiError } from './errors.js';
import { PHOTO_MEDIA_TYPES } from './photo-format.js';
import { ReembedJob } from '../access/reembed.js';
import { decisionsRoutes } from './routes/decisions.js';
import { DEFAULT_MAX_PHOTOS_PER_UPLOAD, facesRoutes } from './routes/faces.js';
import { type CameraReadiness, healthRoutes } from './routes/health.js';
import { peopleRoutes } from './routes/people.js';
import { reembedRoutes } from './routes/reembed.js';
import { accessPolicyRoutes } from './routes/access-policy.js';
import type { AccessRoutesOptions } from './routes/access-references.js';
import { replicationRoutes } from './routes/replication.js';
import type { ReplicationRepository } from '../store/replication-repository.js';
import { refuseWritesOnReplica } from './replica-read-only.js';
import { createValidatorCompiler } from './validator.js';

export interface EnrolmentApiDeps {
  readonly gallery: Gallery;
  /** The embedder behind the gallery (Core.embedder): readiness and re-embedding. */
  readonly embedder: Embedder;
  readonly apiKeys: ApiKeysRepository;
  /** The audit log of access decisions (read by GET /decisions). */
  readonly decisions: DecisionsRepository;
  readonly config: ApiConfig;
  readonly logger: Logger;
  /** The appliance's re-embedding job; a new, idle one over gallery and embedder when absent. */
  readonly reembed?: ReembedJob;
  /**
   * On a replication replica: the authority's id. People, faces and the access policy are then
   * read-only here (409 replica_read_only on every write).
   */
  readonly replicaOf?: string;
  /** On a replication authority: erasure confirmations and replicas (GET /replication/...). */
  readonly replication?: ReplicationRepository;
  /** Most photos in one multipart upload. */
  readonly maxPhotosPerUpload?: number;
  /** The appliance's cameras, for /readyz. */
  readonly cameras?: () => readonly CameraReadiness[];
  /** The access policy and the config's door ids; absent: no /access routes (docs/access-policy.md). */
  readonly access?: Omit<AccessRoutesOptions, 'gallery'>;
  /** The admin console: its built files and the appliance services its pages show. */
  readonly console?: ConsoleDeps;
}

export interface ConsoleDeps {
  /** Directory of the built console (index.html); null: the API runs without the console. */
  readonly root: string | null;
  readonly decisions?: DecisionFeed;
  readonly health?: ApplianceHealth;
  readonly thresholds?: ThresholdControl;
}

/** JSON bodies (people, patches) are tiny; only the photo upload route accepts more. */
const JSON_BODY_LIMIT = 64 * 1024;
/** A request (headers and body) must arrive within this long: slow-loris uploads are cut off. */
const REQUEST_TIMEOUT_MS = 120_000;

/** Refusals worth a warning: someone without the right key is trying. */
const SECURITY_CODES: ReadonlySet<string> = new Set(['unauthorized', 'forbidden', 'rate_limited', 'csrf_token_invalid']);

export const OPENAPI_INFO = { title: 'maskgate enrolment API', version: '1.0.0' };

function readPem(path: string, field: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`Cannot read api.tls.${field} ${path}: ${(err as Error).message}`, { cause: err });
  }
}

function serverOptions(deps: EnrolmentApiDeps): FastifyServerOptions {
  const { tls } = deps.config;
  const options = {
    loggerInstance: deps.logger.child({ component: 'api' }),
    bodyLimit: JSON_BODY_LIMIT,
    requestTimeout: REQUEST_TIMEOUT_MS,
    return503OnClosing: true,
    ...(tls ? { https: { cert: readPem(tls.certFile, 'certFile'), key: readPem(tls.keyFile, 'keyFile') } } : {}),
  };
  return options;
}

/**
 * The enrolment API over `deps.gallery`. Call `ready()`, `inject()` or `listen()` on it;
 * `close()` stops it (the gallery, database and models belong to the caller).
 */
export function buildEnrolmentApi(deps: EnrolmentApiDeps): FastifyInstance {
  const { gallery, embedder, apiKeys, config } = deps;
  const reembed = deps.reembed ?? new ReembedJob({ gallery, embedder, logger: deps.logger });
  // With `https` set Fastify's raw server is an https.Server; no route here depends on which.
  const app = Fastify(serverOptions(deps)).withTypeProvider<TypeBoxTypeProvider>() as unknown as FastifyInstance;

  app.setValidatorCompiler(createValidatorCompiler());
  useStrictJsonParser(app);
  app.decorateRequest('apiKey', null);

  app.setErrorHandler((error, request, reply) => {
    const apiError = toApiError(error);
    // A 5xx the API chose (not ready, degraded) is a state, reported by its code; readiness probes
    // poll it, so a stack trace per poll would bury the unexpected failures, which keep theirs.
    if (apiError.status >= 500 && error instanceof ApiError) request.log.warn({ code: apiError.code, reason: apiError.message }, 'request not served');
    else if (apiError.status >= 500) request.log.error({ err: error }, 'request failed');
    else if (SECURITY_CODES.has(apiError.code)) request.log.warn({ code: apiError.code, ip: request.ip }, 'request refused');
    else request.log.info({ code: apiError.code }, 'request refused');
    return reply.code(apiError.status).send(apiError.toBody());
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new ApiError('route_not_found', `No route ${request.method} ${request.url.split('?')[0]}`);
    return reply.code(error.status).send(error.toBody());
  });

  app.register(rateLimit, { global: false });
  app.register(cookie);
  const sessions = new SessionStore({ ttlMs: config.sessionMinutes * 60_000 });
  const failures = new FailureLimiter(config.authFailureLimitPerMinute);
  app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { ...OPENAPI_INFO, description: 'People and reference photos for the maskgate access-control appliance. See docs/enrolment-api.md.' },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer mgk_…' },
          apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
      },
    },
    // The upload body is parsed by the route itself (multipart stream or raw image), so it has
    // no validation schema; document it here instead.
    transformObject: (documents) => {
      const openapi = 'openapiObject' in documents ? documents.openapiObject : documents.swaggerObject;
      const upload = (openapi as { paths?: Record<string, Record<string, Record<string, unknown>>> }).paths?.['/people/{id}/faces']?.['post'];
      if (upload) upload['requestBody'] = uploadRequestBody();
      return openapi;
    },
  });

  app.register(async (publicScope) => {
    await publicScope.register(healthRoutes, { gallery, embedder, ...(deps.cameras ? { cameras: deps.cameras } : {}) });
    publicScope.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
    await publicScope.register(swaggerUi, { routePrefix: '/docs' });
    await publicScope.register(sessionRoutes, {
      apiKeys,
      sessions,
      failures,
      secure: config.tls !== undefined,
    });
  });
  const site = deps.console?.root;
  if (site) app.register(consoleSite, { root: site });

  app.register(async (protectedScope) => {
    protectRoutes(protectedScope, { apiKeys, sessions, failures });
    // What a replica receives from its authority: read-only there.
    await protectedScope.register(async (replicatedScope) => {
      if (deps.replicaOf !== undefined) refuseWritesOnReplica(replicatedScope, deps.replicaOf);
      await replicatedScope.register(peopleRoutes, { gallery });
      await replicatedScope.register(facesRoutes, {
        gallery,
        maxUploadBytes: config.maxUploadBytes,
        maxImagePixels: config.maxImagePixels,
        maxPhotosPerUpload: deps.maxPhotosPerUpload ?? DEFAULT_MAX_PHOTOS_PER_UPLOAD,
      });
      if (deps.access) await replicatedScope.register(accessPolicyRoutes, { ...deps.access, gallery });
    });
    await protectedScope.register(decisionsRoutes, { decisions: deps.decisions });
    await protectedScope.register(reembedRoutes, { job: reembed });
    const services = deps.console;
    if (services?.decisions) await protectedScope.register(liveRoutes, { feed: services.decisions });
    if (services?.health) await protectedScope.register(statusRoutes, { health: services.health });
    if (services?.thresholds) await protectedScope.register(thresholdRoutes, { thresholds: services.thresholds });
    if (deps.replication) await protectedScope.register(replicationRoutes, { replication: deps.replication });
  });

  app.addHook('onReady', async () => {
    if (apiKeys.countActive('admin') === 0) {
      app.log.warn('no admin API key exists: create one with `maskgate apikey create --name <name> --role admin`');
    }
  });
  return app;
}

function uploadRequestBody(): Record<string, unknown> {
  const binary = { type: 'string', format: 'binary' };
  return {
    required: true,
    content: {
      'multipart/form-data': {
        schema: { type: 'object', properties: { photo: { type: 'array', items: binary, description: 'One or more photo files (any field name)' } } },
      },
      ...Object.fromEntries(PHOTO_MEDIA_TYPES.map((type) => [type, { schema: binary }])),
    },
  };
}

/** Builds the API and listens on `config.host:config.port`; resolves with its base URL. */
export async function startEnrolmentApi(deps: EnrolmentApiDeps): Promise<{ app: FastifyInstance; url: string }> {
  const app = buildEnrolmentApi(deps);
  try {
    const url = await app.listen({ host: deps.config.host, port: deps.config.port });
    return { app, url };
  } catch (err) {
    await app.close();
    throw err;
  }
}
