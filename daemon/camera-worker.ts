// One camera's loop: frames in, decisions out. Frames that arrive while the previous one is
// still being analysed are dropped (latest wins) so latency never builds up behind a slow model.
import type { Logger } from 'pino';
import type { AnalysisStage, FaceAnalyzer } from '../pipeline/face-analyzer.js';
import { FfmpegFrameSource, type CaptureState, type FrameSource } from '../pipeline/capture/index.js';
import { FaceTracker } from '../pipeline/tracker.js';
import type { Frame } from '../pipeline/types.js';
import type { CameraConfig, DoorConfig, MatchingConfig } from '../firmware-config/schema.js';
import { TrackDecider, type DecisionSettings, type GallerySearch, type PersonDirectory, type TrackDecision } from '../access/track-decider.js';

export interface CameraStats {
  framesReceived: number;
  framesAnalysed: number;
  framesDropped: number;
  facesSeen: number;
  facesUsable: number;
  lastFrameAt: number | null;
  /** When the last frame analysis finished (the watchdog's proof that the pipeline moves). */
  lastAnalysedAt: number | null;
  lastAnalysisMs: number | null;
}

/** Timing hook for metrics: one call per stage per analysed frame, in seconds. */
export type StageListener = (stage: AnalysisStage | 'match', seconds: number) => void;

export type DecisionListener = (decision: TrackDecision, camera: CameraConfig) => void;

export function decisionSettings(matching: MatchingConfig, camera: CameraConfig): DecisionSettings {
  return {
    threshold: camera.threshold ?? matching.threshold,
    // An overridden threshold was not calibrated for the FMR target: do not claim it was.
    targetFmr: camera.threshold === undefined ? (matching.calibration?.targetFmr ?? null) : null,
    framesPerDecision: matching.framesPerDecision,
    redecideAfterMs: matching.redecideAfterMs,
    grantTtlMs: matching.grantTtlMs,
  };
}

/** The matching settings for one door: its own threshold and grant expiry where it has them. */
export function doorMatching(matching: MatchingConfig, door: DoorConfig | undefined): MatchingConfig {
  if (!door) return matching;
  const { calibration, ...rest } = matching;
  return {
    ...rest,
    threshold: door.threshold ?? matching.threshold,
    grantTtlMs: door.grantTtlMs ?? matching.grantTtlMs,
    ...(calibration && door.threshold === undefined ? { calibration } : {}),
  };
}

