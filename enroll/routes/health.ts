// Liveness and readiness probes for systemd, load balancers and monitoring. No authentication:
// they reveal nothing beyond "up" and the model id, and a prober should not need a key.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Gallery } from '../../access/gallery.js';
import type { Embedder } from '../../pipeline/embedder.js';
import { ApiError } from '../errors.js';
import { ERROR_RESPONSES, Health, Readiness } from '../schemas.js';

/** One camera as readiness sees it; the appliance supplies these (the API has no cameras of its own). */
export interface CameraReadiness {
  readonly cameraId: string;
  readonly doorId: string;
  readonly state: string;
  readonly up: boolean;
  readonly restarts: number;
}

export interface HealthRoutesOptions {
  readonly gallery: Gallery;
  readonly embedder: Pick<Embedder, 'modelId' | 'dimension'>;
  /** The appliance's cameras; absent when the API runs without any (tests, tools). */
  readonly cameras?: () => readonly CameraReadiness[];
}

export const healthRoutes: FastifyPluginAsyncTypebox<HealthRoutesOptions> = async (app, { gallery, embedder, cameras }) => {
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
        summary: 'Models loaded, the database reachable and every camera delivering frames (503 degraded names the cameras that are not)',
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
      // A door whose camera is down cannot let anyone in: the appliance is not fully serving.
      const down = (cameras?.() ?? []).filter((camera) => !camera.up);
      if (down.length > 0) {
        throw new ApiError('degraded', `Camera${down.length > 1 ? 's' : ''} not delivering frames: ${down.map((c) => `${c.cameraId} (${c.state})`).join(', ')}`, {
          cameras: down.map(({ cameraId, doorId, state, restarts }) => ({ cameraId, doorId, state, restarts })),
        });
      }
      return { status: 'ready' as const, modelId: gallery.modelId, galleryTemplates: gallery.size };
    },
  );
};
