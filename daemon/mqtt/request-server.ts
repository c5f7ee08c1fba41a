// Answers `<base>/request/<name>` on `<base>/response/<name>` over the appliance's connection.
// All protocol rules live in RequestDispatcher; this only moves bytes between it and MQTT.
import type { Logger } from 'pino';
import type { Topics } from './messages.js';
import type { RequestDispatcher } from '../requests/dispatcher.js';
import type { IncomingMessage, MqttConnection } from './connection.js';

export class RequestServer {
  private detach: (() => void) | null = null;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly connection: MqttConnection,
    private readonly topics: Topics,
    private readonly dispatcher: RequestDispatcher,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.detach) return;
    this.detach = this.connection.onMessage((message) => {
      const handled = this.handle(message).finally(() => this.inFlight.delete(handled));
      this.inFlight.add(handled);
    });
    this.connection.subscribe(this.topics.requests);
  }

  /** Stops taking requests and waits for those being answered. */
  async stop(): Promise<void> {
    this.detach?.();
    this.detach = null;
    await Promise.all(this.inFlight);
  }

  private async handle(message: IncomingMessage): Promise<void> {
    const prefix = `${this.topics.base}/request/`;
    if (!message.topic.startsWith(prefix)) return;
    const name = message.topic.slice(prefix.length);
    if (message.retain) {
      // A retained request would run again on every reconnect (think reload-config).
      this.logger.warn({ request: name }, 'ignored a retained request; publish requests without the retain flag');
      return;
    }
    const response = await this.dispatcher.dispatch(name, message.payload);
    try {
      await this.connection.publish(this.topics.response(name), JSON.stringify(response), { qos: 1, retain: false });
    } catch (err) {
      this.logger.warn({ request: name, transaction: response.transaction, err: (err as Error).message }, 'could not publish the response');
    }
  }
}
