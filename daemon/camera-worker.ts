// One camera's loop: frames in, decisions out. Frames that arrive while the previous one is
// still being analysed are dropped (latest wins) so latency never builds up behind a slow model.
import type { Logger } from 'pino';
import type { AnalysisStage, FaceAnalyzer } from '../pipeline/face-analyzer.js';
import { FfmpegFrameSource, type CaptureErrorCode, type CaptureState, type CaptureStateChange, type FrameSource } from '../pipeline/capture/index.js';
import { FaceTracker } from '../pipeline/tracker.js';
import type { AlignedFace, Frame, RgbImage } from '../pipeline/types.js';
import { cameraCaptureConfig } from '../firmware-config/camera-capture.js';
import type { CameraConfig, CaptureTimingConfig, DoorConfig, MatchingConfig } from '../firmware-config/schema.js';
import { TrackDecider, type DecisionSettings, type GallerySearch, type PersonDirectory, type TrackDecision } from '../access/track-decider.js';
import type { PadSettings } from '../access/pad-fusion.js';
import type { FaceScreen } from '../pipeline/face-screen.js';
import type { FaceEvidence } from '../pipeline/types.js';
import type { PadConfig } from '../firmware-config/schema.js';
import { BestFaceCrops } from './best-face-crops.js';

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

/** `face`: the track's best aligned crop, only when the worker keeps crops for live thumbnails. */
export type DecisionListener = (decision: TrackDecision, camera: CameraConfig, face: RgbImage | null) => void;

/** Presentation-attack and mask screening of each usable face, with the door's PAD settings. */
export interface CameraScreening {
  readonly screen: FaceScreen;
  readonly pad: PadSettings;
}

/** The PAD settings for one door: its own switch and threshold where it has them. */
export function doorPad(pad: PadConfig, door: DoorConfig | undefined): PadSettings {
  return { enabled: door?.pad?.enabled ?? pad.enabled, threshold: door?.pad?.threshold ?? pad.threshold };
}

/** A camera's supervision state: what /readyz, metrics and the retained MQTT status report. */
export interface CameraHealth {
  readonly cameraId: string;
  readonly doorId: string;
  readonly state: CaptureState;
  /** True while frames are flowing. */
  readonly up: boolean;
  /** When the camera entered `state` (ms since the epoch). */
  readonly since: number;
  /** Restarts of its ffmpeg since the daemon started. */
  readonly restarts: number;
  readonly lastFrameAt: number | null;
  /** Code of the failure behind the current state (`CaptureErrorCode`), null when none. */
  readonly lastError: CaptureErrorCode | null;
}

export type HealthListener = (health: CameraHealth) => void;

export interface CameraWorkerOptions {
  readonly camera: CameraConfig;
  readonly matching: MatchingConfig;
  readonly analyzer: FaceAnalyzer;
  readonly gallery: GallerySearch & PersonDirectory;
  readonly onDecision: DecisionListener;
  readonly logger: Logger;
  /** Timing hook for metrics. */
  readonly onStage?: StageListener;
  /** Called on every capture state change. */
  readonly onHealth?: HealthListener;
  /**
   * Where frames come from: an ffmpeg source built from the camera and these capture timings,
   * or a given source (tests, other producers).
   */
  readonly input: { readonly capture: CaptureTimingConfig } | { readonly source: FrameSource };
  /** PAD and mask screening of each usable face, with the door's PAD settings. */
  readonly screening?: CameraScreening;
  /** Hand each decision the track's best face crop (api.liveThumbnails); default off. */
  readonly keepFaceCrops?: boolean;
}

export function decisionSettings(matching: MatchingConfig, camera: CameraConfig, pad?: PadSettings): DecisionSettings {
  return {
    ...(pad ? { pad } : {}),
    threshold: camera.threshold ?? matching.threshold,
    // A camera's own threshold holds for every condition, as it did before per-condition thresholds.
    ...(camera.threshold === undefined && matching.thresholds ? { thresholds: matching.thresholds } : {}),
    // An overridden threshold was not calibrated for the FMR target: do not claim it was.
    targetFmr: camera.threshold === undefined ? (matching.calibration?.targetFmr ?? null) : null,
    framesPerDecision: matching.framesPerDecision,
    redecideAfterMs: matching.redecideAfterMs,
    grantTtlMs: matching.grantTtlMs,
  };
}

/**
 * The matching settings for one door: its own thresholds and grant expiry where it has them. A
 * door that sets `threshold` or `thresholds` replaces the site's whole set (a stricter door
 * stays stricter for masked faces too) and was not calibrated for the site's target.
 */
