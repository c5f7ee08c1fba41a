// Reads the PEM files named in `mqtt.tls` once, at start, so a missing or unreadable file is a
// clear start-up error rather than a TLS handshake failure repeated every reconnect.
import { readFileSync } from 'node:fs';
import type { MqttTlsConfig } from '../../firmware-config/schema.js';
import { CodedError } from '../../pipeline/coded-error.js';

export interface TlsMaterial {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly rejectUnauthorized: boolean;
}

export class TlsMaterialError extends CodedError<'mqtt_tls_unreadable'> {
  constructor(message: string) {
    super('mqtt_tls_unreadable', message);
  }
}

export function readTlsMaterial(tls: MqttTlsConfig): TlsMaterial {
  const read = (field: 'caFile' | 'certFile' | 'keyFile'): Buffer | undefined => {
    const path = tls[field];
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (err) {
      throw new TlsMaterialError(`Cannot read mqtt.tls.${field} ${path}: ${(err as Error).message}`);
    }
  };
  const ca = read('caFile');
  const cert = read('certFile');
  const key = read('keyFile');
  return {
    rejectUnauthorized: tls.rejectUnauthorized,
    ...(ca ? { ca } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
  };
}
