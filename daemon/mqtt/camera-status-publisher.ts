// Publishes each camera's supervision status, retained, on `<base>/camera/<id>/status`, so a
// door panel or monitoring client sees a dead camera without polling. While the broker is away
// only the latest status per camera is kept (older ones are stale by definition) and all of them
// are sent again on reconnect.
import type { Logger } from 'pino';
import type { CameraHealth } from '../camera-worker.js';
import type { MqttConnection } from './connection.js';
import type { CameraStatusMessage, Topics } from './messages.js';

export class CameraStatusPublisher {
  private readonly latest = new Map<string, CameraHealth>();
  private readonly pending = new Set<Promise<void>>();
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly connection: MqttConnection,
    private readonly topics: Topics,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.unsubscribe = this.connection.onStateChange((state) => {
      if (state === 'connected') for (const health of this.latest.values()) this.send(health);
    });
  }

  /** Records the status and publishes it now when connected. */
  publish(health: CameraHealth): void {
    this.latest.set(health.cameraId, health);
    if (this.connection.brokerState === 'connected') this.send(health);
  }

  /** Waits for the publishes in flight (the last `stopped` statuses at shutdown). */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    await Promise.all([...this.pending]);
  }

  private send(health: CameraHealth): void {
    const message = toMessage(this.topics.applianceId, health, Date.now());
    const sent = this.connection
      .publish(this.topics.cameraStatus(health.cameraId), JSON.stringify(message), { qos: 1, retain: true })
      .catch((err: Error) => this.logger.debug({ camera: health.cameraId, err: err.message }, 'camera status not published; resent on reconnect'))
      .finally(() => this.pending.delete(sent));
    this.pending.add(sent);
  }
}

export function toMessage(applianceId: string, health: CameraHealth, now: number): CameraStatusMessage {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    schema: 'maskgate.camera-status/1',
    applianceId,
    cameraId: health.cameraId,
    doorId: health.doorId,
    state: health.state,
    up: health.up,
    since: iso(health.since),
    restarts: health.restarts,
    lastFrameAt: health.lastFrameAt === null ? null : iso(health.lastFrameAt),
    error: health.lastError,
    publishedAt: iso(now),
  };
}
