import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaAck, MediaStatusRequest } from '@parley/common';
import { setCredits } from '../src/billing/credits';
import { CallWatchdog } from '../src/calls/call-watchdog';
import { WebCallHolderWatch } from '../src/calls/web-call-holder-watch';
import { WebCallsService } from '../src/calls/web-calls.service';
import { WebCallTokensRepository } from '@parley/db';
import { type ApiHarness, outboundSetup, randomE164, startApi } from './api-harness';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi({ API_QUEUED_CALL_TIMEOUT_SECONDS: '60', API_WATCHDOG_GRACE_SECONDS: '10', API_DIALER_COMMAND_TIMEOUT_MS: '500', API_WEB_CALL_MEDIA_CHECK_MS: '3600000' });
});
afterAll(async () => api?.close());

describe('call watchdog (a dialer crashed between reserve and settle)', () => {
  it('ends stale queued, ringing and connected calls and releases or settles their reservations', async () => {
    const acct = await api.createAccount();
    const { agent } = await outboundSetup(api, acct, { max_duration_seconds: 60, ring_timeout_seconds: 30 });
    await api.ds.transaction((m) => setCredits(m, acct.accountId, 50_000, 'set'));
    const mk = async () => (await api.call('POST', '/v1/calls', { key: acct.apiKey, body: { agent_id: agent.id, to: randomE164() } })).body.id as string;
    const [queued, ringing, talking, fresh] = [await mk(), await mk(), await mk(), await mk()];
    await api.bus.publishCallEvent('ringing', { call_id: ringing, account_id: acct.accountId }, {});
    await api.bus.publishCallEvent('answered', { call_id: talking, account_id: acct.accountId }, {});
    await expect.poll(async () => (await api.call('GET', `/v1/calls/${talking}`, { key: acct.apiKey })).body.status).toBe('in_progress');
    await expect.poll(async () => (await api.call('GET', `/v1/calls/${ringing}`, { key: acct.apiKey })).body.status).toBe('ringing');
    // Time passes for three of them: as if the dialer died long ago.
    await api.ds.query(`UPDATE calls SET created_at = created_at - interval '2 minutes' WHERE id = $1`, [queued]);
    await api.ds.query(`UPDATE calls SET updated_at = updated_at - interval '2 minutes' WHERE id = $1`, [ringing]);
    await api.ds.query(`UPDATE calls SET answered_at = answered_at - interval '2 minutes', started_at = started_at - interval '2 minutes' WHERE id = $1`, [talking]);
    const ended = await api.app.get(CallWatchdog).sweep();
    expect(ended).toBe(3);
    const get = async (id: string) => (await api.call('GET', `/v1/calls/${id}`, { key: acct.apiKey })).body;
    expect(await get(queued)).toMatchObject({ status: 'failed', error_code: 'dispatch_timeout', reservation_status: 'released' });
    expect(await get(ringing)).toMatchObject({ status: 'failed', error_code: 'dialer_lost', reservation_status: 'released' });
    const t = await get(talking);
    expect(t).toMatchObject({ status: 'completed', error_code: 'max_duration_exceeded', reservation_status: 'settled' });
    expect(t.billed_duration_seconds).toBeGreaterThanOrEqual(120);
    expect((await get(fresh)).status).toBe('queued');
    const balance = Number((await api.ds.query('SELECT balance_milli_cents AS b FROM accounts WHERE id = $1', [acct.accountId]))[0].b);
    const ledger = Number((await api.ds.query('SELECT SUM(amount_milli_cents) AS s FROM credit_ledger WHERE account_id = $1', [acct.accountId]))[0].s);
    expect(ledger).toBe(balance);
    expect(balance).toBe(50_000 - t.billing_amount_milli_cents - 1000); // the fresh call still holds 60 s = 1000
  });
});

