import { BlockList, isIP } from 'node:net';

/**
 * The one address policy for requests the platform makes to user-supplied URLs (webhooks and HTTP tools).
 * Checked against the address actually connected to, so it is meant to run inside a connect-time lookup.
 */
export interface OutboundPolicyOptions {
  /** Hostnames, IPs or CIDRs that are called even if otherwise refused (the allow-list wins). */
  allow: string[];
  /** Ports of the platform's own listeners (from the configured ports), refused on any local address. */
  platformPorts: number[];
  /** Also refuse private ranges (RFC 1918, CGNAT, ULA); allowed by default for on-prem installs. */
  blockPrivate: boolean;
}

export class RefusedAddressError extends Error {}

type Family = 'ipv4' | 'ipv6';

/** A BlockList of addresses and CIDRs (`10.0.0.0/8`, `::1`), for checks by family. */
export function addressBlockList(cidrs: string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [ip, bits] = cidr.split('/');
    const family: Family = isIP(ip!) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(ip!, family);
    else list.addSubnet(ip!, Number(bits), family);
  }
  return list;
}

/** Always refused: loopback, link-local (holds 169.254.169.254), other metadata addresses, unspecified, multicast, reserved. */
const NEVER = addressBlockList([
  '127.0.0.0/8', '::1', '169.254.0.0/16', '100.100.100.200', '0.0.0.0/8', '224.0.0.0/4', '240.0.0.0/4',
  'fe80::/10', 'fd00:ec2::254', '::', 'ff00::/8',
]);
const PRIVATE = addressBlockList(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', 'fc00::/7']);

/** `::ffff:127.0.0.1` (and the URL parser's `::ffff:7f00:1`) is the IPv4 address in disguise. */
export function normaliseAddress(address: string): { address: string; family: Family } {
  const bare = address.replace(/^\[|\]$/g, '');
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (dotted) return { address: dotted[1]!, family: 'ipv4' };
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(bare);
  if (hex) {
    const [hi, lo] = [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16)];
    return { address: `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`, family: 'ipv4' };
  }
  return { address: bare, family: isIP(bare) === 6 ? 'ipv6' : 'ipv4' };
}

export class OutboundAddressPolicy {
  private readonly allowHosts = new Set<string>();
  private readonly allowNets: BlockList;

  constructor(private readonly opts: OutboundPolicyOptions) {
    const cidrs: string[] = [];
    for (const entry of opts.allow) {
      if (isIP(entry.split('/')[0]!)) cidrs.push(entry);
      else this.allowHosts.add(entry.toLowerCase());
    }
    this.allowNets = addressBlockList(cidrs);
  }

  /** Throws RefusedAddressError when `rawAddress:port` (reached for `hostname`) may not be called. */
  check(rawAddress: string, port: number, hostname: string): void {
    if (this.allowHosts.has(hostname.toLowerCase())) return;
    const { address, family } = normaliseAddress(rawAddress);
    if (this.allowNets.check(address, family)) return;
    if (NEVER.check(address, family)) throw new RefusedAddressError(`refused address ${address} for ${hostname} (loopback, link-local, cloud metadata or reserved)`);
    const isPrivate = PRIVATE.check(address, family);
    if (isPrivate && this.opts.platformPorts.includes(port)) throw new RefusedAddressError(`refused ${address}:${port} for ${hostname} (a Parley service port)`);
    if (this.opts.blockPrivate && isPrivate) throw new RefusedAddressError(`refused private address ${address} for ${hostname} (OUTBOUND_BLOCK_PRIVATE)`);
  }
}
