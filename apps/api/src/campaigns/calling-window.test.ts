import { describe, expect, it } from 'vitest';
import { afterOpenTime, nextCallableAt, nextCallableInAll } from './calling-window';
import { numberTimeZones } from './number-time-zones';

const weekdays = { days: ['mon', 'tue', 'wed', 'thu', 'fri'] as const, start: '09:00', end: '20:00' };
const w = { ...weekdays, days: [...weekdays.days] };

describe('nextCallableAt', () => {
  it('is now inside the window, in the zone of the recipient', () => {
    // Wednesday 2026-12-02 15:00 UTC: 10:00 in New York, 07:00 in Los Angeles, 16:00 in Paris.
    const at = new Date('2026-12-02T15:00:00Z');
    expect(nextCallableAt(at, w, 'America/New_York')).toEqual(at);
    expect(nextCallableAt(at, w, 'America/Los_Angeles')).toEqual(new Date('2026-12-02T17:00:00Z'));
    expect(nextCallableAt(at, w, 'Europe/Paris')).toEqual(at);
  });

  it('moves after the end to the next opening day, skipping the weekend, and the end minute is outside', () => {
    // Friday 2026-12-04 20:00 in New York (01:00 UTC Saturday): next is Monday 09:00 New York.
    expect(nextCallableAt(new Date('2026-12-05T01:00:00Z'), w, 'America/New_York')).toEqual(new Date('2026-12-07T14:00:00Z'));
    expect(nextCallableAt(new Date('2026-12-05T00:59:00Z'), w, 'America/New_York')).toEqual(new Date('2026-12-05T00:59:00Z'));
    // Before the opening the same day.
    expect(nextCallableAt(new Date('2026-12-02T12:00:00Z'), w, 'America/New_York')).toEqual(new Date('2026-12-02T14:00:00Z'));
  });

  it('keeps local hours across a DST change', () => {
    // New York springs forward on Sunday 2027-03-14: 09:00 local is 14:00 UTC on Friday the 12th, 13:00 UTC on Monday the 15th.
    expect(nextCallableAt(new Date('2027-03-13T01:30:00Z'), w, 'America/New_York')).toEqual(new Date('2027-03-15T13:00:00Z'));
    // Paris falls back on 2027-10-31: 09:00 local is 07:00 UTC before, 08:00 UTC after.
    expect(nextCallableAt(new Date('2027-10-29T19:00:00Z'), w, 'Europe/Paris')).toEqual(new Date('2027-11-01T08:00:00Z'));
  });

  it('opens at the first minute after a DST gap when the window starts inside it', () => {
    // 02:30 does not exist in New York on 2027-03-14: a window opening then opens at 03:30 EDT (07:30 UTC).
    expect(nextCallableAt(new Date('2027-03-14T05:00:00Z'), { days: ['sun'], start: '02:30', end: '05:00' }, 'America/New_York')).toEqual(new Date('2027-03-14T07:30:00Z'));
  });

  it('waits for the one day of the week a window has', () => {
    expect(nextCallableAt(new Date('2026-12-02T15:00:00Z'), { days: ['sat'], start: '10:00', end: '12:00' }, 'Asia/Tokyo')).toEqual(new Date('2026-12-05T01:00:00Z'));
  });
});

describe('a number without a time zone', () => {
  it("takes its country's zones: one for France, all of them for the US", () => {
    expect(numberTimeZones('+33142685300')).toEqual(['Europe/Paris']);
    expect(numberTimeZones('+14155550123')).toEqual(expect.arrayContaining(['America/New_York', 'America/Los_Angeles', 'Pacific/Honolulu']));
    // An unassigned area code still has the calling code's main country.
    expect(numberTimeZones('+15550100001')).toContain('America/Chicago');
    expect(numberTimeZones('+9999999')).toEqual([]);
  });

  it('is called when the window is open in every zone of its country', () => {
    const us = numberTimeZones('+14155550123');
    // Wednesday 2026-12-02 15:00 UTC is 10:00 in New York but 05:00 in Honolulu: the US opens at 09:00 Honolulu,
    // 19:00 UTC (14:00 New York), and closes at 20:00 New York, 01:00 UTC.
    expect(nextCallableInAll(new Date('2026-12-02T15:00:00Z'), w, us)).toEqual(new Date('2026-12-02T19:00:00Z'));
    expect(nextCallableInAll(new Date('2026-12-03T00:59:00Z'), w, us)).toEqual(new Date('2026-12-03T00:59:00Z'));
    expect(nextCallableInAll(new Date('2026-12-03T01:00:00Z'), w, us)).toEqual(new Date('2026-12-03T19:00:00Z'));
    expect(nextCallableInAll(new Date('2026-12-02T15:00:00Z'), w, ['Europe/Paris'])).toEqual(new Date('2026-12-02T15:00:00Z'));
  });

  it('is never called when its zones share no open minute', () => {
    const hour = { days: [...weekdays.days], start: '09:00', end: '10:00' };
    expect(nextCallableInAll(new Date('2026-12-02T15:00:00Z'), hour, ['Pacific/Kiritimati', 'Pacific/Pago_Pago'])).toBeNull();
  });
});

describe('afterOpenTime (a campaign ETA)', () => {
  const nineToFive = { days: [...weekdays.days], start: '09:00', end: '17:00' };
  it('counts only the hours the window is open, across nights and weekends', () => {
    // Wednesday 15:00 UTC, three hours of calls: two today, one from Thursday 09:00.
    expect(afterOpenTime(new Date('2026-12-02T15:00:00Z'), 3 * 3_600_000, nineToFive, 'UTC')).toEqual(new Date('2026-12-03T10:00:00Z'));
    // Friday 16:00 UTC, two hours: one today, one on Monday.
    expect(afterOpenTime(new Date('2026-12-04T16:00:00Z'), 2 * 3_600_000, nineToFive, 'UTC')).toEqual(new Date('2026-12-07T10:00:00Z'));
    // Saturday night in New York: Monday 09:00 New York (14:00 UTC) plus 30 minutes.
    expect(afterOpenTime(new Date('2026-12-05T23:00:00Z'), 1_800_000, nineToFive, 'America/New_York')).toEqual(new Date('2026-12-07T14:30:00Z'));
  });
});
