// Liveness and readiness probes for systemd, load balancers and monitoring. No authentication:
// they reveal nothing beyond "up" and the model id, and a prober should not need a key.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Gallery } from '../../access/gallery.js';
import type { Embedder } from '../../pipeline/embedder.js';
import { ApiError } from '../errors.js';
import { ERROR_RESPONSES, Health, Readiness } from '../schemas.js';

export interface HealthRoutesOptions {
  readonly gallery: Gallery;
  readonly embedder: Pick<Embedder, 'modelId' | 'dimension'>;
}

export const healthRoutes: FastifyPluginAsyncTypebox<HealthRoutesOptions> = async (app, { gallery, embedder }) => {
  app.get(
    '/healthz',
    { logLevel: 'warn', schema: { tags: ['health'], summary: 'The process is up', response: { 200: Health } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      logLevel: 'warn',
      schema: {
        tags: ['health'],
        summary: 'Models loaded and the database reachable',
        response: { 200: Readiness, ...ERROR_RESPONSES },
      },
    },
    async () => {
      try {
        gallery.countPeople(); // a real query: fails when the database is closed or unreadable
      } catch (err) {
        throw new ApiError('not_ready', `Database unavailable: ${(err as Error).message}`);
      }
      if (embedder.modelId !== gallery.modelId || !(embedder.dimension > 0)) {
        throw new ApiError('not_ready', `Embedder ${embedder.modelId} does not serve the gallery's model ${gallery.modelId}`);
      }
      return { status: 'ready' as const, modelId: gallery.modelId, galleryTemplates: gallery.size };
    },
  );
};
