// A camera (or file, or test pattern) as a stream of RGB frames, produced by an ffmpeg child
// process and kept alive through failures: restarts with capped exponential back-off when the
// process dies or stalls, ends cleanly at end of file, and never outlives the Node process.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Frame } from '../types.js';
import { type CaptureConfig, frameByteLength, type ResolvedCaptureConfig, resolveCaptureConfig } from './capture-config.js';
import { CaptureError, type CaptureErrorCode } from './capture-error.js';
import { describeCaptureUrl, isFiniteInput } from './capture-url.js';
import { classifyRunOutcome } from './exit-classifier.js';
import { buildFfmpegArgs, describeFfmpegCommand } from './ffmpeg-args.js';
import { FfmpegRun, type FfmpegRunResult } from './ffmpeg-run.js';
import { detectFfmpegVersion, type FfmpegVersion } from './ffmpeg-version.js';
import type {
  CaptureState,
  CaptureStateChange,
  CaptureStats,
  FrameSource,
  FrameSourceEventName,
  FrameSourceEvents,
  FrameSourceListener,
} from './frame-source.js';
import { createCredentialMasker, type CredentialMasker } from './mask-credentials.js';
import { ReconnectBackoff } from './reconnect-backoff.js';

export interface FfmpegFrameSourceOptions {
  readonly logger?: Logger;
}

/** stderr lines quoted in an error message; the full tail is in `CaptureError.diagnostic`. */
const MESSAGE_DIAGNOSTIC_LINES = 3;

export class FfmpegFrameSource implements FrameSource {
  readonly id: string;
  readonly width: number;
  readonly height: number;

  private readonly config: ResolvedCaptureConfig;
  private readonly description: string;
  private readonly mask: CredentialMasker;
  private readonly backoff: ReconnectBackoff;
  private readonly events = new EventEmitter();
  private readonly logger: Logger | undefined;
  /** Every run not yet reaped, including ones being stopped; killed on process exit. */
  private readonly liveRuns = new Set<FfmpegRun>();
  private readonly stallCauses = new WeakMap<FfmpegRun, CaptureError>();

  private currentState: CaptureState = 'stopped';
  /** True from `start()` until `stop()` or a final end; guards against double starts. */
  private active = false;
  /** Bumped by start/stop so that callbacks of an older life cycle do nothing. */
  private generation = 0;
  private run: FfmpegRun | undefined;
  private version: FfmpegVersion | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private sequence = 0;
  private restarts = 0;
  private lastFrameAt: number | undefined;

  /** @throws CaptureError `invalid_config` */
  constructor(config: CaptureConfig, options: FfmpegFrameSourceOptions = {}) {
    this.config = resolveCaptureConfig(config);
    this.id = this.config.id;
    this.width = this.config.width;
    this.height = this.config.height;
    this.description = describeCaptureUrl(this.config.url);
    this.mask = createCredentialMasker(this.config.rawUrl);
    this.backoff = new ReconnectBackoff(this.config.reconnect);
    this.logger = options.logger?.child({ sourceId: this.id });
  }

  get state(): CaptureState {
    return this.currentState;
  }

  /** Process id of the current ffmpeg, if one is running. */
  get pid(): number | undefined {
    return this.run?.pid;
  }

  stats(): CaptureStats {
    return {
      state: this.currentState,
      framesDelivered: this.sequence,
      restarts: this.restarts,
      lastFrameAt: this.lastFrameAt,
      pid: this.pid,
    };
  }

