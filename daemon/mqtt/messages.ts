// Every MQTT payload the appliance publishes, typed in one place. The JSON Schemas in
// `docs/schemas/` are generated from these TypeBox definitions, so code and docs cannot drift.
import Type, { type Static, type TSchema } from 'typebox';
import { CalibrationRecordSchema, ConditionThresholdsSchema } from '../../firmware-config/schema.js';
import { DecisionMessageSchema } from '../../access/decision-message.js';

export const AvailabilityPayload = { online: 'online', offline: 'offline' } as const;

/** The availability payload is plain text (Home Assistant's convention), not a JSON document. */
export const AvailabilitySchema = Type.Union([Type.Literal('online'), Type.Literal('offline')], {
  title: 'Appliance availability: raw UTF-8 text "online" or "offline", retained; "offline" is also the last will',
});

// ---- Request / response -------------------------------------------------------------------
// A client publishes `<base>/request/<name>` with `{transaction, ...parameters}` and gets
// `<base>/response/<name>` with `{status, data, error, transaction}`.

export const REQUEST_MAX_BYTES = 64 * 1024;

const Transaction = Type.String({ title: 'Caller-chosen id, echoed in the response', minLength: 1, maxLength: 128 });
const DoorId = Type.String({ title: 'Door id', pattern: '^[A-Za-z0-9_-]{1,64}$' });

export const LastDecisionRequestSchema = Type.Object(
  { transaction: Transaction, doorId: DoorId },
  { additionalProperties: false, title: 'Ask for the last unexpired decision for a door (e.g. after the door reconnected)' },
);
export const StatusRequestSchema = Type.Object({ transaction: Transaction }, { additionalProperties: false, title: 'Ask for the appliance status summary' });
export const ReloadConfigRequestSchema = Type.Object(
  { transaction: Transaction },
  { additionalProperties: false, title: 'Re-read the config file and apply what can be applied without a restart' },
);

export const PinRequestSchema = Type.Object(
  {
    transaction: Transaction,
    doorId: DoorId,
    eventId: Type.String({ title: 'eventId of the pin_required decision the PIN answers', minLength: 1, maxLength: 64 }),
    pin: Type.String({ title: 'The PIN typed on the door keypad: 4 to 12 digits', pattern: '^[0-9]{4,12}$' }),
  },
  { additionalProperties: false, title: 'A face+pin door sends the PIN typed after a pin_required decision (docs/access-policy.md)' },
);

export const RequestErrorCodeSchema = Type.Union(
  [
    Type.Literal('payload_too_large'),
    Type.Literal('invalid_json'),
    Type.Literal('invalid_transaction'),
    Type.Literal('invalid_request'),
    Type.Literal('unknown_request'),
    Type.Literal('config_unavailable'),
    Type.Literal('config_invalid'),
    Type.Literal('pin_not_expected'),
    Type.Literal('internal_error'),
  ],
  { title: 'Stable error code' },
);
export type RequestErrorCode = Static<typeof RequestErrorCodeSchema>;

export const RequestErrorSchema = Type.Object(
  { code: RequestErrorCodeSchema, message: Type.String({ title: 'Human-readable explanation' }) },
  { additionalProperties: false },
);

/** The response envelope for one request: `data` on success, `error` on failure, never both. */
export function responseSchema<T extends TSchema>(name: string, data: T) {
  return Type.Union(
    [
      Type.Object(
        { status: Type.Literal('ok'), data, error: Type.Null(), transaction: Type.String() },
        { additionalProperties: false },
      ),
      Type.Object(
        {
          status: Type.Literal('error'),
          data: Type.Null(),
          error: RequestErrorSchema,
          transaction: Type.Union([Type.String(), Type.Null()], { title: 'null when the request carried no readable transaction' }),
        },
        { additionalProperties: false },
      ),
    ],
    { title: `Response to request "${name}"` },
  );
}

export type ResponseMessage =
  | { status: 'ok'; data: unknown; error: null; transaction: string }
  | { status: 'error'; data: null; error: { code: RequestErrorCode; message: string }; transaction: string | null };

