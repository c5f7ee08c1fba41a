// GET /status: the Health page's data, the same summary doors get from the MQTT `status`
// request plus the latest error lines (messages only: log lines never hold secrets or faces).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { ERROR_RESPONSES, SECURITY } from '../schemas.js';
import { RecentError, type ApplianceHealth } from './ports.js';

const HealthView = Type.Object(
  {
    status: Type.Record(Type.String(), Type.Unknown(), { description: 'As the MQTT `status` request answers it (docs/mqtt.md)' }),
    recentErrors: Type.Array(RecentError),
  },
  { title: 'ApplianceHealth' },
);

export const statusRoutes: FastifyPluginAsyncTypebox<{ health: ApplianceHealth }> = async (app, { health }) => {
  app.get(
    '/status',
    {
      config: { access: 'read' },
      schema: { tags: ['console'], security: SECURITY, summary: 'Cameras, broker, model, queue depth and recent errors', response: { 200: HealthView, ...ERROR_RESPONSES } },
    },
    async () => ({ status: health.status(), recentErrors: [...health.recentErrors()] }),
  );
};
