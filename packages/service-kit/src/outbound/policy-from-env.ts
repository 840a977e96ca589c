import { OutboundAddressPolicy } from './address-policy';

/** The platform's listeners, by the variable that moves each and its default; the refused ports follow them. */
const PORT_VARIABLES: Record<string, number> = {
  API_PORT: 3000, DIALER_PORT: 3001, MEDIA_PORT: 3002, EXTRACTOR_PORT: 3003, WEBHOOKS_PORT: 3004,
  SIM_PORT: 8188, SANDBOX_LLM_PORT: 8191, NATS_PORT: 4222, PGPORT: 5432, ARI_PORT: 8088,
};

const list = (v: string | undefined) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);

/**
 * The one outbound policy from the environment, shared by webhooks and HTTP tools: OUTBOUND_ALLOW (hosts, IPs, CIDRs),
 * OUTBOUND_BLOCK_PRIVATE (WEBHOOK_BLOCK_PRIVATE and WEBHOOK_ALLOW still work as aliases), the configured ports.
 */
export function outboundPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): OutboundAddressPolicy {
  const ports = Object.entries(PORT_VARIABLES).map(([name, def]) => Number(env[name] ?? def));
  for (const extra of list(env.OUTBOUND_PLATFORM_PORTS)) ports.push(Number(extra));
  const block = env.OUTBOUND_BLOCK_PRIVATE ?? env.WEBHOOK_BLOCK_PRIVATE ?? 'false';
  return new OutboundAddressPolicy({
    allow: [...list(env.OUTBOUND_ALLOW), ...list(env.WEBHOOK_ALLOW)],
    platformPorts: ports.filter((p) => Number.isInteger(p) && p > 0),
    blockPrivate: ['1', 'true', 'yes'].includes(block.toLowerCase()),
  });
}
