import type { Logger } from './logger';

/**
 * A check run every `intervalMs` (the timer does not hold the process open), never two passes at once: a pass still
 * running when the next is due is the one `tick` returns. A failed pass is logged and the next one runs as usual.
 */
export class PeriodicCheck {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;

  constructor(
    private readonly opts: { what: string; intervalMs: number; logger: Logger },
    private readonly check: () => Promise<void>,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.tick(), this.opts.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a pass still running. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass now (or the one running); resolves when it is over. */
  tick(): Promise<void> {
    this.running ??= this.check()
      .catch((err: Error) => this.opts.logger.warn({ err }, `${this.opts.what} failed`))
      .finally(() => (this.running = null));
    return this.running;
  }
}
