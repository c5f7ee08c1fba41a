// Progress of re-embedding the stored crops for the configured model, and a manual restart
// (e.g. after some crops failed and the cause was fixed).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ApiError } from '../errors.js';
import type { ReembedJob } from '../../access/reembed.js';
import { ERROR_RESPONSES, ReembedProgress, SECURITY } from '../schemas.js';

export interface ReembedRoutesOptions {
  readonly job: ReembedJob;
}

export const reembedRoutes: FastifyPluginAsyncTypebox<ReembedRoutesOptions> = async (app, { job }) => {
  const tags = ['re-embedding'];

  app.get(
    '/reembed',
    {
      config: { access: 'read' },
      schema: { tags, security: SECURITY, summary: 'Re-embedding progress', response: { 200: ReembedProgress, ...ERROR_RESPONSES } },
    },
    async () => job.progress,
  );

  app.post(
    '/reembed',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        security: SECURITY,
        summary: 'Start re-embedding every face that has no template for the configured model',
        response: { 202: ReembedProgress, ...ERROR_RESPONSES },
      },
    },
    async (_request, reply) => {
      if (!job.start()) throw new ApiError('reembed_running', 'Re-embedding is already running');
      return reply.code(202).send(job.progress);
    },
  );
};
