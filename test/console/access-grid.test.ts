// The Access page's week grid reads schedule windows the way the policy evaluates them
// (docs/access-policy.md): a window belongs to the day it starts on and runs across midnight
// when its end is at or before its start.
import { describe, expect, it } from 'vitest';
import { openHours, windowsFromGrid } from '../../console/src/pages/week-grid.js';

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

describe('windowsFromGrid', () => {
  const empty = (): boolean[][] => Array.from({ length: 7 }, () => new Array<boolean>(24).fill(false));

  it('turns each run of open hours into a window, shared by the days with the same run', () => {
    const grid = empty();
    for (const day of [0, 1, 2]) for (let hour = 8; hour < 12; hour++) grid[day]![hour] = true;
    for (let hour = 13; hour < 17; hour++) grid[0]![hour] = true;
    grid[6]![23] = true;
    expect(windowsFromGrid(grid)).toEqual([
      { days: ['mon', 'tue', 'wed'], start: '08:00', end: '12:00' },
      { days: ['mon'], start: '13:00', end: '17:00' },
      { days: ['sun'], start: '23:00', end: '24:00' },
    ]);
  });

  it('gives back the grid it was made from, across midnight too', () => {
    const windows = [
      { days: ['fri' as const, 'sun' as const], start: '22:00', end: '06:00' },
      { days: ['wed' as const], start: '00:00', end: '24:00' },
    ];
    const grid = openHours(windows);
    expect(openHours(windowsFromGrid(grid))).toEqual(grid);
    expect(windowsFromGrid(empty())).toEqual([]);
  });

  it('rounds a window with minutes out to the whole hours it touches', () => {
    expect(windowsFromGrid(openHours([{ days: ['thu'], start: '08:30', end: '09:15' }]))).toEqual([{ days: ['thu'], start: '08:00', end: '10:00' }]);
  });
});
