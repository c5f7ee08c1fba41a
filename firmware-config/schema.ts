// The appliance's one configuration file, as a strict JSON Schema: unknown keys are rejected,
// every field is titled, bounded and has a default, so an empty file `{}` is a working config.
// A field (or section) whose change only takes effect after a restart carries
// `requiresRestart: true` (see restart-fields.ts): the reload path derives what it cannot apply
// from these markers instead of a hand-kept list.
import Type, { type Static } from 'typebox';
import { DEFAULT_QUALITY_PROFILES, type QualityLimits } from '../pipeline/quality.js';

const Strict = { additionalProperties: false } as const;
/** Schema option: a change of this value is applied only by a restart of the daemon. */
const RequiresRestart = { requiresRestart: true } as const;

export const ExecutionProviderSchema = Type.Union(
  [Type.Literal('tensorrt'), Type.Literal('cuda'), Type.Literal('cpu')],
  { title: 'ONNX Runtime execution provider' },
);

export const ModelConfigSchema = Type.Object(
  {
    detector: Type.String({
      title: 'BlazeFace detector ONNX file (relative paths name files in the installation)',
      minLength: 1,
      default: 'models/blazeface/blazeface_back_256.onnx',
    }),
    embedder: Type.String({
      title: 'Face embedding ONNX file, relative to the installation; a sidecar .json with the same basename describes it',
      minLength: 1,
      default: 'models/g2d/g2d.onnx',
    }),
    executionProviders: Type.Array(ExecutionProviderSchema, {
      title: 'Execution providers, tried in order; cpu is the fallback',
      minItems: 1,
      maxItems: 3,
      uniqueItems: true,
      default: ['cpu'],
    }),
    intraOpThreads: Type.Integer({ title: 'ORT intra-op threads per session', minimum: 1, maximum: 64, default: 1 }),
    allowSpinning: Type.Boolean({
      title: 'Let ORT worker threads spin while idle (faster on idle cores, slower on busy ones)',
      default: false,
    }),
    detectionScoreThreshold: Type.Number({ title: 'Minimum detector score', minimum: 0.05, maximum: 0.99, default: 0.6 }),
    pad: Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: 4 })], {
      title:
        'Presentation-attack detection ONNX file(s), relative to the installation, each described by a sidecar .json; several are fused (mean log-odds), each on its own crop',
      default: ['models/padnet/padnet.onnx', 'models/padnet/padnet-tight.onnx'],
    }),
    maskClassifier: Type.String({
      title: 'Masked/unmasked classifier ONNX file on the aligned crop, relative to the installation; a sidecar .json describes it',
      minLength: 1,
      default: 'models/maskflag/maskflag.onnx',
    }),
  },
  { ...Strict, ...RequiresRestart, title: 'Models', default: {} },
);

/** The evidence behind one probe condition's threshold (matching.thresholds). */
export const ConditionCalibrationSchema = Type.Object(
  {
    threshold: Type.Number({ title: 'Threshold written for this condition', minimum: -1, maximum: 1 }),
    impostorComparisons: Type.Integer({ title: 'Impostor comparisons of this condition measured', minimum: 0 }),
    empiricalFmr: Type.Number({ title: 'FMR measured on them at the threshold', minimum: 0, maximum: 1 }),
    fmrUpperBound95: Type.Number({ title: '95% upper bound on FMR at the threshold', minimum: 0, maximum: 1 }),
  },
  { ...Strict, title: 'Calibration of one probe condition' },
);

