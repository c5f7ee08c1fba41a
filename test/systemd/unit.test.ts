// The shipped unit files: the directives the daemon relies on, `systemd-analyze verify` on the
// service, and sysusers/tmpfiles applied to a scratch root. Skipped where systemd's tools are absent.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const DIR = resolve(__dirname, '../../systemd');
const UNIT = readFileSync(join(DIR, 'maskgate.service'), 'utf8');
const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

/** `Key=value` lines of one section, in order (keys may repeat). */
function directives(section: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let current = '';
  for (const raw of UNIT.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) current = header[1]!;
    else if (current === section) {
      const eq = line.indexOf('=');
      out.push([line.slice(0, eq), line.slice(eq + 1)]);
    }
  }
  return out;
}

const service = directives('Service');
const value = (key: string) => service.filter(([k]) => k === key).map(([, v]) => v);

describe('systemd/maskgate.service', () => {
  it('is a notify service with a watchdog that systemd-notify (a child process) may feed', () => {
    expect(value('Type')).toEqual(['notify']);
    expect(value('NotifyAccess')).toEqual(['all']);
    expect(value('WatchdogSec')).toEqual(['30s']);
    expect(value('Restart')).toEqual(['on-failure']);
  });

  it('runs as the dedicated user with its config and state where the install guide puts them', () => {
    expect(value('User')).toEqual(['maskgate']);
    expect(value('ExecStart')[0]).toMatch(/ \/opt\/maskgate\/dist\/daemon\/cli\.js run --config \/etc\/maskgate\/config\.json$/);
    expect(value('StateDirectory')).toEqual(['maskgate']);
    expect(value('ExecReload')[0]).toContain('-HUP');
  });

  it('is hardened, with device access for cameras (and the Jetson GPU) only, and the JIT left working', () => {
    expect(value('ProtectSystem')).toEqual(['strict']);
    expect(value('NoNewPrivileges')).toEqual(['true']);
    expect(value('CapabilityBoundingSet')).toEqual(['']);
    expect(value('DevicePolicy')).toEqual(['closed']);
    expect(value('DeviceAllow')).toContain('char-video4linux rw');
    expect(value('DeviceAllow').every((d) => d.startsWith('char-video4linux') || d.startsWith('/dev/nv'))).toBe(true);
    expect(value('MemoryDenyWriteExecute')).toEqual([]); // V8 needs writable+executable pages
  });

  it.skipIf(!has('systemd-analyze'))('passes `systemd-analyze verify` (ExecStart pointed at this machine\'s node)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mg-unit-'));
    const cli = resolve(__dirname, '../../daemon/cli.ts');
    const copy = UNIT.replace(/^ExecStart=\S+ \S+/m, `ExecStart=${process.execPath} ${cli}`);
    expect(copy).not.toBe(UNIT);
    writeFileSync(join(dir, 'maskgate.service'), copy);
    const result = spawnSync('systemd-analyze', ['verify', join(dir, 'maskgate.service')], { encoding: 'utf8' });
    expect(result.stderr.split('\n').filter((l) => l.includes('maskgate.service'))).toEqual([]);
    expect(result.status).toBe(0);
  });
});

describe('systemd/maskgate.sysusers and maskgate.tmpfiles', () => {
  it.skipIf(!has('systemd-sysusers'))('create the maskgate user in the video group', () => {
    const root = mkdtempSync(join(tmpdir(), 'mg-root-'));
    mkdirSync(join(root, 'etc'));
    const result = spawnSync('systemd-sysusers', [`--root=${root}`, '--dry-run', join(DIR, 'maskgate.sysusers')], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout + result.stderr).toMatch(/Creating user 'maskgate'/);
  });

  it.skipIf(!has('systemd-tmpfiles') || !has('systemd-sysusers') || process.getuid?.() !== 0)(
    'create /var/lib/maskgate (0750) and /etc/maskgate in a scratch root',
    () => {
      const root = mkdtempSync(join(tmpdir(), 'mg-root-'));
      mkdirSync(join(root, 'etc'));
      expect(spawnSync('systemd-sysusers', [`--root=${root}`, join(DIR, 'maskgate.sysusers')]).status).toBe(0);
      const result = spawnSync('systemd-tmpfiles', [`--root=${root}`, '--create', join(DIR, 'maskgate.tmpfiles')], { encoding: 'utf8' });
      expect(result.status, result.stderr).toBe(0);
      expect(statSync(join(root, 'var/lib/maskgate')).mode & 0o777).toBe(0o750);
      expect(statSync(join(root, 'etc/maskgate')).mode & 0o777).toBe(0o750);
    },
  );
});
