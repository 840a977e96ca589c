import type { AriEvent } from '@parley/ari-client';
import { afterEach, expect, it, vi } from 'vitest';
import { NotInStasisError, StasisChannels } from './stasis-channels';

const event = (type: string, id: string) => ({ type, channel: { id }, timestamp: '2026-12-03T08:00:00.000+0000' }) as unknown as AriEvent;

afterEach(() => {
  vi.useRealTimers();
});

it('waits for the StasisStart that comes after the channel was created, and answers at once for one already seen', async () => {
  const stasis = new StasisChannels();
  let entered = false;
  const waiting = stasis.whenInStasis('media-1', 1000).then(() => (entered = true));
  stasis.observe(event('ChannelCreated', 'media-1'));
  await Promise.resolve();
  expect(entered).toBe(false);
  stasis.observe(event('StasisStart', 'media-1'));
  await waiting;
  expect(entered).toBe(true);
  await expect(stasis.whenInStasis('media-1', 1000)).resolves.toBeUndefined();
});

it('fails clearly when the channel is destroyed first or never enters Stasis within the bound', async () => {
  vi.useFakeTimers();
  const stasis = new StasisChannels();
  const destroyed = stasis.whenInStasis('media-2', 1000);
  stasis.observe(event('ChannelDestroyed', 'media-2'));
  await expect(destroyed).rejects.toThrow(new NotInStasisError('channel media-2 was hung up before it entered Stasis'));

  const never = stasis.whenInStasis('media-3', 1000);
  vi.advanceTimersByTime(1000);
  await expect(never).rejects.toThrow(new NotInStasisError('channel media-3 did not enter Stasis within 1000 ms'));
  // A StasisStart after the bound no longer matters to the waiter that gave up.
  stasis.observe(event('StasisStart', 'media-3'));
  expect(stasis.has('media-3')).toBe(true);
});

it('a channel that left Stasis is waited for again', async () => {
  const stasis = new StasisChannels();
  stasis.observe(event('StasisStart', 'c1'));
  stasis.observe(event('StasisEnd', 'c1'));
  expect(stasis.has('c1')).toBe(false);
  stasis.observe(event('StasisStart', 'c2'));
  stasis.forget('c2');
  expect(stasis.has('c2')).toBe(false);
});
