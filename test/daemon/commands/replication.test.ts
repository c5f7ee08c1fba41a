// `maskgate replication`: keygen writes a usable key ring and key pair, owner-only, and never
// overwrites; rotate adds a current version and keeps the old ones; erasures shows, from the
// database, who confirmed a deletion and who is pending; republish marks everything for the
// running authority; mistakes exit 2 with the usage.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_FILE } from '../../../daemon/appliance.js';
import { main } from '../../../daemon/main.js';
import { AuthoritySigner, AuthorityVerifier } from '../../../replication/authority-signature.js';
import { SiteKeyring } from '../../../replication/site-keys.js';
import { openDatabase } from '../../../store/database.js';
import { PeopleRepository } from '../../../store/people-repository.js';
import { ReplicationRepository } from '../../../store/replication-repository.js';
import { runWithIo } from '../../helpers/command-io.js';

let dir: string;
const maskgate = (...args: string[]) => runWithIo((io) => main(['replication', ...args], io));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mg-replication-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('maskgate replication', () => {
  it('keygen writes a key ring and an authority key pair that work together, owner-only, and refuses to overwrite', async () => {
    const out = join(dir, 'keys');
    const result = await maskgate('keygen', '--out', out);
    expect(result.code).toBe(0);
    const files = JSON.parse(result.stdout) as { siteKeysFile: string; signingKeyFile: string; authorityPublicKeyFile: string };
    expect(statSync(files.siteKeysFile).mode & 0o777).toBe(0o600);
    expect(statSync(files.signingKeyFile).mode & 0o777).toBe(0o600);
    expect(SiteKeyring.load(files.siteKeysFile).toJSON()).toEqual({ currentVersion: 1, versions: [1] });
    const data = Buffer.from('change');
    expect(AuthorityVerifier.load(files.authorityPublicKeyFile).verify(data, AuthoritySigner.load(files.signingKeyFile).sign(data))).toBe(true);
    expect(result.stdout).not.toContain(JSON.parse(readFileSync(files.siteKeysFile, 'utf8')).keys[0].key);

    const again = await maskgate('keygen', '--out', out);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('refusing to overwrite');
  });

  it('rotate adds a new current version and keeps the old one', async () => {
    const ring = join(dir, 'keys', 'site-keys.json');
    const before = JSON.parse(readFileSync(ring, 'utf8')) as { keys: { key: string }[] };
    expect((await maskgate('rotate', '--site-keys', ring)).stdout.trim()).toBe('{"current":2,"versions":[1,2]}');
    const after = JSON.parse(readFileSync(ring, 'utf8')) as { keys: { key: string }[] };
    expect(after.keys[0]!.key).toBe(before.keys[0]!.key);
    expect(statSync(ring).mode & 0o777).toBe(0o600);
  });

  it('erasures lists each deleted person with confirmed and pending replicas; republish marks everything', async () => {
    const dataDir = join(dir, 'data');
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ dataDir, logLevel: 'warn' }));
    mkdirSync(dataDir, { recursive: true });
    const db = openDatabase(join(dataDir, DATABASE_FILE));
    const people = new PeopleRepository(db);
    const journal = new ReplicationRepository(db);
    const kept = people.create({ displayName: 'Kept' });
    const gone = people.create({ displayName: 'Gone' });
    people.delete(gone.id);
    journal.expectReplica('door-a');
    journal.expectReplica('door-b');
    const tombstone = journal.latest(gone.id)!;
    journal.recordAck({ personId: gone.id, replicaId: 'door-a', revision: tombstone.revision, tombstone: true, erased: true });
    db.close();

    const result = await maskgate('erasures', '--config', config);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ personId: gone.id, pending: ['door-b'], confirmed: [{ replicaId: 'door-a', erased: true }] });
    expect(result.stdout).not.toContain('Gone');
    expect(result.stdout).not.toContain(kept.id);

    expect(JSON.parse((await maskgate('republish', '--config', config)).stdout)).toEqual({ republishing: 2 });
  });

  it('on a replica, enrol and people delete refuse with replica_read_only naming the authority, and change nothing', async () => {
    const dataDir = join(dir, 'replica-data');
    const config = join(dir, 'replica.json');
    const keys = join(dir, 'keys');
    writeFileSync(
      config,
      JSON.stringify({
        dataDir,
        logLevel: 'warn',
        applianceId: 'door-a',
        mqtt: { url: 'mqtt://127.0.0.1:1' },
        replication: {
          role: 'replica',
          siteId: 'campus',
          authorityId: 'hq',
          siteKeysFile: join(keys, 'site-keys.json'),
          authorityPublicKeyFile: join(keys, 'authority-signing.pub.pem'),
        },
      }),
    );
    mkdirSync(dataDir, { recursive: true });
    const db = openDatabase(join(dataDir, DATABASE_FILE));
    const ada = new PeopleRepository(db).create({ displayName: 'Replicated Ada' });
    db.close();

    const deleted = await runWithIo((io) => main(['people', 'delete', ada.id, '--config', config], io));
    expect(deleted.code).not.toBe(0);
    expect(deleted.stderr).toContain('replica of "hq"');
    expect(deleted.stderr).toContain('[replica_read_only]');
    const enrolled = await runWithIo((io) => main(['enrol', '--name', 'Local Bob', '--config', config, 'photo.jpg'], io));
    expect(enrolled.code).not.toBe(0);
    expect(enrolled.stderr).toContain('[replica_read_only]');

    const listed = await runWithIo((io) => main(['people', 'list', '--config', config], io));
    expect(listed.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id)).toEqual([ada.id]);
  });

  it('explains a wrong action with the usage', async () => {
    const result = await maskgate('explode');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('keygen');
  });
});
