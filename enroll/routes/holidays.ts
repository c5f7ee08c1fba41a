// Site-wide public holidays, by date in the site's time zone.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { Holiday, HolidayInput, HolidayParams, ItemsOf } from '../access-schemas.js';
import { ApiError } from '../errors.js';
import { ERROR_RESPONSES, SECURITY } from '../schemas.js';
import type { AccessRoutesOptions } from './access-references.js';

export const holidaysRoutes: FastifyPluginAsyncTypebox<AccessRoutesOptions> = async (app, { site }) => {
  const tags = ['access'];

  app.get(
    '/access/holidays',
    { config: { access: 'read' }, schema: { tags, security: SECURITY, summary: 'Public holidays, by date', response: { 200: ItemsOf(Holiday), ...ERROR_RESPONSES } } },
    async () => ({ items: site.holidays.list() }),
  );

  app.put(
    '/access/holidays/:date',
    {
      config: { access: 'admin' },
      schema: { tags, security: SECURITY, summary: 'Create or rename the holiday on a date', params: HolidayParams, body: HolidayInput, response: { 200: Holiday, ...ERROR_RESPONSES } },
    },
    async (request) => {
      const holiday = site.holidays.put(request.params.date, request.body.name);
      request.log.info({ date: holiday.date, keyId: request.apiKey?.id }, 'holiday set');
      return holiday;
    },
  );

  app.delete(
    '/access/holidays/:date',
    {
      config: { access: 'admin' },
      schema: { tags, security: SECURITY, summary: 'Remove the holiday on a date', params: HolidayParams, response: { 204: Type.Null(), ...ERROR_RESPONSES } },
    },
    async (request, reply) => {
      if (!site.holidays.delete(request.params.date)) throw new ApiError('holiday_not_found', `No holiday on ${request.params.date}`);
      request.log.info({ date: request.params.date, keyId: request.apiKey?.id }, 'holiday removed');
      return reply.code(204).send(null);
    },
  );
};
