import { DEV_SECRET_KEY } from '@parley/db';
import { z } from 'zod';

export class ConfigError extends Error {}

/**
 * Reads a service's config from the environment through one zod schema (env var names as keys), so a bad value stops
 * the service at start with one clear message naming every offending variable.
 */
export function loadConfig<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    input[key] = value === '' ? undefined : value;
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(config)'}: ${i.message} (got ${JSON.stringify(input[String(i.path[0])] ?? null)})`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** Env helpers: numbers and booleans arrive as strings. */
export const env = {
  port: (def: number) => z.coerce.number().int().min(0).max(65535).default(def),
  int: (def: number, min = 0) => z.coerce.number().int().min(min).default(def),
  number: (def: number) => z.coerce.number().default(def),
  bool: (def: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'])
      .default(def ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1' || v === 'yes'),
  string: (def: string) => z.string().default(def),
  url: (def: string) => z.string().url().default(def),
  optional: () => z.string().optional(),
};

/** Settings every service shares. */
export const commonEnv = {
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: env.string('postgres://postgres@127.0.0.1:5432/parley'),
  /** One NATS server, or several of a cluster separated by commas (the client fails over between them). */
  NATS_URL: env.string('nats://127.0.0.1:4222'),
  /**
   * Copies of each JetStream stream (dispatch queue, call events) a NATS cluster keeps: 1 for a single server, 3 in a
   * 3-node cluster so losing a node loses no message. Applied at every service start (an existing stream is updated).
   */
  NATS_STREAM_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
  NATS_NAMESPACE: z.string().regex(/^[A-Za-z0-9_-]*$/).default(''),
  SHUTDOWN_TIMEOUT_MS: env.int(15_000),
};

/**
 * The key that seals secrets at rest (trunk passwords, webhook signing secrets, HTTP tool headers); every service of
 * an install needs the same one. During a key rotation the previous key still opens what it sealed, until
 * `pnpm parley secrets reseal` has sealed everything under the new key (README, "Rotating PARLEY_SECRET_KEY").
 */
export const secretKeyEnv = {
  PARLEY_SECRET_KEY: env.string(DEV_SECRET_KEY),
  PARLEY_SECRET_KEY_PREVIOUS: env.optional(),
};
