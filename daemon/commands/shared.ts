// Option handling shared by the commands that run on the appliance's config.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Logger } from 'pino';
import { loadConfigFile, type LoadedConfig } from '../../firmware-config/load.js';
import { createLogger } from '../logger.js';
import type { Config } from '../../firmware-config/schema.js';
import { CommandError, UsageError } from './command.js';

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

/**
 * On a replication replica people change only on the authority (docs/campus.md): a local
 * enrolment or deletion would be overwritten, or undone, by the authority's next snapshot.
 */
export function refuseOnReplica(config: Config, action: string): void {
  const { replication } = config;
  if (replication.role !== 'replica') return;
  throw new CommandError(
    'replica_read_only',
    `this appliance is a replica of "${replication.authorityId}": ${action} on the authority; the change replicates here`,
  );
}
