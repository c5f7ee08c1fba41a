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
import { openPadScorer } from '../pipeline/fused-pad-scorer.js';
import { warnOnStaleCalibrations } from './stale-calibration.js';
import type { PadScorer } from '../pipeline/pad-model.js';
import { OnnxMaskClassifier } from '../pipeline/mask-classifier.js';
import { FaceScreen } from '../pipeline/face-screen.js';
import { OnnxEmbedder } from '../pipeline/embedder.js';
import { WorkerGalleryScanner } from '../pipeline/gallery-scan-worker.js';
import { startCodedScanThreads, type CodedScanThreads } from '../pipeline/coded-scan-threads.js';
import { AnnSearch, type AnnSearchEvent } from '../pipeline/ann-search.js';
import { FaceAnalyzer } from '../pipeline/face-analyzer.js';
import type { QualityProfiles } from '../pipeline/quality.js';
import { ApiKeysRepository } from '../store/api-keys-repository.js';
import { DecisionsRepository } from '../store/decisions-repository.js';
import { openDatabase, type Database } from '../store/database.js';
import { OutboxRepository } from '../store/outbox-repository.js';
import { changesNeedingRestart } from '../firmware-config/restart-fields.js';
import { detectFfmpegVersion } from '../pipeline/capture/index.js';
import { CameraWorker, doorMatching, doorPad } from './camera-worker.js';
import { CameraStatusPublisher } from './mqtt/camera-status-publisher.js';
import { strictestThreshold } from '../access/condition-threshold.js';
import { DecisionSink } from '../access/decision-sink.js';
import { LiveDecisionFeed } from './live-decision-feed.js';
import { Gallery } from '../access/gallery.js';
import { SitePolicy } from '../access/policy/site-policy.js';
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
import { findConsoleRoot } from './console-root.js';
import type { RecentErrors } from './recent-errors.js';
import { ThresholdConsole } from './threshold-console.js';
import { padModelPaths, updateConfigFile } from '../firmware-config/load.js';
import type { CalibrationRecord } from '../firmware-config/schema.js';
import { startReplication, type ReplicationService } from './replication.js';
import { announceToHomeAssistant, discoveryMessages } from './mqtt/home-assistant.js';
import { readFileSync } from 'node:fs';
import { PACKAGE_ROOT } from '../firmware-config/package-root.js';

export const DATABASE_FILE = 'maskgate.db';
/** How long a failed start-up waits for a broker connection in progress, to leave `offline` behind. */
const START_ABORT_CONNECT_WAIT_MS = 2000;

/** The door and photo quality profiles of the config (the photo profile warns with the door's limits). */
export function qualityProfiles(config: Config): QualityProfiles {
  const { masked, photo, photoMasked, ...doorUnmasked } = config.quality;
  const door = { unmasked: doorUnmasked, masked };
  return { door: { refuse: door, warn: null }, photo: { refuse: { unmasked: photo, masked: photoMasked }, warn: door } };
}

/** The models and gallery, without cameras or MQTT: what offline tools (enrol, embed) need. */
export class Core {
  readonly gallery: Gallery;
  /** Zones, groups, schedules, validity and PINs: checked after identity on every decision. */
  readonly access: SitePolicy;
  /** PAD score and mask flag per usable face, for the camera loops. */
  readonly screen: FaceScreen;
  /** The matching settings in force; the gallery's duplicate check follows hot reloads. */
  private matching: Config['matching'];
  private doors: Config['doors'];

