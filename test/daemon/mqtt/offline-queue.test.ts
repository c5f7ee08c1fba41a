// The offline queue against a real Mosquitto: decisions made while the broker is down wait in
// the SQLite outbox and reach the door exactly once, in order, when it returns — also across a
// daemon restart — and those that expired meanwhile go to `…/expired`, never to the door.
//
// The door here does what a real door controller should: it keeps a persistent MQTT 5 session
// (clean start off, a session expiry) with QoS 1 subscriptions, so the broker holds what is
// published while the door itself is away; and the site broker persists sessions to disk, so a
// broker restart keeps them too.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Topics } from '../../../daemon/mqtt/messages.js';
import { type DecisionMessage } from '../../../access/decision-message.js';
import { MqttConnection } from '../../../daemon/mqtt/connection.js';
import { DecisionPublisher } from '../../../daemon/mqtt/decision-publisher.js';
import { openDatabase, type Database } from '../../../store/database.js';
import { OutboxRepository } from '../../../store/outbox-repository.js';
import { ContractValidator, TestBroker, mosquittoAvailable, record, syntheticDecision, waitFor, type Received } from './mqtt-test-kit.js';

const logger = pino({ level: process.env['MG_DEBUG'] ? 'debug' : 'silent' });
const topics = new Topics('maskgate', 'test-appliance');

interface Daemon {
  readonly db: Database;
  readonly connection: MqttConnection;
  readonly publisher: DecisionPublisher;
  stop(): Promise<void>;
}

/** The appliance's MQTT side on the SQLite file at `dbPath`, as `Appliance.start` wires it. */
function startDaemon(dbPath: string, url: string): Daemon {
  const db = openDatabase(dbPath);
  const connection = new MqttConnection(
    { url, protocolVersion: 5, clientId: 'maskgate-test-appliance', keepaliveSeconds: 5, reconnectPeriodMs: 100, stopTimeoutMs: 500 },
    topics,
    logger,
  );
  const publisher = new DecisionPublisher(connection, topics, new OutboxRepository(db, { maxRows: 1000 }), logger, {
    atomically: (fn) => db.transaction(fn)(),
  });
  publisher.start();
  connection.start();
  return {
    db,
    connection,
    publisher,
    async stop() {
      await publisher.stop();
      await connection.stop();
      db.close();
    },
  };
}

async function connectDoor(url: string): Promise<{ door: MqttClient; received: Received[] }> {
  const door = mqtt.connect(url, {
    clientId: 'door-lobby',
    protocolVersion: 5,
    clean: false,
    properties: { sessionExpiryInterval: 3600 },
    reconnectPeriod: 100,
  });
  // Listen before the CONNACK: a resumed session delivers its queued messages right after it.
  const received = record(door);
  await new Promise<void>((resolve, reject) => door.once('connect', () => resolve()).once('error', reject));
  await door.subscribeAsync([topics.decision('lobby'), topics.expired], { qos: 1 });
  return { door, received };
}

const eventIds = (received: Received[], topic: string) =>
  received.filter((m) => m.topic === topic).map((m) => (JSON.parse(m.text) as DecisionMessage).eventId);

