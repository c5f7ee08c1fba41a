// Home Assistant MQTT discovery, as Frigate and Zigbee2MQTT do it: one retained config message
// per entity under `<discoveryPrefix>/<component>/<node>/<object>/config`, all pointing at the
// topics the appliance already publishes, so nothing extra is sent per decision. Per door: a
// binary sensor that is on while the last grant is valid (off after its TTL), and a sensor with
// the last outcome (grant/deny/unknown) and its reason as an attribute; per camera: a sensor with
// its door. Availability is the appliance's retained online/offline topic (its last will).
// Person names are not put in attributes: a home dashboard is not an access log.
import type { Logger } from 'pino';
import type { CameraConfig } from '../../firmware-config/schema.js';
import type { MqttConnection } from './connection.js';
import type { Topics } from './messages.js';

export interface DiscoveryMessage {
  readonly topic: string;
  readonly payload: string;
}

export interface DiscoveryOptions {
  readonly discoveryPrefix: string;
  readonly applianceId: string;
  readonly softwareVersion: string;
  readonly cameras: readonly Pick<CameraConfig, 'id' | 'doorId'>[];
  /** The grant TTL per door, in ms: how long the binary sensor stays on. */
  readonly grantTtlMs: (doorId: string) => number;
}

/** The retained discovery configs for this appliance's doors and cameras. */
export function discoveryMessages(topics: Topics, options: DiscoveryOptions): DiscoveryMessage[] {
  const node = `maskgate_${options.applianceId}`.replace(/[^A-Za-z0-9_-]/g, '_');
  const device = {
    identifiers: [node],
    name: `maskgate ${options.applianceId}`,
    manufacturer: 'maskgate',
    model: 'masked-face access control appliance',
    sw_version: options.softwareVersion,
  };
  const availability = { availability_topic: topics.availability, payload_available: 'online', payload_not_available: 'offline' };
  const config = (component: string, objectId: string, body: Record<string, unknown>): DiscoveryMessage => ({
    topic: `${options.discoveryPrefix}/${component}/${node}/${objectId}/config`,
    payload: JSON.stringify({ ...body, unique_id: `${node}_${objectId}`, object_id: `${node}_${objectId}`, device, ...availability }),
  });
  const doors = [...new Set(options.cameras.map((c) => c.doorId))];
  return [
    ...doors.flatMap((doorId) => [
      config('binary_sensor', `${doorId}_grant`, {
        name: `${doorId} access granted`,
        state_topic: topics.decision(doorId),
        value_template: "{{ 'ON' if value_json.outcome == 'grant' else 'OFF' }}",
        off_delay: Math.max(1, Math.round(options.grantTtlMs(doorId) / 1000)),
        icon: 'mdi:door-open',
      }),
      config('sensor', `${doorId}_decision`, {
        name: `${doorId} last decision`,
        state_topic: topics.decision(doorId),
        value_template: '{{ value_json.outcome }}',
        json_attributes_topic: topics.decision(doorId),
        json_attributes_template: '{{ {"reason": value_json.reason, "decidedAt": value_json.decidedAt, "cameraId": value_json.cameraId} | tojson }}',
        icon: 'mdi:face-recognition',
      }),
    ]),
    ...options.cameras.map((camera) =>
      config('sensor', `${camera.id}_door`, {
        name: `${camera.id} camera door`,
        state_topic: topics.availability,
        value_template: `{{ '${camera.doorId}' if value == 'online' else 'offline' }}`,
        icon: 'mdi:cctv',
        entity_category: 'diagnostic',
      }),
    ),
  ];
}

/** Publishes the discovery configs (retained, QoS 1) every time the connection comes up. */
export function announceToHomeAssistant(connection: MqttConnection, messages: readonly DiscoveryMessage[], logger: Logger): () => void {
  return connection.onStateChange((state) => {
    if (state !== 'connected') return;
    void Promise.all(messages.map((m) => connection.publish(m.topic, m.payload, { qos: 1, retain: true }))).then(
      () => logger.debug({ entities: messages.length }, 'Home Assistant discovery announced'),
      (err: unknown) => logger.warn({ err: (err as Error).message }, 'Home Assistant discovery not announced; retried on reconnect'),
    );
  });
}