  private constructor(
    readonly config: Config,
    readonly db: Database,
    readonly detector: BlazeFaceDetector,
    readonly embedder: OnnxEmbedder,
    readonly analyzer: FaceAnalyzer,
    readonly pad: PadScorer,
    readonly maskClassifier: OnnxMaskClassifier,
    private readonly scanner: WorkerGalleryScanner,
    logger: Logger,
    private readonly index: AnnSearch | null = null,
    private readonly codedThreads: CodedScanThreads | null = null,
  ) {
    this.screen = new FaceScreen(pad, maskClassifier, (stage, err) => logger.warn({ stage, err: err.message }, 'face screening failed'));
    this.matching = config.matching;
    this.doors = config.doors;
    const { codedScan, codedCandidates } = config.search;
    const coded = codedScan && codedThreads ? { candidates: codedCandidates, helpers: codedThreads.helpers, scanHere: codedThreads.scanHere } : null;
    this.gallery = new Gallery(db, analyzer, () => this.matching.threshold, logger, coded);
    this.access = new SitePolicy(db);
    // A campus-sized gallery is searched exactly without holding the event loop: on its int8 codes
    // a block at a time (proven answers), else on onnxruntime's threads in float32.
    this.gallery.useScanner(scanner);
    // Optionally an HNSW index (built in the background, in memory only) proposes and the float32
    // gallery re-ranks; the exact scan serves until it is ready.
    this.gallery.useIndex(index, config.search.indexMinTemplates, config.search.confirmDenials ? () => this.highestThreshold() : null);
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
    const pad = await openPadScorer(padModelPaths(config.model), sessionOptions);
    const maskClassifier = await OnnxMaskClassifier.create(config.model.maskClassifier, sessionOptions);
    logger.info({ modelId: embedder.modelId, provider: embedder.provider, detectorProvider: detector.provider, padModelId: pad.modelId }, 'models loaded');
    warnOnStaleCalibrations(config, { embedder: embedder.modelId, pad: pad.modelId }, logger);
    mkdirSync(config.dataDir, { recursive: true, mode: 0o750 });
    const db = openDatabase(join(config.dataDir, DATABASE_FILE), { logger });
    const analyzer = new FaceAnalyzer(detector, embedder, qualityProfiles(config));
    const scanner = WorkerGalleryScanner.create({ intraOpThreads: config.model.intraOpThreads, allowSpinning: config.model.allowSpinning });
    const { connectivity, expansionAdd, expansionSearch, quantization, candidates, buildThreads } = config.search;
    const indexOptions = { connectivity, expansionAdd, expansionSearch, quantization, candidates, addThreads: buildThreads };
    const annSearch = config.search.index ? new AnnSearch(indexOptions, (event) => logIndexState(logger, event)) : null;
    // The coded scan's threads beyond this one: each scans its share of the blocks (its own copy).
    const codedThreads = config.search.codedScan ? await startCodedScanThreads(config.search.codedThreads, { pin: config.search.pinCodedThreads }) : null;
    if (codedThreads) {
      const { helpers, scanHere, helperCpus, notPinned } = codedThreads;
      logger.info({ helpers: helpers.length, eventLoopScans: scanHere, helperCpus, notPinned }, 'coded scan threads started');
    }
    return new Core(config, db, detector, embedder, analyzer, pad, maskClassifier, scanner, logger, annSearch, codedThreads);
  }

  /** Site and per-door thresholds follow a config reload (camera overrides need a restart anyway). */
  setThresholds(matching: Config['matching'], doors: Config['doors']): void {
    this.matching = matching;
    this.doors = doors;
  }

  /** The strictest threshold in force anywhere: the index's answers below it are confirmed. */
  private highestThreshold(): number {
    return strictestThreshold([this.matching, ...this.doors, ...this.config.cameras]);
  }

  async close(): Promise<void> {
    await this.scanner.close();
    await this.index?.close();
    await Promise.all((this.codedThreads?.helpers ?? []).map((helper) => helper.close()));
    await this.embedder.close();
    await this.pad.close();
    await this.maskClassifier.close();
    await this.detector.close();
    this.db.close();
  }
}

export interface ApplianceOptions {
  /** Re-reads the config file (SIGHUP, the reload-config request); absent when running on defaults. */
  readonly loadConfig?: () => Config;
  /** The config file, where a threshold calibrated from the console is written; absent: kept in memory. */
  readonly configPath?: string;
  /** Error lines the root logger recorded, for the console's Health page. */
  readonly recentErrors?: RecentErrors;
  /** The built console's directory; default: found beside the build, null: no console. */
  readonly consoleRoot?: string | null;
}

