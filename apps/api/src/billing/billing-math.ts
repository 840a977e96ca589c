/**
 * Billing arithmetic, integers only. Connected time is rounded up to whole seconds, then up to the billing increment,
 * and at least the minimum once connected; never-connected calls bill 0.
 */
export function billedSeconds(connectedMs: number, incrementSeconds: number, minimumSeconds: number): number {
  if (!(connectedMs > 0)) return 0;
  const seconds = Math.ceil(connectedMs / 1000);
  const rounded = Math.ceil(seconds / incrementSeconds) * incrementSeconds;
  return Math.max(rounded, minimumSeconds);
}

/** Amount for billed seconds at a per-minute rate, rounded up to the next milli-cent. */
export function amountMilliCents(billed: number, rateMilliCentsPerMinute: number): number {
  if (billed <= 0 || rateMilliCentsPerMinute <= 0) return 0;
  return Math.floor((billed * rateMilliCentsPerMinute + 59) / 60);
}

export function wholeSecondsBetween(from: Date | null, to: Date | null): number | null {
  if (!from || !to) return null;
  return Math.max(0, Math.round((to.getTime() - from.getTime()) / 1000));
}
