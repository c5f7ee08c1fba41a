// The MQTT contract of docs/mqtt.md against a real Mosquitto (MQTT 5): availability and last
// will, decisions (QoS 1, not retained, with an MQTT 5 expiry), request/response with every
// kind of bad request, and TLS with a password. Every message a test client receives is
// validated against the published JSON Schema in docs/schemas/.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { pino, type Logger } from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../firmware-config/load.js';
import { Topics, type ResponseMessage } from '../../../daemon/mqtt/messages.js';
import { MqttConnection, type MqttConnectionOptions } from '../../../daemon/mqtt/connection.js';
import { DecisionPublisher } from '../../../daemon/mqtt/decision-publisher.js';
import { RequestServer } from '../../../daemon/mqtt/request-server.js';
import { readTlsMaterial } from '../../../daemon/mqtt/tls-material.js';
import { createRequestDispatcher } from '../../../daemon/requests/index.js';
import { LastDecisions } from '../../../daemon/requests/last-decision.js';
import { summarizeStatus } from '../../../daemon/requests/status.js';
import { openDatabase } from '../../../store/database.js';
import { OutboxRepository } from '../../../store/outbox-repository.js';
import {
  ContractValidator,
  TcpProxy,
  TestBroker,
  makeCertificates,
  mosquittoAvailable,
  opensslAvailable,
  record,
  syntheticDecision,
  waitFor,
  type Received,
} from './mqtt-test-kit.js';

const topics = new Topics('site-a/maskgate', 'lobby-01');
const contract = new ContractValidator();
const silent = pino({ level: 'silent' });

/** The appliance's MQTT side with the real request handlers, on a throwaway database. */
function startMqttSide(url: string, extra: Partial<MqttConnectionOptions> = {}, logger: Logger = silent) {
  const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'mg-contract-')), 'maskgate.db'));
  const connection = new MqttConnection(
    { url, protocolVersion: 5, clientId: `maskgate-${randomUUID()}`, keepaliveSeconds: 5, reconnectPeriodMs: 100, stopTimeoutMs: 500, ...extra },
    topics,
    logger,
  );
  const publisher = new DecisionPublisher(connection, topics, new OutboxRepository(db, { maxRows: 100 }), logger, {
    atomically: (fn) => db.transaction(fn)(),
  });
  const lastDecisions = new LastDecisions();
  const matching = parseConfig({}).matching;
  let reloads = 0;
  const dispatcher = createRequestDispatcher(
    {
      lastDecisions,
      status: () =>
        summarizeStatus(
          {
            applianceId: 'lobby-01',
            startedAt: Date.now() - 5000,
            modelId: 'test-model',
            galleryTemplates: 3,
            cameras: [],
            broker: { state: connection.brokerState, url: connection.redactedUrl, embedded: false },
            outboxDepth: publisher.depth,
            matching,
          },
          Date.now(),
        ),
      reloadConfig: () => {
        reloads++;
        return ['mqtt'];
      },
    },
    logger,
  );
  const requests = new RequestServer(connection, topics, dispatcher, logger);
  publisher.start();
  requests.start();
  connection.start();
  return {
    connection,
    publisher,
    reloads: () => reloads,
    decide(overrides: Parameters<typeof syntheticDecision>[0] = {}) {
      const decision = syntheticDecision({ applianceId: 'lobby-01', ...overrides });
      lastDecisions.record(decision);
      publisher.publish(decision);
      return decision;
    },
    async stop() {
      await publisher.stop();
      await requests.stop();
      await connection.stop();
      db.close();
    },
  };
}

type MqttSide = ReturnType<typeof startMqttSide>;

/** A client that checks every message it gets against the published schemas. */
async function watcher(url: string, filters: string[], options: mqtt.IClientOptions = {}): Promise<{ client: MqttClient; received: Received[] }> {
  const client = mqtt.connect(url, { protocolVersion: 5, reconnectPeriod: 0, ...options });
  const received = record(client);
  client.on('message', (topic, payload, packet) => contract.check(topics.base, { topic, text: payload.toString(), retain: packet.retain, qos: packet.qos }));
  await new Promise<void>((resolve, reject) => client.once('connect', () => resolve()).once('error', reject));
  await client.subscribeAsync(filters, { qos: 1 });
  return { client, received };
}

