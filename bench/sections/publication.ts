// Publication: a decision-sized JSON payload published at QoS 1 to the appliance's embedded
// aedes broker, timed until the broker's PUBACK (mqtt.js resolves publishAsync on it).
import mqtt from 'mqtt';
import { startEmbeddedBroker } from '../../daemon/mqtt/embedded-broker.js';
import { toMessage } from '../../access/decision-sink.js';
import type { DecisionMessage } from '../../access/decision-message.js';
import type { TrackDecision } from '../../access/track-decider.js';
import { parseConfig } from '../../firmware-config/load.js';
import type { BenchContext } from '../context.js';
import type { PublicationLatency } from '../report.js';
import { repeat, summarise } from '../stats.js';

/** A grant as the appliance publishes it, built by the decision sink's own serialiser. */
export function sampleDecision(now = Date.now()): DecisionMessage {
  const camera = parseConfig({ cameras: [{ id: 'lobby-cam', url: '/dev/video0', doorId: 'lobby' }] }).cameras[0]!;
  const decision: TrackDecision = {
    eventId: '2b1c6a1e-64a4-4c33-9a43-0a4b7e1d9f10',
    trackId: 'lobby-cam-42',
    outcome: 'grant',
    reason: 'match',
    personId: '0f9d3c2e-5b7a-4f1e-8c6d-2a9b1e7f4c30',
    personName: 'Ada Lovelace',
    score: 0.6123,
    threshold: 0.42,
    thresholdCondition: 'masked',
    targetFmr: 0.001,
    framesUsed: 3,
    firstSeenAt: now - 400,
    decidedAt: now,
    expiresAt: now + 5000,
    pad: { score: 0.0123, threshold: 0.5, frames: 3, attack: false },
    masked: true,
  };
  return toMessage(decision, camera, 'maskgate-1', 'fr_feature-87aacdfe');
}

export async function measurePublication(ctx: BenchContext): Promise<PublicationLatency> {
  const broker = await startEmbeddedBroker('127.0.0.1', 0, ctx.logger);
  const client = mqtt.connect(broker.url, { protocolVersion: 4, clientId: `maskgate-bench-${process.pid}`, reconnectPeriod: 0 });
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    const payload = JSON.stringify(sampleDecision());
    const durations = await repeat(() => client.publishAsync('maskgate/maskgate-1/door/lobby/decision', payload, { qos: 1 }), {
      warmup: 10,
      minRuns: ctx.plan.publishMessages,
      maxRuns: ctx.plan.publishMessages,
      budgetMs: 0,
    });
    return { messages: durations.length, payloadBytes: Buffer.byteLength(payload), pubackMs: summarise(durations) };
  } finally {
    await client.endAsync();
    await broker.close();
  }
}
