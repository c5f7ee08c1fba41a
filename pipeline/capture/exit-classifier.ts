// Maps how an ffmpeg run ended to a stable error code. ffmpeg's exit status is nearly always 1,
// so the reason has to come from its last stderr lines; the newest matching line wins because a
// live stream often logs recoverable decode glitches before the fatal network error.
import type { CaptureErrorCode } from './capture-error.js';

export interface RunOutcome {
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** stderr lines, oldest first. */
  readonly stderrLines: readonly string[];
}

const UNAVAILABLE = [
  /no such file or directory/i,
  /is a directory/i,
  /permission denied/i,
  /connection refused/i,
  /connection timed out|operation timed out|timed out/i,
  /no route to host|network is unreachable/i,
  /name or service not known|temporary failure in name resolution|failed to resolve/i,
  /server returned \d{3}|method \w+ failed: \d{3}/i,
  /connection reset by peer/i,
  /cannot open video device|no such device|device or resource busy/i,
  /input\/output error/i,
];

const DECODE = [
  /invalid data found when processing input/i,
  /moov atom not found/i,
  /invalid nal unit/i,
  /error while decoding/i,
  /error splitting the input/i,
  /partial file/i,
  /corrupt/i,
  /could not find codec parameters/i,
  /no decoder|decoder .* not found/i,
];

type FailureCode = Extract<CaptureErrorCode, 'source_unavailable' | 'decode_error' | 'process_failed'>;

/** Classifies a run that ended on its own (not killed by us). Exit 0 means the input ended. */
export function classifyRunOutcome(outcome: RunOutcome): FailureCode | 'source_ended' {
  if (outcome.exitCode === 0) return 'source_ended';
  for (let i = outcome.stderrLines.length - 1; i >= 0; i -= 1) {
    const line = outcome.stderrLines[i] ?? '';
    if (UNAVAILABLE.some((pattern) => pattern.test(line))) return 'source_unavailable';
    if (DECODE.some((pattern) => pattern.test(line))) return 'decode_error';
  }
  return 'process_failed';
}
