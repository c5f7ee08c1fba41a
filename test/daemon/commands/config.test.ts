// `maskgate config check` and `maskgate config print`, and the config sections this issue added
// (mqtt.tls, metrics, per-door overrides) with the rules JSON Schema alone cannot express.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../firmware-config/load.js';
import { decisionSettings, doorMatching } from '../../../daemon/camera-worker.js';
import { main } from '../../../daemon/main.js';

const REPO = resolve(__dirname, '../../..');
const MODELS = { detector: join(REPO, 'models/blazeface/blazeface_back_256.onnx'), embedder: join(REPO, 'models/fr_feature/fr_feature.onnx') };

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks = { stdout: '', stderr: '' };
  stdout.on('data', (c: Buffer) => (chunks.stdout += c.toString()));
  stderr.on('data', (c: Buffer) => (chunks.stderr += c.toString()));
  const code = await main(argv, { stdin: new PassThrough(), stdout, stderr });
  return { code, ...chunks };
}

function configFile(content: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'mg-config-')), 'config.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('maskgate config check', () => {
  it('accepts a valid file (exit 0)', async () => {
    const file = configFile({ model: MODELS, cameras: [{ id: 'lobby-cam', url: 'rtsp://cam/stream', doorId: 'lobby' }] });
    const result = await cli('config', 'check', file);
    expect(result).toMatchObject({ code: 0, stdout: `${file}: OK (1 camera, broker embedded)\n` });
  });

  it('lists every schema problem at once (exit 1)', async () => {
    const file = configFile({ model: MODELS, mqtt: { keepaliveSeconds: 1, tls: { certFile: '/etc/maskgate/client.crt' } }, colour: 'blue' });
    const { code, stdout } = await cli('config', 'check', file);
    expect(code).toBe(1);
    expect(stdout).toMatch(/problems\n/);
    expect(stdout).toContain('- /mqtt/keepaliveSeconds: must be >= 5');
    expect(stdout).toContain('- (root): unknown key "colour"');
    expect(stdout).toContain('must have property keyFile when property certFile is present');
  });

  it('reports JSON syntax errors and unreadable files as problems too', async () => {
    expect((await cli('config', 'check', configFile('{"mqtt": '))).stdout).toMatch(/1 problem\n {2}- .*not valid JSON/);
    const missing = await cli('config', 'check', '/nonexistent/config.json');
    expect(missing.code).toBe(1);
    expect(missing.stdout).toMatch(/Cannot read config file/);
  });

  it('checks the files the daemon will open: models and TLS material', async () => {
    const file = configFile({
      model: { ...MODELS, embedder: '/nonexistent/model.onnx' },
      mqtt: { url: 'mqtts://broker:8883', tls: { caFile: '/nonexistent/ca.pem' } },
    });
    const { code, stdout } = await cli('config', 'check', file);
    expect(code).toBe(1);
    expect(stdout).toContain('- /model/embedder: no such file /nonexistent/model.onnx');
    expect(stdout).toContain('- /mqtt/tls/caFile: no such file /nonexistent/ca.pem');
  });

  it('warns about harmless oddities without failing', async () => {
    const file = configFile({ model: MODELS, doors: [{ id: 'garage', threshold: 0.5 }], mqtt: { url: 'mqtt://broker:1883', username: 'u', password: 'p' } });
    const { code, stdout } = await cli('config', 'check', file);
    expect(code).toBe(0);
    expect(stdout).toContain('warning: /doors/0: no camera guards door "garage"');
    expect(stdout).toContain('warning: /mqtt/url: the broker password travels unencrypted');
  });

  it('needs exactly one file', async () => {
    expect((await cli('config', 'check')).code).toBe(2);
    expect((await cli('config', 'check', 'a.json', 'b.json')).code).toBe(2);
    expect((await cli('config', 'frobnicate')).stderr).toMatch(/unknown action "frobnicate"/);
  });
});