  on<E extends FrameSourceEventName>(event: E, listener: FrameSourceListener<E>): this {
    this.events.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<E extends FrameSourceEventName>(event: E, listener: FrameSourceListener<E>): this {
    this.events.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  start(): void {
    if (this.active) return;
    this.active = true;
    this.generation += 1;
    this.backoff.reset();
    this.logger?.info({ input: this.description }, 'capture starting');
    this.setState('starting');
    this.launch(this.generation);
  }

  async stop(): Promise<void> {
    this.active = false;
    this.generation += 1;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.stallTimer);
    this.run = undefined;
    await Promise.all([...this.liveRuns].map((run) => run.terminate(this.config.killGraceMs)));
    // A start() during the await began a new life cycle; its state wins.
    if (!this.active && this.currentState !== 'stopped') {
      this.logger?.info('capture stopped');
      this.setState('stopped');
    }
  }

  /** Starts ffmpeg for this life cycle; a failure to start ends it as `spawn_failed`, never a rejection. */
  private launch(generation: number): void {
    this.spawnRun(generation).catch((error: unknown) => {
      if (generation !== this.generation || !this.active) return;
      const failure =
        error instanceof CaptureError
          ? error
          : new CaptureError(
              'spawn_failed',
              this.mask(`Capture source "${this.id}": cannot start ffmpeg: ${error instanceof Error ? error.message : String(error)}`),
              { sourceId: this.id, cause: error },
            );
      this.reportError(failure);
      this.endFor(failure);
    });
  }

  private async spawnRun(generation: number): Promise<void> {
    this.version ??= await detectFfmpegVersion(this.config.ffmpegPath, this.id);
    if (generation !== this.generation || !this.active) return;

    const args = buildFfmpegArgs(this.config, this.version);
    this.logger?.debug({ command: describeFfmpegCommand(this.config.ffmpegPath, args) }, 'spawning ffmpeg');
    const run: FfmpegRun = FfmpegRun.start({
      ffmpegPath: this.config.ffmpegPath,
      args,
      frameBytes: frameByteLength(this.config),
      mask: this.mask,
      onFrame: (data) => this.onFrame(run, data),
    });
    this.run = run;
    this.track(run);
    this.armStallTimer(run);
    void run.finished.then((result) => this.onRunFinished(run, result));
  }

  private onFrame(run: FfmpegRun, data: Uint8Array): void {
    // A run being stopped, replaced or killed for stalling may still flush frames: not ours.
    if (run !== this.run || this.stallCauses.has(run)) return;
    this.stallTimer?.refresh();
    const receivedAt = Date.now();
    this.lastFrameAt = receivedAt;
    if (this.currentState !== 'running') {
      this.backoff.reset();
      this.logger?.info('capture running');
      this.setState('running');
    }
    const frame: Frame = {
      width: this.width,
      height: this.height,
      data,
      sequence: this.sequence++,
      receivedAt,
      sourceId: this.id,
    };
    this.emitSafely('frame', frame);
  }

  private armStallTimer(run: FfmpegRun): void {
    clearTimeout(this.stallTimer);
    this.stallTimer = setTimeout(() => {
      if (run !== this.run) return;
      const stalled = new CaptureError(
        'stalled',
        this.messageFor(`no frame for ${this.config.stallTimeoutMs} ms; restarting ffmpeg`, run.stderrSnapshot()),
        { sourceId: this.id, diagnostic: run.stderrSnapshot() },
      );
      this.stallCauses.set(run, stalled);
      this.reportError(stalled);
      void run.terminate(this.config.killGraceMs);
    }, this.config.stallTimeoutMs);
  }

  private onRunFinished(run: FfmpegRun, result: FfmpegRunResult): void {
    this.untrack(run);
    if (result.partialBytesDropped > 0) {
      this.logger?.debug({ bytes: result.partialBytesDropped }, 'dropped an incomplete trailing frame');
    }
    if (run !== this.run) return; // stopped or superseded: stop() owns the state
    this.run = undefined;
    clearTimeout(this.stallTimer);
    if (!this.active) return;

    const stalled = this.stallCauses.get(run);
    const cause = stalled ?? this.errorFor(result);
    // The end of a file is its normal life; the end of a camera stream is a fault to report.
    const expectedEnd = cause.code === 'source_ended' && isFiniteInput(this.config.url);
    if (stalled === undefined && !expectedEnd) this.reportError(cause);
    // A missing ffmpeg binary will still be missing after any back-off.
    if (cause.code === 'spawn_failed' || this.config.onEnd === 'stop') {
      this.endFor(cause);
      return;
    }
    this.scheduleReconnect(cause);
  }

  /** Final end of this life cycle (stop policy, or an error no retry can fix); `cause` is already reported. */
  private endFor(cause: CaptureError): void {
    this.active = false;
    clearTimeout(this.stallTimer);
    this.logger?.info({ code: cause.code }, 'capture ended');
    this.setState('stopped', { cause });
  }

  private scheduleReconnect(cause: CaptureError): void {
    const delayMs = this.backoff.nextDelayMs();
    this.restarts += 1;
    this.logger?.info({ code: cause.code, attempt: this.backoff.attempt, delayMs }, 'capture reconnecting');
    this.setState('reconnecting', { attempt: this.backoff.attempt, delayMs, cause });
    const generation = this.generation;
    this.reconnectTimer = setTimeout(() => this.launch(generation), delayMs);
  }

  private errorFor(result: FfmpegRunResult): CaptureError {
    const details = {
      sourceId: this.id,
      diagnostic: result.stderrLines,
      exitCode: result.exitCode,
      signal: result.signal,
    };
    if (result.spawnError !== undefined) {
      const why = `cannot start ffmpeg "${this.config.ffmpegPath}": ${result.spawnError.code ?? result.spawnError.message}`;
      return new CaptureError('spawn_failed', this.messageFor(why, []), { ...details, cause: result.spawnError });
    }
    const code = classifyRunOutcome({
      exitCode: result.exitCode,
      signal: result.signal,
      stderrLines: result.stderrLines,
    });
    return new CaptureError(code, this.messageFor(summaryFor(code, result), result.stderrLines), details);
  }

  private messageFor(summary: string, stderrLines: readonly string[]): string {
    const quoted = stderrLines.slice(-MESSAGE_DIAGNOSTIC_LINES).join(' | ');
    const base = `Capture source "${this.id}" (${this.description}): ${summary}`;
    return this.mask(quoted.length > 0 ? `${base}; ffmpeg: ${quoted}` : base);
  }

  private setState(state: CaptureState, extra: { attempt?: number; delayMs?: number; cause?: CaptureError } = {}): void {
    const change: CaptureStateChange = {
      sourceId: this.id,
      state,
      previous: this.currentState,
      attempt: extra.attempt ?? 0,
      ...(extra.delayMs !== undefined ? { delayMs: extra.delayMs } : {}),
      ...(extra.cause !== undefined ? { cause: extra.cause } : {}),
    };
    this.currentState = state;
    this.emitSafely('state', change);
  }

  private reportError(error: CaptureError): void {
    this.logger?.warn({ code: error.code, diagnostic: error.diagnostic }, error.message);
    // EventEmitter throws an unhandled 'error' event; a source without listeners must not crash.
    if (this.events.listenerCount('error') > 0) this.emitSafely('error', error);
  }

  /** A throwing listener is a bug in the consumer; it must not kill the capture loop. */
  private emitSafely<E extends FrameSourceEventName>(event: E, ...args: FrameSourceEvents[E]): void {
    try {
      this.events.emit(event, ...args);
    } catch (error) {
      this.logger?.error({ err: error, event }, 'capture event listener threw');
    }
  }

  private readonly killRunsOnExit = (): void => {
    for (const run of this.liveRuns) run.killNow();
  };

  private track(run: FfmpegRun): void {
    if (this.liveRuns.size === 0) process.on('exit', this.killRunsOnExit);
    this.liveRuns.add(run);
  }

  private untrack(run: FfmpegRun): void {
    this.liveRuns.delete(run);
    if (this.liveRuns.size === 0) process.off('exit', this.killRunsOnExit);
  }
}

function summaryFor(code: CaptureErrorCode, result: FfmpegRunResult): string {
  switch (code) {
    case 'source_ended':
      return `input ended after ${result.framesEmitted} frame(s)`;
    case 'source_unavailable':
      return 'input unavailable';
    case 'decode_error':
      return `input could not be decoded (after ${result.framesEmitted} frame(s))`;
    default:
      return result.signal !== null
        ? `ffmpeg was killed by ${result.signal}`
        : `ffmpeg exited with code ${String(result.exitCode)}`;
  }
}
