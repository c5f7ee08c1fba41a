// A campus of three appliance processes over two bridged Mosquitto brokers: the authority and
// replica door-a on broker A, replica door-b on broker B, B bridged to A through a relay the
// test can cut. An enrolment on the authority makes door-b's camera grant; a replica stopped
// while people are enrolled and deleted converges exactly when it comes back, with no byte of
// the deleted person's crop left in its files; with the bridge cut both sides keep deciding and
// the far side catches up afterwards; a change signed with a wrong key is refused and logged;
// an access policy made on the authority changes a replica's next decision, and a replica's
// own API refuses a local enrolment.
// Needs dist/ (npm run build; scripts/setup.sh does it), LFW and mosquitto; skipped otherwise.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecisionMessage } from '../../access/decision-message.js';
import { BlazeFaceDetector } from '../../pipeline/detector.js';
import { readImageFile } from '../../pipeline/image.js';
import { AuthoritySigner, generateAuthorityKeyPair } from '../../replication/authority-signature.js';
import { sealChange } from '../../replication/sealing.js';
import { newSiteKeyFile, SiteKeyring, writeSiteKeyFile } from '../../replication/site-keys.js';
import { ReplicationTopics } from '../../replication/topics.js';
import { ApiKeysRepository } from '../../store/api-keys-repository.js';
import { openDatabase } from '../../store/database.js';
import { writeClip } from '../../synthetic/door-clip.js';
import { MosquittoBroker, mosquittoAvailable } from '../helpers/mosquitto.js';
import { LFW, lfwPhoto as photo } from '../helpers/datasets.js';
import { freePort } from '../helpers/net.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { ApplianceProcess, CLI } from './appliance-process.js';

const REPO = resolve(__dirname, '../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Gallery {
  people: { id: string; display_name: string; active: number }[];
  faces: { id: string; person_id: string; crop_sha256: string }[];
}

function readGallery(dbPath: string): Gallery {
  const db = new BetterSqlite3(dbPath, { readonly: true, fileMustExist: true });
  try {
    return {
      people: db.prepare('SELECT id, display_name, active FROM people ORDER BY id').all() as Gallery['people'],
      faces: db.prepare('SELECT id, person_id, crop_sha256 FROM faces ORDER BY id').all() as Gallery['faces'],
    };
  } finally {
    db.close();
  }
}

/** True when any 32-byte window of `needle` (past the PNG header) is in the database or its WAL. */
function bytesOnDisk(dbPath: string, needle: Buffer): boolean {
  const files = [dbPath, `${dbPath}-wal`].filter(existsSync).map((f) => readFileSync(f));
  for (let at = 64; at + 32 <= needle.length; at += 32) {
    if (files.some((f) => f.includes(needle.subarray(at, at + 32)))) return true;
  }
  return false;
}

async function until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(150);
  }
}

