// The appliance's one MQTT connection: credentials and TLS, the last will plus the retained
// availability, subscriptions renewed on every connect, and one rule about retries — when the
// connection drops, publishes still waiting for their PUBACK are abandoned instead of being
// kept in mqtt.js's in-memory store. The durable outbox decides what is sent again (and
// whether it expired meanwhile); two resend queues would duplicate decisions.
import mqtt, { type IClientOptions, type IClientPublishOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { AvailabilityPayload, type Topics } from './messages.js';
import type { TlsMaterial } from './tls-material.js';

export type BrokerState = 'connecting' | 'connected' | 'disconnected' | 'closed';

export interface MqttConnectionOptions {
  readonly url: string;
  /** 5 for site brokers; 4 (MQTT 3.1.1) for the embedded aedes broker. */
  readonly protocolVersion: 4 | 5;
  readonly clientId: string;
  readonly username?: string;
  readonly password?: string;
  readonly keepaliveSeconds: number;
  readonly reconnectPeriodMs: number;
  readonly tls?: TlsMaterial;
  /** Bound on each step of `stop()` (flushing the availability, disconnecting). */
  readonly stopTimeoutMs?: number;
}

export interface IncomingMessage {
  readonly topic: string;
  readonly payload: Buffer;
  /** True for a retained message replayed by the broker on subscribe. */
  readonly retain: boolean;
}

export interface PublishOptions {
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
  /** MQTT 5 only (ignored on 3.1.1): the broker drops the message after this many seconds. */
  readonly messageExpirySeconds?: number;
}

export class NotConnectedError extends Error {
  readonly code = 'mqtt_not_connected';
  constructor() {
    super('not connected to the MQTT broker');
    this.name = 'NotConnectedError';
  }
}

export class MqttConnection {
  private client: MqttClient | null = null;
  private state: BrokerState = 'closed';
  private lastError: string | null = null;
  private readonly subscriptions = new Set<string>();
  private readonly stateListeners = new Set<(state: BrokerState) => void>();
  private readonly messageListeners = new Set<(message: IncomingMessage) => void>();

  constructor(
    private readonly options: MqttConnectionOptions,
    private readonly topics: Topics,
    private readonly logger: Logger,
  ) {}

  get brokerState(): BrokerState {
    return this.state;
  }

  get protocolVersion(): 4 | 5 {
    return this.options.protocolVersion;
  }

  /** The broker URL without credentials, for logs and the status summary. */
  get redactedUrl(): string {
    return redactUrl(this.options.url);
  }

  onStateChange(listener: (state: BrokerState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  onMessage(listener: (message: IncomingMessage) => void): () => void {
    this.messageListeners.add(listener);
    return () => this.messageListeners.delete(listener);
  }

  /** Subscribes now if connected, and again after every reconnect (the session is clean). */
  subscribe(filter: string): void {
    this.subscriptions.add(filter);
    if (this.state === 'connected') this.subscribeAll([filter]);
  }

  /** Connects in the background: the appliance keeps deciding while the broker is away. */
  start(): void {
    if (this.client) return;
    const { url, protocolVersion, clientId, username, password, keepaliveSeconds, reconnectPeriodMs, tls } = this.options;
    const clientOptions: IClientOptions = {
      protocolVersion,
      clientId,
      // A clean session: requests sent while the appliance was away are stale by the time it is
      // back, and decisions are resent from the outbox, not from a broker-side session.
      clean: true,
      resubscribe: false,
      // Nothing waits in memory while disconnected: QoS 0 publishes fail at once.
      queueQoSZero: false,
      keepalive: keepaliveSeconds,
      reconnectPeriod: reconnectPeriodMs,
      connectTimeout: 10_000,
      will: { topic: this.topics.availability, payload: Buffer.from(AvailabilityPayload.offline), qos: 1, retain: true },
      ...(username !== undefined ? { username } : {}),
      ...(password !== undefined ? { password } : {}),
      ...(tls
        ? {
            rejectUnauthorized: tls.rejectUnauthorized,
            ...(tls.ca ? { ca: tls.ca } : {}),
            ...(tls.cert ? { cert: tls.cert } : {}),
            ...(tls.key ? { key: tls.key } : {}),
          }
        : {}),
    };
    this.setState('connecting');
    const client = mqtt.connect(url, clientOptions);
    this.client = client;
    client.on('connect', () => {
      // mqtt.js writes a packet in several small chunks; with Nagle's algorithm a lone PUBLISH
      // (a response, a decision) then waits for the broker's delayed ACK: a request round trip
      // measured 48 ms instead of 0.3 ms against Mosquitto.
      (client.stream as { setNoDelay?: (noDelay: boolean) => void }).setNoDelay?.(true);
      this.lastError = null;
      this.logger.info({ broker: this.redactedUrl, protocolVersion }, 'connected to MQTT broker');
      // "online" (and the connected state) only once the subscriptions are in place, so that a
      // client that sees "online" can be sure its requests are heard.
      this.subscribeAll([...this.subscriptions], () => {
        if (!client.connected || this.client !== client) return;
        client.publish(this.topics.availability, AvailabilityPayload.online, { qos: 1, retain: true });
        this.setState('connected');
      });
    });
    client.on('close', () => {
      this.abandonInFlight(client);
      if (this.state === 'connected') this.logger.warn({ broker: this.redactedUrl }, 'MQTT broker connection lost; decisions are queued on disk');
      if (this.state !== 'closed') this.setState('disconnected');
    });
    client.on('error', (err) => {
      // mqtt.js retries every reconnectPeriod; say each distinct problem once, not every 2 s.
      if (err.message === this.lastError) return;
      this.lastError = err.message;
      this.logger.warn({ broker: this.redactedUrl, err: err.message, code: (err as { code?: unknown }).code }, 'MQTT client error');
    });
    client.on('message', (topic, payload, packet) => {
      const message: IncomingMessage = { topic, payload, retain: packet.retain };
      for (const listener of this.messageListeners) listener(message);
    });
  }

  /** Resolves once the broker acknowledged the message (QoS 1/2) or it was written (QoS 0). */
  async publish(topic: string, payload: string | Buffer, options: PublishOptions): Promise<void> {
    const client = this.client;
    if (!client || this.state !== 'connected') throw new NotConnectedError();
    const publishOptions: IClientPublishOptions = { qos: options.qos, retain: options.retain };
    if (options.messageExpirySeconds !== undefined && this.options.protocolVersion === 5) {
      publishOptions.properties = { messageExpiryInterval: options.messageExpirySeconds };
    }
    await client.publishAsync(topic, payload, publishOptions);
  }

  /** Marks the appliance offline (retained), then disconnects; bounded so a dead broker cannot hold up shutdown. */
  async stop(): Promise<void> {
    const client = this.client;
    if (!client) return;
    const wasConnected = this.state === 'connected';
    this.setState('closed');
    let clean = false;
    if (wasConnected) {
      clean = await withTimeout(
        client.publishAsync(this.topics.availability, AvailabilityPayload.offline, { qos: 1, retain: true }).then(() => true),
        this.options.stopTimeoutMs ?? 3000,
        false,
      ).catch(() => false);
    }
    // Without the offline message acknowledged, drop the socket: the broker then publishes the will.
    await withTimeout(client.endAsync(!clean), this.options.stopTimeoutMs ?? 3000, undefined).catch(() => undefined);
    this.client = null;
  }

  private subscribeAll(filters: string[], then: () => void = () => undefined): void {
    if (!this.client) return;
    if (!filters.length) return then();
    this.client.subscribe(filters, { qos: 1 }, (err, granted) => {
      const refused = (granted ?? []).filter((g) => g.qos >= 128).map((g) => g.topic);
      if (err || refused.length) {
        this.logger.error({ err: err?.message, refused, filters }, 'MQTT subscribe failed; requests will not be answered');
      }
      then();
    });
  }

  private abandonInFlight(client: MqttClient): void {
    for (const [id, pending] of Object.entries(client.outgoing)) {
      if (pending.cmd === 'publish') client.removeOutgoingMessage(Number(id));
    }
  }

  private setState(state: BrokerState): void {
    if (this.state === state) return;
    this.state = state;
    for (const listener of this.stateListeners) listener(state);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Broker URLs may carry credentials; never log them. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^/@:]+):([^/@]*)@/, '//$1:***@');
}
