// Where decisions go: the audit log (SQLite), the doors (MQTT, via the durable outbox) and one
// log line each — without biometric data anywhere.
import type { Logger } from 'pino';
import type { CameraConfig } from '../firmware-config/schema.js';
import type { RgbImage } from '../pipeline/types.js';
import type { DecisionsRepository } from '../store/decisions-repository.js';
import type { DecisionMessage } from './decision-message.js';
import type { TrackDecision } from './track-decider.js';

export interface DecisionPublisherPort {
  publish(message: DecisionMessage): void;
}

/**
 * Sees each message after it is recorded. `face` is the track's best crop when the camera keeps
 * crops for the console's live thumbnails (api.liveThumbnails), else null; it never reaches the
 * audit log, the doors or the log line, and a listener must not store it either.
 */
export type DecisionObserver = (message: DecisionMessage, face: RgbImage | null) => void;

export class DecisionSink {
  private readonly listeners = new Set<DecisionObserver>();

  constructor(
    private readonly applianceId: string,
    private readonly modelId: () => string,
    private readonly decisions: DecisionsRepository,
    private readonly publisher: DecisionPublisherPort,
    private readonly logger: Logger,
  ) {}

  /** Observers (metrics, the demo's console) see every message after it is recorded. */
  onDecision(listener: DecisionObserver): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  record(decision: TrackDecision, camera: CameraConfig, face: RgbImage | null = null): DecisionMessage {
    const message = toMessage(decision, camera, this.applianceId, this.modelId());
    this.decisions.insert({
      id: message.eventId,
      decidedAt: decision.decidedAt,
      cameraId: camera.id,
      doorId: camera.doorId,
      trackId: decision.trackId,
      outcome: decision.outcome,
      personId: decision.personId,
      score: decision.score,
      threshold: decision.threshold,
      modelId: message.modelId,
      masked: decision.masked,
      expiresAt: decision.expiresAt,
      payload: {
        reason: decision.reason,
        framesUsed: decision.framesUsed,
        targetFmr: decision.targetFmr,
        thresholdCondition: decision.thresholdCondition,
        pad: padResult(decision),
      },
    });
    this.publisher.publish(message);
    this.logger.info(
      {
        eventId: message.eventId,
        camera: camera.id,
        door: camera.doorId,
        outcome: message.outcome,
        reason: message.reason,
        masked: message.masked,
        pad: message.pad?.score ?? null,
        personId: message.personId,
        score: message.score === null ? null : Number(message.score.toFixed(4)),
        threshold: message.threshold,
        thresholdCondition: message.thresholdCondition,
      },
      'decision',
    );
    for (const listener of this.listeners) listener(message, face);
    return message;
  }
}

function padResult(decision: TrackDecision): DecisionMessage['pad'] {
  if (!decision.pad) return null;
  const { score, threshold, frames } = decision.pad;
  return { score: score === null ? null : Number(score.toFixed(6)), threshold, frames };
}

export function toMessage(decision: TrackDecision, camera: CameraConfig, applianceId: string, modelId: string): DecisionMessage {
  return {
    schema: 'maskgate.decision/1',
    eventId: decision.eventId,
    applianceId,
    cameraId: camera.id,
    doorId: camera.doorId,
    trackId: decision.trackId,
    outcome: decision.outcome,
    reason: decision.reason,
    personId: decision.personId,
    personName: decision.personName,
    score: decision.score,
    threshold: decision.threshold,
    thresholdCondition: decision.thresholdCondition,
    targetFmr: decision.targetFmr,
    modelId,
    masked: decision.masked,
    pad: padResult(decision),
    framesUsed: decision.framesUsed,
    firstSeenAt: new Date(decision.firstSeenAt).toISOString(),
    decidedAt: new Date(decision.decidedAt).toISOString(),
    expiresAt: new Date(decision.expiresAt).toISOString(),
  };
}
