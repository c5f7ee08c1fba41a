// Prometheus metrics for one appliance, in its own Registry (never prom-client's global one, so
// two appliances in one process — tests — cannot collide). Counters that the camera loop already
// keeps (CameraStats) are mirrored at scrape time rather than counted twice; stage timings
// arrive through the pipeline's observer hook, decisions and deliveries through the sink's and
// the publisher's listeners. Labels carry ids only, never biometric data.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { OutboxMessage } from '../store/outbox-repository.js';
import type { DecisionMessage, Outcome } from '../access/decision-message.js';
import type { DecisionSearchMethod } from '../access/gallery.js';
import type { BrokerState } from './mqtt/connection.js';
import type { CameraStats } from './camera-worker.js';

export type PipelineStage = 'detect' | 'align_quality' | 'embed' | 'match' | 'publish';

/** Where scrape-time values come from; the appliance supplies it. */
export interface MetricSources {
  cameras(): ReadonlyArray<{
    readonly camera: { readonly id: string; readonly doorId: string };
    readonly stats: Readonly<Pick<CameraStats, CameraCounter>>;
    readonly health: { readonly up: boolean; readonly restarts: number; readonly lastFrameAt: number | null };
  }>;
  outboxDepth(): number;
  brokerState(): BrokerState;
  modelId(): string;
  galleryTemplates(): number;
  /** How the decision path's searches were answered since start-up (Gallery.decisionSearches). */
  decisionSearches(): Readonly<Record<DecisionSearchMethod, number>>;
  /** Deliveries on this topic are expired decisions reported for audit, not door decisions. */
  readonly expiredTopic: string;
}

type CameraCounter = 'framesReceived' | 'framesAnalysed' | 'framesDropped' | 'facesSeen' | 'facesUsable';

const OUTCOMES: readonly Outcome[] = ['grant', 'deny', 'unknown'];
const STAGE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const END_TO_END_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600];

export class ApplianceMetrics {
  readonly registry = new Registry();
  private sources: MetricSources | null = null;
  private readonly decisions: Counter<'door' | 'outcome'>;
  private readonly expired: Counter<'door'>;
  private readonly stages: Histogram<'stage'>;
  private readonly endToEnd: Histogram<never>;

