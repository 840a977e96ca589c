/**
 * The caller's silence while the floor is theirs: after `repromptMs` the agent asks whether they are still there,
 * after `hangupMs` (from the same start) it ends the call. Speech from the caller starts it over.
 */
export class SilenceWatch {
  private timer: NodeJS.Timeout | undefined;
  private since: number | undefined;
  private reprompted = false;

  /** `onDue` acts on the step that is due and says whether it did (a busy line defers it to the next arm). */
  constructor(
    private readonly limits: { repromptMs: number; hangupMs: number },
    private readonly onDue: (step: 'reprompt' | 'hang_up') => boolean,
  ) {}

  /** The agent is done: the silence counts from when it began (the first arm since the caller last spoke). */
  arm(): void {
    clearTimeout(this.timer);
    const now = performance.now();
    this.since ??= now;
    const due = this.since + (this.reprompted ? this.limits.hangupMs : this.limits.repromptMs);
    this.timer = setTimeout(() => this.fire(), Math.max(0, due - now));
  }

  /** The caller spoke. */
  reset(): void {
    this.stop();
    this.since = undefined;
    this.reprompted = false;
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private fire(): void {
    const step = this.reprompted ? 'hang_up' : 'reprompt';
    if (this.onDue(step) && step === 'reprompt') this.reprompted = true;
  }
}
