// Whether a weekly schedule is open at an instant, in the site's IANA time zone (Luxon), so
// windows keep their wall-clock hours across daylight-saving changes.
import { DateTime, IANAZone } from 'luxon';
import { WEEKDAYS, type ScheduleRules, type TimeRange } from './model.js';

const CLOCK = /^([01][0-9]|2[0-3]):([0-5][0-9])$|^24:00$/;

/** Minutes since midnight for "HH:MM" (00:00..24:00); null when malformed. */
export function clockMinutes(text: string): number | null {
  const match = CLOCK.exec(text);
  if (!match) return null;
  if (text === '24:00') return 24 * 60;
  return Number(match[1]) * 60 + Number(match[2]);
}

/** Why a time range is unusable, or null when it is fine. */
export function rangeProblem(range: TimeRange): string | null {
  const start = clockMinutes(range.start);
  const end = clockMinutes(range.end);
  if (start === null || start >= 24 * 60) return `start "${range.start}" must be HH:MM between 00:00 and 23:59`;
  if (end === null || end === 0) return `end "${range.end}" must be HH:MM between 00:01 and 24:00`;
  if (start === end) return `start and end are both ${range.start}; use 00:00-24:00 for a whole day`;
  return null;
}

export function isValidTimeZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

/**
 * True when `rules` admit the instant `at` (epoch ms) in `timeZone`. A window belongs to the day
 * it starts on, so today's windows and yesterday's windows that run past midnight are checked.
 */
export function isScheduleOpen(rules: ScheduleRules, at: number, timeZone: string, isHoliday: (date: string) => boolean): boolean {
  const local = DateTime.fromMillis(at, { zone: timeZone });
  const minute = local.hour * 60 + local.minute;
  const today = local.startOf('day');
  const yesterday = today.minus({ days: 1 });
  return (
    rangesFor(rules, today, isHoliday).some((r) => coversSameDay(r, minute)) ||
    rangesFor(rules, yesterday, isHoliday).some((r) => coversNextDay(r, minute))
  );
}

/** The ranges that start on `day`: the holiday hours on a holiday (when the schedule has them), else the weekday's windows. */
function rangesFor(rules: ScheduleRules, day: DateTime, isHoliday: (date: string) => boolean): readonly TimeRange[] {
  if (rules.holidayWindows !== null && isHoliday(day.toISODate()!)) return rules.holidayWindows;
  const weekday = WEEKDAYS[day.weekday - 1]!;
  return rules.windows.filter((w) => w.days.includes(weekday));
}

function bounds(range: TimeRange): { start: number; end: number } {
  return { start: clockMinutes(range.start)!, end: clockMinutes(range.end)! };
}

/** The part of the range on the day it starts: [start, end) or, past midnight, [start, 24:00). */
function coversSameDay(range: TimeRange, minute: number): boolean {
  const { start, end } = bounds(range);
  return minute >= start && (end > start ? minute < end : true);
}

/** The part of a past-midnight range on the following day: [00:00, end). */
function coversNextDay(range: TimeRange, minute: number): boolean {
  const { start, end } = bounds(range);
  return end <= start && minute < end;
}
