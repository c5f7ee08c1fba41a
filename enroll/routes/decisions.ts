// The audit log of access decisions, filtered and paged, newest first. Read-only keys may read it.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { DecisionsRepository } from '../../store/decisions-repository.js';
import { TEXT_RULES } from '../../access/text-field.js';
import { normaliseTextFields } from '../text-fields.js';
import { DecisionsPage, DecisionsQuery, ERROR_RESPONSES, SECURITY } from '../schemas.js';

export interface DecisionsRoutesOptions {
  readonly decisions: DecisionsRepository;
}

export const decisionsRoutes: FastifyPluginAsyncTypebox<DecisionsRoutesOptions> = async (app, { decisions }) => {
  app.get(
    '/decisions',
    {
      config: { access: 'read' },
      schema: {
        tags: ['decisions'],
        security: SECURITY,
        summary: 'Access decisions (audit log), newest first, filtered by door, camera, person, outcome and time',
        querystring: DecisionsQuery,
        response: { 200: DecisionsPage, ...ERROR_RESPONSES },
      },
      preValidation: normaliseTextFields({
        querystring: { doorId: TEXT_RULES.search, cameraId: TEXT_RULES.search, personId: TEXT_RULES.search },
      }),
    },
    async (request) => {
      const { limit = 100, offset = 0, ...filter } = request.query;
      return { items: decisions.query({ ...filter, limit, offset }), total: decisions.count(filter), limit, offset };
    },
  );
};
