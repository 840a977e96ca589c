import { z } from 'zod';
import { commonEnv, ConfigError, env, loadConfig, outboundEnv, renamedOutboundVariables, secretKeyEnv } from '@parley/service-kit';

const msList = (def: string) =>
  z
    .string()
    .default(def)
    .transform((v, ctx) => {
      const out = v.split(',').map((s) => Number(s.trim()));
      if (out.length === 0 || out.some((n) => !Number.isFinite(n) || n < 0)) ctx.addIssue({ code: 'custom', message: 'must be a comma-separated list of milliseconds' });
      return out;
    });

export const WebhooksConfigSchema = z.object({
  ...commonEnv,
  WEBHOOKS_HOST: env.string('127.0.0.1'),
  WEBHOOKS_PORT: env.port(3004),
  /** Opens the signing secrets, which the api stores sealed. */
  ...secretKeyEnv,
  /** Delays before each retry: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (8 attempts over about 28 h). */
  WEBHOOK_RETRY_SCHEDULE_MS: msList('5000,300000,1800000,7200000,18000000,36000000,36000000'),
  /** Each delay is spread by +/- this fraction so retries of many deliveries do not arrive at once. */
  WEBHOOK_RETRY_JITTER: z.coerce.number().min(0).max(1).default(0.2),
  WEBHOOK_TIMEOUT_MS: env.int(10_000, 1),
  /** Response bytes kept for the delivery log; the rest is not read. */
  WEBHOOK_MAX_RESPONSE_BYTES: env.int(4096),
  /** The SSRF guard, shared with the media service's HTTP tools. */
  ...outboundEnv,
  /** HTTP requests in flight at once. */
  WEBHOOK_CONCURRENCY: env.int(128, 1),
  /** How long a claimed delivery is leased to this process (must exceed the timeout); after a crash it is retried then. */
  WEBHOOK_LEASE_MS: env.int(60_000, 100),
  /** Outbox poll interval when idle. */
  WEBHOOK_POLL_INTERVAL_MS: env.int(250, 10),
  /** How long an account's endpoint list is cached by the event fan-out (API changes apply after at most this). */
  WEBHOOK_ENDPOINT_CACHE_MS: env.int(1000),
  WEBHOOKS_DB_POOL_SIZE: env.int(16, 2),
  /** Days a settled delivery (and its attempts) stays in the delivery log; 0 keeps them forever. */
  WEBHOOK_DELIVERY_RETENTION_DAYS: env.int(30),
  /** How often old deliveries are looked for (also once at start). */
  WEBHOOK_RETENTION_INTERVAL_MS: env.int(3_600_000, 1000),
});
export type WebhooksConfig = z.infer<typeof WebhooksConfigSchema>;

export function loadWebhooksConfig(e: NodeJS.ProcessEnv = process.env): WebhooksConfig {
  const renamed = renamedOutboundVariables(e);
  if (renamed.length) throw new ConfigError(`invalid configuration:\n  ${renamed.join('\n  ')}`);
  const config = loadConfig(WebhooksConfigSchema, e);
  if (config.WEBHOOK_LEASE_MS <= config.WEBHOOK_TIMEOUT_MS) {
    throw new ConfigError(`invalid configuration:\n  WEBHOOK_LEASE_MS (${config.WEBHOOK_LEASE_MS}) must be longer than WEBHOOK_TIMEOUT_MS (${config.WEBHOOK_TIMEOUT_MS})`);
  }
  return config;
}

export const WEBHOOKS_CONFIG = Symbol('WEBHOOKS_CONFIG');
