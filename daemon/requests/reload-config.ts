// `reload-config`: re-reads the config file and applies it like SIGHUP does, answering which
// changed sections only take effect after a restart. An invalid file changes nothing.
import { ConfigError } from '../../firmware-config/load.js';
import { ReloadConfigRequestSchema, type ReloadConfigResult } from '../mqtt/messages.js';
import { defineHandler, RequestError, type RequestHandler } from './dispatcher.js';

/** Re-reads and applies the config; returns the sections that need a restart. Null: no config file. */
export type ConfigReloader = (() => string[]) | null;

export function reloadConfigHandler(reload: ConfigReloader): RequestHandler {
  return defineHandler({
    name: 'reload-config',
    schema: ReloadConfigRequestSchema,
    handle: (): ReloadConfigResult => {
      if (!reload) throw new RequestError('config_unavailable', 'the appliance runs on built-in defaults: there is no config file to reload');
      try {
        return { restartNeeded: reload() };
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        const code = err.code === 'config_unreadable' ? 'config_unavailable' : 'config_invalid';
        throw new RequestError(code, `${err.message} (the running config was kept)`);
      }
    },
  });
}
