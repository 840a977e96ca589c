import type { AriEvent } from '@parley/ari-client';
import { afterEach, expect, it, vi } from 'vitest';
import { NotInStasisError, StasisChannels } from './stasis-channels';

const event = (type: string, id: string) => ({ type, channel: { id }, timestamp: '2026-12-03T08:00:00.000+0000' }) as unknown as AriEvent;
/** What GET /channels/{id} would say: in Stasis for these ids, not for others. */
const asterisk = (...inStasis: string[]) => vi.fn(async (id: string) => inStasis.includes(id));

afterEach(() => {
  vi.useRealTimers();
});

it('waits for the StasisStart that comes after the channel was created, and answers at once for one already seen', async () => {
  const stasis = new StasisChannels(asterisk());
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

it('fails clearly when the channel is destroyed first, or when after the bound Asterisk does not show it in Stasis either', async () => {
  vi.useFakeTimers();
  const lookup = asterisk();
  const stasis = new StasisChannels(lookup);
  const destroyed = stasis.whenInStasis('media-2', 1000);
  stasis.observe(event('ChannelDestroyed', 'media-2'));
  await expect(destroyed).rejects.toThrow(new NotInStasisError('channel media-2 was hung up before it entered Stasis'));

  const never = stasis.whenInStasis('media-3', 1000);
  vi.advanceTimersByTime(1000);
  await expect(never).rejects.toThrow(new NotInStasisError('channel media-3 did not enter Stasis within 1000 ms'));
  expect(lookup).toHaveBeenCalledWith('media-3');
});

it('a StasisStart lost while the events WebSocket was down: found by asking Asterisk, on reconnect or when the wait runs out', async () => {
  vi.useFakeTimers();
  const stasis = new StasisChannels(asterisk('media-4', 'media-5'));
  const onReconnect = stasis.whenInStasis('media-4', 60_000);
  await stasis.recheckWaiting();
  await expect(onReconnect).resolves.toBeUndefined();
  expect(stasis.has('media-4')).toBe(true);

  const atBound = stasis.whenInStasis('media-5', 1000);
  vi.advanceTimersByTime(1000);
  await expect(atBound).resolves.toBeUndefined();
});

it('a channel that left Stasis or was forgotten is not in Stasis', () => {
  const stasis = new StasisChannels(asterisk());
  stasis.observe(event('StasisStart', 'c1'));
  stasis.observe(event('StasisEnd', 'c1'));
  expect(stasis.has('c1')).toBe(false);
  stasis.observe(event('StasisStart', 'c2'));
  stasis.forget('c2');
  expect(stasis.has('c2')).toBe(false);
});
