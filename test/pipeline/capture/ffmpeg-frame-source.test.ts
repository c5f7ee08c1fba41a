// Runs the real ffmpeg (and small bash stand-ins for it) against generated inputs.
import { execFileSync } from 'node:child_process';
import { readFileSync, truncateSync, writeFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CaptureConfig, resolveCaptureConfig } from '../../../pipeline/capture/capture-config.js';
import { CaptureError } from '../../../pipeline/capture/capture-error.js';
import { buildFfmpegArgs } from '../../../pipeline/capture/ffmpeg-args.js';
import { FfmpegFrameSource } from '../../../pipeline/capture/ffmpeg-frame-source.js';
import { detectFfmpegVersion } from '../../../pipeline/capture/ffmpeg-version.js';
import {
  EventRecorder,
  ffmpegAvailable,
  generateVideo,
  makeTempDir,
  processExists,
  waitUntil,
  writeFakeFfmpeg,
} from '../../fixtures/video/capture-fixtures.js';

const W = 64;
const H = 48;
const base: Omit<CaptureConfig, 'id' | 'url'> = {
  width: W,
  height: H,
  fps: 15,
  reconnect: { initialDelayMs: 50, maxDelayMs: 400, multiplier: 2 },
  stallTimeoutMs: 5000,
  killGraceMs: 1000,
};

