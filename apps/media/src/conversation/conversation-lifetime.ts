/** What ends with a conversation: its timers and its work in flight; and the time since it started. */
export class ConversationLifetime {
  private startedAt = 0;
  private over = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly tasks = new Set<Promise<unknown>>();

  start(): void {
    this.startedAt = performance.now();
  }

  /** performance.now() at the start. */
  get startMs(): number {
    return this.startedAt;
  }

  elapsedMs(): number {
    return performance.now() - this.startedAt;
  }

  /** Runs `fn` in `ms` unless the conversation is over by then. */
  after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.over) fn();
    }, ms);
    this.timers.add(t);
  }

  /** Work the end waits for. */
  track<T>(p: Promise<T>): Promise<T> {
    this.tasks.add(p);
    void p.finally(() => this.tasks.delete(p)).catch(() => undefined);
    return p;
  }

  /** No timer fires from now on. */
  end(): void {
    this.over = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** Resolves once the work in flight has settled. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.tasks]);
  }
}