describe.skipIf(!mosquittoAvailable)('offline queue (real Mosquitto)', () => {
  let broker: TestBroker;
  let dbPath: string;
  const cleanups: Array<() => Promise<unknown>> = [];
  const contract = new ContractValidator();

  beforeEach(async () => {
    broker = await TestBroker.start({ persistence: true });
    dbPath = join(mkdtempSync(join(tmpdir(), 'mg-outbox-')), 'maskgate.db');
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
    await broker.stop();
  });

  it('delivers every decision exactly once, in order, after a broker outage; expired ones go to …/expired', async () => {
    const daemon = startDaemon(dbPath, broker.url);
    cleanups.push(() => daemon.stop());
    const { door, received } = await connectDoor(broker.url);
    cleanups.push(() => door.endAsync(true));
    await waitFor(() => daemon.connection.brokerState === 'connected', 'the appliance to connect');

    const before = [syntheticDecision(), syntheticDecision()];
    for (const d of before) daemon.publisher.publish(d);
    await waitFor(() => eventIds(received, topics.decision('lobby')).length === 2, 'the decisions made before the outage');

    await broker.stop();
    await waitFor(() => daemon.connection.brokerState === 'disconnected', 'the appliance to notice the outage');
    const soon = new Date(Date.now() + 150).toISOString();
    const expired = [
      syntheticDecision({ expiresAt: soon, outcome: 'deny', reason: 'no_match', personId: null, personName: null }),
      syntheticDecision({ expiresAt: soon }),
    ];
    const valid = [syntheticDecision(), syntheticDecision(), syntheticDecision(), syntheticDecision()];
    const during = [valid[0]!, expired[0]!, valid[1]!, expired[1]!, valid[2]!, valid[3]!];
    for (const d of during) daemon.publisher.publish(d);
    expect(daemon.publisher.depth).toBe(during.length);
    await waitFor(() => Date.now() > Date.parse(soon), 'the short-lived decisions to expire');

    await broker.resume();
    await waitFor(
      () => eventIds(received, topics.decision('lobby')).length >= before.length + valid.length && eventIds(received, topics.expired).length >= expired.length,
      'the queued decisions after the broker came back',
    );
    await waitFor(() => daemon.publisher.depth === 0, 'the outbox to drain');

    expect(eventIds(received, topics.decision('lobby'))).toEqual([...before, ...valid].map((d) => d.eventId));
    expect(eventIds(received, topics.expired)).toEqual(expired.map((d) => d.eventId));
    for (const message of received) contract.check(topics.base, message);
  });

  it('loses nothing when the daemon restarts while the broker is down', async () => {
    const first = startDaemon(dbPath, broker.url);
    const { door, received } = await connectDoor(broker.url);
    cleanups.push(() => door.endAsync(true));
    await waitFor(() => first.connection.brokerState === 'connected', 'the appliance to connect');

    await broker.stop();
    await waitFor(() => first.connection.brokerState === 'disconnected', 'the appliance to notice the outage');
    const beforeRestart = [syntheticDecision(), syntheticDecision(), syntheticDecision()];
    for (const d of beforeRestart) first.publisher.publish(d);
    await first.stop(); // the daemon goes down with three undelivered decisions on disk

    const second = startDaemon(dbPath, broker.url);
    cleanups.push(() => second.stop());
    expect(second.publisher.depth).toBe(3);
    const afterRestart = [syntheticDecision(), syntheticDecision()];
    for (const d of afterRestart) second.publisher.publish(d);

    await broker.resume();
    const all = [...beforeRestart, ...afterRestart];
    await waitFor(() => eventIds(received, topics.decision('lobby')).length >= all.length, 'every decision after the restart');
    await waitFor(() => second.publisher.depth === 0, 'the outbox to drain');
    expect(eventIds(received, topics.decision('lobby'))).toEqual(all.map((d) => d.eventId));
  });

  it('lets the broker drop a decision that expires while the door itself is offline (MQTT 5 message expiry)', async () => {
    const daemon = startDaemon(dbPath, broker.url);
    cleanups.push(() => daemon.stop());
    const first = await connectDoor(broker.url);
    await waitFor(() => daemon.connection.brokerState === 'connected', 'the appliance to connect');
    await first.door.endAsync(); // the door goes offline; its session stays on the broker

    const stale = syntheticDecision({ expiresAt: new Date(Date.now() + 600).toISOString() });
    const fresh = syntheticDecision();
    daemon.publisher.publish(stale);
    daemon.publisher.publish(fresh);
    await waitFor(() => daemon.publisher.depth === 0, 'the broker to take both decisions');
    // Message expiry has a one-second resolution: wait until the stale one is past it for sure.
    const brokerExpiry = Date.now() + 2100;
    await waitFor(() => Date.now() > brokerExpiry, 'the stale decision to expire on the broker', 5000);

    const { door, received } = await connectDoor(broker.url);
    cleanups.push(() => door.endAsync(true));
    await waitFor(() => received.length >= 1, 'the queued decision');
    // Queued messages arrive in order, so a stale delivery would come first.
    expect(eventIds(received, topics.decision('lobby'))).toEqual([fresh.eventId]);
  });
});