describe.skipIf(!ffmpegAvailable)('FfmpegFrameSource (real ffmpeg)', () => {
  const tmp = makeTempDir();
  const sources: FfmpegFrameSource[] = [];
  const video30 = join(tmp.path, 'clip-30fps.mp4');
  const video5 = join(tmp.path, 'clip-5fps.mp4');

  function source(config: Partial<CaptureConfig> & Pick<CaptureConfig, 'url'>): FfmpegFrameSource {
    const created = new FfmpegFrameSource({ id: 'cam1', ...base, ...config });
    sources.push(created);
    return created;
  }

  beforeAll(() => {
    generateVideo(video30, { width: 96, height: 72, rate: 30, seconds: 2 });
    generateVideo(video5, { width: 96, height: 72, rate: 5, seconds: 2 });
  });
  afterEach(async () => {
    await Promise.all(sources.splice(0).map((s) => s.stop()));
  });
  afterAll(() => tmp.remove());

  it('delivers testsrc2 frames of the configured size, byte-identical to ffmpeg, in sequence', async () => {
    const config = { url: 'lavfi:testsrc2=size=64x48:rate=15', realtime: true } as const;
    const cam = source(config);
    const events = new EventRecorder(cam, 8);
    cam.start();
    await waitUntil(() => events.frames.length >= 8, '8 frames');
    const pid = cam.pid;
    expect(pid).toBeTypeOf('number');
    await cam.stop();

    expect(events.stateNames()).toEqual(['starting', 'running', 'stopped']);
    expect(events.errors).toEqual([]);
    expect(events.frames.map((f) => f.sequence)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    for (const frame of events.frames) {
      expect(frame.width).toBe(W);
      expect(frame.height).toBe(H);
      expect(frame.sourceId).toBe('cam1');
      expect(frame.data.byteLength).toBe(W * H * 3);
      expect(frame.data.buffer.byteLength).toBe(W * H * 3);
    }
    expect(new Set(events.frames.map((f) => f.data.buffer)).size).toBe(8);

    // Same argv without the source in between: any lost or shifted byte would show.
    const resolved = resolveCaptureConfig({ id: 'ref', ...base, url: config.url });
    const args = buildFfmpegArgs(resolved, await detectFfmpegVersion('ffmpeg', 'ref'));
    args.splice(args.length - 1, 0, '-frames:v', '8');
    const reference = execFileSync('ffmpeg', args, { maxBuffer: 1 << 24 });
    expect(reference.byteLength).toBe(8 * W * H * 3);
    events.frames.forEach((frame, i) => {
      expect(Buffer.from(frame.data).equals(reference.subarray(i * W * H * 3, (i + 1) * W * H * 3))).toBe(true);
    });
    expect(processExists(pid as number)).toBe(false);
    expect(cam.stats()).toMatchObject({ state: 'stopped', framesDelivered: events.sequences.length, pid: undefined });
  });

  it('letterboxes a wider picture into the output size with black bars', async () => {
    const cam = source({ url: 'lavfi:testsrc2=size=128x48:rate=15' });
    const events = new EventRecorder(cam, 1);
    cam.start();
    await waitUntil(() => events.frames.length >= 1, 'a frame');
    await cam.stop();
    const data = events.frames[0]?.data as Uint8Array;
    const row = (y: number): Uint8Array => data.subarray(y * W * 3, (y + 1) * W * 3);
    // 128x48 fits as 64x24, so 12 rows of padding above and below.
    expect(row(0).every((v) => v === 0)).toBe(true);
    expect(row(H - 1).every((v) => v === 0)).toBe(true);
    expect(row(H / 2).some((v) => v > 40)).toBe(true);
  });

  it('reads a file to the end: every frame, then source_ended without an error event', async () => {
    const cam = source({ url: video30, fps: 30 });
    const events = new EventRecorder(cam);
    cam.start();
    await waitUntil(() => cam.state === 'stopped' && events.states.length > 1, 'end of file');
    expect(events.sequences.length).toBe(60);
    expect(events.stateNames()).toEqual(['starting', 'running', 'stopped']);
    expect(events.lastState()?.cause?.code).toBe('source_ended');
    expect(events.lastState()?.cause?.message).toContain('60 frame(s)');
    expect(events.errors).toEqual([]);
  });

  it('limits the rate by dropping only: 30 fps → ~10 fps, 5 fps stays 5 fps', async () => {
    const count = async (url: string): Promise<number> => {
      const cam = source({ url, fps: 10 });
      const events = new EventRecorder(cam);
      cam.start();
      await waitUntil(() => cam.state === 'stopped' && events.states.length > 1, 'end of file');
      expect(events.lastState()?.cause?.code).toBe('source_ended');
      return events.sequences.length;
    };
    const fast = await count(video30);
    expect(fast).toBeGreaterThanOrEqual(18);
    expect(fast).toBeLessThanOrEqual(22);
    // The fps filter would pad this to ~20 with duplicates.
    const slow = await count(video5);
    expect(slow).toBeGreaterThanOrEqual(9);
    expect(slow).toBeLessThanOrEqual(11);
  });

  it('can restart a finished file instead of stopping (onEnd: reconnect)', async () => {
    const cam = source({ url: video5, fps: 5, onEnd: 'reconnect' });
    const events = new EventRecorder(cam);
    cam.start();
    await waitUntil(() => events.sequences.length > 12, 'frames from a second pass');
    await cam.stop();
    const reconnect = events.states.find((s) => s.state === 'reconnecting');
    expect(reconnect?.cause?.code).toBe('source_ended');
    expect(reconnect?.attempt).toBe(1);
    expect(events.stateNames().slice(0, 4)).toEqual(['starting', 'running', 'reconnecting', 'running']);
    expect(events.errors).toEqual([]);
  });

  it('reports the end of a live input as an error and reconnects', async () => {
    const cam = source({ url: 'lavfi:testsrc2=size=64x48:rate=15:duration=0.2' });
    const events = new EventRecorder(cam);
    cam.start();
    await waitUntil(() => events.states.filter((s) => s.state === 'running').length >= 2, 'a second run');
    await cam.stop();
    expect(events.stateNames().slice(0, 4)).toEqual(['starting', 'running', 'reconnecting', 'running']);
    expect(events.states[2]?.cause?.code).toBe('source_ended');
    expect(events.errors[0]?.code).toBe('source_ended');
    expect(events.sequences.slice(0, 4)).toEqual([0, 1, 2, 3]);
  });

  it('reports a missing file as source_unavailable and stops', async () => {
    const cam = source({ url: join(tmp.path, 'nope.mp4') });
    const events = new EventRecorder(cam);
    cam.start();
    await waitUntil(() => events.errors.length > 0 && cam.state === 'stopped', 'the error');
    expect(events.errors.map((e) => e.code)).toEqual(['source_unavailable']);
    expect(events.errors[0]).toBeInstanceOf(CaptureError);
    expect(events.errors[0]?.message).toMatch(/No such file or directory/);
    expect(events.errors[0]?.sourceId).toBe('cam1');
    expect(events.lastState()?.cause?.code).toBe('source_unavailable');
    expect(events.sequences).toEqual([]);
  });

  it.each([
    ['truncated (moov atom cut off)', (path: string) => truncateSync(path, Math.floor(statSync(path).size / 2))],
    ['overwritten with garbage', (path: string) => writeFileSync(path, Buffer.from(Array.from({ length: 20_000 }, (_, i) => (i * 7919) % 251)))],
  ])('reports a %s video as decode_error with ffmpeg’s reason, without crashing', async (name, corrupt) => {
    const path = join(tmp.path, `corrupt-${name.split(' ')[0]}.mp4`);
    writeFileSync(path, readFileSync(video30));
    corrupt(path);
    const cam = source({ url: path });
    const events = new EventRecorder(cam);
    cam.start();
    await waitUntil(() => cam.state === 'stopped' && events.states.length > 1, 'the error');
    expect(events.errors.map((e) => e.code)).toEqual(['decode_error']);
    const error = events.errors[0] as CaptureError;
    expect(error.message).toMatch(/could not be decoded.*ffmpeg: .*(moov atom not found|Invalid data)/);
    expect(error.diagnostic.length).toBeGreaterThan(0);
    expect(error.exitCode).not.toBe(0);
    expect(error.stack).toBeDefined();
    expect(error.message).not.toMatch(/\n\s+at /);
    expect(events.lastState()?.cause).toBe(error);
  });

  it('reports a missing ffmpeg binary as spawn_failed and does not retry', async () => {
    const cam = source({ url: 'lavfi:testsrc2', ffmpegPath: join(tmp.path, 'no-such-ffmpeg') });
    const events = new EventRecorder(cam);
    cam.start();
    await waitUntil(() => cam.state === 'stopped' && events.states.length > 1, 'the error');
    expect(events.errors.map((e) => e.code)).toEqual(['spawn_failed']);
    expect(events.stateNames()).toEqual(['starting', 'stopped']);
  });

  it('turns a synchronous spawn failure into spawn_failed instead of an unhandled rejection', async () => {
    const cam = source({ url: 'lavfi:testsrc2', inputArgs: ['-metadata', 'bad\0value'] });
    const events = new EventRecorder(cam);
    cam.start();
    await waitUntil(() => cam.state === 'stopped' && events.states.length > 1, 'the error');
    expect(events.errors.map((e) => e.code)).toEqual(['spawn_failed']);
    expect(events.errors[0]?.message).toContain('cannot start ffmpeg');
  });

  it('reconnects with back-off when ffmpeg dies, and frames resume in sequence', async () => {
    const dir = makeTempDir();
    try {
      const counter = join(dir.path, 'runs');
      const fake = writeFakeFfmpeg(
        dir.path,
        'flaky-ffmpeg',
        [
          `runs=$(cat ${counter} 2>/dev/null || echo 0); echo $((runs + 1)) > ${counter}`,
          'if [ "$runs" = "0" ]; then',
          '  # First run: a camera that delivers 5 frames and drops off.',
          '  out="${@: -1}"; set -- "${@:1:$(($# - 1))}" -frames:v 5 "$out"',
          '  ffmpeg "$@"; echo "fake camera went away" >&2; exit 1',
          'fi',
          'exec ffmpeg "$@"',
        ].join('\n'),
      );
      const cam = source({ url: 'lavfi:testsrc2=size=64x48:rate=15', realtime: true, ffmpegPath: fake });
      const events = new EventRecorder(cam);
      cam.start();
      await waitUntil(() => events.sequences.length >= 10, '10 frames across the reconnect');
      await cam.stop();

      expect(readFileSync(counter, 'utf8').trim()).toBe('2');
      expect(events.stateNames()).toEqual(['starting', 'running', 'reconnecting', 'running', 'stopped']);
      const reconnecting = events.states[2];
      expect(reconnecting).toMatchObject({ attempt: 1, delayMs: 50, previous: 'running' });
      expect(reconnecting?.cause?.code).toBe('process_failed');
      expect(reconnecting?.cause?.diagnostic).toContain('fake camera went away');
      expect(events.errors.map((e) => e.code)).toEqual(['process_failed']);
      expect(events.sequences.slice(0, 10)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(cam.stats().restarts).toBe(1);
    } finally {
      dir.remove();
    }
  });

  it('detects a stall, kills the silent process and retries with growing delays; stop leaves no child', async () => {
    const dir = makeTempDir();
    try {
      const pids = join(dir.path, 'pids');
      const fake = writeFakeFfmpeg(dir.path, 'silent-ffmpeg', `echo $$ >> ${pids}\nexec sleep 30`);
      const cam = source({ url: 'lavfi:testsrc2', ffmpegPath: fake, stallTimeoutMs: 300 });
      const events = new EventRecorder(cam);
      cam.start();
      // The stall is reported at once; `reconnecting` follows when the killed process is reaped.
      await waitUntil(() => events.states.filter((s) => s.state === 'reconnecting').length >= 2, 'two stalls');
      await cam.stop();

      expect(events.errors.slice(0, 2).map((e) => e.code)).toEqual(['stalled', 'stalled']);
      expect(events.errors[0]?.message).toContain('no frame for 300 ms');
      const reconnects = events.states.filter((s) => s.state === 'reconnecting');
      expect(reconnects.slice(0, 2).map((s) => [s.attempt, s.delayMs])).toEqual([
        [1, 50],
        [2, 100],
      ]);
      expect(reconnects[0]?.cause?.code).toBe('stalled');
      expect(events.lastState()?.state).toBe('stopped');
      const started = readFileSync(pids, 'utf8').trim().split('\n').map(Number);
      expect(started.length).toBeGreaterThanOrEqual(2);
      for (const pid of started) expect(processExists(pid)).toBe(false);
    } finally {
      dir.remove();
    }
  });

  it('ignores frames from a process it already declared stalled', async () => {
    const dir = makeTempDir();
    try {
      // Silent past the stall timeout, deaf to SIGTERM, then starts producing frames.
      const fake = writeFakeFfmpeg(dir.path, 'late-ffmpeg', `trap '' TERM\nsleep 0.5\nexec ffmpeg "$@"`);
      const cam = source({
        url: 'lavfi:testsrc2=size=64x48:rate=15',
        realtime: true,
        ffmpegPath: fake,
        stallTimeoutMs: 250,
        killGraceMs: 900,
      });
      const events = new EventRecorder(cam);
      cam.start();
      await waitUntil(() => events.states.some((s) => s.state === 'reconnecting'), 'the stalled run to be reaped');
      await cam.stop();
      expect(events.sequences).toEqual([]);
      expect(events.stateNames()).not.toContain('running');
      expect(events.errors.map((e) => e.code)).toEqual(['stalled']);
    } finally {
      dir.remove();
    }
  });

  it('escalates to SIGKILL when ffmpeg ignores SIGTERM', async () => {
    const dir = makeTempDir();
    try {
      const pidFile = join(dir.path, 'pid');
      const fake = writeFakeFfmpeg(dir.path, 'stubborn-ffmpeg', `echo $$ > ${pidFile}\ntrap '' TERM\nexec sleep 30`);
      const cam = source({ url: 'lavfi:testsrc2', ffmpegPath: fake, killGraceMs: 200, stallTimeoutMs: 30_000 });
      cam.start();
      await waitUntil(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim().length > 0, 'the fake to start');
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      expect(processExists(pid)).toBe(true);
      await cam.stop();
      expect(processExists(pid)).toBe(false);
      expect(cam.state).toBe('stopped');
    } finally {
      dir.remove();
    }
  });

  it('kills its ffmpeg from a process exit hook, synchronously', async () => {
    const before = new Set(process.listeners('exit'));
    const cam = source({ url: 'lavfi:testsrc2=size=64x48:rate=15', realtime: true });
    const events = new EventRecorder(cam);
    cam.start();
    await waitUntil(() => events.sequences.length > 0, 'a frame');
    const pid = cam.pid as number;
    const hooks = process.listeners('exit').filter((listener) => !before.has(listener));
    expect(hooks).toHaveLength(1);
    (hooks[0] as (code: number) => void)(0);
    await waitUntil(() => !processExists(pid), 'ffmpeg to die');
    await cam.stop();
    expect(process.listeners('exit').filter((listener) => !before.has(listener))).toHaveLength(0);
  });

  it('survives a throwing frame listener and a source without error listeners', async () => {
    const cam = source({ url: join(tmp.path, 'missing.mp4') });
    cam.start(); // no 'error' listener: EventEmitter would throw on emit
    await waitUntil(() => cam.state === 'stopped' && cam.stats().restarts === 0 && cam.pid === undefined, 'stop');

    const live = source({ url: 'lavfi:testsrc2=size=64x48:rate=15', realtime: true });
    let calls = 0;
    live.on('frame', () => {
      calls += 1;
      throw new Error('consumer bug');
    });
    live.start();
    await waitUntil(() => calls >= 3, 'frames after the throw');
    expect(live.state).toBe('running');
  });

  it('ignores a second start() and allows start after stop, continuing the sequence', async () => {
    const cam = source({ url: 'lavfi:testsrc2=size=64x48:rate=15', realtime: true });
    const events = new EventRecorder(cam);
    cam.start();
    cam.start();
    await waitUntil(() => events.sequences.length >= 2, 'frames');
    await cam.stop();
    await cam.stop();
    const firstRun = events.sequences.length;
    cam.start();
    await waitUntil(() => events.sequences.length >= firstRun + 2, 'frames after restart');
    await cam.stop();
    expect(events.stateNames()).toEqual(['starting', 'running', 'stopped', 'starting', 'running', 'stopped']);
    expect(events.sequences[firstRun]).toBe(firstRun);
  });

  it('rejects an invalid configuration at construction', () => {
    expect(() => source({ url: 'lavfi:testsrc2', width: -1 })).toThrow(CaptureError);
  });
});
