import { hostname } from 'node:os';
import { z } from 'zod';
import { AUDIO_CODECS } from '@parley/common';
import { commonEnv, env, loadConfig, secretKeyEnv } from '@parley/service-kit';

export const DialerConfigSchema = z.object({
  ...commonEnv,
  DIALER_PORT: env.port(3001),
  DIALER_HOST: env.string('127.0.0.1'),
  /** Names this process in `initiated` events, trunk slots and heartbeats; keep it stable across restarts if you can. */
  DIALER_ID: env.string(`${hostname()}-${process.pid}`),
  /**
   * A real Asterisk for one-Asterisk installs: it counts as a registered Asterisk named `default` (unless the registry,
   * `pnpm parley asterisks`, has one of that name). With neither, calls on non-sandbox trunks fail `no_asterisk_available`.
   */
  ARI_URL: env.optional(),
  ARI_USER: env.string('parley'),
  ARI_PASSWORD: env.string('parley'),
  ARI_APP: env.string('parley'),
  /** The Asterisk simulator that serves the `sandbox` trunk. */
  SIM_ARI_URL: env.string('http://127.0.0.1:8188/ari'),
  SIM_ARI_USER: env.string('parley'),
  SIM_ARI_PASSWORD: env.string('parley'),
  /** How often the Asterisk registry (`asterisks` table) is read: added Asterisks connected, removed ones retired. */
  ASTERISK_REGISTRY_RELOAD_MS: env.int(5000, 50),
  /** An Asterisk whose ARI events WebSocket stays down this long is lost: its calls end `asterisk_lost`. */
  ASTERISK_LOST_AFTER_MS: env.int(4000, 50),
  /** Format of the ExternalMedia leg to the media service. */
  MEDIA_CODEC: z.enum(AUDIO_CODECS).default('g722'),
  MEDIA_REQUEST_TIMEOUT_MS: env.int(3000, 100),
  DEFAULT_RING_TIMEOUT_SECONDS: env.int(30, 1),
  ...secretKeyEnv,
  /** Dialplan context of inbound calls on pushed trunks (deploy/asterisk/extensions.conf). */
  ASTERISK_INBOUND_CONTEXT: env.string('from-trunk'),
  /** Dispatch messages held at once (queued calls waiting for trunk capacity included). */
  DIALER_MAX_IN_FLIGHT: env.int(4000, 1),
  /** Postgres connections for call traffic (status reads, slot grants, adoption); the lease has one of its own besides. */
  DIALER_DB_POOL_SIZE: env.int(20, 2),
  /** How often the dialer renews its ownership lease, and looks for live calls whose owner's lease ran out. */
  DIALER_HEARTBEAT_MS: env.int(1000, 50),
  /**
   * Length of the ownership lease each renewal grants: a dialer that has not renewed it for this long is dead, its
   * slots are freed and its calls adopted. Keep it a few heartbeats long (a slow renewal must not look like death).
   */
  DIALER_DEAD_AFTER_MS: env.int(3000, 200),
  /** Re-check of live calls against Asterisk (adoption, stuck calls, max duration). */
  DIALER_WATCHDOG_INTERVAL_MS: env.int(10_000, 50),
  /**
   * How often answered calls are checked for a media process that died holding them (adverts stopped and no answer to
   * a status request): such calls end `media_lost` instead of staying bridged to dead air.
   */
  DIALER_MEDIA_CHECK_MS: env.int(1000, 50),
  /** How often queued calls ask for trunk capacity when nothing local freed any. */
  DIALER_QUEUE_POLL_MS: env.int(250, 10),
  /**
   * How often each trunk's endpoint state is read from its Asterisk (besides Asterisk's own state events); a state not
   * re-read for three intervals is shown as unknown.
   */
  TRUNK_STATE_INTERVAL_MS: env.int(10_000, 50),
});
export type DialerConfig = z.infer<typeof DialerConfigSchema>;

export const DIALER_CONFIG = Symbol('DIALER_CONFIG');

export function loadDialerConfig(source: NodeJS.ProcessEnv = process.env): DialerConfig {
  return loadConfig(DialerConfigSchema, source);
}
