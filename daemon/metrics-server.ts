// A minimal HTTP server for Prometheus: GET /metrics and nothing else. Loopback by default;
// it is separate from the enrolment API so that scraping needs no API key and cannot reach it.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { CodedError } from '../pipeline/coded-error.js';

export interface MetricsServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface MetricsExposition {
  exposition(): Promise<string>;
  readonly contentType: string;
}

export class MetricsServerError extends CodedError<'metrics_start_failed'> {
  constructor(message: string) {
    super('metrics_start_failed', message);
  }
}

export async function startMetricsServer(metrics: MetricsExposition, host: string, port: number, logger: Logger): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: metrics are at /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    metrics.exposition().then(
      (body) => res.writeHead(200, { 'content-type': metrics.contentType }).end(req.method === 'HEAD' ? undefined : body),
      (err: Error) => {
        logger.error({ err: err.message }, 'metrics collection failed');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics collection failed\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new MetricsServerError(
          err.code === 'EADDRINUSE'
            ? `Cannot serve metrics: ${host}:${port} is already in use (set metrics.port, or metrics.enabled to false)`
            : `Cannot serve metrics on ${host}:${port}: ${err.message}`,
        ),
      ),
    );
    server.listen(port, host, () => resolve());
  });
  const actualPort = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}/metrics`;
  logger.info({ url }, 'serving Prometheus metrics');
  return {
    url,
    port: actualPort,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
