// The access policy in the decision path of a real Appliance (embedded broker, no mosquitto):
// one enrolled person walks past two cameras playing the same clip. Their group grants the zone
// of door `front` only, so `front` gets grant/match and `lab` deny/door_not_permitted — both
// with the person id, on MQTT and in the audit rows. Then a face+pin door settled over the
// `pin` request: a wrong PIN, then the right one.
import { DecisionsRepository } from '../../store/decisions-repository.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecisionMessage } from '../../access/decision-message.js';
import type { TrackDecision } from '../../access/track-decider.js';
import { Appliance } from '../../daemon/appliance.js';
import type { ResponseMessage } from '../../daemon/mqtt/messages.js';
import { configFromObject } from '../../firmware-config/load.js';
import { readImageFile } from '../../pipeline/image.js';
import { writeClip } from '../../synthetic/door-clip.js';
import { cropAround } from '../enroll/helpers.js';
import { ContractValidator, record, waitFor, type Received } from './mqtt/mqtt-test-kit.js';

const REPO = resolve(__dirname, '../..');
const SAMPLE = join(REPO, 'demo-assets', 'sample1.jpg');
const contract = new ContractValidator();

describe('access policy in the decision path (embedded broker)', () => {
  let appliance: Appliance;
  let client: MqttClient;
  let received: Received[];
  let personId: string;
  const decisions = (doorId: string) =>
    received.filter((m) => m.topic.endsWith(`/door/${doorId}/decision`)).map((m) => JSON.parse(m.text) as DecisionMessage);

  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mg-policy-path-'));
    const clip = join(dataDir, 'door.mp4');
    const camera = (id: string, doorId: string) => ({ id, url: clip, doorId, fps: 10, loop: false, realtime: true });
    const config = configFromObject({
      dataDir,
      logLevel: 'error',
      mqtt: { embeddedPort: 0, topicPrefix: 'policy' },
      api: { enabled: false },
      metrics: { enabled: false },
      cameras: [camera('cam-front', 'front'), camera('cam-lab', 'lab')],
      doors: [{ id: 'vault' }],
    });
    appliance = await Appliance.create(config, pino({ level: 'silent' }));
    // The largest usable face of a bundled sample photo: enrolled from an ID-style crop, and
    // walking past both cameras unmasked in the clip.
    const image = await readImageFile(SAMPLE);
    const [face] = (await appliance.core.analyzer.analyze(image, { padded: true }))
      .filter((f) => f.embedding !== null)
      .sort((a, b) => b.detection.box.width - a.detection.box.width);
    const person = appliance.gallery.createPerson('Sam Sample');
    personId = person.id;
    await appliance.gallery.enrolPhoto(personId, await cropAround(image, face!.detection.box));

    // Enforced policy: a group granting the zone with `front` only, all week in Berlin time.
    const site = appliance.core.access;
    site.settings.update({ ...site.settings.get(), mode: 'enforced', timeZone: 'Europe/Berlin' });
    const zone = site.zones.create({ name: 'Entrance', doorIds: ['front', 'vault'] });
    const allWeek = site.schedules.create({
      name: 'All week',
      windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '00:00', end: '24:00' }],
      holidayWindows: null,
    });
    const group = site.groups.create({ name: 'Front only', grants: [{ zoneId: zone.id, scheduleId: allWeek.id }] });
    site.personAccess.replace(personId, [group.id], { validFrom: null, validUntil: null });

    await writeClip(clip, [{ photo: image, detection: face!.detection, masked: false }]);

    await appliance.start();
    client = await mqtt.connectAsync(appliance.brokerUrl!, { protocolVersion: 4, clientId: `door-${randomUUID()}` });
    received = record(client);
    client.on('message', (topic, payload, packet) => contract.check(appliance.topics.base, { topic, text: payload.toString(), retain: packet.retain, qos: packet.qos }));
    await client.subscribeAsync([`${appliance.topics.base}/door/+/decision`, `${appliance.topics.base}/response/+`], { qos: 1 });
    await waitFor(() => appliance.cameras.every((c) => c.captureState === 'stopped'), 'both clips to play out', 90_000);
    await waitFor(() => decisions('front').length > 0 && decisions('lab').length > 0, 'decisions at both doors');
  }, 150_000);

  afterAll(async () => {
    await client?.endAsync();
    await appliance?.stop();
  });

  it('grants at the permitted door and denies door_not_permitted, with the person id, at the other', () => {
    const front = decisions('front');
    const lab = decisions('lab');
    expect(front.length).toBeGreaterThan(0);
    for (const m of front) expect(m).toMatchObject({ outcome: 'grant', reason: 'match', personId, doorId: 'front' });
    for (const m of lab) expect(m).toMatchObject({ outcome: 'deny', reason: 'door_not_permitted', personId, personName: 'Sam Sample', doorId: 'lab' });
    // The score is the face match's: the person was recognised, policy said no.
    for (const m of lab) expect(m.score!).toBeGreaterThanOrEqual(m.threshold);
  });

  it('writes the same reasons to the audit rows', () => {
    for (const doorId of ['front', 'lab']) {
      const audit = new DecisionsRepository(appliance.core.db).query({ doorId });
      expect(audit.map((d) => d.id).sort()).toEqual(decisions(doorId).map((m) => m.eventId).sort());
      for (const row of audit) expect(row).toMatchObject({ personId, payload: { reason: doorId === 'front' ? 'match' : 'door_not_permitted' } });
    }
  });

  it('settles a face+pin door over the pin request: a wrong PIN is rejected, the right one grants once', async () => {
    const site = appliance.core.access;
    site.settings.setDoorFactors('vault', 'face+pin');
    await site.pins.set(personId, '314159');
    const now = Date.now();
    const face: TrackDecision = {
      eventId: randomUUID(),
      trackId: 'cam-vault-1',
      outcome: 'grant',
      reason: 'match',
      personId,
      personName: 'Sam Sample',
      score: 0.8,
      threshold: 0.4,
      thresholdCondition: 'single',
      targetFmr: null,
      framesUsed: 3,
      firstSeenAt: now - 500,
      decidedAt: now,
      expiresAt: now + 5000,
      pad: null,
      masked: null,
    };
    const vaultCamera = { id: 'cam-vault', url: 'lavfi:testsrc', doorId: 'vault', width: 640, height: 480, fps: 10, loop: false, realtime: true };
    const held = appliance.core.access.gate.apply(face, vaultCamera);
    expect(held).toMatchObject({ outcome: 'deny', reason: 'pin_required', personId });
    appliance.sink.record(held, vaultCamera);
    await waitFor(() => decisions('vault').length === 1, 'the pin_required decision');

    const ask = async (pin: string, eventId = held.eventId): Promise<ResponseMessage> => {
      const transaction = randomUUID();
      await client.publishAsync(`${appliance.topics.base}/request/pin`, JSON.stringify({ transaction, doorId: 'vault', eventId, pin }), { qos: 1 });
      await waitFor(() => received.some((m) => m.topic.endsWith('/response/pin') && JSON.parse(m.text).transaction === transaction), 'the pin response');
      return JSON.parse(received.find((m) => m.topic.endsWith('/response/pin') && JSON.parse(m.text).transaction === transaction)!.text) as ResponseMessage;
    };
    const wrong = await ask('271828');
    expect(wrong).toMatchObject({ status: 'ok', data: { outcome: 'deny', reason: 'pin_rejected', personId, lockedUntil: null } });
    const right = await ask('314159');
    expect(right).toMatchObject({ status: 'ok', data: { outcome: 'grant', reason: 'pin_accepted', personId } });
    expect(await ask('314159')).toMatchObject({ status: 'error', error: { code: 'pin_not_expected' } });
    expect(await ask('314159', randomUUID())).toMatchObject({ status: 'error', error: { code: 'pin_not_expected' } });
    expect(await ask('12')).toMatchObject({ status: 'error', error: { code: 'invalid_request' } });

    await waitFor(() => decisions('vault').length === 3, 'the PIN decisions on the door topic');
    expect(decisions('vault').map((m) => `${m.outcome}/${m.reason}`)).toEqual(['deny/pin_required', 'deny/pin_rejected', 'grant/pin_accepted']);
    const granted = decisions('vault')[2]!;
    expect(granted.eventId).toBe((right.data as { eventId: string }).eventId);
    expect(new DecisionsRepository(appliance.core.db).query({ doorId: 'vault' }).map((d) => d.payload['reason']).sort()).toEqual(['pin_accepted', 'pin_rejected', 'pin_required']);
    // No PIN anywhere on the wire back from the appliance.
    for (const m of received) expect(m.text).not.toContain('314159');
  });
});