const Iso = (title: string) => Type.String({ title, format: 'date-time' });
const IsoOrNull = (title: string) => Type.Union([Iso(title), Type.Null()]);

export const CaptureStateSchema = Type.Union(
  [Type.Literal('starting'), Type.Literal('running'), Type.Literal('reconnecting'), Type.Literal('stopped')],
  { title: 'Capture state of the camera input' },
);
export const BrokerStateSchema = Type.Union(
  [Type.Literal('connecting'), Type.Literal('connected'), Type.Literal('disconnected'), Type.Literal('closed')],
  { title: 'MQTT connection state' },
);

export const CameraStatusSchema = Type.Object(
  {
    id: Type.String(),
    doorId: Type.String(),
    captureState: CaptureStateSchema,
    framesReceived: Type.Integer({ minimum: 0 }),
    framesAnalysed: Type.Integer({ minimum: 0 }),
    framesDropped: Type.Integer({ minimum: 0, title: 'Frames skipped because the previous one was still being analysed' }),
    facesSeen: Type.Integer({ minimum: 0 }),
    facesUsable: Type.Integer({ minimum: 0, title: 'Faces that passed the quality gate' }),
    lastFrameAt: IsoOrNull('Arrival of the last frame'),
    lastAnalysedAt: IsoOrNull('End of the last frame analysis'),
    lastAnalysisMs: Type.Union([Type.Number({ minimum: 0 }), Type.Null()], { title: 'Duration of the last frame analysis' }),
    restarts: Type.Integer({ minimum: 0, title: "Restarts of the camera's capture process since the appliance started" }),
  },
  { additionalProperties: false },
);

/** Retained on `<base>/camera/<cameraId>/status`, republished on every capture state change. */
export const CameraStatusMessageSchema = Type.Object(
  {
    schema: Type.Literal('maskgate.camera-status/1'),
    applianceId: Type.String(),
    cameraId: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }),
    doorId: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }),
    state: CaptureStateSchema,
    up: Type.Boolean({ title: 'True while frames are flowing (state "running")' }),
    since: Iso('When the camera entered this state'),
    restarts: Type.Integer({ minimum: 0, title: "Restarts of the camera's capture process since the appliance started" }),
    lastFrameAt: IsoOrNull('Arrival of the last frame'),
    error: Type.Union(
      [
        Type.Literal('invalid_config'),
        Type.Literal('spawn_failed'),
        Type.Literal('source_unavailable'),
        Type.Literal('source_ended'),
        Type.Literal('decode_error'),
        Type.Literal('stalled'),
        Type.Literal('process_failed'),
        Type.Literal('no_video_stream'),
        Type.Null(),
      ],
      { title: 'Why the camera left "running" (capture error code); null while running or before the first failure' },
    ),
    publishedAt: Iso('When this status was published'),
  },
  { additionalProperties: false, title: 'Supervision status of one camera (retained); after an unclean exit see availability' },
);
export type CameraStatusMessage = Static<typeof CameraStatusMessageSchema>;

