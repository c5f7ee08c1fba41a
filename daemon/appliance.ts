// Composition root: builds the models, the gallery, the MQTT side and the cameras from one
// validated config, and owns their start/stop order. Nothing else wires components together.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { startEnrolmentApi } from '../enroll/app.js';
import { ReembedJob } from '../access/reembed.js';
import type { Config } from '../firmware-config/schema.js';
import { BlazeFaceDetector } from '../pipeline/detector.js';
import { OnnxEmbedder } from '../pipeline/embedder.js';
import { FaceAnalyzer } from '../pipeline/face-analyzer.js';
import type { QualityLimits } from '../pipeline/quality.js';
import { ApiKeysRepository } from '../store/api-keys-repository.js';
import { DecisionsRepository } from '../store/decisions-repository.js';
import { openDatabase, type Database } from '../store/database.js';
import { OutboxRepository } from '../store/outbox-repository.js';
import { CameraWorker, doorMatching } from './camera-worker.js';
import { DecisionSink } from '../access/decision-sink.js';
import { Gallery } from '../access/gallery.js';
import { Topics, type StatusSummary } from './mqtt/messages.js';
import { ApplianceMetrics, type PipelineStage } from './metrics.js';
import { startMetricsServer, type MetricsServer } from './metrics-server.js';
import { MqttConnection } from './mqtt/connection.js';
import { DecisionPublisher } from './mqtt/decision-publisher.js';
import { startEmbeddedBroker, type EmbeddedBroker } from './mqtt/embedded-broker.js';
import { RequestServer } from './mqtt/request-server.js';
import { readTlsMaterial } from './mqtt/tls-material.js';
import { createRequestDispatcher } from './requests/index.js';
import { LastDecisions } from './requests/last-decision.js';
import { summarizeStatus } from './requests/status.js';

export const DATABASE_FILE = 'maskgate.db';

export function qualityLimits(config: Config): QualityLimits {
  return { ...config.quality };
}

/** The models and gallery, without cameras or MQTT: what offline tools (enrol, embed) need. */
export class Core {
  readonly gallery: Gallery;
  /** The matching threshold in force; the gallery's duplicate check follows hot reloads. */
  private threshold: number;

  private constructor(
    readonly config: Config,
    readonly db: Database,
    readonly detector: BlazeFaceDetector,
    readonly embedder: OnnxEmbedder,
    readonly analyzer: FaceAnalyzer,
    logger: Logger,
  ) {
    this.threshold = config.matching.threshold;
    this.gallery = new Gallery(db, analyzer, () => this.threshold, logger);
  }

  static async open(config: Config, logger: Logger): Promise<Core> {
    const sessionOptions = {
      executionProviders: config.model.executionProviders,
      intraOpThreads: config.model.intraOpThreads,
      allowSpinning: config.model.allowSpinning,
      logger,
    };
    const detector = await BlazeFaceDetector.create({
      modelPath: config.model.detector,
      scoreThreshold: config.model.detectionScoreThreshold,
      ...sessionOptions,
    });
    const embedder = await OnnxEmbedder.create(config.model.embedder, sessionOptions);
    logger.info({ modelId: embedder.modelId, provider: embedder.provider, detectorProvider: detector.provider }, 'models loaded');
    mkdirSync(config.dataDir, { recursive: true, mode: 0o750 });
    const db = openDatabase(join(config.dataDir, DATABASE_FILE), { logger });
    const analyzer = new FaceAnalyzer(detector, embedder, qualityLimits(config));
    return new Core(config, db, detector, embedder, analyzer, logger);
  }

  setThreshold(threshold: number): void {
    this.threshold = threshold;
  }

  async close(): Promise<void> {
    await this.embedder.close();
    await this.detector.close();
    this.db.close();
  }
}

export interface ApplianceOptions {
  /** Re-reads the config file (SIGHUP, the reload-config request); absent when running on defaults. */
  readonly loadConfig?: () => Config;
}

export class Appliance {
  private broker: EmbeddedBroker | null = null;
  private connection: MqttConnection | null = null;
  private publisher: DecisionPublisher | null = null;
  private requestServer: RequestServer | null = null;
  private metricsServer: MetricsServer | null = null;
  private api: { app: FastifyInstance; url: string } | null = null;
  private reembed: ReembedJob | null = null;
  private workers: CameraWorker[] = [];
  private sinkInstance: DecisionSink | null = null;
  private stopping: Promise<void> | null = null;
  private startedAt = Date.now();
  private readonly lastDecisions = new LastDecisions();
  readonly metrics = new ApplianceMetrics();

