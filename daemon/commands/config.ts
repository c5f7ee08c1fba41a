// `maskgate config check <file>` and `maskgate config print [--config <file>]`: what a field
// technician runs before (re)starting the service — every problem at once, and the effective
// config with its defaults filled in and secrets masked.
import { accessSync, constants, existsSync } from 'node:fs';
import { ConfigError, loadConfigFile, maskSecrets } from '../../firmware-config/load.js';
import type { Config } from '../../firmware-config/schema.js';
import { UsageError, type Command } from './command.js';
import { CONFIG_OPTION, parseOptions } from './shared.js';

const USAGE = 'maskgate config check <file> | maskgate config print [--config <file>]';

export const configCommand: Command = {
  name: 'config',
  summary: 'Check a config file, or print the effective config (defaults filled, secrets masked)',
  usage: USAGE,
  async run(args, io) {
    const [action, ...rest] = args;
    if (action === 'check') {
      const { positionals } = parseOptions(rest, {}, true);
      if (positionals.length !== 1) throw new UsageError('config check takes exactly one file');
      const file = positionals[0]!;
      let config: Config;
      try {
        config = loadConfigFile(file).config;
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        const problems = err.problems.length ? err.problems : [err.message];
        io.stdout.write(`${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${problems.map((p) => `  - ${p}\n`).join('')}`);
        return 1;
      }
      const { problems, warnings } = environmentChecks(config);
      for (const w of warnings) io.stdout.write(`  warning: ${w}\n`);
      if (problems.length) {
        io.stdout.write(`${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${problems.map((p) => `  - ${p}\n`).join('')}`);
        return 1;
      }
      io.stdout.write(`${file}: OK (${config.cameras.length} camera${config.cameras.length === 1 ? '' : 's'}, broker ${config.mqtt.url === null ? 'embedded' : 'external'})\n`);
      return 0;
    }
    if (action === 'print') {
      const { values } = parseOptions(rest, CONFIG_OPTION);
      const { config } = loadConfigFile(values.config ?? null);
      io.stdout.write(`${JSON.stringify(maskSecrets(config), null, 2)}\n`);
      return 0;
    }
    throw new UsageError(action ? `unknown action "${action}"` : 'missing action (check or print)');
  },
};

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
    if (camera.url.startsWith('/dev/') && !existsSync(camera.url)) warnings.push(`/cameras/${i}/url: ${camera.url} is not present right now`);
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
