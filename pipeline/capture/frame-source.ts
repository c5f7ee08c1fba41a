// The one interface every frame source implements (ffmpeg today; a GStreamer or native camera
// source would slot in behind it), so the daemon never knows how frames are produced.
import type { Frame } from '../types.js';
import type { CaptureError } from './capture-error.js';

/**
 * `starting`: first process launched, no frame yet. `running`: frames are flowing.
 * `reconnecting`: the input failed; waiting for, or attempting, a restart (until a frame arrives).
 * `stopped`: not started, stopped by `stop()`, or ended for good (see `cause`).
 */
export type CaptureState = 'starting' | 'running' | 'reconnecting' | 'stopped';

export interface CaptureStateChange {
  readonly sourceId: string;
  readonly state: CaptureState;
  readonly previous: CaptureState;
  /**
   * Consecutive failed attempts, counting this one; 0 outside `reconnecting`. A `reconnecting`
   * event is emitted for every scheduled attempt, so `state === previous` is possible.
   */
  readonly attempt: number;
  /** `reconnecting` only: the wait before the next attempt starts. */
  readonly delayMs?: number;
  /**
   * Why the input went away: set for `reconnecting`, and for `stopped` when the source stopped
   * by itself (`source_ended` for a finished file). Absent when `stop()` was called.
   */
  readonly cause?: CaptureError;
}

export interface CaptureStats {
  readonly state: CaptureState;
  readonly framesDelivered: number;
  /** Restarts scheduled since construction. */
  readonly restarts: number;
  /** `Date.now()` of the last frame, if any. */
  readonly lastFrameAt: number | undefined;
  /** Process id of the current ffmpeg, if one is running. */
  readonly pid: number | undefined;
}

export interface FrameSourceEvents {
  /** A new frame; `frame.data` is a fresh array the listener may keep. */
  frame: [frame: Frame];
  state: [change: CaptureStateChange];
  /**
   * Something went wrong with the input. Every failure is reported here, and also becomes the
   * `cause` of the following state change; the end of a *file* (`source_ended`) is its normal
   * end and appears only as that cause, while the end of a live stream is reported here too.
   */
  error: [error: CaptureError];
}

export type FrameSourceEventName = keyof FrameSourceEvents;
export type FrameSourceListener<E extends FrameSourceEventName> = (...args: FrameSourceEvents[E]) => void;

export interface FrameSource {
  readonly id: string;
  readonly state: CaptureState;
  /** Begins capturing; returns at once (progress arrives as events). No-op while active. */
  start(): void;
  /** Stops capturing and resolves once the underlying process has exited. Idempotent. */
  stop(): Promise<void>;
  stats(): CaptureStats;
  on<E extends FrameSourceEventName>(event: E, listener: FrameSourceListener<E>): this;
  off<E extends FrameSourceEventName>(event: E, listener: FrameSourceListener<E>): this;
}
