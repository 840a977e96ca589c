import { AriClient, type AriEvent, type AriEventOf, type AriEventType } from '@parley/ari-client';
import { startAsteriskSim, type AsteriskSim, type AsteriskSimOptions } from '../server';

/** A simulator plus an ARI client connected as app `dialer`, recording every event it receives. */
export interface SimHarness {
  sim: AsteriskSim;
  ari: AriClient;
  events: AriEvent[];
  /** Resolves with the first event (already received or future) matching. */
  until<T extends AriEventType>(type: T, predicate?: (e: AriEventOf<T>) => boolean, timeoutMs?: number): Promise<AriEventOf<T>>;
  /**
   * POST /channels/externalMedia, resolved once the channel's StasisStart arrived: only then can it join a bridge
   * (the simulator, like Asterisk, may send StasisStart after the response).
   */
  externalMedia(params: Parameters<AriClient['channels']['externalMedia']>[0]): ReturnType<AriClient['channels']['externalMedia']>;
  /** PUT /sim/scenarios/{number}. */
  scenario(number: string, body: unknown): Promise<Response>;
  close(): Promise<void>;
}

export async function startHarness(options: AsteriskSimOptions = {}, app = 'dialer'): Promise<SimHarness> {
  const sim = await startAsteriskSim({ port: 0, ...options });
  const ari = new AriClient({ url: sim.url, username: sim.username, password: sim.password, app });
  const events: AriEvent[] = [];
  const waiters: Array<{ match: (e: AriEvent) => boolean; resolve: (e: AriEvent) => void }> = [];
  ari.on('event', (e) => {
    events.push(e);
    for (const w of [...waiters]) {
      if (w.match(e)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(e);
      }
    }
  });
  await ari.connect();
  const harness: SimHarness = {
    sim,
    ari,
    events,
    until(type, predicate = () => true, timeoutMs = 15_000) {
      const match = (e: AriEvent) => e.type === type && predicate(e as never);
      const seen = events.find(match);
      if (seen) return Promise.resolve(seen as never);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${type} within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({
          match,
          resolve: (e) => {
            clearTimeout(timer);
            resolve(e as never);
          },
        });
      });
    },
    async externalMedia(params) {
      const channel = await ari.channels.externalMedia(params);
      await harness.until('StasisStart', (e) => e.channel.id === channel.id);
      return channel;
    },
    scenario(number, body) {
      return fetch(`${sim.url}/sim/scenarios/${encodeURIComponent(number)}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    },
    async close() {
      await ari.close();
      await sim.close();
    },
  };
  return harness;
}

export const settle = (ms = 150) => new Promise((r) => setTimeout(r, ms));
