// The requests answered by a real Appliance over its embedded MQTT 3.1.1 broker (aedes): the
// status summary, reload-config applying a changed file (and refusing an invalid one), and
// last-decision after a decision was recorded. No camera is needed.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../../firmware-config/load.js';
import { Appliance } from '../../../daemon/appliance.js';
import type { ResponseMessage, StatusSummary } from '../../../daemon/mqtt/messages.js';
import type { TrackDecision } from '../../../access/track-decider.js';
import { ContractValidator, record, waitFor, type Received } from '../mqtt/mqtt-test-kit.js';
import { parseConfig as defaultConfig } from '../../../firmware-config/load.js';

const DEFAULT_THRESHOLD = defaultConfig({}).matching.threshold;

const REPO = resolve(__dirname, '../../..');
const contract = new ContractValidator();

describe('requests answered by the appliance (embedded broker, MQTT 3.1.1)', () => {
  let dir: string;
  let configPath: string;
  let appliance: Appliance;
  let client: MqttClient;
  let received: Received[];
  const baseConfig = () => ({
    applianceId: 'bench-1',
    dataDir: dir,
    logLevel: 'error',
    model: { detector: join(REPO, 'models/blazeface/blazeface_back_256.onnx'), embedder: join(REPO, 'models/fr_feature/fr_feature.onnx') },
    mqtt: { embeddedPort: 0, topicPrefix: 'bench' },
    api: { enabled: false },
    metrics: { port: 0 },
    cameras: [{ id: 'cam-1', url: 'lavfi:testsrc=size=64x64:rate=1', doorId: 'front' }],
  });
  const writeConfig = (config: object) => writeFileSync(configPath, JSON.stringify(config));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mg-appliance-requests-'));
    configPath = join(dir, 'config.json');
    writeConfig({ ...baseConfig(), cameras: [] });
    const { config } = loadConfigFile(configPath);
    appliance = await Appliance.create(config, pino({ level: 'silent' }), { loadConfig: () => loadConfigFile(configPath).config });
    await appliance.start();
    client = await mqtt.connectAsync(appliance.brokerUrl!, { protocolVersion: 4, clientId: `tool-${randomUUID()}` });
    received = record(client);
    client.on('message', (topic, payload, packet) => contract.check(appliance.topics.base, { topic, text: payload.toString(), retain: packet.retain, qos: packet.qos }));
    await client.subscribeAsync([`${appliance.topics.base}/response/+`, `${appliance.topics.base}/door/+/decision`], { qos: 1 });
    await waitFor(() => appliance.brokerState === 'connected', 'the appliance to connect to its own broker');
  }, 60_000);

  afterAll(async () => {
    await client?.endAsync();
    await appliance?.stop();
  });

  async function ask(name: string, body: object): Promise<ResponseMessage> {
    const transaction = randomUUID();
    await client.publishAsync(`${appliance.topics.base}/request/${name}`, JSON.stringify({ transaction, ...body }), { qos: 1 });
    await waitFor(() => received.some((m) => m.topic.endsWith(`/response/${name}`) && JSON.parse(m.text).transaction === transaction), `the ${name} response`);
    return JSON.parse(received.find((m) => JSON.parse(m.text).transaction === transaction)!.text) as ResponseMessage;
  }

  it('answers status', async () => {
    const response = await ask('status', {});
    expect(response.status).toBe('ok');
    const summary = response.data as StatusSummary;
    expect(summary).toMatchObject({
      applianceId: 'bench-1',
      modelId: appliance.core.analyzer.modelId,
      gallery: { templates: 0 },
      cameras: [],
      broker: { state: 'connected', embedded: true },
      outbox: { depth: 0 },
      matching: { threshold: DEFAULT_THRESHOLD, targetFmr: null, calibration: null },
    });
  });

  it('reloads a changed config file: threshold and door overrides live, broker changes after a restart', async () => {
    writeConfig({
      ...baseConfig(),
      cameras: [],
      matching: { threshold: 0.5 },
      doors: [{ id: 'front', grantTtlMs: 8000 }],
      mqtt: { ...baseConfig().mqtt, keepaliveSeconds: 45 },
    });
    const response = await ask('reload-config', {});
    expect(response).toMatchObject({ status: 'ok', data: { restartNeeded: ['mqtt'] }, error: null });
    expect(appliance.matching.threshold).toBe(0.5);
    expect(((await ask('status', {})).data as StatusSummary).matching.threshold).toBe(0.5);
  });

  it('refuses an invalid config file and keeps the running one', async () => {
    writeConfig({ ...baseConfig(), matching: { threshold: 3 }, colour: 'blue' });
    const response = await ask('reload-config', {});
    expect(response).toMatchObject({ status: 'error', data: null, error: { code: 'config_invalid' } });
    expect(response.error!.message).toMatch(/\/matching\/threshold: must be <= 1/);
    expect(response.error!.message).toMatch(/unknown key "colour"/);
    expect(appliance.matching.threshold).toBe(0.5);
  });

  it('answers last-decision with the decision just published to the door, and only that door', async () => {
    const now = Date.now();
    const decision: TrackDecision = {
      eventId: randomUUID(),
      trackId: 'cam-1-7',
      outcome: 'deny',
      reason: 'no_match',
      personId: null,
      personName: null,
      score: 0.12,
      threshold: 0.5,
      thresholdCondition: 'single',
      targetFmr: null,
      framesUsed: 3,
      firstSeenAt: now - 800,
      decidedAt: now,
      expiresAt: now + 30_000,
      pad: null,
      masked: false,
    };
    const message = appliance.sink.record(decision, { ...baseConfig().cameras[0]!, width: 640, height: 480, fps: 10, loop: false, realtime: true });
    await waitFor(() => received.some((m) => m.topic.endsWith('/door/front/decision')), 'the decision on the door topic');
    expect((await ask('last-decision', { doorId: 'front' })).data).toEqual(message);
    expect((await ask('last-decision', { doorId: 'back' })).data).toBeNull();
  });
});
