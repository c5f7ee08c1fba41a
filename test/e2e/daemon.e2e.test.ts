// The appliance end to end against a real Mosquitto: a generated door-camera clip of LFW people
// goes through capture → detection → alignment → embedding → matching → decision → MQTT, and
// the audit log. Skipped where the development data set or mosquitto is absent.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromObject } from '../../firmware-config/load.js';
import { Appliance } from '../../daemon/appliance.js';
import { writeClip, type Visit } from '../../synthetic/door-clip.js';
import { DecisionMessageSchema, type DecisionMessage } from '../../access/decision-message.js';
import { readImageFile } from '../../pipeline/image.js';
import { renderAttack } from '../../synthetic/attack-scene.js';
import { seededRandom } from '../../synthetic/seeded-random.js';
import { LFW, lfwPhoto as photo } from '../helpers/datasets.js';
import { MosquittoBroker, mosquittoAvailable } from '../helpers/mosquitto.js';
import { DecisionsRepository } from '../../store/decisions-repository.js';

const ENROLLED = 'Jacques_Chirac';
const STRANGER = 'Hans_Blix';

describe.skipIf(!existsSync(LFW) || !mosquittoAvailable)('appliance end to end (LFW, Mosquitto)', () => {
  let broker: MosquittoBroker;
  let appliance: Appliance;
  let door: mqtt.MqttClient;
  const received: DecisionMessage[] = [];
  /** Decisions of the side door, whose camera is shown a phone-screen replay of the enrolled person. */
  const sideReceived: DecisionMessage[] = [];
  let personId: string;

  beforeAll(async () => {
    broker = await MosquittoBroker.start();
    const dataDir = mkdtempSync(join(tmpdir(), 'mg-e2e-'));
    const clip = join(dataDir, 'door.mp4');
    const replayClip = join(dataDir, 'replay.mp4');
    const config = configFromObject({
      dataDir,
      mqtt: { url: broker.url, reconnectPeriodMs: 200 },
      api: { enabled: false },
      metrics: { port: 0 }, // a busy 9464 would fail the all-or-nothing start
      cameras: [
        { id: 'lobby-cam', url: clip, doorId: 'lobby', fps: 10, loop: false, realtime: true },
        { id: 'side-cam', url: replayClip, doorId: 'side', fps: 10, loop: false, realtime: true },
      ],
      // PAD is on at both doors (the default): the lobby's live visitors must pass it, the side
      // door's phone-screen replay must not.
    });
    appliance = await Appliance.create(config, pino({ level: 'silent' }));

    const person = appliance.gallery.createPerson('Jacques Chirac', 'HR-0001');
    personId = person.id;
    await appliance.gallery.enrolPhoto(personId, await readFile(photo(ENROLLED, 1)));

    const visit = async (path: string | Awaited<ReturnType<typeof readImageFile>>, masked: boolean): Promise<Visit> => {
      const image = typeof path === 'string' ? await readImageFile(path) : path;
      const [face] = await appliance.core.analyzer.analyze(image, { padded: true });
      return { photo: image, detection: face!.detection, masked };
    };
    await writeClip(clip, [await visit(photo(ENROLLED, 2), false), await visit(photo(STRANGER, 1), true), await visit(photo(ENROLLED, 3), true)]);
    // A different photo of the enrolled person shown on a phone (bezel, moiré, glare, tilt),
    // held up to the side door's camera.
    const source = async (path: string) => {
      const image = await readImageFile(path);
      const [face] = await appliance.core.analyzer.analyze(image, { padded: true });
      return { photo: image, detection: face!.detection };
    };
    const screen = await renderAttack('replay', await source(photo(ENROLLED, 4)), await source(photo(STRANGER, 1)), seededRandom(7));
    await writeClip(replayClip, [await visit(screen, false)]);

    door = await mqtt.connectAsync(broker.url, { clientId: 'test-door' });
    door.on('message', (topic, payload) => (topic.includes('/door/side/') ? sideReceived : received).push(JSON.parse(payload.toString()) as DecisionMessage));
    await door.subscribeAsync(`${appliance.topics.base}/door/lobby/decision`, { qos: 1 });
    await door.subscribeAsync(`${appliance.topics.base}/door/side/decision`, { qos: 1 });
    await appliance.start();
    // Let the whole clip play out: the file ends, the last tracks end, their messages arrive.
    const deadline = Date.now() + 60_000;
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    while (appliance.cameras.some((c) => c.captureState !== 'stopped') && Date.now() < deadline) await sleep(200);
    await sleep(2500);
  }, 120_000);

  afterAll(async () => {
    await door?.endAsync();
    await appliance?.stop();
    await broker?.stop();
  });

  it('grants the enrolled person, unmasked and masked, and denies the stranger, once per visit', () => {
    expect(appliance.core.analyzer.modelId).toMatch(/^g2d-/); // the shipped default model
    const summary = received.map((m) => `${m.outcome}:${m.personId === personId ? 'chirac' : m.personId}:${m.trackId}`);
    // One decision per visit (the stranger's photo also shows a small background face: not a
    // visit, so no "unknown"). A mask can make BlazeFace report a face as two boxes; if that
    // splits a visit's track, the visit gets a second decision with the same verdict, never another.
    const perVisit = received.filter((m, i) => i === 0 || m.outcome !== received[i - 1]!.outcome || m.personId !== received[i - 1]!.personId);
    expect(perVisit.map((m) => m.outcome), summary.join(', ')).toEqual(['grant', 'deny', 'grant']);
    expect(received.length, summary.join(', ')).toBeLessThanOrEqual(4);
    expect(perVisit[0]).toMatchObject({ personId, personName: 'Jacques Chirac', reason: 'match', doorId: 'lobby', cameraId: 'lobby-cam' });
    expect(perVisit[1]).toMatchObject({ personId: null, reason: 'no_match' });
    expect(perVisit[2]).toMatchObject({ personId });
    for (const m of received) {
      expect(Date.parse(m.expiresAt)).toBeGreaterThan(Date.parse(m.decidedAt));
      expect(m.modelId).toBe(appliance.core.analyzer.modelId);
    }
  });

  it('tells masked from unmasked visits, and PAD scores every live visit, masked or not, as bona fide', () => {
    const perVisit = received.filter((m, i) => i === 0 || m.outcome !== received[i - 1]!.outcome || m.personId !== received[i - 1]!.personId);
    expect(perVisit.map((m) => m.masked)).toEqual([false, true, true]);
    for (const m of received) {
      expect(m.pad, JSON.stringify(m.pad)).not.toBeNull();
      expect(m.pad!.frames).toBeGreaterThanOrEqual(1);
      expect(m.pad!.score!, `${m.trackId} masked=${m.masked}`).toBeLessThan(m.pad!.threshold);
    }
  });

  it('denies a phone-screen replay of the enrolled person as a presentation attack', () => {
    const summary = sideReceived.map((m) => `${m.outcome}:${m.reason}:${m.pad?.score}`);
    expect(sideReceived.length, summary.join(', ')).toBeGreaterThanOrEqual(1);
    for (const m of sideReceived) {
      expect(m, summary.join(', ')).toMatchObject({ outcome: 'deny', reason: 'presentation_attack', doorId: 'side' });
      expect(m.pad!.score!).toBeGreaterThanOrEqual(m.pad!.threshold);
    }
  });

  it('publishes payloads that validate against the published schema', () => {
    const ajv = new Ajv({ strict: false });
    addFormats.default(ajv);
    const validate = ajv.compile(DecisionMessageSchema);
    for (const m of [...received, ...sideReceived]) expect(validate(m), JSON.stringify(validate.errors)).toBe(true);
  });

  it('writes every decision to the audit log with the same event id', () => {
    const audit = new DecisionsRepository(appliance.core.db).query({ doorId: 'lobby' });
    expect(audit.map((d) => d.id).sort()).toEqual(received.map((m) => m.eventId).sort());
    expect(audit.find((d) => d.outcome === 'deny')?.personId).toBeNull();
  });
});
