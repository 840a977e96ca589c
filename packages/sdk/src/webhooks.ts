/**
 * Standard Webhooks (https://www.standardwebhooks.com): Parley signs each delivery with the secret of the endpoint (or
 * the account's, for a call's webhook_url): `webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`.
 * WebCrypto only, so it runs wherever fetch does.
 */
export class WebhookVerificationError extends Error {}

/** How far a delivery's timestamp may be from now (replays older than this are refused). */
const TOLERANCE_SECONDS = 5 * 60;

type HeaderBag = Headers | Record<string, string | string[] | undefined>;

function header(headers: HeaderBag, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const v = (headers as Record<string, string | string[] | undefined>)[name] ?? (headers as Record<string, string | string[] | undefined>)[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

function base64(bytes: ArrayBuffer): string {
  let s = '';
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s);
}

function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

export class Webhooks {
  constructor(private readonly secret: string | undefined) {}

  /**
   * Checks a delivery's signature against the raw body (as received, not re-serialized) and returns the event.
   * Throws WebhookVerificationError when it does not match, is too old, or a header is missing.
   */
  async unwrap<T = { type: string; timestamp: string; data: Record<string, unknown> }>(body: string, headers: HeaderBag, secret = this.secret, now = Date.now()): Promise<T> {
    if (!secret) throw new WebhookVerificationError('No webhook secret: pass it, or set PARLEY_WEBHOOK_SECRET');
    const id = header(headers, 'webhook-id');
    const timestamp = header(headers, 'webhook-timestamp');
    const signatures = header(headers, 'webhook-signature');
    if (!id || !timestamp || !signatures) throw new WebhookVerificationError('Missing webhook-id, webhook-timestamp or webhook-signature');
    const sent = Number(timestamp);
    if (!Number.isFinite(sent) || Math.abs(now / 1000 - sent) > TOLERANCE_SECONDS) throw new WebhookVerificationError('The webhook timestamp is too far from now');
    const key = Uint8Array.from(atob(secret.replace(/^whsec_/, '')), (c) => c.charCodeAt(0));
    const hmac = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    const expected = base64(await crypto.subtle.sign('HMAC', hmac, new TextEncoder().encode(`${id}.${timestamp}.${body}`)));
    const ok = signatures.split(' ').some((s) => {
      const [version, signature] = s.split(',');
      return version === 'v1' && signature !== undefined && timingSafeEqual(signature, expected);
    });
    if (!ok) throw new WebhookVerificationError('The webhook signature does not match');
    return JSON.parse(body) as T;
  }
}