  private constructor(
    private config: Config,
    readonly core: Core,
    private readonly logger: Logger,
    private readonly options: ApplianceOptions = {},
  ) {}

  static async create(config: Config, logger: Logger, options: ApplianceOptions = {}): Promise<Appliance> {
    return new Appliance(config, await Core.open(config, logger), logger, options);
  }

  get gallery(): Gallery {
    return this.core.gallery;
  }

  get sink(): DecisionSink {
    if (!this.sinkInstance) throw new Error('appliance not started');
    return this.sinkInstance;
  }

  /** The broker the appliance publishes to (the embedded one's URL when it runs one). */
  get brokerUrl(): string | null {
    return this.broker?.url ?? this.config.mqtt.url;
  }

  get topics(): Topics {
    return new Topics(this.config.mqtt.topicPrefix, this.config.applianceId);
  }

  get cameras(): readonly CameraWorker[] {
    return this.workers;
  }

  get brokerState(): string {
    return this.connection?.brokerState ?? 'closed';
  }

  /** The enrolment API's base URL, when it runs. */
  get apiUrl(): string | null {
    return this.api?.url ?? null;
  }

  /** Re-embedding of stored crops for the configured model (started with the appliance). */
  get reembedJob(): ReembedJob | null {
    return this.reembed;
  }

  /** The metrics server's URL, when it runs. */
  get metricsUrl(): string | null {
    return this.metricsServer?.url ?? null;
  }

  async start(): Promise<void> {
    const { mqtt } = this.config;
    const tls = mqtt.tls ? readTlsMaterial(mqtt.tls) : undefined;
    this.startedAt = Date.now();
    if (mqtt.url === null) this.broker = await startEmbeddedBroker(mqtt.embeddedHost, mqtt.embeddedPort, this.logger);
    const outbox = new OutboxRepository(this.core.db, { maxRows: mqtt.outboxMaxMessages });
    const pending = outbox.countUndelivered();
    if (pending > 0) this.logger.info({ pending }, 'undelivered decisions from a previous run will be delivered');
    const connection = new MqttConnection(
      {
        url: this.broker?.url ?? mqtt.url!,
        // aedes speaks MQTT 3.1.1; site brokers get MQTT 5.
        protocolVersion: this.broker ? 4 : 5,
        clientId: `maskgate-${this.config.applianceId}`,
        keepaliveSeconds: mqtt.keepaliveSeconds,
        reconnectPeriodMs: mqtt.reconnectPeriodMs,
        ...(mqtt.username !== undefined ? { username: mqtt.username } : {}),
        ...(mqtt.password !== undefined ? { password: mqtt.password } : {}),
        ...(tls ? { tls } : {}),
      },
      this.topics,
      this.logger,
    );
    this.connection = connection;
    this.publisher = new DecisionPublisher(connection, this.topics, outbox, this.logger, {
      atomically: (fn) => this.core.db.transaction(fn)(),
    });
    const loadConfig = this.options.loadConfig;
    const dispatcher = createRequestDispatcher(
      { lastDecisions: this.lastDecisions, status: () => this.status(), reloadConfig: loadConfig ? () => this.applyConfig(loadConfig()) : null },
      this.logger,
    );
    this.requestServer = new RequestServer(connection, this.topics, dispatcher, this.logger);
    this.publisher.onDelivered((message, at) => this.metrics.recordDelivery(message, at));
    this.publisher.start();
    this.requestServer.start();
    connection.start();
    const sink = new DecisionSink(this.config.applianceId, () => this.core.analyzer.modelId, new DecisionsRepository(this.core.db), this.publisher, this.logger);
    sink.onDecision((message) => {
      this.lastDecisions.record(message);
      this.metrics.recordDecision(message);
    });
    this.sinkInstance = sink;
    const onStage = (stage: PipelineStage, seconds: number) => this.metrics.observeStage(stage, seconds);
    this.workers = this.config.cameras.map(
      (camera) =>
        new CameraWorker(
          camera,
          doorMatching(this.config.matching, this.door(camera.doorId)),
          this.core.analyzer,
          this.gallery,
          (d, c) => sink.record(d, c),
          this.logger,
          undefined,
          onStage,
        ),
    );
    this.bindMetrics(outbox);
    if (this.config.metrics.enabled) await this.startMetricsServer();
    // Re-embedding is gallery maintenance, not an API feature: after a model change nobody is
    // recognised until their stored crops have templates for the new model, so it runs whether
    // or not the API is on (the API only shows progress and starts another run; the log says
    // when it starts and ends). docs/architecture.md, "Life of an enrolment".
    this.reembed = new ReembedJob({ gallery: this.gallery, embedder: this.core.embedder, logger: this.logger });
    this.reembed.start();
    if (this.config.api.enabled) await this.startApi(this.reembed);
    for (const worker of this.workers) worker.start();
    this.logger.info({ cameras: this.workers.length, gallery: this.gallery.size, broker: this.brokerUrl ? 'configured' : 'none' }, 'appliance started');
  }

