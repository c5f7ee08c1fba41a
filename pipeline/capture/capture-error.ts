// One typed error for everything a capture source can report, so that the daemon can react to a
// stable `code` (alert, health status, metrics) instead of parsing messages.

export type CaptureErrorCode =
  /** The configuration cannot describe a working source (bad URL, sizes, timings). */
  | 'invalid_config'
  /** ffmpeg itself could not be started (binary missing or not executable). */
  | 'spawn_failed'
  /** The input could not be opened: missing file, refused/unauthorised RTSP, busy device. */
  | 'source_unavailable'
  /** The input ended: normal for a file, unexpected for a camera. */
  | 'source_ended'
  /** The input was opened but its data could not be demuxed or decoded (corrupt/truncated). */
  | 'decode_error'
  /** No frame arrived within `stallTimeoutMs`; the process was killed. */
  | 'stalled'
  /** ffmpeg exited unsuccessfully for a reason its output does not explain. */
  | 'process_failed'
  /** ffprobe found no video stream in the input. */
  | 'no_video_stream';

export interface CaptureErrorDetails {
  /** Source id from the configuration, or the masked URL for a probe. */
  readonly sourceId: string;
  /** Last lines ffmpeg wrote to stderr, credentials masked. */
  readonly diagnostic?: readonly string[];
  readonly exitCode?: number | null;
  readonly signal?: string | null;
  readonly cause?: unknown;
}

export class CaptureError extends Error {
  override readonly name = 'CaptureError';
  readonly sourceId: string;
  readonly diagnostic: readonly string[];
  readonly exitCode: number | null;
  readonly signal: string | null;

  constructor(
    readonly code: CaptureErrorCode,
    message: string,
    details: CaptureErrorDetails,
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.sourceId = details.sourceId;
    this.diagnostic = details.diagnostic ?? [];
    this.exitCode = details.exitCode ?? null;
    this.signal = details.signal ?? null;
  }
}
