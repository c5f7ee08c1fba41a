// The access policy's vocabulary (docs/access-policy.md): plain data, shared by the store, the
// evaluator and the API. Wall-clock times are "HH:MM" strings in the site's time zone.

export type PolicyMode = 'open' | 'enforced';
export type DoorFactors = 'face' | 'face+pin';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Hours of one day: `end` at or before `start` means the window runs past midnight. */
export interface TimeRange {
  readonly start: string;
  readonly end: string;
}

export interface WeeklyWindow extends TimeRange {
  readonly days: readonly Weekday[];
}

export interface ScheduleRules {
  readonly windows: readonly WeeklyWindow[];
  /** null: holidays are ordinary days; []: closed on holidays; else these hours instead. */
  readonly holidayWindows: readonly TimeRange[] | null;
}

export interface PinSettings {
  readonly entrySeconds: number;
  readonly maxAttempts: number;
  readonly lockoutSeconds: number;
}

export interface AccessSettings {
  readonly mode: PolicyMode;
  readonly timeZone: string;
  readonly pin: PinSettings;
}

export interface Validity {
  /** Inclusive, epoch ms; null: no start. */
  readonly validFrom: number | null;
  /** Exclusive, epoch ms; null: no end. */
  readonly validUntil: number | null;
}

/** Why the policy refused (or held back) a person the face step recognised. */
export type PolicyDenial = 'not_yet_valid' | 'expired' | 'door_not_permitted' | 'outside_schedule' | 'pin_required';

/** What the policy needs to know to judge one person at one door. */
export interface PolicyFacts {
  readonly settings: AccessSettings;
  readonly validity: Validity;
  /** The door's second factor. */
  readonly factors: DoorFactors;
  /** Schedules of the person's grants that cover this door; null entries grant at any time. */
  readonly doorGrants: ReadonlyArray<ScheduleRules | null>;
  /** Holiday dates (YYYY-MM-DD) in the site's time zone. */
  readonly isHoliday: (date: string) => boolean;
}
