import { afterEach, beforeEach, expect, it } from 'vitest';
import { AriClient } from './client';
import { FakeAsterisk, event } from './testing/fake-asterisk';

let fake: FakeAsterisk;
let ari: AriClient;
beforeEach(async () => {
  fake = new FakeAsterisk();
  await fake.start();
  ari = new AriClient({ url: fake.url, username: 'u', password: 'p', app: 'dialer' });
  await ari.connect();
});
afterEach(async () => {
  await ari.close();
  await fake.stop();
});

it('dispatches events in arrival order, waiting for async handlers, and reports handler errors without stopping', async () => {
  const seen: string[] = [];
  const errors: string[] = [];
  ari.on('error', (e) => void errors.push(e.message));
  ari.on('StasisStart', async (e) => {
    await new Promise((r) => setTimeout(r, 50));
    seen.push(`start ${e.channel.id}`);
  });
  ari.on('ChannelDestroyed', (e) => {
    seen.push(`destroyed ${e.channel.id} ${e.cause}`);
    throw new Error('handler bug');
  });
  ari.on('StasisEnd', (e) => void seen.push(`end ${e.channel.id}`));
  const last = ari.waitFor('StasisEnd', (e) => e.channel.id === 'c1');

  fake.broadcast(event('StasisStart', { args: [], channel: { id: 'c1' } }));
  fake.broadcast(event('ChannelDestroyed', { cause: 16, cause_txt: 'Normal Clearing', channel: { id: 'c1' } }));
  fake.broadcast(event('StasisEnd', { channel: { id: 'c1' } }));
  await last;
  await new Promise((r) => setTimeout(r, 100));
  expect(seen).toEqual(['start c1', 'destroyed c1 16', 'end c1']);
  expect(errors).toEqual(['handler bug']);
});
