import { describe, expect, it } from 'vitest';
import { nextCallableAt } from './calling-window';

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