export const CalibrationRecordSchema = Type.Object(
  {
    method: Type.String({ title: 'How the threshold was obtained', maxLength: 200 }),
    targetFmr: Type.Number({ title: 'Target false match rate per comparison', exclusiveMinimum: 0, maximum: 0.5 }),
    targetFpir: Type.Optional(Type.Number({ title: 'Target false positive identification rate per search', exclusiveMinimum: 0, maximum: 1 })),
    galleryTemplates: Type.Integer({ title: 'Templates in the gallery at calibration time', minimum: 0 }),
    impostorComparisons: Type.Integer({ title: 'Impostor comparisons measured', minimum: 0 }),
    genuineComparisons: Type.Integer({ title: 'Genuine comparisons measured', minimum: 0 }),
    expectedFnmr: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()], { title: 'Expected FNMR at the threshold' }),
    fmrUpperBound95: Type.Number({ title: '95% upper bound on FMR at the threshold', minimum: 0, maximum: 1 }),
    empiricalFmr: Type.Optional(Type.Number({ title: 'FMR measured on the impostor comparisons at the threshold', minimum: 0, maximum: 1 })),
    fpirGallerySize: Type.Optional(
      Type.Integer({ title: 'Gallery size N used to convert between FMR and FPIR, 1 - (1 - FMR)^N', minimum: 1 }),
    ),
    modelId: Type.String({ title: 'Model the threshold was calibrated for', maxLength: 200 }),
    calibratedAt: Type.String({ title: 'ISO 8601 time of calibration', maxLength: 64 }),
    byCondition: Type.Optional(
      Type.Object(
        { masked: Type.Optional(ConditionCalibrationSchema), unmasked: Type.Optional(ConditionCalibrationSchema) },
        { ...Strict, title: 'Per-condition thresholds written (matching.thresholds), each from its own impostor comparisons' },
      ),
    ),
  },
  { ...Strict, title: 'Calibration record' },
);

// Masked and unmasked probes have different impostor score distributions: the threshold of the
// decision's mask condition (access/condition-threshold.ts). Either may be absent; `threshold`
// stands in for it.
export const ConditionThresholdsSchema = Type.Object(
  {
    masked: Type.Optional(Type.Number({ title: 'Threshold for faces the mask classifier flags as masked', minimum: -1, maximum: 1 })),
    unmasked: Type.Optional(Type.Number({ title: 'Threshold for faces the mask classifier flags as unmasked', minimum: -1, maximum: 1 })),
  },
  {
    ...Strict,
    title:
      'Per-condition thresholds, chosen by the mask flag (set by `maskgate calibrate`); a face whose mask flag is unknown gets the higher of the two',
  },
);

export const MatchingConfigSchema = Type.Object(
  {
    threshold: Type.Number({
      // 0.35: FMR about 1e-3 per comparison for the shipped g2d model on masked-probe (UMR-MP)
      // development pairs (models/README.md). Another model or site needs `maskgate calibrate`.
      title: 'Cosine similarity at or above which a probe matches (set by `maskgate calibrate`)',
      minimum: -1,
      maximum: 1,
      default: 0.35,
    }),
    thresholds: Type.Optional(ConditionThresholdsSchema),
    calibration: Type.Optional(CalibrationRecordSchema),
    framesPerDecision: Type.Integer({
      title: 'Usable face frames fused per track before deciding',
      minimum: 1,
      maximum: 30,
      default: 3,
    }),
    trackIdleMs: Type.Integer({ title: 'A track with no face for this long ends', minimum: 100, maximum: 60_000, default: 1500 }),
    trackIouThreshold: Type.Number({ title: 'Minimum box IoU to continue a track', minimum: 0.01, maximum: 0.95, default: 0.2 }),
    grantTtlMs: Type.Integer({
      title: 'How long a grant stays valid for the door (its expiry)',
      minimum: 500,
      maximum: 60_000,
      default: 5000,
    }),
    redecideAfterMs: Type.Integer({
      title: 'A track still present this long after its decision is decided again',
      minimum: 1000,
      maximum: 600_000,
      default: 30_000,
    }),
  },
  { ...Strict, title: 'Matching and decisions', default: {} },
);