/** The index's progress, for the operator: a campus gallery is exact-scanned until `ready`. */
function logIndexState(logger: Logger, event: AnnSearchEvent): void {
  if (event.state === 'failed') logger.error({ templates: event.templates, err: event.error }, 'search index failed; decisions use the exact scan');
  else logger.info({ templates: event.templates, buildMs: event.buildMs }, `search index ${event.state}`);
}

export class Appliance {
  private broker: EmbeddedBroker | null = null;
  private connection: MqttConnection | null = null;
  private publisher: DecisionPublisher | null = null;
  private requestServer: RequestServer | null = null;
  private cameraStatus: CameraStatusPublisher | null = null;
  private metricsServer: MetricsServer | null = null;
  private api: { app: FastifyInstance; url: string } | null = null;
  private reembed: ReembedJob | null = null;
  private workers: CameraWorker[] = [];
  private sinkInstance: DecisionSink | null = null;
  private replicationService: ReplicationService | null = null;
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

  /** Replication with the other appliances of the site, when this one is an authority or a replica. */
  get replication(): ReplicationService | null {
    return this.replicationService;
  }

  /** The metrics server's URL, when it runs. */
  get metricsUrl(): string | null {
    return this.metricsServer?.url ?? null;
  }

  /**
   * Starts everything, or nothing: when any part fails to start, what was started is stopped
   * again (the availability goes `offline`) and the error is rethrown for the caller to report
   * and exit non-zero, so that systemd's restart policy applies.
   */
  async start(): Promise<void> {
    try {
      await this.startAll();
    } catch (err) {
      this.logger.debug({ err: (err as Error).message }, 'start-up failed; stopping what was started');
      await this.abortStart();
      throw err;
    }
  }

  private async startAll(): Promise<void> {
    const { mqtt } = this.config;
    const tls = mqtt.tls ? readTlsMaterial(mqtt.tls) : undefined;
    // First: unreadable key files stop the start before anything else runs.
    this.replicationService = startReplication(this.config, this.core, this.logger);
    this.startedAt = Date.now();
    // Cameras are built first: a camera the capture layer refuses fails start-up before anything opens.
    this.workers = this.createWorkers();
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
    const sink = new DecisionSink(this.config.applianceId, () => this.core.analyzer.modelId, new DecisionsRepository(this.core.db), this.publisher, this.logger);
    sink.onDecision((message) => {
      this.lastDecisions.record(message);
      this.metrics.recordDecision(message);
    });
    this.sinkInstance = sink;
    this.cameraStatus = new CameraStatusPublisher(connection, this.topics, this.logger);
    const loadConfig = this.options.loadConfig;
    const dispatcher = createRequestDispatcher(
      {
        lastDecisions: this.lastDecisions,
        status: () => this.status(),
        reloadConfig: loadConfig ? () => this.applyConfig(loadConfig()) : null,
        pin: { entry: this.core.access.pinEntry, record: (d, c) => this.sink.record(d, c) },
      },
      this.logger,
    );
    this.requestServer = new RequestServer(connection, this.topics, dispatcher, this.logger);
    this.publisher.onDelivered((message, at) => this.metrics.recordDelivery(message, at));
    this.publisher.start();
    this.requestServer.start();
    this.cameraStatus.start();
    if (this.config.homeAssistant.enabled) this.announceToHomeAssistant(connection);
    connection.start();
    this.bindMetrics(outbox);
    if (this.config.metrics.enabled) {
      const { host, port } = this.config.metrics;
      this.metricsServer = await startMetricsServer(this.metrics, host, port, this.logger);
    }
    // Re-embedding is gallery maintenance, not an API feature: after a model change nobody is
    // recognised until their stored crops have templates for the new model, so it runs whether
    // or not the API is on (the API only shows progress and starts another run; the log says
    // when it starts and ends). docs/architecture.md, "Life of an enrolment".
    this.reembed = new ReembedJob({ gallery: this.gallery, embedder: this.core.embedder, logger: this.logger });
    this.reembed.start();
    if (this.config.api.enabled) await this.startApi(this.reembed);
    // A camera without a working ffmpeg can never deliver a frame: no amount of back-off helps.
    if (this.workers.length > 0) await detectFfmpegVersion('ffmpeg', this.workers[0]!.camera.id);
    for (const worker of this.workers) {
      worker.start();
      this.cameraStatus.publish(worker.health);
    }
    this.logger.info({ cameras: this.workers.length, gallery: this.gallery.size, broker: this.brokerUrl ? 'configured' : 'none' }, 'appliance started');
  }

