// Prometheus metrics: the registry on its own (every family, values from the appliance's
// sources), the HTTP server, and /metrics after a short real run — a clip of a bundled sample
// face played through the whole pipeline to a decision acknowledged by the embedded broker.
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../firmware-config/load.js';
import { Appliance } from '../../daemon/appliance.js';
import { writeClip } from '../../synthetic/door-clip.js';
import { ApplianceMetrics, type MetricSources } from '../../daemon/metrics.js';
import { startMetricsServer } from '../../daemon/metrics-server.js';
import { readImageFile } from '../../pipeline/image.js';
import { syntheticDecision, waitFor } from './mqtt/mqtt-test-kit.js';

const REPO = resolve(__dirname, '../..');
const silent = pino({ level: 'silent' });

/** `name{labels} value` lines of the exposition, as a map. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

function fakeSources(overrides: Partial<MetricSources> = {}): MetricSources {
  return {
    cameras: () => [
      {
        camera: { id: 'cam-a', doorId: 'lobby' },
        stats: { framesReceived: 120, framesAnalysed: 100, framesDropped: 20, facesSeen: 40, facesUsable: 31 },
        health: { up: true, restarts: 0, lastFrameAt: Date.now() - 1500 },
      },
      { camera: { id: 'cam-b', doorId: 'yard' }, stats: { framesReceived: 0, framesAnalysed: 0, framesDropped: 0, facesSeen: 0, facesUsable: 0 }, health: { up: false, restarts: 4, lastFrameAt: null } },
    ],
    outboxDepth: () => 3,
    brokerState: () => 'connected',
    modelId: () => 'fr_feature@abc',
    galleryTemplates: () => 12,
    decisionSearches: () => ({ scan: 0, coded: 41, float32: 2, index: 0 }),
    expiredTopic: 'maskgate/a/expired',
    ...overrides,
  };
}

describe('ApplianceMetrics', () => {
  it('exposes camera counters, queue, broker and model from its sources, in its own registry', async () => {
    const metrics = new ApplianceMetrics({ processMetrics: false });
    metrics.bind(fakeSources());
    const s = samples(await metrics.exposition());
    expect(s.get('maskgate_frames_received_total{camera="cam-a"}')).toBe(120);
    expect(s.get('maskgate_frames_analysed_total{camera="cam-a"}')).toBe(100);
    expect(s.get('maskgate_frames_dropped_total{camera="cam-a"}')).toBe(20);
    expect(s.get('maskgate_faces_seen_total{camera="cam-a"}')).toBe(40);
    expect(s.get('maskgate_faces_usable_total{camera="cam-a"}')).toBe(31);
    expect(s.get('maskgate_outbox_depth')).toBe(3);
    expect(s.get('maskgate_broker_connected')).toBe(1);
    expect(s.get('maskgate_gallery_templates')).toBe(12);
    expect(s.get('maskgate_model_info{model_id="fr_feature@abc"}')).toBe(1);
    expect(s.get('maskgate_decision_searches_total{method="coded"}')).toBe(41);
    expect(s.get('maskgate_decision_searches_total{method="float32"}')).toBe(2);
    for (const outcome of ['grant', 'deny', 'unknown']) expect(s.get(`maskgate_decisions_total{door="lobby",outcome="${outcome}"}`)).toBe(0);
    // Two appliances in one process do not collide: nothing went to prom-client's global registry.
    expect(() => new ApplianceMetrics({ processMetrics: false })).not.toThrow();
  });

  it('counts decisions by door and outcome, and times publishing and frame-to-publish from deliveries', async () => {
    const metrics = new ApplianceMetrics({ processMetrics: false });
    metrics.bind(fakeSources({ brokerState: () => 'disconnected' }));
    const decidedAt = Date.parse('2025-05-01T10:00:00.000Z');
    const grant = syntheticDecision({ doorId: 'lobby', decidedAt: new Date(decidedAt).toISOString() });
    metrics.recordDecision(grant);
    metrics.recordDecision(syntheticDecision({ doorId: 'lobby', outcome: 'deny' }));
    const outboxRow = { seq: 1, topic: 'maskgate/a/door/lobby/decision', payload: JSON.stringify(grant), qos: 1 as const, retain: false, expiresAt: null, createdAt: decidedAt + 40, deliveredAt: null };
    metrics.recordDelivery(outboxRow, decidedAt + 100);
    metrics.recordDelivery({ ...outboxRow, seq: 2, topic: 'maskgate/a/expired' }, decidedAt + 90_000);
    metrics.observeStage('detect', 0.004);
    const s = samples(await metrics.exposition());
    expect(s.get('maskgate_decisions_total{door="lobby",outcome="grant"}')).toBe(1);
    expect(s.get('maskgate_decisions_total{door="lobby",outcome="deny"}')).toBe(1);
    expect(s.get('maskgate_decisions_expired_total{door="lobby"}')).toBe(1);
    expect(s.get('maskgate_stage_duration_seconds_count{stage="publish"}')).toBe(1);
    expect(s.get('maskgate_stage_duration_seconds_sum{stage="publish"}')).toBeCloseTo(0.06, 6);
    expect(s.get('maskgate_stage_duration_seconds_count{stage="detect"}')).toBe(1);
    expect(s.get('maskgate_frame_to_publish_seconds_count')).toBe(1); // the expired one is not a delivery to a door
    expect(s.get('maskgate_frame_to_publish_seconds_sum')).toBeCloseTo(0.1, 6);
    expect(s.get('maskgate_broker_connected')).toBe(0);
  });

  it('never puts names or scores in labels', async () => {
    const metrics = new ApplianceMetrics({ processMetrics: false });
    metrics.bind(fakeSources());
    metrics.recordDecision(syntheticDecision({ personName: 'Ada Lovelace' }));
    const text = await metrics.exposition();
    expect(text).not.toContain('Ada');
    expect(text).not.toMatch(/person|score/);
  });
});

describe('metrics server', () => {
  it('serves /metrics with the Prometheus content type, and nothing else', async () => {
    const metrics = new ApplianceMetrics();
    metrics.bind(fakeSources());
    const server = await startMetricsServer(metrics, '127.0.0.1', 0, silent);
    try {
      const response = await fetch(server.url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const body = await response.text();
      expect(body).toContain('maskgate_outbox_depth 3');
      expect(body).toContain('process_cpu_seconds_total');
      expect((await fetch(server.url.replace('/metrics', '/'))).status).toBe(404);
      expect((await fetch(server.url, { method: 'POST' })).status).toBe(405);
    } finally {
      await server.close();
    }
  });

  it('reports a busy port with a stable code', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    await expect(startMetricsServer(new ApplianceMetrics({ processMetrics: false }), '127.0.0.1', port, silent)).rejects.toMatchObject({
      code: 'metrics_start_failed',
      message: expect.stringMatching(/already in use/) as string,
    });
    blocker.close();
  });
});

const SAMPLE = join(REPO, 'demo-assets/sample1.jpg');

describe.skipIf(!existsSync(SAMPLE))('/metrics after a short run of the appliance', () => {
  let appliance: Appliance;
  let text = '';
  const logLines: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mg-metrics-run-'));
    const clip = join(dir, 'door.mp4');
    const config = parseConfig({
      dataDir: dir,
      logLevel: 'error',
      model: { detector: join(REPO, 'models/blazeface/blazeface_back_256.onnx'), embedder: join(REPO, 'models/fr_feature/fr_feature.onnx') },
      mqtt: { embeddedPort: 0 },
      api: { enabled: false },
      metrics: { port: 0 },
      cameras: [{ id: 'door-cam', url: clip, doorId: 'front', fps: 10, loop: false, realtime: true }],
    });
    const logger = pino({ level: 'info' }, { write: (line: string) => logLines.push(JSON.parse(line) as Record<string, unknown>) });
    appliance = await Appliance.create(config, logger);
    const photo = await readImageFile(SAMPLE);
    const [face] = (await appliance.core.analyzer.analyze(photo, { padded: true })).filter((f) => f.embedding !== null);
    await writeClip(clip, [{ photo, detection: face!.detection, masked: false }]);

    await appliance.start();
    const door = await mqtt.connectAsync(appliance.brokerUrl!, { protocolVersion: 4 });
    let decisions = 0;
    door.on('message', () => decisions++);
    await door.subscribeAsync(`${appliance.topics.base}/door/+/decision`, { qos: 1 });
    await waitFor(() => decisions >= 1, 'a decision at the door', 45_000);
    text = await (await fetch(appliance.metricsUrl!)).text();
    await door.endAsync();
  }, 90_000);

  afterAll(async () => {
    await appliance?.stop();
  });

  it('counts frames, faces and the decision', () => {
    const s = samples(text);
    expect(s.get('maskgate_frames_received_total{camera="door-cam"}')).toBeGreaterThan(0);
    expect(s.get('maskgate_frames_analysed_total{camera="door-cam"}')).toBeGreaterThan(0);
    expect(s.has('maskgate_frames_dropped_total{camera="door-cam"}')).toBe(true);
    expect(s.get('maskgate_faces_seen_total{camera="door-cam"}')).toBeGreaterThan(0);
    expect(s.get('maskgate_faces_usable_total{camera="door-cam"}')).toBeGreaterThan(0);
    // Empty gallery: the stranger is denied.
    expect(s.get('maskgate_decisions_total{door="front",outcome="deny"}')).toBeGreaterThanOrEqual(1);
  });

  it('times every stage and the whole frame-to-publish path', () => {
    const s = samples(text);
    for (const stage of ['detect', 'align_quality', 'embed', 'match', 'publish']) {
      expect(s.get(`maskgate_stage_duration_seconds_count{stage="${stage}"}`), stage).toBeGreaterThan(0);
    }
    expect(s.get('maskgate_frame_to_publish_seconds_count')).toBeGreaterThanOrEqual(1);
  });

  it('logs one structured line per decision, with ids and scores but no biometric data or names', () => {
    const decisions = logLines.filter((l) => l['msg'] === 'decision');
    expect(decisions.length).toBeGreaterThanOrEqual(1);
    expect(Object.keys(decisions[0]!).sort()).toEqual(
      ['camera', 'door', 'eventId', 'hostname', 'level', 'masked', 'msg', 'outcome', 'pad', 'personId', 'pid', 'reason', 'score', 'threshold', 'thresholdCondition', 'time'].sort(),
    );
    expect(JSON.stringify(logLines)).not.toMatch(/embedding|personName|"data"/);
  });

  it('shows the queue empty, the broker connected and the model in use', () => {
    const s = samples(text);
    expect(s.get('maskgate_outbox_depth')).toBe(0);
    expect(s.get('maskgate_broker_connected')).toBe(1);
    expect(s.get(`maskgate_model_info{model_id="${appliance.core.analyzer.modelId}"}`)).toBe(1);
  });
});
