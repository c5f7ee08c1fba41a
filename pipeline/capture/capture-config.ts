// The typed configuration of one capture source, and its validation into a resolved form with
// every default applied. The firmware-config schema owns user-facing validation; this check
// keeps the capture module safe when it is built from anything else (tests, tools, demos).
import { CaptureError } from './capture-error.js';
import { type CaptureUrl, parseCaptureUrl } from './capture-url.js';

export interface ReconnectPolicy {
  /** Delay before the first restart after a failure. */
  readonly initialDelayMs: number;
  /** Upper bound of the delay, however many restarts failed in a row. */
  readonly maxDelayMs: number;
  /** Growth factor per consecutive failure (>= 1; 1 means a fixed delay). */
  readonly multiplier: number;
}

/** What happens when an input ends or fails: restart with back-off, or stop for good. */
export type EndPolicy = 'stop' | 'reconnect';

/** Capture-mode options for V4L2 devices; each defaults to the output setting. */
export interface V4l2InputOptions {
  readonly width?: number;
  readonly height?: number;
  readonly fps?: number;
  /** Device pixel format, e.g. `mjpeg` (USB cameras need it for high resolutions) or `yuyv422`. */
  readonly inputFormat?: string;
}

export interface CaptureConfig {
  /** Camera identifier; becomes `Frame.sourceId`. */
  readonly id: string;
  /** See `parseCaptureUrl` for the accepted forms. */
  readonly url: string;
  /** Output frame size; the picture is scaled to fit and padded (letterboxed) with black. */
  readonly width: number;
  readonly height: number;
  /** Maximum output rate; faster inputs are thinned, slower inputs are never padded with duplicates. */
  readonly fps: number;
  /** Files only: restart from the beginning at end of file, inside ffmpeg (`-stream_loop -1`). */
  readonly loop?: boolean;
  /** Files and lavfi only: read at native speed (`-re`) instead of as fast as ffmpeg can decode. */
  readonly realtime?: boolean;
  /**
   * What to do when the input ends or ffmpeg fails. Default: `stop` for files (end of file is
   * the normal end, and a corrupt file stays corrupt), `reconnect` for live inputs.
   */
  readonly onEnd?: EndPolicy;
  readonly reconnect: ReconnectPolicy;
  /** Longest wait for a frame (including the first one after a start) before killing ffmpeg. */
  readonly stallTimeoutMs: number;
  /** Default `ffmpeg` from PATH. */
  readonly ffmpegPath?: string;
  /** Time between SIGTERM and SIGKILL when stopping ffmpeg. Default 2000 ms. */
  readonly killGraceMs?: number;
  /** RTSP socket I/O timeout passed to ffmpeg. Default: `stallTimeoutMs`. */
  readonly rtspTimeoutMs?: number;
  readonly v4l2?: V4l2InputOptions;
  /** Extra ffmpeg input options placed just before `-i`, e.g. `['-hwaccel', 'cuda']`. */
  readonly inputArgs?: readonly string[];
}

/** A validated configuration with the URL parsed and every default filled in. */
export interface ResolvedCaptureConfig extends Required<Omit<CaptureConfig, 'v4l2' | 'url'>> {
  readonly url: CaptureUrl;
  /** The configured URL string (may contain credentials; never log it unmasked). */
  readonly rawUrl: string;
  readonly v4l2: V4l2InputOptions;
}

const DEFAULT_KILL_GRACE_MS = 2000;
const MAX_DIMENSION = 8192;