export const PadCalibrationRecordSchema = Type.Object(
  {
    method: Type.String({ title: 'How the threshold was obtained', maxLength: 200 }),
    target: Type.Union([Type.Literal('apcer'), Type.Literal('bpcer')], { title: 'Which error rate the threshold was set for' }),
    targetRate: Type.Number({ title: 'Target APCER or BPCER', exclusiveMinimum: 0, maximum: 0.5 }),
    upperBound95: Type.Number({ title: '95% upper bound on the targeted error rate at the threshold', minimum: 0, maximum: 1 }),
    expectedApcer: Type.Number({ title: 'APCER measured at the threshold', minimum: 0, maximum: 1 }),
    expectedBpcer: Type.Number({ title: 'BPCER measured at the threshold', minimum: 0, maximum: 1 }),
    attackPresentations: Type.Integer({ title: 'Attack presentations measured', minimum: 0 }),
    bonaFidePresentations: Type.Integer({ title: 'Bona fide presentations measured', minimum: 0 }),
    modelId: Type.String({ title: 'PAD model the threshold was calibrated for', maxLength: 200 }),
    calibratedAt: Type.String({ title: 'ISO 8601 time of calibration', maxLength: 64 }),
  },
  { ...Strict, title: 'PAD calibration record' },
);

export const PadConfigSchema = Type.Object(
  {
    enabled: Type.Boolean({ title: 'Check every track for a presentation attack (photo, screen) before any grant', default: true }),
    threshold: Type.Number({
      title: 'Fused attack score at or above which a track is denied as a presentation attack (set by `maskgate calibrate --pad`)',
      minimum: 0,
      maximum: 1,
      default: 0.55,
    }),
    calibration: Type.Optional(PadCalibrationRecordSchema),
  },
  { ...Strict, title: 'Presentation-attack detection', default: {} },
);

/** The six limits of one quality check set, with `q` as defaults. */
function qualityLimitFields(q: QualityLimits) {
  return {
    minInterEyePx: Type.Number({ title: 'Minimum distance between the eyes in pixels', minimum: 0, maximum: 500, default: q.minInterEyePx }),
    minSharpness: Type.Number({
      title: 'Minimum variance of the Laplacian over the eye region of the aligned crop',
      minimum: 0,
      maximum: 10_000,
      default: q.minSharpness,
    }),
    maxYawDeg: Type.Number({ title: 'Maximum estimated yaw in degrees', minimum: 5, maximum: 90, default: q.maxYawDeg }),
    maxRollDeg: Type.Number({ title: 'Maximum roll in degrees', minimum: 5, maximum: 180, default: q.maxRollDeg }),
    minScore: Type.Number({ title: 'Minimum detector score for a usable face', minimum: 0, maximum: 1, default: q.minScore }),
    maxOutOfFrame: Type.Number({
      title: 'Largest fraction of the face box allowed outside the image',
      minimum: 0,
      maximum: 1,
      default: q.maxOutOfFrame,
    }),
  };
}

const { door, photo } = DEFAULT_QUALITY_PROFILES;

// The top-level limits are the door's for unmasked faces (the camera; these keys predate the
// profiles). Thresholds and the curves they come from: docs/detection-alignment.md.
export const QualityConfigSchema = Type.Object(
  {
    ...qualityLimitFields(door.refuse.unmasked),
    masked: Type.Object(qualityLimitFields(door.refuse.masked), {
      ...Strict,
      title: 'Door (camera) limits for masked faces',
      default: {},
    }),
    photo: Type.Object(qualityLimitFields(photo.refuse.unmasked), {
      ...Strict,
      title: 'Photo profile (enrolment, embed, eval): refuse below these; the door limits only warn',
      default: {},
    }),
    photoMasked: Type.Object(qualityLimitFields(photo.refuse.masked), {
      ...Strict,
      title: 'Photo profile limits for masked faces',
      default: {},
    }),
  },
  { ...Strict, ...RequiresRestart, title: 'Face quality gate', default: {} },
);

export const MqttTlsConfigSchema = Type.Object(
  {
    caFile: Type.Optional(
      Type.String({ title: 'PEM file with the CA certificate(s) of the broker (default: the system CAs)', minLength: 1, maxLength: 1000 }),
    ),
    certFile: Type.Optional(Type.String({ title: 'PEM client certificate, for brokers that require mutual TLS', minLength: 1, maxLength: 1000 })),
    keyFile: Type.Optional(Type.String({ title: 'PEM private key of the client certificate', minLength: 1, maxLength: 1000 })),
    rejectUnauthorized: Type.Boolean({ title: 'Verify the broker certificate (turn off only on a test bench)', default: true }),
  },
  // A client certificate is useless without its key, and the other way round.
  { ...Strict, title: 'MQTT TLS, for mqtts:// broker URLs', dependencies: { certFile: ['keyFile'], keyFile: ['certFile'] } },
);

