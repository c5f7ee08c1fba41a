// Option handling shared by the commands that run on the appliance's config.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Logger } from 'pino';
import { loadConfigFile, type LoadedConfig } from '../../firmware-config/load.js';
import { createLogger } from '../logger.js';
import { UsageError } from './command.js';

export const CONFIG_OPTION = { config: { type: 'string', short: 'c' } } as const;

export function parseOptions<T extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export function loadConfigAndLogger(configPath: string | undefined, levelOverride?: string): LoadedConfig & { logger: Logger } {
  const loaded = loadConfigFile(configPath ?? null);
  return { ...loaded, logger: createLogger(levelOverride ?? loaded.config.logLevel) };
}
