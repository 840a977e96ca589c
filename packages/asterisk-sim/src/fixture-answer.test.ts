import { createSocket, type Socket } from 'node:dgram';
import { AriError } from '@parley/ari-client';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { condense, loadEventOrder, normalizeOrder } from './testing/event-order';
import { settle, startHarness, type SimHarness } from './testing/harness';

let h: SimHarness;
let media: Socket;
beforeEach(async () => {
  // Replays one recorded trace event for event, so the order is the trace's (StasisStart before each response).
  h = await startHarness({ endpoints: ['trunk'], ordering: 'orderly' });
  media = createSocket('udp4');
  await new Promise<void>((r) => media.bind(0, '127.0.0.1', () => r()));
});
afterEach(async () => {
  media.close();
  await h.close();
});

it('reproduces the answer trace: originate, bridge with ExternalMedia ulaw then slin16, our DELETEs', async () => {
  await h.scenario('+15551234567', { outcome: 'answer', ring_after_ms: 5, answer_after_ms: 300, lines: [] });
  const mediaHost = `127.0.0.1:${media.address().port}`;
  const id = 'dialer-1c4c5a93-da85-4c7d-8fa0-f731c4b2e76d';

  const info = await h.ari.asterisk.info();
  expect(info.system?.version).toBe('22.10.1');
  expect((await h.ari.applications.get('dialer')).name).toBe('dialer');

  const originated = await h.ari.channels.originate({
    endpoint: 'PJSIP/+15551234567@trunk',
    app: 'dialer',
    appArgs: 'outbound,lead42',
    callerId: '"ACME Dialer" <+15550000000>',
    timeout: 30,
    channelId: id,
    variables: { CAMPAIGN_ID: 'camp-1', LEAD_ID: '42', 'CALLERID(name)': 'ACME Dialer' },
  });
  expect(originated).toMatchObject({ id, state: 'Down', caller: { name: 'ACME Dialer', number: '+15550000000' }, dialplan: { app_name: 'AppDial2' } });

  const start = await h.until('StasisStart', (e) => e.channel.id === id);
  expect(start.args).toEqual(['outbound', 'lead42']);
  const up = await h.ari.channels.get(id);
  expect(up.state).toBe('Up');
  expect(up.dialplan).toMatchObject({ app_name: 'Stasis', app_data: 'dialer,outbound,lead42' });
  expect(await h.ari.channels.getVariable(id, 'CAMPAIGN_ID')).toBe('camp-1');
  const fnErr = (await h.ari.channels.getVariable(id, 'PJSIP_HEADER(read,To)').catch((e: unknown) => e)) as AriError;
  expect([fnErr.status, fnErr.asteriskMessage]).toEqual([500, 'Unable to read provided function']);

  const bridge = await h.ari.bridges.create({ type: 'mixing', name: 'dialer-bridge-1' });
  expect(bridge.technology).toBe('simple_bridge');
  const em1 = await h.ari.channels.externalMedia({ app: 'dialer', external_host: mediaHost, format: 'ulaw' });
  expect(em1.channelvars?.UNICASTRTP_LOCAL_ADDRESS).toBe('127.0.0.1');
  await h.ari.bridges.addChannel(bridge.id, [id, em1.id]);
  expect((await h.ari.bridges.get(bridge.id)).channels).toEqual([em1.id, id].sort());
  await h.ari.channels.hangup(em1.id);
  await h.until('ChannelDestroyed', (e) => e.channel.id === em1.id);

  const em2 = await h.ari.channels.externalMedia({ app: 'dialer', external_host: mediaHost, format: 'slin16' });
  await h.ari.bridges.addChannel(bridge.id, em2.id);
  expect((await h.ari.bridges.get(bridge.id)).channels).toEqual([em2.id, id].sort());
  await h.ari.channels.hangup(em2.id);
  await h.until('ChannelDestroyed', (e) => e.channel.id === em2.id);

  const list = await h.ari.channels.list();
  expect(list.map((c) => c.id)).toEqual([id]);
  expect(list[0]!.connected).toEqual({ name: '', number: '' });
  await h.ari.channels.hangup(id);
  await h.until('ChannelDestroyed', (e) => e.channel.id === id);
  await h.ari.bridges.destroy(bridge.id);
  await h.until('BridgeDestroyed');
  await settle();

  const expected = normalizeOrder(loadEventOrder('answer'));
  expect(expected.length).toBe(70);
  expect(normalizeOrder(h.events.map(condense))).toEqual(expected);
});