  constructor(options: { readonly processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    const sources = () => this.sources;
    const mirror = (name: string, help: string, field: CameraCounter) =>
      new Counter({
        name,
        help,
        labelNames: ['camera'],
        registers,
        collect() {
          // CameraStats only ever grow within a process, so the mirror is a valid counter.
          this.reset();
          for (const { camera, stats } of sources()?.cameras() ?? []) this.inc({ camera: camera.id }, stats[field]);
        },
      });
    mirror('maskgate_frames_received_total', 'Frames delivered by the camera input', 'framesReceived');
    mirror('maskgate_frames_analysed_total', 'Frames run through detection, alignment, quality and embedding', 'framesAnalysed');
    mirror('maskgate_frames_dropped_total', 'Frames skipped because the previous one was still being analysed', 'framesDropped');
    mirror('maskgate_faces_seen_total', 'Faces detected', 'facesSeen');
    mirror('maskgate_faces_usable_total', 'Faces that passed the quality gate and were embedded', 'facesUsable');

    // Camera supervision: a door that lost its camera must show on a dashboard, not only in a log.
    new Gauge({
      name: 'maskgate_camera_up',
      help: '1 while the camera delivers frames, 0 while it is starting, reconnecting or stopped',
      labelNames: ['camera'],
      registers,
      collect() {
        this.reset();
        for (const { camera, health } of sources()?.cameras() ?? []) this.set({ camera: camera.id }, health.up ? 1 : 0);
      },
    });
    new Counter({
      name: 'maskgate_camera_restarts_total',
      help: "Restarts of the camera's capture process (ffmpeg died, stalled or the stream dropped)",
      labelNames: ['camera'],
      registers,
      collect() {
        this.reset();
        for (const { camera, health } of sources()?.cameras() ?? []) this.inc({ camera: camera.id }, health.restarts);
      },
    });
    new Gauge({
      name: 'maskgate_camera_last_frame_age_seconds',
      help: 'Seconds since the camera delivered its last frame (absent before the first frame)',
      labelNames: ['camera'],
      registers,
      collect() {
        this.reset();
        const now = Date.now();
        for (const { camera, health } of sources()?.cameras() ?? []) {
          if (health.lastFrameAt !== null) this.set({ camera: camera.id }, Math.max(0, now - health.lastFrameAt) / 1000);
        }
      },
    });

    this.decisions = new Counter({ name: 'maskgate_decisions_total', help: 'Access decisions made', labelNames: ['door', 'outcome'], registers });
    this.expired = new Counter({
      name: 'maskgate_decisions_expired_total',
      help: 'Decisions that expired before the broker took them (reported on the expired topic instead)',
      labelNames: ['door'],
      registers,
    });
    this.stages = new Histogram({
      name: 'maskgate_stage_duration_seconds',
      help: 'Duration of each pipeline stage (publish: outbox to broker acknowledgement)',
      labelNames: ['stage'],
      buckets: STAGE_BUCKETS,
      registers,
    });
    this.endToEnd = new Histogram({
      name: 'maskgate_frame_to_publish_seconds',
      help: 'From the arrival of the deciding frame to the broker acknowledging the decision (includes time queued during outages)',
      buckets: END_TO_END_BUCKETS,
      registers,
    });
    new Gauge({
      name: 'maskgate_outbox_depth',
      help: 'Messages waiting on disk for the broker',
      registers,
      collect() {
        this.set(sources()?.outboxDepth() ?? 0);
      },
    });
    new Gauge({
      name: 'maskgate_broker_connected',
      help: '1 while connected to the MQTT broker',
      registers,
      collect() {
        this.set(sources()?.brokerState() === 'connected' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'maskgate_gallery_templates',
      help: 'Enrolled templates searched by the matcher',
      registers,
      collect() {
        this.set(sources()?.galleryTemplates() ?? 0);
      },
    });
    new Counter({
      name: 'maskgate_decision_searches_total',
      help: 'Decision searches by what answered them: scan (small gallery), coded (int8 codes, proven exact), float32 (the proof did not hold), index (HNSW)',
      labelNames: ['method'],
      registers,
      collect() {
        // The gallery's counts only grow within a process, so the mirror is a valid counter.
        this.reset();
        const counts = sources()?.decisionSearches();
        if (counts) for (const [method, count] of Object.entries(counts)) this.inc({ method }, count);
      },
    });
    new Gauge({
      name: 'maskgate_model_info',
      help: 'The embedding model in use (value is always 1)',
      labelNames: ['model_id'],
      registers,
      collect() {
        this.reset();
        const modelId = sources()?.modelId();
        if (modelId) this.set({ model_id: modelId }, 1);
      },
    });
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  bind(sources: MetricSources): void {
    this.sources = sources;
    // Every door/outcome series exists from the start, so rate() works before the first grant.
    for (const { camera } of sources.cameras()) for (const outcome of OUTCOMES) this.decisions.labels({ door: camera.doorId, outcome }).inc(0);
  }

  observeStage(stage: PipelineStage, seconds: number): void {
    this.stages.observe({ stage }, seconds);
  }

  recordDecision(message: DecisionMessage): void {
    this.decisions.inc({ door: message.doorId, outcome: message.outcome });
  }

  /** A message the broker acknowledged: publish latency and, for decisions, frame-to-publish latency. */
  recordDelivery(message: OutboxMessage, deliveredAt: number): void {
    const decision = parseDecision(message.payload);
    if (!decision) return;
    if (message.topic === this.sources?.expiredTopic) {
      this.expired.inc({ door: decision.doorId });
      return;
    }
    this.stages.observe({ stage: 'publish' }, Math.max(0, deliveredAt - message.createdAt) / 1000);
    const decidedAt = Date.parse(decision.decidedAt);
    if (Number.isFinite(decidedAt)) this.endToEnd.observe(Math.max(0, deliveredAt - decidedAt) / 1000);
  }

  /** The Prometheus text exposition of every metric. */
  exposition(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

function parseDecision(payload: string): Pick<DecisionMessage, 'doorId' | 'decidedAt'> | null {
  try {
    const value = JSON.parse(payload) as Partial<DecisionMessage>;
    return value.schema === 'maskgate.decision/1' && typeof value.doorId === 'string' && typeof value.decidedAt === 'string'
      ? { doorId: value.doorId, decidedAt: value.decidedAt }
      : null;
  } catch {
    return null;
  }
}
