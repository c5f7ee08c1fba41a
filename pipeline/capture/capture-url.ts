// Turns the configured `url` string into a typed description of the input, so that argv
// building, probing and logging switch on a kind instead of re-parsing strings.
import { CaptureError } from './capture-error.js';
import { maskUrlCredentials } from './mask-credentials.js';

export type CaptureUrl =
  /** A video file on disk (ffmpeg is given `file:<path>` so colons in names are not protocols). */
  | { readonly kind: 'file'; readonly path: string }
  /** A libavfilter source graph, e.g. `testsrc2=size=640x480:rate=15`; for tests and demos. */
  | { readonly kind: 'lavfi'; readonly graph: string }
  /** A V4L2 capture device, e.g. `/dev/video0` or a stable `/dev/v4l/by-id/...` link. */
  | { readonly kind: 'v4l2'; readonly device: string }
  /** An RTSP(S) stream; `url` may contain credentials and must only be logged masked. */
  | { readonly kind: 'rtsp'; readonly url: string };

export type CaptureUrlKind = CaptureUrl['kind'];

export const SUPPORTED_URL_FORMS =
  'a file path (or file:<path>), lavfi:<graph>, /dev/videoN, /dev/v4l/..., v4l2:<device>, rtsp://..., rtsps://...';

/**
 * Parses a capture URL. `sourceId` only labels the error.
 * @throws CaptureError `invalid_config` for empty strings and unsupported schemes.
 */
export function parseCaptureUrl(url: string, sourceId = 'capture'): CaptureUrl {
  const trimmed = url.trim();
  const invalid = (why: string): CaptureError =>
    new CaptureError(
      'invalid_config',
      `Capture source "${sourceId}": ${why} (got "${maskUrlCredentials(trimmed)}"; supported: ${SUPPORTED_URL_FORMS})`,
      { sourceId },
    );

  if (trimmed.length === 0) throw invalid('the URL is empty');

  if (/^rtsps?:\/\//i.test(trimmed)) {
    if (!/^rtsps?:\/\/[^/?#\s]+/i.test(trimmed)) throw invalid('the RTSP URL has no host');
    return { kind: 'rtsp', url: trimmed };
  }
  if (/^lavfi:/i.test(trimmed)) {
    const graph = trimmed.slice('lavfi:'.length);
    if (graph.length === 0) throw invalid('lavfi: needs a filter graph');
    return { kind: 'lavfi', graph };
  }
  if (/^v4l2:/i.test(trimmed)) {
    const device = trimmed.slice('v4l2:'.length);
    if (!device.startsWith('/')) throw invalid('v4l2: needs an absolute device path');
    return { kind: 'v4l2', device };
  }
  if (/^\/dev\/(video\d+$|v4l\/)/.test(trimmed)) return { kind: 'v4l2', device: trimmed };
  if (/^file:/i.test(trimmed)) {
    const path = trimmed.replace(/^file:(\/\/(?=\/))?/i, '');
    if (path.length === 0) throw invalid('file: needs a path');
    return { kind: 'file', path };
  }
  // Anything else with a scheme (http://, udp://, ...) is a transport we have not tested.
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) throw invalid('unsupported URL scheme');
  return { kind: 'file', path: trimmed };
}

/** A loggable description of the input, credentials masked. */
export function describeCaptureUrl(url: CaptureUrl): string {
  switch (url.kind) {
    case 'file':
      return `file ${url.path}`;
    case 'lavfi':
      return `lavfi ${url.graph}`;
    case 'v4l2':
      return `v4l2 ${url.device}`;
    case 'rtsp':
      return maskUrlCredentials(url.url);
  }
}

/** Whether the input is a finite recording rather than a live feed. */
export function isFiniteInput(url: CaptureUrl): boolean {
  return url.kind === 'file';
}
