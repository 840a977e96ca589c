import { MediaAck, MediaReleaseRequest, MediaWebRtcAnswer, MediaWebRtcOffer } from '@parley/common';
import { Accounts } from '../src/accounts/accounts';
import { CallWatchdog } from '../src/calls/call-watchdog';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, outboundSetup, startApi, type TestAccount } from './api-harness';

// Issue 19: web calls through the API, with a stand-in media process answering offers over NATS.
let api: ApiHarness;
let acct: TestAccount;
beforeAll(async () => {
  api = await startApi({ API_WATCHDOG_INTERVAL_MS: '3600000', WEB_CALL_ICE_SERVERS: '[{"urls": "turn:turn.example.com:3478", "username": "u", "credential": "p"}]' });
  acct = await api.createAccount('Web');
});
afterAll(async () => api?.close());

const OFFER = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 9\r\n';
const connect = (token: string | null, body = OFFER) =>
  fetch(`${api.url}/v1/calls/web/connect`, { method: 'POST', headers: { 'content-type': 'application/sdp', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body });

describe('web calls', () => {
  it('are created for any agent with a single-use token, connect once through a media process, and are billed at the web rate', async () => {
    const inbound = await api.call('POST', '/v1/agents', { key: acct.apiKey, body: { name: 'Front desk', type: 'inbound', instructions: 'Help.', max_duration_seconds: 120 } });
    const created = await api.call('POST', '/v1/calls/web', { key: acct.apiKey, body: { agent_id: inbound.body.id, context: { name: 'Ana' }, metadata: { page: 'pricing' } } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ object: 'call', channel: 'web', direction: 'inbound', status: 'queued', to_number: null, from_number: null, context: { name: 'Ana' }, metadata: { page: 'pricing' } });
    expect(created.body.access_token).toMatch(/^wct_/);
    expect(created.body.ice_servers).toEqual([{ urls: 'turn:turn.example.com:3478', username: 'u', credential: 'p' }]);
    expect(Date.parse(created.body.access_token_expires_at) - Date.parse(created.body.created_at)).toBe(30_000);
    // The token is never stored or shown again.
    expect(JSON.stringify((await api.call('GET', `/v1/calls/${created.body.id}`, { key: acct.apiKey })).body)).not.toContain(created.body.access_token);

    const offers: MediaWebRtcOffer[] = [];
    const media = api.bus.serve(api.bus.subjects.mediaWebRtcOffer, MediaWebRtcOffer, MediaWebRtcAnswer, async (req) => {
      offers.push(req);
      return { ok: true as const, sdp: 'v=0\r\nanswer\r\n' };
    });
    try {
      expect((await connect(null)).status).toBe(401);
      const bad = await connect('wct_nope');
      expect(bad.status).toBe(401);
      expect(((await bad.json()) as any).error).toMatchObject({ type: 'authentication_error', code: 'access_token_invalid', param: 'Authorization' });
      expect((await connect(created.body.access_token, 'not sdp')).status).toBe(400);

      const ok = await connect(created.body.access_token);
      expect(ok.status).toBe(201);
      expect(ok.headers.get('content-type')).toContain('application/sdp');
      expect(ok.headers.get('location')).toBe(`/v1/calls/web/sessions/${created.body.id}`);
      expect(ok.headers.get('parley-call-id')).toBe(created.body.id);
      expect(await ok.text()).toBe('v=0\r\nanswer\r\n');
      expect(offers).toHaveLength(1);
      expect(offers[0]).toMatchObject({ call_id: created.body.id, sdp: OFFER, max_duration_seconds: 120, conversation: { direction: 'inbound', agent_id: inbound.body.id, context: { name: 'Ana' } } });

      const again = await connect(created.body.access_token);
      expect(again.status).toBe(401);
      expect(((await again.json()) as any).error.code).toBe('access_token_used');
      expect(offers).toHaveLength(1);
    } finally {
      media.unsubscribe();
    }

    // What media reports of the call: answered when the browser's leg is up, then its end; billed at the web rate.
    await api.app.get(Accounts).setWebRate(acct.accountId, 600);
    const b = { call_id: created.body.id, account_id: acct.accountId };
    await api.bus.publishCallEvent('answered', b, {});
    await api.bus.publishCallEvent('ended', b, { status: 'completed', answered: true, hangup_cause: 'The browser hung up', hangup_cause_code: 16, hangup_by: 'caller', error_code: null, error_message: null });
    await expect.poll(async () => (await api.call('GET', `/v1/calls/${created.body.id}`, { key: acct.apiKey })).body.status, { timeout: 10_000 }).toBe('completed');
    const call = (await api.call('GET', `/v1/calls/${created.body.id}`, { key: acct.apiKey })).body;
    // At 600 milli-cents a minute, not the phone rate (1,000 here).
    expect(call.billed_duration_seconds).toBeGreaterThanOrEqual(1);
    expect(call.billing_amount_milli_cents).toBe(Math.floor((call.billed_duration_seconds * 600 + 59) / 60));
    expect(call.billing_amount_milli_cents).not.toBe(Math.floor((call.billed_duration_seconds * 1000 + 59) / 60));
    expect((await api.call('GET', '/v1/balance', { key: acct.apiKey })).body).toMatchObject({ web_rate_milli_cents_per_minute: 600 });
    expect((await api.call('GET', `/v1/calls?limit=5`, { key: acct.apiKey })).body.data[0]).toMatchObject({ id: created.body.id, channel: 'web' });
  });

  it('refuse what a phone call refuses, and a to number', async () => {
    const { agent } = await outboundSetup(api, acct);
    for (const [body, param] of [
      [{ agent_id: agent.id, voice: 'x' }, 'voice'],
      [{ agent_id: agent.id, to: '+15550100001' }, 'to'],
      [{ agent_id: 'nope' }, 'agent_id'],
    ] as const) {
      const res = await api.call('POST', '/v1/calls/web', { key: acct.apiKey, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.param).toBe(param);
    }
    expect((await api.call('POST', '/v1/calls/web', { key: null, body: { agent_id: agent.id } })).status).toBe(401);
    // A page on another origin may connect and hang up (preflight answered), and nothing else.
    const preflight = await fetch(`${api.url}/v1/calls/web/connect`, { method: 'OPTIONS', headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
    expect((await connect('wct_nope')).headers.get('access-control-expose-headers')).toContain('location');
    const other = await fetch(`${api.url}/v1/calls`, { headers: { origin: 'https://shop.example', authorization: `Bearer ${acct.apiKey}` } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('fail when no media process answers, end as canceled when ended before connecting, and when the token runs out unused', async () => {
    const { agent } = await outboundSetup(api, acct);
    const create = async () => (await api.call('POST', '/v1/calls/web', { key: acct.apiKey, body: { agent_id: agent.id } })).body;

    const lonely = await create();
    const res = await connect(lonely.access_token);
    expect(res.status).toBe(503);
    expect(((await res.json()) as any).error.code).toBe('web_call_unavailable');
    expect((await api.call('GET', `/v1/calls/${lonely.id}`, { key: acct.apiKey })).body).toMatchObject({ status: 'failed', error_code: 'web_call_unavailable' });

    const ended = await create();
    expect((await api.call('POST', `/v1/calls/${ended.id}/end`, { key: acct.apiKey })).body.status).toBe('canceled');
    expect((await connect(ended.access_token)).status).toBe(409);

    // The page hangs up before connecting, with its own token (another call's is refused).
    const [left, other] = [await create(), await create()];
    const hangup = (id: string, token: string) => fetch(`${api.url}/v1/calls/web/sessions/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    expect((await hangup(left.id, other.access_token)).status).toBe(401);
    expect((await hangup(left.id, left.access_token)).status).toBe(204);
    expect((await api.call('GET', `/v1/calls/${left.id}`, { key: acct.apiKey })).body).toMatchObject({ status: 'canceled' });
    expect((await hangup(left.id, left.access_token)).status).toBe(204);

    const unused = await create();
    await api.ds.query(`UPDATE web_call_tokens SET expires_at = now() - interval '1 minute' WHERE call_id = $1`, [unused.id]);
    const late = await connect(unused.access_token);
    expect(late.status).toBe(401);
    expect(((await late.json()) as any).error.code).toBe('access_token_expired');
    await api.ds.query(`UPDATE calls SET created_at = now() - interval '2 minutes' WHERE id = $1`, [unused.id]);
    await api.app.get(CallWatchdog).sweep();
    await expect.poll(async () => (await api.call('GET', `/v1/calls/${unused.id}`, { key: acct.apiKey })).body.status, { timeout: 10_000 }).toBe('canceled');
  });

  it('end a connected call through the media process holding it', async () => {
    const { agent } = await outboundSetup(api, acct);
    const call = (await api.call('POST', '/v1/calls/web', { key: acct.apiKey, body: { agent_id: agent.id } })).body;
    const b = { call_id: call.id, account_id: acct.accountId };
    await api.bus.publishCallEvent('answered', b, {});
    await expect.poll(async () => (await api.call('GET', `/v1/calls/${call.id}`, { key: acct.apiKey })).body.status, { timeout: 10_000 }).toBe('in_progress');
    const releases: string[] = [];
    const media = api.bus.serve(api.bus.subjects.mediaSession(call.id, 'release'), MediaReleaseRequest, MediaAck, async (req) => {
      releases.push(req.reason);
      await api.bus.publishCallEvent('ended', b, { status: 'completed', answered: true, hangup_cause: 'Ended through the API', hangup_cause_code: 16, hangup_by: 'api', error_code: null, error_message: null });
      return { ok: true };
    });
    try {
      const res = await api.call('POST', `/v1/calls/${call.id}/end`, { key: acct.apiKey });
      expect(res.body.status).toBe('completed');
      expect(releases).toEqual(['api']);
    } finally {
      media.unsubscribe();
    }
  });

  it('end through the media process once the token is used, though the row still says queued; one canceled while its offer is answered is let go', async () => {
    const { agent } = await outboundSetup(api, acct);
    const create = async () => (await api.call('POST', '/v1/calls/web', { key: acct.apiKey, body: { agent_id: agent.id } })).body;
    const hangup = (id: string, token: string) => fetch(`${api.url}/v1/calls/web/sessions/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    let answerOffer: () => void = () => undefined;
    let holdOffers = false;
    const media = api.bus.serve(api.bus.subjects.mediaWebRtcOffer, MediaWebRtcOffer, MediaWebRtcAnswer, async () => {
      if (holdOffers) await new Promise<void>((r) => (answerOffer = r));
      return { ok: true as const, sdp: 'v=0\r\nanswer\r\n' };
    });
    try {
      // The page's media is up and it hangs up at once: the media process has connected the call, but its `answered`
      // event is not projected yet (the row says queued). The process holding the call ends it, as answered.
      const held = await create();
      expect((await connect(held.access_token)).status).toBe(201);
      const b = { call_id: held.id, account_id: acct.accountId };
      const releases: string[] = [];
      const holder = api.bus.serve(api.bus.subjects.mediaSession(held.id, 'release'), MediaReleaseRequest, MediaAck, async (req) => {
        releases.push(req.reason);
        await api.bus.publishCallEvent('answered', b, {});
        await api.bus.publishCallEvent('ended', b, { status: 'completed', answered: true, hangup_cause: 'Web call ended (caller_hangup)', hangup_cause_code: 16, hangup_by: 'caller', error_code: null, error_message: null });
        return { ok: true };
      });
      try {
        expect((await api.call('GET', `/v1/calls/${held.id}`, { key: acct.apiKey })).body.status).toBe('queued');
        expect((await hangup(held.id, held.access_token)).status).toBe(204);
        expect(releases).toEqual(['caller_hangup']);
        expect((await api.call('GET', `/v1/calls/${held.id}`, { key: acct.apiKey })).body).toMatchObject({ status: 'completed', answered_at: expect.any(String) });
      } finally {
        holder.unsubscribe();
      }

      // The page hangs up while its offer is still being answered: no process holds the call yet, so it is canceled
      // here; the process that answers after that is told to let go, and the page gets a 409.
      holdOffers = true;
      const racing = await create();
      const connecting = connect(racing.access_token);
      await expect.poll(async () => (await api.ds.query(`SELECT used_at FROM web_call_tokens WHERE call_id = $1`, [racing.id]))[0].used_at, { timeout: 5000 }).not.toBeNull();
      expect((await hangup(racing.id, racing.access_token)).status).toBe(204);
      expect((await api.call('GET', `/v1/calls/${racing.id}`, { key: acct.apiKey })).body).toMatchObject({ status: 'canceled', hangup_cause: 'The page hung up before connecting' });
      const canceled = (await api.call('GET', `/v1/calls/${racing.id}/events`, { key: acct.apiKey })).body.data.find((e: { type: string }) => e.type === 'ended');
      expect(canceled.data).toMatchObject({ status: 'canceled', hangup_by: 'caller', answered: false });
      const letGo: string[] = [];
      const listener = api.bus.connection.subscribe(api.bus.subjects.mediaSession(racing.id, 'release'), { callback: (_err, msg) => letGo.push(MediaReleaseRequest.parse(msg.json()).reason) });
      await api.bus.connection.flush();
      answerOffer();
      const late = await connecting;
      expect(late.status).toBe(409);
      expect(((await late.json()) as any).error.code).toBe('call_already_ended');
      await expect.poll(() => letGo, { timeout: 5000 }).toEqual(['api']);
      listener.unsubscribe();
    } finally {
      media.unsubscribe();
    }
  });
});
