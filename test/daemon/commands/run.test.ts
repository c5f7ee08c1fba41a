// `maskgate run` as systemd runs it, a child process: every example config in the README and
// docs passes `config check` and starts; a config `config check` refuses, `run` refuses with the
// same words; and a start-up failure after the broker connection exits non-zero, promptly, with
// one error line and a retained `offline`, instead of hanging half-started (issue #11).
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../daemon/main.js';
import { ffmpegAvailable } from '../../fixtures/video/capture-fixtures.js';
import { documentedConfigs } from '../../helpers/documented-configs.js';
import { cliBuilt, MaskgateProcess } from '../../helpers/maskgate-process.js';
import { MosquittoBroker, mosquittoAvailable } from '../../helpers/mosquitto.js';

const FATAL = 60;

async function cli(...argv: string[]): Promise<{ code: number; stdout: string }> {
  const stdout = new PassThrough();
  let text = '';
  stdout.on('data', (c: Buffer) => (text += c.toString()));
  const code = await main(argv, { stdin: new PassThrough(), stdout, stderr: new PassThrough() });
  return { code, stdout: text };
}

/** A self-signed certificate and key, standing in for the documented /etc/maskgate PEM files. */
function pemFiles(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'test.crt');
  const key = join(dir, 'test.key');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=localhost', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert, key };
}

/**
 * The example as this machine can run it: its own data directory, free ports for API and
 * metrics, test PEM files for the documented /etc/maskgate ones. Cameras and broker URLs stay
 * as documented (unreachable here: the appliance must start and keep retrying).
 */
function adapt(raw: Record<string, unknown>, dir: string, pem: { cert: string; key: string }): Record<string, unknown> {
  const text = JSON.stringify(raw).replace(/\/etc\/maskgate\/[^"]+\.(?:pem|crt)/g, pem.cert).replace(/\/etc\/maskgate\/[^"]+\.key/g, pem.key);
  const config = JSON.parse(text) as Record<string, Record<string, unknown>>;
  return {
    ...config,
    dataDir: join(dir, 'data'),
    api: { ...config['api'], host: '127.0.0.1', port: 0 },
    metrics: { ...config['metrics'], host: '127.0.0.1', port: 0 },
    mqtt: { ...config['mqtt'], embeddedPort: 0 },
  };
}

const started = (line: { msg: string }) => line.msg === 'appliance started';

describe.skipIf(!cliBuilt || !ffmpegAvailable)('maskgate run on the documented configs (child process)', () => {
  const examples = documentedConfigs();

  it('finds the examples (README camera block, install guide, API and metrics sections)', () => {
    expect(examples.map((e) => e.where)).toEqual(expect.arrayContaining([expect.stringMatching(/^README\.md/), expect.stringMatching(/^docs\/install\.md/)]));
    expect(examples.some((e) => JSON.stringify(e.raw).includes('rtsp://'))).toBe(true);
  });

  it.each(examples.map((e) => [e.where, e.raw] as const))('%s: config check says OK and run starts and stops cleanly', async (_where, raw) => {
    const dir = mkdtempSync(join(tmpdir(), 'mg-example-'));
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify(adapt(raw, dir, pemFiles(dir))));
    const check = await cli('config', 'check', file);
    expect(check.stdout).toContain(': OK');
    expect(check.code).toBe(0);

    const run = new MaskgateProcess(['run', '--config', file]);
    try {
      await run.waitForLog(started, 'appliance started');
      expect(run.logs.filter((l) => l.level >= FATAL)).toEqual([]);
      expect(await run.stop()).toMatchObject({ code: 0 });
    } finally {
      run.kill();
    }
  }, 60_000);

  it("refuses the field report's config (realtime on an RTSP camera) in config check and run with the same message", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mg-refused-'));
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ dataDir: dir, cameras: [{ id: 'lobby-cam', url: 'rtsp://user:pass@10.0.0.12/stream1', doorId: 'lobby', realtime: true }] }));
    const check = await cli('config', 'check', file);
    expect(check.code).toBe(1);
    const problem = 'Capture source "lobby-cam": realtime applies to file and lavfi sources only (live inputs are already real time)';
    expect(check.stdout).toContain(`/cameras/0: ${problem}`);

    const run = new MaskgateProcess(['run', '--config', file]);
    const exit = await run.exited;
    expect(exit.code).toBe(1);
    expect(run.lines.join('\n')).toContain(`/cameras/0: ${problem}`);
    expect(run.lines.join('\n')).not.toContain('pass@');
  }, 30_000);
});

