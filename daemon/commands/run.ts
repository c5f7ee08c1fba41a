// `maskgate run`: the appliance itself, until SIGINT/SIGTERM; SIGHUP or a change of the config
// file reloads the config.
import { environmentChecks } from '../../firmware-config/environment-checks.js';
import { ConfigError, loadConfigFile } from '../../firmware-config/load.js';
import { Appliance } from '../appliance.js';
import { ConfigWatcher } from '../config-watcher.js';
import { statusLine } from '../requests/status.js';
import { SystemdNotifier, superviseWithSystemd } from '../systemd-notify.js';
import type { Command } from './command.js';
import { createLogger } from '../logger.js';
import { RecentErrors } from '../recent-errors.js';
import { CONFIG_OPTION, parseOptions } from './shared.js';

export const runCommand: Command = {
  name: 'run',
  summary: 'Run the appliance (cameras, matcher, MQTT, enrolment API)',
  usage: 'maskgate run [--config <file>]   (no config: embedded defaults)',
  async run(args) {
    const { values } = parseOptions(args, CONFIG_OPTION);
    const { config, path } = loadConfigFile(values.config ?? null);
    const recentErrors = new RecentErrors(); // the console's Health page shows them
    const logger = createLogger(config.logLevel, undefined, recentErrors);
    // The same machine checks as `config check`: a config it refuses never half-starts here.
    const { problems } = environmentChecks(config);
    if (problems.length > 0) throw new ConfigError('config_invalid', `Cannot start: ${problems.join('; ')}`);
    // The reload-config request re-reads the same file as SIGHUP.
    const appliance = await Appliance.create(config, logger, path ? { loadConfig: () => loadConfigFile(path).config, configPath: path, recentErrors } : { recentErrors });
    // All or nothing: a failed start has stopped what it started (availability `offline`) and
    // leaves one error line in the log; the non-zero exit lets systemd's restart policy act.
    try {
      await appliance.start();
    } catch (err) {
      const { code } = err as { code?: unknown };
      const message = (err as Error).message.trim().replace(/\s*\n\s*/g, ' | '); // one line, even when a tool's output is quoted
      logger.fatal({ code }, `start-up failed: ${message}${typeof code === 'string' ? ` [${code}]` : ''}`);
      logger.flush();
      return 1;
    }
    const systemd = await superviseWithSystemd(
      SystemdNotifier.fromEnvironment(process.env, process.pid, logger),
      { isStalled: (now, stallMs) => appliance.isStalled(now, stallMs), statusLine: () => statusLine(appliance.status()) },
      logger,
    );
    const reload = (): void => {
      if (!path) return logger.warn('SIGHUP ignored: running on embedded defaults, no config file to reload');
      try {
        appliance.applyConfig(loadConfigFile(path).config);
      } catch (err) {
        logger.error({ err: (err as Error).message }, 'config reload failed; keeping the running config');
      }
    };
    // A changed config file (e.g. a new calibrated threshold) is applied without a signal too.
    const watcher = path ? new ConfigWatcher(path, reload, { logger }).start() : null;
    await untilStopped(appliance, reload, () => void systemd.stopping());
    watcher?.stop();
    return 0;
  },
};

/** Resolves after the first SIGINT/SIGTERM once the appliance stopped cleanly. */
export function untilStopped(appliance: Appliance, onReload: () => void, onStopping?: () => void): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      onStopping?.();
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
