// JSON Schemas (TypeBox) of the access-policy routes (docs/access-policy.md). Kept beside
// schemas.ts, in the same style: Fastify validates and serialises with them, swagger publishes them.
import Type, { type Static } from 'typebox';
import { Id, Millis } from './schemas.js';

// Names are shown on the console and in logs: no control characters, at least one visible one.
const Name = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: '^[^\\u0000-\\u001f\\u007f]*[^\\s\\u0000-\\u001f\\u007f][^\\u0000-\\u001f\\u007f]*$',
  description: 'Unique among its kind; no control characters',
});
export const DoorId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'Door id from the config' });
const Clock = Type.String({ pattern: '^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$', description: 'HH:MM wall-clock time in the site time zone' });
const Instant = Type.String({ format: 'date-time', description: 'RFC 3339 instant with offset' });
const Weekday = Type.Union([
  Type.Literal('mon'),
  Type.Literal('tue'),
  Type.Literal('wed'),
  Type.Literal('thu'),
  Type.Literal('fri'),
  Type.Literal('sat'),
  Type.Literal('sun'),
]);

export const PolicyMode = Type.Union([Type.Literal('open'), Type.Literal('enforced')], {
  description: 'open: zones and schedules are not checked (every recognised person, every door); enforced: deny by default',
});
export const DoorFactors = Type.Union([Type.Literal('face'), Type.Literal('face+pin')]);

export const Settings = Type.Object(
  {
    mode: PolicyMode,
    timeZone: Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone of the site, e.g. Europe/Berlin' }),
    pin: Type.Object(
      {
        entrySeconds: Type.Integer({ minimum: 5, maximum: 300, description: 'How long after pin_required the door may send the PIN' }),
        maxAttempts: Type.Integer({ minimum: 1, maximum: 20, description: 'Consecutive wrong PINs before a lockout' }),
        lockoutSeconds: Type.Integer({ minimum: 10, maximum: 86_400 }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false, title: 'AccessSettings' },
);

export const Door = Type.Object(
  {
    doorId: DoorId,
    factors: DoorFactors,
    zoneIds: Type.Array(Id),
    configured: Type.Boolean({ description: 'false: named by a zone but no longer in the config' }),
  },
  { title: 'Door' },
);
export const DoorParams = Type.Object({ doorId: DoorId });
export const DoorChanges = Type.Object({ factors: DoorFactors }, { additionalProperties: false });

export const ZoneInput = Type.Object(
  { name: Name, doorIds: Type.Array(DoorId, { maxItems: 64, uniqueItems: true }) },
  { additionalProperties: false },
);
export const Zone = Type.Object({ id: Id, name: Type.String(), doorIds: Type.Array(Type.String()), createdAt: Millis, updatedAt: Millis }, { title: 'Zone' });

const TimeRange = { start: Clock, end: Clock };
const ScheduleFields = {
    name: Name,
    windows: Type.Array(
      Type.Object({ days: Type.Array(Weekday, { minItems: 1, maxItems: 7, uniqueItems: true }), ...TimeRange }, { additionalProperties: false }),
      { maxItems: 50 },
    ),
    holidayWindows: Type.Union([Type.Array(Type.Object(TimeRange, { additionalProperties: false }), { maxItems: 10 }), Type.Null()], {
      description: 'null: holidays are ordinary days; []: closed on holidays; else these hours on holidays',
    }),
};
export const ScheduleInput = Type.Object(ScheduleFields, { additionalProperties: false });
export const Schedule = Type.Object({ id: Id, ...ScheduleFields, createdAt: Millis, updatedAt: Millis }, { title: 'Schedule' });
export type ScheduleInputType = Static<typeof ScheduleInput>;

export const HolidayParams = Type.Object({ date: Type.String({ format: 'date', description: 'YYYY-MM-DD in the site time zone' }) });
export const HolidayInput = Type.Object({ name: Name }, { additionalProperties: false });
export const Holiday = Type.Object({ date: Type.String(), name: Type.String() }, { title: 'Holiday' });

const Grant = Type.Object(
  { zoneId: Id, scheduleId: Type.Union([Id, Type.Null()], { description: 'null: at any time' }) },
  { additionalProperties: false },
);
export const GroupInput = Type.Object({ name: Name, grants: Type.Array(Grant, { maxItems: 100 }) }, { additionalProperties: false });
export const Group = Type.Object(
  { id: Id, name: Type.String(), grants: Type.Array(Grant), memberCount: Type.Integer({ minimum: 0 }), createdAt: Millis, updatedAt: Millis },
  { title: 'Group' },
);
export const GroupMembers = Type.Object({ items: Type.Array(Type.Object({ personId: Id, displayName: Type.String() })) });

export const PersonAccessInput = Type.Object(
  {
    groupIds: Type.Array(Id, { maxItems: 100, uniqueItems: true }),
    validFrom: Type.Union([Instant, Type.Null()], { description: 'Inclusive; null: no start' }),
    validUntil: Type.Union([Instant, Type.Null()], { description: 'Exclusive; null: no end' }),
  },
  { additionalProperties: false },
);
export const PersonAccess = Type.Object(
  {
    personId: Id,
    groupIds: Type.Array(Id),
    validFrom: Type.Union([Type.String(), Type.Null()]),
    validUntil: Type.Union([Type.String(), Type.Null()]),
    pin: Type.Object({ set: Type.Boolean(), lockedUntil: Type.Union([Type.String(), Type.Null()]) }),
  },
  { title: 'PersonAccess' },
);
export const PinInput = Type.Object({ pin: Type.String({ pattern: '^[0-9]{4,12}$', description: '4 to 12 digits' }) }, { additionalProperties: false });

export const CheckQuery = Type.Object(
  { personId: Id, doorId: DoorId, at: Type.Optional(Instant) },
  { additionalProperties: false },
);
export const Check = Type.Object(
  {
    personId: Id,
    doorId: Type.String(),
    at: Type.String(),
    allowed: Type.Boolean(),
    reason: Type.Union([
      Type.Literal('match'),
      Type.Literal('not_yet_valid'),
      Type.Literal('expired'),
      Type.Literal('door_not_permitted'),
      Type.Literal('outside_schedule'),
      Type.Literal('pin_required'),
    ]),
    mode: PolicyMode,
  },
  { title: 'PolicyCheck' },
);

export const ItemsOf = <T extends Parameters<typeof Type.Array>[0]>(item: T) => Type.Object({ items: Type.Array(item) });
