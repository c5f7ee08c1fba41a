// Checks the schema cannot make because they depend on this machine (files the daemon opens at
// start). `maskgate config check` prints them; `maskgate run` refuses to start on a problem, so
// the two always agree.
import { accessSync, constants, existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import type { Config } from './schema.js';

/**
 * Problems the schema cannot see because they depend on this machine: files the daemon will
 * open at start. Warnings are suspicious but harmless.
 */
export function environmentChecks(config: Config): { problems: string[]; warnings: string[] } {
  const problems: string[] = [];
  const warnings: string[] = [];
  const readable = (where: string, path: string) => {
    try {
      accessSync(path, constants.R_OK);
    } catch {
      problems.push(`${where}: ${existsSync(path) ? 'cannot read' : 'no such file'} ${path}`);
    }
  };
  readable('/model/detector', config.model.detector);
  readable('/model/embedder', config.model.embedder);
  const tls = config.mqtt.tls;
  if (tls?.caFile) readable('/mqtt/tls/caFile', tls.caFile);
  if (tls?.certFile) readable('/mqtt/tls/certFile', tls.certFile);
  if (tls?.keyFile) readable('/mqtt/tls/keyFile', tls.keyFile);
  config.cameras.forEach((camera, i) => {
    // A USB camera may be plugged in later (capture keeps retrying); a video file will not appear.
    if (camera.url.startsWith('/dev/') && !existsSync(camera.url)) warnings.push(`/cameras/${i}/url: ${camera.url} is not present right now`);
    else if (isAbsolute(camera.url)) readable(`/cameras/${i}/url`, camera.url);
  });
  const guarded = new Set(config.cameras.map((c) => c.doorId));
  config.doors.forEach((door, i) => {
    if (!guarded.has(door.id)) warnings.push(`/doors/${i}: no camera guards door "${door.id}"`);
  });
  if (config.mqtt.url?.startsWith('mqtt://') && config.mqtt.password !== undefined) {
    warnings.push('/mqtt/url: the broker password travels unencrypted over mqtt://; prefer mqtts://');
  }
  if (config.mqtt.tls?.rejectUnauthorized === false) warnings.push('/mqtt/tls/rejectUnauthorized: the broker certificate is not verified');
  return { problems, warnings };
}
