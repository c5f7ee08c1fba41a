// The Live page's stream and the Health page's data, over a real socket: a decision recorded by
// the appliance arrives as one SSE event; a client going away unsubscribes; closing the API ends
// open streams instead of hanging; /status serves what the appliance reports.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { DecisionMessage } from '../../../access/decision-message.js';
import type { DecisionFeed } from '../../../enroll/console/ports.js';
import { nextEvent } from '../../helpers/sse.js';
import { bearer, buildApi, openTestCore, type TestCore } from '../helpers.js';

class FakeFeed implements DecisionFeed {
  readonly listeners = new Set<(m: DecisionMessage) => void>();
  subscribe(listener: (m: DecisionMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(message: DecisionMessage): void {
    for (const l of this.listeners) l(message);
  }
}

const message: DecisionMessage = {
  schema: 'maskgate.decision/1',
  eventId: '2b1f9d7e-0000-4000-8000-000000000001',
  applianceId: 'maskgate-1',
  cameraId: 'door-cam',
  doorId: 'front',
  trackId: 't1',
  outcome: 'grant',
  reason: 'match',
  personId: '2b1f9d7e-0000-4000-8000-0000000000aa',
  personName: 'Ada',
  score: 0.61,
  threshold: 0.35,
  thresholdCondition: 'single',
  targetFmr: null,
  modelId: 'm',
  masked: true,
  pad: null,
  framesUsed: 3,
  firstSeenAt: '2026-12-05T00:00:00.000Z',
  decidedAt: '2026-12-05T00:00:01.000Z',
  expiresAt: '2026-12-05T00:00:06.000Z',
};

describe('live decisions and status', () => {
  let t: TestCore;
  let app: FastifyInstance;
  let base: string;
  const feed = new FakeFeed();

  beforeAll(async () => {
    t = await openTestCore();
    app = buildApi(t, {
      console: {
        root: null,
        decisions: feed,
        health: { status: () => ({ applianceId: 'maskgate-1', outbox: { depth: 2 } }), recentErrors: () => [{ at: '2026-12-05T00:00:00.000Z', component: 'camera', message: 'capture failed' }] },
      },
    });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('needs a key', async () => {
    expect((await fetch(`${base}/live/decisions`)).status).toBe(401);
  });

  it('streams each decision as a `decision` event, and unsubscribes when the client goes', async () => {
    const abort = new AbortController();
    const response = await fetch(`${base}/live/decisions`, { headers: bearer(t.reader), signal: abort.signal });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const reader = response.body!.getReader();
    const buffer = { text: '' };
    await expect.poll(() => feed.listeners.size).toBe(1);
    feed.emit(message);
    const event = await nextEvent(reader, buffer);
    const lines = event.split('\n');
    expect(lines[0]).toBe('event: decision');
    expect(lines[1]).toBe(`id: ${message.eventId}`);
    expect(JSON.parse(lines[2]!.replace(/^data: /, ''))).toEqual(message);
    abort.abort();
    await expect.poll(() => feed.listeners.size).toBe(0);
  });

  it('serves the health data', async () => {
    const response = await fetch(`${base}/status`, { headers: bearer(t.reader) });
    expect(await response.json()).toEqual({
      status: { applianceId: 'maskgate-1', outbox: { depth: 2 } },
      recentErrors: [{ at: '2026-12-05T00:00:00.000Z', component: 'camera', message: 'capture failed' }],
    });
  });

  it('ends open streams when the API closes, instead of waiting for the browser', async () => {
    const response = await fetch(`${base}/live/decisions`, { headers: bearer(t.reader) });
    const reader = response.body!.getReader();
    await expect.poll(() => feed.listeners.size).toBe(1);
    await app.close();
    expect(feed.listeners.size).toBe(0);
    const buffer = { text: '' };
    await expect(nextEvent(reader, buffer)).rejects.toThrow('stream ended');
  });
});
