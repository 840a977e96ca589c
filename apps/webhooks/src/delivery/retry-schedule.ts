/**
 * Delay before the next attempt after `attempts` failed ones (1-based), or null when the schedule is used up.
 * Jitter spreads each delay by +/- `jitter` of itself.
 */
export function nextRetryDelayMs(attempts: number, schedule: number[], jitter: number, random = Math.random): number | null {
  const base = schedule[attempts - 1];
  if (base === undefined) return null;
  return Math.max(0, Math.round(base * (1 + jitter * (2 * random() - 1))));
}
