// One ffmpeg process from spawn to reap: frames out of stdout, a diagnostic tail out of stderr,
// and a single result once the process has exited and its pipes are drained. Restart policy is
// not its business; `FfmpegFrameSource` decides what happens after a run ends.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { FrameAssembler } from './frame-assembler.js';
import type { CredentialMasker } from './mask-credentials.js';
import { StderrTail } from './stderr-tail.js';

export interface FfmpegRunOptions {
  readonly ffmpegPath: string;
  readonly args: readonly string[];
  readonly frameBytes: number;
  readonly mask: CredentialMasker;
  /** Called synchronously for each complete frame; the array is the caller's to keep. */
  readonly onFrame: (data: Uint8Array) => void;
}

export interface FfmpegRunResult {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all (e.g. ENOENT for the binary). */
  readonly spawnError?: NodeJS.ErrnoException;
  /** Last stderr lines, oldest first, credentials masked. */
  readonly stderrLines: readonly string[];
  readonly framesEmitted: number;
  /** Bytes of a trailing incomplete frame that was thrown away. */
  readonly partialBytesDropped: number;
  /** Whether `terminate` was called before the process ended by itself. */
  readonly terminated: boolean;
}

// After 'exit', stdout normally closes at once; a grandchild that inherited the pipe could hold
// it open forever, so stop waiting for 'close' after this long.
const PIPE_DRAIN_TIMEOUT_MS = 2000;

export class FfmpegRun {
  readonly pid: number | undefined;
  /** Resolves once, when the process has exited and its pipes are closed; never rejects. */
  readonly finished: Promise<FfmpegRunResult>;

  private readonly child: ChildProcessByStdio<null, Readable, Readable>;
  private readonly assembler: FrameAssembler;
  private readonly stderr: StderrTail;
  private framesEmitted = 0;
  private terminated = false;
  private done = false;
  private killTimer: NodeJS.Timeout | undefined;
  private drainTimer: NodeJS.Timeout | undefined;
  private resolveFinished!: (result: FfmpegRunResult) => void;

  /** Spawns ffmpeg; failures to start are reported through `finished`, never thrown. */
  static start(options: FfmpegRunOptions): FfmpegRun {
    return new FfmpegRun(options);
  }

  private constructor(private readonly options: FfmpegRunOptions) {
    this.finished = new Promise((resolve) => {
      this.resolveFinished = resolve;
    });
    this.assembler = new FrameAssembler(options.frameBytes);
    this.stderr = new StderrTail(20, options.mask);
    // Not detached: ffmpeg stays in our process group, so a terminal's Ctrl-C and systemd's
    // control-group kill reach it too.
    this.child = spawn(options.ffmpegPath, [...options.args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.pid = this.child.pid;

    this.child.stdout.on('data', (chunk: Buffer) => this.onStdout(chunk));
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (text: string) => this.stderr.push(text));
    // Stream errors surface through the process result; without listeners they would throw.
    this.child.stdout.on('error', (error) => this.stderr.push(`stdout: ${error.message}\n`));
    this.child.stderr.on('error', () => undefined);
    this.child.on('error', (error: NodeJS.ErrnoException) => {
      if (this.child.pid === undefined) this.finish(null, null, error);
    });
    this.child.on('exit', () => {
      this.drainTimer = setTimeout(() => {
        this.child.stdout.destroy();
        this.child.stderr.destroy();
      }, PIPE_DRAIN_TIMEOUT_MS);
    });
    this.child.on('close', (code: number | null, signal: NodeJS.Signals | null) => this.finish(code, signal));
  }

  /** True until the process has exited. */
  get isAlive(): boolean {
    return this.child.pid !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Current stderr tail (masked), for a stall report while the process still runs. */
  stderrSnapshot(): string[] {
    return this.stderr.snapshot();
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is reaped. */
  terminate(graceMs: number): Promise<FfmpegRunResult> {
    if (!this.done && this.isAlive) {
      this.terminated = true;
      this.child.kill('SIGTERM');
      this.killTimer ??= setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    }
    return this.finished;
  }

  /** Immediate SIGKILL, synchronous; for `process.on('exit')` where nothing async can run. */
  killNow(): void {
    if (this.isAlive) {
      this.terminated = true;
      this.child.kill('SIGKILL');
    }
  }

  private onStdout(chunk: Buffer): void {
    this.assembler.push(chunk, (data) => {
      this.framesEmitted += 1;
      this.options.onFrame(data);
    });
  }

  private finish(exitCode: number | null, signal: NodeJS.Signals | null, spawnError?: NodeJS.ErrnoException): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.killTimer);
    clearTimeout(this.drainTimer);
    this.resolveFinished({
      exitCode,
      signal,
      ...(spawnError !== undefined ? { spawnError } : {}),
      stderrLines: this.stderr.snapshot(),
      framesEmitted: this.framesEmitted,
      partialBytesDropped: this.assembler.discardPartial(),
      terminated: this.terminated,
    });
  }
}
