// One appliance as its own process (`node dist/daemon/cli.js run`), with its JSON log lines
// kept for assertions; it can be stopped (SIGTERM, a clean shutdown) and started again.
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

export const CLI = resolve(__dirname, '../../dist/daemon/cli.js');

export type LogLine = Record<string, unknown> & { msg?: string };

export class ApplianceProcess {
  readonly lines: LogLine[] = [];
  private child: ChildProcess | null = null;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly name: string,
    private readonly configPath: string,
  ) {}

  start(): void {
    const child = spawn(process.execPath, [CLI, 'run', '--config', this.configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const take = (text: string) => {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { msg: text };
      }
      this.lines.push(line);
      for (const wake of this.waiters) wake();
    };
    createInterface({ input: child.stdout }).on('line', take);
    createInterface({ input: child.stderr }).on('line', take);
  }

  /** Resolves with the first log line (from now on or already seen after `from`) that satisfies `test`. */
  async waitFor(test: (line: LogLine) => boolean, timeoutMs: number, from = 0): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.slice(from).find(test);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`${this.name}: no matching log line within ${timeoutMs} ms; last: ${JSON.stringify(this.lines.slice(-5))}`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.waiters.delete(wake);
          resolve();
        };
        this.waiters.add(wake);
        setTimeout(wake, 200);
      });
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    this.child = null;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }
}
