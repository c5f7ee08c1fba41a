// People: create, list/search, read, update (activation goes through the Gallery so the matcher
// follows at once) and forget (faces, crops and templates erased from disk).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Gallery } from '../../access/gallery.js';
import type { PersonRecord } from '../../store/people-repository.js';
import { TEXT_RULES } from '../../access/text-field.js';
import { ApiError } from '../errors.js';
import { normaliseTextFields } from '../text-fields.js';
import {
  ERROR_RESPONSES,
  NewPerson,
  PeoplePage,
  PeopleQuery,
  Person,
  PersonChanges,
  PersonDeleted,
  PersonParams,
  SECURITY,
  type PersonType,
} from '../schemas.js';

export interface PeopleRoutesOptions {
  readonly gallery: Gallery;
}

/** The person's public view; throws person_not_found for an unknown id. */
export function requirePerson(gallery: Gallery, id: string): PersonRecord {
  const person = gallery.person(id);
  if (!person) throw new ApiError('person_not_found', `No person with id ${id}`);
  return person;
}

function toPerson(gallery: Gallery, person: PersonRecord): PersonType {
  return { ...person, faceCount: gallery.faceCount(person.id) };
}

const PERSON_TEXT = normaliseTextFields({ body: { displayName: TEXT_RULES.displayName, externalId: TEXT_RULES.externalId } });

export const peopleRoutes: FastifyPluginAsyncTypebox<PeopleRoutesOptions> = async (app, { gallery }) => {
  const tags = ['people'];

  app.post(
    '/people',
    {
      config: { access: 'admin' },
      preValidation: PERSON_TEXT,
      schema: { tags, security: SECURITY, summary: 'Create a person', body: NewPerson, response: { 201: Person, ...ERROR_RESPONSES } },
    },
    async (request, reply) => {
      const { displayName, externalId, active } = request.body;
      const created = gallery.createPerson(displayName, externalId ?? null, active ?? true);
      request.log.info({ personId: created.id, keyId: request.apiKey?.id }, 'person created');
      return reply.code(201).send(toPerson(gallery, created));
    },
  );

  app.get(
    '/people',
    {
      config: { access: 'read' },
      schema: {
        tags,
        security: SECURITY,
        summary: 'List people, oldest first; q searches display names and external ids',
        querystring: PeopleQuery,
        response: { 200: PeoplePage, ...ERROR_RESPONSES },
      },
      preValidation: normaliseTextFields({ querystring: { q: TEXT_RULES.search } }),
    },
    async (request) => {
      const { q, limit = 100, offset = 0 } = request.query;
      const items = gallery.listPeople({ limit, offset }, q);
      const total = gallery.countPeople(q);
      return { items: items.map((p) => toPerson(gallery, p)), total, limit, offset };
    },
  );

  app.get(
    '/people/:id',
    {
      config: { access: 'read' },
      schema: { tags, security: SECURITY, summary: 'Read one person', params: PersonParams, response: { 200: Person, ...ERROR_RESPONSES } },
    },
    async (request) => toPerson(gallery, requirePerson(gallery, request.params.id)),
  );

  app.patch(
    '/people/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        security: SECURITY,
        summary: 'Update a person; active=false stops them matching at once, active=true restores them',
        params: PersonParams,
        body: PersonChanges,
        response: { 200: Person, ...ERROR_RESPONSES },
      },
      preValidation: PERSON_TEXT,
    },
    async (request) => {
      const { id } = request.params;
      const { active, ...fields } = request.body;
      let person = requirePerson(gallery, id);
      // Name and external id first: a conflict then leaves the activation untouched too.
      if (Object.keys(fields).length > 0) person = gallery.updatePerson(id, fields);
      if (active !== undefined && active !== person.active) person = gallery.setActive(id, active);
      request.log.info({ personId: id, active: person.active, keyId: request.apiKey?.id }, 'person updated');
      return toPerson(gallery, person);
    },
  );

  app.delete(
    '/people/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        security: SECURITY,
        summary: 'Forget a person: faces, crops and templates are erased from disk (decisions keep the id)',
        params: PersonParams,
        response: { 200: PersonDeleted, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { id } = request.params;
      const report = gallery.deletePerson(id);
      if (!report.found) throw new ApiError('person_not_found', `No person with id ${id}`);
      request.log.info({ personId: id, keyId: request.apiKey?.id }, 'person deleted over the API');
      return { id, facesDeleted: report.facesDeleted, templatesDeleted: report.templatesDeleted, walTruncated: report.walTruncated };
    },
  );
};
