// `maskgate run`: the appliance itself, until SIGINT/SIGTERM; SIGHUP reloads the config.
import { loadConfigFile } from '../../firmware-config/load.js';
import { Appliance } from '../appliance.js';
import type { Command } from './command.js';
import { CONFIG_OPTION, loadConfigAndLogger, parseOptions } from './shared.js';

export const runCommand: Command = {
  name: 'run',
  summary: 'Run the appliance (cameras, matcher, MQTT, enrolment API)',
  usage: 'maskgate run [--config <file>]   (no config: embedded defaults)',
  async run(args) {
    const { values } = parseOptions(args, CONFIG_OPTION);
    const { config, path, logger } = loadConfigAndLogger(values.config);
    const appliance = await Appliance.create(config, logger);
    await appliance.start();
    await untilStopped(appliance, () => {
      if (!path) return logger.warn('SIGHUP ignored: running on embedded defaults, no config file to reload');
      try {
        appliance.applyConfig(loadConfigFile(path).config);
      } catch (err) {
        logger.error({ err: (err as Error).message }, 'config reload failed; keeping the running config');
      }
    });
    return 0;
  },
};

/** Resolves after the first SIGINT/SIGTERM once the appliance stopped cleanly. */
export function untilStopped(appliance: Appliance, onReload: () => void): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.off('SIGHUP', onReload);
      void appliance.stop().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    process.on('SIGHUP', onReload);
  });
}
