import { z } from 'zod';
import { env } from '../config';
import { OutboundAddressPolicy } from './address-policy';

/** The platform's listeners, by the variable that moves each and its default; the refused ports follow them. */
const PORT_VARIABLES: Record<string, number> = {
  API_PORT: 3000, DIALER_PORT: 3001, MEDIA_PORT: 3002, EXTRACTOR_PORT: 3003, WEBHOOKS_PORT: 3004,
  SIM_PORT: 8188, SANDBOX_LLM_PORT: 8191, NATS_PORT: 4222, PGPORT: 5432, ARI_PORT: 8088,
};
/** Listeners no variable moves: NATS cluster and monitoring, Asterisk's ARI over TLS. */
const FIXED_PLATFORM_PORTS = [6222, 8222, 8089];

const list = z
  .string()
  .default('')
  .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean));

/**
 * The settings of the one outbound guard for requests made to user-supplied URLs (webhooks and HTTP tools), part of the
 * config schema of every service that makes such requests.
 */
export const outboundEnv = {
  /** Hostnames, IPs or CIDRs called even where the guard would refuse them (e.g. `127.0.0.1` for a local receiver). */
  OUTBOUND_ALLOW: list,
  /** Also refuse private ranges (RFC 1918, CGNAT, ULA); allowed by default for on-prem installs. */
  OUTBOUND_BLOCK_PRIVATE: env.bool(false),
  /** Ports refused on private addresses besides the platform's own (which follow the *_PORT variables). */
  OUTBOUND_PLATFORM_PORTS: list.transform((ports, ctx) => {
    const out = ports.map(Number);
    if (out.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) ctx.addIssue({ code: 'custom', message: 'must be a comma-separated list of ports' });
    return out;
  }),
};

export interface OutboundConfig {
  OUTBOUND_ALLOW: string[];
  OUTBOUND_BLOCK_PRIVATE: boolean;
  OUTBOUND_PLATFORM_PORTS: number[];
}

/** Variables of round 1 that the outbound settings replace; a service refuses to start with them rather than ignore a security setting. */
export const RENAMED_OUTBOUND_VARIABLES: Record<string, string> = {
  WEBHOOK_ALLOW: 'OUTBOUND_ALLOW',
  WEBHOOK_BLOCK_PRIVATE: 'OUTBOUND_BLOCK_PRIVATE',
  WEBHOOK_PLATFORM_PORTS: 'OUTBOUND_PLATFORM_PORTS',
};

/** The names of renamed variables still set in `e`, with their new names (for the start-up error). */
export function renamedOutboundVariables(e: NodeJS.ProcessEnv): string[] {
  return Object.entries(RENAMED_OUTBOUND_VARIABLES)
    .filter(([old]) => e[old] !== undefined && e[old] !== '')
    .map(([old, now]) => `${old} is now ${now} (it applies to webhooks and HTTP tools alike)`);
}

/**
 * The guard's policy: the service's outbound settings, plus the ports every Parley listener is configured on in the
 * same environment (the *_PORT variables the install shares), so a moved port is still refused.
 */
export function outboundPolicy(config: OutboundConfig, e: NodeJS.ProcessEnv = process.env): OutboundAddressPolicy {
  const configured = Object.entries(PORT_VARIABLES).map(([name, def]) => Number(e[name] || def));
  const ports = [...configured, ...FIXED_PLATFORM_PORTS, ...config.OUTBOUND_PLATFORM_PORTS];
  return new OutboundAddressPolicy({
    allow: config.OUTBOUND_ALLOW,
    platformPorts: [...new Set(ports.filter((p) => Number.isInteger(p) && p > 0))],
    blockPrivate: config.OUTBOUND_BLOCK_PRIVATE,
  });
}
