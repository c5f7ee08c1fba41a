// An in-process MQTT 3.1.1 broker (aedes) for a single appliance with no site broker: doors and
// tools on the same network connect to it like to any broker.
import { createServer, type Server, type AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import type { Logger } from 'pino';
import { CodedError } from '../../pipeline/coded-error.js';

export interface EmbeddedBroker {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export class BrokerStartError extends CodedError<'broker_start_failed'> {
  constructor(message: string) {
    super('broker_start_failed', message);
  }
}

export async function startEmbeddedBroker(host: string, port: number, logger: Logger): Promise<EmbeddedBroker> {
  const aedes = await Aedes.createBroker();
  const server: Server = createServer(aedes.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new BrokerStartError(
          err.code === 'EADDRINUSE'
            ? `Cannot start the embedded MQTT broker: ${host}:${port} is already in use (set mqtt.url to use that broker, or mqtt.embeddedPort to another port)`
            : `Cannot start the embedded MQTT broker on ${host}:${port}: ${err.message}`,
        ),
      ),
    );
    server.listen(port, host, () => resolve());
  });
  const actualPort = (server.address() as AddressInfo).port;
  const url = `mqtt://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
  logger.info({ url }, 'embedded MQTT broker listening');
  return {
    url,
    port: actualPort,
    close: () =>
      new Promise<void>((resolve) => {
        // Close the broker first so connected clients are dropped and the server can finish.
        aedes.close(() => server.close(() => resolve()));
      }),
  };
}
