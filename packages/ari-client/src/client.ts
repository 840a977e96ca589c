import { AriEventStream, type AriEventStreamOptions, type AriStreamEventName, type AriStreamHandlers } from './events';
import { ApplicationsApi, AriHttp, AsteriskApi, BridgesApi, ChannelsApi, EndpointsApi, PlaybacksApi, RecordingsApi } from './rest';
import type { AriEventOf, AriEventType } from './types';

export interface AriClientOptions extends Omit<AriEventStreamOptions, 'onOpen'> {
  requestTimeoutMs?: number;
  fetch?: typeof fetch;
}

/**
 * One connection to one Asterisk: REST resources plus the events WebSocket of a Stasis app.
 * Event subscriptions made through `subscribe` are re-applied after every reconnect.
 */
export class AriClient {
  readonly http: AriHttp;
  readonly channels: ChannelsApi;
  readonly bridges: BridgesApi;
  readonly playbacks: PlaybacksApi;
  readonly recordings: RecordingsApi;
  readonly endpoints: EndpointsApi;
  readonly asterisk: AsteriskApi;
  readonly applications: ApplicationsApi;
  readonly events: AriEventStream;
  private readonly subscriptions = new Set<string>();
  private readonly primaryApp: string;

  constructor(options: AriClientOptions) {
    this.http = new AriHttp(options);
    this.channels = new ChannelsApi(this.http);
    this.bridges = new BridgesApi(this.http);
    this.playbacks = new PlaybacksApi(this.http);
    this.recordings = new RecordingsApi(this.http);
    this.endpoints = new EndpointsApi(this.http);
    this.asterisk = new AsteriskApi(this.http);
    this.applications = new ApplicationsApi(this.http);
    this.primaryApp = Array.isArray(options.app) ? options.app[0]! : options.app;
    this.events = new AriEventStream({
      ...options,
      onOpen: async ({ reconnect }) => {
        if (!reconnect) return;
        for (const source of this.subscriptions) await this.applications.subscribe(this.primaryApp, source);
      },
    });
  }

  /** Opens the events WebSocket (the Stasis app exists in Asterisk only while it is connected). */
  connect(): Promise<void> {
    return this.events.connect();
  }

  close(): Promise<void> {
    return this.events.close();
  }

  on<K extends AriStreamEventName>(name: K, handler: AriStreamHandlers[K]): () => void {
    return this.events.on(name, handler);
  }

  off<K extends AriStreamEventName>(name: K, handler: AriStreamHandlers[K]): void {
    this.events.off(name, handler);
  }

  waitFor<T extends AriEventType>(type: T, predicate?: (event: AriEventOf<T>) => boolean, timeoutMs?: number): Promise<AriEventOf<T>> {
    return this.events.waitFor(type, predicate, timeoutMs);
  }

  /** Subscribes the app to an event source (`channel:<id>`, `bridge:<id>`, ...) and keeps it across reconnects. */
  async subscribe(eventSource: string): Promise<void> {
    this.subscriptions.add(eventSource);
    await this.applications.subscribe(this.primaryApp, eventSource);
  }

  async unsubscribe(eventSource: string): Promise<void> {
    this.subscriptions.delete(eventSource);
    await this.applications.unsubscribe(this.primaryApp, eventSource);
  }
}
