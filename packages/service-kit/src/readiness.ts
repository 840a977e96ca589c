/** Named checks that must pass for `/readyz`; `/healthz` only says the process is up and not shutting down. */
export class Readiness {
  private readonly checks = new Map<string, () => Promise<boolean> | boolean>();
  private shuttingDown = false;

  register(name: string, check: () => Promise<boolean> | boolean): void {
    this.checks.set(name, check);
  }

  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  async report(): Promise<{ ready: boolean; checks: Record<string, boolean> }> {
    const checks: Record<string, boolean> = {};
    for (const [name, check] of this.checks) {
      try {
        checks[name] = Boolean(await check());
      } catch {
        checks[name] = false;
      }
    }
    return { ready: !this.shuttingDown && Object.values(checks).every(Boolean), checks };
  }
}
