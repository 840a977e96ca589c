/** An Asterisk as placement sees it. */
export interface PlacementCandidate {
  name: string;
  /** Its ARI events WebSocket is up (without it we would not hear what happens to the call). */
  connected: boolean;
  /** Live calls on it, of every dialer. */
  load: number;
  /** Most live calls it takes. */
  capacity: number;
}

export type SkipReason = 'down' | 'full';

/**
 * The Asterisks to try for a new call, in order: those connected and with room (load below capacity), least loaded
 * first, then by name (so that equal loads split the same way on every dialer); and why each other one was passed over.
 */
export function placementOrder<T extends PlacementCandidate>(candidates: T[]): { order: T[]; skipped: Array<{ name: string; reason: SkipReason }> } {
  const skipped: Array<{ name: string; reason: SkipReason }> = [];
  const order: T[] = [];
  for (const c of candidates) {
    if (!c.connected) skipped.push({ name: c.name, reason: 'down' });
    else if (c.load >= c.capacity) skipped.push({ name: c.name, reason: 'full' });
    else order.push(c);
  }
  order.sort((a, b) => a.load - b.load || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { order, skipped };
}
