export type Refusal = { reason: 'full' | 'shutting_down' | 'duplicate'; error: string };

/**
 * Whether this process takes another call. Sessions still opening (a port being bound, a browser's ICE being gathered)
 * count against the capacity with those held, so allocations arriving together cannot overshoot it; a call its placer
 * gave up on while it was opening is withdrawn and let go once open.
 */
export class SessionAdmission {
  private readonly opening = new Map<string, { withdrawn: boolean }>();
  private open = true;

  constructor(
    readonly capacity: number,
    /** Sessions held now. */
    private readonly held: () => number,
  ) {}

  get accepting(): boolean {
    return this.open;
  }

  /** Sessions held and being opened. */
  get load(): number {
    return this.held() + this.opening.size;
  }

  /** Why the call is refused, or undefined: admitted, and opening until `settle`. */
  admit(callId: string): Refusal | undefined {
    if (!this.open) return { reason: 'shutting_down', error: 'media service is shutting down' };
    if (this.opening.has(callId)) return { reason: 'duplicate', error: 'this call is being allocated already' };
    if (this.load >= this.capacity) return { reason: 'full', error: `media service is full (${this.capacity} sessions)` };
    this.opening.set(callId, { withdrawn: false });
    return undefined;
  }

  /** Its session is open (and now held) or failed to open: false if the call was withdrawn meanwhile. */
  settle(callId: string): boolean {
    const entry = this.opening.get(callId);
    this.opening.delete(callId);
    return entry !== undefined && !entry.withdrawn;
  }

  /** Its placer gave up on the call: true if it is still opening (its `settle` will say withdrawn). */
  withdraw(callId: string): boolean {
    const entry = this.opening.get(callId);
    if (entry) entry.withdrawn = true;
    return entry !== undefined;
  }

  /** Shutting down: every call from now on is refused. */
  stop(): void {
    this.open = false;
  }
}
