// Zones, schedules and access groups have the same five routes (list, create, read, replace,
// delete) with the same rules: names unique among their kind, references checked before any
// write, 404 with the kind's own code. One definition serves all three.
import type { FastifyInstance } from 'fastify';
import type { Static, TSchema } from 'typebox';
import Type from 'typebox';
import { ApiError, type ApiErrorCode } from '../errors.js';
import { ERROR_RESPONSES, SECURITY } from '../schemas.js';
import { uniquelyNamed } from './access-references.js';

export interface NamedStore<I, R> {
  list(): R[];
  get(id: string): R | null;
  create(input: I): R;
  replace(id: string, input: I): R | null;
  delete(id: string): boolean;
}

export interface NamedResource<S extends TSchema, R> {
  /** e.g. '/access/zones' */
  readonly path: string;
  /** e.g. 'zone' (logs and summaries) */
  readonly noun: string;
  readonly notFound: ApiErrorCode;
  readonly input: S;
  readonly output: TSchema;
  readonly store: NamedStore<Static<S>, R>;
  /** Throws (reference_not_found, validation_failed) before anything is written. */
  readonly check: (input: Static<S>) => void;
  /** Throws when the resource may not be deleted now (e.g. schedule_in_use). */
  readonly beforeDelete?: (id: string) => void;
}

const Params = Type.Object({ id: Type.String({ format: 'uuid' }) });

export function namedResourceRoutes<S extends TSchema, R>(app: FastifyInstance, resource: NamedResource<S, R>): void {
  const { path, noun, store } = resource;
  const tags = ['access'];
  const one = { 200: resource.output, ...ERROR_RESPONSES };
  const found = (id: string, record: R | null): R => {
    if (record === null) throw new ApiError(resource.notFound, `No ${noun} with id ${id}`);
    return record;
  };
  type WithBody = { body: Static<S>; params: { id: string } };

  app.get(path, { config: { access: 'read' }, schema: { tags, security: SECURITY, summary: `List ${noun}s by name`, response: { 200: Type.Object({ items: Type.Array(resource.output) }), ...ERROR_RESPONSES } } }, async () => ({
    items: store.list(),
  }));

  app.post(
    path,
    { config: { access: 'admin' }, schema: { tags, security: SECURITY, summary: `Create a ${noun}`, body: resource.input, response: { 201: resource.output, ...ERROR_RESPONSES } } },
    async (request, reply) => {
      const { body } = request as unknown as WithBody;
      resource.check(body);
      const created = uniquelyNamed(() => store.create(body)) as R & { id: string };
      request.log.info({ [`${noun}Id`]: created.id, keyId: request.apiKey?.id }, `${noun} created`);
      return reply.code(201).send(created);
    },
  );

  app.get(`${path}/:id`, { config: { access: 'read' }, schema: { tags, security: SECURITY, summary: `Read one ${noun}`, params: Params, response: one } }, async (request) => {
    const { id } = (request as unknown as WithBody).params;
    return found(id, store.get(id));
  });

  app.put(
    `${path}/:id`,
    { config: { access: 'admin' }, schema: { tags, security: SECURITY, summary: `Replace a ${noun}; applies to the next decision`, params: Params, body: resource.input, response: one } },
    async (request) => {
      const { body, params } = request as unknown as WithBody;
      found(params.id, store.get(params.id));
      resource.check(body);
      const updated = found(params.id, uniquelyNamed(() => store.replace(params.id, body)));
      request.log.info({ [`${noun}Id`]: params.id, keyId: request.apiKey?.id }, `${noun} replaced`);
      return updated;
    },
  );

  app.delete(
    `${path}/:id`,
    { config: { access: 'admin' }, schema: { tags, security: SECURITY, summary: `Delete a ${noun}`, params: Params, response: { 204: Type.Null(), ...ERROR_RESPONSES } } },
    async (request, reply) => {
      const { id } = (request as unknown as WithBody).params;
      found(id, store.get(id));
      resource.beforeDelete?.(id);
      store.delete(id);
      request.log.info({ [`${noun}Id`]: id, keyId: request.apiKey?.id }, `${noun} deleted`);
      return reply.code(204).send(null);
    },
  );
}
