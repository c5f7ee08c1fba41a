// `maskgate config check <file>` and `maskgate config print [--config <file>]`: what a field
// technician runs before (re)starting the service — every problem at once, and the effective
// config with its defaults filled in and secrets masked.
import { environmentChecks } from '../../firmware-config/environment-checks.js';
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
