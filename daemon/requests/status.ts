// `status`: the appliance's health at a glance — uptime, model, gallery, every camera's capture
// state and counters, the broker link, the outbox and the threshold in force.
import type { MatchingConfig } from '../../firmware-config/schema.js';
import type { CaptureState } from '../../pipeline/capture/index.js';
import { StatusRequestSchema, type StatusSummary } from '../mqtt/messages.js';
import type { BrokerState } from '../mqtt/connection.js';
import type { CameraStats } from '../camera-worker.js';
import { defineHandler, type RequestHandler } from './dispatcher.js';

export interface CameraStatusInput {
  readonly camera: { readonly id: string; readonly doorId: string };
  readonly captureState: CaptureState;
  readonly stats: Readonly<CameraStats>;
  /** Restarts of its capture process (the supervisor's count). */
  readonly restarts: number;
}

/** What the summary is made of; the appliance supplies it. */
export interface StatusInputs {
  readonly applianceId: string;
  readonly startedAt: number;
  readonly modelId: string;
  readonly galleryTemplates: number;
  readonly cameras: readonly CameraStatusInput[];
  readonly broker: { readonly state: BrokerState; readonly url: string | null; readonly embedded: boolean };
  readonly outboxDepth: number;
  readonly matching: MatchingConfig;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function summarizeStatus(inputs: StatusInputs, now: number): StatusSummary {
  return {
    applianceId: inputs.applianceId,
    startedAt: new Date(inputs.startedAt).toISOString(),
    uptimeSeconds: Math.max(0, Math.round((now - inputs.startedAt) / 100) / 10),
    modelId: inputs.modelId,
    gallery: { templates: inputs.galleryTemplates },
    cameras: inputs.cameras.map(({ camera, captureState, stats, restarts }) => ({
      id: camera.id,
      doorId: camera.doorId,
      captureState,
      framesReceived: stats.framesReceived,
      framesAnalysed: stats.framesAnalysed,
      framesDropped: stats.framesDropped,
      facesSeen: stats.facesSeen,
      facesUsable: stats.facesUsable,
      lastFrameAt: iso(stats.lastFrameAt),
      lastAnalysedAt: iso(stats.lastAnalysedAt),
      lastAnalysisMs: stats.lastAnalysisMs === null ? null : Math.round(stats.lastAnalysisMs * 10) / 10,
      restarts,
    })),
    broker: { ...inputs.broker },
    outbox: { depth: inputs.outboxDepth },
    matching: {
      threshold: inputs.matching.threshold,
      targetFmr: inputs.matching.calibration?.targetFmr ?? null,
      thresholds: inputs.matching.thresholds ?? null,
      calibration: inputs.matching.calibration ?? null,
    },
  };
}

export function statusHandler(status: () => StatusSummary): RequestHandler {
  return defineHandler({ name: 'status', schema: StatusRequestSchema, handle: () => status() });
}

/** The summary in one line, for `systemctl status` (STATUS=…). */
export function statusLine(summary: StatusSummary): string {
  const cameras = summary.cameras.map((c) => `${c.id} ${c.captureState}`).join(', ');
  return [
    summary.cameras.length ? `cameras: ${cameras}` : 'no cameras',
    `broker ${summary.broker.state}`,
    `gallery ${summary.gallery.templates} templates`,
    ...(summary.outbox.depth ? [`${summary.outbox.depth} decisions queued`] : []),
  ].join('; ');
}
