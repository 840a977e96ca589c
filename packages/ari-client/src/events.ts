import WebSocket from 'ws';
import type { AriEvent, AriEventOf, AriEventType } from './types';

export interface ReconnectOptions {
  /** First retry delay; default 250 ms. */
  initialDelayMs?: number;
  /** Cap for the exponential growth; default 15 s. */
  maxDelayMs?: number;
  /** Growth per failed attempt; default 2. */
  factor?: number;
}

export interface AriEventStreamOptions {
  /** `http://host:8088` or `http://host:8088/ari` (ws:// is derived). */
  url: string;
  username: string;
  password: string;
  /** Stasis application(s) to register. */
  app: string | string[];
  /** Receive events for every channel/bridge/endpoint, not only those in the app; default true. */
  subscribeAll?: boolean;
  /** Basic auth header (default) or the `api_key=user:pass` query parameter. */
  auth?: 'basic' | 'api_key';
  /** false disables reconnecting. */
  reconnect?: ReconnectOptions | false;
  /** WebSocket ping interval used to notice a dead connection; default 15 s, 0 disables. */
  pingIntervalMs?: number;
  /** Runs after every successful (re)open and before `connected`/`reconnected` fire, e.g. to resubscribe. */
  onOpen?: (info: { reconnect: boolean }) => Promise<void> | void;
}

export interface DisconnectedInfo {
  code: number;
  reason: string;
  willReconnect: boolean;
}

export interface ReconnectedInfo {
  /** Failed attempts before this one succeeded. */
  attempts: number;
  downtimeMs: number;
}

type EventHandler<E> = (event: E) => void | Promise<void>;

interface LifecycleHandlers {
  connected: () => void | Promise<void>;
  reconnected: (info: ReconnectedInfo) => void | Promise<void>;
  disconnected: (info: DisconnectedInfo) => void | Promise<void>;
  error: (error: Error) => void;
  /** Every ARI event, whatever its type. */
  event: EventHandler<AriEvent>;
}

export type AriStreamHandlers = LifecycleHandlers & { [T in AriEventType]: EventHandler<AriEventOf<T>> };
export type AriStreamEventName = keyof AriStreamHandlers;

/** Delay before reconnect attempt n (0-based): exponential growth with "equal jitter" (half fixed, half random). */
export function backoffDelay(attempt: number, options: Required<ReconnectOptions>, random: () => number = Math.random): number {
  const exp = Math.min(options.maxDelayMs, options.initialDelayMs * options.factor ** attempt);
  return Math.round(exp / 2 + random() * (exp / 2));
}

export function eventsUrl(options: Pick<AriEventStreamOptions, 'url' | 'app' | 'subscribeAll' | 'auth' | 'username' | 'password'>): string {
  const base = options.url.replace(/\/+$/, '').replace(/^http/, 'ws');
  const url = new URL(`${base.endsWith('/ari') ? base : `${base}/ari`}/events`);
  url.searchParams.set('app', Array.isArray(options.app) ? options.app.join(',') : options.app);
  if (options.subscribeAll ?? true) url.searchParams.set('subscribeAll', 'true');
  if (options.auth === 'api_key') url.searchParams.set('api_key', `${options.username}:${options.password}`);
  return url.toString();
}

/**
 * The ARI events WebSocket: typed handlers, reconnect with backoff, lifecycle notifications.
 *
 * Events are dispatched one at a time in arrival order: the next event waits for every
 * handler of the previous one (async handlers included), so a handler sees the world in
 * the order Asterisk reported it. Handlers that do long work should not await it.
 * `waitFor` resolves on arrival, outside that queue, so it cannot deadlock a handler.
 */
export class AriEventStream {
  private readonly handlers = new Map<string, Set<(arg: never) => unknown>>();
  private readonly waiters = new Set<{ match: (e: AriEvent) => boolean; resolve: (e: AriEvent) => void }>();
  private readonly reconnect: Required<ReconnectOptions> | false;
  private ws: WebSocket | undefined;
  private closed = false;
  private everConnected = false;
  private attempts = 0;
  private downSince = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private dispatchChain: Promise<void> = Promise.resolve();
  private firstOpen: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private connecting: Promise<void> | undefined;

  constructor(private readonly options: AriEventStreamOptions) {
    this.reconnect =
      options.reconnect === false
        ? false
        : { initialDelayMs: 250, maxDelayMs: 15_000, factor: 2, ...(options.reconnect ?? {}) };
  }

  get isConnected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  on<K extends AriStreamEventName>(name: K, handler: AriStreamHandlers[K]): () => void {
    let set = this.handlers.get(name);
    if (!set) this.handlers.set(name, (set = new Set()));
    set.add(handler as (arg: never) => unknown);
    return () => this.off(name, handler);
  }

  off<K extends AriStreamEventName>(name: K, handler: AriStreamHandlers[K]): void {
    this.handlers.get(name)?.delete(handler as (arg: never) => unknown);
  }