describe.skipIf(!existsSync(LFW) || !mosquittoAvailable || !existsSync(CLI))('a campus: authority and two replicas over bridged Mosquitto brokers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mg-campus-'));
  const siteKeysFile = join(dir, 'site-keys.json');
  const signingKeyFile = join(dir, 'authority.pem');
  const publicKeyFile = join(dir, 'authority.pub.pem');
  const topics = new ReplicationTopics('maskgate', 'hq');
  const dbOf = (id: string) => join(dir, id, 'maskgate.db');
  let brokerA: MosquittoBroker;
  let brokerB: MosquittoBroker;
  let bridge: TcpProxy;
  let authority: ApplianceProcess;
  let doorA: ApplianceProcess;
  let doorB: ApplianceProcess;
  let watchA: mqtt.MqttClient;
  let watchB: mqtt.MqttClient;
  type Api = (method: string, path: string, body?: unknown, type?: string) => Promise<{ status: number; json: unknown; bytes: Buffer }>;
  let api: Api;
  let doorAApi: Api;
  const decisions: { door: 'door-a' | 'door-b'; at: number; message: DecisionMessage }[] = [];
  let chirac: string;

  const grantsFor = (door: string, personId: string, after: number) =>
    decisions.find((d) => d.door === door && d.at > after && d.message.outcome === 'grant' && d.message.personId === personId);
  const decisionAfter = (door: string, after: number) => decisions.find((d) => d.door === door && d.at > after);

  async function enrol(name: string, photoPath: string): Promise<string> {
    const person = await api('POST', '/people', { displayName: name });
    expect(person.status).toBe(201);
    const id = (person.json as { id: string }).id;
    const upload = await api('POST', `/people/${id}/faces`, readFileSync(photoPath), 'image/jpeg');
    expect(upload.status, JSON.stringify(upload.json)).toBe(201);
    return id;
  }

  beforeAll(async () => {
    writeSiteKeyFile(siteKeysFile, newSiteKeyFile());
    const pair = generateAuthorityKeyPair();
    writeFileSync(signingKeyFile, pair.privateKeyPem, { mode: 0o600 });
    writeFileSync(publicKeyFile, pair.publicKeyPem);

    // One clip for both door cameras: Chirac, masked, lingering in front of the door, looped.
    const detector = await BlazeFaceDetector.create({ modelPath: join(REPO, 'models/blazeface/blazeface_back_256.onnx') });
    const image = await readImageFile(photo('Jacques_Chirac', 2));
    const [detection] = await detector.detect(image);
    await detector.close();
    const clip = join(dir, 'door.mp4');
    await writeClip(clip, [{ photo: image, detection: detection!, masked: true }], {
      width: 320, height: 240, fps: 5, secondsPerVisit: 4, gapSeconds: 0.4, faceCropSize: 150,
    });

    brokerA = await MosquittoBroker.start();
    bridge = await TcpProxy.start(brokerA.port);
    brokerB = await MosquittoBroker.start(
      undefined,
      ['connection b-to-a', `address 127.0.0.1:${bridge.port}`, 'topic maskgate/# both 1', 'cleansession false',
        'try_private true', 'restart_timeout 1', 'keepalive_interval 5', ''].join('\n'),
    );

    const apiPort = await freePort();
    const doorAApiPort = await freePort();
    const common = (id: string, url: string) => ({
      applianceId: id,
      dataDir: join(dir, id),
      mqtt: { url, reconnectPeriodMs: 300 },
      metrics: { enabled: false },
      api: { enabled: false },
      matching: { framesPerDecision: 2, redecideAfterMs: 1000, trackIdleMs: 800 },
    });
    const camera = { id: 'cam', url: clip, doorId: 'main', fps: 5, width: 320, height: 240, loop: true, realtime: true };
    const replica = (id: string, url: string) => ({
      ...common(id, url),
      cameras: [camera],
      replication: { role: 'replica', siteId: 'hq', authorityId: 'hq', siteKeysFile, authorityPublicKeyFile: publicKeyFile },
    });
    const configs = {
      hq: {
        ...common('hq', brokerA.url),
        api: { enabled: true, port: apiPort },
        // The authority has no camera; the site's doors are named here so zones may name them.
        doors: [{ id: 'main' }, { id: 'annex' }],
        replication: { role: 'authority', siteId: 'hq', siteKeysFile, signingKeyFile, replicas: ['door-a', 'door-b'] },
      },
      'door-a': { ...replica('door-a', brokerA.url), api: { enabled: true, port: doorAApiPort } },
      'door-b': replica('door-b', brokerB.url),
    };
    for (const [id, config] of Object.entries(configs)) writeFileSync(join(dir, `${id}.json`), JSON.stringify(config));

    // An admin key for the authority's API and door-a's, made before they start.
    const apiOf = (id: string, port: number): Api => {
      mkdirSync(join(dir, id), { recursive: true });
      const db = openDatabase(dbOf(id));
      const { secret: key } = new ApiKeysRepository(db).create({ name: 'campus test', role: 'admin' });
      db.close();
      return async (method, path, body, type = 'application/json') => {
        const response = await fetch(`http://127.0.0.1:${port}${path}`, {
          method,
          headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': type } : {}) },
          ...(body !== undefined ? { body: Buffer.isBuffer(body) ? new Uint8Array(body) : JSON.stringify(body) } : {}),
        });
        const bytes = Buffer.from(await response.arrayBuffer());
        let json: unknown = null;
        try {
          json = JSON.parse(bytes.toString());
        } catch {
          /* a crop */
        }
        return { status: response.status, json, bytes };
      };
    };
    api = apiOf('hq', apiPort);
    doorAApi = apiOf('door-a', doorAApiPort);

    watchA = await mqtt.connectAsync(brokerA.url, { clientId: 'watch-a' });
    watchB = await mqtt.connectAsync(brokerB.url, { clientId: 'watch-b' });
    for (const [client, door] of [[watchA, 'door-a'], [watchB, 'door-b']] as const) {
      client.on('message', (_topic, payload) => decisions.push({ door, at: Date.now(), message: JSON.parse(payload.toString()) as DecisionMessage }));
      await client.subscribeAsync(`maskgate/${door}/door/main/decision`, { qos: 1 });
    }

    authority = new ApplianceProcess('hq', join(dir, 'hq.json'));
    doorA = new ApplianceProcess('door-a', join(dir, 'door-a.json'));
    doorB = new ApplianceProcess('door-b', join(dir, 'door-b.json'));
    for (const p of [authority, doorA, doorB]) p.start();
    for (const p of [authority, doorA, doorB]) await p.waitFor((l) => l.msg === 'replication link connected', 60_000);
    await doorB.waitFor((l) => l.msg === 'appliance started', 60_000);
    // The door cameras see a stranger (nobody is enrolled yet) before anything is replicated.
    await until('a first decision on both doors', () => decisionAfter('door-a', 0) && decisionAfter('door-b', 0), 60_000);
  }, 180_000);

  afterAll(async () => {
    await Promise.all([authority, doorA, doorB].map((p) => p?.stop()));
    await watchA?.endAsync();
    await watchB?.endAsync();
    await brokerB?.stop();
    await bridge?.close();
    await brokerA?.stop();
  });

  it('an enrolment on the authority is granted at a replica camera across the bridge', async () => {
    expect(decisions.filter((d) => d.message.outcome === 'grant')).toEqual([]);
    chirac = await enrol('Jacques Chirac', photo('Jacques_Chirac', 1));
    const enrolledAt = Date.now();
    const grant = await until('a grant at door-b', () => grantsFor('door-b', chirac, enrolledAt), 20_000);
    // The issue asks for "within 2 s"; a wall-clock bound would make the test flaky on a loaded
    // machine, so the latency is printed and the figure recorded in docs/campus.md instead.
    console.info(`campus: enrolment to grant at door-b across the bridge: ${grant.at - enrolledAt} ms`);
    expect(grant.message.personName).toBe('Jacques Chirac');
    await until('a grant at door-a', () => grantsFor('door-a', chirac, enrolledAt), 20_000);
  }, 60_000);

  it('a replica stopped while people are enrolled and deleted converges exactly, with no byte of the deleted left', async () => {
    await doorA.stop();
    const blix = await enrol('Hans Blix', photo('Hans_Blix', 1));
    const erased = await enrol('Erased Person', photo('Abdullah_Gul', 1));
    const [face] = ((await api('GET', `/people/${erased}/faces`)).json as { items: { id: string }[] }).items;
    const crop = (await api('GET', `/people/${erased}/faces/${face!.id}/crop`)).bytes;
    expect(crop.subarray(1, 4).toString()).toBe('PNG');
    expect((await api('DELETE', `/people/${erased}`)).status).toBe(200);
    // Let the authority publish while door-a is away (its session queues the changes).
    await until('door-b to have Blix', () => readGallery(dbOf('door-b')).people.some((p) => p.id === blix), 20_000);

    const from = doorA.lines.length;
    doorA.start();
    await doorA.waitFor((l) => l.msg === 'replication link connected', 60_000, from);
    const expected = readGallery(dbOf('hq'));
    await until('door-a to converge', () => JSON.stringify(readGallery(dbOf('door-a'))) === JSON.stringify(expected), 30_000);
    expect(readGallery(dbOf('door-a')).people.map((p) => p.display_name).sort()).toEqual(['Hans Blix', 'Jacques Chirac']);

    const confirmed = await until(
      'both replicas to confirm the erasure',
      async () => {
        const { items } = (await api('GET', '/replication/erasures')).json as { items: { personId: string; pending: string[]; confirmed: { replicaId: string }[] }[] };
        const erasure = items.find((e) => e.personId === erased);
        return erasure && erasure.pending.length === 0 ? erasure : undefined;
      },
      30_000,
    );
    expect(confirmed.confirmed.map((c) => c.replicaId).sort()).toEqual(['door-a', 'door-b']);
    for (const door of ['door-a', 'door-b']) expect(bytesOnDisk(dbOf(door), crop), door).toBe(false);
    expect(bytesOnDisk(dbOf('door-a'), readCropOf(dbOf('hq'), chirac))).toBe(true); // the scan does see crops
  }, 120_000);

  it('with the bridge cut both sides keep deciding, and the far side catches up once it is back', async () => {
    bridge.sever();
    const cutAt = Date.now();
    await until('grants on both sides of the cut', () => grantsFor('door-a', chirac, cutAt) && grantsFor('door-b', chirac, cutAt), 20_000);
    const during = await enrol('Enrolled During Cut', photo('Adam_Sandler', 1));
    await until('door-a (same broker) to have the new person', () => readGallery(dbOf('door-a')).people.some((p) => p.id === during), 20_000);
    expect(readGallery(dbOf('door-b')).people.some((p) => p.id === during)).toBe(false);
    bridge.restore();
    await until('door-b to catch up after the bridge is back', () => readGallery(dbOf('door-b')).people.some((p) => p.id === during), 30_000);
  }, 90_000);

  it('a change signed with a wrong key is refused and logged, and changes nothing', async () => {
    const forger = AuthoritySigner.fromKey(generateKeyPairSync('ed25519').privateKey);
    const payload = sealChange(
      SiteKeyring.fromObject(JSON.parse(readFileSync(siteKeysFile, 'utf8'))),
      forger,
      { site: 'hq', authorityId: 'hq', personId: 'forged-1', revision: 1, kind: 'person' },
      { displayName: 'Mallory', externalId: null, active: true, faces: [] },
    );
    const from = doorB.lines.length;
    await watchB.publishAsync(topics.person('forged-1'), payload, { qos: 1, retain: true });
    const refusal = await doorB.waitFor((l) => l.msg === 'replicated change refused' && l['personId'] === 'forged-1', 10_000, from);
    expect(refusal['reason']).toBe('bad_signature');
    expect(readGallery(dbOf('door-b')).people.some((p) => p.id === 'forged-1')).toBe(false);
    expect(doorB.lines.some((l) => JSON.stringify(l).includes('Mallory'))).toBe(false);
    await watchB.publishAsync(topics.person('forged-1'), Buffer.alloc(0), { qos: 1, retain: true });
  }, 30_000);

  it('an access policy made on the authority changes a replica decision; a replica refuses a local enrolment', async () => {
    const created = async (path: string, body: unknown) => {
      const response = await api('POST', path, body);
      expect(response.status, JSON.stringify(response.json)).toBe(201);
      return (response.json as { id: string }).id;
    };
    const annex = await created('/access/zones', { name: 'Annex', doorIds: ['annex'] });
    const main = await created('/access/zones', { name: 'Main', doorIds: ['main'] });
    const group = await created('/access/groups', { name: 'Annex staff', grants: [{ zoneId: annex, scheduleId: null }] });
    expect((await api('PUT', `/people/${chirac}/access`, { groupIds: [group], validFrom: null, validUntil: null })).status).toBe(200);
    const settings = (await api('GET', '/access/settings')).json as Record<string, unknown>;
    expect((await api('PUT', '/access/settings', { ...settings, mode: 'enforced' })).status).toBe(200);
    const enforcedAt = Date.now();
    const denied = await until(
      'a door_not_permitted deny at door-b',
      () => decisions.find((d) => d.door === 'door-b' && d.at > enforcedAt && d.message.reason === 'door_not_permitted'),
      20_000,
    );
    expect(denied.message.outcome).toBe('deny');
    console.info(`campus: policy change to deny at door-b across the bridge: ${denied.at - enforcedAt} ms`);

    // Granting the group the main door lets Chirac in again, without a restart anywhere.
    expect((await api('PUT', `/access/groups/${group}`, { name: 'Annex staff', grants: [{ zoneId: annex, scheduleId: null }, { zoneId: main, scheduleId: null }] })).status).toBe(200);
    const grantedAt = Date.now();
    await until('a grant at door-b again', () => grantsFor('door-b', chirac, grantedAt), 20_000);

    // door-a's own API: reads work, a local enrolment or policy edit is refused, naming the authority.
    expect((await doorAApi('GET', `/people/${chirac}`)).status).toBe(200);
    for (const [method, path, body] of [
      ['POST', '/people', { displayName: 'Local Bob' }],
      ['PUT', '/access/settings', { ...settings, mode: 'open' }],
    ] as const) {
      const refused = await doorAApi(method, path, body);
      expect(refused.status).toBe(409);
      expect(refused.json).toMatchObject({ error: { code: 'replica_read_only', details: { authorityId: 'hq' } } });
    }
    expect(readGallery(dbOf('door-a')).people.some((p) => p.display_name === 'Local Bob')).toBe(false);
    expect((await api('PUT', '/access/settings', { ...settings, mode: 'open' })).status).toBe(200);
  }, 90_000);
});

function readCropOf(dbPath: string, personId: string): Buffer {
  const db = new BetterSqlite3(dbPath, { readonly: true });
  try {
    return db.prepare<[string], Buffer>('SELECT aligned_crop FROM faces WHERE person_id = ?').pluck().get(personId)!;
  } finally {
    db.close();
  }
}
