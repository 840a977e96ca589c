import { APIConnectionError, APITimeoutError, errorFor, ParleyError } from './errors.js';
import { Page } from './pagination.js';
import { Account, Agents, Balance, Calls, Campaigns, CreditLedger, DoNotCall, Numbers, Trunks, WebhookDeliveries, WebhookEndpoints } from './resources.js';
import { Webhooks } from './webhooks.js';

export interface ParleyOptions {
  /** Default: PARLEY_API_KEY from the environment. */
  apiKey?: string;
  /** Where the API is; default PARLEY_BASE_URL, else http://127.0.0.1:3000. */
  baseUrl?: string;
  /** Per request, ms (default 60,000). */
  timeout?: number;
  /** Retries of a request that may be retried (default 2): see `request`. */
  maxRetries?: number;
  /** For Standard Webhooks verification (default PARLEY_WEBHOOK_SECRET). */
  webhookSecret?: string;
  fetch?: typeof fetch;
}

export interface RequestOptions {
  query?: Record<string, unknown>;
  body?: unknown;
  /** A body that is not JSON (CSV, NDJSON), sent as it is with this content type. */
  content?: { type: string; data: string };
  idempotencyKey?: string;
  /** What to read: the JSON (default), the text, the bytes, or the response itself (streams). */
  as?: 'json' | 'text' | 'bytes' | 'response';
  timeout?: number;
  /** Aborts the request, and the reading of its answer (a stream the caller no longer wants). */
  signal?: AbortSignal;
}

const env = (name: string): string | undefined => (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The Parley API. `new Parley()` reads PARLEY_API_KEY and PARLEY_BASE_URL; every resource is a property
 * (`client.calls.create(...)`), lists are pages you can `for await` across, and errors are ParleyError subclasses
 * carrying the API's `code`, `message`, `param` and status.
 */
export class Parley {
  readonly apiKey: string;
  readonly baseUrl: string;
  readonly timeout: number;
  readonly maxRetries: number;
  private readonly fetchImpl: typeof fetch;

  readonly agents = new Agents(this);
  readonly numbers = new Numbers(this);
  readonly trunks = new Trunks(this);
  readonly calls = new Calls(this);
  readonly campaigns = new Campaigns(this);
  readonly doNotCall = new DoNotCall(this);
  readonly webhookEndpoints = new WebhookEndpoints(this);
  readonly webhookDeliveries = new WebhookDeliveries(this);
  readonly balance = new Balance(this);
  readonly creditLedger = new CreditLedger(this);
  readonly account = new Account(this);
  readonly webhooks: Webhooks;

  constructor(options: ParleyOptions = {}) {
    const apiKey = options.apiKey ?? env('PARLEY_API_KEY');
    if (!apiKey) throw new ParleyError('No API key: pass apiKey, or set PARLEY_API_KEY', null, 'authentication_error', 'api_key_missing');
    this.apiKey = apiKey;
    this.baseUrl = (options.baseUrl ?? env('PARLEY_BASE_URL') ?? 'http://127.0.0.1:3000').replace(/\/+$/, '').replace(/\/v1$/, '');
    this.timeout = options.timeout ?? 60_000;
    this.maxRetries = options.maxRetries ?? 2;
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.webhooks = new Webhooks(options.webhookSecret ?? env('PARLEY_WEBHOOK_SECRET'));
  }

  /**
   * One API request. Retried (up to maxRetries, backing off, honouring Retry-After): a 429 always (the API did nothing),
   * and a 5xx, a timeout or a lost connection only when the request is idempotent (GET, DELETE, or a POST with an
   * Idempotency-Key).
   */
  async request<T>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
    const url = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(o.query ?? {})) if (v !== undefined && v !== null) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { authorization: `Bearer ${this.apiKey}`, accept: 'application/json' };
    let body: string | undefined;
    if (o.content) {
      headers['content-type'] = o.content.type;
      body = o.content.data;
    } else if (o.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(o.body);
    }
    if (o.idempotencyKey) headers['idempotency-key'] = o.idempotencyKey;
    const retriable = IDEMPOTENT.has(method) || Boolean(o.idempotencyKey);
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      const timeout = o.timeout ?? this.timeout;
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), timeout);
      try {
        res = await this.fetchImpl(url, { method, headers, body, signal: o.signal ? AbortSignal.any([controller.signal, o.signal]) : controller.signal });
      } catch (err) {
        clearTimeout(timer);
        if (o.signal?.aborted) throw o.signal.reason;
        const timedOut = controller.signal.aborted;
        if (retriable && attempt < this.maxRetries) {
          await sleep(backoff(attempt, null));
          continue;
        }
        throw timedOut
          ? new APITimeoutError(`No answer from ${method} ${path} within ${timeout} ms`, null, 'api_connection_error', 'timeout')
          : new APIConnectionError(`${method} ${path}: ${(err as Error).message}`, null, 'api_connection_error', 'connection_error');
      }
      // The answer has begun: a stream may then last as long as the call.
      clearTimeout(timer);
      if (res.ok) {
        if (o.as === 'response') return res as T;
        if (o.as === 'text') return (await res.text()) as T;
        if (o.as === 'bytes') return (await res.arrayBuffer()) as T;
        return (res.status === 204 ? undefined : await res.json()) as T;
      }
      const error = errorFor(res.status, await res.json().catch(() => null), res.headers);
      const again = res.status === 429 || (res.status >= 500 && retriable);
      if (again && attempt < this.maxRetries) {
        await sleep(backoff(attempt, res.headers.get('retry-after')));
        continue;
      }
      throw error;
    }
  }

  /** A list endpoint's first page, as a Page that `for await` runs across every page. */
  async list<T extends { id?: string; number?: string }>(path: string, query: Record<string, unknown> = {}, cursor?: (item: T) => string): Promise<Page<T>> {
    const page = await this.request<{ data: T[]; has_more: boolean }>('GET', path, { query });
    return new Page(page.data, page.has_more, (after) => this.list(path, { ...query, starting_after: after }, cursor), cursor);
  }
}

/** Retry-After (seconds, or an HTTP date) when the API gives it, else 0.5 s doubling, with jitter, at most 8 s. */
function backoff(attempt: number, retryAfter: string | null): number {
  if (retryAfter) {
    const seconds = Number(retryAfter);
    const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(retryAfter) - Date.now();
    if (Number.isFinite(ms) && ms >= 0) return Math.min(ms, 60_000);
  }
  return Math.min(8000, 500 * 2 ** attempt) * (0.75 + Math.random() * 0.5);
}