export const MqttConfigSchema = Type.Object(
  {
    url: Type.Union([Type.String({ minLength: 1, maxLength: 500 }), Type.Null()], {
      title: 'Broker URL (mqtt://, mqtts://); null starts the embedded broker',
      default: null,
    }),
    embeddedHost: Type.String({ title: 'Embedded broker listen address', minLength: 1, default: '127.0.0.1' }),
    embeddedPort: Type.Integer({ title: 'Embedded broker TCP port (0 = any free port)', minimum: 0, maximum: 65535, default: 1883 }),
    topicPrefix: Type.String({ title: 'Topic prefix', minLength: 1, maxLength: 100, pattern: '^[^#+]+$', default: 'maskgate' }),
    username: Type.Optional(Type.String({ title: 'Broker user name', maxLength: 200 })),
    password: Type.Optional(Type.String({ title: 'Broker password (masked in logs and config print)', maxLength: 500 })),
    keepaliveSeconds: Type.Integer({ title: 'MQTT keep-alive', minimum: 5, maximum: 600, default: 30 }),
    reconnectPeriodMs: Type.Integer({ title: 'Delay between reconnect attempts', minimum: 100, maximum: 60_000, default: 2000 }),
    outboxMaxMessages: Type.Integer({
      title: 'Maximum decisions kept on disk while the broker is unreachable',
      minimum: 10,
      maximum: 1_000_000,
      default: 10_000,
    }),
    tls: Type.Optional(MqttTlsConfigSchema),
  },
  { ...Strict, ...RequiresRestart, title: 'MQTT', default: {} },
);

export const CameraConfigSchema = Type.Object(
  {
    id: Type.String({ title: 'Camera id (used in topics and logs)', pattern: '^[A-Za-z0-9_-]{1,64}$' }),
    url: Type.String({
      title: 'Source: /dev/videoN, rtsp://…, a video file path, or lavfi:<graph>',
      minLength: 1,
      maxLength: 2000,
    }),
    doorId: Type.String({ title: 'Door this camera guards', pattern: '^[A-Za-z0-9_-]{1,64}$' }),
    width: Type.Integer({ title: 'Frame width fed to the pipeline', minimum: 64, maximum: 4096, default: 640 }),
    height: Type.Integer({ title: 'Frame height fed to the pipeline', minimum: 64, maximum: 4096, default: 480 }),
    fps: Type.Number({ title: 'Maximum frames per second analysed', minimum: 0.5, maximum: 60, default: 10 }),
    loop: Type.Boolean({ title: 'Loop a video file source', default: false }),
    // No schema default: what it means depends on the source kind (see firmware-config/camera-capture.ts).
    realtime: Type.Optional(
      Type.Boolean({
        title: 'File and lavfi sources only: play at the native rate (default true for them); live sources are real time by nature',
      }),
    ),
    threshold: Type.Optional(
      Type.Number({ title: 'Per-camera override of matching.threshold, for every mask condition (per-condition thresholds are not inherited)', minimum: -1, maximum: 1 }),
    ),
  },
  { ...Strict, title: 'Camera' },
);

export const CaptureTimingConfigSchema = Type.Object(
  {
    reconnectInitialDelayMs: Type.Integer({
      title: 'Wait before restarting a camera whose ffmpeg died or stalled',
      minimum: 50,
      maximum: 60_000,
      default: 500,
    }),
    reconnectMaxDelayMs: Type.Integer({
      title: 'Longest wait between restarts, however many failed in a row (at least reconnectInitialDelayMs)',
      minimum: 50,
      maximum: 600_000,
      default: 30_000,
    }),
    reconnectMultiplier: Type.Number({ title: 'Growth of the wait per consecutive failure (1 = fixed)', minimum: 1, maximum: 10, default: 2 }),
    stallTimeoutMs: Type.Integer({
      title: 'A camera that delivers no frame for this long is restarted',
      minimum: 1000,
      maximum: 300_000,
      default: 10_000,
    }),
  },
  { ...Strict, ...RequiresRestart, title: 'Camera capture: restart back-off and stall detection', default: {} },
);

