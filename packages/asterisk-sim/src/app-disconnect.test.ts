import { AriClient } from '@parley/ari-client';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { settle, startHarness, type SimHarness } from './testing/harness';

let h: SimHarness;
beforeEach(async () => {
  h = await startHarness({ endpoints: ['trunk'] });
});
afterEach(async () => {
  await h.close();
});

// Asterisk 22 (../shared/fixtures/asterisk-22/README.md, "Observed later with the dialer"): when the Stasis app's
// WebSocket goes away, the call's mixing bridge and its ExternalMedia channel stay, Up in Stasis, until someone
// deletes them; the far end's BYE still removes the PJSIP channel.
it('bridges and ExternalMedia channels outlive the app disconnect; the far end that hangs up goes away', async () => {
  await h.scenario('+15551230001', { outcome: 'answer', answer_after_ms: 20, lines: [], send_silence: false });
  const id = 'call-left-behind';
  await h.ari.channels.originate({ endpoint: 'PJSIP/+15551230001@trunk', app: 'dialer', channelId: id });
  await h.until('StasisStart', (e) => e.channel.id === id);
  await h.until('ChannelStateChange', (e) => e.channel.id === id && e.channel.state === 'Up');
  await h.ari.bridges.create({ type: 'mixing', bridgeId: 'bridge-x' });
  await h.ari.channels.externalMedia({ app: 'dialer', external_host: '127.0.0.1:9', format: 'g722', channelId: 'media-x' });
  await h.until('StasisStart', (e) => e.channel.id === 'media-x');
  await h.ari.bridges.addChannel('bridge-x', [id, 'media-x']);

  await h.ari.close();
  await settle(100);
  await fetch(`${h.sim.url}/sim/calls/${id}/hangup`, { method: 'POST' });
  await settle(100);

  const observer = new AriClient({ url: h.sim.url, username: h.sim.username, password: h.sim.password, app: 'observer' });
  const channels = await observer.channels.list();
  expect(channels.map((c) => [c.id, c.state, c.dialplan?.app_name])).toEqual([['media-x', 'Up', 'Stasis']]);
  const bridges = await observer.bridges.list();
  expect(bridges.map((b) => [b.id, b.channels])).toEqual([['bridge-x', ['media-x']]]);

  await observer.bridges.destroy('bridge-x');
  await observer.channels.hangup('media-x');
  await settle(50);
  expect(await observer.channels.list()).toEqual([]);
  expect(await observer.bridges.list()).toEqual([]);
});
