import { describe, expect, it } from 'vitest';
import type { ScheduleRules } from '../../../access/policy/model.js';
import { clockMinutes, isScheduleOpen, isValidTimeZone, rangeProblem } from '../../../access/policy/schedule.js';

const BERLIN = 'Europe/Berlin';
const at = (iso: string) => Date.parse(iso);
const noHolidays = () => false;
const holidays = (...dates: string[]) => (date: string) => dates.includes(date);

const officeHours: ScheduleRules = { windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', end: '18:00' }], holidayWindows: [] };
const saturdayNight: ScheduleRules = { windows: [{ days: ['sat'], start: '22:00', end: '06:00' }], holidayWindows: null };

describe('isScheduleOpen', () => {
  it('keeps wall-clock hours across the spring DST change (Berlin, 29 March 2026)', () => {
    // Friday before: CET (UTC+1). 08:30 local = 07:30Z.
    expect(isScheduleOpen(officeHours, at('2026-03-27T07:30:00Z'), BERLIN, noHolidays)).toBe(true);
    expect(isScheduleOpen(officeHours, at('2026-03-27T06:30:00Z'), BERLIN, noHolidays)).toBe(false);
    // Monday after: CEST (UTC+2). 08:30 local = 06:30Z, which was 07:30 local the week before.
    expect(isScheduleOpen(officeHours, at('2026-03-30T06:30:00Z'), BERLIN, noHolidays)).toBe(true);
    expect(isScheduleOpen(officeHours, at('2026-03-30T05:59:00Z'), BERLIN, noHolidays)).toBe(false);
    expect(isScheduleOpen(officeHours, at('2026-03-30T15:59:00Z'), BERLIN, noHolidays)).toBe(true);
    expect(isScheduleOpen(officeHours, at('2026-03-30T16:00:00Z'), BERLIN, noHolidays)).toBe(false);
  });

  it('runs a window across midnight into the next day, through the night the clocks spring forward', () => {
    expect(isScheduleOpen(saturdayNight, at('2026-03-28T20:59:00Z'), BERLIN, noHolidays)).toBe(false); // 21:59 CET
    expect(isScheduleOpen(saturdayNight, at('2026-03-28T21:00:00Z'), BERLIN, noHolidays)).toBe(true); // 22:00 CET
    expect(isScheduleOpen(saturdayNight, at('2026-03-29T00:59:00Z'), BERLIN, noHolidays)).toBe(true); // 01:59 CET, Sunday
    expect(isScheduleOpen(saturdayNight, at('2026-03-29T01:00:00Z'), BERLIN, noHolidays)).toBe(true); // 03:00 CEST
    expect(isScheduleOpen(saturdayNight, at('2026-03-29T03:59:00Z'), BERLIN, noHolidays)).toBe(true); // 05:59 CEST
    expect(isScheduleOpen(saturdayNight, at('2026-03-29T04:00:00Z'), BERLIN, noHolidays)).toBe(false); // 06:00 CEST
    // Sunday night is not Saturday night.
    expect(isScheduleOpen(saturdayNight, at('2026-03-29T21:00:00Z'), BERLIN, noHolidays)).toBe(false);
  });

  it('judges both passes of the repeated hour when the clocks fall back (25 October 2026)', () => {
    expect(isScheduleOpen(saturdayNight, at('2026-10-25T00:30:00Z'), BERLIN, noHolidays)).toBe(true); // 02:30 CEST
    expect(isScheduleOpen(saturdayNight, at('2026-10-25T01:30:00Z'), BERLIN, noHolidays)).toBe(true); // 02:30 CET
    expect(isScheduleOpen(saturdayNight, at('2026-10-25T04:59:00Z'), BERLIN, noHolidays)).toBe(true); // 05:59 CET
    expect(isScheduleOpen(saturdayNight, at('2026-10-25T05:00:00Z'), BERLIN, noHolidays)).toBe(false); // 06:00 CET
    // Office hours on the Monday after: 08:00 CET = 07:00Z.
    expect(isScheduleOpen(officeHours, at('2026-10-26T06:59:00Z'), BERLIN, noHolidays)).toBe(false);
    expect(isScheduleOpen(officeHours, at('2026-10-26T07:00:00Z'), BERLIN, noHolidays)).toBe(true);
  });

  it('closes on a holiday, opens holiday hours instead, or ignores holidays, as the schedule says', () => {
    const christmas = holidays('2026-12-25'); // a Friday
    const friday10 = at('2026-12-25T09:00:00Z'); // 10:00 CET
    expect(isScheduleOpen(officeHours, friday10, BERLIN, noHolidays)).toBe(true);
    expect(isScheduleOpen(officeHours, friday10, BERLIN, christmas)).toBe(false);
    expect(isScheduleOpen({ ...officeHours, holidayWindows: null }, friday10, BERLIN, christmas)).toBe(true);
    const reduced: ScheduleRules = { ...officeHours, holidayWindows: [{ start: '10:30', end: '14:00' }] };
    expect(isScheduleOpen(reduced, friday10, BERLIN, christmas)).toBe(false);
    expect(isScheduleOpen(reduced, at('2026-12-25T09:30:00Z'), BERLIN, christmas)).toBe(true);
    expect(isScheduleOpen(reduced, at('2026-12-25T13:00:00Z'), BERLIN, christmas)).toBe(false);
  });

  it('reads the holiday date in the site time zone, not in UTC', () => {
    const nights: ScheduleRules = { windows: [], holidayWindows: [{ start: '00:00', end: '24:00' }] };
    // 23:30Z on the 24th is already 00:30 on the 25th in Berlin.
    expect(isScheduleOpen(nights, at('2026-12-24T23:30:00Z'), BERLIN, holidays('2026-12-25'))).toBe(true);
    expect(isScheduleOpen(nights, at('2026-12-24T22:30:00Z'), BERLIN, holidays('2026-12-25'))).toBe(false);
    expect(isScheduleOpen(nights, at('2026-12-24T23:30:00Z'), 'UTC', holidays('2026-12-25'))).toBe(false);
  });

  it('lets a window started the day before run into a holiday, and a holiday window run into the next day', () => {
    const lateShift: ScheduleRules = { windows: [{ days: ['thu'], start: '22:00', end: '06:00' }], holidayWindows: [] };
    expect(isScheduleOpen(lateShift, at('2026-12-25T02:00:00Z'), BERLIN, holidays('2026-12-25'))).toBe(true); // Fri 03:00
    const holidayNight: ScheduleRules = { windows: [], holidayWindows: [{ start: '22:00', end: '02:00' }] };
    expect(isScheduleOpen(holidayNight, at('2026-12-26T00:30:00Z'), BERLIN, holidays('2026-12-25'))).toBe(true); // Sat 01:30
    expect(isScheduleOpen(holidayNight, at('2026-12-26T01:30:00Z'), BERLIN, holidays('2026-12-25'))).toBe(false); // Sat 02:30
  });

  it('treats start as inclusive and end as exclusive, and 24:00 as the end of the day', () => {
    const wholeSunday: ScheduleRules = { windows: [{ days: ['sun'], start: '00:00', end: '24:00' }], holidayWindows: null };
    expect(isScheduleOpen(wholeSunday, at('2026-06-07T00:00:00Z'), 'UTC', noHolidays)).toBe(true);
    expect(isScheduleOpen(wholeSunday, at('2026-06-07T23:59:59Z'), 'UTC', noHolidays)).toBe(true);
    expect(isScheduleOpen(wholeSunday, at('2026-06-08T00:00:00Z'), 'UTC', noHolidays)).toBe(false);
    expect(isScheduleOpen(wholeSunday, at('2026-06-06T23:59:59Z'), 'UTC', noHolidays)).toBe(false);
  });
});

describe('time ranges and zones', () => {
  it('parses HH:MM and refuses malformed or empty ranges with a reason', () => {
    expect(clockMinutes('00:00')).toBe(0);
    expect(clockMinutes('23:59')).toBe(1439);
    expect(clockMinutes('24:00')).toBe(1440);
    for (const bad of ['24:01', '7:00', '07:60', '', '07:00\n', '０７:００']) expect(clockMinutes(bad)).toBeNull();
    expect(rangeProblem({ start: '22:00', end: '06:00' })).toBeNull();
    expect(rangeProblem({ start: '08:00', end: '08:00' })).toMatch(/00:00-24:00/);
    expect(rangeProblem({ start: '24:00', end: '06:00' })).toMatch(/start/);
    expect(rangeProblem({ start: '08:00', end: '00:00' })).toMatch(/end/);
  });

  it('knows IANA zones', () => {
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Europe/Atlantis')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
  });
});
