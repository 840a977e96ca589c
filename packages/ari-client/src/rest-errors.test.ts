import { afterEach, beforeEach, expect, it } from 'vitest';
import { AriClient } from './client';
import { AriError } from './errors';
import { FakeAsterisk } from './testing/fake-asterisk';

let fake: FakeAsterisk;
let ari: AriClient;
beforeEach(async () => {
  fake = new FakeAsterisk();
  await fake.start();
  ari = new AriClient({ url: fake.url, username: 'u', password: 'p', app: 'dialer' });
});
afterEach(() => fake.stop());

it('turns Asterisk error bodies ({"message"} and {"error"}) into AriError with status, method and path', async () => {
  fake.reply = (req) =>
    req.path === '/ari/channels/nope' ? { status: 404, body: { message: 'Channel not found' } } : { status: 500, body: { error: 'Allocation failed' } };
  const notFound = (await ari.channels.get('nope').catch((e: unknown) => e)) as AriError;
  expect(notFound).toBeInstanceOf(AriError);
  expect([notFound.status, notFound.method, notFound.path, notFound.asteriskMessage, notFound.isNotFound]).toEqual([
    404,
    'GET',
    '/channels/nope',
    'Channel not found',
    true,
  ]);
  const alloc = (await ari.channels.originate({ endpoint: 'PJSIP/1@x', app: 'dialer' }).catch((e: unknown) => e)) as AriError;
  expect([alloc.status, alloc.method, alloc.asteriskMessage]).toEqual([500, 'POST', 'Allocation failed']);
  expect(alloc.message).toContain('Allocation failed');
});

it('sends originate parameters in the JSON body with basic auth, and hangup reasons as query parameters', async () => {
  fake.reply = (req) => (req.method === 'POST' ? { status: 200, body: { id: 'c1', state: 'Down' } } : { status: 204 });
  const channel = await ari.channels.originate({
    endpoint: 'PJSIP/+15551234567@trunk',
    app: 'dialer',
    appArgs: ['outbound', 'call-1'],
    channelId: 'c1',
    callerId: '+15550000000',
    timeout: 30,
    variables: { LEAD_ID: '42' },
  });
  expect(channel.id).toBe('c1');
  const [originate] = fake.requests;
  expect(originate!.headers.authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
  expect(originate!.body).toEqual({
    endpoint: 'PJSIP/+15551234567@trunk',
    app: 'dialer',
    appArgs: 'outbound,call-1',
    channelId: 'c1',
    callerId: '+15550000000',
    timeout: 30,
    variables: { LEAD_ID: '42' },
  });
  await expect(ari.channels.hangup('c1', { reason_code: '16' })).resolves.toBeUndefined();
  expect(fake.requests[1]).toMatchObject({ method: 'DELETE', path: '/ari/channels/c1', query: { reason_code: '16' } });

  await ari.channels.externalMedia({ app: 'dialer', external_host: '127.0.0.1:40000', format: 'g722', channelId: 'em1' });
  expect(fake.requests[2]!.query).toEqual({
    encapsulation: 'rtp',
    transport: 'udp',
    connection_type: 'client',
    direction: 'both',
    app: 'dialer',
    external_host: '127.0.0.1:40000',
    format: 'g722',
    channelId: 'em1',
  });
  await ari.asterisk.putObject('res_pjsip', 'endpoint', 'acme', { context: 'from-acme' });
  expect(fake.requests[3]).toMatchObject({ method: 'PUT', path: '/ari/asterisk/config/dynamic/res_pjsip/endpoint/acme', body: { fields: [{ attribute: 'context', value: 'from-acme' }] } });
});

it('reads endpoints: all, by technology and one, with Asterisk\'s 404 for an endpoint it does not have', async () => {
  const trunk = { technology: 'PJSIP', resource: 'trk_1', state: 'online', channel_ids: ['c1'] };
  fake.reply = (req) => {
    if (req.path === '/ari/endpoints/PJSIP/gone') return { status: 404, body: { message: 'Endpoint not found' } };
    if (req.path === '/ari/endpoints/PJSIP/trk_1') return { status: 200, body: trunk };
    return { status: 200, body: [trunk] };
  };
  expect(await ari.endpoints.list()).toEqual([trunk]);
  expect(await ari.endpoints.listByTech('PJSIP')).toEqual([trunk]);
  expect(await ari.endpoints.get('PJSIP', 'trk_1')).toEqual(trunk);
  expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /ari/endpoints', 'GET /ari/endpoints/PJSIP', 'GET /ari/endpoints/PJSIP/trk_1']);
  const gone = (await ari.endpoints.get('PJSIP', 'gone').catch((e: unknown) => e)) as AriError;
  expect([gone.status, gone.isNotFound, gone.asteriskMessage]).toEqual([404, true, 'Endpoint not found']);
});
