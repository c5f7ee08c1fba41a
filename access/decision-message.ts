// The access decision for one face track: the domain's output, published to doors by the daemon
// and kept in the audit trail. The JSON Schema in `docs/schemas/` is generated from this definition.
import Type, { type Static } from 'typebox';
import { ThresholdConditionSchema } from './condition-threshold.js';
export const OutcomeSchema = Type.Union([Type.Literal('grant'), Type.Literal('deny'), Type.Literal('unknown')], {
  title: 'grant: matched an active enrolled person the access policy lets through; deny: a usable face matched nobody, an inactive person, or a person the policy refuses (see reason); unknown: no usable face was acquired (FTA)',
});
export type Outcome = Static<typeof OutcomeSchema>;

export const DecisionReasonSchema = Type.Union(
  [
    Type.Literal('match'),
    Type.Literal('no_match'),
    Type.Literal('inactive_person'),
    Type.Literal('no_usable_face'),
    // Access policy (docs/access-policy.md): a recognised person the policy does not let through.
    Type.Literal('not_yet_valid'),
    Type.Literal('expired'),
    Type.Literal('door_not_permitted'),
    Type.Literal('outside_schedule'),
    Type.Literal('pin_required'),
    Type.Literal('pin_accepted'),
    Type.Literal('pin_rejected'),
    Type.Literal('pin_locked'),
    // Presentation-attack detection (docs/pad.md).
    Type.Literal('presentation_attack'),
    Type.Literal('pad_failed'),
  ],
  {
    title:
      'Why the outcome was reached; presentation_attack: the fused PAD score reached the threshold (a photo, screen or cut-out), pad_failed: PAD is on for the door but no frame could be scored',
  },
);
export type DecisionReason = Static<typeof DecisionReasonSchema>;

export const PadResultSchema = Type.Object(
  {
    score: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()], {
      title: 'Fused attack score over the frames (0 live, 1 attack); null when no frame could be scored',
    }),
    threshold: Type.Number({ minimum: 0, maximum: 1, title: 'PAD threshold in force for the door' }),
    frames: Type.Integer({ minimum: 0, title: 'Frames whose PAD scores were fused' }),
  },
  { additionalProperties: false, title: 'Presentation-attack detection for this track; null when PAD is off for the door' },
);

const Iso = (title: string) => Type.String({ title, format: 'date-time' });

export const DecisionMessageSchema = Type.Object(
  {
    schema: Type.Literal('maskgate.decision/1'),
    eventId: Type.String({ title: 'Unique id of this decision (UUID)' }),
    applianceId: Type.String(),
    cameraId: Type.String(),
    doorId: Type.String(),
    trackId: Type.String({ title: 'Tracker id of the face within this camera' }),
    outcome: OutcomeSchema,
    reason: DecisionReasonSchema,
    personId: Type.Union([Type.String(), Type.Null()]),
    personName: Type.Union([Type.String(), Type.Null()]),
    score: Type.Union([Type.Number({ minimum: -1, maximum: 1 }), Type.Null()], { title: 'Best cosine similarity' }),
    threshold: Type.Number({ title: 'Threshold in force: that of the face\'s mask condition where per-condition thresholds are configured' }),
    thresholdCondition: ThresholdConditionSchema,
    targetFmr: Type.Union([Type.Number(), Type.Null()], { title: 'FMR target the threshold was calibrated for, if any' }),
    modelId: Type.String(),
    masked: Type.Union([Type.Boolean(), Type.Null()], {
      title: 'Whether the face wore a mask (majority of the fused frames, by the mask classifier); null when not estimated',
    }),
    pad: Type.Union([PadResultSchema, Type.Null()]),
    framesUsed: Type.Integer({ minimum: 0, title: 'Usable face frames fused into the decision' }),
    firstSeenAt: Iso('When the track started'),
    decidedAt: Iso('When the decision was made'),
    expiresAt: Iso('After this time the door must not act on the decision'),
  },
  { additionalProperties: false, title: 'Access decision for one face track' },
);
export type DecisionMessage = Static<typeof DecisionMessageSchema>;
