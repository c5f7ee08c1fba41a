// Asks ffprobe what an input contains, so that a setup tool or the daemon's start-up check can
// say "the file is corrupt" or "the camera refused the password" before capture begins.
import { execFile } from 'node:child_process';
import { resolveCaptureConfig } from './capture-config.js';
import { CaptureError } from './capture-error.js';
import { describeCaptureUrl } from './capture-url.js';
import { classifyRunOutcome } from './exit-classifier.js';
import { buildInputArgs } from './ffmpeg-args.js';
import { detectFfmpegVersion } from './ffmpeg-version.js';
import { createCredentialMasker } from './mask-credentials.js';

export interface ProbeOptions {
  /** Default `ffprobe` from PATH. */
  readonly ffprobePath?: string;
  /** Whole-probe limit; also the RTSP socket timeout. Default 10 s. */
  readonly timeoutMs?: number;
}

export interface ProbeResult {
  /** Demuxer name(s) as ffprobe reports them, e.g. `mov,mp4,m4a,3gp,3g2,mj2`, `rtsp`, `lavfi`. */
  readonly formatName: string;
  /** Seconds, for finite inputs whose container states it. */
  readonly durationSec: number | undefined;
  readonly video: {
    readonly codec: string;
    readonly width: number;
    readonly height: number;
    /** Nominal frame rate, if the stream declares one. */
    readonly fps: number | undefined;
  };
}

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Probes the first video stream of a capture URL (same forms as `CaptureConfig.url`).
 * @throws CaptureError `invalid_config`, `spawn_failed`, `source_unavailable`, `decode_error`,
 *   `no_video_stream`, or `stalled` when ffprobe does not answer within the timeout.
 */
export async function probeSource(url: string, options: ProbeOptions = {}): Promise<ProbeResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const ffprobePath = options.ffprobePath ?? 'ffprobe';
  // Reuse the capture config's validation and input argv; output size and rates are irrelevant.
  const config = resolveCaptureConfig({
    id: 'probe',
    url,
    width: 2,
    height: 2,
    fps: 1,
    reconnect: { initialDelayMs: 1, maxDelayMs: 1, multiplier: 1 },
    stallTimeoutMs: timeoutMs,
  });
  const mask = createCredentialMasker(url);
  const sourceId = describeCaptureUrl(config.url);
  const args = [
    '-hide_banner',
    '-loglevel',
    'error',
    '-print_format',
    'json',
    '-show_format',
    '-show_streams',
    // Option names for RTSP changed between releases; nothing else here depends on the version.
    ...buildInputArgs(config, config.url.kind === 'rtsp' ? await detectFfmpegVersion(ffprobePath, sourceId) : undefined),
  ];

  const { stdout, stderr, exitCode, error } = await runProbe(ffprobePath, args, timeoutMs);
  const stderrLines = stderr
    .split(/\r?\n/)
    .map((line) => mask(line.trim()))
    .filter((line) => line.length > 0)
    .slice(-10);
  const fail = (code: ConstructorParameters<typeof CaptureError>[0], why: string): CaptureError =>
    new CaptureError(code, mask(`Probe of ${sourceId}: ${why}${stderrLines.length > 0 ? `; ffprobe: ${stderrLines.slice(-3).join(' | ')}` : ''}`), {
      sourceId,
      diagnostic: stderrLines,
      exitCode,
    });

  if (error?.code === 'ENOENT' || error?.code === 'EACCES') {
    throw fail('spawn_failed', `cannot run ffprobe at "${ffprobePath}" (${error.code})`);
  }
  if (error?.killed === true) throw fail('stalled', `ffprobe gave no answer within ${timeoutMs} ms`);
  if (exitCode !== 0) {
    const code = classifyRunOutcome({ exitCode, signal: null, stderrLines });
    throw fail(code === 'source_ended' ? 'process_failed' : code, `ffprobe exited with code ${String(exitCode)}`);
  }
  return parseProbeJson(stdout, (why) => fail('decode_error', why), () => fail('no_video_stream', 'the input has no video stream'));
}

interface ProbeJson {
  readonly format?: { readonly format_name?: string; readonly duration?: string };
  readonly streams?: ReadonlyArray<{
    readonly codec_type?: string;
    readonly codec_name?: string;
    readonly width?: number;
    readonly height?: number;
    readonly avg_frame_rate?: string;
    readonly r_frame_rate?: string;
  }>;
}

function parseProbeJson(
  stdout: string,
  invalid: (why: string) => CaptureError,
  noVideo: () => CaptureError,
): ProbeResult {
  let parsed: ProbeJson;
  try {
    parsed = JSON.parse(stdout) as ProbeJson;
  } catch {
    throw invalid('ffprobe printed no readable report');
  }
  const video = parsed.streams?.find((s) => s.codec_type === 'video');
  if (video === undefined) throw noVideo();
  if (typeof video.width !== 'number' || typeof video.height !== 'number' || video.width <= 0) {
    throw invalid('the video stream has no frame size (undecodable codec parameters)');
  }
  const duration = Number(parsed.format?.duration);
  return {
    formatName: parsed.format?.format_name ?? 'unknown',
    durationSec: Number.isFinite(duration) ? duration : undefined,
    video: {
      codec: video.codec_name ?? 'unknown',
      width: video.width,
      height: video.height,
      fps: parseRate(video.avg_frame_rate) ?? parseRate(video.r_frame_rate),
    },
  };
}

/** "30000/1001" → 29.97; "0/0" and garbage → undefined. */
export function parseRate(rate: string | undefined): number | undefined {
  const match = /^(\d+)\/(\d+)$/.exec(rate ?? '');
  if (match === null) return undefined;
  const value = Number(match[1]) / Number(match[2]);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

interface ProbeRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number | null;
  readonly error: (NodeJS.ErrnoException & { killed?: boolean }) | undefined;
}

function runProbe(ffprobePath: string, args: string[], timeoutMs: number): Promise<ProbeRun> {
  return new Promise((resolve) => {
    execFile(ffprobePath, args, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 4 << 20 }, (error, stdout, stderr) => {
      const exitCode = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({
        stdout: String(stdout),
        stderr: String(stderr),
        exitCode,
        error: error === null ? undefined : (error as NodeJS.ErrnoException & { killed?: boolean }),
      });
    });
  });
}
