// Delivers decisions to the doors. Every decision is written to the on-disk outbox first and
// only marked delivered once the broker acknowledged it (QoS 1), so a broker outage or a
// daemon restart loses nothing; decisions that expired while waiting are published on the
// audit-only `expired` topic instead of reaching a door as a fresh grant.
import mqtt, { type MqttClient, type IClientOptions } from 'mqtt';
import type { Logger } from 'pino';
import type { OutboxRepository } from '../../store/outbox-repository.js';
import { AvailabilityPayload, type DecisionMessage, type Topics } from '../messages.js';

export interface PublisherOptions {
  readonly url: string;
  readonly protocolVersion: 4 | 5;
  readonly clientId: string;
  readonly username?: string;
  readonly password?: string;
  readonly keepaliveSeconds: number;
  readonly reconnectPeriodMs: number;
}

export type BrokerState = 'connecting' | 'connected' | 'disconnected' | 'closed';

export class DecisionPublisher {
  private client: MqttClient | null = null;
  private flushing: Promise<void> | null = null;
  private state: BrokerState = 'closed';
  private readonly stateListeners = new Set<(s: BrokerState) => void>();

  constructor(
    private readonly options: PublisherOptions,
    private readonly topics: Topics,
    private readonly outbox: OutboxRepository,
    private readonly logger: Logger,
  ) {}

  get brokerState(): BrokerState {
    return this.state;
  }

  onStateChange(listener: (s: BrokerState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** Connects in the background: the appliance keeps deciding while the broker is away. */
  start(): void {
    const { url, protocolVersion, clientId, username, password, keepaliveSeconds, reconnectPeriodMs } = this.options;
    const clientOptions: IClientOptions = {
      protocolVersion,
      clientId,
      clean: true,
      keepalive: keepaliveSeconds,
      reconnectPeriod: reconnectPeriodMs,
      connectTimeout: 10_000,
      will: { topic: this.topics.availability, payload: Buffer.from(AvailabilityPayload.offline), qos: 1, retain: true },
      ...(username !== undefined ? { username } : {}),
      ...(password !== undefined ? { password } : {}),
    };
    this.setState('connecting');
    const client = mqtt.connect(url, clientOptions);
    this.client = client;
    client.on('connect', () => {
      this.setState('connected');
      this.logger.info({ broker: redactUrl(url) }, 'connected to MQTT broker');
      client.publish(this.topics.availability, AvailabilityPayload.online, { qos: 1, retain: true });
      void this.flush();
    });
    client.on('close', () => {
      if (this.state === 'connected') this.logger.warn({ broker: redactUrl(url) }, 'MQTT broker connection lost; decisions are queued on disk');
      if (this.state !== 'closed') this.setState('disconnected');
    });
    client.on('error', (err) => {
      this.logger.warn({ broker: redactUrl(url), err: err.message }, 'MQTT client error');
    });
  }

  /** Queues the decision durably, then tries to deliver everything pending, in order. */
  publish(decision: DecisionMessage): void {
    const { dropped } = this.outbox.enqueue({
      topic: this.topics.decision(decision.doorId),
      payload: JSON.stringify(decision),
      qos: 1,
      retain: false,
      expiresAt: Date.parse(decision.expiresAt),
    });
    if (dropped.length) this.logger.error({ dropped: dropped.length }, 'outbox full: oldest undelivered decisions dropped');
    void this.flush();
  }

  /** Resolves when the outbox was drained as far as the broker allowed. */
  flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async drain(): Promise<void> {
    const client = this.client;
    if (!client || this.state !== 'connected') return;
    // Expired decisions never reach a door: they are reported once on the audit-only topic.
    for (const expired of this.outbox.expireDue()) {
      this.logger.warn({ seq: expired.seq }, 'decision expired before the broker could take it');
      await client.publishAsync(this.topics.expired, expired.payload, { qos: 1, retain: false }).catch(() => undefined);
    }
    while (this.state === 'connected') {
      const batch = this.outbox.pending(50);
      if (batch.length === 0) return;
      for (const entry of batch) {
        if (this.state !== 'connected') return;
        try {
          await client.publishAsync(entry.topic, entry.payload, { qos: entry.qos, retain: entry.retain });
        } catch (err) {
          this.logger.warn({ err: (err as Error).message, seq: entry.seq }, 'publish failed; will retry after reconnect');
          return;
        }
        this.outbox.markDelivered(entry.seq);
      }
    }
  }

  async stop(): Promise<void> {
    const client = this.client;
    if (!client) return;
    const wasConnected = this.state === 'connected';
    if (wasConnected) await this.flush().catch(() => undefined);
    this.setState('closed');
    if (wasConnected) {
      await client
        .publishAsync(this.topics.availability, AvailabilityPayload.offline, { qos: 1, retain: true })
        .catch(() => undefined);
    }
    await client.endAsync(!wasConnected);
    this.client = null;
  }

  private setState(state: BrokerState): void {
    if (this.state === state) return;
    this.state = state;
    for (const listener of this.stateListeners) listener(state);
  }
}

/** Broker URLs may carry credentials; never log them. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^/@:]+):([^/@]*)@/, '//$1:***@');
}