export const DoorConfigSchema = Type.Object(
  {
    id: Type.String({ title: 'Door id, as in cameras[].doorId', pattern: '^[A-Za-z0-9_-]{1,64}$' }),
    grantTtlMs: Type.Optional(
      Type.Integer({ title: 'Per-door override of matching.grantTtlMs (a slow lock may need longer)', minimum: 500, maximum: 60_000 }),
    ),
    threshold: Type.Optional(
      Type.Number({ title: "Per-door override of matching.threshold (a camera's own threshold wins)", minimum: -1, maximum: 1 }),
    ),
    // A door that sets `threshold` or `thresholds` does not inherit matching.thresholds: the
    // site's per-condition values were calibrated with the site's threshold, not the door's.
    thresholds: Type.Optional(ConditionThresholdsSchema),
    pad: Type.Optional(
      Type.Object(
        {
          enabled: Type.Optional(Type.Boolean({ title: 'Per-door override of pad.enabled' })),
          threshold: Type.Optional(Type.Number({ title: 'Per-door override of pad.threshold', minimum: 0, maximum: 1 })),
        },
        { ...Strict, title: 'Per-door presentation-attack detection' },
      ),
    ),
  },
  { ...Strict, title: 'Door' },
);

export const MetricsConfigSchema = Type.Object(
  {
    enabled: Type.Boolean({ title: 'Serve Prometheus metrics at http://<host>:<port>/metrics', default: true }),
    host: Type.String({ title: 'Listen address', minLength: 1, default: '127.0.0.1' }),
    port: Type.Integer({ title: 'Listen port (0 = any free port)', minimum: 0, maximum: 65535, default: 9464 }),
  },
  { ...Strict, ...RequiresRestart, title: 'Prometheus metrics', default: {} },
);

export const ApiConfigSchema = Type.Object(
  {
    enabled: Type.Boolean({ title: 'Serve the enrolment API', default: true }),
    host: Type.String({ title: 'Listen address', minLength: 1, default: '127.0.0.1' }),
    port: Type.Integer({ title: 'Listen port (0 = any free port)', minimum: 0, maximum: 65535, default: 8080 }),
    maxUploadBytes: Type.Integer({ title: 'Largest accepted upload', minimum: 1024, maximum: 100 * 1024 * 1024, default: 10 * 1024 * 1024 }),
    maxImagePixels: Type.Integer({
      title: 'Largest accepted photo in decoded pixels (width x height); refuses decompression bombs',
      minimum: 10_000,
      maximum: 100_000_000,
      default: 25_000_000,
    }),
    authFailureLimitPerMinute: Type.Integer({
      title: 'Failed authentications per client address per minute before it gets 429',
      minimum: 1,
      maximum: 10_000,
      default: 10,
    }),
    sessionMinutes: Type.Integer({
      title: 'How long a console sign-in lasts before the browser must sign in again',
      minimum: 5,
      maximum: 24 * 60,
      default: 60,
    }),
    liveThumbnails: Type.Boolean({
      title: "Send a small face thumbnail with each decision on the console's Live page (held in memory for the live stream only; never stored, logged or published)",
      default: false,
    }),
    tls: Type.Optional(
      Type.Object(
        {
          certFile: Type.String({ title: 'PEM certificate chain file', minLength: 1 }),
          keyFile: Type.String({ title: 'PEM private key file', minLength: 1 }),
        },
        { ...Strict, title: 'Serve HTTPS with this certificate (absent: plain HTTP)' },
      ),
    ),
  },
  { ...Strict, ...RequiresRestart, title: 'Enrolment API', default: {} },
);