  /** Resolves with the first event of this type matching the predicate (from now on). */
  waitFor<T extends AriEventType>(type: T, predicate: (event: AriEventOf<T>) => boolean = () => true, timeoutMs = 10_000): Promise<AriEventOf<T>> {
    return new Promise((resolve, reject) => {
      const waiter = {
        match: (e: AriEvent) => e.type === type && predicate(e as AriEventOf<T>),
        resolve: (e: AriEvent) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(e as AriEventOf<T>);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${type}`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Opens the socket; resolves once connected. Keeps retrying while reconnect is enabled; rejects on 401/403. */
  connect(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('event stream was closed'));
    if (this.isConnected) return Promise.resolve();
    this.connecting ??= new Promise<void>((resolve, reject) => {
      this.firstOpen = { resolve, reject };
      if (!this.ws && !this.retryTimer) this.open();
    }).finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /** Stops reconnecting and closes the socket; resolves when it is closed. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    const ws = this.ws;
    if (this.firstOpen) {
      this.firstOpen.reject(new Error('event stream closed before it connected'));
      this.firstOpen = undefined;
    }
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      ws.once('close', () => resolve());
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(1000, 'client closing');
      setTimeout(() => {
        ws.terminate();
        resolve();
      }, 2000).unref();
    });
    await this.dispatchChain;
  }

  private open(): void {
    const url = eventsUrl(this.options);
    const headers: Record<string, string> = {};
    if (this.options.auth !== 'api_key') {
      headers.authorization = `Basic ${Buffer.from(`${this.options.username}:${this.options.password}`).toString('base64')}`;
    }
    const ws = new WebSocket(url, { headers, handshakeTimeout: 10_000 });
    this.ws = ws;
    let opened = false;
    let fatal: Error | undefined;

    ws.on('unexpected-response', (_req, res) => {
      if (res.statusCode === 401 || res.statusCode === 403) {
        fatal = new Error(`ARI events WebSocket rejected with ${res.statusCode} (check ARI credentials)`);
      }
      ws.terminate();
    });
    ws.on('error', (error) => {
      if (opened) this.emitError(error);
    });
    ws.on('open', () => {
      opened = true;
      void this.handleOpen(ws);
    });
    ws.on('message', (data) => this.handleMessage(data));
    ws.on('pong', () => {
      (ws as WebSocket & { alive?: boolean }).alive = true;
    });
    ws.on('close', (code, reasonBuf) => {
      clearInterval(this.pingTimer);
      if (this.ws === ws) this.ws = undefined;
      const reason = reasonBuf.toString();
      if (fatal && this.firstOpen) {
        this.firstOpen.reject(fatal);
        this.firstOpen = undefined;
        this.closed = true;
        return;
      }
      const willReconnect = !this.closed && this.reconnect !== false && !fatal;
      if (opened) {
        this.downSince = Date.now();
        this.emitLifecycle('disconnected', { code, reason, willReconnect });
      }
      if (fatal) this.emitError(fatal);
      if (willReconnect) this.scheduleRetry();
      else if (this.firstOpen) {
        this.firstOpen.reject(new Error(`ARI events WebSocket closed (${code}) before it connected`));
        this.firstOpen = undefined;
      }
    });
  }

  private async handleOpen(ws: WebSocket): Promise<void> {
    const reconnect = this.everConnected;
    const attempts = this.attempts;
    this.attempts = 0;
    this.everConnected = true;
    this.startPing(ws);
    try {
      await this.options.onOpen?.({ reconnect });
    } catch (error) {
      this.emitError(error as Error);
    }
    if (this.firstOpen) {
      this.firstOpen.resolve();
      this.firstOpen = undefined;
    }
    if (reconnect) this.emitLifecycle('reconnected', { attempts, downtimeMs: Date.now() - this.downSince });
    else this.emitLifecycle('connected');
  }

  private startPing(ws: WebSocket): void {
    const interval = this.options.pingIntervalMs ?? 15_000;
    if (interval <= 0) return;
    const tracked = ws as WebSocket & { alive?: boolean };
    tracked.alive = true;
    this.pingTimer = setInterval(() => {
      if (!tracked.alive) {
        // No pong since the last ping: the peer is gone without a FIN (e.g. Asterisk host died).
        ws.terminate();
        return;
      }
      tracked.alive = false;
      ws.ping();
    }, interval);
    this.pingTimer.unref();
  }

  private scheduleRetry(): void {
    if (this.reconnect === false) return;
    const delay = backoffDelay(this.attempts, this.reconnect);
    this.attempts++;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.closed) this.open();
    }, delay);
  }

  private handleMessage(data: WebSocket.RawData): void {
    let event: AriEvent;
    try {
      event = JSON.parse(data.toString()) as AriEvent;
    } catch (error) {
      this.emitError(new Error(`unparseable ARI event: ${(error as Error).message}`));
      return;
    }
    for (const waiter of [...this.waiters]) if (waiter.match(event)) waiter.resolve(event);
    this.dispatchChain = this.dispatchChain.then(() => this.dispatch(event));
  }

  private async dispatch(event: AriEvent): Promise<void> {
    const handlers = [...(this.handlers.get(event.type) ?? []), ...(this.handlers.get('event') ?? [])];
    await Promise.all(
      handlers.map(async (handler) => {
        try {
          await (handler as (e: AriEvent) => unknown)(event);
        } catch (error) {
          this.emitError(error instanceof Error ? error : new Error(String(error)));
        }
      }),
    );
  }

  private emitLifecycle(name: 'connected' | 'reconnected' | 'disconnected', arg?: unknown): void {
    // Queued behind pending events so that handlers see `disconnected` after the events that preceded it.
    this.dispatchChain = this.dispatchChain.then(async () => {
      await Promise.all(
        [...(this.handlers.get(name) ?? [])].map(async (handler) => {
          try {
            await (handler as (a: unknown) => unknown)(arg);
          } catch (error) {
            this.emitError(error as Error);
          }
        }),
      );
    });
  }

  private emitError(error: Error): void {
    const handlers = this.handlers.get('error');
    if (!handlers || handlers.size === 0) return;
    for (const handler of handlers) (handler as (e: Error) => void)(error);
  }
}
