import { describe, expect, it } from 'vitest';
import { nextRetryDelayMs } from './retry-schedule';

const SCHEDULE = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];

describe('nextRetryDelayMs', () => {
  it('follows the schedule after each failed attempt, then gives up', () => {
    const mid = () => 0.5; // no jitter
    expect(SCHEDULE.map((_d, i) => nextRetryDelayMs(i + 1, SCHEDULE, 0.2, mid))).toEqual(SCHEDULE);
    expect(nextRetryDelayMs(SCHEDULE.length + 1, SCHEDULE, 0.2, mid)).toBeNull();
  });

  it('spreads each delay by at most the jitter fraction', () => {
    expect(nextRetryDelayMs(2, SCHEDULE, 0.2, () => 0)).toBe(240_000);
    expect(nextRetryDelayMs(2, SCHEDULE, 0.2, () => 0.999999)).toBe(360_000);
    expect(nextRetryDelayMs(1, SCHEDULE, 0, Math.random)).toBe(5_000);
  });
});
