// `maskgate replication ...`: key material for a site, key rotation, and what the authority
// knows about its replicas and erasures. Reads the database directly (no models loaded), so it
// runs beside the daemon; `republish` is picked up by a running authority within a second.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateAuthorityKeyPair } from '../../replication/authority-signature.js';
import { newSiteKeyFile, readSiteKeyFile, writeSiteKeyFile } from '../../replication/site-keys.js';
import { openDatabase } from '../../store/database.js';
import { ReplicationRepository } from '../../store/replication-repository.js';
import { DATABASE_FILE } from '../appliance.js';
import { UsageError, type Command } from './command.js';
import { CONFIG_OPTION, loadConfigAndLogger, parseOptions } from './shared.js';

const USAGE = [
  'maskgate replication keygen --out <dir>            site key ring + authority signing key pair (0600)',
  '       maskgate replication rotate --site-keys <file>     add a new site key version and make it current',
  '       maskgate replication republish [--config <file>]  authority: re-seal everything under the current key',
  '       maskgate replication erasures [--config <file>]   authority: per deleted person, confirmed and pending replicas',
  '       maskgate replication replicas [--config <file>]   authority: replicas as last reported',
].join('\n');

export const replicationCommand: Command = {
  name: 'replication',
  summary: 'Site keys, key rotation, replicas and erasure confirmations (docs/campus.md)',
  usage: USAGE,
  async run(args, io) {
    const [action, ...rest] = args;
    const { values } = parseOptions(rest, { ...CONFIG_OPTION, out: { type: 'string' }, 'site-keys': { type: 'string' } });
    switch (action) {
      case 'keygen': {
        if (!values.out) throw new UsageError('give --out <dir> for the key files');
        mkdirSync(values.out, { recursive: true, mode: 0o700 });
        const files = { siteKeys: join(values.out, 'site-keys.json'), signing: join(values.out, 'authority-signing.pem'), public: join(values.out, 'authority-signing.pub.pem') };
        const existing = Object.values(files).filter((f) => existsSync(f));
        if (existing.length) throw new UsageError(`refusing to overwrite ${existing.join(', ')}`);
        const pair = generateAuthorityKeyPair();
        writeSiteKeyFile(files.siteKeys, newSiteKeyFile());
        writeFileSync(files.signing, pair.privateKeyPem, { mode: 0o600 });
        writeFileSync(files.public, pair.publicKeyPem, { mode: 0o644 });
        io.stdout.write(`${JSON.stringify({ siteKeysFile: files.siteKeys, signingKeyFile: files.signing, authorityPublicKeyFile: files.public })}\n`);
        return 0;
      }
      case 'rotate': {
        const path = values['site-keys'];
        if (!path) throw new UsageError('give --site-keys <file>');
        const rotated = newSiteKeyFile(readSiteKeyFile(path));
        writeSiteKeyFile(path, rotated);
        io.stdout.write(`${JSON.stringify({ current: rotated.current, versions: rotated.keys.map((k) => k.version) })}\n`);
        return 0;
      }
      case 'republish':
      case 'erasures':
      case 'replicas': {
        const { config } = loadConfigAndLogger(values.config, 'warn');
        const db = openDatabase(join(config.dataDir, DATABASE_FILE));
        try {
          const repository = new ReplicationRepository(db);
          if (action === 'republish') io.stdout.write(`${JSON.stringify({ republishing: repository.markAllUnpublished() })}\n`);
          else if (action === 'replicas') for (const r of repository.replicas()) io.stdout.write(`${JSON.stringify(r)}\n`);
          else {
            for (let offset = 0; ; offset += 1000) {
              const page = repository.erasures({ limit: 1000, offset });
              for (const e of page) io.stdout.write(`${JSON.stringify(e)}\n`);
              if (page.length < 1000) break;
            }
          }
          return 0;
        } finally {
          db.close();
        }
      }
      default:
        throw new UsageError('expected keygen, rotate, republish, erasures or replicas');
    }
  },
};