  /**
   * Applies a new config without a restart where possible; returns the top-level sections whose
   * change needs one (cameras, models, MQTT, data directory).
   */
  applyConfig(next: Config): string[] {
    const restartNeeded = (['model', 'mqtt', 'cameras', 'dataDir', 'applianceId', 'quality', 'api', 'metrics'] as const).filter(
      (key) => JSON.stringify(next[key]) !== JSON.stringify(this.config[key]),
    );
    this.config = { ...this.config, matching: next.matching, doors: next.doors, logLevel: next.logLevel };
    this.logger.level = next.logLevel;
    this.core.setThreshold(next.matching.threshold);
    for (const worker of this.workers) worker.updateMatching(doorMatching(next.matching, this.door(worker.camera.doorId)));
    this.logger.info({ threshold: next.matching.threshold, restartNeeded }, 'configuration reloaded');
    return restartNeeded;
  }

  get matching(): Config['matching'] {
    return this.config.matching;
  }

  /** The status summary answered on the `status` request. */
  status(): StatusSummary {
    return summarizeStatus(
      {
        applianceId: this.config.applianceId,
        startedAt: this.startedAt,
        modelId: this.core.analyzer.modelId,
        galleryTemplates: this.gallery.size,
        cameras: this.workers.map((w) => ({ camera: w.camera, captureState: w.captureState, stats: w.stats })),
        broker: { state: this.connection?.brokerState ?? 'closed', url: this.connection?.redactedUrl ?? null, embedded: this.broker !== null },
        outboxDepth: this.publisher?.depth ?? 0,
        matching: this.config.matching,
      },
      Date.now(),
    );
  }

  /** True when a camera gets frames but none finished analysis for `stallMs` (the watchdog stops feeding). */
  isStalled(now: number, stallMs: number): boolean {
    return this.workers.some((w) => w.isStalled(now, stallMs));
  }

  private door(doorId: string): Config['doors'][number] | undefined {
    return this.config.doors.find((d) => d.id === doorId);
  }

  private bindMetrics(outbox: OutboxRepository): void {
    this.metrics.bind({
      cameras: () => this.workers,
      outboxDepth: () => outbox.countUndelivered(),
      brokerState: () => this.connection?.brokerState ?? 'closed',
      modelId: () => this.core.analyzer.modelId,
      galleryTemplates: () => this.gallery.size,
      expiredTopic: this.topics.expired,
    });
  }

  /** Metrics are not worth failing the doors for: a busy port is logged, and the appliance runs on. */
  private async startMetricsServer(): Promise<void> {
    const { host, port } = this.config.metrics;
    try {
      this.metricsServer = await startMetricsServer(this.metrics, host, port, this.logger);
    } catch (err) {
      this.logger.error({ err: (err as Error).message, code: (err as { code?: string }).code }, 'metrics server not started');
    }
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  /** Like metrics, a busy port or unreadable certificate is logged and the doors keep working. */
  private async startApi(reembed: ReembedJob): Promise<void> {
    try {
      this.api = await startEnrolmentApi({
        gallery: this.gallery,
        embedder: this.core.embedder,
        apiKeys: new ApiKeysRepository(this.core.db),
        decisions: new DecisionsRepository(this.core.db),
        config: this.config.api,
        logger: this.logger,
        reembed,
      });
      this.logger.info({ url: this.api.url }, 'enrolment API listening');
    } catch (err) {
      this.logger.error({ err: (err as Error).message, code: (err as { code?: string }).code }, 'enrolment API not started');
    }
  }

  private async shutdown(): Promise<void> {
    // The API first, so no enrolment starts while the rest stops; then re-embedding, which
    // needs the embedder that core.close() releases.
    await this.api?.app.close();
    await this.reembed?.stop();
    // Cameras first, so their last tracks are decided and published before MQTT goes.
    await Promise.all(this.workers.map((w) => w.stop()));
    await this.publisher?.stop();
    await this.requestServer?.stop();
    await this.connection?.stop();
    await this.metricsServer?.close();
    await this.broker?.close();
    await this.core.close();
    this.logger.info('appliance stopped');
  }
}
