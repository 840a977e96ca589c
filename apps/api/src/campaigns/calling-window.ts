import { type CallingWindow, WEEKDAYS, type Weekday } from '@parley/common';

interface LocalTime {
  year: number;
  month: number;
  day: number;
  weekday: Weekday;
  minutes: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock date and time at `at` in `timeZone`. */
function localTime(at: Date, timeZone: string): LocalTime {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', weekday: 'short' });
    formatters.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(at).map((p) => [p.type, p.value]));
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    weekday: parts.weekday!.slice(0, 3).toLowerCase() as Weekday,
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
  };
}

/** `timeZone`'s offset from UTC at `at`, in ms. */
function offsetAt(at: number, timeZone: string): number {
  const l = localTime(new Date(at), timeZone);
  return Date.UTC(l.year, l.month - 1, l.day, Math.floor(l.minutes / 60), l.minutes % 60) - Math.floor(at / 60_000) * 60_000;
}

/**
 * The instant a wall-clock time in `timeZone` falls on: of the two offsets around it (a day before and after), the
 * earliest reading that shows that time; a time a DST jump skips is read with the offset before the jump, which puts
 * it as far after the jump as it was into the gap (02:30 on a spring-forward night is 03:30).
 */
function instantOf(year: number, month: number, day: number, minutes: number, timeZone: string): Date {
  const wall = Date.UTC(year, month - 1, day, Math.floor(minutes / 60), minutes % 60);
  const before = wall - offsetAt(wall - 86_400_000, timeZone);
  const after = wall - offsetAt(wall + 86_400_000, timeZone);
  const shows = (at: number) => offsetAt(at, timeZone) + at === wall;
  const exact = [before, after].filter(shows).sort((a, b) => a - b);
  return new Date(exact[0] ?? before);
}

const toMinutes = (clock: string) => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5));

/**
 * When a recipient in `timeZone` may next be called: `at` itself inside the window, else the window's next opening
 * (at most a week away). Minutes are whole: a window ending at 20:00 takes no call at 20:00.
 */
export function nextCallableAt(at: Date, window: CallingWindow, timeZone: string): Date {
  const start = toMinutes(window.start);
  const end = toMinutes(window.end);
  const now = localTime(at, timeZone);
  if (window.days.includes(now.weekday) && now.minutes >= start && now.minutes < end) return at;
  for (let ahead = 0; ahead <= 7; ahead++) {
    const date = new Date(Date.UTC(now.year, now.month - 1, now.day + ahead));
    const weekday = WEEKDAYS[(date.getUTCDay() + 6) % 7]!;
    if (!window.days.includes(weekday)) continue;
    const opening = instantOf(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), start, timeZone);
    if (opening.getTime() > at.getTime()) return opening;
  }
  throw new Error('a calling window with days always opens within a week');
}

/**
 * When a recipient who may be in any of `timeZones` may next be called: the first instant from `at` at which the
 * window is open in every one of them (the same window in several zones, as for a number whose country spans several).
 * Null when the zones never share an open minute within a week (a window too short for their spread).
 */
export function nextCallableInAll(at: Date, window: CallingWindow, timeZones: readonly string[]): Date | null {
  if (timeZones.length === 1) return nextCallableAt(at, window, timeZones[0]!);
  const limit = at.getTime() + 8 * 86_400_000;
  let t = at;
  while (t.getTime() <= limit) {
    let latest = t;
    for (const zone of timeZones) {
      const next = nextCallableAt(t, window, zone);
      if (next.getTime() > latest.getTime()) latest = next;
    }
    // Open everywhere at t; else retry from the latest opening (where some other zone may have closed meanwhile).
    if (latest.getTime() === t.getTime()) return t;
    t = latest;
  }
  return null;
}

/** When the window open at `at` (inside it) closes in `timeZone`. */
function closingOf(at: Date, window: CallingWindow, timeZone: string): Date {
  const l = localTime(at, timeZone);
  return instantOf(l.year, l.month, l.day, toMinutes(window.end), timeZone);
}

/**
 * The instant by which `workMs` of calling is done from `at`, counting only the time the window is open in
 * `timeZone` (the estimate of a campaign's end).
 */
export function afterOpenTime(at: Date, workMs: number, window: CallingWindow, timeZone: string): Date {
  let t = at;
  let left = workMs;
  // A week holds at least one open minute; a year of windows is as far as an estimate goes.
  for (let i = 0; i < 400; i++) {
    const open = nextCallableAt(t, window, timeZone);
    const close = closingOf(open, window, timeZone);
    const span = close.getTime() - open.getTime();
    if (left <= span) return new Date(open.getTime() + left);
    left -= span;
    t = close;
  }
  return t;
}
