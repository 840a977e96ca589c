import { afterEach, beforeEach, expect, it } from 'vitest';
import { AriClient } from './client';
import { backoffDelay, type DisconnectedInfo } from './events';
import { FakeAsterisk, event } from './testing/fake-asterisk';
import type { StasisStartEvent } from './types';

let fake: FakeAsterisk;
let ari: AriClient | undefined;
beforeEach(async () => {
  fake = new FakeAsterisk();
  await fake.start();
});
afterEach(async () => {
  await ari?.close();
  await fake.stop();
});

function waitFor<T>(register: (resolve: (v: T) => void) => void): Promise<T> {
  return new Promise((resolve) => register(resolve));
}

it('reconnects after the socket drops, re-applies subscriptions, and reports disconnected then reconnected', async () => {
  ari = new AriClient({ url: fake.url, username: 'u', password: 'p', app: 'dialer', reconnect: { initialDelayMs: 20, maxDelayMs: 100 } });
  const lifecycle: string[] = [];
  ari.on('connected', () => void lifecycle.push('connected'));
  const disconnected = waitFor<DisconnectedInfo>((r) => ari!.on('disconnected', (info) => (lifecycle.push('disconnected'), r(info))));
  const reconnected = waitFor<void>((r) => ari!.on('reconnected', () => (lifecycle.push('reconnected'), r())));
  await ari.connect();
  expect(fake.upgrades[0]).toBe('/ari/events?app=dialer&subscribeAll=true');
  await ari.subscribe('channel:c1');

  fake.dropSockets();
  expect((await disconnected).willReconnect).toBe(true);
  await reconnected;
  expect(lifecycle).toEqual(['connected', 'disconnected', 'reconnected']);
  expect(fake.requests.filter((r) => r.path === '/ari/applications/dialer/subscription').map((r) => r.query.eventSource)).toEqual(['channel:c1', 'channel:c1']);

  const start = waitFor<StasisStartEvent>((r) => ari!.on('StasisStart', r));
  fake.broadcast(event('StasisStart', { args: ['outbound'], channel: { id: 'c1' } }));
  expect((await start).args).toEqual(['outbound']);
});

it('keeps trying until Asterisk is up, and rejects connect() on bad credentials', async () => {
  const port = fake.port;
  await fake.stop();
  ari = new AriClient({ url: `http://127.0.0.1:${port}`, username: 'u', password: 'p', app: 'dialer', reconnect: { initialDelayMs: 20, maxDelayMs: 50 } });
  const connecting = ari.connect();
  await new Promise((r) => setTimeout(r, 150));
  fake = new FakeAsterisk();
  await fake.start(port);
  await connecting;
  expect(ari.events.isConnected).toBe(true);

  fake.rejectUpgradeWith = 401;
  const denied = new AriClient({ url: fake.url, username: 'u', password: 'wrong', app: 'dialer' });
  await expect(denied.connect()).rejects.toThrow(/401/);
  await denied.close();
});

it('grows the backoff exponentially up to the cap, with jitter in the upper half', () => {
  const options = { initialDelayMs: 100, maxDelayMs: 1000, factor: 2 };
  expect([0, 1, 2, 3, 10].map((n) => backoffDelay(n, options, () => 0))).toEqual([50, 100, 200, 400, 500]);
  expect([0, 1, 2, 3, 10].map((n) => backoffDelay(n, options, () => 1))).toEqual([100, 200, 400, 800, 1000]);
});

it('authenticates the WebSocket with api_key when asked', async () => {
  ari = new AriClient({ url: `${fake.url}/ari`, username: 'u', password: 'p', app: ['dialer', 'amd'], auth: 'api_key', subscribeAll: false });
  await ari.connect();
  expect(fake.upgrades[0]).toBe('/ari/events?app=dialer%2Camd&api_key=u%3Ap');
});