describe.skipIf(!cliBuilt || !mosquittoAvailable)('a failed start-up is all or nothing (child process, Mosquitto)', () => {
  let broker: MosquittoBroker;
  let dir: string;
  const availability = 'maskgate/maskgate-1/availability';

  beforeAll(async () => {
    broker = await MosquittoBroker.start();
    dir = mkdtempSync(join(tmpdir(), 'mg-startup-'));
  });
  afterAll(async () => {
    await broker?.stop();
  });

  /** A stale `online` (a previous run's) that the failed start must replace. */
  async function seedOnline(): Promise<void> {
    const client = await mqtt.connectAsync(broker.url);
    await client.publishAsync(availability, 'online', { qos: 1, retain: true });
    await client.endAsync();
  }

  async function retainedAvailability(): Promise<string> {
    const client = await mqtt.connectAsync(broker.url);
    try {
      const payload = new Promise<string>((resolveMessage) => client.on('message', (_t, p) => resolveMessage(p.toString())));
      await client.subscribeAsync(availability, { qos: 1 });
      return await payload;
    } finally {
      await client.endAsync();
    }
  }

  async function expectFailedStart(config: Record<string, unknown>, env: NodeJS.ProcessEnv, expected: RegExp): Promise<void> {
    await seedOnline();
    const file = join(dir, `config-${Date.now()}.json`);
    writeFileSync(file, JSON.stringify({ dataDir: join(dir, 'data'), mqtt: { url: broker.url, reconnectPeriodMs: 200 }, metrics: { port: 0 }, ...config }));
    const run = new MaskgateProcess(['run', '--config', file], env);
    try {
      const loaded = await run.waitForLog((l) => l.msg === 'models loaded', 'models loaded');
      const exit = await run.exited;
      expect(exit.code).toBe(1);
      // Models loaded is the slow part of a start; from there the failure must end the process fast.
      expect(exit.at - Date.parse(loaded['time'] as string)).toBeLessThan(5000);
      const errors = run.logs.filter((l) => l.level >= 50);
      expect(errors).toHaveLength(1);
      expect(errors[0]!.msg).toMatch(/^start-up failed: /);
      expect(errors[0]!.msg).toMatch(expected);
      expect(run.logs.some(started)).toBe(false);
      expect(await retainedAvailability()).toBe('offline');
    } finally {
      run.kill();
    }
  }

  it.skipIf(!ffmpegAvailable)('a camera whose ffmpeg cannot run: exit 1, one error line naming the camera, retained offline', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'mg-broken-ffmpeg-'));
    writeFileSync(join(bin, 'ffmpeg'), '#!/bin/sh\necho "ffmpeg: error while loading shared libraries: libavdevice.so.60" >&2\nexit 127\n');
    chmodSync(join(bin, 'ffmpeg'), 0o755);
    await expectFailedStart(
      { api: { port: 0 }, cameras: [{ id: 'lobby-cam', url: 'rtsp://127.0.0.1:9/stream1', doorId: 'lobby' }] },
      { ...process.env, PATH: bin },
      /Capture source "lobby-cam": cannot run "ffmpeg" -version.*\[spawn_failed\]/,
    );
  }, 60_000);

  it('an enrolment API port already taken: exit 1, one error line, retained offline', async () => {
    const busy: Server = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as { port: number }).port;
    try {
      await expectFailedStart({ api: { port } }, process.env, /EADDRINUSE/);
    } finally {
      busy.close();
    }
  }, 60_000);
});
