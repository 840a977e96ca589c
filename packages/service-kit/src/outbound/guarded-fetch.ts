import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { IncomingMessage } from 'node:http';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { type OutboundAddressPolicy, RefusedAddressError } from './address-policy';

export interface GuardedFetchOptions {
  /** At most this many bytes of the answer are read; the rest is cut off (streamed: the body errors). */
  maxResponseBytes: number;
  /** The answer's body streams as it arrives (a model's tokens) instead of being read whole before the Response. */
  stream?: boolean;
  /** The resolver (tests inject a rebinding one); defaults to the system's. */
  lookup?: typeof dnsLookup;
}

export type Lookup = (hostname: string, options: { all?: boolean; family?: number }, cb: (...args: unknown[]) => void) => void;

/**
 * A `lookup` for http.request that resolves every address of the host and hands each to `check` (which throws to
 * refuse) before the connection is made: the check is on the address actually connected to, so DNS cannot rebind.
 */
export function checkedLookup(check: (address: string, port: number, hostname: string) => void, port: number, resolve: typeof dnsLookup = dnsLookup): Lookup {
  return (hostname, options, cb) => {
    resolve(hostname, { ...options, all: true }, (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => {
      if (err) return cb(err);
      try {
        for (const a of addresses) check(a.address, port, hostname);
      } catch (refused) {
        return cb(refused);
      }
      if (options.all) cb(null, addresses);
      else cb(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

/** Where a request to a user-supplied URL may go: the parsed URL, its port, and the `lookup` that checks each address. */
export interface OutboundTarget {
  url: URL;
  port: number;
  lookup: Lookup;
}

/**
 * Checks a user-supplied URL before any request: only http and https, an IP literal against the policy (it skips the
 * lookup). Hostnames are checked at connect time through the returned `lookup`. Throws RefusedAddressError.
 */
export function outboundTarget(policy: OutboundAddressPolicy, raw: string | URL, resolve: typeof dnsLookup = dnsLookup): OutboundTarget {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new RefusedAddressError(`not a valid URL: ${String(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RefusedAddressError(`only http and https URLs are called (got ${url.protocol})`);
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) policy.check(host, port, host);
  return { url, port, lookup: checkedLookup((address, p, hostname) => policy.check(address, p, hostname), port, resolve) };
}

/**
 * A `fetch` for user-supplied URLs. The policy is checked against every address the connection may use, inside the
 * socket's own lookup, so a name that resolved to a public address a moment ago cannot rebind to loopback. Redirects
 * are never followed: a 3xx is an error (a hop-by-hop re-check would add little for webhooks and tools).
 */
export function createGuardedFetch(policy: OutboundAddressPolicy, opts: GuardedFetchOptions): typeof fetch {
  const resolve = opts.lookup ?? dnsLookup;

  return (async (input: string | URL | Request, init: RequestInit = {}) => {
    const { url, lookup } = outboundTarget(policy, typeof input === 'string' || input instanceof URL ? input : input.url, resolve);
    const body = init.body == null ? undefined : typeof init.body === 'string' ? init.body : Buffer.from(await new Response(init.body).arrayBuffer());
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    const signal = init.signal ?? undefined;

    return new Promise<Response>((ok, fail) => {
      const req = (url.protocol === 'https:' ? https : http).request(
        url,
        { method: init.method ?? 'GET', headers, lookup: lookup as never, signal },
        (res) => {
          const status = res.statusCode ?? 0;
          if (status >= 300 && status < 400) {
            res.destroy();
            return fail(new RefusedAddressError(`redirects are not followed (${status} to ${res.headers.location ?? 'nowhere'})`));
          }
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
          if (opts.stream) return ok(new Response(status === 204 || status === 304 ? null : streamedBody(res, opts.maxResponseBytes), { status, headers: h }));
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            if (size >= opts.maxResponseBytes) return;
            chunks.push(c.subarray(0, opts.maxResponseBytes - size));
            size += c.length;
            if (size >= opts.maxResponseBytes) res.destroy();
          });
          const done = () => {
            ok(new Response(status === 204 || status === 304 ? null : Buffer.concat(chunks), { status, headers: h }));
          };
          res.on('end', done);
          res.on('close', done);
          res.on('error', fail);
        },
      );
      req.on('error', fail);
      req.end(body);
    });
  }) as typeof fetch;
}

/** The answer as it arrives, cut off with an error past `maxBytes`; cancelling it closes the connection. */
function streamedBody(res: IncomingMessage, maxBytes: number): ReadableStream<Uint8Array> {
  let size = 0;
  let settled = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        controller.error(err);
        res.destroy();
      };
      res.on('data', (c: Buffer) => {
        if (settled) return;
        size += c.length;
        if (size > maxBytes) return fail(new Error(`the answer is longer than ${maxBytes} bytes`));
        controller.enqueue(new Uint8Array(c.buffer, c.byteOffset, c.length));
      });
      res.on('end', () => {
        if (settled) return;
        settled = true;
        controller.close();
      });
      res.on('error', fail);
      res.on('close', () => fail(Object.assign(new Error('the connection closed before the answer ended'), { name: res.destroyed && !res.complete ? 'AbortError' : 'Error' })));
    },
    cancel() {
      settled = true;
      res.destroy();
    },
  });
}
