// The shape of one `maskgate` subcommand. Each lives in its own module; cli.ts only dispatches.
import type { Readable, Writable } from 'node:stream';
import { CodedError } from '../../pipeline/coded-error.js';

export interface CommandIo {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  /** Returns the process exit code. */
  run(args: string[], io: CommandIo): Promise<number>;
}

/** A user mistake on the command line: printed with the usage, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Why a field-tool command could not do its work; main.ts prints the message and `[code]`. */
export type CommandErrorCode = 'impostors_missing' | 'gallery_empty' | 'root_unreadable' | 'pairs_unreadable' | 'replica_read_only';

/** An expected failure of a command (a missing input, not a bug): message and code, no stack. */
export class CommandError extends CodedError<CommandErrorCode> {}
