// Home Assistant discovery against a real Mosquitto: the retained configs arrive for each door
// (grant binary sensor, last-decision sensor) and camera, share one device and the appliance's
// availability topic, read the topics the appliance really publishes, and come back after a
// reconnect to a broker that lost them.
import { pino } from 'pino';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MqttConnection } from '../../../daemon/mqtt/connection.js';
import { announceToHomeAssistant, discoveryMessages } from '../../../daemon/mqtt/home-assistant.js';
import { Topics } from '../../../daemon/mqtt/messages.js';
import { MosquittoBroker, mosquittoAvailable } from '../../helpers/mosquitto.js';

const topics = new Topics('maskgate', 'gate-1');
const options = {
  discoveryPrefix: 'homeassistant',
  applianceId: 'gate-1',
  softwareVersion: '0.1.0',
  cameras: [
    { id: 'lobby-cam', doorId: 'lobby' },
    { id: 'lobby-cam-2', doorId: 'lobby' },
    { id: 'yard-cam', doorId: 'yard' },
  ],
  grantTtlMs: (doorId: string) => (doorId === 'yard' ? 12_000 : 5000),
};

describe('Home Assistant discovery messages', () => {
  const messages = discoveryMessages(topics, options);
  const parsed = messages.map((m) => ({ topic: m.topic, config: JSON.parse(m.payload) as Record<string, unknown> }));

  it('announces one grant binary sensor and one decision sensor per door, and a sensor per camera', () => {
    expect(parsed.map((p) => p.topic)).toEqual([
      'homeassistant/binary_sensor/maskgate_gate-1/lobby_grant/config',
      'homeassistant/sensor/maskgate_gate-1/lobby_decision/config',
      'homeassistant/binary_sensor/maskgate_gate-1/yard_grant/config',
      'homeassistant/sensor/maskgate_gate-1/yard_decision/config',
      'homeassistant/sensor/maskgate_gate-1/lobby-cam_door/config',
      'homeassistant/sensor/maskgate_gate-1/lobby-cam-2_door/config',
      'homeassistant/sensor/maskgate_gate-1/yard-cam_door/config',
    ]);
    expect(new Set(parsed.map((p) => p.config['unique_id'])).size).toBe(parsed.length);
  });

  it('reads the real decision and availability topics, and a grant turns off after the door TTL', () => {
    const yard = parsed.find((p) => p.topic.includes('yard_grant'))!.config;
    expect(yard).toMatchObject({ state_topic: topics.decision('yard'), off_delay: 12, availability_topic: topics.availability, payload_available: 'online' });
    expect(parsed.find((p) => p.topic.includes('lobby_grant'))!.config['off_delay']).toBe(5);
    for (const { config } of parsed) expect(config['device']).toMatchObject({ identifiers: ['maskgate_gate-1'], sw_version: '0.1.0' });
  });

  it('puts no person name in any entity', () => {
    for (const m of messages) expect(m.payload).not.toMatch(/personName|personId/);
  });
});

describe.skipIf(!mosquittoAvailable)('Home Assistant discovery on a broker', () => {
  let broker: MosquittoBroker;
  let connection: MqttConnection;

  beforeAll(async () => {
    broker = await MosquittoBroker.start();
    connection = new MqttConnection(
      { url: broker.url, protocolVersion: 5, clientId: 'maskgate-ha-test', keepaliveSeconds: 5, reconnectPeriodMs: 100, stopTimeoutMs: 500 },
      topics,
      pino({ level: 'silent' }),
    );
    announceToHomeAssistant(connection, discoveryMessages(topics, options), pino({ level: 'silent' }));
    connection.start();
  });
  afterAll(async () => {
    await connection?.stop();
    await broker?.stop();
  });

  async function retainedConfigs(): Promise<string[]> {
    const client = await mqtt.connectAsync(broker.url, { clientId: `ha-${Date.now()}` });
    const seen: string[] = [];
    client.on('message', (topic, _payload, packet) => {
      if (packet.retain) seen.push(topic);
    });
    await client.subscribeAsync('homeassistant/#', { qos: 1 });
    await new Promise((r) => setTimeout(r, 300));
    await client.endAsync();
    return seen.sort();
  }

  it('publishes the configs retained once connected, and again after the broker restarts empty', async () => {
    const deadline = Date.now() + 5000;
    while (connection.brokerState !== 'connected' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await retainedConfigs()).toHaveLength(7);
    await broker.stop(); // persistence off: the retained configs are gone
    await broker.resume();
    const back = Date.now() + 5000;
    let seen: string[] = [];
    while (seen.length < 7 && Date.now() < back) seen = await retainedConfigs();
    expect(seen).toHaveLength(7);
  });
});
