import { BlockList, isIP } from 'node:net';
import { addressBlockList, checkedLookup, normaliseAddress, type Lookup } from '@parley/service-kit';

export interface UrlGuardOptions {
  /** Hostnames, IPs or CIDRs called even if otherwise refused. */
  allow: string[];
  /** Ports refused on loopback (the platform's own services). */
  platformPorts: number[];
  /** Also refuse private ranges and loopback. */
  blockPrivate: boolean;
}

export class RefusedUrlError extends Error {}

/** Never called: link-local (which holds cloud metadata 169.254.169.254), other metadata addresses, unspecified, multicast, broadcast. */
const NEVER = addressBlockList(['169.254.0.0/16', '100.100.100.200', '0.0.0.0/8', '224.0.0.0/4', '240.0.0.0/4', 'fe80::/10', 'fd00:ec2::254', '::', 'ff00::/8']);
const LOOPBACK = addressBlockList(['127.0.0.0/8', '::1']);
const PRIVATE = addressBlockList(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', 'fc00::/7']);

/**
 * The SSRF guard of webhook delivery: only http/https, and the address actually connected to (after DNS, so a
 * hostname cannot rebind to a refused address) is checked against the refused ranges.
 */
export class UrlGuard {
  private readonly allowHosts = new Set<string>();
  private readonly allowNets: BlockList;

  constructor(private readonly opts: UrlGuardOptions) {
    const cidrs: string[] = [];
    for (const entry of opts.allow) {
      if (isIP(entry.split('/')[0]!)) cidrs.push(entry);
      else this.allowHosts.add(entry.toLowerCase());
    }
    this.allowNets = addressBlockList(cidrs);
  }

  /** Checks the URL itself; returns the parsed URL or throws RefusedUrlError. IP literals are checked here (no DNS). */
  checkUrl(raw: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new RefusedUrlError(`not a valid URL: ${raw}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RefusedUrlError(`only http and https URLs are called (got ${url.protocol})`);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host)) this.checkAddress(host, this.portOf(url), url.hostname);
    return url;
  }

  portOf(url: URL): number {
    return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  }

  checkAddress(rawAddress: string, port: number, hostname: string): void {
    if (this.allowHosts.has(hostname.toLowerCase())) return;
    const { address, family } = normaliseAddress(rawAddress);
    if (this.allowNets.check(address, family)) return;
    if (NEVER.check(address, family)) throw new RefusedUrlError(`refused address ${address} for ${hostname} (link-local, cloud metadata or reserved)`);
    const loopback = LOOPBACK.check(address, family);
    if (loopback && this.opts.platformPorts.includes(port)) throw new RefusedUrlError(`refused ${address}:${port} for ${hostname} (a Parley service port on this host)`);
    if (this.opts.blockPrivate && (loopback || PRIVATE.check(address, family))) throw new RefusedUrlError(`refused private address ${address} for ${hostname} (WEBHOOK_BLOCK_PRIVATE)`);
  }

  /** A `lookup` for http.request that refuses connecting to a refused address. */
  lookupFor(port: number): Lookup {
    return checkedLookup((address, p, hostname) => this.checkAddress(address, p, hostname), port);
  }
}
