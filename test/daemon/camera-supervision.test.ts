// Camera supervision in the running appliance (issue #11): a looping file camera whose ffmpeg
// dies is restarted with back-off instead of staying stopped, and while it is down every place
// an operator looks says so — a warn line per state change, /readyz 503 `degraded` naming the
// camera, the per-camera Prometheus gauges and the retained MQTT camera status.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Appliance } from '../../daemon/appliance.js';
import type { CameraStatusMessage } from '../../daemon/mqtt/messages.js';
import { configFromObject } from '../../firmware-config/load.js';
import { ffmpegAvailable, generateVideo, waitUntil } from '../fixtures/video/capture-fixtures.js';

const REAL_FFMPEG = ffmpegAvailable ? execFileSync('sh', ['-c', 'command -v ffmpeg'], { encoding: 'utf8' }).trim() : '';

/**
 * An ffmpeg that crashes: its first two runs deliver 8 frames and die with an error, later runs
 * are the real ffmpeg. Installed first on PATH, so the appliance finds it as `ffmpeg`.
 */
function installDyingFfmpeg(dir: string): string {
  const counter = join(dir, 'runs');
  writeFileSync(
    join(dir, 'ffmpeg'),
    [
      '#!/bin/bash',
      `case " $* " in *" -version "*) exec "${REAL_FFMPEG}" "$@";; esac`,
      `runs=$(cat ${counter} 2>/dev/null || echo 0); echo $((runs + 1)) > ${counter}`,
      'if [ "$runs" -lt 2 ]; then',
      '  out="${@: -1}"; set -- "${@:1:$(($# - 1))}" -frames:v 8 "$out"',
      `  "${REAL_FFMPEG}" "$@"; echo "fake camera: decoder crashed" >&2; exit 1`,
      'fi',
      `exec "${REAL_FFMPEG}" "$@"`,
      '',
    ].join('\n'),
  );
  chmodSync(join(dir, 'ffmpeg'), 0o755);
  return counter;
}

describe.skipIf(!ffmpegAvailable)('camera supervision (looping file camera, ffmpeg that dies)', () => {
  const logs: Array<{ level: number; msg: string; camera?: string; state?: string; cause?: string }> = [];
  const statuses: CameraStatusMessage[] = [];
  const seen = { degraded: null as unknown, upGauge: null as number | null };
  let appliance: Appliance;
  let client: mqtt.MqttClient;
  let counter: string;
  const path = process.env['PATH'];

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mg-supervision-'));
    const clip = join(dir, 'door.mp4');
    generateVideo(clip, { width: 160, height: 120, rate: 10, seconds: 3 });
    counter = installDyingFfmpeg(dir);
    process.env['PATH'] = `${dir}:${path ?? ''}`;
    const config = configFromObject({
      dataDir: join(dir, 'data'),
      mqtt: { url: null, embeddedPort: 0 },
      api: { port: 0 },
      metrics: { port: 0 },
      // A wait long enough to look at the camera while it is down.
      capture: { reconnectInitialDelayMs: 1500, reconnectMaxDelayMs: 3000 },
      cameras: [{ id: 'yard-cam', url: clip, doorId: 'yard', loop: true, fps: 5, width: 160, height: 120 }],
    });
    const logger = pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line) as (typeof logs)[number]) });
    appliance = await Appliance.create(config, logger);
    await appliance.start();
    client = await mqtt.connectAsync(appliance.brokerUrl!);
    client.on('message', (_topic, payload) => statuses.push(JSON.parse(payload.toString()) as CameraStatusMessage));
    await client.subscribeAsync(appliance.topics.cameraStatus('+'), { qos: 1 });

    const worker = appliance.cameras[0]!;
    await waitUntil(() => worker.health.state === 'reconnecting', 'the first crash', 30_000);
    const readyz = await fetch(`${appliance.apiUrl}/readyz`);
    seen.degraded = { status: readyz.status, body: await readyz.json() };
    const metrics = await (await fetch(appliance.metricsUrl!)).text();
    seen.upGauge = Number(/^maskgate_camera_up\{camera="yard-cam"\} (\S+)$/m.exec(metrics)?.[1]);
    // Two crashes, then the real ffmpeg keeps running.
    await waitUntil(() => worker.health.restarts === 2 && worker.health.state === 'running', 'recovery after two crashes', 30_000);
  }, 120_000);

  afterAll(async () => {
    process.env['PATH'] = path;
    await client?.endAsync();
    await appliance?.stop();
  });

  it('restarts the dead camera (file sources included) until it runs again', () => {
    expect(readFileSync(counter, 'utf8').trim()).toBe('3');
    expect(appliance.cameras[0]!.health).toMatchObject({ state: 'running', up: true, restarts: 2, lastError: null });
    // The status request (MQTT `status`, the console's Health page) counts them too.
    expect(appliance.status().cameras[0]).toMatchObject({ id: 'yard-cam', captureState: 'running', restarts: 2 });
  });

  it('logs every state change at warn level, with the cause', () => {
    const changes = logs.filter((l) => l.camera === 'yard-cam' && l.level === 40 && l.msg.startsWith('camera yard-cam '));
    expect(changes.map((l) => l.msg.replace('camera yard-cam ', ''))).toEqual([
      'stopped -> starting',
      'starting -> running',
      'running -> reconnecting',
      'reconnecting -> running',
      'running -> reconnecting',
      'reconnecting -> running',
    ]);
    expect(changes.filter((l) => l.state === 'reconnecting').map((l) => l.cause)).toEqual(['process_failed', 'process_failed']);
  });

  it('reports the camera on /readyz (503 degraded, with its id) and in the up gauge while it is down', async () => {
    expect(seen.degraded).toMatchObject({
      status: 503,
      body: { error: { code: 'degraded', details: { cameras: [{ cameraId: 'yard-cam', doorId: 'yard', state: 'reconnecting' }] } } },
    });
    expect(seen.upGauge).toBe(0);
    const after = await fetch(`${appliance.apiUrl}/readyz`);
    expect(after.status).toBe(200);
    const metrics = await (await fetch(appliance.metricsUrl!)).text();
    expect(metrics).toMatch(/^maskgate_camera_up\{camera="yard-cam"\} 1$/m);
    expect(metrics).toMatch(/^maskgate_camera_restarts_total\{camera="yard-cam"\} 2$/m);
    expect(metrics).toMatch(/^maskgate_camera_last_frame_age_seconds\{camera="yard-cam"\} \d/m);
  });

  it('publishes the retained camera status on every change, running again at the end', async () => {
    await waitUntil(() => statuses.at(-1)?.state === 'running' && statuses.at(-1)?.restarts === 2, 'the last status', 10_000);
    const states = statuses.map((s) => s.state).filter((s, i, all) => i === 0 || s !== all[i - 1]);
    expect(states.slice(-4)).toEqual(['reconnecting', 'running', 'reconnecting', 'running']);
    expect(statuses.find((s) => s.state === 'reconnecting')).toMatchObject({ cameraId: 'yard-cam', doorId: 'yard', up: false, error: 'process_failed' });
  });
});
