import { describe, expect, it } from 'vitest';
import { amountMilliCents, billedSeconds } from './billing-math';

describe('billedSeconds', () => {
  it.each([
    // connected ms, increment, minimum, billed
    [0, 1, 0, 0],
    [0, 60, 60, 0],
    [1, 1, 0, 1],
    [999, 1, 0, 1],
    [1000, 1, 0, 1],
    [1001, 1, 0, 2],
    [59_000, 1, 1, 59],
    [1, 6, 6, 6],
    [6000, 6, 6, 6],
    [6001, 6, 6, 12],
    [61_000, 6, 6, 66],
    [1, 60, 60, 60],
    [60_000, 60, 60, 60],
    [60_001, 60, 60, 120],
    [5000, 1, 30, 30],
    [45_000, 30, 0, 60],
  ])('%i ms at %i/%i -> %i s', (ms, inc, min, expected) => {
    expect(billedSeconds(ms, inc, min)).toBe(expected);
  });
});

describe('amountMilliCents', () => {
  it('bills seconds at a per-minute rate, rounded up to the milli-cent, in integers', () => {
    expect(amountMilliCents(60, 1000)).toBe(1000);
    expect(amountMilliCents(1, 1000)).toBe(17); // 16.67 -> 17
    expect(amountMilliCents(62, 1000)).toBe(1034);
    expect(amountMilliCents(0, 1000)).toBe(0);
    expect(amountMilliCents(90, 0)).toBe(0);
    expect(amountMilliCents(14_400, 2_000_000)).toBe(480_000_000);
    expect(Number.isInteger(amountMilliCents(7, 333))).toBe(true);
  });
});
