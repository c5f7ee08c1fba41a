// Builds the ffmpeg command line for one capture source. Pure and exported so that every URL
// kind's argv is unit-tested without running ffmpeg.
import type { CaptureUrl } from './capture-url.js';
import type { ResolvedCaptureConfig } from './capture-config.js';
import { maskUrlCredentials } from './mask-credentials.js';
import {
  ASSUMED_MODERN_VERSION,
  type FfmpegVersion,
  rtspTimeoutOptionName,
  supportsFpsMode,
} from './ffmpeg-version.js';

/** The input-side settings that argv depends on; a subset of `ResolvedCaptureConfig`. */
export type InputArgsConfig = Pick<
  ResolvedCaptureConfig,
  'url' | 'width' | 'height' | 'fps' | 'loop' | 'realtime' | 'rtspTimeoutMs' | 'v4l2' | 'inputArgs'
>;

/** Everything up to and including `-i <input>`; shared with ffprobe. */
export function buildInputArgs(
  config: InputArgsConfig,
  version: FfmpegVersion = ASSUMED_MODERN_VERSION,
): string[] {
  return [...inputOptions(config.url, config, version), ...config.inputArgs, '-i', inputName(config.url)];
}

/** Full argv (without the program name) that writes packed RGB24 frames to stdout. */
export function buildFfmpegArgs(
  config: InputArgsConfig,
  version: FfmpegVersion = ASSUMED_MODERN_VERSION,
): string[] {
  return [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    // Errors only: stderr is kept for diagnostics, and warnings would drown the cause.
    '-loglevel',
    'error',
    ...buildInputArgs(config, version),
    '-map',
    '0:v:0',
    '-an',
    '-sn',
    '-dn',
    '-vf',
    videoFilter(config),
    // Without passthrough the rawvideo muxer runs at constant frame rate and re-inserts, as
    // duplicates, the very frames the rate limiter dropped.
    ...(supportsFpsMode(version) ? ['-fps_mode', 'passthrough'] : ['-vsync', 'passthrough']),
    '-pix_fmt',
    'rgb24',
    '-f',
    'rawvideo',
    'pipe:1',
  ];
}

/**
 * Rate limit, then scale to fit, letterbox, and convert to RGB24.
 *
 * The limiter is `select` over 1/fps time slots rather than the `fps` filter: `fps` emits a
 * constant rate, so it duplicates frames when the camera is slower than the target and, after a
 * network hiccup, bursts out stale copies to catch up. Keeping the first frame of each slot only
 * ever drops, and at most one frame per slot keeps the long-run rate <= fps. Frames without
 * timestamps are kept (no way to limit them, but none are lost).
 */
export function videoFilter(config: Pick<InputArgsConfig, 'width' | 'height' | 'fps'>): string {
  const { width: w, height: h } = config;
  const f = formatNumber(config.fps);
  // The small offset keeps a frame whose timestamp rounds to just below a slot boundary
  // (n/fps stored as 0.0333329...) from colliding with the previous slot when input rate == fps.
  const slot = (time: string): string => `floor(${time}*${f}+0.05)`;
  const select = `select='isnan(t)+isnan(prev_selected_t)+gt(${slot('t')},${slot('prev_selected_t')})'`;
  return [
    select,
    `scale=w=${w}:h=${h}:force_original_aspect_ratio=decrease:flags=bilinear`,
    `pad=w=${w}:h=${h}:x=(ow-iw)/2:y=(oh-ih)/2:color=black`,
    'setsar=1',
    'format=rgb24',
  ].join(',');
}

function inputOptions(url: CaptureUrl, config: InputArgsConfig, version: FfmpegVersion): string[] {
  switch (url.kind) {
    case 'file':
      return [...(config.realtime ? ['-re'] : []), ...(config.loop ? ['-stream_loop', '-1'] : [])];
    case 'lavfi':
      return [...(config.realtime ? ['-re'] : []), '-f', 'lavfi'];
    case 'v4l2': {
      const width = config.v4l2.width ?? config.width;
      const height = config.v4l2.height ?? config.height;
      return [
        '-f',
        'v4l2',
        ...(config.v4l2.inputFormat !== undefined ? ['-input_format', config.v4l2.inputFormat] : []),
        '-framerate',
        formatNumber(config.v4l2.fps ?? config.fps),
        '-video_size',
        `${width}x${height}`,
      ];
    }
    case 'rtsp':
      return [
        // UDP loses packets on busy Wi-Fi and through NAT; TCP interleaving is what NVRs default to.
        '-rtsp_transport',
        'tcp',
        // Makes ffmpeg itself give up on a dead camera (and say so) instead of blocking forever.
        rtspTimeoutOptionName(version),
        String(Math.round(config.rtspTimeoutMs * 1000)),
        // Camera clocks are unreliable; arrival time is what the rate limiter should see.
        '-use_wallclock_as_timestamps',
        '1',
        '-fflags',
        '+genpts+discardcorrupt',
      ];
  }
}

function inputName(url: CaptureUrl): string {
  switch (url.kind) {
    case 'file':
      // The protocol prefix stops ffmpeg reading `a:b.mp4` as protocol "a" or `-x.mp4` as an option.
      return `file:${url.path}`;
    case 'lavfi':
      return url.graph;
    case 'v4l2':
      return url.device;
    case 'rtsp':
      return url.url;
  }
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(6)));
}

/** A shell-like rendering of the command for logs, credentials masked. */
export function describeFfmpegCommand(ffmpegPath: string, args: readonly string[]): string {
  const quote = (arg: string): string => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);
  return [ffmpegPath, ...args].map((arg) => quote(maskUrlCredentials(arg))).join(' ');
}
