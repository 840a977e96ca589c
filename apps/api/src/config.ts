import { join } from 'node:path';
import { z } from 'zod';
import { IceServers } from '@parley/common';
import { recordingsConfigProblems, recordingsEnv } from '@parley/recording-store';
import { ConfigError, commonEnv, env, loadConfig, secretKeyEnv } from '@parley/service-kit';

export const ApiConfigSchema = z.object({
  ...commonEnv,
  API_HOST: env.string('127.0.0.1'),
  API_PORT: env.port(3000),
  ...secretKeyEnv,
  API_BODY_LIMIT_BYTES: env.int(256 * 1024, 1024),
  /** Requests per second per API key (token bucket); the burst is twice that. 0 disables the limit. */
  API_RATE_LIMIT_PER_SECOND: env.int(100),
  API_DB_POOL_SIZE: env.int(20, 1),
  /**
   * The admin API's bearer token (`/v1/admin/...`: the Asterisk registry, platform-wide). Unset: the admin API answers
   * 403 admin_api_disabled and only the CLI writes the registry. Use a long random value (e.g. openssl rand -hex 32).
   */
  PARLEY_ADMIN_TOKEN: env.optional(),
  /** Where recordings are read from: RECORDINGS_DIR, or the S3 bucket media uploads to (the same settings as media's). */
  ...recordingsEnv,
  /** Where the built-in `sandbox` trunk points (the Asterisk simulator's SIP side, informational). */
  SANDBOX_TRUNK_HOST: env.string('127.0.0.1'),
  /** Defaults for new accounts (issue: billing). */
  DEFAULT_RATE_MILLI_CENTS_PER_MINUTE: env.int(1_000),
  DEFAULT_BILLING_INCREMENT_SECONDS: env.int(1, 1),
  DEFAULT_BILLING_MINIMUM_SECONDS: env.int(0),
  /** How long one command to the dialer owning a call may take to be answered. */
  API_DIALER_COMMAND_TIMEOUT_MS: env.int(3000, 100),
  /**
   * How long POST /v1/calls/:id/end keeps asking when no dialer answers for a live call, so that the adoption of a
   * dead dialer's calls (about 4 s, apps/dialer/README.md "Recovery") can finish; then 503 `call_owner_unavailable`.
   */
  API_DIALER_ADOPTION_WAIT_MS: env.int(6000, 0),
  /** How often the campaign scheduler places due calls and records ended ones; 0: this api runs no scheduler. */
  CAMPAIGN_TICK_MS: env.int(1000, 0),
  /** The watchdog ends calls nobody is driving any more, so no call stays live and no reservation stays held. */
  API_WATCHDOG_INTERVAL_MS: env.int(30_000, 100),
  /**
   * How often connected web calls are checked for a media process that died holding them (adverts stopped and no
   * answer to a status request): such calls end `media_lost` within seconds instead of at the watchdog's next sweeps.
   */
  API_WEB_CALL_MEDIA_CHECK_MS: env.int(1000, 50),
  /** A call still queued this long after creation (e.g. no dialer running) fails with `dispatch_timeout`. */
  API_QUEUED_CALL_TIMEOUT_SECONDS: env.int(3600, 1),
  /**
   * STUN/TURN servers for browsers in web calls, handed out with each web call (`ice_servers`): a JSON array of
   * {urls, username?, credential?}, as RTCPeerConnection takes them. Default none (browsers that reach the media
   * process directly need none).
   */
  WEB_CALL_ICE_SERVERS: z
    .string()
    .default('[]')
    .transform((value, ctx) => {
      const parsed = IceServers.safeParse((() => {
        try {
          return JSON.parse(value);
        } catch {
          return undefined;
        }
      })());
      if (!parsed.success) {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON array of {"urls": "turn:host:3478", "username"?, "credential"?}' });
        return z.NEVER;
      }
      return parsed.data;
    }),
  /** Slack past the ring timeout / max duration before a silent call is ended by the watchdog. */
  API_WATCHDOG_GRACE_SECONDS: env.int(120, 0),
  /** The built web console (apps/console/dist), served at /console; empty: the one next to this api in the repo. */
  CONSOLE_DIR: z
    .string()
    .optional()
    .transform((v) => v || join(__dirname, '..', '..', 'console', 'dist')),
});
export type ApiConfig = z.infer<typeof ApiConfigSchema>;

export function loadApiConfig(e: NodeJS.ProcessEnv = process.env): ApiConfig {
  const config = loadConfig(ApiConfigSchema, e);
  const problems = recordingsConfigProblems(config);
  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return config;
}

export const API_CONFIG = Symbol('API_CONFIG');
