// Schedules as a week grid (7 days x 24 hours, in the site's time zone): drawn read-only for
// everyone, and editable for admins. The editable grid is a table of toggle buttons (aria-pressed:
// open) with a single tab stop: arrow keys, Home and End move between hours, Space or Enter toggles.
import { h } from '../dom.js';

export type Day = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';
export const DAYS: readonly Day[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
export const DAY_NAMES: Record<Day, string> = { mon: 'Monday', tue: 'Tuesday', wed: 'Wednesday', thu: 'Thursday', fri: 'Friday', sat: 'Saturday', sun: 'Sunday' };

export interface Window {
  days: Day[];
  start: string;
  end: string;
}

const minutes = (hhmm: string): number => {
  const [hh, mm] = hhmm.split(':').map(Number);
  return hh! * 60 + mm!;
};
const DAY_MINUTES = 24 * 60;
const clockAt = (minute: number): string => `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
const clock = (hour: number): string => clockAt(hour * 60);

/**
 * Minutes of the week a schedule is open, per day (7 x 1440): a window belongs to the day it
 * starts on and, when its end is at or before its start, runs on into the next day
 * (docs/access-policy.md).
 */
export function openMinutes(windows: readonly Window[]): boolean[][] {
  const week = DAYS.map(() => new Array<boolean>(DAY_MINUTES).fill(false));
  const mark = (day: number, from: number, to: number): void => void week[day % 7]!.fill(true, from, to);
  for (const w of windows) {
    const start = minutes(w.start);
    const end = minutes(w.end);
    for (const d of w.days) {
      const day = DAYS.indexOf(d);
      if (end > start) mark(day, start, end);
      else {
        mark(day, start, DAY_MINUTES);
        mark(day + 1, 0, end);
      }
    }
  }
  return week;
}

/** Hours of the week a schedule is open for at least a minute, per day (7 x 24): the grid. */
export function openHours(windows: readonly Window[]): boolean[][] {
  return openMinutes(windows).map((day) => Array.from({ length: 24 }, (_, hour) => day.slice(hour * 60, hour * 60 + 60).includes(true)));
}

/**
 * Windows that open exactly these minutes: each run of open minutes in a day is one window
 * (ending at 24:00 when it reaches midnight), and days with the same runs share a window.
 */
export function windowsFromMinutes(week: readonly (readonly boolean[])[]): Window[] {
  const byRange = new Map<string, Window>();
  DAYS.forEach((day, d) => {
    const row = week[d]!;
    for (let minute = 0; minute < DAY_MINUTES; minute++) {
      if (!row[minute] || (minute > 0 && row[minute - 1])) continue;
      let end = minute;
      while (end < DAY_MINUTES && row[end]) end++;
      const range = { start: clockAt(minute), end: end === DAY_MINUTES ? '24:00' : clockAt(end) };
      const key = `${range.start}-${range.end}`;
      const window = byRange.get(key) ?? { days: [], ...range };
      window.days.push(day);
      byRange.set(key, window);
      minute = end;
    }
  });
  return [...byRange.values()];
}

/**
 * The windows with one hour of one day toggled: an hour open for any minute closes entirely,
 * a closed hour opens entirely; every other minute stays as it was (no silent widening).
 */
export function toggleHour(windows: readonly Window[], day: number, hour: number): Window[] {
  const week = openMinutes(windows);
  const row = week[day]!;
  const open = row.slice(hour * 60, hour * 60 + 60).includes(true);
  row.fill(!open, hour * 60, hour * 60 + 60);
  return windowsFromMinutes(week);
}

export function windowsText(windows: readonly Window[]): string {
  return windows.map((w) => `${w.days.join(', ')} ${w.start}–${w.end}`).join('; ') || 'never open';
}

function gridHead(): HTMLTableSectionElement {
  return h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Day'), ...Array.from({ length: 24 }, (_, hour) => h('th', { scope: 'col', abbr: clock(hour) }, hour % 3 === 0 ? String(hour) : ''))));
}

/** The read-only grid, named by its caption (the schedule's name and hours). */
export function weekGridTable(caption: string, windows: readonly Window[]): HTMLTableElement {
  const grid = openHours(windows);
  return h(
    'table',
    { class: 'week' },
    h('caption', {}, caption),
    gridHead(),
    h(
      'tbody',
      {},
      ...DAYS.map((d, i) =>
        h('tr', {}, h('th', { scope: 'row' }, DAY_NAMES[d].slice(0, 3)), ...grid[i]!.map((open, hour) => h('td', { class: open ? 'open' : 'closed', title: `${DAY_NAMES[d]} ${hour}:00 ${open ? 'open' : 'closed'}` }, h('span', { class: 'visually-hidden' }, open ? 'open' : 'closed')))),
      ),
    ),
  );
}

export interface WeekGridEditor {
  readonly element: HTMLElement;
  /** The windows as edited: the originals until an hour is toggled, then rewritten to the minute. */
  windows(): Window[];
  /** Adds a window (from the precise opens/closes fields) and redraws. */
  add(window: Window): void;
  clear(): void;
}

/** An editable grid over `initial`; toggling an hour changes that hour only (toggleHour). */
export function weekGridEditor(label: string, initial: readonly Window[]): WeekGridEditor {
  let windows: Window[] = initial.map((w) => ({ ...w, days: [...w.days] }));
  const cells = DAYS.map((d) => Array.from({ length: 24 }, (_, hour) => h('button', { type: 'button', class: 'hour', tabindex: -1, 'aria-label': `${DAY_NAMES[d]} ${clock(hour)} to ${hour === 23 ? '24:00' : clock(hour + 1)}` })));
  let focus = { day: 0, hour: 8 };
  const redraw = (): void => {
    const grid = openHours(windows);
    cells.forEach((row, d) =>
      row.forEach((cell, hour) => {
        const open = grid[d]![hour]!;
        cell.setAttribute('aria-pressed', String(open));
        cell.className = `hour ${open ? 'open' : 'closed'}`;
        cell.textContent = open ? '✓' : '';
        cell.tabIndex = d === focus.day && hour === focus.hour ? 0 : -1;
      }),
    );
  };
  const moveTo = (day: number, hour: number): void => {
    focus = { day: (day + 7) % 7, hour: Math.min(23, Math.max(0, hour)) };
    redraw();
    cells[focus.day]![focus.hour]!.focus();
  };
  cells.forEach((row, d) =>
    row.forEach((cell, hour) => {
      cell.addEventListener('click', () => {
        windows = toggleHour(windows, d, hour);
        moveTo(d, hour);
      });
      cell.addEventListener('keydown', (event) => {
        const moves: Record<string, [number, number]> = {
          ArrowLeft: [d, hour - 1],
          ArrowRight: [d, hour + 1],
          ArrowUp: [d - 1, hour],
          ArrowDown: [d + 1, hour],
          Home: [d, 0],
          End: [d, 23],
        };
        const to = moves[event.key];
        if (!to) return; // Space and Enter click the button
        event.preventDefault();
        moveTo(...to);
      });
    }),
  );
  const element = h(
    'table',
    { class: 'week editable' },
    h('caption', {}, `${label}: select an hour to open or close it (arrow keys move, Space toggles)`),
    gridHead(),
    h('tbody', {}, ...DAYS.map((d, i) => h('tr', {}, h('th', { scope: 'row' }, DAY_NAMES[d].slice(0, 3)), ...cells[i]!.map((cell) => h('td', {}, cell))))),
  );
  redraw();
  return {
    element,
    windows: () => windows.map((w) => ({ ...w, days: [...w.days] })),
    add: (window) => {
      windows.push(window);
      redraw();
    },
    clear: () => {
      windows = [];
      redraw();
    },
  };
}
