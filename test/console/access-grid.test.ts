// The Access page's week grid reads schedule windows the way the policy evaluates them
// (docs/access-policy.md): a window belongs to the day it starts on and runs across midnight
// when its end is at or before its start.
import { describe, expect, it } from 'vitest';
import { openHours } from '../../console/src/pages/access.js';

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
