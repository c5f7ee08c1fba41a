// What a configured camera means to the capture layer: the one translation from a `cameras[]`
// entry (plus the `capture` timings) to a CaptureConfig. Both `config check`/config loading and
// the running camera go through it, so a config that loads is a config that starts, and both
// refuse a bad one with the same message.
import {
  CaptureError,
  type CaptureConfig,
  parseCaptureUrl,
  type ResolvedCaptureConfig,
  resolveCaptureConfig,
} from '../pipeline/capture/index.js';
import type { CameraConfig, CaptureTimingConfig } from './schema.js';

/**
 * The capture settings of one camera. `realtime` defaults per source kind: a file or a test
 * pattern is paced at its native rate unless the config says otherwise; a camera is real time by
 * nature, so the setting does not apply to it. A looping file, like a camera, is restarted when
 * its ffmpeg dies; a file played once ends for good at its end.
 */
export function cameraCaptureConfig(camera: CameraConfig, timing: CaptureTimingConfig): CaptureConfig {
  const kind = safeKind(camera);
  const paced = kind === 'file' || kind === 'lavfi';
  return {
    id: camera.id,
    url: camera.url,
    width: camera.width,
    height: camera.height,
    fps: camera.fps,
    loop: camera.loop,
    ...(camera.realtime !== undefined ? { realtime: camera.realtime } : { realtime: paced }),
    ...(kind !== 'file' || camera.loop ? { onEnd: 'reconnect' as const } : {}),
    reconnect: {
      initialDelayMs: timing.reconnectInitialDelayMs,
      maxDelayMs: timing.reconnectMaxDelayMs,
      multiplier: timing.reconnectMultiplier,
    },
    stallTimeoutMs: timing.stallTimeoutMs,
  };
}

/** The resolved capture settings, or the capture layer's own `invalid_config` error. */
export function resolveCameraCapture(camera: CameraConfig, timing: CaptureTimingConfig): ResolvedCaptureConfig {
  return resolveCaptureConfig(cameraCaptureConfig(camera, timing));
}

/** The problem, worded as the capture layer words it, or null when the camera can start. */
export function cameraCaptureProblem(camera: CameraConfig, timing: CaptureTimingConfig): string | null {
  try {
    resolveCameraCapture(camera, timing);
    return null;
  } catch (err) {
    if (err instanceof CaptureError) return err.message;
    throw err;
  }
}

function safeKind(camera: CameraConfig): string | null {
  try {
    return parseCaptureUrl(camera.url, camera.id).kind;
  } catch {
    return null; // resolveCaptureConfig reports the URL problem
  }
}
