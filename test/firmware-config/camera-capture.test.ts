// One meaning for a camera entry: the capture settings the running camera gets, and the refusals
// config loading (and so `config check`) reports in the capture layer's own words.
import { describe, expect, it } from 'vitest';
import { cameraCaptureConfig, resolveCameraCapture } from '../../firmware-config/camera-capture.js';
import { ConfigError, parseConfig } from '../../firmware-config/load.js';

const base = parseConfig({});
const camera = (fields: Record<string, unknown>) => parseConfig({ cameras: [{ id: 'cam', doorId: 'door', ...fields }] }).cameras[0]!;

describe('cameraCaptureConfig', () => {
  it('leaves live cameras real time by nature and restarts them; the README camera resolves', () => {
    for (const url of ['rtsp://user:pass@10.0.0.12/stream1', '/dev/video0']) {
      const resolved = resolveCameraCapture(camera({ url }), base.capture);
      expect(resolved).toMatchObject({ realtime: false, onEnd: 'reconnect', loop: false });
    }
  });

  it('paces files and test patterns by default, unless the config says otherwise', () => {
    expect(resolveCameraCapture(camera({ url: '/clips/door.mp4' }), base.capture).realtime).toBe(true);
    expect(resolveCameraCapture(camera({ url: 'lavfi:testsrc2' }), base.capture).realtime).toBe(true);
    expect(resolveCameraCapture(camera({ url: '/clips/door.mp4', realtime: false }), base.capture).realtime).toBe(false);
  });

  it('restarts a looping file like a camera when its ffmpeg dies; a file played once ends at its end', () => {
    expect(resolveCameraCapture(camera({ url: '/clips/door.mp4', loop: true }), base.capture).onEnd).toBe('reconnect');
    expect(resolveCameraCapture(camera({ url: '/clips/door.mp4' }), base.capture).onEnd).toBe('stop');
  });

  it('takes the restart back-off and stall timeout from the capture section', () => {
    const config = parseConfig({ capture: { reconnectInitialDelayMs: 200, reconnectMaxDelayMs: 5000, reconnectMultiplier: 1.5, stallTimeoutMs: 4000 } });
    expect(cameraCaptureConfig(camera({ url: 'rtsp://cam/stream1' }), config.capture)).toMatchObject({
      reconnect: { initialDelayMs: 200, maxDelayMs: 5000, multiplier: 1.5 },
      stallTimeoutMs: 4000,
    });
    expect(base.capture).toEqual({ reconnectInitialDelayMs: 500, reconnectMaxDelayMs: 30_000, reconnectMultiplier: 2, stallTimeoutMs: 10_000 });
  });
});

describe('config loading refuses what the capture layer would refuse', () => {
  const problems = (raw: unknown): readonly string[] => {
    try {
      parseConfig(raw);
      return [];
    } catch (err) {
      return (err as ConfigError).problems;
    }
  };

  it('realtime or loop on a live camera, with the capture message', () => {
    expect(problems({ cameras: [{ id: 'lobby-cam', doorId: 'lobby', url: 'rtsp://u:p@10.0.0.12/stream1', realtime: true }] })).toEqual([
      '/cameras/0: Capture source "lobby-cam": realtime applies to file and lavfi sources only (live inputs are already real time)',
    ]);
    expect(problems({ cameras: [{ id: 'usb', doorId: 'lobby', url: '/dev/video0', loop: true }] })).toEqual([
      '/cameras/0: Capture source "usb": loop applies to file sources only',
    ]);
  });

  it('an unsupported URL scheme, without leaking credentials', () => {
    const [problem] = problems({ cameras: [{ id: 'cam', doorId: 'd', url: 'http://admin:hunter2@cam/video' }] });
    expect(problem).toMatch(/^\/cameras\/0: Capture source "cam": /);
    expect(problem).not.toContain('hunter2');
  });

  it('a back-off cap below its start', () => {
    expect(problems({ capture: { reconnectInitialDelayMs: 5000, reconnectMaxDelayMs: 1000 } })).toEqual([
      '/capture/reconnectMaxDelayMs: must be >= /capture/reconnectInitialDelayMs',
    ]);
  });
});