export function doorMatching(matching: MatchingConfig, door: DoorConfig | undefined): MatchingConfig {
  if (!door) return matching;
  const { calibration, thresholds, ...rest } = matching;
  const overridden = door.threshold !== undefined || door.thresholds !== undefined;
  const own = overridden ? { thresholds: door.thresholds } : { thresholds, calibration };
  return {
    ...rest,
    threshold: door.threshold ?? matching.threshold,
    grantTtlMs: door.grantTtlMs ?? matching.grantTtlMs,
    ...(own.thresholds ? { thresholds: own.thresholds } : {}),
    ...(own.calibration ? { calibration: own.calibration } : {}),
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

  readonly camera: CameraConfig;
  private readonly analyzer: FaceAnalyzer;
  private readonly onDecision: DecisionListener;
  private readonly logger: Logger;
  private readonly onStage: StageListener | undefined;
  private readonly onHealth: HealthListener | undefined;
  private readonly crops: BestFaceCrops | null;
  private screening: CameraScreening | undefined;
  private stateSince = Date.now();
  private lastError: CaptureErrorCode | null = null;

  constructor(options: CameraWorkerOptions) {
    const { camera, matching, gallery, logger, input } = options;
    this.camera = camera;
    this.analyzer = options.analyzer;
    this.onDecision = options.onDecision;
    this.logger = logger;
    this.onStage = options.onStage;
    this.onHealth = options.onHealth;
    this.screening = options.screening;
    this.crops = options.keepFaceCrops ? new BestFaceCrops() : null;
    this.source = 'source' in input ? input.source : new FfmpegFrameSource(cameraCaptureConfig(camera, input.capture), { logger });
    this.tracker = new FaceTracker({ iouThreshold: matching.trackIouThreshold, idleMs: matching.trackIdleMs }, `${camera.id}-`);
    this.decider = new TrackDecider(gallery, gallery, decisionSettings(matching, camera, options.screening?.pad));
  }

  get health(): CameraHealth {
    const state = this.source.state;
    return {
      cameraId: this.camera.id,
      doorId: this.camera.doorId,
      state,
      up: state === 'running',
      since: this.stateSince,
      restarts: this.source.stats().restarts,
      lastFrameAt: this.stats.lastFrameAt,
      lastError: this.lastError,
    };
  }

  get captureState(): CaptureState {
    return this.source.state;
  }

  updateMatching(matching: MatchingConfig, pad?: PadSettings): void {
    if (this.screening && pad) this.screening = { ...this.screening, pad };
    this.decider.updateSettings(decisionSettings(matching, this.camera, this.screening?.pad));
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
    this.source.on('state', this.handleState);
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
    this.source.off('state', this.handleState);
    await this.busy;
    await this.endAllTracks();
  }

  /**
   * Every change of capture state is an operator-visible event: a warn-level line (a door may
   * have lost or regained its camera) and the health listener (readiness, metrics, MQTT).
   * Repeated `reconnecting` events of one outage are one state, logged at debug.
   */
  private readonly handleState = (change: CaptureStateChange): void => {
    const changed = change.state !== change.previous;
    if (changed) this.stateSince = Date.now();
    if (change.cause) this.lastError = change.cause.code;
    else if (change.state === 'running') this.lastError = null;
    const fields = { camera: this.camera.id, door: this.camera.doorId, state: change.state, previous: change.previous, attempt: change.attempt, delayMs: change.delayMs, cause: change.cause?.code };
    if (changed) this.logger.warn(fields, `camera ${this.camera.id} ${change.previous} -> ${change.state}`);
    else this.logger.debug(fields, `camera ${this.camera.id} still ${change.state}`);
    if (change.state === 'stopped' || change.state === 'reconnecting') void this.endAllTracks();
    this.onHealth?.(this.health);
  };

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
    const evidence = await this.screen(frame, faces);
    const update = this.tracker.update(
      faces.map((f) => f.detection.box),
      now,
    );
    for (const [i, face] of faces.entries()) {
      if (face.embedding) this.stats.facesUsable++;
      const trackId = update.trackIds[i]!;
      this.crops?.offer(trackId, face.aligned, face.quality);
      const matchStarted = performance.now();
      const decision = await this.decider.observe(trackId, face.embedding, now, evidence.get(face));
      if (decision) {
        this.onStage?.('match', (performance.now() - matchStarted) / 1000);
        this.onDecision(decision, this.camera, this.crops?.take(trackId) ?? null);
      }
    }
    await Promise.all(update.ended.map((ended) => this.emitEnd(ended.id, now)));
  }

  /** PAD score and mask flag of every face that will count towards a decision (those with an embedding). */
  private async screen<F extends { embedding: Float32Array | null; aligned: AlignedFace }>(frame: Frame, faces: readonly F[]): Promise<Map<F, FaceEvidence>> {
    const usable = faces.filter((f) => f.embedding);
    if (!this.screening || usable.length === 0) return new Map();
    const found = await this.screening.screen.screen(frame, usable.map((f) => f.aligned));
    return new Map(usable.map((f, i) => [f, found[i]!]));
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
      if (decision) this.onDecision(decision, this.camera, this.crops?.take(trackId) ?? null);
    } catch (err) {
      this.logger.error({ camera: this.camera.id, err: (err as Error).message }, 'track decision failed');
    } finally {
      this.crops?.take(trackId); // an ended track's crop goes with it
    }
  }
}
