import { parseWav } from '@parley/audio';
import { AriError } from '@parley/ari-client';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startHarness, type SimHarness } from './testing/harness';

let h: SimHarness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(() => h.close());

it('runs playbacks and live recordings through their ARI lifecycle, storing the far end audio of a channel recording', async () => {
  await h.scenario('+15551230020', { outcome: 'answer', answer_after_ms: 20, lines: [], send_silence: true });
  const channel = await h.ari.channels.originate({ endpoint: 'PJSIP/+15551230020@sandbox', app: 'dialer' });
  await h.until('StasisStart', (e) => e.channel.id === channel.id);

  const playback = await h.ari.channels.play(channel.id, 'sound:silence/1', { playbackId: 'pb1' });
  expect(playback).toMatchObject({ id: 'pb1', state: 'queued', target_uri: `channel:${channel.id}` });
  await h.until('PlaybackStarted', (e) => e.playback.id === 'pb1');
  await h.ari.playbacks.stop('pb1');
  expect((await h.until('PlaybackFinished', (e) => e.playback.id === 'pb1')).playback.state).toBe('done');

  const live = await h.ari.channels.record(channel.id, { name: 'rec1', format: 'wav' });
  expect(live.state).toBe('queued');
  await h.until('RecordingStarted', (e) => e.recording.name === 'rec1');
  const dup = (await h.ari.channels.record(channel.id, { name: 'rec1', format: 'wav' }).catch((e: unknown) => e)) as AriError;
  expect(dup.status).toBe(409);
  await new Promise((r) => setTimeout(r, 300));
  await h.ari.recordings.stop('rec1');
  expect((await h.until('RecordingFinished', (e) => e.recording.name === 'rec1')).recording.state).toBe('done');
  expect(await h.ari.recordings.listStored()).toEqual([{ name: 'rec1', format: 'wav' }]);
  const wav = parseWav(await h.ari.recordings.getStoredFile('rec1'));
  expect(wav.sampleRate).toBe(16000);
  expect(wav.samples.length).toBeGreaterThan(0);
});