async function request(client: MqttClient, received: Received[], name: string, payload: string | Buffer): Promise<ResponseMessage> {
  const before = received.length;
  await client.publishAsync(topics.request(name), payload, { qos: 1 });
  await waitFor(() => received.slice(before).some((m) => m.topic === topics.response(name)), `a response on response/${name}`);
  return JSON.parse(received.slice(before).find((m) => m.topic === topics.response(name))!.text) as ResponseMessage;
}

describe.skipIf(!mosquittoAvailable)('MQTT contract (real Mosquitto, MQTT 5)', () => {
  let broker: TestBroker;
  const cleanups: Array<() => Promise<unknown> | void> = [];
  const later = <T extends { stop(): Promise<void> } | MqttClient>(thing: T): T => {
    cleanups.push(() => ('endAsync' in thing ? thing.endAsync(true) : thing.stop()));
    return thing;
  };

  beforeAll(async () => {
    broker = await TestBroker.start();
    return () => broker.stop();
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('publishes a retained "online" when connected and a retained "offline" when stopped cleanly', async () => {
    const side = startMqttSide(broker.url);
    await waitFor(() => side.connection.brokerState === 'connected', 'connect');
    const first = await watcher(broker.url, [topics.availability]);
    later(first.client);
    await waitFor(() => first.received.length === 1, 'the retained availability');
    expect(first.received[0]).toMatchObject({ text: 'online', retain: true });

    await side.stop();
    const after = await watcher(broker.url, [topics.availability]);
    later(after.client);
    await waitFor(() => after.received.length === 1, 'the retained availability after stop');
    expect(after.received[0]).toMatchObject({ text: 'offline', retain: true });
  });

  it('has the broker publish the retained last will "offline" when the connection dies abruptly', async () => {
    const proxy = await TcpProxy.start(broker.port);
    const side = later(startMqttSide(proxy.url));
    await waitFor(() => side.connection.brokerState === 'connected', 'connect through the proxy');
    const live = await watcher(broker.url, [topics.availability]);
    later(live.client);
    await waitFor(() => live.received.some((m) => m.text === 'online'), 'online');

    proxy.cut(); // no DISCONNECT: the broker must fire the will
    await waitFor(() => live.received.some((m) => m.text === 'offline'), 'the last will');
    const late = await watcher(broker.url, [topics.availability]);
    later(late.client);
    await waitFor(() => late.received.length === 1, 'the retained will');
    expect(late.received[0]).toMatchObject({ text: 'offline', retain: true });
    expect(side.connection.brokerState).toBe('disconnected');
  });

  it('publishes decisions per door with QoS 1, not retained, with an MQTT 5 expiry matching expiresAt', async () => {
    const side = later(startMqttSide(broker.url));
    const door = await watcher(broker.url, [topics.decision('lobby')]);
    later(door.client);
    await waitFor(() => side.connection.brokerState === 'connected', 'connect');
    const decision = side.decide({ expiresAt: new Date(Date.now() + 5000).toISOString() });
    await waitFor(() => door.received.length === 1, 'the decision');
    const got = door.received[0]!;
    expect(JSON.parse(got.text)).toEqual(decision);
    expect(got).toMatchObject({ topic: 'site-a/maskgate/lobby-01/door/lobby/decision', retain: false, qos: 1 });
    expect(got.messageExpiryInterval).toBeGreaterThanOrEqual(1);
    expect(got.messageExpiryInterval).toBeLessThanOrEqual(5);

    const late = await watcher(broker.url, [topics.decision('lobby')]);
    later(late.client);
    const marker = side.decide({ doorId: 'lobby' });
    await waitFor(() => late.received.length === 1, 'the next decision');
    expect(JSON.parse(late.received[0]!.text).eventId).toBe(marker.eventId); // the first one was not retained
  });

  it('abandons a publish whose PUBACK never came instead of letting mqtt.js resend it behind the outbox', async () => {
    const proxy = await TcpProxy.start(broker.port);
    cleanups.push(() => proxy.cut());
    const side = later(startMqttSide(proxy.url));
    const observer = { client: await mqtt.connectAsync(broker.url, { protocolVersion: 5 }), received: [] as Received[] };
    observer.received = record(observer.client);
    await observer.client.subscribeAsync('probe/#', { qos: 1 });
    later(observer.client);
    await waitFor(() => side.connection.brokerState === 'connected', 'connect through the proxy');

    proxy.hold(); // the broker gets the message, its PUBACK is lost
    const publishing = side.connection.publish('probe/1', 'once', { qos: 1, retain: false });
    await waitFor(() => observer.received.length === 1, 'the broker to forward the probe');
    proxy.drop();
    await expect(publishing).rejects.toThrow();
    await waitFor(() => side.connection.brokerState === 'connected', 'the reconnect');
    await side.connection.publish('probe/2', 'after', { qos: 1, retain: false });
    await waitFor(() => observer.received.length >= 2, 'the next probe');
    expect(observer.received.map((m) => m.text)).toEqual(['once', 'after']);
  });

  describe('request / response', () => {
    let side: MqttSide;
    let client: MqttClient;
    let received: Received[];

    beforeAll(async () => {
      side = startMqttSide(broker.url);
      ({ client, received } = await watcher(broker.url, [`${topics.base}/response/+`]));
      await waitFor(() => side.connection.brokerState === 'connected', 'connect');
      return async () => {
        await client.endAsync(true);
        await side.stop();
      };
    });

    it('answers status with the summary, echoing the transaction', async () => {
      const response = await request(client, received, 'status', JSON.stringify({ transaction: 'tx-status' }));
      expect(response).toMatchObject({ status: 'ok', error: null, transaction: 'tx-status' });
      expect(response.data).toMatchObject({ applianceId: 'lobby-01', modelId: 'test-model', broker: { state: 'connected', embedded: false }, outbox: { depth: 0 } });
    });

    it('answers last-decision with the unexpired decision for the door, else null', async () => {
      const decision = side.decide({ doorId: 'side-door', expiresAt: new Date(Date.now() + 30_000).toISOString() });
      const found = await request(client, received, 'last-decision', JSON.stringify({ transaction: 't1', doorId: 'side-door' }));
      expect(found).toEqual({ status: 'ok', data: decision, error: null, transaction: 't1' });

      const shortLived = side.decide({ doorId: 'back-door', expiresAt: new Date(Date.now() + 100).toISOString() });
      await waitFor(() => Date.now() > Date.parse(shortLived.expiresAt), 'the back-door decision to expire');
      const expired = await request(client, received, 'last-decision', JSON.stringify({ transaction: 't2', doorId: 'back-door' }));
      expect(expired).toEqual({ status: 'ok', data: null, error: null, transaction: 't2' });
      const none = await request(client, received, 'last-decision', JSON.stringify({ transaction: 't3', doorId: 'no-such-door' }));
      expect(none.data).toBeNull();
    });

    it('answers reload-config with the sections that need a restart', async () => {
      const before = side.reloads();
      const response = await request(client, received, 'reload-config', JSON.stringify({ transaction: 'r1' }));
      expect(response).toEqual({ status: 'ok', data: { restartNeeded: ['mqtt'] }, error: null, transaction: 'r1' });
      expect(side.reloads()).toBe(before + 1);
    });

    it.each([
      ['not JSON', 'status', 'not json at all', 'invalid_json', null],
      ['not an object', 'status', '[1,2,3]', 'invalid_request', null],
      ['no transaction', 'status', JSON.stringify({ doorId: 'x' }), 'invalid_transaction', null],
      ['a numeric transaction', 'status', JSON.stringify({ transaction: 42 }), 'invalid_transaction', null],
      ['a wrong parameter type', 'last-decision', JSON.stringify({ transaction: 'bad-1', doorId: 5 }), 'invalid_request', 'bad-1'],
      ['a missing parameter', 'last-decision', JSON.stringify({ transaction: 'bad-2' }), 'invalid_request', 'bad-2'],
      ['an unknown key', 'status', JSON.stringify({ transaction: 'bad-3', extra: true }), 'invalid_request', 'bad-3'],
      ['an unknown request name', 'open-the-door', JSON.stringify({ transaction: 'bad-4' }), 'unknown_request', 'bad-4'],
      ['a 70 KiB payload', 'status', Buffer.alloc(70 * 1024, 0x20), 'payload_too_large', null],
    ] as const)('answers a request with %s with an error response', async (_what, name, payload, code, transaction) => {
      const response = await request(client, received, name, payload);
      expect(response).toMatchObject({ status: 'error', data: null, error: { code }, transaction });
      expect(response.error?.message.length).toBeGreaterThan(10);
    });

  });

  it('ignores a retained request, which would otherwise run again on every reconnect', async () => {
    const proxy = await TcpProxy.start(broker.port);
    cleanups.push(() => proxy.cut());
    const side = later(startMqttSide(proxy.url));
    const { client, received } = await watcher(broker.url, [`${topics.base}/response/+`]);
    later(client);
    cleanups.push(() => void client.publish(topics.request('reload-config'), '', { qos: 1, retain: true })); // clear it
    await waitFor(() => side.connection.brokerState === 'connected', 'connect through the proxy');

    const states: string[] = [];
    side.connection.onStateChange((state) => states.push(state));
    // Live delivery clears the retain flag, so the request runs once…
    await client.publishAsync(topics.request('reload-config'), JSON.stringify({ transaction: 'retained' }), { qos: 1, retain: true });
    await waitFor(() => side.reloads() === 1, 'the live request');
    // …while the replay that follows a reconnect's fresh subscription is ignored.
    proxy.drop();
    await waitFor(() => states.join() === 'disconnected,connected', 'the reconnect');
    await request(client, received, 'status', JSON.stringify({ transaction: 'after-replay' }));
    expect(side.reloads()).toBe(1);
  });

  describe.skipIf(!opensslAvailable)('mqtts:// with a CA file and a password', () => {
    let tlsBroker: TestBroker;
    let certificates: ReturnType<typeof makeCertificates>;

    beforeAll(async () => {
      certificates = makeCertificates();
      tlsBroker = await TestBroker.start({ tls: certificates, users: { maskgate: 's3cret' } });
      return () => tlsBroker.stop();
    });

    it('connects with TLS verified against the configured CA, and delivers', async () => {
      const side = later(
        startMqttSide(tlsBroker.url, {
          username: 'maskgate',
          password: 's3cret',
          tls: readTlsMaterial({ caFile: certificates.caFile, rejectUnauthorized: true }),
        }),
      );
      await waitFor(() => side.connection.brokerState === 'connected', 'the TLS connection');
      const door = await watcher(tlsBroker.url, [topics.decision('lobby')], { ca: [readFileSync(certificates.caFile)], username: 'maskgate', password: 's3cret' });
      later(door.client);
      const decision = side.decide();
      await waitFor(() => door.received.length === 1, 'the decision over TLS');
      expect(JSON.parse(door.received[0]!.text).eventId).toBe(decision.eventId);
    });

    it.each([
      ['an unknown CA', { tls: { rejectUnauthorized: true }, username: 'maskgate', password: 's3cret' }, /self[- ]signed|unable to verify|certificate/i],
      ['a wrong password', { username: 'maskgate', password: 'wrong' }, /not authori[sz]ed|bad user name or password/i],
    ] as const)('stays disconnected and says why with %s', async (_what, extra, why) => {
      const lines: Array<{ msg: string; err?: string }> = [];
      const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(JSON.parse(line) as { msg: string; err?: string }) });
      const options: Partial<MqttConnectionOptions> = {
        ...extra,
        tls: 'tls' in extra ? extra.tls : readTlsMaterial({ caFile: certificates.caFile, rejectUnauthorized: true }),
      };
      const side = later(startMqttSide(tlsBroker.url, options, logger));
      await waitFor(() => lines.some((l) => l.msg === 'MQTT client error'), 'the connection error');
      expect(lines.find((l) => l.msg === 'MQTT client error')?.err).toMatch(why);
      expect(side.connection.brokerState).not.toBe('connected');
      expect(JSON.stringify(lines)).not.toContain('s3cret');
    });
  });
});