describe('call watchdog (a media process died holding a web call)', () => {
  it('ends a connected web call whose media process stays silent at two sweeps in a row, and not one whose process answers', async () => {
    const acct = await api.createAccount();
    const { agent } = await outboundSetup(api, acct, { max_duration_seconds: 600 });
    const web = async () => {
      const id = (await api.call('POST', '/v1/calls/web', { key: acct.apiKey, body: { agent_id: agent.id } })).body.id as string;
      await api.bus.publishCallEvent('answered', { call_id: id, account_id: acct.accountId }, {});
      await expect.poll(async () => (await api.call('GET', `/v1/calls/${id}`, { key: acct.apiKey })).body.status).toBe('in_progress');
      return id;
    };
    const [held, lost] = [await web(), await web()];
    // The process holding `held` answers for it; `lost`'s process is gone.
    const media = api.bus.serve(api.bus.subjects.mediaSession(held, 'status'), MediaStatusRequest, MediaAck, async () => ({ ok: true }));
    try {
      const get = async (id: string) => (await api.call('GET', `/v1/calls/${id}`, { key: acct.apiKey })).body;
      // One silent sweep is not enough (a process busy for a moment).
      await api.app.get(CallWatchdog).sweep();
      expect((await get(lost)).status).toBe('in_progress');
      await api.app.get(CallWatchdog).sweep();
      await expect.poll(async () => (await get(lost)).status).toBe('completed');
      expect(await get(lost)).toMatchObject({ error_code: 'media_lost', reservation_status: 'settled', hangup_cause: 'The media process holding the web call stopped answering' });
      expect((await get(held)).status).toBe('in_progress');
      await api.app.get(CallWatchdog).sweep();
      expect((await get(held)).status).toBe('in_progress');
    } finally {
      media.unsubscribe();
    }
  });
});


describe('web call holder watch (within seconds, from the load adverts)', () => {
  it('ends a connected web call only when its media process stopped advertising (or restarted) and does not answer for it', async () => {
    const acct = await api.createAccount();
    const { agent } = await outboundSetup(api, acct, { max_duration_seconds: 600 });
    const tokens = api.app.get(WebCallTokensRepository);
    const web = async (holder: string, startedAt: string) => {
      const id = (await api.call('POST', '/v1/calls/web', { key: acct.apiKey, body: { agent_id: agent.id } })).body.id as string;
      await api.bus.publishCallEvent('answered', { call_id: id, account_id: acct.accountId }, {});
      await expect.poll(async () => (await api.call('GET', `/v1/calls/${id}`, { key: acct.apiKey })).body.status).toBe('in_progress');
      await tokens.recordHolder(id, holder, startedAt);
      return id;
    };
    const started = '2026-12-04T10:00:00.000Z';
    const advertising = await web('media-alive', started);
    const silentButHolding = await web('media-quiet', started);
    const gone = await web('media-gone', started);
    const restarted = await web('media-restarted', started);
    // What the api hears: two processes advertise, one of them since a new start (a restart keeps no session).
    const loads = api.app.get(WebCallsService).loads;
    const advert = (media_id: string, started_at: string) => ({ media_id, sessions: 1, capacity: 100, cpu: 0.1, rtp_late_frames: 0, accepting: true, interval_ms: 60_000, at: new Date().toISOString(), started_at });
    loads.heard(advert('media-alive', started));
    loads.heard(advert('media-restarted', '2026-12-04T11:00:00.000Z'));
    // media-quiet's adverts are late, but it still answers for its call: not lost.
    const quiet = api.bus.serve(api.bus.subjects.mediaSession(silentButHolding, 'status'), MediaStatusRequest, MediaAck, async () => ({ ok: true }));
    try {
      const ended = await api.app.get(WebCallHolderWatch).check();
      expect(ended.sort()).toEqual([gone, restarted].sort());
      const get = async (id: string) => (await api.call('GET', `/v1/calls/${id}`, { key: acct.apiKey })).body;
      for (const id of [gone, restarted]) expect(await get(id)).toMatchObject({ status: 'completed', error_code: 'media_lost', reservation_status: 'settled' });
      expect((await get(gone)).hangup_cause).toContain('media-gone');
      for (const id of [advertising, silentButHolding]) expect((await get(id)).status).toBe('in_progress');
      // Ended once: a second pass (or another api's) finds nothing more to do.
      expect(await api.app.get(WebCallHolderWatch).check()).toEqual([]);
    } finally {
      quiet.unsubscribe();
    }
  });
});
