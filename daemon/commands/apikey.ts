// `maskgate apikey create|list|revoke`: manage the enrolment API's keys from the appliance's
// shell. Only a hash of each key is stored, so `create` prints the secret once and never again.
// Opens the database alone (no models), and works while the daemon runs (SQLite WAL).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../../store/database.js';
import { API_KEY_ROLES, ApiKeysRepository, type ApiKeyRecord, type ApiKeyRole } from '../../store/api-keys-repository.js';
import { DATABASE_FILE } from '../appliance.js';
import { requireText, TEXT_RULES } from '../../access/text-field.js';
import { UsageError, type Command, type CommandIo } from './command.js';
import { CONFIG_OPTION, loadConfigAndLogger, parseOptions } from './shared.js';

const ACTIONS = ['create', 'list', 'revoke'] as const;
type Action = (typeof ACTIONS)[number];

function isRole(value: string | undefined): value is ApiKeyRole {
  return API_KEY_ROLES.includes(value as ApiKeyRole);
}

function publicView(record: ApiKeyRecord): Record<string, unknown> {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: record.id,
    name: record.name,
    role: record.role,
    createdAt: iso(record.createdAt),
    revokedAt: iso(record.revokedAt),
    lastUsedAt: iso(record.lastUsedAt),
  };
}

function line(io: CommandIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value)}\n`);
}

export const apikeyCommand: Command = {
  name: 'apikey',
  summary: 'Create, list or revoke enrolment API keys (the secret is shown once, at creation)',
  usage: [
    'maskgate apikey create --name <name> --role admin|read-only [--config <file>]',
    '       maskgate apikey list [--config <file>]',
    '       maskgate apikey revoke <key-id> [--config <file>]',
  ].join('\n'),
  async run(args, io) {
    const [action, ...rest] = args;
    if (!ACTIONS.includes(action as Action)) throw new UsageError(`expected one of ${ACTIONS.join(', ')}`);
    const { values, positionals } = parseOptions(rest, { ...CONFIG_OPTION, name: { type: 'string' }, role: { type: 'string' } }, true);
    if (action === 'create') {
      if (!values.name) throw new UsageError('give the key a --name (who or what uses it)');
      values.name = requireText(values.name, TEXT_RULES.apiKeyName, '--name');
      if (!isRole(values.role)) throw new UsageError(`give --role ${API_KEY_ROLES.join(' or ')}`);
      if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
    } else if (action === 'revoke') {
      if (positionals.length !== 1) throw new UsageError('give exactly one key id to revoke (see `maskgate apikey list`)');
    } else if (positionals.length > 0 || values.name || values.role) {
      throw new UsageError('list takes no arguments besides --config');
    }

    const { config, logger } = loadConfigAndLogger(values.config, 'warn');
    mkdirSync(config.dataDir, { recursive: true, mode: 0o750 }); // a key may be made before the first run
    const db = openDatabase(join(config.dataDir, DATABASE_FILE), { logger });
    try {
      const keys = new ApiKeysRepository(db);
      if (action === 'create') {
        const { record, secret } = keys.create({ name: values.name!, role: values.role as ApiKeyRole });
        line(io, { ...publicView(record), secret });
        io.stderr.write('Store this key now: only its hash is kept, it cannot be shown again.\n');
        return 0;
      }
      if (action === 'list') {
        for (const record of keys.list()) line(io, publicView(record));
        return 0;
      }
      const [id] = positionals as [string];
      const existing = keys.get(id);
      if (!keys.revoke(id)) {
        io.stderr.write(existing ? `key ${id} is already revoked\n` : `no key with id ${id}\n`);
        return 1;
      }
      line(io, { revoked: id, name: existing?.name ?? null });
      if (keys.countActive('admin') === 0) {
        io.stderr.write('No admin key is left: create one with `maskgate apikey create --name <name> --role admin`.\n');
      }
      return 0;
    } finally {
      db.close();
    }
  },
};
