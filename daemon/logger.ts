// The appliance's logger: JSON lines (pino) with secrets redacted by path, so that neither a
// broker password nor an API key can reach a log line even when a config object is logged.
import { pino, type Logger, type DestinationStream } from 'pino';
import type { RecentErrors } from './recent-errors.js';

export const REDACTED_PATHS = [
  'password',
  '*.password',
  'mqtt.password',
  'apiKey',
  '*.apiKey',
  'authorization',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers["x-api-key"]',
  'req.headers.cookie',
  'headers.cookie',
  'req.headers["x-csrf-token"]',
  'headers["x-csrf-token"]',
  'embedding',
  '*.embedding',
];

export function createLogger(level: string, destination?: DestinationStream, recentErrors?: RecentErrors): Logger {
  return pino(
    {
      level,
      ...(recentErrors ? { hooks: recentErrors.hooks() } : {}),
      base: { service: 'maskgate' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? pino.destination({ dest: 2, sync: false }),
  );
}
