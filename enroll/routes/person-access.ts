// A person's side of the policy: groups and validity (one PUT), and the PIN for face+pin doors
// (set or clear; never returned). Deleting the person removes all of it (database cascade).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { SitePolicy } from '../../access/policy/site-policy.js';
import { PersonAccess, PersonAccessInput, PinInput } from '../access-schemas.js';
import { ApiError } from '../errors.js';
import { ERROR_RESPONSES, PersonParams, SECURITY } from '../schemas.js';
import { requireGroups, type AccessRoutesOptions } from './access-references.js';
import { requirePerson } from './people.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function personAccess(site: SitePolicy, personId: string) {
  const { validFrom, validUntil } = site.personAccess.validity(personId);
  const pin = site.pins.status(personId, Date.now());
  return {
    personId,
    groupIds: site.personAccess.groupIds(personId),
    validFrom: iso(validFrom),
    validUntil: iso(validUntil),
    pin: { set: pin.set, lockedUntil: iso(pin.lockedUntil) },
  };
}

export const personAccessRoutes: FastifyPluginAsyncTypebox<AccessRoutesOptions> = async (app, { site, gallery }) => {
  const tags = ['access'];

  app.get(
    '/people/:id/access',
    { config: { access: 'read' }, schema: { tags, security: SECURITY, summary: "A person's groups, validity and PIN state", params: PersonParams, response: { 200: PersonAccess, ...ERROR_RESPONSES } } },
    async (request) => personAccess(site, requirePerson(gallery, request.params.id).id),
  );

  app.put(
    '/people/:id/access',
    {
      config: { access: 'admin' },
      schema: { tags, security: SECURITY, summary: "Replace a person's groups and validity; applies to the next decision", params: PersonParams, body: PersonAccessInput, response: { 200: PersonAccess, ...ERROR_RESPONSES } },
    },
    async (request) => {
      const { id } = requirePerson(gallery, request.params.id);
      const { groupIds, validFrom, validUntil } = request.body;
      requireGroups(site, groupIds);
      const from = validFrom === null ? null : Date.parse(validFrom);
      const until = validUntil === null ? null : Date.parse(validUntil);
      if (from !== null && until !== null && until <= from) {
        throw new ApiError('validation_failed', 'validUntil must be after validFrom', { in: 'body', issues: [{ path: '/validUntil', message: 'must be after validFrom' }] });
      }
      site.personAccess.replace(id, groupIds, { validFrom: from, validUntil: until });
      request.log.info({ personId: id, groups: groupIds.length, keyId: request.apiKey?.id }, 'person access changed');
      return personAccess(site, id);
    },
  );

  app.put(
    '/people/:id/pin',
    {
      config: { access: 'admin' },
      schema: { tags, security: SECURITY, summary: "Set a person's PIN (stored as a scrypt hash); clears a lockout", params: PersonParams, body: PinInput, response: { 204: Type.Null(), ...ERROR_RESPONSES } },
    },
    async (request, reply) => {
      const { id } = requirePerson(gallery, request.params.id);
      await site.pins.set(id, request.body.pin);
      request.log.info({ personId: id, keyId: request.apiKey?.id }, 'PIN set');
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/people/:id/pin',
    {
      config: { access: 'admin' },
      schema: { tags, security: SECURITY, summary: "Clear a person's PIN", params: PersonParams, response: { 204: Type.Null(), ...ERROR_RESPONSES } },
    },
    async (request, reply) => {
      const { id } = requirePerson(gallery, request.params.id);
      site.pins.clear(id);
      request.log.info({ personId: id, keyId: request.apiKey?.id }, 'PIN cleared');
      return reply.code(204).send(null);
    },
  );
};