/** @throws CaptureError `invalid_config` naming the first offending field. */
export function resolveCaptureConfig(config: CaptureConfig): ResolvedCaptureConfig {
  const sourceId = typeof config.id === 'string' && config.id.length > 0 ? config.id : 'capture';
  const fail = (field: string, why: string): never => {
    throw new CaptureError('invalid_config', `Capture source "${sourceId}": ${field} ${why}`, { sourceId });
  };
  const integerIn = (field: string, value: unknown, min: number, max: number): void => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      fail(field, `must be an integer in [${min}, ${max}] (got ${String(value)})`);
    }
  };
  const positive = (field: string, value: unknown): void => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      fail(field, `must be a positive number (got ${String(value)})`);
    }
  };

  if (typeof config.id !== 'string' || config.id.trim().length === 0) fail('id', 'must be a non-empty string');
  if (typeof config.url !== 'string') fail('url', 'must be a string');
  const url = parseCaptureUrl(config.url, sourceId);

  integerIn('width', config.width, 2, MAX_DIMENSION);
  integerIn('height', config.height, 2, MAX_DIMENSION);
  positive('fps', config.fps);
  positive('stallTimeoutMs', config.stallTimeoutMs);
  positive('reconnect.initialDelayMs', config.reconnect?.initialDelayMs);
  positive('reconnect.maxDelayMs', config.reconnect?.maxDelayMs);
  if (config.reconnect.maxDelayMs < config.reconnect.initialDelayMs) {
    fail('reconnect.maxDelayMs', 'must be >= reconnect.initialDelayMs');
  }
  if (typeof config.reconnect.multiplier !== 'number' || !(config.reconnect.multiplier >= 1)) {
    fail('reconnect.multiplier', `must be a number >= 1 (got ${String(config.reconnect.multiplier)})`);
  }
  if (config.killGraceMs !== undefined) positive('killGraceMs', config.killGraceMs);
  if (config.rtspTimeoutMs !== undefined) positive('rtspTimeoutMs', config.rtspTimeoutMs);
  if (config.loop === true && url.kind !== 'file') fail('loop', 'applies to file sources only');
  if (config.realtime === true && url.kind !== 'file' && url.kind !== 'lavfi') {
    fail('realtime', 'applies to file and lavfi sources only (live inputs are already real time)');
  }
  if (config.onEnd !== undefined && config.onEnd !== 'stop' && config.onEnd !== 'reconnect') {
    fail('onEnd', `must be "stop" or "reconnect" (got ${String(config.onEnd)})`);
  }
  const v4l2 = config.v4l2 ?? {};
  if (v4l2.width !== undefined) integerIn('v4l2.width', v4l2.width, 2, MAX_DIMENSION);
  if (v4l2.height !== undefined) integerIn('v4l2.height', v4l2.height, 2, MAX_DIMENSION);
  if (v4l2.fps !== undefined) positive('v4l2.fps', v4l2.fps);
  if (v4l2.inputFormat !== undefined && !/^[a-z0-9_]+$/i.test(v4l2.inputFormat)) {
    fail('v4l2.inputFormat', `is not a pixel format name (got ${v4l2.inputFormat})`);
  }
  if (config.ffmpegPath !== undefined && (typeof config.ffmpegPath !== 'string' || config.ffmpegPath.length === 0)) {
    fail('ffmpegPath', 'must be a non-empty string');
  }
  const inputArgs = config.inputArgs ?? [];
  if (!Array.isArray(inputArgs) || !inputArgs.every((a) => typeof a === 'string')) {
    fail('inputArgs', 'must be an array of strings');
  }

  return {
    id: config.id,
    url,
    rawUrl: config.url,
    width: config.width,
    height: config.height,
    fps: config.fps,
    loop: config.loop ?? false,
    realtime: config.realtime ?? false,
    onEnd: config.onEnd ?? (url.kind === 'file' ? 'stop' : 'reconnect'),
    reconnect: { ...config.reconnect },
    stallTimeoutMs: config.stallTimeoutMs,
    ffmpegPath: config.ffmpegPath ?? 'ffmpeg',
    killGraceMs: config.killGraceMs ?? DEFAULT_KILL_GRACE_MS,
    rtspTimeoutMs: config.rtspTimeoutMs ?? config.stallTimeoutMs,
    v4l2,
    inputArgs: [...inputArgs],
  };
}

/** Bytes in one packed RGB24 output frame. */
export function frameByteLength(config: Pick<CaptureConfig, 'width' | 'height'>): number {
  return config.width * config.height * 3;
}