export class CameraWorker {
  readonly stats: CameraStats = {
    framesReceived: 0,
    framesAnalysed: 0,
    framesDropped: 0,
    facesSeen: 0,
    facesUsable: 0,
    lastFrameAt: null,
    lastAnalysedAt: null,
    lastAnalysisMs: null,
  };
  private startedAt = Date.now();
  private readonly source: FrameSource;
  private readonly tracker: FaceTracker;
  private readonly decider: TrackDecider;
  private busy: Promise<void> | null = null;
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly camera: CameraConfig,
    matching: MatchingConfig,
    private readonly analyzer: FaceAnalyzer,
    gallery: GallerySearch & PersonDirectory,
    private readonly onDecision: DecisionListener,
    private readonly logger: Logger,
    source?: FrameSource,
    private readonly onStage?: StageListener,
  ) {
    this.source =
      source ??
      new FfmpegFrameSource(
        {
          id: camera.id,
          url: camera.url,
          width: camera.width,
          height: camera.height,
          fps: camera.fps,
          loop: camera.loop,
          realtime: camera.realtime,
          reconnect: { initialDelayMs: 500, maxDelayMs: 30_000, multiplier: 2 },
          stallTimeoutMs: 10_000,
        },
        { logger },
      );
    this.tracker = new FaceTracker({ iouThreshold: matching.trackIouThreshold, idleMs: matching.trackIdleMs }, `${camera.id}-`);
    this.decider = new TrackDecider(gallery, gallery, decisionSettings(matching, camera));
  }

  get captureState(): CaptureState {
    return this.source.state;
  }

  updateMatching(matching: MatchingConfig): void {
    this.decider.updateSettings(decisionSettings(matching, this.camera));
  }

  /**
   * True when frames keep arriving but none finished analysis for `stallMs` (a hung inference
   * or a starved event loop). A camera that delivers no frames is not stalled here: the capture
   * layer reconnects it, and restarting the daemon would not bring it back.
   */
  isStalled(now: number, stallMs: number): boolean {
    const { lastFrameAt, lastAnalysedAt } = this.stats;
    if (lastFrameAt === null || now - lastFrameAt > stallMs) return false;
    return now - (lastAnalysedAt ?? this.startedAt) > stallMs;
  }

  start(): void {
    this.startedAt = Date.now();
    this.source.on('frame', this.handleFrame);
    this.source.on('state', (change) => {
      const level = change.state === 'reconnecting' ? 'warn' : 'info';
      this.logger[level]({ camera: this.camera.id, state: change.state, attempt: change.attempt, cause: change.cause?.message }, 'camera state');
      if (change.state === 'stopped' || change.state === 'reconnecting') void this.endAllTracks();
    });
    this.source.on('error', (err) => this.logger.warn({ camera: this.camera.id, code: err.code, err: err.message }, 'camera error'));
    // Tracks must end even when frames stop arriving (camera gone, nobody in view).
    this.idleTimer = setInterval(() => this.expireTracks(Date.now()), 250);
    this.source.start();
  }

  async stop(): Promise<void> {
    if (this.idleTimer) clearInterval(this.idleTimer);
    this.idleTimer = null;
    this.source.off('frame', this.handleFrame);
    await this.source.stop();
    await this.busy;
    await this.endAllTracks();
  }

  private readonly handleFrame = (frame: Frame): void => {
    this.stats.framesReceived++;
    this.stats.lastFrameAt = frame.receivedAt;
    if (this.busy) {
      this.stats.framesDropped++;
      return;
    }
    this.busy = this.analyse(frame)
      .catch((err: Error) => this.logger.error({ camera: this.camera.id, err: err.message }, 'frame analysis failed'))
      .finally(() => {
        this.busy = null;
      });
  };

  private async analyse(frame: Frame): Promise<void> {
    const started = performance.now();
    const found = await this.analyzer.analyze(frame, this.onStage ? { onStage: this.onStage } : {});
    this.stats.lastAnalysisMs = performance.now() - started;
    this.stats.lastAnalysedAt = Date.now();
    this.stats.framesAnalysed++;
    this.stats.facesSeen += found.length;
    // A face too small to identify is someone in the distance or in a poster, not a visit to this
    // door: it is not tracked, so it can never end up as an "unknown" (failure to acquire).
    const faces = found.filter((f) => !f.quality.reasons.includes('too_small'));
    const now = frame.receivedAt;
    const update = this.tracker.update(
      faces.map((f) => f.detection.box),
      now,
    );
    for (const [i, face] of faces.entries()) {
      if (face.embedding) this.stats.facesUsable++;
      const matchStarted = performance.now();
      const decision = await this.decider.observe(update.trackIds[i]!, face.embedding, now);
      if (decision) {
        this.onStage?.('match', (performance.now() - matchStarted) / 1000);
        this.onDecision(decision, this.camera);
      }
    }
    await Promise.all(update.ended.map((ended) => this.emitEnd(ended.id, now)));
  }

  private expireTracks(now: number): void {
    if (this.busy) return; // the frame in flight will expire them consistently
    const ended = this.tracker.expire(now);
    if (ended.length === 0) return;
    // Held as `busy` so the next frame waits for these decisions, and stop() waits for them.
    this.busy = Promise.all(ended.map((e) => this.emitEnd(e.id, now))).then(() => undefined).finally(() => {
      this.busy = null;
    });
  }

  private async endAllTracks(): Promise<void> {
    const now = Date.now();
    await Promise.all(this.tracker.flush().map((ended) => this.emitEnd(ended.id, now)));
  }

  private async emitEnd(trackId: string, now: number): Promise<void> {
    try {
      const decision = await this.decider.end(trackId, now);
      if (decision) this.onDecision(decision, this.camera);
    } catch (err) {
      this.logger.error({ camera: this.camera.id, err: (err as Error).message }, 'track decision failed');
    }
  }
}