export const HomeAssistantConfigSchema = Type.Object(
  {
    enabled: Type.Boolean({ title: 'Announce doors and cameras with Home Assistant MQTT discovery (retained configs)', default: false }),
    discoveryPrefix: Type.String({ title: 'Home Assistant discovery prefix', minLength: 1, maxLength: 100, pattern: '^[^#+]+$', default: 'homeassistant' }),
  },
  { ...Strict, ...RequiresRestart, title: 'Home Assistant', default: {} },
);

// Replication between the appliances of one site (docs/campus.md). Key material lives in files
// of its own (0600), never in this config, so `config print` and logs cannot show a key.
export const ReplicationConfigSchema = Type.Object(
  {
    role: Type.Union([Type.Literal('standalone'), Type.Literal('authority'), Type.Literal('replica')], {
      title: 'standalone: own gallery only; authority: the site enrolment point, publishes changes; replica: applies them',
      default: 'standalone',
    }),
    siteId: Type.String({ title: 'Site id (topic segment); the same on every appliance of the site', pattern: '^[A-Za-z0-9_-]{1,64}$', default: 'site' }),
    authorityId: Type.Optional(
      Type.String({ title: "Replica: the authority's applianceId (changes from anyone else are refused)", pattern: '^[A-Za-z0-9_-]{1,64}$' }),
    ),
    siteKeysFile: Type.Optional(Type.String({ title: 'Site key ring (JSON, AES-256-GCM keys by version; `maskgate replication keygen`)', minLength: 1, maxLength: 1000 })),
    signingKeyFile: Type.Optional(Type.String({ title: "Authority: its Ed25519 private key (PEM)", minLength: 1, maxLength: 1000 })),
    authorityPublicKeyFile: Type.Optional(Type.String({ title: "Replica: the authority's Ed25519 public key (PEM)", minLength: 1, maxLength: 1000 })),
    replicas: Type.Array(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }), {
      title: 'Authority: the replicas expected to confirm each erasure (others count once they report)',
      maxItems: 256,
      uniqueItems: true,
      default: [],
    }),
    sessionExpirySeconds: Type.Integer({
      title: 'How long the broker queues changes for an appliance that is away (MQTT 5 session expiry)',
      minimum: 3600,
      maximum: 90 * 24 * 3600,
      default: 14 * 24 * 3600,
    }),
  },
  { ...Strict, ...RequiresRestart, title: 'Replication between appliances', default: {} },
);

// The decision search over a campus-sized gallery (docs/campus.md, "Campus-sized search"). The
// exact scan reads int8 codes of every template and re-ranks the best in float32, answering only
// when it can prove the float32 scan's answer (else that scan answers): exact at any size. An
// HNSW index can be put in front of it for galleries too large to scan in a door's time; it is
// built when the daemon starts (in memory only, never on disk), so settings take effect on a restart.
export const SearchConfigSchema = Type.Object(
  {
    codedScan: Type.Boolean({
      title: 'Scan large galleries on int8 codes with an exact float32 re-rank, answered only when provably exact (off: the float32 scan)',
      default: true,
    }),
    codedCandidates: Type.Integer({
      title: 'Templates per block of 16,384 whose codes score best, re-ranked in float32 (too few only makes the proof fail, and the float32 scan answer, more often)',
      minimum: 1,
      maximum: 4096,
      default: 32,
    }),
    codedThreads: Type.Integer({
      title: 'Threads that scan the int8 codes, each its share of the blocks (1: the event-loop thread alone; each one more keeps its own copy of its share)',
      minimum: 1,
      maximum: 16,
      default: 2,
    }),
    pinCodedThreads: Type.Boolean({
      title: 'Give each thread that scans the codes a CPU of its own where the appliance may use that many (the event-loop thread then only sends the probe and re-ranks; off: the scheduler places them)',
      default: true,
    }),
    index: Type.Boolean({
      title: 'Put an approximate HNSW index in front of the exact scan (for galleries of millions; answers re-ranked exactly, denials confirmed by the exact scan)',
      default: false,
    }),
    indexMinTemplates: Type.Integer({ title: 'Templates from which decisions use the index (fewer: the exact scan)', minimum: 1000, maximum: 1e8, default: 20_000 }),
    connectivity: Type.Integer({ title: 'HNSW links per template (M): recall against memory and build time', minimum: 4, maximum: 64, default: 16 }),
    expansionAdd: Type.Integer({ title: 'HNSW candidate list while building (efConstruction)', minimum: 16, maximum: 1024, default: 128 }),
    expansionSearch: Type.Integer({ title: 'HNSW candidate list per search (ef): recall against latency', minimum: 16, maximum: 4096, default: 128 }),
    candidates: Type.Integer({ title: 'Templates the index proposes per probe for the exact float32 re-rank', minimum: 1, maximum: 4096, default: 64 }),
    quantization: Type.Union([Type.Literal('f32'), Type.Literal('f16'), Type.Literal('i8')], {
      title: "How the index stores its copy of each template (the re-rank always uses the float32 gallery)",
      default: 'f32',
    }),
    confirmDenials: Type.Boolean({
      title: 'Check with the exact scan every index answer that would deny (grants stay fast; every denial is what the exact scan decides)',
      default: true,
    }),
    buildThreads: Type.Integer({ title: 'Threads that build the index (the cameras need the other cores)', minimum: 1, maximum: 64, default: 1 }),
  },
  { ...Strict, ...RequiresRestart, title: 'Decision search', default: {} },
);