describe('maskgate config print', () => {
  it('prints the effective config with defaults filled and secrets masked', async () => {
    const file = configFile({ mqtt: { url: 'mqtts://maskgate:hunter2@broker:8883', username: 'maskgate', password: 'hunter2', tls: { caFile: 'ca.pem' } } });
    const { code, stdout } = await cli('config', 'print', '--config', file);
    expect(code).toBe(0);
    expect(stdout).not.toContain('hunter2');
    const printed = JSON.parse(stdout) as Record<string, Record<string, unknown>>;
    expect(printed['mqtt']).toMatchObject({ url: 'mqtts://maskgate:********@broker:8883', password: '********', keepaliveSeconds: 30 });
    expect(printed['mqtt']?.['tls']).toEqual({ caFile: resolve('ca.pem'), rejectUnauthorized: true });
    expect(printed['metrics']).toEqual({ enabled: true, host: '127.0.0.1', port: 9464 });
    expect(printed['doors']).toEqual([]);
  });

  it('prints the built-in defaults without a file', async () => {
    const { code, stdout } = await cli('config', 'print');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ applianceId: 'maskgate-1', mqtt: { url: null }, cameras: [] });
  });
});

describe('config rules beyond the schema', () => {
  const problems = (raw: unknown) => {
    try {
      parseConfig(raw);
      return [];
    } catch (err) {
      return (err as ConfigError).problems;
    }
  };

  it('rejects repeated camera and door ids', () => {
    const camera = { id: 'cam', url: 'rtsp://x', doorId: 'd' };
    expect(problems({ cameras: [camera, camera], doors: [{ id: 'd' }, { id: 'd' }] })).toEqual([
      '/cameras: camera id "cam" is used more than once',
      '/doors: door id "d" is listed more than once',
    ]);
  });

  it('rejects TLS options without a TLS broker URL', () => {
    expect(problems({ mqtt: { url: 'mqtt://broker:1883', tls: { rejectUnauthorized: true } } })).toEqual([
      '/mqtt/tls: TLS options need an mqtts:// (or wss://) mqtt.url',
    ]);
    expect(problems({ mqtt: { url: 'mqtts://broker:8883', tls: { caFile: 'ca.pem' } } })).toEqual([]);
  });
});

describe('per-door overrides', () => {
  const config = parseConfig({
    matching: {
      threshold: 0.42,
      grantTtlMs: 5000,
      calibration: {
        method: 'impostor quantile',
        targetFmr: 0.001,
        galleryTemplates: 10,
        impostorComparisons: 1000,
        genuineComparisons: 100,
        expectedFnmr: null,
        fmrUpperBound95: 0.002,
        modelId: 'm',
        calibratedAt: '2025-01-01T00:00:00Z',
      },
    },
    cameras: [
      { id: 'a', url: 'rtsp://a', doorId: 'vault' },
      { id: 'b', url: 'rtsp://b', doorId: 'vault', threshold: 0.6 },
      { id: 'c', url: 'rtsp://c', doorId: 'lobby' },
    ],
    doors: [{ id: 'vault', threshold: 0.55, grantTtlMs: 9000 }, { id: 'lobby', grantTtlMs: 3000 }],
  });
  const settings = (i: number) => {
    const camera = config.cameras[i]!;
    return decisionSettings(doorMatching(config.matching, config.doors.find((d) => d.id === camera.doorId)), camera);
  };

  it('applies the door threshold and grant expiry; a camera threshold still wins', () => {
    expect(settings(0)).toMatchObject({ threshold: 0.55, grantTtlMs: 9000 });
    expect(settings(1)).toMatchObject({ threshold: 0.6, grantTtlMs: 9000 });
    expect(settings(2)).toMatchObject({ threshold: 0.42, grantTtlMs: 3000 });
  });

  it('claims the calibrated FMR target only for the calibrated threshold', () => {
    expect(settings(0).targetFmr).toBeNull();
    expect(settings(1).targetFmr).toBeNull();
    expect(settings(2).targetFmr).toBe(0.001);
  });
});
