// `maskgate apikey`: create prints the secret once (and the secret works against the store),
// list never shows a secret or hash, revoke makes the key useless; usage errors exit 2.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkText, TEXT_RULES } from '../../../access/text-field.js';
import { DATABASE_FILE } from '../../../daemon/appliance.js';
import { main } from '../../../daemon/main.js';
import { openDatabase } from '../../../store/database.js';
import { ApiKeysRepository, hashApiKey } from '../../../store/api-keys-repository.js';
import { runWithIo } from '../../helpers/command-io.js';

let dir: string;
let configPath: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mg-apikey-'));
  configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify({ dataDir: join(dir, 'data'), logLevel: 'warn' }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function maskgate(...args: string[]): Promise<{ code: number; lines: string[]; stderr: string }> {
  const { code, stdout, stderr } = await runWithIo((io) => main(['apikey', ...args], io));
  return { code, lines: stdout.split('\n').filter(Boolean), stderr };
}

function withKeys<T>(use: (keys: ApiKeysRepository) => T): T {
  const db = openDatabase(join(dir, 'data', DATABASE_FILE));
  try {
    return use(new ApiKeysRepository(db));
  } finally {
    db.close();
  }
}

describe('maskgate apikey', () => {
  let admin: { id: string; secret: string };

  it('creates a key and prints its secret once, with a warning to store it', async () => {
    const { code, lines, stderr } = await maskgate('create', '--name', 'HR sync', '--role', 'admin', '--config', configPath);
    expect(code).toBe(0);
    expect(lines).toHaveLength(1);
    const created = JSON.parse(lines[0]!) as { id: string; name: string; role: string; secret: string; createdAt: string };
    expect(created).toMatchObject({ name: 'HR sync', role: 'admin', revokedAt: null });
    expect(created.secret).toMatch(/^mgk_[A-Za-z0-9_-]{40,}$/);
    expect(Date.parse(created.createdAt)).not.toBeNaN();
    expect(stderr).toMatch(/cannot be shown again/);
    admin = created;
    // The printed secret is the real one: it authenticates against the database.
    expect(withKeys((keys) => keys.authenticate(created.secret)?.id)).toBe(created.id);
  });

  it('lists keys without secrets or hashes', async () => {
    expect((await maskgate('create', '--name', 'Auditor', '--role', 'read-only', '--config', configPath)).code).toBe(0);
    const { code, lines } = await maskgate('list', '--config', configPath);
    expect(code).toBe(0);
    const listed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(listed.map((k) => [k['name'], k['role']])).toEqual([
      ['HR sync', 'admin'],
      ['Auditor', 'read-only'],
    ]);
    const text = lines.join('\n');
    expect(text).not.toContain(admin.secret);
    expect(text).not.toContain(hashApiKey(admin.secret));
    expect(text).not.toContain('mgk_');
  });

  it('revokes a key so it no longer authenticates, and warns when no admin key is left', async () => {
    const { code, lines, stderr } = await maskgate('revoke', admin.id, '--config', configPath);
    expect(code).toBe(0);
    expect(JSON.parse(lines[0]!)).toEqual({ revoked: admin.id, name: 'HR sync' });
    expect(stderr).toMatch(/No admin key is left/);
    expect(withKeys((keys) => keys.authenticate(admin.secret))).toBeNull();
    const listed = (await maskgate('list', '--config', configPath)).lines.map((l) => JSON.parse(l) as { id: string; revokedAt: string | null });
    expect(listed.find((k) => k.id === admin.id)?.revokedAt).not.toBeNull();

    const again = await maskgate('revoke', admin.id, '--config', configPath);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already revoked/);
    const unknown = await maskgate('revoke', '00000000-0000-4000-8000-000000000000', '--config', configPath);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no key with id/);
  });

  it.each([
    [['create', '--role', 'admin']],
    [['create', '--name', 'x', '--role', 'root']],
    [['create', '--name', 'x']],
    [['revoke']],
    [['list', 'extra']],
    [['rotate']],
    [[]],
  ])('exits 2 with usage for %j', async (args) => {
    const { code, stderr } = await maskgate(...args, '--config', configPath);
    expect(code).toBe(2);
    expect(stderr).toMatch(/Usage: maskgate apikey/);
  });
});

describe('maskgate apikey create --name under random strings (fast-check)', () => {
  it('creates a key with the normalised name, or refuses with one error line and no key made', async () => {
    const hostile = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ unit: fc.constantFrom('\u0000', '\t', '\n', '\u007f', '\u0085', '\u202e', 'e', '\u0301', ' ', 'K', '😀'), maxLength: 20 }),
      fc.string({ unit: 'grapheme', minLength: 95, maxLength: 110 }),
    );
    await fc.assert(
      fc.asyncProperty(hostile, async (name) => {
        // parseArgs reads a leading "-" as an option: that is a usage error, not a name.
        fc.pre(!name.startsWith('-') && name.length > 0);
        const before = withKeys((keys) => keys.list().length);
        const { code, lines, stderr } = await maskgate('create', '--name', name, '--role', 'read-only', '--config', configPath);
        const expected = checkText(name, TEXT_RULES.apiKeyName, '--name');
        if (expected.ok) {
          expect(code, stderr).toBe(0);
          expect((JSON.parse(lines[0]!) as { name: string }).name).toBe(expected.value);
        } else {
          expect(code).toBe(1);
          expect(stderr).toBe(`maskgate apikey: ${expected.message} [${expected.problem}]\n`);
          expect(withKeys((keys) => keys.list().length)).toBe(before);
        }
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});
