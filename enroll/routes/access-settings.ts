// The site's policy settings (mode, time zone, PIN limits), its doors with their factors and
// zones, and a dry-run check of what the policy would decide for a person at a door.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { isValidTimeZone } from '../../access/policy/schedule.js';
import { Check, CheckQuery, Door, DoorChanges, DoorParams, ItemsOf, Settings } from '../access-schemas.js';
import { ApiError } from '../errors.js';
import { ERROR_RESPONSES, SECURITY } from '../schemas.js';
import type { StoredDoorFactors } from '../../store/access-settings-repository.js';
import type { AccessRoutesOptions } from './access-references.js';
import { requirePerson } from './people.js';

export const accessSettingsRoutes: FastifyPluginAsyncTypebox<AccessRoutesOptions> = async (app, options) => {
  const { site } = options;
  const tags = ['access'];

  const door = (doorId: string, known: ReadonlySet<string>, factors: ReadonlyMap<string, StoredDoorFactors>) => ({
    doorId,
    factors: factors.get(doorId) ?? 'face',
    zoneIds: site.zones.zonesOfDoor(doorId),
    configured: known.has(doorId),
  });

  app.get(
    '/access/settings',
    { config: { access: 'read' }, schema: { tags, security: SECURITY, summary: 'Policy mode, site time zone and PIN limits', response: { 200: Settings, ...ERROR_RESPONSES } } },
    async () => site.settings.get(),
  );

  app.put(
    '/access/settings',
    {
      config: { access: 'admin' },
      schema: { tags, security: SECURITY, summary: 'Replace the policy settings; applies to the next decision', body: Settings, response: { 200: Settings, ...ERROR_RESPONSES } },
    },
    async (request) => {
      if (!isValidTimeZone(request.body.timeZone)) throw new ApiError('invalid_time_zone', `Unknown time zone "${request.body.timeZone}"`);
      const settings = site.settings.update(request.body);
      request.log.info({ mode: settings.mode, timeZone: settings.timeZone, keyId: request.apiKey?.id }, 'access settings changed');
      return settings;
    },
  );

  app.get(
    '/access/doors',
    { config: { access: 'read' }, schema: { tags, security: SECURITY, summary: 'Doors from the config and zones, with factors and zones', response: { 200: ItemsOf(Door), ...ERROR_RESPONSES } } },
    async () => {
      const known = new Set(options.doorIds());
      const ids = [...new Set([...known, ...site.zones.doorIdsInZones()])].sort();
      const factors = site.settings.allDoorFactors();
      return { items: ids.map((id) => door(id, known, factors)) };
    },
  );

  app.put(
    '/access/doors/:doorId',
    {
      config: { access: 'admin' },
      schema: { tags, security: SECURITY, summary: "Set a door's factors (face or face+pin)", params: DoorParams, body: DoorChanges, response: { 200: Door, ...ERROR_RESPONSES } },
    },
    async (request) => {
      const { doorId } = request.params;
      const known = new Set(options.doorIds());
      if (!known.has(doorId) && site.zones.zonesOfDoor(doorId).length === 0) throw new ApiError('door_not_found', `No door ${doorId} in the config`);
      site.settings.setDoorFactors(doorId, request.body.factors);
      request.log.info({ doorId, factors: request.body.factors, keyId: request.apiKey?.id }, 'door factors changed');
      return door(doorId, known, site.settings.allDoorFactors());
    },
  );

  app.get(
    '/access/check',
    {
      config: { access: 'read' },
      schema: { tags, security: SECURITY, summary: 'What the policy would decide for a recognised person at a door (default: now); writes no audit row', querystring: CheckQuery, response: { 200: Check, ...ERROR_RESPONSES } },
    },
    async (request) => {
      const { personId, doorId } = request.query;
      requirePerson(options.gallery, personId);
      const at = request.query.at === undefined ? Date.now() : Date.parse(request.query.at);
      const denial = site.policy.check(personId, doorId, at);
      return { personId, doorId, at: new Date(at).toISOString(), allowed: denial === null, reason: denial ?? ('match' as const), mode: site.settings.get().mode };
    },
  );
};
