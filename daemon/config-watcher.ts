// Watches the config file so that a change (e.g. `maskgate calibrate` writing a new threshold)
// is applied without a restart or a signal. The directory is watched, not the file: the config
// is replaced atomically by rename, and a watch on the old file would never fire again. Events
// are debounced (an editor or a rename produces several) and a reload happens only when the
// file's content actually changed.
import { createHash } from 'node:crypto';
import { watch, readFileSync, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';

export const DEFAULT_DEBOUNCE_MS = 300;

export interface ConfigWatcherOptions {
  readonly debounceMs?: number;
  readonly logger?: Logger;
}

function contentHash(path: string): string | null {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch {
    return null; // between unlink and rename, or removed: wait for the next event
  }
}

export class ConfigWatcher {
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastHash: string | null;
  private readonly debounceMs: number;

  /** `onChange` is called after the file's content changed; it reloads and applies it. */
  constructor(
    private readonly path: string,
    private readonly onChange: () => void,
    private readonly opts: ConfigWatcherOptions = {},
  ) {
    this.debounceMs = opts.debounceMs ?? DEFAULT_DEBOUNCE_MS;
    this.lastHash = contentHash(path);
  }

  start(): this {
    if (this.watcher) return this;
    const name = basename(this.path);
    this.watcher = watch(dirname(this.path), { persistent: false }, (_event, filename) => {
      // Some platforms omit the file name; then any change in the directory is checked.
      if (filename === null || filename.toString() === name) this.schedule();
    });
    this.watcher.on('error', (err) => {
      this.opts.logger?.error({ err: err.message, path: this.path }, 'config watcher failed; SIGHUP still reloads');
      this.stop();
    });
    this.opts.logger?.debug({ path: this.path }, 'watching the config file');
    return this;
  }

  stop(): void {
    this.watcher?.close();
    this.watcher = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      const hash = contentHash(this.path);
      if (hash === null || hash === this.lastHash) return;
      this.lastHash = hash;
      this.opts.logger?.info({ path: this.path }, 'config file changed; reloading');
      this.onChange();
    }, this.debounceMs);
    this.timer.unref();
  }
}
