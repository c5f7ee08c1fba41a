// The Access page's week grid reads schedule windows the way the policy evaluates them
// (docs/access-policy.md): a window belongs to the day it starts on and runs across midnight
// when its end is at or before its start; and the grid editor's toggles change one hour, never
// another minute.
import { describe, expect, it } from 'vitest';
import { openHours, openMinutes, toggleHour, windowsFromMinutes } from '../../console/src/pages/week-grid.js';

const hours = (row: boolean[]): number[] => row.flatMap((open, hour) => (open ? [hour] : []));

describe('openHours', () => {
  it('marks the hours a daytime window touches', () => {
    const grid = openHours([{ days: ['mon', 'fri'], start: '08:30', end: '17:00' }]);
    expect(hours(grid[0]!)).toEqual([8, 9, 10, 11, 12, 13, 14, 15, 16]);
    expect(hours(grid[4]!)).toEqual(hours(grid[0]!));
    expect(hours(grid[1]!)).toEqual([]);
  });

  it('runs a window across midnight into the next day, and Sunday night into Monday', () => {
    const grid = openHours([{ days: ['fri', 'sun'], start: '22:00', end: '06:00' }]);
    expect(hours(grid[4]!)).toEqual([22, 23]);
    expect(hours(grid[5]!)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(hours(grid[0]!)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('reads 00:00–24:00 as the whole day and never marks an hour the window does not reach', () => {
    const grid = openHours([{ days: ['wed'], start: '00:00', end: '24:00' }, { days: ['thu'], start: '12:00', end: '12:01' }]);
    expect(hours(grid[2]!)).toHaveLength(24);
    expect(hours(grid[3]!)).toEqual([12]);
  });
});

describe('toggleHour and windowsFromMinutes', () => {
  const weekdays = [{ days: ['mon' as const, 'tue' as const, 'wed' as const], start: '08:30', end: '17:15' }];

  it('closes one hour of one day and keeps every other minute, shared days still shared', () => {
    const closed = toggleHour(weekdays, 1, 12); // Tuesday 12:00-13:00
    expect(closed).toEqual([
      { days: ['mon', 'wed'], start: '08:30', end: '17:15' },
      { days: ['tue'], start: '08:30', end: '12:00' },
      { days: ['tue'], start: '13:00', end: '17:15' },
    ]);
    expect(hours(openHours(closed)[1]!)).toEqual([8, 9, 10, 11, 13, 14, 15, 16, 17]);
  });

  it('closes a partly open hour entirely and never widens one: 08:30 stays 08:30 until 08:00 is toggled', () => {
    const firstHourClosed = toggleHour(weekdays, 0, 8);
    expect(firstHourClosed).toEqual([
      { days: ['mon'], start: '09:00', end: '17:15' },
      { days: ['tue', 'wed'], start: '08:30', end: '17:15' },
    ]);
    // Toggled again, the hour opens whole: now from 08:00.
    expect(toggleHour(firstHourClosed, 0, 8)).toContainEqual({ days: ['mon'], start: '08:00', end: '17:15' });
  });

  it('opens an hour on a closed day, up to midnight as 24:00, and back to nothing', () => {
    const opened = toggleHour([], 6, 23);
    expect(opened).toEqual([{ days: ['sun'], start: '23:00', end: '24:00' }]);
    expect(toggleHour(opened, 6, 23)).toEqual([]);
  });

  it('gives the same open minutes as the windows it was made from, across midnight too', () => {
    const windows = [
      { days: ['fri' as const, 'sun' as const], start: '22:15', end: '06:00' },
      { days: ['wed' as const], start: '00:00', end: '24:00' },
    ];
    expect(openMinutes(windowsFromMinutes(openMinutes(windows)))).toEqual(openMinutes(windows));
  });
});
