// On the site's enrolment authority: which replicas exist, and for every deleted person which
// appliances have confirmed the erasure and which are still pending (docs/campus.md).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { ReplicationRepository } from '../../store/replication-repository.js';
import { ERROR_RESPONSES, Paging, SECURITY } from '../schemas.js';

export interface ReplicationRoutesOptions {
  readonly replication: ReplicationRepository;
}

const Millis = (description: string) => Type.Integer({ description: `${description} (ms since the Unix epoch)` });
const MillisOrNull = (description: string) => Type.Union([Millis(description), Type.Null()]);

const Erasure = Type.Object({
  personId: Type.String(),
  revision: Type.Integer({ description: 'Revision of the tombstone' }),
  deletedAt: Millis('When the person was deleted on the authority'),
  confirmed: Type.Array(
    Type.Object({
      replicaId: Type.String(),
      erased: Type.Boolean({ description: 'The replica removed the person and scrubbed its files' }),
      at: Millis('When the confirmation arrived'),
    }),
  ),
  pending: Type.Array(Type.String(), { description: 'Known replicas that have not confirmed yet' }),
  tombstoneCleared: Type.Boolean({ description: 'Every replica confirmed and the retained tombstone left the broker' }),
});

const ErasuresPage = Type.Object({ items: Type.Array(Erasure), total: Type.Integer({ minimum: 0 }), limit: Type.Integer(), offset: Type.Integer() });

const Replica = Type.Object({
  replicaId: Type.String(),
  modelId: Type.Union([Type.String(), Type.Null()], { description: 'The model the replica embeds with; null until it reports' }),
  people: Type.Union([Type.Integer(), Type.Null()], { description: 'People in its gallery at its last report' }),
  firstSeenAt: MillisOrNull('First report'),
  lastSeenAt: MillisOrNull('Last report'),
  policyRevision: Type.Union([Type.Integer(), Type.Null()], { description: 'Access-policy document revision the replica applied, at its last report' }),
});

export const replicationRoutes: FastifyPluginAsyncTypebox<ReplicationRoutesOptions> = async (app, { replication }) => {
  const tags = ['replication'];
  app.get(
    '/replication/erasures',
    {
      config: { access: 'read' },
      schema: {
        tags,
        security: SECURITY,
        summary: 'Deleted people, newest first, with the replicas that confirmed the erasure and those still pending',
        querystring: Type.Object(Paging, { additionalProperties: false }),
        response: { 200: ErasuresPage, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { limit = 100, offset = 0 } = request.query;
      return { items: replication.erasures({ limit, offset }), total: replication.countErasures(), limit, offset };
    },
  );

  app.get(
    '/replication/replicas',
    {
      config: { access: 'read' },
      schema: { tags, security: SECURITY, summary: 'Replicas of this site as last reported', response: { 200: Type.Object({ items: Type.Array(Replica) }), ...ERROR_RESPONSES } },
    },
    async () => ({ items: replication.replicas() }),
  );
};
