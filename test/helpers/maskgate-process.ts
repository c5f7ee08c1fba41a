// `maskgate` as a child process, the way systemd runs it: from the built dist/ (npm test builds
// it in scripts/setup.sh), with its JSON log lines (stderr) collected for assertions.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

export const CLI = resolve(__dirname, '../../dist/daemon/cli.js');
export const cliBuilt = existsSync(CLI);

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

export class MaskgateProcess {
  /** Every stderr line, JSON log lines and plain ones alike. */
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  private readonly child: ChildProcess;

  constructor(args: readonly string[], env: NodeJS.ProcessEnv = process.env) {
    this.child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    createInterface({ input: this.child.stderr! }).on('line', (line) => this.lines.push(line));
    this.exited = new Promise((resolveExit) => {
      this.child.once('exit', (code, signal) => resolveExit({ code, signal, at: Date.now() }));
    });
  }

  /** The JSON log lines. */
  get logs(): LogLine[] {
    return this.lines.flatMap((line) => {
      try {
        return [JSON.parse(line) as LogLine];
      } catch {
        return [];
      }
    });
  }

  /** Resolves with the first log line `match` accepts; rejects when the process exits first or after `timeoutMs`. */
  async waitForLog(match: (line: LogLine) => boolean, what: string, timeoutMs = 30_000): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exited.then(() => (exited = true));
    for (;;) {
      const found = this.logs.find(match);
      if (found) return found;
      if (exited || Date.now() > deadline) throw new Error(`${what}: not logged${exited ? ' (process exited)' : ''}; got:\n${this.lines.join('\n')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGTERM, then the exit. */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
