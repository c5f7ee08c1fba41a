// The notify/watchdog path against a fake NOTIFY_SOCKET: a unix datagram socket bound by a small
// Python process that reports every datagram it receives, as systemd would see them.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { parseConfig } from '../../firmware-config/load.js';
import { CameraWorker } from '../../daemon/camera-worker.js';
import { runCommand } from '../../daemon/commands/run.js';
import type { FaceAnalyzer } from '../../pipeline/face-analyzer.js';
import type { FrameSource } from '../../pipeline/capture/index.js';
import { SystemdNotifier, WatchdogFeeder, superviseWithSystemd } from '../../daemon/systemd-notify.js';

const tools = spawnSync('sh', ['-c', 'command -v python3 && command -v systemd-notify'], { encoding: 'utf8' }).status === 0;

const FAKE_SYSTEMD = `
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print(json.dumps({"bound": True}), flush=True)
while True:
    # Reading without ancillary buffers also closes the barrier fd systemd-notify passes along.
    print(json.dumps({"datagram": s.recv(65536).decode("utf-8", "replace")}), flush=True)
`;

/** A stand-in for systemd's notification socket. */
class FakeNotifySocket {
  readonly messages: string[] = [];
  private waiters: Array<() => void> = [];
  private constructor(
    readonly path: string,
    private readonly child: ChildProcess,
  ) {}

  static async start(): Promise<FakeNotifySocket> {
    const path = join(mkdtempSync(join(tmpdir(), 'mg-notify-')), 'notify.sock');
    const child = spawn('python3', ['-c', FAKE_SYSTEMD, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    const socket = new FakeNotifySocket(path, child);
    const lines = createInterface({ input: child.stdout });
    await new Promise<void>((resolveBound, reject) => {
      child.once('error', reject);
      lines.on('line', (line) => {
        const event = JSON.parse(line) as { bound?: true; datagram?: string };
        if (event.bound) resolveBound();
        // The barrier is systemd-notify's handshake, not a notification.
        if (event.datagram !== undefined && event.datagram !== 'BARRIER=1') {
          socket.messages.push(event.datagram);
          for (const wake of socket.waiters.splice(0)) wake();
        }
      });
    });
    return socket;
  }

  /** Resolves with the first message (from index `from`) that satisfies `match`. */
  async next(match: (message: string) => boolean, from = 0, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.slice(from).find(match);
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`no matching notification; got ${JSON.stringify(this.messages)}`);
      await new Promise<void>((wake) => {
        this.waiters.push(wake);
        setTimeout(wake, 100);
      });
    }
  }

  close(): void {
    this.child.kill();
  }
}

function captureLogger() {
  const lines: Array<Record<string, unknown> & { msg: string }> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line) as { msg: string }) });
  return { logger, lines };
}

describe('SystemdNotifier.fromEnvironment', () => {
  const { logger } = captureLogger();

  it('is absent outside systemd (no NOTIFY_SOCKET)', () => {
    expect(SystemdNotifier.fromEnvironment({}, 42, logger)).toBeNull();
  });

  it('pings at half the watchdog timeout systemd announces, for the main process only', () => {
    expect(SystemdNotifier.fromEnvironment({ NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '30000000' }, 42, logger)?.watchdogMs).toBe(30_000);
    expect(SystemdNotifier.fromEnvironment({ NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '30000000', WATCHDOG_PID: '42' }, 42, logger)?.watchdogMs).toBe(30_000);
    expect(SystemdNotifier.fromEnvironment({ NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '30000000', WATCHDOG_PID: '7' }, 42, logger)?.watchdogMs).toBeNull();
    expect(SystemdNotifier.fromEnvironment({ NOTIFY_SOCKET: '/run/x' }, 42, logger)?.watchdogMs).toBeNull();
  });
});

