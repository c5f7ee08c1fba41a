// Runs a `maskgate` command in-process with in-memory streams and collects what it wrote.
import { PassThrough, Readable } from 'node:stream';
import type { CommandIo } from '../../daemon/commands/command.js';

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runWithIo(run: (io: CommandIo) => Promise<number>, stdin = ''): Promise<CommandResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const code = await run({ stdin: Readable.from(stdin ? [stdin] : []), stdout, stderr });
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}