export const ConfigSchema = Type.Object(
  {
    applianceId: Type.String({ title: 'Appliance id (topic segment)', pattern: '^[A-Za-z0-9_-]{1,64}$', default: 'maskgate-1', ...RequiresRestart }),
    dataDir: Type.String({ title: 'Directory for the SQLite database and runtime files', minLength: 1, default: 'var', ...RequiresRestart }),
    logLevel: Type.Union(
      [Type.Literal('fatal'), Type.Literal('error'), Type.Literal('warn'), Type.Literal('info'), Type.Literal('debug'), Type.Literal('trace')],
      { title: 'Log level', default: 'info' },
    ),
    model: ModelConfigSchema,
    matching: MatchingConfigSchema,
    pad: PadConfigSchema,
    quality: QualityConfigSchema,
    mqtt: MqttConfigSchema,
    api: ApiConfigSchema,
    cameras: Type.Array(CameraConfigSchema, { title: 'Cameras', maxItems: 16, default: [], ...RequiresRestart }),
    capture: CaptureTimingConfigSchema,
    doors: Type.Array(DoorConfigSchema, { title: 'Per-door overrides (doors not listed use the matching defaults)', maxItems: 64, default: [] }),
    metrics: MetricsConfigSchema,
    replication: ReplicationConfigSchema,
    homeAssistant: HomeAssistantConfigSchema,
    search: SearchConfigSchema,
  },
  { ...Strict, title: 'maskgate configuration' },
);

export type Config = Static<typeof ConfigSchema>;
export type CameraConfig = Static<typeof CameraConfigSchema>;
export type CaptureTimingConfig = Static<typeof CaptureTimingConfigSchema>;
export type DoorConfig = Static<typeof DoorConfigSchema>;
export type MqttTlsConfig = Static<typeof MqttTlsConfigSchema>;
export type MetricsConfig = Static<typeof MetricsConfigSchema>;
export type MqttConfig = Static<typeof MqttConfigSchema>;
export type ModelConfig = Static<typeof ModelConfigSchema>;
export type MatchingConfig = Static<typeof MatchingConfigSchema>;
export type QualityConfig = Static<typeof QualityConfigSchema>;
export type ConditionThresholdsConfig = Static<typeof ConditionThresholdsSchema>;
export type ConditionCalibrationRecord = Static<typeof ConditionCalibrationSchema>;
export type CalibrationRecord = Static<typeof CalibrationRecordSchema>;
export type PadConfig = Static<typeof PadConfigSchema>;
export type PadCalibrationRecord = Static<typeof PadCalibrationRecordSchema>;
export type ApiConfig = Static<typeof ApiConfigSchema>;
export type ReplicationConfig = Static<typeof ReplicationConfigSchema>;
export type SearchConfig = Static<typeof SearchConfigSchema>;
