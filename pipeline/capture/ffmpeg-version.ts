// A few ffmpeg options were renamed between releases that appliances still ship (Debian 12 has
// 5.1, JetPack 5 / Ubuntu 20.04 has 4.2). Passing the wrong name is not harmless: in 4.x the
// RTSP `-timeout` option means "listen for an incoming connection", so argv depends on version.
import { execFile } from 'node:child_process';
import { CaptureError } from './capture-error.js';

export interface FfmpegVersion {
  readonly major: number;
  readonly minor: number;
}

/**
 * Used when the banner carries no release number (git builds such as `N-113200-g...`): those
 * are newer than any release we know of, so they get the modern option names.
 */
export const ASSUMED_MODERN_VERSION: FfmpegVersion = { major: 99, minor: 0 };

/** Reads the release from `ffmpeg -version` (or `ffprobe -version`) output; git builds map to `ASSUMED_MODERN_VERSION`. */
export function parseFfmpegVersion(banner: string): FfmpegVersion | undefined {
  const release = /ff(?:mpeg|probe) version n?(\d+)\.(\d+)/i.exec(banner);
  if (release?.[1] !== undefined && release[2] !== undefined) {
    return { major: Number(release[1]), minor: Number(release[2]) };
  }
  if (/ff(?:mpeg|probe) version (N-|git-)/i.test(banner)) return ASSUMED_MODERN_VERSION;
  return undefined;
}

/** `-fps_mode` replaced `-vsync` in 5.1. */
export function supportsFpsMode(version: FfmpegVersion): boolean {
  return version.major > 5 || (version.major === 5 && version.minor >= 1);
}

/** The RTSP socket timeout is `-timeout` from 5.0 on and `-stimeout` before. */
export function rtspTimeoutOptionName(version: FfmpegVersion): '-timeout' | '-stimeout' {
  return version.major >= 5 ? '-timeout' : '-stimeout';
}

/**
 * Runs `<ffmpegPath> -version` (works for ffprobe too: both come from one release).
 * @throws CaptureError `spawn_failed` when the binary cannot be run or prints no version.
 */
export function detectFfmpegVersion(ffmpegPath: string, sourceId: string, timeoutMs = 10_000): Promise<FfmpegVersion> {
  return new Promise((resolve, reject) => {
    execFile(ffmpegPath, ['-hide_banner', '-version'], { timeout: timeoutMs, maxBuffer: 1 << 20 }, (error, stdout) => {
      const version = parseFfmpegVersion(String(stdout));
      if (version !== undefined) {
        resolve(version);
        return;
      }
      const why = error === null ? 'printed no version banner' : error.message;
      reject(
        new CaptureError('spawn_failed', `Capture source "${sourceId}": cannot run "${ffmpegPath}" -version: ${why}`, {
          sourceId,
          cause: error ?? undefined,
        }),
      );
    });
  });
}
