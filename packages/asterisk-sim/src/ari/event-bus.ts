import type { AriEventPayload } from '@parley/ari-client';
import type WebSocket from 'ws';
import { asteriskTimestamp } from './channel';

interface Subscriber {
  socket: WebSocket;
  apps: string[];
  subscribeAll: boolean;
}

/**
 * Delivers events to the connected Stasis apps, stamped like Asterisk does
 * (timestamp, asterisk_id, application). An app sees an event if it subscribed to
 * everything or owns the channel the event is about.
 */
export class EventBus {
  private readonly subscribers = new Set<Subscriber>();
  /** Every published event, for debugging and `GET /sim/events`. */
  readonly history: Array<Record<string, unknown>> = [];

  constructor(readonly asteriskId: string) {}

  add(socket: WebSocket, apps: string[], subscribeAll: boolean): void {
    const subscriber = { socket, apps, subscribeAll };
    this.subscribers.add(subscriber);
    socket.on('close', () => this.subscribers.delete(subscriber));
  }

  registeredApps(): string[] {
    return [...new Set([...this.subscribers].flatMap((s) => s.apps))];
  }

  isRegistered(app: string): boolean {
    return [...this.subscribers].some((s) => s.apps.includes(app));
  }

  publish(payload: AriEventPayload, ownerApp?: string): void {
    const { type, ...rest } = payload;
    const timestamp = asteriskTimestamp();
    this.history.push({ type, timestamp, ...rest });
    if (this.history.length > 5000) this.history.splice(0, 1000);
    for (const subscriber of this.subscribers) {
      if (subscriber.socket.readyState !== 1) continue;
      for (const app of subscriber.apps) {
        if (!subscriber.subscribeAll && app !== ownerApp) continue;
        subscriber.socket.send(JSON.stringify({ type, timestamp, ...rest, asterisk_id: this.asteriskId, application: app }));
      }
    }
  }

  closeAll(): void {
    for (const subscriber of this.subscribers) subscriber.socket.terminate();
    this.subscribers.clear();
  }
}
