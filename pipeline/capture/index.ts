// Public surface of the capture module; the daemon imports from here only.
export { CaptureError, type CaptureErrorCode, type CaptureErrorDetails } from './capture-error.js';
export {
  type CaptureConfig,
  type EndPolicy,
  frameByteLength,
  type ReconnectPolicy,
  type ResolvedCaptureConfig,
  resolveCaptureConfig,
  type V4l2InputOptions,
} from './capture-config.js';
export {
  type CaptureUrl,
  type CaptureUrlKind,
  describeCaptureUrl,
  isFiniteInput,
  parseCaptureUrl,
  SUPPORTED_URL_FORMS,
} from './capture-url.js';
export { buildFfmpegArgs, buildInputArgs, describeFfmpegCommand, videoFilter } from './ffmpeg-args.js';
export { detectFfmpegVersion, type FfmpegVersion, parseFfmpegVersion } from './ffmpeg-version.js';
export { FfmpegFrameSource, type FfmpegFrameSourceOptions } from './ffmpeg-frame-source.js';
export type {
  CaptureState,
  CaptureStateChange,
  CaptureStats,
  FrameSource,
  FrameSourceEventName,
  FrameSourceEvents,
  FrameSourceListener,
} from './frame-source.js';
export { createCredentialMasker, maskUrlCredentials } from './mask-credentials.js';
export { probeSource, type ProbeOptions, type ProbeResult } from './probe-source.js';
