// What a reload cannot apply comes from the schema's requiresRestart markers.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../firmware-config/load.js';
import { changesNeedingRestart, restartOnlyPaths } from '../../firmware-config/restart-fields.js';

describe('requiresRestart markers', () => {
  it('mark the sections a running appliance cannot swap: identity, storage, models, MQTT, API, cameras, metrics, replication, Home Assistant, decision search', () => {
    expect(restartOnlyPaths().sort()).toEqual(['/api', '/applianceId', '/cameras', '/capture', '/dataDir', '/homeAssistant', '/metrics', '/model', '/mqtt', '/quality', '/replication', '/search']);
  });

  it('a reload lists exactly the marked fields that changed; matching, doors and logLevel apply live', () => {
    const running = parseConfig({});
    const next = parseConfig({
      logLevel: 'debug',
      matching: { threshold: 0.5 },
      doors: [{ id: 'lobby', grantTtlMs: 8000 }],
      mqtt: { url: 'mqtt://broker:1883' },
      capture: { stallTimeoutMs: 5000 },
    });
    expect(changesNeedingRestart(running, next)).toEqual(['mqtt', 'capture']);
    expect(changesNeedingRestart(running, parseConfig({}))).toEqual([]);
  });

  it('follow a marker on a nested field too', () => {
    const schema = { properties: { a: { properties: { b: { requiresRestart: true }, c: {} } } } };
    expect(restartOnlyPaths(schema)).toEqual(['/a/b']);
    const running = parseConfig({});
    expect(changesNeedingRestart(running, { ...running, model: { ...running.model, intraOpThreads: 4 } }, ['/model/intraOpThreads'])).toEqual(['model/intraOpThreads']);
  });
});
