// Composition root: builds the models, the gallery, the MQTT side and the cameras from one
// validated config, and owns their start/stop order. Nothing else wires components together.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../firmware-config/schema.js';
import { BlazeFaceDetector } from '../pipeline/detector.js';
import { OnnxEmbedder } from '../pipeline/embedder.js';
import { FaceAnalyzer } from '../pipeline/face-analyzer.js';
import type { QualityLimits } from '../pipeline/quality.js';
import { openDatabase, type Database } from '../store/database.js';
import { OutboxRepository } from '../store/outbox-repository.js';
import { CameraWorker } from './camera-worker.js';
import { DecisionSink } from './decision-sink.js';
import { Gallery } from './gallery.js';
import { Topics } from './messages.js';
import { DecisionPublisher } from './mqtt/decision-publisher.js';
import { startEmbeddedBroker, type EmbeddedBroker } from './mqtt/embedded-broker.js';

export const DATABASE_FILE = 'maskgate.db';

export function qualityLimits(config: Config): QualityLimits {
  return { ...config.quality };
}

/** The models and gallery, without cameras or MQTT: what offline tools (enrol, embed) need. */
export class Core {
  private constructor(
    readonly config: Config,
    readonly db: Database,
    readonly detector: BlazeFaceDetector,
    readonly embedder: OnnxEmbedder,
    readonly analyzer: FaceAnalyzer,
    readonly gallery: Gallery,
  ) {}

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
    let threshold = config.matching.threshold;
    const core = new Core(config, db, detector, embedder, analyzer, new Gallery(db, analyzer, () => threshold, logger));
    core.setThreshold = (t) => (threshold = t);
    return core;
  }

  /** Replaced in `open` so that the gallery's duplicate check follows hot-reloaded thresholds. */
  setThreshold: (threshold: number) => void = () => undefined;

  async close(): Promise<void> {
    await this.embedder.close();
    await this.detector.close();
    this.db.close();
  }
}

export class Appliance {
  private broker: EmbeddedBroker | null = null;
  private publisher: DecisionPublisher | null = null;
  private workers: CameraWorker[] = [];
  private sinkInstance: DecisionSink | null = null;
  private stopping: Promise<void> | null = null;

  private constructor(
    private config: Config,
    readonly core: Core,
    private readonly logger: Logger,
  ) {}

  static async create(config: Config, logger: Logger): Promise<Appliance> {
    return new Appliance(config, await Core.open(config, logger), logger);
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
    return this.publisher?.brokerState ?? 'closed';
  }

  async start(): Promise<void> {
    const { mqtt } = this.config;
    if (mqtt.url === null) this.broker = await startEmbeddedBroker(mqtt.embeddedHost, mqtt.embeddedPort, this.logger);
    const outbox = new OutboxRepository(this.core.db, { maxRows: mqtt.outboxMaxMessages });
    const pending = outbox.countUndelivered();
    if (pending > 0) this.logger.info({ pending }, 'undelivered decisions from a previous run will be delivered');
    this.publisher = new DecisionPublisher(
      {
        url: this.broker?.url ?? mqtt.url!,
        // aedes speaks MQTT 3.1.1; site brokers get MQTT 5.
        protocolVersion: this.broker ? 4 : 5,
        clientId: `maskgate-${this.config.applianceId}`,
        keepaliveSeconds: mqtt.keepaliveSeconds,
        reconnectPeriodMs: mqtt.reconnectPeriodMs,
        ...(mqtt.username !== undefined ? { username: mqtt.username } : {}),
        ...(mqtt.password !== undefined ? { password: mqtt.password } : {}),
      },
      this.topics,
      outbox,
      this.logger,
    );
    this.publisher.start();
    const sink = new DecisionSink(this.config.applianceId, () => this.core.analyzer.modelId, this.gallery.decisions, this.publisher, this.logger);
    this.sinkInstance = sink;
    this.workers = this.config.cameras.map(
      (camera) =>
        new CameraWorker(camera, this.config.matching, this.core.analyzer, this.gallery, (d, c) => sink.record(d, c), this.logger),
    );
    for (const worker of this.workers) worker.start();
    this.logger.info({ cameras: this.workers.length, gallery: this.gallery.size, broker: this.brokerUrl ? 'configured' : 'none' }, 'appliance started');
  }

  /**
   * Applies a new config without a restart where possible; returns the top-level sections whose
   * change needs one (cameras, models, MQTT, data directory).
   */
  applyConfig(next: Config): string[] {
    const restartNeeded = (['model', 'mqtt', 'cameras', 'dataDir', 'applianceId', 'quality', 'api'] as const).filter(
      (key) => JSON.stringify(next[key]) !== JSON.stringify(this.config[key]),
    );
    this.config = { ...this.config, matching: next.matching, logLevel: next.logLevel };
    this.logger.level = next.logLevel;
    this.core.setThreshold(next.matching.threshold);
    for (const worker of this.workers) worker.updateMatching(next.matching);
    this.logger.info({ threshold: next.matching.threshold, restartNeeded }, 'configuration reloaded');
    return restartNeeded;
  }

  get matching(): Config['matching'] {
    return this.config.matching;
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    // Cameras first, so their last tracks are decided and published before MQTT goes.
    await Promise.all(this.workers.map((w) => w.stop()));
    await this.publisher?.stop();
    await this.broker?.close();
    await this.core.close();
    this.logger.info('appliance stopped');
  }
}
