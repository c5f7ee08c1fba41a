// Delivers decisions to the doors. Every decision is written to the on-disk outbox first and
// only marked delivered once the broker acknowledged it (QoS 1), so a broker outage or a
// daemon restart loses nothing. The outbox is the only resend queue (see MqttConnection):
// after a reconnect, delivery resumes from the oldest undelivered row, in order. Decisions that
// expired while waiting are moved, durably, to the audit-only `expired` topic instead of
// reaching a door as a fresh grant.
import type { Logger } from 'pino';
import type { OutboxMessage, OutboxRepository } from '../../store/outbox-repository.js';
import type { Topics } from './messages.js';
import type { DecisionMessage } from '../../access/decision-message.js';
import type { MqttConnection } from './connection.js';

export interface DecisionPublisherOptions {
  /**
   * Runs `fn` in one database transaction, so that moving an expired decision to the `expired`
   * topic (delete + insert) cannot be torn by a crash. Default: runs it directly.
   */
  readonly atomically?: (fn: () => void) => void;
  /** Bound on the last flush during `stop()`. */
  readonly stopFlushTimeoutMs?: number;
  readonly now?: () => number;
}

export type DeliveryListener = (message: OutboxMessage, deliveredAt: number) => void;

const BATCH = 50;

export class DecisionPublisher {
  private flushing: Promise<void> | null = null;
  private detach: (() => void) | null = null;
  private readonly deliveryListeners = new Set<DeliveryListener>();
  private readonly atomically: (fn: () => void) => void;
  private readonly now: () => number;

  constructor(
    private readonly connection: MqttConnection,
    private readonly topics: Topics,
    private readonly outbox: OutboxRepository,
    private readonly logger: Logger,
    private readonly options: DecisionPublisherOptions = {},
  ) {
    this.atomically = options.atomically ?? ((fn) => fn());
    this.now = options.now ?? Date.now;
  }

  /** Undelivered messages waiting on disk. */
  get depth(): number {
    return this.outbox.countUndelivered();
  }

  /** Observers (metrics) learn when the broker acknowledged a message. */
  onDelivered(listener: DeliveryListener): () => void {
    this.deliveryListeners.add(listener);
    return () => this.deliveryListeners.delete(listener);
  }

  /** Delivers what an earlier run left behind, and everything queued later, whenever the broker is up. */
  start(): void {
    if (this.detach) return;
    this.detach = this.connection.onStateChange((state) => {
      if (state === 'connected') void this.flush();
    });
    void this.flush();
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

  /** Last delivery attempt (bounded), then stops reacting to reconnects; the outbox keeps the rest. */
  async stop(): Promise<void> {
    this.detach?.();
    this.detach = null;
    if (this.connection.brokerState !== 'connected') return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.flush().catch(() => undefined),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, this.options.stopFlushTimeoutMs ?? 5000))),
    ]);
    clearTimeout(timer);
  }

  private async drain(): Promise<void> {
    this.moveExpired();
    while (this.connection.brokerState === 'connected') {
      const batch = this.outbox.pending(BATCH);
      if (batch.length === 0) {
        this.outbox.purgeDelivered();
        return;
      }
      for (const entry of batch) {
        if (this.connection.brokerState !== 'connected') return;
        const now = this.now();
        if (entry.expiresAt !== null && entry.expiresAt <= now) {
          // Expired while earlier messages were going out: report it instead of delivering it.
          this.moveExpired();
          break;
        }
        try {
          await this.connection.publish(entry.topic, entry.payload, {
            qos: entry.qos,
            retain: entry.retain,
            // MQTT 5: a broker holding the message for an offline door drops it once stale.
            ...(entry.expiresAt !== null ? { messageExpirySeconds: Math.max(1, Math.ceil((entry.expiresAt - now) / 1000)) } : {}),
          });
        } catch (err) {
          this.logger.warn({ err: (err as Error).message, seq: entry.seq }, 'publish not acknowledged; it will be resent from the outbox after reconnect');
          return;
        }
        this.outbox.markDelivered(entry.seq);
        const deliveredAt = this.now();
        for (const listener of this.deliveryListeners) listener(entry, deliveredAt);
      }
    }
  }

  /** Expired decisions never reach a door: each becomes one durable audit message on `expired`. */
  private moveExpired(): void {
    this.atomically(() => {
      for (const expired of this.outbox.expireDue()) {
        this.logger.warn({ seq: expired.seq, topic: expired.topic }, 'decision expired before the broker took it; reported on the expired topic');
        this.outbox.enqueue({ topic: this.topics.expired, payload: expired.payload, qos: 1, retain: false, expiresAt: null });
      }
    });
  }
}
