// Pulls from a real local RTSP server (GStreamer's gst-rtsp-server, MJPEG test pattern behind
// Basic auth). Skipped unless these Debian packages are installed:
//   python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureConfig } from '../../../pipeline/capture/capture-config.js';
import { FfmpegFrameSource } from '../../../pipeline/capture/ffmpeg-frame-source.js';
import { freePort } from '../../helpers/net.js';
import { probeSource } from '../../../pipeline/capture/probe-source.js';
import {
  EventRecorder,
  ffmpegAvailable,
  processExists,
  RtspTestServer,
  rtspServerPython,
  waitUntil,
} from '../../fixtures/video/capture-fixtures.js';

const PASSWORD = 'hunter2-door';
const base: Omit<CaptureConfig, 'id' | 'url'> = {
  width: 160,
  height: 120,
  fps: 10,
  reconnect: { initialDelayMs: 100, maxDelayMs: 400, multiplier: 2 },
  stallTimeoutMs: 5000,
  killGraceMs: 1000,
};

describe.skipIf(!ffmpegAvailable || rtspServerPython === undefined)('FfmpegFrameSource over RTSP', () => {
  let server: RtspTestServer;
  const sources: FfmpegFrameSource[] = [];
  const source = (url: string): FfmpegFrameSource => {
    const created = new FfmpegFrameSource({ id: 'door', url, ...base });
    sources.push(created);
    return created;
  };

  beforeAll(async () => {
    server = new RtspTestServer(await freePort(), 'viewer', PASSWORD);
    await server.start();
  });
  afterEach(async () => {
    await Promise.all(sources.splice(0).map((s) => s.stop()));
  });
  afterAll(async () => {
    await server.stop();
  });

  it('receives frames with credentials, and stop leaves no ffmpeg behind', async () => {
    const cam = source(server.url());
    const events = new EventRecorder(cam, 3);
    cam.start();
    await waitUntil(() => events.frames.length >= 3, '3 RTSP frames');
    const pid = cam.pid as number;
    await cam.stop();
    expect(events.stateNames()).toEqual(['starting', 'running', 'stopped']);
    expect(events.frames[0]?.data.byteLength).toBe(160 * 120 * 3);
    expect(events.frames.map((f) => f.sequence)).toEqual([0, 1, 2]);
    expect(processExists(pid)).toBe(false);
  });

  it('reports a wrong password as source_unavailable without leaking it, and keeps retrying', async () => {
    const wrong = 'wrong-secret-99';
    const cam = source(server.url(wrong));
    const events = new EventRecorder(cam);
    cam.start();
    await waitUntil(() => events.errors.length >= 2, 'two failed attempts');
    await cam.stop();
    expect(events.errors[0]?.code).toBe('source_unavailable');
    expect(events.errors[0]?.message).toMatch(/401/);
    expect(events.errors[0]?.message).toContain('rtsp://***@127.0.0.1');
    const everything = JSON.stringify([events.errors.map((e) => [e.message, e.diagnostic]), events.states]);
    expect(everything).not.toContain(wrong);
    expect(events.states.filter((s) => s.state === 'reconnecting').map((s) => s.delayMs).slice(0, 2)).toEqual([100, 200]);
  });

  it('reconnects when the camera goes away and comes back', async () => {
    const cam = source(server.url());
    const events = new EventRecorder(cam);
    cam.start();
    await waitUntil(() => cam.state === 'running', 'first frames');
    await server.stop();
    await waitUntil(() => cam.state === 'reconnecting', 'the loss to be noticed');
    const framesBefore = events.sequences.length;
    await server.start();
    await waitUntil(() => cam.state === 'running' && events.sequences.length > framesBefore + 2, 'frames after the restart');
    expect(events.stateNames().slice(0, 3)).toEqual(['starting', 'running', 'reconnecting']);
    // The server closing the session ends ffmpeg cleanly: an end, but for a camera an error too.
    expect(events.states[2]?.cause?.code).toBe('source_ended');
    expect(events.errors[0]?.code).toBe('source_ended');
    expect(events.stateNames().at(-1)).toBe('running');
    const sequences = events.sequences;
    expect(sequences.every((s, i) => i === 0 || s === (sequences[i - 1] as number) + 1)).toBe(true);
  });

  it('probes the stream', async () => {
    const result = await probeSource(server.url(), { timeoutMs: 5000 });
    expect(result.formatName).toBe('rtsp');
    expect(result.video).toMatchObject({ codec: 'mjpeg', width: 320, height: 240 });
  });
});
