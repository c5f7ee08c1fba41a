// Who is in an access group (memberships are edited per person, PUT /people/{id}/access).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { GroupMembers } from '../access-schemas.js';
import { ApiError } from '../errors.js';
import { ERROR_RESPONSES, Id, SECURITY } from '../schemas.js';
import type { AccessRoutesOptions } from './access-references.js';

export const groupMembersRoutes: FastifyPluginAsyncTypebox<AccessRoutesOptions> = async (app, { site }) => {
  app.get(
    '/access/groups/:id/members',
    {
      config: { access: 'read' },
      schema: { tags: ['access'], security: SECURITY, summary: 'Members of an access group, by name', params: Type.Object({ id: Id }), response: { 200: GroupMembers, ...ERROR_RESPONSES } },
    },
    async (request) => {
      const { id } = request.params;
      if (!site.groups.get(id)) throw new ApiError('group_not_found', `No group with id ${id}`);
      return { items: site.groups.members(id) };
    },
  );
};