export const StatusSummarySchema = Type.Object(
  {
    applianceId: Type.String(),
    startedAt: Iso('When the appliance started'),
    uptimeSeconds: Type.Number({ minimum: 0 }),
    modelId: Type.String({ title: 'Embedding model in use' }),
    gallery: Type.Object({ templates: Type.Integer({ minimum: 0, title: 'Enrolled templates searched' }) }, { additionalProperties: false }),
    cameras: Type.Array(CameraStatusSchema),
    broker: Type.Object(
      {
        state: BrokerStateSchema,
        url: Type.Union([Type.String(), Type.Null()], { title: 'Broker URL, credentials removed' }),
        embedded: Type.Boolean({ title: 'Whether the appliance runs its own broker' }),
      },
      { additionalProperties: false },
    ),
    outbox: Type.Object(
      { depth: Type.Integer({ minimum: 0, title: 'Messages waiting on disk for the broker' }) },
      { additionalProperties: false },
    ),
    matching: Type.Object(
      {
        threshold: Type.Number({ title: 'Default threshold (cameras and doors may override it)' }),
        targetFmr: Type.Union([Type.Number(), Type.Null()]),
        thresholds: Type.Union([ConditionThresholdsSchema, Type.Null()], { title: 'Default per-condition thresholds (matching.thresholds), null when none' }),
        calibration: Type.Union([CalibrationRecordSchema, Type.Null()], { title: 'How the threshold was calibrated, if it was' }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false, title: 'Appliance status summary' },
);
export type StatusSummary = Static<typeof StatusSummarySchema>;
export type CameraStatus = Static<typeof CameraStatusSchema>;

export const ReloadConfigResultSchema = Type.Object(
  {
    restartNeeded: Type.Array(Type.String(), {
      title: 'Config sections that changed but take effect only after a restart (empty: everything was applied)',
    }),
  },
  { additionalProperties: false },
);
export type ReloadConfigResult = Static<typeof ReloadConfigResultSchema>;

export const LastDecisionResultSchema = Type.Union([DecisionMessageSchema, Type.Null()], {
  title: 'The last decision for the door, or null when there is none that has not expired',
});

export const PinResultSchema = Type.Object(
  {
    eventId: Type.String({ title: 'Id of the new decision, also published on the door topic' }),
    outcome: Type.Union([Type.Literal('grant'), Type.Literal('deny')]),
    reason: Type.Union([Type.Literal('pin_accepted'), Type.Literal('pin_rejected'), Type.Literal('pin_locked')]),
    personId: Type.String(),
    lockedUntil: IsoOrNull('While locked out: when PINs are checked again'),
  },
  { additionalProperties: false, title: 'What the PIN decided' },
);
export type PinResult = Static<typeof PinResultSchema>;

/** Every request the appliance answers: its parameters and the `data` of a successful response. */
export const REQUESTS = {
  'last-decision': { request: LastDecisionRequestSchema, data: LastDecisionResultSchema },
  status: { request: StatusRequestSchema, data: StatusSummarySchema },
  'reload-config': { request: ReloadConfigRequestSchema, data: ReloadConfigResultSchema },
  pin: { request: PinRequestSchema, data: PinResultSchema },
} as const;
export type RequestName = keyof typeof REQUESTS;
export const REQUEST_NAMES = Object.keys(REQUESTS) as RequestName[];

/** Topic layout: `<prefix>/<applianceId>/…`, one place so that docs and tests agree. */
export class Topics {
  constructor(
    readonly prefix: string,
    readonly applianceId: string,
  ) {}

  get base(): string {
    return `${this.prefix}/${this.applianceId}`;
  }
  get availability(): string {
    return `${this.base}/availability`;
  }
  decision(doorId: string): string {
    return `${this.base}/door/${doorId}/decision`;
  }
  /** Decisions that expired before the broker could take them: published for audit, never to doors. */
  get expired(): string {
    return `${this.base}/expired`;
  }
  /** Retained supervision status of one camera. */
  cameraStatus(cameraId: string): string {
    return `${this.base}/camera/${cameraId}/status`;
  }
  request(name: string): string {
    return `${this.base}/request/${name}`;
  }
  response(name: string): string {
    return `${this.base}/response/${name}`;
  }
  /** The subscription that receives every request. */
  get requests(): string {
    return `${this.base}/request/+`;
  }
}

/**
 * Every payload on every topic, for `docs/schemas/` (written by scripts/write-schemas.mjs) and
 * the contract tests. `topic` is relative to `<prefix>/<applianceId>`.
 */
export const PAYLOAD_SCHEMAS: ReadonlyArray<{ readonly file: string; readonly topic: string; readonly schema: TSchema }> = [
  { file: 'availability.schema.json', topic: 'availability', schema: AvailabilitySchema },
  { file: 'decision.schema.json', topic: 'door/<doorId>/decision and expired', schema: DecisionMessageSchema },
  { file: 'camera-status.schema.json', topic: 'camera/<cameraId>/status', schema: CameraStatusMessageSchema },
  ...REQUEST_NAMES.flatMap((name) => [
    { file: `request.${name}.schema.json`, topic: `request/${name}`, schema: REQUESTS[name].request },
    { file: `response.${name}.schema.json`, topic: `response/${name}`, schema: responseSchema(name, REQUESTS[name].data as TSchema) },
  ]),
];
