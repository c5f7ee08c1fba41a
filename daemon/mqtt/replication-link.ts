// The replication side of MQTT (replication/transport.ts), on its own client beside the door
// connection: a persistent MQTT 5 session (clean start off, session expiry set) under a
// client id of its own, so QoS 1 changes published while this appliance is away are queued
// for it by the broker, whereas the door connection stays clean (decisions have their outbox).
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { ReplicationMessage, ReplicationTransport } from '../../replication/transport.js';
import { redactUrl } from './connection.js';
import type { TlsMaterial } from './tls-material.js';

export interface ReplicationLinkOptions {
  readonly url: string;
  readonly clientId: string;
  readonly username?: string;
  readonly password?: string;
  readonly tls?: TlsMaterial;
  readonly keepaliveSeconds: number;
  readonly reconnectPeriodMs: number;
  /** How long the broker keeps the session (and queues QoS 1 messages) while the appliance is away. */
  readonly sessionExpirySeconds: number;
}

export class ReplicationLink implements ReplicationTransport {
  private client: MqttClient | null = null;
  private ready = false;
  private lastError: string | null = null;
  private readonly filters = new Set<string>();
  private readonly messageListeners = new Set<(message: ReplicationMessage) => void>();
  private readonly connectedListeners = new Set<() => void>();

  constructor(
    private readonly options: ReplicationLinkOptions,
    private readonly logger: Logger,
  ) {}

  get connected(): boolean {
    return this.ready && this.client?.connected === true;
  }

  subscribe(filter: string): void {
    this.filters.add(filter);
    if (this.connected) this.subscribeAll([filter]);
  }

  onMessage(listener: (message: ReplicationMessage) => void): () => void {
    this.messageListeners.add(listener);
    return () => this.messageListeners.delete(listener);
  }

  onConnected(listener: () => void): () => void {
    this.connectedListeners.add(listener);
    return () => this.connectedListeners.delete(listener);
  }

  async publish(topic: string, payload: Buffer, options: { retain: boolean }): Promise<void> {
    const client = this.client;
    if (!client || !this.connected) throw new Error('replication link not connected');
    await client.publishAsync(topic, payload, { qos: 1, retain: options.retain });
  }

  start(): void {
    if (this.client) return;
    const { url, clientId, username, password, tls, keepaliveSeconds, reconnectPeriodMs, sessionExpirySeconds } = this.options;
    const clientOptions: IClientOptions = {
      protocolVersion: 5,
      clientId,
      clean: false,
      properties: { sessionExpiryInterval: sessionExpirySeconds },
      // Subscriptions are renewed on every connect below (a broker that lost the session, or a
      // first start); with a session present the broker already has them and this is a no-op.
      resubscribe: false,
      keepalive: keepaliveSeconds,
      reconnectPeriod: reconnectPeriodMs,
      connectTimeout: 10_000,
      ...(username !== undefined ? { username } : {}),
      ...(password !== undefined ? { password } : {}),
      ...(tls
        ? { rejectUnauthorized: tls.rejectUnauthorized, ...(tls.ca ? { ca: tls.ca } : {}), ...(tls.cert ? { cert: tls.cert } : {}), ...(tls.key ? { key: tls.key } : {}) }
        : {}),
    };
    const client = mqtt.connect(url, clientOptions);
    this.client = client;
    client.on('connect', (packet) => {
      (client.stream as { setNoDelay?: (noDelay: boolean) => void }).setNoDelay?.(true);
      this.lastError = null;
      this.logger.info({ broker: redactUrl(url), sessionPresent: packet.sessionPresent }, 'replication link connected');
      this.subscribeAll([...this.filters], () => {
        if (this.client !== client || !client.connected) return;
        this.ready = true;
        for (const listener of this.connectedListeners) listener();
      });
    });
    client.on('close', () => {
      if (this.ready) this.logger.warn({ broker: redactUrl(url) }, 'replication link lost; changes wait at the broker');
      this.ready = false;
    });
    client.on('error', (err) => {
      if (err.message === this.lastError) return;
      this.lastError = err.message;
      this.logger.warn({ broker: redactUrl(url), err: err.message }, 'replication link error');
    });
    client.on('message', (topic, payload) => {
      for (const listener of this.messageListeners) listener({ topic, payload });
    });
  }

  async stop(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.client = null;
    this.ready = false;
    // A normal DISCONNECT keeps the session (clean start off): what is published meanwhile waits.
    await Promise.race([client.endAsync(false), new Promise((resolve) => setTimeout(resolve, 3000).unref())]).catch(() => undefined);
  }

  private subscribeAll(filters: string[], then: () => void = () => undefined): void {
    const client = this.client;
    if (!client) return;
    if (filters.length === 0) return then();
    client.subscribe(filters, { qos: 1 }, (err, granted) => {
      const refused = (granted ?? []).filter((g) => g.qos >= 128).map((g) => g.topic);
      if (err || refused.length) this.logger.error({ err: err?.message, refused }, 'replication subscribe refused (broker ACL?)');
      then();
    });
  }
}
