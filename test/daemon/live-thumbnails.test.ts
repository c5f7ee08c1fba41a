// Face thumbnails on the console's Live stream, in a real Appliance (embedded broker, API on a
// free port, a clip played through the whole pipeline). With api.liveThumbnails on, each live
// decision event carries a 96x96 JPEG of the face; the same decision on MQTT, in the audit row,
// in the log lines and in the database files carries none. Off (the default), no event does.
import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecisionMessage } from '../../access/decision-message.js';
import { Appliance } from '../../daemon/appliance.js';
import type { LiveDecisionMessage } from '../../enroll/console/ports.js';
import { configFromObject } from '../../firmware-config/load.js';
import { readImageFile } from '../../pipeline/image.js';
import { THUMBNAIL_SIZE } from '../../pipeline/face-thumbnail.js';
import { ApiKeysRepository } from '../../store/api-keys-repository.js';
import { DecisionsRepository } from '../../store/decisions-repository.js';
import { writeClip } from '../../synthetic/door-clip.js';
import { bearer, capturingLogger, cropAround, SAMPLE } from '../enroll/helpers.js';
import { eventData, nextEvent } from '../helpers/sse.js';
import { record, waitFor, type Received } from './mqtt/mqtt-test-kit.js';

describe.each([
  { liveThumbnails: true, title: 'on' },
  { liveThumbnails: false, title: 'off (the default)' },
])('live thumbnails $title', ({ liveThumbnails }) => {
  let dataDir: string;
  let appliance: Appliance;
  let client: MqttClient;
  let received: Received[];
  let stream: AbortController;
  const live: LiveDecisionMessage[] = [];
  const logLines: string[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'mg-live-thumbnails-'));
    const clip = join(dataDir, 'door.mp4');
    const config = configFromObject({
      dataDir,
      mqtt: { embeddedPort: 0, topicPrefix: 'thumbs' },
      api: { port: 0, ...(liveThumbnails ? { liveThumbnails: true } : {}) },
      metrics: { enabled: false },
      // The clip's visitor is a moving still photo, which the shipped PAD model refuses
      // (docs/pad.md, "Limits"); this test is about where the face crop goes, so PAD is off.
      pad: { enabled: false },
      cameras: [{ id: 'door-cam', url: clip, doorId: 'front', fps: 10, loop: false, realtime: true }],
    });
    appliance = await Appliance.create(config, capturingLogger(logLines), { consoleRoot: null });
    const image = await readImageFile(SAMPLE(1));
    const [face] = (await appliance.core.analyzer.analyze(image, { padded: true }))
      .filter((f) => f.embedding !== null)
      .sort((a, b) => b.detection.box.width - a.detection.box.width);
    const person = appliance.gallery.createPerson('Sam Sample');
    await appliance.gallery.enrolPhoto(person.id, await cropAround(image, face!.detection.box));
    await writeClip(clip, [{ photo: image, detection: face!.detection, masked: false }]);
    const key = new ApiKeysRepository(appliance.core.db).create({ name: 'door tablet', role: 'read-only' }).secret;

    await appliance.start();
    client = await mqtt.connectAsync(appliance.brokerUrl!, { protocolVersion: 4, clientId: `door-${randomUUID()}` });
    received = record(client);
    await client.subscribeAsync(`${appliance.topics.base}/door/+/decision`, { qos: 1 });
    // A read-only key sees the Live page, thumbnails included: it is the live view.
    stream = new AbortController();
    const response = await fetch(`${appliance.apiUrl!}/live/decisions`, { headers: bearer(key), signal: stream.signal });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const buffer = { text: '' };
    void (async () => {
      for (;;) live.push(eventData<LiveDecisionMessage>(await nextEvent(reader, buffer)));
    })().catch(() => undefined); // the stream ends with the test
    await waitFor(() => appliance.cameras.every((c) => c.captureState === 'stopped'), 'the clip to play out', 90_000);
    await waitFor(() => live.length > 0 && received.length >= live.length, 'decisions on the stream and on MQTT', 20_000);
  }, 150_000);

  afterAll(async () => {
    stream?.abort();
    await client?.endAsync();
    await appliance?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it(liveThumbnails ? 'puts a small JPEG of the face in each live event' : 'sends no thumbnail', async () => {
    expect(live.some((m) => m.outcome === 'grant')).toBe(true);
    for (const m of live) {
      if (!liveThumbnails) {
        expect(m).not.toHaveProperty('thumbnail');
        continue;
      }
      expect(m.thumbnail).toMatch(/^data:image\/jpeg;base64,[A-Za-z0-9+/]+=*$/);
      const jpeg = Buffer.from(m.thumbnail!.split(',')[1]!, 'base64');
      expect(await sharp(jpeg).metadata()).toMatchObject({ format: 'jpeg', width: THUMBNAIL_SIZE, height: THUMBNAIL_SIZE });
    }
  });

  it('keeps the face out of the MQTT message, the audit row, the log and the database files', () => {
    const mqttMessages = received.map((m) => JSON.parse(m.text) as DecisionMessage & Record<string, unknown>);
    expect(mqttMessages.map((m) => m.eventId).sort()).toEqual(live.map((m) => m.eventId).sort());
    for (const m of mqttMessages) expect(m).not.toHaveProperty('thumbnail');
    const audit = new DecisionsRepository(appliance.core.db).query({ doorId: 'front' });
    expect(audit.map((row) => row.id).sort()).toEqual(live.map((m) => m.eventId).sort());
    const everywhere = [...received.map((m) => m.text), ...audit.map((row) => JSON.stringify(row)), ...logLines];
    for (const text of everywhere) expect(text).not.toMatch(/data:image|\/9j\//); // "/9j/": base64 of a JPEG's first bytes
    for (const m of live.filter((x) => x.thumbnail)) {
      // A stretch from the middle of the JPEG's base64, looked for in every file the appliance wrote.
      const sample = m.thumbnail!.slice(200, 240);
      for (const file of readdirSync(dataDir, { recursive: true, withFileTypes: true }).filter((f) => f.isFile())) {
        expect(readFileSync(join(file.parentPath, file.name), 'latin1')).not.toContain(sample);
      }
    }
  });
});