describe.skipIf(!tools)('notifications through systemd-notify (fake NOTIFY_SOCKET)', () => {
  let socket: FakeNotifySocket;

  beforeEach(async () => {
    socket = await FakeNotifySocket.start();
  });
  afterEach(() => socket.close());

  const notifierFor = (env: NodeJS.ProcessEnv = {}) => {
    const { logger, lines } = captureLogger();
    const notifier = SystemdNotifier.fromEnvironment({ PATH: process.env['PATH'], NOTIFY_SOCKET: socket.path, ...env }, process.pid, logger)!;
    return { notifier, lines };
  };

  it('sends READY=1 with a status, STATUS, WATCHDOG=1 and STOPPING=1, in order', async () => {
    const { notifier } = notifierFor();
    expect(await notifier.ready('1 camera; broker connected')).toBe(true);
    expect(await notifier.status('line one\nline two')).toBe(true);
    expect(await notifier.watchdog()).toBe(true);
    expect(await notifier.stopping()).toBe(true);
    expect(socket.messages).toEqual(['READY=1\nSTATUS=1 camera; broker connected', 'STATUS=line one line two', 'WATCHDOG=1', 'STOPPING=1\nSTATUS=stopping']);
  });

  it('reports a missing systemd-notify once, and keeps going', async () => {
    const { logger, lines } = captureLogger();
    const notifier = SystemdNotifier.fromEnvironment({ NOTIFY_SOCKET: socket.path }, process.pid, logger, { command: '/nonexistent/systemd-notify' })!;
    expect(await notifier.watchdog()).toBe(false);
    expect(await notifier.watchdog()).toBe(false);
    const errors = lines.filter((l) => l.msg === 'systemd notification failed');
    expect(errors).toHaveLength(1);
    expect(String(errors[0]!['err'])).toMatch(/not installed/);
  });

  it('feeds the watchdog only while the pipeline moves, and says so in STATUS', async () => {
    const { notifier } = notifierFor();
    const { logger, lines } = captureLogger();
    let stalled = false;
    const feeder = new WatchdogFeeder(notifier, { isStalled: () => stalled, statusLine: () => 'all well' }, { intervalMs: 60_000, stallMs: 10_000 }, logger);

    expect(await feeder.tick()).toBe('fed');
    expect(socket.messages).toEqual(['WATCHDOG=1', 'STATUS=all well']);
    expect(await feeder.tick()).toBe('fed'); // unchanged status is not repeated
    expect(socket.messages.slice(2)).toEqual(['WATCHDOG=1']);

    stalled = true;
    expect(await feeder.tick()).toBe('withheld');
    expect(await feeder.tick()).toBe('withheld');
    expect(socket.messages.slice(3)).toEqual(['STATUS=pipeline stalled: frames arrive but none is analysed']);
    expect(lines.filter((l) => l.msg.startsWith('pipeline stalled'))).toHaveLength(1);

    stalled = false;
    expect(await feeder.tick()).toBe('fed');
    expect(socket.messages.slice(4)).toEqual(['WATCHDOG=1', 'STATUS=all well']);
  });

  it('announces readiness and keeps pinging on its own timer under supervision', async () => {
    const { notifier } = notifierFor({ WATCHDOG_USEC: '200000' });
    const { logger } = captureLogger();
    const supervision = await superviseWithSystemd(notifier, { isStalled: () => false, statusLine: () => 'no cameras' }, logger);
    expect(socket.messages[0]).toBe('READY=1\nSTATUS=no cameras');
    const first = socket.messages.indexOf('WATCHDOG=1');
    await socket.next((m) => m === 'WATCHDOG=1', first + 1); // a second ping: the timer runs
    await supervision.stopping();
    await socket.next((m) => m.startsWith('STOPPING=1'));
  });

  it('`maskgate run` under Type=notify: READY=1 after start, watchdog pings, STOPPING=1 on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mg-run-'));
    const configPath = join(dir, 'config.json');
    const repo = resolve(__dirname, '../..');
    writeFileSync(
      configPath,
      JSON.stringify({
        dataDir: dir,
        logLevel: 'error',
        model: { detector: join(repo, 'models/blazeface/blazeface_back_256.onnx'), embedder: join(repo, 'models/fr_feature/fr_feature.onnx') },
        mqtt: { embeddedPort: 0 },
        api: { enabled: false },
        metrics: { port: 0 },
      }),
    );
    const saved = { ...process.env };
    Object.assign(process.env, { NOTIFY_SOCKET: socket.path, WATCHDOG_USEC: '400000' });
    delete process.env['WATCHDOG_PID'];
    try {
      const sink = { write: () => true } as unknown as NodeJS.WritableStream;
      const running = runCommand.run(['--config', configPath], { stdin: process.stdin, stdout: sink as never, stderr: sink as never });
      const ready = await socket.next((m) => m.startsWith('READY=1'), 0, 30_000);
      expect(ready).toMatch(/^READY=1\nSTATUS=no cameras; broker (connecting|connected); gallery 0 templates$/);
      await socket.next((m) => m === 'WATCHDOG=1');
      process.emit('SIGTERM');
      expect(await running).toBe(0);
      await socket.next((m) => m.startsWith('STOPPING=1'));
    } finally {
      process.env = saved;
    }
  }, 60_000);
});

describe('the watchdog health rule (CameraWorker.isStalled)', () => {
  it('is stalled only when frames keep arriving and none finishes analysis', async () => {
    const events = new EventEmitter();
    const source = Object.assign(events, {
      id: 'cam',
      state: 'running' as const,
      start: () => undefined,
      stop: async () => undefined,
      stats: () => ({ state: 'running' as const, framesDelivered: 0, restarts: 0, lastFrameAt: undefined, pid: undefined }),
    }) as unknown as FrameSource;
    let release: () => void = () => undefined;
    let calls = 0;
    const analyzer = {
      modelId: 'm',
      analyze: () => {
        calls++;
        return calls === 1 ? new Promise<[]>((r) => (release = () => r([]))) : Promise.resolve([]);
      },
    } as unknown as FaceAnalyzer;
    const gallery = { searchForDecision: () => [], lookup: () => undefined };
    const config = parseConfig({ cameras: [{ id: 'cam', url: 'lavfi:testsrc', doorId: 'door' }] });
    const worker = new CameraWorker({
      camera: config.cameras[0]!,
      matching: config.matching,
      analyzer,
      gallery,
      onDecision: () => undefined,
      logger: pino({ level: 'silent' }),
      input: { source },
    });
    worker.start();
    const frame = (receivedAt: number) => events.emit('frame', { sequence: 0, receivedAt, sourceId: 'cam', width: 2, height: 2, data: new Uint8Array(12) });
    const t0 = Date.now();

    expect(worker.isStalled(t0 + 60_000, 10_000)).toBe(false); // no frames: the capture layer's problem
    frame(t0); // its analysis hangs
    frame(t0 + 11_000); // frames keep coming, and are dropped
    expect(worker.stats.framesDropped).toBe(1);
    expect(worker.isStalled(t0 + 11_000, 10_000)).toBe(true);
    expect(worker.isStalled(t0 + 30_000, 10_000)).toBe(false); // frames stopped too: not a pipeline stall

    release();
    await new Promise((r) => setTimeout(r, 10));
    frame(Date.now());
    await new Promise((r) => setTimeout(r, 10));
    expect(worker.stats.framesAnalysed).toBe(2);
    expect(worker.isStalled(Date.now(), 10_000)).toBe(false);
    await worker.stop();
  });
});
