import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigWatcher } from '../../daemon/config-watcher.js';
import { loadConfigFile, updateConfigFile } from '../../firmware-config/load.js';

describe('ConfigWatcher', () => {
  let dir: string;
  let path: string;
  let watcher: ConfigWatcher | null = null;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mg-watch-'));
    path = join(dir, 'config.json');
    writeFileSync(path, '{}\n');
  });
  afterEach(() => {
    watcher?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts a watcher that records the threshold it reads on every change. */
  function watch(): { seen: number[]; next: () => Promise<number> } {
    const seen: number[] = [];
    let waiting: ((t: number) => void) | null = null;
    watcher = new ConfigWatcher(
      path,
      () => {
        const t = loadConfigFile(path).config.matching.threshold;
        seen.push(t);
        waiting?.(t);
        waiting = null;
      },
      { debounceMs: 20 },
    ).start();
    return { seen, next: () => new Promise<number>((resolve) => (waiting = resolve)) };
  }

  it('sees a config replaced atomically (rename), once per change', async () => {
    const { seen, next } = watch();
    const first = next();
    updateConfigFile(path, (raw) => void (raw['matching'] = { threshold: 0.31 }));
    expect(await first).toBe(0.31);
    const second = next();
    updateConfigFile(path, (raw) => void (raw['matching'] = { threshold: 0.35 }));
    expect(await second).toBe(0.35);
    expect(seen).toEqual([0.31, 0.35]);
  });

  it('ignores a rewrite with the same content and other files in the directory', async () => {
    const { seen, next } = watch();
    writeFileSync(path, readFileSync(path));
    writeFileSync(join(dir, 'other.json'), '{"x":1}');
    await sleep(250); // several debounce periods: a reload would have happened by now
    expect(seen).toEqual([]);
    const change = next();
    writeFileSync(path, '{"matching":{"threshold":0.5}}');
    expect(await change).toBe(0.5);
  });

  it('stops watching when stopped', async () => {
    const { seen } = watch();
    watcher!.stop();
    updateConfigFile(path, (raw) => void (raw['matching'] = { threshold: 0.2 }));
    await sleep(250);
    expect(seen).toEqual([]);
  });
});