  private createWorkers(): CameraWorker[] {
    const onStage = (stage: PipelineStage, seconds: number) => this.metrics.observeStage(stage, seconds);
    return this.config.cameras.map(
      (camera) =>
        new CameraWorker({
          camera,
          matching: doorMatching(this.config.matching, this.door(camera.doorId)),
          analyzer: this.core.analyzer,
          gallery: this.gallery,
          // Identity first (the worker's track decider), then the site's access policy; the sink
          // exists before any camera starts.
          onDecision: (d, c, face) => this.sink.record(this.core.access.gate.apply(d, c), c, face),
          logger: this.logger,
          onStage,
          onHealth: (health) => this.cameraStatus?.publish(health),
          input: { capture: this.config.capture },
          screening: { screen: this.core.screen, pad: doorPad(this.config.pad, this.door(camera.doorId)) },
          keepFaceCrops: this.config.api.enabled && this.config.api.liveThumbnails,
        }),
    );
  }

  /**
   * Undoes a partial start. A broker connection still being made gets a moment to complete, so
   * that the retained availability says `offline` rather than whatever it said before.
   */
  private async abortStart(): Promise<void> {
    const connection = this.connection;
    if (connection?.brokerState === 'connecting') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, START_ABORT_CONNECT_WAIT_MS);
        const off = connection.onStateChange((state) => state === 'connected' && done());
        function done(): void {
          clearTimeout(timer);
          off();
          resolve();
        }
      });
    }
    await this.stop();
  }

  /**
   * Applies a new config without a restart where possible; returns the fields whose change needs
   * one (those marked `requiresRestart` in the schema, e.g. `cameras`, `model`, `mqtt`).
   */
  applyConfig(next: Config): string[] {
    const restartNeeded = changesNeedingRestart(this.config, next);
    this.config = { ...this.config, matching: next.matching, pad: next.pad, doors: next.doors, logLevel: next.logLevel };
    this.logger.level = next.logLevel;
    this.core.setThresholds(next.matching, next.doors);
    for (const worker of this.workers) {
      const door = this.door(worker.camera.doorId);
      worker.updateMatching(doorMatching(next.matching, door), doorPad(next.pad, door));
    }
    this.logger.info({ threshold: next.matching.threshold, thresholds: next.matching.thresholds ?? null, restartNeeded }, 'configuration reloaded');
    return restartNeeded;
  }

  /**
   * Puts a threshold calibrated from the console in force at once, and writes it to the config
   * file when there is one (so it survives a restart; the file watcher's reload is then a no-op).
   * Returns the file written, or null.
   */
  applyCalibration(threshold: number, record: CalibrationRecord): string | null {
    const path = this.options.configPath ?? null;
    // The console calibrates one threshold on the gallery alone; per-condition thresholds left
    // in place would keep deciding every flagged face, so the operator's choice would not hold.
    const { thresholds: _replaced, ...matching } = this.config.matching;
    const next = path
      ? updateConfigFile(path, (raw) => {
          const { thresholds: _replacedInFile, ...kept } = (raw['matching'] ?? {}) as Record<string, unknown>;
          raw['matching'] = { ...kept, threshold, calibration: record };
        })
      : { ...this.config, matching: { ...matching, threshold, calibration: record } };
    this.applyConfig({ ...this.config, matching: next.matching });
    return path;
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
        cameras: this.workers.map((w) => ({ camera: w.camera, captureState: w.captureState, stats: w.stats, restarts: w.health.restarts })),
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

  /** Door ids the config knows: guarded by a camera or listed under doors. */
  private doorIds(): string[] {
    return [...new Set([...this.config.cameras.map((c) => c.doorId), ...this.config.doors.map((d) => d.id)])].sort();
  }

  private announceToHomeAssistant(connection: MqttConnection): void {
    const { version } = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string };
    const messages = discoveryMessages(this.topics, {
      discoveryPrefix: this.config.homeAssistant.discoveryPrefix,
      applianceId: this.config.applianceId,
      softwareVersion: version,
      cameras: this.config.cameras,
      grantTtlMs: (doorId) => doorMatching(this.config.matching, this.door(doorId)).grantTtlMs,
    });
    announceToHomeAssistant(connection, messages, this.logger);
  }

  private door(doorId: string): Config['doors'][number] | undefined {
    return this.config.doors.find((d) => d.id === doorId);
  }

  private bindMetrics(outbox: OutboxRepository): void {
    this.metrics.bind({
      cameras: () => this.workers.map((w) => ({ camera: w.camera, stats: w.stats, health: w.health })),
      outboxDepth: () => outbox.countUndelivered(),
      brokerState: () => this.connection?.brokerState ?? 'closed',
      modelId: () => this.core.analyzer.modelId,
      galleryTemplates: () => this.gallery.size,
      decisionSearches: () => this.gallery.decisionSearches,
      expiredTopic: this.topics.expired,
    });
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  /** A busy port or an unreadable certificate fails start-up: a half-started appliance hides it. */
  private async startApi(reembed: ReembedJob): Promise<void> {
    const consoleRoot = this.options.consoleRoot === undefined ? findConsoleRoot() : this.options.consoleRoot;
    if (consoleRoot === null) this.logger.warn('the browser console is not built (npm run build): the API runs without it');
    this.api = await startEnrolmentApi({
      gallery: this.gallery,
      embedder: this.core.embedder,
      apiKeys: new ApiKeysRepository(this.core.db),
      config: this.config.api,
      logger: this.logger,
      reembed,
      decisions: new DecisionsRepository(this.core.db),
      ...(this.replicationService?.authority ? { replication: this.replicationService.authority.repository } : {}),
      ...(this.config.replication.role === 'replica' ? { replicaOf: this.config.replication.authorityId! } : {}),
      cameras: () => this.workers.map((w) => w.health),
      access: { site: this.core.access, doorIds: () => this.doorIds() },
      console: {
        root: consoleRoot,
        decisions: new LiveDecisionFeed(this.sink, this.logger),
        health: { status: () => this.status(), recentErrors: () => this.options.recentErrors?.list() ?? [] },
        thresholds: new ThresholdConsole({
          gallery: this.gallery,
          matching: () => this.config.matching,
          apply: (threshold, record) => this.applyCalibration(threshold, record),
        }),
      },
    });
    this.logger.info({ url: this.api.url }, 'enrolment API listening');
  }

  private async shutdown(): Promise<void> {
    // The API first, so no enrolment starts while the rest stops; then re-embedding, which
    // needs the embedder that core.close() releases.
    await this.api?.app.close();
    await this.reembed?.stop();
    // Cameras first, so their last tracks are decided and published before MQTT goes.
    await Promise.all(this.workers.map((w) => w.stop()));
    await this.cameraStatus?.stop();
    // Before the core closes: a change being applied needs the embedder and the database.
    await this.replicationService?.stop();
    await this.publisher?.stop();
    await this.requestServer?.stop();
    await this.connection?.stop();
    await this.metricsServer?.close();
    await this.broker?.close();
    await this.core.close();
    this.logger.info('appliance stopped');
  }
}
