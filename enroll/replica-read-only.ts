// On a replication replica the gallery and the access policy belong to the site's authority:
// a local enrolment, deletion or policy edit would be overwritten (or resurrected) the next time
// the authority publishes, and would never reach the other doors. So the write routes of those
// rooms answer 409 replica_read_only naming the authority; their reads keep working, as do the
// appliance's own concerns (API keys, re-embedding with its own model, thresholds).
import type { FastifyInstance } from 'fastify';
import { ApiError } from './errors.js';

const READS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Adds the refusal to `scope`'s routes (an encapsulated context, after authentication). */
export function refuseWritesOnReplica(scope: FastifyInstance, authorityId: string): void {
  scope.addHook('onRequest', async (request) => {
    if (READS.has(request.method)) return;
    throw new ApiError(
      'replica_read_only',
      `This appliance is a replica: people, faces and the access policy are changed on the site authority "${authorityId}" and replicate here`,
      { authorityId },
    );
  });
}
