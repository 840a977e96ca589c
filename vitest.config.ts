import { defineConfig } from 'vitest/config';

// One vitest run over every package and app; each has its own vitest.config.ts.
export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'apps/*/vitest.config.ts', '{e2e,deploy}/vitest.config.ts'],
    reporters: ['default', './scripts/vitest-summary-reporter.ts'],
    // 2 cores: two test files at a time; integration tests isolate themselves (own database, own NATS namespace).
    maxWorkers: 2,
    minWorkers: 1,
  },
});
