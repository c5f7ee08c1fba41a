// GET /live/decisions: every decision as it is made, as Server-Sent Events, for the console's
// Live page. Each event is the decision message the doors receive over MQTT (outcome, reason,
// score, threshold, masked; no embedding), with a face thumbnail only where the site enables it
// (api.liveThumbnails; docs/console.md). A comment line every HEARTBEAT_MS keeps
// proxies from closing an idle stream; the stream ends when the client goes or the API closes.
import type { FastifyPluginAsync } from 'fastify';
import { SECURITY } from '../schemas.js';
import type { DecisionFeed } from './ports.js';

export interface LiveRoutesOptions {
  readonly feed: DecisionFeed;
  readonly heartbeatMs?: number;
}

const HEARTBEAT_MS = 15_000;
/** Open streams beyond this are refused: each holds a socket on a small appliance. */
const MAX_STREAMS = 32;

export const liveRoutes: FastifyPluginAsync<LiveRoutesOptions> = async (app, { feed, heartbeatMs = HEARTBEAT_MS }) => {
  const closers = new Set<() => void>();
  // Open streams would otherwise hold app.close() until every browser tab goes away.
  app.addHook('preClose', async () => {
    for (const close of [...closers]) close();
  });

  app.get(
    '/live/decisions',
    {
      config: { access: 'read' },
      schema: { tags: ['console'], security: SECURITY, summary: 'Decisions as they happen (text/event-stream, one `decision` event each)' },
    },
    async (request, reply) => {
      if (closers.size >= MAX_STREAMS) {
        return reply.code(503).send({ error: { code: 'not_ready', message: 'Too many live streams are open' } });
      }
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-content-type-options': 'nosniff',
      });
      raw.write(': live decisions\n\n');
      const unsubscribe = feed.subscribe((message) => {
        raw.write(`event: decision\nid: ${message.eventId}\ndata: ${JSON.stringify(message)}\n\n`);
      });
      const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), heartbeatMs);
      const close = (): void => {
        if (!closers.delete(close)) return;
        clearInterval(heartbeat);
        unsubscribe();
        raw.end();
      };
      closers.add(close);
      request.raw.on('close', close);
    },
  );
};
